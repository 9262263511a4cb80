"""One check of the suite, by id, run against an adapter's session: its result (for the interop tests)."""

from __future__ import annotations

from conformance.runner import RunOptions, collect
from conformance.runner.checks import Result
from conformance.runner.run import run_checks


def outcome(session, check_id: str) -> Result:
    """The result of the one check ``check_id`` names (a glob: ``?`` stands for ``[`` and ``]``)."""
    check, = collect(RunOptions(include=[check_id]))
    result, = run_checks(session, [check])
    return result
