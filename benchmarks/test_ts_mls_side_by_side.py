"""The 400-member operations of ``test_mls_400.py``, in the model and in ts-mls 1.6.4, in one run.

Run with ``.venv/bin/pytest benchmarks/test_ts_mls_side_by_side.py --benchmark-enable``
(Node 20 and ``npm ci`` in ``interop/ts-mls``). Once per module, ``interop/ts-mls/bench.mjs`` runs
the same operations with ts-mls (cipher suite 3, the same group sizes and shapes, 5 runs each);
then each test runs the model's benchmark of that operation from ``test_mls_400.py`` itself and
records ts-mls's median and the ratio model/ts-mls in ``extra_info``. At the end of the module a
table of the medians and ratios is printed.

One difference in shape: the model's add commit carries an UpdatePath (``force_path``), ts-mls's
does not (RFC 9420 §12.4 requires none for a commit of Adds only, and ts-mls has no option for one).
"""

from __future__ import annotations

import inspect
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from benchmarks import test_mls_400 as mls_400
from benchmarks.test_mls_400 import CS, SIZE, added, full_group  # noqa: F401  (fixtures, used by name)
from spec_model.mls.group import CommitMessage, Group, PendingCommit

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "interop" / "ts-mls" / "bench.mjs"
RUNS = 5


def _key_packages(bundles, _fixtures):
    assert len(bundles) == SIZE - 1
    for b in bundles:
        b.key_package.verify_signature(CS)


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


# operation (the name of its test in test_mls_400.py and of its entry in bench.mjs's output) ->
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


@pytest.fixture(scope="module")
def ts_mls(request):
    """ts-mls's timings, one ``bench.mjs`` run: operation -> {median_ms, min_ms, runs}."""
    config = request.config
    if config.getoption("benchmark_disable") and not config.getoption("benchmark_enable"):
        pytest.skip("a side-by-side benchmark: run with --benchmark-enable")
    if shutil.which("node") is None or not (BENCH.parent / "node_modules" / "ts-mls").is_dir():
        pytest.skip("needs Node and `npm ci` in interop/ts-mls")
    done = subprocess.run(["node", str(BENCH), str(RUNS)], cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stderr
    timings = json.loads(done.stdout)
    for operation in CHECKS:
        assert operation in timings, f"bench.mjs gave no {operation}"
        assert timings[operation]["median_ms"] > 0 and timings[operation]["runs"] == RUNS, timings[operation]
    return timings


@pytest.fixture(scope="module")
def table(request):
    """operation -> (model median ms, ts-mls median ms); printed when the module is done."""
    rows = {}
    yield rows
    lines = [f"{'operation':<28}{'model median ms':>17}{'ts-mls median ms':>18}{'model/ts-mls':>14}"]
    lines += [f"{op:<28}{model:>17.1f}{ts:>18.1f}{model / ts:>14.2f}" for op, (model, ts) in rows.items()]
    with request.config.pluginmanager.getplugin("capturemanager").global_and_fixture_disabled():
        print("\n\n" + "\n".join(lines))


@pytest.mark.parametrize("operation", list(CHECKS))
def test_side_by_side(operation, benchmark, ts_mls, table, request):
    model_benchmark = getattr(mls_400, f"test_{operation}")
    fixtures = {name: request.getfixturevalue(name)
                for name in inspect.signature(model_benchmark).parameters if name != "benchmark"}
    keeping = _Keeping(benchmark)
    model_benchmark(keeping, **fixtures)
    CHECKS[operation](keeping.result, fixtures)

    model_ms = benchmark.stats.stats.median * 1000
    ts_ms = ts_mls[operation]["median_ms"]
    benchmark.extra_info["ts_mls_median_ms"] = ts_ms
    benchmark.extra_info["ratio_model_over_ts_mls"] = model_ms / ts_ms
    table[operation] = (model_ms, ts_ms)
