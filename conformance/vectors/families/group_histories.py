"""Group histories: a fresh installation joins an XMTP group and processes its traffic, like RFC 9420's
passive-client vectors but with XMTP's commit rules (facts sheet §4.4) and content (facts §6).

Each trace is one group size (1, 2, 10, 400 member inboxes once the traced installation is in; one
installation per member). For size 1 the group's only member is the traced installation's own inbox:
its creator installation adds the inbox's new installation, as libxmtp does for a second device.
Otherwise the traced installation is a new inbox added by an ordinary member.

``initial`` holds the traced installation's key package and private keys, the Welcome, and every
inbox's identity log (the IdentityUpdate protobufs in sequence order); ``initial.state`` is the state
after joining. Each step is one group message (a PrivateMessage: application message or commit, as
libxmtp sends them) with the state after it; a commit the XMTP rules refuse is ``invalid`` with its
``CommitReason`` and leaves the state unchanged.

The histories are built with the model at the MLS + XMTP level (no client, no network), in the world
``conformance.vectors.world`` builds (users, installations, membership updates).

Questions: ``trace`` with ``initial`` without ``inbox_id`` and ``state`` (those are asked)
and ``actions`` (``{process: hex MLSMessage, ...}``). The answer is ``initial: {inbox_id
(of the key package's credential), state (after joining)}`` and ``steps``: per message
``{result, reason, state}``, a refused commit leaving the state as it was.
"""

from __future__ import annotations


from typing import Literal

from pydantic import Field

from spec_model.mls.group import ApplicationMessage, CommitMessage, Group
from spec_model.mls.key_package import KeyPackage, KeyPackageBundle
from spec_model.mls.message import MLSMessage
from spec_model.mls.reasons import Rejected
from spec_model.xmtp.commit_validation import ValidatedCommit, validate_commit, validate_welcome_membership
from spec_model.xmtp.content import EncodedContent, decode_text, encode_text, open_envelope, seal_envelope
from spec_model.xmtp.credential import Installation, inbox_of
from spec_model.xmtp.extensions import XmtpExtensionType, read_membership, read_mutable_metadata
from spec_model.xmtp.groups import (
    XMTP_GROUP_CONFIG, admin_lists_proposal, membership_of, membership_proposals, metadata_proposal,
)
from spec_model.xmtp.identity import decode_update
from spec_model.xmtp.identity_log import IdentityLog
from spec_model.xmtp.identity_signing import create_inbox_update
from spec_model.xmtp.wallet import Wallet

from .. import case_id
from ..family import Exchange, Hex, Trace, TraceAnswer, TraceStepAnswer, absent
from ..formats import Expected, TraceCase, TraceStep, Verdict
from ..questions import judge_trace
from ..world import User, World

FORMAT = "trace"
AREA = "group histories"
FAMILY = "group_histories"
RULE = ("RFC 9420 §12.4.3.1 (join), §6.3 and §12.4.2 (processing); libxmtp validated_commit.rs "
        "ValidatedCommit::from_staged_commit (facts §4.4); welcomes/validated_membership.rs; XIP-47 permissions")
SIZES = (1, 2, 10, 400)


# ====================================================================== building

class _History(World):
    """One group's history, built with the model; records the traced installation's view of it.

    ``actors`` are the users that send something; ``views`` holds each actor's own ``Group`` by name."""

    def __init__(self, seed: int):
        super().__init__(seed)
        self.actors: list[User] = []
        self.views: dict[str, Group] = {}
        self.traced: Group | None = None
        self.steps: list[TraceStep] = []

    def user(self, name: str, *, actor: bool = False) -> User:
        user = super().user(name)
        if actor:
            self.actors.append(user)
        return user

    def validator(self, sink: list):
        return lambda staged: sink.append(validate_commit(staged, self.log.state_at))

    # ------------------------------------------------------------------ group traffic

    def commit(self, by: User, proposals, *, joiners: tuple[tuple[User, KeyPackageBundle], ...] = ()):
        """``by`` commits (a PrivateMessage) and merges; the other actors process it; ``joiners`` that
        act join from the Welcome. Returns the pending commit (its message and Welcome)."""
        group = self.views[by.name]
        pending = group.commit(tuple(proposals), private=True, rng=self.rng)
        group.merge_pending_commit()
        for other in self.actors:
            view = self.views.get(other.name)
            if view is not None and other is not by and view.active:
                view.process(pending.message, commit_policy=self.validator([]))
        for joiner, bundle in joiners:
            if joiner in self.actors:
                self.views[joiner.name] = _join(pending.welcome.body, bundle, self.log)
        return pending

    def add_proposals(self, group: Group, users: tuple[User, ...]):
        proposals, bundles = self.add_users(group, *users)
        return proposals, tuple(zip(users, bundles))

    def deliver(self, message: MLSMessage, action: dict, *, reason: str | None = None) -> None:
        """The traced installation processes ``message``; records the step and the state after it."""
        expected, state = _process(self.traced, message, self.log.state_at)
        if (reason is None) != (expected.result == Verdict.VALID.value) or expected.reason != reason:
            raise AssertionError(f"{action}: expected {reason or 'valid'}, the model says {expected}")
        self.steps.append(TraceStep(action={"process": message.encode().hex(), **action}, expected=expected,
                                    state=state))

    def send(self, by: User, text: str, *, deliver: bool = True) -> MLSMessage:
        envelope = seal_envelope(encode_text(text), str(self.tick()))
        message = self.views[by.name].send_application(envelope, rng=self.rng)
        if deliver:
            self.deliver(message, {"kind": "application", "sender": by.name})
        return message

    def change(self, by: User, change: str, proposals, *, joiners=(), reason: str | None = None) -> None:
        """A commit by ``by``; refused ones (``reason``) are never merged nor seen by the other actors."""
        if reason is not None:
            pending = self.views[by.name].commit(tuple(proposals), private=True, rng=self.rng)
            self.views[by.name].clear_pending_commit()
        else:
            pending = self.commit(by, proposals, joiners=joiners)
        self.deliver(pending.message, {"kind": "commit", "change": change, "sender": by.name}, reason=reason)
        if reason is None and self.views[by.name].epoch_authenticator != self.traced.epoch_authenticator:
            raise AssertionError(f"{change}: the traced installation and {by.name} disagree on the epoch")


def _join(welcome, bundle: KeyPackageBundle, log: IdentityLog) -> Group:
    """libxmtp process_welcome (model level): join, then check the tree against the identity log."""
    group = Group.join(welcome, bundle.key_package, bundle.init_priv, bundle.encryption_priv, bundle.signature_priv,
                       config=XMTP_GROUP_CONFIG)
    validate_welcome_membership(group.tree, membership_of(group), log.state_at)
    return group


# ====================================================================== the observable state

def _state(group: Group) -> dict:
    extensions = group.context.extensions
    metadata = read_mutable_metadata(extensions)
    policies = next(e.extension_data for e in extensions if e.extension_type == XmtpExtensionType.MUTABLE_PERMISSIONS)
    return {
        "epoch": group.epoch,
        "epoch_authenticator": group.epoch_authenticator.hex(),
        "members": sorted(read_membership(extensions).members),
        "installations": sorted(leaf.signature_key.hex() for _, leaf in group.members()),
        "admins": sorted(metadata.admin_list.inbox_ids),
        "super_admins": sorted(metadata.super_admin_list.inbox_ids),
        "attributes": dict(sorted(metadata.attributes.items())),
        "policies": policies.hex(),
    }


def _group_updated(validated: ValidatedCommit) -> dict:
    """The commit's transcript summary (facts §6 GroupUpdated), empty lists left out."""
    fields = {
        "initiated_by": validated.actor_inbox_id,
        "added_inboxes": list(validated.added_inboxes), "removed_inboxes": list(validated.removed_inboxes),
        "metadata_changes": [list(c) for c in validated.metadata_changes],
        "admins_added": list(validated.admins_added), "admins_removed": list(validated.admins_removed),
        "super_admins_added": list(validated.super_admins_added),
        "super_admins_removed": list(validated.super_admins_removed),
    }
    return {k: v for k, v in fields.items() if v}


def _process(group: Group, message: MLSMessage, identity_at) -> tuple[Expected, dict]:
    """Process one message as the traced installation; the verdict and the observable state after it."""
    validated: list[ValidatedCommit] = []
    try:
        result = group.process(message, commit_policy=lambda staged: validated.append(
            validate_commit(staged, identity_at)))
    except Rejected as e:
        return Expected(result=Verdict.INVALID, reason=e.reason.value), _state(group)
    state = _state(group)
    if isinstance(result, ApplicationMessage):
        tree = group.tree if result.epoch == group.epoch else group.past_states[result.epoch].tree
        leaf = tree.leaf(result.sender)
        opened = open_envelope(group.group_id, result.data)
        state["message"] = {
            "epoch": result.epoch, "sender_inbox_id": inbox_of(leaf.credential),
            "sender_installation": leaf.signature_key.hex(), "idempotency_key": opened.idempotency_key,
            "content": opened.encoded_content.hex(), "text": decode_text(EncodedContent.decode(opened.encoded_content)),
            "id": opened.id.hex(),
        }
    elif isinstance(result, CommitMessage):
        state["group_updated"] = _group_updated(validated[0])
    return Expected(result=Verdict.VALID), state


# ====================================================================== the histories

def _history(size: int) -> tuple[_History, dict, str]:
    """Build the group of ``size`` member inboxes (traced installation included) and its traffic."""
    h = _History(seed=9420 + size)
    creator = h.user("creator", actor=True)
    others = [h.user(f"m{i}", actor=i <= 2) for i in range(1, max(size - 1, 1))]
    b = others[0] if others else creator
    g = h.views
    g["creator"] = h.group(creator)
    if others:
        proposals, joiners = h.add_proposals(g["creator"], tuple(others))
        h.commit(creator, proposals, joiners=joiners)

    # the traced installation joins
    traced_installation = Installation.generate(h.rng)
    if size == 1:  # a second installation of the creator's inbox
        traced = creator
        h.add_installation(creator, traced_installation)
        traced_bundle = h.key_package(creator, 1)
        proposals = membership_proposals(g["creator"], (traced_bundle.key_package,), frozenset(),
                                         h.membership_with(g["creator"]))
        adder = creator
    else:
        wallet = Wallet.random(h.rng)
        update = create_inbox_update(wallet, 0, h.tick(), traced_installation.private_key)
        h.publish(update)
        traced = User("traced", wallet, update.inbox_id, [traced_installation])
        traced_bundle = h.key_package(traced)
        adder = b
        proposals = membership_proposals(g[adder.name], (traced_bundle.key_package,), frozenset(),
                                         h.membership_with(g[adder.name], traced))
    traced_inbox = traced.inbox_id
    pending = h.commit(adder, proposals)
    h.traced = _join(pending.welcome.body, traced_bundle, h.log)
    initial_state = _state(h.traced)

    if size < 400:
        dave, erin = h.user("dave", actor=True), h.user("erin", actor=True)
        updater = others[0] if others else dave
        h.send(creator, "gm from the creator")
        h.send(b, f"hello from {b.name}")
        proposals, joiners = h.add_proposals(g[b.name], (dave, erin))
        h.change(b, "add_members", proposals, joiners=joiners)
        h.send(dave, "dave here, thanks for the add")
        h.change(creator, "group_name", [metadata_proposal(g["creator"], {"group_name": f"History of {size}"})])
        h.change(dave, "group_name", [metadata_proposal(g["dave"], {"group_name": "dave's group"})],
                 reason="commit.insufficient_permissions")
        h.change(creator, "add_admin", [admin_lists_proposal(g["creator"], admins=(dave.inbox_id,))])
        delayed = h.send(creator, "written before erin left, delivered after", deliver=False)
        h.change(dave, "remove_members", h.remove_users(g["dave"], erin))
        h.deliver(delayed, {"kind": "application", "sender": creator.name, "note": "sent in the previous epoch"})
        h.change(updater, "key_update", [])
        h.send(updater, f"{updater.name} after a key update")
        h.send(dave, "dave, admin now")
        steps = "messages, an add, a name change, a refused name change, an admin promotion, a removal, " \
                "a message of the previous epoch and a key update"
    else:
        c, last = others[1], others[-1]
        extra = h.user("extra")
        h.send(creator, "gm from the creator")
        proposals, _ = h.add_proposals(g[b.name], (extra,))
        h.change(b, "add_members", proposals, reason="commit.group_full")
        h.change(creator, "group_name", [metadata_proposal(g["creator"], {"group_name": "Four hundred"})])
        h.change(creator, "add_admin", [admin_lists_proposal(g["creator"], admins=(b.inbox_id,))])
        h.change(b, "remove_members", h.remove_users(g[b.name], last))
        h.change(c, "key_update", [])
        h.send(c, f"{c.name} after a key update")
        steps = "a message, a refused 401st member, a name change, an admin promotion, a removal and a key update"

    initial = {
        "inbox_id": traced_inbox,
        "key_package": traced_bundle.key_package.encode().hex(),
        "init_priv": traced_bundle.init_priv.hex(),
        "encryption_priv": traced_bundle.encryption_priv.hex(),
        "signature_priv": traced_bundle.signature_priv.hex(),
        "welcome": pending.welcome.encode().hex(),
        "identity_updates": {inbox: [e.update.encode().hex() for e in h.log.updates(inbox)]
                             for inbox in h.inboxes},
        "state": initial_state,
    }
    return h, initial, steps


def _case(size: int) -> TraceCase:
    h, initial, steps = _history(size)
    who = ("a new installation of the only member's inbox" if size == 1
           else "a fresh installation of a new inbox")
    return TraceCase(
        id=case_id(FAMILY, f"group_of_{size}"),
        description=(f"Given an XMTP group (seed profile, All Members preset) of {size} member inbox"
                     f"{'es' if size > 1 else ''} once {who} joins it from a Welcome, When that installation "
                     f"processes {len(h.steps)} group messages ({steps}) with XMTP commit validation, Then after "
                     "each its epoch, epoch authenticator, members, installations, admins, attributes and policies "
                     "are as listed, each message decrypts to the listed content and id, and the refused commit "
                     "is refused with its CommitReason and changes nothing"),
        rule=RULE, tags=["seed", "groups", "commit_validation", "messages", f"size_{size}"],
        initial=initial, steps=h.steps)


def cases() -> list[TraceCase]:
    return [_case(size) for size in SIZES]


# ====================================================================== questions

_ASKED = ("inbox_id", "state")
"""What ``initial`` states that an implementation must find: its inbox id and the state after joining."""


def questions(case: TraceCase) -> list[dict]:
    """One ``trace``: ``initial`` without what it asks, and the messages."""
    return [{"ask": "trace", "initial": {k: v for k, v in case.initial.items() if k not in _ASKED},
             "actions": [step.action for step in case.steps]}]


def answer(question: dict) -> dict:
    """Replay: identity logs, join from the Welcome, then each message with XMTP commit validation."""
    initial = question["initial"]
    log = IdentityLog()
    for updates in initial["identity_updates"].values():
        for data in updates:
            log.publish(decode_update(bytes.fromhex(data)))
    bundle = KeyPackageBundle(KeyPackage.decode(bytes.fromhex(initial["key_package"])),
                              bytes.fromhex(initial["init_priv"]), bytes.fromhex(initial["encryption_priv"]),
                              bytes.fromhex(initial["signature_priv"]))
    try:
        inbox_id = inbox_of(bundle.key_package.leaf_node.credential)
        group = _join(MLSMessage.decode(bytes.fromhex(initial["welcome"])).body, bundle, log)
    except Rejected as e:  # no state to give: the judgement names the missing inbox id and state
        return {"initial": {"result": Verdict.INVALID.value, "reason": e.reason.value}, "steps": []}
    joined = {"inbox_id": inbox_id, "state": _state(group)}
    steps = []
    for action in question["actions"]:
        expected, state = _process(group, MLSMessage.decode(bytes.fromhex(action["process"])), log.state_at)
        steps.append({"result": expected.result, "reason": expected.reason, "state": state})
    return {"initial": joined, "steps": steps}


def judge(case: TraceCase, question: dict, answer: dict) -> None:
    """The default ``trace`` judgement, with the inbox id and the state after joining."""
    judge_trace(case, answer, initial_state={k: case.initial[k] for k in _ASKED})

# ------------------------------------------------------------------ the questions and answers, typed (``family.py``)

class Initial(Exchange):
    key_package: Hex = Field(description="the traced installation's KeyPackage")
    init_priv: Hex
    encryption_priv: Hex
    signature_priv: Hex
    welcome: Hex = Field(description="the MLSMessage carrying the Welcome it joins from")
    identity_updates: dict[str, list[Hex]] = Field(description="inbox id -> its IdentityUpdate protobufs in order")


class Action(Exchange):
    process: Hex = Field(description="an MLSMessage (PrivateMessage) to process")
    kind: Literal["application", "commit"]
    sender: str = Field(description="who sent it (for reading only)")
    change: str | None = Field(None, description="a commit's change (for reading only)")
    note: str | None = Field(None, description="for reading only")


class Question(Trace):
    initial: Initial
    actions: list[Action]


class MessageRead(Exchange):
    """An application message as the traced installation reads it (docs/xmtp-facts.md §6)."""

    epoch: int
    sender_inbox_id: str
    sender_installation: Hex
    idempotency_key: str
    content: Hex = Field(description="the EncodedContent")
    text: str
    id: Hex = Field(description="the message id")


class CommitSummary(Exchange):
    """A commit's GroupUpdated summary (docs/xmtp-facts.md §6), empty lists and a missing actor left out."""

    initiated_by: str = absent()
    added_inboxes: list[str] = absent()
    removed_inboxes: list[str] = absent()
    metadata_changes: list[list[str | None]] = absent(description="[field, old, new] per change")
    admins_added: list[str] = absent()
    admins_removed: list[str] = absent()
    super_admins_added: list[str] = absent()
    super_admins_removed: list[str] = absent()


class GroupState(Exchange):
    epoch: int
    epoch_authenticator: Hex
    members: list[str]
    installations: list[Hex]
    admins: list[str]
    super_admins: list[str]
    attributes: dict[str, str]
    policies: Hex = Field(description="the 0xFF02 extension's value")
    message: MessageRead = absent(description="an application message: what it decrypts to")
    group_updated: CommitSummary = absent(description="a commit: its GroupUpdated summary")


class Joined(Exchange):
    inbox_id: str | None = None
    state: GroupState | None = None
    result: Literal["invalid"] | None = Field(None, description="joining was refused")
    reason: str | None = None


class Step(TraceStepAnswer):
    state: GroupState


class Answer(TraceAnswer):
    initial: Joined
    steps: list[Step]


EXCHANGES = {"trace": (Question, Answer)}
