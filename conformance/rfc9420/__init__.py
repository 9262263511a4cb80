"""Checks of the official RFC 9420 test vectors (``vectors/rfc9420``).

Each vector file has one checker module here exposing ``check(case)``: it
recomputes every output of one case with the model and raises ``Mismatch``
naming the first field that differs. ``CHECKERS`` maps a file name to its
checker; ``load(name)`` reads a vendored file.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any, Callable

VECTOR_DIR = Path(__file__).resolve().parents[2] / "vectors" / "rfc9420"

# file name -> checker module (relative to this package)
FILES = {
    "tree-math": "tree_math",
    "deserialization": "deserialization",
    "crypto-basics": "crypto_basics",
    "secret-tree": "secret_tree",
    "message-protection": "message_protection",
    "key-schedule": "key_schedule",
    "psk_secret": "psk_secret",
    "transcript-hashes": "transcript_hashes",
    "welcome": "welcome",
    "tree-operations": "tree_operations",
    "tree-validation": "tree_validation",
    "treekem": "treekem",
    "messages": "messages",
    "passive-client-welcome": "passive_client",
    "passive-client-handling-commit": "passive_client",
}


class Mismatch(AssertionError):
    """The model's output for ``field`` differs from the vector's."""

    def __init__(self, field: str, expected: Any, actual: Any):
        super().__init__(f"{field}: expected {_show(expected)}, got {_show(actual)}")
        self.field, self.expected, self.actual = field, expected, actual


def _show(value: Any) -> str:
    if isinstance(value, (bytes, bytearray)):
        value = bytes(value).hex()
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."


def expect(field: str, expected: Any, actual: Any) -> None:
    """Raise ``Mismatch`` unless ``actual == expected``; hex strings compare as bytes."""
    if isinstance(expected, str) and isinstance(actual, (bytes, bytearray)):
        expected = bytes.fromhex(expected)
    if expected != actual:
        raise Mismatch(field, expected, actual)


def h(value: str | None) -> bytes | None:
    """A vector's lowercase-hex value as bytes (``None`` stays ``None``)."""
    return None if value is None else bytes.fromhex(value)


def load(name: str) -> list[dict]:
    return json.loads((VECTOR_DIR / f"{name}.json").read_text())


def checker(name: str) -> Callable[[dict], None]:
    return importlib.import_module(f"{__name__}.{FILES[name]}").check


def case_label(name: str, index: int, case: dict) -> str:
    """A stable, readable id: ``crypto-basics[3]/suite4``."""
    suffix = f"/suite{case['cipher_suite']}" if "cipher_suite" in case else ""
    return f"{name}[{index}]{suffix}"
