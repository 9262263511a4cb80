"""RFC 9420 §7.4–§7.6: TreeKEM, the UpdatePath that refreshes a member's direct path."""

from __future__ import annotations

from .codec import OPAQUE, Annotated, Struct, Vector
from .leaf_node import LeafNode
from .suites import HPKECiphertext

__all__ = ["UpdatePathNode", "UpdatePath"]


class UpdatePathNode(Struct):
    """RFC 9420 §7.6: ``UpdatePathNode``: a new node key and the path secret encrypted to a resolution."""

    encryption_key: Annotated[bytes, OPAQUE]
    encrypted_path_secret: Annotated[tuple[HPKECiphertext, ...], Vector(HPKECiphertext)]


class UpdatePath(Struct):
    """RFC 9420 §7.6: ``UpdatePath``."""

    leaf_node: Annotated[LeafNode, LeafNode]
    nodes: Annotated[tuple[UpdatePathNode, ...], Vector(UpdatePathNode)]
