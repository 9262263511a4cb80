"""Disappearing messages (libxmtp ``expire_at_ns``) and XIP-76 message deletion in the model's client."""

from __future__ import annotations

import pytest

from spec_model.mls.reasons import Rejected
from spec_model.xmtp.content import EncodedContent, REACTION
from spec_model.xmtp.deletion import DELETED_MESSAGE, DeletionReason, decode_delete_message, encode_delete_message
from spec_model.xmtp.delivery import GroupMessageKind
from spec_model.xmtp.disappearing import expire_at_ns, is_enabled

from .clients import Net, joined, texts

S = 10**9


@pytest.fixture
def trio(tmp_path):
    net = Net(tmp_path)
    alice, bob, carol = net.user("alice"), net.user("bob"), net.user("carol")
    group = alice.c.conversations.create_group(inbox_ids=[bob.inbox_id, carol.inbox_id])
    return net, alice, joined(bob.c, group.group_id), joined(carol.c, group.group_id), group


def test_settings_enabled_only_when_both_positive():
    assert is_enabled(1, 1) and not is_enabled(0, 5) and not is_enabled(5, 0) and not is_enabled(-1, 5)


def test_messages_expire_in_ns_after_they_are_stored_and_are_then_hidden_and_deleted(trio):
    net, alice, bob, _, group = trio
    group.send("kept")
    group.update_disappearing_settings(1, 10 * S)
    sent_at = net.clock.now_ns()
    group.send("fleeting")
    bob.sync()
    own = next(m for m in group.find_messages(kind=GroupMessageKind.APPLICATION) if m.text == "fleeting")
    assert own.expire_at_ns == sent_at + 10 * S
    assert [m.expire_at_ns is not None for m in bob.find_messages(kind=GroupMessageKind.APPLICATION)] == [False, True]
    assert all(m.expire_at_ns is None for m in bob.find_messages(kind=GroupMessageKind.MEMBERSHIP_CHANGE))
    net.tick(10 * S)
    assert texts(group) == ["kept"] and texts(bob) == ["kept"]
    group.sync()  # the cleanup deletes what is hidden
    assert group.client.store.get_message(own.id) is None


def test_removed_settings_stop_stamping(trio):
    _, _, bob, _, group = trio
    group.update_disappearing_settings(1, 3600 * S)
    group.remove_disappearing_settings()
    assert group.group_metadata()["attributes"]["message_disappear_in_ns"] == "0"
    group.send("stays")
    bob.sync()
    assert [m.expire_at_ns for m in bob.find_messages(kind=GroupMessageKind.APPLICATION)] == [None]


def test_expire_at_ignores_unreadable_settings():
    assert expire_at_ns((), 5) is None


def test_delete_message_codec_round_trip():
    assert decode_delete_message(encode_delete_message(b"\x01\xab")) == b"\x01\xab"
    assert decode_delete_message(EncodedContent(content=b"\x0a\x02zz")) is None


def test_sender_deletes_own_message_everyone_sees_it_deleted(trio):
    _, alice, bob, carol, group = trio
    message = bob.send("oops")
    bob.delete_message(message)
    bob.sync()
    group.sync()
    for conversation in (group, bob):
        shown = [m for m in conversation.find_messages(kind=GroupMessageKind.APPLICATION)]
        assert [(m.content.type, m.deleted_by) for m in shown] == [(DELETED_MESSAGE, "sender")]


def test_super_admin_deletes_any_deletable_message(trio):
    _, alice, bob, _, group = trio
    message = bob.send("spam")
    group.sync()
    group.delete_message(message)
    group.sync()
    bob.sync()
    assert [m.deleted_by for m in bob.find_messages(kind=GroupMessageKind.APPLICATION)] == [alice.inbox_id]


@pytest.mark.parametrize("who", ["member", "admin"])
def test_neither_sender_nor_super_admin_is_refused_and_nothing_changes(trio, who):
    _, alice, bob, carol, group = trio
    if who == "admin":
        group.add_admin(carol.client.inbox_id)
        carol.sync()
    message = bob.send("mine")
    carol.sync()
    with pytest.raises(Rejected) as e:
        carol.delete_message(message)
    assert e.value.reason is DeletionReason.NOT_AUTHORIZED
    assert texts(carol) == ["mine"]


def test_transcripts_reactions_unknown_and_deleted_messages_are_refused(trio):
    _, _, bob, _, group = trio
    transcript = group.find_messages(kind=GroupMessageKind.MEMBERSHIP_CHANGE)[0].id
    with pytest.raises(Rejected) as e:
        group.delete_message(transcript)
    assert e.value.reason is DeletionReason.NON_DELETABLE_MESSAGE
    reaction = group.send(EncodedContent(type=REACTION, content=b"{}"))
    with pytest.raises(Rejected) as e:
        group.delete_message(reaction)
    assert e.value.reason is DeletionReason.NON_DELETABLE_MESSAGE
    with pytest.raises(Rejected) as e:
        group.delete_message(b"\x00" * 32)
    assert e.value.reason is DeletionReason.MESSAGE_NOT_FOUND
    message = group.send("twice")
    group.delete_message(message)
    with pytest.raises(Rejected) as e:
        group.delete_message(message)
    assert e.value.reason is DeletionReason.MESSAGE_ALREADY_DELETED


def test_a_forged_deletion_by_a_member_is_ignored_by_receivers(trio):
    _, _, bob, carol, group = trio
    message = bob.send("keep me")
    carol.sync()
    carol.send(encode_delete_message(message))  # carol bypasses her client's check
    bob.sync()
    group.sync()
    assert texts(bob) == ["keep me"] and texts(group) == ["keep me"]
