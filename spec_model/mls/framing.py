"""RFC 9420 §6: message framing: FramedContent, its authentication, PublicMessage, PrivateMessage.

Theory of operation
-------------------
A sender builds a ``FramedContent`` (group, epoch, sender, authenticated data
and one of: application data, a proposal, a commit), signs it into an
``AuthenticatedContent`` (§6.1) and sends it either as a ``PublicMessage``
(§6.2: in the clear, with a membership tag when the sender is a member) or as
a ``PrivateMessage`` (§6.3: content and signature encrypted under the secret
tree, sender identity encrypted under the sender-data secret).

The content is a ``select (content_type)``: here ``FramedContent.content`` is
``bytes`` (application data), a proposal struct or a ``Commit``; the content
type follows from it. The auth data's confirmation tag exists only for commits,
and the membership tag only for member senders: those selects depend on
earlier fields, so the structures read them by hand.
"""

from __future__ import annotations

import enum
from typing import Union

from .codec import (
    OPAQUE, U8, U16, U32, U64, Annotated, DecodeError, Enum, Reader, Struct, Tagged, kind_of,
)
from .commit import Commit
from .group_context import GroupContext, ProtocolVersion
from .proposals import PROPOSAL, Proposal

__all__ = [
    "WireFormat", "ContentType", "SenderType", "MemberSender", "ExternalSender",
    "NewMemberProposalSender", "NewMemberCommitSender", "Sender", "SENDER", "Content",
    "content_type_of", "FramedContent", "FramedContentAuthData", "AuthenticatedContent",
    "PublicMessage", "PrivateMessage", "SenderData", "framed_content_tbs",
]


class WireFormat(enum.IntEnum):
    """RFC 9420 §6, §17.2: ``WireFormat``."""

    mls_public_message = 1
    mls_private_message = 2
    mls_welcome = 3
    mls_group_info = 4
    mls_key_package = 5


class ContentType(enum.IntEnum):
    """RFC 9420 §6: ``ContentType``."""

    application = 1
    proposal = 2
    commit = 3


class SenderType(enum.IntEnum):
    """RFC 9420 §6: ``SenderType``."""

    member = 1
    external = 2
    new_member_proposal = 3
    new_member_commit = 4


class MemberSender(Struct):
    """A member, by leaf index."""

    TAG = SenderType.member
    leaf_index: Annotated[int, U32]


class ExternalSender(Struct):
    """An external sender, by index into the ``external_senders`` extension (§12.1.8.1)."""

    TAG = SenderType.external
    sender_index: Annotated[int, U32]


class NewMemberProposalSender(Struct):
    """A non-member proposing to add itself (§12.1.8)."""

    TAG = SenderType.new_member_proposal


class NewMemberCommitSender(Struct):
    """A non-member joining by external commit (§12.4.3.2)."""

    TAG = SenderType.new_member_commit


Sender = Union[MemberSender, ExternalSender, NewMemberProposalSender, NewMemberCommitSender]
SENDER = Tagged(U8, "SenderType", (MemberSender, ExternalSender, NewMemberProposalSender,
                                   NewMemberCommitSender))
"""RFC 9420 §6: ``Sender``."""

Content = Union[bytes, Proposal, Commit]
"""``select (content_type)``: application data, a proposal or a commit."""

_COMMIT = kind_of(Commit)


def content_type_of(content: Content) -> ContentType:
    """The ``ContentType`` that selects ``content``."""
    if isinstance(content, bytes):
        return ContentType.application
    if isinstance(content, Commit):
        return ContentType.commit
    return ContentType.proposal


def write_content(content: Content, out: bytearray) -> None:
    """The body selected by the content type (the type itself is written by the caller)."""
    if isinstance(content, bytes):
        OPAQUE.write(content, out)
    elif isinstance(content, Commit):
        _COMMIT.write(content, out)
    else:
        PROPOSAL.write(content, out)


def read_content(content_type: ContentType, r: Reader) -> Content:
    if content_type == ContentType.application:
        return OPAQUE.read(r)
    if content_type == ContentType.proposal:
        return PROPOSAL.read(r)
    return _COMMIT.read(r)


_CONTENT_TYPE = Enum(U8, ContentType)
_WIRE_FORMAT = Enum(U16, WireFormat)


class FramedContent(Struct):
    """RFC 9420 §6: ``FramedContent``."""

    group_id: bytes
    epoch: int
    sender: Sender
    authenticated_data: bytes
    content: Content

    @property
    def content_type(self) -> ContentType:
        return content_type_of(self.content)

    def write(self, out: bytearray) -> None:
        OPAQUE.write(self.group_id, out)
        U64.write(self.epoch, out)
        SENDER.write(self.sender, out)
        OPAQUE.write(self.authenticated_data, out)
        _CONTENT_TYPE.write(self.content_type, out)
        write_content(self.content, out)

    @classmethod
    def read(cls, r: Reader) -> "FramedContent":
        fields = {}
        for name, kind in (("group_id", OPAQUE), ("epoch", U64), ("sender", SENDER),
                           ("authenticated_data", OPAQUE), ("content_type", _CONTENT_TYPE)):
            try:
                fields[name] = kind.read(r)
            except DecodeError as e:
                raise e.within(name) from None
        content_type = fields.pop("content_type")
        try:
            content = read_content(content_type, r)
        except DecodeError as e:
            raise e.within("content") from None
        return cls(content=content, **fields)


def framed_content_tbs(wire_format: WireFormat, content: FramedContent,
                       context: GroupContext | None) -> bytes:
    """RFC 9420 §6.1: ``FramedContentTBS``; the group context is included for member
    and new-member-commit senders and must then be given."""
    out = bytearray()
    U16.write(ProtocolVersion.mls10, out)
    _WIRE_FORMAT.write(wire_format, out)
    content.write(out)
    if isinstance(content.sender, (MemberSender, NewMemberCommitSender)):
        if context is None:
            raise ValueError("FramedContentTBS of a member or new-member-commit sender needs the group context")
        context.write(out)
    return bytes(out)


class FramedContentAuthData(Struct):
    """RFC 9420 §6.1: ``FramedContentAuthData``: the signature, and for commits the confirmation tag."""

    signature: bytes
    confirmation_tag: bytes | None = None

    def write(self, out: bytearray) -> None:
        OPAQUE.write(self.signature, out)
        if self.confirmation_tag is not None:
            OPAQUE.write(self.confirmation_tag, out)

    @classmethod
    def read_for(cls, content_type: ContentType, r: Reader) -> "FramedContentAuthData":
        """Read the auth data that follows content of ``content_type``."""
        try:
            signature = OPAQUE.read(r)
        except DecodeError as e:
            raise e.within("signature") from None
        tag = None
        if content_type == ContentType.commit:
            try:
                tag = OPAQUE.read(r)
            except DecodeError as e:
                raise e.within("confirmation_tag") from None
        return cls(signature, tag)


class AuthenticatedContent(Struct):
    """RFC 9420 §6.1: ``AuthenticatedContent``: framed content with its auth data."""

    wire_format: WireFormat
    content: FramedContent
    auth: FramedContentAuthData

    def write(self, out: bytearray) -> None:
        _WIRE_FORMAT.write(self.wire_format, out)
        self.content.write(out)
        self.auth.write(out)

    @classmethod
    def read(cls, r: Reader) -> "AuthenticatedContent":
        wire_format = _WIRE_FORMAT.read(r)
        content = FramedContent.read(r)
        return cls(wire_format, content, FramedContentAuthData.read_for(content.content_type, r))


class PublicMessage(Struct):
    """RFC 9420 §6.2: ``PublicMessage``; ``membership_tag`` only for member senders."""

    content: FramedContent
    auth: FramedContentAuthData
    membership_tag: bytes | None = None

    def write(self, out: bytearray) -> None:
        self.content.write(out)
        self.auth.write(out)
        if isinstance(self.content.sender, MemberSender):
            if self.membership_tag is None:
                raise ValueError("a PublicMessage from a member carries a membership tag")
            OPAQUE.write(self.membership_tag, out)

    @classmethod
    def read(cls, r: Reader) -> "PublicMessage":
        try:
            content = FramedContent.read(r)
        except DecodeError as e:
            raise e.within("content") from None
        auth = FramedContentAuthData.read_for(content.content_type, r)
        tag = None
        if isinstance(content.sender, MemberSender):
            try:
                tag = OPAQUE.read(r)
            except DecodeError as e:
                raise e.within("membership_tag") from None
        return cls(content, auth, tag)


class PrivateMessage(Struct):
    """RFC 9420 §6.3: ``PrivateMessage``."""

    group_id: Annotated[bytes, OPAQUE]
    epoch: Annotated[int, U64]
    content_type: Annotated[ContentType, _CONTENT_TYPE]
    authenticated_data: Annotated[bytes, OPAQUE]
    encrypted_sender_data: Annotated[bytes, OPAQUE]
    ciphertext: Annotated[bytes, OPAQUE]


class SenderData(Struct):
    """RFC 9420 §6.3.2: ``SenderData``: who sent a PrivateMessage, at which generation."""

    leaf_index: int
    generation: int
    reuse_guard: bytes

    def write(self, out: bytearray) -> None:
        U32.write(self.leaf_index, out)
        U32.write(self.generation, out)
        out += self.reuse_guard

    @classmethod
    def read(cls, r: Reader) -> "SenderData":
        return cls(U32.read(r), U32.read(r), r.take(4))
