"""What the runner runs: checks, what each needs of an adapter, and what came of it.

A ``Check`` is one verdict: one vector case, one scenario, one interop exchange or one state-machine
run. Its id names its area (the summary's rows, ``areas.py``); it names the rule it pins, the
capabilities it needs (an adapter that does not declare them gets a skip saying so), and a reproducer
(the vector id and file, or a scenario file to replay).
"""

from __future__ import annotations

import dataclasses
import enum
import fnmatch
from pathlib import Path
from typing import Any, Callable

from .areas import area_of, title

__all__ = ["Need", "OneOf", "Check", "Status", "Result", "SelfReported", "missing", "SkipList", "SkipFileError"]


@dataclasses.dataclass(frozen=True)
class Need:
    """A capability, and optionally one value its details must list (``Need("mls", "cipher_suites", 3)``)."""

    capability: str
    detail: str | None = None
    value: Any = None

    def __str__(self) -> str:
        return self.capability if self.detail is None else f"{self.capability} {self.detail} {self.value}"


@dataclasses.dataclass(frozen=True)
class OneOf:
    """Any one of several sets of needs (a check the adapter may answer as questions, or only self-verify)."""

    alternatives: tuple[tuple[Need, ...], ...]

    def __str__(self) -> str:
        return " or ".join(", ".join(map(str, needs)) for needs in self.alternatives)


@dataclasses.dataclass(frozen=True)
class Check:
    id: str
    rule: str
    needs: tuple[Need | OneOf, ...]
    run: Callable[[Any], None]   # given the Session; raises AssertionError on a difference
    reproducer: str
    description: str = ""

    @property
    def area(self) -> str:
        """The area its id names (``areas.area_of``)."""
        return area_of(self.id)

    @property
    def title(self) -> str:
        """Its area's label for people."""
        return title(self.area)


class Status(enum.StrEnum):
    PASSED = "passed"
    FAILED = "failed"     # the implementation answered (or refused), and the answer is wrong
    ERRORED = "errored"   # no usable answer: the adapter broke, hung, or answered out of protocol
    SKIPPED = "skipped"   # not run, with the reason (a skip file, a capability not declared, "unsupported")
    SELF_REPORTED = "self-reported"  # the adapter says it passed; the harness could not judge: never a pass


class SelfReported(Exception):
    """A check whose only verdict is the adapter's own (``mls.self_verify``): reported apart, never passed."""


@dataclasses.dataclass
class Result:
    check: Check
    status: Status
    message: str = ""
    expected: Any = None
    actual: Any = None
    seconds: float = 0.0


def missing(needs: tuple[Need | OneOf, ...], capabilities: dict[str, dict[str, Any]]) -> str | None:
    """Why an adapter with ``capabilities`` cannot run a check (``None``: it can)."""
    for need in needs:
        if isinstance(need, OneOf):
            reasons = [missing(alternative, capabilities) for alternative in need.alternatives]
            if all(reasons):
                return " and ".join(dict.fromkeys(reasons))
            continue
        if need.capability not in capabilities:
            return f"the adapter does not declare {need.capability}"
        if need.detail is not None and need.value not in capabilities[need.capability].get(need.detail, ()):
            return f"the adapter's {need.capability} {need.detail} do not include {need.value!r}"
    return None


class SkipFileError(ValueError):
    """A skip file that cannot be used: unreadable, not UTF-8, or a line that matches no check."""


class SkipList:
    """``--skip-file``: one glob of check ids per line, optionally ``# reason``; blank lines and
    lines starting with ``#`` are ignored. Every line must match a check of the suite (a stale or
    mistyped line would otherwise hide nothing, silently)."""

    def __init__(self, entries: list[tuple[str, str, int]], path: str = "skip file"):
        self.entries, self.path = entries, path

    @classmethod
    def read(cls, path: str | Path) -> "SkipList":
        try:
            text = Path(path).read_bytes().decode("utf-8")
        except OSError as e:
            raise SkipFileError(f"{path}: {e.strerror}") from None
        except UnicodeDecodeError as e:
            line = text_line(e.object, e.start)
            raise SkipFileError(f"{path}:{line}: not UTF-8 ({e.reason} at byte {e.start})") from None
        entries = []
        for number, line in enumerate(text.splitlines(), 1):
            pattern, _, reason = line.partition("#")
            if pattern.strip():
                entries.append((pattern.strip(), reason.strip() or "listed in the skip file", number))
        return cls(entries, str(path))

    def check_matches(self, ids: list[str]) -> None:
        """``SkipFileError`` naming the first line whose glob matches none of ``ids`` (every check of the suite)."""
        for pattern, _, number in self.entries:
            if not any(fnmatch.fnmatchcase(i, pattern) for i in ids):
                raise SkipFileError(f"{self.path}:{number}: {pattern!r} matches no check")

    def reason(self, check_id: str) -> str | None:
        for pattern, reason, _ in self.entries:
            if fnmatch.fnmatchcase(check_id, pattern):
                return f"skip file: {reason}"
        return None


def text_line(data: bytes, offset: int) -> int:
    """The 1-based line number of byte ``offset`` in ``data``."""
    return data.count(b"\n", 0, offset) + 1
