"""treekem.json: processing and creating UpdatePaths (RFC 9420 §7.4–§7.6, §7.9, §12.4.1, §12.4.2).

test-vectors.md "TreeKEM". The GroupContext used for an UpdatePath has the
case's cipher suite, group id, epoch and confirmed transcript hash, no
extensions, and the tree hash of ``ratchet_tree`` with that path merged.

* Every ``leaves_private`` entry gives a member's private state: its
  ``encryption_priv`` and ``signature_priv`` match its leaf, and every node it
  holds a path secret for is non-blank and carries the derived public key.
  The entries cover exactly the tree's non-blank leaves.
* For every ``update_paths`` entry, sent by leaf ``i``:
  * merging the path into ``ratchet_tree`` gives the parent hash the path's
    leaf carries (the path is parent-hash valid), a tree whose root hash is
    ``tree_hash_after``, and a tree that is parent-hash valid throughout;
  * every other non-blank leaf ``j`` processes the path with its private
    state, decrypts ``path_secrets[j]`` (at the lowest common ancestor of
    ``i`` and ``j``) and derives ``commit_secret``; ``path_secrets[j]`` is
    ``null`` for ``i`` and for blank leaves;
  * a fresh UpdatePath made by leaf ``i`` from ``ratchet_tree`` with its
    ``signature_priv`` is processed by every other non-blank leaf ``j`` to
    the committer's new commit secret (and the same new tree).
"""

from __future__ import annotations

import random

from spec_model.mls import tree_math as tm
from spec_model.mls.group_context import GroupContext, ProtocolVersion
from spec_model.mls.ratchet_tree import RatchetTree
from spec_model.mls.suites import suite
from spec_model.mls.treekem import UpdatePath, apply_update_path, create_update_path, node_key_pair

from . import at, expect, h


def private_state(cs, tree: RatchetTree, entry: dict) -> dict[int, bytes]:
    """One member's node index -> private key map, checked against the tree's public keys."""
    i = entry["index"]
    where = f"leaves_private[{i}]"
    leaf = tree.leaf(i)
    expect(f"{where}.leaf is not blank", True, leaf is not None)
    keys = {2 * i: h(entry["encryption_priv"])}
    expect(f"{where}.encryption_priv", leaf.encryption_key, cs.hpke_public_key(keys[2 * i]))
    expect(f"{where}.signature_priv", leaf.signature_key, cs.signature_public_key(h(entry["signature_priv"])))
    for ps in entry["path_secrets"]:
        x = ps["node"]
        node = tree.node(x)
        expect(f"{where}.node[{x}] is not blank", True, node is not None)
        priv, pub = node_key_pair(cs, h(ps["path_secret"]))
        expect(f"{where}.node[{x}].encryption_key", node.encryption_key, pub)
        keys[x] = priv
    return keys


def check(case: dict) -> None:
    cs = suite(case["cipher_suite"])
    group_id = h(case["group_id"])
    with at("ratchet_tree.decode"):
        tree = RatchetTree.decode(cs, h(case["ratchet_tree"]))
    members = {e["index"]: e for e in case["leaves_private"]}
    expect("leaves_private.index", [i for i, _ in tree.members()], sorted(members))
    keys = {i: private_state(cs, tree, e) for i, e in members.items()}

    def context(tree_hash: bytes) -> bytes:
        """The provisional GroupContext of the vector: its fields, the new tree hash, no extensions."""
        return GroupContext(ProtocolVersion.mls10, case["cipher_suite"], group_id, case["epoch"], tree_hash,
                            h(case["confirmed_transcript_hash"]), ()).encode()

    rng = random.Random(case["epoch"]).randbytes
    for n, entry in enumerate(case["update_paths"]):
        sender, field = entry["sender"], f"update_paths[{n}]"
        with at(f"{field}.update_path.decode"):
            path = UpdatePath.decode(h(entry["update_path"]))
        receivers = [j for j in members if j != sender]

        # the path merged into the public tree, without any private state
        merged = tree.copy()
        with at(f"{field}.merge"):
            parent_hash = merged.merge_path(sender, [node.encryption_key for node in path.nodes])
            merged.set_leaf(sender, path.leaf_node)
        expect(f"{field}.leaf_node.parent_hash", getattr(path.leaf_node.source, "parent_hash", None), parent_hash)
        expect(f"{field}.tree_hash_after", entry["tree_hash_after"], merged.tree_hash())
        with at(f"{field}.merged tree is parent-hash valid"):
            merged.validate(group_id)

        for j, secret in enumerate(entry["path_secrets"]):
            if j not in receivers:
                expect(f"{field}.path_secrets[{j}]", None, secret)
        for j in receivers:
            theirs = tree.copy()
            with at(f"{field}.process as leaf {j}"):
                got = apply_update_path(cs, theirs, sender, path, group_id, context, j, keys[j])
            ancestor = tm.common_ancestor(2 * sender, 2 * j)
            expect(f"{field}.path_secrets[{j}]", entry["path_secrets"][j], got.path_secrets[ancestor])
            expect(f"{field}.commit_secret (leaf {j})", entry["commit_secret"], got.commit_secret)
            expect(f"{field}.tree_hash_after (leaf {j})", entry["tree_hash_after"], theirs.tree_hash())

        mine = tree.copy()
        with at(f"{field}.create new UpdatePath"):
            new_path, new = create_update_path(cs, mine, sender, h(members[sender]["signature_priv"]), group_id,
                                               context, rng=rng)
            wire = UpdatePath.decode(new_path.encode())
        for j in receivers:
            theirs = tree.copy()
            with at(f"{field}.new UpdatePath processed as leaf {j}"):
                got = apply_update_path(cs, theirs, sender, wire, group_id, context, j, keys[j])
            expect(f"{field}.new_commit_secret (leaf {j})", new.commit_secret, got.commit_secret)
            expect(f"{field}.new_tree_hash (leaf {j})", mine.tree_hash(), theirs.tree_hash())
