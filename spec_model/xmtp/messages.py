"""seed ``find_messages``: a group message as the local database holds it, its content decoded."""

from __future__ import annotations

import dataclasses
from typing import Iterable

from spec_model.mls.codec import DecodeError

from .content import ContentTypeId, EncodedContent, decode_text
from .delivery import DeliveryStatus, GroupMessageKind
from .store import MessageRow

__all__ = ["StoredMessage"]


@dataclasses.dataclass(frozen=True)
class StoredMessage:
    """seed ``find_messages``: a message as the local database holds it."""

    id: bytes
    group_id: bytes
    sent_at_ns: int
    kind: GroupMessageKind
    delivery_status: DeliveryStatus
    sender_inbox_id: str
    content: EncodedContent
    expire_at_ns: int | None = None
    """libxmtp ``DecodedMessage::expires_at_ns``: when a disappearing message expires (``disappearing.py``)."""
    deleted_by: str | None = None
    """XIP-76 (``deletion.py``): who deleted the message, "sender" or the super admin's inbox id; its content is
    then ``DELETED_MESSAGE``."""

    @classmethod
    def of(cls, row: MessageRow) -> StoredMessage:
        """libxmtp messages/decoded_message.rs@a53a97e ``DecodedMessage::try_from``: the row with its
        EncodedContent decoded (``DecodeError`` if it is not one); a missing content type is the empty one."""
        content = EncodedContent.decode(row.content)
        if content.type is None:
            content = dataclasses.replace(content, type=ContentTypeId())
        return cls(row.id, row.group_id, row.sent_at_ns, row.kind, row.delivery_status, row.sender_inbox_id, content,
                   row.expire_at_ns)

    @classmethod
    def listed(cls, rows: Iterable[MessageRow]) -> list[StoredMessage]:
        """libxmtp crates/xmtp_mls/src/messages/enrichment.rs@a53a97e: a stored message whose bytes are not
        ``EncodedContent`` is left out of listings (``DecodedMessage::try_from`` fails, ``filter_map`` drops it)."""
        listed = []
        for row in rows:
            try:
                listed.append(cls.of(row))
            except DecodeError:
                continue
        return listed

    @property
    def text(self) -> str:
        """libxmtp crates/xmtp_content_types/src/text.rs@a53a97e TextCodec::decode: the text of a ``text`` message."""
        return decode_text(self.content)
