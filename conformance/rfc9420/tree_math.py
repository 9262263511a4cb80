"""tree-math.json: the array-based tree arithmetic of RFC 9420 §4.1 and Appendix C.

test-vectors.md "Tree Math": for a tree of ``n_leaves`` leaves, ``n_nodes``,
``root``, and ``left``, ``right``, ``parent`` and ``sibling`` of every node
(``null`` where undefined: a leaf's children, the root's parent and sibling).
"""

from __future__ import annotations

from typing import Callable

from spec_model.mls import tree_math as tm

from . import expect


def _or_none(f: Callable[[int], int], x: int) -> int | None:
    """``f(x)``, or ``None`` where the vector leaves it undefined (leaf children, root parent)."""
    try:
        return f(x)
    except ValueError:
        return None


def check(case: dict) -> None:
    n = case["n_leaves"]
    expect("n_nodes", case["n_nodes"], tm.node_width(n))
    expect("root", case["root"], tm.root(n))
    relations = {
        "left": tm.left,
        "right": tm.right,
        "parent": lambda x: tm.parent(x, n),
        "sibling": lambda x: tm.sibling(x, n),
    }
    for field, f in relations.items():
        expect(f"{field}.length", case["n_nodes"], len(case[field]))
        for x, expected in enumerate(case[field]):
            expect(f"{field}[{x}]", expected, _or_none(f, x))
