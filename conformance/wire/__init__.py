"""Wire checks, ``wire/<family>::<case>``: vector cases played through the network the harness owns.

An SDK's public API answers no vector questions, but its client can share a group with model members. For each
case of a family with a network manifestation, the harness builds the traffic the case describes (valid, or
forged as the case says) with model members, publishes it on its delivery service, lets the SDK's client sync,
and judges only what the SDK shows through ``clients.*`` (``world.py`` says what is compared). The cases are
the family's vector cases (``vectors/xmtp/<family>.json``, generated from its ``cases()``), so the wire checks
and the vectors have one source of truth; each family's wire module (``derive``) turns a case into its wire
form, or says why it has none; ``conformance.runner.wire_checks`` makes the checks. A wire check needs
``clients`` with the case's profile: an adapter is judged by the profile its clients follow. A case the
model decides alike in every profile (``same_in_every_profile``: the case's ``profiles``, in which the family's
``answer`` to its inputs gives the same verdict, reason and outputs, as ``vectors generate`` records them) is
judged in every profile: its check runs in the profile the adapter's clients declare first, unless its wire form
holds in its own profile only (``own_profile``, e.g. ``commits.OWN_PROFILE``).
"""

from __future__ import annotations

import dataclasses
from types import ModuleType
from typing import Any

from ..vectors import family_document, family_modules
from ..vectors.formats import DecisionCase
from . import commits, credentials, extensions, identities, key_packages, messages, metadata, permissions, welcomes
from .attacks import ATTACKS
from .world import PROFILES, Worlds

__all__ = ["WIRE_FAMILIES", "Worlds", "same_in_every_profile", "wire_cases"]

class _DmWelcomes:
    """dm_welcomes' wire form lives with the other Welcomes (``welcomes.derive_dm``)."""

    derive = staticmethod(welcomes.derive_dm)


WIRE_FAMILIES: dict[str, ModuleType | type] = {
    "commit_validation": commits, "metadata_limits": metadata, "messages": messages,
    "welcome_wrapping": welcomes, "dm_welcomes": _DmWelcomes, "key_packages": key_packages,
    "permissions": permissions, "identity_updates": identities, "credentials": credentials,
    "group_context_extensions": extensions,
}
"""Family name -> its wire module (``derive(case)``: the case's wire form, or why it has none)."""


def wire_cases() -> tuple[list[tuple[Any, Any]], dict[str, str]]:
    """(case, wire form) for every case with a wire form, then the MLS attacks (``attacks.py``, each its own
    case), and case id -> why for every case without one."""
    modules = family_modules()
    played, without = [], {}
    for family, wire in WIRE_FAMILIES.items():
        for case in family_document(family, modules[family].FORMAT).cases:
            derived = wire.derive(case)
            if isinstance(derived, str):
                without[case.id] = derived
                continue
            profiled = any(f.name == "spec" for f in dataclasses.fields(derived)) and derived.spec.profile is not None \
                and not getattr(derived, "own_profile", False)
            if profiled and same_in_every_profile(case):
                derived = dataclasses.replace(derived, spec=dataclasses.replace(derived.spec, profile=None))
            played.append((case, derived))
    return played + [(attack, attack) for attack in ATTACKS], without


def same_in_every_profile(case: DecisionCase) -> bool:
    """Whether the model answers a profile-specific case's inputs alike (verdict, reason, outputs) whichever
    profile they name (its ``profiles``): then the case's rule holds in every profile, and its wire form is
    judged in any."""
    return set(PROFILES) <= set(case.profiles or ())
