"""The example adapter in JavaScript (examples/node-adapter): the real runner against it, over JSON lines.

The project requires Node 20, so a missing ``node`` fails these tests rather than skipping them.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from conformance import cli
from conformance.adapter import AdapterError, ErrorKind, connect
from conformance.runner import RunOptions, Status, collect, execute
from conformance.runner.report import render_failures

ROOT = Path(__file__).resolve().parents[2]
ADAPTER = ROOT / "examples" / "node-adapter" / "adapter.mjs"
VECTORS = ROOT / "vectors" / "xmtp"


@pytest.fixture(scope="module")
def node() -> str:
    found = shutil.which("node")
    assert found, "node is not on PATH: the project requires Node 20 or later"
    version = subprocess.run([found, "--version"], capture_output=True, text=True, check=True).stdout
    assert int(re.match(r"v(\d+)", version)[1]) >= 20, f"the project requires Node 20 or later, found {version}"
    return found


@pytest.fixture(scope="module")
def command(node: str) -> str:
    return shlex.join([node, str(ADAPTER)])


@pytest.fixture(scope="module")
def session(command: str):
    session = connect(command=command)
    yield session
    session.close()


def _run(session, include: list[str]):
    options = RunOptions(include=include)
    report, _ = execute(session, collect(options), options, None)
    return report


def test_hello_declares_only_the_two_vector_families(session):
    assert session.hello.protocol_version == 2 and session.hello.name == "example-node-adapter"
    assert session.hello.capabilities == {"xmtp.vectors": {"families": ["inbox_id", "metadata_limits"]}}


@pytest.mark.parametrize("family", ["inbox_id", "metadata_limits"])
def test_every_case_of_its_families_passes(session, family):
    report = _run(session, [f"xmtp/{family}::*"])
    expected = len(json.loads((VECTORS / f"{family}.json").read_text())["cases"])
    assert [(c.id, c.status, c.message) for c in report.checks if c.status is not Status.PASSED] == []
    assert report.totals.passed == expected > 0
    # nonce 2**64 - 1 and the i64 extremes survive the trip through JavaScript's JSON
    big = "xmtp/inbox_id::large_nonce" if family == "inbox_id" else "xmtp/metadata_limits::disappearing_i64_extremes"
    assert any(c.id == big for c in report.checks)


def test_checks_of_undeclared_capabilities_are_skipped_with_the_reason(session):
    expected = {
        "rfc9420/tree-math": "the adapter does not declare mls.vectors and the adapter does not declare mls.self_verify",
        "rfc9180/": "the adapter does not declare hpke",
        "rfc9420/passive-client-welcome": "the adapter does not declare mls",
        "interop/suite1": "the adapter does not declare mls",
        "xmtp/scenarios": "the adapter does not declare clients",
        "differential/clients": "the adapter does not declare clients",
        "xmtp/permissions": "the adapter's xmtp.vectors families do not include 'permissions'",
    }
    report = _run(session, [f"{prefix}*" for prefix in expected])
    seen = {prefix: {(c.status, c.message) for c in report.checks if c.id.startswith(prefix)} for prefix in expected}
    assert seen == {prefix: {(Status.SKIPPED, message)} for prefix, message in expected.items()}
    assert report.totals.skipped == len(report.checks)
    # the summary printed by ``run`` lists them by reason
    assert "the adapter does not declare clients" in render_failures(report)


def test_an_unknown_method_is_an_unsupported_error(session):
    with pytest.raises(AdapterError) as refused:
        session.adapter.call("mls.state", {"member": "alice"})
    assert (refused.value.kind, refused.value.reason) == (ErrorKind.UNSUPPORTED, "unknown_method")
    with pytest.raises(AdapterError) as refused:
        session.adapter.call("xmtp.answer", {"family": "permissions", "question": {"ask": "decide", "inputs": {}}})
    assert (refused.value.kind, refused.value.reason) == (ErrorKind.UNSUPPORTED, "unknown_family")
    assert session.ask("reset") == {}  # and the adapter still answers


def test_the_adapter_exits_when_stdin_closes(node):
    process = subprocess.run([node, str(ADAPTER)], input='{"jsonrpc":"2.0","id":"h1","method":"reset","params":{}}\n',
                             capture_output=True, text=True, timeout=10)
    assert process.returncode == 0, process.stderr
    assert json.loads(process.stdout) == {"jsonrpc": "2.0", "id": "h1", "result": {}}


def test_smoke_exits_0(command, capsys):
    assert cli.main(["smoke", "--adapter-cmd", command]) == 0
    out = capsys.readouterr().out
    assert "passed   xmtp/inbox_id::" in out and "passed   xmtp/metadata_limits::" in out
