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

Protection (the second half of this module) turns an ``AuthenticatedContent``
into a PublicMessage or PrivateMessage and back. Unprotecting checks the
membership tag, or decrypts, and returns the ``AuthenticatedContent``; the
caller then checks the signature with ``verify_content_signature`` (it alone
knows the sender's signature key) and the §6 rules with ``validate_content``.
Every failure is ``Rejected`` with its ``Reason``. A
PrivateMessage that fails to decrypt leaves its sender's ratchet as it was, so
the genuine message of that generation still decrypts afterwards.
"""

from __future__ import annotations

import enum
import hmac
import os
from collections.abc import Container
from typing import Union

from .codec import (
    field,
    OPAQUE, U8, U16, U32, U64, Annotated, DecodeError, Enum, Reader, Struct, Tagged, kind_of,
)
from .commit import Commit
from .group_context import GroupContext, ProtocolVersion
from .hpke import DecryptError
from .proposals import PROPOSAL, Add, ExternalInit, Proposal, Update
from .reasons import Reason, Rejected
from .secret_tree import (
    RatchetKind, SecretTree, SecretTreeError, SenderRatchet,
    sender_data_key_nonce,
)
from .suites import CipherSuite, InvalidSignatureError, Rng

__all__ = [
    "WireFormat", "ContentType", "SenderType", "MemberSender", "ExternalSender",
    "NewMemberProposalSender", "NewMemberCommitSender", "Sender", "SENDER", "Content",
    "content_type_of", "FramedContent", "FramedContentAuthData", "AuthenticatedContent",
    "PublicMessage", "PrivateMessage", "SenderData", "framed_content_tbs", "WIRE_FORMAT",
    "sign_content", "verify_content_signature", "membership_tag",
    "protect_public", "unprotect_public", "PrivateMessageContent", "PrivateContentAAD",
    "SenderDataAAD", "protect_private", "unprotect_private", "check_group_and_epoch",
    "validate_content",
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
    """RFC 9420 §6: A member, by leaf index."""

    TAG = SenderType.member
    leaf_index: Annotated[int, U32]


class ExternalSender(Struct):
    """RFC 9420 §12.1.8: an external sender, by index into the ``external_senders`` extension (§12.1.8.1)."""

    TAG = SenderType.external
    sender_index: Annotated[int, U32]


class NewMemberProposalSender(Struct):
    """RFC 9420 §12.1.8: a non-member proposing to add itself."""

    TAG = SenderType.new_member_proposal


class NewMemberCommitSender(Struct):
    """RFC 9420 §12.4.3.2: a non-member joining by external commit."""

    TAG = SenderType.new_member_commit


Sender = Union[MemberSender, ExternalSender, NewMemberProposalSender, NewMemberCommitSender]
SENDER = Tagged(U8, "SenderType", (MemberSender, ExternalSender, NewMemberProposalSender,
                                   NewMemberCommitSender))
"""RFC 9420 §6: ``Sender``."""

Content = Union[bytes, Proposal, Commit]
"""``select (content_type)``: application data, a proposal or a commit."""

_COMMIT = kind_of(Commit)


def content_type_of(content: Content) -> ContentType:
    """RFC 9420 §6: The ``ContentType`` that selects ``content``."""
    if isinstance(content, bytes):
        return ContentType.application
    if isinstance(content, Commit):
        return ContentType.commit
    return ContentType.proposal


def write_content(content: Content, out: bytearray) -> None:
    """RFC 9420 §6: The body selected by the content type (the type itself is written by the caller)."""
    if isinstance(content, bytes):
        OPAQUE.write(content, out)
    elif isinstance(content, Commit):
        _COMMIT.write(content, out)
    else:
        PROPOSAL.write(content, out)


def read_content(content_type: ContentType, r: Reader) -> Content:
    """RFC 9420 §6: the body ``content_type`` selects."""
    if content_type == ContentType.application:
        return OPAQUE.read(r)
    if content_type == ContentType.proposal:
        return PROPOSAL.read(r)
    return _COMMIT.read(r)


_CONTENT_TYPE = Enum(U8, ContentType)
WIRE_FORMAT = Enum(U16, WireFormat)
"""The wire kind of ``WireFormat`` (a uint16)."""


class FramedContent(Struct):
    """RFC 9420 §6: ``FramedContent``."""

    group_id: bytes
    epoch: int
    sender: Sender
    authenticated_data: bytes
    content: Content

    @property
    def content_type(self) -> ContentType:
        """RFC 9420 §6: the ``ContentType`` of the content (application, proposal or commit)."""
        return content_type_of(self.content)

    def write(self, out: bytearray) -> None:
        """RFC 9420 §6: the ``FramedContent`` encoding."""
        OPAQUE.write(self.group_id, out)
        U64.write(self.epoch, out)
        SENDER.write(self.sender, out)
        OPAQUE.write(self.authenticated_data, out)
        _CONTENT_TYPE.write(self.content_type, out)
        write_content(self.content, out)

    @classmethod
    def read(cls, r: Reader) -> "FramedContent":
        """RFC 9420 §6: a ``FramedContent``; the sender and content cases follow their types."""
        fields = {}
        for name, kind in (("group_id", OPAQUE), ("epoch", U64), ("sender", SENDER),
                           ("authenticated_data", OPAQUE), ("content_type", _CONTENT_TYPE)):
            with field(name):
                fields[name] = kind.read(r)
        content_type = fields.pop("content_type")
        with field("content"):
            content = read_content(content_type, r)
        return cls(content=content, **fields)


_FRAMED_CONTENT = kind_of(FramedContent)
"""Reads a ``FramedContent`` keeping the bytes it was read from, which §6.1, §6.2 and §8.2 cover again."""


def framed_content_tbs(wire_format: WireFormat, content: FramedContent,
                       context: GroupContext | None) -> bytes:
    """RFC 9420 §6.1: ``FramedContentTBS``; the group context is included for member
    and new-member-commit senders and must then be given."""
    return b"".join(_framed_content_tbs_parts(wire_format, content, context))


def _framed_content_tbs_parts(wire_format: WireFormat, content: FramedContent,
                              context: GroupContext | None) -> tuple[bytes, ...]:
    """RFC 9420 §6.1: ``FramedContentTBS`` in pieces: the version and wire format, the content's encoding (the
    bytes it was read from, for a received message) and the group context's."""
    header = U16.encode(ProtocolVersion.mls10) + WIRE_FORMAT.encode(wire_format)
    if not isinstance(content.sender, (MemberSender, NewMemberCommitSender)):
        return header, content.encode()
    if context is None:
        raise ValueError("FramedContentTBS of a member or new-member-commit sender needs the group context")
    return header, content.encode(), context.encode()


class FramedContentAuthData(Struct):
    """RFC 9420 §6.1: ``FramedContentAuthData``: the signature, and for commits the confirmation tag."""

    signature: bytes
    confirmation_tag: bytes | None = None

    def write(self, out: bytearray) -> None:
        """RFC 9420 §6.1: the signature, then the confirmation tag of a commit."""
        OPAQUE.write(self.signature, out)
        if self.confirmation_tag is not None:
            OPAQUE.write(self.confirmation_tag, out)

    @classmethod
    def read_for(cls, content_type: ContentType, r: Reader) -> "FramedContentAuthData":
        """RFC 9420 §6.1: Read the auth data that follows content of ``content_type``."""
        with field("signature"):
            signature = OPAQUE.read(r)
        tag = None
        if content_type == ContentType.commit:
            with field("confirmation_tag"):
                tag = OPAQUE.read(r)
        return cls(signature, tag)


class AuthenticatedContent(Struct):
    """RFC 9420 §6.1: ``AuthenticatedContent``: framed content with its auth data."""

    wire_format: WireFormat
    content: FramedContent
    auth: FramedContentAuthData

    def write(self, out: bytearray) -> None:
        """RFC 9420 §6.1: the ``AuthenticatedContent`` encoding."""
        WIRE_FORMAT.write(self.wire_format, out)
        self.content.write(out)
        self.auth.write(out)

    @classmethod
    def read(cls, r: Reader) -> "AuthenticatedContent":
        """RFC 9420 §6.1: an ``AuthenticatedContent``."""
        with field("wire_format"):
            wire_format = WIRE_FORMAT.read(r)
        with field("content"):
            content = _FRAMED_CONTENT.read(r)
        with field("auth"):
            auth = FramedContentAuthData.read_for(content.content_type, r)
        return cls(wire_format, content, auth)


class PublicMessage(Struct):
    """RFC 9420 §6.2: ``PublicMessage``; ``membership_tag`` only for member senders."""

    content: FramedContent
    auth: FramedContentAuthData
    membership_tag: bytes | None = None

    def write(self, out: bytearray) -> None:
        """RFC 9420 §6.2: the ``PublicMessage`` encoding; a member's carries its membership tag."""
        self.content.write(out)
        self.auth.write(out)
        if isinstance(self.content.sender, MemberSender):
            if self.membership_tag is None:
                raise ValueError("a PublicMessage from a member carries a membership tag")
            OPAQUE.write(self.membership_tag, out)

    @classmethod
    def read(cls, r: Reader) -> "PublicMessage":
        """RFC 9420 §6.2: a ``PublicMessage``; the membership tag is read only for a member sender."""
        with field("content"):
            content = _FRAMED_CONTENT.read(r)
        with field("auth"):
            auth = FramedContentAuthData.read_for(content.content_type, r)
        tag = None
        if isinstance(content.sender, MemberSender):
            with field("membership_tag"):
                tag = OPAQUE.read(r)
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
        """RFC 9420 §6.3.2: ``SenderData`` (leaf index, generation, reuse guard)."""
        U32.write(self.leaf_index, out)
        U32.write(self.generation, out)
        out += self.reuse_guard

    @classmethod
    def read(cls, r: Reader) -> "SenderData":
        """RFC 9420 §6.3.2: a ``SenderData``."""
        return cls(U32.read(r), U32.read(r), r.take(4))


# ---------------------------------------------------------------- protection


def _check_confirmation_tag_shape(ac: AuthenticatedContent) -> None:
    if (ac.content.content_type == ContentType.commit) != (ac.auth.confirmation_tag is not None):
        raise ValueError("a commit, and only a commit, carries a confirmation tag")


def sign_content(cs: CipherSuite, wire_format: WireFormat, content: FramedContent,
                 context: GroupContext | None, signature_priv: bytes,
                 confirmation_tag: bytes | None = None) -> AuthenticatedContent:
    """RFC 9420 §6.1: sign ``content`` as it will be sent in ``wire_format``.

    The signature is SignWithLabel(., "FramedContentTBS", FramedContentTBS). A
    commit needs its ``confirmation_tag`` before it is protected; since the tag
    depends on the confirmed transcript hash, which covers this signature
    (§8.2), a committer may sign without it and set ``auth.confirmation_tag`` after.
    """
    tbs = framed_content_tbs(wire_format, content, context)
    signature = cs.sign_with_label(signature_priv, b"FramedContentTBS", tbs)
    return AuthenticatedContent(wire_format, content, FramedContentAuthData(signature, confirmation_tag))


def verify_content_signature(cs: CipherSuite, ac: AuthenticatedContent, context: GroupContext | None,
                             signature_pub: bytes) -> None:
    """RFC 9420 §6.1: check the signature with the sender's key; ``Rejected(Reason.BAD_SIGNATURE)``."""
    tbs = _framed_content_tbs_parts(ac.wire_format, ac.content, context)
    try:
        cs.verify_with_label(signature_pub, b"FramedContentTBS", tbs, ac.auth.signature)
    except InvalidSignatureError as e:
        raise Rejected(Reason.BAD_SIGNATURE, str(e)) from None


def membership_tag(cs: CipherSuite, membership_key: bytes, ac: AuthenticatedContent,
                   context: GroupContext) -> bytes:
    """RFC 9420 §6.2: ``MAC(membership_key, AuthenticatedContentTBM)``, where the TBM is
    FramedContentTBS followed by FramedContentAuthData."""
    return cs.mac(membership_key, *_framed_content_tbs_parts(ac.wire_format, ac.content, context), ac.auth.encode())


def check_group_and_epoch(group_id: bytes, epoch: int, context: GroupContext) -> None:
    """RFC 9420 §6, §12.4.2: a message belongs to this group and its current epoch."""
    if group_id != context.group_id:
        raise Rejected(Reason.WRONG_GROUP, f"group {group_id.hex()}, expected {context.group_id.hex()}")
    if epoch != context.epoch:
        raise Rejected(Reason.WRONG_EPOCH, f"epoch {epoch}, expected {context.epoch}")


def protect_public(cs: CipherSuite, ac: AuthenticatedContent, context: GroupContext,
                   membership_key: bytes | None) -> PublicMessage:
    """RFC 9420 §6.2: a PublicMessage; member senders get a membership tag.

    Application data is never sent in the clear (§6):
    ``Rejected(Reason.APPLICATION_NOT_PRIVATE)``.
    """
    if ac.wire_format != WireFormat.mls_public_message:
        raise ValueError(f"content signed for {ac.wire_format.name}, not mls_public_message")
    _check_confirmation_tag_shape(ac)
    if ac.content.content_type == ContentType.application:
        raise Rejected(Reason.APPLICATION_NOT_PRIVATE)
    tag = None
    if isinstance(ac.content.sender, MemberSender):
        if membership_key is None:
            raise ValueError("a member's PublicMessage needs the membership key")
        tag = membership_tag(cs, membership_key, ac, context)
    return PublicMessage(ac.content, ac.auth, tag)


def unprotect_public(cs: CipherSuite, message: PublicMessage, context: GroupContext,
                     membership_key: bytes) -> AuthenticatedContent:
    """RFC 9420 §6.2: check group, epoch and (for members) the membership tag.

    The signature is the caller's to check, with ``verify_content_signature``.
    """
    content = message.content
    check_group_and_epoch(content.group_id, content.epoch, context)
    if content.content_type == ContentType.application:
        raise Rejected(Reason.APPLICATION_NOT_PRIVATE)
    ac = AuthenticatedContent(WireFormat.mls_public_message, content, message.auth)
    if isinstance(content.sender, MemberSender):
        expected = membership_tag(cs, membership_key, ac, context)
        if message.membership_tag is None or not hmac.compare_digest(expected, message.membership_tag):
            raise Rejected(Reason.BAD_MEMBERSHIP_TAG)
    return ac


class PrivateMessageContent(Struct):
    """RFC 9420 §6.3.1: ``PrivateMessageContent``: content, auth data, then zero padding."""

    content: Content
    auth: FramedContentAuthData
    padding: bytes = b""

    def write(self, out: bytearray) -> None:
        """RFC 9420 §6.3.1: the content, the auth data and the zero padding."""
        write_content(self.content, out)
        self.auth.write(out)
        out += self.padding

    @classmethod
    def decode_for(cls, content_type: ContentType, plaintext: bytes) -> "PrivateMessageContent":
        """RFC 9420 §6.3.1: Decode content and auth as ``content_type`` selects; whatever is left is padding."""
        r = Reader(plaintext)
        with field("PrivateMessageContent.content"):
            content = read_content(content_type, r)
        with field("PrivateMessageContent.auth"):
            auth = FramedContentAuthData.read_for(content_type, r)
        return cls(content, auth, r.take(r.end - r.pos))


class PrivateContentAAD(Struct):
    """RFC 9420 §6.3.1: ``PrivateContentAAD``, the AAD of the content ciphertext."""

    group_id: Annotated[bytes, OPAQUE]
    epoch: Annotated[int, U64]
    content_type: Annotated[ContentType, _CONTENT_TYPE]
    authenticated_data: Annotated[bytes, OPAQUE]


class SenderDataAAD(Struct):
    """RFC 9420 §6.3.2: ``SenderDataAAD``, the AAD of the encrypted sender data."""

    group_id: Annotated[bytes, OPAQUE]
    epoch: Annotated[int, U64]
    content_type: Annotated[ContentType, _CONTENT_TYPE]


def _ratchet_kind(content_type: ContentType) -> RatchetKind:
    """§6.3.1: application messages use the application ratchet, the rest the handshake one."""
    return RatchetKind.APPLICATION if content_type == ContentType.application else RatchetKind.HANDSHAKE


def _guarded(nonce: bytes, reuse_guard: bytes) -> bytes:
    """§6.3.1: XOR the reuse guard into the first four bytes of the key-schedule nonce."""
    return bytes(a ^ b for a, b in zip(nonce, reuse_guard)) + nonce[4:]


def protect_private(cs: CipherSuite, ac: AuthenticatedContent, secret_tree: SecretTree,
                    sender_data_secret: bytes, padding: int = 0, rng: Rng | None = None) -> PrivateMessage:
    """RFC 9420 §6.3: encrypt a member's content under the next generation of its ratchet.

    ``padding`` zero bytes are appended to the PrivateMessageContent; ``rng``
    draws the four-byte reuse guard (default ``os.urandom``).
    """
    if ac.wire_format != WireFormat.mls_private_message:
        raise ValueError(f"content signed for {ac.wire_format.name}, not mls_private_message")
    _check_confirmation_tag_shape(ac)
    content = ac.content
    if not isinstance(content.sender, MemberSender):
        raise Rejected(Reason.SENDER_NOT_MEMBER, "only members send PrivateMessages (§6.3.2)")
    content_type = content.content_type
    leaf = content.sender.leaf_index
    generation, key, nonce = secret_tree.ratchet(leaf, _ratchet_kind(content_type)).next_key()
    reuse_guard = (rng or os.urandom)(4)
    aad = PrivateContentAAD(content.group_id, content.epoch, content_type, content.authenticated_data)
    plaintext = PrivateMessageContent(content.content, ac.auth, bytes(padding)).encode()
    ciphertext = cs.seal(key, _guarded(nonce, reuse_guard), aad.encode(), plaintext)

    sender_data_key, sender_data_nonce = sender_data_key_nonce(cs, sender_data_secret, ciphertext)
    encrypted_sender_data = cs.seal(sender_data_key, sender_data_nonce,
                                    SenderDataAAD(content.group_id, content.epoch, content_type).encode(),
                                    SenderData(leaf, generation, reuse_guard).encode())
    return PrivateMessage(content.group_id, content.epoch, content_type, content.authenticated_data,
                          encrypted_sender_data, ciphertext)


def unprotect_private(cs: CipherSuite, message: PrivateMessage, context: GroupContext,
                      secret_tree: SecretTree, sender_data_secret: bytes) -> AuthenticatedContent:
    """RFC 9420 §6.3: decrypt the sender data, then the content with that sender's key.

    The padding must be all zeros (§6.3.1). If the content does not decrypt
    or parse, the sender's ratchet is left unchanged. The signature is the
    caller's to check, with ``verify_content_signature``.
    """
    check_group_and_epoch(message.group_id, message.epoch, context)
    content_type = message.content_type
    sender_data_key, sender_data_nonce = sender_data_key_nonce(cs, sender_data_secret, message.ciphertext)
    sender_data_aad = SenderDataAAD(message.group_id, message.epoch, content_type).encode()
    try:
        sender_data = SenderData.decode(
            cs.open(sender_data_key, sender_data_nonce, sender_data_aad, message.encrypted_sender_data))
    except DecryptError:
        raise Rejected(Reason.SENDER_DATA_DECRYPT_FAILED) from None
    except DecodeError as e:
        raise Rejected(Reason.MALFORMED_CONTENT, str(e)) from None
    try:
        ratchet = secret_tree.ratchet(sender_data.leaf_index, _ratchet_kind(content_type))
    except SecretTreeError as e:
        raise Rejected(Reason.UNKNOWN_SENDER, str(e)) from None

    saved = ratchet.copy()
    try:
        body = _decrypt_content(cs, ratchet, sender_data, message)
    except Rejected:
        ratchet.restore(saved)
        raise
    content = FramedContent(message.group_id, message.epoch, MemberSender(sender_data.leaf_index),
                            message.authenticated_data, body.content)
    return AuthenticatedContent(WireFormat.mls_private_message, content, body.auth)


def _decrypt_content(cs: CipherSuite, ratchet: SenderRatchet, sender_data: SenderData,
                     message: PrivateMessage) -> PrivateMessageContent:
    try:
        key, nonce = ratchet.key_for(sender_data.generation)
    except SecretTreeError as e:
        raise Rejected(Reason.GENERATION_UNAVAILABLE, str(e)) from None
    aad = PrivateContentAAD(message.group_id, message.epoch, message.content_type,
                            message.authenticated_data).encode()
    try:
        plaintext = cs.open(key, _guarded(nonce, sender_data.reuse_guard), aad, message.ciphertext)
    except DecryptError:
        raise Rejected(Reason.DECRYPT_FAILED) from None
    try:
        body = PrivateMessageContent.decode_for(message.content_type, plaintext)
    except DecodeError as e:
        raise Rejected(Reason.MALFORMED_CONTENT, str(e)) from None
    if any(body.padding):
        raise Rejected(Reason.NONZERO_PADDING)
    return body


_EXTERNAL_PROPOSAL_FORBIDDEN = (Update, ExternalInit)  # "Ext" = N in the §17.4 registry


def validate_content(ac: AuthenticatedContent, context: GroupContext,
                     occupied_leaves: Container[int]) -> None:
    """RFC 9420 §6, §6.1, §6.3.2, §12.1.8: the framing rules a received message must meet.

    Group and epoch match; application data only as PrivateMessage; a
    PrivateMessage only from a member; a member sender's leaf is occupied;
    external senders only send proposals they may send, new members only
    an Add proposal or a commit.
    """
    content = ac.content
    check_group_and_epoch(content.group_id, content.epoch, context)
    sender, body = content.sender, content.content
    private = ac.wire_format == WireFormat.mls_private_message
    if isinstance(body, bytes) and not private:
        raise Rejected(Reason.APPLICATION_NOT_PRIVATE)
    if private and not isinstance(sender, MemberSender):
        raise Rejected(Reason.SENDER_NOT_MEMBER)
    if isinstance(sender, MemberSender) and sender.leaf_index not in occupied_leaves:
        raise Rejected(Reason.UNKNOWN_SENDER, f"leaf {sender.leaf_index} is blank or outside the tree")
    allowed = {
        MemberSender: True,
        ExternalSender: content.content_type == ContentType.proposal
        and not isinstance(body, _EXTERNAL_PROPOSAL_FORBIDDEN),
        NewMemberProposalSender: isinstance(body, Add),
        NewMemberCommitSender: isinstance(body, Commit),
    }[type(sender)]
    if not allowed:
        raise Rejected(Reason.UNSUPPORTED_SENDER,
                           f"{type(sender).__name__} cannot send {content.content_type.name} "
                           f"{type(body).__name__}")
