"""``wire/permissions::<case>``: the permissions family's decisions as real commits of model members.

A ``permission`` case becomes a group whose policy set is the profile's all-members preset with the
case's policy for its permission (for ``update_metadata``, the case's metadata policies, its key without
one when it tests the fallback); the case's actor (creator, super admin, admin, plain member, or the
creator demoted from super admin) exercises the permission on a target of its own:

=====================  ===============================================================================
permission             the actor's commit
=====================  ===============================================================================
add_member             adds an outsider's installation and inbox (Add and the new 0xFF01)
remove_member          removes a target member's installation and inbox
update_metadata        sets the case's metadata key to a new value
add_admin              puts a target (a plain member) in the admin list
remove_admin           takes a target (an admin) out of the admin list
update_permissions     switches the add-member policy (allow <-> admin-or-super-admin)
=====================  ===============================================================================

``add_super_admin`` cases put a target in the super admin list; ``remove_super_admin`` cases take a target
out of it while super admins remain (``1_left``), or have the only super admin remove itself (``0_left``);
``decode`` cases have a super admin commit the case's 0xFF02 value.

Without a wire form (``derive`` says why): a non-member actor (a member's commit carries a leaf of a
member; an installation outside 0xFF01 never joins a group the SDK accepts), policies holding Creator Only
or unspecified (no wire number, or refused when decoded: no group holds them), the cases whose count of
remaining super admins no group can have, and the DM preset (a DM: still to come). ``remove_member`` cases
remove a member of the case's role (the creator, the super admin, an admin or a plain member); ``preset``
cases create a group with the preset, and the SDK's client must show its policies once it joins.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from spec_model.mls.group_context import Extension
from spec_model.mls.proposals import GroupContextExtensions
from spec_model.mls.reasons import Rejected
from spec_model.xmtp.extensions import GroupMembership, XmtpExtensionType, read_membership, read_mutable_metadata, \
    read_mutable_permissions
from spec_model.xmtp.groups import admin_lists_proposal, membership_proposals, metadata_proposal, \
    permissions_proposal, replace_extension
from spec_model.xmtp.permissions import Option, Permission, Policies, Preset, policies_json, policy_from_json, \
    preset_policies

from ..adapter.protocol import POLICIES_SHOWN, policies_shown
from ..vectors.formats import DecisionCase, Verdict
from .world import ACTORS, OUTSIDERS, PROFILES, TARGETS, GroupSpec, WireFailure, WireGroup, World, group_spec

__all__ = ["derive"]

_ROLE_ORDER = ("creator_super_admin", "super_admin", "admin", "member", "demoted_creator")
_ACTOR = {"creator_super_admin": "creator", "super_admin": "super_admin", "admin": "admin", "member": "member",
          "demoted_creator": "creator"}


def _role(flags: dict[str, bool]) -> str | None:
    """The actor's role from the case's flags; None for a non-member."""
    if not flags["is_member"]:
        return None
    if flags["is_creator"]:
        return "creator_super_admin" if flags["is_super_admin"] else "demoted_creator"
    return "super_admin" if flags["is_super_admin"] else "admin" if flags["is_admin"] else "member"


@dataclasses.dataclass(frozen=True)
class PermissionWire:
    """One permissions case on the wire: the group it needs, who commits what, and whether XMTP accepts it."""

    spec: GroupSpec
    role: str
    action: str
    accepted: bool
    metadata_key: str | None = None
    encoded: str | None = None
    target: str | None = None  # who the action is aimed at, when not the role's own target
    private: bool = False      # the accepted commit changes what later cases rely on: a group of its own

    def play(self, world: World) -> None:
        # a case with a target takes the role's own (a decode case changes only the policies)
        key = f"decode {self.encoded}" if self.action == "decode" else f"{self.role} {self.target}"
        group = world.group(self.spec, key, private=self.private and self.accepted)
        actor = "super_admin" if self.action == "decode" else _ACTOR[self.role]
        target = self.target or TARGETS[_ROLE_ORDER.index(self.role)]
        proposals = _ACTIONS[self.action](group, actor, target, self)
        group.play(actor, proposals, accepted=self.accepted, what=f"{self.role}'s {self.action}")


def _add_member(group: WireGroup, actor: str, target: str, wire: PermissionWire):
    outsider = group.world.user(OUTSIDERS[TARGETS.index(target)])
    mls = group.member(actor)
    members = dict(read_membership(mls.context.extensions).members)
    members[outsider.inbox_id] = group.world.log.latest_sequence_id(outsider.inbox_id)
    return membership_proposals(mls, (group.world.key_package(outsider).key_package,), frozenset(),
                                GroupMembership(members=members))


def _remove_member(group: WireGroup, actor: str, target: str, wire: PermissionWire):
    user = group.world.user(target)
    mls = group.member(actor)
    members = {k: v for k, v in read_membership(mls.context.extensions).members.items() if k != user.inbox_id}
    return membership_proposals(mls, (), frozenset({user.installation.public_key}), GroupMembership(members=members))


def _update_metadata(group: WireGroup, actor: str, target: str, wire: PermissionWire):
    return (metadata_proposal(group.member(actor), {wire.metadata_key: f"set by the {wire.role}"}),)


def _lists(group: WireGroup, actor: str, target: str, which: str, add: bool):
    mls = group.member(actor)
    metadata = read_mutable_metadata(mls.context.extensions)
    current = list((metadata.admin_list if which == "admins" else metadata.super_admin_list).inbox_ids)
    inbox = group.world.user(target).inbox_id
    updated = [*current, inbox] if add else [i for i in current if i != inbox]
    return (admin_lists_proposal(mls, **{which: tuple(updated)}),)


def _update_permissions(group: WireGroup, actor: str, target: str, wire: PermissionWire):
    mls = group.member(actor)
    current = Policies.from_proto(read_mutable_permissions(mls.context.extensions), group.profile)
    switched = Option.ADMIN_OR_SUPER_ADMIN if current.add_member == Option.ALLOW else Option.ALLOW
    return (permissions_proposal(mls, dataclasses.replace(current, add_member=switched), group.profile),)


def _decode(group: WireGroup, actor: str, target: str, wire: PermissionWire):
    mls = group.member(actor)
    extension = Extension(XmtpExtensionType.MUTABLE_PERMISSIONS, bytes.fromhex(wire.encoded))
    return (GroupContextExtensions(replace_extension(mls.context.extensions, extension)),)


_ACTIONS = {
    "add_member": _add_member, "remove_member": _remove_member, "update_metadata": _update_metadata,
    "add_admin": lambda g, a, t, w: _lists(g, a, t, "admins", True),
    "remove_admin": lambda g, a, t, w: _lists(g, a, t, "admins", False),
    "update_permissions": _update_permissions,
    "add_super_admin": lambda g, a, t, w: _lists(g, a, t, "super_admins", True),
    "remove_super_admin": lambda g, a, t, w: _lists(g, a, t, "super_admins", False),
    "decode": _decode,
}


def _spec(profile: str, policies: Policies, purpose: str, *, demoted: bool = False,
          target_role: str = "member") -> GroupSpec | str:
    try:
        policies.to_proto(PROFILES[profile])
    except Rejected as e:
        return f"no group can hold this policy set ({e.reason})"
    if _holds(policies, Option.UNSPECIFIED):
        return "no group can hold this policy set (unspecified is refused when decoded)"
    return group_spec(f"permissions {purpose}", policies, profile, demoted=demoted, target_role=target_role)


def _holds(policies: Policies, option: Option) -> bool:
    text = json.dumps(policies_json(policies))
    return f'"{option.value}"' in text


def derive(case: DecisionCase) -> PermissionWire | str:
    """The wire form of a permissions case, or why it has none."""
    inputs: dict[str, Any] = case.inputs
    profile, check = inputs["profile"], inputs["check"]
    accepted = case.expected.result == Verdict.VALID
    base = preset_policies(Preset.ALL_MEMBERS, PROFILES[profile])
    if check == "permission":
        role = _role(inputs["actor"])
        if role is None:
            return "a non-member's installation never holds a leaf of a group the SDK accepts"
        permission = Permission(inputs["permission"])
        key = None
        if permission is Permission.UPDATE_METADATA:
            key = inputs["metadata_key"]
            metadata = {k: p for k, p in base.update_metadata.items() if k != key}
            metadata.update({k: policy_from_json(p) for k, p in inputs["metadata_policies"].items()})
            policies = dataclasses.replace(base, update_metadata=metadata)
        else:
            policies = dataclasses.replace(base, **{permission.removesuffix("_policy"):
                                                    policy_from_json(inputs["policy"])})
        action = permission.removesuffix("_policy")
        spec = _spec(profile, policies, action, demoted=role == "demoted_creator",
                     target_role="admin" if permission is Permission.REMOVE_ADMIN else "member")
        return spec if isinstance(spec, str) else PermissionWire(spec, role, action, accepted, metadata_key=key)
    if check == "add_super_admin":
        role = _role(inputs["actor"])
        if role is None:
            return "a non-member's installation never holds a leaf of a group the SDK accepts"
        return PermissionWire(_spec(profile, base, check, demoted=role == "demoted_creator"), role, check,
                              accepted)
    if check == "remove_super_admin":
        role = _role(inputs["actor"])
        if role is None:
            return "a non-member's installation never holds a leaf of a group the SDK accepts"
        if inputs["super_admins_left"] == 0:
            if role != "super_admin":
                return "no group has a super admin other than the actor and none left after its removal"
            # the demoted creator's group has one super admin, S, who removes itself
            return dataclasses.replace(PermissionWire(_spec(profile, base, check, demoted=True), "super_admin", check,
                                                      accepted), action="remove_self")
        return PermissionWire(_spec(profile, base, check, demoted=role == "demoted_creator",
                                    target_role="super_admin"),
                              role, check, accepted)
    if check == "decode":
        return PermissionWire(_spec(profile, base, check), "super_admin", "decode", accepted,
                              encoded=inputs["encoded"], private=True)
    if check == "remove_member":
        return _removal(case, profile, base, accepted)
    if inputs["preset"] == Preset.DM:
        return "the DM preset needs a DM between a model member and the SDK: not yet played on the wire"
    return PresetWire(_spec(profile, preset_policies(Preset(inputs["preset"]), PROFILES[profile]), check),
                      case.id, policies_json(preset_policies(Preset(inputs["preset"]), PROFILES[profile])))


_REMOVED = {  # the removed role -> (the member removed, the group's targets' role, whether C is demoted)
    "member": ("target0", "member", False), "admin": ("target1", "admin", False),
    "demoted_creator": ("creator", "member", True), "creator_super_admin": ("creator", "member", False),
    "super_admin": ("super_admin", "member", False),
}


def _removal(case: DecisionCase, profile: str, base: Policies, accepted: bool) -> PermissionWire | str:
    """A ``remove_member`` case: the actor removes a member of the removed role from the group."""
    inputs = case.inputs
    role, removed = _role(inputs["actor"]), _role(inputs["removed"])
    if role is None:
        return "a non-member's installation never holds a leaf of a group the SDK accepts"
    if inputs["super_admins_left"] == 0:
        return "a super admin stays in the group it commits to (RFC 9420 §12.2: no self-removal), so one remains"
    target, target_role, demoted = _REMOVED[removed]
    policies = dataclasses.replace(base, remove_member=policy_from_json(inputs["policy"]))
    spec = _spec(profile, policies, "remove_member rules", demoted=demoted or role == "demoted_creator",
                 target_role=target_role)
    return PermissionWire(spec, role, "remove_member", accepted, target=target, private=target in ACTORS)


@dataclasses.dataclass(frozen=True)
class PresetWire:
    """A group created with a preset: the SDK's client joins it and shows the preset's policies."""

    spec: GroupSpec
    case_id: str
    policies: dict[str, Any]

    def play(self, world: World) -> None:
        group = world.group(self.spec, self.case_id, private=True)
        expected = policies_shown(self.policies, group.view[POLICIES_SHOWN]) if POLICIES_SHOWN in group.view \
            else self.policies
        if group.view["policies"] != expected:
            raise WireFailure(f"{self.case_id}: the SDK shows other policies than the preset's",
                              expected=expected, actual=group.view["policies"])


def _remove_self(group: WireGroup, actor: str, target: str, wire: PermissionWire):
    mls = group.member(actor)
    metadata = read_mutable_metadata(mls.context.extensions)
    me = group.world.user(actor).inbox_id
    return (admin_lists_proposal(mls, super_admins=tuple(i for i in metadata.super_admin_list.inbox_ids if i != me)),)


_ACTIONS["remove_self"] = _remove_self
