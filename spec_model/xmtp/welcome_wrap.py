"""The outer HPKE layer XMTP puts around every Welcome (facts §7.3).

Theory of operation
-------------------
A Welcome is already encrypted per RFC 9420 to the key package's init key;
XMTP encrypts it once more for the recipient installation and adds a
``WelcomeMetadata`` (the group cursor to start from). One HPKE base-mode
context, DHKEM(X25519)/HKDF-SHA256/ChaCha20-Poly1305, seals the welcome first
and the metadata second (the next nonce), with AAD empty and ``info`` the TLS
``EncryptContext{label = "MLS 1.0 MLS_WELCOME", context = ""}``. On the wire,
``data`` is the TLS ``HPKECiphertext{kem_output, ciphertext}`` of the welcome
and ``welcome_metadata`` is the bare second ciphertext.

Only ``CURVE25519`` (the key package's init key) is implemented; the other
wrapper algorithms are refused with ``UNSUPPORTED_ALGORITHM``.
"""

from __future__ import annotations

import enum

from spec_model.mls.codec import DecodeError, opaque
from spec_model.mls.hpke import DecryptError, hpke_for
from spec_model.mls.reasons import Rejected
from spec_model.mls.suites import HPKECiphertext, Rng

from .api import WelcomeMetadata, WelcomeWrapperAlgorithm

__all__ = [
    "WelcomeWrapReason", "WelcomeWrapperAlgorithm", "WelcomeMetadata", "WELCOME_LABEL", "wrap_welcome",
    "unwrap_welcome",
]

WELCOME_LABEL = b"MLS 1.0 MLS_WELCOME"  # OpenMLS EncryptContext prefixes "MLS 1.0 " to libxmtp's "MLS_WELCOME"
_INFO = opaque(WELCOME_LABEL) + opaque(b"")  # TLS EncryptContext{label, context = empty}
_HPKE = hpke_for(0x0020, 0x0001, 0x0003)  # DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305


class WelcomeWrapReason(enum.StrEnum):
    """facts §7.3: why a wrapped welcome is refused."""

    UNSUPPORTED_ALGORITHM = "unsupported_algorithm"  # facts §7.3: only CURVE25519 is modelled so far
    MALFORMED_WRAPPER = "malformed_wrapper"          # facts §7.3: data is a TLS HPKECiphertext
    DECRYPT_FAILED = "decrypt_failed"                # facts §7.3: both ciphertexts open with our key
    MALFORMED_METADATA = "malformed_metadata"        # facts §7.1: the metadata is a WelcomeMetadata


def wrap_welcome(recipient_hpke_public_key: bytes, welcome: bytes, message_cursor: int,
                 algorithm: int = WelcomeWrapperAlgorithm.CURVE25519, rng: Rng | None = None) -> tuple[bytes, bytes]:
    """facts §7.3: (data, welcome_metadata) for one recipient; ``rng`` fixes the ephemeral key."""
    _check_algorithm(algorithm)
    ikm_e = rng(_HPKE.kem.Nsk) if rng else None
    kem_output, context = _HPKE.setup_base_s(recipient_hpke_public_key, _INFO, ikm_e)
    data = HPKECiphertext(kem_output, context.seal(b"", welcome)).encode()
    return data, context.seal(b"", WelcomeMetadata(message_cursor).encode())


def unwrap_welcome(private_key: bytes, data: bytes, welcome_metadata: bytes,
                   algorithm: int = WelcomeWrapperAlgorithm.CURVE25519) -> tuple[bytes, int]:
    """facts §7.3: (welcome, message_cursor) from what ``wrap_welcome`` produced.

    libxmtp payload_encryption unwrap_payload_hpke: an empty ``welcome_metadata``
    is not opened; it decodes as cursor 0.
    """
    _check_algorithm(algorithm)
    try:
        wrapped = HPKECiphertext.decode(data)
    except DecodeError as e:
        raise Rejected(WelcomeWrapReason.MALFORMED_WRAPPER, str(e)) from None
    try:
        context = _HPKE.setup_base_r(wrapped.kem_output, private_key, _INFO)
        welcome = context.open(b"", wrapped.ciphertext)
        metadata = context.open(b"", welcome_metadata) if welcome_metadata else b""
    except DecryptError as e:
        raise Rejected(WelcomeWrapReason.DECRYPT_FAILED, str(e)) from None
    try:
        return welcome, WelcomeMetadata.decode(metadata).message_cursor
    except DecodeError as e:
        raise Rejected(WelcomeWrapReason.MALFORMED_METADATA, str(e)) from None


def _check_algorithm(algorithm: int) -> None:
    if algorithm != WelcomeWrapperAlgorithm.CURVE25519:
        raise Rejected(WelcomeWrapReason.UNSUPPORTED_ALGORITHM, f"wrapper algorithm {algorithm}")
