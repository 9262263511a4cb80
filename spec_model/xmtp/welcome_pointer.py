"""XIP-74 welcome pointers: a Welcome sealed once, and a small pointer to it wrapped for each installation.

Theory of operation
-------------------
A commit that adds thousands of installations has one Welcome, megabytes long
(it carries the ratchet tree). Wrapping it for each installation
(``welcome_wrap.py``) seals, stores and serves it thousands of times. libxmtp
(crates/xmtp_mls/src/groups/mls_sync.rs ``send_welcomes``@b649d1a, the same
@09d3f023f) instead, when more than ``INSTALLATION_THRESHOLD`` of the added
installations offer pointers (``offers_pointers``: their key package's 0xFF04
lists ChaCha20-Poly1305):

* draws a random 32-byte ``destination``, a 32-byte key and two different
  12-byte nonces, and seals the Welcome and its ``WelcomeMetadata`` under them
  with ChaCha20-Poly1305, AAD empty (``seal_pointee``). That pointee is sent as
  an ordinary ``WelcomeMessageInput.V1`` whose topic is the destination, with
  no public key and wrapper algorithm ``SYMMETRIC_KEY``;
* sends each installation that offers pointers a ``WelcomeMessageInput.WelcomePointer``:
  the ``WelcomePointer{WelcomeV1Pointer{destination, aead_type, encryption_key,
  data_nonce, welcome_metadata_nonce}}`` sealed by the first seal of
  ``wrap_welcome`` for its wrapper key (``wrap_pointer``), and every other
  installation the whole Welcome, wrapped (``welcome_wrap.py``).

The receiver (crates/xmtp_mls/src/groups/mls_ext/decrypted_welcome.rs,
groups/welcome_pointer.rs@b649d1a) opens the pointer with the private key of
the wrapper key it names (``open_pointer``), reads the first welcome message
of the destination topic, which must be a V1, and opens its two ciphertexts
with the pointer's key and nonces (``open_pointee``). A pointer's wrapper
algorithm is X-Wing only (``WelcomePointerWrapperAlgorithm``), so an
installation offers pointers together with an X-Wing wrapper key (0xFF03), as
libxmtp's key packages do. libxmtp retries a pointer whose pointee is not yet
stored (a background task, for up to 3 days); the model's client, which
retries no Welcome, refuses it (``POINTEE_NOT_FOUND``).
"""

from __future__ import annotations

import enum

from spec_model.mls.codec import DecodeError
from spec_model.mls.extensions import find_extension
from spec_model.mls.hpke import DecryptError, hpke_for
from spec_model.mls.key_package import KeyPackage
from spec_model.mls.reasons import RefusalClass, Rejected, reason_codes
from spec_model.mls.suites import Rng

from . import api
from .extensions import XmtpExtensionType
from .key_package import WelcomePointeeEncryptionAeadType, WelcomePointeeEncryptionAeadTypesExtension
from .proto import BYTES, Annotated, EnumKind, Field, Message, MessageKind
from .welcome_wrap import unwrap_welcome, wrap_payload

__all__ = [
    "INSTALLATION_THRESHOLD", "WelcomePointerReason", "WelcomeV1Pointer", "WelcomePointer", "offers_pointers",
    "seal_pointee", "wrap_pointer", "open_pointer", "open_pointee",
]

INSTALLATION_THRESHOLD = 2
"""libxmtp crates/xmtp_configuration/src/common/mls.rs@b649d1a ``INSTALLATION_THRESHOLD_FOR_WELCOME_POINTER_SENDING``:
pointers are sent when more than this many added installations offer them."""

_AEAD = hpke_for(0x0020, 0x0001, 0x0003).aead  # ChaCha20-Poly1305 (RFC 8439): 32-byte key, 12-byte nonce
_DESTINATION_SIZE = 32  # libxmtp xmtp_proto types ``InstallationId``: a topic id of 32 bytes


@reason_codes("welcome_pointer", pointee_not_found=RefusalClass.NOT_FOUND)
class WelcomePointerReason(enum.StrEnum):
    """libxmtp crates/xmtp_mls/src/groups/mls_ext/decrypted_welcome.rs@b649d1a: why a welcome pointer is refused."""

    UNSUPPORTED_WRAPPER_ALGORITHM = "welcome_pointer.unsupported_wrapper_algorithm"  # WelcomePointerWrapperAlgorithm: X-Wing only
    MALFORMED_POINTER = "welcome_pointer.malformed_pointer"      # a WelcomePointer with a V1 and a 32-byte destination
    UNSUPPORTED_AEAD = "welcome_pointer.unsupported_aead"        # WelcomePointeeEncryptionAeadType: ChaCha20-Poly1305 only
    POINTEE_NOT_FOUND = "welcome_pointer.pointee_not_found"      # welcome_pointer.rs: the destination topic is empty
    POINTEE_NOT_V1 = "welcome_pointer.pointee_not_v1"            # welcome_pointer.rs: a pointer to a pointer is refused
    DECRYPT_FAILED = "welcome_pointer.decrypt_failed"            # payload_encryption.rs unwrap_payload_symmetric
    MALFORMED_METADATA = "welcome_pointer.malformed_metadata"    # decrypted_welcome.rs: the metadata is a WelcomeMetadata


class WelcomeV1Pointer(Message):
    """xmtp/proto welcome_pointer.proto: ``WelcomePointer.WelcomeV1Pointer``, where a Welcome is and its key."""

    destination: Annotated[bytes, Field(1, BYTES)] = b""
    aead_type: Annotated[int, Field(2, EnumKind(WelcomePointeeEncryptionAeadType))] = 0
    encryption_key: Annotated[bytes, Field(3, BYTES)] = b""
    data_nonce: Annotated[bytes, Field(4, BYTES)] = b""
    welcome_metadata_nonce: Annotated[bytes, Field(5, BYTES)] = b""


class WelcomePointer(Message):
    """xmtp/proto welcome_pointer.proto: ``WelcomePointer``, what an installation's pointer message seals."""

    welcome_v1_pointer: Annotated[WelcomeV1Pointer | None,
                                  Field(1, MessageKind(WelcomeV1Pointer), oneof="version")] = None


def offers_pointers(key_package: KeyPackage) -> bool:
    """libxmtp crates/xmtp_mls/src/groups/intents.rs@b649d1a ``Installation::from_verified_key_package``,
    mls_ext_welcome_pointee_encryption_aead_type.rs ``compatible``: whether 0xFF04 lists ChaCha20-Poly1305.

    As there, an 0xFF04 that does not decode or names an AEAD type that is
    unknown or UNSPECIFIED makes the key package unusable:
    ``MALFORMED_POINTER`` or ``UNSUPPORTED_AEAD`` (the membership change fails).
    """
    data = find_extension(key_package.extensions, XmtpExtensionType.WELCOME_POINTEE_AEAD)
    if data is None:
        return False
    try:
        types = WelcomePointeeEncryptionAeadTypesExtension.decode(data).supported_aead_types
    except DecodeError as e:
        raise Rejected(WelcomePointerReason.MALFORMED_POINTER, f"0xFF04: {e}") from None
    if any(t != WelcomePointeeEncryptionAeadType.CHACHA20_POLY1305 for t in types):
        raise Rejected(WelcomePointerReason.UNSUPPORTED_AEAD, f"0xFF04 lists {list(map(int, types))}")
    return bool(types)


def seal_pointee(welcome: bytes, message_cursor: int, rng: Rng) -> tuple[api.WelcomeMessageInput, bytes]:
    """libxmtp crates/xmtp_mls/src/groups/mls_sync.rs@b649d1a ``send_welcomes``: (the pointee to send, the encoded
    ``WelcomePointer`` to it).

    ``rng`` draws, in libxmtp's order, the destination (32 bytes), the key
    (32), the data nonce (12) and the metadata nonce (12, drawn again while it
    equals the data nonce).
    """
    destination, key, data_nonce = rng(_DESTINATION_SIZE), rng(_AEAD.Nk), rng(_AEAD.Nn)
    metadata_nonce = rng(_AEAD.Nn)
    while metadata_nonce == data_nonce:
        metadata_nonce = rng(_AEAD.Nn)
    pointee = api.WelcomeMessageInput(v1=api.WelcomeMessageInput.V1(
        destination, _AEAD.seal(key, data_nonce, b"", welcome), b"", api.WelcomeWrapperAlgorithm.SYMMETRIC_KEY,
        _AEAD.seal(key, metadata_nonce, b"", api.WelcomeMetadata(message_cursor).encode())))
    pointer = WelcomePointer(WelcomeV1Pointer(destination, WelcomePointeeEncryptionAeadType.CHACHA20_POLY1305, key,
                                              data_nonce, metadata_nonce))
    return pointee, pointer.encode()


def wrap_pointer(installation: bytes, public_key: bytes, algorithm: int, pointer: bytes,
                 rng: Rng | None = None) -> api.WelcomeMessageInput:
    """libxmtp crates/xmtp_mls/src/groups/mls_sync.rs@b649d1a ``send_welcomes``: the pointer message for one
    installation, wrapped for its wrapper key with its wrapper algorithm (``welcome_wrap.welcome_recipient``)."""
    return api.WelcomeMessageInput(welcome_pointer=api.WelcomeMessageInput.WelcomePointer(
        installation, wrap_payload(public_key, pointer, algorithm, rng), public_key, algorithm))


def open_pointer(private_key: bytes, message: api.WelcomeMessage.WelcomePointer) -> WelcomeV1Pointer:
    """libxmtp crates/xmtp_mls/src/groups/mls_ext/decrypted_welcome.rs@b649d1a ``decrypt_welcome_pointer``: the
    pointer ``message`` carries, opened with the X-Wing seed of the wrapper key it names."""
    if message.wrapper_algorithm != api.WelcomePointerWrapperAlgorithm.XWING_MLKEM_768_DRAFT_6:
        raise Rejected(WelcomePointerReason.UNSUPPORTED_WRAPPER_ALGORITHM, f"{message.wrapper_algorithm}")
    data, _ = unwrap_welcome(private_key, message.welcome_pointer, b"",
                             api.WelcomeWrapperAlgorithm.XWING_MLKEM_768_DRAFT_6)
    try:
        pointer = WelcomePointer.decode(data).welcome_v1_pointer
    except DecodeError as e:
        raise Rejected(WelcomePointerReason.MALFORMED_POINTER, str(e)) from None
    if pointer is None:
        raise Rejected(WelcomePointerReason.MALFORMED_POINTER, "WelcomePointer.version: absent")
    if len(pointer.destination) != _DESTINATION_SIZE:
        raise Rejected(WelcomePointerReason.MALFORMED_POINTER,
                       f"WelcomeV1Pointer.destination: {len(pointer.destination)} bytes, not {_DESTINATION_SIZE}")
    if pointer.aead_type != WelcomePointeeEncryptionAeadType.CHACHA20_POLY1305:
        raise Rejected(WelcomePointerReason.UNSUPPORTED_AEAD, f"WelcomeV1Pointer.aead_type: {pointer.aead_type}")
    return pointer


def open_pointee(pointer: WelcomeV1Pointer, pointee: api.WelcomeMessage | None) -> tuple[bytes, int]:
    """libxmtp crates/xmtp_mls/src/groups/mls_ext/decrypted_welcome.rs@b649d1a
    ``welcome_from_decrypted_welcome_pointer``: (welcome, message_cursor) from the first message of the pointer's
    destination (``None``: there is none).

    Both ciphertexts are opened (an empty one fails: it has no tag); empty
    metadata is cursor 0, metadata that does not decode refuses the Welcome.
    """
    if pointee is None:
        raise Rejected(WelcomePointerReason.POINTEE_NOT_FOUND, pointer.destination.hex())
    if pointee.v1 is None:
        raise Rejected(WelcomePointerReason.POINTEE_NOT_V1, "the destination holds a welcome pointer")
    try:
        welcome = _AEAD.open(pointer.encryption_key, pointer.data_nonce, b"", pointee.v1.data)
        metadata = _AEAD.open(pointer.encryption_key, pointer.welcome_metadata_nonce, b"", pointee.v1.welcome_metadata)
    except (DecryptError, ValueError) as e:  # ValueError: a key or nonce of the wrong length
        raise Rejected(WelcomePointerReason.DECRYPT_FAILED, str(e)) from None
    try:
        return welcome, api.WelcomeMetadata.decode(metadata).message_cursor
    except DecodeError as e:
        raise Rejected(WelcomePointerReason.MALFORMED_METADATA, str(e)) from None
