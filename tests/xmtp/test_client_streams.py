"""The model's client: list filters, streams, and what it sends for push notifications (sender HMAC, should_push)."""

from __future__ import annotations

from spec_model.xmtp.client import ClientConfig
from spec_model.xmtp.consent import ConsentState, ConsentType, conversation_entity
from spec_model.xmtp.profiles import LIBXMTP
from spec_model.xmtp.push import sender_hmac

from tests.xmtp.clients import APP, TICK_NS, UPDATE, joined, server_messages


def test_list_filters(net):
    alix, bo = net.user("alix"), net.user("bo")
    groups = []
    for name in ("one", "two", "three"):
        groups.append(alix.c.conversations.create_group([bo.address], name=name))
        net.tick()
    times = [g.created_at_ns for g in groups]
    assert times == sorted(times) and len(set(times)) == 3
    listed = alix.c.conversations.list
    assert [c.group_id for c in listed()] == [g.group_id for g in groups]
    assert [c.name for c in listed(created_after_ns=times[0])] == ["two", "three"]
    assert [c.name for c in listed(created_before_ns=times[2])] == ["one", "two"]
    assert [c.name for c in listed(created_after_ns=times[0], created_before_ns=times[2])] == ["two"]
    assert [c.name for c in listed(limit=2)] == ["one", "two"]

    bo.c.conversations.sync()
    bo_list = bo.c.conversations.list
    assert [c.name for c in bo_list(consent_states=[ConsentState.UNKNOWN])] == ["one", "two", "three"]
    bo.c.conversations.get(groups[1].group_id).send("yes")  # sending allows
    bo.c.set_consent(ConsentType.CONVERSATION_ID, conversation_entity(groups[2].group_id), ConsentState.DENIED)
    assert [c.name for c in bo_list(consent_states=[ConsentState.ALLOWED])] == ["two"]
    assert [c.name for c in bo_list(consent_states=[ConsentState.DENIED])] == ["three"]
    assert [c.name for c in bo_list(consent_states=[ConsentState.UNKNOWN, ConsentState.ALLOWED])] == ["one", "two"]
    assert [c.name for c in alix.c.conversations.list(consent_states=[ConsentState.ALLOWED])] == \
        ["one", "two", "three"]


def test_streams(net):
    alix, bo = net.user("alix"), net.user("bo", 2)
    welcomes = bo.c.conversations.stream()
    assert welcomes.poll() == []
    group = alix.c.conversations.create_group([bo.address])
    dm = alix.c.conversations.create_dm(bo.inbox_id)
    assert [c.group_id for c in welcomes.poll()] == [group.group_id, dm.group_id]
    assert welcomes.poll() == []
    welcomes.close()

    messages = bo.c.conversations.stream_all_messages()
    group.send("in the group")
    net.tick()
    dm.send("in the dm")
    streamed = messages.poll()
    assert [(m.group_id, m.text) for m in streamed if m.kind == APP] == \
        [(group.group_id, "in the group"), (dm.group_id, "in the dm")]
    assert messages.poll() == []
    group.update_name("renamed")
    assert [m.kind for m in messages.poll()] == [UPDATE]
    later = alix.c.conversations.create_group([bo.address], name="created after the stream opened")
    later.send("also streamed")
    assert [m.text for m in messages.poll() if m.kind == APP] == ["also streamed"]
    messages.close()


def test_a_dropped_stream_resumes_with_nothing_missed_or_twice(net):
    alix, bo = net.user("alix"), net.user("bo")
    group = alix.c.conversations.create_group([bo.address])
    bo.c.conversations.sync()
    messages, welcomes = bo.c.conversations.stream_all_messages(), bo.c.conversations.stream()
    group.send("one")
    assert [m.text for m in messages.poll()] == ["one"]
    net.network.drop_streams()
    group.send("two")
    group.send("three")
    later = alix.c.conversations.create_dm(bo.inbox_id)
    assert [c.group_id for c in welcomes.poll()] == [later.group_id]  # first: a messages poll would join it
    assert [m.text for m in messages.poll() if m.kind == APP] == ["two", "three"]
    assert messages.poll() == [] and welcomes.poll() == []
    net.network.refuse_connections(net.clock.now_ns() + 5 * TICK_NS)  # refused: the streams wait
    assert messages.poll() == []
    net.tick(10 * TICK_NS)
    group.send("four")
    assert [m.text for m in messages.poll() if m.kind == APP] == ["four"]


def test_libxmtp_profile_a_dropped_stream_ends(net):
    """profile ``streams_end_when_dropped`` (libxmtp subscriptions/watchdog.rs ``run_watchdog_stream``): what
    arrived before the drop is streamed, nothing after, however often it is polled."""
    libxmtp = ClientConfig(profile=LIBXMTP)
    alix, bo = net.user("alix", config=libxmtp), net.user("bo", config=libxmtp)
    group = alix.c.conversations.create_group([bo.address])
    bo.c.conversations.sync()
    messages, welcomes, own = bo.c.conversations.stream_all_messages(), bo.c.conversations.stream(), group.stream()
    group.send("one")
    net.network.drop_streams()
    assert [m.text for m in messages.poll() if m.kind == APP] == ["one"]
    assert [m.text for m in own.poll() if m.kind == APP] == ["one"]
    group.send("two")
    alix.c.conversations.create_group([bo.address])
    net.tick()
    assert messages.poll() == messages.poll() == welcomes.poll() == own.poll() == []


def test_a_group_stream_yields_own_messages_and_those_a_sync_got_first(net):
    alix, bo = net.user("alix"), net.user("bo")
    group = alix.c.conversations.create_group([bo.address])
    bo.c.conversations.sync()
    mine, theirs = group.stream(), joined(bo.c, group.group_id).stream()
    group.send("own")
    net.tick()
    joined(bo.c, group.group_id).sync()  # bo's sync stores it before his stream sees it
    assert [m.text for m in mine.poll()] == ["own"]
    assert [m.text for m in theirs.poll()] == ["own"]
    assert mine.poll() == [] and theirs.poll() == []
    mine.close()
    group.send("after closing")
    assert mine.poll() == []


def test_group_messages_carry_the_sender_hmac_and_should_push_as_libxmtp_sends_them(net):
    alix, bo = net.user("alix"), net.user("bo")
    group = alix.c.conversations.create_group([bo.address])
    bo.c.conversations.sync()
    net.tick()
    group.send("pushed")
    joined(bo.c, group.group_id).leave()
    sent = server_messages(net, group.group_id)
    commit, text, leave = sent[0], sent[-2], sent[-1]
    assert (commit.is_commit, commit.should_push) == (True, False)
    assert (text.is_commit, text.should_push, leave.should_push) == (False, True, False)
    (alix_key,) = alix.c.hmac_keys(group.group_id, (0,))
    (bo_key,) = bo.c.hmac_keys(group.group_id, (0,))
    assert text.sender_hmac == sender_hmac(alix_key, text.data) != sender_hmac(bo_key, text.data)
    assert leave.sender_hmac == sender_hmac(bo_key, leave.data)
    assert alix.c.hmac_keys(group.group_id) == alix.c.hmac_keys(group.group_id)  # the user's key is kept
