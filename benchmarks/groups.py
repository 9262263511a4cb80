"""The groups the MLS benchmarks start from (``test_mls_400.py``, ``test_mls_max_group.py``), built the same way
at any size, deterministically."""

from __future__ import annotations

import copy
import tracemalloc
from typing import Callable

from spec_model.mls.group import Group, PendingCommit
from spec_model.mls.key_package import KeyPackageBundle
from spec_model.mls.proposals import Add
from spec_model.mls.suites import CipherSuite
from tests.mls.members import bundle, group_of, join, seeded_rng

Added = tuple[tuple[Group, Group], list[KeyPackageBundle], PendingCommit]


def added(cs: CipherSuite, size: int, name: Callable[[int], str] = lambda i: f"m{i}") -> Added:
    """Two members, as they were before the first commits adding ``size - 2`` more (member ``i`` named
    ``name(i)``); the new members' bundles; the commit, not merged."""
    rng = seeded_rng(size)
    first, second = group_of(cs, 2, rng=rng)
    bundles = [bundle(cs, name(i), rng) for i in range(2, size)]
    before = copy.deepcopy((first, second))
    pending = first.commit(tuple(Add(b.key_package) for b in bundles), rng=rng)
    return before, bundles, pending


def full_group(start: Added, joiner: int = 0) -> tuple[Group, Group, Group]:
    """After the commit of ``added``: the committer, the other member, and new member ``joiner`` (from the
    Welcome)."""
    (first, second), bundles, pending = start
    first, second = copy.deepcopy((first, second))
    first.pending_commit = pending
    first.merge_pending_commit()
    second.process(pending.message)
    return first, second, join(pending.welcome, bundles[joiner])


def state_size(benchmark, group: Group) -> int:
    """The memory a member's state takes: a deep copy of ``group``, traced; recorded as ``state_bytes``."""
    def measure():
        tracemalloc.start()
        copied = copy.deepcopy(group)
        size, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return copied, size

    _, size = benchmark.pedantic(measure, rounds=1)
    benchmark.extra_info["state_bytes"] = size
    return size
