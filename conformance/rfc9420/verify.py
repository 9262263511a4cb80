"""RFC 9420 test vectors (mlswg/mls-implementations ``test-vectors.md``): choosing vector files, running the
model's checker over their cases, and the table and failures ``xmtp-conformance vectors verify`` prints."""

from __future__ import annotations

import dataclasses
import time
import traceback
from pathlib import Path
from typing import Callable, TextIO

from . import FILES, FORMATS, StepFailed, VectorFileError, checker, format_of, read_vectors, vendored_path

__all__ = ["NO_SUITE", "VectorFile", "Failure", "FileResult", "select_files", "verify", "render_table",
           "render_failures"]

NO_SUITE = None
"""The suite key of cases without a ``cipher_suite`` (tree-math, deserialization, messages)."""


@dataclasses.dataclass
class VectorFile:
    """One file to verify: where it is, how it is shown, its format and its cases."""

    path: Path
    label: str
    format: str
    cases: list[dict]


@dataclasses.dataclass
class Failure:
    label: str
    index: int
    suite: int | None
    message: str
    trace: str


@dataclasses.dataclass
class FileResult:
    label: str
    passed: dict[int | None, int] = dataclasses.field(default_factory=dict)
    failed: dict[int | None, int] = dataclasses.field(default_factory=dict)
    seconds: float = 0.0

    @property
    def total_passed(self) -> int:
        return sum(self.passed.values())

    @property
    def total_failed(self) -> int:
        return sum(self.failed.values())


# ---------------------------------------------------------------- choosing the files

def _resolve(argument: str) -> Path:
    """A FILE argument as a path: an existing file, else a vendored file named without its directory."""
    path = Path(argument)
    if path.exists():
        return path
    stem = argument[: -len(".json")] if argument.endswith(".json") else argument
    if stem in FILES and Path(argument).name == argument:
        return vendored_path(stem)
    raise VectorFileError(f"{argument}: no such file")


def select_files(arguments: list[str], fmt: str | None) -> list[VectorFile]:
    """The files to verify, read and with their formats; ``VectorFileError`` for a usage error."""
    if not arguments:
        chosen = [(vendored_path(name), f"{name}.json", f) for name, f in FILES.items() if fmt in (None, f)]
    else:
        chosen = []
        for argument in arguments:
            path = _resolve(argument)
            if path.is_dir():
                raise VectorFileError(f"{argument} is a directory, not a vector file")
            found = fmt or format_of(path)
            if found is None:
                raise VectorFileError(
                    f"{argument}: cannot tell the vector format from the name {path.name!r}; "
                    f"name it with --format (one of: {', '.join(sorted(FORMATS))})")
            chosen.append((path, path.name, found))
    labels = [label for _, label, _ in chosen]
    files, seen = [], set()
    for path, label, found in chosen:
        if path.resolve() in seen:
            continue
        seen.add(path.resolve())
        if labels.count(label) > 1:  # same base name in two directories: show the path
            label = str(path)
        files.append(VectorFile(path, label, found, read_vectors(path)))
    return files


# ---------------------------------------------------------------- running the checks


def verify(files: list[VectorFile], suites: set[int] | None, *, verbose: bool = False,
           progress: TextIO | None = None) -> tuple[list[FileResult], list[Failure]]:
    """Run each file's checker over its (selected) cases; a failure is recorded, never raised."""
    results, failures = [], []
    for vf in files:
        check: Callable[[dict], None] = checker(vf.format)
        result = FileResult(vf.label)
        started = time.perf_counter()
        for index, case in enumerate(vf.cases):
            suite = case.get("cipher_suite", NO_SUITE)
            if suites is not None and suite not in suites:
                continue
            try:
                check(case)
            except Exception as e:  # noqa: BLE001 -- every failure is reported
                result.failed[suite] = result.failed.get(suite, 0) + 1
                cause = e.error if isinstance(e, StepFailed) else e  # the model's own exception
                failures.append(Failure(vf.label, index, suite, f"{type(e).__name__}: {e}",
                                        "".join(traceback.format_exception(cause)) if verbose else ""))
            else:
                result.passed[suite] = result.passed.get(suite, 0) + 1
        result.seconds = time.perf_counter() - started
        results.append(result)
        if progress is not None:
            print(f"{vf.label}: {result.total_passed} passed, {result.total_failed} failed "
                  f"({result.seconds:.2f} s, format {vf.format})", file=progress, flush=True)
    return results, failures


# ---------------------------------------------------------------- reporting


def _cell(passed: int, failed: int) -> str:
    if passed + failed == 0:
        return "."
    return str(passed) if failed == 0 else f"{passed}/{passed + failed}"


def render_table(results: list[FileResult]) -> str:
    """Cases passed per file (rows) and per cipher suite (columns), with totals."""
    keys = {k for r in results for k in (*r.passed, *r.failed)}
    suites: list[int | None] = sorted(k for k in keys if k is not NO_SUITE)
    if NO_SUITE in keys:
        suites.append(NO_SUITE)
    total = FileResult("total")
    for r in results:
        for k, v in r.passed.items():
            total.passed[k] = total.passed.get(k, 0) + v
        for k, v in r.failed.items():
            total.failed[k] = total.failed.get(k, 0) + v
        total.seconds += r.seconds

    header = ["file", *("-" if s is NO_SUITE else str(s) for s in suites), "passed", "failed", "seconds"]
    rows = [[r.label, *(_cell(r.passed.get(s, 0), r.failed.get(s, 0)) for s in suites),
             str(r.total_passed), str(r.total_failed), f"{r.seconds:.2f}"] for r in [*results, total]]
    widths = [max(len(row[c]) for row in [header, *rows]) for c in range(len(header))]
    widths[1:1 + len(suites)] = [max(w, 3) for w in widths[1:1 + len(suites)]]

    def line(cells: list[str]) -> str:
        return "  ".join(cell.ljust(w) if c == 0 else cell.rjust(w)
                         for c, (cell, w) in enumerate(zip(cells, widths))).rstrip()

    suite_span = sum(widths[1:1 + len(suites)]) + 2 * max(len(suites) - 1, 0)
    title = " " * (widths[0] + 2) + "cipher suite".center(suite_span).rstrip() if suites else ""
    rule = "-" * len(line(header))
    out = [title, line(header), rule, *(line(row) for row in rows[:-1]), rule, line(rows[-1])]
    out.append("cells: cases passed ('p/n': p of n passed; '.': no case; '-' column: cases without a suite)")
    return "\n".join(out if title else out[1:])


def render_failures(failures: list[Failure], verbose: bool) -> str:
    out = [f"failures ({len(failures)}):"]
    for f in failures:
        suite = "no suite" if f.suite is NO_SUITE else f"suite {f.suite}"
        out.append(f"  {f.label} case {f.index} ({suite}): {f.message}")
        if verbose and f.trace:
            out.extend("      " + line for line in f.trace.rstrip().splitlines())
    return "\n".join(out)
