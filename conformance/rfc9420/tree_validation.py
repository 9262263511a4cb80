"""tree-validation.json: resolutions (RFC 9420 §4.1.1), tree hashes (§7.8), parent hashes (§7.9.2)
and leaf signatures (§7.3), as a joiner checks a tree (§12.4.3.1).

test-vectors.md "Tree Validation". Question ``tree_validation``: ``{cipher_suite, group_id, tree}``. Answer:
``valid`` (every leaf's signature verifies with ``group_id`` and its leaf index as context, and every non-blank
parent node is parent-hash valid), and ``resolutions`` and ``tree_hashes``: for every node, its resolution (a list
of node indices) and its tree hash. The control asks the same of the tree with the last member's leaf signature
tampered: ``valid`` must be false.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from spec_model.mls.ratchet_tree import RatchetTree
from spec_model.mls.suites import suite

from . import expect, expect_answer, got, h, refused, tampered


def _with_tampered_signature(cs, data: bytes) -> bytes:
    """The tree with its last member's leaf signature tampered (everything else as it was)."""
    tree = RatchetTree.decode(cs, data)
    i, leaf = list(tree.members())[-1]
    tree.set_leaf(i, dataclasses.replace(leaf, signature=tampered(leaf.signature)))
    return tree.encode()


def questions(case: dict) -> list[dict[str, Any]]:
    asked = {"ask": "tree_validation", "cipher_suite": case["cipher_suite"], "group_id": case["group_id"]}
    return [{**asked, "tree": case["tree"]},
            {**asked, "tree": _with_tampered_signature(suite(case["cipher_suite"]), h(case["tree"])).hex()}]


def answer(question: dict[str, Any]) -> dict[str, Any]:
    cs = suite(question["cipher_suite"])
    group_id = h(question["group_id"])
    tree = RatchetTree.decode(cs, h(question["tree"]))
    width = 2 * tree.n_leaves - 1
    try:
        for i, leaf in tree.members():
            leaf.verify(cs, group_id, i)
        tree.validate(group_id)
    except Exception:  # noqa: BLE001 -- any refusal of the tree is "not valid"
        valid = False
    else:
        valid = True
    return {"valid": valid, "resolutions": [tree.resolution(x) for x in range(width)],
            "tree_hashes": [tree.tree_hash(x).hex() for x in range(width)]}


def judge(case: dict, question: dict[str, Any], answer: dict[str, Any]) -> None:
    if question["tree"] != case["tree"]:
        return refused("tree with a tampered leaf signature", answer)
    expect_answer("valid", True, answer)
    for field in ("resolutions", "tree_hashes"):
        values = got(answer, field)
        expect(f"{field}.length", len(case[field]), len(values) if isinstance(values, list) else values)
        for x, expected in enumerate(case[field]):
            expect(f"{field}[{x}]", expected, values[x])
