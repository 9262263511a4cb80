"""RFC 9420 §5.3 and §7.2: credentials, capabilities and the leaf node.

A ``LeafNode`` is a member as the ratchet tree holds it: an HPKE encryption
key, a signature key, a credential, capabilities, where the leaf came from
(``leaf_node_source``) and a signature by the member over ``LeafNodeTBS``.
The source is a ``select`` whose cases are the three small structs
``FromKeyPackage`` (carrying a lifetime), ``FromUpdate`` and ``FromCommit``
(carrying the parent hash).
"""

from __future__ import annotations

import enum
from typing import Union

from .codec import (
    field,
    OPAQUE, U8, U16, U32, U64, Annotated, DecodeError, Reader, Struct, Tagged, Vector, opaque,
)
from .group_context import Extension
from .suites import CipherSuite

__all__ = [
    "CredentialType", "Credential", "Certificate", "Capabilities", "Lifetime", "LeafNodeSource",
    "FromKeyPackage", "FromUpdate", "FromCommit", "LeafNode",
]


class CredentialType(enum.IntEnum):
    """RFC 9420 §5.3, §17.5: credential types."""

    basic = 1
    x509 = 2


class Certificate(Struct):
    """RFC 9420 §5.3: ``Certificate``."""

    cert_data: Annotated[bytes, OPAQUE]


_CERTIFICATES = Vector(Certificate)


class Credential(Struct):
    """RFC 9420 §5.3: ``Credential``; ``identity`` for basic, ``certificates`` for x509.

    Other credential types cannot be decoded (their body is unknown) and raise
    ``DecodeError``.
    """

    credential_type: CredentialType
    identity: bytes = b""
    certificates: tuple[Certificate, ...] = ()

    @classmethod
    def basic(cls, identity: bytes) -> "Credential":
        """RFC 9420 §5.3: a ``basic`` credential holding ``identity``."""
        return cls(CredentialType.basic, identity=identity)

    def write(self, out: bytearray) -> None:
        """RFC 9420 §5.3: the ``Credential`` encoding."""
        U16.write(self.credential_type, out)
        if self.credential_type == CredentialType.basic:
            OPAQUE.write(self.identity, out)
        else:
            _CERTIFICATES.write(self.certificates, out)

    @classmethod
    def read(cls, r: Reader) -> "Credential":
        """RFC 9420 §5.3: a ``Credential``; a type other than basic and x509 keeps its bytes."""
        with field("credential_type"):
            raw = U16.read(r)
        if raw == CredentialType.basic:
            with field("identity"):
                return cls(CredentialType.basic, identity=OPAQUE.read(r))
        if raw == CredentialType.x509:
            with field("certificates"):
                return cls(CredentialType.x509, certificates=_CERTIFICATES.read(r))
        raise DecodeError("credential_type", f"unknown CredentialType {raw}")


class Capabilities(Struct):
    """RFC 9420 §7.2: ``Capabilities`` (all lists of uint16 code points)."""

    versions: Annotated[tuple[int, ...], Vector(U16)] = (1,)
    cipher_suites: Annotated[tuple[int, ...], Vector(U16)] = ()
    extensions: Annotated[tuple[int, ...], Vector(U16)] = ()
    proposals: Annotated[tuple[int, ...], Vector(U16)] = ()
    credentials: Annotated[tuple[int, ...], Vector(U16)] = (CredentialType.basic,)


class Lifetime(Struct):
    """RFC 9420 §7.2: ``Lifetime`` in seconds since the Unix epoch."""

    not_before: Annotated[int, U64]
    not_after: Annotated[int, U64]


class LeafNodeSource(enum.IntEnum):
    """RFC 9420 §7.2: ``LeafNodeSource``."""

    key_package = 1
    update = 2
    commit = 3


class FromKeyPackage(Struct):
    """RFC 9420 §7.2: ``leaf_node_source = key_package``: the key package's lifetime."""

    TAG = LeafNodeSource.key_package
    lifetime: Annotated[Lifetime, Lifetime]


class FromUpdate(Struct):
    """RFC 9420 §7.2: ``leaf_node_source = update``: nothing more."""

    TAG = LeafNodeSource.update


class FromCommit(Struct):
    """RFC 9420 §7.2: ``leaf_node_source = commit``: the parent hash of the committer's path (§7.9)."""

    TAG = LeafNodeSource.commit
    parent_hash: Annotated[bytes, OPAQUE]


Source = Union[FromKeyPackage, FromUpdate, FromCommit]
SOURCE = Tagged(U8, "LeafNodeSource", (FromKeyPackage, FromUpdate, FromCommit))


class LeafNode(Struct):
    """RFC 9420 §7.2: ``LeafNode``."""

    TAG = 1  # NodeType.leaf, when the leaf is a ``Node`` of the ratchet tree (§12.4.3.3)
    encryption_key: Annotated[bytes, OPAQUE]
    signature_key: Annotated[bytes, OPAQUE]
    credential: Annotated[Credential, Credential]
    capabilities: Annotated[Capabilities, Capabilities]
    source: Annotated[Source, SOURCE]
    extensions: Annotated[tuple[Extension, ...], Vector(Extension)]
    signature: Annotated[bytes, OPAQUE]

    def tbs(self, group_id: bytes | None = None, leaf_index: int | None = None) -> bytes:
        """RFC 9420 §7.2: ``LeafNodeTBS``; update and commit leaves add group id and leaf index."""
        fields = self.encode_fields(len(self.wire_fields()) - 1)
        if isinstance(self.source, FromKeyPackage):
            return fields
        if group_id is None or leaf_index is None:
            raise ValueError("an update or commit leaf node is signed with its group id and leaf index")
        return b"".join((fields, opaque(group_id), U32.encode(leaf_index)))

    def signed(self, cs: CipherSuite, signature_priv: bytes, group_id: bytes | None = None,
               leaf_index: int | None = None) -> "LeafNode":
        """RFC 9420 §7.2: this leaf with ``signature = SignWithLabel(., "LeafNodeTBS", LeafNodeTBS)``."""
        tbs = self.tbs(group_id, leaf_index)
        return self.replace(signature=cs.sign_with_label(signature_priv, b"LeafNodeTBS", tbs))

    def verify(self, cs: CipherSuite, group_id: bytes | None = None, leaf_index: int | None = None) -> None:
        """RFC 9420 §7.3: verify the leaf's signature with its own signature key.

        Raises ``suites.InvalidSignatureError``.
        """
        cs.verify_with_label(self.signature_key, b"LeafNodeTBS", self.tbs(group_id, leaf_index), self.signature)

