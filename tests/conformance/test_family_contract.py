"""The family contract (``conformance/vectors/family.py``): every family module satisfies it, a module that
breaks it is refused by name, and each family's committed schema types what its questions hold."""

from __future__ import annotations

import json
import types
from typing import Literal

import pytest

from conformance import vectors
from conformance.vectors.family import Decide, Decision, Exchange, Family, OwnQuestions, load

FAMILIES = vectors.family_modules()


DEFAULT_ASKS = {"decision": {"decide"}, "codec": {"decode", "encode"}, "trace": {"trace"}}


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_every_family_satisfies_the_contract(name):
    family = FAMILIES[name]
    assert isinstance(family, Family) and family.EXCHANGES
    if not isinstance(family, OwnQuestions):  # it asks its format's default questions, and describes them
        assert set(family.EXCHANGES) == DEFAULT_ASKS[family.FORMAT]


def _module(**attributes) -> types.ModuleType:
    module = types.ModuleType("conformance.vectors.families.made_up")
    defaults = {"FORMAT": "decision", "AREA": "made up", "EXCHANGES": {"decide": (Decide, Decision)},
                "cases": lambda: [], "answer": lambda question: {}}
    for key, value in {**defaults, **attributes}.items():
        if value is not None:
            setattr(module, key, value)
    return module


class _Other(Exchange):
    ask: Literal["other"]


@pytest.mark.parametrize("attributes, message", [
    ({"EXCHANGES": None}, "made_up: no EXCHANGES"),
    ({"AREA": None, "answer": None}, "made_up: no AREA, answer"),
    ({"FORMAT": "table"}, "FORMAT 'table' is not one of"),
    ({"cases": []}, "cases is not callable"),
    ({"EXCHANGES": {"decide": (Decide, dict)}}, "EXCHANGES['decide'] is not a (question, answer) pair"),
    ({"EXCHANGES": {"decide": (_Other, Decision)}}, "does not fix ask to 'decide'"),
])
def test_a_module_that_breaks_the_contract_is_refused_by_name(attributes, message):
    assert load(_module()) is not None
    with pytest.raises(TypeError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        load(_module(**attributes))


@pytest.mark.parametrize("name", sorted(n for n, f in FAMILIES.items() if f.FORMAT == "decision"))
def test_a_decision_familys_schema_types_its_inputs(name):
    schema = json.loads((vectors.SCHEMA_DIR / "families" / f"{name}.schema.json").read_text())
    question = schema["$defs"][schema["$defs"]["DecideExchange"]["properties"]["question"]["$ref"].split("/")[-1]]
    inputs = question["properties"]["inputs"]
    assert "$ref" in inputs, f"{name}: inputs is {inputs}"
    typed = schema["$defs"][inputs["$ref"].split("/")[-1]]
    assert typed["properties"] and typed["additionalProperties"] is False
