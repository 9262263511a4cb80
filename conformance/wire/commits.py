"""``wire/commit_validation::<case>``: each step of commit validation as a commit published to the group topic.

A commit_validation case is a commit of a real group, named for what it does (``member_removes_member``,
``unexpected_installation_added``...). Its wire form makes the same commit in a group shared with the SDK's
client, with the model's members in the case's roles: alix is the creator (a super admin), bo a super admin
(or, in the cases of two super admins, the second), caro a plain member and an admin where the case says so;
bo's two installations are ``twin``'s. The expected outcome is the case's; the model's validation of the
commit built must agree, or the check errors (a wire form that does not mean the case).

Without a wire form (``WITHOUT``): cases whose receiver is not the SDK's own client (its version), whose group
the SDK could not join (an installation outside 0xFF01, padding inboxes), or that are still to come (DMs).
A case the model decides alike in every profile is judged in any (``conformance.wire``), except those of
``OWN_PROFILE``, whose traffic means something else to a client of another profile.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

from spec_model.mls.leaf_node import Credential
from spec_model.mls.proposals import Add, PreSharedKey, Remove
from spec_model.mls.psk import PreSharedKeyID
from spec_model.xmtp.credential import MlsCredential
from spec_model.xmtp.extensions import GroupMembership, read_membership
from spec_model.xmtp.groups import admin_lists_proposal, membership_proposals, metadata_proposal, \
    permissions_proposal
from spec_model.xmtp.key_package import build_key_package
from spec_model.xmtp.permissions import Option, Policies, Preset, preset_policies

from ..vectors.families.key_packages import resigned
from ..vectors.formats import DecisionCase, Verdict
from .world import PROFILES, GroupSpec, WireGroup, World, group_spec

__all__ = ["derive", "OWN_PROFILE", "WITHOUT"]

WITHOUT = {
    "minimum_version_met": "the receiver's version is the SDK's own, not the case's",
    "minimum_version_too_low": "the receiver's version is the SDK's own, not the case's",
    "minimum_version_prerelease_2.1.0-rc.2": "the receiver's version is the SDK's own, not the case's",
    "minimum_version_prerelease_2.1.0": "the receiver's version is the SDK's own, not the case's",
    "actor_not_member": "an installation outside 0xFF01 never joins a group the SDK accepts",
    "group_of_400": "padding inboxes without leaves: the SDK could not join such a group",
    "group_of_401": "padding inboxes without leaves: the SDK could not join such a group",
    "group_of_250": "padding inboxes without leaves: the SDK could not join such a group",
    "group_of_251": "padding inboxes without leaves: the SDK could not join such a group",
    "shared_installation_claims_other_inbox": "an installation in two inboxes' logs: not yet played on the wire",
    "dm/creator_adds_peer": "DMs: not yet played on the wire",
    "dm/creator_adds_third_inbox": "DMs: not yet played on the wire",
}

OWN_PROFILE = {
    "revoked_installation_kept": "a client of the libxmtp profile removes a revoked installation by itself when it "
                                 "syncs (profile installations_checked), so the view changes whatever it does with "
                                 "the commit",
}
"""Cases the model decides alike in every profile whose wire form still holds in the case's profile only."""


@dataclasses.dataclass(frozen=True)
class CommitWire:
    """One commit_validation case on the wire: the group, the builder of its commit, the expected outcome."""

    spec: GroupSpec
    case_id: str
    build: Callable[[WireGroup], tuple[str, tuple, dict]]  # -> (actor, proposals, play options)
    accepted: bool
    own_profile: bool = False  # judged in the case's profile only (``OWN_PROFILE``)

    def play(self, world: World) -> None:
        # an accepted commit changes the group: it gets one of its own; a refused one leaves it as it was
        group = world.group(self.spec, self.case_id, private=self.accepted)
        actor, proposals, options = self.build(group)
        group.play(actor, proposals, accepted=self.accepted, what=self.case_id.split("::")[1], **options)


# ------------------------------------------------------------------ helpers over a group

def _membership(group: WireGroup, actor: str, *, add=(), remove=(), seq: dict[str, int] | None = None):
    mls = group.member(actor)
    members = dict(read_membership(mls.context.extensions).members)
    for name in add:
        inbox = group.world.user(name).inbox_id
        members[inbox] = group.world.log.latest_sequence_id(inbox)
    for name in remove:
        members.pop(group.world.user(name).inbox_id, None)
    members.update(seq or {})
    return GroupMembership(members=members)


def _key_packages(group: WireGroup, *names: str):
    return tuple(group.world.key_package(group.world.user(n), i).key_package
                 for n in names for i in range(len(group.world.user(n).installations)))


def _installations(group: WireGroup, name: str, *indexes: int) -> frozenset[bytes]:
    user = group.world.user(name)
    return frozenset(user.installations[i].public_key for i in (indexes or range(len(user.installations))))


def _inbox(group: WireGroup, name: str) -> str:
    return group.world.user(name).inbox_id


def _add(actor: str, *names: str):
    def build(g: WireGroup):
        return actor, membership_proposals(g.member(actor), _key_packages(g, *names), frozenset(),
                                           _membership(g, actor, add=names)), {}
    return build


def _remove(actor: str, name: str):
    def build(g: WireGroup):
        return actor, membership_proposals(g.member(actor), (), _installations(g, name),
                                           _membership(g, actor, remove=(name,))), {}
    return build


def _metadata(actor: str, **attributes: str):
    return lambda g: (actor, (metadata_proposal(g.member(actor), attributes),), {})


def _lists(actor: str, **lists: tuple[str, ...]):
    def build(g: WireGroup):
        named = {k: tuple(_inbox(g, n) for n in v) for k, v in lists.items()}
        return actor, (admin_lists_proposal(g.member(actor), **named),), {}
    return build


def _admins_only(actor: str):
    return lambda g: (actor, (permissions_proposal(g.member(actor), preset_policies(Preset.ADMINS_ONLY, g.profile),
                                                   g.profile),), {})


def _sequence_id_decreased(g: WireGroup):
    inbox = _inbox(g, "target0")
    members = read_membership(g.member("creator").context.extensions).members
    return "creator", membership_proposals(g.member("creator"), (), frozenset(), _membership(
        g, "creator", seq={inbox: members[inbox] - 1})), {}


def _added_at(sequence_id: Callable[[int], int]):
    def build(g: WireGroup):
        inbox = _inbox(g, "outsider0")
        at = sequence_id(g.world.log.latest_sequence_id(inbox))
        return "creator", membership_proposals(g.member("creator"), _key_packages(g, "outsider0"), frozenset(),
                                               _membership(g, "creator", seq={inbox: at})), {}
    return build


def _unexpected_installation(g: WireGroup):
    return "creator", membership_proposals(g.member("creator"), _key_packages(g, "outsider0"), frozenset(),
                                           _membership(g, "creator")), {}


def _remove_one_of_two(g: WireGroup):
    return "creator", membership_proposals(g.member("creator"), (), _installations(g, "twin", 0),
                                           _membership(g, "creator")), {}


def _claims_another_inbox(g: WireGroup):
    world = g.world
    forged = build_key_package(world.user("outsider1").installation, _inbox(g, "outsider0"),
                               world.network.clock.now_ns() // 10**9).key_package
    return "creator", membership_proposals(g.member("creator"), (forged,), frozenset(), _membership(
        g, "creator", add=("outsider0", "outsider1"))), {}


def _added_credential(named: Callable[[str], str]):
    """The creator adds outsider0's installation from a key package whose MlsCredential names ``named(inbox)``."""
    def build(g: WireGroup):
        user = g.world.user("outsider0")
        bundle = build_key_package(user.installation, user.inbox_id, g.world.network.clock.now_ns() // 10**9)
        forged = resigned(bundle, leaf={"credential": Credential.basic(MlsCredential(named(user.inbox_id)).encode())})
        return "creator", membership_proposals(g.member("creator"), (forged,), frozenset(), _membership(
            g, "creator", add=("outsider0",))), {}
    return build


def _readd(actor: str):
    def build(g: WireGroup):
        mls = g.member(actor)
        target = g.world.user("target0")
        leaf = next(i for i, leaf in mls.members() if leaf.signature_key == target.installation.public_key)
        same = membership_proposals(mls, _key_packages(g, "target0"), frozenset(), _membership(g, actor))
        return actor, (Remove(leaf), *same), {}
    return build


def _psk(g: WireGroup):
    psk_id = PreSharedKeyID.external(b"k", b"\1" * 32)
    return "creator", (PreSharedKey(psk_id),), {"psks": {b"k": b"v"}}


def _update_by_reference(g: WireGroup):
    message, _ = g.member("member").update_proposal(private=True)
    g.world.publish(g.group_id, message)
    g.log.append(("member", message))
    g.members["member"].seen = len(g.log)
    return "creator", (), {"by_reference": True}


def _proposed_remove(proposer: str, committer: str):
    def build(g: WireGroup):
        target = g.world.user("target0")
        leaf = next(i for i, leaf in g.member(proposer).members()
                    if leaf.signature_key == target.installation.public_key)
        g.propose(proposer, Remove(leaf))
        return committer, membership_proposals(g.member(committer), (), frozenset(), _membership(
            g, committer, remove=("target0",))), {"by_reference": True}
    return build


def _proposed_add(g: WireGroup):
    g.propose("member", Add(_key_packages(g, "outsider0")[0]))
    return "creator", membership_proposals(g.member("creator"), (), frozenset(), _membership(
        g, "creator", add=("outsider0",))), {"by_reference": True}


def _new_installation(g: WireGroup):
    """bo's inbox gains an installation; a super admin adds it with 0xFF01 at bo's new sequence id."""
    twin = g.world.user("twin")
    if len(twin.installations) < 3:
        g.world.add_installation(twin)
    kp = g.world.key_package(twin, len(twin.installations) - 1).key_package
    return "creator", membership_proposals(g.member("creator"), (kp,), frozenset(), _membership(
        g, "creator", add=("twin",))), {}


def _revoked(name: str, remove: bool):
    """``name`` (two installations, its own user: a revocation is for good) revokes its second; a super admin
    moves its inbox to the new sequence id, removing that installation or not."""
    def build(g: WireGroup):
        twin = g.world.user(name)
        g.world.revoke_installation(twin, 1)
        gone = _installations(g, name, 1) if remove else frozenset()
        return "creator", membership_proposals(g.member("creator"), (), gone, _membership(
            g, "creator", add=(name,))), {}
    return build


def _update_permissions_deny(g: WireGroup):
    return _admins_only("creator")(g)


# ------------------------------------------------------------------ case name -> (group, commit)

_TWIN = ("twin",)
_BUILDERS: dict[str, tuple[dict, Callable]] = {
    "add_members": ({}, _add("creator", "outsider0", "outsider1")),
    "empty_commit_by_member": ({}, lambda g: ("member", (), {})),
    "psk_proposal": ({}, _psk),
    "sequence_id_decreased": ({}, _sequence_id_decreased),
    "member_adds_member": ({}, _add("member", "outsider0")),
    "added_inbox_at_sequence_id_zero": ({}, _added_at(lambda latest: 0)),
    "added_inbox_beyond_its_log": ({}, _added_at(lambda latest: latest + 10**6)),
    "unexpected_installation_added": ({}, _unexpected_installation),
    "remove_one_of_two_installations": ({"extra": _TWIN}, _remove_one_of_two),
    "remove_inbox_with_all_installations": ({"extra": _TWIN}, _remove("creator", "twin")),
    "key_package_claims_another_inbox": ({}, _claims_another_inbox),
    "added_credential_uppercase_inbox_id": ({}, _added_credential(str.upper)),
    "added_credential_short_inbox_id": ({}, _added_credential(lambda inbox: inbox[:63])),
    "added_credential_empty_inbox_id": ({}, _added_credential(lambda inbox: "")),
    "super_admin_readds_installation": ({}, _readd("creator")),
    "member_readds_installation": ({}, _readd("member")),
    "member_removes_member": ({}, _remove("member", "target0")),
    "member_edits_group_name": ({}, _metadata("member", group_name="the member's")),
    "super_admin_edits_group_name": ({}, _metadata("creator", group_name="the creator's")),
    "super_admin_adds_admin": ({}, _lists("creator", admins=("admin", "target0"))),
    "member_adds_admin": ({}, _lists("member", admins=("admin", "member"))),
    "super_admin_adds_super_admin": ({}, _lists("creator", super_admins=("creator", "super_admin", "target0"))),
    "member_adds_super_admin": ({}, _lists("member", super_admins=("creator", "super_admin", "member"))),
    "last_super_admin_removed": ({}, _lists("creator", super_admins=())),
    "super_admin_changes_permissions": ({}, _admins_only("creator")),
    "member_changes_permissions": ({}, _admins_only("member")),
    "update_proposal_committed": ({}, _update_by_reference),
    "new_installation_of_member": ({"extra": _TWIN}, _new_installation),
    "revoked_installation_removed": ({"extra": ("revoked_twin",)}, _revoked("revoked_twin", remove=True)),
    "revoked_installation_kept": ({"extra": ("kept_twin",)}, _revoked("kept_twin", remove=False)),
    "group_name_100_bytes": ({}, _metadata("creator", group_name="x" * 100)),
    "group_name_101_bytes": ({}, _metadata("creator", group_name="x" * 101)),
    "description_1000_bytes": ({}, _metadata("creator", description="x" * 1000)),
    "description_1001_bytes": ({}, _metadata("creator", description="x" * 1001)),
    "admins_only/super_admin_adds_member": ({"preset": Preset.ADMINS_ONLY}, _add("creator", "outsider0")),
    "admins_only/member_adds_member": ({"preset": Preset.ADMINS_ONLY}, _add("member", "outsider0")),
    "admins_only/member_proposes_add": ({"preset": Preset.ADMINS_ONLY}, _proposed_add),
    "super_admin_removes_super_admin": ({}, _remove("super_admin", "creator")),
    "admin_removes_super_admin": ({}, _remove("admin", "creator")),
    "super_admin_steps_down": ({}, _lists("creator", super_admins=("super_admin",))),
    "super_admin_removes_admin": ({}, _lists("super_admin", admins=())),
    "admin_removes_admin": ({}, _lists("admin", admins=())),
    "update_permissions_policy_deny": ({"update_permissions": Option.DENY}, _update_permissions_deny),
    "remove_proposed_by_bo_committed_by_alix": ({}, _proposed_remove("member", "creator")),
    "remove_proposed_by_alix_committed_by_bo": ({}, _proposed_remove("creator", "member")),
}


def _spec(profile: str, preset: Preset = Preset.ALL_MEMBERS, extra: tuple[str, ...] = (),
          update_permissions: Option | None = None) -> GroupSpec:
    policies: Policies = preset_policies(preset, PROFILES[profile])
    if update_permissions is not None:
        policies = dataclasses.replace(policies, update_permissions=update_permissions)
    return group_spec("commit_validation", policies, profile, extra=extra)


def derive(case: DecisionCase) -> CommitWire | str:
    """The wire form of a commit_validation case, or why it has none."""
    profile, name = case.id.split("::")[1].split("/", 1)
    if name in WITHOUT:
        return WITHOUT[name]
    if name not in _BUILDERS:
        return "not yet played on the wire"
    group, build = _BUILDERS[name]
    return CommitWire(_spec(profile, **group), case.id, build, case.expected.result == Verdict.VALID,
                      own_profile=name in OWN_PROFILE)
