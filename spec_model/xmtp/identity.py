"""XIP-46 multi-wallet identity: identity updates, their signature text, the association state.

Theory of operation
-------------------
An inbox is a log of ``IdentityUpdate`` messages (package
``xmtp.identity.associations``; field numbers from docs/xmtp-facts.md §8). Replaying
the log with ``apply_update`` yields an ``AssociationState``: the inbox id,
the recovery identifier, the members (wallets and installations, each with
the member that added it) and the signatures already used. States are
immutable values; a failed update raises ``Rejected(IdentityReason.X)`` and
the caller keeps the state it passed in. The log itself and an inbox's state
at a sequence id are in ``identity_log.py``; building and signing updates in
``identity_signing.py``.

``apply_update`` follows libxmtp ``crates/xmtp_id/src/associations`` at HEAD
a53a97e (``association_log.rs``), as docs/xmtp-facts.md §8 describes:

1. the update is parsed and its one signature text is built (``signature_text``);
2. every signature in it is checked against that text (libxmtp verifies the
   whole update before applying any action);
3. the actions are applied in order, each to the state the previous one left;
4. the final state's inbox id must equal ``update.inbox_id``; then every
   signature of the update joins ``seen_signatures`` (so one signature may
   serve several actions of one update, but never a later update).

Scope: ERC-191 wallet signatures (``wallet.py``) and installation-key
signatures (Ed25519ph, ``ed25519ph.py``) are verified. ERC-6492/1271 needs
an on-chain call, passkeys a WebAuthn check and the legacy delegated form
the XMTP V2 key format; all three are decoded and then refused with
``UNSUPPORTED_SIGNATURE_KIND``. The libxmtp rules that concern only those
kinds (legacy only with nonce 0 and never from the recovery identifier,
smart-wallet chain id must not change) therefore never come into play.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import hashlib
from typing import NamedTuple

from spec_model.mls.reasons import Rejected, reason_codes
from spec_model.mls.suites import InvalidSignatureError

from . import ed25519ph
from .proto import BYTES, STRING, UINT64, Annotated, DecodeError, EnumKind, Field, Message, MessageKind, decode_shared
from .wallet import erc191_replay_key, is_address, recover_erc191

__all__ = [
    "MAX_INSTALLATIONS", "IdentityReason", "Rejected",
    # protobuf messages
    "IdentifierKind", "RecoverableEcdsaSignature", "SmartContractWalletSignature",
    "RecoverableEd25519Signature", "LegacySignedPublicKey", "LegacyDelegatedSignature",
    "RecoverablePasskeySignature", "Signature", "Passkey", "MemberIdentifier", "CreateInbox",
    "AddAssociation", "RevokeAssociation", "ChangeRecoveryAddress", "IdentityAction", "IdentityUpdate",
    # model
    "MemberKind", "MemberId", "Member", "SignatureKind", "VerifiedSignature", "AssociationState",
    "StateDiff", "inbox_id", "signature_text", "verify_signature", "decode_update", "apply_update",
]

MAX_INSTALLATIONS = 10
"""libxmtp crates/xmtp_configuration/src/common/mls.rs ``MAX_INSTALLATIONS_PER_INBOX``.

libxmtp checks it only on the client, before registering a new installation
(``xmtp_mls/src/identity.rs``); no validator refuses an update for it. This
model refuses an installation add beyond it unless ``apply_update`` is called
with ``max_installations=None``.
"""


@reason_codes("identity")
class IdentityReason(enum.StrEnum):
    """XIP-46, libxmtp association_log.rs ``AssociationError``: why an update is refused, one member per rule."""

    MALFORMED_UPDATE = "identity.malformed_update"
    """libxmtp serialization.rs: the bytes do not decode, or a required action, identifier or signature is missing."""
    INVALID_IDENTIFIER = "identity.invalid_identifier"
    """docs/xmtp-facts.md §8, libxmtp member.rs: an address is not ``0x`` + 40 lowercase hex, or a passkey id is not hex."""
    INVALID_SIGNATURE = "identity.invalid_signature"
    """XIP-46 "signature validation": a signature does not verify over the update's signature text."""
    UNSUPPORTED_SIGNATURE_KIND = "identity.unsupported_signature_kind"
    """Model scope: erc_6492 (on-chain), passkey (WebAuthn) and delegated_erc_191 (V2 key) are not verified."""
    SIGNATURE_KIND_MISMATCH = "identity.signature_kind_mismatch"
    """association_log.rs ``allowed_signature_for_kind``: wallets sign ECDSA, installations Ed25519, passkeys P-256."""
    MULTIPLE_CREATE = "identity.multiple_create"
    """XIP-46 CreateInbox: only the first action of an inbox's log may create it."""
    NOT_CREATED = "identity.not_created"
    """XIP-46: every other action needs an inbox created by an earlier CreateInbox."""
    INITIAL_SIGNER_MISMATCH = "identity.initial_signer_mismatch"
    """XIP-46 CreateInbox: the initial identifier itself signs the creation."""
    NEW_MEMBER_SIGNER_MISMATCH = "identity.new_member_signer_mismatch"
    """XIP-46 AddAssociation: new_member_signature recovers to new_member_identifier."""
    SELF_ADD = "identity.self_add"
    """association_log.rs: the new member and the existing signer are different identities."""
    SIGNER_NOT_MEMBER = "identity.signer_not_member"
    """XIP-46 AddAssociation: existing_member_signature comes from a current member or the recovery identifier."""
    INSTALLATION_ADDS_INSTALLATION = "identity.installation_adds_installation"
    """XIP-46 "Allowed Associations": an installation may add a wallet, never another installation."""
    NOT_RECOVERY_SIGNER = "identity.not_recovery_signer"
    """XIP-46 Revoke/ChangeRecoveryAddress: signed by the current recovery identifier."""
    REPLAYED_SIGNATURE = "identity.replayed_signature"
    """XIP-46 "seen_signatures": no signature of an earlier update of this inbox is used again."""
    WRONG_INBOX_ID = "identity.wrong_inbox_id"
    """association_log.rs: the update's inbox_id equals the inbox id of the state it produces."""
    TOO_MANY_INSTALLATIONS = "identity.too_many_installations"
    """libxmtp MAX_INSTALLATIONS_PER_INBOX: an inbox holds at most 10 installations."""
    MISSING_IDENTITY_UPDATE = "identity.missing_identity_update"
    """association_log.rs MissingIdentityUpdate: the log has no update with that inbox id and sequence id."""


# ====================================================================== protobuf messages (docs/xmtp-facts.md §8)

class IdentifierKind(enum.IntEnum):
    """xmtp/proto association.proto ``IdentifierKind``; UNSPECIFIED means Ethereum (old clients)."""

    UNSPECIFIED = 0
    ETHEREUM = 1
    PASSKEY = 2


class RecoverableEcdsaSignature(Message):
    """xmtp/proto signature.proto: 65 bytes r ‖ s ‖ v (proto field name ``bytes``)."""

    bytes_: Annotated[bytes, Field(1, BYTES)] = b""


class SmartContractWalletSignature(Message):
    """xmtp/proto signature.proto: an ERC-6492/1271 signature of a CAIP-10 account at a block."""

    account_id: Annotated[str, Field(1, STRING)] = ""
    block_number: Annotated[int, Field(2, UINT64)] = 0
    signature: Annotated[bytes, Field(3, BYTES)] = b""


class RecoverableEd25519Signature(Message):
    """xmtp/proto signature.proto: a 64-byte installation-key signature and its 32-byte public key."""

    bytes_: Annotated[bytes, Field(1, BYTES)] = b""
    public_key: Annotated[bytes, Field(2, BYTES)] = b""


class LegacySignedPublicKey(Message):
    """xmtp/proto message_contents/public_key.proto ``SignedPublicKey``; field 2 kept as raw bytes."""

    key_bytes: Annotated[bytes, Field(1, BYTES)] = b""
    signature: Annotated[bytes, Field(2, BYTES)] = b""


class LegacyDelegatedSignature(Message):
    """xmtp/proto signature.proto: an XMTP V2 identity key signing on behalf of its wallet."""

    delegated_key: Annotated[LegacySignedPublicKey | None, Field(1, MessageKind(LegacySignedPublicKey))] = None
    signature: Annotated[RecoverableEcdsaSignature | None, Field(2, MessageKind(RecoverableEcdsaSignature))] = None


class RecoverablePasskeySignature(Message):
    """xmtp/proto signature.proto: a WebAuthn P-256 assertion."""

    public_key: Annotated[bytes, Field(1, BYTES)] = b""
    signature: Annotated[bytes, Field(2, BYTES)] = b""
    authenticator_data: Annotated[bytes, Field(3, BYTES)] = b""
    client_data_json: Annotated[bytes, Field(4, BYTES)] = b""


class Signature(Message):
    """xmtp/proto signature.proto ``Signature``: ``oneof signature``."""

    erc_191: Annotated[RecoverableEcdsaSignature | None,
                       Field(1, MessageKind(RecoverableEcdsaSignature), oneof="signature")] = None
    erc_6492: Annotated[SmartContractWalletSignature | None,
                        Field(2, MessageKind(SmartContractWalletSignature), oneof="signature")] = None
    installation_key: Annotated[RecoverableEd25519Signature | None,
                                Field(3, MessageKind(RecoverableEd25519Signature), oneof="signature")] = None
    delegated_erc_191: Annotated[LegacyDelegatedSignature | None,
                                 Field(4, MessageKind(LegacyDelegatedSignature), oneof="signature")] = None
    passkey: Annotated[RecoverablePasskeySignature | None,
                       Field(5, MessageKind(RecoverablePasskeySignature), oneof="signature")] = None


class Passkey(Message):
    """xmtp/proto association.proto ``Passkey``."""

    key: Annotated[bytes, Field(1, BYTES)] = b""
    relying_party: Annotated[str | None, Field(2, STRING, optional=True)] = None


class MemberIdentifier(Message):
    """xmtp/proto association.proto ``MemberIdentifier``: ``oneof kind``."""

    ethereum_address: Annotated[str | None, Field(1, STRING, oneof="kind")] = None
    installation_public_key: Annotated[bytes | None, Field(2, BYTES, oneof="kind")] = None
    passkey: Annotated[Passkey | None, Field(3, MessageKind(Passkey), oneof="kind")] = None


class CreateInbox(Message):
    """xmtp/proto association.proto ``CreateInbox``."""

    initial_identifier: Annotated[str, Field(1, STRING)] = ""
    nonce: Annotated[int, Field(2, UINT64)] = 0
    initial_identifier_signature: Annotated[Signature | None, Field(3, MessageKind(Signature))] = None
    initial_identifier_kind: Annotated[int, Field(4, EnumKind(IdentifierKind))] = IdentifierKind.UNSPECIFIED
    relying_party: Annotated[str | None, Field(5, STRING, optional=True)] = None


class AddAssociation(Message):
    """xmtp/proto association.proto ``AddAssociation``."""

    new_member_identifier: Annotated[MemberIdentifier | None, Field(1, MessageKind(MemberIdentifier))] = None
    existing_member_signature: Annotated[Signature | None, Field(2, MessageKind(Signature))] = None
    new_member_signature: Annotated[Signature | None, Field(3, MessageKind(Signature))] = None
    relying_party: Annotated[str | None, Field(4, STRING, optional=True)] = None


class RevokeAssociation(Message):
    """xmtp/proto association.proto ``RevokeAssociation``."""

    member_to_revoke: Annotated[MemberIdentifier | None, Field(1, MessageKind(MemberIdentifier))] = None
    recovery_identifier_signature: Annotated[Signature | None, Field(2, MessageKind(Signature))] = None


class ChangeRecoveryAddress(Message):
    """xmtp/proto association.proto ``ChangeRecoveryAddress``."""

    new_recovery_identifier: Annotated[str, Field(1, STRING)] = ""
    existing_recovery_identifier_signature: Annotated[Signature | None, Field(2, MessageKind(Signature))] = None
    new_recovery_identifier_kind: Annotated[int, Field(3, EnumKind(IdentifierKind))] = IdentifierKind.UNSPECIFIED
    relying_party: Annotated[str | None, Field(4, STRING, optional=True)] = None


class IdentityAction(Message):
    """xmtp/proto association.proto ``IdentityAction``: ``oneof kind``."""

    create_inbox: Annotated[CreateInbox | None, Field(1, MessageKind(CreateInbox), oneof="kind")] = None
    add: Annotated[AddAssociation | None, Field(2, MessageKind(AddAssociation), oneof="kind")] = None
    revoke: Annotated[RevokeAssociation | None, Field(3, MessageKind(RevokeAssociation), oneof="kind")] = None
    change_recovery_address: Annotated[ChangeRecoveryAddress | None,
                                       Field(4, MessageKind(ChangeRecoveryAddress), oneof="kind")] = None


class IdentityUpdate(Message):
    """xmtp/proto association.proto ``IdentityUpdate``: actions signed together under one text."""

    actions: Annotated[tuple[IdentityAction, ...], Field(1, MessageKind(IdentityAction), repeated=True)] = ()
    client_timestamp_ns: Annotated[int, Field(2, UINT64)] = 0
    inbox_id: Annotated[str, Field(3, STRING)] = ""


def decode_update(data: bytes) -> IdentityUpdate:
    """libxmtp crates/xmtp_id/src/associations/serialization.rs@a53a97e: an ``IdentityUpdate`` from bytes; a decode
    error is MALFORMED_UPDATE."""
    try:
        return decode_shared(IdentityUpdate, bytes(data))
    except DecodeError as e:
        raise Rejected(IdentityReason.MALFORMED_UPDATE, str(e)) from None


# ====================================================================== members and identifiers

class MemberKind(enum.StrEnum):
    """libxmtp crates/xmtp_id/src/associations/member.rs@a53a97e ``MemberKind``."""

    ETHEREUM = "ethereum"
    INSTALLATION = "installation"
    PASSKEY = "passkey"


@dataclasses.dataclass(frozen=True, order=True)
class MemberId:
    """libxmtp crates/xmtp_id/src/associations/member.rs@a53a97e ``MemberIdentifier``: a lowercase address, or
    installation / passkey key bytes.

    Passkeys compare by key only (libxmtp ident/passkey.rs), so the relying party is not kept.
    """

    kind: MemberKind
    value: str | bytes

    @classmethod
    def ethereum(cls, address: str) -> "MemberId":
        """docs/xmtp-facts.md §8: an Ethereum member; the address must be ``0x`` + 40 lowercase hex."""
        if not is_address(address):
            raise Rejected(IdentityReason.INVALID_IDENTIFIER, f"not a lowercase 0x address: {address!r}")
        return cls(MemberKind.ETHEREUM, address)

    @classmethod
    def installation(cls, public_key: bytes) -> "MemberId":
        """docs/xmtp-facts.md §2: an installation, named by its Ed25519 public key (the installation id)."""
        return cls(MemberKind.INSTALLATION, bytes(public_key))

    @classmethod
    def passkey(cls, key: bytes) -> "MemberId":
        """XIP-55: a passkey, named by its P-256 public key."""
        return cls(MemberKind.PASSKEY, bytes(key))

    @classmethod
    def from_identifier(cls, identifier: str, kind: int) -> "MemberId":
        """libxmtp crates/xmtp_id/src/associations/member.rs@a53a97e ``Identifier::from_proto``: (string,
        IdentifierKind) of CreateInbox or
        ChangeRecoveryAddress; UNSPECIFIED means Ethereum, a passkey is its key in hex."""
        if kind in (IdentifierKind.UNSPECIFIED, IdentifierKind.ETHEREUM):
            return cls.ethereum(identifier)
        if kind == IdentifierKind.PASSKEY:
            try:
                return cls.passkey(bytes.fromhex(identifier))
            except ValueError:
                raise Rejected(IdentityReason.INVALID_IDENTIFIER, "passkey identifier is not hex") from None
        raise Rejected(IdentityReason.INVALID_IDENTIFIER, f"unknown identifier kind {kind}")

    @classmethod
    def from_proto(cls, proto: MemberIdentifier | None) -> "MemberId":
        """libxmtp crates/xmtp_id/src/associations/serialization.rs@a53a97e: a ``MemberIdentifier`` message; no
        kind set is MALFORMED_UPDATE."""
        if proto is None:
            raise Rejected(IdentityReason.MALFORMED_UPDATE, "missing member identifier")
        if proto.ethereum_address is not None:
            return cls.ethereum(proto.ethereum_address)
        if proto.installation_public_key is not None:
            return cls.installation(proto.installation_public_key)
        if proto.passkey is not None:
            return cls.passkey(proto.passkey.key)
        raise Rejected(IdentityReason.MALFORMED_UPDATE, "member identifier has no kind")

    def to_proto(self) -> MemberIdentifier:
        """xmtp/proto association.proto: this member as a ``MemberIdentifier``."""
        if self.kind is MemberKind.ETHEREUM:
            return MemberIdentifier(ethereum_address=self.value)
        if self.kind is MemberKind.INSTALLATION:
            return MemberIdentifier(installation_public_key=self.value)
        return MemberIdentifier(passkey=Passkey(key=self.value))

    def __str__(self) -> str:
        """libxmtp member.rs ``Display``: the address, or the key in lowercase hex."""
        return self.value if isinstance(self.value, str) else self.value.hex()


@dataclasses.dataclass(frozen=True)
class Member:
    """libxmtp crates/xmtp_id/src/associations/member.rs@a53a97e ``Member``: a member, the member that added it,
    and the update's timestamp."""

    id: MemberId
    added_by: MemberId | None = None
    client_timestamp_ns: int | None = None


def inbox_id(identifier: str | MemberId, nonce: int) -> str:
    """docs/xmtp-facts.md §8, XIP-46 "Inbox IDs": lowercase hex SHA-256 of the identifier's text plus the decimal nonce.

    A string is an Ethereum address (lowercased first); a passkey's text is its key in hex.
    """
    member = MemberId.ethereum(identifier.lower()) if isinstance(identifier, str) else identifier
    return hashlib.sha256(f"{member}{nonce}".encode()).hexdigest()


# ====================================================================== signature text (docs/xmtp-facts.md §8)

HEADER = "XMTP : Authenticate to inbox"
FOOTER = "For more info: https://xmtp.org/signatures"
_ADD_VERBS = {MemberKind.INSTALLATION: "Grant messaging access to app", MemberKind.ETHEREUM: "Link address to inbox",
              MemberKind.PASSKEY: "Link passkey to inbox"}
_REVOKE_VERBS = {MemberKind.INSTALLATION: "Revoke messaging access from app",
                 MemberKind.ETHEREUM: "Unlink address from inbox", MemberKind.PASSKEY: "Unlink passkey from inbox"}
_LABELS = {MemberKind.INSTALLATION: "ID", MemberKind.ETHEREUM: "Address", MemberKind.PASSKEY: "Passkey"}


ActionBody = CreateInbox | AddAssociation | RevokeAssociation | ChangeRecoveryAddress


def _kind_of(action: IdentityAction) -> ActionBody:
    """The action the ``oneof kind`` holds; none is MALFORMED_UPDATE."""
    body = action.create_inbox or action.add or action.revoke or action.change_recovery_address
    if body is None:
        raise Rejected(IdentityReason.MALFORMED_UPDATE, "identity action has no kind")
    return body


def _action_line(action: IdentityAction) -> str:
    """libxmtp unsigned_actions.rs: ``- {verb}\\n  ({label}: {value})``."""
    body = _kind_of(action)
    if isinstance(body, CreateInbox):
        owner = MemberId.from_identifier(body.initial_identifier, body.initial_identifier_kind)
        return f"- Create inbox\n  (Owner: {owner})"
    if isinstance(body, ChangeRecoveryAddress):
        new = MemberId.from_identifier(body.new_recovery_identifier, body.new_recovery_identifier_kind)
        return f"- Change inbox recovery address\n  (Address: {new})"
    if isinstance(body, AddAssociation):
        member, verbs = MemberId.from_proto(body.new_member_identifier), _ADD_VERBS
    else:
        member, verbs = MemberId.from_proto(body.member_to_revoke), _REVOKE_VERBS
    return f"- {verbs[member.kind]}\n  ({_LABELS[member.kind]}: {member})"


def _pretty_timestamp(timestamp_ns: int) -> str:
    """libxmtp unsigned_actions.rs ``pretty_timestamp``: RFC 3339, UTC, whole seconds, ``Z``.

    chrono reads the u64 as i64 nanoseconds and floors to the second; so does this.
    """
    signed = timestamp_ns - (1 << 64) if timestamp_ns >= 1 << 63 else timestamp_ns
    when = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC) + datetime.timedelta(seconds=signed // 10**9)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def signature_text(update: IdentityUpdate) -> str:
    """docs/xmtp-facts.md §8, libxmtp unsigned_actions.rs: the one text every signer of ``update`` signs.

    Signatures inside the update do not enter the text, so it can be built before signing.
    """
    lines = "\n".join(_action_line(action) for action in update.actions)
    return (f"{HEADER}\n\nInbox ID: {update.inbox_id}\nCurrent time: {_pretty_timestamp(update.client_timestamp_ns)}"
            f"\n\n{lines}\n\n{FOOTER}")


# ====================================================================== signature verification

class SignatureKind(enum.StrEnum):
    """libxmtp crates/xmtp_id/src/associations/signature.rs@a53a97e ``SignatureKind``, named after the
    ``Signature`` oneof member."""

    ERC191 = "erc_191"
    ERC6492 = "erc_6492"
    INSTALLATION_KEY = "installation_key"
    LEGACY_DELEGATED = "delegated_erc_191"
    PASSKEY = "passkey"


_ALLOWED_KINDS = {
    MemberKind.ETHEREUM: {SignatureKind.ERC191, SignatureKind.ERC6492, SignatureKind.LEGACY_DELEGATED},
    MemberKind.INSTALLATION: {SignatureKind.INSTALLATION_KEY},
    MemberKind.PASSKEY: {SignatureKind.PASSKEY},
}


class VerifiedSignature(NamedTuple):
    """libxmtp crates/xmtp_id/src/associations/verified_signature.rs@a53a97e ``VerifiedSignature``: who signed,
    how, and the key that marks it seen."""

    signer: MemberId
    kind: SignatureKind
    replay_key: bytes


def _signature_kind(signature: Signature | None) -> SignatureKind:
    if signature is not None:
        for kind in _SIGNATURE_KINDS:
            if getattr(signature, kind.value) is not None:
                return kind
    raise Rejected(IdentityReason.MALFORMED_UPDATE, "missing signature")


_SIGNATURE_KINDS = tuple(SignatureKind)  # in declaration order, iterated once per signature


def _check_kind(signature: Signature | None, member: MemberId) -> None:
    """association_log.rs ``allowed_signature_for_kind``."""
    kind = _signature_kind(signature)
    if kind not in _ALLOWED_KINDS[member.kind]:
        raise Rejected(IdentityReason.SIGNATURE_KIND_MISMATCH, f"{member.kind} member cannot sign with {kind}")


def verify_signature(signature: Signature | None, text: str) -> VerifiedSignature:
    """libxmtp crates/xmtp_id/src/associations/unverified.rs@a53a97e / verified_signature.rs: check ``signature``
    over ``text`` and name its signer.

    * erc_191: ``personal_sign`` recovery with low-s normalisation (``wallet.recover_erc191``);
    * installation_key: Ed25519ph, context ``IDENTITY UPDATE SIGNATURE``, key taken from the signature;
    * erc_6492, passkey, delegated_erc_191: UNSUPPORTED_SIGNATURE_KIND (out of this model's scope).
    """
    kind = _signature_kind(signature)
    try:
        if kind is SignatureKind.ERC191:
            raw = signature.erc_191.bytes_
            return VerifiedSignature(MemberId.ethereum(recover_erc191(text, raw)), kind, erc191_replay_key(raw))
        if kind is SignatureKind.INSTALLATION_KEY:
            sig = signature.installation_key
            ed25519ph.verify(sig.public_key, text.encode(), sig.bytes_, ed25519ph.IDENTITY_UPDATE_CONTEXT)
            return VerifiedSignature(MemberId.installation(sig.public_key), kind, bytes(sig.bytes_))
    except InvalidSignatureError as e:
        raise Rejected(IdentityReason.INVALID_SIGNATURE, f"{kind}: {e}") from None
    raise Rejected(IdentityReason.UNSUPPORTED_SIGNATURE_KIND,
                   f"{kind} needs on-chain, WebAuthn or XMTP V2 verification, which this model does not do")


# ====================================================================== association state

@dataclasses.dataclass(frozen=True)
class StateDiff:
    """libxmtp crates/xmtp_id/src/associations/state.rs@a53a97e ``AssociationStateDiff``: members present only in
    the new / only in the old state."""

    new_members: frozenset[MemberId]
    removed_members: frozenset[MemberId]

    @property
    def new_installations(self) -> frozenset[bytes]:
        """libxmtp crates/xmtp_id/src/associations/state.rs@a53a97e ``new_installations``: the installation ids
        added."""
        return frozenset(m.value for m in self.new_members if m.kind is MemberKind.INSTALLATION)

    @property
    def removed_installations(self) -> frozenset[bytes]:
        """libxmtp crates/xmtp_id/src/associations/state.rs@a53a97e ``removed_installations``: the installation ids
        removed."""
        return frozenset(m.value for m in self.removed_members if m.kind is MemberKind.INSTALLATION)


@dataclasses.dataclass(frozen=True)
class AssociationState:
    """XIP-46 "Association State", libxmtp state.rs: an inbox at one point of its log (an immutable value)."""

    inbox_id: str
    recovery: MemberId
    members: frozenset[Member]
    seen_signatures: frozenset[bytes] = frozenset()

    def get(self, member: MemberId) -> Member | None:
        """libxmtp crates/xmtp_id/src/associations/state.rs@a53a97e ``get``: the entry of ``member``, or None if it
        is not a member."""
        return next((m for m in self.members if m.id == member), None)

    @property
    def member_ids(self) -> frozenset[MemberId]:
        """libxmtp crates/xmtp_id/src/associations/state.rs@a53a97e ``members``: every member's identifier."""
        return frozenset(m.id for m in self.members)

    @property
    def installations(self) -> frozenset[bytes]:
        """libxmtp crates/xmtp_id/src/associations/state.rs@a53a97e ``installation_ids``: the inbox's installation
        ids (Ed25519 public keys)."""
        return frozenset(m.id.value for m in self.members if m.id.kind is MemberKind.INSTALLATION)

    @property
    def wallets(self) -> frozenset[str]:
        """libxmtp crates/xmtp_id/src/associations/state.rs@a53a97e ``identifiers``: the Ethereum addresses
        associated with the inbox."""
        return frozenset(m.id.value for m in self.members if m.id.kind is MemberKind.ETHEREUM)

    def diff(self, other: "AssociationState") -> StateDiff:
        """libxmtp crates/xmtp_id/src/associations/state.rs@a53a97e ``diff``: what changed from ``self`` (old) to
        ``other`` (new)."""
        return StateDiff(other.member_ids - self.member_ids, self.member_ids - other.member_ids)

    def _with_member(self, member: Member) -> "AssociationState":
        rest = frozenset(m for m in self.members if m.id != member.id)
        return dataclasses.replace(self, members=rest | {member})


# ====================================================================== applying updates

def _check_replay(state: AssociationState, *signatures: VerifiedSignature) -> None:
    for signature in signatures:
        if signature.replay_key in state.seen_signatures:
            raise Rejected(IdentityReason.REPLAYED_SIGNATURE, f"{signature.kind} signature already used in this inbox")


def _require_state(state: AssociationState | None) -> AssociationState:
    if state is None:
        raise Rejected(IdentityReason.NOT_CREATED, "the inbox has no CreateInbox yet")
    return state


def _verify_action(body: ActionBody, text: str) -> tuple[VerifiedSignature, ...]:
    """Step 2 for one action: kind checks that need no state, then every signature verified."""
    if isinstance(body, CreateInbox):
        owner = MemberId.from_identifier(body.initial_identifier, body.initial_identifier_kind)
        _check_kind(body.initial_identifier_signature, owner)
        return (verify_signature(body.initial_identifier_signature, text),)
    if isinstance(body, AddAssociation):
        _check_kind(body.new_member_signature, MemberId.from_proto(body.new_member_identifier))
        return (verify_signature(body.new_member_signature, text),
                verify_signature(body.existing_member_signature, text))
    if isinstance(body, RevokeAssociation):
        return (verify_signature(body.recovery_identifier_signature, text),)
    return (verify_signature(body.existing_recovery_identifier_signature, text),)


def _apply_action(state: AssociationState | None, body: ActionBody, signatures: tuple[VerifiedSignature, ...],
                  timestamp_ns: int, max_installations: int | None) -> AssociationState:
    """Step 3 for one action: association_log.rs ``update_state`` of CreateInbox, AddAssociation,
    RevokeAssociation or ChangeRecoveryIdentity."""
    if isinstance(body, CreateInbox):
        if state is not None:
            raise Rejected(IdentityReason.MULTIPLE_CREATE, f"inbox {state.inbox_id} already exists")
        owner = MemberId.from_identifier(body.initial_identifier, body.initial_identifier_kind)
        if signatures[0].signer != owner:
            raise Rejected(IdentityReason.INITIAL_SIGNER_MISMATCH, f"signed by {signatures[0].signer}, not {owner}")
        return AssociationState(inbox_id(owner, body.nonce), owner, frozenset({Member(owner)}))

    state = _require_state(state)
    _check_replay(state, *signatures)

    if isinstance(body, AddAssociation):
        new, existing = signatures
        new_member = MemberId.from_proto(body.new_member_identifier)
        if new.signer != new_member:
            raise Rejected(IdentityReason.NEW_MEMBER_SIGNER_MISMATCH, f"signed by {new.signer}, not {new_member}")
        if new.signer == existing.signer:
            raise Rejected(IdentityReason.SELF_ADD, f"{new_member} cannot add itself")
        if state.get(existing.signer) is None and existing.signer != state.recovery:
            raise Rejected(IdentityReason.SIGNER_NOT_MEMBER, f"{existing.signer} is neither a member nor recovery")
        if existing.signer.kind is MemberKind.INSTALLATION and new_member.kind is MemberKind.INSTALLATION:
            raise Rejected(IdentityReason.INSTALLATION_ADDS_INSTALLATION, "only a wallet adds installations")
        result = state._with_member(Member(new_member, existing.signer, timestamp_ns))
        if (new_member.kind is MemberKind.INSTALLATION and max_installations is not None
                and len(result.installations) > max_installations):
            raise Rejected(IdentityReason.TOO_MANY_INSTALLATIONS, f"an inbox holds at most {max_installations}")
        return result

    if signatures[0].signer != state.recovery:
        raise Rejected(IdentityReason.NOT_RECOVERY_SIGNER, f"signed by {signatures[0].signer}, not the recovery")
    if isinstance(body, RevokeAssociation):
        # Revoking a non-member is a no-op (libxmtp: "revocation is idempotent"); the member's child
        # installations go with it, child wallets stay (XIP-46 "automatically revoked" column).
        target = MemberId.from_proto(body.member_to_revoke)
        kept = frozenset(m for m in state.members if m.id != target and not (
            m.added_by == target and m.id.kind is MemberKind.INSTALLATION))
        return dataclasses.replace(state, members=kept)
    new_recovery = MemberId.from_identifier(body.new_recovery_identifier, body.new_recovery_identifier_kind)
    return dataclasses.replace(state, recovery=new_recovery)


def apply_update(state: AssociationState | None, update: IdentityUpdate, *,
                 max_installations: int | None = MAX_INSTALLATIONS) -> AssociationState:
    """XIP-46 "Inbox log validation algorithm", libxmtp association_log.rs ``IdentityUpdate::update_state``.

    ``state`` is the inbox before ``update`` (``None`` for a new inbox). Returns the new state, or
    raises ``Rejected(IdentityReason.X)``; ``state`` itself is never changed.
    """
    text = signature_text(update)                               # also checks every action is well formed
    bodies = [_kind_of(action) for action in update.actions]
    verified = [_verify_action(body, text) for body in bodies]
    for body, signatures in zip(bodies, verified):
        state = _apply_action(state, body, signatures, update.client_timestamp_ns, max_installations)
    state = _require_state(state)
    if state.inbox_id != update.inbox_id:
        raise Rejected(IdentityReason.WRONG_INBOX_ID, f"update names {update.inbox_id!r}, state is {state.inbox_id}")
    used = frozenset(s.replay_key for signatures in verified for s in signatures)
    return dataclasses.replace(state, seen_signatures=state.seen_signatures | used)
