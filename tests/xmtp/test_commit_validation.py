"""libxmtp's commit validation (facts §4.4): an accepting and a rejecting case for every step, with its reason."""

from __future__ import annotations

import dataclasses

import pytest

from spec_model.mls.group import Group
from spec_model.mls.proposals import PreSharedKey, Remove
from spec_model.mls.psk import PreSharedKeyID
from spec_model.mls.reasons import Rejected
from spec_model.xmtp.commit_validation import CommitReason, validate_commit
from spec_model.xmtp.extensions import GroupMembership
from spec_model.xmtp.groups import (
    admin_lists_proposal, membership_of, membership_proposals, metadata_proposal, permissions_proposal,
)
from spec_model.xmtp.permissions import Option, Preset, preset_policies
from spec_model.xmtp.profiles import LIBXMTP, SEED

from conformance.vectors.world import NOW_S, World
from tests.mls.members import join, state_of


@pytest.fixture
def world() -> World:
    return World(seed=7)


def committed(world: World, group: Group, proposals, **kwargs):
    """Commit ``proposals`` (not merged) and validate the staged commit as a receiver would."""
    pending = group.commit(tuple(proposals))
    group.clear_pending_commit()
    return validate_commit(pending.staged, world.identity_at, **kwargs)


def rejected(reason: CommitReason, world, group, proposals, **kwargs) -> Rejected:
    with pytest.raises(Rejected) as e:
        committed(world, group, proposals, **kwargs)
    assert e.value.reason == reason, e.value
    return e.value


def three(world: World, preset: Preset = Preset.ALL_MEMBERS, profile=SEED):
    """alix creates a group and adds bo (two installations) and caro; everyone's Group, by name."""
    alix, bo, caro = world.user("alix"), world.user("bo", installations=2), world.user("caro")
    group = world.group(alix, preset=preset, profile=profile)
    proposals, bundles = world.add_users(group, bo, caro)
    pending = group.commit(proposals)
    assert validate_commit(pending.staged, world.identity_at, profile=profile).added_inboxes == tuple(
        sorted([bo.inbox_id, caro.inbox_id]))
    group.merge_pending_commit()
    groups = {"alix": group}
    for name, bundle in zip(["bo", "bo2", "caro"], bundles):
        groups[name] = join(pending.welcome, bundle)
    return (alix, bo, caro), groups


def test_adding_members_is_summarised(world):
    (alix, bo, caro), groups = three(world)
    dave = world.user("dave")
    proposals, _ = world.add_users(groups["bo"], dave)
    result = committed(world, groups["bo"], proposals)
    assert result.actor_inbox_id == bo.inbox_id and result.added_inboxes == (dave.inbox_id,)
    assert result.group_updated().added_inboxes[0].inbox_id == dave.inbox_id


# step 3: character limits --------------------------------------------------------------------

def test_metadata_within_limits_accepted_and_over_limit_refused(world):
    _, groups = three(world, profile=LIBXMTP)
    ok = committed(world, groups["alix"], [metadata_proposal(groups["alix"], {"group_name": "x" * 100})],
                   profile=LIBXMTP)
    assert ok.metadata_changes == (("group_name", "", "x" * 100),)
    e = rejected(CommitReason.TOO_MANY_CHARACTERS, world, groups["alix"],
                 [metadata_proposal(groups["alix"], {"group_name": "x" * 101})], profile=LIBXMTP)
    assert isinstance(e.cause, Rejected) and type(e.cause.reason) is not type(e.reason)  # the limit rule's own


# step 5: the actor -------------------------------------------------------------------------------

def test_actor_must_be_a_member_inbox(world):
    alix, intruder = world.user("alix"), world.user("intruder")
    group = world.group(alix)
    bundle = world.key_package(intruder)
    # alix adds the intruder's installation without listing its inbox in 0xFF01 (a commit others refuse)
    pending = group.commit(membership_proposals(group, (bundle.key_package,), frozenset(), membership_of(group)))
    group.merge_pending_commit()
    intruders_group = join(pending.welcome, bundle)
    rejected(CommitReason.ACTOR_NOT_MEMBER, world, intruders_group, [])


# step 6: no PSKs ----------------------------------------------------------------------------------

def test_psk_proposals_refused(world):
    _, groups = three(world)
    for g in groups.values():
        g.psks = {b"k": b"v"}
    psk = PreSharedKey(PreSharedKeyID.external(b"k", b"\1" * 32))
    rejected(CommitReason.NO_PSK_SUPPORT, world, groups["alix"], [psk])


# step 8: sequence ids ---------------------------------------------------------------------------

def test_sequence_ids_never_decrease(world):
    (alix, bo, caro), groups = three(world)
    members = dict(membership_of(groups["alix"]).members)
    members[bo.inbox_id] -= 1
    proposals = membership_proposals(groups["alix"], (), frozenset(), GroupMembership(members=members))
    rejected(CommitReason.SEQUENCE_ID_DECREASED, world, groups["alix"], proposals)


def test_new_installation_of_a_member_added_on_update(world):
    (alix, bo, caro), groups = three(world)
    new = world.add_installation(bo)
    bundle = world.key_package(bo, 2)
    assert bundle.key_package.leaf_node.signature_key == new.public_key
    proposals = membership_proposals(groups["alix"], (bundle.key_package,), frozenset(),
                                     world.membership_with(groups["alix"], bo))
    result = committed(world, groups["alix"], proposals)
    assert result.added_inboxes == () and result.is_empty  # a new installation is not a new member


# step 10: the commit matches the identity log -----------------------------------------------------

def test_unexpected_installation_added(world):
    (alix, bo, caro), groups = three(world)
    stranger = world.user("stranger")
    kp = world.key_package(stranger).key_package
    proposals = membership_proposals(groups["alix"], (kp,), frozenset(), membership_of(groups["alix"]))
    rejected(CommitReason.UNEXPECTED_INSTALLATION_ADDED, world, groups["alix"], proposals)


def test_removals_must_equal_what_the_log_implies(world):
    (alix, bo, caro), groups = three(world)
    one_of_bo = frozenset({bo.installations[0].public_key})
    proposals = membership_proposals(groups["alix"], (), one_of_bo, membership_of(groups["alix"]))
    rejected(CommitReason.UNEXPECTED_INSTALLATIONS_REMOVED, world, groups["alix"], proposals)
    all_of_bo = frozenset(i.public_key for i in bo.installations)
    proposals = membership_proposals(groups["alix"], (), all_of_bo, world.membership_with(groups["alix"], without=(bo,)))
    assert committed(world, groups["alix"], proposals).removed_inboxes == (bo.inbox_id,)


# step 11: credentials --------------------------------------------------------------------------

def test_added_inbox_at_sequence_id_zero_refused(world):
    (alix, bo, caro), groups = three(world)
    dave = world.user("dave")
    members = dict(membership_of(groups["alix"]).members, **{dave.inbox_id: 0})
    proposals = membership_proposals(groups["alix"], (world.key_package(dave).key_package,), frozenset(),
                                     GroupMembership(members=members))
    rejected(CommitReason.INBOX_VALIDATION_FAILED, world, groups["alix"], proposals)


def test_key_package_claiming_another_inbox_refused(world):
    (alix, bo, caro), groups = three(world)
    dave, erin = world.user("dave"), world.user("erin")
    from spec_model.xmtp.key_package import build_key_package
    forged = build_key_package(erin.installations[0], dave.inbox_id, NOW_S, world.rng).key_package
    proposals = membership_proposals(groups["alix"], (forged,), frozenset(), world.membership_with(groups["alix"], dave, erin))
    rejected(CommitReason.INBOX_VALIDATION_FAILED, world, groups["alix"], proposals)


# step 12: policies --------------------------------------------------------------------------------

def test_member_may_add_but_not_remove_under_all_members(world):
    (alix, bo, caro), groups = three(world)
    dave = world.user("dave")
    assert committed(world, groups["caro"], world.add_users(groups["caro"], dave)[0]).added_inboxes == (dave.inbox_id,)
    all_of_bo = frozenset(i.public_key for i in bo.installations)
    proposals = membership_proposals(groups["caro"], (), all_of_bo, world.membership_with(groups["caro"], without=(bo,)))
    e = rejected(CommitReason.INSUFFICIENT_PERMISSIONS, world, groups["caro"], proposals)
    assert "remove_member_denied" in e.detail


def test_admins_only_preset_refuses_a_member_adding(world):
    (alix, bo, caro), groups = three(world, preset=Preset.ADMINS_ONLY)
    dave = world.user("dave")
    e = rejected(CommitReason.INSUFFICIENT_PERMISSIONS, world, groups["caro"], world.add_users(groups["caro"], dave)[0])
    assert "add_member_denied" in e.detail


def test_metadata_policy_by_profile(world):
    """XIP-47 (seed): only admins edit metadata; libxmtp: every member edits the name."""
    _, seed_groups = three(world, profile=SEED)
    rejected(CommitReason.INSUFFICIENT_PERMISSIONS, world, seed_groups["caro"],
             [metadata_proposal(seed_groups["caro"], {"group_name": "caro's"})])
    other = World(seed=8)
    _, libxmtp_groups = three(other, profile=LIBXMTP)
    g = libxmtp_groups["caro"]
    assert committed(other, g, [metadata_proposal(g, {"group_name": "caro's"})], profile=LIBXMTP).metadata_changes


def test_super_admin_rules(world):
    (alix, bo, caro), groups = three(world)
    promote_bo = admin_lists_proposal(groups["alix"], super_admins=(alix.inbox_id, bo.inbox_id))
    assert committed(world, groups["alix"], [promote_bo]).super_admins_added == (bo.inbox_id,)
    caro_promotes = admin_lists_proposal(groups["caro"], super_admins=(alix.inbox_id, caro.inbox_id))
    rejected(CommitReason.INSUFFICIENT_PERMISSIONS, world, groups["caro"], [caro_promotes])
    last_one_leaves = admin_lists_proposal(groups["alix"], super_admins=())
    e = rejected(CommitReason.INSUFFICIENT_PERMISSIONS, world, groups["alix"], [last_one_leaves])
    assert "last_super_admin" in e.detail


def test_admins_cannot_remove_a_super_admin(world):
    (alix, bo, caro), groups = three(world)
    commit = groups["alix"].commit((admin_lists_proposal(groups["alix"], admins=(bo.inbox_id,)),))
    groups["alix"].merge_pending_commit()
    for name in ("bo", "bo2", "caro"):
        groups[name].process(commit.message, commit_policy=lambda s: validate_commit(s, world.identity_at))
    removal = membership_proposals(groups["bo"], (), frozenset({alix.installations[0].public_key}),
                                   world.membership_with(groups["bo"], without=(alix,)))
    e = rejected(CommitReason.INSUFFICIENT_PERMISSIONS, world, groups["bo"], removal)
    assert "super_admin_not_removable" in e.detail


def test_only_super_admins_change_permissions(world):
    (alix, bo, caro), groups = three(world)
    stricter = preset_policies(Preset.ADMINS_ONLY)
    assert committed(world, groups["alix"], [permissions_proposal(groups["alix"], stricter)]).permissions_changed
    e = rejected(CommitReason.INSUFFICIENT_PERMISSIONS, world, groups["caro"],
                 [permissions_proposal(groups["caro"], stricter)])
    assert e.cause is not None and e.cause.reason == "super_admin_required"  # typed, not read from the text


def test_a_removal_is_checked_against_its_proposer(world):
    """libxmtp validated_commit.rs extract_expected_diff_with_proposers@b649d1a: the Remove's sender, not the
    committer, must pass remove_member_policy (admins' in the All Members preset)."""
    from spec_model.xmtp.credential import inbox_of
    for proposer, committer, allowed in (("bo", "alix", False), ("alix", "bo", True)):
        (alix, bo, caro), groups = three(world)
        leaf = next(i for i, node in groups[proposer].members() if inbox_of(node.credential) == caro.inbox_id)
        groups[committer].process(groups[proposer].propose(Remove(leaf)))
        without_caro = GroupMembership(members={k: v for k, v in membership_of(groups[committer]).members.items()
                                                if k != caro.inbox_id})
        proposals = membership_proposals(groups[committer], (), frozenset(), without_caro)
        if allowed:
            assert committed(world, groups[committer], proposals).removed_inboxes == (caro.inbox_id,)
        else:
            rejected(CommitReason.INSUFFICIENT_PERMISSIONS, world, groups[committer], proposals)


# step 13: the protocol-version floor ---------------------------------------------------------------

def test_minimum_version_floor(world):
    (alix, bo, caro), groups = three(world)
    raise_floor = metadata_proposal(groups["alix"], {"minimum_supported_protocol_version": "2.1.0"})
    assert committed(world, groups["alix"], [raise_floor], own_version="2.1.0").minimum_version == "2.1.0"
    rejected(CommitReason.PROTOCOL_VERSION_TOO_LOW, world, groups["alix"], [raise_floor], own_version="2.0.9")


@pytest.mark.parametrize("floor, own, accepted", [
    ("2.1.0-rc.10", "2.1.0-rc.2", False),   # numeric identifiers compare as numbers, not strings
    ("2.1.0-rc.2", "2.1.0-rc.10", True),
    ("2.1.0-rc.10", "2.1.0", True),         # a release follows its pre-releases
    ("2.1.0", "2.1.0-rc.10", False),
    ("1.0.0-alpha.1", "1.0.0-alpha", False),  # a longer identifier list follows its prefix
    ("1.0.0-alpha.beta", "1.0.0-alpha.1", False),  # numbers before words
    ("2.1.0+build.9", "2.1.0", True),       # build metadata does not count
])
def test_minimum_version_uses_semver_precedence(world, floor, own, accepted):
    """Semantic Versioning 2.0.0 §11, as libxmtp's LibXMTPVersion (the semver crate) at b649d1a."""
    (alix, bo, caro), groups = three(world)
    raise_floor = metadata_proposal(groups["alix"], {"minimum_supported_protocol_version": floor})
    if accepted:
        assert committed(world, groups["alix"], [raise_floor], own_version=own).minimum_version == floor
    else:
        rejected(CommitReason.PROTOCOL_VERSION_TOO_LOW, world, groups["alix"], [raise_floor], own_version=own)


# limits ---------------------------------------------------------------------------------------------

def test_group_size_limit_by_profile(world):
    (alix, bo, caro), groups = three(world)
    tiny = dataclasses.replace(SEED, name="tiny", max_group_size=3)
    dave = world.user("dave")
    rejected(CommitReason.GROUP_FULL, world, groups["alix"], world.add_users(groups["alix"], dave)[0], profile=tiny)
    # libxmtp counts members only when adding by address: a received commit past the limit is accepted
    tiny_libxmtp = dataclasses.replace(LIBXMTP, name="tiny", max_group_size=3)
    assert committed(world, groups["alix"], world.add_users(groups["alix"], dave)[0],
                     profile=tiny_libxmtp).added_inboxes == (dave.inbox_id,)


def test_a_one_person_group_is_valid(world):
    alix = world.user("alix")
    group = world.group(alix)
    assert committed(world, group, []).is_empty


# through the group: a refused commit changes nothing -------------------------------------------------

def test_refused_commit_leaves_the_receiver_unchanged(world):
    (alix, bo, caro), groups = three(world)
    all_of_bo = frozenset(i.public_key for i in bo.installations)
    proposals = membership_proposals(groups["caro"], (), all_of_bo, world.membership_with(groups["caro"], without=(bo,)))
    pending = groups["caro"].commit(proposals)
    before = state_of(groups["alix"])
    with pytest.raises(Rejected) as e:
        groups["alix"].process(pending.message, commit_policy=lambda s: validate_commit(s, world.identity_at))
    assert e.value.reason == CommitReason.INSUFFICIENT_PERMISSIONS
    assert state_of(groups["alix"]) == before


def test_remove_proposal_by_installation_index_is_resolved_from_the_old_tree(world):
    (alix, bo, caro), groups = three(world)
    leaf = next(i for i, l in groups["alix"].members() if l.signature_key == caro.installations[0].public_key)
    proposals = (Remove(leaf), *membership_proposals(groups["alix"], (), frozenset(),
                                                     world.membership_with(groups["alix"], without=(caro,)))[0:])
    assert committed(world, groups["alix"], proposals).removed_inboxes == (caro.inbox_id,)


# step 9: re-adds -------------------------------------------------------------------------------------

def test_super_admin_may_readd_an_installation_in_one_commit(world):
    (alix, bo, caro), groups = three(world)

    def readd(group):
        leaf = next(i for i, l in group.members() if l.signature_key == bo.installations[0].public_key)
        fresh = world.key_package(bo).key_package
        same = membership_proposals(group, (fresh,), frozenset(), world.membership_with(group))
        return (Remove(leaf), *same)

    result = committed(world, groups["alix"], readd(groups["alix"]))
    assert result.is_empty  # fork recovery changes no inbox
    rejected(CommitReason.UNEXPECTED_INSTALLATIONS_REMOVED, world, groups["caro"], readd(groups["caro"]))


# Welcome checks (facts §4.4 "Other checks") ------------------------------------------------------------

def test_welcome_membership_matches_the_identity_log(world):
    from spec_model.xmtp.commit_validation import WelcomeReason, validate_welcome_membership

    (alix, bo, caro), groups = three(world)
    group = groups["caro"]
    validate_welcome_membership(group.tree, membership_of(group), world.identity_at)
    world.add_installation(bo)  # the log now expects a third installation of bo, absent from the tree
    stale = GroupMembership(members={**membership_of(group).members, bo.inbox_id: world.latest(bo.inbox_id)})
    with pytest.raises(Rejected) as e:
        validate_welcome_membership(group.tree, stale, world.identity_at)
    assert e.value.reason == WelcomeReason.MISSING_INSTALLATION
    without_caro = GroupMembership(members={k: v for k, v in membership_of(group).members.items()
                                            if k != caro.inbox_id})
    with pytest.raises(Rejected) as e:
        validate_welcome_membership(group.tree, without_caro, world.identity_at)
    assert e.value.reason == WelcomeReason.INBOX_NOT_A_MEMBER


def test_dm_welcome_checks(world):
    from spec_model.xmtp.commit_validation import WelcomeReason, validate_dm_welcome
    from spec_model.xmtp.extensions import Inboxes, new_dm_metadata, new_dm_mutable_metadata, new_group_membership
    from spec_model.xmtp.groups import group_context_extensions

    def dm(mutable=None, policies=preset_policies(Preset.DM)):
        return group_context_extensions(new_dm_metadata("a" * 64, "b" * 64), mutable or new_dm_mutable_metadata(),
                                        new_group_membership("a" * 64), policies)

    validate_dm_welcome(dm(), own_inbox_id="b" * 64, adder_inbox_id="a" * 64)
    bad = [
        (dm(), "c" * 64, "a" * 64),  # we are not in it
        (dm(mutable=dataclasses.replace(new_dm_mutable_metadata(), admin_list=Inboxes(("a" * 64,)))), "b" * 64, "a" * 64),
        (dm(policies=preset_policies(Preset.ALL_MEMBERS)), "b" * 64, "a" * 64),
    ]
    for extensions, own, adder in bad:
        for profile in (SEED, LIBXMTP):
            with pytest.raises(Rejected) as e:
                validate_dm_welcome(extensions, own_inbox_id=own, adder_inbox_id=adder, profile=profile)
            assert e.value.reason == WelcomeReason.INVALID_DM

    # metadata policies are not compared: a DM of the other profile, or one without app_data's, is accepted
    without_app_data = dataclasses.replace(preset_policies(Preset.DM, LIBXMTP), update_metadata={
        k: p for k, p in preset_policies(Preset.DM, LIBXMTP).update_metadata.items() if k != "app_data"})
    for policies in (preset_policies(Preset.DM, LIBXMTP), without_app_data):
        for profile in (SEED, LIBXMTP):
            validate_dm_welcome(dm(policies=policies), own_inbox_id="b" * 64, adder_inbox_id="a" * 64, profile=profile)

    # libxmtp: a Welcome from oneself only needs us in the DM; one differing policy of five is not refused
    admins = dm(mutable=dataclasses.replace(new_dm_mutable_metadata(), admin_list=Inboxes(("a" * 64,))))
    add_allowed = dm(policies=dataclasses.replace(preset_policies(Preset.DM), add_member=Option.ALLOW))
    for extensions, own, adder in ((admins, "a" * 64, "a" * 64), (add_allowed, "b" * 64, "a" * 64)):
        validate_dm_welcome(extensions, own_inbox_id=own, adder_inbox_id=adder, profile=LIBXMTP)
        with pytest.raises(Rejected):
            validate_dm_welcome(extensions, own_inbox_id=own, adder_inbox_id=adder, profile=SEED)
    with pytest.raises(Rejected):  # from oneself, but not a member
        validate_dm_welcome(dm(), own_inbox_id="c" * 64, adder_inbox_id="c" * 64, profile=LIBXMTP)
