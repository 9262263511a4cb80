"""treekem.json: processing and creating UpdatePaths (RFC 9420 §7.4–§7.6, §7.9, §12.4.1, §12.4.2).

test-vectors.md "TreeKEM". The GroupContext used for an UpdatePath has the
case's cipher suite, group id, epoch and confirmed transcript hash, no
extensions, and the tree hash of ``ratchet_tree`` with that path merged.

Question ``treekem``: ``{cipher_suite, group_id, epoch, confirmed_transcript_hash,
ratchet_tree, leaves_private, update_paths: [{sender, update_path}]}``
(``leaves_private``: every non-blank leaf's ``index``, ``encryption_priv``,
``signature_priv`` and ``path_secrets`` of the nodes it holds). Answer:

* ``update_paths``: for each given path, sent by leaf ``i``,
  ``tree_hash_after`` (the path merged into ``ratchet_tree``; the merged tree
  must be parent-hash valid), and for every leaf ``j``, ``path_secrets[j]``
  (the path secret ``j`` decrypts, at the lowest common ancestor of ``i`` and
  ``j``) and ``commit_secrets[j]`` (the commit secret ``j`` derives); both
  ``null`` for ``i`` and for blank leaves;
* ``new_update_paths``: for each given path's sender, a fresh UpdatePath it
  makes from ``ratchet_tree`` with its ``signature_priv`` (``update_path``),
  its new ``commit_secret`` and its ``tree_hash_after``. The harness processes
  it as every other member, with the model: each must derive that commit
  secret and tree hash.
"""

from __future__ import annotations

import random
from typing import Any

from spec_model.mls import tree_math as tm
from spec_model.mls.group_context import GroupContext, ProtocolVersion
from spec_model.mls.ratchet_tree import RatchetTree
from spec_model.mls.suites import suite
from spec_model.mls.treekem import UpdatePath, apply_update_path, create_update_path, node_key_pair

from . import answer_bytes, at, expect, expect_answer, h


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


def _context(q: dict[str, Any]):
    """The provisional GroupContext of the case for a tree hash: its fields, no extensions."""
    def encoded(tree_hash: bytes) -> bytes:
        return GroupContext(ProtocolVersion.mls10, q["cipher_suite"], h(q["group_id"]), q["epoch"], tree_hash,
                            h(q["confirmed_transcript_hash"]), ()).encode()
    return encoded


def questions(case: dict) -> list[dict[str, Any]]:
    return [{"ask": "treekem", **{k: case[k] for k in ("cipher_suite", "group_id", "epoch",
                                                       "confirmed_transcript_hash", "ratchet_tree", "leaves_private")},
             "update_paths": [{"sender": e["sender"], "update_path": e["update_path"]} for e in case["update_paths"]]}]


def answer(q: dict[str, Any]) -> dict[str, Any]:
    cs, group_id, context = suite(q["cipher_suite"]), h(q["group_id"]), _context(q)
    tree = RatchetTree.decode(cs, h(q["ratchet_tree"]))
    members = {e["index"]: e for e in q["leaves_private"]}
    keys = {i: private_state(cs, tree, e) for i, e in members.items()}
    paths, new_paths = [], []
    for entry in q["update_paths"]:
        sender, path = entry["sender"], UpdatePath.decode(h(entry["update_path"]))
        merged = tree.copy()
        merged.merge_path(sender, [node.encryption_key for node in path.nodes])
        merged.set_leaf(sender, path.leaf_node)
        merged.validate(group_id)
        path_secrets: list[str | None] = [None] * tree.n_leaves
        commit_secrets: list[str | None] = [None] * tree.n_leaves
        for j in members:
            if j != sender:
                got_ = apply_update_path(cs, tree.copy(), sender, path, group_id, context, j, keys[j])
                path_secrets[j] = got_.path_secrets[tm.common_ancestor(2 * sender, 2 * j)].hex()
                commit_secrets[j] = got_.commit_secret.hex()
        paths.append({"tree_hash_after": merged.tree_hash().hex(), "path_secrets": path_secrets,
                      "commit_secrets": commit_secrets})
        mine = tree.copy()
        new_path, new = create_update_path(cs, mine, sender, h(members[sender]["signature_priv"]), group_id, context,
                                           rng=random.Random(q["epoch"] * 1000 + sender).randbytes)
        new_paths.append({"sender": sender, "update_path": new_path.encode().hex(),
                          "commit_secret": new.commit_secret.hex(), "tree_hash_after": mine.tree_hash().hex()})
    return {"update_paths": paths, "new_update_paths": new_paths}


def judge(case: dict, q: dict[str, Any], answer: dict[str, Any]) -> None:
    cs, group_id, context = suite(case["cipher_suite"]), h(case["group_id"]), _context(q)
    tree = RatchetTree.decode(cs, h(case["ratchet_tree"]))
    members = {e["index"]: e for e in case["leaves_private"]}
    for n, entry in enumerate(case["update_paths"]):
        where = f"update_paths[{n}]"
        expect_answer(f"{where}.tree_hash_after", entry["tree_hash_after"], answer)
        for j in range(tree.n_leaves):
            in_path = j in members and j != entry["sender"]
            expect_answer(f"{where}.path_secrets[{j}]", entry["path_secrets"][j] if in_path else None, answer)
            expect_answer(f"{where}.commit_secrets[{j}]", entry["commit_secret"] if in_path else None, answer)
        sender, fresh = entry["sender"], f"new_update_paths[{n}]"
        expect_answer(f"{fresh}.sender", sender, answer)
        wire = answer_bytes(f"{fresh}.update_path", answer)
        claimed = answer_bytes(f"{fresh}.commit_secret", answer)
        claimed_hash = answer_bytes(f"{fresh}.tree_hash_after", answer)
        with at(f"{fresh}.update_path.decode"):
            path = UpdatePath.decode(wire)
        for j in members:
            if j == sender:
                continue
            theirs = tree.copy()
            with at(f"{fresh} processed as leaf {j} (by the harness, with the model)"):
                keys = private_state(cs, tree, members[j])
                processed = apply_update_path(cs, theirs, sender, path, group_id, context, j, keys)
            expect(f"{fresh}.commit_secret (leaf {j})", claimed, processed.commit_secret)
            expect(f"{fresh}.tree_hash_after (leaf {j})", claimed_hash, theirs.tree_hash())
