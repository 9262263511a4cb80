"""The client's group states and kept commits (``spec_model/xmtp/context.py``): SQLite holds them; an object is
handed out instead of a decode only while the database holds exactly its bytes."""

from __future__ import annotations

import pytest

from spec_model.mls.member_state import encode_pending_commit


def test_reads_share_one_decoded_state_until_the_stored_state_changes(net):
    alix, bo = net.user("alix"), net.user("bo")
    group = alix.c.conversations.create_group([bo.address])
    first = alix.c.read_group(group.group_id)
    assert alix.c.read_group(group.group_id) is first  # the same stored state: decoded once
    epoch = first.epoch  # a reader takes what it reads: the change below may be made on ``first`` itself
    group.update_name("renamed")
    changed = alix.c.read_group(group.group_id)
    assert changed.epoch == epoch + 1
    assert group.name == "renamed" and group.epoch == changed.epoch


def test_a_saved_group_is_handed_out_once_while_the_database_holds_it(net):
    """``load_group`` returns the group ``save_group`` stored or ``read_group`` decoded instead of decoding it only
    while SQLite holds exactly its bytes, and only once; a save rolled back or a change never saved leaves nothing."""
    alix, bo = net.user("alix"), net.user("bo")
    c = alix.c
    group_id = c.conversations.create_group([bo.address]).group_id
    group = c.load_group(group_id)
    c.save_group(group)
    assert c.load_group(group_id) is group  # the database holds what was saved: no decode
    again = c.load_group(group_id)
    assert again is not group and again.epoch == group.epoch  # handed out once; the next caller gets a decode
    again.send_application(b"saved, then rolled back", rng=c.rng)
    with pytest.raises(RuntimeError), c.store.transaction():
        c.save_group(again)
        c.store.set_group_rotated_at(group_id, 1)
        raise RuntimeError("rolled back")
    reloaded = c.load_group(group_id)  # the stored state is the one before the rolled-back save
    assert reloaded is not again
    reloaded.send_application(b"never saved", rng=c.rng)
    assert c.load_group(group_id) is not reloaded  # a change never saved is not served
    c.save_group(reloaded)
    assert c.read_group(group_id) is reloaded  # readers share the saved group ...
    assert c.load_group(group_id) is reloaded  # ... and keep no reference to it: the next writer takes it
    assert c.read_group(group_id) is not reloaded  # a reader after it never shares the writer's group
    read = c.read_group(group_id)
    assert c.load_group(group_id) is read  # a group decoded for reading, while the database holds its bytes
    changed = c.load_group(group_id)
    changed.send_application(b"a change of the stored state", rng=c.rng)
    c.save_group(changed)
    assert c.load_group(group_id) is changed and c.read_group(group_id) is not read  # the stored bytes decide


def test_a_kept_commit_is_handed_out_once_for_exactly_its_bytes(net):
    """``pending_commit`` returns the commit ``keep_pending_commit`` encoded instead of decoding the intent's bytes
    only for exactly those bytes and only once (its merge changes it)."""
    alix, bo = net.user("alix"), net.user("bo")
    c = alix.c
    group_id = c.conversations.create_group([bo.address]).group_id
    pending = c.load_group(group_id).commit(rng=c.rng)
    kept = c.keep_pending_commit(group_id, pending)
    other = c.load_group(group_id).commit(rng=c.rng)
    assert c.pending_commit(group_id, encode_pending_commit(other)) is not other  # other bytes: decoded
    assert c.pending_commit(group_id, kept) is pending  # exactly the bytes kept: no decode
    again = c.pending_commit(group_id, kept)
    assert again is not pending and encode_pending_commit(again) == kept  # handed out once; then decoded
