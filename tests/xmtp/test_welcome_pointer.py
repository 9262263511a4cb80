"""XIP-74 welcome pointers (libxmtp mls_sync.rs send_welcomes, decrypted_welcome.rs): sealing, opening, sending."""

from __future__ import annotations

import collections
import random

import pytest
from hypothesis import given, settings, strategies as st

from spec_model.mls import xwing
from spec_model.mls.group_context import Extension
from spec_model.mls.hpke import hpke_for
from spec_model.mls.reasons import Rejected
from spec_model.xmtp import api
from spec_model.xmtp.client import ClientConfig
from spec_model.xmtp import intents
from spec_model.xmtp.intents import welcome_requests
from spec_model.xmtp.extensions import XmtpExtensionType
from spec_model.xmtp.key_package import (
    WelcomePointeeEncryptionAeadType as Aead, WelcomePointeeEncryptionAeadTypesExtension,
)
from spec_model.xmtp.profiles import LIBXMTP
from spec_model.xmtp.welcome_pointer import (
    INSTALLATION_THRESHOLD, WelcomePointer, WelcomePointerReason as R, WelcomeV1Pointer, offers_pointers,
    open_pointee, open_pointer, seal_pointee, wrap_pointer,
)
from spec_model.xmtp.welcome_wrap import WelcomeWrapperAlgorithm, WelcomeWrapReason

from tests.xmtp.clients import Net

XWING = WelcomeWrapperAlgorithm.XWING_MLKEM_768_DRAFT_6
SK, PK = xwing.generate_key_pair_derand(b"\x07" * 32)
INSTALLATION = b"\x01" * 32


def _stored(message: api.WelcomeMessageInput) -> api.WelcomeMessage:
    """The message as the node serves it (``network.py``): the input's fields under the output numbering."""
    if message.v1 is not None:
        v1 = message.v1
        return api.WelcomeMessage(v1=api.WelcomeMessage.V1(
            1, 2, v1.installation_key, v1.data, v1.hpke_public_key, v1.wrapper_algorithm, v1.welcome_metadata))
    p = message.welcome_pointer
    return api.WelcomeMessage(welcome_pointer=api.WelcomeMessage.WelcomePointer(
        3, 4, p.installation_key, p.welcome_pointer, p.hpke_public_key, p.wrapper_algorithm))


def _sent(welcome: bytes, cursor: int, seed: int = 1):
    rng = random.Random(seed).randbytes
    pointee, pointer = seal_pointee(welcome, cursor, rng)
    return pointee, wrap_pointer(INSTALLATION, PK, XWING, pointer, rng), pointer


@settings(max_examples=5, deadline=None)
@given(welcome=st.binary(max_size=300), cursor=st.integers(0, 2**64 - 1), seed=st.integers(0, 2**32))
def test_a_pointer_opens_to_the_welcome_and_cursor_it_was_sent_with(welcome, cursor, seed):
    pointee, message, _ = _sent(welcome, cursor, seed)
    pointer = open_pointer(SK, _stored(message).welcome_pointer)
    assert pointee.v1.installation_key == pointer.destination and len(pointer.destination) == 32
    assert open_pointee(pointer, _stored(pointee)) == (welcome, cursor)


def test_the_pointee_is_a_symmetric_v1_on_its_own_topic_and_the_pointer_names_its_key():
    pointee, message, encoded = _sent(b"welcome", 5)
    pointer = WelcomePointer.decode(encoded).welcome_v1_pointer
    assert (pointee.v1.hpke_public_key, pointee.v1.wrapper_algorithm) == (b"", WelcomeWrapperAlgorithm.SYMMETRIC_KEY)
    assert pointer.aead_type == Aead.CHACHA20_POLY1305 and len(pointer.encryption_key) == 32
    assert pointer.data_nonce != pointer.welcome_metadata_nonce and len(pointer.data_nonce) == 12
    p = message.welcome_pointer
    assert (p.installation_key, p.hpke_public_key, p.wrapper_algorithm) == (INSTALLATION, PK, XWING)


def test_equal_nonces_are_drawn_again():
    draws = iter([b"d" * 32, b"k" * 32, b"n" * 12, b"n" * 12, b"m" * 12])
    _, encoded = seal_pointee(b"w", 0, lambda n: next(draws))
    pointer = WelcomePointer.decode(encoded).welcome_v1_pointer
    assert (pointer.data_nonce, pointer.welcome_metadata_nonce) == (b"n" * 12, b"m" * 12)


def _pointer_message(pointer: WelcomePointer, algorithm: int = XWING) -> api.WelcomeMessage.WelcomePointer:
    """``pointer`` wrapped for ``PK`` with X-Wing, served with ``algorithm`` as its wrapper algorithm."""
    wrapped = wrap_pointer(INSTALLATION, PK, XWING, pointer.encode()).welcome_pointer.welcome_pointer
    return api.WelcomeMessage.WelcomePointer(1, 2, INSTALLATION, wrapped, PK, algorithm)


def _v1_pointer(**fields) -> WelcomePointer:
    good = dict(destination=b"d" * 32, aead_type=Aead.CHACHA20_POLY1305, encryption_key=b"k" * 32,
                data_nonce=b"n" * 12, welcome_metadata_nonce=b"m" * 12)
    return WelcomePointer(WelcomeV1Pointer(**{**good, **fields}))


@pytest.mark.parametrize("pointer, algorithm, reason", [
    (_v1_pointer(), api.WelcomePointerWrapperAlgorithm.UNSPECIFIED, R.UNSUPPORTED_WRAPPER_ALGORITHM),
    (_v1_pointer(), WelcomeWrapperAlgorithm.CURVE25519, R.UNSUPPORTED_WRAPPER_ALGORITHM),
    (WelcomePointer(), XWING, R.MALFORMED_POINTER),
    (_v1_pointer(destination=b"d" * 31), XWING, R.MALFORMED_POINTER),
    (_v1_pointer(aead_type=Aead.UNSPECIFIED), XWING, R.UNSUPPORTED_AEAD),
    (_v1_pointer(aead_type=1), XWING, R.UNSUPPORTED_AEAD),
])
def test_an_unusable_pointer_is_refused(pointer, algorithm, reason):
    with pytest.raises(Rejected) as e:
        open_pointer(SK, _pointer_message(pointer, algorithm))
    assert e.value.reason is reason


def test_a_pointer_that_is_no_welcome_pointer_names_the_field():
    message = _stored(wrap_pointer(INSTALLATION, PK, XWING, b"\x0a\x05\x0a\x03abc")).welcome_pointer
    with pytest.raises(Rejected) as e:
        open_pointer(SK, message)
    assert e.value.reason is R.MALFORMED_POINTER and "destination" in e.value.detail


def test_a_pointer_for_another_key_fails_to_decrypt():
    _, message, _ = _sent(b"w", 1)
    with pytest.raises(Rejected) as e:
        open_pointer(xwing.generate_key_pair_derand(b"\x08" * 32)[0], _stored(message).welcome_pointer)
    assert e.value.reason is WelcomeWrapReason.DECRYPT_FAILED


def test_an_unusable_pointee_is_refused():
    pointee, message, _ = _sent(b"welcome", 9)
    pointer = open_pointer(SK, _stored(message).welcome_pointer)
    v1 = pointee.v1
    bad_metadata = api.WelcomeMessageInput(v1=api.WelcomeMessageInput.V1(
        v1.installation_key, v1.data, b"", 3, seal_pointee(b"", 0, random.Random(5).randbytes)[0].v1.welcome_metadata))
    for found, reason in [(None, R.POINTEE_NOT_FOUND), (_stored(message), R.POINTEE_NOT_V1),
                          (_stored(api.WelcomeMessageInput(v1=api.WelcomeMessageInput.V1(
                              v1.installation_key, v1.data[:-1] + bytes([v1.data[-1] ^ 1]), b"", 3,
                              v1.welcome_metadata))), R.DECRYPT_FAILED),
                          (_stored(api.WelcomeMessageInput(v1=api.WelcomeMessageInput.V1(
                              v1.installation_key, v1.data, b"", 3, b""))), R.DECRYPT_FAILED),
                          (_stored(bad_metadata), R.DECRYPT_FAILED)]:
        with pytest.raises(Rejected) as e:
            open_pointee(pointer, found)
        assert e.value.reason is reason


def test_metadata_that_is_no_welcome_metadata_is_refused():
    key, nonce = b"k" * 32, b"n" * 12
    aead = hpke_for(0x0020, 0x0001, 0x0003).aead
    pointer = WelcomeV1Pointer(b"d" * 32, Aead.CHACHA20_POLY1305, key, b"m" * 12, nonce)
    pointee = api.WelcomeMessage(v1=api.WelcomeMessage.V1(
        1, 2, b"d" * 32, aead.seal(key, b"m" * 12, b"", b"w"), b"", 3, aead.seal(key, nonce, b"", b"\x08\xff")))
    with pytest.raises(Rejected) as e:
        open_pointee(pointer, pointee)
    assert e.value.reason is R.MALFORMED_METADATA


def _with_0xff04(data: bytes):
    class KP:
        extensions = (Extension(XmtpExtensionType.WELCOME_POINTEE_AEAD, data),)
    return KP()


def test_offers_pointers_reads_0xff04_as_libxmtp_does():
    listed = WelcomePointeeEncryptionAeadTypesExtension
    assert offers_pointers(_with_0xff04(listed((Aead.CHACHA20_POLY1305,)).encode()))
    assert not offers_pointers(_with_0xff04(listed(()).encode()))
    assert not offers_pointers(type("KP", (), {"extensions": ()})())
    for data, reason in [(listed((Aead.UNSPECIFIED,)).encode(), R.UNSUPPORTED_AEAD),
                         (listed((1,)).encode(), R.UNSUPPORTED_AEAD), (b"\x0a", R.MALFORMED_POINTER)]:
        with pytest.raises(Rejected) as e:
            offers_pointers(_with_0xff04(data))
        assert e.value.reason is reason


# ------------------------------------------------------------------ clients

def _welcomes(net: Net) -> collections.Counter:
    kinds = collections.Counter()
    for rows in net.network._welcomes.rows.values():
        for row in rows:
            v1 = row.envelope.v1
            kinds["pointer" if v1 is None else "pointee" if v1.wrapper_algorithm == 3 else f"v1/{v1.wrapper_algorithm}"] += 1
    return kinds


@pytest.mark.parametrize("installations, expected", [
    (INSTALLATION_THRESHOLD, {"v1/2": 2}),  # two offer pointers: not more than the threshold
    (INSTALLATION_THRESHOLD + 1, {"pointee": 1, "pointer": 3}),
])
def test_libxmtp_profile_sends_pointers_above_the_threshold_and_every_installation_joins(tmp_path, installations,
                                                                                        expected):
    net = Net(tmp_path, config=ClientConfig(profile=LIBXMTP))
    alix, bo = net.user("alix"), net.user("bo", installations)
    group = alix.c.conversations.create_group(inbox_ids=[bo.inbox_id])
    assert _welcomes(net) == expected
    for client in bo.clients:
        conversation, = client.conversations.sync()
        assert conversation.epoch_authenticator == group.epoch_authenticator


def test_installations_without_0xff04_get_the_whole_welcome(tmp_path):
    net = Net(tmp_path, config=ClientConfig(profile=LIBXMTP))
    alix, bo = net.user("alix"), net.user("bo", 3)
    seed_user = net.user("caro", 2, config=ClientConfig())  # seed profile: no 0xFF04, no 0xFF03
    group = alix.c.conversations.create_group(inbox_ids=[bo.inbox_id, seed_user.inbox_id])
    assert _welcomes(net) == {"pointee": 1, "pointer": 3, "v1/1": 2}
    for client in [*bo.clients, *seed_user.clients]:
        conversation, = client.conversations.sync()
        assert conversation.epoch_authenticator == group.epoch_authenticator


def test_the_seed_profile_wraps_the_welcome_for_each_installation(tmp_path):
    net = Net(tmp_path)
    alix, bo = net.user("alix"), net.user("bo", 3)
    alix.c.conversations.create_group(inbox_ids=[bo.inbox_id])
    assert _welcomes(net) == {"v1/1": 3}


def test_a_pointer_whose_pointee_is_missing_is_skipped(tmp_path):
    net = Net(tmp_path, config=ClientConfig(profile=LIBXMTP))
    alix, bo = net.user("alix"), net.user("bo", 3)
    alix.c.conversations.create_group(inbox_ids=[bo.inbox_id])
    for rows in net.network._welcomes.rows.values():  # the node lost the pointee
        rows[:] = [row for row in rows if row.envelope.v1 is None]
    assert bo.c.conversations.sync() == [] and bo.c.conversations.list() == []
    assert bo.c.conversations.sync() == []  # skipped once, never retried (libxmtp retries in the background)


# ------------------------------------------------------------------ requests (libxmtp send_welcomes chunks)

def _v1(data_size: int) -> api.WelcomeMessageInput:
    return api.WelcomeMessageInput(v1=api.WelcomeMessageInput.V1(b"i" * 32, b"d" * data_size, b"k" * 32, 1, b"m" * 40))


@pytest.mark.parametrize("first, count, sizes", [
    (100, 120, [50, 50, 20]),                     # small messages: 50 a request
    (10 * 1024 * 1024, 5, [2, 2, 1]),             # a 10 MiB first message: 25 MiB holds two
    (30 * 1024 * 1024, 3, [1, 1, 1]),             # larger than the limit: one a request, never none
])
def test_welcomes_go_in_requests_sized_by_the_first_message(first, count, sizes):
    inputs = [_v1(first)] + [_v1(100)] * (count - 1)
    requests = welcome_requests(inputs)
    assert [len(r.messages) for r in requests] == sizes
    assert [m for r in requests for m in r.messages] == inputs


def test_a_commit_sends_its_welcomes_in_requests_of_at_most_welcomes_per_request(tmp_path, monkeypatch):
    monkeypatch.setattr(intents, "WELCOMES_PER_REQUEST", 3)  # 50 in libxmtp: a group of 3 shows the split
    net = Net(tmp_path, config=ClientConfig(profile=LIBXMTP))
    alix, bo = net.user("alix"), net.user("bo", 4)
    sent = []
    original = net.network.send_welcome_messages
    net.network.send_welcome_messages = lambda request: sent.append(len(request.messages)) or original(request)
    group = alix.c.conversations.create_group(inbox_ids=[bo.inbox_id])
    assert sent == [3, 2]  # the pointee and four pointers
    for client in bo.clients:
        conversation, = client.conversations.sync()
        assert conversation.epoch_authenticator == group.epoch_authenticator
