"""XMTP's MLS credentials and installation keys (docs/xmtp-facts.md §2).

Theory of operation
-------------------
An XMTP member's MLS leaf carries a Basic credential whose ``identity`` is
the protobuf ``xmtp.identity.MlsCredential{string inbox_id = 1}``: the bytes
``0x0a 0x40`` and the 64 lowercase hex characters of the inbox id. The leaf's
signature key is the *installation key*, a random Ed25519 key whose public
half is the installation id. The credential itself proves nothing: an
installation speaks for an inbox only if that inbox's association state
(docs/xmtp-facts.md §8) contains the installation key (``check_installation``).

Before inbox ids (2024 Q1, libxmtp 2f16634) an Ethereum wallet signed the
credential instead: an ``xmtp.mls.message_contents.MlsCredential`` holding
the installation key and the wallet's signature over a "Grant Messaging
Access" text (seed: the credential "is signed by the Ethereum wallet and
contains the wallet address and a hash of the signature key"). The
``legacy_*`` functions are that *legacy wallet-signed profile*; it is
obsolete and no current client accepts it.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import re

from spec_model.mls.codec import DecodeError
from spec_model.mls.leaf_node import Credential, CredentialType
from spec_model.mls.reasons import Rejected, reason_codes
from spec_model.mls.suites import CipherSuiteId, InvalidSignatureError, Rng, suite

from .identity import AssociationState, RecoverableEcdsaSignature
from .proto import BYTES, STRING, UINT64, Annotated, EnumKind, Field, Message, MessageKind, decode_shared
from .wallet import Wallet, keccak256, recover_erc191

__all__ = [
    "CredentialReason", "MlsCredential", "inbox_credential", "inbox_of", "is_inbox_id", "Installation",
    "check_installation",
    "AssociationTextVersion",
    "GrantMessagingAccessAssociation", "LegacyMlsCredential", "legacy_installation_id",
    "grant_messaging_access_text", "legacy_credential", "legacy_account_of",
]

_SUITE = suite(CipherSuiteId.MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519)
_INBOX_ID = re.compile(r"[0-9a-f]{64}")


@reason_codes("credential")
class CredentialReason(enum.StrEnum):
    """libxmtp crates/xmtp_mls/src/identity.rs@a53a97e parse_credential, credential/*.rs (2f16634): why a
    credential is refused."""

    NOT_BASIC = "credential.credential_not_basic"                  # docs/xmtp-facts.md §1: XMTP uses the Basic credential type only
    MALFORMED_CREDENTIAL = "credential.malformed_credential"       # docs/xmtp-facts.md §2: identity is an MlsCredential protobuf
    INVALID_INBOX_ID = "credential.invalid_inbox_id"               # docs/xmtp-facts.md §8: an inbox id is 64 lowercase hex (SHA-256)
    INBOX_MISMATCH = "credential.inbox_mismatch"                   # docs/xmtp-facts.md §2: the association state is the credential's inbox's
    INSTALLATION_NOT_ASSOCIATED = "credential.installation_not_associated"  # docs/xmtp-facts.md §2: the inbox's state holds the key
    # the legacy wallet-signed profile (libxmtp 2f16634 credential/mod.rs AssociationError)
    LEGACY_NO_ASSOCIATION = "credential.legacy_no_association"     # MalformedAssociation: the oneof is unset
    LEGACY_UNSUPPORTED_ASSOCIATION = "credential.legacy_unsupported_association"  # legacy_create_identity: not modelled
    LEGACY_INVALID_ADDRESS = "credential.legacy_invalid_address"   # BadAddress: account_address is not [0x]+40 hex
    LEGACY_INVALID_TIME = "credential.legacy_invalid_time"         # MalformedAssociation: created_ns is not a chrono time
    LEGACY_BAD_SIGNATURE = "credential.legacy_bad_signature"       # BadSignature: no address recovers from the signature
    LEGACY_ADDRESS_MISMATCH = "credential.legacy_address_mismatch"  # AddressMismatch: the wallet that signed is another
    LEGACY_INSTALLATION_MISMATCH = "credential.legacy_installation_mismatch"  # InstallationPublicKeyMismatch: not the leaf's key


# ------------------------------------------------------------------ inbox-id credential (2024-04 onwards)

class MlsCredential(Message):
    """xmtp/proto identity/credential.proto: ``xmtp.identity.MlsCredential``, the Basic credential's identity."""

    inbox_id: Annotated[str, Field(1, STRING)] = ""


def is_inbox_id(text: str) -> bool:
    """docs/xmtp-facts.md §8: an inbox id is the lowercase hex SHA-256 digest, 64 characters."""
    return _INBOX_ID.fullmatch(text) is not None


def inbox_credential(inbox_id: str) -> Credential:
    """libxmtp crates/xmtp_mls/src/identity.rs@a53a97e create_credential: Basic, identity =
    ``MlsCredential{inbox_id}`` (0x0a 0x40 + hex)."""
    if not is_inbox_id(inbox_id):
        raise ValueError(f"not an inbox id: {inbox_id!r}")
    return Credential.basic(MlsCredential(inbox_id).encode())


def inbox_of(credential: Credential) -> str:
    """libxmtp crates/xmtp_mls/src/identity.rs@a53a97e parse_credential: the inbox id a credential names; raises
    ``Rejected``.

    Stricter than libxmtp, which accepts any string: the inbox id must be 64
    lowercase hex characters.
    """
    inbox_id = _identity(credential, MlsCredential).inbox_id
    if not is_inbox_id(inbox_id):
        raise Rejected(CredentialReason.INVALID_INBOX_ID, repr(inbox_id))
    return inbox_id


def named_inbox(credential: Credential) -> str:
    """libxmtp crates/xmtp_mls/src/groups/validated_commit.rs@b649d1a ``inbox_id_from_credential``: the string a
    Basic credential's MlsCredential names, of any form; raises ``Rejected`` when the identity is not one."""
    return _identity(credential, MlsCredential).inbox_id


def _identity(credential: Credential, message: type[Message]) -> Message:
    """The protobuf ``message`` in a Basic credential's identity; raises ``Rejected``."""
    if credential.credential_type != CredentialType.basic:
        raise Rejected(CredentialReason.NOT_BASIC, f"credential type {credential.credential_type}")
    try:
        return decode_shared(message, bytes(credential.identity))
    except DecodeError as e:
        raise Rejected(CredentialReason.MALFORMED_CREDENTIAL, str(e)) from None


@dataclasses.dataclass(frozen=True)
class Installation:
    """libxmtp crates/xmtp_cryptography/src/basic_credential.rs@a53a97e XmtpInstallationCredential: an Ed25519 key,
    the installation's MLS signature key.

    ``private_key`` is the 32-byte seed; the public key is both the
    installation id and the leaf's ``signature_key`` (docs/xmtp-facts.md §2).
    """

    private_key: bytes

    @classmethod
    def generate(cls, rng: Rng | None = None) -> "Installation":
        """libxmtp crates/xmtp_cryptography/src/basic_credential.rs@a53a97e: a random Ed25519 key (from ``rng`` if
        given)."""
        return cls(_SUITE.generate_signature_key_pair(rng)[0])

    @property
    def public_key(self) -> bytes:
        """RFC 8032 §5.1.5: the 32-byte public key, i.e. the installation id."""
        return _SUITE.signature_public_key(self.private_key)

    installation_id = public_key


def check_installation(credential: Credential, signature_key: bytes, association_state: AssociationState) -> str:
    """docs/xmtp-facts.md §2: the leaf's installation key belongs to the credential's inbox; the inbox id, or ``Rejected``.

    ``association_state`` is the inbox's state (docs/xmtp-facts.md §8) at the sequence id
    the group recorded for it.
    """
    inbox_id = inbox_of(credential)
    if association_state.inbox_id != inbox_id:
        raise Rejected(CredentialReason.INBOX_MISMATCH, f"state of {association_state.inbox_id}, credential {inbox_id}")
    if signature_key not in association_state.installations:
        raise Rejected(CredentialReason.INSTALLATION_NOT_ASSOCIATED, f"{signature_key.hex()} in inbox {inbox_id}")
    return inbox_id


# ------------------------------------------------------------------ legacy wallet-signed credential (2024 Q1)

class AssociationTextVersion(enum.IntEnum):
    """xmtp/proto association.proto (before 1ea9af0): ``AssociationTextVersion``."""

    UNSPECIFIED = 0
    V1 = 1


class GrantMessagingAccessAssociation(Message):
    """xmtp/proto association.proto (before 1ea9af0): ``GrantMessagingAccessAssociation``, an EIP-191 grant.

    libxmtp 2f16634 writes ``association_text_version = 1`` and never reads it. Its
    ``RecoverableEcdsaSignature{bytes bytes = 1}`` has the layout of the identity one (``identity.py``).
    """

    association_text_version: Annotated[int, Field(1, EnumKind(AssociationTextVersion))] = 0
    signature: Annotated[RecoverableEcdsaSignature | None, Field(2, MessageKind(RecoverableEcdsaSignature))] = None
    account_address: Annotated[str, Field(3, STRING)] = ""
    created_ns: Annotated[int, Field(4, UINT64)] = 0


class LegacyMlsCredential(Message):
    """xmtp/proto mls/message_contents/credential.proto (before 1ea9af0): the wallet-signed ``MlsCredential``.

    ``legacy_create_identity`` (an installation key signed by an XMTP v2
    identity key) is kept as the raw bytes of its message: not modelled.
    """

    installation_public_key: Annotated[bytes, Field(1, BYTES)] = b""
    messaging_access: Annotated[GrantMessagingAccessAssociation | None, Field(
        2, MessageKind(GrantMessagingAccessAssociation), oneof="association")] = None
    legacy_create_identity: Annotated[bytes | None, Field(3, BYTES, oneof="association")] = None


def legacy_installation_id(installation_public_key: bytes) -> str:
    """libxmtp xmtp_cryptography/src/signature.rs@2f16634 ed25519_public_key_to_address: ``x:`` +
    hex(keccak256(key)[12..])."""
    return "x:" + keccak256(installation_public_key)[12:].hex()


def _rfc3339(created_ns: int) -> str:
    """chrono 0.4.35 ``%+`` of a UTC time: seconds, then .3/.6/.9 fraction digits as needed, then ``+00:00``."""
    if not 0 <= created_ns < 1 << 63:  # libxmtp casts to i64 and chrono refuses the negative result
        raise Rejected(CredentialReason.LEGACY_INVALID_TIME, str(created_ns))
    seconds, nanos = divmod(created_ns, 10**9)
    if nanos == 0:
        fraction = ""
    elif nanos % 10**6 == 0:
        fraction = f".{nanos // 10**6:03d}"
    elif nanos % 10**3 == 0:
        fraction = f".{nanos // 10**3:06d}"
    else:
        fraction = f".{nanos:09d}"
    return datetime.datetime.fromtimestamp(seconds, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S") + fraction + "+00:00"


def _sanitize_address(address: str) -> str:
    """libxmtp 2f16634 address.rs sanitize_evm_addresses: optional ``0x``, 40 hex digits; lowercased."""
    if not re.fullmatch(r"(0x)?[0-9a-fA-F]{40}", address):
        raise Rejected(CredentialReason.LEGACY_INVALID_ADDRESS, repr(address))
    return address.lower()


def grant_messaging_access_text(account_address: str, installation_public_key: bytes, created_ns: int) -> str:
    """libxmtp xmtp_mls/src/credential/grant_messaging_access_association.rs@2f16634 ``text``: what the wallet
    signs (docs/xmtp-facts.md §2)."""
    return ("XMTP : Grant Messaging Access\n\n"
            f"Current Time: {_rfc3339(created_ns)}\n"
            f"Account Address: {_sanitize_address(account_address)}\n"
            f"Installation ID: {legacy_installation_id(installation_public_key)}\n\n"
            "For more info: https://xmtp.org/signatures/")


def legacy_credential(wallet: Wallet, installation: Installation, created_ns: int) -> Credential:
    """libxmtp xmtp_mls/src/credential/mod.rs@2f16634 Credential::create: the wallet grants the installation
    messaging access.

    The Basic credential's identity is the encoded ``LegacyMlsCredential``.
    """
    key = installation.public_key
    text = grant_messaging_access_text(wallet.address, key, created_ns)
    association = GrantMessagingAccessAssociation(
        AssociationTextVersion.V1, RecoverableEcdsaSignature(wallet.sign(text)), wallet.address, created_ns)
    return Credential.basic(LegacyMlsCredential(key, messaging_access=association).encode())


def legacy_account_of(credential: Credential, signature_key: bytes) -> str:
    """libxmtp xmtp_mls/src/identity.rs@2f16634 get_validated_account_address: the wallet address a legacy
    credential proves.

    The wallet's EIP-191 signature over the grant text must recover the
    credential's ``account_address``, and the granted installation key must be
    the leaf's ``signature_key``. Returns the lowercase address; raises ``Rejected``.
    """
    legacy = _identity(credential, LegacyMlsCredential)
    if legacy.legacy_create_identity is not None:
        raise Rejected(CredentialReason.LEGACY_UNSUPPORTED_ASSOCIATION, "legacy_create_identity")
    grant = legacy.messaging_access
    if grant is None or grant.signature is None:
        raise Rejected(CredentialReason.LEGACY_NO_ASSOCIATION, "no messaging_access signature")
    address = _sanitize_address(grant.account_address)
    text = grant_messaging_access_text(address, legacy.installation_public_key, grant.created_ns)
    try:
        signer = recover_erc191(text, grant.signature.bytes_)
    except InvalidSignatureError as e:
        raise Rejected(CredentialReason.LEGACY_BAD_SIGNATURE, str(e)) from None
    if signer != address:  # recovery gives "0x" + hex, so an address written without "0x" never matches
        raise Rejected(CredentialReason.LEGACY_ADDRESS_MISMATCH, f"{address} granted, {signer} signed")
    if legacy.installation_public_key != signature_key:
        raise Rejected(CredentialReason.LEGACY_INSTALLATION_MISMATCH, "granted key is not the leaf's signature key")
    return address
