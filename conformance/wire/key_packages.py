"""``wire/key_packages::<case>``: the case's key package on the network, and the SDK's client adding its inbox.

A key_packages case is a key package and the identity log of the inboxes it may name. Its wire form publishes
those identity updates through the IdentityApi, stores the key package on the node under every installation
of those inboxes (as a node whose validation service let it through would: ``World.store_key_package``),
moves the network's clock to the case's time, and has the SDK's client add the inboxes to a group
(``add_members_by_inbox_id``). The client validates what it fetches (docs/xmtp-facts.md §5 "Membership
change"): for a valid case the inboxes gain exactly one installation, the key package's; for an invalid one
none (the add may also be refused). Each case has a group of its own.
"""

from __future__ import annotations

import dataclasses

from spec_model.xmtp import api
from spec_model.xmtp.key_package import KeyPackage

from ..adapter import AdapterError, ErrorKind
from ..vectors.formats import DecisionCase, Verdict
from .world import GroupSpec, HarnessFault, WireFailure, World, group_spec

__all__ = ["derive"]


@dataclasses.dataclass(frozen=True)
class KeyPackageWire:
    """One key_packages case on the wire: its key package and identity log, its time, its verdict."""

    spec: GroupSpec
    case_id: str
    key_package: bytes
    identity_updates: dict[str, list[str]]
    clock_ns: int
    accepted: bool

    def play(self, world: World) -> None:
        for inbox, updates in self.identity_updates.items():
            _publish_log(world, inbox, [bytes.fromhex(u) for u in updates])
        leaf_key = KeyPackage.decode(self.key_package).leaf_node.signature_key
        for inbox in self.identity_updates:
            for installation in world.log.state_at(inbox).installations | {leaf_key}:
                world.store_key_package(installation, self.key_package)
        group = world.group(self.spec, self.case_id, private=True)
        with world.sdk_phase(self.case_id):
            try:
                group.sdk("add_members_by_inbox_id", inbox_ids=sorted(self.identity_updates))
            except AdapterError as e:
                if e.kind is not ErrorKind.REJECTED:
                    raise
            view = group.observe()
        added = sum(m["installations"] for m in view["members"] if m["inbox_id"] in self.identity_updates)
        if added != (1 if self.accepted else 0):
            should = "added with the key package's installation" if self.accepted else "added with no installation"
            raise WireFailure(f"{self.case_id}: the inbox should be {should}; the SDK shows {added} installation(s)",
                              expected=1 if self.accepted else 0, actual=added)


def _publish_log(world: World, inbox: str, updates: list[bytes]) -> None:
    """The inbox's updates on the network, in order; those already there must be the same."""
    found = world.network.get_identity_updates(api.GetIdentityUpdatesRequest(
        (api.GetIdentityUpdatesRequest.Request(inbox, 0),))).responses[0].updates
    if [entry.update for entry in found] != updates[:len(found)]:
        raise HarnessFault(f"inbox {inbox} has other identity updates on the network than the case")
    for update in updates[len(found):]:
        world.network.publish_identity_update(api.PublishIdentityUpdateRequest(update))


def _spec() -> GroupSpec:
    return group_spec("key_packages")


def derive(case: DecisionCase) -> KeyPackageWire:
    """The wire form of a key_packages case."""
    inputs = case.inputs
    return KeyPackageWire(_spec(), case.id, bytes.fromhex(inputs["key_package"]), inputs["identity_updates"],
                          inputs["now_s"] * 10**9, case.expected.result == Verdict.VALID)
