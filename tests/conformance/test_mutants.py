"""Every deliberately broken variant of the reference adapter is caught by the suite (``xmtp-conformance mutants``)."""

from __future__ import annotations

import io

from conformance.mutants import MUTANTS, run_mutants
from conformance.runner import RunOptions, collect
from conformance.runner.areas import area_of


def test_there_are_mutants_in_every_area():
    areas = {m.area for m in MUTANTS.values()}
    assert len(MUTANTS) >= 20
    assert areas <= {area_of(c.id) for c in collect(RunOptions())}, "a mutant's area is an area of the suite"
    assert {"rfc9420/tree-validation", "rfc9420/secret-tree", "rfc9420/key-schedule", "interop",
            "xmtp/identity_updates", "xmtp/key_packages", "xmtp/permissions", "xmtp/commit_validation",
            "xmtp/delivery_status", "xmtp/messages", "xmtp/welcome_wrapping", "xmtp/history_archives",
            "wire/permissions"} <= areas
    assert sum(m.area.startswith("wire/") and m.checks == ("wire/*",) for m in MUTANTS.values()) >= 10


def test_the_suite_catches_every_mutant():
    out = io.StringIO()
    status = run_mutants(list(MUTANTS.values()), out)
    assert status == 0, out.getvalue()
    assert f"{len(MUTANTS)} of {len(MUTANTS)} mutants caught" in out.getvalue()
