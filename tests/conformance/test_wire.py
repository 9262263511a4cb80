"""Wire checks (``conformance.wire``): every case of a wire family played or said why not, a sample passing on the
reference adapter, and SDKs that lie, freeze or crash failing them."""

from __future__ import annotations

import json

import pytest

from conformance.adapter import AdapterError, ErrorKind, Session, connect, reference_subprocess_command
from conformance.adapter.reference import ReferenceAdapter
from conformance.runner.checks import Status
from conformance.runner.run import run_checks
from conformance.runner.wire_checks import wire_checks
from conformance.vectors import XMTP_DIR, family_document, family_modules, profiles_deciding_alike
from conformance.wire import WIRE_FAMILIES, key_packages, same_in_every_profile, wire_cases
from spec_model.xmtp.key_package import KeyPackage

SAMPLE = [
    "wire/commit_validation::seed/add_members",                     # accepted: two inboxes added
    "wire/commit_validation::seed/member_removes_member",           # refused, then the probe
    "wire/commit_validation::seed/remove_proposed_by_bo_committed_by_alix",  # a proposal by reference
    "wire/commit_validation::seed/revoked_installation_removed",    # an identity update first
    "wire/metadata_limits::group_name_one_byte_over",
    "wire/permissions::seed/add_member/allow/member",
    "wire/permissions::seed/update_metadata/deny/creator_super_admin",
    "wire/permissions::libxmtp/update_permissions/deny/super_admin",  # libxmtp ignores the policy
    "wire/permissions::seed/remove_super_admin/super_admin/0_left",
    "wire/permissions::libxmtp/decode/base_0",
    "wire/messages::reaction_v2",                                   # stored under its content type
    "wire/messages::truncated_envelope_refused",                    # passed over, the text after it stored
    "wire/welcome_wrapping::wrapped_welcome",                       # joined
    "wire/welcome_wrapping::tampered_kem_output_refused",           # not joined, the next Welcome is
    "wire/welcome_wrapping::xwing_wrapped_welcome",                 # for the SDK's X-Wing key (0xFF03)
    "wire/welcome_wrapping::pointer_to_welcome",                    # XIP-74: the pointee, then the pointer
    "wire/welcome_wrapping::pointee_tampered_refused",
    "wire/key_packages::installation_added_by_later_update",        # valid, built for the wall clock
    "wire/key_packages::not_yet_valid",                             # refused: not_before after the window
    "wire/identity_updates::add_installation_by_added_wallet",       # valid: the installations after it
    "wire/identity_updates::flipped_installation_signature_refused",  # invalid: the inbox has no state
    "wire/credentials::inbox_credential_of_wallet",                  # the family's inbox, a network of its own
    "wire/credentials::inbox_credential_not_protobuf_refused",
    "wire/group_context_extensions::permissions_and_any_composition",
    "wire/group_context_extensions::application_id_leaf_extension",  # the SDK's own key package
    "wire/mls::public_commit_refused",
    "wire/mls::message_four_epochs_back",
    "wire/mls::reused_ratchet_generation",
]


def _checks(ids):
    chosen = [c for c in wire_checks() if c.id in ids]
    assert len(chosen) == len(ids)
    return chosen


def _run_mutant(mutant: str, ids: list[str]):
    """The checks ``ids`` run against the reference adapter with ``mutant`` (``conformance/mutants.py``)."""
    session = connect(command=" ".join(reference_subprocess_command(mutant)))
    try:
        return run_checks(session, _checks(ids))
    finally:
        session.close()


def test_every_case_of_a_wire_family_is_played_or_says_why_not():
    played, without = wire_cases()
    assert sum(case.id.startswith("mls::") for case, _ in played) >= 8
    for family in WIRE_FAMILIES:
        ids = {c["id"] for c in json.loads((XMTP_DIR / f"{family}.json").read_text())["cases"]}
        covered = {case.id for case, _ in played} | set(without)
        assert ids <= covered
    assert all(reason.strip() for reason in without.values())
    assert len(played) >= 400


def test_a_wire_check_needs_the_profile_of_its_case():
    checks = {c.id: c for c in wire_checks()}
    # the profiles decide it otherwise (libxmtp: super admins cannot be removed): the case's profile only
    assert str(checks["wire/permissions::libxmtp/remove_member/super_admin_removes_creator_super_admin"].needs[0]) \
        == "clients profiles libxmtp"
    # decided alike in every profile: judged in any
    assert str(checks["wire/permissions::seed/add_member/allow/admin"].needs[0]) == "clients"
    assert str(checks["wire/commit_validation::seed/psk_proposal"].needs[0]) == "clients"
    assert str(checks["wire/metadata_limits::group_name_at_limit"].needs[0]) == "clients"  # every profile


def test_seed_cases_judged_in_every_profile_pass_on_the_model_following_libxmtp():
    """The seed's commit_validation cases that run in any profile mean the same to a client of the libxmtp
    profile: the reference adapter, its clients following libxmtp first, passes them all."""
    chosen = [c for c in wire_checks() if c.id.startswith("wire/commit_validation::seed/") and str(c.needs[0]) == "clients"]
    assert len(chosen) >= 30
    session = connect("reference")
    session.hello.capabilities["clients"]["profiles"] = ["libxmtp", "seed"]
    try:
        assert session.profile == "libxmtp"
        results = run_checks(session, chosen)
    finally:
        session.close()
    assert [r.status for r in results] == [Status.PASSED] * len(chosen), [r.message for r in results]


def test_same_in_every_profile_asks_the_model_with_each_profile():
    module = family_modules()["commit_validation"]
    cases = {c.id: c for c in family_document("commit_validation", "decision").cases}
    alike, unlike = cases["commit_validation::seed/psk_proposal"], cases["commit_validation::seed/update_permissions_policy_deny"]
    assert profiles_deciding_alike(module, alike.inputs) == alike.profiles == ["seed", "libxmtp"]
    assert same_in_every_profile(alike)
    # seed refuses it, libxmtp applies it (its update_permissions policy is not enforced)
    assert profiles_deciding_alike(module, unlike.inputs) == unlike.profiles == ["seed"]
    assert not same_in_every_profile(unlike)


@pytest.mark.parametrize("name", ["not_yet_valid", "valid_at_not_before", "valid_one_second_before_not_after",
                                  "expired"])
def test_a_key_package_case_keeps_its_side_of_each_lifetime_boundary_for_the_window(name):
    """Rebuilt for the wall clock, the case's key package lies on the case's side of every boundary from the
    network's time to the end of the window an SDK may validate in (``rebuilt`` asks the model at both ends)."""
    case = next(c for c, _ in wire_cases()[0] if c.id == f"key_packages::{name}")
    wire = key_packages.derive(case)
    now = 1_800_000_000
    lifetime = KeyPackage.decode(bytes.fromhex(wire.rebuilt(now).inputs["key_package"])).leaf_node.source.lifetime
    window = range(now, now + key_packages.WINDOW_S)
    assert (lifetime.not_before in window, lifetime.not_after in window, now == lifetime.not_before) \
        == (False, False, False)


def test_a_sample_passes_on_the_reference_adapter():
    session = connect("reference")
    try:
        results = run_checks(session, _checks(SAMPLE))
    finally:
        session.close()
    assert [r.status for r in results] == [Status.PASSED] * len(SAMPLE), [r.message for r in results]


class Frozen(ReferenceAdapter):
    """An SDK that never processes anything after joining: it shows every group as it joined it."""

    def _clients_group(self, p):
        if p["method"] == "sync":
            return {"value": None}
        return super()._clients_group(p)


class Crashing(ReferenceAdapter):
    """An SDK that breaks on any group sync."""

    def _clients_group(self, p):
        if p["method"] == "sync":
            raise AdapterError(ErrorKind.INTERNAL, "panic", "index out of bounds")
        return super()._clients_group(p)


@pytest.mark.parametrize("adapter", [Frozen, Crashing])
def test_an_sdk_that_freezes_or_crashes_fails_accepted_and_refused_cases(adapter):
    ids = ["wire/commit_validation::seed/super_admin_edits_group_name",  # accepted
           "wire/commit_validation::seed/member_edits_group_name"]      # refused
    session = Session(adapter(), adapter.__name__)
    try:
        results = run_checks(session, _checks(ids))
    finally:
        session.close()
    assert [r.status for r in results] == [Status.FAILED, Status.FAILED]
    if adapter is Crashing:
        assert "the SDK broke on the traffic" in results[0].message


def test_an_sdk_without_welcome_pointers_fails_the_valid_pointer_case_only():
    """An SDK that reads no pointer (as one without XIP-74 would) joins nothing from one: it fails the valid case
    and passes the refusals, whose Welcome it must not join either."""
    results = _run_mutant("client_reads_no_pointers", ["wire/welcome_wrapping::pointer_to_welcome",
                                                       "wire/welcome_wrapping::pointee_nonces_swapped_refused"])
    assert [r.status for r in results] == [Status.FAILED, Status.PASSED]
    assert "the SDK should join both groups; it joined 1" in results[0].message


def test_an_sdk_that_applies_refused_commits_fails_the_refused_case_only():
    results = _run_mutant("client_skips_permission_checks",
                          ["wire/permissions::seed/add_admin/allow_if_super_admin/super_admin",  # accepted
                           "wire/permissions::seed/add_admin/allow_if_super_admin/admin"])       # refused
    assert [r.status for r in results] == [Status.PASSED, Status.FAILED]
    assert "the commit should be refused" in results[1].message
