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
it encapsulates, so encapsulation from ``m`` (Algorithm 17) is ``mlkem.py``'s.

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
    "decapsulate",
]

XWING_LABEL = b"\\./" + b"/^\\"
"""draft-connolly-cfrg-xwing-kem-06 §5.3: ``XWingLabel = concat("\\./", "/^\\")``, in hex 5c2e2f2f5e5c."""

PRIVATE_KEY_SIZE, PUBLIC_KEY_SIZE, CIPHERTEXT_SIZE, SHARED_SECRET_SIZE = 32, 1216, 1120, 32
"""draft-connolly-cfrg-xwing-kem-06 §5.1: the sizes of the decapsulation key, encapsulation key, ciphertext and shared secret."""
ESEED_SIZE = 64
"""draft-connolly-cfrg-xwing-kem-06 §5.4.1: ``EncapsulateDerand``'s ``eseed`` MUST be 64 bytes."""

_MLKEM_PUBLIC_KEY_SIZE, _MLKEM_CIPHERTEXT_SIZE = 1184, 1088  # FIPS 203 §8 Table 3: ML-KEM-768 ek, c (mlkem.py's sizes)


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
    from . import mlkem  # numpy loads with the first encapsulation, not with every process that imports HPKE

    ss_m, ct_m = mlkem.encaps_internal(pk_m, eseed[0:32])
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
    """draft-connolly-cfrg-xwing-kem-06 §5.1: X-Wing's byte strings have fixed lengths."""
    if len(value) != size:
        raise ValueError(f"{what} must be {size} bytes, got {len(value)}")
