"""Groups of three implementations at once, through random epochs: the model with ts-mls and mls-rs (suite 1),
and the model with ts-mls and OpenMLS through core-crypto (suite 3).

A seeded random walk: members added on a drawn implementation by a drawn committer, removed, path updates,
application messages; every handshake is a PublicMessage (mls-rs's bindings and core-crypto send no other).
Every member processes every message it did not send, and after every epoch all agree: the same epoch and
epoch authenticator (RFC 9420 §8.7) for the members that report it, and, for OpenMLS members, whose API
reports no authenticator, the same ``MLS-Exporter("exporter", "", 32)`` (§8.5) as the model's founder.
Every member's identity is a Wire client id, which core-crypto requires of the senders it hears.
"""

from __future__ import annotations

import dataclasses
import random

import pytest

from conformance.adapter import AdapterError, Session, connect
from conformance.runner.mls_interop import GROUP_ID
from spec_model.mls.group import ApplicationMessage, Group
from spec_model.mls.key_package import KeyPackageBundle, generate_key_package
from spec_model.mls.leaf_node import Capabilities, Credential, CredentialType
from spec_model.mls.message import MLSMessage
from spec_model.mls.proposals import Add, Remove
from spec_model.mls.ratchet_tree import RatchetTree
from spec_model.mls.suites import CipherSuite, suite
from spec_model.mls.tree_math import direct_path, leaf_to_node

pytest.importorskip("mls_rs_uniffi", reason="pip install -e '.[mls-rs]'")

STEPS = 30
EXPORTER = b"exporter"
CAN_REMOVE = {"model", "ts-mls", "mls-rs"}  # core-crypto cannot name a leaf to remove


@pytest.fixture(scope="module")
def peers():
    sessions = {name: connect(name) for name in ("ts-mls", "mls-rs", "openmls")}
    yield sessions
    for session in sessions.values():
        session.close()


@dataclasses.dataclass
class Member:
    name: str
    side: str  # "model" or a peer's adapter name
    group: Group | None = None  # the model's members


def ts_mls_may_refuse(tree: RatchetTree) -> bool:
    """ts-mls KNOWN_ISSUES.md 1 (interop/ts-mls): its join refuses a valid tree where a non-blank node on the
    direct path of a parent's unmerged leaf lists other unmerged leaves than that parent (``arraysEqual``)."""
    for p in range(1, 2 * tree.n_leaves - 1, 2):
        parent = tree.node(p)
        for leaf in parent.unmerged_leaves if parent is not None else ():
            path = [tree.node(n) for n in direct_path(leaf_to_node(leaf), tree.n_leaves)]
            if any(node is not None and node.unmerged_leaves != parent.unmerged_leaves for node in path):
                return True
    return False


class Walk:
    """One group across the model and two peers: every operation through the right implementation."""

    def __init__(self, cs: CipherSuite, sessions: dict[str, Session], rng: random.Random):
        self.cs, self.sessions, self.rng = cs, sessions, rng
        self.members: list[Member] = []
        self.count = 0
        for session in sessions.values():
            session.fresh_network()

    def _identity(self) -> bytes:
        self.count += 1
        return f"0a1b2c3d-0000-4000-8000-{self.count:012x}:{self.count:x}@xmtp-conformance.invalid".encode()

    def _bundle(self, identity: bytes) -> KeyPackageBundle:
        signature_priv, _ = self.cs.generate_signature_key_pair()
        return generate_key_package(self.cs, Credential.basic(identity), signature_priv, capabilities=Capabilities(
            cipher_suites=(self.cs.id,), credentials=(CredentialType.basic, CredentialType.x509)))

    def found(self) -> None:
        bundle = self._bundle(self._identity())
        founder = Member("m1", "model", Group.create(self.cs, GROUP_ID, bundle.key_package.leaf_node,
                                                     bundle.encryption_priv, bundle.signature_priv))
        self.members.append(founder)

    def leaf_of(self, member: Member) -> int:
        """The member's leaf in the founder's tree (members are named by their unique identity)."""
        identity = member.name.encode()
        leaf, = (i for i, node in self.founder.group.members() if node.credential.identity == identity)
        return leaf

    @property
    def founder(self) -> Member:
        return self.members[0]

    def add(self, committer: Member, side: str) -> None:
        identity = self._identity()
        if side == "model":
            bundle = self._bundle(identity)
            key_package = MLSMessage(bundle.key_package).encode().hex()
        else:
            key_package = self.sessions[side].ask("mls.new_member", member=identity.decode(),
                                                  cipher_suite=self.cs.id, identity=identity.hex())["key_package"]
        welcome, tree = self.commit(committer, add=[key_package])
        joiner = Member(identity.decode(), side)
        if side == "model":
            joiner.group = Group.join(MLSMessage.decode(bytes.fromhex(welcome)).body, bundle.key_package,
                                      bundle.init_priv, bundle.encryption_priv, bundle.signature_priv,
                                      ratchet_tree=RatchetTree.decode(self.cs, bytes.fromhex(tree)))
        else:
            try:
                self.sessions[side].ask("mls.join", member=joiner.name, welcome=welcome, ratchet_tree=tree)
            except AdapterError as e:
                if not (side == "ts-mls" and "must list leaf node in its unmerged_leaves" in e.message
                        and ts_mls_may_refuse(RatchetTree.decode(self.cs, bytes.fromhex(tree)))):
                    raise
                self.commit(self.founder, remove=[self.leaf_of(joiner)])  # the known issue: it never joined
                return
        self.members.append(joiner)

    def commit(self, committer: Member, *, add: list[str] = (), remove: list[int] = ()) -> tuple:
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
                assert self.deliver(member, message)[0] == data, f"{member.name} ({member.side}) decrypts {sender.name}"

    def agree(self, when: str) -> None:
        founder = self.founder.group
        expected = (founder.epoch, founder.epoch_authenticator.hex())
        exported = founder.export_secret(EXPORTER, b"", 32).hex()
        for member in self.members[1:]:
            if member.group is not None:
                assert (member.group.epoch, member.group.epoch_authenticator.hex()) == expected, when
            elif member.side == "openmls":
                secret = self.sessions["openmls"].ask("mls.export", member=member.name, label=EXPORTER.hex(),
                                                      context="", length=32)["secret"]
                assert secret == exported, f"{when}: {member.name}'s exporter"
            else:
                state = self.sessions[member.side].ask("mls.state", member=member.name)
                assert (state["epoch"], state["epoch_authenticator"]) == expected, f"{when}: {member.name}"

    def step(self, sides: list[str]) -> str:
        rng = self.rng
        others = self.members[1:]  # the founder stays: its view is the reference
        kind = rng.choice(["add", "remove", "update", "message"] if len(others) > 2 else ["add", "update", "message"])
        if kind == "add":
            committer = rng.choice(self.members)
            side = rng.choice(sides)
            self.add(committer, side)
            return f"{committer.name} ({committer.side}) adds a member on {side}"
        if kind == "remove":
            committer = rng.choice([m for m in self.members if m.side in CAN_REMOVE])
            target = rng.choice([m for m in others if m is not committer])
            self.commit(committer, remove=[self.leaf_of(target)])
            return f"{committer.name} ({committer.side}) removes {target.name} ({target.side})"
        if kind == "update":
            committer = rng.choice(self.members)
            self.commit(committer)
            return f"{committer.name} ({committer.side}) commits a path update"
        sender = rng.choice(self.members)
        self.send(sender, f"from {sender.name}".encode())
        return f"{sender.name} ({sender.side}) sends a message"


@pytest.mark.parametrize("cipher_suite, sides", [(1, ["model", "ts-mls", "mls-rs"]), (3, ["model", "ts-mls", "openmls"])],
                         ids=["suite1-model-ts-mls-mls-rs", "suite3-model-ts-mls-openmls"])
@pytest.mark.parametrize("seed", [1, 2])
def test_three_implementations_in_one_group(peers, cipher_suite, sides, seed):
    walk = Walk(suite(cipher_suite), {name: peers[name] for name in sides if name != "model"}, random.Random(seed))
    walk.found()
    for side in [*sides[1:], *sides]:  # two members of each, each added by the newest member
        walk.add(walk.members[-1], side)
        walk.agree(f"growing to {len(walk.members)}")
    assert {m.side for m in walk.members} == set(sides)
    for step in range(STEPS):
        what = walk.step(sides)
        walk.agree(f"step {step}: {what}")
