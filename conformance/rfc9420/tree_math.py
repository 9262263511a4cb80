"""tree-math.json: the array-based tree arithmetic of RFC 9420 §4.1 and Appendix C.

test-vectors.md "Tree Math". Question ``tree-math``: ``{n_leaves}``. Answer: ``n_nodes``, ``root``, and
``left``, ``right``, ``parent`` and ``sibling`` of every node (``null`` where undefined: a leaf's children,
the root's parent and sibling), each a list of ``n_nodes`` entries.
"""

from __future__ import annotations

from typing import Any, Callable

from spec_model.mls import tree_math as tm

from . import expect, expect_answer, got

RELATIONS = ("left", "right", "parent", "sibling")


def _or_none(f: Callable[[int], int], x: int) -> int | None:
    """``f(x)``, or ``None`` where the vector leaves it undefined (leaf children, root parent)."""
    try:
        return f(x)
    except ValueError:
        return None


def questions(case: dict) -> list[dict[str, Any]]:
    return [{"ask": "tree-math", "n_leaves": case["n_leaves"]}]


def answer(question: dict[str, Any]) -> dict[str, Any]:
    n = question["n_leaves"]
    width = tm.node_width(n)
    relations = {"left": tm.left, "right": tm.right, "parent": lambda x: tm.parent(x, n),
                 "sibling": lambda x: tm.sibling(x, n)}
    return {"n_nodes": width, "root": tm.root(n),
            **{name: [_or_none(f, x) for x in range(width)] for name, f in relations.items()}}


def judge(case: dict, question: dict[str, Any], answer: dict[str, Any]) -> None:
    expect_answer("n_nodes", case["n_nodes"], answer)
    expect_answer("root", case["root"], answer)
    for field in RELATIONS:
        values = got(answer, field)
        expect(f"{field}.length", case["n_nodes"], len(values) if isinstance(values, list) else values)
        for x, expected in enumerate(case[field]):
            expect(f"{field}[{x}]", expected, values[x])
