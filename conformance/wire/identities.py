"""``wire/identity_updates::<case>``: an inbox's identity log on the network, and the SDK's client adding the inbox.

An identity_updates case is an inbox's earlier updates (valid) and one more. Its wire form, on a network of its
own (the cases share their inbox, each with another log), publishes the earlier updates through the IdentityApi,
then the case's update as a node whose validation service let it through would (``World.publish_unchecked``),
stores a key package for every installation the updates may name (the family's installation seeds), and has
the SDK's client add the inbox to a group (``add_members_by_inbox_id``). A client replays the inbox's log itself;
its commit, read from the group topic by a model member, adds exactly the installations of the inbox's state
after a valid update, and none when the update is invalid: a client replaying a log that holds an invalid update
has no state for the inbox at all (libxmtp crates/xmtp_id/src/associations/mod.rs ``get_state``: "Entire
operation fails if any operation fails"; the model's ``Identities`` alike), so the add is refused or adds none.

Without a wire form: a valid update that leaves the inbox's installations as they were, an invalid one that adds
no installation (wallets and recovery addresses do not show in a group, and a refused revocation leaves, like an
applied one, nothing to add), an ``acceptable`` case (either verdict), a case whose verdict depends on the
installation limit (the registering client checks it; a reader of the log applies none), and an update the node
cannot decode.
"""

from __future__ import annotations

import dataclasses

from spec_model.mls.reasons import Rejected
from spec_model.xmtp import api
from spec_model.xmtp.credential import Installation, inbox_of
from spec_model.xmtp.identity import MAX_INSTALLATIONS, apply_update, decode_update
from spec_model.xmtp.identity_signing import installation_id
from spec_model.xmtp.key_package import build_key_package

from ..adapter import AdapterError, ErrorKind
from ..vectors.families import identity_updates as family
from ..vectors.formats import DecisionCase, Verdict
from .world import GroupSpec, HarnessFault, WireFailure, World, group_spec

__all__ = ["derive"]

SEEDS = {installation_id(seed): seed for seed in family.I}
"""The family's installations, by id: their key packages can be built."""


@dataclasses.dataclass(frozen=True)
class IdentityWire:
    """One identity_updates case on the wire: the inbox's log and the installations the SDK must add."""

    spec: GroupSpec
    case_id: str
    inbox_id: str
    previous: tuple[bytes, ...]
    update: bytes
    installations: frozenset[bytes]  # of the state after the update (valid); none (invalid)
    accepted: bool
    fresh_world = True

    def play(self, world: World) -> None:
        for update in self.previous:
            world.network.publish_identity_update(api.PublishIdentityUpdateRequest(update))
        world.publish_unchecked(self.update)
        now_s = world.wall_clock() // 10**9  # an SDK checks the key packages' lifetimes on its own clock
        for key, seed in SEEDS.items():
            world.store_key_package(key, build_key_package(Installation(seed), self.inbox_id, now_s).key_package
                                    .encode())
        group = world.group(self.spec, self.case_id, private=True)
        with world.sdk_phase(self.case_id):
            try:
                group.sdk("add_members_by_inbox_id", inbox_ids=[self.inbox_id])
            except AdapterError as e:
                if e.kind is not ErrorKind.REJECTED:
                    raise
            group.observe()
        added = sorted(leaf.signature_key.hex() for _, leaf in group.epoch_group.members()
                       if inbox_of(leaf.credential) == self.inbox_id)
        expected = sorted(i.hex() for i in self.installations)
        if added != expected:
            should = f"the {len(expected)} installation(s) of the inbox's state after the update" if self.accepted \
                else "no installation (the inbox's log holds an invalid update)"
            raise WireFailure(f"{self.case_id}: the SDK's commit should add {should}; it adds {len(added)}",
                              expected=expected, actual=added)


def _spec() -> GroupSpec:
    return group_spec("identity_updates")


def _added(update) -> set[bytes]:
    """The installations the update's actions add."""
    return {action.add.new_member_identifier.installation_public_key for action in update.actions
            if action.add and action.add.new_member_identifier
            and action.add.new_member_identifier.installation_public_key}


def derive(case: DecisionCase) -> IdentityWire | str:
    """The wire form of an identity_updates case, or why it has none."""
    inputs = case.inputs
    if Verdict(case.expected.result) == Verdict.ACCEPTABLE:
        return "either verdict is acceptable"
    limits = {family.answer({"ask": "decide", "inputs": {**inputs, "max_installations": limit}})["result"]
              for limit in (None, MAX_INSTALLATIONS)}
    if len(limits) > 1:
        return "the verdict depends on the installation limit, which the registering client checks (libxmtp " \
               "MAX_INSTALLATIONS_PER_INBOX); a reader of the log applies none"
    try:
        update = decode_update(bytes.fromhex(inputs["update"]))
    except Rejected:  # identity.malformed_update
        return "the node cannot index an update that does not decode (xmtp-node-go refuses it unchecked)"
    previous = tuple(bytes.fromhex(u) for u in inputs["previous_updates"])
    state = None
    for data in previous:
        state = apply_update(state, decode_update(data))
    before = frozenset(state.installations) if state else frozenset()
    accepted = Verdict(case.expected.result) == Verdict.VALID
    if accepted:
        installations = frozenset(bytes.fromhex(i) for i in case.outputs["installations"])
        if installations == before:
            return "the update leaves the inbox's installations as they were: a group shows nothing of it"
    else:
        if not _added(update) - before:
            return "the update adds no installation: refused, as applied, it leaves nothing for a group to show"
        installations = frozenset()
    if not installations | _added(update) <= set(SEEDS):
        raise HarnessFault(f"{case.id}: an installation of the case is not the family's")
    return IdentityWire(_spec(), case.id, update.inbox_id, previous, bytes.fromhex(inputs["update"]), installations,
                        accepted)
