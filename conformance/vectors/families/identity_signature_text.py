"""The text every signer of an identity update signs (XIP-46 "Signing text", facts §8).

Each case is one encoded ``xmtp.identity.associations.IdentityUpdate`` and the
exact text built from it: header, inbox id, the client timestamp as chrono
prints it (whole seconds, ``Z``, the u64 read as i64), one line pair per
action, footer. Signatures inside the update never enter the text; the
signed cases carry real ERC-191 and Ed25519ph signatures by deterministic
keys to show it. Updates whose text cannot be built are refused.

Questions: ``decide`` with ``inputs.update`` (the encoded IdentityUpdate, hex); the
answer is ``{result: valid, reason: null, outputs: {signature_text}}`` or
``{result: invalid, reason}``.
"""

from __future__ import annotations

import random

from pydantic import Field

from spec_model.mls.reasons import Rejected
from spec_model.xmtp.identity import (
    AddAssociation, ChangeRecoveryAddress, CreateInbox, IdentifierKind, IdentityAction, IdentityUpdate,
    MemberIdentifier, Passkey, RevokeAssociation, apply_update, decode_update, inbox_id, signature_text,
)
from spec_model.xmtp.identity_signing import (
    add_installation_update, add_wallet_update, change_recovery_update, create_inbox_update, installation_id,
    revoke_installation_update, revoke_wallet_update, signed_update,
)
from spec_model.xmtp.wallet import Wallet

from .. import case_id
from ..family import Exchange, Hex, decision_exchanges
from ..formats import DecisionCase, Expected, Verdict

FORMAT = "decision"
AREA = "identity signature text"
FAMILY = "identity_signature_text"
RULE = "XIP-46 Signing text; facts §8; libxmtp crates/xmtp_id/src/associations/unsigned_actions.rs signature_text"

W = [Wallet.random(random.Random(i).randbytes) for i in range(3)]      # deterministic wallets
I = [random.Random(100 + i).randbytes(32) for i in range(2)]          # installation seeds (Ed25519)
T0 = 1_700_000_000 * 10**9


def _case(name: str, update: IdentityUpdate | bytes, description: str, tags: list[str],
          rule: str = RULE) -> DecisionCase:
    data = update if isinstance(update, bytes) else update.encode()
    try:
        outputs, expected = {"signature_text": signature_text(decode_update(data))}, Expected(result=Verdict.VALID)
    except Rejected as e:
        outputs, expected = {}, Expected(result=Verdict.INVALID, reason=e.reason.value)
    return DecisionCase(id=case_id(FAMILY, name), description=description, rule=rule,
                        tags=["identity", "seed", "libxmtp", *tags], inputs={"update": data.hex()},
                        expected=expected, outputs=outputs)


def cases() -> list[DecisionCase]:
    created = apply_update(None, create_inbox_update(W[0], 0, T0, I[0]))
    with_wallet = apply_update(created, add_wallet_update(created, W[1], W[0], T0 + 10**9))
    owner, other, recovery = ("0x1234567890abcdef1234567890abcdef12345678",
                              "0x4567890abcdef1234567890abcdef12345678123",
                              "0x7890abcdef1234567890abcdef12345678123456")
    every_action = IdentityUpdate(inbox_id=inbox_id(owner, 0), client_timestamp_ns=12, actions=(
        IdentityAction(create_inbox=CreateInbox(initial_identifier=owner, nonce=0)),
        IdentityAction(add=AddAssociation(new_member_identifier=MemberIdentifier(ethereum_address=other))),
        IdentityAction(add=AddAssociation(new_member_identifier=MemberIdentifier(installation_public_key=b"\1\2\3"))),
        IdentityAction(revoke=RevokeAssociation(member_to_revoke=MemberIdentifier(ethereum_address=other))),
        IdentityAction(revoke=RevokeAssociation(member_to_revoke=MemberIdentifier(installation_public_key=b"\1\2\3"))),
        IdentityAction(change_recovery_address=ChangeRecoveryAddress(new_recovery_identifier=recovery)),
    ))
    passkey = MemberIdentifier(passkey=Passkey(key=bytes.fromhex("04aabb"), relying_party="xmtp.chat"))
    passkey_actions = IdentityUpdate(inbox_id=inbox_id(owner, 0), client_timestamp_ns=T0, actions=(
        IdentityAction(create_inbox=CreateInbox(initial_identifier="04AABB",
                                                initial_identifier_kind=IdentifierKind.PASSKEY)),
        IdentityAction(add=AddAssociation(new_member_identifier=passkey)),
        IdentityAction(revoke=RevokeAssociation(member_to_revoke=passkey)),
    ))
    checksummed = W[0].address[:2] + W[0].address[2:].upper()

    def at(timestamp_ns: int) -> IdentityUpdate:
        return IdentityUpdate(inbox_id=created.inbox_id, client_timestamp_ns=timestamp_ns, actions=(
            IdentityAction(add=AddAssociation(new_member_identifier=MemberIdentifier(ethereum_address=W[2].address))),))

    return [
        # ---------------------------------------------------------------- one signed action of each kind
        _case("create_inbox", create_inbox_update(W[0], 0, T0),
              "Given a CreateInbox of a wallet (nonce 0) signed by it, When the signature text is built, Then it "
              "lists '- Create inbox' with '(Owner: <lowercase address>)'", ["create_inbox"]),
        _case("create_inbox_nonce_7", create_inbox_update(W[1], 7, T0),
              "Given a CreateInbox with nonce 7, When the text is built, Then the nonce shows only through the "
              "inbox id line", ["create_inbox"]),
        _case("add_wallet", add_wallet_update(created, W[1], W[0], T0 + 10**9),
              "Given an AddAssociation of a wallet signed by it and a member wallet, When the text is built, Then "
              "it lists '- Link address to inbox' with '(Address: <address>)'", ["add_wallet"]),
        _case("add_installation", add_installation_update(created, I[1], W[0], T0 + 2 * 10**9),
              "Given an AddAssociation of an installation signed by its Ed25519ph key and a member wallet, When the "
              "text is built, Then it lists '- Grant messaging access to app' with '(ID: <public key hex>)'",
              ["add_installation"]),
        _case("revoke_wallet", revoke_wallet_update(with_wallet, W[1].address, W[0], T0 + 3 * 10**9),
              "Given a RevokeAssociation of a wallet signed by the recovery wallet, When the text is built, Then it "
              "lists '- Unlink address from inbox' with '(Address: <address>)'", ["revoke_wallet"]),
        _case("revoke_installation", revoke_installation_update(created, installation_id(I[0]), W[0], T0 + 4 * 10**9),
              "Given a RevokeAssociation of an installation signed by the recovery wallet, When the text is built, "
              "Then it lists '- Revoke messaging access from app' with '(ID: <public key hex>)'",
              ["revoke_installation"]),
        _case("change_recovery", change_recovery_update(created, W[0], W[2].address, T0 + 5 * 10**9),
              "Given a ChangeRecoveryAddress signed by the recovery wallet, When the text is built, Then it lists "
              "'- Change inbox recovery address' with '(Address: <new address>)'", ["change_recovery"]),
        # ---------------------------------------------------------------- several actions
        _case("register_identity", create_inbox_update(W[0], 0, T0, I[0]),
              "Given libxmtp's registration update (CreateInbox then AddAssociation of the first installation), "
              "When the text is built, Then both actions are listed in order under one header",
              ["multi_action", "create_inbox", "add_installation"]),
        _case("two_installations_one_update", signed_update(created.inbox_id, T0 + 6 * 10**9, lambda sign: [
            IdentityAction(add=AddAssociation(new_member_identifier=MemberIdentifier(installation_public_key=key),
                                              existing_member_signature=sign(W[0]), new_member_signature=sign(seed)))
            for seed, key in ((I[1], installation_id(I[1])), (I[0], installation_id(I[0])))]),
              "Given one update adding two installations, When the text is built, Then they are listed in the "
              "update's order, not sorted", ["multi_action", "add_installation"]),
        _case("every_action_unsigned", every_action,
              "Given libxmtp's unsigned_actions.rs test update with one action of each kind and no signatures, When "
              "the text is built, Then it is the text that test pins (signatures never enter the text)",
              ["multi_action", "unsigned"],
              rule=RULE + " (test create_signatures)"),
        _case("passkey_actions", passkey_actions,
              "Given passkey CreateInbox (key given in uppercase hex), Add and Revoke, When the text is built, Then "
              "the passkey is written as lowercase hex under 'Owner' and 'Passkey' labels",
              ["multi_action", "passkey"], rule=RULE + "; XIP-55 passkeys"),
        _case("no_actions", IdentityUpdate(inbox_id=created.inbox_id, client_timestamp_ns=T0),
              "Given an update without actions, When the text is built, Then the action list is empty between "
              "the blank lines", ["empty"]),
        # ---------------------------------------------------------------- timestamps
        _case("timestamp_zero", at(0),
              "Given client_timestamp_ns 0, When the text is built, Then the time is 1970-01-01T00:00:00Z",
              ["timestamp"]),
        _case("timestamp_floored_to_second", at(1_718_000_000_999_999_999),
              "Given a timestamp 1 ns before a whole second, When the text is built, Then the time is floored to "
              "the second (no fraction) and ends in Z", ["timestamp"]),
        _case("timestamp_i64_max", at(2**63 - 1),
              "Given the largest i64 nanosecond timestamp, When the text is built, Then the time is "
              "2262-04-11T23:47:16Z", ["timestamp"]),
        _case("timestamp_beyond_i64_wraps", at(2**64 - 1),
              "Given the u64 timestamp 2^64-1, When the text is built, Then chrono reads it as i64 -1 ns and the "
              "time is 1969-12-31T23:59:59Z", ["timestamp"]),
        _case("timestamp_i64_min_wraps", at(2**63),
              "Given the u64 timestamp 2^63, When the text is built, Then it is read as the i64 minimum and the "
              "time is 1677-09-21T00:12:43Z", ["timestamp"]),
        # ---------------------------------------------------------------- texts that cannot be built
        _case("checksummed_owner_refused", IdentityUpdate(inbox_id=created.inbox_id, client_timestamp_ns=T0, actions=(
            IdentityAction(create_inbox=CreateInbox(initial_identifier=checksummed,
                                                    initial_identifier_kind=IdentifierKind.ETHEREUM)),)),
              "Given a CreateInbox whose owner address has uppercase hex digits, When the text is built, Then the "
              "update is refused as an invalid identifier", ["create_inbox"],
              rule=RULE + "; facts §8 lowercase addresses; libxmtp member.rs"),
        _case("unknown_identifier_kind_refused", IdentityUpdate(
            inbox_id=created.inbox_id, client_timestamp_ns=T0, actions=(IdentityAction(
                change_recovery_address=ChangeRecoveryAddress(new_recovery_identifier=W[1].address,
                                                              new_recovery_identifier_kind=7)),)),
              "Given a ChangeRecoveryAddress with identifier kind 7, When the text is built, Then the update is "
              "refused as an invalid identifier", ["change_recovery"],
              rule=RULE + "; libxmtp member.rs Identifier::from_proto"),
        _case("action_without_kind_refused", IdentityUpdate(inbox_id=created.inbox_id, client_timestamp_ns=T0,
                                                            actions=(IdentityAction(),)),
              "Given an IdentityAction with no kind set, When the text is built, Then the update is refused as "
              "malformed", ["malformed"], rule=RULE + "; libxmtp serialization.rs"),
        _case("member_without_identifier_refused", IdentityUpdate(
            inbox_id=created.inbox_id, client_timestamp_ns=T0,
            actions=(IdentityAction(revoke=RevokeAssociation(member_to_revoke=MemberIdentifier())),)),
              "Given a RevokeAssociation whose MemberIdentifier has no kind, When the text is built, Then the "
              "update is refused as malformed", ["malformed"], rule=RULE + "; libxmtp serialization.rs"),
        _case("truncated_bytes_refused", create_inbox_update(W[0], 0, T0).encode()[:-3],
              "Given an encoded update cut 3 bytes short, When it is decoded, Then it is refused as malformed",
              ["malformed"], rule=RULE + "; libxmtp serialization.rs"),
    ]


def answer(question: dict) -> dict:
    """``decide``: the signature text of ``question["inputs"]["update"]``, or the reason it cannot be built."""
    try:
        text = signature_text(decode_update(bytes.fromhex(question["inputs"]["update"])))
    except Rejected as e:
        return {"result": Verdict.INVALID.value, "reason": e.reason.value}
    return {"result": Verdict.VALID.value, "reason": None, "outputs": {"signature_text": text}}

# ------------------------------------------------------------------ the questions and answers, typed (``family.py``)

class Inputs(Exchange):
    update: Hex = Field(description="an IdentityUpdate protobuf")


class Outputs(Exchange):
    signature_text: str = Field(description="the text every signature of the update signs")


EXCHANGES = decision_exchanges(Inputs, Outputs)
