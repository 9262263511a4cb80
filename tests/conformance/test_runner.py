"""The runner: selection, skips, verdicts, reports, the CLI, the differential state machine and the pytest plugin,
against the reference adapter and against adapters broken on purpose."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree

import jsonschema
import pytest

from conformance import cli
from conformance.adapter import AdapterError, ErrorKind, Session, connect
from conformance.adapter.reference import ReferenceAdapter
from conformance.runner import RunOptions, collect, execute, scenario_file_checks
from conformance.runner.checks import Need, SkipList, Status, missing
from conformance.runner.differential import Differential, DifferentialOptions, run_differential
from conformance.runner.report import html_page, junit_xml
from conformance.vectors import SCHEMA_DIR

pytest_plugins = ["pytester"]


class WrongInboxIds(ReferenceAdapter):
    """Answers every inbox-id question with a wrong inbox id."""

    def _xmtp_answer(self, p):
        answer = super()._xmtp_answer(p)
        if p["family"] == "inbox_id" and answer["answer"].get("outputs"):
            answer["answer"]["outputs"]["inbox_id"] = "00" * 32
        return answer


class NoAdmins(ReferenceAdapter):
    """Refuses every add_admin: a client-level bug only the scenarios and the state machine see."""

    def _clients_group(self, p):
        if p["method"] == "add_admin":
            raise AdapterError(ErrorKind.REJECTED, "no_admins_here")
        return super()._clients_group(p)


class OnlyVectors(ReferenceAdapter):
    """Declares only xmtp.vectors for inbox_id."""

    def hello(self, link):
        hello = super().hello(link)
        hello.capabilities = {"xmtp.vectors": {"families": ["inbox_id"]}}
        return hello


def _run(adapter, include):
    session = Session(adapter, type(adapter).__name__)
    try:
        options = RunOptions(include=include)
        return execute(session, collect(options), options, None)
    finally:
        session.close()


def test_selection_by_include_and_exclude():
    ids = [c.id for c in collect(RunOptions(include=["xmtp/inbox_id::*"], exclude=["*random*"]))]
    assert ids and all(i.startswith("xmtp/inbox_id::") and "random" not in i for i in ids)


def test_a_wrong_answer_fails_with_rule_expected_actual_and_reproducer():
    report, _ = _run(WrongInboxIds(), ["xmtp/inbox_id::*"])
    failed = [c for c in report.checks if c.status is Status.FAILED]
    # every check fails: a case the adapter refuses correctly is asked beside a valid control, whose inbox id is wrong
    assert len(failed) == len(report.checks) > 0
    first = failed[0]
    assert first.expected != first.actual and first.actual == "00" * 32
    assert "XIP-46" in first.rule and first.reproducer.startswith("vectors/xmtp/inbox_id.json")
    refused_right = [c for c in failed if "(controls: " in c.reproducer and c.id.split("::")[1] not in c.message]
    assert refused_right, "an invalid case fails on its control, named in the reproducer"


class SelfVerifying(ReferenceAdapter):
    """Declares only mls.self_verify for tree-math, and says every case passes except those with 1 leaf."""

    def hello(self, link):
        hello = super().hello(link)
        hello.capabilities = {"mls.self_verify": {"formats": ["tree-math"], "cipher_suites": []}}
        return hello

    def _mls_self_verify(self, p):
        return {"passed": p["case"]["n_leaves"] != 1, "detail": "own verdict"}


def test_an_adapters_own_verdict_is_self_reported_never_passed():
    report, _ = _run(SelfVerifying(), ["rfc9420/tree-math*"])
    statuses = {c.status for c in report.checks}
    assert statuses == {Status.SELF_REPORTED, Status.FAILED}
    assert report.totals.passed == 0 and report.totals.self_reported == len(report.checks) - 1


class Unsupported(ReferenceAdapter):
    """Declares tree-math but answers it unsupported; refuses every HPKE question."""

    def _mls_answer(self, p):
        raise AdapterError(ErrorKind.UNSUPPORTED, "no_tree_math", "not in this SDK's API")

    def _hpke_answer(self, p):
        raise AdapterError(ErrorKind.REJECTED, "nope")


def test_unsupported_is_a_skip_and_a_refusal_where_an_answer_is_needed_is_a_failure():
    report, _ = _run(Unsupported(), ["rfc9420/tree-math*", "rfc9180/*"])
    by_id = {c.id.split("/")[0]: c for c in report.checks}
    assert by_id["rfc9420"].status is Status.SKIPPED and "no_tree_math" in by_id["rfc9420"].message
    assert by_id["rfc9180"].status is Status.FAILED and "refused where an answer was needed" in by_id["rfc9180"].message


def test_undeclared_capabilities_are_skipped_with_the_reason():
    report, _ = _run(OnlyVectors(), ["xmtp/inbox_id::*", "xmtp/scenarios::*", "interop/suite1/*"])
    by_status = {s: [c for c in report.checks if c.status is s] for s in Status}
    assert by_status[Status.PASSED] and not by_status[Status.FAILED] and not by_status[Status.ERRORED]
    assert {c.message for c in by_status[Status.SKIPPED]} == {
        "the adapter does not declare clients", "the adapter does not declare mls"}


def test_missing_names_the_detail():
    assert missing((Need("mls", "cipher_suites", 5),), {"mls": {"cipher_suites": [1, 3]}}) == \
        "the adapter's mls cipher_suites do not include 5"
    assert missing((Need("mls", "cipher_suites", 3),), {"mls": {"cipher_suites": [1, 3]}}) is None


def test_skip_file(tmp_path):
    skip = tmp_path / "skips.txt"
    skip.write_text("# known differences\nxmtp/inbox_id::random_*  # not implemented yet\n\n")
    skips = SkipList.read(skip)
    assert skips.reason("xmtp/inbox_id::random_3") == "skip file: not implemented yet"
    assert skips.reason("xmtp/inbox_id::large_nonce") is None


def test_reports_follow_their_schema_and_formats(tmp_path):
    report, _ = _run(WrongInboxIds(), ["xmtp/inbox_id::*", "xmtp/metadata_limits::group_name*"])
    data = json.loads(report.model_dump_json())
    jsonschema.validate(data, json.loads((SCHEMA_DIR / "report.schema.json").read_text()))
    root = ElementTree.fromstring(junit_xml(report).split("?>", 1)[1])
    assert int(root.get("failures")) == report.totals.failed > 0
    assert {s.get("name") for s in root} == {"xmtp/inbox_id", "xmtp/metadata_limits"}
    page = html_page(report)
    assert "xmtp/inbox_id::" in page and "<table>" in page


def test_cli_run_selection_writes_every_report(tmp_path):
    paths = {kind: tmp_path / f"report.{kind}" for kind in ("json", "xml", "html")}
    selected = len(collect(RunOptions(include=["xmtp/inbox_id::*", "interop/suite3/*"])))
    status = cli.main(["run", "-q", "--include", "xmtp/inbox_id::*", "--include", "interop/suite3/*",
                       "--report-json", str(paths["json"]), "--junit", str(paths["xml"]), "--html", str(paths["html"])])
    assert status == 0
    report = json.loads(paths["json"].read_text())
    assert report["totals"]["failed"] == report["totals"]["errored"] == 0 and report["totals"]["passed"] == selected > 14
    assert all(path.stat().st_size > 0 for path in paths.values())


def test_a_skip_file_line_that_matches_no_check_or_a_file_not_in_utf8_is_a_usage_error(tmp_path, capsys):
    stale = tmp_path / "stale.skip"
    stale.write_text("xmtp/inbox_id::*  # fine\n\nxmtp/inbox_id::no_such_case  # stale\n")
    assert cli.main(["run", "-q", "--include", "xmtp/inbox_id::*", "--skip-file", str(stale)]) == 2
    assert f"{stale}:3: 'xmtp/inbox_id::no_such_case' matches no check" in capsys.readouterr().err
    latin1 = tmp_path / "latin1.skip"
    latin1.write_bytes(b"xmtp/inbox_id::*\n# caf\xe9\n")
    assert cli.main(["run", "-q", "--include", "xmtp/inbox_id::*", "--skip-file", str(latin1)]) == 2
    err = capsys.readouterr().err
    assert f"{latin1}:2: not UTF-8" in err and "Traceback" not in err


def test_a_run_where_few_checks_ran_says_so_and_min_run_fails_it(tmp_path, capsys):
    skips = tmp_path / "most.skip"
    skips.write_text("rfc9180/*  # not this time\n")
    argv = ["run", "-q", "--include", "rfc9180/*", "--include", "xmtp/inbox_id::large_nonce", "--skip-file", str(skips)]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[1].startswith("ran 1 of 129 selected checks")
    assert out.rstrip().splitlines()[-1] == "note: only 1 of 129 selected checks ran (1%)"
    assert cli.main([*argv, "--min-run", "0.5"]) == 1
    assert "FAILED: only 1 of 129 selected checks ran (1%); --min-run asks for 50%" in capsys.readouterr().out
    assert cli.main([*argv, "--min-run", "3"]) == 2


def test_cli_usage_errors(tmp_path, capsys):
    assert cli.main(["run", "--include", "no-such-check"]) == 2
    assert cli.main(["run", "--adapter", "no-such-adapter", "--include", "xmtp/inbox_id::*"]) == 2
    assert cli.main(["run", "--scenario", str(tmp_path / "missing.json")]) == 2
    assert cli.main(["smoke", "--adapter", "reference", "--adapter-cmd", "x"]) == 2


def test_smoke_against_the_subprocess_adapter(capsys):
    assert cli.main(["smoke", "--adapter", "reference-subprocess"]) == 0
    out = capsys.readouterr().out
    assert "passed   interop/suite1/adapter_creates_model_joins" in out
    assert "passed   xmtp/scenarios::seed/" in out


def test_the_whole_suite_passes_against_reference_subprocess(tmp_path):
    """The JSON-lines form of the model passes everything (the issue's first condition); of the one-operation
    interop checks, the two-leaf groups (``tests/conformance/test_mls_epochs.py`` runs more of them)."""
    report_path = tmp_path / "report.json"
    assert cli.main(["run", "-q", "--adapter", "reference-subprocess", "--report-json", str(report_path),
                     "--exclude", "interop/*/epochs/*/k[3-8]-*", "--counterexamples", str(tmp_path / "cx")]) == 0
    report = json.loads(report_path.read_text())
    assert report["totals"]["skipped"] == 0 and report["totals"]["passed"] > 1800


def test_the_differential_machine_catches_a_client_bug_and_writes_a_replayable_counterexample(tmp_path):
    session = Session(NoAdmins(), "no-admins")
    with pytest.raises(AssertionError) as caught:
        run_differential(session, DifferentialOptions(examples=20, counterexamples=tmp_path))
    session.close()
    assert "counterexample" in str(caught.value)
    written = tmp_path / "no-admins.json"
    document = json.loads(written.read_text())
    jsonschema.validate(document, json.loads((SCHEMA_DIR / "scenario.schema.json").read_text()))
    steps = document["cases"][0]["steps"]
    assert any(step["action"] == "add_admin" for step in steps)
    # the shrunk sequence is short, and it replays: the broken adapter fails it, the model passes it
    assert len(steps) <= 12
    check, = scenario_file_checks(written)
    broken, reference = Session(NoAdmins(), "no-admins"), connect("reference")
    with pytest.raises(AssertionError):
        check.run(broken)
    check.run(reference)
    broken.close(), reference.close()
    assert cli.main(["run", "-q", "--scenario", str(written)]) == 0


def test_the_differential_machine_syncs_until_a_queue_of_commits_has_landed():
    """docs/xmtp-facts.md §5: one commit per sync. Carol's second queued change is published in the second round
    of syncs, after alice's and bob's last sync; judging then would see a fork that a further round removes."""
    run = Differential(connect("reference"), connect("reference"))
    for client in ("alice", "bob", "carol"):
        run.do(client, "create_client")
    run.do("carol", "create_group", group="g", members=["alice", "bob"], permissions="all_members")
    run.do("network", "deliver_late", seconds=30)
    for action, member in (("remove_admin", "alice"), ("remove_super_admin", "bob")):
        assert run.do("carol", action, group="g", member=member)["reason"] == "client.sync_failed_to_wait"
    run.converge()
    epochs = {step["client"]: outcome["observed"]["state"]["epoch"]
              for step, outcome in zip(run.steps[-3:], run.outcomes[-3:])}
    assert epochs == {"alice": 3, "bob": 3, "carol": 3}
    rounds = sum(step["action"] == "sync_all" for step in run.steps) // 3
    assert rounds == 4  # carol's commits land in rounds 1 and 2, everyone has both in round 3, round 4 is quiet
    run.model.session.close(), run.adapter.session.close()


def test_the_pytest_plugin_runs_the_suite(pytester):
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--xmtp-adapter", "reference",
                                           "--xmtp-include", "xmtp/inbox_id::*", "--xmtp-include", "interop/suite1/past*")
    result.assert_outcomes(passed=15)
    assert "xmtp/inbox_id::facts_sheet_vector" in "\n".join(result.outlines) or result.ret == 0


def test_the_pytest_plugin_is_silent_without_an_adapter(pytester):
    pytester.makepyfile("def test_nothing(): pass")
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
