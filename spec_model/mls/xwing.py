"""X-Wing, draft-connolly-cfrg-xwing-kem-06: ML-KEM-768 and X25519 as one KEM.

Theory of operation
-------------------
X-Wing runs ML-KEM-768 (FIPS 203) and X25519 (RFC 7748) side by side and
hashes both shared secrets, the X25519 ciphertext and public key, and a
6-byte label with SHA3-256 (``combiner``, §5.3). Its keys and ciphertexts are
fixed-length byte strings (§5.1):

* the private (decapsulation) key is a 32-byte seed ``sk``: SHAKE256(sk, 96)
  expands it into the ML-KEM-768 key-generation seed d‖z (64 bytes) and the
  X25519 private key (32 bytes) (§5.2, ``expand_decapsulation_key``);
* the public (encapsulation) key is the ML-KEM-768 encapsulation key (1184
  bytes) followed by the X25519 public key (32 bytes);
* a ciphertext is the ML-KEM-768 ciphertext (1088 bytes) followed by the
  X25519 ephemeral public key (32 bytes); the shared secret is 32 bytes.

Encapsulation draws 64 random bytes, ``eseed``: the ML-KEM message ``m``
(the first 32) and the X25519 ephemeral private key (the last 32).
``encapsulate_derand`` takes them as an argument (§5.4.1), which is how test
vectors fix them.

Two of the three ML-KEM-768 operations are OpenSSL's, through
``cryptography``: key generation from d‖z (FIPS 203 Algorithm 16) and
decapsulation (Algorithm 18). ``cryptography`` draws its own randomness when
it encapsulates, so encapsulation (``mlkem768_encaps_internal``, Algorithm 17,
with Algorithms 5 to 14 under it) is written here, as FIPS 203 gives it.

Use in HPKE (§5.6) is ``hpke.py``'s ``XWingKem``: ``DeriveKeyPair(ikm)`` is
``GenerateKeyPairDerand(SHAKE256(ikm, 32))`` (``derive_key_pair`` here), the
key serializations are the identity, and there is no AuthEncap.

Errors
------
* ``ValueError``: a local argument of the wrong length; a public key whose
  ML-KEM part fails the encapsulation-key check of FIPS 203 §7.2 (draft-06
  §5.4: ``Encapsulate`` may raise an error), or whose X25519 part is refused
  (see Notes).
* ``InvalidCiphertextError`` (a ``ValueError``): a ciphertext of the wrong
  length, or whose X25519 part is refused. A well-sized ciphertext never
  fails ML-KEM decapsulation: a wrong one yields an unrelated shared secret
  (implicit rejection, FIPS 203 Algorithm 18).

Notes
-----
* OpenSSL refuses an X25519 output of all zeros, which a small-order point
  gives (RFC 7748 §6.1 allows the check); the draft computes on. Only a
  dishonest peer sends such a point, so refusing it changes nothing for
  honest ones.
"""

from __future__ import annotations

import hashlib
import os

from cryptography.hazmat.primitives.asymmetric.mlkem import MLKEM768PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

__all__ = [
    "InvalidCiphertextError", "XWING_LABEL", "PRIVATE_KEY_SIZE", "PUBLIC_KEY_SIZE", "CIPHERTEXT_SIZE",
    "SHARED_SECRET_SIZE", "ESEED_SIZE", "expand_decapsulation_key", "generate_key_pair",
    "generate_key_pair_derand", "derive_key_pair", "combiner", "encapsulate", "encapsulate_derand",
    "decapsulate", "mlkem768_encaps_internal",
]

XWING_LABEL = b"\\./" + b"/^\\"
"""draft-connolly-cfrg-xwing-kem-06 §5.3: ``XWingLabel = concat("\\./", "/^\\")``, in hex 5c2e2f2f5e5c."""

PRIVATE_KEY_SIZE, PUBLIC_KEY_SIZE, CIPHERTEXT_SIZE, SHARED_SECRET_SIZE = 32, 1216, 1120, 32
"""draft-connolly-cfrg-xwing-kem-06 §5.1: the sizes of the decapsulation key, encapsulation key, ciphertext and shared secret."""
ESEED_SIZE = 64
"""draft-connolly-cfrg-xwing-kem-06 §5.4.1: ``EncapsulateDerand``'s ``eseed`` MUST be 64 bytes."""

_MLKEM_PUBLIC_KEY_SIZE, _MLKEM_CIPHERTEXT_SIZE = 1184, 1088  # FIPS 203 §8 Table 3: ML-KEM-768 ek, c


class InvalidCiphertextError(ValueError):
    """draft-connolly-cfrg-xwing-kem-06 §5.5: a ciphertext ``Decapsulate`` cannot use (wrong length, or X25519 refuses ``ct_X``)."""


# --------------------------------------------------------------------------- X-Wing


def expand_decapsulation_key(sk: bytes) -> tuple[MLKEM768PrivateKey, X25519PrivateKey, bytes, bytes]:
    """draft-connolly-cfrg-xwing-kem-06 §5.2 ``expandDecapsulationKey(sk)``: (sk_M, sk_X, pk_M, pk_X); the private keys as key objects."""
    _check_length("X-Wing private key", sk, PRIVATE_KEY_SIZE)
    expanded = hashlib.shake_256(sk).digest(96)
    sk_m = MLKEM768PrivateKey.from_seed_bytes(expanded[0:64])  # ML-KEM-768.KeyGen_internal(d, z), d‖z = [0:64]
    sk_x = X25519PrivateKey.from_private_bytes(expanded[64:96])
    return sk_m, sk_x, sk_m.public_key().public_bytes_raw(), sk_x.public_key().public_bytes_raw()


def generate_key_pair_derand(sk: bytes) -> tuple[bytes, bytes]:
    """draft-connolly-cfrg-xwing-kem-06 §5.2.1 ``GenerateKeyPairDerand(sk)``: (sk, pk = pk_M ‖ pk_X)."""
    _, _, pk_m, pk_x = expand_decapsulation_key(sk)
    return sk, pk_m + pk_x


def generate_key_pair() -> tuple[bytes, bytes]:
    """draft-connolly-cfrg-xwing-kem-06 §5.2 ``GenerateKeyPair()``: a random 32-byte seed and its public key."""
    return generate_key_pair_derand(os.urandom(PRIVATE_KEY_SIZE))


def derive_key_pair(ikm: bytes) -> tuple[bytes, bytes]:
    """draft-connolly-cfrg-xwing-kem-06 §5.6 HPKE ``DeriveKeyPair(ikm) = GenerateKeyPairDerand(SHAKE256(ikm, 32))``."""
    return generate_key_pair_derand(hashlib.shake_256(ikm).digest(PRIVATE_KEY_SIZE))


def combiner(ss_m: bytes, ss_x: bytes, ct_x: bytes, pk_x: bytes) -> bytes:
    """draft-connolly-cfrg-xwing-kem-06 §5.3 ``Combiner``: SHA3-256(ss_M ‖ ss_X ‖ ct_X ‖ pk_X ‖ XWingLabel), the label last."""
    return hashlib.sha3_256(ss_m + ss_x + ct_x + pk_x + XWING_LABEL).digest()


def encapsulate_derand(pk: bytes, eseed: bytes) -> tuple[bytes, bytes]:
    """draft-connolly-cfrg-xwing-kem-06 §5.4.1 ``EncapsulateDerand(pk, eseed)``: (ss, ct = ct_M ‖ ct_X)."""
    _check_length("X-Wing public key", pk, PUBLIC_KEY_SIZE)
    _check_length("X-Wing eseed", eseed, ESEED_SIZE)
    pk_m, pk_x = pk[:_MLKEM_PUBLIC_KEY_SIZE], pk[_MLKEM_PUBLIC_KEY_SIZE:]
    ek_x = X25519PrivateKey.from_private_bytes(eseed[32:64])
    ct_x = ek_x.public_key().public_bytes_raw()
    try:
        ss_x = ek_x.exchange(X25519PublicKey.from_public_bytes(pk_x))
    except ValueError:
        raise ValueError("X-Wing public key: X25519 refuses pk_X (a small-order point)") from None
    ss_m, ct_m = mlkem768_encaps_internal(pk_m, eseed[0:32])
    return combiner(ss_m, ss_x, ct_x, pk_x), ct_m + ct_x


def encapsulate(pk: bytes) -> tuple[bytes, bytes]:
    """draft-connolly-cfrg-xwing-kem-06 §5.4 ``Encapsulate(pk)``: ``EncapsulateDerand`` with a random ``eseed``."""
    return encapsulate_derand(pk, os.urandom(ESEED_SIZE))


def decapsulate(ct: bytes, sk: bytes) -> bytes:
    """draft-connolly-cfrg-xwing-kem-06 §5.5 ``Decapsulate(ct, sk)``: the shared secret; ``InvalidCiphertextError`` for an unusable ``ct``."""
    sk_m, sk_x, _, pk_x = expand_decapsulation_key(sk)
    if len(ct) != CIPHERTEXT_SIZE:
        raise InvalidCiphertextError(f"X-Wing ciphertext must be {CIPHERTEXT_SIZE} bytes, got {len(ct)}")
    ct_m, ct_x = ct[:_MLKEM_CIPHERTEXT_SIZE], ct[_MLKEM_CIPHERTEXT_SIZE:]
    ss_m = sk_m.decapsulate(ct_m)
    try:
        ss_x = sk_x.exchange(X25519PublicKey.from_public_bytes(ct_x))
    except ValueError:
        raise InvalidCiphertextError("X25519 refuses ct_X (a small-order point)") from None
    return combiner(ss_m, ss_x, ct_x, pk_x)


def _check_length(what: str, value: bytes, size: int) -> None:
    """draft-connolly-cfrg-xwing-kem-06 §5.1, FIPS 203 §7.2 type check: X-Wing's and ML-KEM's byte strings have fixed lengths."""
    if len(value) != size:
        raise ValueError(f"{what} must be {size} bytes, got {len(value)}")


# --------------------------------------------------------------------------- ML-KEM-768 encapsulation (FIPS 203)

Q, N = 3329, 256                        # FIPS 203 §2.3: the modulus q and the degree n
K, ETA1, ETA2, DU, DV = 3, 2, 2, 10, 4  # FIPS 203 §8 Table 2: ML-KEM-768
ZETA = 17                               # FIPS 203 §4.3: the primitive 256-th root of unity mod q


def _bit_rev7(i: int) -> int:
    """FIPS 203 §2.3: ``BitRev7(i)``, the 7 bits of ``i`` reversed."""
    return int(f"{i:07b}"[::-1], 2)


_ZETAS = [pow(ZETA, _bit_rev7(i), Q) for i in range(128)]           # FIPS 203 §4.3: ζ^BitRev7(i), Appendix A
_GAMMAS = [pow(ZETA, 2 * _bit_rev7(i) + 1, Q) for i in range(128)]  # FIPS 203 §4.3.1: ζ^(2·BitRev7(i)+1)


def mlkem768_encaps_internal(ek: bytes, m: bytes) -> tuple[bytes, bytes]:
    """FIPS 203 Algorithm 17 ``ML-KEM.Encaps_internal(ek, m)``: (K, c), after the §7.2 encapsulation-key check."""
    _check_length("ML-KEM-768 encapsulation key", ek, _MLKEM_PUBLIC_KEY_SIZE)  # §7.2 type check
    _check_length("ML-KEM message m", m, 32)
    t_hat = [_byte_decode(ek[384 * i:384 * (i + 1)], 12) for i in range(K)]
    if any(c >= Q for poly in t_hat for c in poly):  # §7.2 modulus check: ByteEncode12(ByteDecode12(ek)) = ek
        raise ValueError("ML-KEM-768 encapsulation key fails the modulus check (FIPS 203 §7.2)")
    g = hashlib.sha3_512(m + hashlib.sha3_256(ek).digest()).digest()  # (K, r) = G(m ‖ H(ek))
    shared_key, r = g[:32], g[32:]
    return shared_key, _k_pke_encrypt(t_hat, ek[384 * K:], m, r)


def _k_pke_encrypt(t_hat: list[list[int]], rho: bytes, m: bytes, r: bytes) -> bytes:
    """FIPS 203 Algorithm 14 ``K-PKE.Encrypt(ek, m, r)``, with ek already decoded into t̂ and ρ."""
    a_hat = [[_sample_ntt(rho + bytes((j, i))) for j in range(K)] for i in range(K)]  # Â[i][j] = SampleNTT(ρ‖j‖i)
    y = [_sample_poly_cbd(_prf(ETA1, r, n), ETA1) for n in range(K)]
    e1 = [_sample_poly_cbd(_prf(ETA2, r, K + n), ETA2) for n in range(K)]
    e2 = _sample_poly_cbd(_prf(ETA2, r, 2 * K), ETA2)
    y_hat = [_ntt(p) for p in y]
    u = [_add(_ntt_inverse(_dot([a_hat[j][i] for j in range(K)], y_hat)), e1[i]) for i in range(K)]  # Âᵀ∘ŷ
    mu = [_decompress(bit, 1) for bit in _byte_decode(m, 1)]
    v = _add(_add(_ntt_inverse(_dot(t_hat, y_hat)), e2), mu)
    c1 = b"".join(_byte_encode([_compress(x, DU) for x in poly], DU) for poly in u)
    return c1 + _byte_encode([_compress(x, DV) for x in v], DV)


def _prf(eta: int, s: bytes, b: int) -> bytes:
    """FIPS 203 §4.1 (4.3): ``PRF_η(s, b)`` = SHAKE256(s ‖ b), 64·η bytes."""
    return hashlib.shake_256(s + bytes((b,))).digest(64 * eta)


def _byte_encode(f: list[int], d: int) -> bytes:
    """FIPS 203 Algorithm 5 ``ByteEncode_d(F)``: 256 d-bit integers, least significant bit first."""
    return sum(a << (d * i) for i, a in enumerate(f)).to_bytes(32 * d, "little")


def _byte_decode(b: bytes, d: int) -> list[int]:
    """FIPS 203 Algorithm 6 ``ByteDecode_d(B)``, without the reduction mod q for d = 12 (the caller checks it)."""
    bits, mask = int.from_bytes(b, "little"), (1 << d) - 1
    return [(bits >> (d * i)) & mask for i in range(N)]


def _compress(x: int, d: int) -> int:
    """FIPS 203 §4.2.1 (4.7): ``Compress_d(x)`` = ⌈(2^d/q)·x⌋ mod 2^d, halves rounded up."""
    return ((x << (d + 1)) + Q) // (2 * Q) % (1 << d)


def _decompress(y: int, d: int) -> int:
    """FIPS 203 §4.2.1 (4.8): ``Decompress_d(y)`` = ⌈(q/2^d)·y⌋, halves rounded up."""
    return (Q * y + (1 << (d - 1))) >> d


def _sample_ntt(seed: bytes) -> list[int]:
    """FIPS 203 Algorithm 7 ``SampleNTT(B)``: 12-bit candidates from SHAKE128(B), those below q kept."""
    length = 840  # five SHAKE128 blocks; a longer read of the XOF starts with the same bytes
    while True:
        stream, coefficients = hashlib.shake_128(seed).digest(length), []
        for c0, c1, c2 in zip(stream[0::3], stream[1::3], stream[2::3]):
            coefficients += [d for d in (c0 + 256 * (c1 % 16), c1 // 16 + 16 * c2) if d < Q]
        if len(coefficients) >= N:
            return coefficients[:N]
        length *= 2


def _sample_poly_cbd(b: bytes, eta: int) -> list[int]:
    """FIPS 203 Algorithm 8 ``SamplePolyCBD_η(B)``: each coefficient a difference of two sums of η bits."""
    bits = int.from_bytes(b, "little")  # BytesToBits: bit j of byte i is bit 8i + j

    def ones(start: int) -> int:  # the sum of the η bits from ``start``
        return ((bits >> start) & ((1 << eta) - 1)).bit_count()

    return [(ones(2 * i * eta) - ones(2 * i * eta + eta)) % Q for i in range(N)]


def _ntt(f: list[int]) -> list[int]:
    """FIPS 203 Algorithm 9 ``NTT(f)``."""
    f, i, length = list(f), 1, 128
    while length >= 2:
        for start in range(0, N, 2 * length):
            zeta, i = _ZETAS[i], i + 1
            for j in range(start, start + length):
                t = zeta * f[j + length] % Q
                f[j + length] = (f[j] - t) % Q
                f[j] = (f[j] + t) % Q
        length //= 2
    return f


def _ntt_inverse(f_hat: list[int]) -> list[int]:
    """FIPS 203 Algorithm 10 ``NTT⁻¹(f̂)``; 3303 = 128⁻¹ mod q."""
    f, i, length = list(f_hat), 127, 2
    while length <= 128:
        for start in range(0, N, 2 * length):
            zeta, i = _ZETAS[i], i - 1
            for j in range(start, start + length):
                t = f[j]
                f[j] = (t + f[j + length]) % Q
                f[j + length] = zeta * (f[j + length] - t) % Q
        length *= 2
    return [a * 3303 % Q for a in f]


def _multiply_ntts(f: list[int], g: list[int]) -> list[int]:
    """FIPS 203 Algorithms 11 ``MultiplyNTTs`` and 12 ``BaseCaseMultiply``: degree-1 products mod X² − γ."""
    h = []
    for i in range(128):
        a0, a1, b0, b1 = f[2 * i], f[2 * i + 1], g[2 * i], g[2 * i + 1]
        h += [(a0 * b0 + a1 * b1 * _GAMMAS[i]) % Q, (a0 * b1 + a1 * b0) % Q]
    return h


def _dot(row: list[list[int]], column: list[list[int]]) -> list[int]:
    """FIPS 203 §2.4.7: the dot product of two vectors of NTT-domain polynomials."""
    total = [0] * N
    for f, g in zip(row, column):
        total = _add(total, _multiply_ntts(f, g))
    return total


def _add(f: list[int], g: list[int]) -> list[int]:
    """FIPS 203 §2.4.5: the sum of two polynomials, coefficient by coefficient mod q."""
    return [(a + b) % Q for a, b in zip(f, g)]
