"""The command line as a tool: ``--version``, ``list``, ``compare``, and the reports people read."""

from __future__ import annotations

import datetime
import json
import re
import shutil
import subprocess
import sys
import threading

import pytest

from conformance import cli, completion
from conformance.adapter import ADAPTERS
from conformance.runner import RunOptions, collect, parallel
from conformance.runner.report import harness_version

TREE_MATH = ["--include", "rfc9420/tree-math*"]


def test_version(capsys):
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"xmtp-conformance {harness_version()}"


def test_list_prints_the_ids_a_run_selects_with_area_and_rule(capsys):
    assert cli.main(["list", *TREE_MATH]) == 0
    lines = capsys.readouterr().out.splitlines()
    checks = collect(RunOptions(include=["rfc9420/tree-math*"]))
    assert [line.split()[0] for line in lines] == [c.id for c in checks]
    assert all(c.area in line and c.rule in line for c, line in zip(checks, lines))
    assert cli.main(["list", "--include", "no-such-check"]) == 2


def run_report(tmp_path, name: str) -> dict:
    path = tmp_path / name
    assert cli.main(["run", "-q", *TREE_MATH, "--report-json", str(path), "--html", str(tmp_path / "r.html")]) == 0
    return json.loads(path.read_text())


def test_the_json_report_says_when_and_with_which_harness(tmp_path):
    report = run_report(tmp_path, "r.json")
    started = datetime.datetime.fromisoformat(report["started"])
    assert abs(datetime.datetime.now(datetime.UTC) - started) < datetime.timedelta(minutes=5)
    assert report["harness"] == harness_version() and report["version"] == 4


def test_compare_lists_regressions_and_fixes_and_fails_on_a_regression(tmp_path, capsys):
    old = run_report(tmp_path, "old.json")
    new = json.loads(json.dumps(old))
    new["checks"][0]["status"] = "failed"
    (tmp_path / "new.json").write_text(json.dumps(new))
    capsys.readouterr()
    assert cli.main(["compare", str(tmp_path / "old.json"), str(tmp_path / "new.json")]) == 1
    out = capsys.readouterr().out
    assert f"regressions (1):\n  passed -> failed  {old['checks'][0]['id']}\nfixes (0):" in out
    assert cli.main(["compare", str(tmp_path / "new.json"), str(tmp_path / "old.json")]) == 0
    assert f"fixes (1):\n  failed -> passed  {old['checks'][0]['id']}" in capsys.readouterr().out
    (tmp_path / "not-a-report.json").write_text("{}")
    assert cli.main(["compare", str(tmp_path / "old.json"), str(tmp_path / "not-a-report.json")]) == 2


def test_the_html_report_puts_failures_first_and_folds_skips_by_reason(tmp_path):
    skips = tmp_path / "some.skip"
    skips.write_text("rfc9420/tree-math[[]1] # one reason\nrfc9420/tree-math[[]2] # another\n"
                     "rfc9420/tree-math[[]3] # another\n")
    assert cli.main(["run", "-q", *TREE_MATH, "--skip-file", str(skips), "--html", str(tmp_path / "r.html")]) == 0
    page = (tmp_path / "r.html").read_text()
    assert page.index("Failed and errored (0)") < page.index("Self-reported") < page.index("Skipped (3), by reason")
    assert re.search(r"<summary>2 skipped: skip file: another</summary>.*<summary>1 skipped: skip file: one reason",
                     page, re.S)
    assert "filterRows" in page and "harness xmtp-conformance" in page and "started 20" in page


def test_jobs_spread_the_checks_and_report_them_in_run_order(tmp_path):
    """Over two workers, each with its own adapter process (a mutant, so some checks fail), the report is the
    one-worker report: the same checks, in the same order, with the same statuses."""
    adapter = f"{sys.executable} -m conformance.adapter.serve --mutant tree_hash_node_index"
    argv = ["run", "-q", "--adapter-cmd", adapter, "--include", "rfc9420/tree-operations*", *TREE_MATH]
    reports = []
    for jobs in ("1", "2"):
        assert cli.main([*argv, "-j", jobs, "--report-json", str(tmp_path / f"{jobs}.json")]) == 1
        reports.append(json.loads((tmp_path / f"{jobs}.json").read_text()))
    one, two = ([(c["id"], c["status"], c["message"]) for c in r["checks"]] for r in reports)
    assert one == two and {"passed", "failed"} <= {status for _, status, _ in one}
    assert cli.main([*argv, "-j", "2", "--fail-fast"]) == 2


def test_in_process_jobs_are_forked_and_keep_the_skip_file(tmp_path):
    """The in-process adapter's workers are forked: they inherit the collected checks and the skip file read, and
    report in run order; a harness running other threads starts its workers fresh instead."""
    alone = sys.platform == "linux" and threading.active_count() == 1
    assert parallel.start_method() == ("fork" if alone else "spawn")
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert parallel.start_method() == "spawn"
    finally:
        stop.set()
        other.join()
    skips = tmp_path / "some.skip"
    skips.write_text("rfc9420/tree-math[[]1] # a reason\n")
    assert cli.main(["run", "-q", *TREE_MATH, "--skip-file", str(skips), "-j", "2",
                     "--report-json", str(tmp_path / "r.json")]) == 0
    ran = [(c["id"], c["status"], c["message"]) for c in json.loads((tmp_path / "r.json").read_text())["checks"]]
    assert ran == [(f"rfc9420/tree-math[{i}]", *(("skipped", "skip file: a reason") if i == 1 else ("passed", "")))
                   for i in range(len(ran))] and len(ran) >= 2


def _bash_completes(script: str, *words: str) -> list[str]:
    """What the bash completion offers for the command line ``words`` (the last one being typed)."""
    line = " ".join(f"'{w}'" for w in ("xmtp-conformance", *words))
    program = f'{script}\nCOMP_WORDS=({line}); COMP_CWORD={len(words)}; _xmtp_conformance; echo "${{COMPREPLY[@]}}"'
    done = subprocess.run(["bash", "-c", program], capture_output=True, text=True, check=True)
    return done.stdout.split()


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_completion_offers_the_parsers_commands_options_and_adapters(capsys):
    assert cli.main(["completion", "bash"]) == 0
    script = capsys.readouterr().out
    assert {"run", "list", "vectors", "completion"} <= set(_bash_completes(script, ""))
    assert _bash_completes(script, "vectors", "") == ["verify", "generate", "schema", "--help"]
    assert _bash_completes(script, "run", "--ad") == ["--adapter", "--adapter-cmd"]
    assert set(_bash_completes(script, "run", "--adapter", "")) == set(ADAPTERS)
    assert _bash_completes(script, "completion", "f") == ["fish"]


def test_zsh_and_fish_scripts_name_every_command():
    parser = cli.build_parser()
    for shell in ("zsh", "fish"):
        text = completion.script(shell, parser, sorted(ADAPTERS))
        assert all(name in text for name in ("run", "list", "peers", "mutants", "skip-file", "reference"))
    assert cli.main(["completion", "tcsh"]) == 2


def test_output_into_a_closed_pipe_is_not_a_traceback():
    listing = subprocess.Popen([sys.executable, "-m", "conformance.cli", "list"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    listing.stdout.readline()
    listing.stdout.close()  # like `| head -1`
    assert listing.wait(timeout=120) == 141
    assert listing.stderr.read() == b""
