"""ML-KEM-768 encapsulation with caller-given randomness, FIPS 203 Algorithm 17.

Theory of operation
-------------------
``encaps_internal(ek, m)`` is FIPS 203 ``ML-KEM.Encaps_internal``: the
shared key K and the randomness r come from G(m ‖ H(ek)), and the ciphertext
is ``K-PKE.Encrypt(ek, m, r)`` (Algorithm 14). X-Wing (``xwing.py``) needs it
because ``cryptography`` (OpenSSL) draws its own m when it encapsulates, and
the model's clients encapsulate from seeded randomness. Key generation and
decapsulation are OpenSSL's.

A polynomial is a numpy array of its 256 coefficients in Z_q (``int64``); a
vector of polynomials is an array of shape (k, 256), the matrix Â one of
shape (k, k, 256). Each function below is one FIPS 203 algorithm, computed
on whole arrays at once.

The NTT (§4.3) is written as what it is: a linear map. f̂ = NTT(f) is the
128 remainders f mod (X² − γ_i), γ_i = ζ^(2·BitRev7(i)+1) (§4.3, eq. 4.9 and
4.10); the remainder's two coefficients are the even and the odd
coefficients of f, each evaluated at γ_i. So NTT multiplies the pairs
(f[2j], f[2j+1]) by the 128×128 Vandermonde matrix V[i][j] = γ_i^j, and
NTT⁻¹ by its inverse, 128⁻¹·γ_i^(−j) (the γ_i are the 128 roots of
X¹²⁸ + 1). Algorithms 9 and 10 compute the same maps with butterflies;
``tests/mls/test_mlkem.py`` checks the matrices against them.

Bounds: values below q have 12 bits, so a product of three is below 2^36
and a sum of a few hundred products below 2^45: ``int64`` never overflows
before the reduction mod q. The two NTT matrices are ``float64`` (numpy
multiplies those with BLAS, twice as fast here): their products with
vectors below 3q are sums of 128 products below 2^26, exact integers far
below 2^53.

Errors
------
* ``ValueError``: ``ek`` or ``m`` of the wrong length, or an ``ek`` that
  fails the modulus check of FIPS 203 §7.2 (a 12-bit coefficient ≥ q).
"""

from __future__ import annotations

import hashlib

import numpy as np

__all__ = ["Q", "N", "K", "ENCAPSULATION_KEY_SIZE", "CIPHERTEXT_SIZE", "encaps_internal", "ntt", "ntt_inverse"]

Q, N = 3329, 256                        # FIPS 203 §2.3: the modulus q and the degree n
K, ETA1, ETA2, DU, DV = 3, 2, 2, 10, 4  # FIPS 203 §8 Table 2: ML-KEM-768
ZETA = 17                               # FIPS 203 §4.3: the primitive 256-th root of unity mod q
ENCAPSULATION_KEY_SIZE, CIPHERTEXT_SIZE = 1184, 1088
"""FIPS 203 §8 Table 3: ML-KEM-768's encapsulation key (384·k + 32 bytes) and ciphertext (32·(du·k + dv) bytes)."""


def _bit_rev7(i: int) -> int:
    """FIPS 203 §2.3: ``BitRev7(i)``, the 7 bits of ``i`` reversed."""
    return int(f"{i:07b}"[::-1], 2)


_ODD_EXPONENTS = np.array([2 * _bit_rev7(i) + 1 for i in range(128)])  # §4.3.1: γ_i = ζ^(2·BitRev7(i)+1)
_ZETA_POWERS = np.array([pow(ZETA, e, Q) for e in range(256)], dtype=np.int64)  # ζ^e; ζ^256 = 1
_GAMMAS = _ZETA_POWERS[_ODD_EXPONENTS]
_NTT = _ZETA_POWERS[np.outer(_ODD_EXPONENTS, np.arange(128)) % 256].astype(np.float64)  # V[i][j] = γ_i^j
_NTT_INVERSE = (3303 * _ZETA_POWERS[-np.outer(np.arange(128), _ODD_EXPONENTS) % 256] % Q).astype(np.float64)
# [j][i] = 128⁻¹·γ_i^(−j); 3303 = 128⁻¹ mod q (FIPS 203 Algorithm 10, line 14)


def encaps_internal(ek: bytes, m: bytes) -> tuple[bytes, bytes]:
    """FIPS 203 Algorithm 17 ``ML-KEM.Encaps_internal(ek, m)``: (K, c), after the §7.2 encapsulation-key check."""
    if len(ek) != ENCAPSULATION_KEY_SIZE or len(m) != 32:  # §7.2 type check (and m: 32 bytes, Algorithm 17)
        raise ValueError(f"ML-KEM-768 encapsulation key and m must be {ENCAPSULATION_KEY_SIZE} and 32 bytes, "
                         f"got {len(ek)} and {len(m)}")
    t_hat = _byte_decode(ek[:384 * K], 12).reshape(K, N)
    if (t_hat >= Q).any():  # §7.2 modulus check: ByteEncode12(ByteDecode12(ek)) = ek
        raise ValueError("ML-KEM-768 encapsulation key fails the modulus check (FIPS 203 §7.2)")
    g = hashlib.sha3_512(m + hashlib.sha3_256(ek).digest()).digest()  # (K, r) = G(m ‖ H(ek))
    shared_key, r = g[:32], g[32:]
    return shared_key, _k_pke_encrypt(t_hat, ek[384 * K:], m, r)


def _k_pke_encrypt(t_hat: np.ndarray, rho: bytes, m: bytes, r: bytes) -> bytes:
    """FIPS 203 Algorithm 14 ``K-PKE.Encrypt(ek, m, r)``, with ek already decoded into t̂ and ρ."""
    a_hat = _sample_ntt([rho + bytes((j, i)) for i in range(K) for j in range(K)]).reshape(K, K, N)  # Â[i,j]
    y = _sample_poly_cbd(b"".join(_prf(ETA1, r, n) for n in range(K)), ETA1)
    e = _sample_poly_cbd(b"".join(_prf(ETA2, r, n) for n in range(K, 2 * K + 1)), ETA2)  # e1 (k rows), then e2
    y_hat = ntt(y)
    rows = np.concatenate([a_hat.transpose(1, 0, 2), t_hat[np.newaxis]])  # the rows of Âᵀ, then t̂ᵀ
    w = ntt_inverse(_multiply_ntts(rows, y_hat).sum(axis=1))  # NTT⁻¹(Âᵀ∘ŷ) and NTT⁻¹(t̂ᵀ∘ŷ)
    u = (w[:K] + e[:K]) % Q
    mu = _decompress(_byte_decode(m, 1), 1)
    v = (w[K] + e[K] + mu) % Q
    return _byte_encode(_compress(u, DU), DU) + _byte_encode(_compress(v, DV), DV)


def _prf(eta: int, s: bytes, b: int) -> bytes:
    """FIPS 203 §4.1 (4.3): ``PRF_η(s, b)`` = SHAKE256(s ‖ b), 64·η bytes."""
    return hashlib.shake_256(s + bytes((b,))).digest(64 * eta)


def _byte_encode(f: np.ndarray, d: int) -> bytes:
    """FIPS 203 Algorithm 5 ``ByteEncode_d(F)``: d-bit integers, least significant bit first (a vector's in turn)."""
    bits = (f.reshape(-1, 1) >> np.arange(d)) & 1
    return np.packbits(bits.astype(np.uint8), bitorder="little").tobytes()


def _byte_decode(b: bytes, d: int) -> np.ndarray:
    """FIPS 203 Algorithm 6 ``ByteDecode_d(B)``, without the reduction mod q for d = 12 (the caller checks it)."""
    bits = np.unpackbits(np.frombuffer(b, dtype=np.uint8), bitorder="little").reshape(-1, d)
    return bits.astype(np.int64) @ (1 << np.arange(d))


def _compress(x: np.ndarray, d: int) -> np.ndarray:
    """FIPS 203 §4.2.1 (4.7): ``Compress_d(x)`` = ⌈(2^d/q)·x⌋ mod 2^d, halves rounded up."""
    return ((x << (d + 1)) + Q) // (2 * Q) % (1 << d)


def _decompress(y: np.ndarray, d: int) -> np.ndarray:
    """FIPS 203 §4.2.1 (4.8): ``Decompress_d(y)`` = ⌈(q/2^d)·y⌋, halves rounded up."""
    return (Q * y + (1 << (d - 1))) >> d


def _sample_ntt(seeds: list[bytes], length: int = 840) -> np.ndarray:
    """FIPS 203 Algorithm 7 ``SampleNTT(B)`` for each B in ``seeds``: SHAKE128(B)'s 12-bit candidates, those below q.

    The XOF is read ``length`` bytes at a time (a multiple of 3; 840 is five SHAKE128 blocks), twice as many
    when some B needs more: a longer read of SHAKE128 starts with the same bytes.
    """
    while True:
        stream = b"".join(hashlib.shake_128(seed).digest(length) for seed in seeds)
        triples = np.frombuffer(stream, dtype=np.uint8).astype(np.int64).reshape(len(seeds), -1, 3)
        c0, c1, c2 = triples[..., 0], triples[..., 1], triples[..., 2]
        d1, d2 = c0 + 256 * (c1 % 16), c1 // 16 + 16 * c2
        candidates = np.stack([d1, d2], axis=-1).reshape(len(seeds), -1)  # in the XOF's order: d1, d2, d1, d2, …
        kept = candidates < Q
        if (kept.sum(axis=1) >= N).all():
            return candidates[kept & (kept.cumsum(axis=1) <= N)].reshape(len(seeds), N)  # the first n kept
        length *= 2


def _sample_poly_cbd(b: bytes, eta: int) -> np.ndarray:
    """FIPS 203 Algorithm 8 ``SamplePolyCBD_η(B)`` for each 64η-byte B in ``b``: each coefficient a difference of
    two sums of η bits."""
    bits = np.unpackbits(np.frombuffer(b, dtype=np.uint8), bitorder="little")  # bit j of byte i is bit 8i + j
    x_minus_y = np.array([1] * eta + [-1] * eta)  # x: the η bits from 2iη, y: the η after them
    return bits.reshape(-1, N, 2 * eta) @ x_minus_y % Q


def ntt(f: np.ndarray) -> np.ndarray:
    """FIPS 203 Algorithm 9 ``NTT(f)`` (§4.3, eq. 4.9–4.10): the pairs (f̂[2i], f̂[2i+1]) = V·(f[2j], f[2j+1])."""
    return _reduce(_NTT @ f.reshape(-1, 128, 2)).reshape(f.shape)


def ntt_inverse(f_hat: np.ndarray) -> np.ndarray:
    """FIPS 203 Algorithm 10 ``NTT⁻¹(f̂)``: the pairs multiplied by V⁻¹, the inverse of ``ntt``'s matrix."""
    return _reduce(_NTT_INVERSE @ f_hat.reshape(-1, 128, 2)).reshape(f_hat.shape)


def _reduce(exact: np.ndarray) -> np.ndarray:
    """FIPS 203 §2.3: integers (held exactly in ``float64``, see Bounds) reduced mod q, as ``int64``."""
    return exact.astype(np.int64) % Q


def _multiply_ntts(f: np.ndarray, g: np.ndarray) -> np.ndarray:
    """FIPS 203 Algorithms 11 ``MultiplyNTTs`` and 12 ``BaseCaseMultiply``: degree-1 products mod X² − γ_i."""
    a0, a1, b0, b1 = f[..., 0::2], f[..., 1::2], g[..., 0::2], g[..., 1::2]
    c0 = (a0 * b0 + a1 * b1 * _GAMMAS) % Q
    c1 = (a0 * b1 + a1 * b0) % Q
    return np.stack([c0, c1], axis=-1).reshape(np.broadcast_shapes(f.shape, g.shape))
