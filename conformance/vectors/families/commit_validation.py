"""libxmtp commit validation (facts §4.4, ``ValidatedCommit::from_staged_commit``): accept or refuse a commit.

Each case is one commit made by a real XMTP group of the model (identity
log, key packages, MLS commit), written out as everything a receiver's
validation reads, so an implementation needs nothing but the case:

* ``extensions_before`` / ``extensions_after``: the GroupContext extensions
  before and after the commit (``[{type, data}]``, data as hex);
* ``leaves_before``: the pre-commit tree's leaves by leaf index (a TLS
  ``LeafNode`` in hex, ``null`` for a blank leaf);
* ``committer``: the committer's leaf index; ``path_leaf``: the LeafNode of
  its UpdatePath (hex) or ``null``;
* ``proposals``: the committed proposals in order, each ``{proposal: hex TLS
  Proposal, sender: leaf index of its proposer}`` (by value: the committer);
* ``identity_logs``: every update (hex ``IdentityUpdate`` protobuf) of every
  inbox whose log is consulted, in sequence-id order (the first is 1);
* ``own_version``: the receiving client's protocol version; ``profile``.

A valid case's ``outputs`` is the ValidatedCommit summary; an invalid case
names the ``CommitReason``, and for ``insufficient_permissions`` ``outputs.
permission_reason`` names the XIP-47 rule (libxmtp reports only the former).
Inboxes listed in the group-size cases' 0xFF01 without a tree leaf ("padding")
never change, so validation never reads their (absent) logs.

Questions: ``decide`` with the case's ``inputs``. The answer is ``{result: valid,
reason: null, outputs: <the summary>}`` or ``{result: invalid, reason, outputs}``
whose ``outputs`` holds ``permission_reason`` for ``insufficient_permissions`` (else
``{}``); a refusal's ``outputs`` is judged too. The inputs, their rebuilding and the decision are
``conformance.vectors.commit_decision``; this module builds the cases.
"""

from __future__ import annotations

import dataclasses
import random
import re

from spec_model.mls.group import Group, StagedCommit
from spec_model.mls.key_package import KeyPackageBundle
from spec_model.mls.leaf_node import Credential
from spec_model.mls.proposals import Add, PreSharedKey, Remove
from spec_model.mls.psk import PreSharedKeyID
from spec_model.xmtp.commit_validation import CommitReason
from spec_model.xmtp.credential import Installation, MlsCredential, inbox_of
from spec_model.xmtp.extensions import GroupMembership, new_dm_metadata, new_dm_mutable_metadata, read_membership
from spec_model.xmtp.groups import (
    admin_lists_proposal, membership_of, membership_proposals, metadata_proposal, permissions_proposal,
)
from spec_model.xmtp.identity_signing import add_installation_update
from spec_model.xmtp.key_package import build_key_package
from spec_model.xmtp.permissions import Option, Preset, preset_policies
from spec_model.xmtp.profiles import LIBXMTP, SEED, Profile

from .. import case_id, expect
from ..commit_decision import Inputs, Outputs, decide, inputs_of, validate
from ..family import decision_exchanges
from ..formats import DecisionCase, Verdict
from ..questions import judge_decision
from ..world import NOW_S, User, World
from .key_packages import resigned

FAMILY = "commit_validation"
FORMAT = "decision"
AREA = "commit validation"
RULE = "libxmtp validated_commit.rs ValidatedCommit::from_staged_commit (facts §4.4)"


def _join(pending, bundle: KeyPackageBundle) -> Group:
    return Group.join(pending.welcome.body, bundle.key_package, bundle.init_priv, bundle.encryption_priv,
                      bundle.signature_priv)


# ------------------------------------------------------------------ building cases from real commits

def _from_staged(name: str, description: str, step: str, staged: StagedCommit, world: World, intended: str, *,
                 own_version: str = "1.0.0", profile: str = "seed", tags: tuple[str, ...] = ()) -> DecisionCase:
    inputs = inputs_of(staged, world.log, own_version=own_version, profile=profile)
    outputs, expected = decide(inputs)
    if (outputs, expected) != validate(staged, world.log, own_version, profile):
        raise AssertionError(f"{name}: the vector's inputs do not reproduce the staged commit's validation")
    got = expected.reason if expected.result == Verdict.INVALID else "valid"
    if got != intended:
        raise AssertionError(f"{name}: expected {intended}, the model says {got}")
    return DecisionCase(id=case_id(FAMILY, f"{profile}/{name}"), description=description, rule=f"{RULE} {step}",
                        tags=[profile, *_step_tags(step), *tags], inputs=inputs, expected=expected, outputs=outputs)


def _step_tags(step: str) -> list[str]:
    """``steps 8, 10, 12a`` -> step_8, step_10, step_12 (facts §4.4 numbering)."""
    return [f"step_{n}" for n in dict.fromkeys(re.findall(r"\d+", step.split("(")[0]))]


def _commit(world: World, group: Group, proposals=()) -> StagedCommit:
    """Commit ``proposals`` by value (and the cached ones), without merging: what receivers validate."""
    pending = group.commit(tuple(proposals), rng=world.rng)
    group.clear_pending_commit()
    return pending.staged


@dataclasses.dataclass
class _Three:
    world: World
    alix: User
    bo: User
    caro: User
    groups: dict[str, Group]
    creation: StagedCommit


def _three(seed: int, *, profile: Profile = SEED, preset: Preset = Preset.ALL_MEMBERS) -> _Three:
    """alix creates a group and adds bo (two installations) and caro; everyone's Group by name."""
    world = World(seed)
    alix, bo, caro = world.user("alix"), world.user("bo", installations=2), world.user("caro")
    group = world.group(alix, preset=preset, profile=profile)
    proposals, bundles = world.add_users(group, bo, caro)
    pending = group.commit(proposals, rng=world.rng)
    group.merge_pending_commit()
    groups = {"alix": group}
    for name, bundle in zip(["bo", "bo2", "caro"], bundles):
        groups[name] = _join(pending, bundle)
    return _Three(world, alix, bo, caro, groups, pending.staged)


def _merge_everywhere(t: _Three, committer: str, proposals) -> None:
    pending = t.groups[committer].commit(tuple(proposals), rng=t.world.rng)
    t.groups[committer].merge_pending_commit()
    for name, group in t.groups.items():
        if name != committer:
            group.process(pending.message)


def _leaf_of(group: Group, installation: Installation) -> int:
    return next(i for i, leaf in group.members() if leaf.signature_key == installation.public_key)


# ------------------------------------------------------------------ the cases, in libxmtp's order

THREE = "Given alix's group (all-members preset, alix the creator and only super admin) with bo (two installations) " \
        "and caro"


def _all_members_cases() -> list[DecisionCase]:
    t = _three(1)
    w, alix, bo, caro, g = t.world, t.alix, t.bo, t.caro, t.groups
    out = [_from_staged(
        "add_members", "Given alix's new group, When alix commits Adds for bo's two installations and caro's with "
        "their inboxes in 0xFF01, Then it is valid: two inboxes added, alix's sequence id set", "steps 8, 10, 12a",
        t.creation, w, "valid")]
    out.append(_from_staged(
        "empty_commit_by_member", f"{THREE}, When caro (a plain member) commits nothing but an update path, Then it "
        "is valid and changes nothing visible", "step 5 (the actor is a member)", _commit(w, g["caro"]), w, "valid"))
    out.append(_from_staged(
        "psk_proposal", f"{THREE}, When alix commits a PreSharedKey proposal, Then it is refused",
        "step 6 (no PSK support)", _psk_commit(w, g["alix"]), w, CommitReason.NO_PSK_SUPPORT))

    members = dict(membership_of(g["alix"]).members)
    members[bo.inbox_id] -= 1
    out.append(_from_staged(
        "sequence_id_decreased", f"{THREE}, When alix commits a 0xFF01 lowering bo's sequence id, Then it is refused",
        "step 8 (sequence ids never decrease)",
        _commit(w, g["alix"], membership_proposals(g["alix"], (), frozenset(), GroupMembership(members=members))),
        w, CommitReason.SEQUENCE_ID_DECREASED))

    dave = w.user("dave")
    out.append(_from_staged(
        "member_adds_member", f"{THREE}, When caro adds dave (under add_member_policy allow), Then it is valid: "
        "dave's inbox added, caro the actor", "steps 10, 12a", _commit(w, g["caro"], w.add_users(g["caro"], dave)[0]),
        w, "valid"))
    at_zero = GroupMembership(members={**membership_of(g["alix"]).members, dave.inbox_id: 0})
    out.append(_from_staged(
        "added_inbox_at_sequence_id_zero", f"{THREE}, When alix adds dave's installation with dave's inbox at "
        "sequence id 0, Then it is refused (libxmtp HEAD: an added inbox names the update it was read at)",
        "step 8", _commit(w, g["alix"], membership_proposals(g["alix"], (w.key_package(dave).key_package,), frozenset(),
                                                          at_zero)),
        w, CommitReason.INBOX_VALIDATION_FAILED))
    beyond = GroupMembership(members={**membership_of(g["alix"]).members, dave.inbox_id: 2})
    out.append(_from_staged(
        "added_inbox_beyond_its_log", f"{THREE}, When alix adds dave at sequence id 2 while dave's log has one "
        "update, Then it is refused", "step 8 (the identity updates must exist)",
        _commit(w, g["alix"], membership_proposals(g["alix"], (w.key_package(dave).key_package,), frozenset(), beyond)),
        w, CommitReason.INBOX_VALIDATION_FAILED))

    stranger = w.user("stranger")
    out.append(_from_staged(
        "unexpected_installation_added", f"{THREE}, When alix adds a stranger's installation without its inbox in "
        "0xFF01, Then it is refused", "step 10 (every added installation is expected)",
        _commit(w, g["alix"], membership_proposals(g["alix"], (w.key_package(stranger).key_package,), frozenset(),
                                                membership_of(g["alix"]))),
        w, CommitReason.UNEXPECTED_INSTALLATION_ADDED))
    out.append(_from_staged(
        "remove_one_of_two_installations", f"{THREE}, When alix removes one of bo's two installations, 0xFF01 "
        "unchanged, Then it is refused", "step 10 (removals equal what the log implies)",
        _commit(w, g["alix"], membership_proposals(g["alix"], (), frozenset({bo.installations[0].public_key}),
                                                membership_of(g["alix"]))),
        w, CommitReason.UNEXPECTED_INSTALLATIONS_REMOVED))
    all_of_bo = frozenset(i.public_key for i in bo.installations)

    def remove_bo(who: str) -> StagedCommit:
        return _commit(w, g[who], membership_proposals(g[who], (), all_of_bo, w.membership_with(g[who], without=(bo,))))
    out.append(_from_staged(
        "remove_inbox_with_all_installations", f"{THREE}, When alix removes both of bo's installations and bo's "
        "inbox, Then it is valid: bo removed", "steps 10, 12b",
        remove_bo("alix"),
        w, "valid"))

    erin = w.user("erin")
    forged = build_key_package(erin.installations[0], dave.inbox_id, NOW_S, w.rng).key_package
    out.append(_from_staged(
        "key_package_claims_another_inbox", f"{THREE}, When alix adds erin's installation in a key package whose "
        "credential names dave's inbox (both inboxes listed), Then it is refused",
        "step 11 (an installation belongs to its credential's inbox)",
        _commit(w, g["alix"], membership_proposals(g["alix"], (forged,), frozenset(),
                                                w.membership_with(g["alix"], dave, erin))),
        w, CommitReason.INBOX_VALIDATION_FAILED))

    def readd(group: Group) -> StagedCommit:
        fresh = w.key_package(bo).key_package
        same = membership_proposals(group, (fresh,), frozenset(), w.membership_with(group))
        return _commit(w, group, (Remove(_leaf_of(group, bo.installations[0])), *same))

    out.append(_from_staged(
        "super_admin_readds_installation", f"{THREE}, When alix (super admin) removes bo's first installation and "
        "adds it back from a fresh key package in one commit, Then it is valid and empty (fork recovery)",
        "step 9 (re-adds)", readd(g["alix"]), w, "valid"))
    out.append(_from_staged(
        "member_readds_installation", f"{THREE}, When caro (not a super admin) makes the same re-add, Then it is "
        "refused: the removal is unexpected", "step 9 (re-adds by super admins only)", readd(g["caro"]), w,
        CommitReason.UNEXPECTED_INSTALLATIONS_REMOVED))

    out.append(_from_staged(
        "member_removes_member", f"{THREE}, When caro removes bo (remove_member_policy admin-or-super-admin), Then "
        "it is refused", "step 12b",
        remove_bo("caro"),
        w, CommitReason.INSUFFICIENT_PERMISSIONS))
    out.append(_from_staged(
        "member_edits_group_name", f"{THREE}, When caro renames the group (seed: metadata is admins-only), Then it is "
        "refused", "step 12c", _commit(w, g["caro"], [metadata_proposal(g["caro"], {"group_name": "caro's"})]), w,
        CommitReason.INSUFFICIENT_PERMISSIONS))
    out.append(_from_staged(
        "super_admin_edits_group_name", f"{THREE}, When alix renames the group, Then it is valid: one metadata "
        "change", "step 12c", _commit(w, g["alix"], [metadata_proposal(g["alix"], {"group_name": "alix's"})]), w,
        "valid"))
    out.append(_from_staged(
        "super_admin_adds_admin", f"{THREE}, When alix makes bo an admin, Then it is valid", "step 12d",
        _commit(w, g["alix"], [admin_lists_proposal(g["alix"], admins=(bo.inbox_id,))]), w, "valid"))
    out.append(_from_staged(
        "member_adds_admin", f"{THREE}, When caro makes herself an admin (add_admin_policy super admin only), Then "
        "it is refused", "step 12d", _commit(w, g["caro"], [admin_lists_proposal(g["caro"], admins=(caro.inbox_id,))]),
        w, CommitReason.INSUFFICIENT_PERMISSIONS))
    out.append(_from_staged(
        "super_admin_adds_super_admin", f"{THREE}, When alix makes bo a super admin, Then it is valid", "step 12e",
        _commit(w, g["alix"], [admin_lists_proposal(g["alix"], super_admins=(alix.inbox_id, bo.inbox_id))]), w,
        "valid"))
    out.append(_from_staged(
        "member_adds_super_admin", f"{THREE}, When caro makes herself a super admin, Then it is refused",
        "step 12e",
        _commit(w, g["caro"], [admin_lists_proposal(g["caro"], super_admins=(alix.inbox_id, caro.inbox_id))]),
        w, CommitReason.INSUFFICIENT_PERMISSIONS))
    out.append(_from_staged(
        "last_super_admin_removed", f"{THREE}, When alix empties the super admin list, Then it is refused (one must "
        "remain)", "step 12f", _commit(w, g["alix"], [admin_lists_proposal(g["alix"], super_admins=())]), w,
        CommitReason.INSUFFICIENT_PERMISSIONS))
    stricter = preset_policies(Preset.ADMINS_ONLY)
    out.append(_from_staged(
        "super_admin_changes_permissions", f"{THREE}, When alix switches to the admins-only preset, Then it is "
        "valid: permissions changed", "step 12g", _commit(w, g["alix"], [permissions_proposal(g["alix"], stricter)]), w,
        "valid"))
    out.append(_from_staged(
        "member_changes_permissions", f"{THREE}, When caro switches to the admins-only preset, Then it is refused",
        "step 12g", _commit(w, g["caro"], [permissions_proposal(g["caro"], stricter)]), w,
        CommitReason.INSUFFICIENT_PERMISSIONS))

    floor = metadata_proposal(g["alix"], {"minimum_supported_protocol_version": "2.1.0"})
    staged = _commit(w, g["alix"], [floor])
    out.append(_from_staged(
        "minimum_version_met", f"{THREE}, When alix raises the minimum protocol version to 2.1.0 and the receiver "
        "runs 2.1.0, Then it is valid", "step 13", staged, w, "valid", own_version="2.1.0"))
    out.append(_from_staged(
        "minimum_version_too_low", f"{THREE}, When alix raises the minimum protocol version to 2.1.0 and the "
        "receiver runs 2.0.9, Then it is refused (the group pauses until an upgrade)", "step 13", staged, w,
        CommitReason.PROTOCOL_VERSION_TOO_LOW, own_version="2.0.9"))

    # by reference: bo's Update proposal, committed by alix (credential check of an updated leaf)
    message, _ = g["bo"].update_proposal(rng=w.rng)
    g["alix"].process(message)
    out.append(_from_staged(
        "update_proposal_committed", f"{THREE}, When bo proposes an Update of its leaf and alix commits it, Then it "
        "is valid and empty: bo's new leaf is still an installation of bo's inbox", "steps 7, 11",
        _commit(w, g["alix"]), w, "valid"))
    g["alix"].proposals.clear()

    # the log changes: bo adds a third installation, then revokes its second
    new = w.add_installation(bo)
    out.append(_from_staged(
        "new_installation_of_member", f"{THREE}, When bo adds a third installation to its inbox and alix commits its "
        "Add with bo's sequence id raised, Then it is valid and empty (a new installation is not a new member)",
        "steps 8, 10, 11",
        _commit(w, g["alix"], membership_proposals(g["alix"], (w.key_package(bo, 2).key_package,), frozenset(),
                                                w.membership_with(g["alix"], bo))),
        w, "valid"))
    assert new.public_key == bo.installations[2].public_key
    w.revoke_installation(bo, 1)
    second = frozenset({bo.installations[1].public_key})
    out.append(_from_staged(
        "revoked_installation_removed", f"{THREE}, When bo adds a third installation and revokes its second, and "
        "alix raises bo's sequence id and removes the revoked installation (not adding the third), Then it is valid "
        "(expected adds may be missing)", "step 10",
        _commit(w, g["alix"], membership_proposals(g["alix"], (), second, w.membership_with(g["alix"], bo))),
        w, "valid"))
    out.append(_from_staged(
        "revoked_installation_kept", f"{THREE}, When bo revokes its second installation and alix raises bo's "
        "sequence id without removing it, Then it is refused", "step 10",
        _commit(w, g["alix"], membership_proposals(g["alix"], (), frozenset(), w.membership_with(g["alix"], bo))),
        w, CommitReason.UNEXPECTED_INSTALLATIONS_REMOVED))
    return out


def _shared_installation_cases() -> list[DecisionCase]:
    """An installation in two inboxes' logs is added for one of them under a credential naming the other."""
    t = _three(9)
    w, g = t.world, t.groups
    gus = w.user("gus")
    shared = w.add_installation(gus)
    members = w.membership_with(g["alix"], gus).members
    _merge_everywhere(t, "alix", membership_proposals(  # its key package not found: a failed installation
        g["alix"], (w.key_package(gus).key_package,), frozenset(),
        GroupMembership(members=members, failed_installations=(shared.public_key,))))
    fay = w.user("fay")
    w.log.publish(add_installation_update(w.log.state_at(fay.inbox_id), shared.private_key, fay.wallet, w.tick()))
    claims_gus = build_key_package(shared, gus.inbox_id, NOW_S, w.rng).key_package
    return [_from_staged(
        "shared_installation_claims_other_inbox", f"{THREE} and gus, whose second installation (a failed "
        "installation of the group) fay's inbox has added too, When alix adds fay with that installation's key "
        "package whose credential names gus, Then it is refused: the log adds it for fay",
        "step 11 (an added installation's credential names the inbox the log adds it for)",
        _commit(w, g["alix"], membership_proposals(g["alix"], (claims_gus,), frozenset(),
                                                  w.membership_with(g["alix"], fay))),
        w, CommitReason.INBOX_VALIDATION_FAILED)]


def _psk_commit(w: World, group: Group) -> StagedCommit:
    group.psks = {b"k": b"v"}
    try:
        return _commit(w, group, [PreSharedKey(PreSharedKeyID.external(b"k", b"\1" * 32))])
    finally:
        group.psks = {}


def _actor_cases() -> list[DecisionCase]:
    w = World(2)
    alix, intruder = w.user("alix"), w.user("intruder")
    group = w.group(alix)
    bundle = w.key_package(intruder)
    # alix adds the intruder's installation without listing its inbox in 0xFF01 (a commit others refuse)
    pending = group.commit(membership_proposals(group, (bundle.key_package,), frozenset(), membership_of(group)),
                           rng=w.rng)
    group.merge_pending_commit()
    intruders = _join(pending, bundle)
    return [_from_staged(
        "actor_not_member", "Given a group whose tree holds an installation of an inbox missing from 0xFF01, When "
        "that installation commits, Then it is refused", "step 5 (the actor's inbox is a member)",
        _commit(w, intruders),
        w, CommitReason.ACTOR_NOT_MEMBER)]


def _libxmtp_cases() -> list[DecisionCase]:
    t = _three(3, profile=LIBXMTP)
    w, g = t.world, t.groups
    given = "Given alix's libxmtp group (all-members preset) with bo and caro"
    out = []
    for field, limit in (("group_name", 100), ("description", 1000)):
        for size, intended in ((limit, "valid"), (limit + 1, CommitReason.TOO_MANY_CHARACTERS)):
            out.append(_from_staged(
                f"{field}_{size}_bytes", f"{given}, When alix sets {field} to {size} bytes (limit {limit}), Then it "
                f"is {'valid' if intended == 'valid' else 'refused'}", "step 3 (character limits)",
                _commit(w, g["alix"], [metadata_proposal(g["alix"], {field: "x" * size})]), w, intended,
                profile="libxmtp"))
    out.append(_from_staged(
        "member_edits_group_name", f"{given}, When caro renames the group (libxmtp: members edit the name), Then it "
        "is valid", "step 12c", _commit(w, g["caro"], [metadata_proposal(g["caro"], {"group_name": "caro's"})]), w,
        "valid", profile="libxmtp"))
    return out


def _admins_only_cases() -> list[DecisionCase]:
    t = _three(4, preset=Preset.ADMINS_ONLY)
    w, g = t.world, t.groups
    dave, erin = w.user("dave"), w.user("erin")
    given = "Given alix's group with the admins-only preset, bo and caro"
    out = [
        _from_staged("admins_only/super_admin_adds_member", f"{given}, When alix adds dave, Then it is valid",
                     "step 12a", _commit(w, g["alix"], w.add_users(g["alix"], dave)[0]), w, "valid"),
        _from_staged("admins_only/member_adds_member", f"{given}, When caro adds dave, Then it is refused",
                     "step 12a", _commit(w, g["caro"], w.add_users(g["caro"], dave)[0]), w,
                     CommitReason.INSUFFICIENT_PERMISSIONS),
    ]
    # caro proposes adding erin; alix (allowed to add) commits it: the proposer is checked (libxmtp HEAD)
    proposal = Add(w.key_package(erin).key_package)
    g["alix"].process(g["caro"].propose(proposal, rng=w.rng))
    gce = membership_proposals(g["alix"], (), frozenset(), w.membership_with(g["alix"], erin))
    out.append(_from_staged(
        "admins_only/member_proposes_add", f"{given}, When caro proposes adding erin and alix commits that proposal "
        "with the new 0xFF01, Then it is refused: an add is checked against its proposer", "step 12a (proposer)",
        _commit(w, g["alix"], gce), w, CommitReason.INSUFFICIENT_PERMISSIONS))
    g["alix"].proposals.clear()
    return out


def _dm_cases() -> list[DecisionCase]:
    w = World(5)
    alix, bo, caro = w.user("alix"), w.user("bo"), w.user("caro")
    group = w.group(alix, preset=Preset.DM, metadata=new_dm_metadata(alix.inbox_id, bo.inbox_id),
                    mutable=new_dm_mutable_metadata())
    given = "Given alix's DM with bo (DM preset: add_member deny, no super admins), bo not yet added"
    return [
        _from_staged("dm/creator_adds_peer", f"{given}, When alix adds bo, Then it is valid (the DM exception)",
                     "step 12a (DM exception)", _commit(w, group, w.add_users(group, bo)[0]), w, "valid"),
        _from_staged("dm/creator_adds_third_inbox", f"{given}, When alix adds caro, Then it is refused",
                     "step 12a", _commit(w, group, w.add_users(group, caro)[0]), w,
                     CommitReason.INSUFFICIENT_PERMISSIONS),
    ]


def _super_admin_removal_cases() -> list[DecisionCase]:
    out = []
    for seed, name, profile in ((6, "seed", SEED), (7, "libxmtp", LIBXMTP)):
        t = _three(seed, profile=profile)
        w, alix, bo, caro, g = t.world, t.alix, t.bo, t.caro, t.groups
        _merge_everywhere(t, "alix", [admin_lists_proposal(g["alix"], admins=(caro.inbox_id,),
                                                           super_admins=(alix.inbox_id, bo.inbox_id))])
        given = f"Given alix's {name} group where alix and bo are super admins and caro an admin"
        without_alix = frozenset({alix.installations[0].public_key})
        remove_alix = {who: _commit(w, g[who], membership_proposals(g[who], (), without_alix,
                                                                 w.membership_with(g[who], without=(alix,))))
                       for who in ("bo", "caro")}
        out.append(_from_staged(
            "super_admin_removes_super_admin", f"{given}, When bo removes alix from the group, Then it is "
            + ("valid (seed: a super admin removes another while one remains)" if name == "seed"
               else "refused (libxmtp: no commit removes a super admin)"),
            "step 12b", remove_alix["bo"], w, "valid" if name == "seed" else CommitReason.INSUFFICIENT_PERMISSIONS,
            profile=name))
        out.append(_from_staged(
            "admin_removes_super_admin", f"{given}, When caro removes alix from the group, Then it is refused "
            "(admins can not remove super admins)", "step 12b", remove_alix["caro"], w,
            CommitReason.INSUFFICIENT_PERMISSIONS, profile=name))
        out.append(_from_staged(
            "super_admin_steps_down", f"{given}, When alix removes herself from the super admin list, Then it is "
            "valid (bo remains)", "step 12f",
            _commit(w, g["alix"], [admin_lists_proposal(g["alix"], super_admins=(bo.inbox_id,))]), w, "valid",
            profile=name))
        out.append(_from_staged(
            "super_admin_removes_admin", f"{given}, When bo takes caro's admin role, Then it is valid", "step 12d",
            _commit(w, g["bo"], [admin_lists_proposal(g["bo"], admins=())]), w, "valid", profile=name))
        out.append(_from_staged(
            "admin_removes_admin", f"{given}, When caro gives up her own admin role (remove_admin_policy super admin "
            "only), Then it is refused", "step 12d",
            _commit(w, g["caro"], [admin_lists_proposal(g["caro"], admins=())]),
            w, CommitReason.INSUFFICIENT_PERMISSIONS, profile=name))
    return out


def _permissions_policy_cases() -> list[DecisionCase]:
    out = []
    for seed, name, profile in ((8, "seed", SEED), (9, "libxmtp", LIBXMTP)):
        w = World(seed)
        alix = w.user("alix")
        frozen = dataclasses.replace(preset_policies(Preset.ALL_MEMBERS, profile), update_permissions=Option.DENY)
        group = w.group(alix, profile=profile, policies=frozen)
        out.append(_from_staged(
            "update_permissions_policy_deny", f"Given alix's {name} group whose update_permissions_policy is deny, "
            "When alix (super admin) switches to the admins-only preset, Then it is "
            + ("refused (seed: the policy applies)" if name == "seed" else "valid (libxmtp ignores the policy)"),
            "step 12g", _commit(w, group, [permissions_proposal(group, preset_policies(Preset.ADMINS_ONLY, profile),
                                                             profile)]),
            w, CommitReason.INSUFFICIENT_PERMISSIONS if name == "seed" else "valid", profile=name))
    return out


def _group_size_cases() -> list[DecisionCase]:
    out = []
    for seed, name, profile in ((10, "seed", SEED), (11, "libxmtp", LIBXMTP)):
        limit = profile.max_group_size
        for total in (limit, limit + 1):
            w = World(seed)
            alix, dave = w.user("alix"), w.user("dave")
            padding = {random.Random(f"{name}/{i}").randbytes(32).hex(): 1 for i in range(total - 2)}
            group = w.group(alix, profile=profile,
                            membership=GroupMembership(members={alix.inbox_id: 0, **padding}))
            full = total > limit and profile.group_size_checked_on_receive
            out.append(_from_staged(
                f"group_of_{total}", f"Given alix's {name} group whose 0xFF01 lists {total - 1} inboxes (alix and "
                f"{total - 2} padding inboxes without leaves), When alix adds dave, making {total}, Then it is "
                + (f"refused ({name} allows at most {limit})" if full else "valid" if total == limit else
                   f"valid: libxmtp counts members only when adding by address ({limit}), not in a received commit"),
                "group size (seed Group sizes: 400; libxmtp: 250 when adding by address, crates/xmtp_mls/src/groups/"
                "mod.rs add_members_by_identity@b649d1a)", _commit(w, group, w.add_users(group, dave)[0]), w,
                CommitReason.GROUP_FULL if full else "valid", profile=name, tags=("group_size",)))
    return out


def _minimum_version_cases() -> list[DecisionCase]:
    """Semantic Versioning precedence for pre-release floors (libxmtp LibXMTPVersion, the semver crate,
    crates/xmtp_mls/src/groups/validated_commit.rs@b649d1a): rc.2 < rc.10 < the release."""
    out = []
    for seed, name, profile in ((12, "seed", SEED), (13, "libxmtp", LIBXMTP)):
        t = _three(seed, profile=profile)
        staged = _commit(t.world, t.groups["alix"],
                         [metadata_proposal(t.groups["alix"], {"minimum_supported_protocol_version": "2.1.0-rc.10"})])
        for own, verdict, why in (("2.1.0-rc.2", CommitReason.PROTOCOL_VERSION_TOO_LOW,
                                   "refused: rc.2 precedes rc.10 (numeric identifiers compare as numbers)"),
                                  ("2.1.0", "valid", "valid: a release follows its pre-releases")):
            out.append(_from_staged(
                f"minimum_version_prerelease_{own}", f"{THREE}, When alix raises the minimum protocol version to "
                f"2.1.0-rc.10 and the receiver runs {own}, Then it is {why}", "step 13", staged, t.world, verdict,
                own_version=own, profile=name))
    return out


def _proposer_cases() -> list[DecisionCase]:
    """A removed inbox is checked against the proposer of its Remove (libxmtp validated_commit.rs
    extract_expected_diff_with_proposers@b649d1a), not the committer."""
    out = []
    for seed, name, profile in ((14, "seed", SEED), (15, "libxmtp", LIBXMTP)):
        for proposer, committer, verdict, why in (
                ("bo", "alix", CommitReason.INSUFFICIENT_PERMISSIONS, "refused: bo, a plain member, proposed it"),
                ("alix", "bo", "valid", "valid: alix, the super admin, proposed it")):
            if not profile.proposals_by_reference:
                verdict, why = CommitReason.PROPOSAL_NOT_STORED, "refused: libxmtp kept no member's proposal"
            t = _three(seed, profile=profile)
            g = t.groups
            caro_leaf = next(i for i, leaf in g[proposer].members() if inbox_of(leaf.credential) == t.caro.inbox_id)
            g[committer].process(g[proposer].propose(Remove(caro_leaf), rng=t.world.rng))
            membership = read_membership(g[committer].context.extensions)
            without_caro = GroupMembership(members={k: v for k, v in membership.members.items()
                                                    if k != t.caro.inbox_id})
            out.append(_from_staged(
                f"remove_proposed_by_{proposer}_committed_by_{committer}",
                f"{THREE}, When {proposer} proposes removing caro and {committer} commits that proposal by reference "
                f"with the new 0xFF01, Then it is {why} (remove_member_policy is admins')", "step 12b",
                _commit(t.world, g[committer], membership_proposals(g[committer], (), frozenset(), without_caro)),
                t.world, verdict, profile=name))
    return out


def _added_credential_cases() -> list[DecisionCase]:
    """An added leaf's credential: the seed profile checks it names the installation's inbox in the inbox-id form
    (step 11), the libxmtp profile only decodes it (``Profile.added_credentials_checked``)."""
    out = []
    for seed, name, profile in ((16, "seed", SEED), (17, "libxmtp", LIBXMTP)):
        t = _three(seed, profile=profile)
        w, g = t.world, t.groups
        for label, named in (("uppercase", str.upper), ("short", lambda inbox: inbox[:63]), ("empty", lambda _: "")):
            dave = w.user(f"dave_{label}")
            bundle = build_key_package(dave.installations[0], dave.inbox_id, NOW_S, w.rng)
            forged = resigned(bundle, leaf={"credential": Credential.basic(MlsCredential(named(dave.inbox_id))
                                                                            .encode())})
            out.append(_from_staged(
                f"added_credential_{label}_inbox_id", f"{THREE}, When alix adds dave's installation (dave's inbox in "
                f"0xFF01) from a key package whose MlsCredential names dave's inbox id {label} "
                f"({'upper-cased' if label == 'uppercase' else '63 characters' if label == 'short' else 'empty'}), "
                f"Then it is {'refused' if profile.added_credentials_checked else 'valid: libxmtp only decodes it'}",
                "step 11 (an added installation's credential)",
                _commit(w, g["alix"], membership_proposals(g["alix"], (forged,), frozenset(),
                                                        w.membership_with(g["alix"], dave))),
                w, CommitReason.INBOX_VALIDATION_FAILED if profile.added_credentials_checked else "valid",
                profile=name))
    return out


def _libxmtp_counterpart_cases() -> list[DecisionCase]:
    """The libxmtp profile's verdicts on seed cases it decides otherwise: an Add whose credential names another
    inbox (valid: only the installation id is matched), proposals committed by reference (refused)."""
    t = _three(18, profile=LIBXMTP)
    w, g = t.world, t.groups
    given = "Given alix's libxmtp group (all-members preset) with bo (two installations) and caro"
    dave, erin = w.user("dave"), w.user("erin")
    forged = build_key_package(erin.installations[0], dave.inbox_id, NOW_S, w.rng).key_package
    out = [_from_staged(
        "key_package_claims_another_inbox", f"{given}, When alix adds erin's installation in a key package whose "
        "credential names dave's inbox (both inboxes listed), Then it is valid: libxmtp matches the installation "
        "against the inboxes' logs, not its credential", "step 11 (libxmtp: added credentials only decode)",
        _commit(w, g["alix"], membership_proposals(g["alix"], (forged,), frozenset(),
                                                w.membership_with(g["alix"], dave, erin))),
        w, "valid", profile="libxmtp")]
    message, _ = g["bo"].update_proposal(rng=w.rng)
    g["alix"].process(message)
    out.append(_from_staged(
        "update_proposal_committed", f"{given}, When bo proposes an Update of its leaf and alix commits it, Then it "
        "is refused: libxmtp refused bo's proposal (proposals not enabled) and cannot stage the commit",
        "step 7 (libxmtp: no proposal by reference)", _commit(w, g["alix"]), w, CommitReason.PROPOSAL_NOT_STORED,
        profile="libxmtp"))
    g["alix"].proposals.clear()
    a = _three(19, preset=Preset.ADMINS_ONLY, profile=LIBXMTP)
    erin = a.world.user("erin")
    a.groups["alix"].process(a.groups["caro"].propose(Add(a.world.key_package(erin).key_package), rng=a.world.rng))
    gce = membership_proposals(a.groups["alix"], (), frozenset(), a.world.membership_with(a.groups["alix"], erin))
    out.append(_from_staged(
        "admins_only/member_proposes_add", "Given alix's libxmtp group with the admins-only preset, bo and caro, When "
        "caro proposes adding erin and alix commits that proposal with the new 0xFF01, Then it is refused: libxmtp "
        "refused caro's proposal", "step 7 (libxmtp: no proposal by reference)", _commit(a.world, a.groups["alix"], gce),
        a.world, CommitReason.PROPOSAL_NOT_STORED, profile="libxmtp"))
    return out


def cases() -> list[DecisionCase]:
    return [*_all_members_cases(), *_actor_cases(), *_libxmtp_cases(), *_admins_only_cases(), *_dm_cases(),
            *_super_admin_removal_cases(), *_permissions_policy_cases(), *_group_size_cases(),
            *_shared_installation_cases(), *_minimum_version_cases(), *_proposer_cases(), *_added_credential_cases(),
            *_libxmtp_counterpart_cases()]


def answer(question: dict) -> dict:
    """``decide``: validate the commit ``question["inputs"]`` describes."""
    outputs, expected = decide(question["inputs"])
    return {"result": expected.result, "reason": expected.reason, "outputs": outputs}


def judge(case: DecisionCase, question: dict, answer: dict) -> None:
    """The default ``decide`` judgement, and a refusal's ``outputs`` (``permission_reason``) as well."""
    judge_decision(case.id, case.expected, case.outputs, answer)
    if answer.get("result") == Verdict.INVALID.value:
        expect(f"{case.id} outputs", case.outputs, answer.get("outputs", {}))


EXCHANGES = decision_exchanges(Inputs, Outputs)
