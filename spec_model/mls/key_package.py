"""RFC 9420 §10: key packages.

A ``KeyPackage`` advertises a client's leaf node and a one-time HPKE
``init_key`` so that others can add it to groups; it is signed with the
leaf's signature key over ``KeyPackageTBS`` (§10) and referred to by its
``KeyPackageRef`` (§5.2).
"""

from __future__ import annotations

from .codec import OPAQUE, U16, Annotated, Struct, Vector
from .group_context import Extension
from .leaf_node import LeafNode
from .suites import CipherSuite

__all__ = ["KeyPackage"]


class KeyPackage(Struct):
    """RFC 9420 §10: ``KeyPackage``."""

    version: Annotated[int, U16]
    cipher_suite: Annotated[int, U16]
    init_key: Annotated[bytes, OPAQUE]
    leaf_node: Annotated[LeafNode, LeafNode]
    extensions: Annotated[tuple[Extension, ...], Vector(Extension)]
    signature: Annotated[bytes, OPAQUE]

    def tbs(self) -> bytes:
        """RFC 9420 §10: ``KeyPackageTBS``, every field but the signature."""
        return self.encode_fields(len(self.wire_fields()) - 1)

    def signed(self, cs: CipherSuite, signature_priv: bytes) -> "KeyPackage":
        """RFC 9420 §10: this key package with ``SignWithLabel(., "KeyPackageTBS", KeyPackageTBS)``."""
        return self.replace(signature=cs.sign_with_label(signature_priv, b"KeyPackageTBS", self.tbs()))

    def verify_signature(self, cs: CipherSuite) -> None:
        """RFC 9420 §10.1: the signature verifies with the leaf's signature key."""
        cs.verify_with_label(self.leaf_node.signature_key, b"KeyPackageTBS", self.tbs(), self.signature)

    def ref(self, cs: CipherSuite) -> bytes:
        """RFC 9420 §5.2: ``KeyPackageRef = MakeKeyPackageRef(KeyPackage)``."""
        return cs.make_key_package_ref(self.encode())
