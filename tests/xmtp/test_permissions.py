"""XIP-47, facts §3.4, §4: permission evaluation, super-admin rules, encodings, presets, intents — per profile.

The expected outcomes below are written out by hand from XIP-47, the seed and
facts sheet §4, one row per (permission, option), one column per actor role;
the model computes every cell and must agree.

Cell codes: ``+`` allowed; ``-`` the permission's policy refuses
(``<permission>_denied``); ``U`` the policy is Unspecified
(``unspecified_policy``); ``S`` a super admin is required
(``super_admin_required``); ``X`` the actor is not a member
(``actor_not_member``).
"""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spec_model.mls.group_context import Extension
from spec_model.mls.reasons import Rejected
from spec_model.xmtp.extensions import (
    GroupMutablePermissionsV1, MembershipCondition, MembershipPolicy, MetadataPolicy, PermissionsUpdatePolicy,
    new_group_membership, new_group_metadata, new_group_mutable_metadata, permissions_extension,
    read_mutable_permissions,
)
from spec_model.xmtp.permissions import (
    PERMISSIONS, Actor, AllOf, AnyOf, Option, Permission, PermissionReason, Policies, Preset, allows, check,
    check_add_super_admin, check_remove_member, check_remove_super_admin, preset_of, preset_policies,
    policies_json, update_by_intent,
)
from spec_model.xmtp.profiles import LIBXMTP, SEED

ROLES = {
    "creator super admin": Actor("c", is_creator=True, is_super_admin=True),
    "super admin": Actor("s", is_super_admin=True),
    "admin": Actor("a", is_admin=True),
    "member": Actor("m"),
    "creator, demoted": Actor("c", is_creator=True),
    "non-member": Actor("x", is_member=False),
}
OPTIONS = {
    "allow": Option.ALLOW, "deny": Option.DENY, "creator only": Option.CREATOR_ONLY,
    "admin or super": Option.ADMIN_OR_SUPER_ADMIN, "super admin": Option.SUPER_ADMIN_ONLY,
    "unspecified": Option.UNSPECIFIED,
}

# permission             option            creatorSA  SA   admin member creator non-member
BOTH_PROFILES = """
add_member_policy        allow              +    +    +    +    +    X
add_member_policy        deny               -    -    -    -    -    X
add_member_policy        admin or super     +    +    +    -    -    X
add_member_policy        super admin        +    +    -    -    -    X
add_member_policy        unspecified        U    U    U    U    U    X
remove_member_policy     allow              +    +    +    +    +    X
remove_member_policy     deny               -    -    -    -    -    X
remove_member_policy     admin or super     +    +    +    -    -    X
remove_member_policy     super admin        +    +    -    -    -    X
remove_member_policy     unspecified        U    U    U    U    U    X
update_metadata_policy   allow              +    +    +    +    +    X
update_metadata_policy   deny               -    -    -    -    -    X
update_metadata_policy   admin or super     +    +    +    -    -    X
update_metadata_policy   super admin        +    +    -    -    -    X
update_metadata_policy   unspecified        U    U    U    U    U    X
add_admin_policy         allow              +    +    +    +    +    X
add_admin_policy         deny               -    -    -    -    -    X
add_admin_policy         admin or super     +    +    +    -    -    X
add_admin_policy         super admin        +    +    -    -    -    X
add_admin_policy         unspecified        U    U    U    U    U    X
remove_admin_policy      allow              +    +    +    +    +    X
remove_admin_policy      deny               -    -    -    -    -    X
remove_admin_policy      admin or super     +    +    +    -    -    X
remove_admin_policy      super admin        +    +    -    -    -    X
remove_admin_policy      unspecified        U    U    U    U    U    X
"""

# Creator Only is a seed option; XIP-47: permissions change "following the update_permissions_policy", and
# only super admins change them.
SEED_ONLY = """
add_member_policy        creator only       +    -    -    -    +    X
remove_member_policy     creator only       +    -    -    -    +    X
update_metadata_policy   creator only       +    -    -    -    +    X
add_admin_policy         creator only       +    -    -    -    +    X
remove_admin_policy      creator only       +    -    -    -    +    X
update_permissions_policy  allow            +    +    S    S    S    X
update_permissions_policy  deny             -    -    S    S    S    X
update_permissions_policy  creator only     +    -    S    S    S    X
update_permissions_policy  admin or super   +    +    S    S    S    X
update_permissions_policy  super admin      +    +    S    S    S    X
update_permissions_policy  unspecified      U    U    S    S    S    X
"""

# libxmtp has no Creator Only option (C: refused as unknown_policy); libxmtp evaluate_commit: any super admin
# changes permissions, whatever update_permissions_policy says.
LIBXMTP_ONLY = """
add_member_policy        creator only       C    C    C    C    C    X
remove_member_policy     creator only       C    C    C    C    C    X
update_metadata_policy   creator only       C    C    C    C    C    X
add_admin_policy         creator only       C    C    C    C    C    X
remove_admin_policy      creator only       C    C    C    C    C    X
update_permissions_policy  allow            +    +    S    S    S    X
update_permissions_policy  deny             +    +    S    S    S    X
update_permissions_policy  creator only     +    +    S    S    S    X
update_permissions_policy  admin or super   +    +    S    S    S    X
update_permissions_policy  super admin      +    +    S    S    S    X
update_permissions_policy  unspecified      +    +    S    S    S    X
"""

DENIED = {
    "add_member_policy": "add_member_denied", "remove_member_policy": "remove_member_denied",
    "update_metadata_policy": "update_metadata_denied", "add_admin_policy": "add_admin_denied",
    "remove_admin_policy": "remove_admin_denied", "update_permissions_policy": "update_permissions_denied",
}


def table(text: str) -> list[tuple[str, str, str, str]]:
    """(permission, option, role, cell) for every cell of a table."""
    cells = []
    for words in (line.split() for line in text.splitlines() if line.strip()):
        permission, option = words[0], " ".join(words[1:-6])
        cells += [(permission, option, role, cell) for role, cell in zip(ROLES, words[-6:])]
    return cells


def expected_reason(permission: str, cell: str) -> str | None:
    return {"+": None, "-": DENIED[permission], "U": "unspecified_policy", "S": "super_admin_required",
            "X": "actor_not_member", "C": "unknown_policy"}[cell]


def uniform(policy) -> Policies:
    """Every permission, and the metadata key group_name, governed by ``policy``."""
    return Policies(policy, policy, {"group_name": policy}, policy, policy, policy)


def outcome(policies: Policies, permission: str, actor: Actor, profile) -> str | None:
    try:
        check(policies, Permission(permission), actor, metadata_key="group_name", profile=profile)
    except Rejected as e:
        return e.reason.value
    return None


def rejected(reason, call, *args, **kwargs):
    with pytest.raises(Rejected) as e:
        call(*args, **kwargs)
    assert e.value.reason is reason


def test_table_covers_every_permission_option_and_role():
    for profile_rows in (SEED_ONLY, LIBXMTP_ONLY):
        cells = table(BOTH_PROFILES + profile_rows)
        assert {(p, o, r) for p, o, r, _ in cells} == {
            (p.value, o, r) for p in Permission for o in OPTIONS for r in ROLES}


@pytest.mark.parametrize("profile, rows", [(SEED, BOTH_PROFILES + SEED_ONLY), (LIBXMTP, BOTH_PROFILES + LIBXMTP_ONLY)],
                         ids=["seed", "libxmtp"])
def test_permission_table(profile, rows):
    mismatches = []
    for permission, option, role, cell in table(rows):
        got = outcome(uniform(OPTIONS[option]), permission, ROLES[role], profile)
        if got != expected_reason(permission, cell):
            mismatches.append((permission, option, role, cell, got))
    assert not mismatches


# ------------------------------------------------------------------ And / Any

# policy (add_member_policy)                      creatorSA  SA   admin member creator non-member
COMPOSITIONS = [
    (AllOf((Option.ADMIN_OR_SUPER_ADMIN, Option.CREATOR_ONLY)),  "+    -    -    -    -    X"),
    (AnyOf((Option.SUPER_ADMIN_ONLY, Option.CREATOR_ONLY)),      "+    +    -    -    +    X"),
    (AllOf((Option.ALLOW, Option.DENY)),                         "-    -    -    -    -    X"),
    (AnyOf((Option.DENY, Option.ADMIN_OR_SUPER_ADMIN)),          "+    +    +    -    -    X"),
    (AllOf((Option.ALLOW,)),                                     "+    +    +    +    +    X"),
    (AnyOf((AllOf((Option.ADMIN_OR_SUPER_ADMIN, Option.DENY)), Option.CREATOR_ONLY)),
                                                                 "+    -    -    -    +    X"),
    (AllOf((AnyOf((Option.SUPER_ADMIN_ONLY, Option.CREATOR_ONLY)), Option.ADMIN_OR_SUPER_ADMIN)),
                                                                 "+    +    -    -    -    X"),
    (AllOf((Option.DENY, Option.UNSPECIFIED)),                   "U    U    U    U    U    X"),  # every leaf counts
    (AnyOf((Option.ALLOW, Option.UNSPECIFIED)),                  "U    U    U    U    U    X"),
]


@pytest.mark.parametrize("policy, row", COMPOSITIONS)
@pytest.mark.parametrize("profile", [SEED, LIBXMTP], ids=["seed", "libxmtp"])
def test_and_any_compositions(policy, row, profile):
    """Creator Only is not a libxmtp option: a composition naming it is refused there (every leaf counts)."""
    if not profile.creator_only and "creator_only" in repr(policy):
        row = " ".join("X" if cell == "X" else "C" for cell in row.split())
    for role, cell in zip(ROLES, row.split()):
        assert outcome(uniform(policy), "add_member_policy", ROLES[role], profile) \
            == expected_reason("add_member_policy", cell), role


@pytest.mark.parametrize("condition", [AllOf, AnyOf])
def test_empty_condition_rejected(condition):
    rejected(PermissionReason.EMPTY_CONDITION, condition, ())


# ------------------------------------------------------------------ metadata keys without a policy

def test_metadata_key_without_policy_falls_back():
    policies = uniform(Option.ALLOW)  # only group_name has a policy
    check(policies, Permission.UPDATE_METADATA, ROLES["admin"], metadata_key="topic")
    rejected(PermissionReason.UPDATE_METADATA_DENIED, check, policies, Permission.UPDATE_METADATA, ROLES["member"],
             metadata_key="topic")
    check(policies, Permission.UPDATE_METADATA, ROLES["super admin"], metadata_key="_commit_log_signer")
    rejected(PermissionReason.UPDATE_METADATA_DENIED, check, policies, Permission.UPDATE_METADATA, ROLES["admin"],
             metadata_key="_commit_log_signer")


def test_explicit_policy_beats_the_super_admin_prefix():
    policies = Policies(Option.ALLOW, Option.ALLOW, {"_x": Option.ALLOW}, Option.DENY, Option.DENY, Option.DENY)
    check(policies, Permission.UPDATE_METADATA, ROLES["member"], metadata_key="_x")


# ------------------------------------------------------------------ super-admin rules (XIP-47)

ANYONE_REMOVES = uniform(Option.ALLOW)
ADMINS_REMOVE = uniform(Option.ADMIN_OR_SUPER_ADMIN)


@pytest.mark.parametrize("profile", [SEED, LIBXMTP], ids=["seed", "libxmtp"])
def test_removing_members(profile):
    check_remove_member(ADMINS_REMOVE, ROLES["admin"], ROLES["member"], super_admins_left=1, profile=profile)
    rejected(PermissionReason.REMOVE_MEMBER_DENIED, check_remove_member, ADMINS_REMOVE, ROLES["member"],
             ROLES["admin"], super_admins_left=1, profile=profile)
    rejected(PermissionReason.ACTOR_NOT_MEMBER, check_remove_member, ANYONE_REMOVES, ROLES["non-member"],
             ROLES["member"], super_admins_left=1, profile=profile)
    # the creator has no protection of its own once it is no longer a super admin
    check_remove_member(ADMINS_REMOVE, ROLES["admin"], ROLES["creator, demoted"], super_admins_left=1, profile=profile)


@pytest.mark.parametrize("profile", [SEED, LIBXMTP], ids=["seed", "libxmtp"])
def test_admins_cannot_remove_super_admins(profile):
    for removed in ("creator super admin", "super admin"):
        rejected(PermissionReason.SUPER_ADMIN_NOT_REMOVABLE, check_remove_member, ANYONE_REMOVES, ROLES["admin"],
                 ROLES[removed], super_admins_left=1, profile=profile)
        rejected(PermissionReason.SUPER_ADMIN_NOT_REMOVABLE, check_remove_member, ANYONE_REMOVES, ROLES["member"],
                 ROLES[removed], super_admins_left=1, profile=profile)


def test_super_admin_removes_super_admin_from_group_seed():
    check_remove_member(ADMINS_REMOVE, ROLES["super admin"], ROLES["creator super admin"], super_admins_left=1)
    rejected(PermissionReason.LAST_SUPER_ADMIN, check_remove_member, ADMINS_REMOVE, ROLES["super admin"],
             ROLES["creator super admin"], super_admins_left=0)


def test_super_admin_removes_super_admin_from_group_libxmtp():
    rejected(PermissionReason.SUPER_ADMIN_NOT_REMOVABLE, check_remove_member, ADMINS_REMOVE, ROLES["super admin"],
             ROLES["creator super admin"], super_admins_left=1, profile=LIBXMTP)


def test_only_super_admins_add_super_admins():
    check_add_super_admin(ROLES["super admin"])
    check_add_super_admin(ROLES["creator super admin"])
    for role in ("admin", "member", "creator, demoted"):
        rejected(PermissionReason.SUPER_ADMIN_REQUIRED, check_add_super_admin, ROLES[role])
    rejected(PermissionReason.ACTOR_NOT_MEMBER, check_add_super_admin, ROLES["non-member"])


def test_only_super_admins_remove_super_admins_and_one_remains():
    check_remove_super_admin(ROLES["super admin"], super_admins_left=1)   # e.g. removing itself, another remains
    rejected(PermissionReason.LAST_SUPER_ADMIN, check_remove_super_admin, ROLES["super admin"], super_admins_left=0)
    rejected(PermissionReason.SUPER_ADMIN_REQUIRED, check_remove_super_admin, ROLES["admin"], super_admins_left=1)
    rejected(PermissionReason.ACTOR_NOT_MEMBER, check_remove_super_admin, ROLES["non-member"], super_admins_left=1)


def test_creator_starts_as_the_only_super_admin():
    creator, other = "c" * 64, "d" * 64
    metadata, mutable = new_group_metadata(creator), new_group_mutable_metadata(creator)
    membership = new_group_membership(creator)
    assert Actor.in_group(creator, metadata, mutable, membership) == Actor(
        creator, is_creator=True, is_admin=False, is_super_admin=True, is_member=True)
    assert Actor.in_group(other, metadata, mutable, membership) == Actor(other, is_member=False)


# ------------------------------------------------------------------ base numbers per profile (facts §3.4)

def base_numbers(profile):
    """(membership/metadata base, permissions-update base) of each option; None where not encodable."""
    def number(option, kind):
        policies = Policies(option if kind == "m" else Option.ALLOW, Option.ALLOW, {},
                            option if kind == "p" else Option.DENY, Option.DENY, Option.DENY)
        try:
            proto = policies.to_proto(profile).policies
        except Rejected as e:
            assert e.reason is PermissionReason.OPTION_NOT_ENCODABLE
            return None
        return int((proto.add_member_policy if kind == "m" else proto.add_admin_policy).base)
    return {name: (number(option, "m"), number(option, "p")) for name, option in OPTIONS.items()}


@pytest.mark.parametrize("profile", [SEED, LIBXMTP], ids=["seed", "libxmtp"])
def test_base_numbers_are_todays_in_every_profile(profile):
    """(membership/metadata number, permissions-update number); Creator Only has none (facts §3.4)."""
    assert base_numbers(profile) == {
        "unspecified": (0, 0), "allow": (1, None), "deny": (2, 1), "creator only": (None, None),
        "admin or super": (3, 2), "super admin": (4, 3)}


@pytest.mark.parametrize("option, number", [(Option.ADMIN_OR_SUPER_ADMIN, 3), (Option.SUPER_ADMIN_ONLY, 4)])
def test_metadata_base_numbers(option, number):
    policies = Policies(Option.ALLOW, Option.ALLOW, {"k": option}, Option.DENY, Option.DENY, Option.DENY)
    assert policies.to_proto(SEED).policies.update_metadata_policy["k"] == MetadataPolicy(base=number)


def test_creator_only_is_evaluated_but_not_encodable():
    policies = Policies(Option.CREATOR_ONLY, Option.ALLOW, {}, Option.DENY, Option.DENY, Option.DENY)
    rejected(PermissionReason.OPTION_NOT_ENCODABLE, policies.to_proto, SEED)
    assert allows(Option.CREATOR_ONLY, ROLES["creator, demoted"])
    assert not allows(Option.CREATOR_ONLY, ROLES["super admin"])


def test_value_3_means_admin_or_super_admin():
    proto = valid_set(add_member_policy=MembershipPolicy(base=3), update_metadata_policy={})
    assert Policies.from_proto(proto, SEED).add_member is Option.ADMIN_OR_SUPER_ADMIN
    assert Policies.from_proto(proto, LIBXMTP).add_member is Option.ADMIN_OR_SUPER_ADMIN


def test_composition_wire_bytes():
    policies = uniform(AnyOf((Option.ALLOW, Option.SUPER_ADMIN_ONLY)))
    proto = Policies(policies.add_member, Option.ALLOW, {}, Option.DENY, Option.DENY, Option.DENY)
    assert proto.to_proto(LIBXMTP).policies.add_member_policy.encode().hex() == "1a080a0208010a020804"
    assert proto.to_proto(SEED) == proto.to_proto(LIBXMTP)


# ------------------------------------------------------------------ decoding rejections (facts §4.2)

def valid_set(**changes) -> GroupMutablePermissionsV1:
    base = preset_policies(Preset.ALL_MEMBERS, LIBXMTP).to_proto(LIBXMTP).policies
    return GroupMutablePermissionsV1(dataclasses.replace(base, **changes))


@pytest.mark.parametrize("changes, reason", [
    ({"add_member_policy": MembershipPolicy(base=0)}, PermissionReason.UNSPECIFIED_POLICY),
    ({"add_member_policy": MembershipPolicy(base=5)}, PermissionReason.UNKNOWN_POLICY),
    ({"add_admin_policy": PermissionsUpdatePolicy(base=4)}, PermissionReason.UNKNOWN_POLICY),
    ({"update_metadata_policy": {"group_name": MetadataPolicy(base=-1)}}, PermissionReason.UNKNOWN_POLICY),
    ({"remove_member_policy": MembershipPolicy(and_condition=MembershipCondition())}, PermissionReason.EMPTY_CONDITION),
    ({"remove_member_policy": MembershipPolicy(any_condition=MembershipCondition())}, PermissionReason.EMPTY_CONDITION),
    ({"remove_member_policy": MembershipPolicy(any_condition=MembershipCondition((MembershipPolicy(base=0),)))},
     PermissionReason.UNSPECIFIED_POLICY),
    ({"update_permissions_policy": None}, PermissionReason.MISSING_POLICY),
    ({"add_member_policy": MembershipPolicy()}, PermissionReason.MISSING_POLICY),
])
def test_decoding_rejects(changes, reason):
    extension = permissions_extension(valid_set(**changes))
    rejected(reason, Policies.from_proto, read_mutable_permissions([extension]), LIBXMTP)


def test_decoding_rejects_missing_policy_set_and_map_value():
    rejected(PermissionReason.MISSING_POLICY_SET, Policies.from_proto, GroupMutablePermissionsV1())
    entry_without_value = bytes.fromhex("0a" "021a00")  # policies { update_metadata_policy { } }
    proto = read_mutable_permissions([Extension(0xFF02, entry_without_value)])
    rejected(PermissionReason.MISSING_POLICY, Policies.from_proto, proto)


def test_empty_metadata_map_accepted():
    proto = valid_set(update_metadata_policy={})
    assert Policies.from_proto(proto, LIBXMTP).update_metadata == {}


options_for = {
    SEED: st.sampled_from([Option.ALLOW, Option.DENY, Option.ADMIN_OR_SUPER_ADMIN, Option.SUPER_ADMIN_ONLY]),
    LIBXMTP: st.sampled_from([Option.ALLOW, Option.DENY, Option.ADMIN_OR_SUPER_ADMIN, Option.SUPER_ADMIN_ONLY]),
}
admin_options = st.sampled_from([Option.DENY, Option.ADMIN_OR_SUPER_ADMIN, Option.SUPER_ADMIN_ONLY])


def trees(leaves):
    return st.recursive(leaves, lambda inner: st.lists(inner, min_size=1, max_size=3).flatmap(
        lambda ps: st.sampled_from([AllOf(tuple(ps)), AnyOf(tuple(ps))])), max_leaves=8)


@pytest.mark.parametrize("profile", [SEED, LIBXMTP], ids=["seed", "libxmtp"])
@given(data=st.data())
def test_policies_round_trip(profile, data):
    member, admin = trees(options_for[profile]), trees(admin_options)
    policies = Policies(data.draw(member), data.draw(member), data.draw(st.dictionaries(st.text(max_size=8), member)),
                        data.draw(admin), data.draw(admin), data.draw(admin))
    extension = permissions_extension(policies.to_proto(profile))
    assert Policies.from_proto(read_mutable_permissions([extension]), profile) == policies


# ------------------------------------------------------------------ presets (XIP-47, facts §4.3)

A, S, D, Y = Option.ADMIN_OR_SUPER_ADMIN, Option.SUPER_ADMIN_ONLY, Option.DENY, Option.ALLOW
DISAPPEAR_AND_VERSION = {"message_disappear_from_ns": A, "message_disappear_in_ns": A,
                         "minimum_supported_protocol_version": S}

EXPECTED_PRESETS = {
    ("all_members", "seed"): Policies(Y, A, {
        "group_name": A, "description": A, "group_image_url_square": A, "group_pinned_frame_url": A, "app_data": A,
        **DISAPPEAR_AND_VERSION}, S, S, S),
    ("all_members", "libxmtp"): Policies(Y, A, {
        "group_name": Y, "description": Y, "group_image_url_square": Y, "app_data": Y,
        **DISAPPEAR_AND_VERSION}, S, S, S),
    ("admins_only", "seed"): Policies(A, A, {
        "group_name": A, "description": A, "group_image_url_square": A, "group_pinned_frame_url": A, "app_data": A,
        **DISAPPEAR_AND_VERSION}, S, S, S),
    ("admins_only", "libxmtp"): Policies(A, A, {
        "group_name": A, "description": A, "group_image_url_square": A, "app_data": A,
        **DISAPPEAR_AND_VERSION}, S, S, S),
    ("dm", "seed"): Policies(D, D, {
        "group_name": Y, "description": Y, "group_image_url_square": Y, "group_pinned_frame_url": Y, "app_data": Y,
        "message_disappear_from_ns": Y, "message_disappear_in_ns": Y, "minimum_supported_protocol_version": Y},
        D, D, D),
    ("dm", "libxmtp"): Policies(D, D, {
        "group_name": Y, "description": Y, "group_image_url_square": Y, "app_data": Y,
        "message_disappear_from_ns": Y, "message_disappear_in_ns": Y, "minimum_supported_protocol_version": Y},
        D, D, D),
}


@pytest.mark.parametrize("preset, profile_name", list(EXPECTED_PRESETS))
def test_presets(preset, profile_name):
    profile = {"seed": SEED, "libxmtp": LIBXMTP}[profile_name]
    policies = preset_policies(Preset(preset), profile)
    assert policies == EXPECTED_PRESETS[preset, profile_name]
    assert preset_of(policies, profile) is Preset(preset)
    extension = permissions_extension(policies.to_proto(profile))
    assert Policies.from_proto(read_mutable_permissions([extension]), profile) == policies


def test_preset_recognition_with_an_extra_underscore_key():
    """libxmtp is_policy_default / is_policy_admin_only: a `_` key is like any other key (Allow in All Members,
    admin-only in Admins Only); the seed profile expects it super-admin-only."""
    for preset, plain in ((Preset.ALL_MEMBERS, Option.ALLOW), (Preset.ADMINS_ONLY, Option.ADMIN_OR_SUPER_ADMIN)):
        base = preset_policies(preset, LIBXMTP)
        with_key = lambda policy: dataclasses.replace(base, update_metadata={**base.update_metadata, "_x": policy})
        assert preset_of(with_key(plain), LIBXMTP) is preset
        assert preset_of(with_key(Option.SUPER_ADMIN_ONLY), LIBXMTP) is Preset.CUSTOM
        seed = preset_policies(preset, SEED)
        assert preset_of(dataclasses.replace(seed, update_metadata={**seed.update_metadata,
                                                                    "_x": Option.SUPER_ADMIN_ONLY}), SEED) is preset


def test_all_members_metadata_rule_per_profile():
    member = ROLES["member"]
    rejected(PermissionReason.UPDATE_METADATA_DENIED, check, preset_policies(Preset.ALL_MEMBERS, SEED),
             Permission.UPDATE_METADATA, member, metadata_key="group_name")
    check(preset_policies(Preset.ALL_MEMBERS, LIBXMTP), Permission.UPDATE_METADATA, member,
          metadata_key="group_name", profile=LIBXMTP)


def test_preset_detection_uses_present_keys_only():
    old_group = Policies(Y, A, {"group_name": Y, "description": Y}, S, S, S)  # created before other keys existed
    assert preset_of(old_group, LIBXMTP) is Preset.ALL_MEMBERS
    assert preset_of(Policies(Y, A, {}, S, S, S), SEED) is Preset.ALL_MEMBERS
    assert preset_of(Policies(Y, A, {"group_name": A}, S, S, S), LIBXMTP) is Preset.CUSTOM
    assert preset_of(Policies(Y, Y, {}, S, S, S), LIBXMTP) is Preset.CUSTOM


def test_custom_is_not_buildable_from_a_preset():
    with pytest.raises(ValueError):
        preset_policies(Preset.CUSTOM)


# ------------------------------------------------------------------ intents (facts §4.2)

START = preset_policies(Preset.ALL_MEMBERS, LIBXMTP)


@pytest.mark.parametrize("profile", [SEED, LIBXMTP], ids=["seed", "libxmtp"])
def test_intent_sets_one_policy(profile):
    assert update_by_intent(START, Permission.ADD_MEMBER, Option.DENY, profile=profile).add_member is Option.DENY
    updated = update_by_intent(START, Permission.UPDATE_METADATA, Option.SUPER_ADMIN_ONLY, metadata_key="description",
                               profile=profile)
    assert updated.update_metadata == {**START.update_metadata, "description": S}


@pytest.mark.parametrize("permission", [Permission.ADD_ADMIN, Permission.REMOVE_ADMIN])
def test_intent_allow_on_admin_policy_becomes_super_admin_only(permission):
    updated = update_by_intent(START, permission, Option.ALLOW, profile=LIBXMTP)
    assert updated.policy_for(permission) is Option.SUPER_ADMIN_ONLY
    assert update_by_intent(START, permission, Option.DENY).policy_for(permission) is Option.DENY


def test_intent_cannot_change_update_permissions_policy():
    rejected(PermissionReason.NOT_UPDATABLE_BY_INTENT, update_by_intent, START, Permission.UPDATE_PERMISSIONS,
             Option.SUPER_ADMIN_ONLY)


def test_intent_options():
    rejected(PermissionReason.INVALID_INTENT_OPTION, update_by_intent, START, Permission.ADD_MEMBER, Option.UNSPECIFIED)
    for profile in (SEED, LIBXMTP):  # an intent becomes a commit: only encodable options
        rejected(PermissionReason.INVALID_INTENT_OPTION, update_by_intent, START, Permission.ADD_MEMBER,
                 Option.CREATOR_ONLY, profile=profile)
    rejected(PermissionReason.INVALID_INTENT_OPTION, update_by_intent, START, Permission.ADD_ADMIN,
             Option.CREATOR_ONLY, profile=SEED)


def test_allows_is_the_policy_alone():
    assert allows(Option.ALLOW, ROLES["non-member"])  # membership is check()'s business
    rejected(PermissionReason.UNSPECIFIED_POLICY, allows, Option.UNSPECIFIED, ROLES["member"])


def test_policies_has_one_field_per_permission_in_the_order_of_the_list():
    assert [f.name for f in dataclasses.fields(Policies)] == [p.value.removesuffix("_policy") for p in PERMISSIONS]
    assert list(PERMISSIONS) == list(Permission)


def test_the_json_form_and_the_protobuf_follow_the_list():
    policies = preset_policies(Preset.ADMINS_ONLY, SEED)
    assert list(policies_json(policies)) == [p.value for p in PERMISSIONS]
    encoded = policies.to_proto(SEED).policies
    for permission, rule in PERMISSIONS.items():
        field = getattr(encoded, permission.value)
        assert all(isinstance(v, rule.message) for v in field.values()) if isinstance(field, dict) \
            else isinstance(field, rule.message)
