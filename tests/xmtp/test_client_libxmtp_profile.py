"""The model's client following the libxmtp profile: where libxmtp's client runtime differs from the seed's."""

from __future__ import annotations

from spec_model.xmtp.client import ClientConfig, ClientReason
from spec_model.xmtp.content import decode_group_updated
from spec_model.xmtp.delivery import DeliveryStatus
from spec_model.xmtp.profiles import LIBXMTP, SEED

from spec_model.xmtp.commit_validation import CommitReason
from tests.xmtp.clients import APP, TICK_NS, UPDATE, epoch, joined, Net, rejected, server_messages, texts, User


def test_libxmtp_profile_joiner_stores_an_added_you_transcript(net):
    """profile ``welcome_transcript`` (libxmtp welcomes/xmtp_welcome.rs); the seed profile stores none."""
    libxmtp = ClientConfig(profile=LIBXMTP)
    alice, bob, carol = net.user("alice", config=libxmtp), net.user("bob", config=libxmtp), net.user("carol")
    group = alice.c.conversations.create_group([bob.address, carol.address])
    bobs, carols = joined(bob.c, group.group_id), joined(carol.c, group.group_id)
    update, = bobs.find_messages(kind=UPDATE)
    summary = decode_group_updated(update.content)
    assert (update.sender_inbox_id, summary.initiated_by_inbox_id) == (alice.inbox_id, alice.inbox_id)
    assert [i.inbox_id for i in summary.added_inboxes] == [bob.inbox_id]
    assert carols.find_messages(kind=UPDATE) == []


def test_libxmtp_profile_rotates_a_joiners_key_before_its_first_message(net):
    """profile ``key_update_before_first_send`` (libxmtp intents/queue.rs): the joiner's first message comes
    after a commit of its own; its second does not; the creator never needs one."""
    libxmtp = ClientConfig(profile=LIBXMTP)
    alice, bob = net.user("alice", config=libxmtp), net.user("bob", config=libxmtp)
    group = alice.c.conversations.create_group([bob.address])
    bobs = joined(bob.c, group.group_id)
    before = epoch(bobs)
    bobs.send("first")
    assert epoch(bobs) == before + 1
    bobs.send("second")
    group.send("from the creator")
    group.sync()
    assert epoch(bobs) == epoch(group) == before + 1
    assert sorted(texts(group)) == ["first", "from the creator", "second"]


def test_libxmtp_profile_retries_each_publish_call_five_times(net):
    """profile ``api_call_retries`` (libxmtp crates/xmtp_api/src/mls.rs ``retry_async!``): 17 failures are absorbed
    by one send (3 intent attempts of 6 calls each), the 18th fails the message; the seed fails at the 3rd."""
    libxmtp = ClientConfig(profile=LIBXMTP)
    alice, bob = net.user("alice", config=libxmtp), net.user("bob", config=libxmtp)
    group = alice.c.conversations.create_group([bob.address])
    bobs = joined(bob.c, group.group_id)
    net.network.fail_publishes(17)
    group.send("absorbed")
    assert net.network.pending_publish_failures == 0
    net.tick()  # later than the node's stamp of the first (inserts a microsecond apart)
    net.network.fail_publishes(18)
    rejected(ClientReason.INTENT_FAILED, group.send, "lost")
    assert [(m.text, m.delivery_status) for m in group.find_messages(kind=APP)] == \
        [("absorbed", DeliveryStatus.PUBLISHED), ("lost", DeliveryStatus.FAILED)]
    bobs.sync()
    assert texts(bobs) == ["absorbed"]


def test_libxmtp_profile_removed_member_merges_its_removal_and_cannot_sync(net):
    """profiles ``removed_member_merges_removal`` and ``inactive_sync_refused`` (libxmtp mls_sync.rs
    ``process_external_message``, ``sync_with_conn``): the removed member's epoch and members move on;
    its next sync is refused, sync_all passes the group over. The seed profile keeps the state before."""
    for profile, moves_on in ((LIBXMTP, True), (SEED, False)):
        config = ClientConfig(profile=profile)
        alice, bob, carol = (net.user(f"{n}-{profile.name}", config=config) for n in ("alice", "bob", "carol"))
        group = alice.c.conversations.create_group([bob.address, carol.address])
        bobs, carols = joined(bob.c, group.group_id), joined(carol.c, group.group_id)
        before = epoch(bobs)
        group.remove_members([bob.address])
        group.send("after bob")
        bobs.sync()
        assert not bobs.is_active
        assert epoch(bobs) == before + (1 if moves_on else 0)
        members = {m.inbox_id for m in bobs.list_members()}
        assert (bob.inbox_id in members) is not moves_on
        assert texts(bobs) == []  # a removed member reads nothing sent after its removal
        if moves_on:
            rejected(ClientReason.INACTIVE, bobs.sync)
        else:
            bobs.sync()
        bob.c.conversations.sync_all()
        carols.sync()
        assert texts(carols) == ["after bob"]


def _pair(net: Net, profile, *names: str) -> list[User]:
    return [net.user(f"{name}-{profile.name}", config=ClientConfig(profile=profile)) for name in names]


def test_libxmtp_profile_membership_noops(net):
    """profile ``membership_noops`` (libxmtp groups/mod.rs ``add_members``: "Member already added";
    ``remove_members``): in the libxmtp profile removing a non-member or oneself commits nothing, and adding a
    current member returns without syncing (a pending message stays Unpublished); the seed refuses the first
    and syncs for the last."""
    for profile in (LIBXMTP, SEED):
        alice, bob, erin = _pair(net, profile, "alice", "bob", "erin")
        group = alice.c.conversations.create_group([bob.address])
        before = epoch(group)
        group.send_optimistic("pending")
        group.add_members_by_inbox_id([bob.inbox_id])
        status = group.find_messages(kind=APP)[-1].delivery_status
        if profile is LIBXMTP:
            assert status == DeliveryStatus.UNPUBLISHED
            group.remove_members_by_inbox_id([erin.inbox_id])
            group.remove_members_by_inbox_id([alice.inbox_id])
        else:
            assert status == DeliveryStatus.PUBLISHED
            rejected(ClientReason.NOT_A_MEMBER, group.remove_members_by_inbox_id, [erin.inbox_id])
        assert epoch(group) == before
        assert {m.inbox_id for m in group.list_members()} == {alice.inbox_id, bob.inbox_id}


def test_libxmtp_profile_refuses_dm_metadata_changes(net):
    """profile ``dm_metadata_frozen`` (libxmtp groups/mod.rs ``update_group_name`` ...: DmGroupMetadataForbidden)."""
    for profile in (LIBXMTP, SEED):
        alice, bob = _pair(net, profile, "alice", "bob")
        dm = alice.c.conversations.create_dm(bob.inbox_id)
        if profile is LIBXMTP:
            rejected(ClientReason.DM_METADATA_FORBIDDEN, dm.update_name, "ours")
            assert dm.name == ""
        else:
            dm.update_name("ours")
            assert dm.name == "ours"


def test_libxmtp_profile_finds_the_pairs_dm(net):
    """profile ``dm_found_by_members`` (libxmtp client.rs ``find_or_create_dm``): a second ``create_dm`` with the
    same peer, from either side once it has the first, returns that DM; the seed creates another. Both store
    the pair's ``dm_id``."""
    for profile in (LIBXMTP, SEED):
        alice, bob = _pair(net, profile, "alice", "bob")
        dm = alice.c.conversations.create_dm(bob.inbox_id)
        bobs = joined(bob.c, dm.group_id)
        again, back = alice.c.conversations.create_dm(bob.inbox_id), bob.c.conversations.create_dm(alice.inbox_id)
        same = profile is LIBXMTP
        assert (again.group_id == dm.group_id, back.group_id == dm.group_id) == (same, same)
        assert alice.c.store.get_group(dm.group_id).dm_id == bob.c.store.get_group(bobs.group_id).dm_id == \
            "dm:" + ":".join(sorted(i.lower() for i in (alice.inbox_id, bob.inbox_id)))


def test_libxmtp_profile_checks_installations_on_sync_and_send(net):
    """profile ``installations_checked`` (libxmtp mls_sync.rs ``maybe_update_installations``): a group's first
    sync adds a member's new installation; a later one within 30 min does not, a send 5 s later does. The seed
    adds none by itself."""
    for profile in (LIBXMTP, SEED):
        alice, bob = _pair(net, profile, "alice", "bob")
        group = alice.c.conversations.create_group([bob.address])
        bobs = joined(bob.c, group.group_id)
        net.add_installation(alice, config=ClientConfig(profile=profile))
        bobs.sync()
        second = {m.inbox_id: len(m.installation_ids) for m in bobs.list_members()}[alice.inbox_id]
        assert second == (2 if profile is LIBXMTP else 1)
        net.add_installation(alice, config=ClientConfig(profile=profile))
        before = epoch(bobs)
        net.tick()
        bobs.sync()
        assert epoch(bobs) == before
        net.tick(6 * TICK_NS)
        bobs.send("to every installation")
        assert epoch(bobs) == before + (1 if profile is LIBXMTP else 0)
        reached = [c for c in alice.clients[1:] if group.group_id in {g.group_id for g in c.conversations.sync()}]
        assert len(reached) == (2 if profile is LIBXMTP else 0)


def test_libxmtp_profile_sync_all_passes_over_groups_without_new_messages(net):
    """profile ``sync_all_needing_sync`` (libxmtp welcome_sync.rs ``filter_groups_needing_sync``): a group whose
    only news is a pending message of ours is not synced by sync_all; the seed's sync_all publishes it."""
    for profile in (LIBXMTP, SEED):
        alice, bob = _pair(net, profile, "alice", "bob")
        group = alice.c.conversations.create_group([bob.address])
        group.send_optimistic("pending")
        alice.c.conversations.sync_all()
        status = group.find_messages(kind=APP)[-1].delivery_status
        assert status == (DeliveryStatus.UNPUBLISHED if profile is LIBXMTP else DeliveryStatus.PUBLISHED)
        bobs = joined(bob.c, group.group_id)
        bobs.send("news")
        alice.c.conversations.sync_all()  # now there is a newer message: synced, ours published too
        assert group.find_messages(kind=APP)[0].delivery_status == DeliveryStatus.PUBLISHED


def test_libxmtp_profile_lists_the_latest_activity_first(net):
    """profile ``list_by_activity`` (libxmtp client.rs ``list_conversations``, view ``conversation_list``): a text
    makes a group the most recent, a transcript does not; the limit keeps the first. The seed lists oldest first."""
    for config, expected in ((ClientConfig(profile=LIBXMTP), ["g1", "g3"]), (ClientConfig(profile=SEED), ["g1", "g2"])):
        alice, bob = net.user(f"alice_{config.profile.name}", config=config), \
            net.user(f"bob_{config.profile.name}", config=config)
        groups = {}
        for name in ("g1", "g2", "g3"):
            groups[alice.c.conversations.create_group([bob.address]).group_id] = name
            net.tick()
        bob.c.conversations.sync()
        first = next(g for g, name in groups.items() if name == "g1")
        alice.c.conversations.get(first).send("activity")
        joined(bob.c, first).sync()
        assert [groups[c.group_id] for c in bob.c.conversations.list(limit=2)] == expected


def test_libxmtp_profile_publishes_a_refused_commit_then_fails_it(net):
    """profile ``own_commits_checked_before_publish`` off (libxmtp mls_sync.rs ``stage_and_validate_intent``): a
    change the rules refuse is published, refused by everyone when it comes back, and the call fails naming the
    rule; the seed profile sends nothing."""
    for config, published in ((ClientConfig(profile=LIBXMTP), 1), (ClientConfig(profile=SEED), 0)):
        alice, bob = net.user(f"alice_{config.profile.name}", config=config), \
            net.user(f"bob_{config.profile.name}", config=config)
        group = alice.c.conversations.create_group([bob.address])
        bobs = joined(bob.c, group.group_id)
        before = len(server_messages(net, group.group_id))
        error = rejected(ClientReason.INTENT_FAILED, bobs.add_admin, bob.inbox_id)
        assert error.cause is not None and error.cause.reason == CommitReason.INSUFFICIENT_PERMISSIONS
        assert len(server_messages(net, group.group_id)) == before + published
        group.sync()
        levels = [m.permission_level for m in bobs.list_members()]
        assert epoch(group) == epoch(bobs) and levels == [m.permission_level for m in group.list_members()]
        assert "admin" not in levels
