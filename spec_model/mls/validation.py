"""RFC 9420 §7.3 and §10.1: validating leaf nodes and key packages against a group.

Leaf validation compares a new leaf with every other member (credential
types both ways, unique keys), through the ``Membership`` summary the tree
keeps current (``ratchet_tree``): each new leaf is checked in constant time
instead of against every member.
"""

from __future__ import annotations


from .extensions import (
    DEFAULT_EXTENSION_TYPES, ExtensionType, RequiredCapabilities, find_extension, supports_required,
)
from .group_context import GroupContext, ProtocolVersion
from .key_package import KeyPackage
from .leaf_node import FromKeyPackage, LeafNode
from .ratchet_tree import Membership, RatchetTree
from .reasons import Reason, Rejected
from .suites import CipherSuite, InvalidSignatureError

__all__ = ["validate_leaf_node", "validate_key_package", "validate_tree_leaves"]


def validate_leaf_node(leaf: LeafNode, members: Membership, cs: CipherSuite, context: GroupContext, *,
                       expected_source: type, leaf_index: int | None = None,
                       replacing: tuple[int, LeafNode] | None = None, now: int | None = None,
                       verify_signature: bool = True) -> None:
    """RFC 9420 §7.3: every check of a leaf node about to enter a group; raises ``Rejected``.

    ``members`` summarises the group's current members; ``replacing`` is the
    (index, leaf) this leaf replaces, left out of the comparisons.
    ``leaf_index`` is where the leaf will sit (update and commit leaves sign
    it). ``now`` (Unix seconds) enables the lifetime check for key-package
    leaves. Credentials are accepted as they are: an application (XMTP) adds
    its own credential validation (§5.3.1).
    """
    def reject(detail: str) -> Rejected:
        return Rejected(Reason.INVALID_LEAF_NODE, detail)

    if not isinstance(leaf.source, expected_source):
        raise reject(f"leaf_node_source is {type(leaf.source).__name__}, expected {expected_source.__name__}")
    if verify_signature:
        try:
            leaf.verify(cs, context.group_id, leaf_index)
        except InvalidSignatureError:
            raise reject("leaf node signature does not verify") from None
    _check_capabilities(leaf, context)
    credential_types = members.credential_types.copy()
    supporters, others = members.supporters.copy(), members.count
    if replacing is not None:
        old = replacing[1]
        credential_types[old.credential.credential_type] -= 1
        supporters.subtract(set(old.capabilities.credentials))
        others -= 1
    if supporters[leaf.credential.credential_type] < others:
        raise reject(f"credential type {leaf.credential.credential_type} is not supported by every member")
    if any(n > 0 and t not in leaf.capabilities.credentials for t, n in credential_types.items()):
        raise reject("leaf does not support every member's credential type")
    if now is not None and isinstance(leaf.source, FromKeyPackage):
        lifetime = leaf.source.lifetime
        if not lifetime.not_before <= now <= lifetime.not_after:
            raise reject("the current time is outside the leaf's lifetime")
    replaced_index = replacing[0] if replacing is not None else None
    if members.signature_keys.get(leaf.signature_key, replaced_index) != replaced_index:
        raise Rejected(Reason.DUPLICATE_KEY, "signature key already in the group")
    if members.encryption_keys.get(leaf.encryption_key, replaced_index) != replaced_index:
        raise Rejected(Reason.DUPLICATE_KEY, "encryption key already in the group")


def _check_capabilities(leaf: LeafNode, context: GroupContext) -> None:
    """RFC 9420 §7.3: the leaf supports the required capabilities and lists its own extensions."""
    caps = leaf.capabilities
    required = _required_capabilities(context)
    if required is not None and not supports_required(caps, required):
        raise Rejected(Reason.INVALID_LEAF_NODE, "leaf does not support the group's required capabilities")
    unlisted = {e.extension_type for e in leaf.extensions} - set(caps.extensions) - DEFAULT_EXTENSION_TYPES
    if unlisted:
        raise Rejected(Reason.INVALID_LEAF_NODE, f"extensions {sorted(unlisted)} are not listed in the capabilities")


def _required_capabilities(context: GroupContext) -> RequiredCapabilities | None:
    """RFC 9420 §11.1: the group's ``required_capabilities`` (None if absent), decoded once per GroupContext and
    kept beside it, as the codec keeps a structure's encoding: a GroupContext is immutable, and every leaf a
    commit adds or a joiner checks is compared with it."""
    if "_required_capabilities" not in context.__dict__:
        data = find_extension(context.extensions, ExtensionType.required_capabilities)
        object.__setattr__(context, "_required_capabilities",
                           RequiredCapabilities.decode(data) if data is not None else None)
    return context.__dict__["_required_capabilities"]


def validate_tree_leaves(tree: RatchetTree, context: GroupContext) -> None:
    """RFC 9420 §12.4.3.1: every leaf of a tree being joined is valid (§7.3).

    Signatures and key uniqueness are ``RatchetTree.validate``'s; here each
    leaf supports the required capabilities and lists its extensions, and
    every leaf supports every credential type in use.
    """
    in_use = {leaf.credential.credential_type for _, leaf in tree.members()}
    for i, leaf in tree.members():
        _check_capabilities(leaf, context)
        if not in_use <= set(leaf.capabilities.credentials):
            raise Rejected(Reason.INVALID_LEAF_NODE, f"leaf {i} does not support every credential type in use")


def validate_key_package(key_package: KeyPackage, members: Membership, cs: CipherSuite, context: GroupContext, *,
                         now: int | None = None) -> None:
    """RFC 9420 §10.1: a key package may be added to the group; raises ``Rejected``.

    Version and cipher suite match the group's, the signature verifies with
    the leaf's signature key, ``init_key`` differs from the leaf's encryption
    key (``INVALID_KEY_PACKAGE``), and the leaf node is valid (§7.3, source
    ``key_package``).
    """
    def reject(detail: str) -> Rejected:
        return Rejected(Reason.INVALID_KEY_PACKAGE, detail)

    if key_package.version != ProtocolVersion.mls10 or key_package.version != context.version:
        raise reject(f"version {key_package.version}")
    if key_package.cipher_suite != context.cipher_suite:
        raise reject(f"cipher suite {key_package.cipher_suite}, group uses {context.cipher_suite}")
    try:
        key_package.verify_signature(cs)
    except InvalidSignatureError:
        raise reject("signature does not verify") from None
    if key_package.init_key == key_package.leaf_node.encryption_key:
        raise reject("init_key equals the leaf's encryption_key")
    validate_leaf_node(key_package.leaf_node, members, cs, context, expected_source=FromKeyPackage, now=now)
