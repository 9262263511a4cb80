"""Areas follow check ids (``conformance/runner/areas.py``): the prefix selects them, and each has a title."""

from __future__ import annotations

import fnmatch

import pytest

from conformance.runner import RunOptions, collect
from conformance.runner.areas import area_of, title


@pytest.mark.parametrize("check_id, area", [
    ("rfc9420/tree-math[0]", "rfc9420/tree-math"),
    ("rfc9420/crypto-basics[3]/suite4", "rfc9420/crypto-basics"),
    ("rfc9180/mode0-kem32-kdf1-aead1", "rfc9180"),
    ("xmtp/scenarios::seed/group_by_address_send_and_read", "xmtp/scenarios"),
    ("xmtp/permissions::seed/add_member/allow/creator_super_admin", "xmtp/permissions"),
    ("wire/mls::message_one_epoch_back", "wire/mls"),
    ("interop/suite3/epochs/join/k2-leaf0", "interop"),
    ("differential/clients", "differential"),
    ("scenario-file/found.json/case[1]", "scenario-file"),
])
def test_an_area_is_the_prefix_of_its_ids(check_id, area):
    assert area_of(check_id) == area


def test_every_area_of_the_suite_is_selected_by_its_prefix_and_has_a_title():
    checks = collect(RunOptions())
    areas = {c.area for c in checks}
    assert len(areas) >= 40
    for area in areas:
        glob = f"{area}*"
        assert {c.id for c in checks if c.area == area} == {c.id for c in checks if fnmatch.fnmatchcase(c.id, glob)
                                                            and area_of(c.id) == area}
        assert title(area) != area, f"{area} has no title"
    assert len({title(a) for a in areas}) == len(areas), "two areas share a title"
