"""seed "Conversations protocol", "Group protocol", "Delivery status", "Spam protection": XMTP clients end to end.

Several users, some with two installations of one inbox, drive ``spec_model.xmtp.client`` over the model
network (``DeliveryService``) and its faults; every assertion is on what a client or the network shows.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from spec_model.mls.reasons import RefusalClass, Rejected
from spec_model.xmtp.client import Client, ClientConfig, ClientReason, Conversation
from spec_model.xmtp.consent import ConsentState, ConsentType, conversation_entity
from spec_model.xmtp.content import decode_group_updated
from spec_model.xmtp.delivery import DeliveryStatus
from spec_model.xmtp.network import NetworkError, NetworkReason
from spec_model.xmtp.permissions import Option, Permission, Policies, Preset, preset_policies, update_by_intent
from spec_model.xmtp.profiles import LIBXMTP, SEED
from spec_model.xmtp.store import StoreReason

from tests.xmtp.clients import (
    APP, TICK_NS, UPDATE, assert_converged, conversations_of, epoch, epoch_authenticator, everyone,
    identity_updates, joined, Net, rejected, server_messages, sync_all, texts,
)


# ------------------------------------------------------------------ registration and the local database

def test_registration_adds_installations_to_one_inbox(net):
    alix = net.user("alix", installations=2)
    first, second = alix.clients
    assert first.inbox_id == second.inbox_id and first.installation_id != second.installation_id
    assert first.address == second.address == alix.address
    assert identity_updates(net, alix.inbox_id) == 2  # CreateInbox, then AddAssociation of the second
    state = first.identities.state_at(alix.inbox_id)
    assert set(state.installations) == alix.installation_ids
    assert first.inbox_ids_of([alix.address]) == [alix.inbox_id]
    rejected(ClientReason.UNKNOWN_ADDRESS, first.inbox_ids_of, ["0x" + "00" * 20])


def test_reopening_the_database_loads_the_same_installation(net):
    alix = net.user("alix")
    inbox, installation = alix.inbox_id, alix.c.installation_id
    reopened = net.reopen(alix)
    assert (reopened.inbox_id, reopened.installation_id) == (inbox, installation)
    assert identity_updates(net, inbox) == 1  # not registered again


def test_a_wrong_database_key_is_refused_and_changes_nothing(net):
    alix = net.user("alix")
    alix.c.close()
    before = Path(alix.paths[0]).read_bytes()
    with pytest.raises(Rejected) as info:
        Client.create(alix.wallet, alix.paths[0], bytes(32), net.network, rng=net.rng)
    assert info.value.reason == StoreReason.WRONG_KEY
    assert Path(alix.paths[0]).read_bytes() == before
    assert identity_updates(net, alix.inbox_id) == 1
    assert Client.create(alix.wallet, alix.paths[0], alix.keys[0], net.network).installation_id == \
        alix.c.installation_id


def test_delete_local_database_removes_the_file(net):
    alix = net.user("alix")
    path = Path(alix.paths[0])
    assert path.exists()
    alix.c.delete_local_database()
    assert not path.exists()
    fresh = Client.create(alix.wallet, str(path), alix.keys[0], net.network, rng=net.rng)
    assert fresh.inbox_id == alix.inbox_id and fresh.installation_id != alix.c.installation_id
    assert identity_updates(net, alix.inbox_id) == 2  # a new installation of the same inbox


# ------------------------------------------------------------------ forming groups

def test_a_group_s_creation_and_its_welcome_read_every_inbox_s_identity_in_one_request(net, monkeypatch):
    """libxmtp crates/xmtp_mls/src/identity_updates.rs@b649d1a ``load_identity_updates``: the identity updates of
    every inbox a membership change or a Welcome names are fetched in one request, not one per inbox."""
    users = [net.user(name) for name in ("alix", "bo", "caro", "dan")]
    inboxes = {user.inbox_id for user in users}
    requests = []
    fetch = net.network.get_identity_updates
    monkeypatch.setattr(net.network, "get_identity_updates", lambda request: requests.append(request) or fetch(request))
    group = users[0].c.conversations.create_group(inbox_ids=[user.inbox_id for user in users[1:]])
    assert [{r.inbox_id for r in request.requests} for request in requests] == [inboxes]
    requests.clear()
    assert [c.group_id for c in users[1].c.conversations.sync()] == [group.group_id]
    assert [{r.inbox_id for r in request.requests} for request in requests] == [inboxes]


def test_create_group_welcomes_every_installation_of_every_member(net):
    alix, bo, caro = net.user("alix", 2), net.user("bo", 2), net.user("caro")
    group = alix.c.conversations.create_group([bo.address], inbox_ids=[caro.inbox_id], name="team",
                                              description="the team", image_url="https://x/y.png")
    # seed: "The new group will not show up on the list until the app syncs."
    for client in [alix.clients[1], *everyone(bo, caro)]:
        assert client.conversations.list() == []
        rejected(ClientReason.UNKNOWN_GROUP, client.conversations.get, group.group_id)
    others = [alix.clients[1], *everyone(bo, caro)]
    for client in others:
        assert [c.group_id for c in client.conversations.sync()] == [group.group_id]
        assert [c.group_id for c in client.conversations.list()] == [group.group_id]
    conversations = [group] + [client.conversations.get(group.group_id) for client in others]
    assert_converged(conversations)

    members = {m.inbox_id: m for m in group.list_members()}
    assert set(members) == {alix.inbox_id, bo.inbox_id, caro.inbox_id}
    for user in (alix, bo, caro):
        assert set(members[user.inbox_id].installation_ids) == user.installation_ids
        assert members[user.inbox_id].account_addresses == (user.address,)
    assert members[alix.inbox_id].permission_level == "super_admin"
    assert members[bo.inbox_id].permission_level == members[caro.inbox_id].permission_level == "member"
    for conversation in conversations:
        assert conversation.list_members() == group.list_members()
        metadata = conversation.group_metadata()
        assert metadata["conversation_type"] == "group"
        assert metadata["creator_inbox_id"] == alix.inbox_id
        assert metadata["super_admins"] == (alix.inbox_id,) and metadata["admins"] == ()
        assert (conversation.name, metadata["attributes"]["description"],
                metadata["attributes"]["group_image_url_square"]) == ("team", "the team", "https://x/y.png")
        assert conversation.is_active
        assert metadata["policies"] == preset_policies(Preset.ALL_MEMBERS)
    for conversation in conversations[1:]:
        assert conversation.added_by_inbox_id == alix.inbox_id
        assert conversation.created_at_ns >= group.created_at_ns

    # each installation has its own keys and reads every other installation's messages
    for index, sender in enumerate(conversations):
        sender.send(f"hello from {index}")
        net.tick()
    expected = [f"hello from {i}" for i in range(len(conversations))]
    for conversation in conversations:
        conversation.sync()
        assert texts(conversation) == expected


def test_one_person_group_reaches_all_of_that_persons_installations(net):
    alix = net.user("alix", 3)
    group = alix.c.conversations.create_group(name="notes to self")
    others = [joined(client, group.group_id) for client in alix.clients[1:]]
    assert [m.inbox_id for m in group.list_members()] == [alix.inbox_id]
    assert set(group.list_members()[0].installation_ids) == alix.installation_ids
    group.send("remember the milk")
    for conversation in others:
        conversation.sync()
        assert texts(conversation) == ["remember the milk"]
    assert_converged([group, *others])


def test_presets_and_a_custom_policy_set(net):
    alix, bo, caro = net.user("alix"), net.user("bo"), net.user("caro")
    admins_only = alix.c.conversations.create_group([bo.address], permissions=Preset.ADMINS_ONLY)
    bo_view = joined(bo.c, admins_only.group_id)
    assert bo_view.group_metadata()["policies"] == preset_policies(Preset.ADMINS_ONLY)
    refusal = rejected(ClientReason.INTENT_FAILED, bo_view.add_members, [caro.address])  # bo is no admin
    assert [r["reason"] for r in refusal.chain()] == [  # the rule that refused it, typed
        "client.intent_failed", "commit.insufficient_permissions", "permission.add_member_denied"]
    assert refusal.refusal_class is RefusalClass.PERMISSION
    assert caro.c.conversations.sync() == []

    custom = Policies(add_member=Option.SUPER_ADMIN_ONLY, remove_member=Option.DENY,
                      update_metadata={"group_name": Option.ALLOW},
                      add_admin=Option.SUPER_ADMIN_ONLY, remove_admin=Option.SUPER_ADMIN_ONLY,
                      update_permissions=Option.SUPER_ADMIN_ONLY)
    group = alix.c.conversations.create_group([bo.address], permissions=custom, name="custom")
    bo_view = joined(bo.c, group.group_id)
    assert bo_view.group_metadata()["policies"] == group.group_metadata()["policies"] == custom
    bo_view.update_name("bo's name")  # anyone may rename
    rejected(ClientReason.INTENT_FAILED, bo_view.update_description, "no")  # admins only (fallback)
    rejected(ClientReason.INTENT_FAILED, bo_view.add_members, [caro.address])  # super admins only
    rejected(ClientReason.INTENT_FAILED, group.remove_members, [bo.address])  # nobody removes, not even the creator
    group.sync()
    assert group.name == "bo's name"
    assert_converged([group, bo_view])


def test_dm(net):
    alix, bo, caro = net.user("alix"), net.user("bo", 2), net.user("caro")
    dm = alix.c.conversations.create_dm(bo.inbox_id)
    views = [joined(client, dm.group_id) for client in bo.clients]
    for view in [dm, *views]:
        assert view.group_metadata()["conversation_type"] == "dm"
        assert {m.inbox_id for m in view.list_members()} == {alix.inbox_id, bo.inbox_id}
    views[0].send("hi alix")
    dm.sync()
    views[1].sync()
    assert texts(dm) == texts(views[1]) == ["hi alix"]
    rejected(ClientReason.INTENT_FAILED, dm.add_members, [caro.address])  # a DM stays two people
    assert caro.c.conversations.sync() == []


def test_a_dm_opened_from_both_sides_shows_the_messages_of_both(net):
    alix, bo = net.user("alix"), net.user("bo")
    ours, theirs = alix.c.conversations.create_dm(bo.inbox_id), bo.c.conversations.create_dm(alix.inbox_id)
    ours.send("from alix")
    net.tick()
    theirs.send("from bo")
    for client in (alix.c, bo.c):
        client.conversations.sync_all()
    both = sorted([ours.group_id, theirs.group_id])
    for client in (alix.c, bo.c):
        for group_id in both:
            conversation = client.conversations.get(group_id)
            assert sorted(conversation.dm_twins()) == both
            assert texts(conversation) == ["from alix", "from bo"]
    group = alix.c.conversations.create_group([bo.address])
    assert group.dm_twins() == (group.group_id,)  # only DMs have twins


@pytest.mark.parametrize("profile, counted", [(SEED, 2), (LIBXMTP, 3)])
def test_member_installations_are_leaves_or_the_identitys(tmp_path, profile, counted):
    """An installation left out of a group (its key package damaged) counts in libxmtp's list_members."""
    net = Net(tmp_path, config=ClientConfig(profile=profile))
    alix, bo = net.user("alix"), net.user("bo", 3)
    net.network.corrupt_key_package(bo.clients[1].installation_id)
    group = alix.c.conversations.create_group([bo.address])
    assert [c.conversations.sync() != [] for c in bo.clients] == [True, False, True]
    assert {m.inbox_id: len(m.installation_ids) for m in group.list_members()} == {alix.inbox_id: 1,
                                                                                    bo.inbox_id: counted}


# ------------------------------------------------------------------ sending and delivery status

def test_send_optimistic_is_unpublished_until_sync(net):
    alix, bo = net.user("alix"), net.user("bo")
    group = alix.c.conversations.create_group([bo.address])
    bo_view = joined(bo.c, group.group_id)
    local_time = net.clock.now_ns()
    message_id = group.send_optimistic("draft")
    [stored] = group.find_messages(kind=APP)
    assert (stored.id, stored.delivery_status, stored.sent_at_ns) == (message_id, DeliveryStatus.UNPUBLISHED, local_time)
    assert group.find_messages(kind=APP, delivery_status=DeliveryStatus.PUBLISHED) == []
    bo_view.sync()
    assert texts(bo_view) == []  # nothing goes out without a sync
    net.tick(1_234_567)  # the server time differs from the local one
    group.sync()
    [stored] = group.find_messages(kind=APP)
    [envelope] = [e for e in server_messages(net, group.group_id) if not e.is_commit]
    assert stored.delivery_status == DeliveryStatus.PUBLISHED
    assert stored.sent_at_ns == envelope.created_ns != local_time
    bo_view.sync()
    [received] = bo_view.find_messages(kind=APP)
    assert (received.id, received.text, received.sender_inbox_id, received.sent_at_ns) == \
        (message_id, "draft", alix.inbox_id, envelope.created_ns)


def test_find_messages_filters(net):
    alix, bo = net.user("alix"), net.user("bo")
    group = alix.c.conversations.create_group([bo.address])
    bo_view = joined(bo.c, group.group_id)
    times = []
    for text in ("m1", "m2", "m3", "m4"):
        net.tick()
        group.send(text)
        times.append(group.find_messages(kind=APP)[-1].sent_at_ns)
    net.tick()
    group.send_optimistic("pending")
    bo_view.sync()
    for view, mine in ((group, True), (bo_view, False)):
        assert texts(view, sent_after_ns=times[0]) == ["m2", "m3", "m4"] + (["pending"] if mine else [])
        assert texts(view, sent_before_ns=times[3]) == ["m1", "m2", "m3"]
        assert texts(view, sent_after_ns=times[0], sent_before_ns=times[3]) == ["m2", "m3"]
        assert texts(view, limit=2) == ["m1", "m2"]
        assert texts(view, direction="descending", limit=2) == (["pending", "m4"] if mine else ["m4", "m3"])
        assert texts(view, delivery_status=DeliveryStatus.PUBLISHED) == ["m1", "m2", "m3", "m4"]
        assert [m.kind for m in view.find_messages(kind=UPDATE)] == [UPDATE] * (1 if mine else 0)
    assert texts(group, delivery_status=DeliveryStatus.UNPUBLISHED) == ["pending"]
    assert len(group.find_messages()) == 6  # the membership change, four sent, one pending


def test_failed_after_three_failed_publish_attempts(net):
    alix, bo = net.user("alix"), net.user("bo")
    group = alix.c.conversations.create_group([bo.address])
    bo_view = joined(bo.c, group.group_id)
    net.network.fail_publishes(2)
    group.send("third time lucky")
    net.tick()
    net.network.fail_publishes(3)
    rejected(ClientReason.INTENT_FAILED, group.send, "never")
    assert [(m.text, m.delivery_status) for m in group.find_messages(kind=APP)] == \
        [("third time lucky", DeliveryStatus.PUBLISHED), ("never", DeliveryStatus.FAILED)]
    assert texts(group, delivery_status=DeliveryStatus.FAILED) == ["never"]
    group.sync()  # a Failed message is never retried
    assert group.find_messages(kind=APP)[-1].delivery_status == DeliveryStatus.FAILED
    bo_view.sync()
    assert texts(bo_view) == ["third time lucky"]
    # the same under refused connections: every attempt fails
    net.tick()
    net.network.refuse_connections(net.clock.now_ns() + 60 * TICK_NS)
    rejected(ClientReason.INTENT_FAILED, group.send, "offline")
    assert group.find_messages(kind=APP)[-1].delivery_status == DeliveryStatus.FAILED


def test_nothing_is_lost_under_faults(net):
    alix, bo, caro = net.user("alix", 2), net.user("bo"), net.user("caro")
    group = alix.c.conversations.create_group([bo.address, caro.address])
    views = conversations_of(group.group_id, alix, bo, caro)
    alix0, alix1, bo_view, caro_view = views
    sent: list[tuple[Conversation, bytes]] = []

    def send(view: Conversation, text: str) -> None:
        net.tick()
        sent.append((view, view.send_optimistic(text)))
        try:
            view.sync()
        except NetworkError:
            pass

    # connections refused for a while
    net.network.refuse_connections(net.clock.now_ns() + 5 * TICK_NS)
    send(alix0, "refused 1")
    send(bo_view, "refused 2")
    with pytest.raises(NetworkError):
        caro_view.sync()
    net.tick(5 * TICK_NS)
    # messages delivered late: stored with their ids, visible only later
    net.network.deliver_late(net.clock.now_ns() + 3 * TICK_NS)
    send(alix1, "late 1")
    send(caro_view, "late 2")
    for view in views:
        view.sync()
        assert "late 1" not in texts(view) or view is alix1
    net.tick(3 * TICK_NS)
    net.network.deliver_late(None)
    # the network repeats envelopes in its answers
    net.network.duplicate_in_queries(6)
    send(bo_view, "duplicated")
    for view in views:
        view.sync()
    # the node stores a message and a commit but the replies are lost
    net.network.fail_publishes(1, NetworkReason.RESPONSE_LOST)
    send(caro_view, "reply lost")
    net.network.fail_publishes(1, NetworkReason.RESPONSE_LOST)
    group.update_name("renamed while replies get lost")
    net.network.fail_publishes(1, NetworkReason.UNAVAILABLE)
    send(alix0, "unavailable once")

    sync_all(alix, bo, caro)
    outcome = {}
    for view, message_id in sent:
        [message] = [m for m in view.find_messages(kind=APP) if m.id == message_id]
        outcome[message.text] = message.delivery_status
    assert set(outcome.values()) <= {DeliveryStatus.PUBLISHED, DeliveryStatus.FAILED}  # none left Unpublished
    expected = sorted(text for text, status in outcome.items() if status == DeliveryStatus.PUBLISHED)
    assert expected == sorted(["refused 1", "refused 2", "late 1", "late 2", "duplicated", "reply lost",
                               "unavailable once"])
    for view in views:
        assert sorted(texts(view, delivery_status=DeliveryStatus.PUBLISHED)) == expected
        assert len(view.find_messages(kind=APP)) == len(expected)  # no duplicates
        assert view.name == "renamed while replies get lost"
    assert_converged(views)


def test_a_commit_failed_by_lost_replies_still_lands_when_it_shows_up(net):
    alix, bo = net.user("alix"), net.user("bo")
    group = alix.c.conversations.create_group([bo.address])
    bo_view = joined(bo.c, group.group_id)
    # every send is stored but its reply lost, and the copies show up only later
    net.network.deliver_late(net.clock.now_ns() + 5 * TICK_NS)
    net.network.fail_publishes(3, NetworkReason.RESPONSE_LOST)
    rejected(ClientReason.INTENT_FAILED, group.update_name, "it landed")
    net.tick(5 * TICK_NS)
    net.network.deliver_late(None)
    group.sync()
    bo_view.sync()
    assert group.name == bo_view.name == "it landed"  # the author merges its own commit after all
    assert_converged([group, bo_view])


# ------------------------------------------------------------------ membership

def test_add_and_remove_members(net):
    alix, bo, caro, dave, erin = (net.user(n) for n in ("alix", "bo", "caro", "dave", "erin"))
    group = alix.c.conversations.create_group([bo.address])
    bo_view = joined(bo.c, group.group_id)
    group.add_members([caro.address])
    bo_view.sync()
    bo_view.add_members_by_inbox_id([dave.inbox_id])  # any member adds (All Members preset)
    caro_view, dave_view = joined(caro.c, group.group_id), joined(dave.c, group.group_id)
    assert caro_view.added_by_inbox_id == alix.inbox_id and dave_view.added_by_inbox_id == bo.inbox_id
    group.sync()
    assert {m.inbox_id for m in group.list_members()} == {alix.inbox_id, bo.inbox_id, caro.inbox_id, dave.inbox_id}

    rejected(ClientReason.NOT_A_MEMBER, group.remove_members_by_inbox_id, [erin.inbox_id])
    rejected(ClientReason.INTENT_FAILED, bo_view.remove_members, [caro.address])  # removing needs an admin
    group.remove_members([caro.address])
    group.remove_members_by_inbox_id([dave.inbox_id])
    assert {m.inbox_id for m in group.list_members()} == {alix.inbox_id, bo.inbox_id}
    for removed in (caro_view, dave_view):
        assert removed.is_active  # until it syncs
        removed.sync()
        assert not removed.is_active
        rejected(ClientReason.INACTIVE, removed.send, "let me back in")
    bo_view.sync()
    assert_converged([group, bo_view])
    updates = [decode_group_updated(m.content) for m in bo_view.find_messages(kind=UPDATE)]
    assert [([i.inbox_id for i in u.added_inboxes], [i.inbox_id for i in u.removed_inboxes],
             u.initiated_by_inbox_id) for u in updates][-4:] == [
        ([caro.inbox_id], [], alix.inbox_id), ([dave.inbox_id], [], bo.inbox_id),
        ([], [caro.inbox_id], alix.inbox_id), ([], [dave.inbox_id], alix.inbox_id)]


def test_a_removed_member_can_be_added_again(net):
    alix, bo = net.user("alix"), net.user("bo")
    group = alix.c.conversations.create_group()
    group.add_members([bo.address])
    net.network.fail_publishes(1, NetworkReason.RESPONSE_LOST)  # the key-package rotation after the Welcome
    with pytest.raises(NetworkError):
        bo.c.conversations.sync()
    bo_view = bo.c.conversations.get(group.group_id)
    group.remove_members([bo.address])
    bo_view.sync()
    assert not bo_view.is_active
    group.add_members([bo.address])  # uses the rotated key package, whose keys bo kept
    assert [c.group_id for c in bo.c.conversations.sync()] == [group.group_id]
    assert bo_view.is_active
    group.send("welcome back")
    bo_view.sync()
    assert texts(bo_view) == ["welcome back"]
    assert_converged([group, bo_view])


def test_a_commit_from_a_member_removed_meanwhile_is_dropped(net):
    alix, bo, caro, dave = (net.user(n) for n in ("alix", "bo", "caro", "dave"))
    group = alix.c.conversations.create_group([bo.address, caro.address])
    bo_view, caro_view = joined(bo.c, group.group_id), joined(caro.c, group.group_id)
    group.remove_members([caro.address])
    # caro, not yet synced, adds dave: built on the epoch before its removal, stored after it
    rejected(ClientReason.INTENT_FAILED, caro_view.add_members, [dave.address])
    assert not caro_view.is_active
    assert dave.c.conversations.sync() == []
    bo_view.sync()
    group.sync()
    assert {m.inbox_id for m in bo_view.list_members()} == {alix.inbox_id, bo.inbox_id}
    assert_converged([group, bo_view])


def test_new_installations_join_through_update_installations(net):
    alix, bo = net.user("alix"), net.user("bo")
    group = alix.c.conversations.create_group([bo.address])
    bo_view = joined(bo.c, group.group_id)
    new_client = net.add_installation(bo)
    assert new_client.conversations.sync() == []  # not yet in the group
    group.update_installations()
    new_view = joined(new_client, group.group_id)
    assert set(next(m for m in group.list_members() if m.inbox_id == bo.inbox_id).installation_ids) == \
        bo.installation_ids
    group.send("welcome, new phone")
    for view in (bo_view, new_view):
        view.sync()
        assert texts(view) == ["welcome, new phone"]
    assert_converged([group, bo_view, new_view])
    group.update_installations()  # nothing new: no commit
    assert epoch(group) == epoch(bo_view)


def test_group_size_limit(tmp_path):
    small = ClientConfig(profile=dataclasses.replace(SEED, max_group_size=3))
    net = Net(tmp_path, config=small)
    alix, bo, caro, dave = (net.user(n) for n in ("alix", "bo", "caro", "dave"))
    group = alix.c.conversations.create_group([bo.address, caro.address])
    assert len(group.list_members()) == 3
    rejected(ClientReason.INTENT_FAILED, group.add_members, [dave.address])
    assert len(group.list_members()) == 3 and dave.c.conversations.sync() == []
    rejected(ClientReason.INTENT_FAILED, alix.c.conversations.create_group,
             [bo.address, caro.address, dave.address])
    for client in everyone(bo, caro, dave):
        assert len(client.conversations.sync()) <= 1  # only the first group


def test_libxmtp_profile_group_size_is_checked_when_adding_by_address_only(tmp_path):
    """libxmtp groups/mod.rs ``add_members_by_identity``: listed members + addresses found > the limit is refused there;
    an add by inbox id, and a received commit, are not counted."""
    small = ClientConfig(profile=dataclasses.replace(LIBXMTP, max_group_size=3))
    net = Net(tmp_path, config=small)
    alix, bo, caro, dave = (net.user(n) for n in ("alix", "bo", "caro", "dave"))
    group = alix.c.conversations.create_group([bo.address, caro.address])
    rejected(ClientReason.GROUP_FULL, group.add_members, [dave.address])
    rejected(ClientReason.GROUP_FULL, group.add_members, [bo.address])  # an address is counted, member or not
    nobody = "0x" + "00" * 20
    rejected(ClientReason.GROUP_FULL, group.add_members, [dave.address, nobody])  # the size is checked first,
    rejected(ClientReason.UNKNOWN_ADDRESS, group.add_members, [nobody])  # with the addresses found only
    group.add_members_by_inbox_id([dave.inbox_id])
    assert len(group.list_members()) == 4 and len(dave.c.conversations.sync()) == 1
    before = len(alix.c.conversations.list())
    rejected(ClientReason.GROUP_FULL, alix.c.conversations.create_group, [bo.address, caro.address, dave.address,
                                                                          net.user("erin").address])
    assert len(alix.c.conversations.list()) == before + 1  # created first, as the bindings do, then refused
    rejected(ClientReason.UNKNOWN_ADDRESS, alix.c.conversations.create_group, ["0x" + "00" * 20])
    assert len(alix.c.conversations.list()) == before + 2  # so is a group with an address without an inbox


# ------------------------------------------------------------------ metadata, admins, permissions

def test_metadata_admins_and_permissions(net):
    alix, bo, caro, dave = net.user("alix"), net.user("bo", 2), net.user("caro"), net.user("dave")
    group = alix.c.conversations.create_group([bo.address, caro.address], name="start")
    views = conversations_of(group.group_id, bo, caro)
    bo_view, bo_other, caro_view = views
    everybody = [group, *views]

    def sync_views():
        for view in everybody:
            view.sync()

    def refused(call, *args):
        sync_views()
        before = [epoch_authenticator(v) for v in everybody]
        rejected(ClientReason.INTENT_FAILED, call, *args)
        sync_views()
        assert [epoch_authenticator(v) for v in everybody] == before  # nothing changed for anyone

    refused(bo_view.update_name, "bo was here")  # seed: only admins edit metadata
    group.update_name("named")
    group.update_description("described")
    group.update_image_url("https://img")
    group.update_pinned_frame_url("https://frame")
    sync_views()
    for view in everybody:
        attributes = view.group_metadata()["attributes"]
        assert (attributes["group_name"], attributes["description"], attributes["group_image_url_square"],
                attributes["group_pinned_frame_url"]) == ("named", "described", "https://img", "https://frame")

    refused(bo_view.add_admin, caro.inbox_id)  # managing admins needs a super admin
    group.add_admin(bo.inbox_id)
    bo_view.sync()
    bo_view.update_description("by an admin")
    refused(bo_view.add_admin, caro.inbox_id)
    refused(bo_view.add_super_admin, caro.inbox_id)
    group.sync()
    group.add_super_admin(bo.inbox_id)
    bo_view.sync()
    bo_view.add_admin(caro.inbox_id)
    sync_views()
    levels = {m.inbox_id: m.permission_level for m in caro_view.list_members()}
    assert levels == {alix.inbox_id: "super_admin", bo.inbox_id: "super_admin", caro.inbox_id: "admin"}
    metadata = bo_other.group_metadata()
    assert metadata["admins"] == (bo.inbox_id, caro.inbox_id) and set(metadata["super_admins"]) == \
        {alix.inbox_id, bo.inbox_id}
    group.remove_admin(caro.inbox_id)
    group.remove_admin(bo.inbox_id)
    group.remove_super_admin(bo.inbox_id)
    sync_views()
    assert {m.inbox_id: m.permission_level for m in bo_other.list_members()} == \
        {alix.inbox_id: "super_admin", bo.inbox_id: "member", caro.inbox_id: "member"}

    # permissions: only super admins update them; afterwards only admins add members
    policies = update_by_intent(group.group_metadata()["policies"], Permission.ADD_MEMBER,
                                Option.ADMIN_OR_SUPER_ADMIN)
    refused(caro_view.update_permissions, policies)
    group.update_permissions(policies)
    sync_views()
    assert all(v.group_metadata()["policies"] == policies for v in everybody)
    refused(caro_view.add_members, [dave.address])
    assert dave.c.conversations.sync() == []

    # every receiver keeps a transcript message per change
    for view in everybody:
        updates = [decode_group_updated(m.content) for m in view.find_messages(kind=UPDATE)]
        changes = [(c.field_name, c.new_value) for u in updates for c in u.metadata_field_changes]
        assert ("group_name", "named") in changes and ("description", "by an admin") in changes
        assert ("group_pinned_frame_url", "https://frame") in changes
        assert [i.inbox_id for u in updates for i in u.added_admin_inboxes] == [bo.inbox_id, caro.inbox_id]
        assert [i.inbox_id for u in updates for i in u.removed_admin_inboxes] == [caro.inbox_id, bo.inbox_id]
        assert [i.inbox_id for u in updates for i in u.added_super_admin_inboxes] == [bo.inbox_id]
        assert [i.inbox_id for u in updates for i in u.removed_super_admin_inboxes] == [bo.inbox_id]
    assert_converged(everybody)


# ------------------------------------------------------------------ consent

def test_consent(net):
    alix, bo, caro = net.user("alix", 2), net.user("bo"), net.user("caro")
    group = alix.c.conversations.create_group([bo.address, caro.address])
    entity = conversation_entity(group.group_id)
    alix_other, bo_view, caro_view = (joined(c, group.group_id) for c in (alix.clients[1], bo.c, caro.c))
    assert alix.c.consent_state(ConsentType.CONVERSATION_ID, entity) == ConsentState.ALLOWED  # created
    assert alix.clients[1].consent_state(ConsentType.CONVERSATION_ID, entity) == ConsentState.ALLOWED  # ours
    assert bo.c.consent_state(ConsentType.CONVERSATION_ID, entity) == ConsentState.UNKNOWN  # welcomed
    bo_view.send("hi")
    assert bo.c.consent_state(ConsentType.CONVERSATION_ID, entity) == ConsentState.ALLOWED  # sent

    assert not bo.c.is_inbox_id_allowed(alix.inbox_id) and not bo.c.is_inbox_id_denied(alix.inbox_id)
    assert bo_view.added_by_inbox_id == alix.inbox_id
    bo.c.set_consent(ConsentType.INBOX_ID, alix.inbox_id, ConsentState.ALLOWED)
    assert bo.c.is_inbox_id_allowed(alix.inbox_id) and not bo.c.is_inbox_id_denied(alix.inbox_id)
    caro.c.set_consent(ConsentType.INBOX_ID, caro_view.added_by_inbox_id, ConsentState.DENIED)
    assert caro.c.is_inbox_id_denied(alix.inbox_id) and not caro.c.is_inbox_id_allowed(alix.inbox_id)

    # seed: a group the app does not show still receives and stores messages
    caro.c.set_consent(ConsentType.CONVERSATION_ID, entity, ConsentState.DENIED)
    group.send("are you there?")
    caro_view.sync()
    assert texts(caro_view) == ["hi", "are you there?"]
    assert [c.group_id for c in caro.c.conversations.list(consent_states=[ConsentState.DENIED])] == \
        [group.group_id]
    assert caro.c.conversations.list(consent_states=[ConsentState.ALLOWED, ConsentState.UNKNOWN]) == []
    alix_other.sync()
    assert texts(alix_other) == ["hi", "are you there?"]


# ------------------------------------------------------------------ restart

def test_restart_from_the_database_mid_flow(net):
    alix, bo = net.user("alix"), net.user("bo", 2)
    group = alix.c.conversations.create_group([bo.address], name="persist")
    bo_view = joined(bo.c, group.group_id)
    group.send("one")
    bo_view.sync()
    # a commit published but not yet seen: its intent and pending commit live in the database
    net.network.deliver_late(net.clock.now_ns() + 5 * TICK_NS)
    rejected(ClientReason.SYNC_FAILED_TO_WAIT, group.update_name, "renamed offline")
    net.tick()
    queued = group.send_optimistic("queued")  # an intent not yet published

    alix_client = net.reopen(alix)
    bo_client = net.reopen(bo)
    assert [c.group_id for c in alix_client.conversations.list()] == [group.group_id]
    group = alix_client.conversations.get(group.group_id)
    bo_view = bo_client.conversations.get(group.group_id)
    assert [(m.text, m.delivery_status) for m in group.find_messages(kind=APP)] == \
        [("one", DeliveryStatus.PUBLISHED), ("queued", DeliveryStatus.UNPUBLISHED)]
    assert group.name == "persist" and texts(bo_view) == ["one"]
    bo_view.sync()  # its cursor was kept: nothing is received twice
    assert texts(bo_view) == ["one"]
    net.tick(5 * TICK_NS)
    net.network.deliver_late(None)
    group.sync()
    bo_view.sync()
    assert group.name == bo_view.name == "renamed offline"
    assert texts(bo_view) == ["one", "queued"]
    assert group.client.store.get_message(queued).delivery_status == DeliveryStatus.PUBLISHED
    bo_view.send("back")
    group.sync()
    assert texts(group) == ["one", "queued", "back"]
    late = joined(bo.clients[1], group.group_id)
    late.sync()
    assert texts(late) == ["one", "queued", "back"]
    assert_converged([group, bo_view, late])


def test_a_commit_failed_by_lost_replies_then_another_change_still_converges(net):
    """The author changes the group again before its first (failed, yet stored) commit shows up:
    the first commit merges when seen, the second is rebuilt on the new epoch, and everyone agrees."""
    alix, bo = net.user("alix"), net.user("bo")
    group = alix.c.conversations.create_group([bo.address])
    bo_view = joined(bo.c, group.group_id)
    net.network.deliver_late(net.clock.now_ns() + 5 * TICK_NS)
    net.network.fail_publishes(3, NetworkReason.RESPONSE_LOST)
    rejected(ClientReason.INTENT_FAILED, group.update_name, "first")
    net.network.deliver_late(None)
    net.tick()
    group.update_description("second")  # built before the first commit has shown up
    net.tick(5 * TICK_NS)
    for _ in range(2):
        group.sync()
        bo_view.sync()
    assert (group.name, bo_view.name) == ("first", "first")
    assert group.group_metadata()["attributes"]["description"] == "second"
    assert bo_view.group_metadata()["attributes"]["description"] == "second"
    assert_converged([group, bo_view])
