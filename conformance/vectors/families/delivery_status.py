"""Intents and delivery status (facts §5, seed "Delivery status"): sequences of sync events and the state after each.

A trace follows one intent. ``initial`` names its kind and starting state (ToPublish,
0 attempts, and for a SendMessage intent its stored message Unpublished). Each step
is an event of ``publish_intents``, receive or ``post_commit``; the state after it is
``{intent_state, message_status, attempts}`` (``message_status`` null for intents
that store no message). A failure (``build_failed``, ``send_failed``) counts an attempt
and becomes final on the third (MAX_INTENT_PUBLISH_ATTEMPTS): the intent ends in Error
and its message in Failed. A step expected ``invalid`` (``invalid_transition``) must be
refused and leave the state unchanged.

Every trace runs through ``delivery.step``, the code path the model's clients record
their intents with.

Questions: ``trace`` with ``initial: {intent_kind}`` (the starting state is what is
asked) and ``actions``, each ``{event}``. The answer is ``initial``: the starting
``{intent_state, message_status, attempts}``, and ``steps``: per event ``{result,
reason, state}``, a refused event leaving the state as it was.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from spec_model.mls.reasons import Rejected
from spec_model.xmtp.delivery import DeliveryStatus, IntentEvent, IntentKind, IntentProgress, IntentState, step

from .. import case_id
from ..family import Exchange, Trace, TraceAnswer, TraceStepAnswer
from ..formats import Expected, TraceCase, TraceStep, Verdict
from ..questions import judge_trace

FORMAT = "trace"
AREA = "delivery status"
FAMILY = "delivery_status"
RULE = ("facts §5; libxmtp groups/mls_sync.rs publish_intents / process_own_message, common/mls.rs "
        "MAX_INTENT_PUBLISH_ATTEMPTS; seed \"Delivery status\"")

_V = IntentEvent


def _state(tracked: IntentProgress) -> dict[str, Any]:
    return {"intent_state": tracked.state.name,
            "message_status": None if tracked.message is None else tracked.message.name,
            "attempts": tracked.attempts}


def _trace(name: str, kind: IntentKind, events: list[IntentEvent], ends: tuple, description: str,
           tags: list[str]) -> TraceCase:
    """The trace of ``events``; ``ends`` = (intent state, message status or None, attempts) the model must reach."""
    tracked = IntentProgress.start(kind)
    steps = []
    for event in events:
        try:
            tracked, _ = step(tracked, event)
            expected = Expected(result=Verdict.VALID)
        except Rejected as e:
            expected = Expected(result=Verdict.INVALID, reason=e.reason.value)
        steps.append(TraceStep(action={"event": event.value}, expected=expected, state=_state(tracked)))
    intent, status, attempts = ends
    wanted = {"intent_state": intent.name, "message_status": None if status is None else status.name,
              "attempts": attempts}
    if _state(tracked) != wanted:
        raise ValueError(f"{name}: the model ends in {_state(tracked)}, the case says {wanted}")
    initial = {"intent_kind": kind.name, **_state(IntentProgress.start(kind))}
    return TraceCase(id=case_id(FAMILY, name), description=description, rule=RULE,
                     tags=["seed", "libxmtp", "delivery"] + tags, initial=initial, steps=steps)


def cases() -> list[TraceCase]:
    I, S, K = IntentState, DeliveryStatus, IntentKind
    pub, seen, sf, bf = _V.PUBLISHED, _V.OWN_MESSAGE_SEEN, _V.SEND_FAILED, _V.BUILD_FAILED
    send = K.SEND_MESSAGE
    return [
        _trace("send_success_first_try", send, [pub, seen], (I.COMMITTED, S.PUBLISHED, 0),
               "Given a message stored Unpublished, When its intent is published and sync sees it come back, "
               "Then the intent is Committed and the message Published", ["send"]),
        _trace("send_success_after_one_failed_send", send, [pub, sf, seen], (I.COMMITTED, S.PUBLISHED, 1),
               "Given one failed SendGroupMessages, When the same bytes are sent again and seen, Then it is "
               "Published with 1 attempt counted (model: the intent stays Published)", ["send", "retry", "model"]),
        _trace("send_success_after_two_failed_sends", send, [pub, sf, sf, seen],
               (I.COMMITTED, S.PUBLISHED, 2),
               "Given two failed sends, When the third publish succeeds and is seen, Then it is Published",
               ["send", "retry"]),
        _trace("send_failed_after_three_send_failures", send, [pub, sf, sf, sf],
               (I.ERROR, S.FAILED, 3),
               "Given three failed sends, When the third fails, Then the intent is Error and the message Failed",
               ["send", "retry", "failed"]),
        _trace("send_failed_after_three_build_failures", send, [bf, bf, bf], (I.ERROR, S.FAILED, 3),
               "Given a payload that cannot be built, When building fails a third time, Then the intent is Error "
               "and the message Failed", ["send", "retry", "failed"]),
        _trace("send_failed_after_mixed_failures", send, [bf, pub, sf, sf], (I.ERROR, S.FAILED, 3),
               "Given a build failure, then two send failures, When counted, Then build and send failures share "
               "the three attempts", ["send", "retry", "failed"]),
        _trace("send_build_failure_then_success", send, [bf, pub, seen], (I.COMMITTED, S.PUBLISHED, 1),
               "Given one build failure, When the next build publishes and is seen, Then it is Published",
               ["send", "retry"]),
        _trace("too_old_own_message_republished", send, [pub, _V.OWN_MESSAGE_STALE, pub, seen],
               (I.COMMITTED, S.PUBLISHED, 0),
               "Given our message came back too old (epoch + 3 <= ours), When handled, Then the intent returns to "
               "ToPublish without counting an attempt, and the republished copy is Published", ["send", "stale"]),
        _trace("send_post_commit_done", send, [pub, seen, _V.POST_COMMIT_DONE], (I.PROCESSED, S.PUBLISHED, 0),
               "Given a Committed SendMessage intent, When post-commit runs, Then it is Processed and the message "
               "stays Published", ["send"]),
        _trace("send_events_after_failed_refused", send, [bf, bf, bf, pub, seen], (I.ERROR, S.FAILED, 3),
               "Given a Failed message, When published or seen again, Then both are invalid transitions and the "
               "state stays Error/Failed", ["send", "invalid"]),
        _trace("send_seen_before_published_refused", send, [seen, pub, pub, seen], (I.COMMITTED, S.PUBLISHED, 0),
               "Given a ToPublish intent, When its message is seen before publishing or published twice, Then those "
               "steps are invalid and change nothing", ["send", "invalid"]),
        _trace("send_commit_events_refused", send,
               [pub, _V.OWN_COMMIT_MERGED, _V.OWN_COMMIT_SEEN_STALE_EPOCH, _V.OWN_COMMIT_INVALID, seen],
               (I.COMMITTED, S.PUBLISHED, 0),
               "Given a published SendMessage intent, When commit events arrive, Then they are invalid for a "
               "message (it publishes no commit)", ["send", "invalid"]),
        _trace("send_superseded_refused", send, [_V.SUPERSEDED], (I.TO_PUBLISH, S.UNPUBLISHED, 0),
               "Given a SendMessage intent, When superseded, Then that is invalid (only guarded metadata writes are)",
               ["send", "invalid"]),
        _trace("send_final_events_not_given_directly", send, [_V.SEND_FAILED_FINAL, _V.BUILD_FAILED_FINAL],
               (I.TO_PUBLISH, S.UNPUBLISHED, 0),
               "Given a fresh intent, When a *_final failure is given directly, Then it is invalid: finality comes "
               "only from the attempt count", ["send", "invalid"]),
        _trace("send_seen_twice_refused", send, [pub, seen, seen], (I.COMMITTED, S.PUBLISHED, 0),
               "Given a Committed message, When seen again, Then the second sighting is an invalid transition",
               ["send", "invalid"]),
        _trace("commit_merged_then_post_commit", K.UPDATE_GROUP_MEMBERSHIP,
               [pub, _V.OWN_COMMIT_MERGED, _V.POST_COMMIT_DONE], (I.PROCESSED, None, 0),
               "Given a membership-change intent, When its commit is merged and welcomes are sent, Then it is "
               "Processed", ["commit"]),
        _trace("stale_epoch_commit_republished", K.KEY_UPDATE,
               [pub, _V.OWN_COMMIT_SEEN_STALE_EPOCH, pub, _V.OWN_COMMIT_MERGED, _V.POST_COMMIT_DONE],
               (I.PROCESSED, None, 0),
               "Given our commit came back for an epoch that had moved on, When handled, Then the intent returns to "
               "ToPublish (no attempt counted), is republished on the new epoch, merged and processed",
               ["commit", "stale"]),
        _trace("commit_invalid_is_error", K.UPDATE_ADMIN_LIST, [pub, _V.OWN_COMMIT_INVALID, pub],
               (I.ERROR, None, 0),
               "Given our commit failed validation, When handled, Then the intent is Error (no message fails) and "
               "republishing it is invalid", ["commit", "invalid"]),
        _trace("commit_failed_after_three_send_failures", K.METADATA_UPDATE, [pub, sf, sf, sf],
               (I.ERROR, None, 3),
               "Given a commit intent whose send fails three times, When counted, Then it is Error",
               ["commit", "retry", "failed"]),
        _trace("commit_landed_after_all", K.METADATA_UPDATE,
               [pub, sf, sf, sf, _V.LANDED_AFTER_ALL, _V.OWN_COMMIT_MERGED, _V.POST_COMMIT_DONE],
               (I.PROCESSED, None, 3),
               "Given a commit whose three sends all lost their reply, When its stored copy shows up, Then it goes "
               "back to Published, is merged and processed (model)", ["commit", "retry", "model"]),
        _trace("membership_change_with_nothing_to_change", K.UPDATE_GROUP_MEMBERSHIP, [_V.NO_CHANGE],
               (I.PROCESSED, None, 0),
               "Given a membership update when every installation is already in place, When built, Then no commit "
               "is sent and the intent is Processed (model)", ["commit", "model"]),
        _trace("metadata_update_superseded", K.METADATA_UPDATE, [_V.SUPERSEDED, pub], (I.SUPERSEDED, None, 0),
               "Given a guarded metadata write that lost its compare-and-swap, When superseded, Then it is "
               "Superseded and final", ["commit", "invalid"]),
        _trace("post_commit_before_merge_refused", K.UPDATE_PERMISSION,
               [_V.POST_COMMIT_DONE, pub, _V.POST_COMMIT_DONE, _V.OWN_COMMIT_MERGED, _V.POST_COMMIT_DONE,
                _V.OWN_COMMIT_MERGED],
               (I.PROCESSED, None, 0),
               "Given a commit intent, When post-commit runs before the merge or the merge is seen after "
               "processing, Then those steps are invalid", ["commit", "invalid"]),
    ]


def questions(case: TraceCase) -> list[dict[str, Any]]:
    """One ``trace``: the intent kind (not its starting state, which is asked) and the events."""
    return [{"ask": "trace", "initial": {"intent_kind": case.initial["intent_kind"]},
             "actions": [step.action for step in case.steps]}]


def answer(question: dict) -> dict:
    """``trace``: the starting state of the intent, then each event's verdict and the state after it."""
    tracked = IntentProgress.start(IntentKind[question["initial"]["intent_kind"]])
    initial, steps = _state(tracked), []
    for action in question["actions"]:
        try:
            tracked, _ = step(tracked, IntentEvent(action["event"]))
            verdict = {"result": Verdict.VALID.value, "reason": None}
        except Rejected as e:  # the state stays as it was
            verdict = {"result": Verdict.INVALID.value, "reason": e.reason.value}
        steps.append({**verdict, "state": _state(tracked)})
    return {"initial": initial, "steps": steps}


def judge(case: TraceCase, question: dict, answer: dict) -> None:
    """The default ``trace`` judgement, the starting state included."""
    judge_trace(case, answer, initial_state={k: v for k, v in case.initial.items() if k != "intent_kind"})

# ------------------------------------------------------------------ the questions and answers, typed (``family.py``)

class Initial(Exchange):
    intent_kind: Literal[tuple(k.name for k in IntentKind)]


class Event(Exchange):
    event: Literal[tuple(e.value for e in IntentEvent)]


class Question(Trace):
    initial: Initial
    actions: list[Event]


class State(Exchange):
    intent_state: Literal[tuple(s.name for s in IntentState)]
    message_status: Literal[tuple(s.name for s in DeliveryStatus)] | None = Field(
        description="the status of the message the intent sends; null for an intent that sends none")
    attempts: int


class Step(TraceStepAnswer):
    state: State


class Answer(TraceAnswer):
    initial: State
    steps: list[Step]


EXCHANGES = {"trace": (Question, Answer)}
