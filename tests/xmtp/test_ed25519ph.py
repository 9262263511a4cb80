"""RFC 8032 §5.1 Ed25519ph (spec_model/xmtp/ed25519ph.py): the RFC vector, strict decoding, and two
cross-checks: pure Ed25519 against ``cryptography``, Ed25519ph against @noble/curves under Node.

The noble check needs its pinned package installed once: ``npm ci --prefix tests/xmtp/noble``.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import given, settings
from hypothesis import strategies as st

from spec_model.xmtp import ed25519ph
from spec_model.xmtp.ed25519ph import IDENTITY_UPDATE_CONTEXT, PUBLIC_CONTEXT, InvalidSignatureError, L, P

# RFC 8032 §7.3, test "abc" (Ed25519ph, empty context)
RFC_SECRET = bytes.fromhex("833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42")
RFC_PUBLIC = bytes.fromhex("ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf")
RFC_SIGNATURE = bytes.fromhex(
    "98a70222f0b8121aa9d30f813d683f809e462b469c7ff87639499bb94e6dae41"
    "31f85042463c2a355a2003d062adf5aaa10b8c61e636062aaad11c2a26083406")

NOBLE_DIR = Path(__file__).parent / "noble"


def test_rfc8032_ed25519ph_vector():
    assert ed25519ph.public_key(RFC_SECRET) == RFC_PUBLIC
    assert ed25519ph.sign(RFC_SECRET, b"abc", b"") == RFC_SIGNATURE
    ed25519ph.verify(RFC_PUBLIC, b"abc", RFC_SIGNATURE, b"")


@pytest.mark.parametrize("message, context", [
    (b"abd", b""), (b"abc", b"x"), (b"abc", IDENTITY_UPDATE_CONTEXT),
])
def test_rfc_signature_does_not_verify_for_other_message_or_context(message, context):
    with pytest.raises(InvalidSignatureError):
        ed25519ph.verify(RFC_PUBLIC, message, RFC_SIGNATURE, context)


def test_contexts_separate_signatures():
    seed = bytes(range(32))
    a = ed25519ph.sign(seed, b"text", IDENTITY_UPDATE_CONTEXT)
    b = ed25519ph.sign(seed, b"text", PUBLIC_CONTEXT)
    assert a != b
    ed25519ph.verify(ed25519ph.public_key(seed), b"text", a, IDENTITY_UPDATE_CONTEXT)
    with pytest.raises(InvalidSignatureError):
        ed25519ph.verify(ed25519ph.public_key(seed), b"text", a, PUBLIC_CONTEXT)


def test_s_at_or_above_the_group_order_is_rejected():
    s = int.from_bytes(RFC_SIGNATURE[32:], "little")
    malleated = RFC_SIGNATURE[:32] + (s + L).to_bytes(32, "little")   # same point equation, S not reduced
    with pytest.raises(InvalidSignatureError, match="S >= L"):
        ed25519ph.verify(RFC_PUBLIC, b"abc", malleated, b"")


def _no_root_y() -> int:
    """The smallest y for which no x exists on the curve."""
    y = 2
    while True:
        try:
            ed25519ph._decode(y.to_bytes(32, "little"))
        except InvalidSignatureError:
            return y
        y += 1


@pytest.mark.parametrize("encoding, reason", [
    ((1 + P).to_bytes(32, "little"), "y >= p"),                        # the identity, y not reduced
    ((1 | 1 << 255).to_bytes(32, "little"), "x = 0"),                  # the identity with the sign bit set
    (_no_root_y().to_bytes(32, "little"), "no root"),
    (bytes(31), "32 bytes"),
])
def test_strict_public_key_decoding(encoding, reason):
    with pytest.raises(InvalidSignatureError, match=reason):
        ed25519ph.verify(encoding, b"abc", RFC_SIGNATURE, b"")


@pytest.mark.parametrize("signature", [RFC_SIGNATURE[:63], RFC_SIGNATURE + b"\0"])
def test_signature_length(signature):
    with pytest.raises(InvalidSignatureError, match="64 bytes"):
        ed25519ph.verify(RFC_PUBLIC, b"abc", signature, b"")


def test_context_longer_than_255_bytes_is_refused():
    with pytest.raises(ValueError):
        ed25519ph.sign(RFC_SECRET, b"abc", bytes(256))


def test_pure_ed25519_from_the_same_code_matches_cryptography():
    rng = random.Random(8032)
    for _ in range(25):
        seed, message = rng.randbytes(32), rng.randbytes(rng.randrange(200))
        reference = Ed25519PrivateKey.from_private_bytes(seed)
        public = reference.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        assert ed25519ph.public_key(seed) == public
        assert ed25519ph.ed25519_sign(seed, message) == reference.sign(message)
        ed25519ph.ed25519_verify(public, message, reference.sign(message))
        with pytest.raises(InvalidSignatureError):
            ed25519ph.ed25519_verify(public, message + b"!", reference.sign(message))


# ------------------------------------------------------------------ @noble/curves cross-check

def _run_noble(cases: list[dict]) -> list[dict]:
    if shutil.which("node") is None:
        pytest.fail("node (>= 20) is needed for the @noble/curves Ed25519ph cross-check")
    if not (NOBLE_DIR / "node_modules" / "@noble" / "curves").is_dir():
        pytest.fail("@noble/curves is not installed: run `npm ci --prefix tests/xmtp/noble`")
    done = subprocess.run(["node", str(NOBLE_DIR / "ed25519ph.mjs")], input=json.dumps(cases),
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _random_cases(count: int) -> list[tuple[bytes, bytes, bytes]]:
    rng = random.Random(19)
    contexts = [b"", IDENTITY_UPDATE_CONTEXT, PUBLIC_CONTEXT, bytes(255)]
    cases = []
    for i in range(count):
        context = contexts[i] if i < len(contexts) else rng.randbytes(rng.randrange(256))
        cases.append((rng.randbytes(32), rng.randbytes(rng.choice([0, 1, 3, 64, 200, 1000])), context))
    return cases


def test_ed25519ph_matches_noble_both_ways():
    cases = _random_cases(80)
    ours = [ed25519ph.sign(seed, message, context) for seed, message, context in cases]
    results = _run_noble([
        {"seed": seed.hex(), "message": message.hex(), "context": context.hex(), "signature": sig.hex()}
        for (seed, message, context), sig in zip(cases, ours)
    ])
    for (seed, message, context), sig, noble in zip(cases, ours, results):
        assert noble["public"] == ed25519ph.public_key(seed).hex()
        assert noble["signature"] == sig.hex()                      # deterministic: identical bytes
        assert noble["verified"] is True                           # noble accepts ours ...
        ed25519ph.verify(bytes.fromhex(noble["public"]), message, bytes.fromhex(noble["signature"]), context)


def test_noble_and_model_agree_on_tampered_signatures():
    cases = _random_cases(24)
    tampered = []
    for i, (seed, message, context) in enumerate(cases):
        sig = bytearray(ed25519ph.sign(seed, message, context))
        sig[i % 64] ^= 1 << (i % 8)                                 # one flipped bit, in R or in S
        tampered.append(bytes(sig))
    results = _run_noble([
        {"seed": seed.hex(), "message": message.hex(), "context": context.hex(), "signature": sig.hex()}
        for (seed, message, context), sig in zip(cases, tampered)
    ])
    for (seed, message, context), sig, noble in zip(cases, tampered, results):
        assert noble["verified"] is False
        with pytest.raises(InvalidSignatureError):
            ed25519ph.verify(ed25519ph.public_key(seed), message, sig, context)


# ------------------------------------------------------------------ libsodium's point operations against the arithmetic

@given(st.integers(0, 2**255 - 1))
@settings(max_examples=40)
def test_libsodium_base_multiples_match_the_arithmetic(k):
    assert ed25519ph._encoded_base_multiple(k) == ed25519ph._encode(ed25519ph._base_multiply(k))


@given(st.integers(0, L - 1), st.integers(0, L - 1), st.integers(1, L - 1), st.sampled_from(["prime", "mixed"]))
@settings(max_examples=40)
def test_libsodium_verification_equation_matches_the_arithmetic(s, k, x, order):
    a = ed25519ph._base_multiply(x)
    if order == "mixed":  # libsodium declines a point outside the prime-order subgroup: the arithmetic answers
        a = ed25519ph._add(a, _SMALL)
    public = ed25519ph._encode(a)
    expected = ed25519ph._encode(ed25519ph._add(ed25519ph._base_multiply(s),
                                                ed25519ph._multiply(k, ed25519ph._negate(a))))
    assert ed25519ph._encoded_difference(s, k, public) == expected


def test_zero_scalars_and_small_order_keys_fall_back_to_the_arithmetic():
    identity = ed25519ph._encode(ed25519ph.IDENTITY)
    assert ed25519ph._encode(ed25519ph._multiply(4, _SMALL)) == identity
    assert ed25519ph._encoded_base_multiple(0) == identity
    small = ed25519ph._encode(_SMALL)
    assert ed25519ph._encoded_difference(0, 8, small) == identity
    assert ed25519ph._encoded_difference(0, 0, ed25519ph._encode(ed25519ph.BASE)) == identity


_SMALL = ed25519ph._decode(bytes(32))
"""The point with y = 0, x = sqrt(-1): of order 4 (RFC 8032 §5.1: small order, a multiple of it is the identity)."""
