"""Three adapters that do no work run over the whole suite (issue: "no check passes on an adapter's word").

Each declares every capability the reference declares, then: answers every call with one canned object;
refuses every call; or accepts every call with the emptiest result the protocol allows (``valid`` to every
question, the emptiest answer its family's schema allows). The first must pass nothing; the other two must
fail at least 95 % of the checks they run. A fourth is the reference with every refusal of the wrong class, or
of none: it fails exactly the scenarios that expect a refusal (issue 13: scenario checks compare the class of a
refusal). A fifth is the reference answering out of protocol: every such check errors, naming the field.
"""

from __future__ import annotations

import json
import typing
from typing import Any

import pytest
from pydantic import BaseModel

from conformance.adapter import AdapterError, ErrorKind, Session
from conformance.adapter.protocol import OPERATIONS, Hello
from conformance.adapter.reference import ReferenceAdapter
from conformance.runner import RunOptions, collect, execute
from conformance.runner.checks import Status
from conformance.vectors import XMTP_DIR, family_modules
from conformance.vectors.formats import FILE_MODELS


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
    if origin is typing.Annotated:
        return _emptiest(args[0])
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _emptiest_object(annotation)
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


def _emptiest_object(model: type[BaseModel]) -> dict[str, Any]:
    return {field.alias or name: _emptiest(field.annotation) for name, field in model.model_fields.items()
            if field.is_required()}


ANSWERS = {"mls.answer": {"valid": True}, "hpke.answer": {"valid": True}}
FAMILIES = family_modules()


class AcceptsEverything(_Degenerate):
    def call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "xmtp.answer":
            answer_model = FAMILIES[params["family"]].EXCHANGES[params["question"]["ask"]][1]
            return {"answer": _emptiest_object(answer_model)}
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


class WrongRefusalClass:
    """The reference adapter, except that every refusal names another class than the model's (``wrong``) or
    none: the same verdicts and observations, refused for the wrong reason."""

    def __init__(self, wrong) -> None:
        self._reference, self._wrong = ReferenceAdapter(), wrong

    def hello(self, link) -> Hello:
        return self._reference.hello(link)

    def call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        try:
            return self._reference.call(method, params)
        except AdapterError as e:
            if e.kind is not ErrorKind.REJECTED:
                raise
            raise AdapterError(e.kind, e.reason, e.message, refusal_class=self._wrong(e.refusal_class)) from None

    def close(self) -> None:
        self._reference.close()


SWAPPED = {"permission": "membership", "membership": "permission", "validation": "not_found",
           "not_found": "validation", "network": "validation"}


@pytest.mark.parametrize("wrong", [SWAPPED.get, lambda refusal_class: None], ids=["swapped", "omitted"])
def test_a_refusal_of_the_wrong_class_or_of_none_fails_its_scenario(wrong):
    """Every scenario expecting a refusal (or observing one's class) fails, but for a network fault's (an error of
    kind network is of class network whatever the adapter says), and only those: the class is the only difference
    from the reference."""
    checks = collect(RunOptions(include=["xmtp/scenarios::*"]))
    report = _report(WrongRefusalClass(wrong), checks)
    document = FILE_MODELS["scenario"].model_validate(json.loads((XMTP_DIR / "scenarios.json").read_text()))
    refusing = {f"xmtp/{case.id}" for case in document.cases
                if any(s.expected.refusal_class and not s.expected.reason.startswith("network.")
                       or "refused" in s.observed for s in case.steps)}  # an observe refused: its class observed
    failed = {c.id for c in report.checks if c.status is Status.FAILED}
    assert len(refusing) >= 10 and failed == refusing
    assert all("refusal class" in c.message or "refused" in c.message for c in report.checks if c.status is Status.FAILED)
    assert report.totals.passed == report.totals.ran - len(failed)


class OutOfProtocol:
    """The reference adapter, except that every answer to an XMTP question carries a field its family's schema
    does not have (which no judgement compares: it would pass), and every group state a field a scenario does
    not observe."""

    def __init__(self) -> None:
        self._reference = ReferenceAdapter()

    def hello(self, link) -> Hello:
        return self._reference.hello(link)

    def call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        result = self._reference.call(method, params)
        if method == "xmtp.answer":
            return {"answer": {**result["answer"], "verdict": "passed"}}
        if method == "clients.group_state":
            return {"state": {**result["state"], "mood": "fine"}}
        return result

    def close(self) -> None:
        self._reference.close()


def test_an_answer_out_of_protocol_errors_naming_its_field():
    checks = collect(RunOptions(include=["xmtp/inbox_id::*", "xmtp/scenarios::seed/dm_both_ways"]))
    report = _report(OutOfProtocol(), checks)
    assert len(report.checks) == len(checks) > 2
    assert {c.status for c in report.checks} == {Status.ERRORED}
    for c in report.checks:
        field = "mood" if "scenarios" in c.id else "verdict"
        assert "answer_out_of_protocol" in c.message and field in c.message and "\n" not in c.message, c.message
