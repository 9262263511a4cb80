"""What a run reports: the summary by area, each failure with its rule, expected, actual and
reproducer, and the same as JSON (``Report``, schema ``vectors/schemas/report.schema.json``), JUnit
XML and HTML; ``compare`` lists what changed between two JSON reports (``xmtp-conformance compare``).
"""

from __future__ import annotations

import dataclasses
import datetime
import html
import json
from typing import Any
from xml.etree import ElementTree

from pydantic import BaseModel, ConfigDict, Field

from .areas import title
from .checks import Result, Status

__all__ = ["Report", "build_report", "render_summary", "ran_fraction", "render_failures", "junit_xml", "html_page",
           "Comparison", "compare", "harness_version"]

REPORT_VERSION = 4


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


_AREA = "the area the check id names (its prefix: docs/runner.md); before version 4, a title"


class CheckReport(_Model):
    id: str
    area: str = Field(description=_AREA)
    rule: str
    status: Status
    message: str = Field("", description="for a failure, what differs; for a skip, why")
    expected: Any = None
    actual: Any = None
    reproducer: str
    seconds: float


class AreaSummary(_Model):
    area: str = Field(description=_AREA)
    title: str = Field("", description="the area's label for people (empty before version 4)")
    selected: int = Field(description="checks of the area the run selected")
    ran: int = Field(description="checks that ran (selected, not skipped)")
    passed: int
    failed: int
    errored: int
    self_reported: int = Field(description="the adapter's own verdict, which the harness could not judge: "
                                           "never counted as passed")
    skipped: int


COLUMNS = ("selected", "ran", "passed", "failed", "errored", "self_reported", "skipped")


class Report(_Model):
    """The JSON report of one ``xmtp-conformance run``."""

    version: int = REPORT_VERSION
    started: str = Field("", description="when the run started, ISO 8601 in UTC (empty in reports of version 2)")
    harness: str = Field("", description="the xmtp-conformance version that ran it (empty in reports of version 2)")
    adapter: str
    implementation: str = Field(description="name and version the adapter declared")
    protocol_version: int
    capabilities: dict[str, dict[str, Any]]
    seconds: float
    totals: AreaSummary
    areas: list[AreaSummary]
    checks: list[CheckReport]


def _json_safe(value: Any) -> Any:
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return repr(value)


def harness_version() -> str:
    """This package's version (``(not installed)`` when run from a checkout without installing it)."""
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("xmtp-conformance")
    except PackageNotFoundError:
        return "(not installed)"


def build_report(adapter: str, hello, results: list[Result], seconds: float, started: str | None = None) -> Report:
    """The report of ``results``; ``started`` (ISO 8601) defaults to ``seconds`` before now."""
    areas: dict[str, dict[Status, int]] = {}
    for r in results:
        counts = areas.setdefault(r.check.area, {s: 0 for s in Status})
        counts[r.status] += 1

    def summary(name: str, counts: dict[Status, int]) -> AreaSummary:
        selected = sum(counts.values())
        return AreaSummary(area=name, title=title(name) if name != "total" else "", selected=selected,
                           ran=selected - counts[Status.SKIPPED], **{s.name.lower(): counts[s] for s in Status})

    totals = {s: sum(c[s] for c in areas.values()) for s in Status}
    if started is None:
        started = (datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=seconds)).isoformat(timespec="seconds")
    return Report(started=started, harness=harness_version(), adapter=adapter, implementation=f"{hello.name} {hello.version}", protocol_version=hello.protocol_version,
                  capabilities=hello.capabilities, seconds=round(seconds, 3), totals=summary("total", totals),
                  areas=[summary(name, counts) for name, counts in areas.items()],
                  checks=[CheckReport(id=r.check.id, area=r.check.area, rule=r.check.rule, status=r.status,
                                      message=r.message, expected=_json_safe(r.expected),
                                      actual=_json_safe(r.actual), reproducer=r.check.reproducer,
                                      seconds=round(r.seconds, 4)) for r in results])


def render_summary(report: Report) -> str:
    """The table by area, led by how many of the selected checks ran."""
    header = ["area", "title", *(c.replace("_", "-") for c in COLUMNS)]
    rows = [[a.area, a.title, *(str(getattr(a, c)) for c in COLUMNS)] for a in [*report.areas, report.totals]]
    total = report.totals
    widths = [max(len(r[c]) for r in [header, *rows]) for c in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    rule = "-" * len(line(header))
    return "\n".join([f"adapter: {report.adapter} ({report.implementation}, protocol {report.protocol_version})",
                      f"ran {total.ran} of {total.selected} selected checks ({ran_fraction(report):.0%})",
                      line(header), rule, *(line(r) for r in rows[:-1]), rule, line(rows[-1])])


def ran_fraction(report: Report) -> float:
    """The share of the selected checks that ran (1.0 for an empty selection)."""
    return report.totals.ran / report.totals.selected if report.totals.selected else 1.0


def render_failures(report: Report, limit: int = 50) -> str:
    bad = [c for c in report.checks if c.status in (Status.FAILED, Status.ERRORED)]
    out = []
    for c in bad[:limit]:
        out.append(f"{c.status.upper()} {c.id}  [{c.area}]")
        out.append(f"    rule:       {c.rule}")
        out.append(f"    {'difference' if c.status is Status.FAILED else 'error':<11} {c.message[:400]}")
        if c.expected is not None or c.actual is not None:
            out.append(f"    expected:   {str(c.expected)[:200]}")
            out.append(f"    actual:     {str(c.actual)[:200]}")
        out.append(f"    reproduce:  {c.reproducer}")
    if len(bad) > limit:
        out.append(f"... and {len(bad) - limit} more (see --report-json)")
    for status in (Status.SELF_REPORTED, Status.SKIPPED):
        counted: dict[str, int] = {}
        for c in report.checks:
            if c.status is status:
                counted[c.message] = counted.get(c.message, 0) + 1
        if counted:
            out.append(f"{status.value} (not passed):" if status is Status.SELF_REPORTED else f"{status.value}:")
            out.extend(f"    {n:5d}  {reason}" for reason, n in sorted(counted.items(), key=lambda kv: -kv[1]))
    return "\n".join(out)


def junit_xml(report: Report) -> str:
    """JUnit XML: one testsuite per area, one testcase per check."""
    root = ElementTree.Element("testsuites", name="xmtp-conformance", tests=str(len(report.checks)),
                               failures=str(report.totals.failed), errors=str(report.totals.errored),
                               skipped=str(report.totals.skipped + report.totals.self_reported), time=f"{report.seconds:.3f}")
    suites: dict[str, ElementTree.Element] = {}
    for area in report.areas:
        suites[area.area] = ElementTree.SubElement(
            root, "testsuite", name=area.area, tests=str(area.selected),
            failures=str(area.failed), errors=str(area.errored), skipped=str(area.skipped + area.self_reported))
    for c in report.checks:
        case = ElementTree.SubElement(suites[c.area], "testcase", classname=c.area, name=c.id, time=f"{c.seconds:.4f}")
        if c.status in (Status.SKIPPED, Status.SELF_REPORTED):
            ElementTree.SubElement(case, "skipped", message=f"{c.status.value}: {c.message}")
        elif c.status is not Status.PASSED:
            tag = "failure" if c.status is Status.FAILED else "error"
            element = ElementTree.SubElement(case, tag, message=c.message[:500])
            element.text = f"rule: {c.rule}\nexpected: {c.expected}\nactual: {c.actual}\nreproduce: {c.reproducer}"
    return ElementTree.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def html_page(report: Report) -> str:
    """A self-contained page: the summary; the failed and errored checks first; the self-reported apart; the
    skipped folded by reason. A filter box hides the rows that do not contain its text."""
    e = html.escape
    rows = "".join(f"<tr><td>{e(a.area)}</td><td>{e(a.title)}</td><td>{a.selected}</td><td>{a.ran}</td><td>{a.passed}</td>"
                   f"<td class=f>{a.failed or ''}</td><td class=f>{a.errored or ''}</td>"
                   f"<td>{a.self_reported or ''}</td><td>{a.skipped or ''}</td></tr>"
                   for a in [*report.areas, report.totals])

    def table(checks: list[CheckReport]) -> str:
        body = "".join(
            f"<tr class={c.status.value}><td>{e(c.status.value)}</td><td>{e(c.id)}</td><td>{e(c.rule)}</td>"
            f"<td>{e(c.message)}</td><td>{e(str(c.expected) if c.expected is not None else '')}</td>"
            f"<td>{e(str(c.actual) if c.actual is not None else '')}</td><td>{e(c.reproducer)}</td>"
            f"<td>{c.seconds:.3f}</td></tr>" for c in checks)
        return ("<table class=checks><colgroup><col style=width:6em><col style=width:18%><col style=width:14%><col>"
                "<col style=width:12%><col style=width:12%><col style=width:14%><col style=width:5em></colgroup>"
                "<tr><th>status</th><th>check</th><th>rule</th><th>message</th><th>expected</th><th>actual</th>"
                f"<th>reproduce</th><th>s</th></tr>{body}</table>")

    bad = [c for c in report.checks if c.status in (Status.FAILED, Status.ERRORED)]
    self_reported = [c for c in report.checks if c.status is Status.SELF_REPORTED]
    skipped: dict[str, list[CheckReport]] = {}
    for c in report.checks:
        if c.status is Status.SKIPPED:
            skipped.setdefault(c.message, []).append(c)
    folded = "".join(f"<details><summary>{len(checks)} skipped: {e(reason)}</summary>{table(checks)}</details>"
                     for reason, checks in sorted(skipped.items(), key=lambda kv: -len(kv[1])))
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>xmtp-conformance: {e(report.adapter)}</title>
<style>body{{font-family:sans-serif;max-width:100%}} table{{border-collapse:collapse}}
table.checks{{table-layout:fixed;width:100%}} td,th{{border:1px solid #ccc;padding:2px 6px;vertical-align:top;
overflow-wrap:anywhere}} .failed,.errored{{background:#fdd}} .skipped{{background:#eee}}
.self-reported{{background:#ffd}} .f{{color:#b00}} summary{{cursor:pointer;margin:4px 0}}</style>
<script>function filterRows(text) {{
  text = text.toLowerCase();
  for (const row of document.querySelectorAll("table.checks tr[class]"))
    row.style.display = row.textContent.toLowerCase().includes(text) ? "" : "none";
}}</script></head><body>
<h1>xmtp-conformance: {e(report.adapter)}</h1>
<p>{e(report.implementation)}, protocol {report.protocol_version}; harness xmtp-conformance {e(report.harness)};
started {e(report.started)}, {report.seconds:.1f} s</p>
<table><tr><th>area</th><th>title</th><th>selected</th><th>ran</th><th>passed</th><th>failed</th><th>errored</th>
<th>self-reported (not passed)</th><th>skipped</th></tr>{rows}</table>
<p><label>filter <input type=search oninput="filterRows(this.value)" placeholder="check id, rule or message"></label></p>
<h2>Failed and errored ({len(bad)})</h2>
{table(bad)}
<h2>Self-reported, not judged by the harness ({len(self_reported)})</h2>
{table(self_reported)}
<h2>Skipped ({sum(map(len, skipped.values()))}), by reason</h2>
{folded}
</body></html>
"""


@dataclasses.dataclass
class Comparison:
    """What changed from one report to another, check by check."""

    regressions: list[tuple[str, Status, Status]]  # passed before, failed or errored now
    fixes: list[tuple[str, Status, Status]]        # failed or errored before, passed now
    changed: list[tuple[str, Status, Status]]      # any other change of status
    added: list[str]
    removed: list[str]


def compare(old: Report, new: Report) -> Comparison:
    before = {c.id: c.status for c in old.checks}
    after = {c.id: c.status for c in new.checks}
    bad = (Status.FAILED, Status.ERRORED)
    moved = [(i, before[i], after[i]) for i in after if i in before and before[i] is not after[i]]
    return Comparison(
        regressions=[m for m in moved if m[1] is Status.PASSED and m[2] in bad],
        fixes=[m for m in moved if m[1] in bad and m[2] is Status.PASSED],
        changed=[m for m in moved if not (m[1] is Status.PASSED and m[2] in bad) and not (m[1] in bad and m[2] is Status.PASSED)],
        added=[i for i in after if i not in before], removed=[i for i in before if i not in after])
