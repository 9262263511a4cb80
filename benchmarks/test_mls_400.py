"""RFC 9420 operations at XMTP's maximum group size (400 members), cipher suite 3 (the ``cs`` fixture).

Run with ``.venv/bin/pytest benchmarks --benchmark-enable``. Targets (issue 2):
0.3x of ts-mls 1.6.4 on this machine: key packages 310 ms, add-399 commit
300 ms, processing it 150 ms, joining 120 ms, remove commit 230 ms; the state
of a 400-member group under 10 MB.
"""

from __future__ import annotations

import copy

import pytest

from benchmarks import groups
from spec_model.mls.proposals import Add, Remove
from spec_model.mls.suites import suite
from tests.mls.members import bundle, join

SIZE = 400


@pytest.fixture(scope="module")
def cs():
    """The cipher suite of the benchmarks (``test_side_by_side.py`` runs them in suites 1 and 3)."""
    return suite(3)


@pytest.fixture(scope="module")
def added(cs):
    """Two members; the first commits adding 398 more (a 400-member group)."""
    return groups.added(cs, SIZE)


@pytest.fixture(scope="module")
def full_group(added):
    return groups.full_group(added)


def test_generate_399_key_packages(benchmark, cs):
    benchmark(lambda: [bundle(cs, f"m{i}") for i in range(1, SIZE)])


def test_commit_adding_399(benchmark, added):
    (first, _), bundles, _ = added
    proposals = tuple(Add(b.key_package) for b in bundles)
    benchmark.pedantic(lambda group: group.commit(proposals), setup=lambda: ((copy.deepcopy(first),), {}),
                       rounds=5)


def test_process_add_commit(benchmark, added):
    (_, second), _, pending = added
    benchmark.pedantic(lambda group: group.process(pending.message), setup=lambda: ((copy.deepcopy(second),), {}),
                       rounds=5)


def test_join_from_welcome(benchmark, added):
    _, bundles, pending = added
    benchmark.pedantic(lambda: join(pending.welcome, bundles[5]), rounds=5)


def test_remove_commit_with_path(benchmark, full_group):
    first, _, _ = full_group
    benchmark.pedantic(lambda group: group.commit((Remove(200),)), setup=lambda: ((copy.deepcopy(first),), {}),
                       rounds=5)


def test_process_remove_commit(benchmark, full_group):
    first, second, _ = full_group
    pending = copy.deepcopy(first).commit((Remove(200),))
    benchmark.pedantic(lambda group: group.process(pending.message), setup=lambda: ((copy.deepcopy(second),), {}),
                       rounds=5)


def test_protect_application_message(benchmark, full_group):
    _, second, _ = full_group
    benchmark(lambda: second.send_application(b"x" * 100))


def test_unprotect_application_message(benchmark, full_group):
    first, _, third = full_group
    messages = iter([third.send_application(b"x" * 100) for _ in range(200)])
    benchmark.pedantic(lambda: first.process(next(messages)), rounds=200)


def test_group_state_size(benchmark, full_group):
    """The memory a 400-member member's state takes (a deep copy of a joined member, traced)."""
    size = groups.state_size(benchmark, full_group[2])
    assert size < 10 * 1024 * 1024, f"a 400-member group state takes {size} bytes"
