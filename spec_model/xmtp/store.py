"""The client's local database: one SQLite file, its secrets sealed under a 32-byte key.

Theory of operation
-------------------
seed (Local database and syncing): the first ``Client.create()`` creates a
local database, later calls load it, it is encrypted under a key the app keeps,
and ``deleteLocalDatabase()`` removes it. ``Store`` is that database, a real
SQLite file written through the standard library's ``sqlite3``.

Encryption. libxmtp encrypts whole pages with SQLCipher. There is no maintained
SQLCipher wheel on PyPI for this platform, so this model seals rows instead,
which also keeps the schema queryable with plain SQL. Columns that a query
filters, joins or sorts on (ids, timestamps, states, consent) are plaintext;
every secret and every message body is a *sealed cell*:
``nonce(12) ‖ AES-256-GCM(key, nonce, value, aad)``, with a fresh random nonce
on each write and ``aad = "xmtp-store/1" ‖ table ‖ column ‖ row key`` (each part
length-prefixed). A cell copied to another row, column or table fails to open
(``TAMPERED``). Unlike SQLCipher, the plaintext columns, row counts and sizes
are visible and unauthenticated.

Opening. The first open of a new or empty file creates the schema and a sealed
key-check row. Any later open only reads until that row has opened, so a wrong
key is refused (``WRONG_KEY``) without changing a byte. The file keeps a
rollback journal (not WAL): a read creates no side files, and a writer killed
mid-transaction leaves a hot journal that the next open rolls back. The journal
file, once written, is kept and truncated to nothing at each commit instead of
being created and deleted for every transaction (``PRAGMA journal_mode =
TRUNCATE``; SQLite docs: "PRAGMA journal_mode"): half the cost of a write.
Commits do not wait for the disk (``PRAGMA synchronous = OFF``): a killed process
still leaves each transaction whole or absent; only an operating-system crash or
power loss, which nothing here simulates, could lose or damage one.

Transactions and crash safety. ``with store.transaction():`` is one SQLite
transaction (``BEGIN IMMEDIATE``): everything inside commits together, and an
exception rolls all of it back. Each sync step (publish one intent; process one
envelope with its message, group state, intent state and cursor) is meant to
run inside one transaction, so a crash leaves all of the step or none of it and
a cursor never passes work that was not stored. A nested ``transaction()`` is a
SAVEPOINT: an exception inside it undoes only the inner block (and propagates);
libxmtp builds commits the same way, in a savepoint it then rolls back. Every
write method is atomic on its own.

Values crossing the API are bytes, ints (IntEnums), and str. Callers serialize
their own objects, such as MLS group state and association states.
"""

from __future__ import annotations

import contextlib
import enum
import functools
import os
import sqlite3
from pathlib import Path
from typing import Any, Iterable, Iterator, Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from spec_model.mls.reasons import RefusalClass, Rejected, reason_codes

from .consent import ConsentRecord, ConsentState, ConsentType
from .store_rows import (
    INACTIVE_STATES, AssociationStateRow, CursorKind, GroupRow, IdentityRow, IntentRow, KeyPackageRow, MembershipState,
    MessageDeletionRow, MessageRow, RegistrationState, SyncRequestRow, layout,
)
from .delivery import DeliveryStatus, GroupMessageKind, IntentKind, IntentState
from .extensions import ConversationType

__all__ = [
    "KEY_SIZE", "StoreReason", "RegistrationState", "MembershipState", "INACTIVE_STATES", "CursorKind", "IdentityRow",
    "KeyPackageRow", "GroupRow", "MessageRow", "MessageDeletionRow", "IntentRow", "AssociationStateRow", "SyncRequestRow",
    "Store",
]

KEY_SIZE = 32          # AES-256
_NONCE_SIZE = 12
_AAD_LABEL = b"xmtp-store/1"
_SCHEMA_VERSION = 6    # PRAGMA user_version (3: namespaced reason codes in intents.refusal; 4: installations_checked_ns; 5: expire_at_ns, message_deletions; 6: key_packages.wrapper_public_key, wrapper_private_key)
_KEY_CHECK = b"xmtp-store key check"


@reason_codes("store", not_found=RefusalClass.NOT_FOUND)
class StoreReason(enum.StrEnum):
    """model: why the local database refuses a key, a file or a write."""

    BAD_KEY = "store.bad_key"                # the database key is 32 bytes (AES-256)
    WRONG_KEY = "store.wrong_key"            # the key-check row opens under the given key
    NOT_A_STORE = "store.not_a_store"        # the file is empty or a store of this schema version
    TAMPERED = "store.tampered"              # every sealed cell opens under its table, column and row key
    INBOX_MISMATCH = "store.inbox_mismatch"  # a database belongs to one inbox; its identity keeps that inbox id
    NOT_FOUND = "store.not_found"            # an update names a stored row


_SCHEMA = (
    "CREATE TABLE meta (name TEXT PRIMARY KEY, value BLOB NOT NULL) STRICT",
    """CREATE TABLE identity (
        inbox_id TEXT PRIMARY KEY, installation_private_key BLOB NOT NULL,
        wallet_address BLOB NOT NULL, registration_state BLOB NOT NULL,
        singleton INTEGER NOT NULL UNIQUE DEFAULT 1 CHECK (singleton = 1)) STRICT""",
    """CREATE TABLE key_packages (
        ref BLOB PRIMARY KEY, init_key BLOB NOT NULL UNIQUE, private_keys BLOB NOT NULL, created_ns INTEGER NOT NULL,
        replaced_at_ns INTEGER, wrapper_public_key BLOB UNIQUE, wrapper_private_key BLOB NOT NULL) STRICT""",
    """CREATE TABLE groups (
        id BLOB PRIMARY KEY, created_at_ns INTEGER NOT NULL, conversation_type INTEGER NOT NULL,
        membership_state INTEGER NOT NULL, added_by_inbox_id TEXT NOT NULL, mls_state BLOB NOT NULL,
        dm_id TEXT, paused_for_version TEXT, rotated_at_ns INTEGER NOT NULL,
        installations_checked_ns INTEGER NOT NULL) STRICT""",
    "CREATE INDEX groups_by_created ON groups (created_at_ns)",
    """CREATE TABLE messages (
        id BLOB PRIMARY KEY, group_id BLOB NOT NULL, sent_at_ns INTEGER NOT NULL, kind INTEGER NOT NULL,
        delivery_status INTEGER NOT NULL, sender_inbox_id TEXT NOT NULL, sender_installation_id BLOB NOT NULL,
        authority_id TEXT NOT NULL, type_id TEXT NOT NULL, idempotency_key TEXT NOT NULL,
        content BLOB NOT NULL, expire_at_ns INTEGER) STRICT""",
    "CREATE INDEX messages_by_group ON messages (group_id, sent_at_ns)",
    """CREATE TABLE message_deletions (
        id BLOB PRIMARY KEY, group_id BLOB NOT NULL, deleted_message_id BLOB NOT NULL,
        deleted_by_inbox_id TEXT NOT NULL, is_super_admin_deletion INTEGER NOT NULL,
        deleted_at_ns INTEGER NOT NULL) STRICT""",
    "CREATE INDEX message_deletions_by_message ON message_deletions (deleted_message_id)",
    """CREATE TABLE intents (
        id INTEGER PRIMARY KEY AUTOINCREMENT, group_id BLOB NOT NULL, kind INTEGER NOT NULL,
        state INTEGER NOT NULL, payload BLOB NOT NULL, payload_hash BLOB UNIQUE,
        publish_attempts INTEGER NOT NULL, published_in_epoch INTEGER, staged_commit BLOB,
        post_commit_data BLOB, message_id BLOB, unsent_payload BLOB, refusal BLOB) STRICT""",
    "CREATE INDEX intents_by_group ON intents (group_id, state)",
    """CREATE TABLE cursors (
        entity BLOB NOT NULL, kind INTEGER NOT NULL, value INTEGER NOT NULL,
        PRIMARY KEY (entity, kind)) STRICT""",
    """CREATE TABLE consent (
        entity_type INTEGER NOT NULL, state INTEGER NOT NULL, entity TEXT NOT NULL,
        consented_at_ns INTEGER NOT NULL, PRIMARY KEY (entity_type, entity)) STRICT""",
    """CREATE TABLE identity_cache (
        inbox_id TEXT PRIMARY KEY, sequence_id INTEGER NOT NULL, state BLOB NOT NULL) STRICT""",
    "CREATE TABLE sync_requests (pin TEXT PRIMARY KEY, request BLOB NOT NULL) STRICT",
    "CREATE TABLE sync_messages_handled (id BLOB PRIMARY KEY) STRICT",
    f"PRAGMA user_version = {_SCHEMA_VERSION}",
)


# ------------------------------------------------------------------ sealed cells

def _to_bytes(value: bytes | str | int) -> bytes:
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, int):
        return value.to_bytes(8, "big", signed=True)
    return value


def _from_bytes(kind: type, data: bytes) -> bytes | str | int:
    if kind is str:
        return data.decode()
    if issubclass(kind, int):
        return kind(int.from_bytes(data, "big", signed=True))
    return data


def _aad(table: str, column: str, key: tuple) -> bytes:
    return _aad_prefix(table, column) + b"".join(len(p).to_bytes(4, "big") + p for p in map(_to_bytes, key))


@functools.cache
def _aad_prefix(table: str, column: str) -> bytes:
    return _AAD_LABEL + b"".join(len(p).to_bytes(4, "big") + p for p in (table.encode(), column.encode()))


def _where(*conditions: tuple[str, Any]) -> tuple[str, list]:
    """``WHERE`` over the conditions whose value is not None; a tuple value fills an ``IN`` list."""
    clauses, params = [], []
    for clause, value in conditions:
        if value is None:
            continue
        if isinstance(value, tuple):
            clause = clause.replace("?", ", ".join(["?"] * len(value)))
            params.extend(value)
        else:
            params.append(value)
        clauses.append(clause)
    return ("WHERE " + " AND ".join(clauses) if clauses else ""), params


# ------------------------------------------------------------------ the store

class Store:
    """seed: Local database: the client's SQLite database; open it with ``Store.open``."""

    def __init__(self, conn: sqlite3.Connection, aead: AESGCM):
        self._conn = conn
        self._aead = aead
        self._depth = 0  # transaction nesting

    # ---- lifecycle

    @classmethod
    def open(cls, path: str | os.PathLike, key: bytes) -> Store:
        """seed: Local database: create the database on first use, load it later; refuse a wrong key."""
        if not isinstance(key, bytes) or len(key) != KEY_SIZE:
            raise Rejected(StoreReason.BAD_KEY, f"the database key is {KEY_SIZE} bytes")
        store = cls(sqlite3.connect(path, isolation_level=None), AESGCM(key))
        try:
            store._prepare()
        except BaseException:
            store.close()
            raise
        return store

    def _prepare(self) -> None:
        blank = self._is_blank()  # first: a file that is not a database is refused before any pragma
        self._conn.execute("PRAGMA synchronous = OFF")
        self._conn.execute("PRAGMA journal_mode = TRUNCATE")
        if blank:
            with self.transaction():
                if self._is_blank():  # a concurrent open may have created it meanwhile
                    for statement in _SCHEMA:
                        self._conn.execute(statement)
                    self._conn.execute("INSERT INTO meta VALUES ('key_check', ?)",
                                       (self._seal("meta", "value", ("key_check",), _KEY_CHECK),))
        try:
            (version,) = self._conn.execute("PRAGMA user_version").fetchone()
            row = self._conn.execute("SELECT value FROM meta WHERE name = 'key_check'").fetchone()
        except sqlite3.OperationalError as e:
            raise Rejected(StoreReason.NOT_A_STORE, str(e)) from e
        if version != _SCHEMA_VERSION or row is None:
            raise Rejected(StoreReason.NOT_A_STORE, f"schema version {version}")
        try:
            self._open("meta", "value", ("key_check",), row[0])
        except Rejected:
            raise Rejected(StoreReason.WRONG_KEY, "the key-check row does not open") from None

    def _is_blank(self) -> bool:
        try:
            return self._conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
        except sqlite3.DatabaseError as e:
            raise Rejected(StoreReason.NOT_A_STORE, str(e)) from e

    def close(self) -> None:
        """model: close the connection; an open transaction is rolled back."""
        self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @staticmethod
    def delete(path: str | os.PathLike) -> None:
        """seed: Local database: ``deleteLocalDatabase()``, the file and its journal/WAL side files."""
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{os.fspath(path)}{suffix}").unlink(missing_ok=True)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """model: one atomic unit (BEGIN IMMEDIATE); nested, a SAVEPOINT. An exception rolls it back."""
        depth = self._depth
        savepoint = f"nested_{depth}"
        self._conn.execute("BEGIN IMMEDIATE" if depth == 0 else f"SAVEPOINT {savepoint}")
        self._depth += 1
        try:
            yield
            self._conn.execute("COMMIT" if depth == 0 else f"RELEASE {savepoint}")
        except BaseException:
            if depth > 0:
                self._conn.execute(f"ROLLBACK TO {savepoint}")
                self._conn.execute(f"RELEASE {savepoint}")
            elif self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            raise
        finally:
            self._depth = depth

    # ---- sealing and generic rows

    def _seal(self, table: str, column: str, key: tuple, value: bytes) -> bytes:
        nonce = os.urandom(_NONCE_SIZE)
        return nonce + self._aead.encrypt(nonce, value, _aad(table, column, key))

    def _open(self, table: str, column: str, key: tuple, cell: bytes) -> bytes:
        try:
            return self._aead.decrypt(cell[:_NONCE_SIZE], cell[_NONCE_SIZE:], _aad(table, column, key))
        except InvalidTag:
            raise Rejected(StoreReason.TAMPERED, f"{table}.{column} of {key!r}") from None

    def _put(self, row: Any) -> None:
        """Insert the row, or update every column of the stored row with the same key."""
        rows = layout(type(row))
        values = [getattr(row, c) for c in rows.columns]
        key = tuple(values[i] for i in rows.key_index)
        for i, column, _ in rows.sealed:
            if values[i] is not None:
                values[i] = self._seal(rows.table, column, key, _to_bytes(values[i]))
        self._conn.execute(rows.upsert, values)

    def _select(self, cls: type, tail: str = "", params: Iterable = ()) -> list:
        """Rows of ``cls``'s table (aliased ``t``) selected by ``tail``, sealed cells opened."""
        rows = layout(cls)
        found = []
        for values in self._conn.execute(f"{rows.select} {tail}", tuple(params)):
            values = list(values)
            key = tuple(values[i] for i in rows.key_index)
            for i, column, kind in rows.sealed:
                if values[i] is not None:
                    values[i] = _from_bytes(kind, self._open(rows.table, column, key, values[i]))
            for i, kind in rows.enums:
                if values[i] is not None:
                    values[i] = kind(values[i])
            found.append(cls(*values))
        return found

    def _get(self, cls: type, *key: Any) -> Any:
        """The row of ``cls`` with this key, or None; without a key, the row of a one-row table."""
        rows = self._select(cls, layout(cls).by_key if key else "", key)
        return rows[0] if rows else None

    def _update(self, table: str, row_id: Any, sql: str, params: Iterable) -> None:
        if self._conn.execute(sql, tuple(params)).rowcount == 0:
            raise Rejected(StoreReason.NOT_FOUND, f"{table} {row_id!r}")

    # ---- identity

    def put_identity(self, row: IdentityRow) -> None:
        """libxmtp crates/xmtp_db/src/encrypted_store/identity.rs@a53a97e: store the installation's identity; a
        database keeps one inbox."""
        with self.transaction():
            stored = self.get_identity()
            if stored is not None and stored.inbox_id != row.inbox_id:
                raise Rejected(StoreReason.INBOX_MISMATCH, f"{row.inbox_id} is not {stored.inbox_id}")
            self._put(row)

    def get_identity(self) -> IdentityRow | None:
        """libxmtp crates/xmtp_db/src/encrypted_store/identity.rs@a53a97e: the stored identity, if any."""
        return self._get(IdentityRow)

    # ---- key packages

    def put_key_package(self, row: KeyPackageRow) -> None:
        """libxmtp crates/xmtp_db/src/encrypted_store/key_package_history.rs@a53a97e: keep a key package's private
        keys."""
        self._put(row)

    def get_key_package(self, ref: bytes) -> KeyPackageRow | None:
        """libxmtp crates/xmtp_db/src/encrypted_store/key_package_history.rs@a53a97e: the private keys for a key
        package reference."""
        return self._get(KeyPackageRow, ref)

    def find_key_package_by_public_key(self, public_key: bytes) -> KeyPackageRow | None:
        """libxmtp crates/xmtp_mls/src/groups/mls_ext/decrypted_welcome.rs@b649d1a: by its init or 0xFF03 key."""
        rows = self._select(KeyPackageRow, "WHERE ? IN (t.init_key, t.wrapper_public_key)", (public_key,))
        return rows[0] if rows else None

    def replace_key_packages(self, current_ref: bytes, at_ns: int) -> int:
        """docs/xmtp-facts.md §1: a rotation marks every other unreplaced key package replaced at ``at_ns``; returns the count."""
        return self._conn.execute(
            "UPDATE key_packages SET replaced_at_ns = ? WHERE ref != ? AND replaced_at_ns IS NULL",
            (at_ns, current_ref)).rowcount

    def newest_key_package_created_ns(self) -> int | None:
        """libxmtp crates/xmtp_db/src/encrypted_store/identity.rs@b649d1a (the last rotation): when the newest kept key package was created."""
        return self._conn.execute("SELECT max(created_ns) FROM key_packages").fetchone()[0]

    def delete_replaced_key_packages(self, replaced_before_ns: int) -> int:
        """docs/xmtp-facts.md §1: delete private keys replaced before ``replaced_before_ns`` (now − 1 d); returns the count."""
        return self._conn.execute("DELETE FROM key_packages WHERE replaced_at_ns < ?",
                                  (replaced_before_ns,)).rowcount

    # ---- groups

    def put_group(self, row: GroupRow) -> None:
        """libxmtp crates/xmtp_db/src/encrypted_store/group.rs@a53a97e: insert or replace a group and its MLS
        state."""
        self._put(row)

    def get_group(self, group_id: bytes) -> GroupRow | None:
        """libxmtp crates/xmtp_db/src/encrypted_store/group.rs@a53a97e ``find_group``."""
        return self._get(GroupRow, group_id)

    def set_group_state(self, group_id: bytes, mls_state: bytes) -> None:
        """libxmtp crates/xmtp_db/src/encrypted_store/group.rs@a53a97e: a stored group's new MLS state (a sealed
        cell), its other columns kept."""
        self._update("group", group_id, "UPDATE groups SET mls_state = ? WHERE id = ?",
                     (self._seal("groups", "mls_state", (group_id,), mls_state), group_id))

    def set_membership_state(self, group_id: bytes, state: MembershipState) -> None:
        """libxmtp crates/xmtp_db/src/encrypted_store/group.rs@a53a97e ``update_group_membership``: our standing in
        a group."""
        self._update("group", group_id, "UPDATE groups SET membership_state = ? WHERE id = ?", (state, group_id))

    def set_group_rotated_at(self, group_id: bytes, at_ns: int) -> None:
        """libxmtp crates/xmtp_db/src/encrypted_store/group.rs@a53a97e ``update_rotated_at_ns``: our leaf key in
        the group was renewed at ``at_ns``."""
        self._update("group", group_id, "UPDATE groups SET rotated_at_ns = ? WHERE id = ?", (at_ns, group_id))

    def set_installations_checked(self, group_id: bytes, at_ns: int) -> None:
        """libxmtp crates/xmtp_db/src/encrypted_store/group.rs@b649d1a ``update_installations_time_checked``: members'
        installations checked at ``at_ns``."""
        self._update("group", group_id, "UPDATE groups SET installations_checked_ns = ? WHERE id = ?", (at_ns, group_id))

    def find_groups(self, *, created_after_ns: int | None = None, created_before_ns: int | None = None,
                    limit: int | None = None, conversation_type: ConversationType | None = None,
                    membership_states: Iterable[MembershipState] | None = None,
                    consent_states: Iterable[ConsentState] | None = None) -> list[GroupRow]:
        """libxmtp crates/xmtp_db/src/encrypted_store/group.rs@a53a97e ``find_groups``: oldest first; sync groups
        only when asked for by type.

        Bounds are exclusive. A group with no consent record counts as Unknown.
        """
        join = (f"LEFT JOIN consent AS c ON c.entity_type = {ConsentType.CONVERSATION_ID:d} "
                "AND c.entity = lower(hex(t.id))")
        where, params = _where(
            ("t.created_at_ns > ?", created_after_ns),
            ("t.created_at_ns < ?", created_before_ns),
            ("t.conversation_type = ?", conversation_type),
            ("t.conversation_type != ?", ConversationType.SYNC if conversation_type is None else None),
            ("t.membership_state IN (?)", None if membership_states is None else tuple(membership_states)),
            (f"coalesce(c.state, {ConsentState.UNKNOWN:d}) IN (?)",
             None if consent_states is None else tuple(consent_states)),
        )
        tail = f"{join} {where} ORDER BY t.created_at_ns, t.rowid"
        if limit is not None:
            tail += " LIMIT ?"
            params.append(limit)
        return self._select(GroupRow, tail, params)

    def last_message_ns(self, group_id: bytes) -> int | None:
        """libxmtp crates/xmtp_db/migrations/2025-11-15-232503_add_inserted_at_ns_to_group_messages/up.sql@b649d1a
        (trigger ``msg_inserted``): a group's ``last_message_ns``, the latest ``sent_at_ns`` of its stored messages
        (None without any). libxmtp keeps it from each insert, the model from the stored times."""
        (latest,) = self._conn.execute("SELECT max(sent_at_ns) FROM messages WHERE group_id = ?", (group_id,)).fetchone()
        return latest

    # ---- messages

    def put_message(self, row: MessageRow) -> None:
        """libxmtp crates/xmtp_db/src/encrypted_store/group_message.rs@a53a97e: insert or replace a message."""
        self._put(row)

    def get_message(self, message_id: bytes) -> MessageRow | None:
        """libxmtp crates/xmtp_db/src/encrypted_store/group_message.rs@a53a97e ``get_group_message``."""
        return self._get(MessageRow, message_id)

    def set_delivery_status(self, message_id: bytes, status: DeliveryStatus, *,
                            sent_at_ns: int | None = None) -> None:
        """libxmtp crates/xmtp_db/src/encrypted_store/group_message.rs@a53a97e: a new delivery status; Published
        also takes the server time."""
        self._update("message", message_id,
                     "UPDATE messages SET delivery_status = ?, sent_at_ns = coalesce(?, sent_at_ns) WHERE id = ?",
                     (status, sent_at_ns, message_id))

    def find_messages(self, group_id: bytes | tuple[bytes, ...], *, sent_after_ns: int | None = None,
                      sent_before_ns: int | None = None, limit: int | None = None,
                      direction: Literal["ascending", "descending"] = "ascending",
                      delivery_status: DeliveryStatus | None = None, kind: GroupMessageKind | None = None,
                      content_type: tuple[str, str] | None = None, exclude_type_ids: tuple[str, ...] | None = None,
                      unexpired_at_ns: int | None = None) -> list[MessageRow]:
        """seed: Delivery status: a group's messages (or those of several groups, in one order), Unpublished
        included unless filtered on status.

        libxmtp xmtp_db group_message.rs ``get_group_messages``: bounds are exclusive, order is by
        sent_at_ns (then insertion), ``content_type`` is (authority_id, type_id); ``exclude_type_ids``
        leaves out xmtp.org content types; with ``unexpired_at_ns`` a message whose ``expire_at_ns`` is at
        or before it is left out ("Always exclude expired messages").
        """
        order = {"ascending": "ASC", "descending": "DESC"}[direction]
        authority_id, type_id = content_type or (None, None)
        where, params = _where(
            ("t.group_id IN (?)", group_id if isinstance(group_id, tuple) else (group_id,)),
            ("t.sent_at_ns > ?", sent_after_ns),
            ("t.sent_at_ns < ?", sent_before_ns),
            ("t.delivery_status = ?", delivery_status),
            ("t.kind = ?", kind),
            ("t.authority_id = ?", authority_id),
            ("t.type_id = ?", type_id),
            ("NOT (t.authority_id = 'xmtp.org' AND t.type_id IN (?))", exclude_type_ids),
            ("(t.expire_at_ns IS NULL OR t.expire_at_ns > ?)", unexpired_at_ns),
        )
        tail = f"{where} ORDER BY t.sent_at_ns {order}, t.rowid {order}"
        if limit is not None:
            tail += " LIMIT ?"
            params.append(limit)
        return self._select(MessageRow, tail, params)

    def set_message_expiry(self, message_id: bytes, expire_at_ns: int | None) -> None:
        """libxmtp crates/xmtp_db/src/encrypted_store/group_message.rs@b649d1a ``set_delivery_status_to_published``: our own message's ``expire_at_ns``."""
        self._update("message", message_id, "UPDATE messages SET expire_at_ns = ? WHERE id = ?",
                     (expire_at_ns, message_id))

    def delete_expired_messages(self, now_ns: int) -> int:
        """libxmtp crates/xmtp_db/src/encrypted_store/group_message.rs@b649d1a ``delete_expired_messages``: Published application messages whose
        ``expire_at_ns`` is at or before ``now_ns`` are deleted; returns the count."""
        return self._conn.execute(
            "DELETE FROM messages WHERE delivery_status = ? AND kind = ? AND expire_at_ns IS NOT NULL "
            "AND expire_at_ns <= ?", (DeliveryStatus.PUBLISHED, GroupMessageKind.APPLICATION, now_ns)).rowcount

    # ---- message deletions (XIP-76)

    def put_message_deletion(self, row: MessageDeletionRow) -> None:
        """libxmtp crates/xmtp_db/src/encrypted_store/message_deletion.rs@b649d1a ``store_or_ignore``: a deletion is recorded once."""
        if self._get(MessageDeletionRow, row.id) is None:
            self._put(row)

    def find_message_deletions(self, deleted_message_id: bytes | None = None, *,
                               group_id: tuple[bytes, ...] | None = None) -> list[MessageDeletionRow]:
        """libxmtp crates/xmtp_db/src/encrypted_store/message_deletion.rs@b649d1a: the deletions naming a message, or
        those recorded in any of the groups ``group_id``, oldest first."""
        where, params = _where(("t.deleted_message_id = ?", deleted_message_id), ("t.group_id IN (?)", group_id))
        return self._select(MessageDeletionRow, f"{where} ORDER BY t.deleted_at_ns, t.rowid", params)

    # ---- intents

    def add_intent(self, group_id: bytes, kind: IntentKind, payload: bytes,
                   message_id: bytes | None = None) -> IntentRow:
        """libxmtp crates/xmtp_db/src/encrypted_store/group_intent.rs@a53a97e ``insert_group_intent``: a new
        ToPublish intent."""
        with self.transaction():
            (next_id,) = self._conn.execute(
                "SELECT coalesce(max(seq), 0) + 1 FROM sqlite_sequence WHERE name = 'intents'").fetchone()
            row = IntentRow(next_id, group_id, kind, IntentState.TO_PUBLISH, payload, message_id=message_id)
            self._put(row)
        return row

    def get_intent(self, intent_id: int) -> IntentRow | None:
        """libxmtp crates/xmtp_db/src/encrypted_store/group_intent.rs@a53a97e ``find_group_intent_by_id``."""
        return self._get(IntentRow, intent_id)

    def find_intents(self, group_id: bytes, *, states: Iterable[IntentState] | None = None,
                     kinds: Iterable[IntentKind] | None = None) -> list[IntentRow]:
        """libxmtp crates/xmtp_db/src/encrypted_store/group_intent.rs@a53a97e ``find_group_intents``: oldest first."""
        where, params = _where(
            ("t.group_id = ?", group_id),
            ("t.state IN (?)", None if states is None else tuple(states)),
            ("t.kind IN (?)", None if kinds is None else tuple(kinds)),
        )
        return self._select(IntentRow, f"{where} ORDER BY t.id", params)

    def find_intent_by_payload_hash(self, payload_hash: bytes) -> IntentRow | None:
        """docs/xmtp-facts.md §5 receive: the intent whose published payload has this sha256."""
        rows = self._select(IntentRow, "WHERE t.payload_hash = ?", (payload_hash,))
        return rows[0] if rows else None

    def set_intent_published(self, intent_id: int, *, payload_hash: bytes, published_in_epoch: int,
                             staged_commit: bytes | None = None, post_commit_data: bytes | None = None,
                             unsent_payload: bytes | None = None) -> None:
        """docs/xmtp-facts.md §5 publish_intents: Published, with the payload hash, staged commit and post-commit data."""
        with self.transaction():
            self._update("intent", intent_id,
                         "UPDATE intents SET state = ?, payload_hash = ?, published_in_epoch = ? WHERE id = ?",
                         (IntentState.PUBLISHED, payload_hash, published_in_epoch, intent_id))
            self.set_intent_data(intent_id, staged_commit=staged_commit, post_commit_data=post_commit_data,
                                 unsent_payload=unsent_payload)

    def set_intent_data(self, intent_id: int, **columns: bytes | str | None) -> None:
        """docs/xmtp-facts.md §5: set an intent's sealed working columns (``staged_commit``, ``post_commit_data``,
        ``unsent_payload``, ``refusal``); None clears one."""
        sealed = {column for _, column, _ in layout(IntentRow).sealed} - {"payload"}
        if not columns or not set(columns) <= sealed:
            raise ValueError(f"not an intent's working column: {sorted(set(columns) - sealed)}")
        values = [None if v is None else self._seal("intents", c, (intent_id,), _to_bytes(v))
                  for c, v in columns.items()]
        self._update("intent", intent_id,
                     f"UPDATE intents SET {', '.join(f'{c} = ?' for c in columns)} WHERE id = ?",
                     (*values, intent_id))

    def set_intent_state(self, intent_id: int, state: IntentState) -> None:
        """libxmtp crates/xmtp_db/src/encrypted_store/group_intent.rs@a53a97e ``set_group_intent_*``; back to
        ToPublish clears the publish data.

        Published goes through ``set_intent_published``, which carries that data.
        """
        if state == IntentState.PUBLISHED:
            raise ValueError("use set_intent_published")
        sql = "UPDATE intents SET state = ? WHERE id = ?"
        if state == IntentState.TO_PUBLISH:
            sql = ("UPDATE intents SET state = ?, payload_hash = NULL, published_in_epoch = NULL, "
                   "staged_commit = NULL, post_commit_data = NULL, unsent_payload = NULL WHERE id = ?")
        self._update("intent", intent_id, sql, (state, intent_id))

    def increment_intent_publish_attempts(self, intent_id: int) -> int:
        """libxmtp crates/xmtp_db/src/encrypted_store/group_intent.rs@a53a97e
        ``increment_intent_publish_attempt_count``; returns the new count."""
        with self.transaction():
            self._update("intent", intent_id,
                         "UPDATE intents SET publish_attempts = publish_attempts + 1 WHERE id = ?", (intent_id,))
            return self.get_intent(intent_id).publish_attempts

    def fail_intent(self, intent_id: int) -> None:
        """libxmtp crates/xmtp_db/src/encrypted_store/group_intent.rs@a53a97e
        ``set_group_intent_error_and_fail_msg``: Error, its message Failed."""
        with self.transaction():
            self.set_intent_state(intent_id, IntentState.ERROR)
            message_id = self.get_intent(intent_id).message_id
            if message_id is not None:
                self.set_delivery_status(message_id, DeliveryStatus.FAILED)

    # ---- user preferences

    def get_hmac_key(self) -> bytes | None:
        """libxmtp crates/xmtp_db/src/encrypted_store/user_preferences.rs@b649d1a ``StoredUserPreferences.hmac_key``:
        the key behind every sender HMAC."""
        row = self._conn.execute("SELECT value FROM meta WHERE name = 'hmac_key'").fetchone()
        return None if row is None else self._open("meta", "value", ("hmac_key",), row[0])

    def store_hmac_key(self, key: bytes) -> None:
        """libxmtp crates/xmtp_db/src/encrypted_store/user_preferences.rs@b649d1a ``store_hmac_key``: a new HMAC
        key replaces the old one."""
        with self.transaction():
            self._conn.execute("INSERT INTO meta VALUES ('hmac_key', ?) ON CONFLICT DO UPDATE SET value = excluded.value",
                               (self._seal("meta", "value", ("hmac_key",), key),))

    # ---- cursors

    def get_cursor(self, entity: bytes, kind: CursorKind) -> int:
        """docs/xmtp-facts.md §7.2: the last server id processed for a topic (group id or installation key); 0 if none."""
        row = self._conn.execute("SELECT value FROM cursors WHERE entity = ? AND kind = ?",
                                 (entity, kind)).fetchone()
        return 0 if row is None else row[0]

    def advance_cursor(self, entity: bytes, kind: CursorKind, value: int) -> bool:
        """libxmtp crates/xmtp_db/src/encrypted_store/refresh_state.rs@a53a97e ``update_cursor``: moves only
        forward; returns whether it moved."""
        with self.transaction():
            if value <= self.get_cursor(entity, kind):
                return False
            self._conn.execute("INSERT INTO cursors VALUES (?, ?, ?) "
                               "ON CONFLICT DO UPDATE SET value = excluded.value", (entity, kind, value))
            return True

    # ---- consent

    def put_consent(self, record: ConsentRecord) -> None:
        """docs/xmtp-facts.md §10: insert or replace a consent record."""
        self._put(record)

    def get_consent(self, entity_type: ConsentType, entity: str) -> ConsentRecord | None:
        """docs/xmtp-facts.md §10: the stored record; None means Unknown."""
        return self._get(ConsentRecord, entity_type, entity)

    # ---- identity cache

    def put_association_state(self, row: AssociationStateRow) -> bool:
        """libxmtp crates/xmtp_db/src/encrypted_store/identity_cache.rs@a53a97e: cache an inbox's state unless a
        later one is stored."""
        with self.transaction():
            stored = self.get_association_state(row.inbox_id)
            if stored is not None and stored.sequence_id >= row.sequence_id:
                return False
            self._put(row)
            return True

    def get_association_state(self, inbox_id: str) -> AssociationStateRow | None:
        """libxmtp crates/xmtp_db/src/encrypted_store/identity_cache.rs@a53a97e: the cached association state of an
        inbox."""
        return self._get(AssociationStateRow, inbox_id)

    # ---- history sync

    def put_sync_request(self, row: SyncRequestRow) -> None:
        """docs/xmtp-facts.md §9: remember the request just sent; it replaces any earlier one (one awaits a reply)."""
        with self.transaction():
            self._conn.execute("DELETE FROM sync_requests")
            self._put(row)

    def get_sync_request(self) -> SyncRequestRow | None:
        """docs/xmtp-facts.md §9: the request awaiting a reply, if any."""
        return self._get(SyncRequestRow)

    def delete_sync_request(self, pin: str) -> None:
        """docs/xmtp-facts.md §9: the reply to ``pin`` was imported."""
        self._conn.execute("DELETE FROM sync_requests WHERE pin = ?", (pin,))

    def mark_sync_message_handled(self, message_id: bytes) -> bool:
        """docs/xmtp-facts.md §9: a sync-group message is handled once; returns whether it was new."""
        return self._conn.execute("INSERT OR IGNORE INTO sync_messages_handled VALUES (?)",
                                  (message_id,)).rowcount > 0

    def is_sync_message_handled(self, message_id: bytes) -> bool:
        """docs/xmtp-facts.md §9: whether ``mark_sync_message_handled`` saw this message."""
        return self._conn.execute("SELECT 1 FROM sync_messages_handled WHERE id = ?",
                                  (message_id,)).fetchone() is not None

    def all_consent(self) -> list[ConsentRecord]:
        """docs/xmtp-facts.md §10: every consent record, by entity type then entity."""
        return self._select(ConsentRecord, "ORDER BY t.entity_type, t.entity")
