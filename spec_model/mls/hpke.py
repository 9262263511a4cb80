"""RFC 9180: Hybrid Public Key Encryption (HPKE), as MLS (RFC 9420 §5.1.3) uses it.

Theory of operation
-------------------
A ciphersuite is a triple (KEM, KDF, AEAD) of two-byte identifiers (§7).
``hpke_for(kem_id, kdf_id, aead_id)`` returns the (cached) ``Hpke`` object for
a triple; it owns one ``Kem``, one ``Kdf`` and one ``Aead``.

* ``Kdf`` is HKDF (RFC 5869) over SHA-256/384/512, plus the ``LabeledExtract``
  and ``LabeledExpand`` wrappers of §4 that take the ``suite_id`` explicitly.
* ``Kem`` is DHKEM (§4.1) over one Diffie-Hellman group: X25519, X448 (RFC 7748)
  or P-256, P-384, P-521. Keys cross the API as bytes in the §7.1.1 encodings:
  X25519/X448 keys are raw; a P-curve public key is an uncompressed SEC1 point
  and a private key is its big-endian scalar of ``Nsk`` bytes.
* ``XWingKem`` is X-Wing (draft-connolly-cfrg-xwing-kem-06, ``xwing.py``) behind
  the same interface, without the Auth operations. It is registered twice: at
  0x004D, the identifier hpke-rs gave draft-06 and libxmtp pins for welcome
  wrapping (docs/xmtp-facts.md §7.3), and at 0x647A, the one draft-06 §7 requests. The two
  differ only in HPKE's ``suite_id``, hence in every key the schedule derives.
* ``Hpke.setup_*`` run the KEM and the key schedule (§5.1) and return a
  ``Context`` (§5.2) that seals or opens a sequence of messages and exports
  secrets (§5.3). ``seal_base``/``open_base`` are the single-shot API (§6.1).

Every ``Encap`` variant takes an optional ``ikm_e``: when given, the ephemeral
key pair is ``DeriveKeyPair(ikm_e)``, which makes the operation deterministic
(this is how the RFC's test vectors are produced). For X-Wing, ``ikm_e`` is the
64-byte ``eseed`` of ``EncapsulateDerand`` (draft-06 §5.4.1).

Errors
------
* ``DecryptError``: something received cannot be decrypted. The AEAD tag did
  not verify, or (recipient side) ``enc`` or ``pkS`` is not a valid public key,
  or the Diffie-Hellman output with it is invalid (§7.1.4), or ``enc`` is not
  an X-Wing ciphertext.
* ``ValueError``: a bad local argument. A private key of the wrong length or
  out of range, a recipient key ``pkR`` handed to the sender that fails
  validation, inconsistent PSK inputs (§5.1), an export length over ``255*Nh``,
  an unknown algorithm identifier, sealing with the export-only AEAD, an Auth
  mode with X-Wing.
* ``MessageLimitReachedError`` (a ``ValueError``): the context's sequence
  number would overflow (§5.2).

Notes
-----
* X25519/X448 private keys are returned from ``derive_key_pair`` exactly as
  ``LabeledExpand`` produced them, unclamped, as in the RFC's test vectors;
  clamping (RFC 7748 §5) happens when the key is used.
* Deserialized keys are cached keyed by their bytes, because MLS uses the same
  keys many times; a P-curve key pair that ``generate_key_pair`` made is cached too.
  ``Kem.decap`` is remembered keyed by its inputs (``remember_decapsulations``): the members below one node of a
  ratchet tree decrypt the same path secret with its key.
  Every cache is one of the process's memories (``memory.forget_all``).
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import hashlib
import os
from typing import Callable

import nacl.bindings
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric import ec, x448, x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from . import xwing
from .memory import Memory, process_wide

__all__ = [
    "DecryptError", "MessageLimitReachedError", "Mode", "Kdf", "Aead", "Kem", "XWingKem",
    "Context", "Hpke", "hpke_for", "remember_decapsulations",
]

_KEY_CACHE_SIZE = 4096
_decapsulations: Memory[tuple, bytes] = Memory(_KEY_CACHE_SIZE)
"""``Kem.decap``'s shared secrets by KEM, ``enc`` and ``skR`` (``remember_decapsulations``)."""


def remember_decapsulations(remembering: bool) -> None:
    """model: ``Kem.decap`` remembers its results (``_KEY_CACHE_SIZE`` of them) or none, the memory emptied;
    ``suites.remember_verifications`` switches it with the verifications, off while benchmarks run, so that an
    operation timed again decapsulates again."""
    _decapsulations.reset(_KEY_CACHE_SIZE if remembering else 0)


class DecryptError(Exception):
    """RFC 9180 §8.2: ``OpenError``, or a ``ValidationError``/``DeserializeError`` on the recipient side."""


class MessageLimitReachedError(ValueError):
    """RFC 9180 §5.2: the context's sequence number would overflow."""


class Mode(enum.IntEnum):
    """RFC 9180 §5, Table 1: the HPKE modes."""

    BASE = 0x00
    PSK = 0x01
    AUTH = 0x02
    AUTH_PSK = 0x03


def _i2osp(n: int, w: int) -> bytes:
    """RFC 9180 §3: ``I2OSP(n, w)``, ``n`` as a ``w``-byte big-endian string."""
    return n.to_bytes(w, "big")


# --------------------------------------------------------------------------- KDF


@dataclasses.dataclass(frozen=True)
class Kdf:
    """RFC 9180 §7.2: HKDF (RFC 5869) over one hash function."""

    kdf_id: int
    name: str
    Nh: int
    hash_name: str

    @functools.cached_property
    def _hash(self):
        """hashlib's constructor of the hash (``hashlib.sha256`` …) and its block size, looked up once."""
        return getattr(hashlib, self.hash_name), hashlib.new(self.hash_name).block_size

    def hmac(self, key: bytes, *message: bytes) -> bytes:
        """RFC 2104 §2: ``HMAC(K, text) = H(K XOR opad, H(K XOR ipad, text))``, ``K`` zero-padded to the block
        size (hashed first when longer); ``text`` may come in pieces, MACed as their concatenation. Two hashlib
        hashes: for the short keys and messages of MLS about 60 % of the time of ``hmac.digest``, which sets up an
        OpenSSL HMAC context for every call; a long message (a whole commit, RFC 9420 §6.2) is hashed where it
        lies, never copied."""
        h, block_size = self._hash
        if len(key) > block_size:
            key = h(key).digest()
        key = key.ljust(block_size, b"\0")
        inner = h(key.translate(_IPAD))
        for piece in message:
            inner.update(piece)
        return h(key.translate(_OPAD) + inner.digest()).digest()

    def extract(self, salt: bytes, ikm: bytes) -> bytes:
        """RFC 5869 §2.2: HKDF-Extract; an empty salt acts as ``Nh`` zero bytes (HMAC zero-pads keys)."""
        return self.hmac(salt, ikm)

    def expand(self, prk: bytes, info: bytes, L: int) -> bytes:
        """RFC 5869 §2.3: HKDF-Expand to ``L`` bytes, at most ``255*Nh``."""
        if 0 <= L <= self.Nh:  # one block, as for nearly every secret MLS derives
            return self.hmac(prk, info + b"\x01")[:L]
        self._check_length(L)
        okm = t = b""
        for i in range(1, -(-L // self.Nh) + 1):
            t = self.hmac(prk, t + info + bytes((i,)))
            okm += t
        return okm[:L]

    def labeled_extract(self, suite_id: bytes, salt: bytes, label: bytes, ikm: bytes) -> bytes:
        """RFC 9180 §4: ``LabeledExtract(salt, label, ikm)`` for ``suite_id``."""
        return self.extract(salt, b"HPKE-v1" + suite_id + label + ikm)

    def labeled_expand(self, suite_id: bytes, prk: bytes, label: bytes, info: bytes, L: int) -> bytes:
        """RFC 9180 §4: ``LabeledExpand(prk, label, info, L)`` for ``suite_id``."""
        self._check_length(L)
        return self.expand(prk, _i2osp(L, 2) + b"HPKE-v1" + suite_id + label + info, L)

    def _check_length(self, L: int) -> None:
        if not 0 <= L <= 255 * self.Nh:
            raise ValueError(f"{self.name} cannot produce {L} bytes (at most 255*Nh = {255 * self.Nh})")


_IPAD = bytes(b ^ 0x36 for b in range(256))
"""RFC 2104 §2: a ``bytes.translate`` table XORing every byte with ipad (0x36)."""
_OPAD = bytes(b ^ 0x5C for b in range(256))
"""RFC 2104 §2: a ``bytes.translate`` table XORing every byte with opad (0x5C)."""

_KDFS = {
    kdf.kdf_id: kdf
    for kdf in (
        Kdf(0x0001, "HKDF-SHA256", 32, "sha256"),
        Kdf(0x0002, "HKDF-SHA384", 48, "sha384"),
        Kdf(0x0003, "HKDF-SHA512", 64, "sha512"),
    )
}


# --------------------------------------------------------------------------- AEAD


@dataclasses.dataclass(frozen=True)
class Aead:
    """RFC 9180 §7.3: an AEAD algorithm; ``cipher`` is ``None`` for the export-only ID 0xFFFF."""

    aead_id: int
    name: str
    Nk: int
    Nn: int
    Nt: int
    cipher: type[AESGCM] | type[ChaCha20Poly1305] | None

    def seal(self, key: bytes, nonce: bytes, aad: bytes, pt: bytes) -> bytes:
        """RFC 9180 §4: ``Seal(key, nonce, aad, pt)``, ciphertext followed by the ``Nt``-byte tag."""
        return self._cipher(key, nonce).encrypt(nonce, pt, aad)

    def open(self, key: bytes, nonce: bytes, aad: bytes, ct: bytes) -> bytes:
        """RFC 9180 §4: ``Open(key, nonce, aad, ct)``; ``DecryptError`` if the tag does not verify."""
        cipher = self._cipher(key, nonce)
        try:
            return cipher.decrypt(nonce, ct, aad)
        except InvalidTag:
            raise DecryptError(f"{self.name} open failed: authentication tag did not verify") from None

    def _cipher(self, key: bytes, nonce: bytes) -> AESGCM | ChaCha20Poly1305:
        if self.cipher is None:
            raise ValueError("the export-only AEAD (0xFFFF) cannot seal or open")
        if len(key) != self.Nk or len(nonce) != self.Nn:
            raise ValueError(f"{self.name} needs a {self.Nk}-byte key and a {self.Nn}-byte nonce, "
                             f"got {len(key)} and {len(nonce)}")
        return self.cipher(key)


_AEADS = {
    aead.aead_id: aead
    for aead in (
        Aead(0x0001, "AES-128-GCM", 16, 12, 16, AESGCM),
        Aead(0x0002, "AES-256-GCM", 32, 12, 16, AESGCM),
        Aead(0x0003, "ChaCha20Poly1305", 32, 12, 16, ChaCha20Poly1305),
        Aead(0xFFFF, "Export-only", 0, 0, 0, None),
    )
}


# --------------------------------------------------------------------------- Diffie-Hellman groups


class _MontgomeryGroup:
    """RFC 9180 §7.1 with RFC 7748: X25519 or X448; keys are raw byte strings.

    ``load_private(skm)`` returns the key object and ``SerializePublicKey(pk(sk))``;
    ``private_key`` and ``public_key`` are its cached counterparts. Errors are ``ValueError``.
    """

    def __init__(self, name: str, size: int, private_cls, public_cls):
        self.name = name
        self.Nsk = self.Npk = self.Ndh = size
        self._private_cls = private_cls
        self._public_cls = public_cls
        self.private_key = process_wide(functools.lru_cache(_KEY_CACHE_SIZE)(self.load_private))
        self.public_key = process_wide(functools.lru_cache(_KEY_CACHE_SIZE)(self._load_public))
        self._sodium_public = process_wide(functools.lru_cache(_KEY_CACHE_SIZE)(self._sodium_base_multiplication))

    def load_private(self, skm: bytes):
        """RFC 9180 §7.1.2: ``DeserializePrivateKey(skm)`` and ``SerializePublicKey(pk(sk))``."""
        if len(skm) != self.Nsk:
            raise ValueError(f"{self.name} private key must be {self.Nsk} bytes, got {len(skm)}")
        sk = self._private_cls.from_private_bytes(skm)  # clamped (decodeScalar) when used
        return sk, sk.public_key().public_bytes_raw()

    def _load_public(self, pkm: bytes):
        if len(pkm) != self.Npk:
            raise ValueError(f"{self.name} public key must be {self.Npk} bytes, got {len(pkm)}")
        return self._public_cls.from_public_bytes(pkm)

    def public_of(self, skm: bytes) -> bytes:
        """RFC 9180 §7.1.2: ``SerializePublicKey(pk(DeserializePrivateKey(skm)))`` alone; X25519's through
        libsodium, whose fixed-base multiplication takes about 60% of OpenSSL's (OpenSSL keeps the DH), X448's
        through OpenSSL; both cached, as the P-curves' are: the members of a group derive the same path keys
        (RFC 9420 §7.4) and the same external key (§8)."""
        if self.name != "X25519":
            return self.private_key(skm)[1]
        return self._sodium_public(skm)

    def _sodium_base_multiplication(self, skm: bytes) -> bytes:
        if len(skm) != self.Nsk:
            raise ValueError(f"{self.name} private key must be {self.Nsk} bytes, got {len(skm)}")
        return nacl.bindings.crypto_scalarmult_base(skm)

    def dh(self, sk, pk) -> bytes:
        """RFC 9180 §7.1.4: the shared secret must not be all zero (a small-order public key)."""
        try:
            shared = sk.exchange(pk)
        except ValueError:  # OpenSSL itself refuses an all-zero result
            shared = bytes(self.Ndh)
        if shared == bytes(self.Ndh):
            raise ValueError(f"{self.name} shared secret is all zero (small-order public key)")
        return shared


class _WeierstrassGroup:
    """RFC 9180 §7.1 with SEC1: P-256, P-384 or P-521.

    Public keys are uncompressed points (``0x04 || x || y``), private keys
    big-endian scalars in ``[1, order-1]``; same interface as ``_MontgomeryGroup``.
    """

    def __init__(self, name: str, curve: ec.EllipticCurve, size: int, order: int, bitmask: int):
        self.name = name
        self.curve = curve
        self.Nsk = self.Ndh = size
        self.Npk = 1 + 2 * size
        self.order = order
        self.bitmask = bitmask
        self._private_keys: Memory[bytes, tuple] = Memory(_KEY_CACHE_SIZE)  # generate() fills it too
        self.public_key = process_wide(functools.lru_cache(_KEY_CACHE_SIZE)(self._load_public))

    def private_key(self, skm: bytes):
        """``load_private`` through a cache of ``_KEY_CACHE_SIZE`` keys, which ``generate`` also fills."""
        loaded = self._private_keys.get(skm)
        if loaded is None:
            loaded = self._remember(skm, self.load_private(skm))
        return loaded

    def _remember(self, skm: bytes, loaded: tuple) -> tuple:
        self._private_keys.put(skm, loaded)
        return loaded

    def generate(self, remember: bool) -> tuple[bytes, tuple]:
        """RFC 9180 §4: ``GenerateKeyPair()`` by OpenSSL: a uniformly random scalar in [1, order-1], as §7.1.3's
        rejection sampling gives, for half the cost of ``load_private`` (which checks a given scalar's key). Returns
        ``SerializePrivateKey(sk)`` and what ``load_private`` returns; ``remember``: into the key cache."""
        sk = ec.generate_private_key(self.curve)
        skm = sk.private_numbers().private_value.to_bytes(self.Nsk, "big")
        loaded = (sk, sk.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint))
        return skm, self._remember(skm, loaded) if remember else loaded

    def load_private(self, skm: bytes):
        """RFC 9180 §7.1.2: ``DeserializePrivateKey(skm)`` and ``SerializePublicKey(pk(sk))``."""
        if len(skm) != self.Nsk:
            raise ValueError(f"{self.name} private key must be {self.Nsk} bytes, got {len(skm)}")
        scalar = int.from_bytes(skm, "big")
        if not 0 < scalar < self.order:
            raise ValueError(f"{self.name} private key is not in [1, order-1]")
        sk = ec.derive_private_key(scalar, self.curve)
        return sk, sk.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)

    def public_of(self, skm: bytes) -> bytes:
        """RFC 9180 §7.1.2: ``SerializePublicKey(pk(DeserializePrivateKey(skm)))``, through the key cache: the
        members of a group derive the same path keys (RFC 9420 §7.4) and then use them."""
        return self.private_key(skm)[1]

    def _load_public(self, pkm: bytes):
        if len(pkm) != self.Npk or pkm[0] != 0x04:
            raise ValueError(f"{self.name} public key must be an uncompressed point of {self.Npk} bytes")
        try:  # partial public-key validation: coordinates in range, point on the curve
            return ec.EllipticCurvePublicKey.from_encoded_point(self.curve, pkm)
        except ValueError:
            raise ValueError(f"{self.name} public key is not a point on the curve") from None

    def dh(self, sk, pk) -> bytes:
        """RFC 9180 §4.1: the x-coordinate of ``sk * pk`` (``Ndh`` bytes); OpenSSL refuses infinity."""
        return sk.exchange(ec.ECDH(), pk)


# --------------------------------------------------------------------------- KEM


class Kem:
    """RFC 9180 §4.1: ``DHKEM(Group, KDF)``; keys and ``enc`` are serialized bytes (§7.1.1)."""

    def __init__(self, kem_id: int, name: str, group: _MontgomeryGroup | _WeierstrassGroup, kdf: Kdf):
        self.kem_id = kem_id
        self.name = name
        self.group = group
        self.kdf = kdf
        self.Nsecret = kdf.Nh
        self.Nenc = self.Npk = group.Npk
        self.Nsk = group.Nsk
        self.suite_id = b"KEM" + _i2osp(kem_id, 2)

    def derive_key_pair(self, ikm: bytes) -> tuple[bytes, bytes]:
        """RFC 9180 §7.1.3: ``DeriveKeyPair(ikm)`` as (SerializePrivateKey(sk), SerializePublicKey(pk))."""
        skm = self._derive_private(ikm)
        return skm, self.group.public_of(skm)

    def generate_key_pair(self) -> tuple[bytes, bytes]:
        """RFC 9180 §4: ``GenerateKeyPair()``: OpenSSL's for the P-curves (``_WeierstrassGroup.generate``), else
        ``DeriveKeyPair(random(Nsk))``."""
        if isinstance(self.group, _WeierstrassGroup):
            skm, (_, pkm) = self.group.generate(remember=True)
            return skm, pkm
        return self.derive_key_pair(os.urandom(self.Nsk))

    def public_key(self, sk: bytes) -> bytes:
        """RFC 9180 §4: ``SerializePublicKey(pk(skX))`` for a serialized private key, through the group's cache of
        public keys (``public_of``), which ``derive_key_pair`` filled."""
        return self.group.public_of(sk)

    def encap(self, pkR: bytes, ikm_e: bytes | None = None) -> tuple[bytes, bytes]:
        """RFC 9180 §4.1: ``Encap(pkR)`` as (shared_secret, enc)."""
        skE, enc = self._ephemeral(ikm_e)
        dh = self._dh(skE, pkR, "pkR", ValueError)
        return self._extract_and_expand(dh, enc + pkR), enc

    def decap(self, enc: bytes, skR: bytes) -> bytes:
        """RFC 9180 §4.1: ``Decap(enc, skR)``; ``DecryptError`` if ``enc`` is invalid. Remembered
        (``remember_decapsulations``; errors are not): the members below one node of a ratchet tree decrypt the same path
        secret with its key (RFC 9420 §12.4.2), 18 % of the decapsulations of the conformance run."""
        return _decapsulations.recall((self.kem_id, enc, skR), lambda: self._decap(enc, skR))

    def _decap(self, enc: bytes, skR: bytes) -> bytes:
        sk, pkRm = self.group.private_key(skR)
        dh = self._dh(sk, enc, "enc", DecryptError)
        return self._extract_and_expand(dh, enc + pkRm)

    def auth_encap(self, pkR: bytes, skS: bytes, ikm_e: bytes | None = None) -> tuple[bytes, bytes]:
        """RFC 9180 §4.1: ``AuthEncap(pkR, skS)`` as (shared_secret, enc)."""
        sender, pkSm = self.group.private_key(skS)
        skE, enc = self._ephemeral(ikm_e)
        dh = self._dh(skE, pkR, "pkR", ValueError) + self._dh(sender, pkR, "pkR", ValueError)
        return self._extract_and_expand(dh, enc + pkR + pkSm), enc

    def auth_decap(self, enc: bytes, skR: bytes, pkS: bytes) -> bytes:
        """RFC 9180 §4.1: ``AuthDecap(enc, skR, pkS)``; ``DecryptError`` if ``enc`` or ``pkS`` is invalid."""
        sk, pkRm = self.group.private_key(skR)
        dh = self._dh(sk, enc, "enc", DecryptError) + self._dh(sk, pkS, "pkS", DecryptError)
        return self._extract_and_expand(dh, enc + pkRm + pkS)

    def _derive_private(self, ikm: bytes) -> bytes:
        """RFC 9180 §7.1.3: the two ``DeriveKeyPair`` listings, X25519/X448 then the P-curves."""
        dkp_prk = self.kdf.labeled_extract(self.suite_id, b"", b"dkp_prk", ikm)
        if isinstance(self.group, _MontgomeryGroup):
            return self.kdf.labeled_expand(self.suite_id, dkp_prk, b"sk", b"", self.Nsk)
        for counter in range(256):
            candidate = self.kdf.labeled_expand(self.suite_id, dkp_prk, b"candidate", _i2osp(counter, 1), self.Nsk)
            candidate = bytes((candidate[0] & self.group.bitmask,)) + candidate[1:]
            if 0 < int.from_bytes(candidate, "big") < self.group.order:
                return candidate
        raise ValueError(f"{self.name} DeriveKeyPairError: no valid scalar within 256 candidates")

    def _ephemeral(self, ikm_e: bytes | None):
        """The ephemeral key object and ``enc``: ``DeriveKeyPair(ikm_e)``, or random without ``ikm_e``."""
        if ikm_e is None and isinstance(self.group, _WeierstrassGroup):
            return self.group.generate(remember=False)[1]
        ikm = os.urandom(self.Nsk) if ikm_e is None else ikm_e
        return self.group.load_private(self._derive_private(ikm))

    def _dh(self, sk, pkm: bytes, role: str, error: type[Exception]) -> bytes:
        """``DH(sk, DeserializePublicKey(pkm))``, raising ``error`` naming ``role`` if validation fails."""
        try:
            return self.group.dh(sk, self.group.public_key(pkm))
        except ValueError as e:
            raise error(f"{self.name}: invalid {role}: {e}") from None

    def _extract_and_expand(self, dh: bytes, kem_context: bytes) -> bytes:
        """RFC 9180 §4.1: ``ExtractAndExpand(dh, kem_context)``."""
        eae_prk = self.kdf.labeled_extract(self.suite_id, b"", b"eae_prk", dh)
        return self.kdf.labeled_expand(self.suite_id, eae_prk, b"shared_secret", kem_context, self.Nsecret)


class XWingKem:
    """draft-connolly-cfrg-xwing-kem-06 §5.6: X-Wing as an HPKE KEM, with ``Kem``'s interface.

    Keys and ``enc`` are X-Wing's byte strings (§5.1); the serializations are the identity.
    """

    def __init__(self, kem_id: int, name: str):
        self.kem_id = kem_id
        self.name = name
        self.Nsecret = xwing.SHARED_SECRET_SIZE
        self.Nenc = xwing.CIPHERTEXT_SIZE
        self.Npk = xwing.PUBLIC_KEY_SIZE
        self.Nsk = xwing.PRIVATE_KEY_SIZE

    def derive_key_pair(self, ikm: bytes) -> tuple[bytes, bytes]:
        """draft-06 §5.6: ``DeriveKeyPair(ikm) = GenerateKeyPairDerand(SHAKE256(ikm, 32))``."""
        return xwing.derive_key_pair(ikm)

    def generate_key_pair(self) -> tuple[bytes, bytes]:
        """draft-06 §5.2: ``GenerateKeyPair()``."""
        return xwing.generate_key_pair()

    def public_key(self, sk: bytes) -> bytes:
        """draft-06 §5.2.1: the public key of a private key (seed)."""
        return xwing.generate_key_pair_derand(sk)[1]

    def encap(self, pkR: bytes, ikm_e: bytes | None = None) -> tuple[bytes, bytes]:
        """draft-06 §5.6: ``Encap(pkR)`` is ``Encapsulate``, or ``EncapsulateDerand(pkR, ikm_e)``."""
        if ikm_e is None:
            return xwing.encapsulate(pkR)
        return xwing.encapsulate_derand(pkR, ikm_e)

    def decap(self, enc: bytes, skR: bytes) -> bytes:
        """draft-06 §5.6: ``Decap(enc, skR)`` is ``Decapsulate``; ``DecryptError`` if ``enc`` is unusable."""
        try:
            return xwing.decapsulate(enc, skR)
        except xwing.InvalidCiphertextError as e:
            raise DecryptError(f"{self.name}: invalid enc: {e}") from None

    def auth_encap(self, pkR: bytes, skS: bytes, ikm_e: bytes | None = None) -> tuple[bytes, bytes]:
        """draft-06 §1.4, §5.6: X-Wing is not an authenticated KEM."""
        raise ValueError(f"{self.name} is not an authenticated KEM: no AuthEncap")

    def auth_decap(self, enc: bytes, skR: bytes, pkS: bytes) -> bytes:
        """draft-06 §1.4, §5.6: X-Wing is not an authenticated KEM."""
        raise ValueError(f"{self.name} is not an authenticated KEM: no AuthDecap")


P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
P384_ORDER = int(
    "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf"
    "581a0db248b0a77aecec196accc52973", 16)
P521_ORDER = int(
    "01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
    "fa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409", 16)

_KEMS = {
    kem.kem_id: kem
    for kem in (
        Kem(0x0010, "DHKEM(P-256, HKDF-SHA256)",
            _WeierstrassGroup("P-256", ec.SECP256R1(), 32, P256_ORDER, 0xFF), _KDFS[0x0001]),
        Kem(0x0011, "DHKEM(P-384, HKDF-SHA384)",
            _WeierstrassGroup("P-384", ec.SECP384R1(), 48, P384_ORDER, 0xFF), _KDFS[0x0002]),
        Kem(0x0012, "DHKEM(P-521, HKDF-SHA512)",
            _WeierstrassGroup("P-521", ec.SECP521R1(), 66, P521_ORDER, 0x01), _KDFS[0x0003]),
        Kem(0x0020, "DHKEM(X25519, HKDF-SHA256)",
            _MontgomeryGroup("X25519", 32, x25519.X25519PrivateKey, x25519.X25519PublicKey), _KDFS[0x0001]),
        Kem(0x0021, "DHKEM(X448, HKDF-SHA512)",
            _MontgomeryGroup("X448", 56, x448.X448PrivateKey, x448.X448PublicKey), _KDFS[0x0003]),
        XWingKem(0x004D, "X-Wing draft-06 (hpke-rs 0x004D)"),
        XWingKem(0x647A, "X-Wing draft-06"),
    )
}


# --------------------------------------------------------------------------- Context


class Context:
    """RFC 9180 §5.2–5.3: an encryption context for role ``"S"`` (sender) or ``"R"`` (recipient)."""

    __slots__ = ("suite", "role", "key", "base_nonce", "_exporter_secret", "seq")

    def __init__(self, suite: Hpke, role: str, key: bytes, base_nonce: bytes,
                 exporter_secret: bytes | Callable[[], bytes], seq: int = 0):
        self.suite = suite
        self.role = role
        self.key = key
        self.base_nonce = base_nonce
        self._exporter_secret = exporter_secret
        self.seq = seq

    @property
    def exporter_secret(self) -> bytes:
        """RFC 9180 §5.1: ``exporter_secret``, derived when first asked for (given as a function): MLS seals and
        opens with HPKE and never exports (RFC 9420 §5.1.3), so most contexts never need it."""
        if callable(self._exporter_secret):
            self._exporter_secret = self._exporter_secret()
        return self._exporter_secret

    def seal(self, aad: bytes, pt: bytes) -> bytes:
        """RFC 9180 §5.2: ``ContextS.Seal(aad, pt)``; only a sender context seals."""
        if self.role != "S":
            raise ValueError("a recipient context must not be used to seal")
        ct = self.suite.aead.seal(self.key, self.compute_nonce(self.seq), aad, pt)
        self._increment_seq()
        return ct

    def open(self, aad: bytes, ct: bytes) -> bytes:
        """RFC 9180 §5.2: ``ContextR.Open(aad, ct)``; on ``DecryptError`` the sequence number stays."""
        if self.role != "R":
            raise ValueError("a sender context must not be used to open")
        pt = self.suite.aead.open(self.key, self.compute_nonce(self.seq), aad, ct)
        self._increment_seq()
        return pt

    def export(self, exporter_context: bytes, L: int) -> bytes:
        """RFC 9180 §5.3: ``Context.Export(exporter_context, L)``."""
        return self.suite.kdf.labeled_expand(self.suite.suite_id, self.exporter_secret, b"sec",
                                             exporter_context, L)

    def compute_nonce(self, seq: int) -> bytes:
        """RFC 9180 §5.2: ``ComputeNonce(seq)``, ``base_nonce`` xor ``I2OSP(seq, Nn)``."""
        return _i2osp(int.from_bytes(self.base_nonce, "big") ^ seq, self.suite.aead.Nn)

    def _increment_seq(self) -> None:
        """RFC 9180 §5.2: ``IncrementSeq()``."""
        if self.seq >= (1 << (8 * self.suite.aead.Nn)) - 1:
            raise MessageLimitReachedError("HPKE context sequence number would overflow")
        self.seq += 1


# --------------------------------------------------------------------------- HPKE


@process_wide
@functools.lru_cache(maxsize=8)
def _labeled_hash(suite: Hpke, label: bytes, ikm: bytes) -> bytes:
    """RFC 9180 §5.1: ``LabeledExtract("", label, ikm)`` for ``psk_id_hash`` and ``info_hash``, once per input:
    each depends on nothing else; base mode's psk_id is always empty, and one sender seals to many recipients with
    the same (possibly large) info, e.g. an MLS Welcome (RFC 9420 §12.4.3.1). Keyed by the ``Hpke`` object, which
    hashes by identity (a ``Kdf`` dataclass hashes its four fields at every call)."""
    return suite.kdf.labeled_extract(suite.suite_id, b"", label, ikm)


class Hpke:
    """RFC 9180 §5: HPKE for one ciphersuite (KEM, KDF, AEAD)."""

    def __init__(self, kem_id: int, kdf_id: int, aead_id: int):
        for table, what, ident in ((_KEMS, "KEM", kem_id), (_KDFS, "KDF", kdf_id), (_AEADS, "AEAD", aead_id)):
            if ident not in table:
                raise ValueError(f"unsupported HPKE {what} id 0x{ident:04x}")
        self.kem: Kem | XWingKem = _KEMS[kem_id]
        self.kdf: Kdf = _KDFS[kdf_id]
        self.aead: Aead = _AEADS[aead_id]
        self.suite_id = b"HPKE" + _i2osp(kem_id, 2) + _i2osp(kdf_id, 2) + _i2osp(aead_id, 2)

    def key_schedule(self, role: str, mode: Mode, shared_secret: bytes, info: bytes,
                     psk: bytes = b"", psk_id: bytes = b"") -> Context:
        """RFC 9180 §5.1: ``KeySchedule<ROLE>(mode, shared_secret, info, psk, psk_id)``."""
        _verify_psk_inputs(mode, psk, psk_id)
        kdf, suite_id = self.kdf, self.suite_id
        psk_id_hash = _labeled_hash(self, b"psk_id_hash", psk_id)
        info_hash = _labeled_hash(self, b"info_hash", info)
        key_schedule_context = bytes((mode,)) + psk_id_hash + info_hash
        secret = kdf.labeled_extract(suite_id, shared_secret, b"secret", psk)
        key = kdf.labeled_expand(suite_id, secret, b"key", key_schedule_context, self.aead.Nk)
        base_nonce = kdf.labeled_expand(suite_id, secret, b"base_nonce", key_schedule_context, self.aead.Nn)
        return Context(self, role, key, base_nonce,
                       lambda: kdf.labeled_expand(suite_id, secret, b"exp", key_schedule_context, kdf.Nh))

    def setup_base_s(self, pkR: bytes, info: bytes, ikm_e: bytes | None = None) -> tuple[bytes, Context]:
        """RFC 9180 §5.1.1: ``SetupBaseS(pkR, info)`` as (enc, context)."""
        shared_secret, enc = self.kem.encap(pkR, ikm_e)
        return enc, self.key_schedule("S", Mode.BASE, shared_secret, info)

    def setup_base_r(self, enc: bytes, skR: bytes, info: bytes) -> Context:
        """RFC 9180 §5.1.1: ``SetupBaseR(enc, skR, info)``."""
        return self.key_schedule("R", Mode.BASE, self.kem.decap(enc, skR), info)

    def setup_psk_s(self, pkR: bytes, info: bytes, psk: bytes, psk_id: bytes,
                    ikm_e: bytes | None = None) -> tuple[bytes, Context]:
        """RFC 9180 §5.1.2: ``SetupPSKS(pkR, info, psk, psk_id)`` as (enc, context)."""
        shared_secret, enc = self.kem.encap(pkR, ikm_e)
        return enc, self.key_schedule("S", Mode.PSK, shared_secret, info, psk, psk_id)

    def setup_psk_r(self, enc: bytes, skR: bytes, info: bytes, psk: bytes, psk_id: bytes) -> Context:
        """RFC 9180 §5.1.2: ``SetupPSKR(enc, skR, info, psk, psk_id)``."""
        return self.key_schedule("R", Mode.PSK, self.kem.decap(enc, skR), info, psk, psk_id)

    def setup_auth_s(self, pkR: bytes, info: bytes, skS: bytes,
                     ikm_e: bytes | None = None) -> tuple[bytes, Context]:
        """RFC 9180 §5.1.3: ``SetupAuthS(pkR, info, skS)`` as (enc, context)."""
        shared_secret, enc = self.kem.auth_encap(pkR, skS, ikm_e)
        return enc, self.key_schedule("S", Mode.AUTH, shared_secret, info)

    def setup_auth_r(self, enc: bytes, skR: bytes, info: bytes, pkS: bytes) -> Context:
        """RFC 9180 §5.1.3: ``SetupAuthR(enc, skR, info, pkS)``."""
        return self.key_schedule("R", Mode.AUTH, self.kem.auth_decap(enc, skR, pkS), info)

    def setup_auth_psk_s(self, pkR: bytes, info: bytes, psk: bytes, psk_id: bytes, skS: bytes,
                         ikm_e: bytes | None = None) -> tuple[bytes, Context]:
        """RFC 9180 §5.1.4: ``SetupAuthPSKS(pkR, info, psk, psk_id, skS)`` as (enc, context)."""
        shared_secret, enc = self.kem.auth_encap(pkR, skS, ikm_e)
        return enc, self.key_schedule("S", Mode.AUTH_PSK, shared_secret, info, psk, psk_id)

    def setup_auth_psk_r(self, enc: bytes, skR: bytes, info: bytes, psk: bytes, psk_id: bytes,
                         pkS: bytes) -> Context:
        """RFC 9180 §5.1.4: ``SetupAuthPSKR(enc, skR, info, psk, psk_id, pkS)``."""
        return self.key_schedule("R", Mode.AUTH_PSK, self.kem.auth_decap(enc, skR, pkS), info, psk, psk_id)

    def seal_base(self, pkR: bytes, info: bytes, aad: bytes, pt: bytes,
                  ikm_e: bytes | None = None) -> tuple[bytes, bytes]:
        """RFC 9180 §6.1: ``SealBase(pkR, info, aad, pt)`` as (enc, ct)."""
        enc, ctx = self.setup_base_s(pkR, info, ikm_e)
        return enc, ctx.seal(aad, pt)

    def open_base(self, enc: bytes, skR: bytes, info: bytes, aad: bytes, ct: bytes) -> bytes:
        """RFC 9180 §6.1: ``OpenBase(enc, skR, info, aad, ct)``."""
        return self.setup_base_r(enc, skR, info).open(aad, ct)


def _verify_psk_inputs(mode: Mode, psk: bytes, psk_id: bytes) -> None:
    """RFC 9180 §5.1: ``VerifyPSKInputs(mode, psk, psk_id)``."""
    got_psk, got_psk_id = psk != b"", psk_id != b""
    if got_psk != got_psk_id:
        raise ValueError("inconsistent PSK inputs: psk and psk_id must be given together")
    if got_psk and mode in (Mode.BASE, Mode.AUTH):
        raise ValueError(f"PSK input provided when not needed (mode {Mode(mode).name})")
    if not got_psk and mode in (Mode.PSK, Mode.AUTH_PSK):
        raise ValueError(f"missing required PSK input (mode {Mode(mode).name})")


@functools.lru_cache(maxsize=None)
def hpke_for(kem_id: int, kdf_id: int, aead_id: int) -> Hpke:
    """RFC 9180 §7: the (cached) ``Hpke`` for a ciphersuite triple."""
    return Hpke(kem_id, kdf_id, aead_id)


KEM_IDS, KDF_IDS, AEAD_IDS = frozenset(_KEMS), frozenset(_KDFS), frozenset(_AEADS)
"""RFC 9180 §7.1–§7.3: the algorithm identifiers this model implements."""
