"""The outer HPKE layer XMTP puts around every Welcome (docs/xmtp-facts.md §7.3).

Theory of operation
-------------------
A Welcome is already encrypted per RFC 9420 to the key package's init key;
XMTP encrypts it once more for the recipient installation and adds a
``WelcomeMetadata`` (the group cursor to start from). One HPKE base-mode
context, KEM/HKDF-SHA256/ChaCha20-Poly1305, seals the welcome first and the
metadata second (the next nonce), with AAD empty and ``info`` the TLS
``EncryptContext{label = "MLS 1.0 MLS_WELCOME", context = ""}``. On the wire,
``data`` is the TLS ``HPKECiphertext{kem_output, ciphertext}`` of the welcome
and ``welcome_metadata`` is the bare second ciphertext.

The wrapper algorithm names the KEM. ``CURVE25519`` is DHKEM(X25519) to the
key package's init key. ``XWING_MLKEM_768_DRAFT_6`` is X-Wing draft-06
(``spec_model/mls/xwing.py``) at HPKE KEM id 0x004D, the obsolete hpke-rs
codepoint libxmtp pins (libxmtp mls_ext_wrapper_encryption.rs
``to_hpke_config``), to the public key of the key package's 0xFF03
extension; its private key is X-Wing's 32-byte seed. ``welcome_recipient``
chooses between them as libxmtp does. The other wrapper algorithms are
refused with ``UNSUPPORTED_ALGORITHM``.
"""

from __future__ import annotations

import enum

from spec_model.mls import xwing
from spec_model.mls.codec import DecodeError, opaque, varint
from spec_model.mls.extensions import find_extension
from spec_model.mls.hpke import Context, DecryptError, Hpke, hpke_for
from spec_model.mls.key_package import KeyPackage
from spec_model.mls.reasons import Rejected, reason_codes
from spec_model.mls.suites import HPKECiphertext, Rng

from .api import WelcomeMetadata, WelcomeWrapperAlgorithm
from .extensions import XmtpExtensionType
from .key_package import WelcomeWrapperEncryption
from .profiles import SEED, Profile

__all__ = [
    "WelcomeWrapReason", "WelcomeWrapperAlgorithm", "WelcomeMetadata", "WELCOME_LABEL", "wrap_welcome",
    "unwrap_welcome", "welcome_recipient", "wrap_payload",
]

WELCOME_LABEL = b"MLS 1.0 MLS_WELCOME"  # OpenMLS EncryptContext prefixes "MLS 1.0 " to libxmtp's "MLS_WELCOME"
_INFO = opaque(WELCOME_LABEL) + opaque(b"")  # TLS EncryptContext{label, context = empty}
_SUITES: dict[int, tuple[Hpke, int]] = {
    # docs/xmtp-facts.md §7.3: the HPKE suite of each wrapper algorithm, and how many random bytes its Encap draws
    WelcomeWrapperAlgorithm.CURVE25519: (hpke_for(0x0020, 0x0001, 0x0003), 32),  # DeriveKeyPair(ikm_e), Nsk bytes
    WelcomeWrapperAlgorithm.XWING_MLKEM_768_DRAFT_6: (hpke_for(0x004D, 0x0001, 0x0003), xwing.ESEED_SIZE),
}


@reason_codes("welcome_wrap")
class WelcomeWrapReason(enum.StrEnum):
    """docs/xmtp-facts.md §7.3: why a wrapped welcome, or a recipient's wrapper key, is refused."""

    UNSUPPORTED_ALGORITHM = "welcome_wrap.unsupported_algorithm"  # docs/xmtp-facts.md §7.3: CURVE25519 and XWING_MLKEM_768_DRAFT_6 only
    MALFORMED_WRAPPER = "welcome_wrap.malformed_wrapper"          # docs/xmtp-facts.md §7.3: data is a TLS HPKECiphertext
    DECRYPT_FAILED = "welcome_wrap.decrypt_failed"                # docs/xmtp-facts.md §7.3: both ciphertexts open with our key
    MALFORMED_METADATA = "welcome_wrap.malformed_metadata"        # docs/xmtp-facts.md §7.1: the metadata is a WelcomeMetadata
    MALFORMED_WRAPPER_EXTENSION = "welcome_wrap.malformed_wrapper_extension"  # docs/xmtp-facts.md §7.1: 0xFF03 is a WelcomeWrapperEncryption
    INVALID_RECIPIENT_KEY = "welcome_wrap.invalid_recipient_key"  # RFC 9180 §7.1.4, draft-06 §5.4: the KEM accepts the key


def welcome_recipient(key_package: KeyPackage) -> tuple[bytes, int]:
    """libxmtp crates/xmtp_mls/src/groups/intents.rs@a53a97e ``Installation::from_verified_key_package``
    (docs/xmtp-facts.md §7.3): (public key, algorithm).

    With extension 0xFF03, its ``pub_key`` and algorithm, read as libxmtp
    mls_ext_wrapper_encryption.rs ``TryFrom<i32>`` does: 2 is X-Wing, 3
    (SYMMETRIC_KEY) is refused, any other number is CURVE25519. Without it,
    the init key with CURVE25519. The model also checks the key's length
    here, where libxmtp would fail only when sealing the Welcome.
    """
    data = find_extension(key_package.extensions, XmtpExtensionType.WELCOME_WRAPPER)
    if data is None:
        public_key, algorithm = key_package.init_key, WelcomeWrapperAlgorithm.CURVE25519
    else:
        try:
            wrapper = WelcomeWrapperEncryption.decode(data)
        except DecodeError as e:
            raise Rejected(WelcomeWrapReason.MALFORMED_WRAPPER_EXTENSION, str(e)) from None
        if wrapper.algorithm == WelcomeWrapperAlgorithm.SYMMETRIC_KEY:
            raise Rejected(WelcomeWrapReason.UNSUPPORTED_ALGORITHM, "0xFF03 names SYMMETRIC_KEY")
        public_key = wrapper.pub_key
        algorithm = (WelcomeWrapperAlgorithm.XWING_MLKEM_768_DRAFT_6
                     if wrapper.algorithm == WelcomeWrapperAlgorithm.XWING_MLKEM_768_DRAFT_6
                     else WelcomeWrapperAlgorithm.CURVE25519)
    expected = _suite(algorithm)[0].kem.Npk
    if len(public_key) != expected:
        raise Rejected(WelcomeWrapReason.INVALID_RECIPIENT_KEY,
                       f"{algorithm.name} key of {len(public_key)} bytes, not {expected}")
    return public_key, algorithm


def wrap_welcome(recipient_hpke_public_key: bytes, welcome: bytes, message_cursor: int,
                 algorithm: int = WelcomeWrapperAlgorithm.CURVE25519, rng: Rng | None = None) -> tuple[bytes, bytes]:
    """docs/xmtp-facts.md §7.3: (data, welcome_metadata) for one recipient; ``rng`` fixes the KEM's randomness.

    That randomness is ``ikm_e`` for DHKEM (32 bytes) and ``eseed`` for X-Wing
    (64 bytes). A key the KEM refuses is ``INVALID_RECIPIENT_KEY``.
    """
    data, context = _seal(recipient_hpke_public_key, welcome, algorithm, rng)
    return data, context.seal(b"", WelcomeMetadata(message_cursor).encode())


def wrap_payload(recipient_hpke_public_key: bytes, payload: bytes, algorithm: int, rng: Rng | None = None) -> bytes:
    """libxmtp crates/xmtp_mls_common/src/mls_ext/payload_encryption.rs@b649d1a ``wrap_payload_hpke(..).0``: the
    ``data`` of ``wrap_welcome`` alone (a welcome pointer is sent so, with no metadata)."""
    return _seal(recipient_hpke_public_key, payload, algorithm, rng)[0]


def _seal(recipient_hpke_public_key: bytes, payload: bytes, algorithm: int, rng: Rng | None) -> tuple[bytes, Context]:
    """docs/xmtp-facts.md §7.3: the TLS HPKECiphertext of ``payload``, and the HPKE context that sealed it."""
    hpke, randomness = _suite(algorithm)
    ikm_e = rng(randomness) if rng else None
    try:
        kem_output, context = hpke.setup_base_s(recipient_hpke_public_key, _INFO, ikm_e)
    except ValueError as e:
        raise Rejected(WelcomeWrapReason.INVALID_RECIPIENT_KEY, str(e)) from None
    sealed = context.seal(b"", payload)
    # the HPKECiphertext (RFC 9420 §5.1.3) joined in one copy: the sealed Welcome is megabytes at 4000 leaves
    return b"".join((opaque(kem_output), varint(len(sealed)), sealed)), context


def unwrap_welcome(private_key: bytes, data: bytes, welcome_metadata: bytes,
                   algorithm: int = WelcomeWrapperAlgorithm.CURVE25519, profile: Profile = SEED) -> tuple[bytes, int]:
    """docs/xmtp-facts.md §7.3: (welcome, message_cursor) from what ``wrap_welcome`` produced.

    ``private_key`` is the init key's for CURVE25519 and the X-Wing seed for
    XWING_MLKEM_768_DRAFT_6. libxmtp payload_encryption unwrap_payload_hpke: an
    empty ``welcome_metadata`` is not opened; it decodes as cursor 0. Without
    ``profile.welcome_metadata_checked`` (libxmtp) metadata that opens but does
    not decode counts as none.
    """
    hpke, _ = _suite(algorithm)
    try:
        wrapped = HPKECiphertext.decode(data)
    except DecodeError as e:
        raise Rejected(WelcomeWrapReason.MALFORMED_WRAPPER, str(e)) from None
    welcome, metadata = _open(hpke, private_key, wrapped, welcome_metadata)
    try:
        return welcome, WelcomeMetadata.decode(metadata).message_cursor
    except DecodeError as e:
        if not profile.welcome_metadata_checked:
            return welcome, 0
        raise Rejected(WelcomeWrapReason.MALFORMED_METADATA, str(e)) from None


def _open(hpke: Hpke, private_key: bytes, wrapped: HPKECiphertext, welcome_metadata: bytes) -> tuple[bytes, bytes]:
    """docs/xmtp-facts.md §7.3: the payload and the metadata (empty if none) opened with one HPKE context."""
    try:
        context = hpke.setup_base_r(wrapped.kem_output, private_key, _INFO)
        return context.open(b"", wrapped.ciphertext), context.open(b"", welcome_metadata) if welcome_metadata else b""
    except DecryptError as e:
        raise Rejected(WelcomeWrapReason.DECRYPT_FAILED, str(e)) from None


def _suite(algorithm: int) -> tuple[Hpke, int]:
    """docs/xmtp-facts.md §7.3: the HPKE suite of a wrapper algorithm and its Encap's randomness size, or a refusal."""
    if algorithm not in _SUITES:
        raise Rejected(WelcomeWrapReason.UNSUPPORTED_ALGORITHM, f"wrapper algorithm {algorithm}")
    return _SUITES[algorithm]
