"""XIP-46 identity updates (spec_model/xmtp/identity.py) and ERC-191 wallets (spec_model/xmtp/wallet.py).

One accepting and one rejecting case per rule of facts sheet §8 / libxmtp association_log.rs, each
rejection checked by its ``IdentityReason`` and by the state being left as it was; the signature
texts written out in full; and a property over random add/revoke/replay sequences.
"""

from __future__ import annotations

import dataclasses
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spec_model.xmtp.identity import (
    AddAssociation, AssociationState, ChangeRecoveryAddress, CreateInbox, IdentifierKind, IdentityAction,
    IdentityReason, IdentityUpdate, LegacyDelegatedSignature, MemberId, MemberIdentifier, Passkey,
    RecoverableEcdsaSignature, RecoverableEd25519Signature, RecoverablePasskeySignature, Rejected, RevokeAssociation,
    Signature, SmartContractWalletSignature, apply_update, decode_update, inbox_id, signature_text,
)
from spec_model.xmtp.identity_log import IdentityLog
from spec_model.xmtp.identity_signing import (
    add_installation_update, add_wallet_update, change_recovery_update, create_inbox_update, installation_id,
    revoke_installation_update, revoke_wallet_update, signed_update,
)
from spec_model.xmtp.wallet import (
    SECP256K1_N, InvalidSignatureError, Wallet, address_of, erc191_replay_key, recover_erc191, sign_erc191,
)

W = [Wallet.random(random.Random(i).randbytes) for i in range(4)]      # W[0] creates the inbox
I = [random.Random(100 + i).randbytes(32) for i in range(12)]         # installation seeds
T0 = 1_700_000_000 * 10**9


def t(k: int) -> int:
    """A distinct whole-second timestamp, so every update has its own text."""
    return T0 + k * 10**9


def inst(k: int) -> MemberId:
    return MemberId.installation(installation_id(I[k]))


def wallet(k: int) -> MemberId:
    return MemberId.ethereum(W[k].address)


def _add(sign, k: int, signer) -> IdentityAction:
    """AddAssociation of installation k, signed by it and by ``signer``."""
    return IdentityAction(add=AddAssociation(new_member_identifier=inst(k).to_proto(),
                                             existing_member_signature=sign(signer), new_member_signature=sign(I[k])))


def apply_all(state, *updates):
    for update in updates:
        state = apply_update(state, update)
    return state


def rejects(state, update, reason, **kwargs):
    """``update`` is refused with ``reason`` and ``state`` is left equal to what it was."""
    snapshot = dataclasses.replace(state) if state is not None else None
    with pytest.raises(Rejected) as caught:
        apply_update(state, update, **kwargs)
    assert caught.value.reason is reason, caught.value
    assert state == snapshot
    return caught.value


@pytest.fixture(scope="module")
def created() -> AssociationState:
    """W0's inbox (nonce 0) with installation I0, registered in one update as libxmtp does."""
    return apply_update(None, create_inbox_update(W[0], 0, t(0), I[0]))


def parent(state: AssociationState, member: MemberId) -> MemberId | None:
    return state.get(member).added_by


# ====================================================================== protobuf field numbers

@pytest.mark.parametrize("message, wire", [
    (MemberIdentifier(ethereum_address="0x"), "0a023078"),
    (MemberIdentifier(installation_public_key=b"\1"), "120101"),
    (MemberIdentifier(passkey=Passkey(key=b"\2", relying_party="r")), "1a060a0102120172"),
    (Signature(erc_191=RecoverableEcdsaSignature(bytes_=b"\1")), "0a030a0101"),
    (Signature(erc_6492=SmartContractWalletSignature(account_id="a", block_number=2, signature=b"\3")),
     "12080a016110021a0103"),
    (Signature(installation_key=RecoverableEd25519Signature(bytes_=b"\1", public_key=b"\2")), "1a060a0101120102"),
    (Signature(delegated_erc_191=LegacyDelegatedSignature(signature=RecoverableEcdsaSignature(bytes_=b"\1"))),
     "220512030a0101"),
    (Signature(passkey=RecoverablePasskeySignature(public_key=b"\1", signature=b"\2", authenticator_data=b"\3",
                                                   client_data_json=b"\4")), "2a0c0a01011201021a0103220104"),
    (CreateInbox(initial_identifier="a", nonce=1, initial_identifier_signature=Signature(),
                 initial_identifier_kind=IdentifierKind.PASSKEY, relying_party=""), "0a016110011a0020022a00"),
    (AddAssociation(new_member_identifier=MemberIdentifier(), existing_member_signature=Signature(),
                    new_member_signature=Signature(), relying_party="x"), "0a0012001a00220178"),
    (RevokeAssociation(member_to_revoke=MemberIdentifier(), recovery_identifier_signature=Signature()), "0a001200"),
    (ChangeRecoveryAddress(new_recovery_identifier="a", existing_recovery_identifier_signature=Signature(),
                           new_recovery_identifier_kind=IdentifierKind.ETHEREUM, relying_party="b"),
     "0a016112001801220162"),
    (IdentityAction(create_inbox=CreateInbox()), "0a00"),
    (IdentityAction(add=AddAssociation()), "1200"),
    (IdentityAction(revoke=RevokeAssociation()), "1a00"),
    (IdentityAction(change_recovery_address=ChangeRecoveryAddress()), "2200"),
    (IdentityUpdate(actions=(IdentityAction(),), client_timestamp_ns=5, inbox_id="i"), "0a0010051a0169"),
])
def test_field_numbers_on_the_wire(message, wire):
    assert message.encode().hex() == wire
    assert type(message).decode(bytes.fromhex(wire)) == message


def test_signed_update_round_trips(created):
    update = add_wallet_update(created, W[1], I[0], t(1))
    assert decode_update(update.encode()) == update


def test_undecodable_update_is_malformed():
    with pytest.raises(Rejected) as caught:
        decode_update(b"\x0a\x05\x01")
    assert caught.value.reason is IdentityReason.MALFORMED_UPDATE


# ====================================================================== wallets (ERC-191)

def test_wallet_signs_and_recovers():
    signature = W[0].sign("hello")
    assert len(signature) == 65 and signature[64] in (27, 28)
    assert W[0].address == address_of(W[0].private_key) == W[0].address.lower()
    assert recover_erc191("hello", signature) == W[0].address
    assert recover_erc191("hello!", signature) != W[0].address
    assert sign_erc191(W[0].private_key, "hello") == signature


def test_wallet_random_is_deterministic_in_its_rng():
    assert Wallet.random(random.Random(7).randbytes) == Wallet.random(random.Random(7).randbytes)
    assert Wallet.random(random.Random(7).randbytes) != Wallet.random(random.Random(8).randbytes)


def test_recovery_byte_may_be_0_1_or_27_28():
    signature = W[0].sign("hello")
    zero_one = signature[:64] + bytes((signature[64] - 27,))
    assert recover_erc191("hello", zero_one) == W[0].address
    assert erc191_replay_key(zero_one) == erc191_replay_key(signature)
    for v in (2, 26, 29, 35, 255):
        with pytest.raises(InvalidSignatureError):
            recover_erc191("hello", signature[:64] + bytes((v,)))
    for bad in (signature[:64], signature + b"\0", bytes(32) + signature[32:]):
        with pytest.raises(InvalidSignatureError):
            recover_erc191("hello", bad)


def test_low_s_normalisation():
    signature = W[1].sign("text")
    r, s, v = signature[:32], int.from_bytes(signature[32:64], "big"), signature[64]
    assert s <= SECP256K1_N // 2                                        # eth-account signs low s
    high_s = (SECP256K1_N - s).to_bytes(32, "big")
    malleated = r + high_s + bytes((v,))                                # normalises back to the original
    assert recover_erc191("text", malleated) == W[1].address
    assert erc191_replay_key(malleated) == erc191_replay_key(signature)
    genuine_high_s = r + high_s + bytes((55 - v,))                      # valid ECDSA, but v is kept on normalising
    assert recover_erc191("text", genuine_high_s) != W[1].address


# ====================================================================== inbox id and signature text

def test_inbox_id_vector():
    expected = "fcd18d86276d7a99fe522dba9660c420f03c8648785ada7c5daae232a3df77a9"
    assert inbox_id("0x1234567890abcdef1234567890abcdef12345678", 0) == expected
    assert inbox_id("0x1234567890ABCDEF1234567890abcdef12345678", 0) == expected
    assert inbox_id("0x1234567890abcdef1234567890abcdef12345678", 1) != expected


@pytest.mark.parametrize("address", ["1234567890abcdef1234567890abcdef12345678", "0x1234", "0x" + "g" * 40])
def test_inbox_id_needs_an_address(address):
    with pytest.raises(Rejected) as caught:
        inbox_id(address, 0)
    assert caught.value.reason is IdentityReason.INVALID_IDENTIFIER


def test_signature_text_of_every_wallet_and_installation_action():
    # libxmtp unsigned_actions.rs test `create_signatures`, rebuilt from protobuf messages
    owner, other, recovery = ("0x1234567890abcdef1234567890abcdef12345678",
                              "0x4567890abcdef1234567890abcdef12345678123",
                              "0x7890abcdef1234567890abcdef12345678123456")
    update = IdentityUpdate(inbox_id=inbox_id(owner, 0), client_timestamp_ns=12, actions=(
        IdentityAction(create_inbox=CreateInbox(initial_identifier=owner, nonce=0)),
        IdentityAction(add=AddAssociation(new_member_identifier=MemberIdentifier(ethereum_address=other))),
        IdentityAction(add=AddAssociation(new_member_identifier=MemberIdentifier(installation_public_key=b"\1\2\3"))),
        IdentityAction(revoke=RevokeAssociation(member_to_revoke=MemberIdentifier(ethereum_address=other))),
        IdentityAction(revoke=RevokeAssociation(member_to_revoke=MemberIdentifier(installation_public_key=b"\1\2\3"))),
        IdentityAction(change_recovery_address=ChangeRecoveryAddress(new_recovery_identifier=recovery)),
    ))
    assert signature_text(update) == """XMTP : Authenticate to inbox

Inbox ID: fcd18d86276d7a99fe522dba9660c420f03c8648785ada7c5daae232a3df77a9
Current time: 1970-01-01T00:00:00Z

- Create inbox
  (Owner: 0x1234567890abcdef1234567890abcdef12345678)
- Link address to inbox
  (Address: 0x4567890abcdef1234567890abcdef12345678123)
- Grant messaging access to app
  (ID: 010203)
- Unlink address from inbox
  (Address: 0x4567890abcdef1234567890abcdef12345678123)
- Revoke messaging access from app
  (ID: 010203)
- Change inbox recovery address
  (Address: 0x7890abcdef1234567890abcdef12345678123456)

For more info: https://xmtp.org/signatures"""


def test_signature_text_of_passkey_actions():
    passkey = MemberIdentifier(passkey=Passkey(key=bytes.fromhex("04aabb"), relying_party="xmtp.chat"))
    update = IdentityUpdate(inbox_id="x", client_timestamp_ns=1_718_000_000_999_999_999, actions=(
        IdentityAction(add=AddAssociation(new_member_identifier=passkey)),
        IdentityAction(revoke=RevokeAssociation(member_to_revoke=passkey)),
        IdentityAction(create_inbox=CreateInbox(initial_identifier="04AABB",
                                                initial_identifier_kind=IdentifierKind.PASSKEY)),
    ))
    assert signature_text(update) == """XMTP : Authenticate to inbox

Inbox ID: x
Current time: 2024-06-10T06:13:20Z

- Link passkey to inbox
  (Passkey: 04aabb)
- Unlink passkey from inbox
  (Passkey: 04aabb)
- Create inbox
  (Owner: 04aabb)

For more info: https://xmtp.org/signatures"""


def test_signature_text_without_actions_and_timestamp_beyond_i64():
    # chrono reads the u64 as i64: 2^64 - 1 ns is -1 ns, floored to the second before the epoch
    assert signature_text(IdentityUpdate(inbox_id="i", client_timestamp_ns=2**64 - 1)) == (
        "XMTP : Authenticate to inbox\n\nInbox ID: i\nCurrent time: 1969-12-31T23:59:59Z\n\n\n\n"
        "For more info: https://xmtp.org/signatures")


def test_signature_text_ignores_signatures(created):
    update = add_installation_update(created, I[1], W[0], t(1))
    stripped = IdentityUpdate(inbox_id=update.inbox_id, client_timestamp_ns=update.client_timestamp_ns, actions=(
        IdentityAction(add=AddAssociation(new_member_identifier=inst(1).to_proto())),))
    assert signature_text(update) == signature_text(stripped)


# ====================================================================== CreateInbox

def test_create_inbox_with_installation(created):
    assert created.inbox_id == inbox_id(W[0].address, 0)
    assert created.recovery == wallet(0)
    assert created.member_ids == {wallet(0), inst(0)}
    assert parent(created, wallet(0)) is None and parent(created, inst(0)) == wallet(0)
    assert created.installations == {installation_id(I[0])} and created.wallets == {W[0].address}
    assert len(created.seen_signatures) == 2      # the wallet's one signature serves both actions


def test_create_inbox_alone_and_with_another_nonce():
    state = apply_update(None, create_inbox_update(W[1], 7, t(0)))
    assert state.inbox_id == inbox_id(W[1].address, 7) and state.member_ids == {wallet(1)}


def test_create_inbox_only_once(created):
    rejects(created, create_inbox_update(W[0], 0, t(1)), IdentityReason.MULTIPLE_CREATE)
    rejects(created, create_inbox_update(W[0], 1, t(1)), IdentityReason.MULTIPLE_CREATE)
    twice = signed_update(inbox_id(W[1].address, 0), t(1), lambda sign: [
        IdentityAction(create_inbox=CreateInbox(initial_identifier=W[1].address,
                                                initial_identifier_signature=sign(W[1])))
    ] * 2)
    rejects(None, twice, IdentityReason.MULTIPLE_CREATE)


def _create(identifier: str, signer, nonce: int = 0, kind=IdentifierKind.ETHEREUM, inbox: str | None = None):
    return signed_update(inbox or inbox_id(W[0].address, nonce), t(0), lambda sign: [IdentityAction(
        create_inbox=CreateInbox(initial_identifier=identifier, nonce=nonce, initial_identifier_signature=sign(signer),
                                 initial_identifier_kind=kind))])


def test_create_inbox_signed_by_the_initial_identifier():
    assert apply_update(None, _create(W[0].address, W[0], kind=IdentifierKind.UNSPECIFIED)).recovery == wallet(0)
    rejects(None, _create(W[0].address, W[1]), IdentityReason.INITIAL_SIGNER_MISMATCH)


def test_create_inbox_signature_kind_must_match_identifier_kind():
    rejects(None, _create(W[0].address, I[0]), IdentityReason.SIGNATURE_KIND_MISMATCH)


def _unsigned_create(identifier: str, kind=IdentifierKind.ETHEREUM) -> IdentityUpdate:
    """A CreateInbox that has no valid text, so it cannot be signed: its signature is any ECDSA one."""
    signature = Signature(erc_191=RecoverableEcdsaSignature(bytes_=W[0].sign("anything")))
    return IdentityUpdate(inbox_id=inbox_id(W[0].address, 0), client_timestamp_ns=t(0), actions=(IdentityAction(
        create_inbox=CreateInbox(initial_identifier=identifier, initial_identifier_signature=signature,
                                 initial_identifier_kind=kind)),))


def test_create_inbox_identifier_must_be_a_lowercase_address():
    assert apply_update(None, _create(W[0].address, W[0])).member_ids == {wallet(0)}
    checksummed = W[0].address[:2] + W[0].address[2:].upper()
    rejects(None, _unsigned_create(checksummed), IdentityReason.INVALID_IDENTIFIER)
    rejects(None, _unsigned_create(W[0].address, kind=7), IdentityReason.INVALID_IDENTIFIER)
    rejects(None, _unsigned_create("zz", kind=IdentifierKind.PASSKEY), IdentityReason.INVALID_IDENTIFIER)


def test_inbox_id_must_match():
    assert apply_update(None, _create(W[0].address, W[0], inbox=inbox_id(W[0].address, 0)))
    rejects(None, _create(W[0].address, W[0], inbox=inbox_id(W[0].address, 1)), IdentityReason.WRONG_INBOX_ID)


def test_update_without_create():
    add = signed_update(inbox_id(W[0].address, 0), t(1), lambda sign: [_add(sign, 1, W[0])])
    rejects(None, add, IdentityReason.NOT_CREATED)
    rejects(None, IdentityUpdate(inbox_id="x"), IdentityReason.NOT_CREATED)


def test_empty_update_on_an_inbox_changes_nothing(created):
    assert apply_update(created, IdentityUpdate(inbox_id=created.inbox_id, client_timestamp_ns=t(1))) == created


# ====================================================================== signatures

def _with_signature(update: IdentityUpdate, field: str, signature: Signature, index: int = 0) -> IdentityUpdate:
    """``update`` with one signature field of its ``index``-th action replaced."""
    action = update.actions[index]
    name = next(n for n in ("create_inbox", "add", "revoke", "change_recovery_address") if getattr(action, n))
    body = dataclasses.replace(getattr(action, name), **{field: signature})
    actions = list(update.actions)
    actions[index] = IdentityAction(**{name: body})
    return dataclasses.replace(update, actions=tuple(actions))


def test_invalid_signatures(created):
    update = add_installation_update(created, I[1], W[0], t(1))
    assert apply_update(created, update).installations == {installation_id(I[0]), installation_id(I[1])}
    ed = update.actions[0].add.new_member_signature.installation_key
    flipped = Signature(installation_key=dataclasses.replace(ed, bytes_=bytes([ed.bytes_[0] ^ 1]) + ed.bytes_[1:]))
    rejects(created, _with_signature(update, "new_member_signature", flipped), IdentityReason.INVALID_SIGNATURE)
    ecdsa = update.actions[0].add.existing_member_signature.erc_191.bytes_
    bad_v = Signature(erc_191=RecoverableEcdsaSignature(bytes_=ecdsa[:64] + b"\x1d"))
    rejects(created, _with_signature(update, "existing_member_signature", bad_v), IdentityReason.INVALID_SIGNATURE)


def test_installation_signature_must_be_over_this_text(created):
    other = add_installation_update(created, I[1], W[0], t(2))          # same action, other timestamp
    update = add_installation_update(created, I[1], W[0], t(1))
    moved = _with_signature(update, "new_member_signature", other.actions[0].add.new_member_signature)
    rejects(created, moved, IdentityReason.INVALID_SIGNATURE)


@pytest.mark.parametrize("signature", [
    Signature(erc_6492=SmartContractWalletSignature(account_id="eip155:1:0x00", block_number=1, signature=b"\1")),
    Signature(delegated_erc_191=LegacyDelegatedSignature(signature=RecoverableEcdsaSignature(bytes_=bytes(65)))),
])
def test_smart_contract_and_legacy_signatures_are_out_of_scope(created, signature):
    update = add_wallet_update(created, W[1], W[0], t(1))
    assert apply_update(created, update).wallets == {W[0].address, W[1].address}
    rejects(created, _with_signature(update, "new_member_signature", signature),
            IdentityReason.UNSUPPORTED_SIGNATURE_KIND)


def test_passkey_signatures_are_out_of_scope():
    passkey = Signature(passkey=RecoverablePasskeySignature(public_key=b"\4" * 65, signature=b"\0" * 70))
    update = signed_update(inbox_id(MemberId.passkey(b"\4" * 65), 0), t(0), lambda sign: [IdentityAction(
        create_inbox=CreateInbox(initial_identifier=(b"\4" * 65).hex(), initial_identifier_signature=passkey,
                                 initial_identifier_kind=IdentifierKind.PASSKEY))])
    rejects(None, update, IdentityReason.UNSUPPORTED_SIGNATURE_KIND)


def test_malformed_actions(created):
    update = add_installation_update(created, I[1], W[0], t(1))
    rejects(created, dataclasses.replace(update, actions=(IdentityAction(),)), IdentityReason.MALFORMED_UPDATE)
    rejects(created, _with_signature(update, "new_member_signature", None), IdentityReason.MALFORMED_UPDATE)
    rejects(created, _with_signature(update, "existing_member_signature", Signature()),
            IdentityReason.MALFORMED_UPDATE)
    no_kind = IdentityAction(add=dataclasses.replace(update.actions[0].add, new_member_identifier=MemberIdentifier()))
    rejects(created, dataclasses.replace(update, actions=(no_kind,)), IdentityReason.MALFORMED_UPDATE)


# ====================================================================== AddAssociation

def test_add_by_wallet_installation_or_recovery(created):
    state = apply_all(created,
                      add_wallet_update(created, W[1], I[0], t(1)),           # installation adds a wallet
                      add_installation_update(created, I[1], W[1], t(2)),     # that wallet adds an installation
                      add_wallet_update(created, W[2], W[1], t(3)))           # wallet adds wallet
    assert parent(state, wallet(1)) == inst(0)
    assert parent(state, inst(1)) == wallet(1) and state.get(inst(1)).client_timestamp_ns == t(2)
    assert parent(state, wallet(2)) == wallet(1)
    # the recovery wallet adds even when it is no longer a member
    state = apply_all(state, revoke_wallet_update(state, W[0].address, W[0], t(4)),
                      add_installation_update(state, I[2], W[0], t(5)))
    assert wallet(0) not in state.member_ids and parent(state, inst(2)) == wallet(0)


def test_new_member_must_sign(created):
    update = signed_update(created.inbox_id, t(1), lambda sign: [IdentityAction(add=AddAssociation(
        new_member_identifier=inst(1).to_proto(), existing_member_signature=sign(W[0]),
        new_member_signature=sign(I[2])))])
    rejects(created, update, IdentityReason.NEW_MEMBER_SIGNER_MISMATCH)


def test_new_member_signature_kind_must_match_member_kind(created):
    update = signed_update(created.inbox_id, t(1), lambda sign: [IdentityAction(add=AddAssociation(
        new_member_identifier=inst(1).to_proto(), existing_member_signature=sign(W[0]),
        new_member_signature=sign(W[1])))])
    rejects(created, update, IdentityReason.SIGNATURE_KIND_MISMATCH)


def test_no_self_add(created):
    rejects(created, add_wallet_update(created, W[0], W[0], t(1)), IdentityReason.SELF_ADD)


def test_existing_signer_must_be_member_or_recovery(created):
    rejects(created, add_installation_update(created, I[1], W[3], t(1)), IdentityReason.SIGNER_NOT_MEMBER)
    rejects(created, add_wallet_update(created, W[1], I[5], t(1)), IdentityReason.SIGNER_NOT_MEMBER)


def test_installation_cannot_add_installation(created):
    rejects(created, add_installation_update(created, I[1], I[0], t(1)), IdentityReason.INSTALLATION_ADDS_INSTALLATION)


def test_at_most_ten_installations(created):
    state = apply_all(created, *(add_installation_update(created, I[k], W[0], t(k)) for k in range(1, 10)))
    assert len(state.installations) == 10
    eleventh = add_installation_update(state, I[10], W[0], t(10))
    rejects(state, eleventh, IdentityReason.TOO_MANY_INSTALLATIONS)
    assert len(apply_update(state, eleventh, max_installations=None).installations) == 11
    again = apply_update(state, add_installation_update(state, I[5], W[0], t(11)))    # re-adding is no growth
    assert len(again.installations) == 10 and again.get(inst(5)).client_timestamp_ns == t(11)


# ====================================================================== replay

def test_replayed_update_is_rejected(created):
    add = add_installation_update(created, I[1], W[0], t(1))
    state = apply_update(created, add)
    rejects(state, add, IdentityReason.REPLAYED_SIGNATURE)
    revoke = revoke_installation_update(state, installation_id(I[1]), W[0], t(2))
    state = apply_all(state, revoke, add_installation_update(state, I[1], W[0], t(3)))   # revoke, then re-add
    assert installation_id(I[1]) in state.installations
    rejects(state, revoke, IdentityReason.REPLAYED_SIGNATURE)


def test_replay_through_a_recovery_byte_alias_is_rejected(created):
    add = add_wallet_update(created, W[1], W[0], t(1))                     # two ERC-191 signatures
    state = apply_update(created, add)
    aliased = add
    for field in ("new_member_signature", "existing_member_signature"):
        raw = getattr(aliased.actions[0].add, field).erc_191.bytes_
        alias = Signature(erc_191=RecoverableEcdsaSignature(bytes_=raw[:64] + bytes((raw[64] - 27,))))
        aliased = _with_signature(aliased, field, alias)
    assert aliased != add
    rejects(state, aliased, IdentityReason.REPLAYED_SIGNATURE)


def test_one_signature_may_serve_several_actions_of_one_update(created):
    both = signed_update(created.inbox_id, t(1), lambda sign: [_add(sign, k, W[0]) for k in (1, 2)])
    assert len(apply_update(created, both).installations) == 3


# ====================================================================== RevokeAssociation

def test_revoke_by_recovery(created):
    state = apply_update(created, revoke_installation_update(created, installation_id(I[0]), W[0], t(1)))
    assert state.member_ids == {wallet(0)}


def test_revoke_removes_child_installations_not_child_wallets(created):
    state = apply_all(created,
                      add_wallet_update(created, W[1], W[0], t(1)),
                      add_installation_update(created, I[1], W[1], t(2)),
                      add_wallet_update(created, W[2], W[1], t(3)))
    after = apply_update(state, revoke_wallet_update(state, W[1].address, W[0], t(4)))
    assert after.member_ids == {wallet(0), inst(0), wallet(2)}
    assert state.diff(after).removed_installations == {installation_id(I[1])}


def test_revoking_a_non_member_is_a_no_op(created):
    state = apply_update(created, revoke_wallet_update(created, W[3].address, W[0], t(1)))
    assert state.members == created.members and len(state.seen_signatures) == 3


def test_revoke_needs_the_recovery_signature(created):
    state = apply_update(created, add_wallet_update(created, W[1], W[0], t(1)))
    rejects(state, revoke_installation_update(state, installation_id(I[0]), W[1], t(2)),
            IdentityReason.NOT_RECOVERY_SIGNER)
    rejects(state, revoke_installation_update(state, installation_id(I[0]), I[0], t(2)),
            IdentityReason.NOT_RECOVERY_SIGNER)


# ====================================================================== ChangeRecoveryAddress

def test_change_recovery(created):
    state = apply_update(created, change_recovery_update(created, W[0], W[3].address, t(1)))
    assert state.recovery == wallet(3) and state.members == created.members
    rejects(state, revoke_installation_update(state, installation_id(I[0]), W[0], t(2)),
            IdentityReason.NOT_RECOVERY_SIGNER)
    state = apply_all(state, revoke_installation_update(state, installation_id(I[0]), W[3], t(3)),
                      add_installation_update(state, I[4], W[3], t(4)))      # recovery adds without being a member
    assert state.installations == {installation_id(I[4])} and parent(state, inst(4)) == wallet(3)


def test_change_recovery_needs_the_recovery_signature(created):
    state = apply_update(created, add_wallet_update(created, W[1], W[0], t(1)))
    rejects(state, change_recovery_update(state, W[1], W[1].address, t(2)), IdentityReason.NOT_RECOVERY_SIGNER)


def test_change_recovery_to_an_invalid_address(created):
    valid = change_recovery_update(created, W[0], W[1].address, t(1))
    assert apply_update(created, valid).recovery == wallet(1)
    body = dataclasses.replace(valid.actions[0].change_recovery_address, new_recovery_identifier="0xnope")
    invalid = dataclasses.replace(valid, actions=(IdentityAction(change_recovery_address=body),))
    rejects(created, invalid, IdentityReason.INVALID_IDENTIFIER)


# ====================================================================== atomicity, diff, log

def test_a_rejected_update_leaves_nothing_behind(created):
    def good(sign):
        return _add(sign, 1, W[0])

    def bad(sign):
        return _add(sign, 2, W[3])                                          # W3 is not a member
    rejects(created, signed_update(created.inbox_id, t(1), lambda sign: [good(sign), bad(sign)]),
            IdentityReason.SIGNER_NOT_MEMBER)
    # nothing of it was marked seen: the good half alone still applies
    assert installation_id(I[1]) in apply_update(created, signed_update(created.inbox_id, t(1),
                                                                        lambda sign: [good(sign)])).installations


def test_diff(created):
    state = apply_all(created, add_installation_update(created, I[1], W[0], t(1)),
                      revoke_installation_update(created, installation_id(I[0]), W[0], t(2)),
                      add_wallet_update(created, W[1], W[0], t(3)))
    diff = created.diff(state)
    assert diff.new_members == {inst(1), wallet(1)} and diff.removed_members == {inst(0)}
    assert diff.new_installations == {installation_id(I[1])}
    assert diff.removed_installations == {installation_id(I[0])}
    assert state.diff(state).new_members == frozenset()


def test_identity_log():
    log = IdentityLog()
    first = create_inbox_update(W[0], 0, t(0), I[0])
    inbox = first.inbox_id
    assert log.publish(first) == 1
    s1 = log.state_at(inbox, 1)
    assert log.publish(add_installation_update(s1, I[1], W[0], t(1))) == 2
    assert log.publish(create_inbox_update(W[1], 0, t(2))) == 1            # numbered per inbox
    with pytest.raises(Rejected) as caught:
        log.publish(add_installation_update(s1, I[1], W[0], t(1)))        # refused: not appended
    assert caught.value.reason is IdentityReason.REPLAYED_SIGNATURE
    assert log.latest_sequence_id(inbox) == 2
    assert log.state_at(inbox, 0) == log.state_at(inbox, 2) != s1
    assert s1.diff(log.state_at(inbox)).new_installations == {installation_id(I[1])}
    assert [e.sequence_id for e in log.updates(inbox)] == [1, 2] and len(log.updates(inbox, after=1)) == 1
    for bad_inbox, seq in ((inbox, 3), ("unknown", 0), ("unknown", 1)):
        with pytest.raises(Rejected) as caught:
            log.state_at(bad_inbox, seq)
        assert caught.value.reason is IdentityReason.MISSING_IDENTITY_UPDATE


# ====================================================================== property

OPS = st.lists(st.one_of(
    st.tuples(st.just("add_installation"), st.integers(0, 11), st.integers(0, 3)),   # (installation, signer wallet)
    st.tuples(st.just("add_wallet"), st.integers(1, 3), st.integers(-4, 11)),        # (wallet, signer W[-b-1] or I[b])
    st.tuples(st.just("revoke_installation"), st.integers(0, 11), st.just(0)),
    st.tuples(st.just("revoke_wallet"), st.integers(0, 3), st.just(0)),
    st.tuples(st.just("replay"), st.integers(0, 1000), st.just(0)),
), max_size=14)


@given(OPS)
def test_random_sequences_keep_the_invariants(ops):
    state = apply_update(None, create_inbox_update(W[0], 0, t(0), I[0]))
    accepted = [create_inbox_update(W[0], 0, t(0), I[0])]
    for step, (op, a, b) in enumerate(ops, start=1):
        ts = t(step)
        if op == "add_installation":
            update = add_installation_update(state, I[a], W[b], ts)
        elif op == "add_wallet":
            update = add_wallet_update(state, W[a], W[-b - 1] if b < 0 else I[b], ts)   # wallet or installation signs
        elif op == "revoke_installation":
            update = revoke_installation_update(state, installation_id(I[a]), W[0], ts)
        elif op == "revoke_wallet":
            update = revoke_wallet_update(state, W[a].address, W[0], ts)
        else:
            update = accepted[a % len(accepted)]
        before = state
        try:
            state = apply_update(state, update)
        except Rejected as e:
            assert state == before                                              # untouched
            if op == "replay":
                assert e.reason in (IdentityReason.REPLAYED_SIGNATURE, IdentityReason.MULTIPLE_CREATE)
            continue
        assert op != "replay", "a replayed update was accepted"
        accepted.append(update)
        assert before.seen_signatures < state.seen_signatures
        assert len(state.installations) <= 10
        assert state.recovery == wallet(0)
        for member in state.members:
            if member.id.kind == "installation":
                assert member.added_by in state.member_ids | {state.recovery}
                assert member.added_by.kind != "installation"
