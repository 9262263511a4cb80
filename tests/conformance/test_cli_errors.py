"""What a user sees when the input or the adapter is unusable: one line and an exit code (2 usage, 3 adapter),
and an adapter that crashes or hangs mid-run started again with only the check it was on errored."""

from __future__ import annotations

import shlex
import shutil
import sys
from pathlib import Path

import pytest

from conformance import cli
from conformance.adapter import AdapterUnusable, known_issues, peers
from conformance.adapter.peers import NodePeer

TREE_MATH = ["--include", "rfc9420/tree-math*"]

GREETS_WITH_VERSION_99 = """
import json, sys
request = json.loads(sys.stdin.readline())
print(json.dumps({"jsonrpc": "2.0", "id": request["id"], "result": {
    "protocol_version": 99, "name": "old", "version": "1", "capabilities": {}}}), flush=True)
sys.stdin.read()
"""

BREAKS_ONCE = """
import os, sys, time
from pathlib import Path
from conformance.adapter.jsonrpc import serve
from conformance.adapter.reference import ReferenceAdapter

marker = Path(sys.argv[1])

class BreaksOnce(ReferenceAdapter):
    def call(self, method, params):
        if method == "mls.answer" and not marker.exists():
            marker.write_text("broken once")
            if sys.argv[2] == "crash":
                os._exit(7)
            time.sleep(60)
        return super().call(method, params)

serve(BreaksOnce(), sys.stdin, sys.stdout)
"""


def python(program: str, *args: str) -> str:
    return shlex.join([sys.executable, "-c", program, *args])


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


@pytest.mark.parametrize("command, says", [
    ("no-such-adapter-command", "cannot start adapter no-such-adapter-command: No such file or directory"),
    (python("pass"), "did not answer hello: internal: adapter_exited (stdout closed; exit status 0"),
    (python("print('hello there')"), "did not answer hello: internal: not_json (hello there"),
    (python(GREETS_WITH_VERSION_99), "speaks protocol version 99, the harness 2"),
    (python("import time; time.sleep(30)"), "did not answer hello: internal: adapter_hung (no answer in 1 s)"),
])
def test_an_unusable_adapter_is_one_line_and_exit_3(command, says, capsys):
    assert cli.main(["run", "-q", "--adapter-cmd", command, "--timeout", "1", *TREE_MATH]) == 3
    line = one_line_error(capsys)
    assert line.startswith("xmtp-conformance: error: ") and says in line


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node")
def test_a_node_adapter_without_its_dependencies_is_told_to_install_them(tmp_path, capsys):
    script = tmp_path / "adapter.mjs"
    script.write_text('import "no-such-package-of-this-suite";\n')
    assert cli.main(["run", "-q", "--adapter-cmd", f"node {script}", *TREE_MATH]) == 3
    assert one_line_error(capsys).endswith("its Node dependencies are missing: run npm ci in the adapter's folder")


@pytest.mark.parametrize("argv, says", [
    (["run", "--examples", "-5"], "argument --examples: must be a whole number above 0, not -5"),
    (["run", "--steps", "many"], "argument --steps: not a whole number: 'many'"),
    (["run", "--timeout", "0"], "argument --timeout: must be a number of seconds above 0, not 0"),
    (["run", "--min-run", "2"], "argument --min-run: a fraction between 0 and 1, not '2'"),
    (["smoke", "--skip-file", "no-such.skip"], "no-such.skip: no such file"),
])
def test_bad_option_values_are_usage_errors(argv, says, capsys):
    assert cli.main(argv) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1].endswith(says)


def test_a_scenario_file_with_the_wrong_fields_is_a_usage_error(tmp_path, capsys):
    wrong = tmp_path / "wrong.json"
    wrong.write_text('{"format": "scenario", "cases": [{"id": 1}]}')
    assert cli.main(["run", "--scenario", str(wrong)]) == 2
    assert "error: not a scenario file: " in capsys.readouterr().err


@pytest.mark.parametrize("how, says, timeout", [("crash", "adapter_exited", "60"), ("hang", "adapter_hung", "5")])
def test_an_adapter_that_crashes_or_hangs_is_restarted_and_only_that_check_errors(how, says, timeout, tmp_path,
                                                                                 capsys):
    """The timeout bounds every call, the restarted adapter's hello included: short enough for the hang to be
    seen, long enough for a Python adapter to start on a loaded machine."""
    command = python(BREAKS_ONCE, str(tmp_path / "broken"), how)
    assert cli.main(["run", "-q", "--adapter-cmd", command, "--timeout", timeout, *TREE_MATH]) == 1
    out = capsys.readouterr().out
    assert " 1 errored" in out and " 0 failed" in out
    errored = [line for line in out.splitlines() if says in line]
    assert errored and "restarted, 1 of 5" in errored[0]


def test_smoke_takes_a_skip_file(tmp_path, capsys):
    skips = tmp_path / "known.skip"
    skips.write_text("rfc9420/* # not this time\n")
    assert cli.main(["smoke", "--skip-file", str(skips)]) == 0
    out = capsys.readouterr().out
    assert "skipped  rfc9420/" in out and "passed   rfc9420/" not in out


@pytest.fixture
def libxmtp_peer(tmp_path, monkeypatch) -> NodePeer:
    """A copy of the bundled libxmtp adapter's sources for one version (no node_modules) with the modules it shares,
    and an empty user cache: its package folder lies inside the adapter's folder (``versions/<v>/``)."""
    real = peers.bundled()["libxmtp"]
    copy = NodePeer("libxmtp", tmp_path / "interop" / "libxmtp", real.packages, shared=real.shared)
    for file, content in real.sources().items():
        (copy.folder.parent / file).parent.mkdir(parents=True, exist_ok=True)
        (copy.folder.parent / file).write_bytes(content)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return copy


def test_a_bundled_adapter_runs_from_its_folder_or_the_cache_copy_of_the_same_sources(libxmtp_peer, tmp_path):
    peer = libxmtp_peer
    assert {"jsonrpc.mjs", "libxmtp/adapter.mjs", f"libxmtp/{peer.packages}/bindings.mjs",
            f"libxmtp/{peer.packages}/package-lock.json"} <= set(peer.sources())
    with pytest.raises(AdapterUnusable, match="its Node dependencies are not installed; run: xmtp-conformance "
                                              "peers install libxmtp"):
        peer.script_path()
    cached = tmp_path / "cache" / "xmtp-conformance" / "peers" / "libxmtp"
    shutil.copytree(peer.folder.parent, cached)
    (cached / "libxmtp" / peer.packages / "node_modules").mkdir()
    assert peer.script_path() == cached / "libxmtp" / "adapter.mjs"
    for changed in (f"libxmtp/{peer.packages}/bindings.mjs", "jsonrpc.mjs"):  # the shared module counts too
        original = (cached / changed).read_bytes()
        (cached / changed).write_text("// another version\n")
        with pytest.raises(AdapterUnusable, match="is of another version of the suite"):
            peer.script_path()
        (cached / changed).write_bytes(original)
    (peer.folder / peer.packages / "node_modules").mkdir()
    assert peer.script_path() == peer.folder / "adapter.mjs"


def test_known_issues_names_the_adapters_bundled_skip_file(capsys):
    assert all(path.is_file() for path in known_issues().values())
    assert {"ts-mls", "libxmtp", "libxmtp-1.9.1", "openmls", "mls-rs"} <= set(known_issues())
    assert cli.main(["run", "--known-issues", *TREE_MATH]) == 2
    assert "the adapter reference has no bundled skip file" in capsys.readouterr().err
