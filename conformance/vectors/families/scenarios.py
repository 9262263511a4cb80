"""Client scenarios (seed "Conversations protocol", "Group protocol", "Delivery status", "Permissions"):
several named clients over one delivery service, each step with its outcome and what it observed.

Each case is a script run by the model through the ``reference`` adapter (``conformance.scenarios.
driver``: names for users, groups and clients; the ``network`` client injects faults). The expected
outcome of every step and every ``observe`` is what the model did.

Each script is a case in each profile of the model (``scenarios::seed/<name>``, ``scenarios::libxmtp/<name>``);
an adapter runs those of the profile it declares (``clients.profiles``).

Questions: one, ``{"ask": "scenario", "profile", "clients": [...], "observe_all": bool, "steps": [{client,
action, arguments}]}`` (``observe_all``: observe the group after every step naming one, not only at ``observe``),
answered not by ``xmtp.answer`` but by the harness driving the steps through the adapter's
``clients`` capability (``answer`` does that with the model). The answer is ``{"steps": [{result,
reason, class, observed?}]}``. Judged: every step's verdict (``valid``/``invalid``), a refusal's class
(``permission``, ``membership``, ``validation``, ``network``, ``not_found``: docs/reason-codes.md; refusal
reasons are reported but not compared, since SDKs name their errors differently) and every observation, field
by field.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from .. import case_id, expect
from ..family import Exchange
from ..formats import ScenarioCase, ScenarioStep, StepExpected, Verdict
from ..questions import judge_fields

FORMAT = "scenario"
AREA = "conversations"
FAMILY = "scenarios"

S = tuple[str, str, dict[str, Any]]


def _users(*names: str) -> list[S]:
    return [(name, "create_client", {}) for name in names]


def _observe(group: str, *clients: str) -> list[S]:
    return [(client, "observe", {"group": group}) for client in clients]


def _welcomed(*clients: str) -> list[S]:
    return [(client, "sync_welcomes", {}) for client in clients]


def _synced(group: str, *clients: str) -> list[S]:
    return [(client, "sync", {"group": group}) for client in clients]


FIELD_FAILURES: list[tuple[str, str, str, list[str], list[S]]] = [
    ("epoch_race_loser_retries",
     "Given alice, bob and carol in a group, When alice and bob each add a member at the same epoch (bob has not "
     "synced alice's commit), Then everyone applies the first commit the node sequenced and ignores the other; bob "
     "retries his add at the next epoch: dave and erin both join, and every member ends at one epoch with the same "
     "members (no fork)",
     "RFC 9420 §14 (one commit per epoch: the first the delivery service orders wins); facts §5 (an own commit "
     "seen for a stale epoch puts its intent back to be published again)", ["field failures", "epochs"],
     [*_users("alice", "bob", "carol", "dave", "erin"),
      ("alice", "create_group", {"group": "g", "members": ["bob", "carol"]}), *_welcomed("bob", "carol"),
      ("alice", "add_members", {"group": "g", "members": ["dave"]}),
      ("bob", "add_members", {"group": "g", "members": ["erin"]}),
      *_synced("g", "alice", "carol"), *_welcomed("dave", "erin"),
      ("carol", "send", {"group": "g", "text": "all here?"}), *_synced("g", "alice", "bob", "dave", "erin"),
      *_observe("g", "alice", "bob", "carol", "dave", "erin")]),
    ("commit_response_lost",
     "Given a group, When alice's commit adding carol reaches the node but its response is lost, Then the group "
     "does not fork: carol joins once and every member ends at one epoch",
     "facts §5 (a publish is retried with the same bytes); facts §7.2 (the node stores a copy once)",
     ["field failures", "delivery"],
     [*_users("alice", "bob", "carol"),
      ("alice", "create_group", {"group": "g", "members": ["bob"]}), *_welcomed("bob"),
      ("network", "fail_publishes", {"count": 1, "reason": "network.response_lost"}),
      ("alice", "add_members", {"group": "g", "members": ["carol"]}), *_synced("g", "alice"),
      *_welcomed("carol"), *_synced("g", "bob", "carol"),
      ("carol", "send", {"group": "g", "text": "joined once"}), *_synced("g", "alice", "bob"),
      *_observe("g", "alice", "bob", "carol")]),
    ("restart_in_the_middle_of_a_sync",
     "Given bob offline while 150 messages arrive, When his sync is cut off after the first page and his client "
     "restarts, Then the next sync reads every message once, in order",
     'seed "Local database and syncing"; facts §7.2 (pages of 100, cursors)', ["field failures", "database"],
     [*_users("alice", "bob"),
      ("alice", "create_group", {"group": "g", "members": ["bob"]}), *_welcomed("bob"),
      *[("alice", "send", {"group": "g", "text": f"message {i}"}) for i in range(150)],
      ("network", "cut_sync_after", {"pages": 1, "seconds": 60}), *_synced("g", "bob"),
      ("network", "advance_clock", {"seconds": 60}), ("bob", "restart", {}), *_synced("g", "bob"),
      *_observe("g", "bob")]),
    ("one_bad_installation",
     "Given bob with three installations, the second's key package damaged on the node, When alice creates a "
     "group with bob, Then his two good installations join and read her message, the bad one joins nothing",
     "facts §4 (an installation whose key package fails validation is left out: failed_installations); "
     "RFC 9420 §10.1 (a key package's signature must verify)", ["field failures", "installations"],
     [*_users("alice", "bob"), ("bob#2", "create_client", {}), ("bob#3", "create_client", {}),
      ("network", "corrupt_key_package", {"client": "bob#2"}),
      ("alice", "create_group", {"group": "g", "members": ["bob"]}), ("alice", "send", {"group": "g", "text": "hi"}),
      *_welcomed("bob", "bob#2", "bob#3"), *_synced("g", "bob", "bob#3"),
      *_observe("g", "alice", "bob", "bob#2", "bob#3")]),
    ("dm_opened_from_both_sides",
     "Given alice and bob, When each opens a DM with the other before seeing the other's and sends in it, Then "
     "after both sync each reads both messages, in order, in the DM they opened (the two MLS groups are one "
     "conversation; which twin's metadata the other's id shows is not judged)",
     "libxmtp create_dm (facts §3.1); libxmtp crates/xmtp_db/src/encrypted_store/group/dms.rs ``fetch_stitched``, "
     "group_message.rs ``get_group_messages`` (DM stitching)", ["field failures", "dm"],
     [("network", "wall_clock", {"follow": True}), *_users("alice", "bob"),  # libxmtp stamps own sends by it
      ("alice", "create_dm", {"group": "dm_a", "with": "bob"}), ("bob", "create_dm", {"group": "dm_b", "with": "alice"}),
      ("alice", "send", {"group": "dm_a", "text": "from alice"}), ("bob", "send", {"group": "dm_b", "text": "from bob"}),
      *_welcomed("alice", "bob"), *_synced("dm_a", "alice", "bob"), *_synced("dm_b", "alice", "bob"),
      *_observe("dm_a", "alice"), *_observe("dm_b", "bob")]),
    ("removed_then_restart",
     "Given alice, bob and carol, When alice removes bob and bob, after syncing, restarts his client and syncs "
     "everything, Then he is still inactive: his send is refused and he reads nothing new",
     'seed "Group protocol" is_active; seed "Local database and syncing"', ["field failures", "membership"],
     [*_users("alice", "bob", "carol"),
      ("alice", "create_group", {"group": "g", "members": ["bob", "carol"]}), *_welcomed("bob", "carol"),
      ("alice", "remove_members", {"group": "g", "members": ["bob"]}), *_synced("g", "bob"),
      ("bob", "restart", {}), ("bob", "sync_all", {}), ("bob", "send", {"group": "g", "text": "still here?"}),
      ("alice", "send", {"group": "g", "text": "after bob"}), ("bob", "sync_all", {}), *_synced("g", "carol"),
      *_observe("g", "alice", "bob", "carol")]),
    ("offline_while_200_arrive",
     "Given bob offline while alice sends 200 messages, When he syncs once, Then he reads all 200, once each, in "
     "the order she sent them",
     "facts §7.2 (pages of 100, cursors)", ["field failures", "delivery"],
     [*_users("alice", "bob"),
      ("alice", "create_group", {"group": "g", "members": ["bob"]}), *_welcomed("bob"),
      *[("alice", "send", {"group": "g", "text": f"message {i}"}) for i in range(200)], *_synced("g", "bob"),
      *_observe("g", "bob")]),
]
"""Scenarios of the problems users report most against XMTP SDKs (issue 16): races, lost responses,
interrupted syncs, bad installations, and long offline periods."""


# ---------------------------------------------------------------- issue 17 (libxmtp's DM stitching, D16)
DM_STITCHING: list[tuple[str, str, str, list[str], list[S]]] = [
    ("dm_duplicates_stitched",
     "Given alice and bob who each open a DM with the other before seeing the other's, When bob sends in his, "
     "alice joins it, then sends in hers and both sync, Then in the libxmtp profile her message goes to the DM "
     "of the pair with the latest message (bob's), both read it there, and her list shows that DM only; in the "
     "seed profile each DM is its own conversation and she lists both",
     "libxmtp@b649d1a DM stitching: crates/xmtp_db/src/encrypted_store/group/dms.rs fetch_stitched (a DM's id "
     "gives the latest DM of its dm_id), group.rs find_groups (include_duplicate_dms false); profile dm_stitching",
     ["dm"],
     [("network", "wall_clock", {"follow": True}), *_users("alice", "bob"),  # libxmtp stamps own sends by it
      ("alice", "create_dm", {"group": "dm_a", "with": "bob"}), ("bob", "create_dm", {"group": "dm_b", "with": "alice"}),
      ("bob", "send", {"group": "dm_b", "text": "from bob"}), *_welcomed("alice", "bob"),
      ("alice", "send", {"group": "dm_a", "text": "from alice"}), *_synced("dm_a", "alice", "bob"),
      *_synced("dm_b", "alice", "bob"), ("alice", "list", {}), *_observe("dm_b", "alice", "bob")]),
]
# ---------------------------------------------------------------- end of issue 17's block


SCRIPTS: list[tuple[str, str, str, list[str], list[S]]] = [
    ("group_by_address_send_and_read",
     "Given three users, When alice creates a group with bob and carol by address and sends a message, "
     "Then bob and carol join from their Welcomes (and bob's key package is replaced) and read it; everyone "
     "sees the same members and metadata",
     'seed "Conversations protocol" create_group (key packages rotated after a Welcome), "Group protocol" '
     'send/sync/list_members', ["conversations", "key packages"],
     [*_users("alice", "bob", "carol"),
      ("alice", "create_group", {"group": "g", "members": ["bob", "carol"], "name": "Team"}),
      ("alice", "send", {"group": "g", "text": "hello"}),
      ("network", "key_package_rotated", {"client": "bob"}),
      *_welcomed("bob", "carol"), ("network", "key_package_rotated", {"client": "bob"}),
      *_synced("g", "bob", "carol"),
      ("bob", "send", {"group": "g", "text": "hi alice"}), *_synced("g", "alice", "carol"),
      *_observe("g", "alice", "bob", "carol")]),
    ("add_by_inbox_id_remove_by_address",
     "Given a group of alice and bob, When alice adds carol by inbox id and then removes bob by address, "
     "Then carol joins, bob sees himself removed and can no longer send",
     'seed "Group protocol" add_members_by_inbox_id, remove_members, is_active', ["conversations", "membership"],
     [*_users("alice", "bob", "carol"),
      ("alice", "create_group", {"group": "g", "members": ["bob"]}), *_welcomed("bob"),
      ("alice", "add_members", {"group": "g", "members": ["carol"], "by": "inbox_id"}), *_welcomed("carol"),
      ("alice", "remove_members", {"group": "g", "members": ["bob"]}), *_synced("g", "bob", "carol"),
      ("bob", "send", {"group": "g", "text": "am I still here?"}),
      *_observe("g", "alice", "bob", "carol")]),
    ("admins_only_preset",
     "Given an admins-only group created by alice with bob and carol, When bob (a member) tries to add dave, "
     "Then it is refused; When alice makes bob an admin, Then bob can add dave",
     "XIP-47 Admins Only preset; add_member_policy admin_or_super_admin", ["permissions"],
     [*_users("alice", "bob", "carol", "dave"),
      ("alice", "create_group", {"group": "g", "members": ["bob", "carol"], "permissions": "admins_only"}),
      *_welcomed("bob", "carol"),
      ("bob", "add_members", {"group": "g", "members": ["dave"]}),
      ("alice", "add_admin", {"group": "g", "member": "bob"}), *_synced("g", "bob"),
      ("bob", "add_members", {"group": "g", "members": ["dave"]}), *_welcomed("dave"),
      *_observe("g", "alice", "bob", "dave")]),
    ("super_admin_protected",
     "Given alice (super admin) and bob (admin), When bob tries to remove alice or demote her, Then both are "
     "refused; When alice demotes bob, Then he is a plain member again",
     "XIP-47 Threat Model: admins cannot remove super admins; only super admins change admin lists",
     ["permissions", "admins"],
     [*_users("alice", "bob", "carol"),
      ("alice", "create_group", {"group": "g", "members": ["bob", "carol"]}), *_welcomed("bob", "carol"),
      ("alice", "add_admin", {"group": "g", "member": "bob"}), *_synced("g", "bob"),
      ("bob", "remove_members", {"group": "g", "members": ["alice"]}),
      ("bob", "remove_super_admin", {"group": "g", "member": "alice"}),
      ("alice", "add_super_admin", {"group": "g", "member": "carol"}),
      ("alice", "remove_admin", {"group": "g", "member": "bob"}), *_synced("g", "bob", "carol"),
      *_observe("g", "alice", "bob", "carol")]),
    ("metadata_updates",
     "Given an all-members group (seed profile: XIP-47 All Members lets admins edit metadata), When bob (a "
     "member) changes the name or image, Then he is refused; When alice (super admin) changes the "
     "description, Then every member sees it and a transcript message",
     'seed "Group protocol" update_name/description/image_url; XIP-47 All Members; facts §6 GroupUpdated',
     ["metadata", "permissions"],
     [*_users("alice", "bob"),
      ("alice", "create_group", {"group": "g", "members": ["bob"], "name": "Before"}), *_welcomed("bob"),
      ("bob", "update_name", {"group": "g", "name": "After"}),
      ("alice", "update_description", {"group": "g", "description": "what we do"}),
      ("bob", "update_image_url", {"group": "g", "url": "https://example.com/g.png"}),
      *_synced("g", "alice", "bob"), *_observe("g", "alice", "bob")]),
    ("permission_update_by_super_admin",
     "Given an all-members group, When the super admin restricts add_member to admins and bob then tries "
     "to add carol, Then bob is refused; a member cannot change permissions",
     "XIP-47 update_permissions_policy (super admins only)", ["permissions"],
     [*_users("alice", "bob", "carol"),
      ("alice", "create_group", {"group": "g", "members": ["bob"]}), *_welcomed("bob"),
      ("bob", "update_permission", {"group": "g", "permission": "add_member_policy", "policy": "allow"}),
      ("alice", "update_permission", {"group": "g", "permission": "add_member_policy",
                                      "policy": "allow_if_admin_or_super_admin"}), *_synced("g", "bob"),
      ("bob", "add_members", {"group": "g", "members": ["carol"]}),
      *_observe("g", "alice", "bob")]),
    ("dm_both_ways",
     "Given alice and bob, When alice opens a DM with bob and both send, Then both read both messages and "
     "the DM's metadata names it a DM",
     "libxmtp create_dm (facts §3.1); seed DMs", ["conversations", "dm"],
     [*_users("alice", "bob"),
      ("alice", "create_dm", {"group": "dm", "with": "bob"}), ("alice", "send", {"group": "dm", "text": "psst"}),
      *_welcomed("bob"), *_synced("dm", "bob"), ("bob", "send", {"group": "dm", "text": "yes?"}),
      *_synced("dm", "alice"), *_observe("dm", "alice", "bob")]),
    ("publish_fails_three_times",
     "Given a group, When the next three publishes fail and alice sends, Then the message ends Failed; "
     "When one publish fails, Then the next send is retried and Published",
     'facts §5 MAX_INTENT_PUBLISH_ATTEMPTS; seed "Delivery status"', ["delivery"],
     [*_users("alice", "bob"),
      ("alice", "create_group", {"group": "g", "members": ["bob"]}), *_welcomed("bob"),
      ("network", "fail_publishes", {"count": 3}), ("alice", "send", {"group": "g", "text": "lost"}),
      ("network", "fail_publishes", {"count": 1}), ("alice", "send", {"group": "g", "text": "retried"}),
      *_synced("g", "bob"), *_observe("g", "alice", "bob")]),
    ("response_lost_sent_once",
     "Given a group, When alice's publish is stored but its response is lost, Then a later sync publishes "
     "nothing twice: bob reads the message once and alice sees it Published",
     "facts §5 (same bytes resent; the node ignores a copy, §7.2)", ["delivery"],
     [*_users("alice", "bob"),
      ("alice", "create_group", {"group": "g", "members": ["bob"]}), *_welcomed("bob"),
      ("network", "fail_publishes", {"count": 1, "reason": "network.response_lost"}),
      ("alice", "send_optimistic", {"group": "g", "text": "once"}), *_synced("g", "alice", "alice", "bob"),
      *_observe("g", "alice", "bob")]),
    ("optimistic_then_sync",
     "Given a group, When alice sends optimistically, Then her message is Unpublished until she syncs, "
     "and Published after",
     'libxmtp send_message_optimistic; seed "Delivery status"', ["delivery"],
     [*_users("alice", "bob"),
      ("alice", "create_group", {"group": "g", "members": ["bob"]}), *_welcomed("bob"),
      ("alice", "send_optimistic", {"group": "g", "text": "soon"}), *_observe("g", "alice"),
      *_synced("g", "alice", "bob"), *_observe("g", "alice", "bob")]),
    ("duplicated_and_late_messages",
     "Given a group, When queries repeat envelopes and messages arrive late, Then each message is stored "
     "once, in order, once it arrives",
     "facts §7.2 (cursors; duplicates dropped)", ["delivery", "network"],
     [*_users("alice", "bob"),
      ("alice", "create_group", {"group": "g", "members": ["bob"]}), *_welcomed("bob"),
      ("network", "duplicate_in_queries", {"count": 3}), ("network", "deliver_late", {"seconds": 30}),
      ("alice", "send_optimistic", {"group": "g", "text": "one"}), ("alice", "send_optimistic", {"group": "g", "text": "two"}),
      *_synced("g", "alice", "bob"), ("network", "advance_clock", {"seconds": 60}),
      *_synced("g", "alice", "bob"), *_observe("g", "alice", "bob")]),
    ("second_installation",
     "Given alice in a group, When she adds a second installation and a member updates installations, "
     "Then both of alice's installations read new messages",
     'seed: "a one-person group reaches all of that person\'s installations"; libxmtp update_installations',
     ["installations"],
     [*_users("alice", "bob"),
      ("alice", "create_group", {"group": "g", "members": ["bob"]}), *_welcomed("bob"),
      ("alice#2", "create_client", {}), ("bob", "update_installations", {"group": "g"}),
      *_welcomed("alice#2"), ("bob", "send", {"group": "g", "text": "both of you"}),
      *_synced("g", "alice", "alice#2"), *_observe("g", "alice", "alice#2", "bob")]),
    ("restart_from_database",
     "Given alice in a group with messages, When her client restarts from its database, Then she still sees "
     "the group and its messages and can send",
     'seed "Local database and syncing"', ["database"],
     [*_users("alice", "bob"),
      ("alice", "create_group", {"group": "g", "members": ["bob"]}), ("alice", "send", {"group": "g", "text": "before"}),
      ("alice", "restart", {}), ("alice", "send", {"group": "g", "text": "after"}), *_welcomed("bob"),
      *_synced("g", "bob"), *_observe("g", "alice", "bob")]),
    ("leave_request",
     "Given alice (super admin), bob and carol, When bob leaves, Then alice's next sync removes him and the "
     "transcript lists him as left",
     "XIP-75 self-removal (LeaveRequest, removed by a super admin)", ["membership"],
     [*_users("alice", "bob", "carol"),
      ("alice", "create_group", {"group": "g", "members": ["bob", "carol"]}), *_welcomed("bob", "carol"),
      ("bob", "leave", {"group": "g"}), *_synced("g", "alice", "carol", "bob"),
      *_observe("g", "alice", "bob", "carol")]),
    ("history_sync_to_new_installation",
     "Given alice's group with a message, When her new installation asks for history and her first answers, "
     "Then the new installation holds the group's metadata and messages, read-only until it is added",
     "facts §9 history sync (DeviceSyncRequest, archive upload, import); RestoredGroup", ["history sync"],
     [*_users("alice", "bob"),
      ("alice", "create_group", {"group": "g", "members": ["bob"], "name": "Archive"}),
      ("alice", "send", {"group": "g", "text": "old news"}), ("alice#2", "create_client", {}),
      ("alice#2", "history_sync", {"request": True}), ("alice", "history_sync", {"request": False}),
      ("alice#2", "history_sync", {"request": False}), *_observe("g", "alice#2"),
      ("alice#2", "send", {"group": "g", "text": "can I write?"})]),
    ("consent_records",
     "Given alice's group with bob, Then it is allowed for alice (she created it) and unknown for bob "
     "until he sends; When alice denies bob and the group, Then reading the records gives denied",
     "facts §10 consent records", ["consent"],
     [*_users("alice", "bob"),
      ("alice", "create_group", {"group": "g", "members": ["bob"]}), *_welcomed("bob"),
      ("bob", "consent", {"entity_type": "conversation_id", "entity": "g"}),
      ("bob", "send", {"group": "g", "text": "count me in"}),
      ("bob", "consent", {"entity_type": "conversation_id", "entity": "g"}),
      ("alice", "consent", {"entity_type": "conversation_id", "entity": "g"}),
      ("alice", "consent", {"entity_type": "inbox_id", "entity": "bob", "state": "denied"}),
      ("alice", "consent", {"entity_type": "conversation_id", "entity": "g", "state": "denied"}),
      ("alice", "consent", {"entity_type": "inbox_id", "entity": "bob"})]),
    # ---------------------------------------------------------------- streams (seed "stream", "stream_all_messages")
    ("stream_all_messages_in_order",
     "Given bob in a group with alice, When bob streams all messages and alice sends three, Then bob's stream "
     "yields each of them once, in order",
     'seed "Conversations protocol" stream_all_messages', ["streams"],
     [*_users("alice", "bob"),
      ("alice", "create_group", {"group": "g", "members": ["bob"]}), *_welcomed("bob"),
      ("bob", "stream_open", {"stream": "all", "kind": "all_messages"}),
      *[("alice", "send", {"group": "g", "text": text}) for text in ("one", "two", "three")],
      ("bob", "stream_poll", {"stream": "all", "count": 3}),
      ("bob", "stream_poll", {"stream": "all", "count": 1, "timeout_ms": 1000})]),
    ("stream_all_messages_follows_new_groups",
     "Given bob streaming all messages before he is in any group, When alice creates two groups with him and "
     "sends in both, and carol opens a DM with him, Then the stream yields every message of each, in order per "
     "conversation",
     'seed "Conversations protocol" stream_all_messages (joined conversations included)', ["streams"],
     [*_users("alice", "bob", "carol"),
      ("bob", "stream_open", {"stream": "all", "kind": "all_messages"}),
      ("alice", "create_group", {"group": "g1", "members": ["bob"]}), ("alice", "send", {"group": "g1", "text": "first"}),
      ("bob", "stream_poll", {"stream": "all", "count": 1}),
      ("alice", "create_group", {"group": "g2", "members": ["bob"]}), ("alice", "send", {"group": "g2", "text": "second"}),
      ("alice", "send", {"group": "g1", "text": "third"}),
      ("carol", "create_dm", {"group": "dm", "with": "bob"}), ("carol", "send", {"group": "dm", "text": "psst"}),
      ("bob", "stream_poll", {"stream": "all", "count": 3, "kind": "application"}),
      ("bob", "stream_poll", {"stream": "all", "count": 1, "timeout_ms": 1000, "kind": "application"})]),
    ("stream_welcomes_each_group_once",
     "Given bob streaming conversations, When alice and carol create groups with him and alice opens a DM, Then "
     "the stream yields each new conversation once; later commits in them yield nothing more",
     'seed "Conversations protocol" stream ("Apps can poll or stream for new group invitations")', ["streams"],
     [*_users("alice", "bob", "carol"),
      ("bob", "stream_open", {"stream": "new", "kind": "welcomes"}),
      ("alice", "create_group", {"group": "g1", "members": ["bob"]}),
      ("carol", "create_group", {"group": "g2", "members": ["bob", "alice"]}),
      ("alice", "create_dm", {"group": "dm", "with": "bob"}),
      ("bob", "stream_poll", {"stream": "new", "count": 3}),
      ("alice", "update_name", {"group": "g1", "name": "renamed"}),
      ("carol", "update_description", {"group": "g2", "description": "ours"}),
      ("bob", "stream_poll", {"stream": "new", "count": 1, "timeout_ms": 1000})]),
    ("stream_one_group",
     "Given bob in two groups with alice, When bob streams one of them and alice sends in both and renames it, "
     "Then the stream yields that group's messages and its transcript, in order, and nothing of the other",
     'seed "Group protocol" stream', ["streams"],
     [*_users("alice", "bob"),
      ("alice", "create_group", {"group": "g1", "members": ["bob"]}),
      ("alice", "create_group", {"group": "g2", "members": ["bob"]}), *_welcomed("bob"),
      ("bob", "stream_open", {"stream": "one", "kind": "group", "group": "g1"}),
      ("alice", "send", {"group": "g1", "text": "for g1"}), ("alice", "send", {"group": "g2", "text": "for g2"}),
      ("alice", "update_name", {"group": "g1", "name": "renamed"}),
      ("alice", "send", {"group": "g1", "text": "g1 again"}),
      ("bob", "stream_poll", {"stream": "one", "count": 3}),
      ("bob", "stream_poll", {"stream": "one", "count": 1, "timeout_ms": 1000})]),
    ("stream_own_messages",
     "Given alice and bob in a group, When alice streams all messages and both send, Then alice's stream yields "
     "her own message as well as bob's, each once",
     'seed "Conversations protocol" stream_all_messages', ["streams"],
     [*_users("alice", "bob"),
      ("alice", "create_group", {"group": "g", "members": ["bob"]}), *_welcomed("bob"),
      ("alice", "stream_open", {"stream": "all", "kind": "all_messages"}),
      ("alice", "send", {"group": "g", "text": "mine"}), ("alice", "send", {"group": "g", "text": "mine too"}),
      ("alice", "stream_poll", {"stream": "all", "count": 2}),
      ("alice", "stream_poll", {"stream": "all", "count": 1, "timeout_ms": 1000})]),
    ("stream_close_stops_delivery",
     "Given bob streaming all messages, When he closes the stream, Then what alice sends afterwards reaches the "
     "stream no more (he still reads it by syncing)",
     'seed "Conversations protocol" stream_all_messages', ["streams"],
     [*_users("alice", "bob"),
      ("alice", "create_group", {"group": "g", "members": ["bob"]}), *_welcomed("bob"),
      ("bob", "stream_open", {"stream": "all", "kind": "all_messages"}),
      ("alice", "send", {"group": "g", "text": "before"}), ("bob", "stream_poll", {"stream": "all", "count": 1}),
      ("bob", "stream_close", {"stream": "all"}),
      ("alice", "send", {"group": "g", "text": "after"}),
      ("bob", "stream_poll", {"stream": "all", "count": 1, "timeout_ms": 1500}),
      *_synced("g", "bob"), *_observe("g", "bob")]),
    ("stream_dropped_subscription_resumed",
     "Given bob streaming all messages, When the node drops his subscriptions and alice sends two more, Then the "
     "stream resumes: nothing missed, nothing twice",
     'seed "Conversations protocol" stream_all_messages; facts §7.2 (Subscribe streams, cursors)', ["streams", "network"],
     [*_users("alice", "bob"),
      ("alice", "create_group", {"group": "g", "members": ["bob"]}), *_welcomed("bob"),
      ("bob", "stream_open", {"stream": "all", "kind": "all_messages"}),
      ("alice", "send", {"group": "g", "text": "one"}), ("bob", "stream_poll", {"stream": "all", "count": 1}),
      ("network", "drop_streams", {}),
      ("alice", "send", {"group": "g", "text": "two"}), ("alice", "send", {"group": "g", "text": "three"}),
      ("bob", "stream_poll", {"stream": "all", "count": 2}),
      ("bob", "stream_poll", {"stream": "all", "count": 1, "timeout_ms": 1000})]),
    # ---------------------------------------------------------------- list and find_messages filters, group fields
    ("list_filters_created",
     "Given bob in three groups, When he lists with a creation-time bound, Then he gets the groups created after "
     "(or before) the named one",
     'seed "Conversations protocol" list ("matching the chosen time frame and limit"); "Group protocol" '
     'created_at_ns', ["conversations", "filters"],
     [*_users("alice", "bob"),
      *[("alice", "create_group", {"group": g, "members": ["bob"]}) for g in ("g1", "g2", "g3")],
      *_welcomed("bob"),
      ("bob", "list", {}), ("bob", "list", {"created_after": "g1"}), ("bob", "list", {"created_before": "g3"}),
      ("bob", "list", {"created_after": "g1", "created_before": "g3"}), ("alice", "list", {"created_after": "g2"})]),
    ("list_limit",
     "Given bob in three groups, When he lists with a limit, Then he gets that many, the oldest (libxmtp's "
     "find_groups orders by created_at_ns ascending)",
     'seed "Conversations protocol" list ("matching the chosen time frame and limit")', ["conversations", "filters"],
     [*_users("alice", "bob"),
      *[("alice", "create_group", {"group": g, "members": ["bob"]}) for g in ("g1", "g2", "g3")],
      *_welcomed("bob"), ("bob", "list", {"limit": 2}), ("bob", "list", {"limit": 2, "created_after": "g1"})]),
    ("list_by_consent",
     "Given bob added to one group by alice and one by carol, whom he denies, When he lists by consent state, "
     "Then carol's group is never listed as allowed; the group he writes in is",
     'seed "Conversations protocol" list; facts §10 consent records', ["conversations", "consent", "filters"],
     [*_users("alice", "bob", "carol"),
      ("bob", "consent", {"entity_type": "inbox_id", "entity": "carol", "state": "denied"}),
      ("alice", "create_group", {"group": "from_alice", "members": ["bob"]}),
      ("carol", "create_group", {"group": "from_carol", "members": ["bob"]}), *_welcomed("bob"),
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
     [*_users("alice", "bob"),
      ("alice", "create_group", {"group": "g", "members": ["bob"]}), *_welcomed("bob"),
      *[("alice", "send", {"group": "g", "text": t}) for t in ("m1", "m2", "m3", "m4")], *_synced("g", "bob"),
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
     [*_users("alice", "bob", "carol"),
      ("alice", "create_group", {"group": "g", "members": ["bob"]}), *_welcomed("bob"),
      ("bob", "add_members", {"group": "g", "members": ["carol"]}), *_welcomed("carol"),
      *_synced("g", "alice"), *_observe("g", "alice", "bob", "carol")]),
    # ---------------------------------------------------------------- push notifications (seed "push notifications")
    ("push_message_notifies_other_members",
     "Given alice, bob and carol in a group, each registered with the notification server, When alice sends, "
     "Then bob and carol are notified and alice (recognised by her sender HMAC) is not",
     "example-notification-server-go listener.go shouldDeliver; libxmtp prepare_group_messages (sender HMAC)",
     ["push"],
     [("network", "wall_clock", {}), *_users("alice", "bob", "carol"),
      ("alice", "create_group", {"group": "g", "members": ["bob", "carol"]}), *_welcomed("bob", "carol"),
      *[(c, "push_register", {}) for c in ("alice", "bob", "carol")], ("network", "notifications", {}),
      ("alice", "send", {"group": "g", "text": "ping"}), ("network", "notifications", {}),
      ("bob", "send", {"group": "g", "text": "pong"}), ("network", "notifications", {})]),
    ("push_welcome_notifies_new_member",
     "Given bob and carol registered before they are in any group, When alice creates a group with bob and "
     "later adds carol, Then each is notified on their welcome topic; the commits notify no one",
     "example-notification-server-go: welcomes are always pushed; libxmtp QueueIntent (commits should_push false)",
     ["push"],
     [("network", "wall_clock", {}), *_users("alice", "bob", "carol"),
      *[(c, "push_register", {}) for c in ("alice", "bob", "carol")],
      ("alice", "create_group", {"group": "g", "members": ["bob"]}), ("network", "notifications", {}),
      *_welcomed("bob"), ("bob", "push_register", {}),
      ("alice", "add_members", {"group": "g", "members": ["carol"]}), ("network", "notifications", {})]),
    ("push_commits_not_pushed",
     "Given a registered group, When its super admin renames it, promotes and removes members, Then nobody is "
     "notified; the next message notifies every other subscribed installation (carol's app never unsubscribed)",
     "libxmtp intents/queue.rs QueueIntent: should_push false for every intent but SendMessage", ["push"],
     [("network", "wall_clock", {}), *_users("alice", "bob", "carol"),
      ("alice", "create_group", {"group": "g", "members": ["bob", "carol"]}), *_welcomed("bob", "carol"),
      *[(c, "push_register", {}) for c in ("alice", "bob", "carol")],
      ("alice", "update_name", {"group": "g", "name": "quiet"}), ("alice", "add_admin", {"group": "g", "member": "bob"}),
      ("alice", "remove_members", {"group": "g", "members": ["carol"]}), ("network", "notifications", {}),
      ("alice", "send", {"group": "g", "text": "still here?"}), ("network", "notifications", {})]),
    ("push_leave_request_not_pushed",
     "Given a registered group, When bob leaves (a LeaveRequest message), Then nobody is notified of it",
     "libxmtp leave_group: the LeaveRequest is sent with SendMessageOpts::default() (should_push false)", ["push"],
     [("network", "wall_clock", {}), *_users("alice", "bob", "carol"),
      ("alice", "create_group", {"group": "g", "members": ["bob", "carol"]}), *_welcomed("bob", "carol"),
      *[(c, "push_register", {}) for c in ("alice", "bob", "carol")],
      ("bob", "leave", {"group": "g"}), ("network", "notifications", {})]),
    ("push_dm_and_second_installation",
     "Given alice with two installations and a DM with bob, all registered, When bob writes in the DM and alice "
     "answers from one installation, Then both of alice's installations are notified of bob's message, and of "
     "hers only the other installation (their HMAC keys are not shared without history sync), bob is notified",
     "libxmtp hmac_keys (the user's key is per installation until a preference sync); listener.go shouldDeliver",
     ["push", "installations"],
     [("network", "wall_clock", {}), *_users("alice", "alice#2", "bob"),
      ("bob", "create_dm", {"group": "dm", "with": "alice"}), *_welcomed("alice", "alice#2"),
      *[(c, "push_register", {}) for c in ("alice", "alice#2", "bob")],
      ("bob", "send", {"group": "dm", "text": "hi alice"}), ("network", "notifications", {}),
      *_synced("dm", "alice"), ("alice", "send", {"group": "dm", "text": "hi bob"}), ("network", "notifications", {})]),
    *FIELD_FAILURES,
    *DM_STITCHING,
]


S_NS = 10**9
"""Scripts state disappearing settings in nanoseconds."""

_LOCAL_STATE_SCRIPTS: list[tuple[str, str, str, list[str], list[S]]] = [
    ("delete_local_database_new_installation",
     "Given alice in a group, When she deletes her local database and creates her client again, Then it is a "
     "new installation of her inbox that does not know the group; When bob updates installations, Then it "
     "joins and reads bob's next message",
     'seed "Local database and syncing" Client.deleteLocalDatabase(); "Every installation ... receives group '
     'messages"', ["database", "installations"],
     [*_users("alice", "bob"),
      ("alice", "create_group", {"group": "g", "members": ["bob"]}), *_welcomed("bob"),
      ("alice", "send", {"group": "g", "text": "before"}),
      ("alice", "delete_local_database", {}), ("alice", "create_client", {}), *_observe("g", "alice"),
      ("bob", "update_installations", {"group": "g"}), *_welcomed("alice"),
      ("bob", "send", {"group": "g", "text": "after"}), *_synced("g", "alice"), *_observe("g", "alice", "bob")]),
    ("key_package_rotated_every_30_days",
     "Given bob's installation, When 29 days pass, Then his key package on the network is the same; When 30 "
     "days have passed since it was made, Then his client has replaced it",
     'seed: "XMTP will rotate the key package ... automatically"; libxmtp KEY_PACKAGE_ROTATION_INTERVAL_NS',
     ["key packages"],
     [*_users("bob"), ("network", "advance_clock", {"seconds": 29 * 86400}), *_welcomed("bob"),
      ("network", "key_package_rotated", {"client": "bob"}),
      ("network", "advance_clock", {"seconds": 86400}), *_welcomed("bob"),
      ("network", "key_package_rotated", {"client": "bob"})]),
]
"""Local state: the database and the installation's key packages, in both profiles."""

PROFILE_SCRIPTS: dict[str, list[tuple[str, str, str, list[str], list[S]]]] = {
    "seed": [
        ("pins_need_admin",
         "Given an all-members group (seed profile), When bob (a member) pins a frame, Then he is refused; When "
         "alice makes him an admin, Then his pin is committed and every member sees the pinned frame URL",
         'seed "Pin messages" (an admin permission); XIP-47 All Members (only admins update metadata)',
         ["metadata", "permissions", "pins"],
         [*_users("alice", "bob"),
          ("alice", "create_group", {"group": "g", "members": ["bob"]}), *_welcomed("bob"),
          ("bob", "update_pinned_frame_url", {"group": "g", "url": "https://example.com/frame"}),
          ("alice", "add_admin", {"group": "g", "member": "bob"}), *_synced("g", "bob"),
          ("bob", "update_pinned_frame_url", {"group": "g", "url": "https://example.com/frame"}),
          *_synced("g", "alice"), *_observe("g", "alice", "bob")]),
        *_LOCAL_STATE_SCRIPTS,
    ],
    # libxmtp: disappearing messages (since v1.0) and XIP-76 deletion (since v1.9); the seed names neither
    "libxmtp": [
        *_LOCAL_STATE_SCRIPTS,
        ("message_expiry_stamped",
         "Given a group, When alice turns disappearing messages on (from_ns 1, in_ns one hour) and later off, Then "
         "exactly the application messages stored while they were on carry an expiry, for sender and receiver; "
         "transcripts never do, and each setting is its own metadata commit",
         "libxmtp mls_sync.rs get_message_expire_at_ns; group_mutable_metadata.rs is_enabled; groups/mod.rs "
         "update_conversation_message_disappearing_settings", ["messages", "disappearing"],
         [*_users("alice", "bob"),
          ("alice", "create_group", {"group": "g", "members": ["bob"]}), *_welcomed("bob"),
          ("alice", "send", {"group": "g", "text": "before"}),
          ("alice", "update_disappearing_settings", {"group": "g", "from_ns": 1, "in_ns": 3600 * S_NS}),
          ("alice", "send", {"group": "g", "text": "while on"}), *_synced("g", "bob"),
          ("bob", "send", {"group": "g", "text": "bob while on"}),
          ("alice", "update_disappearing_settings", {"group": "g", "from_ns": 0, "in_ns": 0}),
          ("alice", "send", {"group": "g", "text": "after"}), *_synced("g", "bob", "alice"),
          *_observe("g", "alice", "bob")]),
        ("message_expiry_hidden_once_expired",
         "Given a group whose messages disappear 6 s after they are stored, When 8 s pass, Then neither the "
         "sender nor the receiver lists the message any longer, while a message sent afterwards is listed",
         'libxmtp group_message.rs "Always exclude expired messages"; DisappearingMessagesWorker',
         ["messages", "disappearing"],
         [*_users("alice", "bob"),
          ("alice", "create_group", {"group": "g", "members": ["bob"]}), *_welcomed("bob"),
          ("alice", "update_disappearing_settings", {"group": "g", "from_ns": 1, "in_ns": 6 * S_NS}),
          *_synced("g", "bob"),
          ("alice", "send", {"group": "g", "text": "soon gone"}), *_synced("g", "bob"), *_observe("g", "alice", "bob"),
          ("network", "wait", {"seconds": 8}), *_observe("g", "alice", "bob"),
          ("alice", "send", {"group": "g", "text": "fresh"}), *_synced("g", "bob"), *_observe("g", "bob")]),
        ("message_expiry_settings_need_permission",
         "Given an admins-only group, When bob (a member) turns disappearing messages on, Then he is refused and "
         "nothing expires; When alice (super admin) does, Then bob's next message carries an expiry",
         "XIP-47 Admins Only; libxmtp PolicySet update_metadata_policy for message_disappear_*",
         ["messages", "disappearing", "permissions"],
         [*_users("alice", "bob"),
          ("alice", "create_group", {"group": "g", "members": ["bob"], "permissions": "admins_only"}),
          *_welcomed("bob"),
          ("bob", "update_disappearing_settings", {"group": "g", "from_ns": 1, "in_ns": 3600 * S_NS}),
          ("bob", "send", {"group": "g", "text": "still here"}),
          ("alice", "update_disappearing_settings", {"group": "g", "from_ns": 1, "in_ns": 3600 * S_NS}),
          *_synced("g", "bob"), ("bob", "send", {"group": "g", "text": "fading"}), *_synced("g", "alice"),
          *_observe("g", "alice", "bob")]),
        ("message_deletion_by_sender",
         "Given a group of three, When bob deletes his own message, Then every member lists it as deleted by its "
         "sender, and the DeleteMessage itself is not listed",
         "XIP-76; libxmtp groups/mod.rs delete_message, mls_sync.rs process_delete_message, enrichment.rs",
         ["messages", "deletion"],
         [*_users("alice", "bob", "carol"),
          ("alice", "create_group", {"group": "g", "members": ["bob", "carol"]}), *_welcomed("bob", "carol"),
          ("bob", "send", {"group": "g", "text": "oops", "message": "m"}), *_synced("g", "alice", "carol"),
          ("bob", "delete_message", {"group": "g", "message": "m"}), *_synced("g", "alice", "carol"),
          *_observe("g", "alice", "bob", "carol")]),
        ("message_deletion_by_super_admin",
         "Given a group, When alice (super admin) deletes bob's message, Then every member lists it as deleted by "
         "alice",
         "XIP-76 (a super admin deletes any deletable message); libxmtp enrichment.rs DeletedBy::Admin",
         ["messages", "deletion", "admins"],
         [*_users("alice", "bob", "carol"),
          ("alice", "create_group", {"group": "g", "members": ["bob", "carol"]}), *_welcomed("bob", "carol"),
          ("bob", "send", {"group": "g", "text": "spam", "message": "m"}), *_synced("g", "alice"),
          ("alice", "delete_message", {"group": "g", "message": "m"}), *_synced("g", "bob", "carol"),
          *_observe("g", "alice", "bob", "carol")]),
        ("message_deletion_not_authorized",
         "Given bob's message, When carol (a member) and then carol as an admin try to delete it, Then both are "
         "refused and the message stays; When bob deletes it, Then it is deleted",
         "XIP-76 (only the sender or a super admin); libxmtp DeleteMessageError::NotAuthorized",
         ["messages", "deletion", "permissions"],
         [*_users("alice", "bob", "carol"),
          ("alice", "create_group", {"group": "g", "members": ["bob", "carol"]}), *_welcomed("bob", "carol"),
          ("bob", "send", {"group": "g", "text": "mine", "message": "m"}), *_synced("g", "carol"),
          ("carol", "delete_message", {"group": "g", "message": "m"}),
          ("alice", "add_admin", {"group": "g", "member": "carol"}), *_synced("g", "carol"),
          ("carol", "delete_message", {"group": "g", "message": "m"}), *_observe("g", "carol"),
          ("bob", "delete_message", {"group": "g", "message": "m"}), *_synced("g", "carol"),
          *_observe("g", "bob", "carol")]),
        ("message_deletion_not_deletable",
         "Given a group, When alice (super admin) tries to delete the group's first transcript message, Then she "
         "is refused; When she deletes a text twice, Then the second deletion is refused",
         "libxmtp Deletable (transcripts are not deletable); DeleteMessageError::MessageAlreadyDeleted",
         ["messages", "deletion"],
         [*_users("alice", "bob"),
          ("alice", "create_group", {"group": "g", "members": ["bob"]}), *_welcomed("bob"),
          ("alice", "delete_message", {"group": "g", "message_index": 0}),
          ("alice", "send", {"group": "g", "text": "once", "message": "m"}),
          ("alice", "delete_message", {"group": "g", "message": "m"}),
          ("alice", "delete_message", {"group": "g", "message": "m"}), *_synced("g", "bob"),
          *_observe("g", "alice", "bob")]),
    ],
}
"""Scripts that are cases in one profile only (``scenarios::<profile>/<name>``): behaviours of one source."""


def _step(client: str, action: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {"client": client, "action": action, "arguments": arguments}


def answer(question: dict[str, Any], session=None) -> dict[str, Any]:
    """Drive the steps through ``session``'s adapter (default: the model, in process), clients in the question's
    profile."""
    from ...adapter import connect
    from ...scenarios.driver import Driver
    own = session is None
    session = session or connect("reference")
    try:
        driver = Driver(session, observe_all=question.get("observe_all", False), profile=question.get("profile"))
        return {"steps": driver.run(question["steps"])}
    finally:
        if own:
            session.close()


def questions(case: ScenarioCase) -> list[dict[str, Any]]:
    # a state machine's counterexample observes the group after every step, not only at ``observe``
    observe_all = any({"state", "refused"} & s.observed.keys() for s in case.steps if s.action != "observe")
    return [{"ask": "scenario", "profile": profile_of(case), "clients": case.clients, "observe_all": observe_all,
             "steps": [_step(s.client, s.action, s.arguments) for s in case.steps]}]


def judge(case: ScenarioCase, question: dict[str, Any], answer: dict[str, Any]) -> None:
    steps = answer.get("steps", [])
    expect(f"{case.id} number of steps answered", len(case.steps), len(steps))
    for i, (step, got) in enumerate(zip(case.steps, steps)):
        expected = {"result": step.expected.result, "class": step.expected.refusal_class, "observed": step.observed}
        judge_outcome(f"{case.id} step {i} ({step.client} {step.action})", expected, got)


def judge_outcome(what: str, expected: dict[str, Any], actual: dict[str, Any]) -> None:
    """One step: its verdict, a refusal's class (docs/reason-codes.md; an adapter that names none where one is
    expected fails, the reason code itself is only reported) and what was observed, field by field."""
    expect(f"{what} result", expected["result"], actual.get("result"))
    if expected["result"] == Verdict.INVALID.value:
        expect(f"{what} refusal class", expected.get("class"), actual.get("class"))
    judge_fields(f"{what} observed", expected.get("observed", {}), actual.get("observed", {}))


def profile_of(case: ScenarioCase) -> str:
    """The model profile a case was generated in (its first tag)."""
    return case.tags[0]


def scenario_case(name: str, description: str, rule: str, tags: list[str], steps: list[dict[str, Any]],
                  outcomes: list[dict[str, Any]], profile: str = "seed") -> ScenarioCase:
    """A case from steps and the outcomes the model gave in ``profile`` (also how counterexamples are saved)."""
    clients = sorted({s["client"] for s in steps} - {"network"})
    return ScenarioCase(
        id=case_id(FAMILY, f"{profile}/{name}"), description=description, rule=rule, tags=[profile, *tags],
        clients=clients,
        steps=[ScenarioStep(client=s["client"], action=s["action"], arguments=s.get("arguments", {}),
                            expected=StepExpected(result=o["result"], reason=o.get("reason"),
                                                  refusal_class=o.get("class")),
                            observed=o.get("observed", {}))
               for s, o in zip(steps, outcomes)])


PROFILES = ("seed", "libxmtp")
"""Every script runs in both of the model's profiles (spec_model.xmtp.profiles): where the seed and libxmtp
disagree (e.g. who may edit metadata), the two cases differ; an adapter is judged by its declared profile."""


def cases() -> list[ScenarioCase]:
    built = []
    for profile in PROFILES:
        for name, description, rule, tags, script in SCRIPTS + PROFILE_SCRIPTS.get(profile, []):
            steps = [_step(*s) for s in script]
            outcomes = answer({"steps": steps, "profile": profile})["steps"]
            built.append(scenario_case(name, description, rule, tags, steps, outcomes, profile))
    return built

# ------------------------------------------------------------------ the questions and answers, typed (``family.py``)

class StepQuestion(Exchange):
    client: str
    action: str
    arguments: dict[str, Any]


class Question(Exchange):
    ask: Literal["scenario"]
    profile: Literal["seed", "libxmtp"]
    clients: list[str]
    observe_all: bool = Field(description="observe the groups after every step, not only at observe steps")
    steps: list[StepQuestion]


class Answer(Exchange):
    steps: list[dict[str, Any]] = Field(description="per step: its result, reason, refusal class and what the client "
                                                    "observed")


EXCHANGES = {"scenario": (Question, Answer)}
