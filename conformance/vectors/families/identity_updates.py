"""Association-state transitions of XIP-46 identity updates (facts §8, libxmtp association_log.rs).

Each case is an inbox's earlier updates (all valid, applied in order from no
state) and one new update. A valid new update yields the inbox's state: inbox
id, recovery identifier, wallets, installation ids and the number of distinct
signatures seen so far (the replay set). An invalid one is refused with its
``IdentityReason``. Every rule of ``spec_model/xmtp/identity.py`` has an
accepting and a rejecting case. Wallets sign ERC-191 (``personal_sign``),
installations Ed25519ph with context "IDENTITY UPDATE SIGNATURE"; all keys are
deterministic (seeded ``random.Random``), so the bytes never change.

``inputs.max_installations`` is the installation limit applied (libxmtp checks
MAX_INSTALLATIONS_PER_INBOX = 10 on the client before registering; ``null``
means no limit, as libxmtp's validators do).

Questions: ``decide`` with ``inputs: {previous_updates, update, max_installations}`` (IdentityUpdate
protobufs, hex); the answer is ``{result: valid, reason: null, outputs: {inbox_id, recovery_identifier,
wallets, installations, seen_signature_count}}`` (lists sorted, installation ids hex) or ``{result:
invalid, reason}``. An ``acceptable`` case admits either verdict (a refusal with the case's reason, if it
names one); when the model refuses it, an acceptance has no outputs to compare.
"""

from __future__ import annotations

import dataclasses
import random
from typing import Any, Callable

from pydantic import Field

from spec_model.mls.reasons import Rejected
from spec_model.xmtp.identity import (
    MAX_INSTALLATIONS, AddAssociation, AssociationState, CreateInbox, IdentifierKind, IdentityAction, IdentityUpdate,
    MemberId, RecoverableEcdsaSignature, Signature, SmartContractWalletSignature, apply_update, decode_update,
    inbox_id,
)
from spec_model.xmtp.identity_signing import (
    add_installation_update, add_wallet_update, change_recovery_update, create_inbox_update, installation_id,
    revoke_installation_update, revoke_wallet_update, signed_update,
)
from spec_model.xmtp.wallet import SECP256K1_N, Wallet

from .. import case_id
from ..family import Exchange, Hex, decision_exchanges
from ..formats import DecisionCase, Expected, Verdict
from ..questions import judge_decision

FORMAT = "decision"
AREA = "identity updates"
FAMILY = "identity_updates"
XIP = "XIP-46 Inbox log validation; libxmtp crates/xmtp_id/src/associations/association_log.rs"

W = [Wallet.random(random.Random(i).randbytes) for i in range(4)]      # W[0] creates the inbox
I = [random.Random(100 + i).randbytes(32) for i in range(12)]         # installation seeds
T0 = 1_700_000_000 * 10**9


def t(k: int) -> int:
    """A distinct whole-second timestamp, so every update has its own text."""
    return T0 + k * 10**9


def _outputs(state: AssociationState) -> dict:
    return {"inbox_id": state.inbox_id, "recovery_identifier": str(state.recovery),
            "wallets": sorted(state.wallets), "installations": sorted(i.hex() for i in state.installations),
            "seen_signature_count": len(state.seen_signatures)}


def answer(question: dict) -> dict:
    """``decide``: replay ``previous_updates`` from no state (each must be accepted), then apply ``update``."""
    inputs = question["inputs"]
    state = None
    try:
        for data in [*inputs["previous_updates"], inputs["update"]]:
            state = apply_update(state, decode_update(bytes.fromhex(data)),
                                 max_installations=inputs["max_installations"])
    except Rejected as e:
        return {"result": Verdict.INVALID.value, "reason": e.reason.value}
    return {"result": Verdict.VALID.value, "reason": None, "outputs": _outputs(state)}


def judge(case: DecisionCase, question: dict[str, Any], answer: dict[str, Any]) -> None:
    """The ``decide`` judgement; accepting an ``acceptable`` case the model refuses, no outputs are compared."""
    if case.expected.result == Verdict.ACCEPTABLE.value and not case.outputs:
        answer = {key: value for key, value in answer.items() if key != "outputs"}
    judge_decision(case.id, case.expected, case.outputs, answer)


def _case(name: str, description: str, rule: str, previous: list[IdentityUpdate], update: IdentityUpdate | bytes,
          tags: list[str], *, max_installations: int | None = MAX_INSTALLATIONS,
          flags: list[str] | None = None) -> DecisionCase:
    data = update if isinstance(update, bytes) else update.encode()
    inputs = {"previous_updates": [u.encode().hex() for u in previous], "update": data.hex(),
              "max_installations": max_installations}
    decided = answer({"ask": "decide", "inputs": inputs})
    expected = Expected(result=decided["result"], reason=decided["reason"])
    if flags:  # an implementation may decide either way; the model's verdict is kept in reason (if any)
        expected = Expected(result=Verdict.ACCEPTABLE, reason=expected.reason, flags=flags)
    return DecisionCase(
        id=case_id(FAMILY, name), description=description, rule=rule, tags=["identity", "seed", "libxmtp", *tags],
        inputs=inputs, expected=expected, outputs=decided.get("outputs", {}))


# ---------------------------------------------------------------------- building blocks

def _inst(k: int) -> MemberId:
    return MemberId.installation(installation_id(I[k]))


def _add(sign, k: int, signer, new_signer=None) -> IdentityAction:
    """AddAssociation of installation k, signed by ``new_signer`` (default: itself) and ``signer``."""
    return IdentityAction(add=AddAssociation(new_member_identifier=_inst(k).to_proto(),
                                             existing_member_signature=sign(signer),
                                             new_member_signature=sign(I[k] if new_signer is None else new_signer)))


def _create(identifier: str, signer, *, nonce: int = 0, kind: int = IdentifierKind.ETHEREUM,
            inbox: str | None = None) -> IdentityUpdate:
    return signed_update(inbox or inbox_id(W[0].address, nonce), t(0), lambda sign: [IdentityAction(
        create_inbox=CreateInbox(initial_identifier=identifier, nonce=nonce, initial_identifier_signature=sign(signer),
                                 initial_identifier_kind=kind))])


def _with_signature(update: IdentityUpdate, field: str, signature: Signature | None, index: int = 0) -> IdentityUpdate:
    """``update`` with one signature field of its ``index``-th action replaced."""
    action = update.actions[index]
    name = next(n for n in ("create_inbox", "add", "revoke", "change_recovery_address") if getattr(action, n))
    actions = list(update.actions)
    actions[index] = IdentityAction(**{name: dataclasses.replace(getattr(action, name), **{field: signature})})
    return dataclasses.replace(update, actions=tuple(actions))


def _ecdsa(update: IdentityUpdate, field: str, change: Callable[[bytes], bytes]) -> IdentityUpdate:
    """``update`` with the ERC-191 signature in ``field`` of its first (add) action rewritten by ``change``."""
    raw = getattr(update.actions[0].add, field).erc_191.bytes_
    return _with_signature(update, field, Signature(erc_191=RecoverableEcdsaSignature(bytes_=change(raw))))


def _v_alias(raw: bytes) -> bytes:
    """The same signature with the recovery byte written 0/1 instead of 27/28."""
    return raw[:64] + bytes((raw[64] - 27,))


def _high_s(raw: bytes) -> bytes:
    """The malleated copy (r, n - s, v): low-s normalisation maps it back to (r, s, v)."""
    s = int.from_bytes(raw[32:64], "big")
    return raw[:32] + (SECP256K1_N - s).to_bytes(32, "big") + raw[64:]


def cases() -> list[DecisionCase]:
    register = create_inbox_update(W[0], 0, t(0), I[0])
    created = apply_update(None, register)

    def after(*updates: IdentityUpdate) -> AssociationState:
        state = created
        for u in updates:
            state = apply_update(state, u, max_installations=None)
        return state

    add_w1 = add_wallet_update(created, W[1], W[0], t(1))
    add_i1 = add_installation_update(created, I[1], W[0], t(1))
    revoke_i1 = revoke_installation_update(created, installation_id(I[1]), W[0], t(2))
    readd_i1 = add_installation_update(created, I[1], W[0], t(3))
    # a tree: W0 adds W1, W1 adds I1 and W2
    tree = [register, add_w1, add_installation_update(created, I[1], W[1], t(2)),
            add_wallet_update(created, W[2], W[1], t(3))]
    nine_more = [add_installation_update(created, I[k], W[0], t(k)) for k in range(1, 10)]
    full = after(*nine_more)
    to_w3 = change_recovery_update(created, W[0], W[3].address, t(1))
    revoke_w0 = revoke_wallet_update(created, W[0].address, W[0], t(4))

    c = []
    # ------------------------------------------------------------------ CreateInbox
    c += [
        _case("create_inbox_with_installation",
              "Given no inbox, When W0 registers (CreateInbox nonce 0 then AddAssociation of I0 it signs, one ERC-191 "
              "signature serving both actions), Then the inbox holds W0 and I0, W0 is recovery, 2 signatures seen",
              XIP + " CreateInbox", [], register, ["create_inbox", "add_installation"]),
        _case("create_inbox_alone_nonce_7",
              "Given no inbox, When W1 creates an inbox with nonce 7, Then its id is sha256(address||'7') and W1 is "
              "its only member", XIP + " CreateInbox", [], create_inbox_update(W[1], 7, t(0)), ["create_inbox"]),
        _case("create_inbox_twice_refused",
              "Given W0's inbox, When W0 sends CreateInbox again (another timestamp), Then it is refused: an inbox "
              "is created once", XIP + " CreateInbox", [register], create_inbox_update(W[0], 0, t(1)),
              ["create_inbox"]),
        _case("create_inbox_twice_in_one_update_refused",
              "Given no inbox, When one update holds two CreateInbox actions, Then it is refused: only the first "
              "action of a log may create", XIP + " CreateInbox", [],
              signed_update(inbox_id(W[1].address, 0), t(1), lambda sign: [IdentityAction(create_inbox=CreateInbox(
                  initial_identifier=W[1].address, initial_identifier_signature=sign(W[1])))] * 2),
              ["create_inbox"]),
        _case("create_inbox_unspecified_kind_is_ethereum",
              "Given no inbox, When CreateInbox names W0 with IdentifierKind UNSPECIFIED and W0 signs, Then it is "
              "accepted as an Ethereum owner", XIP + " CreateInbox; libxmtp member.rs Identifier::from_proto", [],
              _create(W[0].address, W[0], kind=IdentifierKind.UNSPECIFIED), ["create_inbox"]),
        _case("create_inbox_signed_by_another_wallet_refused",
              "Given no inbox, When CreateInbox names W0 but W1 signs, Then it is refused: the initial identifier "
              "signs its own creation", XIP + " CreateInbox", [], _create(W[0].address, W[1]), ["create_inbox"]),
        _case("create_inbox_signed_by_installation_refused",
              "Given no inbox, When CreateInbox names W0 but an installation key signs, Then it is refused: an "
              "Ethereum identifier signs ERC-191", XIP + " CreateInbox; association_log.rs allowed_signature_for_kind",
              [], _create(W[0].address, I[0]), ["create_inbox", "signature_kind"]),
        _case("update_before_create_refused",
              "Given no inbox, When an AddAssociation arrives, Then it is refused: the inbox was never created",
              XIP, [], signed_update(inbox_id(W[0].address, 0), t(1), lambda sign: [_add(sign, 1, W[0])]),
              ["add_installation"]),
        _case("inbox_id_matches_nonce",
              "Given no inbox, When W0 creates with nonce 3 and the update names sha256(address||'3'), Then it is "
              "accepted", XIP + " Inbox IDs", [], _create(W[0].address, W[0], nonce=3), ["create_inbox"]),
        _case("inbox_id_mismatch_refused",
              "Given no inbox, When W0 creates with nonce 0 but the update names nonce 1's inbox id, Then it is "
              "refused: the update's inbox_id is the state's", XIP + " Inbox IDs", [],
              _create(W[0].address, W[0], inbox=inbox_id(W[0].address, 1)), ["create_inbox"]),
        _case("inbox_id_mismatch_on_existing_inbox_refused",
              "Given W0's inbox, When an AddAssociation names another inbox id but is validly signed, Then it is "
              "refused", XIP + " Inbox IDs", [register],
              signed_update(inbox_id(W[0].address, 1), t(1), lambda sign: [_add(sign, 1, W[0])]),
              ["add_installation"]),
    ]
    # ------------------------------------------------------------------ AddAssociation
    c += [
        _case("add_wallet_by_member_wallet",
              "Given W0's inbox, When W1 is added, signed by W1 and by member W0, Then W1 joins the wallets",
              XIP + " AddAssociation", [register], add_w1, ["add_wallet"]),
        _case("add_wallet_by_installation",
              "Given W0's inbox with I0, When W1 is added, signed by W1 and by installation I0, Then it is accepted "
              "(an installation may add a wallet)", XIP + " Allowed Associations", [register],
              add_wallet_update(created, W[1], I[0], t(1)), ["add_wallet"]),
        _case("add_installation_by_added_wallet",
              "Given W0's inbox where W0 added W1, When I1 is added by W1, Then I1 joins the installations",
              XIP + " AddAssociation", [register, add_w1], add_installation_update(created, I[1], W[1], t(2)),
              ["add_installation"]),
        _case("add_by_recovery_that_is_not_a_member",
              "Given W0's inbox from which W0 itself was revoked (W0 stays recovery), When I2 is added by W0, Then "
              "it is accepted: the recovery identifier may add", XIP + " AddAssociation",
              [register, revoke_w0], add_installation_update(created, I[2], W[0], t(5)), ["add_installation"]),
        _case("add_by_non_member_refused",
              "Given W0's inbox, When I1 is added signed by W3, who is neither member nor recovery, Then it is "
              "refused", XIP + " AddAssociation", [register], add_installation_update(created, I[1], W[3], t(1)),
              ["add_installation"]),
        _case("add_by_unknown_installation_refused",
              "Given W0's inbox, When W1 is added signed by installation I5, not a member, Then it is refused",
              XIP + " AddAssociation", [register], add_wallet_update(created, W[1], I[5], t(1)), ["add_wallet"]),
        _case("new_member_signed_by_another_key_refused",
              "Given W0's inbox, When I1 is added but I2's key signs as the new member, Then it is refused: the new "
              "member itself signs", XIP + " AddAssociation", [register],
              signed_update(created.inbox_id, t(1), lambda sign: [_add(sign, 1, W[0], new_signer=I[2])]),
              ["add_installation"]),
        _case("new_installation_signed_by_wallet_refused",
              "Given W0's inbox, When I1 is added but wallet W1 signs as the new member, Then it is refused: an "
              "installation signs with its installation key", XIP + " association_log.rs allowed_signature_for_kind",
              [register], signed_update(created.inbox_id, t(1), lambda sign: [_add(sign, 1, W[0], new_signer=W[1])]),
              ["add_installation", "signature_kind"]),
        _case("self_add_refused",
              "Given W0's inbox, When W0 adds W0 (signing both as new and existing member), Then it is refused",
              XIP + " association_log.rs", [register], add_wallet_update(created, W[0], W[0], t(1)), ["add_wallet"]),
        _case("installation_adds_installation_refused",
              "Given W0's inbox with I0, When I0 adds installation I1, Then it is refused: only a wallet adds "
              "installations", XIP + " Allowed Associations", [register],
              add_installation_update(created, I[1], I[0], t(1)), ["add_installation"]),
        _case("one_signature_serves_several_actions",
              "Given W0's inbox, When one update adds I1 and I2, W0's one signature serving both, Then both are "
              "added and 3 new signatures are seen", XIP + " seen_signatures", [register],
              signed_update(created.inbox_id, t(1), lambda sign: [_add(sign, k, W[0]) for k in (1, 2)]),
              ["add_installation", "multi_action"]),
        _case("rejected_action_refuses_whole_update",
              "Given W0's inbox, When one update adds I1 (by W0) and I2 (by non-member W3), Then the whole update "
              "is refused", XIP, [register],
              signed_update(created.inbox_id, t(1), lambda sign: [_add(sign, 1, W[0]), _add(sign, 2, W[3])]),
              ["add_installation", "multi_action"]),
    ]
    # ------------------------------------------------------------------ installation limit
    limit = "libxmtp xmtp_configuration common/mls.rs MAX_INSTALLATIONS_PER_INBOX (checked in xmtp_mls identity.rs)"
    c += [
        _case("tenth_installation_accepted",
              "Given W0's inbox with 9 installations, When a 10th is added, Then it is accepted", limit,
              [register, *nine_more[:-1]], nine_more[-1], ["add_installation", "installation_limit"]),
        _case("eleventh_installation_refused",
              "Given W0's inbox with 10 installations and the limit 10, When an 11th is added, Then it is refused",
              limit, [register, *nine_more], add_installation_update(full, I[10], W[0], t(10)),
              ["add_installation", "installation_limit"]),
        _case("eleventh_installation_without_limit",
              "Given W0's inbox with 10 installations and no limit (as libxmtp's validators), When an 11th is added, "
              "Then it is accepted", limit, [register, *nine_more], add_installation_update(full, I[10], W[0], t(10)),
              ["add_installation", "installation_limit"], max_installations=None),
        _case("readding_at_the_limit_accepted",
              "Given W0's inbox with 10 installations, When I5, already a member, is added again, Then it is "
              "accepted (no growth)", limit, [register, *nine_more],
              add_installation_update(full, I[5], W[0], t(11)), ["add_installation", "installation_limit"]),
    ]
    # ------------------------------------------------------------------ replay
    c += [
        _case("replayed_update_refused",
              "Given W0's inbox where I1 was added, When the same update is sent again, Then it is refused: its "
              "signatures were seen", XIP + " seen_signatures", [register, add_i1], add_i1,
              ["replay", "add_installation"]),
        _case("readd_after_revoke_with_new_signatures",
              "Given W0's inbox where I1 was added then revoked, When I1 is added again by a new update (new "
              "time, new signatures), Then it is accepted", XIP + " seen_signatures",
              [register, add_i1, revoke_i1], readd_i1, ["replay", "add_installation"]),
        _case("replayed_revoke_refused",
              "Given I1 added, revoked and re-added, When the old revoke is sent again, Then it is refused",
              XIP + " seen_signatures", [register, add_i1, revoke_i1, readd_i1], revoke_i1,
              ["replay", "revoke_installation"]),
        _case("replayed_registration_refused",
              "Given W0's inbox, When W0's registration update is replayed, Then it is refused as a second "
              "CreateInbox (the create rule is checked before the replay rule)", XIP + " CreateInbox",
              [register], register,
              ["replay", "create_inbox"]),
        _case("recovery_byte_0_1_accepted",
              "Given W0's inbox, When W1 is added with both ERC-191 signatures' v written as 0/1 instead of 27/28, "
              "Then it is accepted", "libxmtp verified_signature.rs from_recoverable_ecdsa", [register],
              _ecdsa(_ecdsa(add_w1, "new_member_signature", _v_alias), "existing_member_signature", _v_alias),
              ["add_wallet", "erc191"]),
        _case("high_s_copy_is_a_replay",
              "Given W0's inbox where W1 was added, When the update is resent with W0's signature malleated to "
              "(r, n-s, v), Then it is refused as a replay (low-s normalisation gives the seen signature)",
              "libxmtp signature.rs to_lower_s; XIP-46 seen_signatures", [register, add_w1],
              _ecdsa(add_w1, "existing_member_signature", _high_s), ["replay", "erc191"]),
        _case("recovery_byte_alias_replay",
              "Given W0's inbox where W1 was added, When the update is resent with both recovery bytes written 0/1, "
              "Then the model refuses it as a replay (one key per signature); libxmtp a53a97e keys by the bytes "
              "as sent and accepts it, adding nothing", "XIP-46 seen_signatures; libxmtp verified_signature.rs",
              [register, add_w1],
              _ecdsa(_ecdsa(add_w1, "new_member_signature", _v_alias), "existing_member_signature", _v_alias),
              ["replay", "erc191"], flags=["erc191_recovery_byte_alias"]),
    ]
    # ------------------------------------------------------------------ revoke
    tree_state = after(*tree[1:])
    c += [
        _case("revoke_installation_by_recovery",
              "Given W0's inbox with I0, When W0 (recovery) revokes I0, Then only W0 remains",
              XIP + " RevokeAssociation", [register],
              revoke_installation_update(created, installation_id(I[0]), W[0], t(1)), ["revoke_installation"]),
        _case("revoke_by_member_not_recovery_refused",
              "Given W0's inbox where W1 was added, When W1 (a member, not recovery) revokes I0, Then it is refused",
              XIP + " RevokeAssociation", [register, add_w1],
              revoke_installation_update(created, installation_id(I[0]), W[1], t(2)), ["revoke_installation"]),
        _case("revoke_by_installation_refused",
              "Given W0's inbox with I0, When I0 signs the revocation of itself, Then it is refused: only recovery "
              "revokes", XIP + " RevokeAssociation", [register],
              revoke_installation_update(created, installation_id(I[0]), I[0], t(2)), ["revoke_installation"]),
        _case("revoke_wallet_removes_its_installations",
              "Given W0 added W1, and W1 added I1 and W2, When recovery W0 revokes W1, Then W1 and I1 go and W2 "
              "stays (child installations are revoked, child wallets are not)",
              XIP + " RevokeAssociation (automatically revoked)", tree,
              revoke_wallet_update(tree_state, W[1].address, W[0], t(4)), ["revoke_wallet"]),
        _case("revoke_non_member_is_a_no_op",
              "Given W0's inbox, When recovery W0 revokes W3, never a member, Then members are unchanged and the "
              "signature is seen", XIP + " RevokeAssociation; libxmtp revocation is idempotent", [register],
              revoke_wallet_update(created, W[3].address, W[0], t(1)), ["revoke_wallet"]),
    ]
    # ------------------------------------------------------------------ change recovery
    changed = after(to_w3)
    c += [
        _case("change_recovery",
              "Given W0's inbox, When recovery W0 moves recovery to W3, Then W3 is recovery and members are "
              "unchanged", XIP + " ChangeRecoveryAddress", [register], to_w3, ["change_recovery"]),
        _case("change_recovery_by_member_refused",
              "Given W0's inbox where W1 was added, When W1 moves recovery to itself, Then it is refused",
              XIP + " ChangeRecoveryAddress", [register, add_w1], change_recovery_update(created, W[1], W[1].address,
                                                                                        t(2)), ["change_recovery"]),
        _case("old_recovery_cannot_revoke_refused",
              "Given recovery moved from W0 to W3, When W0 revokes I0, Then it is refused", XIP + " RevokeAssociation",
              [register, to_w3], revoke_installation_update(changed, installation_id(I[0]), W[0], t(2)),
              ["change_recovery", "revoke_installation"]),
        _case("new_recovery_revokes",
              "Given recovery moved from W0 to W3 (not a member), When W3 revokes I0, Then it is accepted",
              XIP + " RevokeAssociation", [register, to_w3],
              revoke_installation_update(changed, installation_id(I[0]), W[3], t(3)),
              ["change_recovery", "revoke_installation"]),
        _case("change_recovery_to_invalid_address_refused",
              "Given W0's inbox, When recovery is moved to '0xnope', Then it is refused as an invalid identifier",
              XIP + " ChangeRecoveryAddress; facts §8", [register],
              dataclasses.replace(to_w3, actions=(IdentityAction(change_recovery_address=dataclasses.replace(
                  to_w3.actions[0].change_recovery_address, new_recovery_identifier="0xnope")),)),
              ["change_recovery"]),
    ]
    # ------------------------------------------------------------------ signatures and encoding
    ed = add_i1.actions[0].add.new_member_signature.installation_key
    flipped = Signature(installation_key=dataclasses.replace(ed, bytes_=bytes([ed.bytes_[0] ^ 1]) + ed.bytes_[1:]))
    other_time = add_installation_update(created, I[1], W[0], t(2))
    c += [
        _case("flipped_installation_signature_refused",
              "Given W0's inbox, When I1 is added with one bit of its Ed25519ph signature flipped, Then the "
              "signature does not verify", XIP + " signature validation; RFC 8032 §5.1.7", [register],
              _with_signature(add_i1, "new_member_signature", flipped), ["signature", "add_installation"]),
        _case("installation_signature_of_another_text_refused",
              "Given W0's inbox, When I1's signature is taken from the same add at another timestamp, Then it does "
              "not verify over this update's text", XIP + " signature validation", [register],
              _with_signature(add_i1, "new_member_signature", other_time.actions[0].add.new_member_signature),
              ["signature", "add_installation"]),
        _case("bad_recovery_byte_refused",
              "Given W0's inbox, When W1 is added with W0's ERC-191 recovery byte 29, Then the signature is "
              "refused", "libxmtp verified_signature.rs from_recoverable_ecdsa", [register],
              _ecdsa(add_w1, "existing_member_signature", lambda raw: raw[:64] + b"\x1d"), ["signature", "erc191"]),
        _case("zero_r_refused",
              "Given W0's inbox, When W1 is added with W0's ERC-191 r = 0, Then the signature is refused",
              "libxmtp verified_signature.rs from_recoverable_ecdsa; SEC 1 §4.1.6", [register],
              _ecdsa(add_w1, "existing_member_signature", lambda raw: bytes(32) + raw[32:]), ["signature", "erc191"]),
        _case("smart_contract_signature_unsupported",
              "Given W0's inbox, When W1's new-member signature is an ERC-6492 smart-wallet signature, Then the model "
              "refuses it as unsupported (it needs an on-chain call)", "spec_model identity.py scope; XIP-46",
              [register], _with_signature(add_w1, "new_member_signature", Signature(
                  erc_6492=SmartContractWalletSignature(account_id="eip155:1:" + W[1].address, block_number=1,
                                                        signature=b"\1"))),
              ["signature", "model_scope"]),
        _case("missing_signature_refused",
              "Given W0's inbox, When I1 is added without a new-member signature, Then the update is malformed",
              "libxmtp serialization.rs", [register], _with_signature(add_i1, "new_member_signature", None),
              ["malformed"]),
        _case("undecodable_update_refused",
              "Given W0's inbox, When the update bytes are cut short, Then they are refused as malformed",
              "libxmtp serialization.rs", [register], add_i1.encode()[:-5], ["malformed"]),
        _case("empty_update_changes_nothing",
              "Given W0's inbox, When an update without actions names it, Then the state is unchanged",
              XIP, [register], IdentityUpdate(inbox_id=created.inbox_id, client_timestamp_ns=t(1)), ["empty"]),
    ]
    return c

# ------------------------------------------------------------------ the questions and answers, typed (``family.py``)

class Inputs(Exchange):
    previous_updates: list[Hex] = Field(description="the inbox's earlier IdentityUpdate protobufs, in order")
    update: Hex = Field(description="the IdentityUpdate protobuf to apply")
    max_installations: int | None = Field(description="the most installations an inbox may hold; null: no limit")


class Outputs(Exchange):
    inbox_id: str
    recovery_identifier: str
    wallets: list[str]
    installations: list[Hex]
    seen_signature_count: int


EXCHANGES = decision_exchanges(Inputs, Outputs)
