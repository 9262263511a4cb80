"""RFC 9420 §7.4–§7.6, §12.4.1, §12.4.2: creating and applying UpdatePaths in random groups."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spec_model.mls import tree_math as tm
from spec_model.mls.group_context import GroupContext
from spec_model.mls.leaf_node import Capabilities, Credential, FromCommit, FromKeyPackage, LeafNode, Lifetime
from spec_model.mls.ratchet_tree import RatchetTree
from spec_model.mls.reasons import Reason
from spec_model.mls.suites import HPKECiphertext, remember_verifications, suite
from spec_model.mls.treekem import (
    TreeKEMError, UpdatePath, apply_update_path, create_update_path, derive_path_keys, node_key_pair,
)

CS = suite(1)
GROUP_ID = b"treekem test group"


def context(tree_hash: bytes) -> bytes:
    return GroupContext(1, CS.id, GROUP_ID, 7, tree_hash, b"\x00" * 32, ()).encode()


class Group:
    """The public tree and every member's signature key and node private keys."""

    def __init__(self, n: int, rng: random.Random):
        self.rng = rng
        self.signature_keys: dict[int, bytes] = {}
        self.private_keys: dict[int, dict[int, bytes]] = {}
        self.tree: RatchetTree | None = None
        for _ in range(n):
            self.add()

    def add(self) -> int:
        sig_priv, sig_pub = CS.generate_signature_key_pair(self.rng.randbytes)
        enc_priv, enc_pub = CS.derive_key_pair(self.rng.randbytes(32))
        leaf = LeafNode(enc_pub, sig_pub, Credential.basic(sig_pub[:8]), Capabilities(cipher_suites=(1,)),
                        FromKeyPackage(Lifetime(0, 2**64 - 1)), (), b"").signed(CS, sig_priv)
        if self.tree is None:
            self.tree, i = RatchetTree.from_extension_nodes(CS, [leaf]), 0
        else:
            i = self.tree.add_leaf(leaf)
        self.signature_keys[i], self.private_keys[i] = sig_priv, {2 * i: enc_priv}
        return i

    def remove(self, i: int) -> None:
        self.tree.remove_leaf(i)
        del self.signature_keys[i], self.private_keys[i]

    def commit(self, sender: int, excluded: tuple[int, ...] = ()) -> None:
        """``sender`` commits a path; every other old member processes it and agrees."""
        new_tree = self.tree.copy()
        path, mine = create_update_path(CS, new_tree, sender, self.signature_keys[sender], GROUP_ID, context,
                                        excluded=excluded, rng=self.rng.randbytes)
        new_tree.validate(GROUP_ID)
        stale = set(tm.direct_path(2 * sender, new_tree.n_leaves)) | {2 * sender}
        wire = UpdatePath.decode(path.encode())
        for j, keys in self.private_keys.items():
            if j == sender:
                self.private_keys[j] = mine.private_keys
                continue
            if j in excluded:  # a new member learns its path secret from the Welcome (§12.4.3.1)
                ancestor = tm.common_ancestor(2 * sender, 2 * j)
                got = derive_path_keys(CS, new_tree, ancestor, mine.path_secrets[ancestor])
            else:
                theirs = self.tree.copy()
                got = apply_update_path(CS, theirs, sender, wire, GROUP_ID, context, j, keys,
                                        excluded=excluded)
                assert theirs == new_tree and theirs.tree_hash() == new_tree.tree_hash()
            assert got.commit_secret == mine.commit_secret
            self.private_keys[j] = {x: k for x, k in keys.items() if x not in stale} | got.private_keys
        self.tree = new_tree


ops = st.lists(st.tuples(st.sampled_from(["commit", "add", "add_commit", "remove_commit"]),
                         st.integers(0, 99)), min_size=1, max_size=8)


@settings(max_examples=25, deadline=None)
@given(st.integers(2, 12), ops, st.integers(0, 2**32))
def test_random_groups_agree_on_commit_secret(n: int, operations: list[tuple[str, int]], seed: int) -> None:
    group = Group(n, random.Random(seed))
    for op, k in operations:
        members = sorted(group.private_keys)
        sender = members[k % len(members)]
        if op == "add":
            group.add()
        elif op == "add_commit":
            group.commit(sender, excluded=(group.add(), group.add()))
        elif op == "remove_commit" and len(members) > 2:
            group.remove(next(j for j in members if j != sender))
            group.commit(sender)
        else:
            group.commit(sender)
        group.tree.validate(GROUP_ID)


def test_path_of_a_lone_member_is_empty_and_deterministic() -> None:
    group = Group(1, random.Random(1))
    secret = bytes(32)
    first, keys = create_update_path(CS, group.tree.copy(), 0, group.signature_keys[0], GROUP_ID, context,
                                     leaf_secret=secret)
    again, _ = create_update_path(CS, group.tree.copy(), 0, group.signature_keys[0], GROUP_ID, context,
                                  leaf_secret=secret)
    assert first.nodes == () and first == again
    assert first.leaf_node.source == FromCommit(b"")
    assert keys.commit_secret == CS.derive_secret(secret, b"path")


@pytest.fixture
def committed() -> tuple[Group, UpdatePath]:
    group = Group(6, random.Random(2))
    path, _ = create_update_path(CS, group.tree.copy(), 1, group.signature_keys[1], GROUP_ID, context,
                                 rng=group.rng.randbytes)
    return group, path


def expect_rejected(group: Group, path: UpdatePath, reason: Reason, context_for=context) -> None:
    """Leaf 4 processes ``path`` from leaf 1 and rejects it for ``reason``."""
    with pytest.raises(TreeKEMError) as e:
        apply_update_path(CS, group.tree.copy(), 1, path, GROUP_ID, context_for, 4, group.private_keys[4])
    assert e.value.reason == reason


def test_tampered_ciphertext_or_other_context_fails(committed: tuple[Group, UpdatePath]) -> None:
    group, path = committed
    top = path.nodes[-1]  # the root's path secret, encrypted first to leaf 4 (node 8)
    ct, *rest = top.encrypted_path_secret
    bad = HPKECiphertext(ct.kem_output, bytes([ct.ciphertext[0] ^ 1]) + ct.ciphertext[1:])
    tampered = path.replace(nodes=(*path.nodes[:-1], top.replace(encrypted_path_secret=(bad, *rest))))
    expect_rejected(group, tampered, Reason.DECRYPT_FAILED)
    expect_rejected(group, path, Reason.DECRYPT_FAILED, context_for=lambda th: context(th) + b"\x00")


def test_tampered_leaf_and_path_are_rejected(committed: tuple[Group, UpdatePath]) -> None:
    group, path = committed
    leaf = path.leaf_node
    unsigned = leaf.replace(signature=bytes(64))
    expect_rejected(group, path.replace(leaf_node=unsigned), Reason.INVALID_LEAF_NODE)
    resigned = leaf.replace(source=FromCommit(bytes(32))).signed(CS, group.signature_keys[1], GROUP_ID, 1)
    expect_rejected(group, path.replace(leaf_node=resigned), Reason.BAD_PARENT_HASH)
    expect_rejected(group, path.replace(nodes=path.nodes[:-1]), Reason.INVALID_PATH)
    reused = path.nodes[0].replace(encryption_key=group.tree.leaf(0).encryption_key)
    expect_rejected(group, path.replace(nodes=(reused, *path.nodes[1:])), Reason.DUPLICATE_KEY)


@given(st.binary(min_size=32, max_size=32), st.sampled_from([1, 2, 3]))
@settings(max_examples=20, deadline=None)
def test_remembered_node_key_pair_is_the_derived_one(path_secret: bytes, suite_id: int) -> None:
    """§7.4: a node key pair recalled for a path secret equals the pair derived with nothing remembered."""
    cs = suite(suite_id)
    first, again = node_key_pair(cs, path_secret), node_key_pair(cs, path_secret)
    before = remember_verifications(0)
    try:
        derived = cs.derive_key_pair(cs.derive_secret(path_secret, b"node"))
        assert node_key_pair(cs, path_secret) == derived
    finally:
        remember_verifications(before)
    assert first == again == derived and cs.hpke_public_key(derived[0]) == derived[1]
