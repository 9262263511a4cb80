"""Wire checks, ``wire/<family>::<case>``: vector cases played through the network the harness owns.

An SDK's public API answers no vector questions, but its client can share a group with model members. For each
case of a family with a network manifestation, the harness builds the traffic the case describes (valid, or
forged as the case says) with model members, publishes it on its delivery service, lets the SDK's client sync,
and judges only what the SDK shows through ``clients.*`` (``world.py`` says what is compared). The cases are
the family's vector cases (``vectors/xmtp/<family>.json``, generated from its ``cases()``), so the wire checks
and the vectors have one source of truth; each family's wire module (``derive``) turns a case into its wire
form, or says why it has none; ``conformance.runner.wire_checks`` makes the checks. A wire check needs
``clients`` with the case's profile: an adapter is judged by the profile its clients follow.
"""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

from ..vectors import XMTP_DIR, family_modules
from ..vectors.formats import FILE_MODELS
from . import commits, key_packages, messages, metadata, permissions, welcomes
from .attacks import ATTACKS
from .world import Worlds

__all__ = ["WIRE_FAMILIES", "Worlds", "wire_cases"]

class _DmWelcomes:
    """dm_welcomes' wire form lives with the other Welcomes (``welcomes.derive_dm``)."""

    derive = staticmethod(welcomes.derive_dm)


WIRE_FAMILIES: dict[str, ModuleType | type] = {
    "commit_validation": commits, "metadata_limits": metadata, "messages": messages,
    "welcome_wrapping": welcomes, "dm_welcomes": _DmWelcomes, "key_packages": key_packages,
    "permissions": permissions,
}
"""Family name -> its wire module (``derive(case)``: the case's wire form, or why it has none)."""


def wire_cases() -> tuple[list[tuple[Any, Any]], dict[str, str]]:
    """(case, wire form) for every case with a wire form, then the MLS attacks (``attacks.py``, each its own
    case), and case id -> why for every case without one."""
    modules = family_modules()
    played, without = [], {}
    for family, wire in WIRE_FAMILIES.items():
        path = XMTP_DIR / f"{family}.json"
        for case in FILE_MODELS[modules[family].FORMAT].model_validate(json.loads(path.read_text())).cases:
            derived = wire.derive(case)
            if isinstance(derived, str):
                without[case.id] = derived
            else:
                played.append((case, derived))
    return played + [(attack, attack) for attack in ATTACKS], without
