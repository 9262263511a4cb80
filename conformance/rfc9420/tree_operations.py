"""tree-operations.json: an Add, Update or Remove applied to a ratchet tree (RFC 9420 §12.1.1–§12.1.3)."""

from __future__ import annotations

from spec_model.mls.codec import Reader
from spec_model.mls.proposals import PROPOSAL, Add, Remove, Update
from spec_model.mls.ratchet_tree import RatchetTree
from spec_model.mls.suites import suite

from . import expect, h


def check(case: dict) -> None:
    tree = RatchetTree.decode(suite(case["cipher_suite"]), h(case["tree_before"]))
    expect("tree_hash_before", case["tree_hash_before"], tree.tree_hash())

    r = Reader(h(case["proposal"]))
    proposal = PROPOSAL.read(r)
    r.finish()
    if isinstance(proposal, Add):
        tree.add_leaf(proposal.key_package.leaf_node)
    elif isinstance(proposal, Update):
        tree.update_leaf(case["proposal_sender"], proposal.leaf_node)
    elif isinstance(proposal, Remove):
        tree.remove_leaf(proposal.removed)
    else:
        raise AssertionError(f"unexpected proposal {type(proposal).__name__}")

    expect("tree_after", case["tree_after"], tree.encode())
    expect("tree_hash_after", case["tree_hash_after"], tree.tree_hash())
