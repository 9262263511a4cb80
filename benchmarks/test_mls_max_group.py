"""RFC 9420 operations at XMTP's largest group, cipher suite 3, each beside its cryptographic floor measured in
the same process.

The largest group is ``MAX_LEAVES`` = 4000 leaves (``spec_model/mls/ratchet_tree.py``: the seed's 400
members x libxmtp's ``MAX_INSTALLATIONS_PER_INBOX`` of 10); the model refuses a longer tree. Run with
``.venv/bin/pytest benchmarks/test_mls_max_group.py --benchmark-enable`` (about 2 minutes). The floor of
an operation is what its public-key cryptography alone costs: the operation runs once untimed with the
suite's ``encrypt_with_label`` (HPKE seals), ``decrypt_with_label`` (opens), ``sign_with_label``,
``verify_with_label`` and ``derive_key_pair`` counted, and each count is multiplied by that primitive's
unit cost, timed here on inputs of the sizes MLS uses (32-byte secrets, 1 KiB signed content). Hashing,
symmetric key schedule work and encoding are left out, so the floor is a lower bound. Each benchmark
records ``extra_info = {"floor_ms", "counts", "over_floor"}``; the target (issue 19) is ``over_floor`` <= 2.
"""

from __future__ import annotations

import copy
import time
from contextlib import contextmanager

import pytest

from benchmarks import groups
from spec_model.mls.proposals import Add, Remove
from spec_model.mls.ratchet_tree import MAX_LEAVES
from spec_model.mls.suites import CipherSuite, suite
from tests.mls.members import join

CS = suite(3)
INSTALLATIONS = 10
SIZE = MAX_LEAVES
REMOVED = SIZE // 2
PRIMITIVES = ("encrypt_with_label", "decrypt_with_label", "sign_with_label", "verify_with_label", "derive_key_pair")


@contextmanager
def counting(counts: dict[str, int]):
    """Count the calls of the suite's public-key primitives while the block runs."""
    originals = {name: getattr(CipherSuite, name) for name in PRIMITIVES}

    def counted(name):
        def call(self, *args, **kwargs):
            counts[name] += 1
            return originals[name](self, *args, **kwargs)
        return call

    for name in PRIMITIVES:
        setattr(CipherSuite, name, counted(name))
    try:
        yield counts
    finally:
        for name, original in originals.items():
            setattr(CipherSuite, name, original)


@pytest.fixture(scope="module")
def unit_ms() -> dict[str, float]:
    """Each primitive's cost in ms, the median of 200 calls on MLS-sized inputs."""
    signature_priv, signature_pub = CS.generate_signature_key_pair()
    hpke_priv, hpke_pub = CS.derive_key_pair(b"\1" * 32)
    secret, content = b"\2" * 32, b"\3" * 1024
    ciphertext = CS.encrypt_with_label(hpke_pub, b"UpdatePathNode", content[:64], secret)
    signature = CS.sign_with_label(signature_priv, b"FramedContentTBS", content)
    calls = {
        "encrypt_with_label": lambda: CS.encrypt_with_label(hpke_pub, b"UpdatePathNode", content[:64], secret),
        "decrypt_with_label": lambda: CS.decrypt_with_label(hpke_priv, b"UpdatePathNode", content[:64], ciphertext),
        "sign_with_label": lambda: CS.sign_with_label(signature_priv, b"FramedContentTBS", content),
        "verify_with_label": lambda: CS.verify_with_label(signature_pub, b"FramedContentTBS", content, signature),
        "derive_key_pair": lambda: CS.derive_key_pair(secret),
    }
    units = {}
    for name, call in calls.items():
        times = []
        for _ in range(200):
            start = time.perf_counter()
            call()
            times.append(time.perf_counter() - start)
        units[name] = sorted(times)[len(times) // 2] * 1000
    return units


@pytest.fixture(scope="module")
def added():
    """Two installations; the first commits adding all the others (a full tree)."""
    return groups.added(CS, SIZE, lambda i: f"member{i // INSTALLATIONS}/installation{i % INSTALLATIONS}")


@pytest.fixture(scope="module")
def full_group(added):
    return groups.full_group(added, joiner=5)


def _measure(benchmark, unit_ms, operation, setup, check):
    """Benchmark ``operation(*setup())`` (3 rounds), check its result, and record its floor beside it."""
    counts = dict.fromkeys(PRIMITIVES, 0)
    with counting(counts):
        check(operation(*setup()))
    result = benchmark.pedantic(operation, setup=lambda: (setup(), {}), rounds=3)
    check(result)
    floor = sum(counts[name] * unit_ms[name] for name in PRIMITIVES)
    median = benchmark.stats.stats.median * 1000
    benchmark.extra_info.update(floor_ms=floor, counts=counts, unit_ms=unit_ms, over_floor=median / floor)


def test_commit_adding_all(benchmark, unit_ms, added):
    (first, _), bundles, _ = added
    proposals = tuple(Add(b.key_package) for b in bundles)

    def check(pending):
        assert len(pending.welcome.body.secrets) == SIZE - 2 and pending.next_state.context.epoch == 2

    _measure(benchmark, unit_ms, lambda group: group.commit(proposals), lambda: (copy.deepcopy(first),), check)


def test_process_add_commit(benchmark, unit_ms, added):
    (_, second), _, pending = added

    def check(result):
        assert (result.epoch, len(result.proposals)) == (2, SIZE - 2)

    _measure(benchmark, unit_ms, lambda group: group.process(pending.message), lambda: (copy.deepcopy(second),),
             check)


def test_join_from_welcome(benchmark, unit_ms, added):
    _, bundles, pending = added

    def check(group):
        assert group.epoch_authenticator == pending.next_state.secrets.epoch_authenticator

    _measure(benchmark, unit_ms, lambda: join(pending.welcome, bundles[5]), lambda: (), check)


def test_remove_commit_with_path(benchmark, unit_ms, full_group):
    first, _, _ = full_group

    def check(pending):
        assert pending.staged.path_leaf is not None and len(list(pending.next_state.tree.members())) == SIZE - 1

    _measure(benchmark, unit_ms, lambda group: group.commit((Remove(REMOVED),)), lambda: (copy.deepcopy(first),),
             check)


def test_process_remove_commit(benchmark, unit_ms, full_group):
    first, second, _ = full_group
    pending = copy.deepcopy(first).commit((Remove(REMOVED),))

    def check(result):
        assert (result.epoch, len(result.proposals)) == (3, 1)

    _measure(benchmark, unit_ms, lambda group: group.process(pending.message), lambda: (copy.deepcopy(second),),
             check)


def test_group_state_size(benchmark, full_group):
    """The memory a member's state takes (a deep copy of a joined member, traced); target 20 MB at 4000 leaves."""
    groups.state_size(benchmark, full_group[2])
