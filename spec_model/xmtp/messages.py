"""seed ``find_messages``: a group message as the local database holds it, its content decoded."""

from __future__ import annotations

import dataclasses

from .content import EncodedContent, decode_text
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

    @classmethod
    def of(cls, row: MessageRow) -> StoredMessage:
        """libxmtp xmtp_db group_message.rs ``StoredGroupMessage``: the row with its EncodedContent decoded."""
        return cls(row.id, row.group_id, row.sent_at_ns, row.kind, row.delivery_status, row.sender_inbox_id,
                   EncodedContent.decode(row.content))

    @property
    def text(self) -> str:
        """libxmtp TextCodec::decode: the text of a ``text`` message."""
        return decode_text(self.content)
