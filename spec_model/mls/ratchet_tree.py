"""RFC 9420 §7: the ratchet tree.

The tree is a list of nodes in array order (Appendix C); a node is a
``LeafNode`` (even indices), a ``ParentNode`` (odd indices) or blank (``None``).

``RatchetTree`` is the public state of one group's tree in one cipher suite:
the evolving object a group owns. Nodes are immutable structs, so ``copy()``
is two shallow list copies. Private node keys are not part of it (TreeKEM keeps
them, see ``treekem``).

Tree hashes (§7.8) are cached per node; changing a node forgets the cached
hashes of that node and its ancestors only, so an add, remove or update costs
O(log n) hashes rather than a walk over the whole tree. The hash of a node is a
function of the suite, the node and its children's hashes, and every member of
a group hashes the same changed nodes: it is also remembered process-wide by
those inputs (``memory.Memory``), so members in one process compute it once;
so are parent hashes (§7.9). For the same reason the
tree keeps two indexes current as nodes change: its ``Membership`` (what leaf
validation compares a new leaf with, §7.3) and the node holding each encryption
key (the uniqueness check of an UpdatePath, §12.4.2), so that processing a
commit does not walk every leaf.
"""

from __future__ import annotations

import collections
import dataclasses
from typing import Callable, Collection, Iterable, Iterator, Sequence, Union

from . import tree_math as tm
from .codec import OPAQUE, U8, U32, Annotated, Optional, Reader, Struct, Tagged, Vector
from .leaf_node import FromCommit, LeafNode
from .memory import Memory
from .reasons import Reason, Rejected
from .suites import CipherSuite, InvalidSignatureError, verifications_remembered

__all__ = [
    "ParentNode", "Node", "NODE", "MAX_LEAVES", "MAX_NODES", "RATCHET_TREE", "LeafNodeHashInput", "ParentNodeHashInput",
    "TREE_HASH_INPUT", "ParentHashInput", "TreeValidationError", "KeyIndex", "Membership", "RatchetTree",
    "OccupiedLeaves",
]


class ParentNode(Struct):
    """RFC 9420 §7.1: ``ParentNode``."""

    TAG = 2  # NodeType.parent (§12.4.3.3)
    encryption_key: Annotated[bytes, OPAQUE]
    parent_hash: Annotated[bytes, OPAQUE]
    unmerged_leaves: Annotated[tuple[int, ...], Vector(U32)]


Node = Union[LeafNode, ParentNode]

NODE = Tagged(U8, "NodeType", (LeafNode, ParentNode))
"""RFC 9420 §12.4.3.3: ``Node``."""

MAX_LEAVES = 400 * 10
"""XMTP docs: group chat ("A group can be anywhere from 1 person to 400", the seed profile's limit, larger than
libxmtp's ``MAX_GROUP_SIZE`` of 250) × libxmtp crates/xmtp_configuration/src/common/mls.rs@a53a97e
``MAX_INSTALLATIONS_PER_INBOX`` (10): the most leaves an XMTP group's tree holds at once in either profile.
RFC 9420 leaves the size open (a uint32 leaf index); adds fill the leftmost blank leaf first (§7.7), so a tree
never reaches past leaf ``MAX_LEAVES - 1``."""
MAX_NODES = 2 * MAX_LEAVES - 1
"""RFC 9420 §12.4.3.3, Appendix C: the longest ``ratchet_tree`` extension: up to the last leaf."""

RATCHET_TREE = Vector(Optional(NODE), max_items=MAX_NODES)
"""RFC 9420 §12.4.3.3: ``optional<Node> ratchet_tree<V>``, the ratchet tree extension; more than
``MAX_NODES`` nodes are refused while reading, before the rest is decoded."""


class LeafNodeHashInput(Struct):
    """RFC 9420 §7.8: ``LeafNodeHashInput``, the ``leaf`` case of ``TreeHashInput``."""

    TAG = 1  # NodeType.leaf
    leaf_index: Annotated[int, U32]
    leaf_node: Annotated[LeafNode | None, Optional(LeafNode)]


class ParentNodeHashInput(Struct):
    """RFC 9420 §7.8: ``ParentNodeHashInput``, the ``parent`` case of ``TreeHashInput``."""

    TAG = 2  # NodeType.parent
    parent_node: Annotated[ParentNode | None, Optional(ParentNode)]
    left_hash: Annotated[bytes, OPAQUE]
    right_hash: Annotated[bytes, OPAQUE]


TREE_HASH_INPUT = Tagged(U8, "NodeType", (LeafNodeHashInput, ParentNodeHashInput))
"""RFC 9420 §7.8: ``TreeHashInput``, the node type then its hash input."""

_remembered_hashes: Memory[tuple, bytes] = Memory(8192)
"""Tree and parent hashes (§7.8, §7.9) by suite and hash input, see ``RatchetTree._remembered_hash``."""


def _tree_hash_input(value: LeafNodeHashInput | ParentNodeHashInput) -> tuple[bytes, ...]:
    """RFC 9420 §7.8: ``TreeHashInput`` in pieces (``TREE_HASH_INPUT``): the node type, then ``value``."""
    return bytes((value.TAG,)), *value.encode_parts()


class ParentHashInput(Struct):
    """RFC 9420 §7.9: ``ParentHashInput``."""

    encryption_key: Annotated[bytes, OPAQUE]
    parent_hash: Annotated[bytes, OPAQUE]
    original_sibling_tree_hash: Annotated[bytes, OPAQUE]


class TreeValidationError(Rejected):
    """RFC 9420 §12.4.3.1, §12.4.3.3: a ratchet tree that is malformed or fails validation.

    ``reason`` is ``INVALID_TREE`` (shape, unmerged leaves), ``INVALID_LEAF_NODE``
    (leaf signature), ``BAD_PARENT_HASH`` or ``DUPLICATE_KEY``.
    """


def _leaf_span(x: int) -> range:
    """RFC 9420 Appendix C: the leaf indices under node ``x`` (its subtree's leaves)."""
    k = tm.level(x)
    first = (x - (1 << k) + 1) >> 1
    return range(first, first + (1 << k))


def _parent_hash_of(node: Node) -> bytes | None:
    """RFC 9420 §7.9.1: the ``parent_hash`` a node carries; key-package and update leaves carry none."""
    if isinstance(node, ParentNode):
        return node.parent_hash
    return node.source.parent_hash if isinstance(node.source, FromCommit) else None


_UNSEEN = object()


class KeyIndex:
    """RFC 9420 §7.3, §12.4.2: which leaf or node holds each key, for the checks that keys are unique in a tree.

    A commit's new tree starts as a copy of the old one (§12.4.1), and most keys stay where they were: a copy shares
    the entries the trees had when it was made (``_base``, which no one changes) and records its own changes
    (``_changes``; ``None`` where a key left), so copying the tree of a 4000-member group copies its few recent
    changes, not thousands of keys. Changes are folded into a new base of their own once they outgrow a sixteenth
    of it, so a copy never copies more than that and a lookup takes at most two.
    """

    __slots__ = ("_base", "_changes")

    def __init__(self, base: dict[bytes, int] | None = None, changes: dict[bytes, int | None] | None = None):
        self._base = {} if base is None else base
        self._changes = {} if changes is None else changes

    def get(self, key: bytes, default: int | None = None) -> int | None:
        """RFC 9420 §7.3: the holder of ``key``, or ``default``."""
        holder = self._changes.get(key, _UNSEEN)
        if holder is _UNSEEN:
            return self._base.get(key, default)
        return default if holder is None else holder

    def __contains__(self, key: bytes) -> bool:
        return self.get(key) is not None

    def __setitem__(self, key: bytes, holder: int) -> None:
        self._changes[key] = holder
        if len(self._changes) > 64 + len(self._base) // 16:
            base = {**self._base, **self._changes}
            for gone in [k for k, v in self._changes.items() if v is None]:
                del base[gone]
            self._base, self._changes = base, {}

    def discard(self, key: bytes, holder: int) -> None:
        """RFC 9420 §7.3: forget that ``holder`` holds ``key``, unless the index names another holder of it."""
        if self.get(key) == holder:
            self._changes[key] = None

    def copy(self) -> "KeyIndex":
        """RFC 9420 §12.4.1: an index that changes apart from this one: the base shared, the changes copied."""
        return KeyIndex(self._base, self._changes.copy())

    def as_dict(self) -> dict[bytes, int]:
        """RFC 9420 §7.3: every key and its holder."""
        merged = {**self._base, **self._changes}
        return {key: holder for key, holder in merged.items() if holder is not None}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, KeyIndex) and self.as_dict() == other.as_dict()

    __hash__ = None  # type: ignore[assignment]  # mutable


@dataclasses.dataclass
class Membership:
    """RFC 9420 §7.3: what leaf validation needs to know about a tree's members; ``RatchetTree.membership``
    keeps it current, so a new leaf is checked in constant time instead of against every member."""

    count: int = 0
    credential_types: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    """Credential type -> members using it."""
    supporters: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    """Credential type -> members whose capabilities list it."""
    signature_keys: KeyIndex = dataclasses.field(default_factory=KeyIndex)
    encryption_keys: KeyIndex = dataclasses.field(default_factory=KeyIndex)

    def add(self, leaf_index: int, leaf: LeafNode) -> None:
        """RFC 9420 §7.3: count one more member leaf."""
        self.count += 1
        self.credential_types[leaf.credential.credential_type] += 1
        self.supporters.update(set(leaf.capabilities.credentials))
        self.signature_keys[leaf.signature_key] = leaf_index
        self.encryption_keys[leaf.encryption_key] = leaf_index

    def discard(self, leaf_index: int, leaf: LeafNode) -> None:
        """RFC 9420 §7.3: count one member leaf fewer (it was removed or replaced)."""
        self.count -= 1
        self.credential_types[leaf.credential.credential_type] -= 1
        self.supporters.subtract(set(leaf.capabilities.credentials))
        self.signature_keys.discard(leaf.signature_key, leaf_index)
        self.encryption_keys.discard(leaf.encryption_key, leaf_index)

    def copy(self) -> "Membership":
        """RFC 9420 §7.3: an independent copy, for the copy of its tree."""
        return Membership(self.count, self.credential_types.copy(), self.supporters.copy(),
                          self.signature_keys.copy(), self.encryption_keys.copy())


class RatchetTree:
    """RFC 9420 §7: the public ratchet tree of a group, bound to its cipher suite."""

    __slots__ = ("cs", "_nodes", "_hashes", "_blank_from", "membership", "_key_holders")

    def __init__(self, cs: CipherSuite, nodes: Sequence[Node | None]):
        """RFC 9420 §7.1, Appendix C: a tree from its full node array (2^(d+1) - 1 entries)."""
        nodes = list(nodes)
        n_leaves = (len(nodes) + 1) // 2
        if n_leaves < 1 or n_leaves & (n_leaves - 1) or len(nodes) != 2 * n_leaves - 1:
            raise TreeValidationError(Reason.INVALID_TREE, f"{len(nodes)} nodes is not a full tree")
        for x, node in enumerate(nodes):
            expected = LeafNode if x % 2 == 0 else ParentNode
            if node is not None and not isinstance(node, expected):
                raise TreeValidationError(Reason.INVALID_TREE, f"node {x} is not a {expected.__name__}")
        self.cs = cs
        self._nodes: list[Node | None] = nodes
        self._hashes: list[bytes | None] = [None] * len(nodes)
        self._blank_from = 0  # no leaf left of this one is blank: where the search for the leftmost blank starts
        self.membership = Membership()
        """RFC 9420 §7.3: the members of this tree, kept current as leaves change."""
        self._key_holders = KeyIndex()  # encryption key -> the node holding it (§12.4.2)
        for x, node in enumerate(nodes):
            if node is not None:
                self._index(x, node)

    # -- the ratchet_tree extension (§12.4.3.3)

    @classmethod
    def from_extension_nodes(cls, cs: CipherSuite, nodes: Sequence[Node | None]) -> "RatchetTree":
        """RFC 9420 §12.4.3.3: the last node must be non-blank; extend with blanks to a full tree."""
        if not nodes or nodes[-1] is None:
            raise TreeValidationError(Reason.INVALID_TREE, "empty tree or trailing blank node")
        n_leaves = 1
        while tm.node_width(n_leaves) < len(nodes):
            n_leaves *= 2
        return cls(cs, [*nodes, *[None] * (tm.node_width(n_leaves) - len(nodes))])

    def to_extension_nodes(self) -> tuple[Node | None, ...]:
        """RFC 9420 §12.4.3.3: the node array without the blank nodes after the last non-blank one."""
        end = len(self._nodes)
        while end > 1 and self._nodes[end - 1] is None:
            end -= 1
        return tuple(self._nodes[:end])

    @classmethod
    def decode(cls, cs: CipherSuite, data: bytes) -> "RatchetTree":
        """RFC 9420 §12.4.3.3: a tree from an encoded ``ratchet_tree`` (raises ``DecodeError``)."""
        r = Reader(bytes(data))
        nodes = RATCHET_TREE.read(r)
        r.finish()
        return cls.from_extension_nodes(cs, nodes)

    def encode(self) -> bytes:
        """RFC 9420 §12.4.3.3: the encoded ``ratchet_tree`` extension data."""
        out = bytearray()
        RATCHET_TREE.write(self.to_extension_nodes(), out)
        return bytes(out)

    def copy(self) -> "RatchetTree":
        """RFC 9420 §12.4.1: an independent copy, e.g. for a commit's new tree (nodes are immutable)."""
        new = object.__new__(RatchetTree)
        new.cs, new._nodes, new._hashes = self.cs, list(self._nodes), list(self._hashes)
        new._blank_from = self._blank_from
        new.membership, new._key_holders = self.membership.copy(), self._key_holders.copy()
        return new

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RatchetTree) and self.cs is other.cs and self._nodes == other._nodes

    __hash__ = None  # type: ignore[assignment]  # mutable

    # -- accessors

    @property
    def n_leaves(self) -> int:
        """RFC 9420 §7.1: the number of leaves, a power of two."""
        return (len(self._nodes) + 1) // 2

    def node(self, x: int) -> Node | None:
        """RFC 9420 §7.1: node ``x`` in array order, or ``None`` if blank."""
        if not 0 <= x < len(self._nodes):
            raise IndexError(f"node {x} is outside a tree of {self.n_leaves} leaves")
        return self._nodes[x]

    def leaf(self, i: int) -> LeafNode | None:
        """RFC 9420 §7.1: the leaf node at leaf index ``i``, or ``None`` if blank."""
        return self.node(2 * i)  # type: ignore[return-value]

    def key_holder(self, encryption_key: bytes) -> int | None:
        """RFC 9420 §12.4.2, §12.4.3.1: the node whose encryption key is ``encryption_key``, if any."""
        return self._key_holders.get(encryption_key)

    def members(self) -> Iterator[tuple[int, LeafNode]]:
        """RFC 9420 §7.1: ``(leaf index, leaf node)`` for every non-blank leaf, left to right."""
        for i in range(self.n_leaves):
            if (leaf := self._nodes[2 * i]) is not None:
                yield i, leaf  # type: ignore[misc]

    # -- changes (§7.7, §12.1)

    def _set(self, x: int, node: Node | None) -> None:
        """Store ``node`` at ``x`` and forget the cached tree hashes of ``x`` and its ancestors.

        A node's hash is cached only while its children's are, so the walk up stops at the first ancestor
        with none cached (and does not start if ``x`` had none): a run of adds, or the blanking of a path,
        forgets each ancestor's hash once."""
        if (old := self._nodes[x]) is not None:
            self._unindex(x, old)
        if node is not None:
            self._index(x, node)
        self._nodes[x] = node
        if node is None and x % 2 == 0:
            self._blank_from = min(self._blank_from, x // 2)
        if self._hashes[x] is None:
            return
        self._hashes[x] = None
        for p in tm.direct_path(x, self.n_leaves):
            if self._hashes[p] is None:
                break
            self._hashes[p] = None

    def _index(self, x: int, node: Node) -> None:
        self._key_holders[node.encryption_key] = x
        if x % 2 == 0:
            self.membership.add(x // 2, node)

    def _unindex(self, x: int, node: Node) -> None:
        self._key_holders.discard(node.encryption_key, x)
        if x % 2 == 0:
            self.membership.discard(x // 2, node)

    def _blank_direct_path(self, i: int) -> None:
        for p in tm.direct_path(2 * i, self.n_leaves):
            self._set(p, None)

    def add_leaf(self, leaf: LeafNode) -> int:
        """RFC 9420 §12.1.1, §7.7: put ``leaf`` in the leftmost blank leaf, extending if none; its index.

        The new leaf is added to the ``unmerged_leaves`` of every non-blank node on its direct path.
        """
        i = next((i for i in range(self._blank_from, self.n_leaves) if self._nodes[2 * i] is None), self.n_leaves)
        self._blank_from = i + 1
        if i == self.n_leaves:  # extend: a new blank root over the old tree and a blank subtree
            self._nodes += [None] * (len(self._nodes) + 1)
            self._hashes += [None] * (len(self._hashes) + 1)
        for p in tm.direct_path(2 * i, self.n_leaves):
            if (node := self._nodes[p]) is not None:
                self._set(p, node.replace(unmerged_leaves=tuple(sorted((*node.unmerged_leaves, i)))))
        self._set(2 * i, leaf)
        return i

    def remove_leaf(self, i: int) -> None:
        """RFC 9420 §12.1.3, §7.7: blank leaf ``i`` and its direct path, then truncate the tree.

        Truncation drops the right half while none of its leaves is non-blank.
        """
        if self.leaf(i) is None:
            raise ValueError(f"leaf {i} is blank")
        self._set(2 * i, None)
        self._blank_direct_path(i)
        while self.n_leaves > 1 and self._is_blank_right_half():
            width = self.n_leaves - 1  # the width of the left half
            for x in range(width, len(self._nodes)):
                if (node := self._nodes[x]) is not None:
                    self._unindex(x, node)
            del self._nodes[width:], self._hashes[width:]

    def _is_blank_right_half(self) -> bool:
        return all(self._nodes[x] is None for x in range(self.n_leaves, len(self._nodes), 2))

    def update_leaf(self, i: int, leaf: LeafNode) -> None:
        """RFC 9420 §12.1.2: replace leaf ``i`` with ``leaf`` and blank its direct path."""
        if self.leaf(i) is None:
            raise ValueError(f"leaf {i} is blank")
        self._set(2 * i, leaf)
        self._blank_direct_path(i)

    def set_leaf(self, i: int, leaf: LeafNode) -> None:
        """RFC 9420 §7.5 step 4: replace leaf ``i`` only (after ``merge_path`` set its direct path)."""
        self._set(2 * i, leaf)

    def merge_path(self, i: int, encryption_keys: Sequence[bytes], filtered: dict[int, int] | None = None) -> bytes:
        """RFC 9420 §7.5, §7.9: merge the public keys of leaf ``i``'s UpdatePath; the leaf's parent hash.

        Blanks the direct path of leaf ``i``, sets each node of its filtered
        direct path to the next key with no unmerged leaves, then fills in the
        parent hashes from the root down. Returns the parent hash the sender's
        ``FromCommit`` leaf must carry. The leaf itself is left to ``set_leaf``.
        ``filtered`` is leaf ``i``'s ``filtered_copath``, from a caller that has it already.
        """
        filtered = self.filtered_copath(i) if filtered is None else filtered
        if len(encryption_keys) != len(filtered):
            raise ValueError(f"{len(encryption_keys)} keys for a filtered path of {len(filtered)} nodes")
        self._blank_direct_path(i)
        parent_hash = b""
        for (p, copath_child), key in reversed(list(zip(filtered.items(), encryption_keys))):
            self._set(p, ParentNode(key, parent_hash, ()))
            parent_hash = self._parent_hash(p, copath_child)
        return parent_hash

    # -- resolution and paths (§4.1)

    def resolution(self, x: int, exclude: Collection[int] = ()) -> list[int]:
        """RFC 9420 §4.1.1: the resolution of node ``x`` as node indices.

        ``exclude`` lists leaf indices (new members, §7.6) left out both as
        leaves and as unmerged leaves.
        """
        node = self.node(x)
        if tm.is_leaf(x):
            return [] if node is None or x // 2 in exclude else [x]
        if node is None:
            return self.resolution(tm.left(x), exclude) + self.resolution(tm.right(x), exclude)
        return [x, *(2 * u for u in node.unmerged_leaves if u not in exclude)]

    def _is_blank_subtree(self, x: int) -> bool:
        """Whether the resolution of ``x`` is empty, i.e. every node under ``x`` is blank.

        Appendix C: the subtree of ``x`` is the run of array indices ``x - (2^k - 1)`` to ``x + (2^k - 1)``,
        scanned from its leftmost leaf (usually a member, which ends the scan)."""
        k = tm.level(x)
        return all(self._nodes[y] is None for y in range(x - (1 << k) + 1, x + (1 << k)))

    def copath_children(self, i: int) -> dict[int, int]:
        """RFC 9420 §4.1.2: each node of leaf ``i``'s direct path mapped to its child on ``i``'s copath."""
        x = 2 * i
        return dict(zip(tm.direct_path(x, self.n_leaves), tm.copath(x, self.n_leaves)))

    def filtered_direct_path(self, i: int) -> list[int]:
        """RFC 9420 §4.1.2: leaf ``i``'s direct path minus nodes whose copath child resolves to nothing."""
        return list(self.filtered_copath(i))

    def filtered_copath(self, i: int) -> dict[int, int]:
        """RFC 9420 §4.1.2: each node of leaf ``i``'s filtered direct path mapped to its child on ``i``'s copath."""
        return {p: c for p, c in self.copath_children(i).items() if not self._is_blank_subtree(c)}

    # -- hashes (§7.8, §7.9)

    def tree_hash(self, x: int | None = None) -> bytes:
        """RFC 9420 §7.8: the tree hash of node ``x`` (default: the root), cached per node."""
        if x is None:
            x = tm.root(self.n_leaves)
        cached = self._hashes[x]
        if cached is None:
            cached = self._hashes[x] = self._hash_node(x, frozenset())
        return cached

    def _original_tree_hash(self, x: int, removed: frozenset[int]) -> bytes:
        """RFC 9420 §7.9: the tree hash of ``x`` with the leaves in ``removed`` blanked and not unmerged."""
        if not removed or not any(u in _leaf_span(x) for u in removed):
            return self.tree_hash(x)
        return self._hash_node(x, removed)

    def _hash_node(self, x: int, removed: frozenset[int]) -> bytes:
        """RFC 9420 §7.8: ``Hash(TreeHashInput)`` of node ``x``; the input keyed by the node's encoding."""
        node = self._nodes[x]
        if tm.is_leaf(x):
            leaf = None if x // 2 in removed else node
            return self._remembered_hash((LeafNodeHashInput, x // 2, leaf and leaf.encode()),
                                         lambda: _tree_hash_input(LeafNodeHashInput(x // 2, leaf)))
        if node is not None and not removed.isdisjoint(node.unmerged_leaves):
            kept = tuple(u for u in node.unmerged_leaves if u not in removed)
            node = node.replace(unmerged_leaves=kept)
        left, right = self._original_tree_hash(tm.left(x), removed), self._original_tree_hash(tm.right(x), removed)
        return self._remembered_hash((ParentNodeHashInput, node and node.encode(), left, right),
                                     lambda: _tree_hash_input(ParentNodeHashInput(node, left, right)))

    def _parent_hash(self, p: int, s: int) -> bytes:
        """RFC 9420 §7.9: the parent hash of parent node ``p`` with copath child ``s``."""
        node = self._nodes[p]
        sibling_hash = self._original_tree_hash(s, frozenset(node.unmerged_leaves))
        fields = (node.encryption_key, node.parent_hash, sibling_hash)
        return self._remembered_hash((ParentHashInput, *fields), lambda: ParentHashInput(*fields).encode_parts())

    def _remembered_hash(self, key: tuple, pieces: Callable[[], tuple[bytes, ...]]) -> bytes:
        """RFC 9420 §7.8, §7.9: the hash of the input whose encoding, in pieces, is ``pieces()``; remembered (while
        ``suites.verifications_remembered()``) by the suite and ``key``: the input's struct and the fields that
        determine its encoding."""
        return _remembered_hashes.recall((self.cs.id, *key), lambda: self.cs.hash(*pieces()),
                                         verifications_remembered())

    def _parent_hash_valid_children(self, p: int) -> list[int]:
        """RFC 9420 §7.9.2: the descendants ``D`` whose parent hash is valid with respect to ``p``.

        ``D`` is in the resolution of a child ``C`` of ``p``, carries the parent
        hash of ``p`` with the other child as copath child, and the rest of
        ``C``'s resolution is exactly ``p``'s unmerged leaves under ``C``.
        """
        node = self._nodes[p]
        found = []
        for c, s in ((tm.left(p), tm.right(p)), (tm.right(p), tm.left(p))):
            expected = self._parent_hash(p, s)
            span = _leaf_span(c)
            unmerged = {2 * u for u in node.unmerged_leaves if u in span}
            res = self.resolution(c)
            found += [d for d in res if _parent_hash_of(self._nodes[d]) == expected
                      and set(res) - {d} == unmerged]
        return found

    # -- validation (§12.4.3.1)

    def validate(self, group_id: bytes) -> None:
        """RFC 9420 §12.4.3.1, §7.9.2: the checks a joiner makes of a tree; raises ``TreeValidationError``.

        Every parent's ``unmerged_leaves`` is sorted, names non-blank leaves
        below it and is repeated by the non-blank nodes in between; HPKE and
        signature keys are unique; every non-blank leaf's signature verifies
        with its leaf index and ``group_id``; every non-blank parent is
        parent-hash valid (exactly one descendant chains to it). Leaf checks
        that need the group context (capabilities, lifetime) are the group's.
        """
        parents = [(p, node) for p, node in enumerate(self._nodes) if p % 2 == 1 and node is not None]
        for p, node in parents:
            self._check_unmerged_leaves(p, node)
        self._check_unique(node.encryption_key for node in self._nodes if node is not None)
        self._check_unique(leaf.signature_key for _, leaf in self.members())
        for i, leaf in self.members():
            try:
                leaf.verify(self.cs, group_id, i)
            except InvalidSignatureError:
                raise TreeValidationError(Reason.INVALID_LEAF_NODE, f"leaf {i} signature") from None
        for p, _ in parents:
            if len(self._parent_hash_valid_children(p)) != 1:
                raise TreeValidationError(Reason.BAD_PARENT_HASH, f"node {p} is not parent-hash valid")

    def _check_unmerged_leaves(self, p: int, node: ParentNode) -> None:
        """RFC 9420 §7.1, §12.4.3.1: ``p``'s unmerged leaves: sorted, members below it, consistent."""
        leaves = node.unmerged_leaves
        if list(leaves) != sorted(set(leaves)):
            raise TreeValidationError(Reason.INVALID_TREE, f"node {p} unmerged leaves not sorted")
        span = _leaf_span(p)
        for u in leaves:
            if u not in span or self._nodes[2 * u] is None:
                raise TreeValidationError(Reason.INVALID_TREE, f"node {p}: unmerged {u} is no member below")
            for q in tm.direct_path(2 * u, self.n_leaves):
                if q == p:
                    break
                between = self._nodes[q]
                if between is not None and u not in between.unmerged_leaves:
                    raise TreeValidationError(Reason.INVALID_TREE, f"node {q} lacks unmerged leaf {u} of {p}")

    @staticmethod
    def _check_unique(keys: Iterable[bytes]) -> None:
        seen: set[bytes] = set()
        for key in keys:
            if key in seen:
                raise TreeValidationError(Reason.DUPLICATE_KEY, f"key {key.hex()[:16]}… appears twice")
            seen.add(key)


class OccupiedLeaves:
    """RFC 9420 §6: the leaf indices of a tree that hold a member, tested one at a time rather than listed."""

    def __init__(self, tree: RatchetTree):
        self.tree = tree

    def __contains__(self, leaf_index: int) -> bool:
        return 0 <= leaf_index < self.tree.n_leaves and self.tree.leaf(leaf_index) is not None
