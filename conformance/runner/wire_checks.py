"""The wire checks (``conformance.wire``): one check per family case with a wire form, ``wire/<family>::<case>``."""

from __future__ import annotations

import functools

from ..vectors import family_modules
from ..wire import Worlds, wire_cases
from .checks import Check, Need

__all__ = ["wire_checks"]


def wire_checks() -> list[Check]:
    """One check per case with a wire form, in family order; the checks share one ``Worlds`` (groups are
    reused across cases where a case allows it)."""
    worlds = Worlds()
    modules = family_modules()
    checks = []
    for case, derived in wire_cases()[0]:
        family = case.id.split("::")[0]
        where = f"vectors/xmtp/{family}.json, case {case.id}" if family in modules else "conformance/wire/attacks.py"
        checks.append(Check(
            id=f"wire/{case.id}", rule=case.rule,
            needs=(Need("clients", "profiles", derived.spec.profile) if derived.spec.profile else Need("clients"),),
            run=functools.partial(worlds.run, play=derived.play, fresh=getattr(derived, "fresh_world", False)),
            reproducer=f"{where}: xmtp-conformance run --include 'wire/{case.id}'",
            description=case.description))
    return checks
