"""The official RFC 9420 test vectors (``vectors/rfc9420``) as questions the harness judges.

The vector formats and the verification each one asks for are described in
``test-vectors.md`` of https://github.com/mlswg/mls-implementations, which
splits every case into inputs and outputs. Each format has one module here:

* ``questions(case)``: the case's *inputs* only, as JSON objects naming what is
  asked (``ask``); never an output the implementation must produce;
* ``answer(question)``: the model's answer (what the reference adapter returns
  for ``mls.answer``);
* ``judge(case, question, answer)``: compare the answer with the case's
  outputs, and where the question asks for a fresh computation with the
  implementation's own randomness (sign, encrypt, protect, a new UpdatePath),
  verify it with the model. Raises ``Mismatch`` naming the first field that
  differs, or ``StepFailed`` naming the step where the verification raised.

Some questions are *controls*: the same inputs with one byte tampered, whose
answer must be a refusal (``"valid": false``); each stands beside its positive
twin in the same check, so neither refusing nor accepting everything passes.
The passive-client format is driven through the ``mls`` operations instead
(``passive_client.check`` for the model). ``docs/adapters.md`` lists every
question's shape; ``checker(name)`` runs a case with the model answering.

``FORMATS`` maps a format name to its checker module; ``FILES`` maps each
vendored file to its format; ``format_of(path)`` recognises a format from a
file's base name; ``read_vectors(path)`` reads any vector file, ``load(name)``
a vendored one.
"""

from __future__ import annotations

import contextlib
import enum
import importlib
import json
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Iterator

VECTOR_DIR = Path(__file__).resolve().parents[2] / "vectors" / "rfc9420"

# format name -> checker module (relative to this package)
FORMATS = {
    "tree-math": "tree_math",
    "deserialization": "deserialization",
    "crypto-basics": "crypto_basics",
    "secret-tree": "secret_tree",
    "message-protection": "message_protection",
    "key-schedule": "key_schedule",
    "psk-secret": "psk_secret",
    "transcript-hashes": "transcript_hashes",
    "welcome": "welcome",
    "tree-operations": "tree_operations",
    "tree-validation": "tree_validation",
    "treekem": "treekem",
    "messages": "messages",
    "passive-client": "passive_client",
}

# vendored file name (without ".json") -> format name
FILES = {
    "tree-math": "tree-math",
    "deserialization": "deserialization",
    "crypto-basics": "crypto-basics",
    "secret-tree": "secret-tree",
    "message-protection": "message-protection",
    "key-schedule": "key-schedule",
    "psk_secret": "psk-secret",
    "transcript-hashes": "transcript-hashes",
    "welcome": "welcome",
    "tree-operations": "tree-operations",
    "tree-validation": "tree-validation",
    "treekem": "treekem",
    "messages": "messages",
    "passive-client-welcome": "passive-client",
    "passive-client-handling-commit": "passive-client",
}


class Mismatch(AssertionError):
    """The model's output for ``field`` differs from the vector's."""

    def __init__(self, field: str, expected: Any, actual: Any):
        super().__init__(f"{field}: expected {_show(expected)}, got {_show(actual)}")
        self.field, self.expected, self.actual = field, expected, actual


class StepFailed(AssertionError):
    """The model raised ``error`` during the verification step ``field``."""

    def __init__(self, field: str, error: BaseException):
        super().__init__(f"{field}: {type(error).__name__}: {error}")
        self.field, self.error = field, error


class VectorFileError(ValueError):
    """A vector file that cannot be read, parsed or recognised."""


def _show(value: Any) -> str:
    if isinstance(value, (bytes, bytearray)):
        value = bytes(value).hex()
    elif isinstance(value, enum.Enum):
        value = value.name
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."


def expect(field: str, expected: Any, actual: Any) -> None:
    """Raise ``Mismatch`` unless ``actual == expected``; hex strings compare as bytes."""
    if isinstance(expected, str) and isinstance(actual, (bytes, bytearray)):
        expected = bytes.fromhex(expected)
    if expected != actual:
        raise Mismatch(field, expected, actual)


@contextlib.contextmanager
def at(field: str) -> Iterator[None]:
    """Name the verification step: an exception raised inside becomes ``StepFailed(field, ...)``."""
    try:
        yield
    except (Mismatch, StepFailed):
        raise
    except Exception as e:
        raise StepFailed(field, e) from e


def h(value: str | None) -> bytes | None:
    """A vector's lowercase-hex value as bytes (``None`` stays ``None``)."""
    return None if value is None else bytes.fromhex(value)


# ---------------------------------------------------------------- files and formats


def _normalise(name: str) -> str:
    name = name.strip().lower()
    if name.endswith(".json"):
        name = name[: -len(".json")]
    return name.replace("_", "-")


def format_name(name: str) -> str | None:
    """The format called ``name`` (``psk_secret`` and ``psk-secret`` alike), or ``None``."""
    name = _normalise(name)
    return name if name in FORMATS else None


def format_of(path: str | Path) -> str | None:
    """The format of a vector file, recognised from its base name; ``None`` if unknown.

    ``psk_secret.json`` and ``psk-secret.json`` are both ``psk-secret``; every
    ``passive-client-*.json`` (welcome, handling-commit, random, ...) is ``passive-client``.
    """
    name = _normalise(Path(path).name)
    if name in FORMATS:
        return name
    if name.startswith("passive-client-"):
        return "passive-client"
    return None


def read_vectors(path: str | Path) -> list[dict]:
    """The cases of a vector file: a JSON array of objects; ``VectorFileError`` otherwise."""
    try:
        text = Path(path).read_text()
    except (OSError, UnicodeDecodeError) as e:
        raise VectorFileError(f"cannot read {path}: {e.strerror if isinstance(e, OSError) else e}") from None
    try:
        cases = json.loads(text)
    except json.JSONDecodeError as e:
        raise VectorFileError(f"{path} is not JSON: {e}") from None
    except RecursionError:
        raise VectorFileError(f"{path} nests JSON deeper than this interpreter reads") from None
    if not isinstance(cases, list) or not all(isinstance(c, dict) for c in cases):
        raise VectorFileError(f"{path} is not a JSON array of test-vector objects")
    return cases


def vendored_path(name: str) -> Path:
    """The path of a vendored vector file, by its name without ``.json``."""
    return VECTOR_DIR / f"{name}.json"


def load(name: str) -> list[dict]:
    """The cases of a vendored vector file."""
    return read_vectors(vendored_path(name))


def module(name: str) -> ModuleType:
    """The module of a format, by format name or vendored file name."""
    fmt = FILES.get(name) or format_name(name)
    if fmt is None:
        raise KeyError(f"unknown vector format {name!r}")
    return importlib.import_module(f"{__name__}.{FORMATS[fmt]}")


QUESTION_FORMATS = tuple(f for f in FORMATS if f != "passive-client")
"""The formats asked as questions (``mls.answer``); passive-client runs through the ``mls`` operations."""


def checker(name: str) -> Callable[[dict], None]:
    """Verify one case of a format with the model: every question answered by the model, every answer judged."""
    mod = module(name)
    if not hasattr(mod, "questions"):
        return mod.check

    def check(case: dict) -> None:
        for question in mod.questions(case):
            mod.judge(case, question, mod.answer(question))
    return check


# ---------------------------------------------------------------- reading answers

_MISSING = "<missing>"


def got(answer: Any, path: str) -> Any:
    """The value at ``path`` (``a.b[2].c``) of an implementation's answer, or ``"<missing>"`` where the answer
    has nothing there (an answer is untrusted JSON: any shape may arrive)."""
    value = answer
    for part in path.replace("]", "").replace("[", ".").split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return _MISSING
    return value


def expect_answer(field: str, expected: Any, answer: Any, path: str | None = None) -> Any:
    """``expect`` the answer's value at ``path`` (default: ``field``) to equal ``expected``; returns it."""
    actual = got(answer, path or field)
    expect(field, expected, actual)
    return actual


def answer_bytes(field: str, answer: Any, path: str | None = None) -> bytes:
    """The answer's hex value at ``path`` as bytes; ``Mismatch`` if it is missing or not lowercase hex."""
    value = got(answer, path or field)
    if not isinstance(value, str) or value != value.lower():
        raise Mismatch(field, "lowercase hex", value)
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise Mismatch(field, "lowercase hex", value) from None


def tampered(data: bytes) -> bytes:
    """``data`` with the low bit of its last byte flipped: a control input that must be refused."""
    return data[:-1] + bytes([data[-1] ^ 1])


def refused(field: str, answer: Any) -> None:
    """A control question's answer: the implementation must refuse (``"valid": false``)."""
    expect(f"{field}.valid", False, got(answer, "valid"))


def hx(value: bytes | None) -> str | None:
    """Bytes as the lowercase hex of an answer (``None`` stays ``None``)."""
    return None if value is None else value.hex()


def case_label(name: str, index: int, case: dict) -> str:
    """A stable, readable id: ``crypto-basics[3]/suite4``."""
    suffix = f"/suite{case['cipher_suite']}" if "cipher_suite" in case else ""
    return f"{name}[{index}]{suffix}"
