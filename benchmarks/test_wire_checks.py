"""The per-case cost of a wire check (``conformance.wire``): an accepted case, a refused case (with its probe)
and a new shared group, in process and over JSON lines.

Run with ``.venv/bin/pytest benchmarks/test_wire_checks.py --benchmark-enable``. What it shows: what one
``wire/`` case costs once its group exists (the model's commit, one SDK sync, one observation), what a
refused case adds (the probe), and what building a group costs, which reusing groups across cases saves.
"""

from __future__ import annotations

import pytest

from conformance.adapter import connect
from conformance.wire import Worlds, wire_cases

_CASES = {case.id: wire for case, wire in wire_cases()[0]}
ACCEPTED = "permissions::seed/update_metadata/allow/member"   # a member renames the group: applied
REFUSED = "permissions::seed/update_metadata/deny/member"     # refused, then the probe


@pytest.fixture(scope="module", params=["reference", "reference-subprocess"])
def session(request):
    session = connect(request.param)
    yield session
    session.close()


@pytest.mark.parametrize("case", [ACCEPTED, REFUSED])
def test_one_case_in_a_shared_group(benchmark, session, case):
    """One case played again and again in its group (the same actor renaming the group each round)."""
    wire, worlds = _CASES[case], Worlds()
    worlds.run(session, play=wire.play)  # builds the world and the group

    def again():
        for group in worlds.get(session).groups.values():
            group.used.clear()  # the same actor may act again: its rename changes nothing later rounds need
        worlds.run(session, play=wire.play)

    benchmark(again)


def test_building_a_shared_group(benchmark, session):
    """A new group of ten model members and the SDK's client, joined from a Welcome through the network."""
    worlds = Worlds()
    wire = _CASES[ACCEPTED]
    world = worlds.get(session)
    world.group(wire.spec, "setup")
    benchmark(lambda: world.group(wire.spec, "setup", private=True))
