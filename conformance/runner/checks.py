"""What the runner runs: checks, what each needs of an adapter, and what came of it.

A ``Check`` is one verdict: one vector case, one scenario, one interop exchange or one state-machine
run. It names its area (the summary's rows), the rule it pins, the capabilities it needs (an
adapter that does not declare them gets a skip saying so), and a reproducer (the vector id and
file, or a scenario file to replay).
"""

from __future__ import annotations

import dataclasses
import enum
import fnmatch
from pathlib import Path
from typing import Any, Callable

__all__ = ["Need", "Check", "Status", "Result", "missing", "SkipList"]


@dataclasses.dataclass(frozen=True)
class Need:
    """A capability, and optionally one value its details must list (``Need("mls", "cipher_suites", 3)``)."""

    capability: str
    detail: str | None = None
    value: Any = None

    def __str__(self) -> str:
        return self.capability if self.detail is None else f"{self.capability} {self.detail} {self.value}"


@dataclasses.dataclass(frozen=True)
class Check:
    id: str
    area: str
    rule: str
    needs: tuple[Need, ...]
    run: Callable[[Any], None]   # given the Session; raises AssertionError on a difference
    reproducer: str
    description: str = ""


class Status(enum.StrEnum):
    PASSED = "passed"
    FAILED = "failed"     # the implementation answered, and the answer is wrong
    ERRORED = "errored"   # no answer: the adapter broke, hung, or does not have an operation it declared
    SKIPPED = "skipped"   # not run, with the reason


@dataclasses.dataclass
class Result:
    check: Check
    status: Status
    message: str = ""
    expected: Any = None
    actual: Any = None
    seconds: float = 0.0


def missing(needs: tuple[Need, ...], capabilities: dict[str, dict[str, Any]]) -> str | None:
    """Why an adapter with ``capabilities`` cannot run a check (``None``: it can)."""
    for need in needs:
        if need.capability not in capabilities:
            return f"the adapter does not declare {need.capability}"
        if need.detail is not None and need.value not in capabilities[need.capability].get(need.detail, ()):
            return f"the adapter's {need.capability} {need.detail} do not include {need.value!r}"
    return None


class SkipList:
    """``--skip-file``: one glob of check ids per line, optionally ``# reason``; blank lines and
    lines starting with ``#`` are ignored."""

    def __init__(self, entries: list[tuple[str, str]]):
        self.entries = entries

    @classmethod
    def read(cls, path: str | Path) -> "SkipList":
        entries = []
        for line in Path(path).read_text().splitlines():
            pattern, _, reason = line.partition("#")
            if pattern.strip():
                entries.append((pattern.strip(), reason.strip() or "listed in the skip file"))
        return cls(entries)

    def reason(self, check_id: str) -> str | None:
        for pattern, reason in self.entries:
            if fnmatch.fnmatchcase(check_id, pattern):
                return f"skip file: {reason}"
        return None
