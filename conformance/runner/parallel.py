"""``-j N``: the checks spread over N worker processes, each with its own adapter (a subprocess adapter
started N times, or N copies of an in-process one); results come back in run order, so the report is the
same as a run on one worker.

Workers are started fresh (``spawn``: nothing of the harness's threads, sockets or adapters is inherited),
collect the same checks from the same ``RunOptions`` (the order is fixed), connect their own session, and
run chunks of check indices; each result returns as plain values and is matched to its check by index.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
from typing import Any

from .checks import Check, Result, SkipList, Status
from .report import _json_safe
from .run import Progress, run_checks

__all__ = ["run_parallel", "CHUNK"]

CHUNK = 16
"""Checks a worker takes at a time: small enough to keep both busy to the end, large enough to be cheap."""

_worker: dict[str, Any] = {}


def _start(options, connect_args: dict[str, Any]) -> None:
    from ..adapter import connect
    from . import collect, load_skips
    _worker["checks"] = collect(options)
    _worker["skips"] = load_skips(options)
    _worker["session"] = connect(**connect_args)


def _run(indices: list[int]) -> list[tuple]:
    checks: list[Check] = _worker["checks"]
    results = run_checks(_worker["session"], [checks[i] for i in indices], skips=_worker["skips"])
    return [(i, r.check.id, r.status.value, r.message, _json_safe(r.expected), _json_safe(r.actual), r.seconds)
            for i, r in zip(indices, results)]


def run_parallel(checks: list[Check], options, connect_args: dict[str, Any], jobs: int,
                 progress: Progress | None = None) -> list[Result]:
    """``checks`` (``collect(options)``) run over ``jobs`` workers, each connecting with ``connect_args``."""
    slots: list[Result | None] = [None] * len(checks)
    chunks = [list(range(start, min(start + CHUNK, len(checks)))) for start in range(0, len(checks), CHUNK)]
    with concurrent.futures.ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"),
                                                initializer=_start,
                                                initargs=(options, connect_args)) as pool:
        # last chunks first: the suite's slowest checks (interop groups, the differential machine) end it
        for done in concurrent.futures.as_completed([pool.submit(_run, chunk) for chunk in reversed(chunks)]):
            for index, check_id, status, message, expected, actual, seconds in done.result():
                if checks[index].id != check_id:
                    raise RuntimeError(f"worker ran {check_id} where {checks[index].id} was expected")
                slots[index] = Result(checks[index], Status(status), message, expected, actual, seconds)
                if progress is not None:
                    progress.update(slots[index])
    if progress is not None:
        progress.finish()
    return [r for r in slots if r is not None]
