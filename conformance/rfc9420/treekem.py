"""treekem.json: processing and creating UpdatePaths (RFC 9420 §7.4–§7.6, §12.4.1, §12.4.2)."""

from __future__ import annotations

import random

from spec_model.mls import tree_math as tm
from spec_model.mls.group_context import GroupContext, ProtocolVersion
from spec_model.mls.ratchet_tree import RatchetTree
from spec_model.mls.suites import suite
from spec_model.mls.treekem import UpdatePath, apply_update_path, create_update_path, node_key_pair

from . import expect, h


def private_state(cs, tree: RatchetTree, entry: dict) -> dict[int, bytes]:
    """One member's node index -> private key map, checked against the tree's public keys."""
    i = entry["index"]
    keys = {2 * i: h(entry["encryption_priv"])}
    expect(f"leaves_private[{i}].encryption_priv", tree.leaf(i).encryption_key,
           cs.hpke_public_key(keys[2 * i]))
    for ps in entry["path_secrets"]:
        priv, pub = node_key_pair(cs, h(ps["path_secret"]))
        expect(f"leaves_private[{i}].node[{ps['node']}]", tree.node(ps["node"]).encryption_key, pub)
        keys[ps["node"]] = priv
    return keys


def check(case: dict) -> None:
    cs = suite(case["cipher_suite"])
    group_id = h(case["group_id"])
    tree = RatchetTree.decode(cs, h(case["ratchet_tree"]))
    members = {e["index"]: e for e in case["leaves_private"]}
    keys = {i: private_state(cs, tree, e) for i, e in members.items()}

    def context(tree_hash: bytes) -> bytes:
        """The provisional GroupContext of the vector: its fields, the new tree hash, no extensions."""
        return GroupContext(ProtocolVersion.mls10, case["cipher_suite"], group_id, case["epoch"], tree_hash,
                            h(case["confirmed_transcript_hash"]), ()).encode()

    expect("leaves_private.index", [i for i, _ in tree.members()], sorted(members))
    rng = random.Random(case["epoch"]).randbytes
    for n, entry in enumerate(case["update_paths"]):
        sender, field = entry["sender"], f"update_paths[{n}]"
        path = UpdatePath.decode(h(entry["update_path"]))
        receivers = [j for j in members if j != sender]
        for j in receivers:
            merged = tree.copy()
            got = apply_update_path(cs, merged, sender, path, group_id, context, j, keys[j])
            ancestor = tm.common_ancestor(2 * sender, 2 * j)
            expect(f"{field}.path_secrets[{j}]", entry["path_secrets"][j], got.path_secrets[ancestor])
            expect(f"{field}.commit_secret", entry["commit_secret"], got.commit_secret)
            expect(f"{field}.tree_hash_after", entry["tree_hash_after"], merged.tree_hash())

        mine = tree.copy()
        new_path, new = create_update_path(cs, mine, sender, h(members[sender]["signature_priv"]), group_id,
                                           context, rng=rng)
        wire = UpdatePath.decode(new_path.encode())
        for j in receivers:
            theirs = tree.copy()
            got = apply_update_path(cs, theirs, sender, wire, group_id, context, j, keys[j])
            expect(f"{field}.new_commit_secret[{j}]", new.commit_secret, got.commit_secret)
            expect(f"{field}.new_tree_hash[{j}]", mine.tree_hash(), theirs.tree_hash())
