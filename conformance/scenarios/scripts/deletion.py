"""Message deletion (XIP-76), a libxmtp behaviour (since v1.9) the seed does not name: libxmtp profile only."""

from __future__ import annotations

from .steps import Script, observe, synced, users, welcomed

SCRIPTS: list[Script] = [
    ("message_deletion_by_sender",
     "Given a group of three, When bob deletes his own message, Then every member lists it as deleted by its "
     "sender, and the DeleteMessage itself is not listed",
     "XIP-76; libxmtp groups/mod.rs delete_message, mls_sync.rs process_delete_message, enrichment.rs",
     ["messages", "deletion"],
     [*users("alice", "bob", "carol"),
      ("alice", "create_group", {"group": "g", "members": ["bob", "carol"]}), *welcomed("bob", "carol"),
      ("bob", "send", {"group": "g", "text": "oops", "message": "m"}), *synced("g", "alice", "carol"),
      ("bob", "delete_message", {"group": "g", "message": "m"}), *synced("g", "alice", "carol"),
      *observe("g", "alice", "bob", "carol")]),
    ("message_deletion_by_super_admin",
     "Given a group, When alice (super admin) deletes bob's message, Then every member lists it as deleted by "
     "alice",
     "XIP-76 (a super admin deletes any deletable message); libxmtp enrichment.rs DeletedBy::Admin",
     ["messages", "deletion", "admins"],
     [*users("alice", "bob", "carol"),
      ("alice", "create_group", {"group": "g", "members": ["bob", "carol"]}), *welcomed("bob", "carol"),
      ("bob", "send", {"group": "g", "text": "spam", "message": "m"}), *synced("g", "alice"),
      ("alice", "delete_message", {"group": "g", "message": "m"}), *synced("g", "bob", "carol"),
      *observe("g", "alice", "bob", "carol")]),
    ("message_deletion_not_authorized",
     "Given bob's message, When carol (a member) and then carol as an admin try to delete it, Then both are "
     "refused and the message stays; When bob deletes it, Then it is deleted",
     "XIP-76 (only the sender or a super admin); libxmtp DeleteMessageError::NotAuthorized",
     ["messages", "deletion", "permissions"],
     [*users("alice", "bob", "carol"),
      ("alice", "create_group", {"group": "g", "members": ["bob", "carol"]}), *welcomed("bob", "carol"),
      ("bob", "send", {"group": "g", "text": "mine", "message": "m"}), *synced("g", "carol"),
      ("carol", "delete_message", {"group": "g", "message": "m"}),
      ("alice", "add_admin", {"group": "g", "member": "carol"}), *synced("g", "carol"),
      ("carol", "delete_message", {"group": "g", "message": "m"}), *observe("g", "carol"),
      ("bob", "delete_message", {"group": "g", "message": "m"}), *synced("g", "carol"),
      *observe("g", "bob", "carol")]),
    ("message_deletion_not_deletable",
     "Given a group, When alice (super admin) tries to delete the group's first transcript message, Then she "
     "is refused; When she deletes a text twice, Then the second deletion is refused",
     "libxmtp Deletable (transcripts are not deletable); DeleteMessageError::MessageAlreadyDeleted",
     ["messages", "deletion"],
     [*users("alice", "bob"),
      ("alice", "create_group", {"group": "g", "members": ["bob"]}), *welcomed("bob"),
      ("alice", "delete_message", {"group": "g", "message_index": 0}),
      ("alice", "send", {"group": "g", "text": "once", "message": "m"}),
      ("alice", "delete_message", {"group": "g", "message": "m"}),
      ("alice", "delete_message", {"group": "g", "message": "m"}), *synced("g", "bob"),
      *observe("g", "alice", "bob")]),
]
