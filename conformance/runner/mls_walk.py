"""One MLS group across several implementations through a seeded random walk, judged by the harness.

The sides are the model and any number of adapter sessions (two peers without the model:
``run --adapter A --peer B``; three implementations: ``tests/interop/test_mixed_three.py``). Members are added on
a drawn side by a drawn committer, removed, commit path updates and send application messages; every
handshake is a PublicMessage (mls-rs's bindings and core-crypto send no other). Every member processes every
message it did not send, and after every epoch the harness asks every member for its view and compares them:
the epoch and epoch authenticator (RFC 9420 §8.7) of every member that reports them (``mls.state``), and
``MLS-Exporter("exporter", "", 32)`` (§8.5) of every member (OpenMLS through core-crypto reports no
authenticator). Identities are Wire client ids, which core-crypto requires of the senders it hears.
A side that answers ``unsupported`` to removing by leaf (core-crypto) is not drawn to commit removes again.
"""

from __future__ import annotations

import dataclasses
import random
from typing import Callable

from spec_model.mls.group import ApplicationMessage, Group
from spec_model.mls.key_package import KeyPackageBundle, generate_key_package
from spec_model.mls.leaf_node import Capabilities, Credential, CredentialType
from spec_model.mls.message import MLSMessage
from spec_model.mls.proposals import Add, Remove
from spec_model.mls.ratchet_tree import RatchetTree
from spec_model.mls.suites import CipherSuite

from ..adapter import AdapterError, ErrorKind, Session
from ..vectors import expect
from .mls_interop import GROUP_ID

__all__ = ["MODEL", "Walk", "RefusedJoin"]

MODEL = "model"
EXPORTER = b"exporter"

RefusedJoin = Callable[[str, AdapterError, RatchetTree], bool]
"""Whether a side's refusal of a Welcome is a documented known issue (the side, the refusal, the tree): the walk
then removes the member that never joined and goes on."""


@dataclasses.dataclass
class Member:
    name: str  # its identity, a Wire client id
    side: str  # MODEL or an adapter's name
    group: Group | None = None  # the model's members


class Walk:
    """One group across ``sides`` (MODEL and the names of ``sessions``): every operation through the member's
    implementation, every member's view compared by ``agree``."""

    def __init__(self, cs: CipherSuite, sessions: dict[str, Session], rng: random.Random, *,
                 refused_join: RefusedJoin = lambda side, error, tree: False):
        self.cs, self.sessions, self.rng, self.refused_join = cs, sessions, rng, refused_join
        self.members: list[Member] = []
        self.count = 0
        self.tree: str | None = None  # the ratchet tree (hex) after the last commit
        self.no_remove: set[str] = set()  # sides that answered unsupported to removing by leaf
        self.no_state: set[str] = set()  # sides that answered unsupported to mls.state
        for session in sessions.values():
            session.fresh_network()

    def _identity(self) -> bytes:
        self.count += 1
        return f"0a1b2c3d-0000-4000-8000-{self.count:012x}:{self.count:x}@xmtp-conformance.invalid".encode()

    def _bundle(self, identity: bytes) -> KeyPackageBundle:
        signature_priv, _ = self.cs.generate_signature_key_pair()
        return generate_key_package(self.cs, Credential.basic(identity), signature_priv, capabilities=Capabilities(
            cipher_suites=(self.cs.id,), credentials=(CredentialType.basic, CredentialType.x509)))

    def found(self, side: str) -> None:
        """The group's first member, on ``side``."""
        identity = self._identity()
        member = Member(identity.decode(), side)
        if side == MODEL:
            bundle = self._bundle(identity)
            member.group = Group.create(self.cs, GROUP_ID, bundle.key_package.leaf_node, bundle.encryption_priv,
                                        bundle.signature_priv)
        else:
            session = self.sessions[side]
            session.ask("mls.new_member", member=member.name, cipher_suite=self.cs.id, identity=identity.hex())
            session.ask("mls.create_group", member=member.name, group_id=GROUP_ID.hex())
        self.members.append(member)

    def leaf_of(self, member: Member) -> int:
        """The member's leaf in the last committed tree (members are named by their unique identity)."""
        identity = member.name.encode()
        leaf, = (i for i, node in RatchetTree.decode(self.cs, bytes.fromhex(self.tree)).members()
                 if node.credential.identity == identity)
        return leaf

    def add(self, committer: Member, side: str) -> None:
        identity = self._identity()
        if side == MODEL:
            bundle = self._bundle(identity)
            key_package = MLSMessage(bundle.key_package).encode().hex()
        else:
            key_package = self.sessions[side].ask("mls.new_member", member=identity.decode(),
                                                  cipher_suite=self.cs.id, identity=identity.hex())["key_package"]
        welcome, tree = self.commit(committer, add=[key_package])
        joiner = Member(identity.decode(), side)
        if side == MODEL:
            joiner.group = Group.join(MLSMessage.decode(bytes.fromhex(welcome)).body, bundle.key_package,
                                      bundle.init_priv, bundle.encryption_priv, bundle.signature_priv,
                                      ratchet_tree=RatchetTree.decode(self.cs, bytes.fromhex(tree)))
        else:
            try:
                self.sessions[side].ask("mls.join", member=joiner.name, welcome=welcome, ratchet_tree=tree)
            except AdapterError as e:
                if not self.refused_join(side, e, RatchetTree.decode(self.cs, bytes.fromhex(tree))):
                    raise
                if self.remove(self.members, joiner) is None:  # it never joined
                    raise
                return
        self.members.append(joiner)

    def commit(self, committer: Member, *, add: list[str] = (), remove: list[int] = ()) -> tuple:
        """The committer's commit (then merged), processed by every other member; (welcome, tree) hex."""
        if committer.group is not None:
            pending = committer.group.commit(tuple(Add(MLSMessage.decode(bytes.fromhex(kp)).body) for kp in add)
                                             + tuple(Remove(i) for i in remove))
            committer.group.merge_pending_commit()
            commit = pending.message.encode().hex()
            welcome = pending.welcome.encode().hex() if pending.welcome else None
            tree = committer.group.tree.encode().hex()
        else:
            session = self.sessions[committer.side]
            made = session.ask("mls.commit", member=committer.name, add=list(add), remove=list(remove))
            session.ask("mls.merge", member=committer.name)
            commit, welcome, tree = made["commit"], made["welcome"], made["ratchet_tree"]
        self.tree = tree
        for member in list(self.members):
            if member is not committer and not self.deliver(member, commit)[1]:
                self.members.remove(member)  # removed by this commit (RFC 9420 §12.4.2)
        return welcome, tree

    def deliver(self, member: Member, message: str) -> tuple[bytes | None, bool]:
        """The member processes the message: (application data, still active)."""
        if member.group is not None:
            done = member.group.process(MLSMessage.decode(bytes.fromhex(message)))
            return (done.data if isinstance(done, ApplicationMessage) else None), member.group.active
        done = self.sessions[member.side].ask("mls.process", member=member.name, message=message)
        return (bytes.fromhex(done["data"]) if done["data"] is not None else None), done["active"]

    def send(self, sender: Member, data: bytes) -> None:
        if sender.group is not None:
            message = sender.group.send_application(data).encode().hex()
        else:
            message = self.sessions[sender.side].ask("mls.protect", member=sender.name, data=data.hex())["message"]
        for member in self.members:
            if member is not sender:
                expect(f"{member.name} ({member.side}) decrypts {sender.name}'s message", data,
                       self.deliver(member, message)[0])

    def remove(self, others: list[Member], target: Member | None = None) -> tuple[Member, Member] | None:
        """A drawn member able to remove by leaf removes ``target`` (default: one drawn from ``others``, not
        itself); (remover, removed), or None if no member's implementation can."""
        while able := [m for m in self.members if m.side not in self.no_remove and m is not target]:
            committer = self.rng.choice(able)
            removed = target or self.rng.choice([m for m in others if m is not committer])
            try:
                self.commit(committer, remove=[self.leaf_of(removed)])
            except AdapterError as e:
                if e.kind is not ErrorKind.UNSUPPORTED or committer.group is not None:
                    raise
                self.no_remove.add(committer.side)
                continue
            return committer, removed
        return None

    def _view(self, member: Member) -> tuple[tuple[int, str] | None, str]:
        """(epoch, epoch authenticator) if the member reports them, and its exporter secret."""
        if member.group is not None:
            return ((member.group.epoch, member.group.epoch_authenticator.hex()),
                    member.group.export_secret(EXPORTER, b"", 32).hex())
        session, state = self.sessions[member.side], None
        if member.side not in self.no_state:
            try:
                reported = session.ask("mls.state", member=member.name)
                state = (reported["epoch"], reported["epoch_authenticator"])
            except AdapterError as e:
                if e.kind is not ErrorKind.UNSUPPORTED:
                    raise
                self.no_state.add(member.side)
        secret = session.ask("mls.export", member=member.name, label=EXPORTER.hex(), context="", length=32)["secret"]
        return state, secret

    def agree(self, when: str) -> None:
        """Every member's view against the first member's: the same epoch and authenticator where reported, the
        same exporter secret everywhere."""
        views = [(member, *self._view(member)) for member in self.members]
        first_state = next((state for _, state, _ in views if state is not None), None)
        first = views[0]
        for member, state, secret in views:
            if state is not None:
                expect(f"{when}: {member.name} ({member.side})'s (epoch, epoch authenticator)", first_state, state)
            expect(f"{when}: {member.name} ({member.side})'s exporter secret against {first[0].name}'s", first[2],
                   secret)

    def grow(self, sides: list[str]) -> None:
        """Founded on ``sides[0]``, then two members more of each side in turn, each added by the newest member."""
        self.found(sides[0])
        for side in [*sides[1:], *sides]:
            self.add(self.members[-1], side)
            self.agree(f"growing to {len(self.members)}")

    def step(self, sides: list[str]) -> str:
        """One drawn operation (the founder stays: someone must be left); its description."""
        rng = self.rng
        others = self.members[1:]
        kind = rng.choice(["add", "remove", "update", "message"] if len(others) > 2 else ["add", "update", "message"])
        if kind == "add":
            committer, side = rng.choice(self.members), rng.choice(sides)
            self.add(committer, side)
            return f"{committer.name} ({committer.side}) adds a member on {side}"
        if kind == "remove":
            if (done := self.remove(others)) is None:
                return "no member can remove by leaf"
            remover, removed = done
            return f"{remover.name} ({remover.side}) removes {removed.name} ({removed.side})"
        if kind == "update":
            committer = rng.choice(self.members)
            self.commit(committer)
            return f"{committer.name} ({committer.side}) commits a path update"
        sender = rng.choice(self.members)
        self.send(sender, f"from {sender.name}".encode())
        return f"{sender.name} ({sender.side}) sends a message"

    def walk(self, sides: list[str], steps: int) -> None:
        """Grow the group over ``sides``, then ``steps`` drawn operations, every member's view compared after each."""
        self.grow(sides)
        expect("the sides with members", set(sides), {m.side for m in self.members})
        for step in range(steps):
            what = self.step(sides)
            self.agree(f"step {step}: {what}")
