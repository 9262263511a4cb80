"""tree-validation.json: resolutions (RFC 9420 §4.1.1), tree hashes (§7.8) and tree validation (§12.4.3.1)."""

from __future__ import annotations

from spec_model.mls.ratchet_tree import RatchetTree
from spec_model.mls.suites import suite

from . import expect, h


def check(case: dict) -> None:
    tree = RatchetTree.decode(suite(case["cipher_suite"]), h(case["tree"]))
    expect("n_nodes", len(case["tree_hashes"]), 2 * tree.n_leaves - 1)
    for x, expected in enumerate(case["resolutions"]):
        expect(f"resolutions[{x}]", expected, tree.resolution(x))
    for x, expected in enumerate(case["tree_hashes"]):
        expect(f"tree_hashes[{x}]", expected, tree.tree_hash(x))
    tree.validate(h(case["group_id"]))
