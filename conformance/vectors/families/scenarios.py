"""Client scenarios (seed "Conversations protocol", "Group protocol", "Delivery status", "Permissions"):
several named clients over one delivery service, each step with its outcome and what it observed.

Each case is a script (``conformance.scenarios.scripts``) run by the model through the ``reference`` adapter
(``conformance.scenarios.driver``: names for users, groups and clients; the ``network`` client injects faults).
The expected outcome of every step and every ``observe`` is what the model did.

Each script is a case in each profile of the model (``scenarios::seed/<name>``, ``scenarios::libxmtp/<name>``);
an adapter runs those of the profile it declares (``clients.profiles``).

Questions: one, ``{"ask": "scenario", "profile", "clients": [...], "observe_all": bool, "steps": [{client,
action, arguments}]}`` (``observe_all``: observe the group after every step naming one, not only at ``observe``),
answered not by ``xmtp.answer`` but by the harness driving the steps through the adapter's
``clients`` capability (``answer`` does that with the model). The answer is ``{"steps": [{result,
reason, class, observed?}]}``. Judged: every step's verdict (``valid``/``invalid``), a refusal's class
(``permission``, ``membership``, ``validation``, ``network``, ``not_found``: docs/reason-codes.md; refusal
reasons are reported but not compared, since SDKs name their errors differently) and every observation, field
by field.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from ...adapter.protocol import POLICIES_SHOWN, policies_shown
from ...scenarios.scripts import PROFILE_SCRIPTS, SCRIPTS
from .. import case_id, expect
from ..family import Exchange, Result, absent
from ..formats import ScenarioCase, ScenarioStep, StepExpected, Verdict
from ..questions import judge_fields
from .permissions import PolicySet

FORMAT = "scenario"
AREA = "conversations"
FAMILY = "scenarios"


def _step(client: str, action: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {"client": client, "action": action, "arguments": arguments}


def answer(question: dict[str, Any], session=None) -> dict[str, Any]:
    """Drive the steps through ``session``'s adapter (default: the model, in process), clients in the question's
    profile."""
    from ...adapter import connect
    from ...scenarios.driver import Driver
    own = session is None
    session = session or connect("reference")
    try:
        driver = Driver(session, observe_all=question.get("observe_all", False), profile=question.get("profile"))
        return {"steps": driver.run(question["steps"])}
    finally:
        if own:
            session.close()


def questions(case: ScenarioCase) -> list[dict[str, Any]]:
    # a state machine's counterexample observes the group after every step, not only at ``observe``
    observe_all = any({"state", "refused"} & s.observed.keys() for s in case.steps if s.action != "observe")
    return [{"ask": "scenario", "profile": profile_of(case), "clients": case.clients, "observe_all": observe_all,
             "steps": [_step(s.client, s.action, s.arguments) for s in case.steps]}]


def judge(case: ScenarioCase, question: dict[str, Any], answer: dict[str, Any]) -> None:
    steps = answer.get("steps", [])
    expect(f"{case.id} number of steps answered", len(case.steps), len(steps))
    for i, (step, got) in enumerate(zip(case.steps, steps)):
        expected = {"result": step.expected.result, "class": step.expected.refusal_class, "observed": step.observed}
        judge_outcome(f"{case.id} step {i} ({step.client} {step.action})", expected, got)


def judge_outcome(what: str, expected: dict[str, Any], actual: dict[str, Any]) -> None:
    """One step: its verdict, a refusal's class (docs/reason-codes.md; an adapter that names none where one is
    expected fails, the reason code itself is only reported) and what was observed, field by field."""
    expect(f"{what} result", expected["result"], actual.get("result"))
    if expected["result"] == Verdict.INVALID.value:
        expect(f"{what} refusal class", expected.get("class"), actual.get("class"))
    judge_fields(f"{what} observed", *_as_shown(expected.get("observed", {}), actual.get("observed", {})))


def _as_shown(expected: dict[str, Any], actual: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """An observation whose state names the policies it shows (docs/adapters.md "Group state") is judged on those:
    the expected state's policies as that adapter would show them."""
    state, model = actual.get("state"), expected.get("state")
    if not isinstance(state, dict) or POLICIES_SHOWN not in state:
        return expected, actual
    shown = state[POLICIES_SHOWN]
    actual = {**actual, "state": {k: v for k, v in state.items() if k != POLICIES_SHOWN}}
    if isinstance(model, dict) and isinstance(model.get("policies"), dict):
        expected = {**expected, "state": {**model, "policies": policies_shown(model["policies"], shown)}}
    return expected, actual


def profile_of(case: ScenarioCase) -> str:
    """The model profile a case was generated in (its first tag)."""
    return case.tags[0]


def scenario_case(name: str, description: str, rule: str, tags: list[str], steps: list[dict[str, Any]],
                  outcomes: list[dict[str, Any]], profile: str = "seed") -> ScenarioCase:
    """A case from steps and the outcomes the model gave in ``profile`` (also how counterexamples are saved)."""
    clients = sorted({s["client"] for s in steps} - {"network"})
    return ScenarioCase(
        id=case_id(FAMILY, f"{profile}/{name}"), description=description, rule=rule, tags=[profile, *tags],
        clients=clients,
        steps=[ScenarioStep(client=s["client"], action=s["action"], arguments=s.get("arguments", {}),
                            expected=StepExpected(result=o["result"], reason=o.get("reason"),
                                                  refusal_class=o.get("class")),
                            observed=o.get("observed", {}))
               for s, o in zip(steps, outcomes)])


PROFILES = ("seed", "libxmtp")
"""Every script runs in both of the model's profiles (spec_model.xmtp.profiles): where the seed and libxmtp
disagree (e.g. who may edit metadata), the two cases differ; an adapter is judged by its declared profile."""


def cases() -> list[ScenarioCase]:
    built = []
    for profile in PROFILES:
        for name, description, rule, tags, script in SCRIPTS + PROFILE_SCRIPTS.get(profile, []):
            steps = [_step(*s) for s in script]
            outcomes = answer({"steps": steps, "profile": profile})["steps"]
            built.append(scenario_case(name, description, rule, tags, steps, outcomes, profile))
    return built

# ------------------------------------------------------------------ the questions and answers, typed (``family.py``)

class StepQuestion(Exchange):
    client: str
    action: str
    arguments: dict[str, Any]


class Question(Exchange):
    ask: Literal["scenario"]
    profile: Literal["seed", "libxmtp"]
    clients: list[str]
    observe_all: bool = Field(description="observe the groups after every step, not only at observe steps")
    steps: list[StepQuestion]


class MemberObserved(Exchange):
    inbox_id: str
    permission_level: Literal["member", "admin", "super_admin"]
    installations: int
    addresses: list[str]


class GroupObserved(Exchange):
    """seed ``list_members`` and ``group_metadata`` and the MLS epoch, in names (its creation time left out)."""

    epoch: int | None
    active: bool
    added_by_inbox_id: str
    conversation_type: str
    creator_inbox_id: str
    attributes: dict[str, str]
    admins: list[str]
    super_admins: list[str]
    policies: PolicySet
    policies_shown: list[str] | None = Field(None, description="the policies an adapter's group_state shows, when "
                                             "it cannot show them all (docs/adapters.md \"Group state\")")
    members: list[MemberObserved]


class MetadataChangeObserved(Exchange):
    field: str
    old: str | None
    new: str | None


class TranscriptObserved(Exchange):
    """A GroupUpdated transcript (docs/xmtp-facts.md §6): who changed the group, and each list, in names."""

    initiated_by: str
    added_inboxes: list[str]
    removed_inboxes: list[str]
    left_inboxes: list[str]
    added_admin_inboxes: list[str]
    removed_admin_inboxes: list[str]
    added_super_admin_inboxes: list[str]
    removed_super_admin_inboxes: list[str]
    metadata: list[MetadataChangeObserved]


class MessageObserved(Exchange):
    """A stored message in names, without ids and times (``conformance.scenarios.driver.message_fields``)."""

    kind: str
    delivery_status: str
    sender_inbox_id: str
    content_type: str
    expires: bool = absent(description="true when the message carries an expiry")
    deleted_by: str = absent()
    text: str = absent()
    update: TranscriptObserved = absent()


class Observed(Exchange):
    """What one step observed (``conformance.scenarios.driver``): a group, or what its action read."""

    state: GroupObserved = absent()
    messages: list[MessageObserved] = absent()
    refused: str | None = absent(description="the refusal class of a client that may not see the group (null: none)")
    consent: str = absent(description="a consent record's state")
    listed: list[str] = absent(description="the groups listed, by name")
    found: list[MessageObserved] = absent(description="the messages find_messages found")
    streamed: list[str] | dict[str, list[MessageObserved]] = absent(
        description="a welcome stream's new groups, or a message stream's messages by group")
    notified: list[str] = absent(description="the notifications sent, as 'client: group or welcome'")
    key_package_rotated: bool = absent()


class StepAnswer(Exchange):
    """One step's outcome: its verdict, a refusal's reason and class, and what it observed."""

    result: Result
    reason: str | None
    class_: str | None = Field(None, alias="class", description="a refusal's class (docs/reason-codes.md)")
    observed: Observed = absent()


class Answer(Exchange):
    steps: list[StepAnswer]


EXCHANGES = {"scenario": (Question, Answer)}
