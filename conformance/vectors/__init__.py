"""XMTP test vectors: generated from the model, described by JSON Schemas, re-verified in the tests.

A *family* is a module in ``conformance.vectors.families`` that satisfies
``family.Family``: ``FORMAT`` (one of the four formats), ``AREA``, ``cases()``
building every case with the model, ``answer(question)``: the model's answer to
one of the questions a case asks (``questions.py``: what is asked, and how an
answer is judged), and ``EXCHANGES``: the pydantic models of its questions and
answers, whose JSON Schemas are committed in ``vectors/schemas/families/``. The
tests judge the model's answers exactly as the runner judges an adapter's, and
build the cases with the same functions (DESIGN principle 6).
"""

from __future__ import annotations

import functools
import importlib
import json
import pkgutil
import tempfile
from pathlib import Path
from typing import Any

from spec_model.xmtp.profiles import PROFILES

from .. import data
from .family import Family, load
from .family import schema as family_schema
from .formats import FILE_MODELS, Case, DecisionCase

ROOT = data.vectors()
XMTP_DIR = ROOT / "xmtp"
SCHEMA_DIR = ROOT / "schemas"
GENERATED_BY = "xmtp-conformance vectors generate"


def family_modules() -> dict[str, Family]:
    """Family name -> module, for every module in ``conformance.vectors.families``, each checked against
    the family contract (``family.load``)."""
    package = importlib.import_module(f"{__name__}.families")
    return {info.name: load(importlib.import_module(f"{package.__name__}.{info.name}"))
            for info in pkgutil.iter_modules(package.__path__)}


def family_document(name: str, file_format: str) -> Any:
    """The committed vector file ``vectors/xmtp/<name>.json`` read as its format's file model: parsed once per
    content (the runner's checks and the wire forms read the same files)."""
    return _parsed(file_format, (XMTP_DIR / f"{name}.json").read_text())


@functools.lru_cache(maxsize=64)
def _parsed(file_format: str, text: str) -> Any:
    return FILE_MODELS[file_format].model_validate(json.loads(text))


def case_id(family: str, name: str) -> str:
    """A stable, readable id: ``family::function_or_case_name``."""
    return f"{family}::{name}"


class Difference(AssertionError):
    """An implementation's answer differs from the vector's: ``what``, and both values (for reports)."""

    def __init__(self, what: str, expected: Any, actual: Any):
        super().__init__(f"{what}: expected {expected!r}, got {actual!r}")
        self.what, self.expected, self.actual = what, expected, actual


def expect(what: str, expected: Any, actual: Any) -> None:
    """Raise ``Difference`` (an ``AssertionError``) naming ``what`` unless ``actual == expected``."""
    if expected != actual:
        raise Difference(what, expected, actual)


def render(family: str, module: Family) -> str:
    """The file text of a family: compact JSON, header first, one case per line."""
    cases: list[Case] = [_profiled(module, case) for case in module.cases()]
    ids = [c.id for c in cases]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"{family}: duplicate case ids {duplicates}")
    model = FILE_MODELS[module.FORMAT]
    document = model(format=module.FORMAT, schema=f"{module.FORMAT}.schema.json", family=family,
                     generated_by=GENERATED_BY, cases=cases)
    data = document.model_dump(by_alias=True, mode="json")
    lines = [json.dumps(case, separators=(",", ":"), sort_keys=True) for case in data.pop("cases")]
    header = json.dumps(data, separators=(",", ":"), sort_keys=True)[:-1]
    return header + ',"cases":[\n' + ",\n".join(lines) + "\n]}\n"


def _profiled(module: Family, case: Case) -> Case:
    """A decision case whose inputs name a profile, with its ``profiles`` (``profiles_deciding_alike``)."""
    if not isinstance(case, DecisionCase) or "profile" not in case.inputs:
        return case
    return case.model_copy(update={"profiles": profiles_deciding_alike(module, case.inputs)})


def profiles_deciding_alike(module: Family, inputs: dict[str, Any]) -> list[str]:
    """The profile ``inputs`` name, then every other in which the family's ``answer`` to them (verdict, reason,
    outputs) is the same: the profiles in which the case's rule holds as the case states it."""
    own = inputs["profile"]
    answers = {profile: module.answer({"ask": "decide", "inputs": {**inputs, "profile": profile}})
               for profile in PROFILES}
    return [own, *(profile for profile in PROFILES if profile != own and answers[profile] == answers[own])]


def generate(directory: Path = XMTP_DIR) -> dict[str, Path]:
    """Write every family's file into ``directory``; returns family -> path."""
    directory.mkdir(parents=True, exist_ok=True)
    written = {}
    for family, module in family_modules().items():
        path = directory / f"{family}.json"
        path.write_text(render(family, module))
        written[family] = path
    return written


def schemas() -> dict[str, str]:
    """Schema name -> JSON Schema text, generated from the pydantic models: each vector format, the
    adapter protocol (``conformance.adapter.protocol``), the RFC 9420 and RFC 9180 vector questions
    (``conformance.rfc9420.shapes``) and the run report (``conformance.runner.report``)."""
    from ..adapter.protocol import schema as adapter_protocol_schema
    from ..rfc9420.shapes import schema as question_schema
    from ..runner.report import Report
    documents = {name: model.model_json_schema(by_alias=True) for name, model in FILE_MODELS.items()}
    documents["adapter-protocol"] = adapter_protocol_schema()
    documents["rfc9420-questions"] = question_schema("rfc9420")
    documents["rfc9180-questions"] = question_schema("rfc9180")
    documents["report"] = Report.model_json_schema()
    texts = {name: json.dumps(document, indent=1, sort_keys=True) + "\n" for name, document in documents.items()}
    return texts | {f"families/{name}": family_schema(name, module) for name, module in family_modules().items()}


def write_schemas(directory: Path = SCHEMA_DIR) -> None:
    """Every schema of ``schemas()`` into ``directory`` (the families' in ``families/``)."""
    for name, text in schemas().items():
        path = directory / f"{name}.schema.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def differences(expected_dir: Path, actual_dir: Path, pattern: str) -> list[str]:
    """Files that differ, are missing, or are extra in ``actual_dir`` compared with ``expected_dir``."""
    def read(folder: Path) -> dict[str, str]:
        return {str(p.relative_to(folder)): p.read_text() for p in folder.glob(pattern)} if folder.exists() else {}
    expected, actual = read(expected_dir), read(actual_dir)
    return sorted([f"{n}: missing" for n in expected.keys() - actual.keys()]
                  + [f"{n}: not generated any more" for n in actual.keys() - expected.keys()]
                  + [f"{n}: differs" for n in expected.keys() & actual.keys() if expected[n] != actual[n]])


def check_generated() -> list[str]:
    """Regenerate into a temporary folder and compare with the committed ``vectors/xmtp``."""
    with tempfile.TemporaryDirectory() as folder:
        generate(Path(folder))
        return differences(Path(folder), XMTP_DIR, "*.json")


def check_schemas() -> list[str]:
    with tempfile.TemporaryDirectory() as folder:
        write_schemas(Path(folder))
        return differences(Path(folder), SCHEMA_DIR, "**/*.schema.json")
