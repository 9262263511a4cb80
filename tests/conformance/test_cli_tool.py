"""The command line as a tool: ``--version``, ``list``, ``compare``, and the reports people read."""

from __future__ import annotations

import datetime
import json
import re
import sys

from conformance import cli
from conformance.runner import RunOptions, collect
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
    assert report["harness"] == harness_version() and report["version"] == 3


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
