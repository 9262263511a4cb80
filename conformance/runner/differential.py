"""The differential state machine: random client scenarios run by the model and by the adapter, step by step.

A hypothesis ``RuleBasedStateMachine`` (``machine``) draws steps of the scenario vocabulary
(``conformance/scenarios/driver.py``): new users and installations, groups with random presets,
adds and removes by address or inbox id, admin and super-admin changes, metadata and permission
updates (allowed or not), messages, syncs, delivery faults and restarts. Each step runs first on
the model (the ``reference`` adapter in process, on its own delivery service) and then on the adapter
under test (on another); after every step both must agree on the verdict and on what the acting
client observes of the group (members, admins, metadata, policies, epoch, messages with their
statuses). At the end the faults stop, every client syncs until a round of syncs changes nothing, and
every client of a group must see the same group state as every other, in both worlds.

A difference fails the run; its steps are shrunk (``shrink``: cut after the failing step, then
drop steps while the difference remains), and the smallest failing sequence is written as a
scenario vector (format ``scenario``, family ``counterexamples``) that
``xmtp-conformance run --scenario FILE`` replays.
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test

from spec_model.xmtp.network import NetworkReason
from spec_model.xmtp.permissions import Option, Permission

from ..adapter import AdapterError, Session, connect
from ..scenarios.driver import Driver, ScenarioError, user_of
from ..vectors import Difference
from ..vectors.families.scenarios import judge_outcome, scenario_case
from ..vectors.formats import FILE_MODELS
from ..vectors.questions import judge_fields
from .checks import Check, Need

__all__ = ["Differential", "differential_checks", "run_differential", "write_counterexample", "STEPS_PER_RUN",
           "CONVERGE_ROUNDS"]

STEPS_PER_RUN = 25
CONVERGE_ROUNDS = 8
"""At most this many rounds of ``sync_all`` by every client at the end of a run (``Differential.converge``)."""
PER_INSTALLATION = ("active", "added_by_inbox_id")
"""What each installation sees of a group for itself: whether it is in it, and who added it (libxmtp
crates/xmtp_db/src/encrypted_store/group.rs@a53a97e ``added_by_inbox_id``: the inbox that added this
installation)."""
LONGEST_HOLD_S = 30
"""The longest a fault the machine draws holds messages back (``deliver_late``, 10 s × 1..3)."""
USERS = ("alice", "bob", "carol", "dave")
PRESETS = ("all_members", "admins_only")
TEXT_ATTRIBUTES = {"update_name": "name", "update_description": "description", "update_image_url": "url"}
POLICY_OPTIONS = [o.value for o in (Option.ALLOW, Option.DENY, Option.ADMIN_OR_SUPER_ADMIN, Option.SUPER_ADMIN_ONLY)]
ACTIONS = ["send"] * 3 + ["sync"] * 3 + ["change_members"] * 2 + ["change_admins"] * 2 + [
    "change_metadata", "change_policy", "sync_welcomes", "create_group", "new_client", "fault", "restart"]
"""The step kinds the machine draws from, repeated to weigh them (messages and syncs most often)."""
PERMISSIONS = [p.value for p in (Permission.ADD_MEMBER, Permission.REMOVE_MEMBER, Permission.ADD_ADMIN,
                                 Permission.REMOVE_ADMIN)]


class Differential:
    """Two worlds, the model's and the adapter's, driven by the same steps."""

    def __init__(self, session: Session, reference: Session):
        self.model = Driver(reference, observe_all=True, profile=session.profile)
        self.adapter = Driver(session, observe_all=True, profile=session.profile)
        self.steps: list[dict[str, Any]] = []
        self.outcomes: list[dict[str, Any]] = []

    def do(self, client: str, action: str, **arguments: Any) -> dict[str, Any]:
        step = {"client": client, "action": action, "arguments": arguments}
        self.steps.append(step)
        expected = self.model.step(step)
        self.outcomes.append(expected)
        actual = self.adapter.step(step)
        what = f"step {len(self.steps) - 1} ({client} {action} {json.dumps(arguments, sort_keys=True)})"
        judge_outcome(what, expected, actual)
        return expected

    def converge(self) -> None:
        """Faults stop (the clock passes every hold and refusal), everyone syncs round after round until a
        round changes nothing anyone observes, and everyone agrees.

        Two rounds are not always enough: a sync publishes at most one commit, and the model builds the
        next only once the last came back (docs/xmtp-facts.md §5), so a client with a queue of changes
        publishes the last of them in a late round, after the others' last sync. A queue of n commits
        needs about n + 1 rounds; ``CONVERGE_ROUNDS`` bounds them, and a group still moving then is judged
        as it stands.
        """
        # Past every hold, and no further: a clock moved 30 min would start the libxmtp profile's installation
        # re-check (libxmtp mls_sync.rs@b649d1a `maybe_update_installations`), which libxmtp times on its own
        # wall clock, not on the harness's (interop/libxmtp KNOWN_DIFFERENCES.md D5).
        self.do("network", "advance_clock", seconds=LONGEST_HOLD_S + 1)
        clients = list(self.model.clients)
        views: dict[tuple[str, str], dict[str, Any]] | None = None
        for _ in range(CONVERGE_ROUNDS):
            for client in clients:
                self.do(client, "sync_all")
            latest = {(group, client): self.do(client, "observe", group=group).get("observed", {})
                      for group in list(self.model.groups) for client in clients}
            if latest == views:
                break
            views = latest
        for group in list(self.model.groups):
            states = {client: views[group, client].get("state") for client in clients}
            seen = {client: {k: v for k, v in state.items() if k not in PER_INSTALLATION}
                    for client, state in states.items() if state and state["active"]}
            for client, state in seen.items():
                first, reference = next(iter(seen.items()))
                judge_fields(f"{group}: {client}'s view against {first}'s after everyone synced", reference, state)


def machine(session: Session, reference: Session, failures: list) -> type[RuleBasedStateMachine]:
    """The state machine class for one adapter session (and the model's session to compare with)."""

    class ClientsMachine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.run = Differential(session, reference)
            self.groups: list[str] = []

        def _do(self, client: str, action: str, **arguments: Any) -> dict[str, Any]:
            try:
                return self.run.do(client, action, **arguments)
            except AssertionError:
                failures.append(list(self.run.steps))
                raise

        @property
        def clients(self) -> list[str]:
            return self.run.model.clients

        @initialize(preset=st.sampled_from(PRESETS))
        def a_group_of_two(self, preset):
            for user in USERS[:3]:
                self._do(user, "create_client")
            self._do("alice", "create_group", group="g1", members=["bob"], permissions=preset)
            self.groups.append("g1")

        @rule(data=st.data(), action=st.sampled_from(ACTIONS))
        def act(self, data, action):
            """One step, drawn with the weights of ``ACTIONS``."""
            getattr(self, f"_{action}")(data)

        def _users(self) -> list[str]:
            return sorted({user_of(c) for c in self.clients})

        def _actor_and_group(self, data):
            return data.draw(st.sampled_from(self.clients)), data.draw(st.sampled_from(self.groups))

        def _send(self, data):
            actor, group = self._actor_and_group(data)
            action = data.draw(st.sampled_from(["send", "send_optimistic"]))
            self._do(actor, action, group=group, text=f"message {len(self.run.steps)}")

        def _sync(self, data):
            actor, group = self._actor_and_group(data)
            self._do(actor, "sync", group=group)

        def _sync_welcomes(self, data):
            everything = data.draw(st.booleans())
            self._do(data.draw(st.sampled_from(self.clients)), "sync_all" if everything else "sync_welcomes")

        def _change_members(self, data):
            actor, group = self._actor_and_group(data)
            action = data.draw(st.sampled_from(["add_members", "remove_members"]))
            target = data.draw(st.sampled_from(self._users()))
            self._do(actor, action, group=group, members=[target], by=data.draw(st.sampled_from(["address", "inbox_id"])))

        def _change_admins(self, data):
            actor, group = self._actor_and_group(data)
            action = data.draw(st.sampled_from(["add_admin", "remove_admin", "add_super_admin", "remove_super_admin"]))
            self._do(actor, action, group=group, member=data.draw(st.sampled_from(self._users())))

        def _change_metadata(self, data):
            actor, group = self._actor_and_group(data)
            action = data.draw(st.sampled_from(sorted(TEXT_ATTRIBUTES)))
            self._do(actor, action, group=group, **{TEXT_ATTRIBUTES[action]: data.draw(st.sampled_from(["x", "new"]))})

        def _change_policy(self, data):
            actor, group = self._actor_and_group(data)
            self._do(actor, "update_permission", group=group, permission=data.draw(st.sampled_from(PERMISSIONS)),
                     policy=data.draw(st.sampled_from(POLICY_OPTIONS)))

        def _create_group(self, data):
            creator = data.draw(st.sampled_from(self.clients))
            others = [u for u in self._users() if u != user_of(creator)]
            members = data.draw(st.lists(st.sampled_from(others), unique=True, max_size=3))
            name = f"g{len(self.groups) + 1}"
            outcome = self._do(creator, "create_group", group=name, members=members,
                               permissions=data.draw(st.sampled_from(PRESETS)),
                               by=data.draw(st.sampled_from(["address", "inbox_id"])))
            if outcome["result"] == "valid":
                self.groups.append(name)

        def _new_client(self, data):
            """A new user, or another installation of a user (at most 6 clients)."""
            if len(self.clients) >= 6:
                return self._sync_welcomes(data)
            new_users = [u for u in USERS if u not in self._users()]
            if new_users and data.draw(st.booleans()):
                return self._do(new_users[0], "create_client")
            user = data.draw(st.sampled_from(self._users()))
            count = sum(1 for c in self.clients if user_of(c) == user)
            self._do(f"{user}#{count + 1}", "create_client")

        def _fault(self, data):
            fault = data.draw(st.sampled_from(["fail_publishes", "response_lost", "duplicate_in_queries",
                                               "deliver_late"]))
            count = data.draw(st.integers(1, 3))
            if fault == "deliver_late":
                self._do("network", "deliver_late", seconds=LONGEST_HOLD_S // 3 * count)
            elif fault == "duplicate_in_queries":
                self._do("network", "duplicate_in_queries", count=count)
            else:
                self._do("network", "fail_publishes", count=count,
                         reason=(NetworkReason.RESPONSE_LOST if fault == "response_lost" else NetworkReason.UNAVAILABLE).value)

        def _restart(self, data):
            self._do(data.draw(st.sampled_from(self.clients)), "restart")

        def teardown(self):
            if not self.run.steps:
                return
            try:
                self.run.converge()
            except AssertionError:
                failures.append(list(self.run.steps))
                raise

    return ClientsMachine


def write_counterexample(path: Path, steps: list[dict[str, Any]], outcomes: list[dict[str, Any]],
                         message: str, profile: str = "seed") -> Path:
    """A replayable scenario vector of a failing sequence, with the model's outcomes as expected."""
    case = scenario_case("counterexample", f"Given these steps, When an implementation runs them, Then it "
                         f"behaves as the model does (found by the differential state machine: {message[:300]})",
                         "the model (differential state machine)", ["counterexample"], steps, outcomes, profile)
    document = FILE_MODELS["scenario"](format="scenario", schema="scenario.schema.json", family="counterexamples",
                                       generated_by="xmtp-conformance run (differential state machine)",
                                       cases=[case])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document.model_dump(by_alias=True, mode="json"), indent=1) + "\n")
    return path


@dataclasses.dataclass
class DifferentialOptions:
    examples: int = 20
    steps: int = STEPS_PER_RUN
    counterexamples: Path = Path("conformance-counterexamples")
    shrink_seconds: float = 60.0


def _replay(session: Session, reference: Session, steps: list[dict[str, Any]]) -> AssertionError | None:
    """Run ``steps`` in two fresh worlds; the difference they show, if any (a sequence that cannot run,
    such as a step by a client whose creation was shrunk away, shows none)."""
    run = Differential(session, reference)
    try:
        for step in steps:
            run.do(step["client"], step["action"], **step["arguments"])
    except AssertionError as e:
        return e
    except (AdapterError, ScenarioError):
        return None
    return None


def shrink(session: Session, reference: Session, steps: list[dict[str, Any]], budget_s: float) -> list[dict[str, Any]]:
    """The failing steps made smaller: cut after the failing step, then drop steps one at a time (last
    first) while the difference remains, within ``budget_s`` seconds. Hypothesis draws the sequences;
    this shrinks them as scenario steps, whose replays are cheap and bounded."""
    deadline = time.monotonic() + budget_s
    for i in range(len(steps) - 2, -1, -1):
        if time.monotonic() > deadline:
            break
        candidate = steps[:i] + steps[i + 1:]
        if _replay(session, reference, candidate) is not None:
            steps = candidate
    return steps


def run_differential(session: Session, options: DifferentialOptions) -> None:
    """Run the machine; on a difference, shrink it, write it as a scenario vector and raise it."""
    reference = connect("reference")
    failures: list = []
    try:
        run_state_machine_as_test(machine(session, reference, failures), settings=settings(
            max_examples=options.examples, stateful_step_count=options.steps, deadline=None, database=None,
            derandomize=True, suppress_health_check=list(HealthCheck), print_blob=False,
            report_multiple_bugs=False, phases=[Phase.explicit, Phase.reuse, Phase.generate]))
    except AssertionError as e:
        if not failures:
            raise
        steps = shrink(session, reference, failures[0], options.shrink_seconds)
        error = _replay(session, reference, steps) or e
        replayed = Differential(session, reference)
        outcomes = [replayed.model.step(step) for step in steps]  # the model's outcomes, as expected
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", session.label).strip("_")[:60] or "adapter"
        path = write_counterexample(options.counterexamples / f"{slug}.json", steps, outcomes, str(error),
                                    session.profile)
        raise Difference(f"{error.what if isinstance(error, Difference) else 'differential run'} "
                         f"(counterexample of {len(steps)} steps: {path})",
                         getattr(error, "expected", None), getattr(error, "actual", None)) from None
    finally:
        reference.close()


def differential_checks(options: DifferentialOptions) -> list[Check]:
    return [Check(id="differential/clients", needs=(Need("clients"),),
                  rule='seed "Conversations protocol", "Group protocol", XIP-47, facts §5: the adapter behaves as the '
                       "model, step by step",
                  run=lambda session: run_differential(session, options),
                  reproducer=f"xmtp-conformance run --scenario {options.counterexamples}/<adapter>.json "
                             f"(written on failure)",
                  description=f"{options.examples} random runs of up to {options.steps} steps")]
