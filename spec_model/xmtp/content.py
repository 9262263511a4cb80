"""Application payloads: the envelope, encoded content, content types, message ids (docs/xmtp-facts.md §6).

Theory of operation
-------------------
MLS application data in an XMTP group is a ``PlaintextEnvelope``. Current
clients send only ``V1 {content, idempotency_key}``, where ``content`` is the
bytes of an ``EncodedContent``: a ``ContentTypeId`` naming the codec, string
parameters, the codec's bytes and an optional fallback text. ``V2`` (device
sync v1, retired) still decodes but a receiver ignores it.

A message's id is computed, not sent: ``sha256(group_id ‖ 0x09 ‖ key ‖ 0x09 ‖
content)`` over the EncodedContent bytes exactly as they travel, so a receiver
recomputes it from the envelope it decrypted. ``GroupUpdated`` is the
transcript message a client builds locally from a validated commit; it is never
sent, and its id uses the commit envelope's server timestamp as the key.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib

from spec_model.mls.reasons import Rejected

from .proto import BYTES, STRING, UINT32, Annotated, DecodeError, EnumKind, Field, Map, Message, MessageKind

__all__ = [
    "ContentReason", "Compression", "ContentTypeId", "EncodedContent", "PlaintextEnvelopeV1",
    "PlaintextEnvelopeV2", "PlaintextEnvelope", "Inbox", "MetadataFieldChange", "GroupUpdated",
    "ApplicationMessage", "content_type_of", "TEXT", "GROUP_UPDATED", "LEAVE_REQUEST", "DELETE_MESSAGE", "REACTION", "REACTION_V2",
    "READ_RECEIPT", "ATTACHMENT", "REMOTE_STATIC_ATTACHMENT", "MULTI_REMOTE_STATIC_ATTACHMENT",
    "TRANSACTION_REFERENCE", "WALLET_SEND_CALLS", "MARKDOWN", "GROUP_MEMBERSHIP_CHANGE", "DEVICE_SYNC",
    "message_id", "transcript_message_id", "encode_text", "decode_text", "encode_group_updated",
    "decode_group_updated", "seal_envelope", "open_envelope",
]


class ContentReason(enum.StrEnum):
    """docs/xmtp-facts.md §6: why an application payload is refused."""

    MALFORMED_ENVELOPE = "malformed_envelope"        # docs/xmtp-facts.md §6: the PlaintextEnvelope is valid protobuf
    EMPTY_ENVELOPE = "empty_envelope"                # libxmtp mls_sync: neither V1 nor V2 -> InvalidPayload
    WRONG_CONTENT_TYPE = "wrong_content_type"        # docs/xmtp-facts.md §6: a codec decodes only its own ContentTypeId
    UNSUPPORTED_ENCODING = "unsupported_encoding"    # libxmtp TextCodec::decode: encoding, if given, is UTF-8
    MALFORMED_CONTENT = "malformed_content"          # docs/xmtp-facts.md §6: the codec's bytes decode (UTF-8, protobuf)


# ------------------------------------------------------------------ messages

class Compression(enum.IntEnum):
    """docs/xmtp-facts.md §6: EncodedContent.compression."""

    DEFLATE = 0
    GZIP = 1


class ContentTypeId(Message):
    """docs/xmtp-facts.md §6: ``ContentTypeId``, written ``authority/type:major.minor``."""

    authority_id: Annotated[str, Field(1, STRING)] = ""
    type_id: Annotated[str, Field(2, STRING)] = ""
    version_major: Annotated[int, Field(3, UINT32)] = 0
    version_minor: Annotated[int, Field(4, UINT32)] = 0

    def __str__(self) -> str:
        return f"{self.authority_id}/{self.type_id}:{self.version_major}.{self.version_minor}"


class EncodedContent(Message):
    """docs/xmtp-facts.md §6: ``EncodedContent``, the bytes inside ``PlaintextEnvelope.V1.content``."""

    type: Annotated[ContentTypeId | None, Field(1, MessageKind(ContentTypeId))] = None
    parameters: Annotated[dict[str, str], Field(2, Map(STRING, STRING))] = dataclasses.field(default_factory=dict)
    fallback: Annotated[str | None, Field(3, STRING, optional=True)] = None
    content: Annotated[bytes, Field(4, BYTES)] = b""
    compression: Annotated[int | None, Field(5, EnumKind(Compression), optional=True)] = None


class PlaintextEnvelopeV1(Message):
    """docs/xmtp-facts.md §6: ``PlaintextEnvelope.V1``; ``content`` is EncodedContent bytes."""

    content: Annotated[bytes, Field(1, BYTES)] = b""
    idempotency_key: Annotated[str, Field(2, STRING)] = ""


class PlaintextEnvelopeV2(Message):
    """docs/xmtp-facts.md §6: ``PlaintextEnvelope.V2`` (device sync v1, ignored on receive).

    Only the fields a receiver could look at are declared; the device-sync
    members 3–5 of its oneof are skipped as unknown fields.
    """

    idempotency_key: Annotated[str, Field(1, STRING)] = ""
    content: Annotated[bytes | None, Field(2, BYTES, oneof="message_type")] = None


class PlaintextEnvelope(Message):
    """docs/xmtp-facts.md §6: ``PlaintextEnvelope``, the MLS application data of an XMTP group message."""

    v1: Annotated[PlaintextEnvelopeV1 | None, Field(1, MessageKind(PlaintextEnvelopeV1), oneof="content")] = None
    v2: Annotated[PlaintextEnvelopeV2 | None, Field(2, MessageKind(PlaintextEnvelopeV2), oneof="content")] = None


class Inbox(Message):
    """docs/xmtp-facts.md §6: ``GroupUpdated.Inbox``."""

    inbox_id: Annotated[str, Field(1, STRING)] = ""


class MetadataFieldChange(Message):
    """docs/xmtp-facts.md §6: ``GroupUpdated.MetadataFieldChange``; ``None`` values are absent (set or cleared)."""

    field_name: Annotated[str, Field(1, STRING)] = ""
    old_value: Annotated[str | None, Field(2, STRING, optional=True)] = None
    new_value: Annotated[str | None, Field(3, STRING, optional=True)] = None


def _inboxes(number: int) -> Field:
    return Field(number, MessageKind(Inbox), repeated=True)


class GroupUpdated(Message):
    """docs/xmtp-facts.md §6: ``GroupUpdated``, the transcript message built locally from a validated commit."""

    initiated_by_inbox_id: Annotated[str, Field(1, STRING)] = ""
    added_inboxes: Annotated[tuple[Inbox, ...], _inboxes(2)] = ()
    removed_inboxes: Annotated[tuple[Inbox, ...], _inboxes(3)] = ()
    metadata_field_changes: Annotated[
        tuple[MetadataFieldChange, ...], Field(4, MessageKind(MetadataFieldChange), repeated=True)] = ()
    left_inboxes: Annotated[tuple[Inbox, ...], _inboxes(5)] = ()
    added_admin_inboxes: Annotated[tuple[Inbox, ...], _inboxes(6)] = ()
    removed_admin_inboxes: Annotated[tuple[Inbox, ...], _inboxes(7)] = ()
    added_super_admin_inboxes: Annotated[tuple[Inbox, ...], _inboxes(8)] = ()
    removed_super_admin_inboxes: Annotated[tuple[Inbox, ...], _inboxes(9)] = ()


# ------------------------------------------------------------------ content types

def _xmtp(type_id: str, major: int = 1, minor: int = 0) -> ContentTypeId:
    return ContentTypeId("xmtp.org", type_id, major, minor)


TEXT = _xmtp("text")
GROUP_UPDATED = _xmtp("group_updated")
LEAVE_REQUEST = _xmtp("leave_request")
DELETE_MESSAGE = _xmtp("deleteMessage")
REACTION = _xmtp("reaction")  # JSON
REACTION_V2 = _xmtp("reaction", 2)  # protobuf
READ_RECEIPT = _xmtp("readReceipt")
ATTACHMENT = _xmtp("attachment")
REMOTE_STATIC_ATTACHMENT = _xmtp("remoteStaticAttachment")
MULTI_REMOTE_STATIC_ATTACHMENT = _xmtp("multiRemoteStaticAttachment")
TRANSACTION_REFERENCE = _xmtp("transactionReference")
WALLET_SEND_CALLS = _xmtp("walletSendCalls")
MARKDOWN = _xmtp("markdown")
GROUP_MEMBERSHIP_CHANGE = _xmtp("group_membership_change")  # legacy
DEVICE_SYNC = _xmtp("application/x-protobuf")  # docs/xmtp-facts.md §9: sync-group control messages

_ENCODING, _UTF8 = "encoding", "UTF-8"


def encode_text(text: str) -> EncodedContent:
    """libxmtp crates/xmtp_content_types/src/text.rs@a53a97e TextCodec::encode: UTF-8 bytes, parameter
    ``encoding=UTF-8``, no fallback."""
    return EncodedContent(type=TEXT, parameters={_ENCODING: _UTF8}, content=text.encode())


def decode_text(encoded: EncodedContent) -> str:
    """libxmtp crates/xmtp_content_types/src/text.rs@a53a97e TextCodec::decode: a missing ``encoding`` means UTF-8;
    any other encoding is refused."""
    _expect_type(encoded, TEXT)
    if encoded.parameters.get(_ENCODING, _UTF8) != _UTF8:
        raise Rejected(ContentReason.UNSUPPORTED_ENCODING, encoded.parameters[_ENCODING])
    try:
        return encoded.content.decode()
    except UnicodeDecodeError as e:
        raise Rejected(ContentReason.MALFORMED_CONTENT, str(e)) from None


def encode_group_updated(update: GroupUpdated) -> EncodedContent:
    """libxmtp crates/xmtp_content_types/src/group_updated.rs@a53a97e GroupUpdatedCodec::encode: the GroupUpdated
    protobuf, no parameters."""
    return EncodedContent(type=GROUP_UPDATED, content=update.encode())


def decode_group_updated(encoded: EncodedContent) -> GroupUpdated:
    """libxmtp crates/xmtp_content_types/src/group_updated.rs@a53a97e GroupUpdatedCodec::decode: the content
    decodes as GroupUpdated."""
    _expect_type(encoded, GROUP_UPDATED)
    try:
        return GroupUpdated.decode(encoded.content)
    except DecodeError as e:
        raise Rejected(ContentReason.MALFORMED_CONTENT, str(e)) from None


def _expect_type(encoded: EncodedContent, expected: ContentTypeId) -> None:
    if encoded.type != expected:
        raise Rejected(ContentReason.WRONG_CONTENT_TYPE, f"{encoded.type}, expected {expected}")


# ------------------------------------------------------------------ ids and envelopes

def content_type_of(encoded_content: bytes) -> ContentTypeId:
    """libxmtp crates/xmtp_mls/src/groups/mod.rs@a53a97e ``extract_queryable_content_fields``: the type a
    message is stored under; bytes that are not ``EncodedContent`` are stored all the same, under the
    empty type."""
    try:
        return EncodedContent.decode(encoded_content).type or ContentTypeId()
    except DecodeError:
        return ContentTypeId()


def message_id(group_id: bytes, idempotency_key: str, encoded_content: bytes) -> bytes:
    """libxmtp crates/xmtp_mls/src/utils/mod.rs@a53a97e calculate_message_id: sha256(group_id ‖ 0x09 ‖ utf8(key) ‖
    0x09 ‖ EncodedContent bytes)."""
    return hashlib.sha256(group_id + b"\t" + idempotency_key.encode() + b"\t" + encoded_content).digest()


def transcript_message_id(group_id: bytes, server_timestamp_ns: int, encoded_content: bytes) -> bytes:
    """docs/xmtp-facts.md §6: a transcript message's id keys on the commit envelope's server timestamp in decimal."""
    return message_id(group_id, str(server_timestamp_ns), encoded_content)


@dataclasses.dataclass(frozen=True)
class ApplicationMessage:
    """docs/xmtp-facts.md §6: a received V1 payload: its id, idempotency key and EncodedContent bytes as sent."""

    id: bytes
    idempotency_key: str
    encoded_content: bytes


def seal_envelope(encoded: EncodedContent, idempotency_key: str) -> bytes:
    """docs/xmtp-facts.md §6: the V1 PlaintextEnvelope a current client sends (the key defaults to now_ns in decimal)."""
    return PlaintextEnvelope(v1=PlaintextEnvelopeV1(encoded.encode(), idempotency_key)).encode()


def open_envelope(group_id: bytes, data: bytes) -> ApplicationMessage | None:
    """docs/xmtp-facts.md §6: decode application data; V1 yields a message with its recomputed id, V2 is ignored (None)."""
    try:
        envelope = PlaintextEnvelope.decode(data)
    except DecodeError as e:
        raise Rejected(ContentReason.MALFORMED_ENVELOPE, str(e)) from None
    if envelope.v1 is not None:
        v1 = envelope.v1
        return ApplicationMessage(message_id(group_id, v1.idempotency_key, v1.content), v1.idempotency_key,
                                  v1.content)
    if envelope.v2 is not None:
        return None
    raise Rejected(ContentReason.EMPTY_ENVELOPE)
