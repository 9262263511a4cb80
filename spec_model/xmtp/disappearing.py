"""libxmtp disappearing messages: a group's disappearing settings stamp each message with an expiry.

Theory of operation
-------------------
A group's mutable metadata may hold ``message_disappear_from_ns`` and
``message_disappear_in_ns`` (``extensions.disappearing_settings``). libxmtp
enables them when both are positive (libxmtp
crates/xmtp_mls_common/src/group_mutable_metadata.rs ``is_enabled``@b649d1a)
and then stamps every application message it stores — a received one, or one
of its own when it comes back published — with ``expire_at_ns = now + in_ns``,
``now`` being the client's clock when it stores the message; ``from_ns`` is
only checked to be positive (libxmtp crates/xmtp_mls/src/groups/mls_sync.rs
``get_message_expire_at_ns``@b649d1a). Listings leave out a message whose
expiry is at or before now (libxmtp crates/xmtp_db/src/encrypted_store/
group_message.rs "Always exclude expired messages"@b649d1a), and the
DisappearingMessagesWorker deletes published application messages once expired
(``delete_expired_messages``). The model's clients run that cleanup at every
group sync.

A client changes the settings with two metadata commits, ``from_ns`` then
``in_ns``; removing them sets both to 0 (libxmtp crates/xmtp_mls/src/groups/mod.rs
``update_conversation_message_disappearing_settings``@b649d1a).
"""

from __future__ import annotations

from typing import Sequence

from spec_model.mls.codec import DecodeError
from spec_model.mls.group_context import Extension
from spec_model.mls.reasons import Rejected

from .extensions import disappearing_settings, read_mutable_metadata

__all__ = ["is_enabled", "expire_at_ns"]


def is_enabled(from_ns: int, in_ns: int) -> bool:
    """libxmtp crates/xmtp_mls_common/src/group_mutable_metadata.rs@b649d1a ``MessageDisappearingSettings::is_enabled``: both positive."""
    return from_ns > 0 and in_ns > 0


def expire_at_ns(extensions: Sequence[Extension], now_ns: int) -> int | None:
    """libxmtp crates/xmtp_mls/src/groups/mls_sync.rs@b649d1a ``get_message_expire_at_ns``: ``now + in_ns`` when the group's settings are enabled;
    None when they are not, are unset, or cannot be read."""
    try:
        settings = disappearing_settings(read_mutable_metadata(extensions))
    except (Rejected, DecodeError):
        return None
    if settings is None or not is_enabled(*settings):
        return None
    return now_ns + settings[1]
