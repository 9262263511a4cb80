"""Push notifications: which topics a notification server watches, which messages it pushes, and
how a sender's own messages are recognised (docs/xmtp-facts.md §7.2).

Theory of operation
-------------------
A notification server sees every envelope on the topics it subscribed to for
an installation: the installation's welcome topic and the topics of its
groups (node-go ``topic/mls.go``: ``/xmtp/mls/1/w-<hex key>/proto`` and
``/xmtp/mls/1/g-<hex group id>/proto``).

Whether a group message is pushed was decided by its sender, in
``GroupMessageInput.should_push``: libxmtp queues every intent but
SendMessage with ``should_push = false``, so commits and proposals are never
pushed; an application message carries its content codec's flag (text yes,
reactions and read receipts no, ...). Welcomes are always pushed.

So that a user is not notified of their own messages, every group message
carries ``sender_hmac = HMAC-SHA256(key, data)``. The key is derived per group
and per 30-day period from a random 42-byte ``hmac_key`` that all of the
user's installations share (libxmtp ``groups/mls_sync.rs::hmac_keys``). The
user gives the notification server its keys (libxmtp hands out the previous,
current and next period's); the server drops a message whose sender_hmac
matches the key of the period of the message's server timestamp
(example-notification-server-go ``listener.go::shouldDeliver``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
from collections.abc import Iterable

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from spec_model.mls.framing import ContentType

from .api import GroupMessage, WelcomeMessage

__all__ = [
    "HMAC_SALT", "HMAC_KEY_SIZE", "SECS_IN_30_DAYS", "CODEC_SHOULD_PUSH", "HmacKey", "group_topic",
    "welcome_topic", "push_topics", "should_push", "hmac_epoch", "derive_hmac_key", "hmac_keys", "sender_hmac",
    "is_own_message", "should_deliver",
]

HMAC_SALT = b"libXMTP HKDF salt!"  # libxmtp common/mls.rs HMAC_SALT
HMAC_KEY_SIZE = 42                  # libxmtp user_preferences.rs HmacKey: the user key and each derived key
SECS_IN_30_DAYS = 60 * 60 * 24 * 30  # libxmtp utils/mod.rs: one hmac epoch

CODEC_SHOULD_PUSH: dict[str, bool] = {
    # libxmtp crates/xmtp_content_types: each codec's should_push(), by content type id
    "xmtp.org/text:1.0": True,
    "xmtp.org/markdown:1.0": True,
    "xmtp.org/reply:1.0": True,
    "xmtp.org/attachment:1.0": True,
    "xmtp.org/remoteStaticAttachment:1.0": True,
    "xmtp.org/multiRemoteStaticAttachment:1.0": True,
    "xmtp.org/transactionReference:1.0": True,
    "xmtp.org/walletSendCalls:1.0": True,
    "coinbase.com/actions:1.0": True,
    "coinbase.com/intent:1.0": True,
    "xmtp.org/reaction:1.0": False,
    "xmtp.org/reaction:2.0": False,
    "xmtp.org/readReceipt:1.0": False,
    "xmtp.org/deleteMessage:1.0": False,
    "xmtp.org/leave_request:1.0": False,
    "xmtp.org/group_updated:1.0": False,
    "xmtp.org/group_membership_change:1.0": False,
}


@dataclasses.dataclass(frozen=True)
class HmacKey:
    """libxmtp crates/xmtp_db/src/encrypted_store/user_preferences.rs@a53a97e ``HmacKey``: a group's key for one
    30-day period since the epoch."""

    key: bytes
    epoch: int


# ------------------------------------------------------------------ topics

def group_topic(group_id: bytes) -> str:
    """xmtp-node-go topic/mls.go BuildMLSV1GroupTopic."""
    return f"/xmtp/mls/1/g-{group_id.hex()}/proto"


def welcome_topic(installation_key: bytes) -> str:
    """xmtp-node-go topic/mls.go BuildMLSV1WelcomeTopic."""
    return f"/xmtp/mls/1/w-{installation_key.hex()}/proto"


def push_topics(installation_key: bytes, group_ids: Iterable[bytes]) -> list[str]:
    """xmtp-android Conversations.allPushTopics and Topic.userWelcome: what a notification server
    subscribes to for an installation: its welcome topic, then each of its groups' topics."""
    return [welcome_topic(installation_key), *(group_topic(group_id) for group_id in group_ids)]


# ------------------------------------------------------------------ should_push

def should_push(content_type: ContentType, codec_should_push: bool = True) -> bool:
    """libxmtp crates/xmtp_mls/src/groups/intents/queue.rs@a53a97e QueueIntent (should_push defaults to false) and
    SendMessageOpts: only a
    SendMessage intent, an application message, is pushed, and then as its codec says
    (``CODEC_SHOULD_PUSH``); commits and proposals never are."""
    return content_type == ContentType.application and codec_should_push


# ------------------------------------------------------------------ sender_hmac

def hmac_epoch(now_ns: int) -> int:
    """libxmtp crates/xmtp_mls/src/utils/mod.rs@a53a97e hmac_epoch: whole 30-day periods since the Unix epoch."""
    return now_ns // 1_000_000_000 // SECS_IN_30_DAYS


def derive_hmac_key(user_hmac_key: bytes, group_id: bytes, epoch: int) -> HmacKey:
    """libxmtp crates/xmtp_mls/src/groups/mls_sync.rs@a53a97e hmac_keys: HKDF-SHA256, salt ``HMAC_SALT``, ikm =
    hmac_key ‖ group_id,
    info = group_id ‖ i64_le(epoch), 42 bytes."""
    hkdf = HKDF(hashes.SHA256(), HMAC_KEY_SIZE, HMAC_SALT, group_id + epoch.to_bytes(8, "little", signed=True))
    return HmacKey(hkdf.derive(user_hmac_key + group_id), epoch)


def hmac_keys(user_hmac_key: bytes, group_id: bytes, now_ns: int, deltas: Iterable[int] = (-1, 0, 1)) -> list[HmacKey]:
    """libxmtp crates/xmtp_mls/src/groups/mls_sync.rs@a53a97e hmac_keys(-1..=1): the keys of the periods around
    now, as a client
    gives them to its notification server; a sender uses ``deltas=(0,)``."""
    epoch = hmac_epoch(now_ns)
    return [derive_hmac_key(user_hmac_key, group_id, epoch + delta) for delta in deltas]


def sender_hmac(key: HmacKey, payload: bytes) -> bytes:
    """libxmtp crates/xmtp_mls/src/groups/mls_sync.rs@a53a97e prepare_group_messages: HMAC-SHA256(key, payload),
    payload = the
    TLS MLSMessage sent as ``GroupMessageInput.V1.data``."""
    return hmac.new(key.key, payload, hashlib.sha256).digest()


def is_own_message(message: GroupMessage.V1, keys: Iterable[HmacKey]) -> bool:
    """example-notification-server-go interfaces.go MessageContext.IsSender: the message's
    sender_hmac is the HMAC of its data under one of ``keys``. A message without one never is."""
    return bool(message.sender_hmac) and any(
        hmac.compare_digest(message.sender_hmac, sender_hmac(key, message.data)) for key in keys)


def should_deliver(envelope: GroupMessage | WelcomeMessage, subscriber_keys: Iterable[HmacKey]) -> bool:
    """example-notification-server-go listener.go shouldDeliver: a welcome is pushed; a group message
    is dropped if it is the subscriber's own under the key of the period of its server timestamp
    (subscriptions.go GetSubscriptions), else pushed as its ``should_push`` says."""
    if not isinstance(envelope, GroupMessage) or envelope.v1 is None:
        return True
    message = envelope.v1
    period = hmac_epoch(message.created_ns)
    if is_own_message(message, [key for key in subscriber_keys if key.epoch == period]):
        return False
    return message.should_push
