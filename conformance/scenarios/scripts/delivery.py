"""Delivery: failed and lost publishes, optimistic sends, duplicated and late envelopes (seed "Delivery
status"; docs/xmtp-facts.md §5, §7.2)."""

from __future__ import annotations

from .steps import Script, observe, synced, users, welcomed

SCRIPTS: list[Script] = [
    ("publish_fails_three_times",
     "Given a group, When the next three publishes fail and alice sends, Then the message ends Failed; "
     "When one publish fails, Then the next send is retried and Published",
     'facts §5 MAX_INTENT_PUBLISH_ATTEMPTS; seed "Delivery status"', ["delivery"],
     [*users("alice", "bob"),
      ("alice", "create_group", {"group": "g", "members": ["bob"]}), *welcomed("bob"),
      ("network", "fail_publishes", {"count": 3}), ("alice", "send", {"group": "g", "text": "lost"}),
      ("network", "fail_publishes", {"count": 1}), ("alice", "send", {"group": "g", "text": "retried"}),
      *synced("g", "bob"), *observe("g", "alice", "bob")]),
    ("response_lost_sent_once",
     "Given a group, When alice's publish is stored but its response is lost, Then a later sync publishes "
     "nothing twice: bob reads the message once and alice sees it Published",
     "facts §5 (same bytes resent; the node ignores a copy, §7.2)", ["delivery"],
     [*users("alice", "bob"),
      ("alice", "create_group", {"group": "g", "members": ["bob"]}), *welcomed("bob"),
      ("network", "fail_publishes", {"count": 1, "reason": "network.response_lost"}),
      ("alice", "send_optimistic", {"group": "g", "text": "once"}), *synced("g", "alice", "alice", "bob"),
      *observe("g", "alice", "bob")]),
    ("optimistic_then_sync",
     "Given a group, When alice sends optimistically, Then her message is Unpublished until she syncs, "
     "and Published after",
     'libxmtp send_message_optimistic; seed "Delivery status"', ["delivery"],
     [*users("alice", "bob"),
      ("alice", "create_group", {"group": "g", "members": ["bob"]}), *welcomed("bob"),
      ("alice", "send_optimistic", {"group": "g", "text": "soon"}), *observe("g", "alice"),
      *synced("g", "alice", "bob"), *observe("g", "alice", "bob")]),
    ("duplicated_and_late_messages",
     "Given a group, When queries repeat envelopes and messages arrive late, Then each message is stored "
     "once, in order, once it arrives",
     "facts §7.2 (cursors; duplicates dropped)", ["delivery", "network"],
     [*users("alice", "bob"),
      ("alice", "create_group", {"group": "g", "members": ["bob"]}), *welcomed("bob"),
      ("network", "duplicate_in_queries", {"count": 3}), ("network", "deliver_late", {"seconds": 30}),
      ("alice", "send_optimistic", {"group": "g", "text": "one"}), ("alice", "send_optimistic", {"group": "g", "text": "two"}),
      *synced("g", "alice", "bob"), ("network", "advance_clock", {"seconds": 60}),
      *synced("g", "alice", "bob"), *observe("g", "alice", "bob")]),
]
