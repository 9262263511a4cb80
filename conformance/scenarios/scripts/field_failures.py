"""Scenarios of the problems users report most against XMTP SDKs (issue 16): races, lost responses,
interrupted syncs, bad installations, and long offline periods."""

from __future__ import annotations

from .steps import Script, observe, synced, users, welcomed

SCRIPTS: list[Script] = [
    ("epoch_race_loser_retries",
     "Given alice, bob and carol in a group, When alice and bob each add a member at the same epoch (bob has not "
     "synced alice's commit), Then everyone applies the first commit the node sequenced and ignores the other; bob "
     "retries his add at the next epoch: dave and erin both join, and every member ends at one epoch with the same "
     "members (no fork)",
     "RFC 9420 §14 (one commit per epoch: the first the delivery service orders wins); facts §5 (an own commit "
     "seen for a stale epoch puts its intent back to be published again)", ["field failures", "epochs"],
     [*users("alice", "bob", "carol", "dave", "erin"),
      ("alice", "create_group", {"group": "g", "members": ["bob", "carol"]}), *welcomed("bob", "carol"),
      ("alice", "add_members", {"group": "g", "members": ["dave"]}),
      ("bob", "add_members", {"group": "g", "members": ["erin"]}),
      *synced("g", "alice", "carol"), *welcomed("dave", "erin"),
      ("carol", "send", {"group": "g", "text": "all here?"}), *synced("g", "alice", "bob", "dave", "erin"),
      *observe("g", "alice", "bob", "carol", "dave", "erin")]),
    ("commit_response_lost",
     "Given a group, When alice's commit adding carol reaches the node but its response is lost, Then the group "
     "does not fork: carol joins once and every member ends at one epoch",
     "facts §5 (a publish is retried with the same bytes); facts §7.2 (the node stores a copy once)",
     ["field failures", "delivery"],
     [*users("alice", "bob", "carol"),
      ("alice", "create_group", {"group": "g", "members": ["bob"]}), *welcomed("bob"),
      ("network", "fail_publishes", {"count": 1, "reason": "network.response_lost"}),
      ("alice", "add_members", {"group": "g", "members": ["carol"]}), *synced("g", "alice"),
      *welcomed("carol"), *synced("g", "bob", "carol"),
      ("carol", "send", {"group": "g", "text": "joined once"}), *synced("g", "alice", "bob"),
      *observe("g", "alice", "bob", "carol")]),
    ("restart_in_the_middle_of_a_sync",
     "Given bob offline while 150 messages arrive, When his sync is cut off after the first page and his client "
     "restarts, Then the next sync reads every message once, in order",
     'seed "Local database and syncing"; facts §7.2 (pages of 100, cursors)', ["field failures", "database"],
     [*users("alice", "bob"),
      ("alice", "create_group", {"group": "g", "members": ["bob"]}), *welcomed("bob"),
      *[("alice", "send", {"group": "g", "text": f"message {i}"}) for i in range(150)],
      ("network", "cut_sync_after", {"pages": 1, "seconds": 60}), *synced("g", "bob"),
      ("network", "advance_clock", {"seconds": 60}), ("bob", "restart", {}), *synced("g", "bob"),
      *observe("g", "bob")]),
    ("one_bad_installation",
     "Given bob with three installations, the second's key package damaged on the node, When alice creates a "
     "group with bob, Then his two good installations join and read her message, the bad one joins nothing",
     "facts §4 (an installation whose key package fails validation is left out: failed_installations); "
     "RFC 9420 §10.1 (a key package's signature must verify)", ["field failures", "installations"],
     [*users("alice", "bob"), ("bob#2", "create_client", {}), ("bob#3", "create_client", {}),
      ("network", "corrupt_key_package", {"client": "bob#2"}),
      ("alice", "create_group", {"group": "g", "members": ["bob"]}), ("alice", "send", {"group": "g", "text": "hi"}),
      *welcomed("bob", "bob#2", "bob#3"), *synced("g", "bob", "bob#3"),
      *observe("g", "alice", "bob", "bob#2", "bob#3")]),
    ("dm_opened_from_both_sides",
     "Given alice and bob, When each opens a DM with the other before seeing the other's and sends in it, Then "
     "after both sync each reads both messages, in order, in the DM they opened (the two MLS groups are one "
     "conversation; which twin's metadata the other's id shows is not judged)",
     "libxmtp create_dm (facts §3.1); libxmtp crates/xmtp_db/src/encrypted_store/group/dms.rs ``fetch_stitched``, "
     "group_message.rs ``get_group_messages`` (DM stitching)", ["field failures", "dm"],
     [("network", "wall_clock", {"follow": True}), *users("alice", "bob"),  # libxmtp stamps own sends by it
      ("alice", "create_dm", {"group": "dm_a", "with": "bob"}), ("bob", "create_dm", {"group": "dm_b", "with": "alice"}),
      ("alice", "send", {"group": "dm_a", "text": "from alice"}), ("bob", "send", {"group": "dm_b", "text": "from bob"}),
      *welcomed("alice", "bob"), *synced("dm_a", "alice", "bob"), *synced("dm_b", "alice", "bob"),
      *observe("dm_a", "alice"), *observe("dm_b", "bob")]),
    ("removed_then_restart",
     "Given alice, bob and carol, When alice removes bob and bob, after syncing, restarts his client and syncs "
     "everything, Then he is still inactive: his send is refused and he reads nothing new",
     'seed "Group protocol" is_active; seed "Local database and syncing"', ["field failures", "membership"],
     [*users("alice", "bob", "carol"),
      ("alice", "create_group", {"group": "g", "members": ["bob", "carol"]}), *welcomed("bob", "carol"),
      ("alice", "remove_members", {"group": "g", "members": ["bob"]}), *synced("g", "bob"),
      ("bob", "restart", {}), ("bob", "sync_all", {}), ("bob", "send", {"group": "g", "text": "still here?"}),
      ("alice", "send", {"group": "g", "text": "after bob"}), ("bob", "sync_all", {}), *synced("g", "carol"),
      *observe("g", "alice", "bob", "carol")]),
    ("offline_while_200_arrive",
     "Given bob offline while alice sends 200 messages, When he syncs once, Then he reads all 200, once each, in "
     "the order she sent them",
     "facts §7.2 (pages of 100, cursors)", ["field failures", "delivery"],
     [*users("alice", "bob"),
      ("alice", "create_group", {"group": "g", "members": ["bob"]}), *welcomed("bob"),
      *[("alice", "send", {"group": "g", "text": f"message {i}"}) for i in range(200)], *synced("g", "bob"),
      *observe("g", "bob")]),
]
