"""seed: "XMTP will rotate the key package when a new welcome message is received and delete expired key packages
automatically": the model's client rotates after a Welcome and every 30 days, and deletes the private keys of a
key package one day after it was replaced, so a Welcome to it can no longer be opened."""

from __future__ import annotations

from spec_model.mls.key_package import KeyPackage
from spec_model.xmtp import api
from spec_model.xmtp.key_package import KEY_PACKAGE_ROTATION_INTERVAL_NS, KEYS_EXPIRATION_INTERVAL_NS

from .clients import Net


def published(net: Net, client) -> bytes:
    """The key package the delivery service hands out for ``client``'s installation."""
    response = net.network.fetch_key_packages(api.FetchKeyPackagesRequest((client.installation_id,)))
    return response.key_packages[0].key_package_tls_serialized


def kept(client) -> int:
    return client.store._conn.execute("SELECT count(*) FROM key_packages").fetchone()[0]


def test_a_key_package_is_rotated_30_days_after_the_last_one(tmp_path):
    net = Net(tmp_path)
    bo = net.user("bo").c
    first = published(net, bo)
    net.tick(KEY_PACKAGE_ROTATION_INTERVAL_NS - 2 * 10**9)
    bo.conversations.sync()
    assert published(net, bo) == first
    net.tick(10**9)
    bo.conversations.sync()
    assert published(net, bo) != first and kept(bo) == 2


def test_replaced_private_keys_are_deleted_one_day_later_and_the_rest_kept(tmp_path):
    net = Net(tmp_path)
    alix, bo = net.user("alix"), net.user("bo")
    alix.c.conversations.create_group(inbox_ids=[bo.inbox_id])
    bo.c.conversations.sync()  # joined: rotated
    assert kept(bo.c) == 2
    net.tick(KEYS_EXPIRATION_INTERVAL_NS - 2 * 10**9)
    bo.c.conversations.sync()
    assert kept(bo.c) == 2
    net.tick(2 * 10**9)
    bo.c.conversations.sync()
    assert kept(bo.c) == 1  # the current one is never deleted


def test_a_welcome_to_a_replaced_key_package_opens_for_one_day_only(tmp_path):
    net = Net(tmp_path)
    alix, bo = net.user("alix"), net.user("bo")
    first = KeyPackage.decode(published(net, bo.c)).init_key  # what a slow adder may have fetched
    alix.c.conversations.create_group(inbox_ids=[bo.inbox_id])
    bo.c.conversations.sync()
    net.tick(KEYS_EXPIRATION_INTERVAL_NS - 10**9)
    bo.c.conversations.sync()
    assert bo.c.key_package_of(first) is not None
    net.tick(10**9)
    bo.c.conversations.sync()
    assert bo.c.key_package_of(first) is None
