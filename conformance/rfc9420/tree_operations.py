"""tree-operations.json: an Add, Update or Remove applied to a ratchet tree (RFC 9420 §12.1.1–§12.1.3, §7.7, §7.8).

test-vectors.md "Tree Operations". Question ``tree_operation``: ``{cipher_suite, tree_before, proposal,
proposal_sender}`` (an Add, Update or Remove sent by leaf ``proposal_sender``). Answer: ``tree_hash_before``, and
the tree after applying the proposal: ``tree_after`` (its serialisation) and ``tree_hash_after``.
"""

from __future__ import annotations

from typing import Any

from spec_model.mls.codec import Reader
from spec_model.mls.proposals import PROPOSAL, Add, Update
from spec_model.mls.ratchet_tree import RatchetTree
from spec_model.mls.suites import suite

from . import expect_answer, h


def questions(case: dict) -> list[dict[str, Any]]:
    return [{"ask": "tree_operation", **{k: case[k] for k in ("cipher_suite", "tree_before", "proposal",
                                                             "proposal_sender")}}]


def answer(question: dict[str, Any]) -> dict[str, Any]:
    tree = RatchetTree.decode(suite(question["cipher_suite"]), h(question["tree_before"]))
    before = tree.tree_hash()
    r = Reader(h(question["proposal"]))
    proposal = PROPOSAL.read(r)
    r.finish()
    if isinstance(proposal, Add):
        tree.add_leaf(proposal.key_package.leaf_node)
    elif isinstance(proposal, Update):
        tree.update_leaf(question["proposal_sender"], proposal.leaf_node)
    else:
        tree.remove_leaf(proposal.removed)
    return {"tree_hash_before": before.hex(), "tree_after": tree.encode().hex(), "tree_hash_after": tree.tree_hash().hex()}


def judge(case: dict, question: dict[str, Any], answer: dict[str, Any]) -> None:
    for field in ("tree_hash_before", "tree_after", "tree_hash_after"):
        expect_answer(field, case[field], answer)
