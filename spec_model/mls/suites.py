"""RFC 9420 §5.1 and §17.1: cipher suites and the labelled cryptographic helpers.

A ``CipherSuite`` bundles a hash, the HPKE triple (KEM, KDF, AEAD) of RFC 9180
and a signature scheme. Everything MLS derives goes through the labelled
helpers defined here, each a direct transcription of its RFC 9420 section:

* ``ref_hash``                              §5.2  RefHash
* ``expand_with_label``, ``derive_secret``  §8    ExpandWithLabel, DeriveSecret
* ``derive_tree_secret``                    §9    DeriveTreeSecret
* ``sign_with_label``, ``verify_with_label`` §5.1.2
* ``encrypt_with_label``, ``decrypt_with_label`` §5.1.3

Key encodings follow the official test vectors: public keys are raw (X25519,
X448, Ed25519, Ed448) or uncompressed SEC1 points (P-256/384/521); HPKE
private keys use RFC 9180 SerializePrivateKey; Ed25519/Ed448 private keys are
the 32/57-byte seed; ECDSA private keys are big-endian scalars; ECDSA
signatures are DER (§5.1.2 refers to the TLS 1.3 encoding, which is DER).

Randomness: every operation that needs it takes an optional ``rng``
(``rng(n) -> bytes``); the default is ``os.urandom``. Passing a seeded
generator makes vector generation reproducible.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import hashlib
import os
from typing import Callable

import nacl._sodium as _sodium  # the libsodium functions PyNaCl binds, for _sodium_verify
import nacl.bindings
import nacl.signing
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from .codec import Annotated, OPAQUE, Struct, opaque, varint
from .hpke import P256_ORDER, P384_ORDER, P521_ORDER, Hpke, hpke_for, remember_decapsulations
from .memory import Memory, process_wide

__all__ = [
    "CipherSuiteId", "CipherSuite", "suite", "SignatureScheme", "HPKECiphertext",
    "InvalidSignatureError", "Rng", "remember_verifications", "verifications_remembered",
]

Rng = Callable[[int], bytes]

MLS_LABEL_PREFIX = b"MLS 1.0 "


class CipherSuiteId(enum.IntEnum):
    """RFC 9420 §17.1: the registered cipher suites."""

    MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519 = 0x0001
    MLS_128_DHKEMP256_AES128GCM_SHA256_P256 = 0x0002
    MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519 = 0x0003
    MLS_256_DHKEMX448_AES256GCM_SHA512_Ed448 = 0x0004
    MLS_256_DHKEMP521_AES256GCM_SHA512_P521 = 0x0005
    MLS_256_DHKEMX448_CHACHA20POLY1305_SHA512_Ed448 = 0x0006
    MLS_256_DHKEMP384_AES256GCM_SHA384_P384 = 0x0007


class SignatureScheme(enum.IntEnum):
    """RFC 9420 §17.1: the TLS 1.3 SignatureScheme values it uses."""

    ecdsa_secp256r1_sha256 = 0x0403
    ecdsa_secp384r1_sha384 = 0x0503
    ecdsa_secp521r1_sha512 = 0x0603
    ed25519 = 0x0807
    ed448 = 0x0808


class InvalidSignatureError(Exception):
    """RFC 9420 §5.1.2: A signature did not verify, or the public key could not be parsed."""


class HPKECiphertext(Struct):
    """RFC 9420 §5.1.3: ``HPKECiphertext``."""

    kem_output: Annotated[bytes, OPAQUE]
    ciphertext: Annotated[bytes, OPAQUE]


def _sign_content(label: bytes, content: bytes | tuple[bytes, ...]) -> bytes:
    """RFC 9420 §5.1.2: the encoded ``SignContent`` (``opaque label<V>`` = "MLS 1.0 " + Label, ``opaque
    content<V>``), built in one copy: a commit's signed content is its whole encoding, given in pieces (a tuple)
    that are never joined apart."""
    pieces = content if isinstance(content, tuple) else (content,)
    return b"".join((opaque(MLS_LABEL_PREFIX + label), varint(sum(map(len, pieces))), *pieces))


class _EncryptContext(Struct):
    """RFC 9420 §5.1.3: ``EncryptContext``."""

    label: Annotated[bytes, OPAQUE]
    context: Annotated[bytes, OPAQUE]


@process_wide
@functools.lru_cache(maxsize=4)
def _encrypt_context(label: bytes, context: bytes) -> bytes:
    """RFC 9420 §5.1.3: ``EncryptContext`` encoded, once per (label, context): a Welcome encrypts to every new member
    with its ``encrypted_group_info`` as the context (§12.4.3.1), megabytes in a group of thousands, and the
    same bytes object each time, whose hash Python keeps."""
    return _EncryptContext(MLS_LABEL_PREFIX + label, context).encode()


class _RefHashInput(Struct):
    """RFC 9420 §5.2: ``RefHashInput``."""

    label: Annotated[bytes, OPAQUE]
    value: Annotated[bytes, OPAQUE]


def _kdf_label(length: int, label: bytes, context: bytes) -> bytes:
    """RFC 9420 §8: ``KDFLabel`` encoded (``uint16 length; opaque label<V>; opaque context<V>``), written directly:
    the key schedule and the secret tree derive tens of thousands of secrets."""
    return length.to_bytes(2, "big") + opaque(label) + opaque(context)


@functools.lru_cache(maxsize=256)
def _derive_secret_block(nh: int, label: bytes) -> bytes:
    """RFC 9420 §8, RFC 5869 §2.3: ``DeriveSecret``'s HMAC input, the ``KDFLabel`` of (``Nh``, label, empty
    context) and the block counter 0x01 (``Nh`` bytes are one block); the labels are few ("node", "path", …)."""
    return _kdf_label(nh, MLS_LABEL_PREFIX + label, b"") + b"\x01"


# ----------------------------------------------------------------- signatures

_EC_CURVES = {  # curve, hash, scalar size, group order
    SignatureScheme.ecdsa_secp256r1_sha256: (ec.SECP256R1(), hashes.SHA256(), 32, P256_ORDER),
    SignatureScheme.ecdsa_secp384r1_sha384: (ec.SECP384R1(), hashes.SHA384(), 48, P384_ORDER),
    SignatureScheme.ecdsa_secp521r1_sha512: (ec.SECP521R1(), hashes.SHA512(), 66, P521_ORDER),
}
_EDWARDS = {
    SignatureScheme.ed25519: (ed25519.Ed25519PrivateKey, ed25519.Ed25519PublicKey, 32),
    SignatureScheme.ed448: (ed448.Ed448PrivateKey, ed448.Ed448PublicKey, 57),
}


@process_wide
@functools.lru_cache(maxsize=4096)
def _signing_key(scheme: SignatureScheme, priv: bytes):
    if scheme in _EDWARDS:
        return _EDWARDS[scheme][0].from_private_bytes(priv)
    curve = _EC_CURVES[scheme][0]
    return ec.derive_private_key(int.from_bytes(priv, "big"), curve)


@process_wide
@functools.lru_cache(maxsize=8192)
def _verifying_key(scheme: SignatureScheme, pub: bytes):
    try:
        if scheme in _EDWARDS:
            return _EDWARDS[scheme][1].from_public_bytes(pub)
        return ec.EllipticCurvePublicKey.from_encoded_point(_EC_CURVES[scheme][0], pub)
    except ValueError as e:
        raise InvalidSignatureError(f"malformed signature public key: {e}") from None


def _sodium_verify(pub: bytes, message: bytes, signature: bytes) -> None:
    """RFC 8032 §5.1.7: Ed25519 verification by libsodium's ``crypto_sign_open`` (PyNaCl's library), asked for
    no copy of the message: PyNaCl's own binding zero-fills a buffer the size of the message and copies the message
    out of it, 0.4 ms for a 328 KB commit, twice what the check itself costs over that much."""
    if not isinstance(pub, bytes) or len(pub) != nacl.bindings.crypto_sign_PUBLICKEYBYTES:
        raise InvalidSignatureError("malformed Ed25519 public key: not 32 bytes")
    if not isinstance(signature, bytes) or len(signature) != nacl.bindings.crypto_sign_BYTES:
        raise InvalidSignatureError("signature does not verify")
    signed = signature + message  # crypto_sign_open reads the signature, then the message
    if _sodium.lib.crypto_sign_open(_sodium.ffi.NULL, _sodium.ffi.NULL, signed, len(signed), pub) != 0:
        raise InvalidSignatureError("signature does not verify")


@process_wide
@functools.lru_cache(maxsize=4096)
def _sodium_signing_key(priv: bytes) -> nacl.signing.SigningKey:
    """RFC 8032 §5.1.5: the Ed25519 key pair a private key (seed) expands to, expanded once: a key package's leaf
    and the key package itself are signed with one key (RFC 9420 §10), and a member signs with its key again."""
    return nacl.signing.SigningKey(priv)


_verified: Memory[bytes, None] = Memory(16384)
"""SHA-256 digests of (scheme, key, message, signature) that verified."""
_REMEMBERED_MESSAGE_SIZE = 4096
"""Only messages up to this size are remembered: leaves and key packages, which every member checks again; a large
commit is checked once per member, and hashing it for the memory would only add to its cost."""


def remember_verifications(limit: int) -> int:
    """model: how many successful verifications ``_verify`` remembers (0: none), the memory emptied; returns the
    limit before. Benchmarks set 0, so that an operation timed again pays for its signature checks again; HPKE's
    memory of decapsulations is switched off and on with it (``hpke.remember_decapsulations``)."""
    remember_decapsulations(limit > 0)
    return _verified.reset(limit)


def verifications_remembered() -> bool:
    """model: whether successful verifications are remembered (``remember_verifications``); other memories of
    results computed from their inputs alone (``joining.verified_tree``, ``key_schedule.derive_epoch_secrets``,
    ``welcome.decrypt_group_info``, ``ratchet_tree`` node and parent hashes, ``treekem.node_key_pair``) follow the
    same switch."""
    return _verified.limit > 0


def _verification_digest(scheme: SignatureScheme, pub: bytes, message: bytes, signature: bytes) -> bytes:
    """The scheme and the three lengths in decimal, then the three byte strings: the lengths say where each ends."""
    return hashlib.sha256(b"%d %d %d %d " % (scheme, len(pub), len(message), len(signature))
                          + pub + message + signature).digest()


def _verify(scheme: SignatureScheme, pub: bytes, message: bytes, signature: bytes) -> None:
    """RFC 9420 §5.1.2: ``Verify`` is a function of its inputs, so a verification that succeeded is remembered by
    the digest of those inputs: the members of a group each check the same leaf and content signatures."""
    if not _verified.limit or len(message) > _REMEMBERED_MESSAGE_SIZE:
        _verify_once(scheme, pub, message, signature)
        return
    digest = _verification_digest(scheme, pub, message, signature)
    if digest in _verified:
        return
    _verify_once(scheme, pub, message, signature)
    _verified.put(digest, None)


def _sign(scheme: SignatureScheme, priv: bytes, message: bytes) -> bytes:
    """RFC 9420 §5.1.2: ``Sign``; the signature is remembered as verified under the signer's public key (``_verify``):
    a signature scheme's signatures verify under the signer's key (RFC 8032 §5.1.7 and §5.2.7, FIPS 186-5 §6.4.2), and the
    members of a group check the key packages and leaves that the model's members sign."""
    if scheme == SignatureScheme.ed25519:  # libsodium signs and verifies Ed25519 about twice as fast as OpenSSL
        signature = _sodium_signing_key(priv).sign(message).signature
    elif scheme in _EDWARDS:
        signature = _signing_key(scheme, priv).sign(message)
    else:
        signature = _signing_key(scheme, priv).sign(message, ec.ECDSA(_EC_CURVES[scheme][1]))
    if _verified.limit and len(message) <= _REMEMBERED_MESSAGE_SIZE:
        _verified.put(_verification_digest(scheme, _signature_public_key(scheme, priv), message, signature), None)
    return signature


def _verify_once(scheme: SignatureScheme, pub: bytes, message: bytes, signature: bytes) -> None:
    # Every Ed25519 check is libsodium's, whatever the message's length: OpenSSL hashes long messages faster
    # (0.35 against 0.50 ms for a 328 KB commit) but accepts small-order keys and R values libsodium refuses
    # (RFC 8032 §5.1.7 leaves that open), and one rule must decide every signature.
    if scheme == SignatureScheme.ed25519:
        _sodium_verify(pub, message, signature)
        return
    key = _verifying_key(scheme, pub)
    try:
        if scheme in _EDWARDS:
            key.verify(signature, message)
        else:
            key.verify(signature, message, ec.ECDSA(_EC_CURVES[scheme][1]))
    except InvalidSignature:
        raise InvalidSignatureError("signature does not verify") from None


@process_wide
@functools.lru_cache(maxsize=4096)
def _signature_public_key(scheme: SignatureScheme, priv: bytes) -> bytes:
    if scheme == SignatureScheme.ed25519:
        return bytes(_sodium_signing_key(priv).verify_key)
    key = _signing_key(scheme, priv).public_key()
    if scheme in _EDWARDS:
        return key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)


# ----------------------------------------------------------------- the suite


@dataclasses.dataclass(frozen=True, eq=False)
class CipherSuite:
    """RFC 9420 §5.1, §17.1: one cipher suite."""

    id: CipherSuiteId
    hash_name: str
    kem_id: int
    kdf_id: int
    aead_id: int
    signature_scheme: SignatureScheme

    def __deepcopy__(self, memo: dict) -> "CipherSuite":
        return self  # suites are immutable singletons

    @functools.cached_property
    def hpke(self) -> Hpke:
        """RFC 9420 §5.1: the suite's HPKE (RFC 9180) instance: its KEM, KDF and AEAD."""
        return hpke_for(self.kem_id, self.kdf_id, self.aead_id)

    @property
    def Nh(self) -> int:
        """RFC 9420 §8: the output size of the suite's hash and KDF."""
        return self.hpke.kdf.Nh

    @property
    def Nk(self) -> int:
        """RFC 9180 §7.3: the AEAD key size."""
        return self.hpke.aead.Nk

    @property
    def Nn(self) -> int:
        """RFC 9180 §7.3: the AEAD nonce size."""
        return self.hpke.aead.Nn

    # -- primitives (§5.1)

    @functools.cached_property
    def _hash_function(self):
        """hashlib's constructor of the suite's hash (``hashlib.sha256`` …), looked up once."""
        return getattr(hashlib, self.hash_name)

    def hash(self, *data: bytes) -> bytes:
        """RFC 9420 §5.1: the suite's hash of ``data``; several pieces are hashed as their concatenation, which is
        never built (a commit's transcript hash input is its whole encoding, §8.2)."""
        if len(data) == 1:
            return self._hash_function(data[0]).digest()
        h = self._hash_function()
        for piece in data:
            h.update(piece)
        return h.digest()

    def extract(self, salt: bytes, ikm: bytes) -> bytes:
        """RFC 9420 §5.1: KDF.Extract (HKDF-Extract, RFC 5869)."""
        return self.hpke.kdf.extract(salt, ikm)

    def expand(self, prk: bytes, info: bytes, length: int) -> bytes:
        """RFC 9420 §5.1: KDF.Expand (HKDF-Expand, RFC 5869)."""
        return self.hpke.kdf.expand(prk, info, length)

    def mac(self, key: bytes, *data: bytes) -> bytes:
        """RFC 9420 §5.2: MAC is HMAC with the suite's hash, over ``data``; several pieces are MACed as their
        concatenation, which is never built (a membership tag covers a whole commit, §6.2)."""
        return self.hpke.kdf.hmac(key, *data)

    def seal(self, key: bytes, nonce: bytes, aad: bytes, plaintext: bytes) -> bytes:
        """RFC 9420 §5.1: AEAD.Seal."""
        return self.hpke.aead.seal(key, nonce, aad, plaintext)

    def open(self, key: bytes, nonce: bytes, aad: bytes, ciphertext: bytes) -> bytes:
        """RFC 9420 §5.1: AEAD.Open; raises ``hpke.DecryptError`` when the tag does not verify."""
        return self.hpke.aead.open(key, nonce, aad, ciphertext)

    # -- labelled helpers

    def ref_hash(self, label: bytes, value: bytes) -> bytes:
        """RFC 9420 §5.2: ``RefHash(label, value) = Hash(RefHashInput)``."""
        return self.hash(_RefHashInput(label, value).encode())

    def make_key_package_ref(self, key_package: bytes) -> bytes:
        """RFC 9420 §5.2: ``MakeKeyPackageRef``."""
        return self.ref_hash(b"MLS 1.0 KeyPackage Reference", key_package)

    def make_proposal_ref(self, authenticated_content: bytes) -> bytes:
        """RFC 9420 §5.2: ``MakeProposalRef`` over an encoded AuthenticatedContent."""
        return self.ref_hash(b"MLS 1.0 Proposal Reference", authenticated_content)

    def expand_with_label(self, secret: bytes, label: bytes, context: bytes, length: int) -> bytes:
        """RFC 9420 §8: ``ExpandWithLabel(Secret, Label, Context, Length)``."""
        return self.hpke.kdf.expand(secret, _kdf_label(length, MLS_LABEL_PREFIX + label, context), length)

    def derive_secret(self, secret: bytes, label: bytes) -> bytes:
        """RFC 9420 §8: ``DeriveSecret(Secret, Label) = ExpandWithLabel(Secret, Label, "", Nh)``: one block of
        HKDF-Expand (RFC 5869 §2.3), ``HMAC(Secret, KDFLabel || 0x01)``, its input made once per label."""
        kdf = self.hpke.kdf
        return kdf.hmac(secret, _derive_secret_block(kdf.Nh, label))

    def derive_tree_secret(self, secret: bytes, label: bytes, generation: int, length: int) -> bytes:
        """RFC 9420 §9: ``DeriveTreeSecret``: the context is the uint32 generation."""
        return self.expand_with_label(secret, label, generation.to_bytes(4, "big"), length)

    # -- signatures (§5.1.2)

    def sign_with_label(self, signature_priv: bytes, label: bytes, content: bytes) -> bytes:
        """RFC 9420 §5.1.2: ``SignWithLabel(SignatureKey, Label, Content)``."""
        message = _sign_content(label, content)
        return _sign(self.signature_scheme, signature_priv, message)

    def verify_with_label(self, signature_pub: bytes, label: bytes, content: bytes | tuple[bytes, ...],
                          signature: bytes) -> None:
        """RFC 9420 §5.1.2: ``VerifyWithLabel``; raises ``InvalidSignatureError``. ``content`` may come in pieces
        (a tuple), checked as their concatenation."""
        message = _sign_content(label, content)
        _verify(self.signature_scheme, signature_pub, message, signature)

    @property
    def signature_private_key_size(self) -> int:
        """RFC 9420 §5.1.2: bytes in a signature private key: the Edwards seed or the ECDSA scalar."""
        scheme = self.signature_scheme
        return _EDWARDS[scheme][2] if scheme in _EDWARDS else _EC_CURVES[scheme][2]

    def signature_public_key(self, signature_priv: bytes) -> bytes:
        """RFC 9420 §5.1.2: the public key of a signature private key."""
        return _signature_public_key(self.signature_scheme, signature_priv)

    def generate_signature_key_pair(self, rng: Rng | None = None) -> tuple[bytes, bytes]:
        """RFC 9420 §5.1.2: A fresh (private, public) signature key pair, from ``rng`` if given."""
        rng = rng or os.urandom
        scheme = self.signature_scheme
        if scheme in _EDWARDS:
            priv = rng(_EDWARDS[scheme][2])
        else:
            curve, _, size, order = _EC_CURVES[scheme]
            while True:  # rejection sampling, as RFC 9180 §7.1.3 does for P-curves
                scalar = int.from_bytes(rng(size), "big") % (1 << curve.key_size)
                if 0 < scalar < order:
                    break
            priv = scalar.to_bytes(size, "big")
        return priv, self.signature_public_key(priv)

    # -- public-key encryption (§5.1.3)

    def encrypt_with_label(self, public_key: bytes, label: bytes, context: bytes, plaintext: bytes,
                           rng: Rng | None = None) -> HPKECiphertext:
        """RFC 9420 §5.1.3: ``EncryptWithLabel``: HPKE SealBase with EncryptContext as info."""
        info = _encrypt_context(label, context)
        ikm_e = rng(self.hpke.kem.Nsk) if rng else None
        kem_output, ciphertext = self.hpke.seal_base(public_key, info, b"", plaintext, ikm_e)
        return HPKECiphertext(kem_output, ciphertext)

    def decrypt_with_label(self, private_key: bytes, label: bytes, context: bytes,
                           ct: HPKECiphertext) -> bytes:
        """RFC 9420 §5.1.3: ``DecryptWithLabel``; raises ``hpke.DecryptError``."""
        info = _encrypt_context(label, context)
        return self.hpke.open_base(ct.kem_output, private_key, info, b"", ct.ciphertext)

    def derive_key_pair(self, secret: bytes) -> tuple[bytes, bytes]:
        """RFC 9180 §7.1.3 ``DeriveKeyPair`` as (private, public) HPKE keys (§7.4 node keys)."""
        return self.hpke.kem.derive_key_pair(secret)

    def generate_key_pair(self, rng: Rng | None = None) -> tuple[bytes, bytes]:
        """RFC 9420 §5.1.3: a fresh (private, public) HPKE key pair: ``DeriveKeyPair`` of ``rng``'s bytes if given
        (reproducible), else RFC 9180 §4 ``GenerateKeyPair()``."""
        if rng is not None:
            return self.derive_key_pair(self.random(self.Nh, rng))
        return self.hpke.kem.generate_key_pair()

    def hpke_public_key(self, private_key: bytes) -> bytes:
        """RFC 9180 §4: the KEM public key of an HPKE private key."""
        return self.hpke.kem.public_key(private_key)

    def random(self, n: int, rng: Rng | None = None) -> bytes:
        """RFC 9420 §5.1: ``n`` random bytes, from ``rng`` if given."""
        return (rng or os.urandom)(n)


_SUITES = {
    CipherSuiteId(1): CipherSuite(CipherSuiteId(1), "sha256", 0x0020, 0x0001, 0x0001, SignatureScheme.ed25519),
    CipherSuiteId(2): CipherSuite(CipherSuiteId(2), "sha256", 0x0010, 0x0001, 0x0001,
                                  SignatureScheme.ecdsa_secp256r1_sha256),
    CipherSuiteId(3): CipherSuite(CipherSuiteId(3), "sha256", 0x0020, 0x0001, 0x0003, SignatureScheme.ed25519),
    CipherSuiteId(4): CipherSuite(CipherSuiteId(4), "sha512", 0x0021, 0x0003, 0x0002, SignatureScheme.ed448),
    CipherSuiteId(5): CipherSuite(CipherSuiteId(5), "sha512", 0x0012, 0x0003, 0x0002,
                                  SignatureScheme.ecdsa_secp521r1_sha512),
    CipherSuiteId(6): CipherSuite(CipherSuiteId(6), "sha512", 0x0021, 0x0003, 0x0003, SignatureScheme.ed448),
    CipherSuiteId(7): CipherSuite(CipherSuiteId(7), "sha384", 0x0011, 0x0002, 0x0002,
                                  SignatureScheme.ecdsa_secp384r1_sha384),
}


def suite(suite_id: int) -> CipherSuite:
    """RFC 9420 §17.1: the ``CipherSuite`` for a registered id; ``ValueError`` if unknown."""
    try:
        return _SUITES[CipherSuiteId(suite_id)]
    except ValueError:
        raise ValueError(f"unsupported cipher suite 0x{suite_id:04x}") from None
