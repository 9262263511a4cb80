"""The group object (RFC 9420 §11–§12): every operation, across suites, and rejections that change nothing."""

from __future__ import annotations

import enum

import pytest

from spec_model.mls.codec import DecodeError
from spec_model.mls.commit import Commit
from spec_model.mls.extensions import EXTERNAL_SENDERS, ExtensionType, ExternalPub, ExternalSender, RequiredCapabilities
from spec_model.mls.group import (
    ApplicationMessage, CommitMessage, Group, GroupConfig, ProposalMessage, external_proposal, new_member_proposal,
)
from spec_model.mls.group_context import Extension
from spec_model.mls.leaf_node import Credential
from spec_model.mls.message import MLSMessage
from spec_model.mls.proposals import (
    Add, GroupContextExtensions, PreSharedKey, ProposalByValue, ReInit, Remove,
)
from spec_model.mls.psk import PreSharedKeyID, ResumptionPSKUsage
from spec_model.mls.ratchet_tree import RatchetTree
from spec_model.mls.reasons import Reason, Rejected
from spec_model.mls.suites import suite

from conformance import malformed
from .members import bundle, commit_and_deliver, deliver, founder, group_of, join, seeded_rng, state_of

CS = suite(3)


def authenticators(groups) -> set[bytes]:
    return {g.epoch_authenticator for g in groups if g.active}


@pytest.mark.parametrize("suite_id", range(1, 8))
def test_lifecycle_in_every_suite(suite_id: int) -> None:
    cs = suite(suite_id)
    groups = group_of(cs, 4, rng=seeded_rng(suite_id))
    assert len(authenticators(groups)) == 1
    assert len({g.export_secret(b"label", b"ctx", 32) for g in groups}) == 1

    message = groups[2].send_application(b"hello", b"aad")
    results = deliver(message, groups, groups[2])
    assert results == [ApplicationMessage(2, 1, b"hello", b"aad")] * 3

    update, _ = groups[1].update_proposal(private=True)
    assert all(isinstance(r, ProposalMessage) for r in deliver(update, groups, groups[1]))
    commit_and_deliver(groups[3], groups, (Remove(0),), private=True)  # covers the Update by reference
    assert not groups[0].active
    assert len(authenticators(groups[1:])) == 1 and groups[1].epoch == 2
    assert [i for i, _ in groups[1].members()] == [1, 2, 3]

    commit_and_deliver(groups[1], groups[1:])  # the updated member commits with its new leaf key
    assert len(authenticators(groups[1:])) == 1


def test_welcome_with_tree_out_of_band_and_missing_tree() -> None:
    first = founder(CS, config=GroupConfig(use_ratchet_tree_extension=False))
    b = bundle(CS, "m1")
    pending = first.commit((Add(b.key_package),))
    first.merge_pending_commit()
    with pytest.raises(Rejected) as e:
        join(pending.welcome, b)
    assert e.value.reason == Reason.MISSING_RATCHET_TREE
    second = join(pending.welcome, b, ratchet_tree=RatchetTree.decode(CS, first.tree.encode()))
    assert second.epoch_authenticator == first.epoch_authenticator


def test_welcome_for_someone_else_is_refused() -> None:
    first = founder(CS)
    pending = first.commit((Add(bundle(CS, "m1").key_package),))
    with pytest.raises(Rejected) as e:
        join(pending.welcome, bundle(CS, "stranger"))
    assert e.value.reason == Reason.NOT_FOR_US


def test_late_application_messages_within_max_past_epochs() -> None:
    groups = group_of(CS, 3, config=GroupConfig(max_past_epochs=1))
    late = groups[1].send_application(b"late")
    older = groups[1].send_application(b"older")
    commit_and_deliver(groups[0], groups)
    assert groups[2].process(late).data == b"late"
    commit_and_deliver(groups[0], groups)
    before = state_of(groups[2])
    with pytest.raises(Rejected) as e:
        groups[2].process(older)
    assert e.value.reason == Reason.WRONG_EPOCH
    assert state_of(groups[2]) == before


def test_external_commit_join_and_resync() -> None:
    groups = group_of(CS, 3)
    info = groups[0].group_info(external_pub=True)
    newcomer = bundle(CS, "newcomer")
    joined, commit = Group.join_external(info, newcomer.key_package.leaf_node, newcomer.signature_priv)
    results = deliver(commit, groups, None)
    assert all(isinstance(r, CommitMessage) and r.external and r.sender == joined.own_leaf for r in results)
    groups.append(joined)
    assert len(authenticators(groups)) == 1

    info = groups[0].group_info(external_pub=True)
    old = groups[2]
    resynced, commit = Group.join_external(info, old.tree.leaf(old.own_leaf), old.signature_priv,
                                           resync=old.own_leaf)
    groups = [g for g in groups if g is not old]
    assert [r.proposals[1].proposal for r in deliver(commit, groups, None)] == [Remove(old.own_leaf)] * 3
    groups.append(resynced)
    assert len(authenticators(groups)) == 1
    message = resynced.send_application(b"back")
    assert {r.data for r in deliver(message, groups, resynced)} == {b"back"}


def test_external_join_needs_external_pub() -> None:
    groups = group_of(CS, 2)
    newcomer = bundle(CS, "newcomer")
    with pytest.raises(Rejected) as e:
        Group.join_external(groups[0].group_info(external_pub=False), newcomer.key_package.leaf_node,
                            newcomer.signature_priv)
    assert e.value.reason == Reason.NO_EXTERNAL_PUB


def test_external_sender_and_new_member_proposals() -> None:
    server_priv, server_pub = CS.generate_signature_key_pair()
    senders = EXTERNAL_SENDERS.encode((ExternalSender(server_pub, Credential.basic(b"server")),))
    first = founder(CS, extensions=(Extension(ExtensionType.external_senders, senders),))
    bundles = [bundle(CS, f"m{i}") for i in (1, 2)]
    pending = first.commit(tuple(Add(b.key_package) for b in bundles))
    first.merge_pending_commit()
    groups = [first, *(join(pending.welcome, b) for b in bundles)]

    removal = external_proposal(CS, first.group_id, first.epoch, Remove(2), 0, server_priv)
    assert all(r.sender is None for r in deliver(removal, groups, None))
    newcomer = bundle(CS, "self-add")
    self_add = new_member_proposal(CS, first.group_id, first.epoch, newcomer.key_package, newcomer.signature_priv)
    deliver(self_add, groups, None)
    pending = commit_and_deliver(groups[0], groups)
    assert not groups[2].active
    groups = [groups[0], groups[1], join(pending.welcome, newcomer)]
    assert len(authenticators(groups)) == 1

    forged = external_proposal(CS, first.group_id, first.epoch, Remove(1), 0, newcomer.signature_priv)
    before = state_of(groups[1])
    with pytest.raises(Rejected) as e:
        groups[1].process(forged)
    assert e.value.reason == Reason.BAD_SIGNATURE and state_of(groups[1]) == before


def test_external_psk_proposal() -> None:
    psk_id = PreSharedKeyID.external(b"shared", b"\1" * CS.Nh)
    groups = group_of(CS, 3)
    for g in groups[:2]:
        g.psks = {b"shared": b"secret"}
    pending = groups[0].commit((PreSharedKey(psk_id),))
    groups[0].merge_pending_commit()
    assert groups[1].process(pending.message).epoch == 2
    before = state_of(groups[2])
    with pytest.raises(Rejected) as e:
        groups[2].process(pending.message)
    assert e.value.reason == Reason.PSK_NOT_FOUND and state_of(groups[2]) == before
    assert groups[0].epoch_authenticator == groups[1].epoch_authenticator


def test_resumption_psk_of_an_earlier_epoch() -> None:
    groups = group_of(CS, 2)
    psk_id = PreSharedKeyID.resumption(ResumptionPSKUsage.application, groups[0].group_id, 1, b"\2" * CS.Nh)
    commit_and_deliver(groups[0], groups)
    commit_and_deliver(groups[1], groups, (PreSharedKey(psk_id),))
    assert len(authenticators(groups)) == 1 and groups[0].epoch == 3


def test_reinit_to_another_suite() -> None:
    groups = group_of(CS, 3)
    reinit = ReInit(b"group-v2", 1, 1, ())
    commit_and_deliver(groups[1], groups, (reinit,))
    assert all(not g.active and g.reinit == reinit for g in groups)
    with pytest.raises(Rejected) as e:
        groups[0].send_application(b"too late")
    assert e.value.reason == Reason.INACTIVE

    new_cs = suite(1)
    fresh = [bundle(new_cs, f"m{i}") for i in range(3)]
    new_group, pending = groups[0].reinit_group(tuple(b.key_package for b in fresh[1:]),
                                                fresh[0].key_package.leaf_node, fresh[0].encryption_priv,
                                                fresh[0].signature_priv)
    assert new_group.epoch == 1 and new_group.cs is new_cs
    members = [new_group, join(pending.welcome, fresh[1], previous_group=groups[1])]
    with pytest.raises(Rejected) as e:
        join(pending.welcome, fresh[2])  # the old group is needed for the resumption PSK
    assert e.value.reason == Reason.PSK_NOT_FOUND
    members.append(join(pending.welcome, fresh[2], previous_group=groups[2]))
    assert len(authenticators(members)) == 1


def test_branch_keeps_members_of_the_old_group() -> None:
    groups = group_of(CS, 3)
    me, member = bundle(CS, "m0"), bundle(CS, "m1")  # the credentials of members 0 and 1
    sub, pending = groups[0].branch(b"subgroup", (member.key_package,), me.key_package.leaf_node,
                                    me.encryption_priv, me.signature_priv)
    assert sub.epoch == 1
    assert join(pending.welcome, member, previous_group=groups[1]).epoch_authenticator == sub.epoch_authenticator

    stranger = bundle(CS, "stranger")
    _, pending = groups[0].branch(b"subgroup2", (stranger.key_package,), me.key_package.leaf_node,
                                  me.encryption_priv, me.signature_priv)
    with pytest.raises(Rejected) as e:
        join(pending.welcome, stranger, previous_group=groups[1])
    assert e.value.reason == Reason.BAD_RESUMPTION


def test_group_context_extensions_need_every_members_support() -> None:
    groups = group_of(CS, 2)
    required = RequiredCapabilities((0xFF00,), (), ())
    proposal = GroupContextExtensions((Extension(ExtensionType.required_capabilities, required.encode()),))
    with pytest.raises(Rejected) as e:
        groups[0].commit((proposal,))
    assert e.value.reason == Reason.UNSUPPORTED_EXTENSION
    supported = GroupContextExtensions((Extension(ExtensionType.required_capabilities,
                                                  RequiredCapabilities((), (), (1,)).encode()),))
    commit_and_deliver(groups[0], groups, (supported,))
    assert groups[1].context.extensions == supported.extensions


@pytest.mark.parametrize("proposals, reason", [
    (lambda g: (Remove(0),), Reason.REMOVES_COMMITTER),
    (lambda g: (Remove(1), Remove(1)), Reason.DUPLICATE_UPDATE_OR_REMOVE),
    (lambda g: (Remove(7),), Reason.INVALID_PROPOSAL),
    (lambda g: (Add(g[1].tree.leaf(1) and _kp_like(g, 1)),), Reason.ADD_OF_MEMBER),
    (lambda g: (ReInit(b"x", 1, 3, ()), Remove(1)), Reason.REINIT_NOT_ALONE),
    (lambda g: (GroupContextExtensions(()), GroupContextExtensions(())), Reason.MULTIPLE_GROUP_CONTEXT_EXTENSIONS),
    (lambda g: (PreSharedKey(PreSharedKeyID.external(b"k", b"short")),), Reason.INVALID_PROPOSAL),
])
def test_invalid_proposal_lists_are_refused_by_the_committer(proposals, reason) -> None:
    groups = group_of(CS, 3)
    before = state_of(groups[0])
    with pytest.raises(Rejected) as e:
        groups[0].commit(proposals(groups))
    assert e.value.reason == reason
    assert state_of(groups[0]) == before


def _kp_like(groups, leaf: int):
    """A fresh key package signed with member ``leaf``'s signature key (the same client again)."""
    from spec_model.mls.key_package import generate_key_package
    return generate_key_package(CS, Credential.basic(b"again"), groups[leaf].signature_priv).key_package


def test_duplicate_adds_are_refused() -> None:
    groups = group_of(CS, 2)
    kp = bundle(CS, "twice").key_package
    with pytest.raises(Rejected) as e:
        groups[0].commit((Add(kp), Add(kp)))
    assert e.value.reason == Reason.DUPLICATE_ADD


@pytest.mark.parametrize("forge, reason", [
    (lambda m, s: malformed.with_confirmation_tag(m, s, b"\0" * 32), Reason.BAD_CONFIRMATION_TAG),
    (lambda m, s: malformed.with_bad_signature(m, s), Reason.BAD_SIGNATURE),
    (lambda m, s: malformed.with_bad_membership_tag(m), Reason.BAD_MEMBERSHIP_TAG),
    (lambda m, s: malformed.with_epoch(m, s, s.epoch + 1), Reason.WRONG_EPOCH),
    (lambda m, s: malformed.forged_commit(s, Commit((ProposalByValue(Remove(2)),), None)), Reason.PATH_REQUIRED),
])
def test_forged_commits_change_nothing(forge, reason) -> None:
    groups = group_of(CS, 3)
    pending = groups[0].commit((Remove(2),))
    bad = forge(pending.message, groups[0])
    before = state_of(groups[1])
    with pytest.raises(Rejected) as e:
        groups[1].process(bad)
    assert e.value.reason == reason
    assert state_of(groups[1]) == before
    groups[0].merge_pending_commit()
    assert isinstance(groups[1].process(pending.message), CommitMessage)  # the genuine one still works
    assert groups[1].epoch_authenticator == groups[0].epoch_authenticator


def test_commit_by_unknown_reference_is_refused() -> None:
    groups = group_of(CS, 3)
    groups[1].propose(Remove(2))  # never delivered
    pending = groups[1].commit()
    before = state_of(groups[0])
    with pytest.raises(Rejected) as e:
        groups[0].process(pending.message)
    assert e.value.reason == Reason.UNKNOWN_PROPOSAL_REF and state_of(groups[0]) == before


def test_corrupted_private_message_changes_nothing_then_decrypts() -> None:
    groups = group_of(CS, 2)
    message = groups[0].send_application(b"payload")
    before = state_of(groups[1])
    for offset in (-1, -20, -40):
        with pytest.raises((Rejected, DecodeError)):
            groups[1].process(MLSMessage.decode(malformed.flipped(message, offset)))
        assert state_of(groups[1]) == before
    assert groups[1].process(message).data == b"payload"


def test_own_handshake_messages_are_not_processed() -> None:
    groups = group_of(CS, 2)
    pending = groups[0].commit()
    with pytest.raises(Rejected) as e:
        groups[0].process(pending.message)
    assert e.value.reason == Reason.OWN_COMMIT


def test_group_info_external_pub_matches_the_epoch() -> None:
    groups = group_of(CS, 2)
    info = groups[1].group_info(external_pub=True)
    data = next(e.extension_data for e in info.extensions if e.extension_type == ExtensionType.external_pub)
    external_pub = CS.hpke_public_key(CS.derive_key_pair(groups[1].state.secrets.external_secret)[0])  # §8
    assert ExternalPub.decode(data).external_pub == external_pub
    info.verify_signature(CS, groups[1].tree.leaf(1).signature_key)


def test_commit_policy_sees_the_staged_commit_and_can_refuse_it() -> None:
    groups = group_of(CS, 3)
    pending = groups[0].commit((Remove(2),))
    seen = []

    class Refused(enum.StrEnum):
        NOT_ALLOWED = "not_allowed"  # the test's application rule

    def refuse(staged) -> None:
        seen.append(staged)
        raise Rejected(Refused.NOT_ALLOWED, "application rule")

    before = state_of(groups[1])
    with pytest.raises(Rejected) as e:
        groups[1].process(pending.message, commit_policy=refuse)
    assert e.value.reason == Refused.NOT_ALLOWED and state_of(groups[1]) == before
    staged = seen[0]
    assert (staged.committer, staged.external, staged.new_context.epoch) == (0, False, 2)
    assert [p.proposal for p in staged.proposals] == [Remove(2)]
    assert staged.new_tree.n_leaves == 2 and staged.old_tree.leaf(2) is not None
    assert staged == pending.staged
    groups[1].process(pending.message, commit_policy=seen.append)
    assert groups[1].epoch == 2
