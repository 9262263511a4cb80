"""Push notifications (seed "push notifications"; example-notification-server-go, libxmtp QueueIntent)."""

from __future__ import annotations

from .steps import Script, synced, users, welcomed

SCRIPTS: list[Script] = [
    ("push_message_notifies_other_members",
     "Given alice, bob and carol in a group, each registered with the notification server, When alice sends, "
     "Then bob and carol are notified and alice (recognised by her sender HMAC) is not",
     "example-notification-server-go listener.go shouldDeliver; libxmtp prepare_group_messages (sender HMAC)",
     ["push"],
     [("network", "wall_clock", {}), *users("alice", "bob", "carol"),
      ("alice", "create_group", {"group": "g", "members": ["bob", "carol"]}), *welcomed("bob", "carol"),
      *[(c, "push_register", {}) for c in ("alice", "bob", "carol")], ("network", "notifications", {}),
      ("alice", "send", {"group": "g", "text": "ping"}), ("network", "notifications", {}),
      ("bob", "send", {"group": "g", "text": "pong"}), ("network", "notifications", {})]),
    ("push_welcome_notifies_new_member",
     "Given bob and carol registered before they are in any group, When alice creates a group with bob and "
     "later adds carol, Then each is notified on their welcome topic; the commits notify no one",
     "example-notification-server-go: welcomes are always pushed; libxmtp QueueIntent (commits should_push false)",
     ["push"],
     [("network", "wall_clock", {}), *users("alice", "bob", "carol"),
      *[(c, "push_register", {}) for c in ("alice", "bob", "carol")],
      ("alice", "create_group", {"group": "g", "members": ["bob"]}), ("network", "notifications", {}),
      *welcomed("bob"), ("bob", "push_register", {}),
      ("alice", "add_members", {"group": "g", "members": ["carol"]}), ("network", "notifications", {})]),
    ("push_commits_not_pushed",
     "Given a registered group, When its super admin renames it, promotes and removes members, Then nobody is "
     "notified; the next message notifies every other subscribed installation (carol's app never unsubscribed)",
     "libxmtp intents/queue.rs QueueIntent: should_push false for every intent but SendMessage", ["push"],
     [("network", "wall_clock", {}), *users("alice", "bob", "carol"),
      ("alice", "create_group", {"group": "g", "members": ["bob", "carol"]}), *welcomed("bob", "carol"),
      *[(c, "push_register", {}) for c in ("alice", "bob", "carol")],
      ("alice", "update_name", {"group": "g", "name": "quiet"}), ("alice", "add_admin", {"group": "g", "member": "bob"}),
      ("alice", "remove_members", {"group": "g", "members": ["carol"]}), ("network", "notifications", {}),
      ("alice", "send", {"group": "g", "text": "still here?"}), ("network", "notifications", {})]),
    ("push_leave_request_not_pushed",
     "Given a registered group, When bob leaves (a LeaveRequest message), Then nobody is notified of it",
     "libxmtp leave_group: the LeaveRequest is sent with SendMessageOpts::default() (should_push false)", ["push"],
     [("network", "wall_clock", {}), *users("alice", "bob", "carol"),
      ("alice", "create_group", {"group": "g", "members": ["bob", "carol"]}), *welcomed("bob", "carol"),
      *[(c, "push_register", {}) for c in ("alice", "bob", "carol")],
      ("bob", "leave", {"group": "g"}), ("network", "notifications", {})]),
    ("push_dm_and_second_installation",
     "Given alice with two installations and a DM with bob, all registered, When bob writes in the DM and alice "
     "answers from one installation, Then both of alice's installations are notified of bob's message, and of "
     "hers only the other installation (their HMAC keys are not shared without history sync), bob is notified",
     "libxmtp hmac_keys (the user's key is per installation until a preference sync); listener.go shouldDeliver",
     ["push", "installations"],
     [("network", "wall_clock", {}), *users("alice", "alice#2", "bob"),
      ("bob", "create_dm", {"group": "dm", "with": "alice"}), *welcomed("alice", "alice#2"),
      *[(c, "push_register", {}) for c in ("alice", "alice#2", "bob")],
      ("bob", "send", {"group": "dm", "text": "hi alice"}), ("network", "notifications", {}),
      *synced("dm", "alice"), ("alice", "send", {"group": "dm", "text": "hi bob"}), ("network", "notifications", {})]),
]
