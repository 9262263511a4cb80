"""Client scenarios (seed "Conversations protocol", "Group protocol", "Delivery status", "Permissions"):
several named clients over one delivery service, each step with its outcome and what it observed.

Each case is a script run by the model through the ``reference`` adapter (``conformance.scenarios.
driver``: names for users, groups and clients; the ``network`` client injects faults). The expected
outcome of every step and every ``observe`` is what the model did.

Each script is a case in each profile of the model (``scenarios::seed/<name>``, ``scenarios::libxmtp/<name>``);
an adapter runs those of the profile it declares (``clients.profiles``).

Questions: one, ``{"ask": "scenario", "profile", "clients": [...], "observe_all": bool, "steps": [{client,
action, arguments}]}`` (``observe_all``: observe the group after every step naming one, not only at ``observe``),
answered not by ``xmtp.answer`` but by the harness driving the steps through the adapter's
``clients`` capability (``answer`` does that with the model). The answer is ``{"steps": [{result,
reason, observed?}]}``. Judged: every step's verdict (``valid``/``invalid``; refusal reasons are
reported but not compared, since SDKs name their errors differently) and every observation, field by field.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from .. import case_id, expect
from ..family import Exchange
from ..formats import Expected, ScenarioCase, ScenarioStep
from ..questions import judge_fields

FORMAT = "scenario"
AREA = "conversations"
FAMILY = "scenarios"

S = tuple[str, str, dict[str, Any]]


def _users(*names: str) -> list[S]:
    return [(name, "create_client", {}) for name in names]


def _observe(group: str, *clients: str) -> list[S]:
    return [(client, "observe", {"group": group}) for client in clients]


def _welcomed(*clients: str) -> list[S]:
    return [(client, "sync_welcomes", {}) for client in clients]


def _synced(group: str, *clients: str) -> list[S]:
    return [(client, "sync", {"group": group}) for client in clients]


SCRIPTS: list[tuple[str, str, str, list[str], list[S]]] = [
    ("group_by_address_send_and_read",
     "Given three users, When alice creates a group with bob and carol by address and sends a message, "
     "Then bob and carol join from their Welcomes (and bob's key package is replaced) and read it; everyone "
     "sees the same members and metadata",
     'seed "Conversations protocol" create_group (key packages rotated after a Welcome), "Group protocol" '
     'send/sync/list_members', ["conversations", "key packages"],
     [*_users("alice", "bob", "carol"),
      ("alice", "create_group", {"group": "g", "members": ["bob", "carol"], "name": "Team"}),
      ("alice", "send", {"group": "g", "text": "hello"}),
      ("network", "key_package_rotated", {"client": "bob"}),
      *_welcomed("bob", "carol"), ("network", "key_package_rotated", {"client": "bob"}),
      *_synced("g", "bob", "carol"),
      ("bob", "send", {"group": "g", "text": "hi alice"}), *_synced("g", "alice", "carol"),
      *_observe("g", "alice", "bob", "carol")]),
    ("add_by_inbox_id_remove_by_address",
     "Given a group of alice and bob, When alice adds carol by inbox id and then removes bob by address, "
     "Then carol joins, bob sees himself removed and can no longer send",
     'seed "Group protocol" add_members_by_inbox_id, remove_members, is_active', ["conversations", "membership"],
     [*_users("alice", "bob", "carol"),
      ("alice", "create_group", {"group": "g", "members": ["bob"]}), *_welcomed("bob"),
      ("alice", "add_members", {"group": "g", "members": ["carol"], "by": "inbox_id"}), *_welcomed("carol"),
      ("alice", "remove_members", {"group": "g", "members": ["bob"]}), *_synced("g", "bob", "carol"),
      ("bob", "send", {"group": "g", "text": "am I still here?"}),
      *_observe("g", "alice", "bob", "carol")]),
    ("admins_only_preset",
     "Given an admins-only group created by alice with bob and carol, When bob (a member) tries to add dave, "
     "Then it is refused; When alice makes bob an admin, Then bob can add dave",
     "XIP-47 Admins Only preset; add_member_policy admin_or_super_admin", ["permissions"],
     [*_users("alice", "bob", "carol", "dave"),
      ("alice", "create_group", {"group": "g", "members": ["bob", "carol"], "permissions": "admins_only"}),
      *_welcomed("bob", "carol"),
      ("bob", "add_members", {"group": "g", "members": ["dave"]}),
      ("alice", "add_admin", {"group": "g", "member": "bob"}), *_synced("g", "bob"),
      ("bob", "add_members", {"group": "g", "members": ["dave"]}), *_welcomed("dave"),
      *_observe("g", "alice", "bob", "dave")]),
    ("super_admin_protected",
     "Given alice (super admin) and bob (admin), When bob tries to remove alice or demote her, Then both are "
     "refused; When alice demotes bob, Then he is a plain member again",
     "XIP-47 Threat Model: admins cannot remove super admins; only super admins change admin lists",
     ["permissions", "admins"],
     [*_users("alice", "bob", "carol"),
      ("alice", "create_group", {"group": "g", "members": ["bob", "carol"]}), *_welcomed("bob", "carol"),
      ("alice", "add_admin", {"group": "g", "member": "bob"}), *_synced("g", "bob"),
      ("bob", "remove_members", {"group": "g", "members": ["alice"]}),
      ("bob", "remove_super_admin", {"group": "g", "member": "alice"}),
      ("alice", "add_super_admin", {"group": "g", "member": "carol"}),
      ("alice", "remove_admin", {"group": "g", "member": "bob"}), *_synced("g", "bob", "carol"),
      *_observe("g", "alice", "bob", "carol")]),
    ("metadata_updates",
     "Given an all-members group (seed profile: XIP-47 All Members lets admins edit metadata), When bob (a "
     "member) changes the name or image, Then he is refused; When alice (super admin) changes the "
     "description, Then every member sees it and a transcript message",
     'seed "Group protocol" update_name/description/image_url; XIP-47 All Members; facts §6 GroupUpdated',
     ["metadata", "permissions"],
     [*_users("alice", "bob"),
      ("alice", "create_group", {"group": "g", "members": ["bob"], "name": "Before"}), *_welcomed("bob"),
      ("bob", "update_name", {"group": "g", "name": "After"}),
      ("alice", "update_description", {"group": "g", "description": "what we do"}),
      ("bob", "update_image_url", {"group": "g", "url": "https://example.com/g.png"}),
      *_synced("g", "alice", "bob"), *_observe("g", "alice", "bob")]),
    ("permission_update_by_super_admin",
     "Given an all-members group, When the super admin restricts add_member to admins and bob then tries "
     "to add carol, Then bob is refused; a member cannot change permissions",
     "XIP-47 update_permissions_policy (super admins only)", ["permissions"],
     [*_users("alice", "bob", "carol"),
      ("alice", "create_group", {"group": "g", "members": ["bob"]}), *_welcomed("bob"),
      ("bob", "update_permission", {"group": "g", "permission": "add_member_policy", "policy": "allow"}),
      ("alice", "update_permission", {"group": "g", "permission": "add_member_policy",
                                      "policy": "allow_if_admin_or_super_admin"}), *_synced("g", "bob"),
      ("bob", "add_members", {"group": "g", "members": ["carol"]}),
      *_observe("g", "alice", "bob")]),
    ("dm_both_ways",
     "Given alice and bob, When alice opens a DM with bob and both send, Then both read both messages and "
     "the DM's metadata names it a DM",
     "libxmtp create_dm (facts §3.1); seed DMs", ["conversations", "dm"],
     [*_users("alice", "bob"),
      ("alice", "create_dm", {"group": "dm", "with": "bob"}), ("alice", "send", {"group": "dm", "text": "psst"}),
      *_welcomed("bob"), *_synced("dm", "bob"), ("bob", "send", {"group": "dm", "text": "yes?"}),
      *_synced("dm", "alice"), *_observe("dm", "alice", "bob")]),
    ("publish_fails_three_times",
     "Given a group, When the next three publishes fail and alice sends, Then the message ends Failed; "
     "When one publish fails, Then the next send is retried and Published",
     'facts §5 MAX_INTENT_PUBLISH_ATTEMPTS; seed "Delivery status"', ["delivery"],
     [*_users("alice", "bob"),
      ("alice", "create_group", {"group": "g", "members": ["bob"]}), *_welcomed("bob"),
      ("network", "fail_publishes", {"count": 3}), ("alice", "send", {"group": "g", "text": "lost"}),
      ("network", "fail_publishes", {"count": 1}), ("alice", "send", {"group": "g", "text": "retried"}),
      *_synced("g", "bob"), *_observe("g", "alice", "bob")]),
    ("response_lost_sent_once",
     "Given a group, When alice's publish is stored but its response is lost, Then a later sync publishes "
     "nothing twice: bob reads the message once and alice sees it Published",
     "facts §5 (same bytes resent; the node ignores a copy, §7.2)", ["delivery"],
     [*_users("alice", "bob"),
      ("alice", "create_group", {"group": "g", "members": ["bob"]}), *_welcomed("bob"),
      ("network", "fail_publishes", {"count": 1, "reason": "response_lost"}),
      ("alice", "send_optimistic", {"group": "g", "text": "once"}), *_synced("g", "alice", "alice", "bob"),
      *_observe("g", "alice", "bob")]),
    ("optimistic_then_sync",
     "Given a group, When alice sends optimistically, Then her message is Unpublished until she syncs, "
     "and Published after",
     'libxmtp send_message_optimistic; seed "Delivery status"', ["delivery"],
     [*_users("alice", "bob"),
      ("alice", "create_group", {"group": "g", "members": ["bob"]}), *_welcomed("bob"),
      ("alice", "send_optimistic", {"group": "g", "text": "soon"}), *_observe("g", "alice"),
      *_synced("g", "alice", "bob"), *_observe("g", "alice", "bob")]),
    ("duplicated_and_late_messages",
     "Given a group, When queries repeat envelopes and messages arrive late, Then each message is stored "
     "once, in order, once it arrives",
     "facts §7.2 (cursors; duplicates dropped)", ["delivery", "network"],
     [*_users("alice", "bob"),
      ("alice", "create_group", {"group": "g", "members": ["bob"]}), *_welcomed("bob"),
      ("network", "duplicate_in_queries", {"count": 3}), ("network", "deliver_late", {"seconds": 30}),
      ("alice", "send_optimistic", {"group": "g", "text": "one"}), ("alice", "send_optimistic", {"group": "g", "text": "two"}),
      *_synced("g", "alice", "bob"), ("network", "advance_clock", {"seconds": 60}),
      *_synced("g", "alice", "bob"), *_observe("g", "alice", "bob")]),
    ("second_installation",
     "Given alice in a group, When she adds a second installation and a member updates installations, "
     "Then both of alice's installations read new messages",
     'seed: "a one-person group reaches all of that person\'s installations"; libxmtp update_installations',
     ["installations"],
     [*_users("alice", "bob"),
      ("alice", "create_group", {"group": "g", "members": ["bob"]}), *_welcomed("bob"),
      ("alice#2", "create_client", {}), ("bob", "update_installations", {"group": "g"}),
      *_welcomed("alice#2"), ("bob", "send", {"group": "g", "text": "both of you"}),
      *_synced("g", "alice", "alice#2"), *_observe("g", "alice", "alice#2", "bob")]),
    ("restart_from_database",
     "Given alice in a group with messages, When her client restarts from its database, Then she still sees "
     "the group and its messages and can send",
     'seed "Local database and syncing"', ["database"],
     [*_users("alice", "bob"),
      ("alice", "create_group", {"group": "g", "members": ["bob"]}), ("alice", "send", {"group": "g", "text": "before"}),
      ("alice", "restart", {}), ("alice", "send", {"group": "g", "text": "after"}), *_welcomed("bob"),
      *_synced("g", "bob"), *_observe("g", "alice", "bob")]),
    ("leave_request",
     "Given alice (super admin), bob and carol, When bob leaves, Then alice's next sync removes him and the "
     "transcript lists him as left",
     "XIP-75 self-removal (LeaveRequest, removed by a super admin)", ["membership"],
     [*_users("alice", "bob", "carol"),
      ("alice", "create_group", {"group": "g", "members": ["bob", "carol"]}), *_welcomed("bob", "carol"),
      ("bob", "leave", {"group": "g"}), *_synced("g", "alice", "carol", "bob"),
      *_observe("g", "alice", "bob", "carol")]),
    ("history_sync_to_new_installation",
     "Given alice's group with a message, When her new installation asks for history and her first answers, "
     "Then the new installation holds the group's metadata and messages, read-only until it is added",
     "facts §9 history sync (DeviceSyncRequest, archive upload, import); RestoredGroup", ["history sync"],
     [*_users("alice", "bob"),
      ("alice", "create_group", {"group": "g", "members": ["bob"], "name": "Archive"}),
      ("alice", "send", {"group": "g", "text": "old news"}), ("alice#2", "create_client", {}),
      ("alice#2", "history_sync", {"request": True}), ("alice", "history_sync", {"request": False}),
      ("alice#2", "history_sync", {"request": False}), *_observe("g", "alice#2"),
      ("alice#2", "send", {"group": "g", "text": "can I write?"})]),
    ("consent_records",
     "Given alice's group with bob, Then it is allowed for alice (she created it) and unknown for bob "
     "until he sends; When alice denies bob and the group, Then reading the records gives denied",
     "facts §10 consent records", ["consent"],
     [*_users("alice", "bob"),
      ("alice", "create_group", {"group": "g", "members": ["bob"]}), *_welcomed("bob"),
      ("bob", "consent", {"entity_type": "conversation_id", "entity": "g"}),
      ("bob", "send", {"group": "g", "text": "count me in"}),
      ("bob", "consent", {"entity_type": "conversation_id", "entity": "g"}),
      ("alice", "consent", {"entity_type": "conversation_id", "entity": "g"}),
      ("alice", "consent", {"entity_type": "inbox_id", "entity": "bob", "state": "denied"}),
      ("alice", "consent", {"entity_type": "conversation_id", "entity": "g", "state": "denied"}),
      ("alice", "consent", {"entity_type": "inbox_id", "entity": "bob"})]),
]


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
        what = f"{case.id} step {i} ({step.client} {step.action})"
        expect(f"{what} result", step.expected.result, got.get("result"))
        judge_fields(f"{what} observed", step.observed, got.get("observed", {}))


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
                            expected=Expected(result=o["result"], reason=o.get("reason")),
                            observed=o.get("observed", {}))
               for s, o in zip(steps, outcomes)])


PROFILES = ("seed", "libxmtp")
"""Every script runs in both of the model's profiles (spec_model.xmtp.profiles): where the seed and libxmtp
disagree (e.g. who may edit metadata), the two cases differ; an adapter is judged by its declared profile."""


def cases() -> list[ScenarioCase]:
    built = []
    for profile in PROFILES:
        for name, description, rule, tags, script in SCRIPTS:
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


class Answer(Exchange):
    steps: list[dict[str, Any]] = Field(description="per step: its result, reason and what the client observed")


EXCHANGES = {"scenario": (Question, Answer)}
