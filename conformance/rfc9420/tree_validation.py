"""tree-validation.json: resolutions (RFC 9420 §4.1.1), tree hashes (§7.8), parent hashes (§7.9.2)
and leaf signatures (§7.3), as a joiner checks a tree (§12.4.3.1).

test-vectors.md "Tree Validation": the resolution of every node ``i`` is
``resolutions[i]``; the tree hash of every node ``i`` is ``tree_hashes[i]``;
every leaf's signature verifies with ``group_id`` and its leaf index as
context; every non-blank parent node is parent-hash valid. The last two are
part of ``RatchetTree.validate``, which also checks what else a joiner checks
of a tree's shape (unmerged leaves, unique keys).
"""

from __future__ import annotations

from spec_model.mls.ratchet_tree import RatchetTree
from spec_model.mls.suites import suite

from . import at, expect, h


def check(case: dict) -> None:
    cs = suite(case["cipher_suite"])
    group_id = h(case["group_id"])
    with at("tree.decode"):
        tree = RatchetTree.decode(cs, h(case["tree"]))
    n_nodes = 2 * tree.n_leaves - 1
    expect("resolutions.length", n_nodes, len(case["resolutions"]))
    expect("tree_hashes.length", n_nodes, len(case["tree_hashes"]))
    for x, expected in enumerate(case["resolutions"]):
        expect(f"resolutions[{x}]", expected, tree.resolution(x))
    for x, expected in enumerate(case["tree_hashes"]):
        expect(f"tree_hashes[{x}]", expected, tree.tree_hash(x))
    for i, leaf in tree.members():
        with at(f"leaf[{i}].signature"):
            leaf.verify(cs, group_id, i)
    with at("tree.validate (parent hashes)"):
        tree.validate(group_id)
