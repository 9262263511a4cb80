"""``wire/key_packages::<case>``: the case's key package on the network, and the SDK's client adding its inbox.

A key_packages case is a key package and the identity log of the inboxes it may name, validated at a time
relative to the key package's creation (at it, an hour before it, 84 days after it...). An SDK validates what
it fetches against its own clock, the wall clock (OpenMLS lifetime.rs reads the system time), so the wire form
moves the network's clock up to the wall clock (``World.wall_clock``) and builds the case again with the
family's ``cases(created)``, its key packages made for that time: the case's meaning (valid, expired, not yet
valid, lifetime too long...) is kept for every moment of ``WINDOW_S`` after it, the time a case may take to
play, and the model must decide the rebuilt case as the vectors do at both ends of that window. A case validated
exactly on a boundary is played a second past it: the wire judges each side of a boundary, the vectors the
boundary's second itself (an SDK's clock is not the harness's to set).

It then publishes the identity updates through the IdentityApi, stores the key package on the node under every
installation of those inboxes (as a node whose validation service let it through would:
``World.store_key_package``), and has the SDK's client add the inboxes to a group (``add_members_by_inbox_id``).
The client validates what it fetches (docs/xmtp-facts.md §5 "Membership change"): for a valid case its commit,
read from the group topic by a model member, adds exactly one leaf of those inboxes, the key package's, and the
client lists the inboxes as members; for an invalid one it adds no such leaf and lists none of them (the add may
also be refused). The leaves are read from the commit because a client may count a member's installations from
its identity log rather than from the group (libxmtp does: D17). A client of the libxmtp profile checks its own
commit only when it comes back (``Profile.own_commits_checked_before_publish``): if the model's validation refuses
the commit the SDK published, the SDK lists none of the inboxes. Each case has a group of its own.
"""

from __future__ import annotations

import dataclasses

from spec_model.mls.leaf_node import FromKeyPackage
from spec_model.xmtp import api
from spec_model.xmtp.credential import named_inbox
from spec_model.xmtp.key_package import KeyPackage

from ..adapter import AdapterError, ErrorKind
from ..vectors.families import key_packages as family
from ..vectors.formats import DecisionCase, Verdict
from .world import GroupSpec, HarnessFault, WireFailure, World, group_spec

__all__ = ["WINDOW_S", "derive"]

WINDOW_S = 600
"""model: how long after the network's time an SDK may validate a case's key package (a case plays in
seconds; a hung SDK is ended by the adapter's call timeout long before)."""


@dataclasses.dataclass(frozen=True)
class KeyPackageWire:
    """One key_packages case on the wire: its time and lifetime relative to the key package's creation, and
    the vectors' verdict."""

    spec: GroupSpec
    case_id: str
    at_s: int                       # when the case validates, relative to the key package's creation
    boundaries_s: tuple[int, ...]   # not_before and not_after, relative to it (none: no lifetime)
    expected: tuple[str, str | None]  # (result, reason)

    def created_for(self, now_s: int) -> int:
        """The creation time that puts ``now_s`` at the case's time, moved so that the window ``[now_s, now_s +
        WINDOW_S)`` neither starts on a lifetime boundary (a second after it instead: a validator reading its clock
        in that very second may count it either side) nor holds one (it then ends just before the boundary)."""
        start = self.at_s + 1 if self.at_s in self.boundaries_s else self.at_s
        ahead = [b for b in self.boundaries_s if b > start]
        if ahead and min(ahead) - start < WINDOW_S:
            start = min(ahead) - WINDOW_S
        return now_s - start

    def rebuilt(self, now_s: int) -> DecisionCase:
        """The case built for ``now_s``; the model decides it as the vectors do throughout the window."""
        case = next(c for c in family.cases(self.created_for(now_s)) if c.id == self.case_id)
        for at in (now_s, now_s + WINDOW_S - 1):
            decided = family.answer({"ask": "decide", "inputs": {**case.inputs, "now_s": at}})
            if (decided["result"], decided["reason"]) != self.expected:
                raise HarnessFault(f"{self.case_id}: rebuilt for {now_s}, the model decides it {decided['result']} "
                                   f"({decided['reason']}) at {at}, the vectors {self.expected}")
        return case

    def play(self, world: World) -> None:
        inputs = self.rebuilt(world.wall_clock() // 10**9).inputs
        for inbox, updates in inputs["identity_updates"].items():
            _publish_log(world, inbox, [bytes.fromhex(u) for u in updates])
        key_package = bytes.fromhex(inputs["key_package"])
        leaf_key = KeyPackage.decode(key_package).leaf_node.signature_key
        for inbox in inputs["identity_updates"]:
            for installation in world.log.state_at(inbox).installations | {leaf_key}:
                world.store_key_package(installation, key_package)
        group = world.group(self.spec, self.case_id, private=True)
        with world.sdk_phase(self.case_id):
            try:
                group.sdk("add_members_by_inbox_id", inbox_ids=sorted(inputs["identity_updates"]))
            except AdapterError as e:
                if e.kind is not ErrorKind.REJECTED:
                    raise
            view = group.observe()
        accepted = self.expected[0] == Verdict.VALID.value
        inboxes = set(inputs["identity_updates"])
        leaves = sorted(leaf.signature_key.hex() for _, leaf in group.epoch_group.members()
                        if leaf.signature_key == leaf_key or named_inbox(leaf.credential) in inboxes)
        listed = sorted(inboxes & {m["inbox_id"] for m in view["members"]})
        # a client of the libxmtp profile checks its commit only when it comes back (Profile.
        # own_commits_checked_before_publish): one adding an installation outside the inbox's log is published, then
        # refused by the client itself, which lists none of the inboxes
        applied = all(verdict is not None for verdict in group.sdk_verdicts.values())
        if accepted and (leaves, listed) != ([leaf_key.hex()], sorted(inboxes) if applied else []):
            raise WireFailure(f"{self.case_id}: the inboxes should be added with the key package's installation"
                              f"{'' if applied else ' by a commit the client then refuses'}; the SDK's commit adds "
                              f"{len(leaves)} leaf(s) of them, and it lists {len(listed)} of {len(inboxes)} as members",
                              expected=[leaf_key.hex()], actual=leaves)
        if not accepted and leaves:
            raise WireFailure(f"{self.case_id}: the key package should be refused; the SDK's commit adds "
                              f"{len(leaves)} leaf(s) of the inboxes", expected=[], actual=leaves)


def _publish_log(world: World, inbox: str, updates: list[bytes]) -> None:
    """The inbox's updates on the network, in order; those already there must be the same."""
    found = world.network.get_identity_updates(api.GetIdentityUpdatesRequest(
        (api.GetIdentityUpdatesRequest.Request(inbox, 0),))).responses[0].updates
    if [entry.update for entry in found] != updates[:len(found)]:
        raise HarnessFault(f"inbox {inbox} has other identity updates on the network than the case")
    for update in updates[len(found):]:
        world.network.publish_identity_update(api.PublishIdentityUpdateRequest(update))


def derive(case: DecisionCase) -> KeyPackageWire:
    """The wire form of a key_packages case."""
    inputs = case.inputs
    source = KeyPackage.decode(bytes.fromhex(inputs["key_package"])).leaf_node.source
    lifetime = (source.lifetime.not_before, source.lifetime.not_after) if isinstance(source, FromKeyPackage) else ()
    return KeyPackageWire(group_spec("key_packages", profile=inputs.get("profile")), case.id, inputs["now_s"] - family.NOW, tuple(b - family.NOW for b in lifetime),
                          (Verdict(case.expected.result).value, case.expected.reason))
