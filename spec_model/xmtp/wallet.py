"""ERC-191 ``personal_sign`` wallet signatures, as XMTP identity updates use them.

An Ethereum wallet (an EOA) signs the identity-update text of XIP-46 with
``personal_sign``: secp256k1 ECDSA over keccak256("\\x19Ethereum Signed
Message:\\n" + len + text), sent as 65 bytes r ‖ s ‖ v (docs/xmtp-facts.md §8).
Signing and public-key recovery come from eth-account; this module adds the
rules libxmtp applies around them (``xmtp_id`` ``verified_signature.rs``
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

import contextlib
import dataclasses
import functools
import os
import sys


@contextlib.contextmanager
def _keeping_recursion_limit():
    """Undo what an import does to the interpreter's recursion limit: eth-account imports py_ecc, whose
    ``__init__`` raises it to 100 000, deep enough for hostile nesting to overflow the C stack (a segfault)
    instead of raising ``RecursionError``. The model's decoders bound nesting themselves (``proto.MAX_DEPTH``)."""
    limit = sys.getrecursionlimit()
    try:
        yield
    finally:
        sys.setrecursionlimit(limit)


with _keeping_recursion_limit():
    from eth_account import Account
    from eth_account.messages import encode_defunct

from spec_model.mls.suites import InvalidSignatureError, Rng

__all__ = [
    "InvalidSignatureError", "SECP256K1_N", "Wallet", "address_of", "sign_erc191", "recover_erc191",
    "erc191_replay_key", "is_address",
]

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
"""SEC 2 §2.4.1: the order n of the secp256k1 base point."""


def is_address(text: str) -> bool:
    """libxmtp crates/xmtp_id/src/associations/member.rs@a53a97e ``is_valid_address``, lowercase form: ``0x``
    followed by 40 lowercase hex digits."""
    return len(text) == 42 and text.startswith("0x") and _LOWER_HEX.issuperset(text[2:])


_LOWER_HEX = frozenset("0123456789abcdef")


def address_of(private_key: bytes) -> str:
    """Ethereum Yellow Paper (account address): the last 20 bytes of keccak256(public key), lowercase hex."""
    return Account.from_key(private_key).address.lower()


def sign_erc191(private_key: bytes, text: str) -> bytes:
    """EIP-191 version 0x45 (``personal_sign``): sign the UTF-8 ``text``; 65 bytes r ‖ s ‖ v, v ∈ {27, 28}."""
    return bytes(Account.sign_message(encode_defunct(text=text), private_key=private_key).signature)


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


@functools.lru_cache(maxsize=65536)
def recover_erc191(text: str, signature: bytes) -> str:
    """libxmtp crates/xmtp_id/src/associations/verified_signature.rs@a53a97e ``from_recoverable_ecdsa``: the
    lowercase address that signed
    ``text`` with ``personal_sign``, after low-s normalisation (v kept); raises ``InvalidSignatureError``.

    Recoveries are cached (a pure function: every client replays the same
    identity logs); eth-keys uses libsecp256k1 through coincurve when installed."""
    r, s, parity = _parse(signature)
    try:
        address = Account.recover_message(encode_defunct(text=text), vrs=(parity + 27, r, s))
    except Exception as e:  # eth-keys raises BadSignature / ValidationError for unrecoverable points
        raise InvalidSignatureError(f"no public key recovers from this signature: {e}") from None
    return address.lower()


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
