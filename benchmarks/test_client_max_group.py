"""XMTP clients at XMTP's largest group, beside its cryptographic floor: ``members`` inboxes of 10 installations
each (libxmtp ``MAX_INSTALLATIONS_PER_INBOX``, ``spec_model/xmtp/identity.py``) over the model's network, cipher
suite 3 (XMTP's, ``spec_model/xmtp/key_package.py``).

Untimed: every installation registers (its inbox, or a new installation of it) and uploads a key package. Timed,
once: the first installation of the first inbox creates a group with every other inbox (one commit adding every
installation of all of them and the creator's own others, docs/xmtp-facts.md §3.3), then every other
installation syncs once, joins from its Welcome and must hold the creator's epoch authenticator. The floor is
that round's public-key cryptography (``benchmarks/floor.py``): ``extra_info = {"floor_ms", "counts",
"over_floor", "leaves"}``.

Regular runs take ``REGULAR_MEMBERS`` inboxes (400 leaves); ``--client-members 400`` runs XMTP's 400 x 10 = 4000
leaves, whose 3999 joins each verify every leaf's signature (RFC 9420 §12.4.3.1): about an hour. What was measured of it
once is in the README ("Tests and benchmarks"). Run: ``.venv/bin/pytest benchmarks/test_client_max_group.py --benchmark-enable -s``.
"""

from __future__ import annotations

import collections
import os
import tempfile
import time

from benchmarks import floor
from spec_model.xmtp.client import Client
from spec_model.xmtp.context import CS
from spec_model.xmtp.identity import MAX_INSTALLATIONS
from spec_model.xmtp.network import DeliveryService
from spec_model.xmtp.wallet import Wallet
from tests.mls.members import seeded_rng

REGULAR_MEMBERS = 40


def registered(members: int, installations: int = MAX_INSTALLATIONS) -> list[list[Client]]:
    """``members`` inboxes of ``installations`` clients each, on one new network (deterministic)."""
    rng = seeded_rng(members * installations)
    network = DeliveryService()
    folder = tempfile.mkdtemp()
    inboxes = []
    for m in range(members):
        wallet = Wallet.random(rng)
        inboxes.append([Client.create(wallet, os.path.join(folder, f"{m}-{i}.db"), bytes(32), network, rng=rng)
                        for i in range(installations)])
    return inboxes


def every_installation_syncs(inboxes: list[list[Client]]) -> int:
    """The round (above); the number of installations that joined. It empties ``inboxes``: each installation is
    closed and let go once it has joined, so that memory holds one joined member's state at a time."""
    creator = inboxes[0][0]
    group = creator.conversations.create_group(inbox_ids=[inbox[0].inbox_id for inbox in inboxes[1:]])
    expected = group.epoch_authenticator
    waiting = collections.deque(c for inbox in inboxes for c in inbox if c is not creator)
    for inbox in inboxes:
        inbox.clear()
    joined = 0
    while waiting:
        client = waiting.popleft()
        conversation, = client.conversations.sync()
        assert conversation.epoch_authenticator == expected, f"{client.installation_id.hex()} disagrees"
        client.close()
        joined += 1
    return joined


def test_every_installation_of_the_largest_group_syncs_once(benchmark, client_members):
    inboxes = registered(client_members)
    leaves = sum(map(len, inboxes))  # the round empties inboxes
    units = floor.unit_costs(CS)
    counts = dict.fromkeys(floor.PRIMITIVES, 0)
    with floor.counting(counts):
        started = time.perf_counter()  # one round: its time is the median (also with --benchmark-disable)
        joined = benchmark.pedantic(every_installation_syncs, args=(inboxes,), rounds=1, iterations=1)
        round_ms = (time.perf_counter() - started) * 1000
    assert joined == leaves - 1
    least = floor.floor_ms(counts, units)
    benchmark.extra_info.update(leaves=leaves, floor_ms=least, counts=counts, unit_ms=units, over_floor=round_ms / least)
