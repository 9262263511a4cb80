"""Sending: intents, their states, and the delivery status of a sent message (docs/xmtp-facts.md §5).

Theory of operation
-------------------
Every change a client makes to a group is first stored as an *intent*; a sent
message is also stored at once as an **Unpublished** message. ``sync`` then
(1) publishes ToPublish intents, (2) receives the group's envelopes, matching
its own by payload hash, and (3) runs post-commit actions. Each state machine
is a table ``TRANSITIONS[state][event] -> state``; ``apply`` is the only way
through one, and anything not in the table is refused.

An intent's failures are counted: building or sending the payload fails at
most ``MAX_INTENT_PUBLISH_ATTEMPTS`` times, the last failure (``*_final``)
ends the intent in Error and its message in **Failed**. A message becomes
**Published** only when sync sees its own envelope come back. An intent that
reaches Error any other way (an invalid own commit) fails no message.

``step(intent, event) -> (intent, effects)`` is the one place these rules run:
the client records its intents with it, and the delivery-status vectors are
generated from it. ``IntentProgress`` is what the rules look at (kind, state,
attempts, message status); the effects name what a store must write besides
the new state.

Where the model departs from libxmtp (both kept in the table, marked "model"):
a failed send leaves the intent Published and the same bytes are sent again,
because a lost reply may hide that the node stored them, and rebuilding a
commit for the same epoch could split the group (libxmtp returns the intent
to ToPublish); a commit whose every send "failed" but which shows up stored
goes from Error back to Published and is merged; a change already in place
ends Processed without a commit.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import TypeVar

from spec_model.mls.reasons import Rejected, reason_codes

_St = TypeVar("_St", bound=enum.Enum)
_Ev = TypeVar("_Ev", bound=enum.Enum)

__all__ = [
    "DeliveryReason", "DeliveryStatus", "DeliveryEvent", "GroupMessageKind", "IntentKind", "IntentState",
    "IntentEvent", "MAX_INTENT_PUBLISH_ATTEMPTS", "DELIVERY_TRANSITIONS", "INTENT_TRANSITIONS",
    "DELIVERY_EVENT_OF", "NON_MESSAGE_EVENTS", "apply", "after_failed_attempt", "Effect", "IntentProgress", "step",
    "mermaid",
]

MAX_INTENT_PUBLISH_ATTEMPTS = 3  # docs/xmtp-facts.md §5 (common/mls.rs); seed: "three attempts"


@reason_codes("delivery")
class DeliveryReason(enum.StrEnum):
    """docs/xmtp-facts.md §5: why a delivery or intent step is refused."""

    INVALID_TRANSITION = "delivery.invalid_transition"  # docs/xmtp-facts.md §5: the event has no row for the current state


class DeliveryStatus(enum.IntEnum):
    """docs/xmtp-facts.md §5: a stored group message's delivery status."""

    UNPUBLISHED = 1
    PUBLISHED = 2
    FAILED = 3


class DeliveryEvent(enum.StrEnum):
    """seed: Delivery status: what moves a message out of Unpublished."""

    PUBLISHED_SEEN_ON_SYNC = "published_seen_on_sync"  # sync received our own envelope
    ATTEMPTS_EXHAUSTED = "attempts_exhausted"          # the intent failed for the third time


class GroupMessageKind(enum.IntEnum):
    """docs/xmtp-facts.md §5: a stored group message is application content or a membership change."""

    APPLICATION = 1
    MEMBERSHIP_CHANGE = 2


class IntentKind(enum.IntEnum):
    """docs/xmtp-facts.md §5: what an intent asks for."""

    SEND_MESSAGE = 1
    KEY_UPDATE = 2
    METADATA_UPDATE = 3
    UPDATE_GROUP_MEMBERSHIP = 4
    UPDATE_ADMIN_LIST = 5
    UPDATE_PERMISSION = 6
    READD_INSTALLATIONS = 7
    PROPOSE_MEMBER_UPDATE = 8
    PROPOSE_GROUP_CONTEXT_EXTENSIONS = 9
    COMMIT_PENDING_PROPOSALS = 10
    BOOTSTRAP_MIGRATION = 11
    APP_DATA_UPDATE = 12


class IntentState(enum.IntEnum):
    """docs/xmtp-facts.md §5: an intent's state."""

    TO_PUBLISH = 1
    PUBLISHED = 2
    COMMITTED = 3
    ERROR = 4
    PROCESSED = 5
    SUPERSEDED = 6


class IntentEvent(enum.StrEnum):
    """docs/xmtp-facts.md §5: what happens to an intent during publish_intents, receive and post_commit."""

    BUILD_FAILED = "build_failed"                    # payload not built; attempts left
    BUILD_FAILED_FINAL = "build_failed_final"        # payload not built, third attempt
    PUBLISHED = "published"                          # built; payload hash stored, then sent
    SEND_FAILED = "send_failed"                      # SendGroupMessages failed; attempts left
    SEND_FAILED_FINAL = "send_failed_final"          # SendGroupMessages failed, third attempt
    OWN_COMMIT_SEEN_STALE_EPOCH = "own_commit_seen_stale_epoch"  # our commit came back for another epoch
    OWN_COMMIT_MERGED = "own_commit_merged"          # our commit validated and merged
    OWN_COMMIT_INVALID = "own_commit_invalid"        # our commit failed validation
    OWN_MESSAGE_SEEN = "own_message_seen"            # our application message came back
    OWN_MESSAGE_STALE = "own_message_stale"          # it came back too old (epoch + 3 <= ours) or from the future
    POST_COMMIT_DONE = "post_commit_done"            # welcomes sent
    SUPERSEDED = "superseded"                        # a guarded metadata write lost its compare-and-swap
    NO_CHANGE = "no_change"                          # model: the change is already in place; nothing to commit
    LANDED_AFTER_ALL = "landed_after_all"            # model: a commit whose sends all "failed" shows up stored


_S, _E = DeliveryStatus, DeliveryEvent
DELIVERY_TRANSITIONS: dict[DeliveryStatus, dict[DeliveryEvent, DeliveryStatus]] = {
    _S.UNPUBLISHED: {_E.PUBLISHED_SEEN_ON_SYNC: _S.PUBLISHED, _E.ATTEMPTS_EXHAUSTED: _S.FAILED},
    _S.PUBLISHED: {},
    _S.FAILED: {},
}

_I, _V = IntentState, IntentEvent
INTENT_TRANSITIONS: dict[IntentState, dict[IntentEvent, IntentState]] = {
    _I.TO_PUBLISH: {
        _V.BUILD_FAILED: _I.TO_PUBLISH,
        _V.BUILD_FAILED_FINAL: _I.ERROR,
        _V.PUBLISHED: _I.PUBLISHED,
        _V.SUPERSEDED: _I.SUPERSEDED,
        _V.NO_CHANGE: _I.PROCESSED,
    },
    _I.PUBLISHED: {
        _V.SEND_FAILED: _I.PUBLISHED,  # model: the same bytes are sent again (see the module docstring)
        _V.SEND_FAILED_FINAL: _I.ERROR,
        _V.OWN_COMMIT_SEEN_STALE_EPOCH: _I.TO_PUBLISH,  # republish on the new epoch
        _V.OWN_COMMIT_MERGED: _I.COMMITTED,
        _V.OWN_COMMIT_INVALID: _I.ERROR,
        _V.OWN_MESSAGE_SEEN: _I.COMMITTED,
        _V.OWN_MESSAGE_STALE: _I.TO_PUBLISH,
    },
    _I.COMMITTED: {_V.POST_COMMIT_DONE: _I.PROCESSED},
    _I.ERROR: {_V.LANDED_AFTER_ALL: _I.PUBLISHED},
    _I.PROCESSED: {},
    _I.SUPERSEDED: {},
}

# docs/xmtp-facts.md §5: the intent events that also move the intent's message; OWN_COMMIT_INVALID is absent on purpose.
DELIVERY_EVENT_OF: dict[IntentEvent, DeliveryEvent] = {
    _V.OWN_MESSAGE_SEEN: _E.PUBLISHED_SEEN_ON_SYNC,
    _V.BUILD_FAILED_FINAL: _E.ATTEMPTS_EXHAUSTED,
    _V.SEND_FAILED_FINAL: _E.ATTEMPTS_EXHAUSTED,
}

# docs/xmtp-facts.md §5: events a SendMessage intent never sees: it publishes an application message, not a commit,
# and is not a guarded metadata write.
NON_MESSAGE_EVENTS = frozenset({
    _V.OWN_COMMIT_SEEN_STALE_EPOCH, _V.OWN_COMMIT_MERGED, _V.OWN_COMMIT_INVALID, _V.SUPERSEDED, _V.NO_CHANGE,
    _V.LANDED_AFTER_ALL})

_FINAL = {_V.BUILD_FAILED: _V.BUILD_FAILED_FINAL, _V.SEND_FAILED: _V.SEND_FAILED_FINAL}


def apply(table: dict[_St, dict[_Ev, _St]], state: _St, event: _Ev) -> _St:
    """docs/xmtp-facts.md §5: the state ``event`` leads to from ``state``; ``Rejected(INVALID_TRANSITION)`` if none."""
    try:
        return table[state][event]
    except KeyError:
        raise Rejected(DeliveryReason.INVALID_TRANSITION, f"{state.name} has no {event.name}") from None


def after_failed_attempt(attempts: int) -> tuple[int, bool]:
    """docs/xmtp-facts.md §5 publish_intents: (attempts + 1, whether that reached MAX_INTENT_PUBLISH_ATTEMPTS)."""
    attempts += 1
    return attempts, attempts >= MAX_INTENT_PUBLISH_ATTEMPTS


class Effect(enum.StrEnum):
    """docs/xmtp-facts.md §5: what a step writes besides the intent's new state."""

    COUNT_ATTEMPT = "count_attempt"          # a failed build or send: publish_attempts + 1
    MESSAGE_PUBLISHED = "message_published"  # the intent's message is Published (at the server's time)
    MESSAGE_FAILED = "message_failed"        # the intent's message is Failed


@dataclasses.dataclass(frozen=True)
class IntentProgress:
    """docs/xmtp-facts.md §5: an intent as the delivery rules see it; ``message`` is None for an intent that stores none."""

    kind: IntentKind
    state: IntentState = IntentState.TO_PUBLISH
    attempts: int = 0
    message: DeliveryStatus | None = None

    @classmethod
    def start(cls, kind: IntentKind) -> IntentProgress:
        """seed: Delivery status: a new intent is ToPublish; a SendMessage intent's message is Unpublished."""
        return cls(kind, message=DeliveryStatus.UNPUBLISHED if kind == IntentKind.SEND_MESSAGE else None)


_EFFECT_OF = {DeliveryStatus.PUBLISHED: Effect.MESSAGE_PUBLISHED, DeliveryStatus.FAILED: Effect.MESSAGE_FAILED}


def step(intent: IntentProgress, event: IntentEvent) -> tuple[IntentProgress, tuple[Effect, ...]]:
    """docs/xmtp-facts.md §5: the intent after ``event`` and the effects to record; ``Rejected(INVALID_TRANSITION)`` if none.

    A failure (``build_failed``, ``send_failed``) counts an attempt and becomes ``*_final`` on the last one;
    a SendMessage intent is never given a ``*_final`` event directly, nor an event of commits only.
    """
    if intent.kind == IntentKind.SEND_MESSAGE and (event in NON_MESSAGE_EVENTS or event in _FINAL.values()):
        raise Rejected(DeliveryReason.INVALID_TRANSITION, f"{event.name} is not given to a SendMessage intent")
    effects, attempts = [], intent.attempts
    if event in _FINAL:
        attempts, final = after_failed_attempt(attempts)
        effects.append(Effect.COUNT_ATTEMPT)
        event = _FINAL[event] if final else event
    state = apply(INTENT_TRANSITIONS, intent.state, event)
    message = intent.message
    if message is not None and event in DELIVERY_EVENT_OF:
        message = apply(DELIVERY_TRANSITIONS, message, DELIVERY_EVENT_OF[event])
        effects.append(_EFFECT_OF[message])
    return IntentProgress(intent.kind, state, attempts, message), tuple(effects)


def mermaid(table: dict[_St, dict[_Ev, _St]]) -> str:
    """docs/xmtp-facts.md §5: ``table`` as a Mermaid state diagram; the first state is initial, states without rows are final."""
    states = list(table)
    lines = ["stateDiagram-v2", f"    [*] --> {states[0].name}"]
    for state, rows in table.items():
        lines += [f"    {state.name} --> {target.name}: {event.value}" for event, target in rows.items()]
    lines += [f"    {state.name} --> [*]" for state in states if not table[state]]
    return "\n".join(lines)
