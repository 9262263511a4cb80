"""``wire/group_context_extensions::<case>``: an extension payload in a group the SDK shares, or in its key package.

A 0xFF02 case (``GroupMutablePermissionsV1``) becomes a super admin's commit replacing the group's 0xFF02 with the
case's bytes (``permissions.PermissionWire``, as a permissions ``decode`` case): the super admin may change the
policies, so XMTP accepts it, and the SDK must show the policy set the payload holds.

The LastResort key-package extension and the ApplicationId leaf extension are in every key package an XMTP
client publishes (docs/xmtp-facts.md §1): the SDK's own, read from the network, must carry them encoded as the
family encodes the case's value (the ApplicationId naming the SDK's own inbox).

Without a wire form: the other group payloads name inboxes of the family's own (creators, super admins, members)
that are in no group the SDK shares, so a commit or a group holding them would mean something else than the case
(0xF000, 0xFF00, 0xFF01); RequiredCapabilities is no commit's to change; whether a key package carries 0xFF03 or
0xFF04 depends on the SDK's version (Welcome wrapping and pointers).
"""

from __future__ import annotations

import dataclasses

from spec_model.xmtp.extensions import XmtpExtensionType

from ..vectors.families import group_context_extensions as family
from ..vectors.formats import CodecCase, Verdict
from .permissions import PermissionWire
from .world import GroupSpec, WireFailure, World, group_spec

__all__ = ["derive"]

OWN = {"application_id_leaf_extension": "leaf", "last_resort_key_package_extension": "key_package"}
"""The cases of an extension in every key package an XMTP client publishes -> where it sits."""


@dataclasses.dataclass(frozen=True)
class OwnKeyPackageWire:
    """An extension the SDK's own key package carries, encoded as the case's value is (its ``inbox_id``, if it
    has one, the SDK's own)."""

    spec: GroupSpec
    case_id: str
    type: str
    decoded: dict
    where: str  # "leaf" or "key_package"

    def play(self, world: World) -> None:
        profile = self.spec.profile or world.profile
        world.sdk_client(profile)
        key_package = world.sdk_key_package(profile)
        decoded = {**self.decoded, "inbox_id": world.sdk[profile]["inbox_id"]} if "inbox_id" in self.decoded \
            else self.decoded
        expected = family.answer({"ask": "encode", "type": self.type, "decoded": decoded})["encoded"]
        extension_type = family.CODECS[self.type].extension_type
        extensions = key_package.leaf_node.extensions if self.where == "leaf" else key_package.extensions
        found = [e.extension_data.hex() for e in extensions if e.extension_type == extension_type]
        if found != [expected]:
            raise WireFailure(f"{self.case_id}: the SDK's key package should carry {extension_type:#06x} in its "
                              f"{self.where.replace('_', ' ')} once, encoded as the case's value; it carries {found}",
                              expected=[expected], actual=found)

PERMISSIONS = f"0x{int(XmtpExtensionType.MUTABLE_PERMISSIONS):04X}"
"""How the family's ``type`` names 0xFF02."""


def _spec() -> GroupSpec:
    return group_spec("group_context_extensions")


def derive(case: CodecCase) -> PermissionWire | OwnKeyPackageWire | str:
    """The wire form of a group_context_extensions case, or why it has none."""
    name = case.id.split("::")[1]
    if name in OWN:
        return OwnKeyPackageWire(_spec(), case.id, case.type, case.decoded, OWN[name])
    if not case.type.startswith(PERMISSIONS + " "):
        if case.type.startswith(("0xF000", "0xFF00", "0xFF01")):
            return "the payload names inboxes of the family's own, in no group the SDK shares"
        if case.type.startswith("0x0003"):
            return "RequiredCapabilities is no commit's to change"
        return "whether a key package carries it depends on the SDK's version (Welcome wrapping and pointers)"
    return PermissionWire(_spec(), "super_admin", "decode", Verdict(case.expected.result) == Verdict.VALID,
                          encoded=case.encoded, private=True)
