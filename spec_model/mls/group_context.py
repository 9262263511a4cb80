"""RFC 9420 §8.1: the GroupContext every member of a group keeps, and the §7.2 ``Extension`` struct.

``version`` and ``cipher_suite`` are plain integers so that a GroupContext
carrying an unknown protocol version or cipher suite still decodes; checking
them against what the client supports is the caller's job (e.g. §12.4.3.1).
"""

from __future__ import annotations

import enum

from .codec import OPAQUE, U16, U64, Annotated, Struct, Vector

__all__ = ["ProtocolVersion", "Extension", "GroupContext"]


class ProtocolVersion(enum.IntEnum):
    """RFC 9420 §6: ``ProtocolVersion``; ``mls10`` is the only registered version."""

    mls10 = 1


class Extension(Struct):
    """RFC 9420 §7.2: ``Extension``, a type and its opaque data (registry: §13.4, §17.3)."""

    extension_type: Annotated[int, U16]
    extension_data: Annotated[bytes, OPAQUE]


class GroupContext(Struct):
    """RFC 9420 §8.1: ``GroupContext``, the summary of a group's state in one epoch."""

    version: Annotated[int, U16]
    cipher_suite: Annotated[int, U16]
    group_id: Annotated[bytes, OPAQUE]
    epoch: Annotated[int, U64]
    tree_hash: Annotated[bytes, OPAQUE]
    confirmed_transcript_hash: Annotated[bytes, OPAQUE]
    extensions: Annotated[tuple[Extension, ...], Vector(Extension)]
