"""What a joiner checks of a Welcome's tree (spec_model/mls/joining.py, RFC 9420 §12.4.3.1), and its memory of trees
that passed."""

from __future__ import annotations

import pytest

from spec_model.mls import joining
from spec_model.mls.codec import DecodeError
from spec_model.mls.group import GroupConfig
from spec_model.mls.proposals import Add
from spec_model.mls.ratchet_tree import RatchetTree
from spec_model.mls.suites import remember_verifications, suite

from .members import bundle, founder, join

CS = suite(1)


@pytest.fixture
def checked_trees(monkeypatch):
    """The GroupInfos whose tree ``verified_tree`` checked (rather than remembered)."""
    checked, check = [], joining._checked_tree
    monkeypatch.setattr(joining, "_checked_tree", lambda cs, info, *rest: checked.append(info) or check(cs, info, *rest))
    return checked


def _welcome(n: int):
    first = founder(CS)
    bundles = [bundle(CS, f"m{i}") for i in range(1, n)]
    pending = first.commit(tuple(Add(b.key_package) for b in bundles))
    first.merge_pending_commit()
    return first, pending.welcome, bundles


def test_members_joining_from_one_welcome_check_its_tree_once_and_get_their_own_copy(checked_trees):
    first, welcome, bundles = _welcome(4)
    groups = [join(welcome, b) for b in bundles]
    assert len(checked_trees) == 1
    assert all(g.tree == first.tree for g in groups) and len({id(g.tree) for g in groups}) == len(groups)
    _, other, others = _welcome(3)  # another GroupInfo: checked anew
    join(other, others[0])
    assert len(checked_trees) == 2


def test_without_the_memory_every_joiner_checks_the_tree(checked_trees):
    before = remember_verifications(0)
    try:
        _, welcome, bundles = _welcome(3)
        for b in bundles:
            join(welcome, b)
    finally:
        remember_verifications(before)
    assert len(checked_trees) == 2


def test_a_tree_sent_encoded_is_decoded_only_when_the_group_info_lacks_these_bytes(monkeypatch):
    first, welcome, bundles = _welcome(3)
    decoded, decode = [], RatchetTree.decode
    monkeypatch.setattr(RatchetTree, "decode", lambda cs, data: decoded.append(data) or decode(cs, data))
    assert join(welcome, bundles[0], ratchet_tree=first.tree.encode()).tree == first.tree
    assert decoded == []  # the GroupInfo's extension holds the same bytes: that tree, checked, is the one joined
    with pytest.raises(DecodeError):  # other bytes are decoded, as a tree sent apart always was
        join(welcome, bundles[1], ratchet_tree=first.tree.encode()[:-1])
    without = founder(CS, config=GroupConfig(use_ratchet_tree_extension=False))
    pending = without.commit((Add(bundles[1].key_package),))
    without.merge_pending_commit()
    assert join(pending.welcome, bundles[1], ratchet_tree=without.tree.encode()).tree == without.tree
    assert decoded[-1] == without.tree.encode()
