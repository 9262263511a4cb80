"""XMTP key packages: how libxmtp builds them, how a receiver validates them, when they rotate (docs/xmtp-facts.md §1).

Theory of operation
-------------------
Every installation keeps a key package on the network so that others can
add it to groups. libxmtp builds it with OpenMLS (``identity.rs``
``XmtpKeyPackageBuilder::build``): cipher suite 3; OpenMLS's default lifetime
(from an hour ago to 84 days ahead); the LastResort extension, so that the
package can be used more than once; a leaf with the installation key as
signature key, the inbox-id credential (``credential.py``), an ApplicationId
extension holding the inbox id, and capabilities that list XMTP's group
extensions. ``KeyPackageProfile`` records two generations of those choices:
``LIBXMTP_HEAD`` and ``LIBXMTP_V1_0_0``.

HEAD also adds two key-package extensions for welcome delivery (docs/xmtp-facts.md §7.3):
0xFF04 (which AEADs the installation accepts for welcome pointers) and 0xFF03
(an X-Wing public key for post-quantum welcome wrapping). Both are opt-in
here and off by default (a client of the libxmtp profile turns both on,
``context.py``): without them a sender wraps welcomes to the init key
with X25519; with 0xFF03 it wraps them with X-Wing (``welcome_wrap.py``,
``spec_model/mls/xwing.py``), with 0xFF04 it may send a pointer
(``welcome_pointer.py``). With both on, the package is
HEAD's exactly; HEAD lists 0xFF03 and 0xFF04 in its capabilities even when it
leaves an extension out, the model lists only what it includes.

``validate_xmtp_key_package`` is the receiver's side: the RFC 9420 §10.1
checks as OpenMLS ``KeyPackageIn::validate`` performs them (with lifetime
verification, as libxmtp ``verified_key_package_v2.rs`` asks), XMTP's suite
and capabilities, and the credential bound to its inbox. The rotation policy
(``needs_rotation``) is a pure function of libxmtp's constants; the deletion of
replaced private keys is the client's (``ClientContext.maintain_key_packages``).
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Callable

from spec_model.mls.extensions import DEFAULT_EXTENSION_TYPES, RequiredCapabilities, supports_required
from spec_model.mls.group_context import Extension, ProtocolVersion
from spec_model.mls.key_package import KeyPackage, KeyPackageBundle, generate_key_package
from spec_model.mls.leaf_node import Capabilities, CredentialType, FromKeyPackage, Lifetime
from spec_model.mls.reasons import RefusalClass, Rejected, reason_codes
from spec_model.mls.suites import CipherSuiteId, InvalidSignatureError, Rng, suite

from .credential import Installation, check_installation, inbox_credential, inbox_of, named_inbox
from .extensions import XmtpExtensionType, application_id_extension, last_resort_extension
from .identity import AssociationState
from .profiles import SEED, Profile
from .proto import BYTES, Annotated, EnumKind, Field, Message
from .api import WelcomeWrapperAlgorithm

__all__ = [
    "CIPHER_SUITE", "KEY_PACKAGE_LIFETIME_S", "LIFETIME_MARGIN_S", "MAX_LIFETIME_RANGE_S", "APP_DATA_DICTIONARY",
    "GROUP_CONTEXT_EXTENSIONS", "APP_DATA_UPDATE",
    "GROUP_REQUIRED_CAPABILITIES", "KEY_PACKAGE_ROTATION_INTERVAL_NS", "KEY_PACKAGE_QUEUE_INTERVAL_NS",
    "KEYS_EXPIRATION_INTERVAL_NS", "KeyPackageReason", "WelcomePointeeEncryptionAeadType",
    "WelcomePointeeEncryptionAeadTypesExtension", "WelcomeWrapperEncryption", "KeyPackageProfile",
    "LIBXMTP_HEAD", "LIBXMTP_V1_0_0", "build_key_package", "validate_xmtp_key_package", "needs_rotation",
]

CIPHER_SUITE = CipherSuiteId.MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519
"""libxmtp xmtp_cryptography configuration.rs ``CIPHERSUITE``: XMTP's only group cipher suite (0x0003)."""

KEY_PACKAGE_LIFETIME_S = 60 * 60 * 24 * 28 * 3
"""OpenMLS lifetime.rs ``DEFAULT_KEY_PACKAGE_LIFETIME_SECONDS``: not_after is 84 days after creation."""
LIFETIME_MARGIN_S = 60 * 60
"""OpenMLS lifetime.rs ``DEFAULT_KEY_PACKAGE_LIFETIME_MARGIN_SECONDS``: not_before is an hour before creation."""
MAX_LIFETIME_RANGE_S = KEY_PACKAGE_LIFETIME_S + LIFETIME_MARGIN_S
"""OpenMLS lifetime.rs ``MAX_LEAF_NODE_LIFETIME_RANGE_SECONDS``: the longest acceptable not_after − not_before."""

APP_DATA_DICTIONARY = 0x0006
"""OpenMLS fork extensions/mod.rs ``AppDataDictionary`` (docs/xmtp-facts.md §1): advertised by HEAD's leaves."""
GROUP_CONTEXT_EXTENSIONS, APP_DATA_UPDATE = 7, 8
"""RFC 9420 §17.4 ``group_context_extensions``; OpenMLS fork proposals.rs ``AppDataUpdate``."""

GROUP_REQUIRED_CAPABILITIES = RequiredCapabilities(
    extension_types=(XmtpExtensionType.GROUP_MEMBERSHIP, XmtpExtensionType.MUTABLE_METADATA,
                     XmtpExtensionType.MUTABLE_PERMISSIONS, XmtpExtensionType.IMMUTABLE_METADATA,
                     XmtpExtensionType.LAST_RESORT, XmtpExtensionType.APPLICATION_ID),
    proposal_types=(GROUP_CONTEXT_EXTENSIONS,),
    credential_types=(CredentialType.basic,),
)
"""libxmtp groups/mod.rs build_group_config: the RequiredCapabilities of every XMTP group (v1.0.0 to HEAD)."""

_NS_IN_SEC = 10**9
_NS_IN_DAY = 24 * 60 * 60 * _NS_IN_SEC
KEY_PACKAGE_ROTATION_INTERVAL_NS = 30 * _NS_IN_DAY
"""libxmtp common/mls.rs ``KEY_PACKAGE_ROTATION_INTERVAL_NS``: a key package is replaced every 30 days."""
KEY_PACKAGE_QUEUE_INTERVAL_NS = 5 * _NS_IN_SEC
"""libxmtp common/mls.rs ``KEY_PACKAGE_QUEUE_INTERVAL_NS``: and 5 s after a welcome used it."""
KEYS_EXPIRATION_INTERVAL_NS = _NS_IN_DAY
"""libxmtp prod/mls.rs ``KEYS_EXPIRATION_INTERVAL_NS``: a replaced key package's private keys live 1 day more."""


@reason_codes("key_package", unknown_inbox=RefusalClass.NOT_FOUND)
class KeyPackageReason(enum.StrEnum):
    """OpenMLS key_package_in.rs, lifetime.rs; libxmtp verified_key_package_v2.rs: why a key package is refused.

    A credential that does not bind the leaf to its inbox is refused with a
    ``CredentialReason`` (``credential.py``), the same as anywhere else.
    """

    UNSUPPORTED_VERSION = "key_package.unsupported_version"    # RFC 9420 §10.1: version is mls10 (OpenMLS valn0201)
    UNSUPPORTED_CIPHER_SUITE = "key_package.unsupported_cipher_suite"  # docs/xmtp-facts.md §1: XMTP groups use suite 3 only
    NOT_A_KEY_PACKAGE_LEAF = "key_package.not_a_key_package_leaf"  # RFC 9420 §7.3: leaf_node_source is key_package
    BAD_LEAF_SIGNATURE = "key_package.bad_leaf_signature"      # RFC 9420 §7.3: LeafNodeTBS signature (OpenMLS valn0108)
    BAD_SIGNATURE = "key_package.bad_signature"                # RFC 9420 §10.1: KeyPackageTBS signature (OpenMLS valn0203)
    INIT_KEY_IS_ENCRYPTION_KEY = "key_package.init_key_is_encryption_key"  # RFC 9420 §10.1: the two keys differ (valn0204)
    UNLISTED_EXTENSION = "key_package.unlisted_extension"      # RFC 9420 §10, §7.3: non-default extensions are in capabilities
    EXPIRED = "key_package.expired"                            # OpenMLS lifetime.rs: now < not_after
    NOT_YET_VALID = "key_package.not_yet_valid"                # OpenMLS lifetime.rs: not_before <= now
    LIFETIME_TOO_LONG = "key_package.lifetime_too_long"        # OpenMLS lifetime.rs has_acceptable_range: ≤ 84 d + 1 h
    MISSING_CAPABILITIES = "key_package.missing_capabilities"  # libxmtp build_group_config: RequiredCapabilities (§7.2 defaults)
    UNKNOWN_INBOX = "key_package.unknown_inbox"                # docs/xmtp-facts.md §8: the credential's inbox has an association state


# ------------------------------------------------------------------ key-package extensions 0xFF03, 0xFF04

class WelcomePointeeEncryptionAeadType(enum.IntEnum):
    """xmtp/proto welcome_pointer.proto: ``WelcomePointeeEncryptionAeadType`` (OpenMLS AeadType numbers)."""

    UNSPECIFIED = 0
    CHACHA20_POLY1305 = 3


class WelcomePointeeEncryptionAeadTypesExtension(Message):
    """xmtp/proto welcome_pointer.proto: extension 0xFF04, the AEADs accepted for welcome pointers (XIP-74)."""

    supported_aead_types: Annotated[tuple[int, ...], Field(
        1, EnumKind(WelcomePointeeEncryptionAeadType), repeated=True)] = ()


class WelcomeWrapperEncryption(Message):
    """xmtp/proto wrapper_encryption.proto: extension 0xFF03, the key welcomes are wrapped to instead of init_key."""

    pub_key: Annotated[bytes, Field(1, BYTES)] = b""
    algorithm: Annotated[int, Field(2, EnumKind(WelcomeWrapperAlgorithm))] = WelcomeWrapperAlgorithm.UNSPECIFIED


# ------------------------------------------------------------------ building

@dataclasses.dataclass(frozen=True)
class KeyPackageProfile:
    """libxmtp crates/xmtp_mls/src/identity.rs@a53a97e: one libxmtp generation's leaf capabilities and whether it
    has 0xFF03/0xFF04."""

    name: str
    capability_extensions: tuple[int, ...]
    proposals: tuple[int, ...]
    welcome_extensions: bool


LIBXMTP_HEAD = KeyPackageProfile(
    "libxmtp HEAD a53a97e",
    (XmtpExtensionType.LAST_RESORT, XmtpExtensionType.APPLICATION_ID, XmtpExtensionType.IMMUTABLE_METADATA,
     APP_DATA_DICTIONARY, XmtpExtensionType.MUTABLE_PERMISSIONS, XmtpExtensionType.MUTABLE_METADATA,
     XmtpExtensionType.GROUP_MEMBERSHIP),
    (GROUP_CONTEXT_EXTENSIONS, APP_DATA_UPDATE),
    welcome_extensions=True,
)
"""libxmtp HEAD identity.rs XmtpKeyPackageBuilder::build (0xFF03/0xFF04 appended when enabled)."""

LIBXMTP_V1_0_0 = KeyPackageProfile(
    "libxmtp v1.0.0",
    (XmtpExtensionType.LAST_RESORT, XmtpExtensionType.APPLICATION_ID, XmtpExtensionType.MUTABLE_PERMISSIONS,
     XmtpExtensionType.MUTABLE_METADATA, XmtpExtensionType.GROUP_MEMBERSHIP, XmtpExtensionType.IMMUTABLE_METADATA),
    (GROUP_CONTEXT_EXTENSIONS,),
    welcome_extensions=False,
)
"""libxmtp v1.0.0 identity.rs Identity::new_key_package: LastResort only, proposal 7 only."""


def build_key_package(installation: Installation, inbox_id: str, now_s: int, rng: Rng | None = None, *,
                      profile: KeyPackageProfile = LIBXMTP_HEAD, welcome_pointers: bool = False,
                      wrapper_public_key: bytes | None = None) -> KeyPackageBundle:
    """libxmtp crates/xmtp_mls/src/identity.rs@a53a97e XmtpKeyPackageBuilder::build: the installation's key package
    for ``inbox_id``.

    ``welcome_pointers`` adds 0xFF04 {supported_aead_types [CHACHA20_POLY1305]};
    ``wrapper_public_key`` (an X-Wing public key, whose private key the caller
    keeps) adds 0xFF03 {pub_key, algorithm XWING_MLKEM_768_DRAFT_6}. Each is
    then listed in the capabilities too; only ``LIBXMTP_HEAD`` has them.
    """
    if (welcome_pointers or wrapper_public_key is not None) and not profile.welcome_extensions:
        raise ValueError(f"{profile.name} has no welcome-pointer or wrapper extensions")
    extensions = [last_resort_extension()]
    if welcome_pointers:
        aead = WelcomePointeeEncryptionAeadTypesExtension((WelcomePointeeEncryptionAeadType.CHACHA20_POLY1305,))
        extensions.append(Extension(XmtpExtensionType.WELCOME_POINTEE_AEAD, aead.encode()))
    if wrapper_public_key is not None:
        wrapper = WelcomeWrapperEncryption(wrapper_public_key, WelcomeWrapperAlgorithm.XWING_MLKEM_768_DRAFT_6)
        extensions.append(Extension(XmtpExtensionType.WELCOME_WRAPPER, wrapper.encode()))
    listed = profile.capability_extensions + tuple(sorted(e.extension_type for e in extensions[1:]))  # 0xFF03 first
    return generate_key_package(
        suite(CIPHER_SUITE), inbox_credential(inbox_id), installation.private_key,
        capabilities=Capabilities(cipher_suites=(CIPHER_SUITE,), extensions=listed, proposals=profile.proposals),
        lifetime=Lifetime(now_s - LIFETIME_MARGIN_S, now_s + KEY_PACKAGE_LIFETIME_S),
        leaf_extensions=(application_id_extension(inbox_id),), extensions=tuple(extensions), rng=rng,
    )


# ------------------------------------------------------------------ validating

def validate_xmtp_key_package(key_package: KeyPackage, now_s: int,
                              association_state_lookup: Callable[[str], AssociationState | None],
                              profile: Profile = SEED) -> str:
    """libxmtp crates/xmtp_id/src/key_package/verified_key_package_v2.rs@a53a97e, OpenMLS KeyPackageIn::validate: a
    key package XMTP may add to a group.

    ``association_state_lookup(inbox_id)`` gives the inbox's association state
    (docs/xmtp-facts.md §8), or None if the inbox is unknown. Returns the inbox id; raises
    ``Rejected`` with a ``KeyPackageReason`` or a ``CredentialReason``. Without
    ``profile.fetched_key_packages_checked`` (libxmtp) the lifetime's range and the
    credential's inbox are not checked: the inbox named, whatever its form, is returned.
    """
    if key_package.version != ProtocolVersion.mls10:
        raise Rejected(KeyPackageReason.UNSUPPORTED_VERSION, f"version {key_package.version}")
    if key_package.cipher_suite != CIPHER_SUITE:
        raise Rejected(KeyPackageReason.UNSUPPORTED_CIPHER_SUITE, f"cipher suite {key_package.cipher_suite:#06x}")
    leaf, cs = key_package.leaf_node, suite(CIPHER_SUITE)
    if not isinstance(leaf.source, FromKeyPackage):
        raise Rejected(KeyPackageReason.NOT_A_KEY_PACKAGE_LEAF, type(leaf.source).__name__)
    try:
        leaf.verify(cs)
    except InvalidSignatureError:
        raise Rejected(KeyPackageReason.BAD_LEAF_SIGNATURE) from None
    try:
        key_package.verify_signature(cs)
    except InvalidSignatureError:
        raise Rejected(KeyPackageReason.BAD_SIGNATURE) from None
    if key_package.init_key == leaf.encryption_key:
        raise Rejected(KeyPackageReason.INIT_KEY_IS_ENCRYPTION_KEY)
    used = {e.extension_type for e in (*key_package.extensions, *leaf.extensions)}
    unlisted = used - set(leaf.capabilities.extensions) - DEFAULT_EXTENSION_TYPES
    if unlisted:
        raise Rejected(KeyPackageReason.UNLISTED_EXTENSION, ", ".join(f"{t:#06x}" for t in sorted(unlisted)))
    _check_lifetime(leaf.source.lifetime, now_s, range_checked=profile.fetched_key_packages_checked)
    if not supports_required(leaf.capabilities, GROUP_REQUIRED_CAPABILITIES):
        raise Rejected(KeyPackageReason.MISSING_CAPABILITIES, repr(leaf.capabilities))
    if not profile.fetched_key_packages_checked:
        return named_inbox(leaf.credential)
    inbox_id = inbox_of(leaf.credential)
    state = association_state_lookup(inbox_id)
    if state is None:
        raise Rejected(KeyPackageReason.UNKNOWN_INBOX, inbox_id)
    return check_installation(leaf.credential, leaf.signature_key, state)


def _check_lifetime(lifetime: Lifetime, now_s: int, *, range_checked: bool) -> None:
    """OpenMLS lifetime.rs validate_with_time and (``range_checked``) has_acceptable_range.

    The range bound is OpenMLS's constant; the fork libxmtp pins defines the
    check but does not call it during key-package validation (the libxmtp
    profile does not either).
    """
    if lifetime.not_after <= now_s:
        raise Rejected(KeyPackageReason.EXPIRED, f"not_after {lifetime.not_after} <= now {now_s}")
    if lifetime.not_before > now_s:
        raise Rejected(KeyPackageReason.NOT_YET_VALID, f"not_before {lifetime.not_before} > now {now_s}")
    if range_checked and lifetime.not_after - lifetime.not_before > MAX_LIFETIME_RANGE_S:
        raise Rejected(KeyPackageReason.LIFETIME_TOO_LONG, f"{lifetime.not_after - lifetime.not_before} s")


# ------------------------------------------------------------------ rotation

def needs_rotation(last_rotated_ns: int, now_ns: int, welcome_consumed_at_ns: int | None = None) -> bool:
    """libxmtp crates/xmtp_db/src/encrypted_store/identity.rs@a53a97e is_identity_needs_rotation: is a new key
    package due?

    One is due ``KEY_PACKAGE_ROTATION_INTERVAL_NS`` after the last rotation,
    or ``KEY_PACKAGE_QUEUE_INTERVAL_NS`` after a welcome consumed the current
    package (``queue_key_package_rotation``), whichever is sooner.
    """
    rotate_at = last_rotated_ns + KEY_PACKAGE_ROTATION_INTERVAL_NS
    if welcome_consumed_at_ns is not None and welcome_consumed_at_ns >= last_rotated_ns:
        rotate_at = min(rotate_at, welcome_consumed_at_ns + KEY_PACKAGE_QUEUE_INTERVAL_NS)
    return now_ns >= rotate_at
