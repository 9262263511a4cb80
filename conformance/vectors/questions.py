"""Asking an implementation about a vector case, and judging its answer.

A conformance run never shows an implementation the expected results. For each
case the harness builds one or more *questions* (the case's inputs, nothing it
must conclude), the implementation *answers* each, and the harness *judges* the
answer against the case. The model answers through each family's ``answer``;
any other implementation answers through its adapter (``xmtp.answer``).

Every question is a JSON object with ``ask`` naming what is asked:

=========  ===========================================  ==============================================
ask        question                                     answer
=========  ===========================================  ==============================================
decide     ``inputs``                                   ``result`` (valid/invalid), ``reason``, ``outputs``
decode     ``type``, ``encoded``, ``context``            ``result``, ``reason``, ``decoded``
encode     ``type``, ``decoded``                         ``encoded``
trace      ``initial`` (without expected state),        ``initial`` (the state after setting up, if the
           ``actions``                                  case states one), ``steps``: one ``result``,
                                                        ``reason``, ``state`` per action
=========  ===========================================  ==============================================

These are the defaults of each format; a family module may replace them with
its own ``questions(case)`` and ``judge(case, question, answer)`` (both
documented in the family module's docstring, under "Questions"). ``verify`` is what the
tests call: every question answered by the model, every answer judged.
"""

from __future__ import annotations

from typing import Any, Callable

from spec_model.mls.reasons import Rejected

from . import expect
from .family import Family, OwnJudgement, OwnQuestions
from .formats import Case, Verdict

__all__ = ["questions", "judge", "verify", "answer_decision", "judge_decision", "judge_decoded", "judge_trace", "judge_fields"]


def questions(family: Family, case: Case) -> list[dict[str, Any]]:
    """The questions one case asks (the family's own, else its format's default)."""
    if isinstance(family, OwnQuestions):
        return family.questions(case)
    if family.FORMAT == "decision":
        return [{"ask": "decide", "inputs": case.inputs}]
    if family.FORMAT == "codec":
        asked = [{"ask": "decode", "type": case.type, "encoded": case.encoded, "context": {}}]
        if case.expected.result == Verdict.VALID.value:
            asked.append({"ask": "encode", "type": case.type, "decoded": case.decoded})
        return asked
    if family.FORMAT == "trace":
        return [{"ask": "trace", "initial": case.initial, "actions": [step.action for step in case.steps]}]
    raise ValueError(f"{family.__name__}: no default questions for format {family.FORMAT!r}")


def judge(family: Family, case: Case, question: dict[str, Any], answer: dict[str, Any]) -> None:
    """Raise ``AssertionError`` naming the first field where ``answer`` differs from what ``case`` expects."""
    if isinstance(family, OwnJudgement):
        return family.judge(case, question, answer)
    ask = question["ask"]
    if ask == "decide":
        return judge_decision(case.id, case.expected, case.outputs, answer)
    if ask == "decode":
        return judge_decoded(case.id, case.expected, case.decoded, answer)
    if ask == "encode":
        return expect(f"{case.id} encoded", case.encoded, answer.get("encoded"))
    if ask == "trace":
        return judge_trace(case, answer)
    raise ValueError(f"{case.id}: no default judgement for ask {ask!r}")


def verify(family: Family, case: Case) -> None:
    """The model answers every question of ``case``; each answer is judged (what the tests run).

    Each question and each of the model's answers must also fit the family's ``EXCHANGES`` models, so the
    committed schemas describe what the model asks and answers.
    """
    for question in questions(family, case):
        question_model, answer_model = family.EXCHANGES[question["ask"]]
        question_model.model_validate(question, strict=True)
        answer = family.answer(question)
        answer_model.model_validate(answer, strict=True)
        judge(family, case, question, answer)


def answer_decision(decide: Callable[[dict[str, Any]], dict[str, Any]], inputs: dict[str, Any]) -> dict[str, Any]:
    """The model's answer to ``decide``: ``decide(inputs)``'s outputs, or the reason its ``Rejected`` names."""
    try:
        outputs = decide(inputs)
    except Rejected as e:
        return {"result": Verdict.INVALID.value, "reason": e.reason.value}
    return {"result": Verdict.VALID.value, "reason": None, "outputs": outputs}


# ---------------------------------------------------------------- the judgements of each format


def _verdict(what: str, expected, answer: dict[str, Any]) -> bool:
    """Check the verdict and reason; True if the answer is a valid one (whose outputs are then compared).

    ``acceptable`` admits either verdict, but a refusal must still give the expected reason if one is named.
    """
    result, reason = answer.get("result"), answer.get("reason")
    if result not in (Verdict.VALID.value, Verdict.INVALID.value):
        raise AssertionError(f"{what} result: expected 'valid' or 'invalid', got {result!r}")
    if expected.result != Verdict.ACCEPTABLE.value:
        expect(f"{what} result", expected.result, result)
    if result == Verdict.INVALID.value:
        if expected.reason is not None:
            expect(f"{what} reason", expected.reason, reason)
        return False
    expect(f"{what} reason", None, reason)
    return True


def judge_decision(case_id: str, expected, outputs: dict[str, Any], answer: dict[str, Any]) -> None:
    """``decide``: the verdict, the reason of a refusal, and the outputs of a valid decision, field by field."""
    if _verdict(case_id, expected, answer):
        judge_fields(f"{case_id} outputs", outputs, answer.get("outputs", {}))


def judge_decoded(case_id: str, expected, decoded: dict[str, Any], answer: dict[str, Any]) -> None:
    """``decode``: a refusal with its reason, or the decoded fields, field by field."""
    if _verdict(case_id, expected, answer):
        judge_fields(f"{case_id} decoded", decoded, answer.get("decoded", {}))


def judge_trace(case, answer: dict[str, Any], initial_state: dict[str, Any] | None = None) -> None:
    """``trace``: the state after setting up (if given), then each step's verdict and state."""
    if initial_state is not None:
        judge_fields(f"{case.id} initial", initial_state, answer.get("initial", {}))
    steps = answer.get("steps", [])
    expect(f"{case.id} number of steps answered", len(case.steps), len(steps))
    for i, (step, got) in enumerate(zip(case.steps, steps)):
        _verdict(f"{case.id} step {i}", step.expected, got)
        judge_fields(f"{case.id} step {i} state", step.state, got.get("state", {}))


def judge_fields(what: str, expected: Any, actual: Any) -> None:
    """Equal, compared key by key for objects so that a difference names its field."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in sorted(expected.keys() | actual.keys(), key=str):
            judge_fields(f"{what}.{key}", expected.get(key), actual.get(key))
        return
    expect(what, expected, actual)
