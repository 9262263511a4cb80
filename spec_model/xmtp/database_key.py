"""seed "Local database and syncing": "The database is encrypted using the keys from the Signer interface".

XMTP defines no derivation for this key. libxmtp encrypts its SQLite database
(SQLCipher) under whatever 32 bytes the app passes to ``Client.create``
(``dbEncryptionKey``), and XMTP docs: Create an XMTP client tells apps to
generate that key and store it. The model follows the seed's wording instead,
with a derivation of its own, documented in docs/xmtp.md "The database key":
the signer (the wallet) signs ``DATABASE_KEY_TEXT`` with ERC-191
``personal_sign``, and HKDF-SHA256 (RFC 5869 §2, no salt, info
``DATABASE_KEY_INFO``) turns the 65-byte signature into the 32-byte key.
An EOA's ``personal_sign`` is deterministic (RFC 6979 §3.2 nonces, low s), so
the same wallet always derives the same key and reopens its own database, and
a database opened with another wallet's key is refused (``StoreReason.WRONG_KEY``)
without a byte changed (``store.py``).
"""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .store import KEY_SIZE
from .wallet import Wallet

__all__ = ["DATABASE_KEY_TEXT", "DATABASE_KEY_INFO", "database_key"]

DATABASE_KEY_TEXT = ("XMTP local database key\n\n"
                     "Signing this text lets this app open its local XMTP database. It grants nothing else.")
"""model: the text the wallet signs (fixed, so that the signature, and the key, never change)."""

DATABASE_KEY_INFO = b"xmtp-spec-model database key v1"
"""model: the HKDF info string."""


def database_key(wallet: Wallet) -> bytes:
    """seed "Local database and syncing" (model derivation): HKDF-SHA256(personal_sign(DATABASE_KEY_TEXT)), 32 bytes."""
    return HKDF(hashes.SHA256(), KEY_SIZE, salt=None, info=DATABASE_KEY_INFO).derive(wallet.sign(DATABASE_KEY_TEXT))
