"""The HPKE layer XMTP puts around every Welcome (facts §7.3): unwrapping ``data`` and ``welcome_metadata``.

Inputs: the wrapper ``algorithm``, the recipient installation's ``private_key`` (and its
``public_key``), ``data`` (TLS ``HPKECiphertext{kem_output, ciphertext}`` of the welcome)
and ``welcome_metadata`` (the second seal of the same HPKE context). Outputs: the inner
``welcome`` bytes (here opaque bytes standing in for a TLS MLSMessage(Welcome)) and the
``message_cursor``. For valid cases the inputs also give ``ephemeral_ikm``, the randomness
of the sender's HPKE Encap, so wrapping can be checked byte for byte. A case whose verdict differs by
profile names the receiving client's ``profile`` (metadata that is no ``WelcomeMetadata``: the seed
profile refuses it, the libxmtp profile ignores it).

With algorithm 1 (CURVE25519, DHKEM(X25519)) the keys are X25519's, 32 bytes each, and
``ephemeral_ikm`` is the 32 bytes the ephemeral key was derived from (DeriveKeyPair).
With algorithm 2 (XWING_MLKEM_768_DRAFT_6: X-Wing draft-connolly-cfrg-xwing-kem-06 at
HPKE KEM id 0x004D, as libxmtp pins it) the private key is X-Wing's 32-byte seed, the
public key is 1216 bytes (ML-KEM-768's 1184, then X25519's 32), and ``ephemeral_ikm`` is
the 64-byte ``eseed`` of ``EncapsulateDerand`` (ML-KEM's m, then the X25519 ephemeral key).

A case with ``variant`` ``welcome_pointer`` is an XIP-74 welcome pointer (libxmtp mls_sync.rs
``send_welcomes``, decrypted_welcome.rs, ``spec_model/xmtp/welcome_pointer.py``): ``data`` is the pointer
message's ``welcome_pointer`` (the TLS ``HPKECiphertext`` of a ``WelcomePointer`` protobuf, wrapped with
X-Wing, the only pointer wrapper algorithm, and no metadata: ``welcome_metadata`` is empty), and
``pointee_data`` / ``pointee_welcome_metadata`` are the V1 message stored at the pointer's destination
(the Welcome and the ``WelcomeMetadata`` sealed with ChaCha20-Poly1305 under the pointer's key and its two
nonces), absent when the destination holds none; ``pointee_welcome_pointer``, when the destination holds a
welcome pointer instead, is that message's wrapped pointer (stored with the recipient's key). For a valid one the inputs also give
``pointer_randomness``, the sender's 88 random bytes in libxmtp's order (destination 32, key 32, data nonce
12, metadata nonce 12), so sending can be checked byte for byte (``wrap_pointer``).

Questions: ``decide`` with the case's ``inputs``; the answer is ``{result: valid, reason: null, outputs:
{welcome, message_cursor}}`` or ``{result: invalid, reason}``. For a valid case also ``public_key``
(``{algorithm, private_key}``; the answer is ``{public_key}``, the recipient's public key) and,
when the inputs give ``ephemeral_ikm``, ``wrap`` (``{algorithm, public_key, welcome, message_cursor,
ephemeral_ikm}``: wrap for ``public_key`` with the Encap randomness ``ephemeral_ikm``; the
answer is ``{data, welcome_metadata}``; for a pointer ``wrap_pointer`` (``{public_key, welcome,
message_cursor, pointer_randomness, ephemeral_ikm}``: seal the pointee with ``pointer_randomness`` and wrap
its pointer for ``public_key`` with ``ephemeral_ikm``; the answer is ``{data, pointee_data,
pointee_welcome_metadata}``).
"""

from __future__ import annotations

import random
from typing import Any, Literal

from pydantic import Field

from spec_model.mls import xwing
from spec_model.mls.codec import opaque
from spec_model.mls.hpke import hpke_for
from spec_model.mls.reasons import Rejected
from spec_model.mls.suites import HPKECiphertext
from spec_model.xmtp import api
from spec_model.xmtp.key_package import WelcomePointeeEncryptionAeadType
from spec_model.xmtp.profiles import PROFILES
from spec_model.xmtp.welcome_pointer import (
    WelcomePointer, WelcomeV1Pointer, open_pointee, open_pointer, seal_pointee, wrap_pointer,
)
from spec_model.xmtp.welcome_wrap import (
    WELCOME_LABEL, WelcomeMetadata, WelcomeWrapperAlgorithm, WelcomeWrapReason, unwrap_welcome, wrap_payload,
    wrap_welcome,
)

from ...malformed import flip
from .. import case_id, expect
from ..family import Exchange, Hex, decision_exchanges
from ..formats import DecisionCase, Expected, Verdict
from ..questions import judge_decision

FORMAT = "decision"
AREA = "welcomes"
FAMILY = "welcome_wrapping"
RULE = ("facts §7.3; libxmtp payload_encryption wrap_welcome / unwrap_welcome (HPKE base mode "
        "DHKEM(X25519)/HKDF-SHA256/ChaCha20-Poly1305, info = EncryptContext{\"MLS 1.0 MLS_WELCOME\", \"\"}, "
        "AAD empty)")
RULE_XWING = ("facts §7.3; libxmtp payload_encryption wrap_payload_hpke / unwrap_payload_hpke with "
              "WrapperAlgorithm::XWingMLKEM768Draft6 (HPKE base mode, X-Wing draft-connolly-cfrg-xwing-kem-06 at "
              "KEM id 0x004D, HKDF-SHA256, ChaCha20-Poly1305, the same info and AAD)")
_HPKE = hpke_for(0x0020, 0x0001, 0x0003)
_XWING_HPKE = hpke_for(0x004D, 0x0001, 0x0003)
_CURVE = WelcomeWrapperAlgorithm.CURVE25519
_XWING = WelcomeWrapperAlgorithm.XWING_MLKEM_768_DRAFT_6
_INFO = opaque(WELCOME_LABEL) + opaque(b"")  # TLS EncryptContext{label, context = empty}



def _inputs(algorithm: int, private_key: bytes, public_key: bytes, data: bytes, metadata: bytes,
            ikm: bytes | None = None) -> dict[str, Any]:
    inputs = {"algorithm": int(algorithm), "private_key": private_key.hex(), "public_key": public_key.hex(),
              "data": data.hex(), "welcome_metadata": metadata.hex()}
    if ikm is not None:
        inputs["ephemeral_ikm"] = ikm.hex()
    return inputs


def _decide(inputs: dict[str, Any]) -> dict[str, Any]:
    if inputs.get("variant") == "welcome_pointer":
        return _decide_pointer(inputs)
    welcome, cursor = unwrap_welcome(bytes.fromhex(inputs["private_key"]), bytes.fromhex(inputs["data"]),
                                     bytes.fromhex(inputs["welcome_metadata"]), inputs["algorithm"],
                                     PROFILES[inputs.get("profile") or "seed"])
    return {"welcome": welcome.hex(), "message_cursor": cursor}


def _decide_pointer(inputs: dict[str, Any]) -> dict[str, Any]:
    message = api.WelcomeMessage.WelcomePointer(welcome_pointer=bytes.fromhex(inputs["data"]),
                                                hpke_public_key=bytes.fromhex(inputs["public_key"]),
                                                wrapper_algorithm=inputs["algorithm"])
    pointer = open_pointer(bytes.fromhex(inputs["private_key"]), message)
    pointee = None
    if inputs.get("pointee_welcome_pointer") is not None:
        pointee = api.WelcomeMessage(welcome_pointer=api.WelcomeMessage.WelcomePointer(
            installation_key=pointer.destination, welcome_pointer=bytes.fromhex(inputs["pointee_welcome_pointer"]),
            hpke_public_key=bytes.fromhex(inputs["public_key"]), wrapper_algorithm=_XWING))
    elif inputs.get("pointee_data") is not None:
        pointee = api.WelcomeMessage(v1=api.WelcomeMessage.V1(
            installation_key=pointer.destination, data=bytes.fromhex(inputs["pointee_data"]),
            wrapper_algorithm=WelcomeWrapperAlgorithm.SYMMETRIC_KEY,
            welcome_metadata=bytes.fromhex(inputs["pointee_welcome_metadata"])))
    welcome, cursor = open_pointee(pointer, pointee)
    return {"welcome": welcome.hex(), "message_cursor": cursor}


def _wrap_pointer(question: dict[str, Any]) -> dict[str, Any]:
    draws, ikm = bytearray(bytes.fromhex(question["pointer_randomness"])), bytes.fromhex(question["ephemeral_ikm"])

    def drawn(n: int) -> bytes:
        taken = bytes(draws[:n])
        del draws[:n]
        return taken

    pointee, pointer = seal_pointee(bytes.fromhex(question["welcome"]), question["message_cursor"], drawn)
    public_key = bytes.fromhex(question["public_key"])
    message = wrap_pointer(b"", public_key, _XWING, pointer, rng=lambda n: ikm[:n])
    return {"data": message.welcome_pointer.welcome_pointer.hex(), "pointee_data": pointee.v1.data.hex(),
            "pointee_welcome_metadata": pointee.v1.welcome_metadata.hex()}


def _wrap(question: dict[str, Any]) -> dict[str, Any]:
    ikm = bytes.fromhex(question["ephemeral_ikm"])
    data, metadata = wrap_welcome(bytes.fromhex(question["public_key"]), bytes.fromhex(question["welcome"]),
                                  question["message_cursor"], question["algorithm"], rng=lambda n: ikm[:n])
    return {"data": data.hex(), "welcome_metadata": metadata.hex()}


def _public_key(question: dict[str, Any]) -> dict[str, Any]:
    kem = {_CURVE: _HPKE.kem, _XWING: _XWING_HPKE.kem}.get(question["algorithm"])
    if kem is None:
        raise Rejected(WelcomeWrapReason.UNSUPPORTED_ALGORITHM, f"algorithm {question['algorithm']}")
    return {"public_key": kem.public_key(bytes.fromhex(question["private_key"])).hex()}


def answer(question: dict) -> dict:
    """``decide`` (unwrap), ``public_key`` (derive the recipient's) or ``wrap`` (with the given ephemeral ikm)."""
    try:
        if question["ask"] == "decide":
            return {"result": Verdict.VALID.value, "reason": None, "outputs": _decide(question["inputs"])}
        return {"public_key": _public_key, "wrap": _wrap, "wrap_pointer": _wrap_pointer}[question["ask"]](question)
    except Rejected as e:
        return {"result": Verdict.INVALID.value, "reason": e.reason.value}


def questions(case: DecisionCase) -> list[dict[str, Any]]:
    """``decide``; for a valid case also ``public_key`` and, given ``ephemeral_ikm``, ``wrap``."""
    inputs = case.inputs
    asked = [{"ask": "decide", "inputs": inputs}]
    if case.expected.result == Verdict.VALID.value:
        asked.append({"ask": "public_key", "algorithm": inputs["algorithm"], "private_key": inputs["private_key"]})
        if "pointer_randomness" in inputs:
            asked.append({"ask": "wrap_pointer", "public_key": inputs["public_key"],
                          "welcome": case.outputs["welcome"], "message_cursor": case.outputs["message_cursor"],
                          "pointer_randomness": inputs["pointer_randomness"], "ephemeral_ikm": inputs["ephemeral_ikm"]})
        elif "ephemeral_ikm" in inputs:
            asked.append({"ask": "wrap", "algorithm": inputs["algorithm"], "public_key": inputs["public_key"],
                          "welcome": case.outputs["welcome"], "message_cursor": case.outputs["message_cursor"],
                          "ephemeral_ikm": inputs["ephemeral_ikm"]})
    return asked


ANSWERED_INPUTS = {"public_key": ("public_key",), "wrap": ("data", "welcome_metadata"),
                   "wrap_pointer": ("data", "pointee_data", "pointee_welcome_metadata")}
"""The inputs a ``public_key`` or ``wrap`` answer must reproduce, under the same names."""


def judge(case: DecisionCase, question: dict[str, Any], answer: dict[str, Any]) -> None:
    """``decide`` as every decision; ``public_key`` and ``wrap`` against the case's inputs."""
    if question["ask"] == "decide":
        return judge_decision(case.id, case.expected, case.outputs, answer)
    for field in ANSWERED_INPUTS[question["ask"]]:
        expect(f"{case.id} {question['ask']} {field}", case.inputs[field], answer.get(field))


def _case(name: str, inputs: dict[str, Any], description: str, tags: list[str], rule: str = RULE) -> DecisionCase:
    decided = answer({"ask": "decide", "inputs": inputs})
    return DecisionCase(id=case_id(FAMILY, name), description=description, rule=rule,
                        tags=[*([inputs["profile"]] if inputs.get("profile") else ["seed", "libxmtp"]), "welcome", *tags],
                        inputs=inputs,
                        expected=Expected(result=decided["result"], reason=decided["reason"]),
                        outputs=decided.get("outputs", {}))


def cases() -> list[DecisionCase]:
    rng = random.Random(73)
    sk, pk = _HPKE.kem.derive_key_pair(rng.randbytes(32))
    other_sk, _ = _HPKE.kem.derive_key_pair(rng.randbytes(32))
    welcome = b"\x00\x01\x00\x03" + rng.randbytes(180)  # stands in for a TLS MLSMessage(Welcome)

    def wrapped(cursor: int, body: bytes = welcome) -> tuple[bytes, bytes, bytes]:
        ikm = rng.randbytes(32)
        data, metadata = wrap_welcome(pk, body, cursor, rng=lambda n: ikm[:n])
        return data, metadata, ikm

    data, metadata, ikm = wrapped(1_700_000_000_000_000_123)
    generated = [
        _case("wrapped_welcome", _inputs(_CURVE, sk, pk, data, metadata, ikm),
              "Given a welcome and cursor wrapped for the recipient's key, When unwrapped, Then the welcome and "
              "cursor come back", []),
    ]
    d0, m0, ikm0 = wrapped(0)
    generated.append(_case("cursor_zero", _inputs(_CURVE, sk, pk, d0, m0, ikm0),
                           "Given cursor 0 (an empty WelcomeMetadata sealed), When unwrapped, Then the cursor is 0",
                           []))
    generated.append(_case("empty_metadata_not_opened", _inputs(_CURVE, sk, pk, data, b""),
                           "Given an empty welcome_metadata, When unwrapped, Then it is not opened and decodes as "
                           "cursor 0 (libxmtp unwrap_payload_hpke)", ["legacy"]))
    dmax, mmax, ikmmax = wrapped(2**64 - 1, b"")
    generated.append(_case("max_cursor_empty_welcome", _inputs(_CURVE, sk, pk, dmax, mmax, ikmmax),
                           "Given the largest uint64 cursor and an empty welcome, When unwrapped, Then both come back",
                           []))
    outer = HPKECiphertext.decode(data)
    bad_metadata_ikm = rng.randbytes(32)
    kem_output, context = _HPKE.setup_base_s(pk, _INFO, bad_metadata_ikm)
    bad_data = HPKECiphertext(kem_output, context.seal(b"", welcome)).encode()
    bad_metadata = context.seal(b"", b"\x08\xff")  # field 1 varint, truncated
    swapped_ikm = rng.randbytes(32)
    kem_output, context = _HPKE.setup_base_s(pk, _INFO, swapped_ikm)
    swapped_metadata = context.seal(b"", WelcomeMetadata(5).encode())
    swapped_data = HPKECiphertext(kem_output, context.seal(b"", welcome)).encode()
    generated += [
        _case("wrong_private_key_refused", _inputs(_CURVE, other_sk, pk, data, metadata),
              "Given another installation's private key, When unwrapping, Then HPKE decryption fails", ["invalid"]),
        _case("tampered_ciphertext_refused", _inputs(_CURVE, sk, pk, flip(data, len(data) - 1), metadata),
              "Given data whose welcome ciphertext has one bit flipped, When unwrapped, Then it fails to decrypt",
              ["invalid"]),
        _case("tampered_kem_output_refused", _inputs(_CURVE, sk, pk, flip(data, 3), metadata),
              "Given data whose kem_output has one bit flipped, When unwrapped, Then it fails to decrypt",
              ["invalid"]),
        _case("tampered_metadata_refused", _inputs(_CURVE, sk, pk, data, flip(metadata, 0)),
              "Given welcome_metadata with one bit flipped, When unwrapped, Then it fails to decrypt", ["invalid"]),
        _case("metadata_from_another_wrap_refused", _inputs(_CURVE, sk, pk, data, m0),
              "Given the metadata of another wrapping (another HPKE context), When unwrapped, Then it fails to "
              "decrypt", ["invalid"]),
        _case("metadata_sealed_first_refused", _inputs(_CURVE, sk, pk, swapped_data, swapped_metadata),
              "Given a sender that sealed the metadata before the welcome (nonces swapped), When unwrapped, Then "
              "the welcome fails to decrypt", ["invalid"]),
        _case("truncated_data_refused", _inputs(_CURVE, sk, pk, data[:20], metadata),
              "Given data cut inside its kem_output, When parsed as an HPKECiphertext, Then it is malformed",
              ["invalid"]),
        _case("trailing_bytes_in_data_refused", _inputs(_CURVE, sk, pk, data + b"\x00", metadata),
              "Given data with a byte after the HPKECiphertext, When parsed, Then it is malformed", ["invalid"]),
        _case("metadata_not_protobuf_refused", {**_inputs(_CURVE, sk, pk, bad_data, bad_metadata), "profile": "seed"},
              "Given metadata that decrypts to bytes that are not a WelcomeMetadata, When a client of the seed "
              "profile decodes it, Then it is refused", ["invalid"]),
        _case("metadata_not_protobuf_ignored_by_libxmtp",
              {**_inputs(_CURVE, sk, pk, bad_data, bad_metadata), "profile": "libxmtp"},
              "Given metadata that decrypts to bytes that are not a WelcomeMetadata, When a client of the libxmtp "
              "profile decodes it, Then the metadata is ignored: the welcome, cursor 0", ["valid"],
              rule="libxmtp crates/xmtp_mls/src/groups/mls_ext/decrypted_welcome.rs DecryptedWelcome (an "
                   "undecodable WelcomeMetadata is ignored)"),
        _case("unspecified_algorithm_refused",
              _inputs(WelcomeWrapperAlgorithm.UNSPECIFIED, sk, pk, data, metadata),
              "Given wrapper algorithm UNSPECIFIED, When unwrapping, Then it is refused", ["invalid"]),
        _case("xwing_algorithm_refused",
              _inputs(WelcomeWrapperAlgorithm.XWING_MLKEM_768_DRAFT_6, sk, pk, data, metadata),
              "Given an X25519 wrapping labelled XWING_MLKEM_768_DRAFT_6, When unwrapping with X-Wing, Then its "
              "32-byte kem_output is no X-Wing ciphertext and it fails to decrypt",
              ["invalid", "post-quantum"]),
        _case("symmetric_key_algorithm_refused",
              _inputs(WelcomeWrapperAlgorithm.SYMMETRIC_KEY, sk, pk, data, metadata),
              "Given wrapper algorithm SYMMETRIC_KEY (not modelled), When unwrapping, Then it is refused",
              ["invalid"]),
    ]
    if len(outer.kem_output) != _HPKE.kem.Nenc:
        raise ValueError("the model wrote a kem_output of the wrong size")
    return generated + _xwing_cases(rng, welcome, sk) + _pointer_cases(rng, welcome)


def _xwing_cases(rng: random.Random, welcome: bytes, curve_sk: bytes) -> list[DecisionCase]:
    """Wrapper algorithm 2: X-Wing draft-06 at HPKE KEM id 0x004D (libxmtp mls_ext_wrapper_encryption.rs)."""
    sk, pk = _XWING_HPKE.kem.derive_key_pair(rng.randbytes(32))
    other_sk, _ = _XWING_HPKE.kem.derive_key_pair(rng.randbytes(32))
    eseed = rng.randbytes(xwing.ESEED_SIZE)
    data, metadata = wrap_welcome(pk, welcome, 1_700_000_000_000_000_456, _XWING, rng=lambda n: eseed[:n])
    outer = HPKECiphertext.decode(data)
    ct_x_at = 2 + 1088  # data: kem_output's 2-byte length, ct_M (1088 bytes), ct_X (32), then the ciphertext
    truncated = HPKECiphertext(outer.kem_output[:-1], outer.ciphertext).encode()
    final_eseed = rng.randbytes(xwing.ESEED_SIZE)
    kem_output, context = hpke_for(0x647A, 0x0001, 0x0003).setup_base_s(pk, _INFO, final_eseed)
    final_data = HPKECiphertext(kem_output, context.seal(b"", welcome)).encode()
    final_metadata = context.seal(b"", WelcomeMetadata(5).encode())

    def case(name: str, inputs: dict[str, Any], description: str, tags: list[str]) -> DecisionCase:
        return _case(name, inputs, description, ["post-quantum", *tags], RULE_XWING)

    generated = [
        case("xwing_wrapped_welcome", _inputs(_XWING, sk, pk, data, metadata, eseed),
             "Given a welcome and cursor wrapped with X-Wing for the recipient's 0xFF03 key, When unwrapped with "
             "its 32-byte seed, Then the welcome and cursor come back", []),
        case("xwing_empty_metadata_not_opened", _inputs(_XWING, sk, pk, data, b""),
             "Given an X-Wing wrapping with an empty welcome_metadata, When unwrapped, Then it is not opened and "
             "decodes as cursor 0", ["legacy"]),
        case("xwing_wrong_private_key_refused", _inputs(_XWING, other_sk, pk, data, metadata),
             "Given another installation's X-Wing seed, When unwrapping, Then ML-KEM's implicit rejection gives "
             "another secret and the AEAD fails", ["invalid"]),
        case("xwing_tampered_mlkem_ciphertext_refused", _inputs(_XWING, sk, pk, flip(data, 3), metadata),
             "Given an X-Wing kem_output with one bit of its ML-KEM-768 ciphertext flipped, When unwrapped, Then "
             "it fails to decrypt", ["invalid"]),
        case("xwing_tampered_x25519_ciphertext_refused", _inputs(_XWING, sk, pk, flip(data, ct_x_at), metadata),
             "Given an X-Wing kem_output with one bit of its X25519 ciphertext flipped, When unwrapped, Then it "
             "fails to decrypt", ["invalid"]),
        case("xwing_tampered_metadata_refused", _inputs(_XWING, sk, pk, data, flip(metadata, 0)),
             "Given an X-Wing wrapping whose welcome_metadata has one bit flipped, When unwrapped, Then it fails to "
             "decrypt", ["invalid"]),
        case("xwing_truncated_kem_output_refused", _inputs(_XWING, sk, pk, truncated, metadata),
             "Given an X-Wing kem_output of 1119 bytes (1120 expected), When unwrapped, Then it is no X-Wing "
             "ciphertext and fails to decrypt", ["invalid"]),
        case("xwing_wrapping_read_as_curve25519_refused", _inputs(_CURVE, curve_sk, pk, data, metadata),
             "Given an X-Wing wrapping labelled CURVE25519, When unwrapping with X25519, Then its 1120-byte "
             "kem_output is no X25519 key and it fails to decrypt", ["invalid"]),
        case("xwing_codepoint_0x647a_refused", _inputs(_XWING, sk, pk, final_data, final_metadata),
             "Given an X-Wing wrapping whose HPKE suite_id names KEM 0x647A (the codepoint draft-06 requests) "
             "instead of libxmtp's 0x004D, When unwrapped, Then the key schedule differs and it fails to decrypt",
             ["invalid"]),
    ]
    if len(outer.kem_output) != _XWING_HPKE.kem.Nenc:
        raise ValueError("the model wrote an X-Wing kem_output of the wrong size")
    return generated

RULE_POINTER = ("XIP-74; libxmtp crates/xmtp_mls/src/groups/mls_sync.rs send_welcomes, "
                "crates/xmtp_mls/src/groups/mls_ext/decrypted_welcome.rs@b649d1a (the pointer: a WelcomePointer "
                "protobuf wrapped with X-Wing as the Welcome is, no metadata; the pointee: the Welcome and its "
                "WelcomeMetadata sealed with ChaCha20-Poly1305 under the pointer's key and two nonces, AAD empty)")


def _pointer_inputs(sk: bytes, pk: bytes, data: bytes, pointee: tuple[bytes, bytes] | None,
                    randomness: bytes | None = None, eseed: bytes | None = None,
                    algorithm: int = _XWING) -> dict[str, Any]:
    inputs = {**_inputs(algorithm, sk, pk, data, b"", eseed), "variant": "welcome_pointer"}
    if pointee is not None:
        inputs["pointee_data"], inputs["pointee_welcome_metadata"] = pointee[0].hex(), pointee[1].hex()
    if randomness is not None:
        inputs["pointer_randomness"] = randomness.hex()
    return inputs


def _pointer_cases(rng: random.Random, welcome: bytes) -> list[DecisionCase]:
    """XIP-74 welcome pointers (``spec_model/xmtp/welcome_pointer.py``): a pointer and the pointee it names."""
    sk, pk = _XWING_HPKE.kem.derive_key_pair(rng.randbytes(32))
    other_sk, _ = _XWING_HPKE.kem.derive_key_pair(rng.randbytes(32))
    randomness, eseed = rng.randbytes(88), rng.randbytes(xwing.ESEED_SIZE)
    sent = _wrap_pointer({"pointer_randomness": randomness.hex(), "ephemeral_ikm": eseed.hex(),
                             "welcome": welcome.hex(), "message_cursor": 1_700_000_000_000_000_789, "public_key": pk.hex()})
    data, pointee = bytes.fromhex(sent["data"]), (bytes.fromhex(sent["pointee_data"]),
                                                     bytes.fromhex(sent["pointee_welcome_metadata"]))
    destination, key, data_nonce, metadata_nonce = (randomness[:32], randomness[32:64], randomness[64:76],
                                                    randomness[76:])
    aead = _XWING_HPKE.aead

    def wrapped(pointer: bytes) -> bytes:
        return wrap_payload(pk, pointer, _XWING, rng.randbytes)

    def v1_pointer(**fields) -> bytes:
        good = dict(destination=destination, aead_type=WelcomePointeeEncryptionAeadType.CHACHA20_POLY1305,
                    encryption_key=key, data_nonce=data_nonce, welcome_metadata_nonce=metadata_nonce)
        return wrapped(WelcomePointer(WelcomeV1Pointer(**{**good, **fields})).encode())

    def case(name: str, inputs: dict[str, Any], description: str, tags: list[str]) -> DecisionCase:
        return _case(name, inputs, description, ["post-quantum", "welcome_pointer", *tags], RULE_POINTER)

    bad_metadata = aead.seal(key, metadata_nonce, b"", b"\x08\xff")  # field 1 varint, truncated
    return [
        case("pointer_to_welcome", _pointer_inputs(sk, pk, data, pointee, randomness, eseed),
             "Given a welcome pointer wrapped with X-Wing for the recipient's 0xFF03 key and the pointee at its "
             "destination, When opened, Then the welcome and cursor come back", []),
        case("pointer_wrapper_curve25519_refused", _pointer_inputs(sk, pk, data, pointee, algorithm=_CURVE),
             "Given a pointer message whose wrapper algorithm is CURVE25519, When opened, Then it is refused "
             "(WelcomePointerWrapperAlgorithm names X-Wing only)", ["invalid"]),
        case("pointer_wrong_private_key_refused", _pointer_inputs(other_sk, pk, data, pointee),
             "Given another installation's X-Wing seed, When the pointer is opened, Then it fails to decrypt",
             ["invalid"]),
        case("pointer_not_protobuf_refused", _pointer_inputs(sk, pk, wrapped(b"\x0a\x05\x0a\x03abc"), pointee),
             "Given a pointer that opens to bytes that are no WelcomePointer, When decoded, Then it is malformed",
             ["invalid"]),
        case("pointer_without_version_refused", _pointer_inputs(sk, pk, wrapped(b""), pointee),
             "Given a WelcomePointer with no version set, When decoded, Then it is malformed", ["invalid"]),
        case("pointer_short_destination_refused",
             _pointer_inputs(sk, pk, v1_pointer(destination=destination[:31]), pointee),
             "Given a pointer whose destination is 31 bytes (a topic id is 32), When decoded, Then it is malformed",
             ["invalid"]),
        case("pointer_unspecified_aead_refused",
             _pointer_inputs(sk, pk, v1_pointer(aead_type=WelcomePointeeEncryptionAeadType.UNSPECIFIED), pointee),
             "Given a pointer whose aead_type is UNSPECIFIED, When opened, Then it is refused (ChaCha20-Poly1305 "
             "only)", ["invalid"]),
        case("pointee_missing_refused", _pointer_inputs(sk, pk, data, None),
             "Given a valid pointer whose destination holds no message, When resolved, Then the pointee is not "
             "found (libxmtp retries it in the background; the model's client does not)", ["invalid"]),
        case("pointee_tampered_refused", _pointer_inputs(sk, pk, data, (flip(pointee[0], 0), pointee[1])),
             "Given a pointee whose sealed Welcome has one bit flipped, When opened, Then it fails to decrypt",
             ["invalid"]),
        case("pointee_nonces_swapped_refused",
             _pointer_inputs(sk, pk, v1_pointer(data_nonce=metadata_nonce, welcome_metadata_nonce=data_nonce),
                             pointee),
             "Given a pointer whose two nonces are swapped, When the pointee is opened, Then it fails to decrypt",
             ["invalid"]),
        case("pointee_empty_metadata_refused", _pointer_inputs(sk, pk, data, (pointee[0], b"")),
             "Given a pointee with empty welcome_metadata, When opened, Then it fails: unlike a wrapped Welcome's, "
             "the pointee's metadata is always opened and an empty one has no tag", ["invalid"]),
        case("pointee_is_a_pointer_refused",
             {**_pointer_inputs(sk, pk, data, None), "pointee_welcome_pointer": data.hex()},
             "Given a pointer whose destination holds a welcome pointer (the same pointer again), When resolved, "
             "Then it is refused: a pointer to a pointer is not followed (libxmtp welcome_pointer.rs)", ["invalid"]),
        case("pointee_metadata_not_protobuf_refused", _pointer_inputs(sk, pk, data, (pointee[0], bad_metadata)),
             "Given pointee metadata that decrypts to bytes that are no WelcomeMetadata, When decoded, Then the "
             "Welcome is refused in both profiles (a wrapped Welcome's is ignored by libxmtp)", ["invalid"]),
    ]

# ------------------------------------------------------------------ the questions and answers, typed (``family.py``)

class Inputs(Exchange):
    algorithm: int = Field(description="the WelcomeWrapperAlgorithm (1 Curve25519, 2 X-Wing)")
    private_key: Hex
    public_key: Hex
    data: Hex = Field(description="the wrapped Welcome")
    welcome_metadata: Hex = Field(description="the wrapped WelcomeMetadata, empty if absent")
    ephemeral_ikm: Hex | None = Field(None, description="the randomness the wrapper used, when the case fixes it")
    profile: Literal["seed", "libxmtp"] | None = Field(
        None, description="the receiving client's profile where the profiles differ (absent: any)")
    variant: Literal["welcome_pointer"] | None = Field(
        None, description="welcome_pointer: data is a wrapped XIP-74 pointer (absent: a wrapped Welcome)")
    pointee_data: Hex | None = Field(None, description="a pointer's pointee: the sealed Welcome (absent: none stored)")
    pointee_welcome_metadata: Hex | None = Field(None, description="a pointer's pointee: the sealed WelcomeMetadata")
    pointee_welcome_pointer: Hex | None = Field(
        None, description="a pointer's destination holding a welcome pointer instead: its wrapped pointer")
    pointer_randomness: Hex | None = Field(
        None, description="a pointer sender's random bytes: destination, key, data nonce, metadata nonce")


class Outputs(Exchange):
    welcome: Hex = Field(description="the unwrapped MLS Welcome")
    message_cursor: int = Field(description="from the WelcomeMetadata, 0 without one")


class PublicKey(Exchange):
    ask: Literal["public_key"]
    algorithm: int
    private_key: Hex


class PublicKeyAnswer(Exchange):
    public_key: Hex


class Wrap(Exchange):
    ask: Literal["wrap"]
    algorithm: int
    public_key: Hex
    welcome: Hex
    message_cursor: int
    ephemeral_ikm: Hex


class Wrapped(Exchange):
    data: Hex
    welcome_metadata: Hex


class WrapPointer(Exchange):
    ask: Literal["wrap_pointer"]
    public_key: Hex
    welcome: Hex
    message_cursor: int
    pointer_randomness: Hex
    ephemeral_ikm: Hex


class WrappedPointer(Exchange):
    data: Hex
    pointee_data: Hex
    pointee_welcome_metadata: Hex


EXCHANGES = {**decision_exchanges(Inputs, Outputs), "public_key": (PublicKey, PublicKeyAnswer),
             "wrap": (Wrap, Wrapped), "wrap_pointer": (WrapPointer, WrappedPointer)}
