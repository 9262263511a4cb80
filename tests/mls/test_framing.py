"""RFC 9420 §6: signing, PublicMessage and PrivateMessage protection, content validation."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spec_model.mls.codec import DecodeError
from spec_model.mls.commit import Commit
from spec_model.mls.framing import (
    AuthenticatedContent, ExternalSender, FramedContent, Rejected, MemberSender,
    NewMemberCommitSender, NewMemberProposalSender, PrivateContentAAD, PrivateMessage,
    PrivateMessageContent, PublicMessage, SenderDataAAD, WireFormat, membership_tag,
    protect_private, protect_public, sign_content, unprotect_private, unprotect_public,
    validate_content, verify_content_signature,
)
from spec_model.mls.group_context import GroupContext
from spec_model.mls.message import MLSMessage
from spec_model.mls.proposals import Add, ProposalByValue, Remove, Update
from spec_model.mls.secret_tree import RatchetKind, SecretTree, sender_data_key_nonce
from spec_model.mls.suites import suite

CS = suite(1)
CONTEXT = GroupContext(1, 1, b"group", 7, b"\x11" * 32, b"\x22" * 32, ())
SIG_PRIV = bytes(range(32))
SIG_PUB = CS.signature_public_key(SIG_PRIV)
MEMBERSHIP_KEY = b"\x33" * 32
SENDER_DATA_SECRET = b"\x44" * 32
ENCRYPTION_SECRET = b"\x55" * 32
GUARD = b"\xa1\xb2\xc3\xd4"
TAG = b"\x66" * 32

BODIES = {
    "application": b"hello, group",
    "proposal": Remove(3),
    "commit": Commit((ProposalByValue(Remove(2)),), None),
}
HANDSHAKE = ["proposal", "commit"]


def signed(body, wire_format: WireFormat, sender=MemberSender(1), authenticated_data: bytes = b"aad"
           ) -> AuthenticatedContent:
    content = FramedContent(CONTEXT.group_id, CONTEXT.epoch, sender, authenticated_data, body)
    tag = TAG if isinstance(body, Commit) else None
    return sign_content(CS, wire_format, content, CONTEXT, SIG_PRIV, tag)


def tree(n_leaves: int = 2) -> SecretTree:
    return SecretTree(CS, ENCRYPTION_SECRET, n_leaves)


def private(body, **kwargs) -> PrivateMessage:
    ac = signed(body, WireFormat.mls_private_message, **kwargs)
    return protect_private(CS, ac, tree(), SENDER_DATA_SECRET, padding=9, rng=lambda n: GUARD[:n])


def open_private(message: PrivateMessage, receiver: SecretTree) -> AuthenticatedContent:
    return unprotect_private(CS, message, CONTEXT, receiver, SENDER_DATA_SECRET)


def reason_of(call) -> str:
    with pytest.raises(Rejected) as excinfo:
        call()
    return excinfo.value.reason


def hand_sealed(ac: AuthenticatedContent, plaintext: bytes, sender: SecretTree, leaf: int = 1
                ) -> PrivateMessage:
    """Oracle: §6.3.1 and §6.3.2 written out step by step, for any plaintext."""
    c = ac.content
    kind = RatchetKind.APPLICATION if isinstance(c.content, bytes) else RatchetKind.HANDSHAKE
    generation, key, nonce = sender.ratchet(leaf, kind).next_key()
    nonce = bytes(x ^ y for x, y in zip(nonce, GUARD + bytes(CS.Nn - 4)))
    aad = PrivateContentAAD(c.group_id, c.epoch, c.content_type, c.authenticated_data).encode()
    ciphertext = CS.seal(key, nonce, aad, plaintext)
    key, nonce = sender_data_key_nonce(CS, SENDER_DATA_SECRET, ciphertext[:CS.Nh])
    sender_data = leaf.to_bytes(4, "big") + generation.to_bytes(4, "big") + GUARD
    encrypted = CS.seal(key, nonce, SenderDataAAD(c.group_id, c.epoch, c.content_type).encode(), sender_data)
    return PrivateMessage(c.group_id, c.epoch, c.content_type, c.authenticated_data, encrypted, ciphertext)


# --------------------------------------------------------------- signatures (§6.1)


def test_signature_covers_wire_format_and_context() -> None:
    ac = signed(BODIES["proposal"], WireFormat.mls_public_message)
    verify_content_signature(CS, ac, CONTEXT, SIG_PUB)
    relabelled = ac.replace(wire_format=WireFormat.mls_private_message)
    assert reason_of(lambda: verify_content_signature(CS, relabelled, CONTEXT, SIG_PUB)) == "mls.bad_signature"
    other_epoch = CONTEXT.replace(tree_hash=b"\x12" * 32)
    assert reason_of(lambda: verify_content_signature(CS, ac, other_epoch, SIG_PUB)) == "mls.bad_signature"


def test_commit_needs_confirmation_tag_to_be_protected() -> None:
    content = FramedContent(b"group", 7, MemberSender(1), b"", BODIES["commit"])
    ac = sign_content(CS, WireFormat.mls_public_message, content, CONTEXT, SIG_PRIV)
    with pytest.raises(ValueError):
        protect_public(CS, ac, CONTEXT, MEMBERSHIP_KEY)


# --------------------------------------------------------------- PublicMessage (§6.2)


@pytest.mark.parametrize("kind", HANDSHAKE)
def test_public_round_trip(kind: str) -> None:
    ac = signed(BODIES[kind], WireFormat.mls_public_message)
    message = protect_public(CS, ac, CONTEXT, MEMBERSHIP_KEY)
    assert message.membership_tag == membership_tag(CS, MEMBERSHIP_KEY, ac, CONTEXT)
    received = MLSMessage.decode(MLSMessage(message).encode()).body
    assert unprotect_public(CS, received, CONTEXT, MEMBERSHIP_KEY) == ac
    verify_content_signature(CS, ac, CONTEXT, SIG_PUB)


def test_external_sender_has_no_membership_tag() -> None:
    content = FramedContent(b"group", 7, ExternalSender(0), b"", BODIES["proposal"])
    ac = sign_content(CS, WireFormat.mls_public_message, content, None, SIG_PRIV)
    message = protect_public(CS, ac, CONTEXT, None)
    assert message.membership_tag is None
    assert unprotect_public(CS, message, CONTEXT, MEMBERSHIP_KEY) == ac
    verify_content_signature(CS, ac, None, SIG_PUB)


def test_application_data_is_never_public() -> None:
    ac = signed(BODIES["application"], WireFormat.mls_public_message)
    assert reason_of(lambda: protect_public(CS, ac, CONTEXT, MEMBERSHIP_KEY)) == "mls.application_not_private"
    message = PublicMessage(ac.content, ac.auth, membership_tag(CS, MEMBERSHIP_KEY, ac, CONTEXT))
    assert reason_of(lambda: unprotect_public(CS, message, CONTEXT, MEMBERSHIP_KEY)) == "mls.application_not_private"


PUBLIC_TAMPERING = {
    "group_id": (lambda m: m.replace(content=m.content.replace(group_id=b"other")), "mls.wrong_group"),
    "epoch": (lambda m: m.replace(content=m.content.replace(epoch=8)), "mls.wrong_epoch"),
    "authenticated_data": (lambda m: m.replace(content=m.content.replace(authenticated_data=b"x")),
                           "mls.bad_membership_tag"),
    "sender": (lambda m: m.replace(content=m.content.replace(sender=MemberSender(0))), "mls.bad_membership_tag"),
    "signature": (lambda m: m.replace(auth=m.auth.replace(signature=bytes(64))), "mls.bad_membership_tag"),
    "confirmation_tag": (lambda m: m.replace(auth=m.auth.replace(confirmation_tag=bytes(32))),
                         "mls.bad_membership_tag"),
    "membership_tag": (lambda m: m.replace(membership_tag=bytes(32)), "mls.bad_membership_tag"),
}


@pytest.mark.parametrize("region", PUBLIC_TAMPERING)
def test_public_tampering(region: str) -> None:
    tamper, reason = PUBLIC_TAMPERING[region]
    message = protect_public(CS, signed(BODIES["commit"], WireFormat.mls_public_message), CONTEXT,
                             MEMBERSHIP_KEY)
    assert reason_of(lambda: unprotect_public(CS, tamper(message), CONTEXT, MEMBERSHIP_KEY)) == reason


def test_member_with_membership_key_cannot_forge_signature() -> None:
    ac = signed(BODIES["proposal"], WireFormat.mls_public_message)
    forged = ac.replace(auth=ac.auth.replace(signature=bytes(64)))
    message = protect_public(CS, forged, CONTEXT, MEMBERSHIP_KEY)
    received = unprotect_public(CS, message, CONTEXT, MEMBERSHIP_KEY)
    assert reason_of(lambda: verify_content_signature(CS, received, CONTEXT, SIG_PUB)) == "mls.bad_signature"


def test_every_public_byte_flip_is_rejected() -> None:
    data = MLSMessage(protect_public(CS, signed(BODIES["commit"], WireFormat.mls_public_message),
                                     CONTEXT, MEMBERSHIP_KEY)).encode()
    for i in range(4, len(data)):  # past version and wire format
        flipped = data[:i] + bytes((data[i] ^ 0x01,)) + data[i + 1:]
        with pytest.raises((DecodeError, Rejected)):
            unprotect_public(CS, MLSMessage.decode(flipped).body, CONTEXT, MEMBERSHIP_KEY)


# --------------------------------------------------------------- PrivateMessage (§6.3)


@pytest.mark.parametrize("kind", list(BODIES))
def test_private_round_trip(kind: str) -> None:
    ac = signed(BODIES[kind], WireFormat.mls_private_message)
    message = protect_private(CS, ac, tree(), SENDER_DATA_SECRET, padding=9, rng=lambda n: GUARD[:n])
    received = MLSMessage.decode(MLSMessage(message).encode()).body
    assert open_private(received, tree()) == ac
    verify_content_signature(CS, ac, CONTEXT, SIG_PUB)


@pytest.mark.parametrize("kind", list(BODIES))
def test_private_matches_hand_written_oracle(kind: str) -> None:
    ac = signed(BODIES[kind], WireFormat.mls_private_message)
    plaintext = PrivateMessageContent(ac.content.content, ac.auth, bytes(9)).encode()
    assert private(BODIES[kind]) == hand_sealed(ac, plaintext, tree())


def test_generations_advance_and_replay_is_refused() -> None:
    ac = signed(BODIES["application"], WireFormat.mls_private_message)
    sender, receiver = tree(), tree()
    first, second = (protect_private(CS, ac, sender, SENDER_DATA_SECRET) for _ in range(2))
    assert open_private(second, receiver) == ac
    assert open_private(first, receiver) == ac  # out of order, within the window
    assert reason_of(lambda: open_private(first, receiver)) == "mls.generation_unavailable"


def test_private_needs_a_member_sender() -> None:
    ac = signed(BODIES["proposal"], WireFormat.mls_private_message, sender=ExternalSender(0))
    assert reason_of(lambda: protect_private(CS, ac, tree(), SENDER_DATA_SECRET)) == "mls.sender_not_member"


def test_sender_outside_the_tree() -> None:
    ac = signed(BODIES["application"], WireFormat.mls_private_message)
    plaintext = PrivateMessageContent(ac.content.content, ac.auth).encode()
    message = hand_sealed(ac, plaintext, tree(8), leaf=5)
    assert reason_of(lambda: open_private(message, tree(2))) == "mls.unknown_sender"


def flip(data: bytes, i: int) -> bytes:
    return data[:i] + bytes((data[i] ^ 0x80,)) + data[i + 1:]


PRIVATE_TAMPERING = {
    "group_id": (lambda m: m.replace(group_id=b"other"), "mls.wrong_group"),
    "epoch": (lambda m: m.replace(epoch=6), "mls.wrong_epoch"),
    "content_type": (lambda m: m.replace(content_type=2), "mls.sender_data_decrypt_failed"),
    "authenticated_data": (lambda m: m.replace(authenticated_data=b"x"), "mls.decrypt_failed"),
    "encrypted_sender_data": (lambda m: m.replace(encrypted_sender_data=flip(m.encrypted_sender_data, 3)),
                              "mls.sender_data_decrypt_failed"),
    "ciphertext_sample": (lambda m: m.replace(ciphertext=flip(m.ciphertext, CS.Nh - 1)),
                          "mls.sender_data_decrypt_failed"),
    "ciphertext_after_sample": (lambda m: m.replace(ciphertext=flip(m.ciphertext, CS.Nh)), "mls.decrypt_failed"),
    "ciphertext_tag": (lambda m: m.replace(ciphertext=flip(m.ciphertext, len(m.ciphertext) - 1)),
                       "mls.decrypt_failed"),
}


@pytest.mark.parametrize("region", PRIVATE_TAMPERING)
def test_private_tampering_then_genuine_message_still_decrypts(region: str) -> None:
    tamper, reason = PRIVATE_TAMPERING[region]
    message, receiver = private(BODIES["application"]), tree()
    assert reason_of(lambda: open_private(tamper(message), receiver)) == reason
    assert receiver.application_ratchet(1).generation == 0
    assert open_private(message, receiver).content.content == BODIES["application"]


def test_every_private_byte_flip_is_rejected_and_consumes_nothing() -> None:
    message, receiver = private(BODIES["commit"]), tree()
    data = MLSMessage(message).encode()
    for i in range(4, len(data)):
        with pytest.raises((DecodeError, Rejected)):
            open_private(MLSMessage.decode(flip(data, i)).body, receiver)
    assert open_private(message, receiver).content.content == BODIES["commit"]


def test_nonzero_padding_is_rejected_without_consuming_the_key() -> None:
    ac = signed(BODIES["application"], WireFormat.mls_private_message)
    plaintext = PrivateMessageContent(ac.content.content, ac.auth).encode()
    padded_badly = hand_sealed(ac, plaintext + bytes(5) + b"\x01", tree())
    receiver = tree()
    assert reason_of(lambda: open_private(padded_badly, receiver)) == "mls.nonzero_padding"
    assert open_private(hand_sealed(ac, plaintext + bytes(6), tree()), receiver) == ac


def test_truncated_content_is_malformed() -> None:
    ac = signed(BODIES["commit"], WireFormat.mls_private_message)
    plaintext = PrivateMessageContent(ac.content.content, ac.auth).encode()
    message = hand_sealed(ac, plaintext[:-1], tree())  # the confirmation tag is cut short
    assert reason_of(lambda: open_private(message, tree())) == "mls.malformed_content"


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=3000), st.binary(max_size=64), st.integers(0, 512))
def test_private_round_trip_any_size(data: bytes, authenticated_data: bytes, padding: int) -> None:
    ac = signed(data, WireFormat.mls_private_message, authenticated_data=authenticated_data)
    message = protect_private(CS, ac, tree(), SENDER_DATA_SECRET, padding=padding)
    unpadded = len(PrivateMessageContent(data, ac.auth).encode())
    assert len(message.ciphertext) == unpadded + padding + 16  # AES-GCM tag
    assert open_private(message, tree()) == ac


# --------------------------------------------------------------- validation (§6)


def content_with(sender, body) -> FramedContent:
    return FramedContent(CONTEXT.group_id, CONTEXT.epoch, sender, b"", body)


# Validation looks only at the proposal's type, so bare instances stand in for real ones.
ADD, UPDATE = Add.__new__(Add), Update.__new__(Update)

VALIDATION = [
    (WireFormat.mls_private_message, MemberSender(1), b"app", None),
    (WireFormat.mls_public_message, MemberSender(1), b"app", "mls.application_not_private"),
    (WireFormat.mls_public_message, MemberSender(3), Remove(1), "mls.unknown_sender"),
    (WireFormat.mls_private_message, ExternalSender(0), Remove(1), "mls.sender_not_member"),
    (WireFormat.mls_public_message, ExternalSender(0), Remove(1), None),
    (WireFormat.mls_public_message, ExternalSender(0), UPDATE, "mls.unsupported_sender"),
    (WireFormat.mls_public_message, ExternalSender(0), BODIES["commit"], "mls.unsupported_sender"),
    (WireFormat.mls_public_message, NewMemberProposalSender(), ADD, None),
    (WireFormat.mls_public_message, NewMemberProposalSender(), Remove(1), "mls.unsupported_sender"),
    (WireFormat.mls_public_message, NewMemberCommitSender(), BODIES["commit"], None),
    (WireFormat.mls_public_message, NewMemberCommitSender(), Remove(1), "mls.unsupported_sender"),
]


@pytest.mark.parametrize("wire_format, sender, body, reason", VALIDATION)
def test_validate_content(wire_format, sender, body, reason) -> None:
    ac = AuthenticatedContent(wire_format, content_with(sender, body), None)
    if reason is None:
        validate_content(ac, CONTEXT, {0, 1})
    else:
        assert reason_of(lambda: validate_content(ac, CONTEXT, {0, 1})) == reason


def test_validate_content_checks_group_and_epoch() -> None:
    ac = AuthenticatedContent(WireFormat.mls_public_message, content_with(MemberSender(1), Remove(0)), None)
    assert reason_of(lambda: validate_content(ac, CONTEXT.replace(epoch=8), {1})) == "mls.wrong_epoch"
    assert reason_of(lambda: validate_content(ac, CONTEXT.replace(group_id=b"g"), {1})) == "mls.wrong_group"
