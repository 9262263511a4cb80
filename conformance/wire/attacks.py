"""``wire/mls::<attack>``: MLS-level attacks on a group shared with the SDK, each beside its positive twin.

These have no vector family: they are what a hostile member or a faulty node does to the messages of a group
(RFC 9420 §6, §9.2, §12.4.2), built with ``conformance.malformed`` and the model's own groups. Each attack is
followed on the topic by a valid message or commit of a super admin (the probe), which the SDK must process:

* a member that missed commits sends an application message: from one epoch back it is read (libxmtp keeps
  3 past epochs, docs/xmtp-facts.md §1), from four epochs back it is not;
* a member commits on an epoch that has passed, or after it was removed: refused;
* a super admin's valid commit as a PublicMessage: refused (every handshake message of an XMTP group is a
  PrivateMessage, docs/xmtp-facts.md §1). So the attacks that only a PublicMessage can carry
  (an altered membership tag, RFC 9420 §6.2) have no wire form: refused for their wire format first, their
  refusal would tell nothing;
* an application message whose signature is altered: refused;
* a second message under a ratchet generation already used (a new reuse guard): refused (§9.2: the key was
  deleted after use);
* the node returns a commit, or an application message, twice in one response: applied or stored once.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any, Callable

from spec_model.xmtp.content import encode_text, seal_envelope
from spec_model.xmtp.extensions import GroupMembership, read_membership
from spec_model.xmtp.groups import membership_proposals, metadata_proposal

from .. import malformed
from .messages import stored_entry
from .world import GroupSpec, WireFailure, WireGroup, World, difference, group_spec

__all__ = ["ATTACKS", "Attack"]

RULE = "RFC 9420 §6, §6.3, §9.2, §12.4.2; libxmtp MAX_PAST_EPOCHS 3 (docs/xmtp-facts.md §1)"


def _text(text: str) -> bytes:
    return seal_envelope(encode_text(text), text)


def _advance(group: WireGroup, epochs: int) -> None:
    """``epochs`` valid commits of the super admin, each judged as it lands."""
    for _ in range(epochs):
        group.probes += 1
        group.play("super_admin", [metadata_proposal(group.member("super_admin"),
                                                     {"description": f"epoch {group.probes}"})],
                   accepted=True, what="a valid commit before the attack")


def _expect(group: WireGroup, what: str, expected: dict[str, Any]) -> None:
    """The SDK syncs once; its view must be ``expected``."""
    with group.world.sdk_phase(what):
        group.sync()
        after = group.observe()
    _expect_view(group, what, expected, after)


def _expect_view(group: WireGroup, what: str, expected: dict[str, Any], after: dict[str, Any]) -> None:
    group.view = after
    if after != expected:
        raise WireFailure(f"{what}: " + difference(expected, after), expected=expected, actual=after)


def _message_back(epochs: int, read: bool) -> Callable[[WireGroup], None]:
    def play(group: WireGroup) -> None:
        straggler = copy.deepcopy(group.member("member"))
        _advance(group, epochs)
        text = f"sent {epochs} epoch(s) back"
        group.world.publish(group.group_id, straggler.send_application(_text(text)), application=True)
        probe = f"probe after {text}"
        group.send("super_admin", _text(probe))
        shown = [stored_entry(_text(text), group.world.user("member").inbox_id)] if read else []
        _expect(group, f"a message {text}", dict(group.view, messages=[
            *group.view["messages"], *shown, stored_entry(_text(probe), group.world.user("super_admin").inbox_id)]))
    return play


def _refused_commit(group: WireGroup, forger, what: str) -> None:
    """``forger`` (an MLS group not at the current epoch) commits a rename; the probe follows."""
    pending = forger.commit((metadata_proposal(forger, {"group_name": "forged"}),), private=True)
    _refused(group, pending.message, what)


def _refused(group: WireGroup, message, what: str) -> None:
    """``message``, a commit XMTP refuses, on the topic; the probe follows it."""
    group.world.publish(group.group_id, message)
    before = group.view
    group.probes += 1
    _, validated, staged = group.commit("super_admin", [metadata_proposal(group.member("super_admin"),
                                                                          {"description": f"probe {group.probes}"})])
    with group.world.sdk_phase(what):
        group.sync()
        after = group.observe()
    _expect_view(group, f"{what}: refused, and the valid commit that follows it applied",
                 group.expected_after(before, after, staged, validated), after)


def _commit_from_past_epoch(group: WireGroup) -> None:
    straggler = copy.deepcopy(group.member("member"))
    _advance(group, 1)
    _refused_commit(group, straggler, "a commit on a past epoch")


def _commit_from_removed_member(group: WireGroup) -> None:
    removed = group.world.user("target4")
    before_removal = copy.deepcopy(group.member("target4"))
    mls = group.member("creator")
    members = {k: v for k, v in read_membership(mls.context.extensions).members.items() if k != removed.inbox_id}
    group.play("creator", membership_proposals(mls, (), frozenset({removed.installation.public_key}),
                                               GroupMembership(members=members)),
               accepted=True, what="the creator removes a member")
    _refused_commit(group, before_removal, "a commit of the removed member")


def _public_commit(group: WireGroup) -> None:
    mls = group.member("super_admin")
    pending = mls.commit((metadata_proposal(mls, {"group_name": "public"}),), private=False)
    mls.clear_pending_commit()
    _refused(group, pending.message, "a valid commit as a PublicMessage")


def _bad_signature(group: WireGroup) -> None:
    forged = malformed.private_application_with_bad_signature(group.member("member"), _text("forged"))
    group.world.publish(group.group_id, forged, application=True)
    group.send("super_admin", _text("probe after a forged signature"))
    _expect(group, "an application message with an altered signature", dict(group.view, messages=[
        *group.view["messages"], stored_entry(_text("probe after a forged signature"),
                                              group.world.user("super_admin").inbox_id)]))


def _reused_generation(group: WireGroup) -> None:
    mls = group.member("member")
    ratchets = copy.deepcopy(mls.state.secret_tree)
    group.send("member", _text("first"))
    mls.state.secret_tree = ratchets  # the same generation again, with a new reuse guard
    group.send("member", _text("second under the same key"))
    group.send("super_admin", _text("probe after a reused key"))
    sender, admin = group.world.user("member").inbox_id, group.world.user("super_admin").inbox_id
    _expect(group, "a second message under a used ratchet generation", dict(group.view, messages=[
        *group.view["messages"], stored_entry(_text("first"), sender),
        stored_entry(_text("probe after a reused key"), admin)]))


def _replayed_commit(group: WireGroup) -> None:
    before = group.view
    _, validated, staged = group.commit("super_admin", [metadata_proposal(group.member("super_admin"),
                                                                          {"description": "replayed"})])
    group.world.network.duplicate_in_queries(1)
    with group.world.sdk_phase("a commit the node returns twice"):
        group.sync()
        after = group.observe()
    _expect_view(group, "a commit the node returns twice", group.expected_after(before, after, staged, validated),
                 after)


def _replayed_message(group: WireGroup) -> None:
    group.send("member", _text("returned twice"))
    group.world.network.duplicate_in_queries(1)
    _expect(group, "an application message the node returns twice", dict(group.view, messages=[
        *group.view["messages"], stored_entry(_text("returned twice"), group.world.user("member").inbox_id)]))


@dataclasses.dataclass(frozen=True)
class Attack:
    """One attack (or its positive twin) as a wire case: ``id`` ``mls::<name>``, played in a group of its own."""

    id: str
    description: str
    attack: Callable[[WireGroup], None]
    spec: GroupSpec
    rule: str = RULE

    def play(self, world: World) -> None:
        self.attack(world.group(self.spec, self.id, private=True))


def _spec() -> GroupSpec:
    return group_spec("mls attacks")


ATTACKS = [Attack(f"mls::{name}", description, play, _spec()) for name, description, play in [
    ("message_one_epoch_back", "Given a member that missed one commit, When it sends a message, Then the SDK "
     "reads it (past epochs are kept)", _message_back(1, read=True)),
    ("message_four_epochs_back", "Given a member that missed four commits, When it sends a message, Then the SDK "
     "does not read it (3 past epochs kept) and reads the next one", _message_back(4, read=False)),
    ("commit_on_a_past_epoch", "Given a member that missed a commit, When it commits on the old epoch, Then the "
     "SDK refuses it and applies the next valid commit", _commit_from_past_epoch),
    ("commit_from_a_removed_member", "Given a member removed from the group, When it commits on its last epoch, "
     "Then the SDK refuses it and applies the next valid commit", _commit_from_removed_member),
    ("application_message_with_bad_signature", "Given a member's application message whose signature is "
     "altered, When the SDK syncs, Then it stores nothing of it and stores the next message", _bad_signature),
    ("reused_ratchet_generation", "Given a member that sends two messages under one ratchet generation (new "
     "reuse guards), When the SDK syncs, Then it stores the first only", _reused_generation),
    ("public_commit_refused", "Given a super admin's otherwise valid commit sent as a PublicMessage, When the "
     "SDK syncs, Then it refuses it (a member's handshake is a PrivateMessage) and applies the next valid commit",
     _public_commit),
    ("replayed_commit", "Given a node that returns a commit twice in one response, When the SDK syncs, Then it "
     "applies the commit once", _replayed_commit),
    ("replayed_application_message", "Given a node that returns an application message twice in one response, "
     "When the SDK syncs, Then it stores it once", _replayed_message),
]]
