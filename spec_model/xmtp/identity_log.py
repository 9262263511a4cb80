"""XIP-46 "Inbox log": each inbox's accepted updates in order, and its association state at a sequence id.

Theory of operation
-------------------
An inbox's updates are numbered 1, 2, 3, … in the order the network accepted
them. Commit validation asks for an inbox's state *at* a sequence id (docs/xmtp-facts.md
§4.4 steps 8 and 11): ``InboxHistory`` answers that question, the one way the
model does, for the network's own log (``IdentityLog``) and for a client's
replay of what it read from the network (``context.Identities``). A sequence
id of 0 asks for the latest state; an id the inbox never reached is refused
with ``MISSING_IDENTITY_UPDATE``.
"""

from __future__ import annotations

from typing import NamedTuple

from spec_model.mls.reasons import Rejected

from .identity import MAX_INSTALLATIONS, AssociationState, IdentityReason, IdentityUpdate, apply_update

__all__ = ["InboxHistory", "LogEntry", "IdentityLog"]


class InboxHistory:
    """XIP-46 "Inbox log": one inbox's association state after each of its updates, by sequence id."""

    def __init__(self, inbox_id: str):
        self.inbox_id = inbox_id
        self._states: dict[int, AssociationState] = {}

    def append(self, sequence_id: int, state: AssociationState) -> None:
        """XIP-46 "Inbox log": the state after the next update; sequence ids only grow."""
        if sequence_id <= self.latest_sequence_id:
            raise ValueError(f"sequence id {sequence_id} after {self.latest_sequence_id}")
        self._states[sequence_id] = state

    @property
    def latest_sequence_id(self) -> int:
        """XIP-46 "Inbox log": the sequence id of the last update; 0 if there is none."""
        return next(reversed(self._states), 0)

    @property
    def latest(self) -> AssociationState | None:
        """XIP-46 "Inbox log": the state after the last update; None if there is none."""
        return self._states[self.latest_sequence_id] if self._states else None

    def state_at(self, sequence_id: int = 0) -> AssociationState:
        """XIP-46 "MLS Commit Validation": the state after update ``sequence_id`` (0 = the latest)."""
        state = self.latest if sequence_id == 0 else self._states.get(sequence_id)
        if state is None:
            raise Rejected(IdentityReason.MISSING_IDENTITY_UPDATE,
                           f"inbox {self.inbox_id} has {len(self._states)} updates; asked for {sequence_id}")
        return state


class LogEntry(NamedTuple):
    """xmtp/proto identity.proto ``GetIdentityUpdatesResponse.IdentityUpdateLog`` without the server timestamp."""

    sequence_id: int
    update: IdentityUpdate


class IdentityLog:
    """XIP-46 "Inbox log": the network's log: each inbox's accepted updates and the states they lead to.

    The network validates an update before appending it (``publish``); ``state_at`` answers commit
    validation (docs/xmtp-facts.md §4.4 steps 8 and 11).
    """

    def __init__(self, *, max_installations: int | None = MAX_INSTALLATIONS):
        self.max_installations = max_installations
        self._updates: dict[str, list[IdentityUpdate]] = {}
        self._histories: dict[str, InboxHistory] = {}

    def publish(self, update: IdentityUpdate) -> int:
        """xmtp/proto identity/api/v1/identity.proto ``PublishIdentityUpdate``: validate against the inbox's latest state, append,
        and return the new sequence id; a ``Rejected`` update is not appended."""
        history = self._histories.get(update.inbox_id) or InboxHistory(update.inbox_id)
        state = apply_update(history.latest, update, max_installations=self.max_installations)
        updates = self._updates.setdefault(update.inbox_id, [])
        updates.append(update)
        history.append(len(updates), state)
        self._histories[update.inbox_id] = history
        return len(updates)

    def latest_sequence_id(self, inbox: str) -> int:
        """XIP-46 "Inbox log": the sequence id of the inbox's last update; 0 if it has none."""
        return len(self._updates.get(inbox, ()))

    def updates(self, inbox: str, after: int = 0) -> list[LogEntry]:
        """xmtp/proto identity/api/v1/identity.proto ``GetIdentityUpdates``: the inbox's updates with sequence id > ``after``."""
        return [LogEntry(i, update) for i, update in enumerate(self._updates.get(inbox, []), 1) if i > after]

    def state_at(self, inbox: str, sequence_id: int = 0) -> AssociationState:
        """XIP-46 "MLS Commit Validation": the inbox's association state after update ``sequence_id`` (0 = latest)."""
        return (self._histories.get(inbox) or InboxHistory(inbox)).state_at(sequence_id)
