"""The committed XMTP vectors: each file follows its JSON Schema, the model answers every case's
questions as the vectors expect, and regenerating the files and schemas changes nothing."""

from __future__ import annotations

import json

import jsonschema
import pytest

from conformance import vectors
from conformance.vectors import questions
from conformance.vectors.formats import FILE_MODELS

FAMILIES = vectors.family_modules()
FILES = sorted(vectors.XMTP_DIR.glob("*.json"))


def test_every_family_has_a_committed_file_and_back():
    assert sorted(p.stem for p in FILES) == sorted(FAMILIES)


def test_every_family_names_its_area_and_answers():
    for name, module in FAMILIES.items():
        assert isinstance(module.AREA, str) and module.AREA, name
        assert callable(module.answer) and not hasattr(module, "verify"), name


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_file_follows_its_schema_and_every_case_verifies(path):
    document = json.loads(path.read_text())
    schema = json.loads((vectors.SCHEMA_DIR / document["schema"]).read_text())
    jsonschema.validate(document, schema)
    parsed = FILE_MODELS[document["format"]].model_validate(document)
    module = FAMILIES[parsed.family]
    assert parsed.format == module.FORMAT
    for case in parsed.cases:
        for expected in [step.expected for step in case.steps] if hasattr(case, "steps") else [case.expected]:
            assert expected.result != "invalid" or expected.reason, f"{case.id}: invalid without a reason"
        questions.verify(module, case)


def test_generated_files_are_committed():
    assert vectors.check_generated() == []


def test_schemas_are_committed():
    assert vectors.check_schemas() == []


def test_an_observation_naming_the_policies_it_shows_is_judged_on_those():
    """docs/adapters.md "Group state": a policy outside ``policies_shown`` is not compared (a metadata key named
    there is, its absence included); without ``policies_shown`` every policy is."""
    from conformance.vectors import Difference
    from conformance.vectors.families.scenarios import judge_outcome

    from conformance.adapter.protocol import POLICIES_ALWAYS_SHOWN

    core = {policy: "admin_only" for policy in POLICIES_ALWAYS_SHOWN if policy != "add_member_policy"}
    model = {"add_member_policy": "allow", **core, "update_permissions_policy": "deny",
             "update_metadata_policy": {"group_name": "allow", "_x": "deny"}}
    expected = {"result": "valid", "observed": {"state": {"epoch": 1, "policies": model}}}

    def observed(policies, shown=None):
        state = {"epoch": 1, "policies": policies, **({"policies_shown": shown} if shown is not None else {})}
        return {"result": "valid", "observed": {"state": state}}

    shown = [*POLICIES_ALWAYS_SHOWN, "update_metadata_policy.group_name"]
    judge_outcome("step", expected, observed({"add_member_policy": "allow", **core,
                                              "update_metadata_policy": {"group_name": "allow"}}, shown))
    for wrong in ({"add_member_policy": "deny", **core, "update_metadata_policy": {"group_name": "allow"}},
                  {"add_member_policy": "allow", **core, "update_metadata_policy": {}}):
        with pytest.raises(Difference):
            judge_outcome("step", expected, observed(wrong, shown))
    with pytest.raises(Difference):  # without policies_shown, the whole set
        judge_outcome("step", expected, observed({"add_member_policy": "allow", **core,
                                                  "update_metadata_policy": {"group_name": "allow"}}))


def test_a_view_hiding_a_membership_or_admin_policy_is_not_judged():
    """docs/adapters.md "Group state": an adapter cannot pass a policy observation by showing nothing: a view
    without one of the membership and admin policies makes the check unsupported (skipped), never passed."""
    from conformance.adapter import AdapterError, ErrorKind
    from conformance.adapter.protocol import POLICIES_ALWAYS_SHOWN
    from conformance.vectors.families.scenarios import judge_outcome

    expected = {"result": "valid", "observed": {"state": {"epoch": 1, "policies": {
        **{policy: "allow" for policy in POLICIES_ALWAYS_SHOWN}, "update_metadata_policy": {}}}}}
    for shown in ([], [p for p in POLICIES_ALWAYS_SHOWN if p != "remove_admin_policy"]):
        state = {"epoch": 1, "policies": {"update_metadata_policy": {}}, "policies_shown": shown}
        with pytest.raises(AdapterError) as refused:
            judge_outcome("step", expected, {"result": "valid", "observed": {"state": state}})
        assert refused.value.kind is ErrorKind.UNSUPPORTED and refused.value.reason == "policy_not_shown"
