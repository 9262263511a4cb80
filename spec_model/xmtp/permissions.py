"""XIP-47 group permissions: policies, who they allow, the super-admin rules, presets and intents.

Theory of operation
-------------------
XIP-47 gives a group six permissions (``Permission``); each has a policy, a
tree of ``Option`` leaves combined with ``AllOf`` / ``AnyOf`` (the protobuf
``and_condition`` / ``any_condition``); update_metadata has one policy per
attribute key. ``Policies`` holds the six and converts to and from the
``PolicySet`` protobuf of extension 0xFF02; decoding refuses what libxmtp
refuses (docs/xmtp-facts.md §4.2), with a typed ``PermissionReason``.

An ``Actor`` is the member making a change, with its flags taken from the
group state *before* the change. ``check`` evaluates one permission for an
actor; ``check_remove_member``, ``check_add_super_admin`` and
``check_remove_super_admin`` add the super-admin protections. Each raises
``Rejected`` and returns nothing, so commit validation can call them in turn.

Where the seed, XIP-47 and libxmtp disagree, a function takes a ``Profile``
(``spec_model.xmtp.profiles``; ``SEED`` by default).
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Any, Mapping, Union

from spec_model.mls.reasons import RefusalClass, Rejected, reason_codes

from .extensions import (
    MESSAGE_DISAPPEAR_FROM_NS, MESSAGE_DISAPPEAR_IN_NS, MINIMUM_SUPPORTED_PROTOCOL_VERSION, SUPER_ADMIN_PREFIX,
    GroupMembership, GroupMetadataV1, GroupMutableMetadataV1, GroupMutablePermissionsV1, MembershipCondition,
    MembershipPolicy, MetadataCondition, MetadataPolicy, PermissionsUpdateCondition, PermissionsUpdatePolicy, PolicySet,
    text_attribute_keys,
)
from .profiles import SEED, Profile

__all__ = [
    "PermissionReason", "Permission", "Option", "PermissionRule", "PERMISSIONS", "AllOf", "AnyOf", "Policy", "Policies", "Actor", "allows",
    "check", "check_remove_member", "check_add_super_admin", "check_remove_super_admin",
    "Preset", "preset_policies", "preset_of", "update_by_intent", "policy_json", "policy_from_json", "policies_json",
]


_MALFORMED = ("missing_policy_set", "missing_policy", "unspecified_policy", "unknown_policy", "empty_condition",
              "option_not_encodable", "not_updatable_by_intent", "invalid_intent_option")
"""docs/reason-codes.md: the permission codes of a malformed policy or intent (class validation); the others
refuse an actor (class permission, or membership for a non-member)."""


@reason_codes("permission", RefusalClass.PERMISSION, actor_not_member=RefusalClass.MEMBERSHIP,
              **dict.fromkeys(_MALFORMED, RefusalClass.VALIDATION))
class PermissionReason(enum.StrEnum):
    """libxmtp crates/xmtp_mls/src/groups/group_permissions.rs@a53a97e, validated_commit.rs, intents.rs: why a
    policy or a change is refused.

    libxmtp reports every refused change as InsufficientPermissions; the model
    names the rule.
    """

    # Decoding a PolicySet (docs/xmtp-facts.md §4.2)
    MISSING_POLICY_SET = "permission.missing_policy_set"      # GroupMutablePermissionsV1 without policies
    MISSING_POLICY = "permission.missing_policy"              # a top-level policy, a map value or a oneof kind absent
    UNSPECIFIED_POLICY = "permission.unspecified_policy"      # base value 0
    UNKNOWN_POLICY = "permission.unknown_policy"              # a base value the profile does not define
    EMPTY_CONDITION = "permission.empty_condition"            # an And/Any condition without policies
    OPTION_NOT_ENCODABLE = "permission.option_not_encodable"  # no base value for this option, policy type and profile
    # Evaluating a change (XIP-47; docs/xmtp-facts.md §4.4 steps 5 and 12)
    ACTOR_NOT_MEMBER = "permission.actor_not_member"          # only members change a group
    ADD_MEMBER_DENIED = "permission.add_member_denied"
    REMOVE_MEMBER_DENIED = "permission.remove_member_denied"
    UPDATE_METADATA_DENIED = "permission.update_metadata_denied"
    ADD_ADMIN_DENIED = "permission.add_admin_denied"
    REMOVE_ADMIN_DENIED = "permission.remove_admin_denied"
    UPDATE_PERMISSIONS_DENIED = "permission.update_permissions_denied"  # seed: update_permissions_policy refuses
    SUPER_ADMIN_REQUIRED = "permission.super_admin_required"  # adding/removing super admins, changing permissions
    SUPER_ADMIN_NOT_REMOVABLE = "permission.super_admin_not_removable"  # "Admins can not remove super admins"
    LAST_SUPER_ADMIN = "permission.last_super_admin"          # "there must always be at least one super admin"
    # Intents (docs/xmtp-facts.md §4.2)
    NOT_UPDATABLE_BY_INTENT = "permission.not_updatable_by_intent"  # update_permissions_policy
    INVALID_INTENT_OPTION = "permission.invalid_intent_option"      # an option an intent cannot set


class Permission(enum.StrEnum):
    """XIP-47 §Specification: the six permission policies (seed "Permissions")."""

    ADD_MEMBER = "add_member_policy"
    REMOVE_MEMBER = "remove_member_policy"
    UPDATE_METADATA = "update_metadata_policy"
    ADD_ADMIN = "add_admin_policy"
    REMOVE_ADMIN = "remove_admin_policy"
    UPDATE_PERMISSIONS = "update_permissions_policy"


class Option(enum.StrEnum):
    """seed "Permission options", XIP-47 "Permission Options": the base policies."""

    UNSPECIFIED = "unspecified"
    ALLOW = "allow"
    DENY = "deny"
    CREATOR_ONLY = "creator_only"
    ADMIN_OR_SUPER_ADMIN = "allow_if_admin_or_super_admin"
    SUPER_ADMIN_ONLY = "allow_if_super_admin"


class Preset(enum.StrEnum):
    """XIP-47 "Sensible Default Options", libxmtp PreconfiguredPolicies and ``PolicySet::new_dm``."""

    ALL_MEMBERS = "all_members"   # the default
    ADMINS_ONLY = "admins_only"
    DM = "dm"
    CUSTOM = "custom"             # any other policy set, built as ``Policies(...)``

@dataclasses.dataclass(frozen=True)
class PermissionRule:
    """XIP-47 §Specification, xmtp/proto group_permissions.proto ``PolicySet``: what the model knows of one
    permission besides its policy.

    ``message`` is the protobuf policy type of its PolicySet field, ``denied`` the reason a refused change
    names, ``by_intent`` whether an UpdatePermission intent may set it, ``presets`` its base policy in each
    preset (``None`` for update_metadata, whose presets are per key: ``_preset_metadata_policy``).
    """

    message: type[MembershipPolicy | MetadataPolicy | PermissionsUpdatePolicy]
    denied: PermissionReason
    by_intent: bool = True
    presets: Mapping[Preset, Option] | None = None


_ADMINS = {Preset.ALL_MEMBERS: Option.SUPER_ADMIN_ONLY, Preset.ADMINS_ONLY: Option.SUPER_ADMIN_ONLY,
           Preset.DM: Option.DENY}

PERMISSIONS: Mapping[Permission, PermissionRule] = {
    Permission.ADD_MEMBER: PermissionRule(MembershipPolicy, PermissionReason.ADD_MEMBER_DENIED, presets={
        Preset.ALL_MEMBERS: Option.ALLOW, Preset.ADMINS_ONLY: Option.ADMIN_OR_SUPER_ADMIN, Preset.DM: Option.DENY}),
    Permission.REMOVE_MEMBER: PermissionRule(MembershipPolicy, PermissionReason.REMOVE_MEMBER_DENIED, presets={
        Preset.ALL_MEMBERS: Option.ADMIN_OR_SUPER_ADMIN, Preset.ADMINS_ONLY: Option.ADMIN_OR_SUPER_ADMIN,
        Preset.DM: Option.DENY}),
    Permission.UPDATE_METADATA: PermissionRule(MetadataPolicy, PermissionReason.UPDATE_METADATA_DENIED),
    Permission.ADD_ADMIN: PermissionRule(PermissionsUpdatePolicy, PermissionReason.ADD_ADMIN_DENIED, presets=_ADMINS),
    Permission.REMOVE_ADMIN: PermissionRule(PermissionsUpdatePolicy, PermissionReason.REMOVE_ADMIN_DENIED,
                                            presets=_ADMINS),
    Permission.UPDATE_PERMISSIONS: PermissionRule(PermissionsUpdatePolicy, PermissionReason.UPDATE_PERMISSIONS_DENIED,
                                                  by_intent=False, presets=_ADMINS),
}
"""The one list of permissions (docs/xmtp-facts.md §4.2, §4.3): the PolicySet fields, the protobuf types,
the JSON form, the presets and the intents all follow it; ``Policies`` has one field per entry, named
after the permission without ``_policy``. A new permission is a member of ``Permission``, a row here, a
field of ``Policies`` and of the ``PolicySet`` protobuf, and the commit that exercises it."""


@dataclasses.dataclass(frozen=True)
class AllOf:
    """libxmtp crates/xmtp_mls/src/groups/group_permissions.rs@a53a97e ``AndCondition``: allows when every policy
    allows; never empty."""

    policies: tuple[Policy, ...]

    def __post_init__(self):
        if not self.policies:
            raise Rejected(PermissionReason.EMPTY_CONDITION, "and_condition")


@dataclasses.dataclass(frozen=True)
class AnyOf:
    """libxmtp crates/xmtp_mls/src/groups/group_permissions.rs@a53a97e ``AnyCondition``: allows when some policy
    allows; never empty."""

    policies: tuple[Policy, ...]

    def __post_init__(self):
        if not self.policies:
            raise Rejected(PermissionReason.EMPTY_CONDITION, "any_condition")


Policy = Union[Option, AllOf, AnyOf]


def _field(permission: Permission) -> str:
    """The ``Policies`` field of ``permission``: its PolicySet field name without ``_policy``."""
    return permission.value.removesuffix("_policy")


@dataclasses.dataclass(frozen=True)
class Actor:
    """libxmtp crates/xmtp_mls/src/groups/validated_commit.rs@a53a97e ``CommitParticipant``: who makes a change,
    flags from the pre-change state."""

    inbox_id: str
    is_creator: bool = False
    is_admin: bool = False
    is_super_admin: bool = False
    is_member: bool = True

    @classmethod
    def in_group(cls, inbox_id: str, metadata: GroupMetadataV1, mutable: GroupMutableMetadataV1,
                 membership: GroupMembership) -> Actor:
        """libxmtp crates/xmtp_mls/src/groups/validated_commit.rs@a53a97e: the actor's flags read from the group's
        extensions."""
        return cls(
            inbox_id, is_creator=inbox_id == metadata.creator_inbox_id,
            is_admin=inbox_id in mutable.admin_list.inbox_ids,
            is_super_admin=inbox_id in mutable.super_admin_list.inbox_ids,
            is_member=inbox_id in membership.members,
        )


def allows(policy: Policy, actor: Actor, profile: Profile = SEED) -> bool:
    """libxmtp crates/xmtp_mls/src/groups/group_permissions.rs@a53a97e ``evaluate``, seed "Creator Only": whether
    ``policy`` lets ``actor`` act.

    Creator Only is an option of the profiles with ``creator_only`` only.
    """
    if isinstance(policy, AllOf):
        return all([allows(p, actor, profile) for p in policy.policies])
    if isinstance(policy, AnyOf):
        return any([allows(p, actor, profile) for p in policy.policies])
    if policy is Option.UNSPECIFIED:
        raise Rejected(PermissionReason.UNSPECIFIED_POLICY)
    if policy is Option.CREATOR_ONLY and not profile.creator_only:
        raise Rejected(PermissionReason.UNKNOWN_POLICY, f"{policy} is not an option of the {profile.name} profile")
    return {
        Option.ALLOW: True,
        Option.DENY: False,
        Option.CREATOR_ONLY: actor.is_creator,
        Option.ADMIN_OR_SUPER_ADMIN: actor.is_admin or actor.is_super_admin,
        Option.SUPER_ADMIN_ONLY: actor.is_super_admin,
    }[policy]


# ------------------------------------------------------------------ protobuf form

_PolicyMessage = Union[MembershipPolicy, MetadataPolicy, PermissionsUpdatePolicy]
_CONDITION = {
    MembershipPolicy: MembershipCondition,
    MetadataPolicy: MetadataCondition,
    PermissionsUpdatePolicy: PermissionsUpdateCondition,
}


_OTHER_BASES = {Option.UNSPECIFIED: 0, Option.ALLOW: 1, Option.DENY: 2, Option.ADMIN_OR_SUPER_ADMIN: 3,
                Option.SUPER_ADMIN_ONLY: 4}
_BASES = {
    MembershipPolicy: _OTHER_BASES,
    MetadataPolicy: _OTHER_BASES,
    PermissionsUpdatePolicy: {Option.UNSPECIFIED: 0, Option.DENY: 1, Option.ADMIN_OR_SUPER_ADMIN: 2,
                              Option.SUPER_ADMIN_ONLY: 3},
}
_OPTIONS = {message: {value: option for option, value in bases.items()} for message, bases in _BASES.items()}
"""Each policy type's options by base number (``_base_values`` the other way round)."""


def _base_values(message: type[_PolicyMessage], profile: Profile) -> dict[Option, int]:
    """docs/xmtp-facts.md §3.4: the base number of each option, per policy type.

    One wire numbering for every profile, today's (xmtp/proto since 2024-05),
    so that groups of every profile interoperate. Creator Only (seed) has no
    number in it: the model evaluates it but refuses to encode it (see
    ``Profile.creator_only``).
    """
    return _BASES[message]


def _to_proto(policy: Policy, message: type[_PolicyMessage], profile: Profile) -> _PolicyMessage:
    if isinstance(policy, (AllOf, AnyOf)):
        condition = _CONDITION[message](tuple(_to_proto(p, message, profile) for p in policy.policies))
        return message(and_condition=condition) if isinstance(policy, AllOf) else message(any_condition=condition)
    values = _base_values(message, profile)
    if policy not in values:
        raise Rejected(PermissionReason.OPTION_NOT_ENCODABLE, f"{policy} in a {message.__name__} ({profile.name})")
    return message(base=values[policy])


def _from_proto(proto: _PolicyMessage | None, profile: Profile, where: str) -> Policy:
    if proto is None or (proto.base is None and proto.and_condition is None and proto.any_condition is None):
        raise Rejected(PermissionReason.MISSING_POLICY, where)
    if proto.and_condition is not None:
        return AllOf(tuple(_from_proto(p, profile, where) for p in proto.and_condition.policies))
    if proto.any_condition is not None:
        return AnyOf(tuple(_from_proto(p, profile, where) for p in proto.any_condition.policies))
    if proto.base == 0:
        raise Rejected(PermissionReason.UNSPECIFIED_POLICY, where)
    options = _OPTIONS[type(proto)]
    if proto.base not in options:
        raise Rejected(PermissionReason.UNKNOWN_POLICY, f"{where}: base {int(proto.base)} ({profile.name})")
    return options[proto.base]


@dataclasses.dataclass(frozen=True)
class Policies:
    """XIP-47 §Reference implementation ``PolicySet``: one policy per permission, metadata per key.

    A metadata key without a policy falls back to super-admin-only for keys
    starting with ``_`` and to admin-or-super-admin otherwise
    (libxmtp ``evaluate_metadata_policy``).
    """

    add_member: Policy
    remove_member: Policy
    update_metadata: Mapping[str, Policy]
    add_admin: Policy
    remove_admin: Policy
    update_permissions: Policy

    def policy_for(self, permission: Permission, metadata_key: str | None = None) -> Policy:
        """XIP-47: the policy governing ``permission`` (for update_metadata, the one of ``metadata_key``)."""
        if permission is Permission.UPDATE_METADATA:
            if metadata_key is None:
                raise ValueError("update_metadata needs a metadata key")
            fallback = Option.SUPER_ADMIN_ONLY if metadata_key.startswith(SUPER_ADMIN_PREFIX) \
                else Option.ADMIN_OR_SUPER_ADMIN
            return self.update_metadata.get(metadata_key, fallback)
        return getattr(self, _field(permission))

    def to_proto(self, profile: Profile = SEED) -> GroupMutablePermissionsV1:
        """xmtp/proto group_permissions.proto (docs/xmtp-facts.md §3.4): the 0xFF02 protobuf; unencodable options are rejected."""
        def encoded(permission: Permission, policy):
            message = PERMISSIONS[permission].message
            if permission is Permission.UPDATE_METADATA:
                return {k: _to_proto(p, message, profile) for k, p in policy.items()}
            return _to_proto(policy, message, profile)
        return GroupMutablePermissionsV1(PolicySet(**{
            permission.value: encoded(permission, getattr(self, _field(permission))) for permission in PERMISSIONS}))

    @classmethod
    def from_proto(cls, proto: GroupMutablePermissionsV1, profile: Profile = SEED) -> Policies:
        """libxmtp crates/xmtp_mls/src/groups/group_permissions.rs@a53a97e PolicySet::from_proto
        (docs/xmtp-facts.md §4.2): rejects base 0 or unknown, empty And/Any, missing policies.

        The metadata map may be empty.
        """
        policies = proto.policies
        if policies is None:
            raise Rejected(PermissionReason.MISSING_POLICY_SET)
        def decoded(permission: Permission):
            field = getattr(policies, permission.value)
            if permission is Permission.UPDATE_METADATA:
                return {k: _from_proto(p, profile, f"{permission.value}[{k!r}]") for k, p in field.items()}
            return _from_proto(field, profile, permission.value)
        return cls(**{_field(permission): decoded(permission) for permission in PERMISSIONS})


# ------------------------------------------------------------------ evaluating changes

def check(policies: Policies, permission: Permission, actor: Actor, *, metadata_key: str | None = None,
          profile: Profile = SEED) -> None:
    """XIP-47, libxmtp ``evaluate_commit`` (docs/xmtp-facts.md §4.4 step 12): ``actor`` may exercise ``permission``.

    Only members act. Changing permissions needs a super admin (XIP-47
    Threat Model: "only super admins can update permissions"); the seed
    profile also applies update_permissions_policy, libxmtp ignores it.
    """
    if not actor.is_member:
        raise Rejected(PermissionReason.ACTOR_NOT_MEMBER, actor.inbox_id)
    if permission is Permission.UPDATE_PERMISSIONS:
        if not actor.is_super_admin:
            raise Rejected(PermissionReason.SUPER_ADMIN_REQUIRED, "to change permissions")
        if not profile.permissions_policy_enforced:
            return
    if not allows(policies.policy_for(permission, metadata_key), actor, profile):
        raise Rejected(PERMISSIONS[permission].denied, metadata_key or "")


def check_remove_member(policies: Policies, actor: Actor, removed: Actor, *, super_admins_left: int,
                        profile: Profile = SEED) -> None:
    """XIP-47 "Admins can not remove super admins from a group": remove_member_policy, then the protection.

    ``super_admins_left`` counts the super admins still in the group
    afterwards. Seed profile: a super admin may remove another while one
    remains; libxmtp: no one removes an inbox that is a super admin.
    """
    check(policies, Permission.REMOVE_MEMBER, actor, profile=profile)
    if removed.is_super_admin:
        if not (profile.super_admins_removable and actor.is_super_admin):
            raise Rejected(PermissionReason.SUPER_ADMIN_NOT_REMOVABLE, removed.inbox_id)
        if super_admins_left < 1:
            raise Rejected(PermissionReason.LAST_SUPER_ADMIN)


def check_add_super_admin(actor: Actor) -> None:
    """XIP-47 "Only super admins can add other super admins" (docs/xmtp-facts.md §4.4 step 12e)."""
    if not actor.is_member:
        raise Rejected(PermissionReason.ACTOR_NOT_MEMBER, actor.inbox_id)
    if not actor.is_super_admin:
        raise Rejected(PermissionReason.SUPER_ADMIN_REQUIRED, "to add a super admin")


def check_remove_super_admin(actor: Actor, *, super_admins_left: int) -> None:
    """XIP-47: super admins remove the super admin role, "but there must always be at least one" (step 12f).

    ``super_admins_left`` is the length of the new super admin list; a super
    admin may remove itself when another remains.
    """
    if not actor.is_member:
        raise Rejected(PermissionReason.ACTOR_NOT_MEMBER, actor.inbox_id)
    if not actor.is_super_admin:
        raise Rejected(PermissionReason.SUPER_ADMIN_REQUIRED, "to remove a super admin")
    if super_admins_left < 1:
        raise Rejected(PermissionReason.LAST_SUPER_ADMIN)


# ------------------------------------------------------------------ presets

def _preset_metadata_policy(preset: Preset, key: str, profile: Profile) -> Policy:
    """libxmtp MetadataPolicies::default_map / dm_map (docs/xmtp-facts.md §4.3), XIP-47 All Members for the seed; a
    ``_`` key is super-admin-only in the profiles with ``preset_underscore_keys_super_admin``."""
    if preset is Preset.DM:
        return Option.ALLOW
    if key in (MESSAGE_DISAPPEAR_FROM_NS, MESSAGE_DISAPPEAR_IN_NS):
        return Option.ADMIN_OR_SUPER_ADMIN
    if key == MINIMUM_SUPPORTED_PROTOCOL_VERSION or (
            key.startswith(SUPER_ADMIN_PREFIX) and profile.preset_underscore_keys_super_admin):
        return Option.SUPER_ADMIN_ONLY
    if preset is Preset.ALL_MEMBERS and profile.members_edit_metadata:
        return Option.ALLOW
    return Option.ADMIN_OR_SUPER_ADMIN


def _preset_keys(profile: Profile) -> tuple[str, ...]:
    """libxmtp GroupMutableMetadata::supported_fields (docs/xmtp-facts.md §4.3), with the seed's pinned frame key."""
    return (*text_attribute_keys(profile), MESSAGE_DISAPPEAR_FROM_NS, MESSAGE_DISAPPEAR_IN_NS,
            MINIMUM_SUPPORTED_PROTOCOL_VERSION)


def preset_policies(preset: Preset, profile: Profile = SEED) -> Policies:
    """XIP-47 "Sensible Default Options", libxmtp presets (docs/xmtp-facts.md §4.3): the policy set a preset creates.

    All Members: anyone adds, admins remove, super admins manage admins and
    permissions; metadata admins-only in the seed profile, members' in
    libxmtp. Admins Only: admins add and remove. DM: nothing but metadata.
    """
    if preset is Preset.CUSTOM:
        raise ValueError("a custom policy set is built as Policies(...)")
    metadata = {key: _preset_metadata_policy(preset, key, profile) for key in _preset_keys(profile)}
    return Policies(**{_field(permission): metadata if rule.presets is None else rule.presets[preset]
                       for permission, rule in PERMISSIONS.items()})


def preset_of(policies: Policies, profile: Profile = SEED) -> Preset:
    """libxmtp crates/xmtp_mls/src/groups/group_permissions.rs@a53a97e is_policy_default / is_policy_admin_only
    (docs/xmtp-facts.md §4.3; libxmtp
    crates/xmtp_mls/src/groups/group_permissions.rs@b649d1a): the preset ``policies`` matches.

    Only the metadata keys present are compared, so a group created before a
    key existed still matches its preset; no match is ``Preset.CUSTOM``.
    """
    for preset in (Preset.ALL_MEMBERS, Preset.ADMINS_ONLY, Preset.DM):
        expected = preset_policies(preset, profile)
        if (dataclasses.replace(policies, update_metadata={}) == dataclasses.replace(expected, update_metadata={})
                and all(p == _preset_metadata_policy(preset, k, profile) for k, p in policies.update_metadata.items())):
            return preset
    return Preset.CUSTOM


# ------------------------------------------------------------------ intents

def update_by_intent(policies: Policies, permission: Permission, option: Option, *,
                     metadata_key: str | None = None, profile: Profile = SEED) -> Policies:
    """libxmtp crates/xmtp_mls/src/groups/intents.rs@a53a97e (docs/xmtp-facts.md §4.2): the policy set after an
    UpdatePermission intent sets one base policy.

    Intents set add_member, remove_member, add_admin, remove_admin or one
    metadata key's policy to Allow, Deny, admin-or-super-admin or
    super-admin-only (Creator Only has no wire number, so no intent sets it);
    Allow on an admin policy becomes super-admin-only.
    update_permissions_policy cannot be changed by intent.
    """
    rule = PERMISSIONS[permission]
    if not rule.by_intent:
        raise Rejected(PermissionReason.NOT_UPDATABLE_BY_INTENT)
    if permission is Permission.UPDATE_METADATA and metadata_key is None:
        raise ValueError("update_metadata needs a metadata key")
    message = rule.message
    if message is PermissionsUpdatePolicy and option is Option.ALLOW:
        option = Option.SUPER_ADMIN_ONLY
    if option is Option.UNSPECIFIED or option not in _base_values(message, profile):
        raise Rejected(PermissionReason.INVALID_INTENT_OPTION, f"{option} for {permission} ({profile.name})")
    if permission is Permission.UPDATE_METADATA:
        return dataclasses.replace(policies, update_metadata={**policies.update_metadata, metadata_key: option})
    return dataclasses.replace(policies, **{_field(permission): option})


# ------------------------------------------------------------------ JSON forms (vectors, adapters)

def policy_json(policy) -> Any:
    """model: a policy as JSON: an option's name, or {"all_of" | "any_of": [policies]} (XIP-47 composition)."""
    if isinstance(policy, AllOf):
        return {"all_of": [policy_json(p) for p in policy.policies]}
    if isinstance(policy, AnyOf):
        return {"any_of": [policy_json(p) for p in policy.policies]}
    return policy.value


def policy_from_json(data: Any) -> Policy:
    """model: the policy ``policy_json`` wrote."""
    if isinstance(data, str):
        return Option(data)
    (kind, items), = data.items()
    return {"all_of": AllOf, "any_of": AnyOf}[kind](tuple(policy_from_json(p) for p in items))


def policies_json(policies: Policies) -> dict[str, Any]:
    """XIP-47: a policy set as JSON, keyed by the PolicySet field names."""
    def as_json(permission: Permission, policy):
        if permission is Permission.UPDATE_METADATA:
            return {k: policy_json(p) for k, p in sorted(policy.items())}
        return policy_json(policy)
    return {permission.value: as_json(permission, getattr(policies, _field(permission))) for permission in PERMISSIONS}
