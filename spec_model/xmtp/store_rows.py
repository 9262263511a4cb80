"""libxmtp xmtp_db: the rows of the client's local database and the states they record.

A field declared with ``sealed()`` is stored as a sealed cell (``store.py``):
encrypted and bound to its table, column and row key. ``layout`` gives, once per
row class, what ``Store`` needs to write and read its rows.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import typing
from typing import Any, NamedTuple

from .consent import ConsentRecord
from .delivery import DeliveryStatus, GroupMessageKind, IntentKind, IntentState
from .extensions import ConversationType

__all__ = [
    "RegistrationState", "MembershipState", "INACTIVE_STATES", "CursorKind", "sealed", "IdentityRow", "KeyPackageRow", "GroupRow",
    "MessageRow", "MessageDeletionRow", "IntentRow", "AssociationStateRow", "SyncRequestRow", "Layout", "layout",
]


class RegistrationState(enum.IntEnum):
    """model: whether this installation is registered (libxmtp derives this from the association state)."""

    UNREGISTERED = 1  # keys generated; the identity update adding the installation is not yet published
    REGISTERED = 2    # the identity update and a key package are published


class MembershipState(enum.IntEnum):
    """libxmtp crates/xmtp_db/src/encrypted_store/group.rs@a53a97e ``GroupMembershipState``: our standing in a
    group."""

    ALLOWED = 1   # active: we are a member
    REJECTED = 2  # removed from the group
    PENDING = 3   # a welcome not yet accepted
    RESTORED = 4  # imported from a history archive, not yet added (libxmtp worker/device_sync/archive.rs@b649d1a)
    PENDING_REMOVE = 5  # our inbox asked to leave (XIP-75; libxmtp mls_sync.rs process_leave_request_message@b649d1a)


INACTIVE_STATES = frozenset({MembershipState.REJECTED, MembershipState.RESTORED})
"""libxmtp groups/mod.rs ``is_active``@b649d1a: a removed group, and a restored one not yet added, are inactive."""


class CursorKind(enum.IntEnum):
    """docs/xmtp-facts.md §7.2: the synthetic originator libxmtp keeps one cursor per (topic, originator) for."""

    COMMITS = 0
    APPLICATION = 10
    WELCOMES = 11


def sealed(**kwargs: Any) -> Any:
    """libxmtp crates/xmtp_db/src/encrypted_store/database/native/sqlcipher_connection.rs@a53a97e (SQLCipher):
    marks a row field that ``Store`` keeps as a sealed cell."""
    return dataclasses.field(metadata={"sealed": True}, **kwargs)


@dataclasses.dataclass(frozen=True)
class IdentityRow:
    """libxmtp crates/xmtp_db/src/encrypted_store/identity.rs@a53a97e ``StoredIdentity``: the one identity of this
    installation."""

    inbox_id: str
    installation_private_key: bytes = sealed()
    wallet_address: str = sealed()
    registration_state: RegistrationState = sealed()


@dataclasses.dataclass(frozen=True)
class KeyPackageRow:
    """libxmtp crates/xmtp_db/src/encrypted_store/key_package_history.rs@a53a97e: a key package's private keys,
    kept until expired after replacement."""

    ref: bytes
    init_key: bytes
    """RFC 9420 §10: the key package's ``init_key``, which names it in a Welcome (libxmtp: the HPKE public key)."""
    private_keys: bytes = sealed()
    created_ns: int = 0
    replaced_at_ns: int | None = None
    wrapper_public_key: bytes | None = None
    """docs/xmtp-facts.md §7.3: 0xFF03's key, which names the key package in a Welcome wrapped to it, as
    ``init_key`` does (libxmtp crates/xmtp_mls/src/identity.rs@b649d1a keeps both in ``KEY_PACKAGE_REFERENCES``)."""
    wrapper_private_key: bytes = sealed(default=b"")
    """libxmtp crates/xmtp_db/src/sql_key_store.rs@b649d1a ``KEY_PACKAGE_WRAPPER_PRIVATE_KEY``: the X-Wing seed of
    0xFF03's key (empty without 0xFF03)."""


@dataclasses.dataclass(frozen=True)
class GroupRow:
    """libxmtp crates/xmtp_db/src/encrypted_store/group.rs@a53a97e ``StoredGroup``, with the serialized MLS group
    state sealed alongside."""

    id: bytes
    created_at_ns: int
    conversation_type: ConversationType
    membership_state: MembershipState
    added_by_inbox_id: str
    mls_state: bytes = sealed()
    dm_id: str | None = None
    paused_for_version: str | None = None
    rotated_at_ns: int = 0
    installations_checked_ns: int = 0


@dataclasses.dataclass(frozen=True)
class MessageRow:
    """libxmtp crates/xmtp_db/src/encrypted_store/group_message.rs@a53a97e ``StoredGroupMessage``; ``content`` is
    the EncodedContent, sealed."""

    id: bytes
    group_id: bytes
    sent_at_ns: int
    kind: GroupMessageKind
    delivery_status: DeliveryStatus
    sender_inbox_id: str
    sender_installation_id: bytes
    authority_id: str
    type_id: str
    idempotency_key: str
    content: bytes = sealed()
    expire_at_ns: int | None = None
    """libxmtp xmtp_db group_message.rs ``expire_at_ns``: when a disappearing message expires (``disappearing.py``)."""


@dataclasses.dataclass(frozen=True)
class MessageDeletionRow:
    """libxmtp crates/xmtp_db/src/encrypted_store/message_deletion.rs@b649d1a ``StoredMessageDeletion``: a DeleteMessage (XIP-76) sent or received.

    ``id`` is the DeleteMessage's own message id; the deletion applies only if ``deletion.py`` finds it valid
    against the message it names, which may arrive later.
    """

    id: bytes
    group_id: bytes
    deleted_message_id: bytes
    deleted_by_inbox_id: str
    is_super_admin_deletion: int
    deleted_at_ns: int


@dataclasses.dataclass(frozen=True)
class IntentRow:
    """libxmtp crates/xmtp_db/src/encrypted_store/group_intent.rs@a53a97e ``StoredGroupIntent``, linked to the
    message it sends (if any)."""

    id: int
    group_id: bytes
    kind: IntentKind
    state: IntentState
    payload: bytes = sealed()
    payload_hash: bytes | None = None
    publish_attempts: int = 0
    published_in_epoch: int | None = None
    staged_commit: bytes | None = sealed(default=None)
    post_commit_data: bytes | None = sealed(default=None)
    message_id: bytes | None = None
    unsent_payload: bytes | None = sealed(default=None)
    """model: a Published intent's bytes until the node confirms them; sent again byte for byte."""
    refusal: str | None = sealed(default=None)
    """model: why building the payload failed: the refusal's ``Rejected.chain()`` as JSON, its typed cause when
    the intent is reported failed."""


@dataclasses.dataclass(frozen=True)
class AssociationStateRow:
    """libxmtp crates/xmtp_db/src/encrypted_store/identity_cache.rs@a53a97e: an inbox's serialized association
    state at a sequence id."""

    inbox_id: str
    sequence_id: int
    state: bytes = sealed()


@dataclasses.dataclass(frozen=True)
class SyncRequestRow:
    """docs/xmtp-facts.md §9: the history-sync request this installation sent and still awaits a reply to."""

    pin: str
    request: bytes = sealed()


class Layout(NamedTuple):
    """model: how ``Store`` keeps the rows of one class (``layout``)."""

    table: str
    key: tuple[str, ...]
    """The columns bound into each sealed cell's AAD: the row key."""
    columns: tuple[str, ...]
    """Every field, in declaration order (a row is ``cls(*columns)``)."""
    key_index: tuple[int, ...]
    sealed: tuple[tuple[int, str, type], ...]
    """The sealed columns: position, name and the type the cell opens to (``| None`` removed)."""
    enums: tuple[tuple[int, type], ...]
    """The plaintext columns stored as integers that read back as an ``IntEnum``: position and type."""
    select: str
    """``SELECT`` of every column from the table, aliased ``t``; a caller appends its ``WHERE`` and ``ORDER BY``."""
    by_key: str
    """``WHERE`` the row key equals the parameters, in key order."""
    upsert: str
    """Insert the row, or update every column of the stored row with the same key."""


_TABLES: dict[type, tuple[str, tuple[str, ...]]] = {
    IdentityRow: ("identity", ("inbox_id",)),
    KeyPackageRow: ("key_packages", ("ref",)),
    GroupRow: ("groups", ("id",)),
    MessageRow: ("messages", ("id",)),
    MessageDeletionRow: ("message_deletions", ("id",)),
    IntentRow: ("intents", ("id",)),
    ConsentRecord: ("consent", ("entity_type", "entity")),
    AssociationStateRow: ("identity_cache", ("inbox_id",)),
    SyncRequestRow: ("sync_requests", ("pin",)),
}


@functools.cache
def layout(cls: type) -> Layout:
    """model: the ``Layout`` of a row class, computed once."""
    table, key = _TABLES[cls]
    fields = dataclasses.fields(cls)
    columns = tuple(f.name for f in fields)
    hints = typing.get_type_hints(cls)
    kinds = [next((a for a in typing.get_args(hints[n]) if a is not type(None)), hints[n]) for n in columns]
    sealed = tuple((i, f.name, kinds[i]) for i, f in enumerate(fields) if f.metadata.get("sealed"))
    enums = tuple((i, kinds[i]) for i, f in enumerate(fields)
                  if not f.metadata.get("sealed") and issubclass(kinds[i], enum.IntEnum))
    return Layout(
        table, key, columns, tuple(columns.index(k) for k in key), sealed, enums,
        f"SELECT {', '.join(f't.{c}' for c in columns)} FROM {table} AS t",
        f"WHERE {' AND '.join(f't.{k} = ?' for k in key)}",
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['?'] * len(columns))}) "
        f"ON CONFLICT DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in columns)}")
