"""The local database: a real SQLite file, sealed cells, key checks, transactions, crash recovery, queries."""

from __future__ import annotations

import dataclasses
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spec_model.mls.reasons import Rejected
from spec_model.xmtp.consent import ConsentRecord, ConsentState, ConsentType
from spec_model.xmtp.delivery import DeliveryStatus, GroupMessageKind, IntentKind, IntentState
from spec_model.xmtp.extensions import ConversationType
from spec_model.xmtp.store import (
    AssociationStateRow, CursorKind, GroupRow, IdentityRow, KeyPackageRow, MembershipState, MessageDeletionRow,
    MessageRow, RegistrationState, Store, StoreReason, SyncRequestRow,
)

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
REPO = Path(__file__).resolve().parents[2]


def message(n: int, *, group_id: bytes = b"group-1", sent_at_ns: int | None = None,
            status: DeliveryStatus = DeliveryStatus.PUBLISHED, kind: GroupMessageKind = GroupMessageKind.APPLICATION,
            type_id: str = "text", content: bytes | None = None) -> MessageRow:
    return MessageRow(
        id=b"msg-%d" % n, group_id=group_id, sent_at_ns=n * 10 if sent_at_ns is None else sent_at_ns, kind=kind,
        delivery_status=status, sender_inbox_id="sender-inbox", sender_installation_id=b"installation",
        authority_id="xmtp.org", type_id=type_id, idempotency_key=str(n),
        content=b"content %d" % n if content is None else content)


def group(group_id: bytes, created_at_ns: int, *, conversation_type: ConversationType = ConversationType.GROUP,
          membership_state: MembershipState = MembershipState.ALLOWED, mls_state: bytes = b"state") -> GroupRow:
    return GroupRow(group_id, created_at_ns, conversation_type, membership_state, "adder-inbox", mls_state)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "xmtp.db3"


@pytest.fixture
def store(db_path: Path):
    with Store.open(db_path, KEY) as s:
        yield s


def snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


# ------------------------------------------------------------------ opening, keys, files

def test_first_open_creates_the_schema(db_path: Path):
    Store.open(db_path, KEY).close()
    with sqlite3.connect(db_path) as raw:
        tables = {name for (name,) in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert raw.execute("PRAGMA user_version").fetchone() == (6,)
        assert raw.execute("SELECT name FROM meta").fetchall() == [("key_check",)]
    raw.close()
    assert {"meta", "identity", "key_packages", "groups", "messages", "intents", "cursors", "consent",
            "identity_cache", "sync_requests", "sync_messages_handled", "message_deletions"} <= tables
    Store.open(db_path, KEY).close()  # the second open finds the schema and the key


@pytest.mark.parametrize("key", [b"", bytes(31), bytes(33), "k" * 32, bytearray(32)])
def test_a_key_that_is_not_32_bytes_is_refused(db_path: Path, key):
    with pytest.raises(Rejected) as e:
        Store.open(db_path, key)
    assert e.value.reason is StoreReason.BAD_KEY
    assert not db_path.exists()


def test_a_wrong_key_is_refused_and_changes_nothing(store: Store, db_path: Path):
    store.put_message(message(1))
    store.close()
    before = snapshot(db_path.parent)
    with pytest.raises(Rejected) as e:
        Store.open(db_path, OTHER_KEY)
    assert e.value.reason is StoreReason.WRONG_KEY
    assert snapshot(db_path.parent) == before  # byte-identical, no side files
    with Store.open(db_path, KEY) as reopened:
        assert reopened.get_message(b"msg-1") == message(1)


def test_a_file_that_is_not_a_store_is_refused_untouched(tmp_path: Path):
    garbage = tmp_path / "garbage.db3"
    garbage.write_bytes(b"not a database at all" * 100)
    foreign = tmp_path / "foreign.db3"
    with sqlite3.connect(foreign) as raw:
        raw.execute("CREATE TABLE other (x)")
    raw.close()
    before = snapshot(tmp_path)
    for path in (garbage, foreign):
        with pytest.raises(Rejected) as e:
            Store.open(path, KEY)
        assert e.value.reason is StoreReason.NOT_A_STORE
    assert snapshot(tmp_path) == before


def test_a_store_of_another_schema_version_is_refused_untouched(db_path: Path):
    Store.open(db_path, KEY).close()
    with sqlite3.connect(db_path) as raw:
        raw.execute("PRAGMA user_version = 1")  # the version that kept client state in a kv table
    raw.close()
    before = snapshot(db_path.parent)
    with pytest.raises(Rejected) as e:
        Store.open(db_path, KEY)
    assert e.value.reason is StoreReason.NOT_A_STORE and "schema version 1" in e.value.detail
    assert snapshot(db_path.parent) == before


def test_delete_removes_the_file_and_its_side_files(db_path: Path):
    Store.open(db_path, KEY).close()
    for suffix in ("-journal", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").write_bytes(b"x")
    Store.delete(db_path)
    assert list(db_path.parent.iterdir()) == []
    Store.delete(db_path)  # nothing left to delete is fine


# ------------------------------------------------------------------ sealing

SECRETS = [b"SECRET-INSTALLATION-KEY", b"0xWALLETMARKER", b"PLAINTEXT-MESSAGE-BODY", b"MLS-GROUP-STATE-MARKER",
           b"INTENT-PAYLOAD-MARKER", b"STAGED-COMMIT-MARKER", b"POST-COMMIT-MARKER", b"KEY-PACKAGE-PRIVATE-MARKER",
           b"ASSOCIATION-STATE-MARKER", b"SYNC-REQUEST-MARKER", b"UNSENT-PAYLOAD-MARKER", b"REFUSAL-MARKER",
           b"X-WING-SEED-MARKER"]


def fill_every_sealed_column(store: Store) -> None:
    (key, wallet, body, mls_state, payload, staged, post, kp, association, request, unsent, refusal, seed) = SECRETS
    store.put_identity(IdentityRow("inbox-plain-marker", key, wallet.decode(), RegistrationState.REGISTERED))
    store.put_message(message(1, content=body))
    store.put_group(group(b"group-1", 1, mls_state=mls_state))
    intent = store.add_intent(b"group-1", IntentKind.KEY_UPDATE, payload)
    store.set_intent_published(intent.id, payload_hash=b"h", published_in_epoch=1, staged_commit=staged,
                               post_commit_data=post, unsent_payload=unsent)
    store.set_intent_data(intent.id, refusal=refusal.decode())
    store.put_key_package(KeyPackageRow(b"ref", b"init-key", kp, 1, wrapper_private_key=seed))
    store.put_association_state(AssociationStateRow("inbox", 1, association))
    store.put_sync_request(SyncRequestRow("PIN01", request))


def test_the_file_never_holds_a_secret_or_message_in_plaintext(store: Store, db_path: Path):
    fill_every_sealed_column(store)
    store.close()
    files = b"".join(snapshot(db_path.parent).values())
    assert b"inbox-plain-marker" in files  # a plaintext column is found, so the search works
    for secret in SECRETS:
        assert secret not in files, secret


def test_a_sealed_cell_moved_to_another_row_or_column_does_not_open(store: Store, db_path: Path):
    fill_every_sealed_column(store)
    store.put_message(message(2))
    with sqlite3.connect(db_path, isolation_level=None) as raw:
        raw.execute("UPDATE messages SET content = (SELECT content FROM messages WHERE id = ?) WHERE id = ?",
                    (b"msg-1", b"msg-2"))
        raw.execute("UPDATE intents SET staged_commit = payload")
        raw.execute("UPDATE sync_requests SET pin = 'PIN02'")
        raw.execute("UPDATE identity SET inbox_id = 'someone-else'")
    raw.close()
    for read in (lambda: store.get_message(b"msg-2"), lambda: store.get_intent(1),
                 store.get_sync_request, store.get_identity):
        with pytest.raises(Rejected) as e:
            read()
        assert e.value.reason is StoreReason.TAMPERED
    assert store.get_message(b"msg-1") == message(1, content=SECRETS[2])


# ------------------------------------------------------------------ transactions and crashes

def mark(store: Store, name: str, state: ConsentState = ConsentState.ALLOWED) -> None:
    store.put_consent(ConsentRecord(ConsentType.INBOX_ID, state, name, 1))


def marked(store: Store, name: str) -> ConsentState | None:
    record = store.get_consent(ConsentType.INBOX_ID, name)
    return None if record is None else record.state


def test_a_transaction_commits_everything_together(store: Store, db_path: Path):
    with store.transaction():
        store.put_message(message(1))
        store.advance_cursor(b"group-1", CursorKind.APPLICATION, 7)
        with sqlite3.connect(db_path) as outside:
            assert outside.execute("SELECT count(*) FROM messages").fetchone() == (0,)
        outside.close()
    with sqlite3.connect(db_path) as outside:
        assert outside.execute("SELECT count(*) FROM messages").fetchone() == (1,)
    outside.close()
    assert store.get_cursor(b"group-1", CursorKind.APPLICATION) == 7


def test_an_exception_rolls_back_the_whole_transaction(store: Store):
    mark(store, "before", ConsentState.ALLOWED)
    with pytest.raises(RuntimeError), store.transaction():
        store.put_message(message(1))
        store.add_intent(b"group-1", IntentKind.SEND_MESSAGE, b"p", b"msg-1")
        store.advance_cursor(b"group-1", CursorKind.COMMITS, 5)
        mark(store, "before", ConsentState.DENIED)
        raise RuntimeError("crash mid-step")
    assert store.get_message(b"msg-1") is None
    assert store.find_intents(b"group-1") == []
    assert store.get_cursor(b"group-1", CursorKind.COMMITS) == 0
    assert marked(store, "before") == ConsentState.ALLOWED
    assert store.add_intent(b"group-1", IntentKind.SEND_MESSAGE, b"p").id == 1  # the id was not used up


def test_a_nested_transaction_is_a_savepoint(store: Store):
    with store.transaction():
        mark(store, "outer")
        with pytest.raises(RuntimeError), store.transaction():
            mark(store, "inner")
            raise RuntimeError("roll back the inner block only")
        with store.transaction():
            mark(store, "inner-kept")
    assert [marked(store, n) for n in ("outer", "inner", "inner-kept")] == [ConsentState.ALLOWED, None,
                                                                           ConsentState.ALLOWED]

    with pytest.raises(RuntimeError), store.transaction():
        with store.transaction():
            mark(store, "released")
        raise RuntimeError("the outer rollback undoes the released savepoint")
    assert marked(store, "released") is None


CHILD = """
import sys, time
from spec_model.xmtp.store import CursorKind, GroupRow, Store

store = Store.open(sys.argv[1], bytes.fromhex(sys.argv[2]))
with store.transaction():
    for i in range(400):  # ~6 MB: more than the page cache, so pages spill into the file
        store.put_group(GroupRow(b"crash-%d" % i, i, 1, 1, "", bytes(16384)))
    store.advance_cursor(b"group-1", CursorKind.APPLICATION, 99)
    print("in transaction", flush=True)
    time.sleep(60)
"""


def test_a_process_killed_inside_a_transaction_leaves_none_of_its_writes(store: Store, db_path: Path):
    store.put_message(message(1))
    store.close()
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(db_path), KEY.hex()], cwd=REPO,
                             env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline() == "in transaction\n"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
    assert Path(f"{db_path}-journal").exists()  # a hot journal: the file holds uncommitted pages
    with Store.open(db_path, KEY) as reopened:
        assert reopened.get_group(b"crash-0") is None
        assert reopened.get_cursor(b"group-1", CursorKind.APPLICATION) == 0
        assert reopened.get_message(b"msg-1") == message(1)
    assert not Path(f"{db_path}-journal").exists()


def test_reopening_restores_everything(store: Store, db_path: Path):
    fill_every_sealed_column(store)
    store.put_consent(ConsentRecord(ConsentType.INBOX_ID, ConsentState.DENIED, "spammer", 5))
    store.advance_cursor(b"installation", CursorKind.WELCOMES, 42)

    def everything(s: Store) -> tuple:
        return (s.get_identity(), s.get_key_package(b"ref"), s.get_group(b"group-1"), s.find_messages(b"group-1"),
                s.find_intents(b"group-1"), s.get_consent(ConsentType.INBOX_ID, "spammer"),
                s.get_association_state("inbox"), s.get_sync_request(), s.get_cursor(b"installation", CursorKind.WELCOMES))

    before = everything(store)
    assert all(before)
    store.close()
    with Store.open(db_path, KEY) as reopened:
        assert everything(reopened) == before


# ------------------------------------------------------------------ messages

def test_find_messages_includes_unpublished_by_default_and_filters(store: Store):
    rows = [message(1, status=DeliveryStatus.UNPUBLISHED), message(2),
            message(3, status=DeliveryStatus.FAILED, kind=GroupMessageKind.MEMBERSHIP_CHANGE, type_id="group_updated"),
            message(4, group_id=b"group-2")]
    for row in rows:
        store.put_message(row)
    assert store.find_messages(b"group-1") == rows[:3]
    assert store.find_messages(b"group-1", direction="descending") == rows[2::-1]
    assert store.find_messages(b"group-1", delivery_status=DeliveryStatus.UNPUBLISHED) == rows[:1]
    assert store.find_messages(b"group-1", kind=GroupMessageKind.MEMBERSHIP_CHANGE) == rows[2:3]
    assert store.find_messages(b"group-1", content_type=("xmtp.org", "text")) == rows[:2]
    assert store.find_messages(b"group-1", sent_after_ns=10, sent_before_ns=30) == rows[1:2]  # exclusive
    assert store.find_messages(b"group-1", limit=2, direction="descending") == [rows[2], rows[1]]


def test_publishing_a_message_updates_status_and_server_time(store: Store):
    store.put_message(message(1, status=DeliveryStatus.UNPUBLISHED, sent_at_ns=100))
    store.set_delivery_status(b"msg-1", DeliveryStatus.PUBLISHED, sent_at_ns=250)
    assert store.get_message(b"msg-1") == message(1, sent_at_ns=250)
    with pytest.raises(Rejected) as e:
        store.set_delivery_status(b"missing", DeliveryStatus.FAILED)
    assert e.value.reason is StoreReason.NOT_FOUND


@given(st.lists(st.tuples(st.integers(0, 4), st.sampled_from(DeliveryStatus), st.sampled_from(GroupMessageKind),
                          st.booleans()), max_size=12),
       st.none() | st.integers(-1, 5), st.none() | st.integers(-1, 5), st.none() | st.integers(0, 6),
       st.sampled_from(["ascending", "descending"]), st.none() | st.sampled_from(DeliveryStatus),
       st.none() | st.sampled_from(GroupMessageKind))
def test_find_messages_matches_a_list_model(specs, after, before, limit, direction, status, kind):
    rows = [message(n, group_id=b"group-1" if mine else b"group-2", sent_at_ns=t, status=s, kind=k)
            for n, (t, s, k, mine) in enumerate(specs)]
    expected = sorted((r for r in rows if r.group_id == b"group-1"
                       and (after is None or r.sent_at_ns > after) and (before is None or r.sent_at_ns < before)
                       and status in (None, r.delivery_status) and kind in (None, r.kind)),
                      key=lambda r: r.sent_at_ns)  # stable: ties stay in insertion order
    if direction == "descending":
        expected.reverse()
    with Store.open(":memory:", KEY) as store:
        for row in rows:
            store.put_message(row)
        assert store.find_messages(b"group-1", sent_after_ns=after, sent_before_ns=before, limit=limit,
                                   direction=direction, delivery_status=status, kind=kind) == expected[:limit]


# ------------------------------------------------------------------ groups and consent

def test_find_groups_filters_orders_and_joins_consent(store: Store):
    groups = [group(b"\x01", 30), group(b"\x02", 10), group(b"\x03", 20, conversation_type=ConversationType.DM),
              group(b"\x04", 40, membership_state=MembershipState.PENDING),
              group(b"\x05", 5, conversation_type=ConversationType.SYNC)]
    for g in groups:
        store.put_group(g)
    g1, g2, g3, g4, sync = groups
    store.put_consent(ConsentRecord(ConsentType.CONVERSATION_ID, ConsentState.ALLOWED, g1.id.hex()))
    store.put_consent(ConsentRecord(ConsentType.CONVERSATION_ID, ConsentState.DENIED, g2.id.hex()))
    store.put_consent(ConsentRecord(ConsentType.INBOX_ID, ConsentState.DENIED, g3.id.hex()))  # not a conversation
    assert store.find_groups() == [g2, g3, g1, g4]  # oldest first, no sync group
    assert store.find_groups(conversation_type=ConversationType.SYNC) == [sync]
    assert store.find_groups(conversation_type=ConversationType.DM) == [g3]
    assert store.find_groups(created_after_ns=10, created_before_ns=40) == [g3, g1]
    assert store.find_groups(limit=2) == [g2, g3]
    assert store.find_groups(membership_states=[MembershipState.PENDING]) == [g4]
    assert store.find_groups(consent_states=[ConsentState.ALLOWED]) == [g1]
    assert store.find_groups(consent_states=[ConsentState.DENIED]) == [g2]
    assert store.find_groups(consent_states=[ConsentState.UNKNOWN, ConsentState.ALLOWED]) == [g3, g1, g4]


def test_put_group_replaces_the_stored_group(store: Store):
    store.put_group(group(b"g", 1))
    updated = dataclasses.replace(group(b"g", 1, mls_state=b"epoch 2"), rotated_at_ns=9, paused_for_version="1.2")
    store.put_group(updated)
    assert store.get_group(b"g") == updated
    assert store.get_group(b"missing") is None


def test_consent_records(store: Store):
    assert store.get_consent(ConsentType.INBOX_ID, "bo") is None
    store.put_consent(ConsentRecord(ConsentType.INBOX_ID, ConsentState.ALLOWED, "bo", 1))
    store.put_consent(ConsentRecord(ConsentType.INBOX_ID, ConsentState.DENIED, "bo", 2))
    assert store.get_consent(ConsentType.INBOX_ID, "bo") == ConsentRecord(
        ConsentType.INBOX_ID, ConsentState.DENIED, "bo", 2)


# ------------------------------------------------------------------ intents, cursors, keys, identity, cache

def test_intent_lifecycle(store: Store):
    store.put_message(message(1, status=DeliveryStatus.UNPUBLISHED))
    send = store.add_intent(b"group-1", IntentKind.SEND_MESSAGE, b"envelope", b"msg-1")
    update = store.add_intent(b"group-1", IntentKind.KEY_UPDATE, b"update")
    assert (send.id, update.id, send.state) == (1, 2, IntentState.TO_PUBLISH)
    assert store.find_intents(b"group-1", states=[IntentState.TO_PUBLISH]) == [send, update]

    store.set_intent_published(update.id, payload_hash=b"sha", published_in_epoch=4, staged_commit=b"staged",
                               post_commit_data=b"welcomes")
    assert store.find_intent_by_payload_hash(b"sha") == dataclasses.replace(
        update, state=IntentState.PUBLISHED, payload_hash=b"sha", published_in_epoch=4, staged_commit=b"staged",
        post_commit_data=b"welcomes")
    assert store.find_intents(b"group-1", kinds=[IntentKind.KEY_UPDATE], states=[IntentState.PUBLISHED]) != []
    store.set_intent_state(update.id, IntentState.TO_PUBLISH)  # republish: the publish data is cleared
    assert store.get_intent(update.id) == update
    for state in (IntentState.COMMITTED, IntentState.PROCESSED):
        store.set_intent_state(update.id, state)
        assert store.get_intent(update.id).state is state

    assert [store.increment_intent_publish_attempts(send.id) for _ in range(3)] == [1, 2, 3]
    store.fail_intent(send.id)
    assert store.get_intent(send.id).state is IntentState.ERROR
    assert store.get_message(b"msg-1").delivery_status is DeliveryStatus.FAILED

    with pytest.raises(ValueError):
        store.set_intent_state(send.id, IntentState.PUBLISHED)
    with pytest.raises(Rejected) as e:
        store.set_intent_state(99, IntentState.ERROR)
    assert e.value.reason is StoreReason.NOT_FOUND


def test_cursors_only_move_forward_per_topic_and_kind(store: Store):
    assert store.get_cursor(b"group-1", CursorKind.COMMITS) == 0
    assert store.advance_cursor(b"group-1", CursorKind.COMMITS, 5)
    assert not store.advance_cursor(b"group-1", CursorKind.COMMITS, 3)
    assert store.advance_cursor(b"group-1", CursorKind.APPLICATION, 2)
    assert (store.get_cursor(b"group-1", CursorKind.COMMITS), store.get_cursor(b"group-1", CursorKind.APPLICATION),
            store.get_cursor(b"group-2", CursorKind.COMMITS)) == (5, 2, 0)


def test_replaced_key_packages_are_deleted_after_expiry(store: Store):
    for ref, created in ((b"old", 1), (b"older", 0), (b"current", 2)):
        store.put_key_package(KeyPackageRow(ref, b"init " + ref, b"private " + ref, created))
    assert store.replace_key_packages(b"current", at_ns=100) == 2
    assert store.replace_key_packages(b"current", at_ns=200) == 0  # already replaced keep their time
    assert store.delete_replaced_key_packages(replaced_before_ns=100) == 0
    assert store.delete_replaced_key_packages(replaced_before_ns=101) == 2
    assert store.get_key_package(b"old") is None
    assert store.get_key_package(b"current") == KeyPackageRow(b"current", b"init current", b"private current", 2)
    assert store.find_key_package_by_public_key(b"init current") == store.get_key_package(b"current")
    assert store.find_key_package_by_public_key(b"init old") is None


def test_a_key_package_is_found_by_either_welcome_key(store: Store):
    """libxmtp identity.rs@b649d1a: KEY_PACKAGE_REFERENCES names a key package by its init key and its 0xFF03 key."""
    store.put_key_package(KeyPackageRow(b"pq", b"init pq", b"private pq", 1, None, b"xwing pq", b"seed pq"))
    store.put_key_package(KeyPackageRow(b"plain", b"init plain", b"private plain", 2))
    assert store.find_key_package_by_public_key(b"init pq") == store.find_key_package_by_public_key(b"xwing pq") \
        == KeyPackageRow(b"pq", b"init pq", b"private pq", 1, None, b"xwing pq", b"seed pq")
    assert store.find_key_package_by_public_key(b"init plain").wrapper_public_key is None


def test_a_database_keeps_one_inbox(store: Store):
    identity = IdentityRow("inbox-a", b"private", "0xabc", RegistrationState.UNREGISTERED)
    store.put_identity(identity)
    registered = dataclasses.replace(identity, registration_state=RegistrationState.REGISTERED)
    store.put_identity(registered)
    assert store.get_identity() == registered
    with pytest.raises(Rejected) as e:
        store.put_identity(dataclasses.replace(identity, inbox_id="inbox-b"))
    assert e.value.reason is StoreReason.INBOX_MISMATCH


def test_the_identity_cache_keeps_the_latest_sequence(store: Store):
    assert store.put_association_state(AssociationStateRow("inbox", 2, b"two"))
    assert not store.put_association_state(AssociationStateRow("inbox", 1, b"one"))
    assert store.put_association_state(AssociationStateRow("inbox", 3, b"three"))
    assert store.get_association_state("inbox") == AssociationStateRow("inbox", 3, b"three")


def test_one_history_sync_request_awaits_a_reply(store: Store):
    assert store.get_sync_request() is None
    store.put_sync_request(SyncRequestRow("PIN01", b"first"))
    store.put_sync_request(SyncRequestRow("PIN02", b"second"))
    assert store.get_sync_request() == SyncRequestRow("PIN02", b"second")
    store.delete_sync_request("PIN01")
    assert store.get_sync_request() == SyncRequestRow("PIN02", b"second")
    store.delete_sync_request("PIN02")
    assert store.get_sync_request() is None


def test_a_sync_message_is_handled_once(store: Store):
    assert not store.is_sync_message_handled(b"m")
    assert store.mark_sync_message_handled(b"m")
    assert not store.mark_sync_message_handled(b"m")
    assert store.is_sync_message_handled(b"m") and not store.is_sync_message_handled(b"n")


def test_intent_working_columns(store: Store):
    intent = store.add_intent(b"g", IntentKind.KEY_UPDATE, b"{}")
    store.set_intent_published(intent.id, payload_hash=b"h", published_in_epoch=3, staged_commit=b"s",
                               unsent_payload=b"u")
    store.set_intent_data(intent.id, unsent_payload=None, refusal="commit.x: y")
    row = store.get_intent(intent.id)
    assert (row.staged_commit, row.unsent_payload, row.refusal) == (b"s", None, "commit.x: y")
    store.set_intent_state(intent.id, IntentState.TO_PUBLISH)  # back to ToPublish drops the publish data
    row = store.get_intent(intent.id)
    assert (row.payload_hash, row.staged_commit, row.refusal) == (None, None, "commit.x: y")
    with pytest.raises(ValueError):
        store.set_intent_data(intent.id, payload=b"not a working column")


def test_group_rotation_time_and_membership_state(store: Store):
    store.put_group(group(b"group-1", 1))
    store.set_group_rotated_at(b"group-1", 77)
    store.set_membership_state(b"group-1", MembershipState.REJECTED)
    row = store.get_group(b"group-1")
    assert (row.rotated_at_ns, row.membership_state) == (77, MembershipState.REJECTED)
    with pytest.raises(Rejected) as e:
        store.set_group_rotated_at(b"absent", 1)
    assert e.value.reason is StoreReason.NOT_FOUND


def test_message_deletions_are_found_by_message_or_by_group_oldest_first(store: Store):
    rows = [MessageDeletionRow(b"d1", b"group-1", b"msg-1", "a", 0, 30),
            MessageDeletionRow(b"d2", b"group-2", b"msg-1", "b", 1, 10),
            MessageDeletionRow(b"d3", b"group-1", b"msg-2", "a", 0, 20),
            MessageDeletionRow(b"d4", b"group-3", b"msg-3", "c", 0, 5)]
    for row in rows:
        store.put_message_deletion(row)
    store.put_message_deletion(dataclasses.replace(rows[0], deleted_at_ns=99))  # recorded once: the first is kept
    assert store.find_message_deletions(b"msg-1") == [rows[1], rows[0]]
    assert store.find_message_deletions(group_id=(b"group-1", b"group-2")) == [rows[1], rows[2], rows[0]]
    assert store.find_message_deletions(group_id=(b"group-4",)) == []


def test_a_group_state_is_replaced_alone_and_sealed_to_its_row(store: Store, db_path: Path):
    store.put_group(dataclasses.replace(group(b"group-1", 1), rotated_at_ns=77))
    store.set_group_state(b"group-1", b"epoch 2")
    assert store.get_group(b"group-1") == dataclasses.replace(group(b"group-1", 1, mls_state=b"epoch 2"),
                                                              rotated_at_ns=77)
    assert b"epoch 2" not in db_path.read_bytes()
    with pytest.raises(Rejected) as e:
        store.set_group_state(b"absent", b"state")
    assert e.value.reason is StoreReason.NOT_FOUND


# ------------------------------------------------------------------ round trips through the file

ids = st.binary(min_size=1, max_size=32)
ns = st.integers(-(2**63), 2**63 - 1)
texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=16)
blobs = st.binary(max_size=300)

rows = st.one_of(
    st.builds(MessageRow, ids, ids, ns, st.sampled_from(GroupMessageKind), st.sampled_from(DeliveryStatus), texts,
              blobs, texts, texts, texts, blobs),
    st.builds(GroupRow, ids, ns, st.sampled_from(ConversationType), st.sampled_from(MembershipState), texts, blobs,
              st.none() | texts, st.none() | texts, ns),
    st.builds(KeyPackageRow, ids, ids, blobs, ns, st.none() | ns),
    st.builds(IdentityRow, texts, blobs, texts, st.sampled_from(RegistrationState)),
    st.builds(ConsentRecord, st.sampled_from(ConsentType), st.sampled_from(ConsentState), texts, ns),
    st.builds(AssociationStateRow, texts, ns, blobs),
)
PUT_GET = {
    MessageRow: (Store.put_message, lambda s, r: s.get_message(r.id)),
    GroupRow: (Store.put_group, lambda s, r: s.get_group(r.id)),
    KeyPackageRow: (Store.put_key_package, lambda s, r: s.get_key_package(r.ref)),
    IdentityRow: (Store.put_identity, lambda s, r: s.get_identity()),
    ConsentRecord: (Store.put_consent, lambda s, r: s.get_consent(r.entity_type, r.entity)),
    AssociationStateRow: (Store.put_association_state, lambda s, r: s.get_association_state(r.inbox_id)),
}


@given(rows)
def test_rows_round_trip_through_the_file(row):
    put, get = PUT_GET[type(row)]
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "xmtp.db3"
        with Store.open(path, KEY) as store:
            put(store, row)
        with Store.open(path, KEY) as store:
            assert get(store, row) == row


@given(ids, st.sampled_from(IntentKind), blobs, st.none() | ids, blobs, ns, st.none() | blobs, st.none() | blobs)
def test_intents_round_trip(group_id, kind, payload, message_id, payload_hash, epoch, staged, post):
    with Store.open(":memory:", KEY) as store:
        intent = store.add_intent(group_id, kind, payload, message_id)
        assert store.get_intent(intent.id) == intent
        store.set_intent_published(intent.id, payload_hash=payload_hash, published_in_epoch=epoch,
                                   staged_commit=staged, post_commit_data=post)
        assert store.find_intents(group_id) == [dataclasses.replace(
            intent, state=IntentState.PUBLISHED, payload_hash=payload_hash, published_in_epoch=epoch,
            staged_commit=staged, post_commit_data=post)]


@given(texts, blobs)
def test_sync_request_round_trip(pin, request):
    with Store.open(":memory:", KEY) as store:
        store.put_sync_request(SyncRequestRow(pin, request))
        assert store.get_sync_request() == SyncRequestRow(pin, request)
