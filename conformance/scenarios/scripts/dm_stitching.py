"""DM stitching (libxmtp, D16): the DMs two members opened with each other at once are one conversation."""

from __future__ import annotations

from .steps import Script, observe, synced, users, welcomed

SCRIPTS: list[Script] = [
    ("dm_duplicates_stitched",
     "Given alice and bob who each open a DM with the other before seeing the other's, When bob sends in his, "
     "alice joins it, then sends in hers and both sync, Then in the libxmtp profile her message goes to the DM "
     "of the pair with the latest message (bob's), both read it there, and her list shows that DM only; in the "
     "seed profile each DM is its own conversation and she lists both",
     "libxmtp@b649d1a DM stitching: crates/xmtp_db/src/encrypted_store/group/dms.rs fetch_stitched (a DM's id "
     "gives the latest DM of its dm_id), group.rs find_groups (include_duplicate_dms false); profile dm_stitching",
     ["dm"],
     [("network", "wall_clock", {"follow": True}), *users("alice", "bob"),  # libxmtp stamps own sends by it
      ("alice", "create_dm", {"group": "dm_a", "with": "bob"}), ("bob", "create_dm", {"group": "dm_b", "with": "alice"}),
      ("bob", "send", {"group": "dm_b", "text": "from bob"}), *welcomed("alice", "bob"),
      ("alice", "send", {"group": "dm_a", "text": "from alice"}), *synced("dm_a", "alice", "bob"),
      *synced("dm_b", "alice", "bob"), ("alice", "list", {}), *observe("dm_b", "alice", "bob")]),
]
