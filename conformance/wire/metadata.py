"""``wire/metadata_limits::<case>``: an attribute at and past its byte limit, set by a super admin's commit.

An ``attribute`` case becomes a super admin's commit setting the case's key to the case's value in a group
of the all-members preset (the super admin may change every key): accepted within the limit, refused past
it (docs/xmtp-facts.md §4.4 step 3). The limits hold in every profile, so the group follows the profile the
adapter's clients declare first.

Without a wire form: ``disappearing_settings`` cases (how a client reads two attributes, not whether a
commit is accepted), ``group_size`` cases (hundreds of inboxes in one group: still to come), and the
attribute cases whose value means more than its size on the wire (``derive`` names them).
"""

from __future__ import annotations

import dataclasses

from spec_model.xmtp.extensions import MESSAGE_DISAPPEAR_FROM_NS, MINIMUM_SUPPORTED_PROTOCOL_VERSION
from spec_model.xmtp.groups import metadata_proposal

from ..vectors.formats import DecisionCase, Verdict
from .world import GroupSpec, World, group_spec

__all__ = ["derive"]

_MEANINGFUL = {
    MINIMUM_SUPPORTED_PROTOCOL_VERSION: "the value is a version floor: a client that cannot parse it, or is "
                                        "below it, stops working on the group (commit_validation covers it)",
    MESSAGE_DISAPPEAR_FROM_NS: "the value is a disappearing-message setting (metadata_limits disappearing_settings)",
}


@dataclasses.dataclass(frozen=True)
class AttributeWire:
    """A super admin sets ``key`` to ``value``; XMTP ``accepted`` it or not."""

    spec: GroupSpec
    case_id: str
    key: str
    value: str
    accepted: bool

    def play(self, world: World) -> None:
        group = world.group(self.spec, self.case_id)
        proposals = (metadata_proposal(group.member("super_admin"), {self.key: self.value}),)
        group.play("super_admin", proposals, accepted=self.accepted,
                   what=f"{self.key} of {len(self.value.encode())} bytes")


def _spec() -> GroupSpec:
    return group_spec("metadata_limits")


def derive(case: DecisionCase) -> AttributeWire | str:
    """The wire form of a metadata_limits case, or why it has none."""
    inputs = case.inputs
    if inputs["check"] == "disappearing_settings":
        return "how a client reads the disappearing settings, not whether a commit is accepted"
    if inputs["check"] == "group_size":
        return "a group of hundreds of inboxes: not yet played on the wire"
    if inputs["key"] in _MEANINGFUL:
        return _MEANINGFUL[inputs["key"]]
    return AttributeWire(_spec(), case.id, inputs["key"], inputs["value"], case.expected.result == Verdict.VALID)
