"""tree-operations.json: an Add, Update or Remove applied to a ratchet tree (RFC 9420 §12.1.1–§12.1.3, §7.7, §7.8).

test-vectors.md "Tree Operations": the tree hash of ``tree_before`` is
``tree_hash_before``; applying ``proposal`` (an Add, Update or Remove) sent
by leaf ``proposal_sender`` gives a tree that serialises to ``tree_after``
and whose tree hash is ``tree_hash_after``.
"""

from __future__ import annotations

from spec_model.mls.codec import Reader
from spec_model.mls.proposals import PROPOSAL, Add, Remove, Update
from spec_model.mls.ratchet_tree import RatchetTree
from spec_model.mls.suites import suite

from . import at, expect, h


def check(case: dict) -> None:
    with at("tree_before.decode"):
        tree = RatchetTree.decode(suite(case["cipher_suite"]), h(case["tree_before"]))
    expect("tree_hash_before", case["tree_hash_before"], tree.tree_hash())

    with at("proposal.decode"):
        r = Reader(h(case["proposal"]))
        proposal = PROPOSAL.read(r)
        r.finish()
    expect("proposal.type", True, isinstance(proposal, (Add, Update, Remove)))
    with at(f"proposal.apply ({type(proposal).__name__})"):
        if isinstance(proposal, Add):
            tree.add_leaf(proposal.key_package.leaf_node)
        elif isinstance(proposal, Update):
            tree.update_leaf(case["proposal_sender"], proposal.leaf_node)
        else:
            tree.remove_leaf(proposal.removed)

    expect("tree_after", case["tree_after"], tree.encode())
    expect("tree_hash_after", case["tree_hash_after"], tree.tree_hash())
