"""A group of several members, some run by the model and some by the adapter, through random epochs.

A hypothesis ``RuleBasedStateMachine`` starts a group on one side (drawn), grows it to six members
split across both implementations, then draws operations: adds, removes, empty commits (path
updates), update and remove proposals committed by reference by another member, and application
messages, each handshake as a PublicMessage or a PrivateMessage. Every member processes every
message it is not the author of. After every epoch all members must agree on the epoch and the
epoch authenticator (RFC 9420 §8.7); every application message must decrypt to its data everywhere.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Iterator

from hypothesis import HealthCheck, Phase, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule, run_state_machine_as_test

from spec_model.mls.group import ApplicationMessage, Group
from spec_model.mls.message import MLSMessage
from spec_model.mls.proposals import Add, Remove
from spec_model.mls.ratchet_tree import RatchetTree
from spec_model.mls.suites import CipherSuite, suite

from ..adapter import Session
from ..vectors import expect
from .checks import Check, Need
from .mls_interop import GROUP_ID, member_bundle, model_accepts
from .vector_checks import accepted

__all__ = ["mixed_group_checks", "MIXED_EXAMPLES", "MIXED_STEPS", "MIXED_SUITES"]

MIXED_EXAMPLES = 3
MIXED_STEPS = 30
GROUP_SIZE = 6
MIXED_SUITES = (1, 3)
"""XMTP's suite (1) and the ChaCha20 one (3): about 33 epochs per run, 2-3 s per suite against the model; the
other suites' groups are shared in ``mls_interop``'s checks."""


@dataclasses.dataclass
class _Member:
    name: str
    on_adapter: bool
    group: Group | None = None  # the model's members only


class _Mixed:
    """The group as both implementations hold it; every operation through the right side."""

    def __init__(self, session: Session, cs: CipherSuite):
        self.session, self.cs = session, cs
        self.members: list[_Member] = []
        self.count = 0

    # ------------------------------------------------------------------ one member, either side

    def _new(self, on_adapter: bool) -> tuple[_Member, str, object]:
        self.count += 1
        member = _Member(f"m{self.count}", on_adapter)
        if on_adapter:
            kp = self.session.ask("mls.new_member", member=member.name, cipher_suite=self.cs.id,
                                  identity=member.name.encode().hex())["key_package"]
            return member, kp, None
        bundle = member_bundle(self.cs, member.name.encode())
        return member, MLSMessage(bundle.key_package).encode().hex(), bundle

    def leaf_of(self, member: _Member) -> int:
        if member.on_adapter:
            return self.session.ask("mls.state", member=member.name)["own_leaf"]
        return member.group.own_leaf

    def start(self, on_adapter: bool) -> None:
        member, _, bundle = self._new(on_adapter)
        if on_adapter:
            self.session.ask("mls.create_group", member=member.name, group_id=GROUP_ID.hex())
        else:
            member.group = Group.create(self.cs, GROUP_ID, bundle.key_package.leaf_node, bundle.encryption_priv,
                                        bundle.signature_priv)
        self.members.append(member)

    def commit(self, committer: _Member, *, add: list[str] = (), remove: list[int] = (), private: bool) -> tuple:
        """The committer's commit (then merged), processed by every other member; (welcome, tree) hex."""
        if committer.on_adapter:
            made = accepted(self.session, "a commit", "mls.commit", member=committer.name, add=list(add),
                            remove=list(remove), private=private)
            self.session.ask("mls.merge", member=committer.name)
            commit, welcome, tree = made["commit"], made["welcome"], made["ratchet_tree"]
        else:
            group = committer.group
            pending = group.commit(tuple(Add(MLSMessage.decode(bytes.fromhex(kp)).body) for kp in add)
                                   + tuple(Remove(i) for i in remove), private=private)
            group.merge_pending_commit()
            commit = pending.message.encode().hex()
            welcome = pending.welcome.encode().hex() if pending.welcome else None
            tree = group.tree.encode().hex()
        for member in list(self.members):
            if member is committer:
                continue
            processed = self.deliver(member, commit, "a commit")
            if not (processed["active"] if member.on_adapter else member.group.active):
                self.members.remove(member)  # removed by this commit (RFC 9420 §12.4.2)
        return welcome, tree

    def deliver(self, member: _Member, message: str, what: str):
        if member.on_adapter:
            return accepted(self.session, f"{member.name} processes {what}", "mls.process", member=member.name,
                            message=message)
        return model_accepts(f"{what} (by {member.name})",
                              lambda: member.group.process(MLSMessage.decode(bytes.fromhex(message))))

    def add(self, committer: _Member, on_adapter: bool, private: bool) -> None:
        member, kp, bundle = self._new(on_adapter)
        welcome, tree = self.commit(committer, add=[kp], private=private)
        if on_adapter:
            accepted(self.session, f"{member.name} joins", "mls.join", member=member.name, welcome=welcome,
                     ratchet_tree=tree)
        else:
            member.group = model_accepts(f"the Welcome (for {member.name})", lambda: Group.join(
                MLSMessage.decode(bytes.fromhex(welcome)).body, bundle.key_package, bundle.init_priv,
                bundle.encryption_priv, bundle.signature_priv, ratchet_tree=RatchetTree.decode(
                    self.cs, bytes.fromhex(tree))))
        self.members.append(member)

    def propose(self, proposer: _Member, *, remove: int | None, private: bool) -> None:
        """An update (``remove`` None) or remove proposal, processed by everyone else, kept for a commit."""
        if proposer.on_adapter:
            message = accepted(self.session, "a proposal", "mls.propose", member=proposer.name, remove=remove,
                               update=remove is None, private=private)["message"]
        elif remove is None:
            message = proposer.group.update_proposal(private=private)[0].encode().hex()
        else:
            message = proposer.group.propose(Remove(remove), private=private).encode().hex()
        for member in self.members:
            if member is not proposer:
                self.deliver(member, message, "a proposal")

    def send(self, sender: _Member, data: bytes) -> None:
        if sender.on_adapter:
            message = self.session.ask("mls.protect", member=sender.name, data=data.hex())["message"]
        else:
            message = sender.group.send_application(data).encode().hex()
        for member in self.members:
            if member is sender:
                continue
            got = self.deliver(member, message, "an application message")
            got = got.data.hex() if isinstance(got, ApplicationMessage) else got["data"]
            expect(f"{member.name} decrypts {sender.name}'s message", data.hex(), got)

    def agree(self, when: str) -> None:
        views = {}
        for member in self.members:
            if member.on_adapter:
                state = self.session.ask("mls.state", member=member.name)
                views[member.name] = (state["epoch"], state["epoch_authenticator"])
            else:
                views[member.name] = (member.group.epoch, member.group.epoch_authenticator.hex())
        first = next(iter(views))
        for name, view in views.items():
            expect(f"{when}: {name}'s (epoch, epoch authenticator) against {first}'s", views[first], view)


def machine(session: Session, cs: CipherSuite) -> type[RuleBasedStateMachine]:
    class MixedGroup(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            session.ask("reset")
            self.group = _Mixed(session, cs)
            self.epochs = 0

        def _committed(self, what: str) -> None:
            self.epochs += 1
            self.group.agree(f"epoch {self.epochs} ({what})")

        @initialize(data=st.data())
        def grow(self, data):
            sides = [True, False] * (GROUP_SIZE // 2)
            first = sides.pop(data.draw(st.integers(0, len(sides) - 1)))
            self.group.start(first)
            for on_adapter in sides:
                committer = data.draw(st.sampled_from(self.group.members))
                self.group.add(committer, on_adapter, data.draw(st.booleans()))
                self._committed(f"{committer.name} adds a member")

        @rule(data=st.data(), on_adapter=st.booleans(), private=st.booleans())
        def add(self, data, on_adapter, private):
            committer = data.draw(st.sampled_from(self.group.members))
            self.group.add(committer, on_adapter, private)
            self._committed(f"{committer.name} adds a member")

        @precondition(lambda self: len(self.group.members) > 3)
        @rule(data=st.data(), private=st.booleans())
        def remove(self, data, private):
            committer, target = data.draw(st.lists(st.sampled_from(self.group.members), min_size=2, max_size=2,
                                                   unique_by=lambda m: m.name))
            self.group.commit(committer, remove=[self.group.leaf_of(target)], private=private)
            self._committed(f"{committer.name} removes {target.name}")

        @rule(data=st.data(), private=st.booleans())
        def path_update(self, data, private):
            committer = data.draw(st.sampled_from(self.group.members))
            self.group.commit(committer, private=private)
            self._committed(f"{committer.name} commits a path update")

        @precondition(lambda self: len(self.group.members) > 3)
        @rule(data=st.data(), kind=st.sampled_from(["update", "remove"]), private=st.booleans())
        def by_reference(self, data, kind, private):
            proposer, committer, target = data.draw(st.lists(
                st.sampled_from(self.group.members), min_size=3, max_size=3, unique_by=lambda m: m.name))
            self.group.propose(proposer, remove=self.group.leaf_of(target) if kind == "remove" else None,
                               private=private)
            self.group.commit(committer, private=private)
            self._committed(f"{committer.name} commits {proposer.name}'s {kind} proposal by reference")

        @rule(data=st.data())
        def message(self, data):
            sender = data.draw(st.sampled_from(self.group.members))
            self.group.send(sender, f"epoch {self.epochs} from {sender.name}".encode())

    return MixedGroup


def mixed_group(cs: CipherSuite, session: Session, *, examples: int = MIXED_EXAMPLES, steps: int = MIXED_STEPS) -> None:
    """Random epochs of a six-member group split across the model and the adapter."""
    run_state_machine_as_test(machine(session, cs), settings=settings(
        max_examples=examples, stateful_step_count=steps, deadline=None, database=None, derandomize=True,
        suppress_health_check=list(HealthCheck), report_multiple_bugs=False,
        phases=[Phase.explicit, Phase.reuse, Phase.generate]))


def mixed_group_checks() -> Iterator[Check]:
    for cipher_suite in MIXED_SUITES:
        yield Check(id=f"interop/suite{cipher_suite}/mixed_group_random",
                    rule="RFC 9420 §8.7, §12 (a group split across two implementations agrees at every epoch)",
                    needs=(Need("mls", "cipher_suites", cipher_suite),),
                    run=functools.partial(mixed_group, suite(cipher_suite)),
                    reproducer=f"xmtp-conformance run --include 'interop/suite{cipher_suite}/mixed_group_random'",
                    description=mixed_group.__doc__)
