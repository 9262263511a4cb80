"""RFC 9420 Appendix C tree math: structural properties and rejected inputs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spec_model.mls.tree_math import (
    common_ancestor, copath, direct_path, is_leaf, leaf_to_node, left, level, node_to_leaf,
    node_width, parent, right, root, sibling,
)


@st.composite
def tree_and_node(draw: st.DrawFn) -> tuple[int, int]:
    """A tree size (a power of two, up to 2^40 leaves) and one of its nodes."""
    n = 1 << draw(st.integers(0, 40))
    return n, draw(st.integers(0, node_width(n) - 1))


@st.composite
def tree_and_non_root(draw: st.DrawFn) -> tuple[int, int]:
    n = 1 << draw(st.integers(1, 40))
    return n, draw(st.integers(0, node_width(n) - 1).filter(lambda x: x != root(n)))


def test_eight_leaf_tree() -> None:
    """The tree pictured in RFC 9420 Appendix C."""
    assert node_width(8) == 15 and root(8) == 7
    assert [level(x) for x in range(15)] == [0, 1, 0, 2, 0, 1, 0, 3, 0, 1, 0, 2, 0, 1, 0]
    assert direct_path(4, 8) == [5, 3, 7]
    assert copath(4, 8) == [6, 1, 11]
    assert direct_path(7, 8) == copath(7, 8) == []
    assert common_ancestor(2, 12) == 7 and common_ancestor(8, 10) == 9


@given(st.integers(0, 40))
def test_root_level(d: int) -> None:
    n = 1 << d
    assert level(root(n)) == (n - 1).bit_length()  # ceil(log2 n)
    assert node_width(n) == 2 * root(n) + 1


@given(tree_and_node())
def test_children_return_to_parent(tn: tuple[int, int]) -> None:
    n, x = tn
    if is_leaf(x):
        return
    l, r = left(x), right(x)
    assert l < x < r
    assert level(l) == level(r) == level(x) - 1
    assert parent(l, n) == parent(r, n) == x
    assert sibling(l, n) == r and sibling(r, n) == l


@given(tree_and_non_root())
def test_sibling_is_symmetric(tn: tuple[int, int]) -> None:
    n, x = tn
    s = sibling(x, n)
    assert s != x and sibling(s, n) == x
    assert parent(s, n) == parent(x, n)
    assert x in (left(parent(x, n)), right(parent(x, n)))


@given(tree_and_node())
def test_direct_path_and_copath(tn: tuple[int, int]) -> None:
    n, x = tn
    path = direct_path(x, n)
    below_root = [x, *path][:-1]
    assert [parent(y, n) for y in below_root] == path
    assert [x, *path][-1] == root(n)
    assert len(path) == level(root(n)) - level(x)
    cop = copath(x, n)
    assert len(cop) == len(path)
    assert cop == [sibling(y, n) for y in below_root]


@given(tree_and_node(), st.data())
def test_common_ancestor(tn: tuple[int, int], data: st.DataObject) -> None:
    n, a = tn
    b = data.draw(st.integers(0, node_width(n) - 1))
    c = common_ancestor(a, b)
    assert c == common_ancestor(b, a)
    on_a, on_b = [a, *direct_path(a, n)], [b, *direct_path(b, n)]
    assert c in on_a and c in on_b
    assert min(set(on_a) & set(on_b), key=level) == c


@given(st.integers(0, 2**40))
def test_leaf_node_round_trip(i: int) -> None:
    x = leaf_to_node(i)
    assert is_leaf(x) and level(x) == 0 and node_to_leaf(x) == i


@pytest.mark.parametrize("call", [
    lambda: left(4),
    lambda: right(0),
    lambda: parent(3, 4),  # the root
    lambda: sibling(7, 8),  # the root
    lambda: parent(7, 4),  # outside the tree
    lambda: direct_path(15, 8),
    lambda: copath(-1, 8),
    lambda: node_width(0),
    lambda: root(3),  # not a power of two
    lambda: parent(0, 6),
    lambda: level(-2),
    lambda: node_to_leaf(3),
    lambda: leaf_to_node(-1),
])
def test_invalid_input_raises(call) -> None:
    with pytest.raises(ValueError):
        call()
