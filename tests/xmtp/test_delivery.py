"""Intents and delivery status (facts §5, seed "Delivery status"): every table row, every refusal, and the
property that a sent message always ends Published or Failed."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spec_model.mls.reasons import Rejected
from spec_model.xmtp.delivery import (
    DELIVERY_EVENT_OF, DELIVERY_TRANSITIONS, INTENT_TRANSITIONS, MAX_INTENT_PUBLISH_ATTEMPTS, NON_MESSAGE_EVENTS,
    DeliveryEvent, DeliveryReason, DeliveryStatus, IntentEvent, IntentKind, IntentProgress, IntentState, Effect,
    after_failed_attempt, apply, mermaid, step,
)

S, E, I, V = DeliveryStatus, DeliveryEvent, IntentState, IntentEvent

# Written out from the fact sheet, independently of the module's tables.
DELIVERY_ROWS = [
    (S.UNPUBLISHED, E.PUBLISHED_SEEN_ON_SYNC, S.PUBLISHED),
    (S.UNPUBLISHED, E.ATTEMPTS_EXHAUSTED, S.FAILED),
]
INTENT_ROWS = [
    (I.TO_PUBLISH, V.BUILD_FAILED, I.TO_PUBLISH),
    (I.TO_PUBLISH, V.BUILD_FAILED_FINAL, I.ERROR),
    (I.TO_PUBLISH, V.PUBLISHED, I.PUBLISHED),
    (I.TO_PUBLISH, V.SUPERSEDED, I.SUPERSEDED),
    (I.TO_PUBLISH, V.NO_CHANGE, I.PROCESSED),
    (I.ERROR, V.LANDED_AFTER_ALL, I.PUBLISHED),
    (I.PUBLISHED, V.SEND_FAILED, I.PUBLISHED),  # model: the same bytes are sent again
    (I.PUBLISHED, V.SEND_FAILED_FINAL, I.ERROR),
    (I.PUBLISHED, V.OWN_COMMIT_SEEN_STALE_EPOCH, I.TO_PUBLISH),
    (I.PUBLISHED, V.OWN_COMMIT_MERGED, I.COMMITTED),
    (I.PUBLISHED, V.OWN_COMMIT_INVALID, I.ERROR),
    (I.PUBLISHED, V.OWN_MESSAGE_SEEN, I.COMMITTED),
    (I.PUBLISHED, V.OWN_MESSAGE_STALE, I.TO_PUBLISH),
    (I.COMMITTED, V.POST_COMMIT_DONE, I.PROCESSED),
]
CASES = [(DELIVERY_TRANSITIONS, DELIVERY_ROWS, S, E), (INTENT_TRANSITIONS, INTENT_ROWS, I, V)]


def _invalid(table_rows, states, events):
    valid = {(state, event) for state, event, _ in table_rows}
    return [(s, e) for s, e in itertools.product(states, events) if (s, e) not in valid]


def test_enum_numbers():
    assert [s.value for s in S] == [1, 2, 3]
    assert [s.value for s in I] == [1, 2, 3, 4, 5, 6]
    assert IntentKind.SEND_MESSAGE == 1 and IntentKind.APP_DATA_UPDATE == 12 and len(IntentKind) == 12
    assert MAX_INTENT_PUBLISH_ATTEMPTS == 3


@pytest.mark.parametrize("table, rows, states, events", CASES)
def test_tables_are_exactly_the_rows(table, rows, states, events):
    assert set(table) == set(states)
    assert {(s, e, t) for s, by_event in table.items() for e, t in by_event.items()} == set(rows)


@pytest.mark.parametrize("table, state, event, target",
                         [(t, *row) for t, rows, _, _ in CASES for row in rows])
def test_every_row(table, state, event, target):
    assert apply(table, state, event) == target


@pytest.mark.parametrize("table, state, event",
                         [(t, *pair) for t, rows, states, events in CASES for pair in _invalid(rows, states, events)])
def test_every_invalid_transition_is_rejected(table, state, event):
    with pytest.raises(Rejected) as e:
        apply(table, state, event)
    assert e.value.reason == DeliveryReason.INVALID_TRANSITION


def test_after_failed_attempt():
    assert [after_failed_attempt(n) for n in range(4)] == [(1, False), (2, False), (3, True), (4, True)]


def test_an_invalid_own_commit_fails_no_message():
    assert V.OWN_COMMIT_INVALID not in DELIVERY_EVENT_OF
    assert set(DELIVERY_EVENT_OF) == {V.OWN_MESSAGE_SEEN, V.BUILD_FAILED_FINAL, V.SEND_FAILED_FINAL}


class _Message:
    """A SendMessage intent driven through ``step``, read as (intent, status, attempts)."""

    def __init__(self, progress: IntentProgress | None = None):
        self.progress = progress or IntentProgress.start(IntentKind.SEND_MESSAGE)
        self.intent, self.status, self.attempts = self.progress.state, self.progress.message, self.progress.attempts

    def on(self, event) -> "_Message":
        return _Message(step(self.progress, event)[0])


def _run(*events):
    message = _Message()
    for event in events:
        message = message.on(event)
    return message


def test_step_names_its_effects():
    progress = IntentProgress.start(IntentKind.SEND_MESSAGE)
    progress, effects = step(progress, V.BUILD_FAILED)
    assert (progress.state, progress.attempts, effects) == (I.TO_PUBLISH, 1, (Effect.COUNT_ATTEMPT,))
    progress, effects = step(progress, V.PUBLISHED)
    assert effects == ()
    seen, effects = step(progress, V.OWN_MESSAGE_SEEN)
    assert (seen.state, seen.message, effects) == (I.COMMITTED, S.PUBLISHED, (Effect.MESSAGE_PUBLISHED,))
    for _ in range(2):
        progress, effects = step(progress, V.SEND_FAILED)
    assert (progress.state, progress.message, effects) == (I.ERROR, S.FAILED,
                                                           (Effect.COUNT_ATTEMPT, Effect.MESSAGE_FAILED))


def test_an_intent_without_a_message_fails_none():
    progress = IntentProgress.start(IntentKind.KEY_UPDATE)
    for event in (V.BUILD_FAILED, V.BUILD_FAILED, V.BUILD_FAILED):
        progress, effects = step(progress, event)
    assert (progress.state, progress.message, effects) == (I.ERROR, None, (Effect.COUNT_ATTEMPT,))


def test_published_only_through_sync():
    sent = _run(V.PUBLISHED)
    assert (sent.intent, sent.status) == (I.PUBLISHED, S.UNPUBLISHED)
    done = _run(V.PUBLISHED, V.OWN_MESSAGE_SEEN, V.POST_COMMIT_DONE)
    assert (done.intent, done.status) == (I.PROCESSED, S.PUBLISHED)


def test_stale_message_is_republished():
    message = _run(V.PUBLISHED, V.OWN_MESSAGE_STALE)
    assert (message.intent, message.status, message.attempts) == (I.TO_PUBLISH, S.UNPUBLISHED, 0)


@pytest.mark.parametrize("failures", [
    [V.SEND_FAILED] * 3, [V.BUILD_FAILED] * 3, [V.BUILD_FAILED, V.SEND_FAILED, V.SEND_FAILED],
])
def test_third_failure_fails_the_message(failures):
    message = _Message()
    for event in failures:
        if event == V.SEND_FAILED and message.intent == I.TO_PUBLISH:
            message = message.on(V.PUBLISHED)
        message = message.on(event)
    assert (message.intent, message.status, message.attempts) == (I.ERROR, S.FAILED, 3)


def test_two_failures_then_success():
    message = _run(V.BUILD_FAILED, V.PUBLISHED, V.SEND_FAILED, V.OWN_MESSAGE_SEEN)  # resent, then seen
    assert (message.intent, message.status, message.attempts) == (I.COMMITTED, S.PUBLISHED, 2)


@pytest.mark.parametrize("event", sorted(NON_MESSAGE_EVENTS | {V.BUILD_FAILED_FINAL, V.SEND_FAILED_FINAL}))
def test_events_a_send_message_intent_never_gets(event):
    with pytest.raises(Rejected) as e:
        _run(V.PUBLISHED, event)
    assert e.value.reason == DeliveryReason.INVALID_TRANSITION


MESSAGE_EVENTS = [V.BUILD_FAILED, V.PUBLISHED, V.SEND_FAILED, V.OWN_MESSAGE_SEEN, V.OWN_MESSAGE_STALE,
                  V.POST_COMMIT_DONE]


@given(st.lists(st.sampled_from(MESSAGE_EVENTS), max_size=30), st.booleans())
def test_any_event_sequence_ends_published_or_failed(events, succeeds):
    message = _Message()
    for event in events:
        try:
            message = message.on(event)
        except Rejected:
            continue  # not valid in this state: the table refuses it and nothing changes
        assert message.attempts <= MAX_INTENT_PUBLISH_ATTEMPTS
        assert (message.status == S.FAILED) == (message.intent == I.ERROR)
        assert (message.status == S.PUBLISHED) == (message.intent in (I.COMMITTED, I.PROCESSED))
    settled = message.status
    # Then the network settles: every publish succeeds, or every send fails.
    for _ in range(2 * MAX_INTENT_PUBLISH_ATTEMPTS):
        if message.intent == I.TO_PUBLISH:
            message = message.on(V.PUBLISHED)
        elif message.intent == I.PUBLISHED:
            message = message.on(V.OWN_MESSAGE_SEEN if succeeds else V.SEND_FAILED)
    if settled == S.UNPUBLISHED:
        assert message.status == (S.PUBLISHED if succeeds else S.FAILED)
    else:
        assert message.status == settled  # Published and Failed are final
    if message.status == S.FAILED:
        assert (message.intent, message.attempts) == (I.ERROR, MAX_INTENT_PUBLISH_ATTEMPTS)


def test_mermaid():
    assert mermaid(DELIVERY_TRANSITIONS).splitlines() == [
        "stateDiagram-v2",
        "    [*] --> UNPUBLISHED",
        "    UNPUBLISHED --> PUBLISHED: published_seen_on_sync",
        "    UNPUBLISHED --> FAILED: attempts_exhausted",
        "    PUBLISHED --> [*]",
        "    FAILED --> [*]",
    ]
    diagram = mermaid(INTENT_TRANSITIONS)
    assert len(diagram.splitlines()) == 2 + len(INTENT_ROWS) + 2  # final: Processed, Superseded
    assert "    PUBLISHED --> TO_PUBLISH: own_commit_seen_stale_epoch" in diagram
