"""Three adapters that do no work run over the whole suite (issue: "no check passes on an adapter's word").

Each declares every capability the reference declares, then: answers every call with one canned object;
refuses every call; or accepts every call with the emptiest result the protocol allows (``valid`` to every
question). The first must pass nothing; the other two must fail at least 95 % of the checks they run.
"""

from __future__ import annotations

import typing
from typing import Any

import pytest

from conformance.adapter import AdapterError, ErrorKind, Session
from conformance.adapter.protocol import OPERATIONS, Hello
from conformance.adapter.reference import ReferenceAdapter
from conformance.runner import RunOptions, collect, execute
from conformance.runner.checks import Status


def _declared() -> Hello:
    reference = ReferenceAdapter()
    try:
        return reference.hello(link=None)
    finally:
        reference.close()


class _Degenerate:
    def __init__(self) -> None:
        self._hello = _declared()

    def hello(self, link) -> Hello:
        return self._hello

    def close(self) -> None:
        pass


class CannedAnswer(_Degenerate):
    def call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        return {"passed": True, "detail": "ok"}


class RefusesEverything(_Degenerate):
    def call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        raise AdapterError(ErrorKind.REJECTED, "refused", "this adapter refuses everything")


def _emptiest(annotation: Any) -> Any:
    """The emptiest value of a type, leaning to yes: True, 0, "", [], {}, the first literal, None where allowed."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if annotation is bool:
        return True
    if annotation is int:
        return 0
    if annotation is str:
        return ""
    if origin is typing.Literal:
        return args[0]
    if origin in (list, tuple):
        return []
    if origin is dict or annotation is dict:
        return {}
    return None


ANSWERS = {"xmtp.answer": {"result": "valid"}, "mls.answer": {"valid": True}, "hpke.answer": {"valid": True}}


class AcceptsEverything(_Degenerate):
    def call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method in ANSWERS:
            return {"answer": ANSWERS[method]}
        fields = OPERATIONS[method].result.model_fields
        return {name: _emptiest(field.annotation) for name, field in fields.items() if field.is_required()}


@pytest.fixture(scope="module")
def checks():
    return collect(RunOptions())


def _report(adapter, checks):
    session = Session(adapter, type(adapter).__name__)
    report, _ = execute(session, checks, RunOptions(), None)
    return report


def test_a_canned_answer_passes_nothing(checks):
    report = _report(CannedAnswer(), checks)
    assert report.totals.passed == 0
    assert report.totals.ran == len(checks)


@pytest.mark.parametrize("adapter", [RefusesEverything, AcceptsEverything])
def test_refusing_or_accepting_everything_fails_nearly_every_check(adapter, checks):
    report = _report(adapter(), checks)
    passed = [c.id for c in report.checks if c.status is Status.PASSED]
    assert report.totals.ran == len(checks)
    assert report.totals.failed >= 0.95 * report.totals.ran, (report.totals, passed[:20])
