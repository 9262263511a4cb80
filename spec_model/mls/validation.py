"""RFC 9420 §7.3 and §10.1: validating leaf nodes and key packages against a group."""

from __future__ import annotations

from .extensions import (
    DEFAULT_EXTENSION_TYPES, ExtensionType, RequiredCapabilities, find_extension, supports_required,
)
from .group_context import GroupContext, ProtocolVersion
from .key_package import KeyPackage
from .leaf_node import FromKeyPackage, LeafNode
from .ratchet_tree import RatchetTree
from .reasons import Reason, Rejected
from .suites import InvalidSignatureError

__all__ = ["validate_leaf_node", "validate_key_package"]


def validate_leaf_node(leaf: LeafNode, tree: RatchetTree, context: GroupContext, *, expected_source: type,
                       leaf_index: int | None = None, replacing: int | None = None,
                       now: int | None = None) -> None:
    """RFC 9420 §7.3: every check of a leaf node about to enter ``tree``; raises ``Rejected``.

    ``leaf_index`` is where the leaf will sit (needed to verify update and
    commit leaves); ``replacing`` is the leaf index whose node it replaces
    (left out of the uniqueness check). ``now`` (Unix seconds) enables the
    lifetime check for key-package leaves. Credentials are accepted as they
    are: an application (XMTP) adds its own credential validation (§5.3.1).
    """
    def reject(detail: str) -> Rejected:
        return Rejected(Reason.INVALID_LEAF_NODE, detail)

    if not isinstance(leaf.source, expected_source):
        raise reject(f"leaf_node_source is {type(leaf.source).__name__}, expected {expected_source.__name__}")
    try:
        leaf.verify(tree.cs, context.group_id, leaf_index)
    except InvalidSignatureError:
        raise reject("leaf node signature does not verify") from None
    caps = leaf.capabilities
    required_data = find_extension(context.extensions, ExtensionType.required_capabilities)
    if required_data is not None:
        if not supports_required(caps, RequiredCapabilities.decode(required_data)):
            raise reject("leaf does not support the group's required capabilities")
    others = [m for i, m in tree.members() if i != replacing]
    if any(leaf.credential.credential_type not in m.capabilities.credentials for m in others):
        raise reject(f"credential type {leaf.credential.credential_type} is not supported by every member")
    if any(m.credential.credential_type not in caps.credentials for m in others):
        raise reject("leaf does not support every member's credential type")
    if now is not None and isinstance(leaf.source, FromKeyPackage):
        lifetime = leaf.source.lifetime
        if not lifetime.not_before <= now <= lifetime.not_after:
            raise reject("the current time is outside the leaf's lifetime")
    unlisted = {e.extension_type for e in leaf.extensions} - set(caps.extensions) - DEFAULT_EXTENSION_TYPES
    if unlisted:
        raise reject(f"extensions {sorted(unlisted)} are not listed in the leaf's capabilities")
    if any(m.signature_key == leaf.signature_key for m in others):
        raise Rejected(Reason.DUPLICATE_KEY, "signature key already in the group")
    if any(m.encryption_key == leaf.encryption_key for m in others):
        raise Rejected(Reason.DUPLICATE_KEY, "encryption key already in the group")


def validate_key_package(key_package: KeyPackage, tree: RatchetTree, context: GroupContext, *,
                         now: int | None = None) -> None:
    """RFC 9420 §10.1: a key package may be added to the group; raises ``Rejected(INVALID_KEY_PACKAGE)``.

    Version and cipher suite match the group's, the signature verifies with
    the leaf's signature key, the leaf node is valid (§7.3, source
    ``key_package``), and ``init_key`` differs from the leaf's encryption key.
    """
    def reject(detail: str) -> Rejected:
        return Rejected(Reason.INVALID_KEY_PACKAGE, detail)

    if key_package.version != ProtocolVersion.mls10 or key_package.version != context.version:
        raise reject(f"version {key_package.version}")
    if key_package.cipher_suite != context.cipher_suite:
        raise reject(f"cipher suite {key_package.cipher_suite}, group uses {context.cipher_suite}")
    try:
        key_package.verify_signature(tree.cs)
    except InvalidSignatureError:
        raise reject("signature does not verify") from None
    if key_package.init_key == key_package.leaf_node.encryption_key:
        raise reject("init_key equals the leaf's encryption_key")
    validate_leaf_node(key_package.leaf_node, tree, context, expected_source=FromKeyPackage, now=now)
