"""RFC 9420 §7: the ratchet tree.

The tree is a list of nodes in array order (Appendix C); a node is a
``LeafNode`` (even indices), a ``ParentNode`` (odd indices) or blank (``None``).
"""

from __future__ import annotations

from .codec import OPAQUE, U8, U32, Annotated, Optional, Struct, Tagged, Vector
from .leaf_node import LeafNode

__all__ = ["ParentNode", "NODE", "RATCHET_TREE"]


class ParentNode(Struct):
    """RFC 9420 §7.1: ``ParentNode``."""

    TAG = 2  # NodeType.parent (§12.4.3.3)
    encryption_key: Annotated[bytes, OPAQUE]
    parent_hash: Annotated[bytes, OPAQUE]
    unmerged_leaves: Annotated[tuple[int, ...], Vector(U32)]


NODE = Tagged(U8, "NodeType", (LeafNode, ParentNode))
"""RFC 9420 §12.4.3.3: ``Node``."""

RATCHET_TREE = Vector(Optional(NODE))
"""RFC 9420 §12.4.3.3: ``optional<Node> ratchet_tree<V>``, the ratchet tree extension."""
