"""Consent: whether the user allows or denies a conversation or an inbox (docs/xmtp-facts.md §10).

Theory of operation
-------------------
A consent record gives one entity, a conversation (``hex(group_id)``) or an
inbox id, a state. A missing record and a stored Unknown mean the same thing.
Some states are written automatically (a group we create, a message we send);
the functions ``on_*`` give those values, ``None`` meaning "write no record".
Records travel between installations and into backups as ``ConsentSave``,
whose state enum is shifted by one (0 there is UNSPECIFIED); ``to_save`` and
``from_save`` convert, refusing what has no local meaning.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Mapping

from spec_model.mls.reasons import Rejected, reason_codes

from .proto import INT64, STRING, Annotated, EnumKind, Field, Message

__all__ = [
    "ConsentReason", "ConsentState", "ConsentType", "ConsentRecord", "ConsentStateSave", "ConsentTypeSave",
    "ConsentSave", "to_save", "from_save", "conversation_entity", "consent_state", "is_allowed", "is_denied",
    "on_group_created", "on_welcome", "on_readded_after_leaving", "on_message_sent", "on_sync_group",
]


@reason_codes("consent")
class ConsentReason(enum.StrEnum):
    """docs/xmtp-facts.md §10: why a synced consent record is refused."""

    UNKNOWN_ENTITY_TYPE = "consent.unknown_entity_type"  # docs/xmtp-facts.md §10: ConversationId or InboxId (Address is deprecated)
    UNKNOWN_STATE = "consent.unknown_state"              # docs/xmtp-facts.md §10: Unknown, Allowed or Denied


class ConsentState(enum.IntEnum):
    """docs/xmtp-facts.md §10: a record's state."""

    UNKNOWN = 0
    ALLOWED = 1
    DENIED = 2


class ConsentType(enum.IntEnum):
    """docs/xmtp-facts.md §10: what a record's entity names."""

    CONVERSATION_ID = 1  # entity = hex(group_id)
    INBOX_ID = 2         # entity = the inbox id


@dataclasses.dataclass(frozen=True)
class ConsentRecord:
    """docs/xmtp-facts.md §10: a stored consent record."""

    entity_type: ConsentType
    state: ConsentState
    entity: str
    consented_at_ns: int = 0


def conversation_entity(group_id: bytes) -> str:
    """docs/xmtp-facts.md §10: a conversation's entity is the lowercase hex of its group id."""
    return group_id.hex()


# ------------------------------------------------------------------ the sync form

class ConsentStateSave(enum.IntEnum):
    """docs/xmtp-facts.md §10: ``ConsentStateSave``, ConsentState shifted by one."""

    UNSPECIFIED = 0
    UNKNOWN = 1
    ALLOWED = 2
    DENIED = 3


class ConsentTypeSave(enum.IntEnum):
    """docs/xmtp-facts.md §10: ``ConsentTypeSave``; ADDRESS is deprecated and refused."""

    UNSPECIFIED = 0
    CONVERSATION_ID = 1
    INBOX_ID = 2
    ADDRESS = 3


class ConsentSave(Message):
    """docs/xmtp-facts.md §10: ``ConsentSave``, a record in preference sync and backups."""

    entity_type: Annotated[int, Field(1, EnumKind(ConsentTypeSave))] = ConsentTypeSave.UNSPECIFIED
    state: Annotated[int, Field(2, EnumKind(ConsentStateSave))] = ConsentStateSave.UNSPECIFIED
    entity: Annotated[str, Field(3, STRING)] = ""
    consented_at_ns: Annotated[int, Field(4, INT64)] = 0


_TYPE_TO_SAVE = {ConsentType.CONVERSATION_ID: ConsentTypeSave.CONVERSATION_ID,
                 ConsentType.INBOX_ID: ConsentTypeSave.INBOX_ID}
_TYPE_FROM_SAVE = {save: local for local, save in _TYPE_TO_SAVE.items()}


def to_save(record: ConsentRecord) -> ConsentSave:
    """docs/xmtp-facts.md §10: the sync form of a record (state + 1)."""
    return ConsentSave(_TYPE_TO_SAVE[record.entity_type], ConsentStateSave(record.state + 1), record.entity,
                       record.consented_at_ns)


def from_save(save: ConsentSave) -> ConsentRecord:
    """docs/xmtp-facts.md §10: the record a synced ``ConsentSave`` stands for (state - 1); unspecified or unknown values refused."""
    if save.entity_type not in _TYPE_FROM_SAVE:
        raise Rejected(ConsentReason.UNKNOWN_ENTITY_TYPE, f"entity_type {save.entity_type}")
    if save.state not in (ConsentStateSave.UNKNOWN, ConsentStateSave.ALLOWED, ConsentStateSave.DENIED):
        raise Rejected(ConsentReason.UNKNOWN_STATE, f"state {save.state}")
    return ConsentRecord(_TYPE_FROM_SAVE[save.entity_type], ConsentState(save.state - 1), save.entity,
                         save.consented_at_ns)


# ------------------------------------------------------------------ reading

Records = Mapping[tuple[ConsentType, str], ConsentRecord]


def consent_state(records: Records, entity_type: ConsentType, entity: str) -> ConsentState:
    """docs/xmtp-facts.md §10 get_consent_state: the stored state; a missing record is Unknown."""
    record = records.get((entity_type, entity))
    return ConsentState.UNKNOWN if record is None else record.state


def is_allowed(records: Records, entity_type: ConsentType, entity: str) -> bool:
    """seed: Spam protection: isInboxIdAllowed, i.e. the state is Allowed."""
    return consent_state(records, entity_type, entity) == ConsentState.ALLOWED


def is_denied(records: Records, entity_type: ConsentType, entity: str) -> bool:
    """seed: Spam protection: isInboxIdDenied, i.e. the state is Denied."""
    return consent_state(records, entity_type, entity) == ConsentState.DENIED


# ------------------------------------------------------------------ automatic values

def on_group_created() -> ConsentState:
    """docs/xmtp-facts.md §10: a group or DM we create is Allowed."""
    return ConsentState.ALLOWED


def on_welcome(created_by_us: bool) -> ConsentState | None:
    """docs/xmtp-facts.md §10: a welcome for a group we created is Allowed; any other welcome writes no record (Unknown)."""
    return ConsentState.ALLOWED if created_by_us else None


def on_readded_after_leaving() -> ConsentState:
    """docs/xmtp-facts.md §10: being re-added to a group we left resets its consent to Unknown."""
    return ConsentState.UNKNOWN


def on_message_sent() -> ConsentState:
    """docs/xmtp-facts.md §5 send step 7, §10: sending a message sets the group's consent to Allowed."""
    return ConsentState.ALLOWED


def on_sync_group() -> ConsentState:
    """docs/xmtp-facts.md §10: the user's own sync group is Allowed."""
    return ConsentState.ALLOWED
