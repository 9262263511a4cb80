"""``wire/welcome_wrapping::pointer_*`` and ``pointee_*``: XIP-74 welcome pointers, sound or broken as the case says.

A pointer case's wire form seals the Welcome of a new group that adds the SDK's installation as a sender does
(``welcome_pointer.seal_pointee``: ChaCha20-Poly1305 under a random key, stored on a random destination topic)
and sends, in one request, the pointee and a pointer to it for the SDK's installation, wrapped with X-Wing for
its key package's 0xFF03 key (``wrap_pointer``) — each broken where the case says; ``welcomes.WelcomeWire``
then sends a valid Welcome and judges which groups the SDK joined. Senders send pointers only to key packages
that offer them with an X-Wing key (libxmtp crates/xmtp_mls/src/groups/mls_sync.rs ``send_welcomes``@b649d1a),
so the cases are played in the profile whose key packages do (``POINTER_PROFILE``).
"""

from __future__ import annotations

import dataclasses
import os
from typing import Callable

from spec_model.mls.hpke import hpke_for
from spec_model.xmtp import api
from spec_model.xmtp.key_package import KeyPackage, WelcomePointeeEncryptionAeadType
from spec_model.xmtp.profiles import PROFILES
from spec_model.xmtp.welcome_pointer import WelcomePointer, WelcomeV1Pointer, seal_pointee, wrap_pointer

from ..malformed import flip
from .world import xwing_key

__all__ = ["POINTER_PROFILE", "POINTER_SENDS", "Sends", "OTHER_XWING_KEY"]

POINTER_PROFILE = next(name for name, profile in PROFILES.items() if profile.welcome_pointers)
"""The profile whose key packages offer welcome pointers and an X-Wing wrapper key (``Profile.welcome_pointers``)."""

Sends = Callable[[KeyPackage, bytes, int], tuple[api.WelcomeMessageInput, ...]]
"""(the SDK's key package, a Welcome, its commit's cursor) -> the welcome messages sent for it, in one request."""

_XWING = api.WelcomeWrapperAlgorithm.XWING_MLKEM_768_DRAFT_6
_CHACHA20_POLY1305 = hpke_for(0x0020, 0x0001, 0x0003).aead  # the pointee's AEAD (RFC 8439)
OTHER_XWING_KEY = hpke_for(0x004D, 0x0001, 0x0003).kem.derive_key_pair(b"\x07" * 32)[1]
"""An X-Wing public key no SDK holds the private key of: a wrapping sealed for it names the SDK's key."""



def _sends(*, pointer: Callable[[WelcomeV1Pointer], bytes] = lambda p: WelcomePointer(p).encode(),
           pointee: Callable[[api.WelcomeMessageInput.V1, WelcomeV1Pointer], api.WelcomeMessageInput.V1]
           = lambda v1, p: v1,
           pointee_sent: bool = True, sealed_for_another: bool = False) -> Sends:
    """A pointee and a pointer to it as ``seal_pointee`` and ``wrap_pointer`` make them, then changed: ``pointer``
    encodes the pointer, ``pointee`` changes the stored pointee, ``sealed_for_another`` seals the pointer for
    another X-Wing key while naming the SDK's."""
    def sends(key_package: KeyPackage, welcome: bytes, cursor: int) -> tuple[api.WelcomeMessageInput, ...]:
        public_key = xwing_key(key_package)
        sealed, encoded = seal_pointee(welcome, cursor, os.urandom)
        sound = WelcomePointer.decode(encoded).welcome_v1_pointer
        message = wrap_pointer(key_package.leaf_node.signature_key,
                               OTHER_XWING_KEY if sealed_for_another else public_key, _XWING, pointer(sound))
        message = dataclasses.replace(message, welcome_pointer=dataclasses.replace(
            message.welcome_pointer, hpke_public_key=public_key))
        stored = api.WelcomeMessageInput(v1=pointee(sealed.v1, sound))
        return ((stored,) if pointee_sent else ()) + (message,)
    return sends


def _pointer_to_a_pointer(key_package: KeyPackage, welcome: bytes, cursor: int) -> tuple[api.WelcomeMessageInput, ...]:
    """The sound pointee and a sound pointer to it stored on a second random topic, and for the SDK a pointer to
    that topic: a pointer to a pointer, which is not followed (libxmtp groups/welcome_pointer.rs@b649d1a)."""
    public_key = xwing_key(key_package)
    sealed, encoded = seal_pointee(welcome, cursor, os.urandom)
    relay = os.urandom(len(sealed.v1.installation_key))
    to_relay = WelcomePointer(dataclasses.replace(WelcomePointer.decode(encoded).welcome_v1_pointer,
                                                  destination=relay)).encode()
    return (sealed, wrap_pointer(relay, public_key, _XWING, encoded),
            wrap_pointer(key_package.leaf_node.signature_key, public_key, _XWING, to_relay))


def _v1_pointer(**changes) -> Callable[[WelcomeV1Pointer], bytes]:
    return lambda sound: WelcomePointer(dataclasses.replace(sound, **changes)).encode()


def _nonces_swapped(sound: WelcomeV1Pointer) -> bytes:
    return _v1_pointer(data_nonce=sound.welcome_metadata_nonce, welcome_metadata_nonce=sound.data_nonce)(sound)


def _metadata_not_protobuf(v1: api.WelcomeMessageInput.V1, sound: WelcomeV1Pointer) -> api.WelcomeMessageInput.V1:
    """Metadata sealed as the pointer says, that opens to no WelcomeMetadata (field 1, a truncated varint)."""
    sealed = _CHACHA20_POLY1305.seal(sound.encryption_key, sound.welcome_metadata_nonce, b"", b"\x08\xff")
    return dataclasses.replace(v1, welcome_metadata=sealed)


POINTER_SENDS: dict[str, Sends] = {
    "pointer_to_welcome": _sends(),
    "pointer_wrong_private_key_refused": _sends(sealed_for_another=True),
    "pointer_not_protobuf_refused": _sends(pointer=lambda sound: b"\x0a\x05\x0a\x03abc"),
    "pointer_without_version_refused": _sends(pointer=lambda sound: b""),
    "pointer_short_destination_refused": _sends(pointer=lambda sound: _v1_pointer(
        destination=sound.destination[:31])(sound)),
    "pointer_unspecified_aead_refused": _sends(pointer=_v1_pointer(
        aead_type=WelcomePointeeEncryptionAeadType.UNSPECIFIED)),
    "pointee_missing_refused": _sends(pointee_sent=False),
    "pointee_tampered_refused": _sends(pointee=lambda v1, sound: dataclasses.replace(v1, data=flip(v1.data, 0))),
    "pointee_nonces_swapped_refused": _sends(pointer=_nonces_swapped),
    "pointee_empty_metadata_refused": _sends(pointee=lambda v1, sound: dataclasses.replace(v1, welcome_metadata=b"")),
    "pointee_metadata_not_protobuf_refused": _sends(pointee=_metadata_not_protobuf),
    "pointee_is_a_pointer_refused": _pointer_to_a_pointer,
}
"""The welcome_wrapping cases of variant ``welcome_pointer`` with a wire form, by name."""
