"""XMTP key packages: libxmtp's profiles, the receiver's validation rules, the rotation policy."""

from __future__ import annotations

import pytest

from spec_model.mls.codec import opaque
from spec_model.mls.group_context import Extension
from spec_model.mls.key_package import KeyPackage, KeyPackageBundle
from spec_model.mls.leaf_node import Capabilities, Credential, CredentialType, FromKeyPackage, FromUpdate, Lifetime
from spec_model.mls.reasons import Rejected
from spec_model.mls.suites import suite
from spec_model.xmtp.credential import CredentialReason, Installation, inbox_credential
from spec_model.xmtp.identity import apply_update
from spec_model.xmtp.identity_signing import create_inbox_update
from spec_model.xmtp.key_package import (
    KEY_PACKAGE_LIFETIME_S, KEY_PACKAGE_QUEUE_INTERVAL_NS, KEY_PACKAGE_ROTATION_INTERVAL_NS,
    KEYS_EXPIRATION_INTERVAL_NS, LIBXMTP_HEAD, LIBXMTP_V1_0_0, LIFETIME_MARGIN_S, MAX_LIFETIME_RANGE_S,
    KeyPackageReason, WelcomePointeeEncryptionAeadTypesExtension, WelcomeWrapperEncryption, build_key_package,
    needs_rotation, validate_xmtp_key_package,
)
from spec_model.xmtp.wallet import Wallet

CS = suite(3)
NOW = 1_750_000_000
WALLET = Wallet.from_key(bytes([7]) * 32)
INSTALLATION = Installation(bytes(range(32)))
STRANGER = Installation(bytes(range(1, 33)))
STATE = apply_update(None, create_inbox_update(WALLET, 0, NOW * 10**9, INSTALLATION.private_key))
OTHER_STATE = apply_update(None, create_inbox_update(WALLET, 1, NOW * 10**9, INSTALLATION.private_key))
INBOX = STATE.inbox_id
LOOKUP = {INBOX: STATE}.get
HEAD_EXTENSIONS = (10, 1, 0xF000, 6, 0xFF02, 0xFF00, 0xFF01)
DAY_NS = 86400 * 10**9


@pytest.fixture(scope="module")
def bundle() -> KeyPackageBundle:
    return build_key_package(INSTALLATION, INBOX, NOW)


def resigned(bundle: KeyPackageBundle, leaf: dict | None = None, **changes) -> KeyPackage:
    """``bundle``'s key package with leaf fields and then key-package fields replaced, both signatures redone."""
    kp = bundle.key_package
    leaf_node = kp.leaf_node.replace(**leaf).signed(CS, bundle.signature_priv) if leaf else kp.leaf_node
    return kp.replace(leaf_node=leaf_node, **changes).signed(CS, bundle.signature_priv)


def rejected(reason, key_package: KeyPackage, now: int = NOW, lookup=LOOKUP) -> None:
    with pytest.raises(Rejected) as info:
        validate_xmtp_key_package(key_package, now, lookup)
    assert info.value.reason is reason


# ------------------------------------------------------------------ building

def test_head_profile_by_default(bundle: KeyPackageBundle) -> None:
    kp = bundle.key_package
    leaf = kp.leaf_node
    assert (kp.version, kp.cipher_suite, kp.extensions) == (1, 3, (Extension(10, b""),))
    assert leaf.source == FromKeyPackage(Lifetime(NOW - 3600, NOW + 84 * 86400))
    assert leaf.extensions == (Extension(1, opaque(INBOX.encode())),)
    assert leaf.capabilities == Capabilities(versions=(1,), cipher_suites=(3,), extensions=HEAD_EXTENSIONS,
                                             proposals=(7, 8), credentials=(1,))
    assert leaf.credential == inbox_credential(INBOX)
    assert leaf.signature_key == INSTALLATION.public_key and bundle.signature_priv == INSTALLATION.private_key
    assert validate_xmtp_key_package(kp, NOW, LOOKUP) == INBOX


def test_head_with_welcome_extensions() -> None:
    """Both opt-ins on: exactly what libxmtp HEAD publishes."""
    kp = build_key_package(INSTALLATION, INBOX, NOW, profile=LIBXMTP_HEAD, welcome_pointers=True,
                           wrapper_public_key=b"\x01" * 1216).key_package
    assert [e.extension_type for e in kp.extensions] == [10, 0xFF04, 0xFF03]
    assert kp.extensions[1].extension_data == bytes.fromhex("0a0103")  # supported_aead_types [CHACHA20_POLY1305]
    aead = WelcomePointeeEncryptionAeadTypesExtension.decode(kp.extensions[1].extension_data)
    assert aead.supported_aead_types == (3,)
    assert WelcomeWrapperEncryption.decode(kp.extensions[2].extension_data) == WelcomeWrapperEncryption(
        b"\x01" * 1216, 2)
    assert kp.leaf_node.capabilities.extensions == HEAD_EXTENSIONS + (0xFF03, 0xFF04)
    assert validate_xmtp_key_package(kp, NOW, LOOKUP) == INBOX


@pytest.mark.parametrize("pointers, wrapper, listed", [(True, None, (0xFF04,)), (False, b"pk", (0xFF03,))])
def test_each_welcome_extension_alone(pointers: bool, wrapper: bytes | None, listed: tuple[int, ...]) -> None:
    kp = build_key_package(INSTALLATION, INBOX, NOW, welcome_pointers=pointers, wrapper_public_key=wrapper).key_package
    assert kp.leaf_node.capabilities.extensions == HEAD_EXTENSIONS + listed
    assert [e.extension_type for e in kp.extensions] == [10, *listed]


def test_v1_0_0_profile() -> None:
    kp = build_key_package(INSTALLATION, INBOX, NOW, profile=LIBXMTP_V1_0_0).key_package
    assert kp.extensions == (Extension(10, b""),)
    assert kp.leaf_node.capabilities.extensions == (10, 1, 0xFF02, 0xFF00, 0xFF01, 0xF000)
    assert kp.leaf_node.capabilities.proposals == (7,)
    assert validate_xmtp_key_package(kp, NOW, LOOKUP) == INBOX
    with pytest.raises(ValueError):
        build_key_package(INSTALLATION, INBOX, NOW, profile=LIBXMTP_V1_0_0, welcome_pointers=True)


def test_deterministic_with_rng() -> None:
    def rng(n: int) -> bytes:
        return bytes([5]) * n
    assert build_key_package(INSTALLATION, INBOX, NOW, rng) == build_key_package(INSTALLATION, INBOX, NOW, rng)
    assert build_key_package(INSTALLATION, INBOX, NOW) != build_key_package(INSTALLATION, INBOX, NOW)


# ------------------------------------------------------------------ validation, one rule at a time

def test_version(bundle: KeyPackageBundle) -> None:
    rejected(KeyPackageReason.UNSUPPORTED_VERSION, resigned(bundle, version=2))


def test_cipher_suite(bundle: KeyPackageBundle) -> None:
    rejected(KeyPackageReason.UNSUPPORTED_CIPHER_SUITE, resigned(bundle, cipher_suite=1))


def test_leaf_source(bundle: KeyPackageBundle) -> None:
    update_leaf = bundle.key_package.leaf_node.replace(source=FromUpdate()).signed(
        CS, bundle.signature_priv, b"group", 0)
    rejected(KeyPackageReason.NOT_A_KEY_PACKAGE_LEAF, bundle.key_package.replace(leaf_node=update_leaf).signed(
        CS, bundle.signature_priv))


def test_leaf_signature(bundle: KeyPackageBundle) -> None:
    leaf = bundle.key_package.leaf_node
    forged = leaf.replace(signature=bytes([leaf.signature[0] ^ 1]) + leaf.signature[1:])
    rejected(KeyPackageReason.BAD_LEAF_SIGNATURE,
             bundle.key_package.replace(leaf_node=forged).signed(CS, bundle.signature_priv))


def test_key_package_signature(bundle: KeyPackageBundle) -> None:
    kp = bundle.key_package
    rejected(KeyPackageReason.BAD_SIGNATURE, kp.replace(signature=bytes([kp.signature[0] ^ 1]) + kp.signature[1:]))
    other = Installation.generate()  # signed by a key that is not the leaf's
    rejected(KeyPackageReason.BAD_SIGNATURE, kp.signed(CS, other.private_key))


def test_init_key_differs_from_encryption_key(bundle: KeyPackageBundle) -> None:
    rejected(KeyPackageReason.INIT_KEY_IS_ENCRYPTION_KEY,
             resigned(bundle, init_key=bundle.key_package.leaf_node.encryption_key))


def test_extensions_listed_in_capabilities(bundle: KeyPackageBundle) -> None:
    kp = bundle.key_package
    rejected(KeyPackageReason.UNLISTED_EXTENSION,
             resigned(bundle, extensions=kp.extensions + (Extension(0xFF04, b"\x0a\x01\x03"),)))
    rejected(KeyPackageReason.UNLISTED_EXTENSION,
             resigned(bundle, leaf={"extensions": kp.leaf_node.extensions + (Extension(0xFF10, b""),)}))
    without_app_id = kp.leaf_node.capabilities.replace(extensions=tuple(e for e in HEAD_EXTENSIONS if e != 1))
    assert validate_xmtp_key_package(resigned(bundle, leaf={"capabilities": without_app_id}), NOW, LOOKUP) == INBOX


def test_lifetime_window(bundle: KeyPackageBundle) -> None:
    kp = bundle.key_package
    not_before, not_after = NOW - LIFETIME_MARGIN_S, NOW + KEY_PACKAGE_LIFETIME_S
    for now in (not_before, not_after - 1):
        assert validate_xmtp_key_package(kp, now, LOOKUP) == INBOX
    rejected(KeyPackageReason.EXPIRED, kp, not_after)
    rejected(KeyPackageReason.NOT_YET_VALID, kp, not_before - 1)


def test_lifetime_range(bundle: KeyPackageBundle) -> None:
    assert KEY_PACKAGE_LIFETIME_S + LIFETIME_MARGIN_S == MAX_LIFETIME_RANGE_S == 84 * 86400 + 3600
    too_long = FromKeyPackage(Lifetime(NOW - LIFETIME_MARGIN_S - 1, NOW + KEY_PACKAGE_LIFETIME_S))
    rejected(KeyPackageReason.LIFETIME_TOO_LONG, resigned(bundle, leaf={"source": too_long}))


@pytest.mark.parametrize("missing", [10, 0xF000, 0xFF00, 0xFF01, 0xFF02])
def test_required_group_extensions(bundle: KeyPackageBundle, missing: int) -> None:
    caps = bundle.key_package.leaf_node.capabilities
    lacking = caps.replace(extensions=tuple(e for e in caps.extensions if e != missing))
    if missing == 10:  # LastResort is in use, so its absence is caught first
        rejected(KeyPackageReason.UNLISTED_EXTENSION, resigned(bundle, leaf={"capabilities": lacking}))
        lacking_kp = resigned(bundle, leaf={"capabilities": lacking}, extensions=())
    else:
        lacking_kp = resigned(bundle, leaf={"capabilities": lacking})
    rejected(KeyPackageReason.MISSING_CAPABILITIES, lacking_kp)


def test_required_credential_type_and_default_proposal(bundle: KeyPackageBundle) -> None:
    caps = bundle.key_package.leaf_node.capabilities
    x509_only = caps.replace(credentials=(CredentialType.x509,))
    rejected(KeyPackageReason.MISSING_CAPABILITIES, resigned(bundle, leaf={"capabilities": x509_only}))
    minimal = caps.replace(proposals=())  # GroupContextExtensions (7) is a default proposal type (RFC 9420 §7.2)
    assert validate_xmtp_key_package(resigned(bundle, leaf={"capabilities": minimal}), NOW, LOOKUP) == INBOX


def test_credential_must_name_an_inbox(bundle: KeyPackageBundle) -> None:
    rejected(CredentialReason.NOT_BASIC, resigned(bundle, leaf={"credential": Credential(CredentialType.x509)}))
    rejected(CredentialReason.INVALID_INBOX_ID, resigned(bundle, leaf={"credential": Credential.basic(b"")}))


def test_inbox_must_be_known(bundle: KeyPackageBundle) -> None:
    rejected(KeyPackageReason.UNKNOWN_INBOX, bundle.key_package, lookup=lambda inbox_id: None)


def test_installation_must_belong_to_the_inbox(bundle: KeyPackageBundle) -> None:
    stranger = build_key_package(STRANGER, INBOX, NOW).key_package
    rejected(CredentialReason.INSTALLATION_NOT_ASSOCIATED, stranger)
    rejected(CredentialReason.INBOX_MISMATCH, bundle.key_package, lookup=lambda inbox_id: OTHER_STATE)


# ------------------------------------------------------------------ rotation

def test_rotation_constants() -> None:
    assert KEY_PACKAGE_ROTATION_INTERVAL_NS == 30 * DAY_NS
    assert KEY_PACKAGE_QUEUE_INTERVAL_NS == 5 * 10**9
    assert KEYS_EXPIRATION_INTERVAL_NS == DAY_NS


def test_rotation_every_30_days() -> None:
    last = 1000 * DAY_NS
    assert not needs_rotation(last, last + 30 * DAY_NS - 1)
    assert needs_rotation(last, last + 30 * DAY_NS)


def test_rotation_5_seconds_after_a_welcome() -> None:
    last, consumed = 1000 * DAY_NS, 1001 * DAY_NS
    assert not needs_rotation(last, consumed + 5 * 10**9 - 1, consumed)
    assert needs_rotation(last, consumed + 5 * 10**9, consumed)
    assert not needs_rotation(last, last + 10 * 10**9, last - 10**9)  # consumed before the last rotation
