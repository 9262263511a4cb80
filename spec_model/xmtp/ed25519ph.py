"""RFC 8032 §5.1: Ed25519ph (and pure Ed25519), written out over Python integers.

Why by hand
-----------
An XMTP installation key signs identity updates with **Ed25519ph**: SHA-512
prehash plus a context string (docs/xmtp-facts.md §2; libxmtp ``xmtp_id`` calls
ed25519-dalek's ``sign_prehashed``/``verify_prehashed`` with context
``"IDENTITY UPDATE SIGNATURE"``). Neither ``cryptography`` nor PyNaCl offers the
prehash variant, so the signing and verification steps are written out here,
in the order of RFC 8032 §5.1.1–§5.1.7. The same code with an empty ``dom``
string and no prehash is pure Ed25519, which the tests compare with
``cryptography``.

The curve arithmetic (§5.1.4) is written out too, over Python integers; the
two scalar multiplications a signature needs run on libsodium's point
primitives through PyNaCl instead (``crypto_scalarmult_ed25519*_noclamp``,
``crypto_core_ed25519_sub``: the same group operations and the same §5.1.2
encoding, at C speed), and fall back to the arithmetic here where libsodium
declines an input (a zero scalar, an identity result, a public key of small or
mixed order). The tests compare the two on random scalars and points.

The arithmetic is not constant-time: this is a specification model, not a
place to keep secrets.

Verification rules (what is rejected)
-------------------------------------
* a public key that is not the canonical encoding of a curve point
  (y ≥ p, or x = 0 with the sign bit set, or no square root) — RFC 8032 §5.1.3;
* S ≥ L — RFC 8032 §5.1.7;
* any R other than the encoding of [S]B − [k]A. This is the cofactorless
  equation, which RFC 8032 §5.1.7 calls sufficient; ed25519-dalek's
  ``verify_prehashed``, which libxmtp uses, checks the same equation by
  comparing the recomputed R's bytes with the signature's.
"""

from __future__ import annotations

import functools
import hashlib

import nacl.exceptions
from nacl.bindings import (
    crypto_core_ed25519_sub, crypto_scalarmult_ed25519_base_noclamp, crypto_scalarmult_ed25519_noclamp,
)

from spec_model.mls.memory import process_wide
from spec_model.mls.suites import InvalidSignatureError

__all__ = [
    "IDENTITY_UPDATE_CONTEXT", "PUBLIC_CONTEXT", "InvalidSignatureError",
    "public_key", "sign", "verify", "ed25519_sign", "ed25519_verify",
]

IDENTITY_UPDATE_CONTEXT = b"IDENTITY UPDATE SIGNATURE"
"""libxmtp crates/xmtp_id/src/constants.rs: context of installation-key signatures on identity updates."""

PUBLIC_CONTEXT = b"PUBLIC SIGNATURE CONTEXT"
"""libxmtp crates/xmtp_id/src/constants.rs: context of installation-key signatures on arbitrary text."""

# ------------------------------------------------------------------ RFC 8032 §5.1 parameters

P = 2**255 - 19                                                  # the field prime p
L = 2**252 + 27742317777372353535851937790883648493              # the order of the base point
D = -121665 * pow(121666, P - 2, P) % P                          # the curve constant d
SQRT_M1 = pow(2, (P - 1) // 4, P)                                # a square root of -1 mod p
DOM2_PREFIX = b"SigEd25519 no Ed25519 collisions"

Point = tuple[int, int, int, int]   # extended homogeneous coordinates (X, Y, Z, T), x = X/Z, y = Y/Z, xy = T/Z
IDENTITY: Point = (0, 1, 1, 0)


# ------------------------------------------------------------------ point arithmetic (§5.1.4)

def _add(p: Point, q: Point) -> Point:
    """RFC 8032 §5.1.4: point addition in extended coordinates (complete for all inputs)."""
    x1, y1, z1, t1 = p
    x2, y2, z2, t2 = q
    a = (y1 - x1) * (y2 - x2) % P
    b = (y1 + x1) * (y2 + x2) % P
    c = 2 * D * t1 * t2 % P
    d = 2 * z1 * z2 % P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _double(p: Point) -> Point:
    """RFC 8032 §5.1.4: point doubling."""
    x1, y1, z1, _ = p
    a = x1 * x1 % P
    b = y1 * y1 % P
    c = 2 * z1 * z1 % P
    h = a + b
    e = h - (x1 + y1) ** 2
    g = a - b
    f = c + g
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _negate(p: Point) -> Point:
    x, y, z, t = p
    return (-x % P, y, z, -t % P)


def _multiply(k: int, p: Point) -> Point:
    """[k]P by double-and-add from the most significant bit."""
    result = IDENTITY
    for bit in bin(k)[2:]:
        result = _double(result)
        if bit == "1":
            result = _add(result, p)
    return result


def _encode(p: Point) -> bytes:
    """RFC 8032 §5.1.2: y in 255 bits little-endian, the low bit of x in the top bit."""
    x, y, z, _ = p
    z_inv = pow(z, P - 2, P)
    x, y = x * z_inv % P, y * z_inv % P
    return (y | (x & 1) << 255).to_bytes(32, "little")


def _decode(data: bytes) -> Point:
    """RFC 8032 §5.1.3: strict decoding; a non-canonical y or an x that does not exist is refused."""
    if len(data) != 32:
        raise InvalidSignatureError(f"a point is 32 bytes, not {len(data)}")
    n = int.from_bytes(data, "little")
    sign, y = n >> 255, n & ((1 << 255) - 1)
    if y >= P:
        raise InvalidSignatureError("non-canonical point encoding (y >= p)")
    u, v = (y * y - 1) % P, (D * y * y + 1) % P
    x = u * pow(v, 3, P) * pow(u * pow(v, 7, P), (P - 5) // 8, P) % P   # candidate root of u/v
    if v * x * x % P == (-u) % P:
        x = x * SQRT_M1 % P
    if v * x * x % P != u:
        raise InvalidSignatureError("not a curve point (x^2 has no root)")
    if x == 0 and sign:
        raise InvalidSignatureError("non-canonical point encoding (x = 0 with the sign bit set)")
    if x & 1 != sign:
        x = P - x
    return (x, y, 1, x * y % P)


_BY = 4 * pow(5, P - 2, P) % P
BASE: Point = _decode(_BY.to_bytes(32, "little"))                 # B: y = 4/5, x "positive" (even)
_BASE_POWERS = [BASE]                                           # 2^i B, so [k]B needs no doublings
for _ in range(255):
    _BASE_POWERS.append(_double(_BASE_POWERS[-1]))


def _base_multiply(k: int) -> Point:
    """[k]B for 0 <= k < 2^256 from the table of 2^i B."""
    result = IDENTITY
    for i in range(k.bit_length()):
        if k >> i & 1:
            result = _add(result, _BASE_POWERS[i])
    return result


def _encoded_base_multiple(k: int) -> bytes:
    """encode([k]B) for 0 <= k < 2^255: libsodium's fixed-base multiplication, or ``_base_multiply`` where it
    declines (k = 0, whose result is the identity)."""
    try:
        return crypto_scalarmult_ed25519_base_noclamp(k.to_bytes(32, "little"))
    except nacl.exceptions.RuntimeError:
        return _encode(_base_multiply(k))


def _encoded_difference(s: int, k: int, public: bytes) -> bytes:
    """encode([s]B - [k]A) for s, k < L and ``public`` = encode(A): libsodium's multiplications and subtraction,
    or this module's arithmetic where libsodium declines (a zero scalar or product; A not canonical, not on the
    curve, or of small or mixed order: libsodium's ``crypto_scalarmult_ed25519_noclamp`` refuses each, so A is
    decoded strictly (§5.1.3) only here, and a point that does not decode is refused)."""
    try:
        return crypto_core_ed25519_sub(crypto_scalarmult_ed25519_base_noclamp(s.to_bytes(32, "little")),
                                       crypto_scalarmult_ed25519_noclamp(k.to_bytes(32, "little"), public))
    except nacl.exceptions.RuntimeError:
        return _encode(_add(_base_multiply(s), _multiply(k, _negate(_decode(public)))))


# ------------------------------------------------------------------ signing (§5.1.5–§5.1.7)

def _sha512_int(*parts: bytes) -> int:
    return int.from_bytes(hashlib.sha512(b"".join(parts)).digest(), "little")


def _dom2(phflag: int, context: bytes) -> bytes:
    """RFC 8032 §2: dom2(x, y), the domain-separation prefix of Ed25519ctx and Ed25519ph."""
    if len(context) > 255:
        raise ValueError("an Ed25519 context is at most 255 bytes")
    return DOM2_PREFIX + bytes((phflag, len(context))) + context


def _expand(private_seed: bytes) -> tuple[int, bytes]:
    """RFC 8032 §5.1.5: the clamped secret scalar s and the nonce prefix from the 32-byte seed."""
    if len(private_seed) != 32:
        raise ValueError(f"an Ed25519 private key is a 32-byte seed, not {len(private_seed)} bytes")
    h = hashlib.sha512(private_seed).digest()
    s = int.from_bytes(h[:32], "little")
    s &= (1 << 254) - 8
    s |= 1 << 254
    return s, h[32:]


def _sign(private_seed: bytes, dom: bytes, phm: bytes) -> bytes:
    """RFC 8032 §5.1.6 with ``dom`` = dom2(..) (empty for pure Ed25519) and ``phm`` = PH(M)."""
    s, prefix = _expand(private_seed)
    a = _encoded_base_multiple(s)
    r = _sha512_int(dom, prefix, phm) % L
    big_r = _encoded_base_multiple(r)
    k = _sha512_int(dom, big_r, a, phm) % L
    return big_r + ((r + k * s) % L).to_bytes(32, "little")


def _verify(public: bytes, dom: bytes, phm: bytes, signature: bytes) -> None:
    """RFC 8032 §5.1.7 (cofactorless): raise unless encode([S]B - [k]A) equals R."""
    if len(signature) != 64:
        raise InvalidSignatureError(f"an Ed25519 signature is 64 bytes, not {len(signature)}")
    if len(public) != 32:
        raise InvalidSignatureError(f"a point is 32 bytes, not {len(public)}")
    big_r, s = signature[:32], int.from_bytes(signature[32:], "little")
    if s >= L:
        raise InvalidSignatureError("non-canonical signature (S >= L)")
    k = _sha512_int(dom, big_r, public, phm) % L
    if _encoded_difference(s, k, public) != big_r:
        raise InvalidSignatureError("Ed25519 signature does not verify")


def public_key(private_seed: bytes) -> bytes:
    """RFC 8032 §5.1.5: the 32-byte public key A of a 32-byte private seed."""
    return _encoded_base_multiple(_expand(private_seed)[0])


def sign(private_seed: bytes, message: bytes, context: bytes) -> bytes:
    """RFC 8032 §5.1 Ed25519ph: sign SHA-512(message) under dom2(1, context); 64 bytes R || S."""
    return _sign(private_seed, _dom2(1, context), hashlib.sha512(message).digest())


def verify(public: bytes, message: bytes, signature: bytes, context: bytes) -> None:
    """RFC 8032 §5.1 Ed25519ph: return if ``signature`` verifies, else raise ``InvalidSignatureError``."""
    _verify_cached(public, _dom2(1, context), hashlib.sha512(message).digest(), signature)


@process_wide
@functools.lru_cache(maxsize=65536)
def _verify_cached(public: bytes, dom: bytes, message: bytes, signature: bytes) -> None:
    """``_verify`` remembered for signatures that verified (a failure raises and is not cached):
    every client replays the same identity logs."""
    _verify(public, dom, message, signature)


def ed25519_sign(private_seed: bytes, message: bytes) -> bytes:
    """RFC 8032 §5.1 pure Ed25519 (empty dom, PH = identity), from the same code as ``sign``."""
    return _sign(private_seed, b"", message)


def ed25519_verify(public: bytes, message: bytes, signature: bytes) -> None:
    """RFC 8032 §5.1 pure Ed25519 verification; raises ``InvalidSignatureError``."""
    _verify(public, b"", message, signature)
