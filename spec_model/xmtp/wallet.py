"""ERC-191 ``personal_sign`` wallet signatures, as XMTP identity updates use them.

An Ethereum wallet (an EOA) signs the identity-update text of XIP-46 with
``personal_sign``: secp256k1 ECDSA over keccak256("\\x19Ethereum Signed
Message:\\n" + len + text), sent as 65 bytes r ‖ s ‖ v (docs/xmtp-facts.md §8).
Signing and public-key recovery are libsecp256k1's (through coincurve: RFC 6979
nonces, low-s signatures, the same calls eth-account makes through eth-keys,
which the tests compare byte for byte), keccak256 is pycryptodome's; this
module writes out the EIP-191 message and adds the rules libxmtp applies around
them (``xmtp_id`` ``verified_signature.rs``
``from_recoverable_ecdsa`` and ``signature.rs`` ``to_lower_s`` at libxmtp HEAD
a53a97e):

* exactly 65 bytes, 1 ≤ r, s < n, and v ∈ {27, 28} or {0, 1};
* **low-s normalisation**: a high s is replaced by n − s *without* changing v,
  and the address is recovered from that. Signers that emit low s (EIP-2
  wallets, eth-account included) are unaffected, and the malleated copy
  (r, n − s, v) of their signature recovers the same address. A signer that
  really produced a high s (whose valid form is (r, s, v)) recovers some other
  address, so it is refused wherever the signer must match a member.

Addresses are lowercase ``0x`` + 40 hex, as libxmtp's ``h160addr_to_string``
writes them.
"""

from __future__ import annotations

import dataclasses
import functools
import os

from coincurve import PrivateKey, PublicKey
from Crypto.Hash import keccak

from spec_model.mls.memory import process_wide
from spec_model.mls.suites import InvalidSignatureError, Rng

__all__ = [
    "InvalidSignatureError", "SECP256K1_N", "Wallet", "address_of", "sign_erc191", "recover_erc191",
    "erc191_replay_key", "is_address", "keccak256",
]

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
"""SEC 2 §2.4.1: the order n of the secp256k1 base point."""


def is_address(text: str) -> bool:
    """libxmtp crates/xmtp_id/src/associations/member.rs@a53a97e ``is_valid_address``, lowercase form: ``0x``
    followed by 40 lowercase hex digits."""
    return len(text) == 42 and text.startswith("0x") and _LOWER_HEX.issuperset(text[2:])


_LOWER_HEX = frozenset("0123456789abcdef")


def keccak256(data: bytes) -> bytes:
    """Ethereum Yellow Paper (KEC): Keccak-256 as first submitted, not NIST's SHA3-256."""
    return keccak.new(data=data, digest_bits=256).digest()


def _erc191_hash(text: str) -> bytes:
    """EIP-191 version 0x45: keccak256("\\x19Ethereum Signed Message:\\n" + decimal byte length + UTF-8 text)."""
    data = text.encode()
    return keccak256(b"\x19Ethereum Signed Message:\n" + str(len(data)).encode() + data)


def _address(public_key: PublicKey) -> str:
    """Ethereum Yellow Paper (account address): the last 20 bytes of keccak256(x ‖ y), lowercase hex."""
    return "0x" + keccak256(public_key.format(compressed=False)[1:])[-20:].hex()


def address_of(private_key: bytes) -> str:
    """Ethereum Yellow Paper (account address): the last 20 bytes of keccak256(public key), lowercase hex."""
    return _address(PrivateKey(private_key).public_key)


def sign_erc191(private_key: bytes, text: str) -> bytes:
    """EIP-191 version 0x45 (``personal_sign``): sign the UTF-8 ``text``; 65 bytes r ‖ s ‖ v, v ∈ {27, 28}."""
    signature = PrivateKey(private_key).sign_recoverable(_erc191_hash(text), hasher=None)
    return signature[:64] + bytes((signature[64] + 27,))


def _parse(signature: bytes) -> tuple[int, int, int]:
    """(r, low s, v as 0/1): libxmtp ``to_lower_s`` then alloy's 65-byte parse; raises on anything else."""
    if len(signature) != 65:
        raise InvalidSignatureError(f"an ERC-191 signature is 65 bytes r||s||v, not {len(signature)}")
    r, s, v = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:64], "big"), signature[64]
    if not (0 < r < SECP256K1_N and 0 < s < SECP256K1_N):
        raise InvalidSignatureError("r and s must lie in [1, n-1]")
    if v not in (0, 1, 27, 28):
        raise InvalidSignatureError(f"recovery byte {v} is not 0, 1, 27 or 28")
    return r, min(s, SECP256K1_N - s), v % 27


@process_wide
@functools.lru_cache(maxsize=65536)
def recover_erc191(text: str, signature: bytes) -> str:
    """libxmtp crates/xmtp_id/src/associations/verified_signature.rs@a53a97e ``from_recoverable_ecdsa``: the
    lowercase address that signed
    ``text`` with ``personal_sign``, after low-s normalisation (v kept); raises ``InvalidSignatureError``.

    Recoveries are cached (a pure function: every client replays the same
    identity logs)."""
    r, s, parity = _parse(signature)
    try:
        public_key = PublicKey.from_signature_and_message(
            r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes((parity,)), _erc191_hash(text), hasher=None)
    except Exception as e:  # coincurve raises ValueError or Exception for an unrecoverable point
        raise InvalidSignatureError(f"no public key recovers from this signature: {e}") from None
    return _address(public_key)


def erc191_replay_key(signature: bytes) -> bytes:
    """XIP-46 "seen signatures": the canonical form r ‖ low s ‖ parity (0/1) of an ERC-191 signature.

    libxmtp HEAD records the low-s bytes with v as sent, so 27/28 and 0/1 aliases of one signature
    count as different; its later fix (verified_signature.rs ``replay_key``) and this model use one
    key per signature, so an alias is a replay too.
    """
    r, s, parity = _parse(signature)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes((parity,))


@dataclasses.dataclass(frozen=True)
class Wallet:
    """XIP-46 "associated address": an Ethereum EOA, its private key and its lowercase address."""

    private_key: bytes
    address: str

    @classmethod
    def from_key(cls, private_key: bytes) -> "Wallet":
        """SEC 1 §3.2.1: a wallet for a 32-byte secp256k1 private key d in [1, n-1]."""
        return cls(bytes(private_key), address_of(private_key))

    @classmethod
    def random(cls, rng: Rng | None = None) -> "Wallet":
        """SEC 1 §3.2.1: a key from ``rng(32)`` (default ``os.urandom``), redrawn until it is in [1, n-1];
        a seeded ``rng`` makes it deterministic."""
        rng = rng or os.urandom
        while True:
            key = rng(32)
            if 0 < int.from_bytes(key, "big") < SECP256K1_N:
                return cls.from_key(key)

    def sign(self, text: str) -> bytes:
        """EIP-191 ``personal_sign``: sign ``text`` with this wallet's key (see ``sign_erc191``)."""
        return sign_erc191(self.private_key, text)
