"""The model's client under concurrent commits, its security properties, and hostile members."""

from __future__ import annotations

import pytest

from spec_model.mls.message import MLSMessage
from spec_model.mls.reasons import Rejected
from spec_model.xmtp.client import ClientReason, Conversation
from spec_model.xmtp.content import TEXT
from spec_model.xmtp.delivery import DeliveryStatus
from spec_model.xmtp.network import NetworkReason

from tests.xmtp.clients import APP, TICK_NS, assert_converged, epoch, joined, Net, rejected, server_messages, texts


# ------------------------------------------------------------------ concurrent commits

def test_commit_race_both_changes_land(net):
    alix, bo, caro, dave = net.user("alix"), net.user("bo"), net.user("caro"), net.user("dave")
    group = alix.c.conversations.create_group([bo.address])
    bo_view = joined(bo.c, group.group_id)
    start = epoch(group)
    # both commits are built and published before either is seen
    net.network.deliver_late(net.clock.now_ns() + 10 * TICK_NS)
    rejected(ClientReason.SYNC_FAILED_TO_WAIT, group.add_members, [caro.address])
    rejected(ClientReason.SYNC_FAILED_TO_WAIT, bo_view.add_members, [dave.address])
    net.tick(10 * TICK_NS)
    net.network.deliver_late(None)
    group.sync()  # alix's commit came first and is merged
    bo_view.sync()  # bo's lost the race: rebuilt on the new epoch
    bo_view.sync()
    group.sync()
    views = [group, bo_view, joined(caro.c, group.group_id), joined(dave.c, group.group_id)]
    for view in views:
        view.sync()
        assert {m.inbox_id for m in view.list_members()} == {u.inbox_id for u in (alix, bo, caro, dave)}
    assert epoch(group) == start + 2
    assert_converged(views)


def test_commits_wait_for_the_one_in_flight(net):
    alix, bo = net.user("alix"), net.user("bo")
    group = alix.c.conversations.create_group([bo.address])
    bo_view = joined(bo.c, group.group_id)
    stored = len(server_messages(net, group.group_id))
    net.network.deliver_late(net.clock.now_ns() + 5 * TICK_NS)
    rejected(ClientReason.SYNC_FAILED_TO_WAIT, group.update_name, "first")  # published, not yet seen
    rejected(ClientReason.SYNC_FAILED_TO_WAIT, group.update_description, "second")  # queued behind it
    net.tick(5 * TICK_NS)
    net.network.deliver_late(None)
    assert len(server_messages(net, group.group_id)) == stored + 1
    for _ in range(2):
        group.sync()
        bo_view.sync()
    assert len(server_messages(net, group.group_id)) == stored + 2  # the second built on the first
    for view in (group, bo_view):
        attributes = view.group_metadata()["attributes"]
        assert (attributes["group_name"], attributes["description"]) == ("first", "second")
    assert_converged([group, bo_view])


def test_a_queue_of_no_op_admin_changes_lands_one_commit_per_sync_and_everyone_accepts_it(net):
    """docs/xmtp-facts.md §5: a sync publishes at most one commit, so the author of two queued changes publishes
    the second on a later sync than the one that merged the first: for a while the others are an epoch behind
    (not forked: they accept both commits, no-ops of XIP-47 lists included, and catch up on their next sync)."""
    alix, bo, caro = net.user("alix"), net.user("bo"), net.user("caro")
    group = caro.c.conversations.create_group([alix.address, bo.address])
    views = [joined(alix.c, group.group_id), joined(bo.c, group.group_id)]
    start = epoch(group)
    net.network.deliver_late(net.clock.now_ns() + 30 * TICK_NS)
    rejected(ClientReason.SYNC_FAILED_TO_WAIT, group.remove_admin, alix.inbox_id)  # not an admin: a no-op
    rejected(ClientReason.SYNC_FAILED_TO_WAIT, group.remove_super_admin, bo.inbox_id)  # queued behind it
    net.tick(3600 * TICK_NS)
    for _ in range(2):  # the author syncs last in each round
        for view in (*views, group):
            view.sync()
    assert epoch(group) == start + 2 and [epoch(v) for v in views] == [start + 1] * 2
    for view in views:
        view.sync()
        assert epoch(view) == start + 2
        assert view.list_members() == group.list_members()
    assert_converged([group, *views])


def test_a_welcome_sent_again_does_not_rewind_the_group(net):
    alix, bo, caro = net.user("alix"), net.user("bo"), net.user("caro")
    group = alix.c.conversations.create_group([bo.address])
    # the commit and three sends of its Welcome are stored, but every reply is lost
    net.network.fail_publishes(4, NetworkReason.RESPONSE_LOST)
    rejected(ClientReason.SYNC_FAILED_TO_WAIT, group.add_members, [caro.address])
    caro_view = joined(caro.c, group.group_id)
    group.update_name("later")  # its sync sends the Welcome once more
    caro_view.sync()
    assert caro.c.conversations.sync() == []  # already in the group, on a newer epoch: skipped
    assert caro_view.name == "later"
    group.send("still with us?")
    caro_view.sync()
    assert texts(caro_view) == ["still with us?"]
    assert_converged([group, caro_view])


def test_a_member_behind_rebuilds_its_commit(net):
    alix, bo, caro = net.user("alix"), net.user("bo"), net.user("caro")
    group = alix.c.conversations.create_group([bo.address])
    bo_view = joined(bo.c, group.group_id)
    group.add_admin(bo.inbox_id)
    bo_view.sync()
    group.update_name("by alix")
    bo_view.update_description("by bo")  # built on the old epoch first, then rebuilt
    bo_view.add_members([caro.address])
    group.sync()
    caro_view = joined(caro.c, group.group_id)
    for view in (group, bo_view, caro_view):
        attributes = view.group_metadata()["attributes"]
        assert (attributes["group_name"], attributes["description"]) == ("by alix", "by bo")
    assert_converged([group, bo_view, caro_view])


# ------------------------------------------------------------------ security properties

def _unreadable(view: Conversation, envelope) -> bool:
    try:
        view.client.load_group(view.group_id).process(MLSMessage.decode(envelope.data))
    except Rejected:
        return True
    return False


def test_new_members_cannot_read_the_past_and_removed_members_the_future(net):
    alix, bo, caro = net.user("alix"), net.user("bo"), net.user("caro")
    group = alix.c.conversations.create_group([bo.address])
    bo_view = joined(bo.c, group.group_id)
    group.send("before caro")
    [before] = [e for e in server_messages(net, group.group_id) if not e.is_commit]
    group.add_members([caro.address])
    caro_view = joined(caro.c, group.group_id)
    caro_view.sync()
    assert texts(caro_view) == [] and _unreadable(caro_view, before)

    group.remove_members([bo.address])
    bo_view.sync()
    assert not bo_view.is_active
    net.tick()
    group.send("after bo")
    after = [e for e in server_messages(net, group.group_id) if not e.is_commit][-1]
    bo_view.sync()
    assert texts(bo_view) == ["before caro"] and _unreadable(bo_view, after)
    caro_view.sync()
    assert texts(caro_view) == ["after bo"]


@pytest.mark.parametrize("commits", [1, 3, 4])
def test_messages_from_past_epochs(net, commits):
    alix, bo, caro = net.user("alix"), net.user("bo"), net.user("caro")
    group = alix.c.conversations.create_group([bo.address, caro.address])
    bo_view, caro_view = joined(bo.c, group.group_id), joined(caro.c, group.group_id)
    sent_in = epoch(bo_view)
    for i in range(commits):
        group.update_name(f"name {i}")
    caro_view.sync()  # caro is on the newest epoch
    bo_view.send("sent while behind")  # built on bo's old epoch, stored after the commits
    copies = [e for e in server_messages(net, group.group_id) if not e.is_commit]
    assert MLSMessage.decode(copies[0].data).body.epoch == sent_in
    assert _unreadable(caro_view, copies[0]) == (commits > 3)  # 3 past epochs keep their keys
    # facts §5: when its own message comes back 3 or more epochs old, the sender publishes it again
    assert len(copies) == 1 + (commits >= 3)
    assert MLSMessage.decode(copies[-1].data).body.epoch == sent_in + (commits if commits >= 3 else 0)
    for view in (caro_view, group):
        view.sync()
        assert texts(view) == ["sent while behind"]
    assert [m.delivery_status for m in bo_view.find_messages(kind=APP)] == [DeliveryStatus.PUBLISHED]


# ------------------------------------------------------------------ hostile members

def _publish_raw_application(net: Net, conversation: Conversation, plaintext: bytes) -> None:
    """A current member sends a valid MLS application message whose plaintext is ``plaintext`` as is."""
    from spec_model.xmtp import api
    group = conversation.client.load_group(conversation.group_id)
    message = group.send_application(plaintext, rng=conversation.client.rng)
    conversation.client.save_group(group)
    net.network.send_group_messages(api.SendGroupMessagesRequest((api.GroupMessageInput(
        api.GroupMessageInput.V1(message.encode(), b"", True)),)))


@pytest.mark.parametrize("plaintext, stored", [
    (b"\xff\xff\xff", False),  # not a PlaintextEnvelope: skipped (libxmtp DecodeProto)
    (b"", False),  # an empty envelope: skipped (libxmtp InvalidPayload)
    (bytes.fromhex("0a050a03ffffff"), True),  # V1 whose content is not EncodedContent: stored, never listed
    (bytes.fromhex("0a020a00"), True),  # V1 with empty content: an EncodedContent without a type
])


def test_an_unreadable_application_message_is_passed_over(net, plaintext, stored):
    alix, bo, mallory = net.user("alix"), net.user("bo"), net.user("mallory")
    group = alix.c.conversations.create_group([bo.address, mallory.address])
    bo_view, mallory_view = joined(bo.c, group.group_id), joined(mallory.c, group.group_id)
    group.send("before")
    _publish_raw_application(net, mallory_view, plaintext)
    group.send("after")
    bo_view.sync()
    assert _texts(bo_view) == ["before", "after"]
    assert len(bo.c.store.find_messages(group.group_id, kind=APP)) == 2 + stored
    bo_view.send("bo still sends")
    group.sync()
    assert _texts(group)[-1] == "bo still sends"
    reopened = net.reopen(bo).conversations.get(group.group_id)
    group.send("after the restart")
    reopened.sync()
    assert _texts(reopened)[-2:] == ["bo still sends", "after the restart"]


def _texts(conversation: Conversation) -> list[str]:
    return [m.text for m in conversation.find_messages(kind=APP) if m.content.type == TEXT]
