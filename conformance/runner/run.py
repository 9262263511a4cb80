"""Running checks against one adapter: selection, execution, progress.

The algorithm (docs/runner.md):

1. collect every check of every source, in a fixed order (RFC 9420 vectors, XMTP vectors, MLS
   interop, scenarios, then the differential state machine);
2. keep those matching an ``--include`` glob (all if none) and no ``--exclude`` glob;
3. for each: skip it (with the reason) if the skip file lists it or the adapter lacks a capability it
   needs; otherwise run it and classify the outcome: passed; failed (a difference: ``AssertionError``,
   or a refusal where the check needed an answer); skipped (the adapter answered ``unsupported``);
   self-reported (only the adapter's own verdict, ``SelfReported``); or errored (the adapter broke:
   any other ``AdapterError`` or exception);
4. an adapter that crashed or hung on a check (the check errors, or fails where the check judges exactly
   that, as wire checks do) is started again for the next one, at most ``max_restarts`` times
   (``MAX_RESTARTS``); after that the remaining checks error;
5. ``stop_on`` stops at the first result of those statuses (``--fail-fast``: failed or errored; the
   mutants: failed only, since a crash does not show that the suite caught a bug).
"""

from __future__ import annotations

import fnmatch
import sys
import time
import traceback
from typing import Callable, Iterable, TextIO

from ..adapter import AdapterError, AdapterUnusable, ErrorKind, Session
from .checks import Check, Result, SelfReported, SkipList, Status, missing

__all__ = ["select", "outcome", "run_checks", "Progress", "MAX_RESTARTS"]

MAX_RESTARTS = 5
"""How many times a run starts a crashed or hung adapter again before the remaining checks just error."""


def select(checks: Iterable[Check], include: list[str] | None = None, exclude: list[str] | None = None) -> list[Check]:
    """The checks whose ids match an include glob (all, without any) and no exclude glob."""
    return [c for c in checks
            if (not include or any(fnmatch.fnmatchcase(c.id, g) for g in include))
            and not any(fnmatch.fnmatchcase(c.id, g) for g in exclude or ())]


class Progress:
    """A one-line progress bar on a terminal; a line per area elsewhere (CI logs)."""

    def __init__(self, total: int, out: TextIO | None = sys.stderr):
        self.total, self.out, self.done, self.area = total, out, 0, None
        self.tty = bool(out is not None and out.isatty())
        self.counts = {status: 0 for status in Status}
        self.started = time.perf_counter()

    def update(self, result: Result) -> None:
        self.done += 1
        self.counts[result.status] += 1
        if self.out is None:
            return
        if self.tty:
            width = 30
            filled = width * self.done // max(self.total, 1)
            elapsed = time.perf_counter() - self.started
            eta = elapsed / self.done * (self.total - self.done)
            print(f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} ETA {eta:4.0f} s "
                  f"{result.check.area:<30.30} failed {self.counts[Status.FAILED]} "
                  f"errored {self.counts[Status.ERRORED]}", end="", file=self.out, flush=True)
        elif result.check.area != self.area:
            self.area = result.check.area
            print(f"[{self.done}/{self.total}] {self.area}", file=self.out, flush=True)

    def finish(self) -> None:
        if self.out is not None and self.tty:
            print(file=self.out)


def outcome(check: Check, session: Session) -> Result:
    """Run one check and classify what came of it (step 3 above)."""
    started = time.perf_counter()
    try:
        check.run(session)
    except AssertionError as e:
        status, error = Status.FAILED, e
    except SelfReported as e:
        status, error = Status.SELF_REPORTED, e
    except AdapterError as e:
        status = {ErrorKind.REJECTED: Status.FAILED, ErrorKind.UNSUPPORTED: Status.SKIPPED}.get(e.kind, Status.ERRORED)
        error = e
    except Exception as e:  # noqa: BLE001 -- a harness or adapter crash is an error of this check, not the run
        status, error = Status.ERRORED, e
    else:
        return Result(check, Status.PASSED, seconds=time.perf_counter() - started)
    message = str(error) if status is not Status.ERRORED or isinstance(error, AdapterError) else \
        "".join(traceback.format_exception_only(error)).strip()
    if isinstance(error, AdapterError) and error.kind is ErrorKind.REJECTED:
        message = f"refused where an answer was needed: {error}"
    elif isinstance(error, AdapterError) and error.kind is ErrorKind.UNSUPPORTED:
        message = f"the adapter answered unsupported: {error}"
    return Result(check, status, message, getattr(error, "expected", None), getattr(error, "actual", None),
                  time.perf_counter() - started)


def run_checks(session: Session, checks: list[Check], *, skips: SkipList | None = None,
               stop_on: frozenset[Status] = frozenset(), max_restarts: int = MAX_RESTARTS,
               progress: Progress | None = None, on_result: Callable[[Result], None] | None = None) -> list[Result]:
    results, restarts = [], 0
    for check in checks:
        reason = (skips.reason(check.id) if skips else None) or missing(check.needs, session.hello.capabilities)
        result = Result(check, Status.SKIPPED, reason) if reason else outcome(check, session)
        if result.status in (Status.ERRORED, Status.FAILED) and not session.alive:
            if restarts < max_restarts:
                restarts += 1
                try:
                    session.restart()
                    result.message += f" (the adapter was gone; restarted, {restarts} of {max_restarts})"
                except AdapterUnusable as e:
                    restarts = max_restarts
                    result.message += f" (the adapter was gone and could not be restarted: {e})"
            else:
                result.message += f" (the adapter is gone; already restarted {max_restarts} times)"
        results.append(result)
        if progress is not None:
            progress.update(result)
        if on_result is not None:
            on_result(result)
        if result.status in stop_on:
            break
    if progress is not None:
        progress.finish()
    return results
