"""RFC 9420 §6: ``MLSMessage``, the envelope every MLS message travels in."""

from __future__ import annotations

from typing import Union

from .codec import U16, DecodeError, Reader, Struct, field, kind_of
from .framing import PrivateMessage, PublicMessage, WireFormat
from .group_context import ProtocolVersion
from .key_package import KeyPackage
from .welcome import GroupInfo, Welcome

__all__ = ["MLSMessage", "Body"]

Body = Union[PublicMessage, PrivateMessage, Welcome, GroupInfo, KeyPackage]

_BODIES: dict[WireFormat, type] = {
    WireFormat.mls_public_message: PublicMessage,
    WireFormat.mls_private_message: PrivateMessage,
    WireFormat.mls_welcome: Welcome,
    WireFormat.mls_group_info: GroupInfo,
    WireFormat.mls_key_package: KeyPackage,
}
_WIRE_FORMAT_OF = {cls: wf for wf, cls in _BODIES.items()}


class MLSMessage(Struct):
    """RFC 9420 §6: ``MLSMessage``: version, wire format, and the body it selects.

    Only ``mls10`` is accepted; an unknown version or wire format is a ``DecodeError``.
    """

    body: Body

    @property
    def wire_format(self) -> WireFormat:
        """RFC 9420 §6: the ``WireFormat`` of the body."""
        return _WIRE_FORMAT_OF[type(self.body)]

    def write(self, out: bytearray) -> None:
        """RFC 9420 §6: version, wire format, then the body."""
        U16.write(ProtocolVersion.mls10, out)
        U16.write(self.wire_format, out)
        self.body.write(out)

    @classmethod
    def read(cls, r: Reader) -> "MLSMessage":
        """RFC 9420 §6: an ``MLSMessage``; the body follows its wire format."""
        version = U16.read(r)
        if version != ProtocolVersion.mls10:
            raise DecodeError("version", f"unsupported ProtocolVersion {version}")
        raw = U16.read(r)
        try:
            body_cls = _BODIES[WireFormat(raw)]
        except ValueError:
            raise DecodeError("wire_format", f"unknown WireFormat {raw}") from None
        with field(body_cls.__name__):
            return cls(kind_of(body_cls).read(r))
