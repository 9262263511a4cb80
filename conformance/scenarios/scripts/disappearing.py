"""Disappearing messages, a libxmtp behaviour (since v1.0) the seed does not name: libxmtp profile only."""

from __future__ import annotations

from .steps import Script, S_NS, observe, synced, users, welcomed

SCRIPTS: list[Script] = [
    ("message_expiry_stamped",
     "Given a group, When alice turns disappearing messages on (from_ns 1, in_ns one hour) and later off, Then "
     "exactly the application messages stored while they were on carry an expiry, for sender and receiver; "
     "transcripts never do, and each setting is its own metadata commit",
     "libxmtp mls_sync.rs get_message_expire_at_ns; group_mutable_metadata.rs is_enabled; groups/mod.rs "
     "update_conversation_message_disappearing_settings", ["messages", "disappearing"],
     [*users("alice", "bob"),
      ("alice", "create_group", {"group": "g", "members": ["bob"]}), *welcomed("bob"),
      ("alice", "send", {"group": "g", "text": "before"}),
      ("alice", "update_disappearing_settings", {"group": "g", "from_ns": 1, "in_ns": 3600 * S_NS}),
      ("alice", "send", {"group": "g", "text": "while on"}), *synced("g", "bob"),
      ("bob", "send", {"group": "g", "text": "bob while on"}),
      ("alice", "update_disappearing_settings", {"group": "g", "from_ns": 0, "in_ns": 0}),
      ("alice", "send", {"group": "g", "text": "after"}), *synced("g", "bob", "alice"),
      *observe("g", "alice", "bob")]),
    ("message_expiry_hidden_once_expired",
     "Given a group whose messages disappear 6 s after they are stored, When 8 s pass, Then neither the "
     "sender nor the receiver lists the message any longer, while a message sent afterwards is listed",
     'libxmtp group_message.rs "Always exclude expired messages"; DisappearingMessagesWorker',
     ["messages", "disappearing"],
     [*users("alice", "bob"),
      ("alice", "create_group", {"group": "g", "members": ["bob"]}), *welcomed("bob"),
      ("alice", "update_disappearing_settings", {"group": "g", "from_ns": 1, "in_ns": 6 * S_NS}),
      *synced("g", "bob"),
      ("alice", "send", {"group": "g", "text": "soon gone"}), *synced("g", "bob"), *observe("g", "alice", "bob"),
      ("network", "wait", {"seconds": 8}), *observe("g", "alice", "bob"),
      ("alice", "send", {"group": "g", "text": "fresh"}), *synced("g", "bob"), *observe("g", "bob")]),
    ("message_expiry_settings_need_permission",
     "Given an admins-only group, When bob (a member) turns disappearing messages on, Then he is refused and "
     "nothing expires; When alice (super admin) does, Then bob's next message carries an expiry",
     "XIP-47 Admins Only; libxmtp PolicySet update_metadata_policy for message_disappear_*",
     ["messages", "disappearing", "permissions"],
     [*users("alice", "bob"),
      ("alice", "create_group", {"group": "g", "members": ["bob"], "permissions": "admins_only"}),
      *welcomed("bob"),
      ("bob", "update_disappearing_settings", {"group": "g", "from_ns": 1, "in_ns": 3600 * S_NS}),
      ("bob", "send", {"group": "g", "text": "still here"}),
      ("alice", "update_disappearing_settings", {"group": "g", "from_ns": 1, "in_ns": 3600 * S_NS}),
      *synced("g", "bob"), ("bob", "send", {"group": "g", "text": "fading"}), *synced("g", "alice"),
      *observe("g", "alice", "bob")]),
]
