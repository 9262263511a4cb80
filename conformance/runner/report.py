"""What a run reports: the summary by area, each failure with its rule, expected, actual and
reproducer, and the same as JSON (``Report``, schema ``vectors/schemas/report.schema.json``), JUnit
XML and HTML.
"""

from __future__ import annotations

import html
import json
from typing import Any
from xml.etree import ElementTree

from pydantic import BaseModel, ConfigDict, Field

from .checks import Result, Status

__all__ = ["Report", "build_report", "render_summary", "ran_fraction", "render_failures", "junit_xml", "html_page"]

REPORT_VERSION = 2


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CheckReport(_Model):
    id: str
    area: str
    rule: str
    status: Status
    message: str = Field("", description="for a failure, what differs; for a skip, why")
    expected: Any = None
    actual: Any = None
    reproducer: str
    seconds: float


class AreaSummary(_Model):
    area: str
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


def build_report(adapter: str, hello, results: list[Result], seconds: float) -> Report:
    areas: dict[str, dict[Status, int]] = {}
    for r in results:
        counts = areas.setdefault(r.check.area, {s: 0 for s in Status})
        counts[r.status] += 1

    def summary(name: str, counts: dict[Status, int]) -> AreaSummary:
        selected = sum(counts.values())
        return AreaSummary(area=name, selected=selected, ran=selected - counts[Status.SKIPPED],
                           **{s.name.lower(): counts[s] for s in Status})

    totals = {s: sum(c[s] for c in areas.values()) for s in Status}
    return Report(adapter=adapter, implementation=f"{hello.name} {hello.version}", protocol_version=hello.protocol_version,
                  capabilities=hello.capabilities, seconds=round(seconds, 3), totals=summary("total", totals),
                  areas=[summary(name, counts) for name, counts in areas.items()],
                  checks=[CheckReport(id=r.check.id, area=r.check.area, rule=r.check.rule, status=r.status,
                                      message=r.message, expected=_json_safe(r.expected),
                                      actual=_json_safe(r.actual), reproducer=r.check.reproducer,
                                      seconds=round(r.seconds, 4)) for r in results])


def render_summary(report: Report) -> str:
    """The table by area, led by how many of the selected checks ran."""
    header = ["area", *(c.replace("_", "-") for c in COLUMNS)]
    rows = [[a.area, *(str(getattr(a, c)) for c in COLUMNS)] for a in [*report.areas, report.totals]]
    total = report.totals
    widths = [max(len(r[c]) for r in [header, *rows]) for c in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))

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
    """A self-contained page: the summary, then every failed, errored and skipped check."""
    e = html.escape
    rows = "".join(f"<tr><td>{e(a.area)}</td><td>{a.selected}</td><td>{a.ran}</td><td>{a.passed}</td>"
                   f"<td class=f>{a.failed or ''}</td><td class=f>{a.errored or ''}</td>"
                   f"<td>{a.self_reported or ''}</td><td>{a.skipped or ''}</td></tr>"
                   for a in [*report.areas, report.totals])
    details = "".join(
        f"<tr class={c.status.value}><td>{e(c.status.value)}</td><td>{e(c.id)}</td><td>{e(c.rule)}</td>"
        f"<td>{e(c.message)}</td><td>{e(str(c.expected) if c.expected is not None else '')}</td>"
        f"<td>{e(str(c.actual) if c.actual is not None else '')}</td><td>{e(c.reproducer)}</td></tr>"
        for c in report.checks if c.status is not Status.PASSED)
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>xmtp-conformance: {e(report.adapter)}</title>
<style>body{{font-family:sans-serif}} table{{border-collapse:collapse}} td,th{{border:1px solid #ccc;
padding:2px 6px;vertical-align:top}} .failed,.errored{{background:#fdd}} .skipped{{background:#eee}} .self-reported{{background:#ffd}}
.f{{color:#b00}}</style></head><body>
<h1>xmtp-conformance: {e(report.adapter)}</h1>
<p>{e(report.implementation)}, protocol {report.protocol_version}, {report.seconds:.1f} s</p>
<table><tr><th>area</th><th>selected</th><th>ran</th><th>passed</th><th>failed</th><th>errored</th>
<th>self-reported (not passed)</th><th>skipped</th></tr>{rows}</table>
<h2>Not passed</h2>
<table><tr><th>status</th><th>check</th><th>rule</th><th>message</th><th>expected</th><th>actual</th>
<th>reproduce</th></tr>{details}</table>
</body></html>
"""
