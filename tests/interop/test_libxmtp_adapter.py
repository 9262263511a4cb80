"""The libxmtp adapter (interop/libxmtp): real libxmtp, each pinned version (the newest nightly that loads
here, and 1.9.1), driven through the runner, over XMTP's gRPC API served from the delivery-service model.

Needs node and each version's packages (``npm ci --prefix interop/libxmtp/versions/<version>``); without
them these tests fail, they do not skip. Each version's KNOWN_DIFFERENCES.md explains every check in its
skip file.
"""

from __future__ import annotations

import fnmatch
import json
import os
import shutil
import signal
import time
from pathlib import Path

import pytest

from conformance import cli
from conformance.adapter import AdapterError, connect
from interop.adapters import LIBXMTP_VERSIONS
from conformance.runner import RunOptions, collect
from conformance.runner.checks import SkipList, Status
from conformance.runner.run import run_checks

VERSIONS = Path(__file__).resolve().parents[2] / "interop" / "libxmtp" / "versions"


def skip_file(adapter: str) -> Path:
    return VERSIONS / LIBXMTP_VERSIONS[adapter] / "known-differences.skip"


@pytest.fixture(scope="module", params=list(LIBXMTP_VERSIONS))
def libxmtp(request):
    folder = VERSIONS / LIBXMTP_VERSIONS[request.param]
    if shutil.which("node") is None:
        pytest.fail("node is not on PATH: the libxmtp adapter runs under node (see interop/libxmtp/README.md)")
    if not (folder / "node_modules" / "@xmtp" / "node-bindings" / "package.json").is_file():
        pytest.fail(f"the libxmtp adapter's packages are not installed: run `npm ci --prefix {folder}`")
    session = connect(request.param)
    yield session
    session.close()


def test_hello(libxmtp):
    assert (libxmtp.hello.name, libxmtp.hello.version) == ("libxmtp", LIBXMTP_VERSIONS[libxmtp.label])
    assert libxmtp.hello.capabilities == {"clients": {"profiles": ["libxmtp"]}}


def test_the_suite_passes_but_for_the_known_differences(libxmtp, tmp_path):
    report = tmp_path / "libxmtp.json"
    # two differential runs here (about 3 s); `run --known-issues` makes the 20 of 25 steps
    assert cli.main(["run", "-q", "--adapter", libxmtp.label, "--skip-file", str(skip_file(libxmtp.label)),
                     "--examples", "2", "--report-json", str(report)]) == 0
    data = json.loads(report.read_text())
    assert LIBXMTP_VERSIONS[libxmtp.label] in json.dumps(data)
    passed = {c["id"] for c in data["checks"] if c["status"] == "passed"}
    assert all(i.startswith(("xmtp/scenarios::libxmtp/", "wire/", "differential/")) for i in passed)
    assert "differential/clients" in passed
    # the refusals of libxmtp's own commits have the class libxmtp logged (D22 before 2026-12-06)
    assert {f"xmtp/scenarios::libxmtp/{name}" for name in ("admins_only_preset", "super_admin_protected",
            "permission_update_by_super_admin", "message_expiry_settings_need_permission")} <= passed
    # D23: libxmtp's clock follows the harness's 30 days (interop/libxmtp/README.md "The harness's clock")
    assert "xmtp/scenarios::libxmtp/key_package_rotated_every_30_days" in passed
    unsupported = {c["id"] for c in data["checks"] if c["status"] == "skipped" and "unsupported" in c["message"]}
    assert len({i for i in unsupported if "message_deletion" in i}) == 4  # XIP-76 deletion (no skip file line)
    # U3: a commit changing a policy the bindings cannot show (docs/adapters.md "Group state")
    assert {"wire/group_context_extensions::permissions_and_any_composition",
            "wire/permissions::libxmtp/decode/empty_metadata_map"} <= unsupported
    # the scenarios less those of the skip file (KNOWN_DIFFERENCES.md), and history sync with 1.9.1 (unsupported)
    assert len([i for i in passed if i.startswith("xmtp/")]) >= 12
    history = "xmtp/scenarios::libxmtp/history_sync_to_new_installation"
    assert (history in passed) == (libxmtp.label != "libxmtp-1.9.1")  # U1: only 1.9.1 binds no manual device sync
    assert len([i for i in passed if i.startswith("wire/")]) >= 200  # 232 on 2026-12-06


def _known(adapter: str) -> list[tuple[str, str]]:
    """The checks ``adapter``'s skip file names."""
    return [(pattern, reason) for pattern, reason, _ in SkipList.read(skip_file(adapter)).entries
            if pattern.startswith(("xmtp/", "wire/"))]


@pytest.mark.parametrize("adapter", [adapter for adapter in LIBXMTP_VERSIONS if _known(adapter)])
def test_each_known_difference_still_shows(adapter):
    """When libxmtp (or the model) changes so that a line's checks pass, the line goes. A glob (several checks
    skipped for one reason) still shows while any check it names fails; an ``unsupported`` entry must still be
    answered ``unsupported`` (skipped), for each check its pattern names. Every line's checks run in one session;
    a version whose skip file names no check has none to run (an empty selection would run every check)."""
    known = _known(adapter)
    session = connect(adapter)
    try:
        results = run_checks(session, collect(RunOptions(include=[pattern for pattern, _ in known])))
    finally:
        session.close()
    stale = []
    for pattern, reason in known:
        named = [r for r in results if fnmatch.fnmatchcase(r.check.id, pattern)]
        failing = [r for r in named if r.status in (Status.FAILED, Status.ERRORED)]
        if "unsupported" in reason:
            if not named or any(r.status is not Status.SKIPPED for r in named):
                stale.append(f"{pattern} is no longer unsupported")
        elif not named or not (failing if len(named) > 1 else len(failing) == 1):
            stale.append(f"{pattern} now passes")
    assert not stale, f"remove from {skip_file(adapter)}: " + "; ".join(stale)


def test_a_crashed_libxmtp_host_ends_the_adapter_and_a_restart_brings_it_back():
    """adapter.mjs relays to host.mjs (libxmtp); when the host dies the relay ends, so the harness sees the adapter
    gone (stdout closed) and its restart starts both again."""
    running = set(_children(os.getpid()))
    session = connect("libxmtp")
    try:
        relay, = [pid for pid in set(_children(os.getpid())) - running if "libxmtp/adapter.mjs" in _command(pid)]
        host, = _children(relay)
        assert "libxmtp/host.mjs" in _command(host)
        os.kill(host, signal.SIGKILL)
        with pytest.raises(AdapterError) as gone:
            session.ask("reset")
        assert gone.value.reason == "adapter_exited"
        session.restart()
        assert session.hello.name == "libxmtp"
    finally:
        session.close()


def _children(pid: int) -> list[int]:
    return [int(c) for task in Path(f"/proc/{pid}/task").iterdir() for c in (task / "children").read_text().split()]


def _command(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def test_a_libxmtp_host_ahead_of_the_wall_clock_is_replaced_at_reset():
    """libxmtp's clock follows the harness's when it is ahead of the wall clock and never goes back, so the
    relay starts a new host for a new delivery service (whose clock starts again) once the host's clock went
    ahead (README "The harness's clock"); a host that stayed on the wall clock is kept."""
    running = set(_children(os.getpid()))
    session = connect("libxmtp")
    try:
        relay, = [pid for pid in set(_children(os.getpid())) - running if "libxmtp/adapter.mjs" in _command(pid)]
        host, = _children(relay)
        session.fresh_network()
        assert _children(relay) == [host]  # the harness's clock (2025) is behind the wall clock
        session.network.clock.advance(time.time_ns() - session.network.clock.now_ns() + 86400 * 10**9)
        session.ask("reset")  # the host's clock moves a day ahead
        session.fresh_network()
        assert len([pid for pid in _children(relay) if pid != host]) == 1  # the new host
        deadline = time.monotonic() + 10  # the old one ends once it has released its clients
        while host in _children(relay) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert host not in _children(relay)
    finally:
        session.close()
