"""The words scenario scripts are written in: a step is ``(client, action, arguments)`` (the actions of
``conformance.scenarios.driver``; the client ``network`` injects faults), a script is ``(name, description,
rule, tags, steps)``, and the helpers below spell the steps most scripts repeat."""

from __future__ import annotations

from typing import Any

Step = tuple[str, str, dict[str, Any]]
Script = tuple[str, str, str, list[str], list[Step]]

S_NS = 10**9
"""Scripts state disappearing settings in nanoseconds."""


def users(*names: str) -> list[Step]:
    """Each of ``names`` creates its client."""
    return [(name, "create_client", {}) for name in names]


def observe(group: str, *clients: str) -> list[Step]:
    """Each of ``clients`` observes ``group``."""
    return [(client, "observe", {"group": group}) for client in clients]


def welcomed(*clients: str) -> list[Step]:
    """Each of ``clients`` syncs its welcomes."""
    return [(client, "sync_welcomes", {}) for client in clients]


def synced(group: str, *clients: str) -> list[Step]:
    """Each of ``clients`` syncs ``group``."""
    return [(client, "sync", {"group": group}) for client in clients]
