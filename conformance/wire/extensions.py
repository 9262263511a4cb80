"""``wire/group_context_extensions::<case>``: a group-context extension payload committed to a group the SDK shares.

A 0xFF02 case (``GroupMutablePermissionsV1``) becomes a super admin's commit replacing the group's 0xFF02 with the
case's bytes (``permissions.PermissionWire``, as a permissions ``decode`` case): the super admin may change the
policies, so XMTP accepts it, and the SDK must show the policy set the payload holds.

Without a wire form: the other payloads name inboxes of the family's own (creators, super admins, members) that
are in no group the SDK shares, so a commit or a group holding them would mean something else than the case
(0xF000, 0xFF00, 0xFF01); RequiredCapabilities and the key-package and leaf extensions are not a group's to
change by a commit.
"""

from __future__ import annotations

from spec_model.xmtp.extensions import XmtpExtensionType

from ..vectors.formats import CodecCase, Verdict
from .permissions import PermissionWire
from .world import GroupSpec, group_spec

__all__ = ["derive"]

PERMISSIONS = f"0x{int(XmtpExtensionType.MUTABLE_PERMISSIONS):04X}"
"""How the family's ``type`` names 0xFF02."""


def _spec() -> GroupSpec:
    return group_spec("group_context_extensions")


def derive(case: CodecCase) -> PermissionWire | str:
    """The wire form of a group_context_extensions case, or why it has none."""
    if not case.type.startswith(PERMISSIONS + " "):
        if case.type.startswith(("0xF000", "0xFF00", "0xFF01")):
            return "the payload names inboxes of the family's own, in no group the SDK shares"
        return "not a group's to change by a commit (a key-package, leaf or capability extension)"
    return PermissionWire(_spec(), "super_admin", "decode", Verdict(case.expected.result) == Verdict.VALID,
                          encoded=case.encoded, private=True)
