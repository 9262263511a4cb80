"""RFC 9420 §12.4.3: GroupInfo and Welcome, how new members learn a group's state."""

from __future__ import annotations

from .codec import OPAQUE, U16, U32, Annotated, Optional, Struct, Vector
from .group_context import Extension, GroupContext
from .psk import PreSharedKeyID
from .reasons import Reason, Rejected
from .hpke import DecryptError
from .key_schedule import welcome_key_and_nonce
from .memory import Memory
from .suites import CipherSuite, HPKECiphertext, Rng, verifications_remembered

__all__ = [
    "GroupInfo", "PathSecret", "GroupSecrets", "EncryptedGroupSecrets", "Welcome",
    "encrypt_group_info", "decrypt_group_info", "encrypt_group_secrets",
    "decrypt_group_secrets",
]



class GroupInfo(Struct):
    """RFC 9420 §12.4.3: ``GroupInfo``, signed by the committer at leaf ``signer``."""

    group_context: Annotated[GroupContext, GroupContext]
    extensions: Annotated[tuple[Extension, ...], Vector(Extension)]
    confirmation_tag: Annotated[bytes, OPAQUE]
    signer: Annotated[int, U32]
    signature: Annotated[bytes, OPAQUE]

    def tbs(self) -> bytes:
        """RFC 9420 §12.4.3: ``GroupInfoTBS``, every field but the signature."""
        return self.encode_fields(len(self.wire_fields()) - 1)

    def signed(self, cs: CipherSuite, signature_priv: bytes) -> "GroupInfo":
        """RFC 9420 §12.4.3: This GroupInfo with ``SignWithLabel(., "GroupInfoTBS", GroupInfoTBS)``."""
        return self.replace(signature=cs.sign_with_label(signature_priv, b"GroupInfoTBS", self.tbs()))

    def verify_signature(self, cs: CipherSuite, signer_key: bytes) -> None:
        """RFC 9420 §12.4.3.1: verify with the signer's leaf signature key."""
        cs.verify_with_label(signer_key, b"GroupInfoTBS", self.tbs(), self.signature)


class PathSecret(Struct):
    """RFC 9420 §12.4.3.1: ``PathSecret``."""

    path_secret: Annotated[bytes, OPAQUE]


class GroupSecrets(Struct):
    """RFC 9420 §12.4.3.1: ``GroupSecrets``, encrypted to each new member's init key."""

    joiner_secret: Annotated[bytes, OPAQUE]
    path_secret: Annotated[PathSecret | None, Optional(PathSecret)]
    psks: Annotated[tuple[PreSharedKeyID, ...], Vector(PreSharedKeyID)]


class EncryptedGroupSecrets(Struct):
    """RFC 9420 §12.4.3.1: ``EncryptedGroupSecrets`` for the key package ``new_member``."""

    new_member: Annotated[bytes, OPAQUE]
    encrypted_group_secrets: Annotated[HPKECiphertext, HPKECiphertext]


class Welcome(Struct):
    """RFC 9420 §12.4.3.1: ``Welcome``."""

    cipher_suite: Annotated[int, U16]
    secrets: Annotated[tuple[EncryptedGroupSecrets, ...], Vector(EncryptedGroupSecrets)]
    encrypted_group_info: Annotated[bytes, OPAQUE]


def encrypt_group_info(cs: CipherSuite, secret: bytes, group_info: GroupInfo) -> bytes:
    """RFC 9420 §12.4.3.1: ``encrypted_group_info``, AEAD under the welcome key with empty AAD."""
    key, nonce = welcome_key_and_nonce(cs, secret)
    return cs.seal(key, nonce, b"", group_info.encode())


_decrypted: Memory[tuple, GroupInfo] = Memory(16)
"""GroupInfos that ``decrypt_group_info`` decrypted and decoded, by its inputs."""


def decrypt_group_info(cs: CipherSuite, secret: bytes, encrypted_group_info: bytes) -> GroupInfo:
    """RFC 9420 §12.4.3.1: decrypt and decode the GroupInfo; ``Rejected(DECRYPT_FAILED)`` if it fails.

    A function of its inputs, the same for every member a Welcome adds: remembered (``memory.Memory``, while
    ``suites.verifications_remembered()``; failures are not), a ``GroupInfo`` being immutable."""
    return _decrypted.recall((cs.id, secret, encrypted_group_info),
                             lambda: _decrypt_group_info(cs, secret, encrypted_group_info), verifications_remembered())


def _decrypt_group_info(cs: CipherSuite, secret: bytes, encrypted_group_info: bytes) -> GroupInfo:
    key, nonce = welcome_key_and_nonce(cs, secret)
    try:
        plaintext = cs.open(key, nonce, b"", encrypted_group_info)
    except DecryptError:
        raise Rejected(Reason.DECRYPT_FAILED, "encrypted_group_info") from None
    return GroupInfo.decode(plaintext)


def encrypt_group_secrets(cs: CipherSuite, key_package_ref: bytes, init_key: bytes,
                          encrypted_group_info: bytes, secrets: GroupSecrets,
                          rng: Rng | None = None) -> EncryptedGroupSecrets:
    """RFC 9420 §12.4.3.1: ``EncryptWithLabel(init_key, "Welcome", encrypted_group_info, group_secrets)``."""
    ct = cs.encrypt_with_label(init_key, b"Welcome", encrypted_group_info, secrets.encode(), rng)
    return EncryptedGroupSecrets(key_package_ref, ct)


def decrypt_group_secrets(cs: CipherSuite, welcome: Welcome, key_package_ref: bytes,
                          init_priv: bytes) -> GroupSecrets:
    """RFC 9420 §12.4.3.1: find our entry by KeyPackageRef and decrypt it with the init key.

    ``Rejected`` with ``NOT_FOR_US`` when no entry names our key package,
    ``DECRYPT_FAILED`` when HPKE fails.
    """
    for entry in welcome.secrets:
        if entry.new_member == key_package_ref:
            try:
                plaintext = cs.decrypt_with_label(init_priv, b"Welcome", welcome.encrypted_group_info,
                                                  entry.encrypted_group_secrets)
            except DecryptError:
                raise Rejected(Reason.DECRYPT_FAILED, "encrypted_group_secrets") from None
            return GroupSecrets.decode(plaintext)
    raise Rejected(Reason.NOT_FOR_US, "no EncryptedGroupSecrets names this key package")
