"""The contract of a vector family, and the pydantic models its questions and answers are described with.

A family is a module of ``conformance.vectors.families`` that satisfies ``Family``: its format, its area, the
cases it builds with the model, the model's answer to a question, and ``EXCHANGES``: for each ``ask`` it
puts, the pydantic model of the question and of the answer. It may replace its format's default
questions and judgement (``OwnQuestions``, ``OwnJudgement``; see ``questions.py``). ``load`` checks a
module against the contract, and ``schema`` writes a family's exchanges as a JSON Schema
(``vectors/schemas/families/<family>.schema.json``), so an implementer reads there exactly what each
question holds and what each answer must hold.

The building blocks below are the default exchanges of each format (``decide``, ``decode``, ``encode``,
``trace``); a family subclasses them to type its ``inputs``, ``outputs``, ``decoded`` or ``state``.
"""

from __future__ import annotations

import json
from types import ModuleType
from typing import Annotated, Any, Literal, Mapping, Protocol, Sequence, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, create_model

from .formats import FORMATS, Case

__all__ = [
    "Family", "OwnQuestions", "OwnJudgement", "load", "schema", "Exchange", "Hex", "Result", "Decide", "Decision",
    "decision_exchanges", "codec_exchanges", "absent",
    "Decode", "Decoded", "Encode", "Encoded", "Trace", "TraceAnswer", "TraceStepAnswer",
]


@runtime_checkable
class Family(Protocol):
    """What every family module defines."""

    FORMAT: str
    """One of ``formats.FORMATS``."""
    AREA: str
    """The title of its area, ``xmtp/<name>`` (and ``wire/<name>``) (``conformance/runner/areas.py``)."""
    EXCHANGES: Mapping[str, tuple[type[BaseModel], type[BaseModel]]]
    """``ask`` -> (question model, answer model), for every question its cases ask."""

    def cases(self) -> Sequence[Case]: ...

    def answer(self, question: dict) -> dict: ...


@runtime_checkable
class OwnQuestions(Protocol):
    """A family that asks other questions than its format's default."""

    def questions(self, case: Case) -> list[dict]: ...


@runtime_checkable
class OwnJudgement(Protocol):
    """A family that judges answers otherwise than its format's default."""

    def judge(self, case: Case, question: dict, answer: dict) -> None: ...


def load(module: ModuleType) -> Family:
    """``module`` as a ``Family``; ``TypeError`` naming what it lacks or gets wrong."""
    name = module.__name__.rpartition(".")[2]
    missing = [attribute for attribute in ("FORMAT", "AREA", "EXCHANGES", "cases", "answer")
               if not hasattr(module, attribute)]
    if missing:
        raise TypeError(f"family {name}: no {', '.join(missing)}")
    if module.FORMAT not in FORMATS:
        raise TypeError(f"family {name}: FORMAT {module.FORMAT!r} is not one of {sorted(FORMATS)}")
    for attribute in ("cases", "answer", "questions", "judge"):
        if hasattr(module, attribute) and not callable(getattr(module, attribute)):
            raise TypeError(f"family {name}: {attribute} is not callable")
    for ask, pair in module.EXCHANGES.items():
        if not (isinstance(pair, tuple) and len(pair) == 2
                and all(isinstance(m, type) and issubclass(m, BaseModel) for m in pair)):
            raise TypeError(f"family {name}: EXCHANGES[{ask!r}] is not a (question, answer) pair of pydantic models")
        if pair[0].model_fields.get("ask") is None or pair[0].model_fields["ask"].annotation != Literal[ask]:
            raise TypeError(f"family {name}: the question model of {ask!r} does not fix ask to {ask!r}")
    return module  # type: ignore[return-value]


def schema(name: str, family: Family) -> str:
    """The JSON Schema of a family's exchanges: for each ask, the question and the answer."""
    exchanges = {
        ask: (create_model(f"{_camel(ask)}Exchange", __base__=Exchange,
                           question=(question, Field(description=f"what a {ask!r} question holds")),
                           answer=(answer, Field(description=f"what the answer to a {ask!r} question holds"))),
              Field(None, description=f"the {ask!r} exchange"))
        for ask, (question, answer) in family.EXCHANGES.items()}
    model = create_model(f"{_camel(name)}Exchanges", __base__=Exchange, __doc__=(
        f"The questions the {name} family asks (format {family.FORMAT}, area {family.AREA}) and their answers."),
        **exchanges)
    return json.dumps(model.model_json_schema(), indent=1, sort_keys=True) + "\n"


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


# ------------------------------------------------------------------ building blocks

class Exchange(BaseModel):
    """A question or an answer: a JSON object with exactly these fields."""

    model_config = ConfigDict(extra="forbid")


Hex = Annotated[str, Field(pattern="^([0-9a-f]{2})*$", description="bytes, lowercase hex")]
Result = Literal["valid", "invalid"]


def absent(**kwargs: Any) -> Any:
    """A field that is left out when it has no value (never ``null``)."""
    return Field(None, json_schema_extra=_no_default, **kwargs)


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


class Decide(Exchange):
    """``decide``: the case's inputs."""

    ask: Literal["decide"]
    inputs: dict[str, Any]


class Decision(Exchange):
    """The answer to ``decide``: a verdict, the reason of a refusal, and what a valid decision produces."""

    result: Result
    reason: str | None = Field(None, description="the reason code of a refusal; null when valid")
    outputs: dict[str, Any] = Field(default_factory=dict)


def decision_exchanges(inputs: type[Exchange], outputs: type[Exchange]) -> dict[str, tuple[type, type]]:
    """The ``decide`` exchange of a family whose cases' ``inputs`` and ``outputs`` these models type."""
    question = create_model("Question", __base__=Decide, inputs=(inputs, ...))
    answer = create_model("Answer", __base__=Decision, outputs=(outputs | None, None))
    return {"decide": (question, answer)}


class NoContext(Exchange):
    """The context of a type whose bytes are all a decoder needs: an empty object."""


class Decode(Exchange):
    """``decode``: bytes of a type, and what the decoder needs besides them (families whose decoders need more
    type ``context`` in their own ``Decode``)."""

    ask: Literal["decode"]
    type: str
    encoded: Hex
    context: NoContext = Field(default_factory=NoContext)


class Decoded(Exchange):
    """The answer to ``decode``: a refusal with its reason, or the decoded fields."""

    result: Result
    reason: str | None = None
    decoded: dict[str, Any] = Field(default_factory=dict)


def codec_exchanges(decoded: Any, *, decode: type[Exchange] | None = None,
                    answer: type[Exchange] | None = None) -> dict[str, tuple[type, type]]:
    """The ``decode`` and ``encode`` exchanges of a codec family whose ``decoded`` objects ``decoded`` types
    (one model per ``type``, as a union); ``decode`` and ``answer`` replace ``Decode`` and ``Decoded``."""
    typed = create_model("DecodeAnswer", __base__=answer or Decoded, decoded=(decoded, absent(
        description="the decoded fields (of a refusal: what the family says it holds)")))
    encode = create_model("EncodeQuestion", __base__=Encode, decoded=(decoded, ...))
    return {"decode": (decode or Decode, typed), "encode": (encode, Encoded)}


class Encode(Exchange):
    """``encode``: the fields of a type."""

    ask: Literal["encode"]
    type: str
    decoded: dict[str, Any]


class Encoded(Exchange):
    """The answer to ``encode``: the encoding."""

    encoded: Hex


class Trace(Exchange):
    """``trace``: how the traced party starts, then the actions it takes or sees."""

    ask: Literal["trace"]
    initial: dict[str, Any]
    actions: list[dict[str, Any]]


class TraceStepAnswer(Exchange):
    """One action's verdict and the observable state after it."""

    result: Result
    reason: str | None = None
    state: dict[str, Any]


class TraceAnswer(Exchange):
    """The answer to ``trace``: the state after setting up, then one answer per action."""

    initial: dict[str, Any] = Field(default_factory=dict)
    steps: list[TraceStepAnswer]
