"""The interop matrix: several ``run`` reports side by side (``xmtp-conformance matrix REPORT.json ...``).

One row per implementation (a report), one column per area (the prefix of the check ids, so reports of every
version agree) in which any of them ran a check: the checks
passed of those that ran, and how many failed, errored or were only self-reported (never a pass); then, per
cipher suite, the mixed groups: those the implementation shared with the model (the ``interop/suiteN/*`` checks)
and with another peer (``interop/pair/PEER/suiteN/*``, ``run --peer PEER``), a row per pair. As text for a
terminal and as a self-contained HTML page. It reads reports only; it runs nothing.
"""

from __future__ import annotations

import dataclasses
import html
import re
from pathlib import Path

from pydantic import ValidationError

from .runner.areas import area_of
from .runner.checks import Status
from .runner.report import Report

__all__ = ["Matrix", "MatrixError", "load", "render_text", "render_html"]

_PAIR = re.compile(r"^interop/(?:pair/(?P<peer>[^/]+)/)?suite(?P<suite>\d+)/")
MODEL = "model"


class MatrixError(ValueError):
    """A report that cannot be read: one line naming the file."""


@dataclasses.dataclass(frozen=True)
class Cell:
    """Checks of one implementation in one column, by status."""

    passed: int = 0
    failed: int = 0
    errored: int = 0
    self_reported: int = 0
    skipped: int = 0

    @property
    def ran(self) -> int:
        return self.passed + self.failed + self.errored + self.self_reported

    def text(self) -> str:
        if not self.ran:
            return "-"
        others = ", ".join(f"{n} {what}" for n, what in (
            (self.failed, "failed"), (self.errored, "errored"), (self.self_reported, "self-reported")) if n)
        return f"{self.passed}/{self.ran}" + (f" ({others})" if others else "")


def _count(statuses: list[Status]) -> Cell:
    return Cell(*(sum(s is status for s in statuses) for status in
                  (Status.PASSED, Status.FAILED, Status.ERRORED, Status.SELF_REPORTED, Status.SKIPPED)))


@dataclasses.dataclass(frozen=True)
class Matrix:
    implementations: list[str]
    areas: list[str]
    cells: dict[tuple[str, str], Cell]  # (implementation, area) -> cell
    suites: list[int]
    pairs: dict[tuple[str, str], dict[int, Cell]]  # (implementation, partner: MODEL or a peer) -> suite -> cell
    totals: dict[str, Cell]


def load(paths: list[Path]) -> Matrix:
    """The matrix of the reports at ``paths`` (``MatrixError`` for one that is missing or not a report)."""
    reports = []
    for path in paths:
        try:
            reports.append(Report.model_validate_json(path.read_bytes()))
        except OSError as e:
            raise MatrixError(f"{path}: {e.strerror}") from None
        except ValidationError as e:
            raise MatrixError(f"{path}: not an xmtp-conformance report ({e.error_count()} problems, "
                              f"first: {e.errors()[0]['msg']} at {'.'.join(map(str, e.errors()[0]['loc']))})") from None
    names = [f"{r.implementation} ({r.adapter})" for r in reports]
    if len(set(names)) != len(names):
        raise MatrixError("two reports of the same adapter and implementation: give one of each")
    areas = list(dict.fromkeys(area_of(check.id) for r in reports for check in r.checks))
    cells, pairs, totals, suites = {}, {}, {}, set()
    for name, report in zip(names, reports):
        by_area: dict[str, list[Status]] = {}
        by_pair: dict[tuple[str, str], dict[int, list[Status]]] = {}
        for check in report.checks:
            by_area.setdefault(area_of(check.id), []).append(check.status)
            if (pair := _PAIR.match(check.id)) is not None:
                by_suite = by_pair.setdefault((name, pair["peer"] or MODEL), {})
                by_suite.setdefault(int(pair["suite"]), []).append(check.status)
                suites.add(int(pair["suite"]))
        cells.update({(name, area): _count(statuses) for area, statuses in by_area.items()})
        pairs.update({key: {s: _count(statuses) for s, statuses in by_suite.items()} for key, by_suite in by_pair.items()})
        totals[name] = _count([check.status for check in report.checks])
    ran = [area for area in areas if any(cells.get((name, area), Cell()).ran for name in names)]
    return Matrix(names, ran, cells, sorted(suites), pairs, totals)


def _rows(matrix: Matrix) -> tuple[list[str], list[list[str]], list[str], list[list[str]]]:
    areas = [*matrix.areas, "total"]
    area_rows = [[name, *(matrix.cells.get((name, a), Cell()).text() for a in matrix.areas),
                  matrix.totals[name].text()] for name in matrix.implementations]
    pair_header = [f"suite {s}" for s in matrix.suites]
    pair_rows = [[f"{name} + {partner}", *(by_suite.get(s, Cell()).text() for s in matrix.suites)]
                 for (name, partner), by_suite in matrix.pairs.items()]
    return areas, area_rows, pair_header, pair_rows


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(row[c]) for row in [header, *rows]) for c in range(len(header))]
    lines = ["  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths)))
             for row in [header, *rows]]
    return "\n".join([lines[0], "-" * len(lines[0]), *lines[1:]])


def render_text(matrix: Matrix) -> str:
    """The two tables for a terminal: implementations x areas (passed/ran), then the mixed groups by pair."""
    areas, area_rows, pair_header, pair_rows = _rows(matrix)
    parts = [_table(["implementation", *areas], area_rows)]
    if matrix.suites:
        parts.append("mixed groups, with the model (interop/suiteN/*) or a peer (interop/pair/PEER/suiteN/*), "
                     "passed/ran:\n"
                     + _table(["pair", *pair_header], pair_rows))
    return "\n\n".join(parts)


def render_html(matrix: Matrix) -> str:
    """The same tables as a self-contained page; a cell with anything but passes is red, one with none ran grey."""
    e = html.escape
    areas, area_rows, pair_header, pair_rows = _rows(matrix)

    def table(header: list[str], rows: list[list[str]]) -> str:
        head = "".join(f"<th>{e(h)}</th>" for h in header)
        body = "".join("<tr>" + "".join(
            f"<td class={'bad' if '(' in c else 'none' if c == '-' else 'ok'}>{e(c)}</td>" if i else f"<th>{e(c)}</th>"
            for i, c in enumerate(row)) + "</tr>" for row in rows)
        return f"<table><tr>{head}</tr>{body}</table>"

    pairs = (f"<h2>Mixed groups: with the model or another peer</h2>{table(['pair', *pair_header], pair_rows)}"
             if matrix.suites else "")
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>xmtp-conformance: interop matrix</title>
<style>body{{font-family:sans-serif}} table{{border-collapse:collapse}} td,th{{border:1px solid #ccc;
padding:2px 6px}} .bad{{background:#fdd}} .none{{background:#eee;color:#888}} .ok{{background:#dfd}}</style>
</head><body><h1>xmtp-conformance: interop matrix</h1>
<p>Each cell: checks passed of those that ran (failed, errored and self-reported in brackets); - where none ran.</p>
{table(['implementation', *areas], area_rows)}
{pairs}
</body></html>
"""
