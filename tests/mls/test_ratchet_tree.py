"""RFC 9420 §4.1, §7.7–§7.9, §12.4.3: the ratchet tree's structure, hashes and validation."""

from __future__ import annotations

import contextlib
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.rfc9420 import load
from spec_model.mls import tree_math as tm
from spec_model.mls.leaf_node import Capabilities, Credential, FromKeyPackage, LeafNode, Lifetime
from spec_model.mls.ratchet_tree import KeyIndex, ParentNode, RatchetTree, TreeValidationError
from spec_model.mls.reasons import Reason
from spec_model.mls.suites import remember_verifications, suite

CS = suite(1)
_rng = random.Random(9420)
LEAVES = []  # signed key-package leaves with distinct keys, shared by the tests
for n in range(40):
    sig_priv, sig_pub = CS.generate_signature_key_pair(_rng.randbytes)
    leaf = LeafNode(CS.derive_key_pair(_rng.randbytes(32))[1], sig_pub, Credential.basic(b"member %d" % n),
                    Capabilities(cipher_suites=(1,)), FromKeyPackage(Lifetime(0, 2**64 - 1)), (), b"")
    LEAVES.append(leaf.signed(CS, sig_priv))


def tree_of(n: int) -> RatchetTree:
    tree = RatchetTree.from_extension_nodes(CS, [LEAVES[0]])
    for leaf in LEAVES[1:n]:
        tree.add_leaf(leaf)
    return tree


def merge_random_path(tree: RatchetTree, i: int, rng: random.Random) -> None:
    """Merge an UpdatePath's public part from leaf ``i`` with random keys (no encryption needed)."""
    keys = [rng.randbytes(32) for _ in tree.filtered_direct_path(i)]
    tree.merge_path(i, keys)


def fresh(tree: RatchetTree) -> RatchetTree:
    """The same tree rebuilt from its encoding, with no cached hashes."""
    return RatchetTree.decode(CS, tree.encode())


@contextlib.contextmanager
def nothing_remembered():
    """Hashes computed, not recalled from the process's memory of node hashes (nor signatures from theirs)."""
    before = remember_verifications(0)
    try:
        yield
    finally:
        remember_verifications(before)


def test_extension_truncates_and_round_trips() -> None:
    tree = tree_of(3)
    assert tree.n_leaves == 4
    nodes = tree.to_extension_nodes()
    assert len(nodes) == 5 and nodes[-1] == LEAVES[2]
    assert fresh(tree) == tree and fresh(tree).tree_hash() == tree.tree_hash()


@pytest.mark.parametrize("nodes", [[], [LEAVES[0], None], [LEAVES[0], None, ParentNode(b"k", b"", ())]])
def test_malformed_extension_is_rejected(nodes: list) -> None:
    with pytest.raises(TreeValidationError) as e:
        RatchetTree.from_extension_nodes(CS, nodes)
    assert e.value.reason == Reason.INVALID_TREE


def test_resolution_of_rfc_figure() -> None:
    """RFC 9420 §4.1.1, 'A Tree with Blanks and Unmerged Leaves'."""
    nodes: list = [None] * 15
    for i in (0, 1, 3, 4, 5, 7):
        nodes[2 * i] = LEAVES[i]
    nodes[3] = ParentNode(b"X", b"", (1,))
    nodes[9] = ParentNode(b"Y", b"", ())
    tree = RatchetTree(CS, nodes)
    assert tree.resolution(3) == [3, 2]
    assert tree.resolution(4) == tree.resolution(12) == []
    assert tree.resolution(7) == [3, 2, 9, 14]
    assert tree.resolution(7, exclude={1, 7}) == [3, 9]


def test_filtered_direct_paths_of_rfc_figure() -> None:
    """RFC 9420 §4.1.2, 'A Complete Tree with Five Members'."""
    nodes: list = [None] * 15
    for i in (0, 1, 4, 5, 6):
        nodes[2 * i] = LEAVES[i]
    for x, key in ((1, b"T"), (7, b"W"), (9, b"X"), (11, b"Y")):
        nodes[x] = ParentNode(key, b"", ())
    tree = RatchetTree(CS, nodes)
    assert tree.filtered_direct_path(0) == tree.filtered_direct_path(1) == [1, 7]
    assert tree.filtered_direct_path(4) == tree.filtered_direct_path(5) == [9, 11, 7]
    assert tree.filtered_direct_path(6) == [11, 7]


def test_add_fills_leftmost_blank_and_records_unmerged_leaf() -> None:
    tree = tree_of(3)
    merge_random_path(tree, 0, random.Random(1))
    assert tree.filtered_direct_path(0) == [1, 3]
    assert tree.add_leaf(LEAVES[3]) == 3
    assert tree.node(3).unmerged_leaves == (3,) and tree.node(1).unmerged_leaves == ()
    assert tree.resolution(3) == [3, 6] and tree.resolution(5) == [4, 6]
    assert tree.add_leaf(LEAVES[4]) == 4 and tree.n_leaves == 8


def test_update_blanks_direct_path_and_remove_truncates() -> None:
    tree = tree_of(5)
    merge_random_path(tree, 1, random.Random(2))
    tree.update_leaf(1, LEAVES[10])
    assert tree.leaf(1) == LEAVES[10] and all(tree.node(p) is None for p in tm.direct_path(2, 8))
    tree.remove_leaf(4)
    assert tree.n_leaves == 4
    tree.remove_leaf(1)
    tree.remove_leaf(3)
    assert tree.n_leaves == 4  # leaf 2 keeps the right half
    tree.remove_leaf(2)
    assert tree.n_leaves == 1 and tree.to_extension_nodes() == (LEAVES[0],)
    with pytest.raises(ValueError):
        tree_of(3).remove_leaf(3)  # a blank leaf


operations = st.lists(st.tuples(st.sampled_from(["add", "remove", "path", "update"]), st.integers(0, 1000)),
                      min_size=1, max_size=30)


@settings(max_examples=60, deadline=None)
@given(operations)
def test_cached_hashes_track_changes(ops: list[tuple[str, int]]) -> None:
    """After any sequence of adds, removes, updates and merged paths, cached and remembered tree and parent hashes
    and the kept indexes (membership, encryption-key holders) equal a fresh computation."""
    rng = random.Random(len(ops))
    tree, unused = tree_of(1), list(LEAVES[1:])
    for op, k in ops:
        members = [i for i, _ in tree.members()]
        before, before_hash = tree.copy(), tree.tree_hash()
        if op == "add" and unused:
            tree.add_leaf(unused.pop())
        elif op == "remove" and len(members) > 1:
            tree.remove_leaf(members[k % len(members)])
        elif op == "path":
            i, twin = members[k % len(members)], tree.copy()
            keys = [rng.randbytes(32) for _ in tree.filtered_direct_path(i)]
            parent_hash = tree.merge_path(i, keys)
            with nothing_remembered():
                assert twin.merge_path(i, keys) == parent_hash
        elif op == "update":
            i = members[k % len(members)]
            tree.update_leaf(i, tree.leaf(i).replace(encryption_key=rng.randbytes(32)))
        assert before.tree_hash() == before_hash  # copies are independent
        rebuilt = fresh(tree)
        with nothing_remembered():
            computed = [rebuilt.tree_hash(x) for x in range(2 * rebuilt.n_leaves - 1)]
        assert [tree.tree_hash(x) for x in range(2 * tree.n_leaves - 1)] == computed
        assert tree.membership == rebuilt.membership and tree._key_holders == rebuilt._key_holders
        assert_tree_invariants(tree)


def test_truncation_forgets_the_keys_it_drops() -> None:
    """§7.7: truncation drops the right half, and the key index forgets every node dropped, even a parent left
    non-blank above blank leaves (a tree no validation accepts, but one ``RatchetTree`` holds)."""
    stray = ParentNode(b"stray parent key", b"", ())
    tree = RatchetTree(CS, [LEAVES[0], None, LEAVES[1], None, None, stray, None])
    assert tree.key_holder(stray.encryption_key) == 5
    tree.remove_leaf(1)
    assert tree.n_leaves == 1 and tree.key_holder(stray.encryption_key) is None
    assert tree.key_holder(LEAVES[1].encryption_key) is None and tree.membership.count == 1


def assert_tree_invariants(tree: RatchetTree) -> None:
    """Truncation (§7.7) and resolution (§4.1.1) properties."""
    n = tree.n_leaves
    if n > 1:
        assert any(tree.leaf(i) is not None for i in range(n // 2, n))
    for x in range(2 * n - 1):
        res = tree.resolution(x)
        assert all(tree.node(r) is not None for r in res)
        assert len(set(res)) == len(res)
        first, size = (x - (1 << tm.level(x)) + 1) // 2, 1 << tm.level(x)
        covered = set()
        for r in res:  # the resolution covers every non-blank leaf under x
            k = tm.level(r)
            covered |= set(range((r - (1 << k) + 1) // 2, (r - (1 << k) + 1) // 2 + (1 << k)))
        assert {i for i in range(first, first + size) if tree.leaf(i) is not None} <= covered


class CountingSuite:
    """A cipher suite that counts hash calls."""

    def __init__(self) -> None:
        self.calls = 0
        self.id = CS.id

    def hash(self, *data: bytes) -> bytes:
        self.calls += 1
        return CS.hash(*data)


def test_400_member_tree_rehashes_only_changed_paths() -> None:
    cs = CountingSuite()
    tree = RatchetTree.from_extension_nodes(cs, tree_of(40).to_extension_nodes())  # type: ignore[arg-type]
    for n in range(360):  # 400 members, reusing leaf contents (keys need not be unique to hash)
        tree.add_leaf(LEAVES[n % 40])
    assert tree.n_leaves == 512
    with nothing_remembered():
        tree.tree_hash()
        assert cs.calls == 1023
        for change in (lambda: tree.add_leaf(LEAVES[0]), lambda: tree.remove_leaf(123),
                       lambda: tree.update_leaf(77, LEAVES[1])):
            cs.calls = 0
            change()
            tree.tree_hash()
            assert cs.calls == 10  # the changed leaf and its 9 ancestors only


def test_members_hash_a_changed_node_once() -> None:
    """§7.8: a second member's copy of the same tree, changed the same way, recalls the first member's hashes."""
    cs = CountingSuite()
    first, second = (RatchetTree.decode(cs, tree_of(9).encode()) for _ in range(2))  # type: ignore[arg-type]
    first.tree_hash(), second.tree_hash()
    for tree in (first, second):
        cs.calls = 0
        tree.update_leaf(3, LEAVES[20])
        tree.tree_hash()
    assert cs.calls == 0 and second.tree_hash() == first.tree_hash()
    with nothing_remembered():
        assert fresh(second).tree_hash() == first.tree_hash()


# -- validation (§12.4.3.1, §7.9.2), on official trees

def vector_tree(index: int) -> tuple[RatchetTree, bytes]:
    case = load("tree-validation")[index]
    return RatchetTree.decode(suite(case["cipher_suite"]), bytes.fromhex(case["tree"])), \
        bytes.fromhex(case["group_id"])


def expect_rejected(tree: RatchetTree, group_id: bytes, reason: Reason) -> None:
    with pytest.raises(TreeValidationError) as e:
        tree.validate(group_id)
    assert e.value.reason == reason


def test_official_tree_with_unmerged_leaves_validates() -> None:
    tree, group_id = vector_tree(12)
    tree.validate(group_id)
    expect_rejected(tree, b"another group", Reason.INVALID_LEAF_NODE)


def test_tampered_parent_hash_is_rejected() -> None:
    tree, group_id = vector_tree(2)
    node = tree.node(3)
    nodes = [tree.node(x) for x in range(2 * tree.n_leaves - 1)]
    nodes[3] = node.replace(parent_hash=bytes(len(node.parent_hash)))
    expect_rejected(RatchetTree(tree.cs, nodes), group_id, Reason.BAD_PARENT_HASH)


def test_bad_leaf_signature_is_rejected() -> None:
    tree, group_id = vector_tree(2)
    leaf = tree.leaf(5)
    tree.set_leaf(5, leaf.replace(signature=bytes([leaf.signature[0] ^ 1]) + leaf.signature[1:]))
    expect_rejected(tree, group_id, Reason.INVALID_LEAF_NODE)


def test_inconsistent_unmerged_leaves_are_rejected() -> None:
    tree, group_id = vector_tree(12)
    nodes = [tree.node(x) for x in range(2 * tree.n_leaves - 1)]
    p = next(x for x, node in enumerate(nodes) if isinstance(node, ParentNode) and node.unmerged_leaves)
    nodes[p] = nodes[p].replace(unmerged_leaves=nodes[p].unmerged_leaves * 2)
    expect_rejected(RatchetTree(tree.cs, nodes), group_id, Reason.INVALID_TREE)


def test_duplicate_encryption_key_is_rejected() -> None:
    tree, group_id = vector_tree(0)
    nodes = [tree.node(x) for x in range(2 * tree.n_leaves - 1)]
    nodes[1] = nodes[1].replace(encryption_key=nodes[0].encryption_key)
    expect_rejected(RatchetTree(tree.cs, nodes), group_id, Reason.DUPLICATE_KEY)


def test_a_tree_longer_than_any_xmtp_group_is_refused_before_the_rest_is_read(monkeypatch):
    """A million blank nodes: refused after MAX_NODES + 1 nodes are read, whatever follows."""
    from spec_model.mls.codec import DecodeError, varint
    from spec_model.mls.ratchet_tree import MAX_NODES, RATCHET_TREE
    from spec_model.mls.suites import remember_verifications, suite
    reads = []
    item_read = RATCHET_TREE.item.read
    monkeypatch.setattr(RATCHET_TREE.item, "read", lambda r: reads.append(1) or item_read(r))
    body = bytes(1_000_000)
    with pytest.raises(DecodeError) as info:
        RatchetTree.decode(suite(3), varint(len(body)) + body)
    assert info.value.reason == f"more than {MAX_NODES} items"
    assert len(reads) == MAX_NODES


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["set", "discard", "copy"]), st.integers(0, 150), st.integers(0, 3)),
                max_size=400))
def test_key_index_is_a_dict_its_copies_do_not_share(ops: list[tuple[str, int, int]]) -> None:
    """A KeyIndex answers as a dict would through sets, discards, copies and the folding of its changes into a
    new base (past 64 changes); a copy changes apart from its original, in both directions."""
    index, model = KeyIndex(), {}
    kept: list[tuple[KeyIndex, dict]] = []
    for op, k, holder in ops:
        key = bytes([k])
        if op == "set":
            index[key], model[key] = holder, holder
        elif op == "discard":
            index.discard(key, holder)
            if model.get(key) == holder:
                del model[key]
        elif holder % 2:  # go on with the copy, keep the original
            kept.append((index, dict(model)))
            index, model = index.copy(), dict(model)
        else:  # go on with the original, keep the copy
            kept.append((index.copy(), dict(model)))
        assert all(index.get(bytes([j])) == model.get(bytes([j])) for j in range(151))
    for earlier, expected in kept:
        assert earlier.as_dict() == expected
    assert index.as_dict() == model and (bytes([0]) in index) == (bytes([0]) in model)
