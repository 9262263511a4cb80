"""``-j N``: the checks spread over N worker processes, each with its own adapter (a subprocess adapter
started N times, or N copies of an in-process one); results come back in run order, so the report is the
same as a run on one worker.

On Linux, where the harness runs a single thread (an in-process adapter), workers are forked: they inherit the
checks and skips already collected, and start in no time. Otherwise (a subprocess adapter's reader thread, which a
fork would not carry over) they are started fresh (``spawn``: nothing of the harness's threads, sockets or adapters
is inherited) and collect the same checks from the same ``RunOptions`` (the order is fixed). Either way each worker
connects its own session, closed when the worker ends, and runs chunks of check indices; each result returns as
plain values and is matched to its check by index.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import multiprocessing.util
import sys
import threading
from typing import Any

from .checks import Check, Result, SkipList, Status
from .report import _json_safe
from .run import Progress, run_checks

__all__ = ["run_parallel", "CHUNK"]

CHUNK = 16
"""Checks a worker takes at a time: small enough to keep both busy to the end, large enough to be cheap."""

_worker: dict[str, Any] = {}
"""A worker's checks, skips and session; a forked worker finds the harness's checks and skips here already."""


def _start(options, connect_args: dict[str, Any]) -> None:
    from ..adapter import connect
    from . import collect, load_skips, settle_collector
    if "checks" not in _worker:
        _worker["checks"] = collect(options)
        _worker["skips"] = load_skips(options)
        settle_collector()  # as ``execute`` does before forking: the collected checks live as long as the worker
    session = _worker["session"] = connect(**connect_args)
    multiprocessing.util.Finalize(session, session.close, exitpriority=1)  # run as the worker ends


def _run(indices: list[int]) -> list[tuple]:
    checks: list[Check] = _worker["checks"]
    results = run_checks(_worker["session"], [checks[i] for i in indices], skips=_worker["skips"])
    return [(i, r.check.id, r.status.value, r.message, _json_safe(r.expected), _json_safe(r.actual), r.seconds)
            for i, r in zip(indices, results)]


def start_method() -> str:
    """``fork`` on Linux where the harness runs one thread, else ``spawn`` (macOS forks unsafely, Python docs:
    ``multiprocessing``, "Contexts and start methods")."""
    return "fork" if sys.platform == "linux" and threading.active_count() == 1 else "spawn"


def run_parallel(checks: list[Check], options, connect_args: dict[str, Any], jobs: int,
                 progress: Progress | None = None, skips: SkipList | None = None) -> list[Result]:
    """``checks`` (``collect(options)``, ``skips`` its ``load_skips(options)``) run over ``jobs`` workers, each
    connecting with ``connect_args``."""
    slots: list[Result | None] = [None] * len(checks)
    chunks = [list(range(start, min(start + CHUNK, len(checks)))) for start in range(0, len(checks), CHUNK)]
    method = start_method()
    if method == "fork":
        _worker.update(checks=checks, skips=skips)
    try:
        with concurrent.futures.ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context(method),
                                                    initializer=_start, initargs=(options, connect_args)) as pool:
            # last chunks first: the suite's slowest checks (interop groups, the differential machine) end it
            for done in concurrent.futures.as_completed([pool.submit(_run, chunk) for chunk in reversed(chunks)]):
                for index, check_id, status, message, expected, actual, seconds in done.result():
                    if checks[index].id != check_id:
                        raise RuntimeError(f"worker ran {check_id} where {checks[index].id} was expected")
                    slots[index] = Result(checks[index], Status(status), message, expected, actual, seconds)
                    if progress is not None:
                        progress.update(slots[index])
    finally:
        _worker.clear()
    if progress is not None:
        progress.finish()
    return [r for r in slots if r is not None]
