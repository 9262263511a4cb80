"""History sync ("device sync"): a new installation asks an existing one for the user's history (docs/xmtp-facts.md §9).

Theory of operation
-------------------
seed: "A user can prompt an existing app to send message history to a newly
registered app." Every installation of an inbox shares a **sync group**
(conversation type SYNC): an MLS group whose only member inbox is the user's
own, created by whichever installation needs one first and joined by the
others through ordinary Welcomes. Its messages are ordinary V1 application
messages whose EncodedContent type is ``xmtp.org/application/x-protobuf:1.0``
carrying a ``DeviceSyncContent``.

1. The new installation sends ``DeviceSyncRequest{pin, server_url, options}``
   (``request_history_sync``).
2. An existing installation, processing the sync group
   (``process_history_sync``), claims the request with an acknowledge,
   exports an **archive** of its groups, messages and consent, encrypted under
   a fresh 32-byte AES-256-GCM key, uploads it to the history server
   (``DeliveryService.upload``), and sends ``DeviceSyncReply{request_id = pin,
   url = "{server_url}/files/{id}", encryption_key, metadata}``.
3. The requester, processing the sync group, downloads, decrypts and imports.

Requests and replies from any inbox but our own are refused, and so is a whole
sync group that another inbox created or belongs to (it is marked inactive).

The messages, the archive format and export/import are in ``history_archive.py``.
"""

from __future__ import annotations

import dataclasses
import os

from spec_model.mls.codec import DecodeError
from spec_model.mls.reasons import Rejected

from .content import DEVICE_SYNC, EncodedContent
from .context import ClientContext
from .conversation import Conversation
from .conversations import Conversations
from .extensions import (
    ConversationType, GroupMetadataV1, new_group_membership, new_group_mutable_metadata, read_immutable_metadata,
    read_membership,
)
from .groups import group_context_extensions
from .history_archive import (
    ALL_ELEMENTS, KEY_SIZE, NONCE_SIZE, ArchiveOptions, BackupElement, DeviceSyncAcknowledge, DeviceSyncContent,
    DeviceSyncKeyType, DeviceSyncReply, DeviceSyncRequest, HistorySyncReason, Importer, ImportSummary, decode_device_sync,
    encode_device_sync, export_elements, import_archive, import_elements, write_archive,
)
from .permissions import Preset, preset_policies
from .store import MembershipState, SyncRequestRow

__all__ = ["HISTORY_SERVER_URL", "PIN_LENGTH", "HistorySyncReport", "request_history_sync", "process_history_sync"]

HISTORY_SERVER_URL = "https://message-history.ephemera.network"
"""docs/xmtp-facts.md §Q5: libxmtp's production history server (the model's DeliveryService stands in)."""
PIN_LENGTH = 5
"""docs/xmtp-facts.md §9: a request's pin is 5 random characters (the model draws them from A–Z and 0–9)."""
_PIN_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


# ------------------------------------------------------------------ the sync group

def _sync_groups(client: ClientContext) -> list[Conversation]:
    """docs/xmtp-facts.md §9: this installation's active sync groups, oldest first."""
    rows = client.store.find_groups(conversation_type=ConversationType.SYNC,
                                    membership_states=[MembershipState.ALLOWED])
    return [Conversation(client, row.id) for row in rows]


def _check_sync_group(client: ClientContext, conversation: Conversation) -> None:
    """docs/xmtp-facts.md §9: a sync group is created by, added by and made of our own inbox only (else FOREIGN_INBOX)."""
    extensions = conversation.extensions
    creator = read_immutable_metadata(extensions).creator_inbox_id
    members = set(read_membership(extensions).members)
    if {creator, conversation.added_by_inbox_id} | members != {client.inbox_id}:
        raise Rejected(HistorySyncReason.FOREIGN_INBOX, f"sync group {conversation.group_id.hex()}")


def _ensure_sync_group(conversations: Conversations) -> Conversation:
    """docs/xmtp-facts.md §9: the newest valid sync group, created if there is none, with every installation of the inbox."""
    client = conversations.client
    valid = [c for c in _sync_groups(client) if _valid(client, c)]
    if valid:
        conversation = valid[-1]
    else:
        # docs/xmtp-facts.md §3.3: sequence id 0 as a placeholder, so the first update adds every sibling installation
        extensions = group_context_extensions(
            GroupMetadataV1(conversation_type=ConversationType.SYNC, creator_inbox_id=client.inbox_id),
            new_group_mutable_metadata(client.inbox_id, profile=client.config.profile),
            new_group_membership(client.inbox_id),
            preset_policies(Preset.ALL_MEMBERS, client.config.profile), client.config.profile)
        conversation = conversations.start(extensions, ConversationType.SYNC)
    conversation.update_installations()  # adds installations registered since (docs/xmtp-facts.md §5 membership change)
    return conversation


def _valid(client: ClientContext, conversation: Conversation) -> bool:
    try:
        _check_sync_group(client, conversation)
        return True
    except Rejected:
        client.store.set_membership_state(conversation.group_id, MembershipState.REJECTED)
        return False


def _random(client: ClientContext, n: int) -> bytes:
    return (client.rng or os.urandom)(n)


def request_history_sync(conversations: Conversations, options: ArchiveOptions = ALL_ELEMENTS, *,
                         server_url: str = HISTORY_SERVER_URL) -> str:
    """docs/xmtp-facts.md §9 "Request": send ``DeviceSyncRequest`` in the sync group and remember its pin; returns the pin."""
    client = conversations.client
    pin = "".join(_PIN_ALPHABET[b % len(_PIN_ALPHABET)] for b in _random(client, PIN_LENGTH))
    request = DeviceSyncRequest(pin, server_url, options)
    conversation = _ensure_sync_group(conversations)
    client.store.put_sync_request(SyncRequestRow(pin, request.encode()))
    conversation.send(encode_device_sync(DeviceSyncContent(request=request)))
    return pin


@dataclasses.dataclass
class HistorySyncReport:
    """docs/xmtp-facts.md §9: what one ``process_history_sync`` did."""

    answered: list[str] = dataclasses.field(default_factory=list)        # pins we replied to
    imported: list[ImportSummary] = dataclasses.field(default_factory=list)
    refused: list[Rejected] = dataclasses.field(default_factory=list)   # foreign groups/messages, bad archives


def process_history_sync(conversations: Conversations) -> HistorySyncReport:
    """docs/xmtp-facts.md §9: join sync groups, then answer other installations' requests and import replies to ours.

    Each sync-group message is handled once. With the profile's ``sync_requests_claimed`` a request already
    acknowledged or answered (by any installation) is not answered again; without it (libxmtp) every
    installation answers every request of another one.
    """
    client, report = conversations.client, HistorySyncReport()
    conversations.sync()
    for conversation in _sync_groups(client):
        if not _valid(client, conversation):
            report.refused.append(Rejected(HistorySyncReason.FOREIGN_INBOX, conversation.group_id.hex()))
            continue
        conversation.sync()
        messages = client.store.find_messages(conversation.group_id,
                                              content_type=(DEVICE_SYNC.authority_id, DEVICE_SYNC.type_id))
        handled = set()
        contents = []
        for message in messages:
            if message.sender_installation_id == client.installation_id \
                    or client.store.is_sync_message_handled(message.id):
                content = _content_or_none(message.content)
                if content is not None:
                    handled.add(_claimed_pin(content))
                continue
            client.store.mark_sync_message_handled(message.id)
            if message.sender_inbox_id != client.inbox_id:
                report.refused.append(Rejected(HistorySyncReason.FOREIGN_INBOX, message.sender_inbox_id))
                continue
            content = _content_or_none(message.content)
            if content is None:
                report.refused.append(Rejected(HistorySyncReason.MALFORMED_CONTENT, message.id.hex()))
                continue
            handled.add(_claimed_pin(content))
            contents.append(content)
        claimed = client.config.profile.sync_requests_claimed
        for content in contents:
            if content.request is not None and (content.request.pin not in handled or not claimed):
                handled.add(content.request.pin)
                _answer(client, conversation, content.request, acknowledge=claimed)
                report.answered.append(content.request.pin)
            elif content.reply is not None:
                _receive_reply(client, content.reply, report)
            elif content.preference_updates is not None:
                import_elements(client.store, [BackupElement(consent=update.consent)
                                               for update in content.preference_updates.updates
                                               if update.consent is not None],
                                Importer(client.inbox_id, client.now_ns(), client.config.profile))
    return report


def _content_or_none(encoded: bytes) -> DeviceSyncContent | None:
    try:
        return decode_device_sync(EncodedContent.decode(encoded))
    except (Rejected, DecodeError):
        return None


def _claimed_pin(content: DeviceSyncContent) -> str | None:
    """The pin an acknowledge or a reply settles (a request settles nothing)."""
    if content.acknowledge is not None:
        return content.acknowledge.request_id
    return content.reply.request_id if content.reply is not None else None


def _answer(client: ClientContext, conversation: Conversation, request: DeviceSyncRequest, *,
            acknowledge: bool) -> None:
    """docs/xmtp-facts.md §9 "Reply": acknowledge (profile ``sync_requests_claimed``), export under a fresh key,
    upload, reply with the url and key."""
    if acknowledge:
        conversation.send(encode_device_sync(DeviceSyncContent(acknowledge=DeviceSyncAcknowledge(request.pin))))
    key, options = _random(client, KEY_SIZE), request.options or ALL_ELEMENTS
    elements = export_elements(client.store, options, client.now_ns())
    upload_id = client.network.upload(write_archive(elements, key, _random(client, NONCE_SIZE)))
    reply = DeviceSyncReply(request.pin, f"{request.server_url}/files/{upload_id}", DeviceSyncKeyType(key),
                            elements[0].metadata)
    conversation.send(encode_device_sync(DeviceSyncContent(reply=reply)))


def _receive_reply(client: ClientContext, reply: DeviceSyncReply, report: HistorySyncReport) -> None:
    """docs/xmtp-facts.md §9: a reply to our pending request: download, decrypt and import; others are ignored."""
    row = client.store.get_sync_request()
    pending = DeviceSyncRequest.decode(row.request) if row else None
    if pending is None or reply.request_id != pending.pin:
        return
    prefix = f"{pending.server_url}/files/"
    try:
        if not reply.url.startswith(prefix):
            raise Rejected(HistorySyncReason.BAD_URL, reply.url)
        key = reply.encryption_key.aes_256_gcm if reply.encryption_key else None
        if key is None:
            raise Rejected(HistorySyncReason.BAD_KEY, "no aes_256_gcm key")
        summary = import_archive(client.store, client.network.download(reply.url[len(prefix):]), key,
                                 Importer(client.inbox_id, client.now_ns(), client.config.profile))
    except Rejected as e:
        report.refused.append(e)  # the request stays pending: another installation may answer
        return
    client.store.delete_sync_request(pending.pin)
    report.imported.append(summary)
