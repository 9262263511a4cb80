"""``xmtp-conformance matrix``: run reports side by side, from real runs of the reference and of a mutant."""

from __future__ import annotations

import json
import re
import sys

import pytest

from conformance.cli import main

INCLUDE = ["--include", "interop/suite1/*", "--include", "rfc9420/tree-math*"]


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """A passing run of the reference (with groups shared with a second reference, ``--peer``), and one of a mutant
    that keeps no past epochs."""
    folder = tmp_path_factory.mktemp("reports")
    good, bad = folder / "reference.json", folder / "mutant.json"
    assert main(["run", "-q", *INCLUDE, "--peer", "reference", "--include", "interop/pair/reference/suite1/*",
                 "--report-json", str(good)]) == 0
    mutant = f"{sys.executable} -m conformance.adapter.serve --mutant forgets_past_epochs"
    assert main(["run", "-q", "--adapter-cmd", mutant, *INCLUDE, "--report-json", str(bad)]) == 1
    return good, bad


def _row(out: str, starts: str) -> list[str]:
    """The cells of the table row that starts with ``starts`` (cells are 2 or more spaces apart)."""
    return re.split(r"\s{2,}", next(line for line in out.splitlines() if line.startswith(starts)).strip())


def test_a_table_of_implementations_and_areas(reports, tmp_path, capsys):
    good, bad = reports
    page = tmp_path / "matrix.html"
    assert main(["matrix", str(good), str(bad), "--html", str(page)]) == 0
    out = capsys.readouterr().out
    header = _row(out, "implementation")
    assert header == ["implementation", "rfc9420/tree-math", "interop", "total"]
    data = json.loads(good.read_text())
    ran = sum(c["status"] != "skipped" for c in data["checks"] if c["area"] == "interop")
    reference = _row(out, "xmtp-spec-model 0.1.0 (reference)")
    assert reference[2] == f"{ran}/{ran}"
    failed = sum(c["status"] == "failed" for c in json.loads(bad.read_text())["checks"])
    mutant = _row(out, f"xmtp-spec-model 0.1.0 ({sys.executable}")  # the mutant's adapter: its command
    assert failed and mutant[2] == f"{ran - 1 - failed}/{ran - 1} ({failed} failed)"  # no pair with a peer
    assert "mixed groups, with the model" in out and _row(out, "pair") == ["pair", "suite 1"]
    with_model = sum(c["id"].startswith("interop/suite1/") for c in data["checks"])
    assert _row(out, "xmtp-spec-model 0.1.0 (reference) + model")[1] == f"{with_model}/{with_model}"
    assert _row(out, f"{mutant[0]} + model")[1] == f"{with_model - failed}/{with_model} ({failed} failed)"
    assert _row(out, "xmtp-spec-model 0.1.0 (reference) + reference") == [
        "xmtp-spec-model 0.1.0 (reference) + reference", "1/1"]
    html = page.read_text()
    assert html.count("class=bad") == 3  # the mutant's group-protocol cell, its total, its suite-1 pair
    assert "class=none" not in html


@pytest.mark.parametrize("content, says", [(None, "No such file"), (b'{"adapter": 1}', "not an xmtp-conformance report")])
def test_an_unreadable_report_is_a_usage_error(tmp_path, capsys, content, says):
    path = tmp_path / "report.json"
    if content is not None:
        path.write_bytes(content)
    assert main(["matrix", str(path)]) == 2
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err
