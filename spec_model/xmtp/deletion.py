"""XIP-76 message deletion as libxmtp implements it: who may delete what, and how a deleted message is shown.

Theory of operation
-------------------
A member deletes a message by sending a ``DeleteMessage{message_id}``
(content type ``xmtp.org/deleteMessage:1.0``, the id hex-encoded) to the
group. Only the message's sender or a super admin may delete it, and only an
application message of a deletable content type (text, markdown, reply,
attachments, transaction references, wallet send calls): never a transcript,
a reaction, a read receipt, a leave request or another deletion. The sender
refuses a deletion that breaks a rule (libxmtp crates/xmtp_mls/src/groups/
mod.rs ``delete_message``@b649d1a); a receiver records every deletion it can
decode and drops the ones that break a rule (crates/xmtp_mls/src/groups/
mls_sync.rs ``process_delete_message``@b649d1a). A deletion that arrives before
its message is recorded all the same and judged when the message is listed.

Listings leave out DeleteMessage messages themselves and show a deleted
message in place, as ``xmtp.org/deletedMessage:1.0`` naming who deleted it:
its sender, or a super admin (crates/xmtp_mls/src/messages/enrichment.rs
``is_deletion_valid`` and ``enrich_messages``@b649d1a; crates/xmtp_mls/src/
groups/message_list.rs ``filter_out_hidden_message_types_from_query``@b649d1a).
"""

from __future__ import annotations

import enum
from typing import Annotated

from spec_model.mls.reasons import Rejected, RefusalClass, reason_codes

from .content import DELETE_MESSAGE, ContentTypeId, EncodedContent
from .delivery import GroupMessageKind
from .proto import STRING, DecodeError, Field, Message
from .store_rows import MessageDeletionRow, MessageRow

__all__ = [
    "DeletionReason", "DeleteMessage", "DELETED_MESSAGE", "DELETABLE_TYPE_IDS", "HIDDEN_TYPE_IDS", "is_deletable",
    "encode_delete_message", "decode_delete_message", "check_deletion", "is_deletion_valid",
]


@reason_codes("deletion", message_not_found=RefusalClass.NOT_FOUND, not_authorized=RefusalClass.PERMISSION)
class DeletionReason(enum.StrEnum):
    """libxmtp crates/xmtp_mls/src/groups/error.rs@b649d1a ``DeleteMessageError``: why a deletion is refused."""

    MESSAGE_NOT_FOUND = "deletion.message_not_found"              # no stored message has this id
    NOT_AUTHORIZED = "deletion.not_authorized"                    # neither its sender nor a super admin, or another group's
    MESSAGE_ALREADY_DELETED = "deletion.message_already_deleted"  # a deletion of it is recorded
    NON_DELETABLE_MESSAGE = "deletion.non_deletable_message"      # a transcript, or a content type that is not deletable


class DeleteMessage(Message):
    """xmtp/proto mls/message_contents/content_types/delete_message.proto: ``DeleteMessage``."""

    message_id: Annotated[str, Field(1, STRING)] = ""


DELETED_MESSAGE = ContentTypeId("xmtp.org", "deletedMessage", 1, 0)
"""libxmtp enrichment.rs ``deleted_message_content_type``: what a deleted message is listed as."""

DELETABLE_TYPE_IDS = frozenset({"text", "markdown", "reply", "attachment", "remoteStaticAttachment",
                                "transactionReference", "multiRemoteStaticAttachment", "walletSendCalls"})
"""libxmtp crates/xmtp_db/src/encrypted_store/group_message.rs ``Deletable for ContentType``@b649d1a, by type id
(libxmtp maps a stored message's type id to its ``ContentType``; any other type, unknown ones included, is not
deletable)."""

HIDDEN_TYPE_IDS = ("deleteMessage",)
"""The xmtp.org types a listing leaves out: DeleteMessage, whose effect shows on the message it deletes. (libxmtp's
enriched listing, message_list.rs ``filter_out_hidden_message_types_from_query``, also hides reactions and read
receipts; ``find_messages``, which the adapter protocol's ``clients.messages`` follows, lists them.)"""


def is_deletable(message: MessageRow) -> bool:
    """libxmtp crates/xmtp_db/src/encrypted_store/group_message.rs@b649d1a ``Deletable``: an application message of a deletable content type."""
    return message.kind == GroupMessageKind.APPLICATION and message.type_id in DELETABLE_TYPE_IDS


def encode_delete_message(message_id: bytes) -> EncodedContent:
    """libxmtp crates/xmtp_content_types/src/delete_message.rs@b649d1a ``DeleteMessageCodec::encode``: the id in hex."""
    return EncodedContent(type=DELETE_MESSAGE, content=DeleteMessage(message_id.hex()).encode())


def decode_delete_message(encoded: EncodedContent) -> bytes | None:
    """libxmtp crates/xmtp_mls/src/groups/mls_sync.rs@b649d1a ``process_delete_message``: the id a DeleteMessage names; None if it does not decode (skipped)."""
    try:
        return bytes.fromhex(DeleteMessage.decode(encoded.content).message_id)
    except (DecodeError, ValueError):
        return None


def check_deletion(message: MessageRow | None, message_id: bytes, group_id: bytes, deleter_inbox_id: str,
                   deleter_is_super_admin: bool, already_deleted: bool) -> None:
    """libxmtp crates/xmtp_mls/src/groups/mod.rs@b649d1a ``delete_message``: the sender's checks, in libxmtp's order."""
    if message is None:
        raise Rejected(DeletionReason.MESSAGE_NOT_FOUND, message_id.hex())
    if message.group_id != group_id:
        raise Rejected(DeletionReason.NOT_AUTHORIZED, "the message is in another group")
    if already_deleted:
        raise Rejected(DeletionReason.MESSAGE_ALREADY_DELETED, message_id.hex())
    if message.sender_inbox_id != deleter_inbox_id and not deleter_is_super_admin:
        raise Rejected(DeletionReason.NOT_AUTHORIZED, "only the sender or a super admin deletes a message")
    if not is_deletable(message):
        raise Rejected(DeletionReason.NON_DELETABLE_MESSAGE, f"{message.kind.name} {message.type_id}")


def is_deletion_valid(deletion: MessageDeletionRow, message: MessageRow) -> bool:
    """libxmtp crates/xmtp_mls/src/messages/enrichment.rs@b649d1a ``is_deletion_valid``: the deletion names this message of its group, the message is
    deletable, and the deleter is its sender or was a super admin when the deletion was processed."""
    return (deletion.deleted_message_id == message.id and deletion.group_id == message.group_id
            and is_deletable(message)
            and (deletion.deleted_by_inbox_id == message.sender_inbox_id or bool(deletion.is_super_admin_deletion)))
