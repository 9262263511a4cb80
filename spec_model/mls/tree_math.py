"""RFC 9420 Appendix C: index arithmetic for array-based ratchet trees.

Every ratchet tree is a perfect binary tree with ``n_leaves`` = 2^d leaves
(RFC 9420 §7.1). Stored as an array, leaf ``i`` is node ``2*i`` and parent
nodes take the odd indices between their children; a node's level is the
number of trailing one bits of its index, and a node at level ``k`` has the
form ``prefix · 0 · 1^k`` in binary, shared by every node of its subtree
above bit ``k``. All functions below work on those bits directly, so each
costs O(1) or, for whole paths, O(log n). Invalid input raises ``ValueError``.
"""

from __future__ import annotations

from typing import NewType

__all__ = [
    "LeafIndex", "NodeIndex", "level", "node_width", "root", "left", "right", "parent",
    "sibling", "direct_path", "copath", "common_ancestor", "leaf_to_node", "node_to_leaf",
    "is_leaf",
]

LeafIndex = NewType("LeafIndex", int)
NodeIndex = NewType("NodeIndex", int)


def _check_node(x: int) -> None:
    if x < 0:
        raise ValueError(f"node index {x} is negative")


def _check_in_tree(x: int, n_leaves: int) -> None:
    _check_node(x)
    if x >= node_width(n_leaves):
        raise ValueError(f"node {x} is outside a tree of {n_leaves} leaves")


def _ancestor(x: int, k: int) -> NodeIndex:
    """The node at level ``k`` above ``x``: keep the bits above ``k``, then ``0 · 1^k``."""
    return (x >> (k + 1) << (k + 1)) | ((1 << k) - 1)  # type: ignore[return-value]  # a NodeIndex, unwrapped: hot


def level(x: NodeIndex) -> int:
    """RFC 9420 Appendix C: leaves are level 0, their parents level 1, and so on."""
    if x < 0:  # _check_node, called only when it fails: level is the most used function here
        _check_node(x)
    return (~x & (x + 1)).bit_length() - 1


def node_width(n_leaves: int) -> int:
    """RFC 9420 Appendix C: the number of nodes in a tree of ``n_leaves`` (a power of two)."""
    if n_leaves < 1 or n_leaves & (n_leaves - 1):
        raise ValueError(f"{n_leaves} leaves is not a power of two (RFC 9420 §7.1)")
    return 2 * n_leaves - 1


def root(n_leaves: int) -> NodeIndex:
    """RFC 9420 Appendix C: the root of a tree of ``n_leaves``, at level log2(n_leaves)."""
    node_width(n_leaves)
    return NodeIndex(n_leaves - 1)


def left(x: NodeIndex) -> NodeIndex:
    """RFC 9420 Appendix C: the left child of parent node ``x``."""
    k = level(x)
    if k == 0:
        raise ValueError(f"leaf node {x} has no children")
    return NodeIndex(x ^ (1 << (k - 1)))


def right(x: NodeIndex) -> NodeIndex:
    """RFC 9420 Appendix C: the right child of parent node ``x``."""
    k = level(x)
    if k == 0:
        raise ValueError(f"leaf node {x} has no children")
    return NodeIndex(x ^ (3 << (k - 1)))


def parent(x: NodeIndex, n_leaves: int) -> NodeIndex:
    """RFC 9420 Appendix C: the parent of ``x``; the root has none."""
    _check_in_tree(x, n_leaves)
    if x == root(n_leaves):
        raise ValueError(f"root node {x} has no parent")
    return _ancestor(x, level(x) + 1)


def sibling(x: NodeIndex, n_leaves: int) -> NodeIndex:
    """RFC 9420 Appendix C: the other child of ``x``'s parent; the root has none."""
    parent(x, n_leaves)
    return NodeIndex(x ^ (1 << (level(x) + 1)))


def direct_path(x: NodeIndex, n_leaves: int) -> list[NodeIndex]:
    """RFC 9420 §4.1, Appendix C: the proper ancestors of ``x``, from its parent to the root."""
    _check_in_tree(x, n_leaves)
    top = n_leaves.bit_length() - 1  # the root's level
    return [_ancestor(x, k) for k in range(level(x) + 1, top + 1)]


def copath(x: NodeIndex, n_leaves: int) -> list[NodeIndex]:
    """RFC 9420 §4.1, Appendix C: the siblings of ``x`` and of its direct path, minus the root."""
    path = [x, *direct_path(x, n_leaves)][:-1]
    return [NodeIndex(y ^ (1 << (level(y) + 1))) for y in path]


def common_ancestor(a: NodeIndex, b: NodeIndex) -> NodeIndex:
    """RFC 9420 Appendix C: the lowest node whose subtree holds both ``a`` and ``b``.

    That is the lowest level at least both nodes' levels above which their
    indices agree; it may be ``a`` or ``b`` itself.
    """
    k = max(level(a), level(b), (a ^ b).bit_length() - 1)
    return _ancestor(a, k)


def leaf_to_node(leaf_index: LeafIndex) -> NodeIndex:
    """RFC 9420 Appendix C: leaf ``i`` is node ``2*i``."""
    if leaf_index < 0:
        raise ValueError(f"leaf index {leaf_index} is negative")
    return NodeIndex(2 * leaf_index)


def node_to_leaf(x: NodeIndex) -> LeafIndex:
    """RFC 9420 Appendix C: the leaf index of leaf node ``x`` (an even node index)."""
    if not is_leaf(x):
        raise ValueError(f"node {x} is not a leaf")
    return LeafIndex(x >> 1)


def is_leaf(x: NodeIndex) -> bool:
    """RFC 9420 Appendix C: leaves hold the even node indices."""
    _check_node(x)
    return x & 1 == 0
