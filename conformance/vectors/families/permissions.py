"""XIP-47 group permissions (facts §3.4, §4.1–§4.3): who each policy allows, the super-admin rules, the presets.

Every case is one decision of ``spec_model.xmtp.permissions``, selected by
``inputs.check``:

* ``permission``: may ``actor`` exercise ``permission`` under ``policy``
  (``check``); for update_metadata the policies are ``metadata_policies`` (key ->
  policy) and the key changed is ``metadata_key`` (a key without a policy falls
  back to super-admin-only for ``_``-prefixed keys, else admin-or-super-admin);
* ``remove_member``: may ``actor`` remove ``removed`` under remove_member_policy
  ``policy``, ``super_admins_left`` super admins remaining (``check_remove_member``);
* ``add_super_admin`` / ``remove_super_admin``: the super-admin list rules;
* ``preset``: the policy set a preset creates, ``outputs.encoded`` being the 0xFF02
  extension data (a ``GroupMutablePermissionsV1`` protobuf);
* ``decode``: reading a 0xFF02 value (``Policies.from_proto``): valid with the
  decoded policies, or refused with the reason.

A policy is written as JSON: an option name (``allow``, ``deny``, ``creator_only``,
``allow_if_admin_or_super_admin``, ``allow_if_super_admin``, ``unspecified``), or
``{"all_of": [...]}`` / ``{"any_of": [...]}``. An actor is its four flags, taken
from the group before the change. ``creator_only`` has no wire number (seed
only) and ``unspecified`` is never decoded; cases using them are tagged so.

Questions: ``decide`` with the case's ``inputs``; the answer is ``{result: valid, reason: null,
outputs}`` (``{allowed: true}`` for the checks, ``{encoded, policies}`` for ``preset``, ``{policies,
preset}`` for ``decode``) or ``{result: invalid, reason}``.
"""

from __future__ import annotations

from typing import Any, Literal, Union

from pydantic import Field

from spec_model.xmtp.extensions import (
    GroupMutablePermissionsV1, MembershipCondition, MembershipPolicy, MetadataPolicy, PermissionsUpdatePolicy,
)
from spec_model.xmtp.permissions import (
    Actor, AllOf, AnyOf, Option, Permission, Policies, Preset, check, check_add_super_admin, check_remove_member,
    check_remove_super_admin, policies_json, policy_from_json, policy_json, preset_of, preset_policies,
)
from spec_model.xmtp.profiles import LIBXMTP, PROFILES

from .. import case_id
from ..family import Exchange, Hex, absent, decision_exchanges
from ..formats import DecisionCase, Expected, Verdict
from ..questions import answer_decision

FAMILY = "permissions"
FORMAT = "decision"
AREA = "permissions"

ROLES: dict[str, dict[str, bool]] = {
    "creator_super_admin": dict(is_creator=True, is_admin=False, is_super_admin=True, is_member=True),
    "super_admin": dict(is_creator=False, is_admin=False, is_super_admin=True, is_member=True),
    "admin": dict(is_creator=False, is_admin=True, is_super_admin=False, is_member=True),
    "member": dict(is_creator=False, is_admin=False, is_super_admin=False, is_member=True),
    "demoted_creator": dict(is_creator=True, is_admin=False, is_super_admin=False, is_member=True),
    "non_member": dict(is_creator=False, is_admin=False, is_super_admin=False, is_member=False),
}
ROLE_TEXT = {"creator_super_admin": "the creator (a super admin)", "super_admin": "a super admin",
             "admin": "an admin", "member": "a plain member", "demoted_creator": "the creator, no longer super admin",
             "non_member": "a non-member"}

RULES = {
    Permission.ADD_MEMBER: "XIP-47 Permission Options; libxmtp group_permissions.rs MembershipPolicies::evaluate",
    Permission.REMOVE_MEMBER: "XIP-47 Permission Options; libxmtp group_permissions.rs MembershipPolicies::evaluate",
    Permission.UPDATE_METADATA: "XIP-47 Permission Options; libxmtp group_permissions.rs evaluate_metadata_policy",
    Permission.ADD_ADMIN: "XIP-47 Permission Options; libxmtp group_permissions.rs PermissionsPolicies::evaluate",
    Permission.REMOVE_ADMIN: "XIP-47 Permission Options; libxmtp group_permissions.rs PermissionsPolicies::evaluate",
    Permission.UPDATE_PERMISSIONS: {
        "seed": "XIP-47 Threat Model (only super admins update permissions) and update_permissions_policy",
        "libxmtp": "libxmtp group_permissions.rs evaluate_commit: any super admin, update_permissions_policy ignored",
    },
}


# ------------------------------------------------------------------ names and tags

def policy_name(policy) -> str:
    if isinstance(policy, (AllOf, AnyOf)):
        kind = "all_of" if isinstance(policy, AllOf) else "any_of"
        return f"{kind}({','.join(policy_name(p) for p in policy.policies)})"
    return policy.value


def _leaves(policy) -> set[Option]:
    if isinstance(policy, (AllOf, AnyOf)):
        return set().union(*(_leaves(p) for p in policy.policies))
    return {policy}


def _policy_tags(policy) -> list[str]:
    leaves = _leaves(policy)
    return ([*(["creator_only"] if Option.CREATOR_ONLY in leaves else []),
             *(["unspecified"] if Option.UNSPECIFIED in leaves else []),
             *(["composition"] if isinstance(policy, (AllOf, AnyOf)) else [])])


def _actor(flags: dict[str, bool], name: str = "actor") -> Actor:
    return Actor(name, **flags)


# ------------------------------------------------------------------ the decisions (shared by cases and verify)

def _policies_for(inputs: dict[str, Any]) -> tuple[Policies, str | None]:
    """A policy set in which the permission under test has the input's policy (the others do not matter)."""
    permission = Permission(inputs["permission"])
    if permission is Permission.UPDATE_METADATA:
        metadata = {k: policy_from_json(p) for k, p in inputs["metadata_policies"].items()}
        return Policies(Option.DENY, Option.DENY, metadata, Option.DENY, Option.DENY, Option.DENY), \
            inputs["metadata_key"]
    policy = policy_from_json(inputs["policy"])
    fields = dict(add_member=Option.DENY, remove_member=Option.DENY, update_metadata={}, add_admin=Option.DENY,
                  remove_admin=Option.DENY, update_permissions=Option.DENY)
    fields[permission.removesuffix("_policy")] = policy
    return Policies(**fields), None


def decide(inputs: dict[str, Any]) -> dict[str, Any]:
    """Run the decision ``inputs`` describe with the model: its outputs, or ``Rejected``."""
    profile = PROFILES[inputs["profile"]]
    kind = inputs["check"]
    if kind == "permission":
        policies, key = _policies_for(inputs)
        check(policies, Permission(inputs["permission"]), _actor(inputs["actor"]), metadata_key=key, profile=profile)
        return {"allowed": True}
    if kind == "remove_member":
        policies = Policies(Option.DENY, policy_from_json(inputs["policy"]), {}, Option.DENY, Option.DENY, Option.DENY)
        check_remove_member(policies, _actor(inputs["actor"]), _actor(inputs["removed"], "removed"),
                            super_admins_left=inputs["super_admins_left"], profile=profile)
        return {"allowed": True}
    if kind == "add_super_admin":
        check_add_super_admin(_actor(inputs["actor"]))
        return {"allowed": True}
    if kind == "remove_super_admin":
        check_remove_super_admin(_actor(inputs["actor"]), super_admins_left=inputs["super_admins_left"])
        return {"allowed": True}
    if kind == "preset":
        policies = preset_policies(Preset(inputs["preset"]), profile)
        encoded = policies.to_proto(profile).encode()
        decoded = Policies.from_proto(GroupMutablePermissionsV1.decode(encoded), profile)
        if decoded != policies or preset_of(decoded, profile) is not Preset(inputs["preset"]):
            raise AssertionError(f"preset {inputs['preset']} does not round-trip")
        return {"encoded": encoded.hex(), "policies": policies_json(policies)}
    if kind == "decode":
        decoded = Policies.from_proto(GroupMutablePermissionsV1.decode(bytes.fromhex(inputs["encoded"])), profile)
        return {"policies": policies_json(decoded), "preset": preset_of(decoded, profile).value}
    raise ValueError(f"unknown check {kind!r}")


def answer(question: dict) -> dict:
    """``decide``: the outputs of the decision ``inputs`` describe, or the reason it refuses."""
    return answer_decision(decide, question["inputs"])


def _case(name: str, description: str, rule: str, tags: list[str], inputs: dict[str, Any]) -> DecisionCase:
    decided = answer({"ask": "decide", "inputs": inputs})
    verdict = "allowed" if decided["result"] == Verdict.VALID else f"refused with {decided['reason']}"
    return DecisionCase(id=case_id(FAMILY, name), description=description.replace("{verdict}", verdict),
                        rule=rule, tags=tags, inputs=inputs,
                        expected=Expected(result=decided["result"], reason=decided["reason"]),
                        outputs=decided.get("outputs", {}))


# ------------------------------------------------------------------ the cases

OPTIONS = [Option.ALLOW, Option.DENY, Option.CREATOR_ONLY, Option.ADMIN_OR_SUPER_ADMIN, Option.SUPER_ADMIN_ONLY,
           Option.UNSPECIFIED]

COMPOSITIONS = [
    AllOf((Option.ADMIN_OR_SUPER_ADMIN, Option.CREATOR_ONLY)),
    AnyOf((Option.SUPER_ADMIN_ONLY, Option.CREATOR_ONLY)),
    AllOf((Option.ALLOW, Option.DENY)),
    AnyOf((Option.DENY, Option.ADMIN_OR_SUPER_ADMIN)),
    AllOf((Option.ALLOW,)),
    AnyOf((AllOf((Option.ADMIN_OR_SUPER_ADMIN, Option.DENY)), Option.CREATOR_ONLY)),
    AllOf((AnyOf((Option.SUPER_ADMIN_ONLY, Option.CREATOR_ONLY)), Option.ADMIN_OR_SUPER_ADMIN)),
    AllOf((Option.DENY, Option.UNSPECIFIED)),   # every leaf is evaluated: unspecified is refused
    AnyOf((Option.ALLOW, Option.UNSPECIFIED)),
]


def _permission_inputs(profile: str, permission: Permission, policy, role: str) -> dict[str, Any]:
    inputs: dict[str, Any] = {"check": "permission", "profile": profile, "permission": permission.value}
    if permission is Permission.UPDATE_METADATA:
        inputs |= {"metadata_policies": {"group_name": policy_json(policy)}, "metadata_key": "group_name"}
    else:
        inputs["policy"] = policy_json(policy)
    return inputs | {"actor": ROLES[role]}


def _table_cases() -> list[DecisionCase]:
    out = []
    for profile in PROFILES:
        for permission in Permission:
            rule = RULES[permission]
            rule = rule[profile] if isinstance(rule, dict) else rule
            short = permission.removesuffix("_policy")
            for option in OPTIONS:
                for role in ROLES:
                    out.append(_case(
                        f"{profile}/{short}/{option.value}/{role}",
                        f"Given the {profile} profile and {permission.value} = {option.value}"
                        + (" (for key group_name)" if permission is Permission.UPDATE_METADATA else "")
                        + f", When {ROLE_TEXT[role]} exercises {short}, Then it is {{verdict}}",
                        rule, [profile, "permission_table", *_policy_tags(option)],
                        _permission_inputs(profile, permission, option, role)))
            if permission is Permission.ADD_MEMBER:
                for policy in COMPOSITIONS:
                    for role in ROLES:
                        out.append(_case(
                            f"{profile}/{short}/{policy_name(policy)}/{role}",
                            f"Given the {profile} profile and add_member_policy = {policy_name(policy)}, When "
                            f"{ROLE_TEXT[role]} adds a member, Then it is {{verdict}} (And: all allow; Any: one "
                            "allows; every leaf is evaluated)",
                            "libxmtp group_permissions.rs AndCondition / AnyCondition evaluate",
                            [profile, "permission_table", *_policy_tags(policy)],
                            _permission_inputs(profile, permission, policy, role)))
    return out


def _metadata_fallback_cases() -> list[DecisionCase]:
    out = []
    rule = "libxmtp group_permissions.rs evaluate_metadata_policy (a key without a policy)"
    for profile in PROFILES:
        for key, role, note in [
            ("topic", "admin", "admin-or-super-admin"), ("topic", "member", "admin-or-super-admin"),
            ("_commit_log_signer", "super_admin", "super-admin-only (the _ prefix)"),
            ("_commit_log_signer", "admin", "super-admin-only (the _ prefix)"),
        ]:
            out.append(_case(
                f"{profile}/update_metadata/fallback/{key}/{role}",
                f"Given the {profile} profile and metadata policies only for group_name (allow), When "
                f"{ROLE_TEXT[role]} changes {key}, which has no policy and falls back to {note}, Then it is "
                "{verdict}",
                rule, [profile, "metadata_fallback"],
                {"check": "permission", "profile": profile, "permission": Permission.UPDATE_METADATA.value,
                 "metadata_policies": {"group_name": "allow"}, "metadata_key": key, "actor": ROLES[role]}))
        out.append(_case(
            f"{profile}/update_metadata/explicit_policy_beats_prefix/member",
            f"Given the {profile} profile and an explicit allow policy for key _x, When a plain member changes _x, "
            "Then it is {verdict}: the _ prefix only matters for keys without a policy",
            rule, [profile, "metadata_fallback"],
            {"check": "permission", "profile": profile, "permission": Permission.UPDATE_METADATA.value,
             "metadata_policies": {"_x": "allow"}, "metadata_key": "_x", "actor": ROLES["member"]}))
    return out


def _super_admin_cases() -> list[DecisionCase]:
    out = []
    remove_rule = {"seed": "XIP-47: admins can not remove super admins; super admins can, while one remains",
                   "libxmtp": "libxmtp group_permissions.rs evaluate_commit: no commit removes a super admin"}
    removals = [  # name, policy, actor, removed, super_admins_left, why
        ("admin_removes_member", Option.ADMIN_OR_SUPER_ADMIN, "admin", "member", 1, "the policy allows admins"),
        ("member_removes_admin", Option.ADMIN_OR_SUPER_ADMIN, "member", "admin", 1, "the policy refuses members"),
        ("non_member_removes_member", Option.ALLOW, "non_member", "member", 1, "only members act"),
        ("admin_removes_demoted_creator", Option.ADMIN_OR_SUPER_ADMIN, "admin", "demoted_creator", 1,
         "the creator has no protection of its own"),
        ("admin_removes_creator_super_admin", Option.ALLOW, "admin", "creator_super_admin", 1,
         "admins can not remove super admins"),
        ("admin_removes_super_admin", Option.ALLOW, "admin", "super_admin", 1, "admins can not remove super admins"),
        ("member_removes_super_admin", Option.ALLOW, "member", "super_admin", 1,
         "members can not remove super admins"),
        ("super_admin_removes_creator_super_admin", Option.ADMIN_OR_SUPER_ADMIN, "super_admin",
         "creator_super_admin", 1, "one super admin remains (seed) / no one removes a super admin (libxmtp)"),
        ("super_admin_removes_last_other_super_admin", Option.ADMIN_OR_SUPER_ADMIN, "super_admin",
         "creator_super_admin", 0, "no super admin would remain (seed) / no one removes a super admin (libxmtp)"),
    ]
    for profile in PROFILES:
        for name, policy, actor, removed, left, why in removals:
            out.append(_case(
                f"{profile}/remove_member/{name}",
                f"Given the {profile} profile, remove_member_policy = {policy.value} and {left} super admin(s) left "
                f"afterwards, When {ROLE_TEXT[actor]} removes {ROLE_TEXT[removed]}, Then it is {{verdict}} ({why})",
                remove_rule[profile], [profile, "super_admin_rules"],
                {"check": "remove_member", "profile": profile, "policy": policy_json(policy),
                 "actor": ROLES[actor], "removed": ROLES[removed], "super_admins_left": left}))
        for role in ROLES:
            out.append(_case(
                f"{profile}/add_super_admin/{role}",
                f"Given the {profile} profile, When {ROLE_TEXT[role]} adds a super admin, Then it is {{verdict}}",
                "XIP-47: only super admins can add other super admins (facts §4.4 step 12e)",
                [profile, "super_admin_rules"],
                {"check": "add_super_admin", "profile": profile, "actor": ROLES[role]}))
        for role, left in [("super_admin", 1), ("creator_super_admin", 1), ("super_admin", 0), ("admin", 1),
                           ("member", 1), ("demoted_creator", 1), ("non_member", 1)]:
            out.append(_case(
                f"{profile}/remove_super_admin/{role}/{left}_left",
                f"Given the {profile} profile, When {ROLE_TEXT[role]} removes a super admin (possibly itself) "
                f"leaving {left} in the list, Then it is {{verdict}}",
                "XIP-47: super admins remove super admins, but at least one remains (facts §4.4 step 12f)",
                [profile, "super_admin_rules"],
                {"check": "remove_super_admin", "profile": profile, "actor": ROLES[role], "super_admins_left": left}))
    return out


def _preset_cases() -> list[DecisionCase]:
    out = []
    for profile in PROFILES:
        for preset in (Preset.ALL_MEMBERS, Preset.ADMINS_ONLY, Preset.DM):
            out.append(_case(
                f"{profile}/preset/{preset.value}",
                f"Given the {profile} profile, When a group is created with the {preset.value} preset, Then its "
                "0xFF02 extension is the encoded policy set, which decodes back and is detected as the preset",
                "XIP-47 Sensible Default Options; libxmtp PolicySet::default / PreconfiguredPolicies / new_dm "
                "(facts §4.3)",
                [profile, "preset"], {"check": "preset", "profile": profile, "preset": preset.value}))
    return out


def _decode_cases() -> list[DecisionCase]:
    import dataclasses

    base = preset_policies(Preset.ALL_MEMBERS, LIBXMTP).to_proto(LIBXMTP).policies

    def encoded(**changes) -> str:
        """The default set with ``changes``; without its metadata map unless a change names it (shorter)."""
        return GroupMutablePermissionsV1(dataclasses.replace(base, **{"update_metadata_policy": {}, **changes})
                                         ).encode().hex()

    rows = [
        ("all_members", encoded(update_metadata_policy=base.update_metadata_policy), "the libxmtp default policy set"),
        ("empty_metadata_map", encoded(), "an empty metadata policy map"),
        ("value_3_is_admin_or_super_admin", encoded(add_member_policy=MembershipPolicy(base=3)),
         "an empty metadata map and add_member base 3 (today's ALLOW_IF_ADMIN_OR_SUPER_ADMIN, never Creator Only)"),
        ("base_0", encoded(add_member_policy=MembershipPolicy(base=0)), "add_member base 0"),
        ("membership_base_5", encoded(add_member_policy=MembershipPolicy(base=5)), "add_member base 5"),
        ("permissions_base_4", encoded(add_admin_policy=PermissionsUpdatePolicy(base=4)),
         "add_admin base 4 (PermissionsUpdatePolicy stops at 3)"),
        ("metadata_base_negative", encoded(update_metadata_policy={"group_name": MetadataPolicy(base=-1)}),
         "a metadata base of -1"),
        ("empty_and", encoded(remove_member_policy=MembershipPolicy(and_condition=MembershipCondition())),
         "an empty and_condition"),
        ("empty_any", encoded(remove_member_policy=MembershipPolicy(any_condition=MembershipCondition())),
         "an empty any_condition"),
        ("base_0_inside_any", encoded(remove_member_policy=MembershipPolicy(
            any_condition=MembershipCondition((MembershipPolicy(base=0),)))), "an any_condition holding base 0"),
        ("missing_update_permissions_policy", encoded(update_permissions_policy=None),
         "no update_permissions_policy"),
        ("policy_without_kind", encoded(add_member_policy=MembershipPolicy()), "an add_member_policy with no kind"),
        ("missing_policy_set", GroupMutablePermissionsV1().encode().hex(), "no policies at all"),
        ("metadata_entry_without_value", "0a021a00", "a metadata map entry without a value"),
        ("all_members_with_underscore_key_allow", encoded(update_metadata_policy={
            **base.update_metadata_policy, "_x": MetadataPolicy(base=1)}),
         "the libxmtp default policy set and an Allow policy for key _x (libxmtp is_policy_default: a key "
         "other than the disappearing and minimum-version keys must be Allow)"),
        ("all_members_with_underscore_key_super_admin", encoded(update_metadata_policy={
            **base.update_metadata_policy, "_x": MetadataPolicy(base=4)}),
         "the libxmtp default policy set and a super-admin-only policy for key _x"),
    ]
    out = []
    for profile in PROFILES:
        for name, hex_value, what in rows:
            out.append(_case(
                f"{profile}/decode/{name}",
                f"Given a 0xFF02 value with {what}, When a {profile} client decodes it, Then it is {{verdict}}",
                "libxmtp PolicySet::from_proto (facts §4.2); is_policy_default / is_policy_admin_only "
                "(crates/xmtp_mls/src/groups/group_permissions.rs@b649d1a)", [profile, "decode"],
                {"check": "decode", "profile": profile, "encoded": hex_value}))
    return [c.model_copy(update={"description": c.description.replace("allowed", "accepted")}) for c in out]


def cases() -> list[DecisionCase]:
    return [*_table_cases(), *_metadata_fallback_cases(), *_super_admin_cases(), *_preset_cases(), *_decode_cases()]

# ------------------------------------------------------------------ the questions and answers, typed (``family.py``)

PolicyJson = Union[str, dict[Literal["all_of", "any_of"], list[Any]]]
"""An option's name, or {"all_of" | "any_of": [policies]} (``permissions.policy_json``)."""


class ActorJson(Exchange):
    """Who acts or is acted upon: flags from the group state before the change."""

    is_creator: bool
    is_admin: bool
    is_super_admin: bool
    is_member: bool


class Inputs(Exchange):
    """One of six checks (``check``); each uses the fields its description names."""

    check: Literal["permission", "remove_member", "add_super_admin", "remove_super_admin", "preset", "decode"]
    profile: Literal["seed", "libxmtp"]
    permission: Literal[tuple(p.value for p in Permission)] | None = Field(
        None, description="permission: the permission exercised")
    policy: PolicyJson | None = Field(None, description="permission (not update_metadata), remove_member: its policy")
    metadata_policies: dict[str, PolicyJson] | None = Field(
        None, description="permission (update_metadata): the policy of each metadata key")
    metadata_key: str | None = Field(None, description="permission (update_metadata): the key changed")
    actor: ActorJson | None = Field(None, description="every check but preset and decode: who acts")
    removed: ActorJson | None = Field(None, description="remove_member: who is removed")
    super_admins_left: int | None = Field(None, description="remove_member, remove_super_admin: super admins after")
    preset: Literal["all_members", "admins_only", "dm"] | None = Field(None, description="preset: the preset")
    encoded: Hex | None = Field(None, description="decode: a 0xFF02 value (GroupMutablePermissionsV1)")


class PolicyComposition(Exchange):
    """XIP-47 composition of policies (``spec_model.xmtp.permissions.policy_json``): all of them, or any."""

    all_of: list[str | PolicyComposition] = absent()
    any_of: list[str | PolicyComposition] = absent()


Policy = str | PolicyComposition
"""A policy: an option's name, or a composition."""
PolicySet = dict[str, Policy | dict[str, Policy]]
"""A policy set as JSON (``policies_json``): permission -> policy; update_metadata_policy: field -> policy."""


class Outputs(Exchange):
    allowed: bool | None = Field(None, description="the permission checks: true (a refusal is invalid)")
    encoded: Hex | None = Field(None, description="preset: the 0xFF02 value the preset creates")
    policies: PolicySet | None = Field(None, description="preset, decode: the policy set as JSON")
    preset: Literal["all_members", "admins_only", "dm", "custom"] | None = Field(
        None, description="decode: the preset the policy set matches")


EXCHANGES = decision_exchanges(Inputs, Outputs)
