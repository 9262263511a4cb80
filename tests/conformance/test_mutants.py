"""Every deliberately broken variant of the reference adapter is caught by the suite (``xmtp-conformance mutants``)."""

from __future__ import annotations

import io

from conformance.mutants import MUTANTS, run_mutants


def test_there_are_mutants_in_every_area():
    areas = {m.area for m in MUTANTS.values()}
    assert len(MUTANTS) >= 20
    assert {"MLS tree", "MLS framing", "MLS key schedule", "MLS group protocol", "identity", "key packages",
            "permissions", "commit validation", "delivery status", "messages", "welcomes", "history sync", "wire"} <= areas
    assert sum(m.area == "wire" and m.checks == ("wire/*",) for m in MUTANTS.values()) >= 10


def test_the_suite_catches_every_mutant():
    out = io.StringIO()
    status = run_mutants(list(MUTANTS.values()), out)
    assert status == 0, out.getvalue()
    assert f"{len(MUTANTS)} of {len(MUTANTS)} mutants caught" in out.getvalue()
