"""Groups and DMs: creating them, members, admins, metadata and permissions (seed "Conversations
protocol", "Group protocol"; XIP-47)."""

from __future__ import annotations

from .steps import Script, observe, synced, users, welcomed

SCRIPTS: list[Script] = [
    ("group_by_address_send_and_read",
     "Given three users, When alice creates a group with bob and carol by address and sends a message, "
     "Then bob and carol join from their Welcomes (and bob's key package is replaced) and read it; everyone "
     "sees the same members and metadata",
     'seed "Conversations protocol" create_group (key packages rotated after a Welcome), "Group protocol" '
     'send/sync/list_members', ["conversations", "key packages"],
     [*users("alice", "bob", "carol"),
      ("alice", "create_group", {"group": "g", "members": ["bob", "carol"], "name": "Team"}),
      ("alice", "send", {"group": "g", "text": "hello"}),
      ("network", "key_package_rotated", {"client": "bob"}),
      *welcomed("bob", "carol"), ("network", "key_package_rotated", {"client": "bob"}),
      *synced("g", "bob", "carol"),
      ("bob", "send", {"group": "g", "text": "hi alice"}), *synced("g", "alice", "carol"),
      *observe("g", "alice", "bob", "carol")]),
    ("add_by_inbox_id_remove_by_address",
     "Given a group of alice and bob, When alice adds carol by inbox id and then removes bob by address, "
     "Then carol joins, bob sees himself removed and can no longer send",
     'seed "Group protocol" add_members_by_inbox_id, remove_members, is_active', ["conversations", "membership"],
     [*users("alice", "bob", "carol"),
      ("alice", "create_group", {"group": "g", "members": ["bob"]}), *welcomed("bob"),
      ("alice", "add_members", {"group": "g", "members": ["carol"], "by": "inbox_id"}), *welcomed("carol"),
      ("alice", "remove_members", {"group": "g", "members": ["bob"]}), *synced("g", "bob", "carol"),
      ("bob", "send", {"group": "g", "text": "am I still here?"}),
      *observe("g", "alice", "bob", "carol")]),
    ("admins_only_preset",
     "Given an admins-only group created by alice with bob and carol, When bob (a member) tries to add dave, "
     "Then it is refused; When alice makes bob an admin, Then bob can add dave",
     "XIP-47 Admins Only preset; add_member_policy admin_or_super_admin", ["permissions"],
     [*users("alice", "bob", "carol", "dave"),
      ("alice", "create_group", {"group": "g", "members": ["bob", "carol"], "permissions": "admins_only"}),
      *welcomed("bob", "carol"),
      ("bob", "add_members", {"group": "g", "members": ["dave"]}),
      ("alice", "add_admin", {"group": "g", "member": "bob"}), *synced("g", "bob"),
      ("bob", "add_members", {"group": "g", "members": ["dave"]}), *welcomed("dave"),
      *observe("g", "alice", "bob", "dave")]),
    ("super_admin_protected",
     "Given alice (super admin) and bob (admin), When bob tries to remove alice or demote her, Then both are "
     "refused; When alice demotes bob, Then he is a plain member again",
     "XIP-47 Threat Model: admins cannot remove super admins; only super admins change admin lists",
     ["permissions", "admins"],
     [*users("alice", "bob", "carol"),
      ("alice", "create_group", {"group": "g", "members": ["bob", "carol"]}), *welcomed("bob", "carol"),
      ("alice", "add_admin", {"group": "g", "member": "bob"}), *synced("g", "bob"),
      ("bob", "remove_members", {"group": "g", "members": ["alice"]}),
      ("bob", "remove_super_admin", {"group": "g", "member": "alice"}),
      ("alice", "add_super_admin", {"group": "g", "member": "carol"}),
      ("alice", "remove_admin", {"group": "g", "member": "bob"}), *synced("g", "bob", "carol"),
      *observe("g", "alice", "bob", "carol")]),
    ("metadata_updates",
     "Given an all-members group (seed profile: XIP-47 All Members lets admins edit metadata), When bob (a "
     "member) changes the name or image, Then he is refused; When alice (super admin) changes the "
     "description, Then every member sees it and a transcript message",
     'seed "Group protocol" update_name/description/image_url; XIP-47 All Members; facts §6 GroupUpdated',
     ["metadata", "permissions"],
     [*users("alice", "bob"),
      ("alice", "create_group", {"group": "g", "members": ["bob"], "name": "Before"}), *welcomed("bob"),
      ("bob", "update_name", {"group": "g", "name": "After"}),
      ("alice", "update_description", {"group": "g", "description": "what we do"}),
      ("bob", "update_image_url", {"group": "g", "url": "https://example.com/g.png"}),
      *synced("g", "alice", "bob"), *observe("g", "alice", "bob")]),
    ("permission_update_by_super_admin",
     "Given an all-members group, When the super admin restricts add_member to admins and bob then tries "
     "to add carol, Then bob is refused; a member cannot change permissions",
     "XIP-47 update_permissions_policy (super admins only)", ["permissions"],
     [*users("alice", "bob", "carol"),
      ("alice", "create_group", {"group": "g", "members": ["bob"]}), *welcomed("bob"),
      ("bob", "update_permission", {"group": "g", "permission": "add_member_policy", "policy": "allow"}),
      ("alice", "update_permission", {"group": "g", "permission": "add_member_policy",
                                      "policy": "allow_if_admin_or_super_admin"}), *synced("g", "bob"),
      ("bob", "add_members", {"group": "g", "members": ["carol"]}),
      *observe("g", "alice", "bob")]),
    ("dm_both_ways",
     "Given alice and bob, When alice opens a DM with bob and both send, Then both read both messages and "
     "the DM's metadata names it a DM",
     "libxmtp create_dm (facts §3.1); seed DMs", ["conversations", "dm"],
     [*users("alice", "bob"),
      ("alice", "create_dm", {"group": "dm", "with": "bob"}), ("alice", "send", {"group": "dm", "text": "psst"}),
      *welcomed("bob"), *synced("dm", "bob"), ("bob", "send", {"group": "dm", "text": "yes?"}),
      *synced("dm", "alice"), *observe("dm", "alice", "bob")]),
]

SEED_ONLY: list[Script] = [
    ("pins_need_admin",
     "Given an all-members group (seed profile), When bob (a member) pins a frame, Then he is refused; When "
     "alice makes him an admin, Then his pin is committed and every member sees the pinned frame URL",
     'seed "Pin messages" (an admin permission); XIP-47 All Members (only admins update metadata)',
     ["metadata", "permissions", "pins"],
     [*users("alice", "bob"),
      ("alice", "create_group", {"group": "g", "members": ["bob"]}), *welcomed("bob"),
      ("bob", "update_pinned_frame_url", {"group": "g", "url": "https://example.com/frame"}),
      ("alice", "add_admin", {"group": "g", "member": "bob"}), *synced("g", "bob"),
      ("bob", "update_pinned_frame_url", {"group": "g", "url": "https://example.com/frame"}),
      *synced("g", "alice"), *observe("g", "alice", "bob")]),
]
"""Scripts of the seed profile only: pins are an admin permission there."""
