"""The 400-member operations of ``test_mls_400.py``, in the model and in every peer, in one run.

Run with ``.venv/bin/pytest benchmarks/test_side_by_side.py --benchmark-enable`` (after the README's test
command, which installs the peers). Once per module, each peer's script runs the same operations (the same
group sizes and shapes, 5 runs each): ts-mls 1.6.4 (``interop/ts-mls/bench.mjs``) and OpenMLS through
core-crypto 10.3.0 (``interop/openmls/bench.mjs``) in cipher suite 3, mls-rs 0.55 (``interop/mls-rs/bench.py``)
in suite 1, the only one its bindings offer. Then each test runs the model's benchmark of that operation
from ``test_mls_400.py`` itself, in suite 1 and in suite 3, and records ``extra_info = {"model_ms": ...,
"peers": {name: median_ms}}`` with the peers of that suite. At the end of the module a table of the medians
and the ratios model/peer is printed.

Differences in shape: the model's add commit carries an UpdatePath (``force_path``); ts-mls's, mls-rs's
and core-crypto's do not (RFC 9420 §12.4 requires none for a commit of Adds only). core-crypto's times
include its transaction and in-memory database; mls-rs's include the Python binding calls.
"""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import test_mls_400 as mls_400
from benchmarks.test_mls_400 import SIZE, added, full_group  # noqa: F401  (fixtures, used by name)
from spec_model.mls.group import CommitMessage, Group, PendingCommit
from spec_model.mls.suites import suite

ROOT = Path(__file__).resolve().parents[1]
INTEROP = ROOT / "interop"
RUNS = 5
PEERS = {
    "ts-mls": (3, ["node", str(INTEROP / "ts-mls" / "bench.mjs")]),
    "openmls": (3, ["node", str(INTEROP / "openmls" / "bench.mjs")]),
    "mls-rs": (1, [sys.executable, str(INTEROP / "mls-rs" / "bench.py")]),
}
"""peer -> (its cipher suite, the command that prints its timings)"""


def _key_packages(bundles, fixtures):
    assert len(bundles) == SIZE - 1
    for b in bundles:
        b.key_package.verify_signature(fixtures["cs"])


def _add_commit(pending, _fixtures):
    assert isinstance(pending, PendingCommit) and len(pending.welcome.body.secrets) == SIZE - 2
    assert pending.next_state.context.epoch == 2 and len(list(pending.next_state.tree.members())) == SIZE


def _processed(epoch: int, proposals: int):
    def check(result, _fixtures):
        assert isinstance(result, CommitMessage) and not result.removed_self
        assert (result.sender, result.epoch, len(result.proposals)) == (0, epoch, proposals)
    return check


def _joined(group, fixtures):
    pending = fixtures["added"][2]
    assert isinstance(group, Group) and group.own_leaf == 7 and len(group.members()) == SIZE
    assert group.epoch_authenticator == pending.next_state.secrets.epoch_authenticator


def _remove_commit(pending, _fixtures):
    assert isinstance(pending, PendingCommit) and pending.staged.path_leaf is not None
    assert pending.next_state.context.epoch == 3 and len(list(pending.next_state.tree.members())) == SIZE - 1


# operation (the name of its test in test_mls_400.py and of its entry in the peers' output) ->
# a check of what the model's operation returned, given the fixtures it used
CHECKS = {
    "generate_399_key_packages": _key_packages,
    "commit_adding_399": _add_commit,
    "process_add_commit": _processed(epoch=2, proposals=SIZE - 2),
    "join_from_welcome": _joined,
    "remove_commit_with_path": _remove_commit,
    "process_remove_commit": _processed(epoch=3, proposals=1),
}


class _Keeping:
    """The ``benchmark`` fixture, keeping what the benchmarked function returned last."""

    def __init__(self, benchmark):
        self.benchmark = benchmark
        self.result = None

    def __call__(self, function, *args, **kwargs):
        self.result = self.benchmark(function, *args, **kwargs)
        return self.result

    def pedantic(self, *args, **kwargs):
        self.result = self.benchmark.pedantic(*args, **kwargs)
        return self.result


@pytest.fixture(scope="module", params=[1, 3], ids=lambda n: f"suite{n}")
def cs(request):
    """The model's cipher suite (overrides ``test_mls_400.py``'s): suite 1 with mls-rs, 3 with the others."""
    return suite(request.param)


@pytest.fixture(scope="module")
def peers(request):
    """Every peer's timings, one run of its script: peer -> (suite, operation -> {median_ms, min_ms, runs})."""
    config = request.config
    if config.getoption("benchmark_disable") and not config.getoption("benchmark_enable"):
        pytest.skip("a side-by-side benchmark: run with --benchmark-enable")
    found = {}
    for name, (cipher_suite, command) in PEERS.items():
        done = subprocess.run([*command, str(RUNS)], cwd=ROOT, capture_output=True, text=True, timeout=1800)
        assert done.returncode == 0, f"{name}: {done.stderr[-2000:]}"
        timings = json.loads(done.stdout)
        for operation in CHECKS:
            assert operation in timings, f"{name} gave no {operation}"
            assert timings[operation]["median_ms"] > 0 and timings[operation]["runs"] == RUNS, timings[operation]
        found[name] = (cipher_suite, timings)
    return found


@pytest.fixture(scope="module")
def table(request):
    """(operation, suite) -> (model median ms, {peer: median ms}); printed when the module is done."""
    rows = {}
    yield rows
    lines = [f"{'operation':<28}{'suite':>6}{'model ms':>10}  peers (median ms, model/peer)"]
    for (operation, cipher_suite), (model, others) in rows.items():
        ratios = "  ".join(f"{name} {ms:.1f} ({model / ms:.2f})" for name, ms in others.items())
        lines.append(f"{operation:<28}{cipher_suite:>6}{model:>10.1f}  {ratios}")
    with request.config.pluginmanager.getplugin("capturemanager").global_and_fixture_disabled():
        print("\n\n" + "\n".join(lines))


@pytest.mark.parametrize("operation", list(CHECKS))
def test_side_by_side(operation, cs, benchmark, peers, table, request):
    model_benchmark = getattr(mls_400, f"test_{operation}")
    fixtures = {name: request.getfixturevalue(name)
                for name in inspect.signature(model_benchmark).parameters if name != "benchmark"}
    keeping = _Keeping(benchmark)
    model_benchmark(keeping, **fixtures)
    CHECKS[operation](keeping.result, {**fixtures, "cs": cs})

    model_ms = benchmark.stats.stats.median * 1000
    others = {name: timings[operation]["median_ms"] for name, (cipher_suite, timings) in peers.items()
              if cipher_suite == cs.id}
    benchmark.extra_info.update({"model_ms": model_ms, "peers": others})
    table[(operation, cs.id)] = (model_ms, others)
