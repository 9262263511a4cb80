"""A user's clients: more installations, restarts, leaving, history sync, consent, and the local state an
installation keeps (seed "Local database and syncing")."""

from __future__ import annotations

from .steps import Script, observe, synced, users, welcomed

SCRIPTS: list[Script] = [
    ("second_installation",
     "Given alice in a group, When she adds a second installation and a member updates installations, "
     "Then both of alice's installations read new messages",
     'seed: "a one-person group reaches all of that person\'s installations"; libxmtp update_installations',
     ["installations"],
     [*users("alice", "bob"),
      ("alice", "create_group", {"group": "g", "members": ["bob"]}), *welcomed("bob"),
      ("alice#2", "create_client", {}), ("bob", "update_installations", {"group": "g"}),
      *welcomed("alice#2"), ("bob", "send", {"group": "g", "text": "both of you"}),
      *synced("g", "alice", "alice#2"), *observe("g", "alice", "alice#2", "bob")]),
    ("restart_from_database",
     "Given alice in a group with messages, When her client restarts from its database, Then she still sees "
     "the group and its messages and can send",
     'seed "Local database and syncing"', ["database"],
     [*users("alice", "bob"),
      ("alice", "create_group", {"group": "g", "members": ["bob"]}), ("alice", "send", {"group": "g", "text": "before"}),
      ("alice", "restart", {}), ("alice", "send", {"group": "g", "text": "after"}), *welcomed("bob"),
      *synced("g", "bob"), *observe("g", "alice", "bob")]),
    ("leave_request",
     "Given alice (super admin), bob and carol, When bob leaves, Then alice's next sync removes him and the "
     "transcript lists him as left",
     "XIP-75 self-removal (LeaveRequest, removed by a super admin)", ["membership"],
     [*users("alice", "bob", "carol"),
      ("alice", "create_group", {"group": "g", "members": ["bob", "carol"]}), *welcomed("bob", "carol"),
      ("bob", "leave", {"group": "g"}), *synced("g", "alice", "carol", "bob"),
      *observe("g", "alice", "bob", "carol")]),
    ("history_sync_to_new_installation",
     "Given alice's group with a message, When her new installation asks for history and her first answers, "
     "Then the new installation holds the group's metadata and messages, read-only until it is added",
     "facts §9 history sync (DeviceSyncRequest, archive upload, import); RestoredGroup", ["history sync"],
     [*users("alice", "bob"),
      ("alice", "create_group", {"group": "g", "members": ["bob"], "name": "Archive"}),
      ("alice", "send", {"group": "g", "text": "old news"}), ("alice#2", "create_client", {}),
      ("alice#2", "history_sync", {"request": True}), ("alice", "history_sync", {"request": False}),
      ("alice#2", "history_sync", {"request": False}), *observe("g", "alice#2"),
      ("alice#2", "send", {"group": "g", "text": "can I write?"})]),
    ("consent_records",
     "Given alice's group with bob, Then it is allowed for alice (she created it) and unknown for bob "
     "until he sends; When alice denies bob and the group, Then reading the records gives denied",
     "facts §10 consent records", ["consent"],
     [*users("alice", "bob"),
      ("alice", "create_group", {"group": "g", "members": ["bob"]}), *welcomed("bob"),
      ("bob", "consent", {"entity_type": "conversation_id", "entity": "g"}),
      ("bob", "send", {"group": "g", "text": "count me in"}),
      ("bob", "consent", {"entity_type": "conversation_id", "entity": "g"}),
      ("alice", "consent", {"entity_type": "conversation_id", "entity": "g"}),
      ("alice", "consent", {"entity_type": "inbox_id", "entity": "bob", "state": "denied"}),
      ("alice", "consent", {"entity_type": "conversation_id", "entity": "g", "state": "denied"}),
      ("alice", "consent", {"entity_type": "inbox_id", "entity": "bob"})]),
]

LOCAL_STATE: list[Script] = [
    ("delete_local_database_new_installation",
     "Given alice in a group, When she deletes her local database and creates her client again, Then it is a "
     "new installation of her inbox that does not know the group; When bob updates installations, Then it "
     "joins and reads bob's next message",
     'seed "Local database and syncing" Client.deleteLocalDatabase(); "Every installation ... receives group '
     'messages"', ["database", "installations"],
     [*users("alice", "bob"),
      ("alice", "create_group", {"group": "g", "members": ["bob"]}), *welcomed("bob"),
      ("alice", "send", {"group": "g", "text": "before"}),
      ("alice", "delete_local_database", {}), ("alice", "create_client", {}), *observe("g", "alice"),
      ("bob", "update_installations", {"group": "g"}), *welcomed("alice"),
      ("bob", "send", {"group": "g", "text": "after"}), *synced("g", "alice"), *observe("g", "alice", "bob")]),
    ("key_package_rotated_every_30_days",
     "Given bob's installation, When 29 days pass, Then his key package on the network is the same; When 30 "
     "days have passed since it was made, Then his client has replaced it",
     'seed: "XMTP will rotate the key package ... automatically"; libxmtp KEY_PACKAGE_ROTATION_INTERVAL_NS',
     ["key packages"],
     [("network", "wall_clock", {}), *users("bob"),  # libxmtp's clock: the later of the wall clock and this one
      ("network", "advance_clock", {"seconds": 29 * 86400}), *welcomed("bob"),
      ("network", "key_package_rotated", {"client": "bob"}),
      ("network", "advance_clock", {"seconds": 86400}), *welcomed("bob"),
      ("network", "key_package_rotated", {"client": "bob"})]),
]
"""Local state: the database and the installation's key packages, in both profiles."""
