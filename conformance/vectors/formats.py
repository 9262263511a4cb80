"""The vector formats: four generic shapes every XMTP vector file uses, as pydantic models.

Each committed file is a ``VectorFile``: a header (format, schema, version,
family) and its cases. A case has a stable id (module and function name), a
Given/When/Then description, the rule it pins and feature tags; then the
format's own fields:

* ``codec``: bytes and the fields they decode to (both directions must hold);
* ``decision``: inputs, and the expected ``valid`` / ``invalid`` (with a reason
  code) / ``acceptable`` (with flags) verdict and outputs;
* ``trace``: an initial state, then steps, each with the observable state
  expected after it (like the RFC 9420 passive-client vectors);
* ``scenario``: steps by named clients, each with its expected outcome.

Binary values are lowercase hex strings throughout. JSON Schemas are generated
from these models (``xmtp-conformance vectors schema``) into ``vectors/schemas``.
"""

from __future__ import annotations

import enum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

from spec_model.mls.reasons import RefusalClass

__all__ = [
    "FORMAT_VERSION", "Verdict", "Expected", "StepExpected", "Case", "CodecCase", "DecisionCase", "TraceStep", "TraceCase",
    "ScenarioStep", "ScenarioCase", "VectorFile", "FORMATS", "FILE_MODELS",
]

FORMAT_VERSION = 2
"""Bumped when a format changes incompatibly; every file states the version it follows (2: namespaced reason
codes, docs/reason-codes.md; scenario steps expect a refusal's class)."""


class Verdict(str, enum.Enum):
    """What an implementation must conclude (the wycheproof convention)."""

    VALID = "valid"
    INVALID = "invalid"
    ACCEPTABLE = "acceptable"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=True)


class Expected(_Model):
    """The expected verdict; an invalid case always names its reason code."""

    result: Verdict = Field(description="valid, invalid (with a reason) or acceptable (with flags)")
    reason: str | None = Field(None, description="the reason code an invalid input must be refused with")
    flags: list[str] = Field(default_factory=list, description="why an acceptable result is acceptable")


class Case(_Model):
    """What every case carries, whatever its format."""

    id: str = Field(description="stable id from module and function names, e.g. 'identity::inbox_id_vector'")
    description: str = Field(description="Given ... When ... Then ...")
    rule: str = Field(description="the rule pinned: an RFC 9420 section, an XIP, or a libxmtp rule")
    tags: list[str] = Field(default_factory=list, description="profile (seed, libxmtp) and optional features")


class CodecCase(Case):
    """Bytes and the fields they decode to: decode(encoded) == decoded and encode(decoded) == encoded."""

    type: str = Field(description="the message or structure, e.g. 'xmtp.mls.message_contents.GroupMembership'")
    encoded: str = Field(description="the encoding, lowercase hex")
    decoded: dict[str, Any] = Field(description="the decoded fields (bytes as hex)")
    expected: Expected = Field(default_factory=lambda: Expected(result=Verdict.VALID))


class DecisionCase(Case):
    """One decision or transition: inputs in, a verdict and outputs out."""

    inputs: dict[str, Any] = Field(description="everything the decision depends on")
    expected: Expected
    outputs: dict[str, Any] = Field(default_factory=dict, description="what a valid decision produces")
    profiles: list[str] | None = Field(None, description="where the inputs name a profile: it, then every other "
                                       "profile in which the model decides them alike (verdict, reason, outputs)")

    @model_serializer(mode="wrap")
    def _profiles_only_where_named(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data = handler(self)
        if data.get("profiles") is None:
            data.pop("profiles", None)
        return data


class TraceStep(_Model):
    """One step of a trace and the observable state expected after it."""

    action: dict[str, Any] = Field(description="what happens, e.g. {'process': '<hex MLSMessage>'}")
    expected: Expected = Field(default_factory=lambda: Expected(result=Verdict.VALID))
    state: dict[str, Any] = Field(default_factory=dict, description="observable state after the step")


class TraceCase(Case):
    """An initial state, then steps with the state expected after each."""

    initial: dict[str, Any] = Field(description="how the traced member starts")
    steps: list[TraceStep]


class StepExpected(Expected):
    """A scenario step's expected verdict; a refusal also names its class (docs/reason-codes.md "Refusal
    classes"), which an implementation must match whatever it calls the reason."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    refusal_class: RefusalClass | None = Field(None, alias="class", description="the class of the refusal: "
                                               "permission, membership, validation, network or not_found")


class ScenarioStep(_Model):
    """A step by one named client, with its expected outcome."""

    client: str
    action: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    expected: StepExpected = Field(default_factory=lambda: StepExpected(result=Verdict.VALID))
    observed: dict[str, Any] = Field(default_factory=dict, description="what the client must observe afterwards")


class ScenarioCase(Case):
    """Steps by named clients over one delivery service."""

    clients: list[str]
    steps: list[ScenarioStep]


FORMATS: dict[str, type[Case]] = {
    "codec": CodecCase, "decision": DecisionCase, "trace": TraceCase, "scenario": ScenarioCase,
}


class VectorFile(_Model):
    """A committed vector file: its header, then its cases (all of one format)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, use_enum_values=True)

    format: str
    schema_: str = Field(alias="schema", description="the schema file this file follows, in vectors/schemas")
    version: int = Field(FORMAT_VERSION, description="the format version")
    family: str = Field(description="the family of vectors, e.g. 'identity'")
    generated_by: str = Field(description="the command that writes the file")
    cases: list[Case]


def _file_model(name: str, case: type[Case]) -> type[VectorFile]:
    """The file model of one format: its ``format`` fixed, its cases of that format."""
    return type(f"{case.__name__}File", (VectorFile,), {
        "__annotations__": {"format": Literal[name], "cases": list[case]},
        "__doc__": f"A vector file of {name} cases.",
    })


FILE_MODELS: dict[str, type[VectorFile]] = {name: _file_model(name, case) for name, case in FORMATS.items()}
"""Format name -> the pydantic model of a file in that format (its JSON Schema is committed)."""
