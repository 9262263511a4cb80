"""Filters of list and find_messages, and the group fields a member reads (seed "Conversations protocol" list,
"Group protocol" find_messages)."""

from __future__ import annotations

from .steps import Script, observe, synced, users, welcomed

SCRIPTS: list[Script] = [
    ("list_filters_created",
     "Given bob in three groups, When he lists with a creation-time bound, Then he gets the groups created after "
     "(or before) the named one",
     'seed "Conversations protocol" list ("matching the chosen time frame and limit"); "Group protocol" '
     'created_at_ns', ["conversations", "filters"],
     [*users("alice", "bob"),
      *[("alice", "create_group", {"group": g, "members": ["bob"]}) for g in ("g1", "g2", "g3")],
      *welcomed("bob"),
      ("bob", "list", {}), ("bob", "list", {"created_after": "g1"}), ("bob", "list", {"created_before": "g3"}),
      ("bob", "list", {"created_after": "g1", "created_before": "g3"}), ("alice", "list", {"created_after": "g2"})]),
    ("list_limit",
     "Given bob in three groups, When he lists with a limit, Then he gets that many: the oldest in the seed "
     "profile, the most recently active in the libxmtp profile (Profile.list_by_activity)",
     'seed "Conversations protocol" list ("matching the chosen time frame and limit")', ["conversations", "filters"],
     [*users("alice", "bob"),
      *[("alice", "create_group", {"group": g, "members": ["bob"]}) for g in ("g1", "g2", "g3")],
      *welcomed("bob"), ("bob", "list", {"limit": 2}), ("bob", "list", {"limit": 2, "created_after": "g1"})]),
    ("list_by_consent",
     "Given bob added to one group by alice and one by carol, whom he denies, When he lists by consent state, "
     "Then carol's group is never listed as allowed; the group he writes in is",
     'seed "Conversations protocol" list; facts §10 consent records', ["conversations", "consent", "filters"],
     [*users("alice", "bob", "carol"),
      ("bob", "consent", {"entity_type": "inbox_id", "entity": "carol", "state": "denied"}),
      ("alice", "create_group", {"group": "from_alice", "members": ["bob"]}),
      ("carol", "create_group", {"group": "from_carol", "members": ["bob"]}), *welcomed("bob"),
      ("bob", "list", {"consent_states": ["allowed"]}), ("bob", "list", {"consent_states": ["unknown", "denied"]}),
      ("bob", "send", {"group": "from_alice", "text": "hello alice"}),
      ("bob", "list", {"consent_states": ["allowed"]}),
      ("bob", "consent", {"entity_type": "conversation_id", "entity": "from_carol", "state": "denied"}),
      ("bob", "list", {"consent_states": ["denied"]}), ("bob", "list", {"consent_states": ["allowed"]})]),
    ("find_messages_filters",
     "Given a group with four messages, When bob finds messages with a time bound, a limit, an order, a delivery "
     "status or a kind, Then he gets exactly the matching ones",
     'seed "Group protocol" find_messages ("filters for time frame and limit"); "Delivery status"',
     ["messages", "filters"],
     [*users("alice", "bob"),
      ("alice", "create_group", {"group": "g", "members": ["bob"]}), *welcomed("bob"),
      *[("alice", "send", {"group": "g", "text": t}) for t in ("m1", "m2", "m3", "m4")], *synced("g", "bob"),
      ("bob", "find_messages", {"group": "g", "kind": "application"}),
      ("bob", "find_messages", {"group": "g", "kind": "application", "sent_after": "m2"}),
      ("bob", "find_messages", {"group": "g", "kind": "application", "sent_before": "m3"}),
      ("bob", "find_messages", {"group": "g", "kind": "application", "sent_after": "m1", "sent_before": "m4"}),
      ("bob", "find_messages", {"group": "g", "kind": "application", "limit": 2}),
      ("bob", "find_messages", {"group": "g", "kind": "application", "limit": 1, "direction": "descending"}),
      ("alice", "send_optimistic", {"group": "g", "text": "pending"}),
      ("alice", "find_messages", {"group": "g", "delivery_status": "unpublished"}),
      ("alice", "find_messages", {"group": "g", "kind": "membership_change"})]),
    ("group_fields_added_by",
     "Given carol added to a group by bob (a member allowed to add), Then every member's view names who added "
     "them: alice added herself (she created it), alice added bob, bob added carol; all see it active",
     'seed "Group protocol" added_by_inbox_id, is_active (its inactive side: add_by_inbox_id_remove_by_address)',
     ["membership", "filters"],
     [*users("alice", "bob", "carol"),
      ("alice", "create_group", {"group": "g", "members": ["bob"]}), *welcomed("bob"),
      ("bob", "add_members", {"group": "g", "members": ["carol"]}), *welcomed("carol"),
      *synced("g", "alice"), *observe("g", "alice", "bob", "carol")]),
]
