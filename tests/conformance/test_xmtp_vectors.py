"""The committed XMTP vectors: each file follows its JSON Schema, the model answers every case's
questions as the vectors expect, and regenerating the files and schemas changes nothing."""

from __future__ import annotations

import json

import jsonschema
import pytest

from conformance import vectors
from conformance.vectors import questions
from conformance.vectors.formats import FILE_MODELS

FAMILIES = vectors.family_modules()
FILES = sorted(vectors.XMTP_DIR.glob("*.json"))


def test_every_family_has_a_committed_file_and_back():
    assert sorted(p.stem for p in FILES) == sorted(FAMILIES)


def test_every_family_names_its_area_and_answers():
    for name, module in FAMILIES.items():
        assert isinstance(module.AREA, str) and module.AREA, name
        assert callable(module.answer) and not hasattr(module, "verify"), name


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_file_follows_its_schema_and_every_case_verifies(path):
    document = json.loads(path.read_text())
    schema = json.loads((vectors.SCHEMA_DIR / document["schema"]).read_text())
    jsonschema.validate(document, schema)
    parsed = FILE_MODELS[document["format"]].model_validate(document)
    module = FAMILIES[parsed.family]
    assert parsed.format == module.FORMAT
    for case in parsed.cases:
        for expected in [step.expected for step in case.steps] if hasattr(case, "steps") else [case.expected]:
            assert expected.result != "invalid" or expected.reason, f"{case.id}: invalid without a reason"
        questions.verify(module, case)


def test_generated_files_are_committed():
    assert vectors.check_generated() == []


def test_schemas_are_committed():
    assert vectors.check_schemas() == []
