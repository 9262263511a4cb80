"""RFC 9420 §10: key packages.

A ``KeyPackage`` advertises a client's leaf node and a one-time HPKE
``init_key`` so that others can add it to groups; it is signed with the
leaf's signature key over ``KeyPackageTBS`` (§10) and referred to by its
``KeyPackageRef`` (§5.2).
"""

from __future__ import annotations

import dataclasses

from .codec import OPAQUE, U16, Annotated, Struct, Vector
from .group_context import Extension, ProtocolVersion
from .leaf_node import Capabilities, Credential, FromKeyPackage, LeafNode, Lifetime
from .suites import CipherSuite, Rng

__all__ = ["KeyPackage", "KeyPackageBundle", "generate_key_package", "key_package_for_leaf"]


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


@dataclasses.dataclass(frozen=True)
class KeyPackageBundle:
    """RFC 9420 §10: a key package with the private keys its owner keeps."""

    key_package: KeyPackage
    init_priv: bytes
    encryption_priv: bytes
    signature_priv: bytes


def generate_key_package(cs: CipherSuite, credential: Credential, signature_priv: bytes, *,
                         capabilities: Capabilities | None = None, lifetime: Lifetime | None = None,
                         leaf_extensions: tuple[Extension, ...] = (), extensions: tuple[Extension, ...] = (),
                         rng: Rng | None = None) -> KeyPackageBundle:
    """RFC 9420 §10: a signed key package with fresh init and encryption keys.

    The default capabilities list only the key package's own cipher suite and
    the basic credential; the default lifetime is the widest possible.
    """
    init_priv, init_pub = cs.generate_key_pair(rng)
    encryption_priv, encryption_pub = cs.generate_key_pair(rng)
    leaf = LeafNode(
        encryption_key=encryption_pub,
        signature_key=cs.signature_public_key(signature_priv),
        credential=credential,
        capabilities=capabilities or Capabilities(cipher_suites=(cs.id,)),
        source=FromKeyPackage(lifetime or Lifetime(0, 2**64 - 1)),
        extensions=leaf_extensions,
        signature=b"",
    ).signed(cs, signature_priv)
    return key_package_for_leaf(cs, leaf, encryption_priv, signature_priv, extensions=extensions, init=(init_priv, init_pub))


def key_package_for_leaf(cs: CipherSuite, leaf: LeafNode, encryption_priv: bytes, signature_priv: bytes, *,
                         extensions: tuple[Extension, ...] = (), rng: Rng | None = None,
                         init: tuple[bytes, bytes] | None = None) -> KeyPackageBundle:
    """RFC 9420 §10: a KeyPackage for ``leaf`` (a key-package leaf signed by ``signature_priv``) with an init key of
    its own (``init`` = (private, public), fresh when None): §10 asks for an init key unique to each KeyPackage,
    not a unique leaf."""
    init_priv, init_pub = init or cs.generate_key_pair(rng)
    key_package = KeyPackage(ProtocolVersion.mls10, cs.id, init_pub, leaf, extensions, b"").signed(cs, signature_priv)
    return KeyPackageBundle(key_package, init_priv, encryption_priv, signature_priv)
