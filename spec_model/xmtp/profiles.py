"""Which description of XMTP group chat a rule follows: the seed (with XIP-47) or libxmtp's code.

The seed (XMTP's product description of group chat) and XIP-47 describe a
permission system that the deployed code, libxmtp, implements differently in a
few places. Every rule that differs takes a ``Profile``; ``SEED`` is the
default, ``LIBXMTP`` is what libxmtp does (docs/xmtp-facts.md §1, §3, §4).
"""

from __future__ import annotations

import dataclasses

__all__ = ["Profile", "SEED", "LIBXMTP", "PROFILES"]


@dataclasses.dataclass(frozen=True)
class Profile:
    """seed, XIP-47 and libxmtp: the rules on which they disagree, one field each.

    ``max_group_size``
        seed "Group sizes": "anywhere from 1 person to 400"; libxmtp
        ``common/mls.rs``: at most 250 members.
    ``group_size_checked_on_receive``
        seed: a commit that takes a group past ``max_group_size`` is refused
        by every member. libxmtp checks ``MAX_GROUP_SIZE`` only when adding
        by address (libxmtp crates/xmtp_mls/src/groups/mod.rs
        ``add_members_by_identity``@b649d1a, the same @09d3f023f); received
        commits are not counted.
    ``creator_only``
        seed "Permission options" lists "Creator Only" next to the two admin
        options. XMTP encoded it before 2024-05 as base value 3,
        ``ALLOW_IF_ACTOR_CREATOR`` (xmtp/proto before 1b21fb0), in an enum
        that had no admin values; today 3 means ALLOW_IF_ADMIN(_OR_SUPER_ADMIN)
        and Creator Only has no number. So no wire format ever carried the
        seed's six options together. With ``creator_only`` the model offers
        and evaluates Creator Only (only the creator, super admin or not);
        encoding a policy that uses it is refused (OPTION_NOT_ENCODABLE).
        Both profiles use today's numbering on the wire, so they interoperate.
        Without it (libxmtp: ``BasePolicies`` has no creator option, libxmtp
        crates/xmtp_mls/src/groups/group_permissions.rs@b649d1a) a policy that
        names Creator Only is refused (UNKNOWN_POLICY) wherever it is evaluated.
    ``pinned_messages``
        seed "Pin messages": the metadata key ``group_pinned_frame_url``
        (libxmtp 2024-07 to 2025-02); libxmtp HEAD has no such key.
    ``preset_underscore_keys_super_admin``
        how a preset is recognised when the policy set has a metadata key
        beyond the preset's own. Seed (and the model's fallback rule): a
        ``_``-prefixed key must be super-admin-only. libxmtp
        ``is_policy_default`` / ``is_policy_admin_only`` (libxmtp
        crates/xmtp_mls/src/groups/group_permissions.rs@b649d1a, the same
        @09d3f023f) give ``_`` keys no special case: such a key must be Allow
        (All Members) or admin-or-super-admin (Admins Only), like any other.
    ``lax_dm_welcome``
        libxmtp crates/xmtp_mls/src/groups/mod.rs ``validate_dm_group``
        @b649d1a (the same @09d3f023f): a DM Welcome from oneself is accepted
        once oneself is a DM member (no admin or permission checks), and the
        five membership policies are refused only when all five differ from
        the DM preset (``&&``). The seed profile checks both for every DM
        Welcome and requires each policy to match.
    ``members_edit_metadata``
        XIP-47 "All Members Policy": "Only admins can remove members, update
        metadata"; libxmtp ``PolicySet::default``: every member may edit
        name, description, image and app_data (docs/xmtp-facts.md §4.1, §4.3).
    ``super_admins_removable``
        XIP-47: "Super admins can remove other super admins from the group
        ... there must always be at least one super admin"; libxmtp
        ``evaluate_commit``: no commit may remove an inbox that is a super
        admin, whoever commits it (docs/xmtp-facts.md §4.4 step 12b).
    ``permissions_policy_enforced``
        XIP-47: permission sets are updated "following the
        update_permissions_policy" (and only super admins update
        permissions); libxmtp ``evaluate_commit``: any super admin may change
        permissions, whatever update_permissions_policy says (§4.4 step 12g).
    ``welcome_transcript``
        libxmtp ``welcomes/xmtp_welcome.rs``: a member joining from a Welcome
        stores a ``GroupUpdated{initiated_by: the adder, added_inboxes: [itself]}``
        transcript message; the seed names no such message (transcripts come
        from validated commits, docs/xmtp-facts.md §4.4).
    ``key_update_before_first_send``
        libxmtp ``intents/queue.rs``: a member whose leaf key is older than
        ``GROUP_KEY_ROTATION_INTERVAL_NS`` (30 days) commits a KeyUpdate before
        its next message; a member that joined from a Welcome has never rotated,
        so its first message comes after a commit of its own (epoch + 1). The
        seed describes sending without it.
    ``api_call_retries``
        libxmtp's API client retries a failed publish or identity call
        (``retry_async!`` with ``Retry::default``: 5 retries) before the caller
        sees the error (libxmtp crates/xmtp_api/src/mls.rs ``send_group_messages``,
        ``send_welcome_messages``, ``upload_key_package``, ``fetch_key_packages``,
        crates/xmtp_api/src/identity.rs, crates/xmtp_common/src/retry.rs@b649d1a; the
        same @09d3f023f). The seed describes none: each failed call is one
        intent attempt.
    ``removed_member_merges_removal``
        libxmtp crates/xmtp_mls/src/groups/mls_sync.rs ``process_external_message``
        @b649d1a (the same @09d3f023f) merges a commit that removes this member
        like any other (``merge_staged_commit_logged``; OpenMLS, pinned in its
        Cargo.toml, merges the public part): the removed member's epoch and tree
        move on, it is inactive, and it processes nothing after.
        The seed profile keeps the state from before the removal (RFC 9420
        §12.4.2 leaves it to the application).
    ``inactive_sync_refused``
        libxmtp crates/xmtp_mls/src/groups/mls_sync.rs ``sync_with_conn``@b649d1a
        (the same @09d3f023f): syncing a group this installation was removed
        from fails with ``GroupInactive``; ``sync_all`` skips such a group
        (welcome_sync.rs ``sync_groups_in_batches``). The seed profile's sync
        of it is accepted and changes nothing.
    ``membership_noops``
        libxmtp crates/xmtp_mls/src/groups/mod.rs@b649d1a (the same @09d3f023f):
        ``add_members`` returns at once, with no intent and no sync, when no
        member's or added inbox's identity moved past its sequence id in the
        group ("Member already added"); ``remove_members`` of a non-member or of
        oneself commits nothing and is accepted. The seed profile refuses
        removing a non-member (NOT_A_MEMBER) and syncs for every add.
    ``dm_metadata_frozen``
        libxmtp crates/xmtp_mls/src/groups/mod.rs@b649d1a ``update_group_name``,
        ``update_group_description``, ``update_group_image_url_square``,
        ``update_admin_list``, ``update_permission_policy`` (the same @09d3f023f):
        in a DM each is refused before any intent (``DmGroupMetadataForbidden``),
        whatever the DM's policies allow. The seed profile follows the policies.
    ``members_installations_from_identity``
        libxmtp crates/xmtp_mls/src/groups/members.rs ``members``@b649d1a (the
        same @09d3f023f): a member's installations are those of its inbox's
        association state at the group's sequence id for it, in the tree or
        not. The seed profile lists the member's leaves.
    ``installations_checked``
        libxmtp crates/xmtp_mls/src/groups/mls_sync.rs
        ``maybe_update_installations``@b649d1a (the same @09d3f023f): a group's
        ``sync``, ``sync_all`` and ``send`` first add members' new installations
        (and drop revoked ones) by themselves when the group's last check is older
        than 30 min (sync; ``SYNC_UPDATE_INSTALLATIONS_INTERVAL_NS``) or 5 s (send),
        the first time always; ``update_installations`` commits only when
        something changed. The seed adds them only on ``update_installations``.
    ``sync_all_needing_sync``
        libxmtp crates/xmtp_mls/src/groups/welcome_sync.rs
        ``sync_all_welcomes_and_groups``@b649d1a (``filter_groups_needing_sync``):
        ``sync_all`` syncs only the groups whose newest message on the network is
        past the local cursor (GetNewestGroupMessage), so a group with only local
        pending intents is not published; failures of welcomes and of each
        group are passed over. The seed's ``sync_all`` syncs every group.
    ``leave_checks``
        libxmtp crates/xmtp_mls/src/groups/mod.rs ``leave_group``@b649d1a (the
        same @09d3f023f): leaving is refused to a non-member, to the group's only
        member, in a DM, and to a super admin (who must be demoted first); a
        member whose LeaveRequest is already out sends none again. The seed
        profile sends a LeaveRequest for every ``leave``.
    ``dm_found_by_members``
        libxmtp crates/xmtp_mls/src/client.rs ``find_or_create_dm``@b649d1a (the
        same @09d3f023f): ``create_dm`` with a peer returns the stored DM of the
        pair (same ``dm_id``, not restored, the newest) instead of a new one.
        The seed profile creates a DM each time.
    ``dm_stitching``
        libxmtp "stitches" the DMs of one ``dm_id`` (two members who opened a
        DM with each other at once made two MLS groups) into one conversation
        (@b649d1a, the same @09d3f023f): ``list`` shows only the one whose last
        message is the latest (crates/xmtp_db/src/encrypted_store/group.rs
        ``find_groups``, ``include_duplicate_dms`` false); looking a DM up by
        its id gives that latest one (crates/xmtp_mls/src/client.rs
        ``stitched_group``, crates/xmtp_db/src/encrypted_store/group/dms.rs
        ``fetch_stitched``), so what is sent to either goes to it; a DM's
        ``sync`` first syncs the others (crates/xmtp_mls/src/groups/mls_sync.rs
        ``sync``). The seed profile keeps every DM its own conversation.
    ``added_credentials_checked``
        docs/xmtp-facts.md §4.4 step 11 (the seed profile): an added leaf's
        credential names, in the inbox-id form (64 lowercase hex), the inbox
        whose identity log holds the installation. libxmtp
        crates/xmtp_mls/src/groups/validated_commit.rs ``get_proposal_changes``
        @b649d1a (the same @09d3f023f) checks an Add only by its installation
        id against the diff 0xFF01 implies ("We don't need to validate the
        credential here"); ``inbox_id_from_credential`` only decodes the
        MlsCredential, whatever string it names.
    ``proposals_by_reference``
        RFC 9420 §12.4: a commit may reference proposals other members sent in
        its epoch (the seed profile). libxmtp refuses a received Add, Remove or
        Update proposal when the group has no proposals enabled
        (crates/xmtp_mls/src/groups/mls_sync.rs ``ProposalsNotEnabled``
        @b649d1a; groups enable them with XIP-81's AppDataDictionary, which no
        model group carries), and 1.9.1 does not keep it past the message
        (``ProposalMessage`` "intentionally left blank"; OpenMLS stores it in
        memory only, @09d3f023f), so a commit referencing another member's
        proposal cannot be staged: the member stays at its epoch.
    ``welcome_metadata_checked``
        docs/xmtp-facts.md §7.1 (the seed profile): a Welcome whose sealed
        ``welcome_metadata`` opens but is not a ``WelcomeMetadata`` is refused.
        libxmtp crates/xmtp_mls/src/groups/mls_ext/decrypted_welcome.rs
        ``DecryptedWelcome``@b649d1a (the same @09d3f023f) ignores metadata
        that does not decode ("Failed to deserialize welcome metadata;
        ignoring") and joins with no cursor (0); metadata that does not
        decrypt still fails the Welcome.
    ``list_by_activity``
        seed ``list`` names a limit but no order; the seed profile lists
        oldest first (libxmtp ``find_groups``: ``created_at_ns`` ascending),
        so a limit keeps the oldest. libxmtp's bindings list through
        crates/xmtp_mls/src/client.rs ``list_conversations``@b649d1a
        (``order_by`` defaults to LastActivity) over the view
        ``conversation_list`` (crates/xmtp_db/src/encrypted_store/
        conversation_list.rs ``fetch_conversation_list``@b649d1a):
        ``COALESCE(last listed message's sent_at_ns, created_at_ns) DESC``,
        then the limit, so a limit keeps the most recently active (the same
        @09d3f023f).
    ``streams_end_when_dropped``
        docs/xmtp-facts.md §7.2 (the seed profile): a stream whose Subscribe
        stream drops subscribes again from its stored cursor, missing nothing.
        libxmtp crates/xmtp_mls/src/subscriptions/watchdog.rs
        ``run_watchdog_stream``@b649d1a subscribes again only when the stream
        went silent (stale); one that ends or fails passes the error to the
        callback and closes (``on_close``), as its bindings show (node-sdk
        restarts streams in JavaScript); @09d3f023f
        (crates/xmtp_mls/src/subscriptions/mod.rs
        ``stream_all_messages_with_callback``) closes on any end.
    ``fetched_key_packages_checked``
        docs/xmtp-facts.md §1, §2, §8 (the seed profile): a key package
        fetched to add an installation is that installation's (its leaf's
        signature key), its credential names the inbox whose association
        state holds it, and its lifetime range is at most 84 days and an hour
        (OpenMLS ``has_acceptable_range``). libxmtp
        crates/xmtp_id/src/key_package/verified_key_package_v2.rs@b649d1a
        ``VerifiedKeyPackageV2::from_bytes`` (the same in libxmtp
        crates/xmtp_mls/src/verified_key_package_v2.rs@09d3f023f) runs
        OpenMLS's ``KeyPackageIn::validate`` (its fork never calls the range
        check) and only decodes the credential, and libxmtp
        crates/xmtp_mls/src/groups/mls_sync.rs@b649d1a
        ``get_keypackages_for_installation_ids`` adds what the node serves
        for an installation id; a commit adding an installation outside the
        inboxes' logs is then published and fails when it comes back
        (``own_commits_checked_before_publish``).
    ``own_commits_checked_before_publish``
        the seed profile: a client checks its own commit (docs/xmtp-facts.md
        §4.4) before publishing it, and a refused change is never sent.
        libxmtp crates/xmtp_mls/src/groups/mls_sync.rs
        ``stage_and_validate_intent``@b649d1a (the same @09d3f023f) checks
        its own commit only when it comes back from the network: a refused
        one is published, every member refuses it, and the intent ends in
        Error with the rule that refused it.
    ``sync_requests_claimed``
        docs/xmtp-facts.md §9: an installation that answers a history request
        first claims it with an acknowledge, and no installation answers a
        claimed request. libxmtp crates/xmtp_mls/src/worker/device_sync/worker.rs
        ``process_message``@b649d1a sends no acknowledge and ignores those it
        receives: every installation answers every request of another one.
    ``welcome_pointers``
        seed "Forming groups": every installation is sent its own welcome
        message, "encrypted separately" (the seed profile: the whole Welcome,
        wrapped for each). libxmtp (XIP-74; crates/xmtp_mls/src/groups/
        mls_sync.rs ``send_welcomes``, crates/xmtp_mls/src/identity.rs
        ``XmtpKeyPackageBuilder::build``@b649d1a, the same @09d3f023f): key
        packages offer welcome pointers (0xFF04) and an X-Wing wrapper key
        (0xFF03); a commit adding more than two installations that offer
        pointers seals its Welcome once under a random key and sends each of
        them a wrapped pointer to it (``welcome_pointer.py``).
    """

    name: str
    max_group_size: int
    group_size_checked_on_receive: bool
    creator_only: bool
    preset_underscore_keys_super_admin: bool
    lax_dm_welcome: bool
    pinned_messages: bool
    members_edit_metadata: bool
    super_admins_removable: bool
    permissions_policy_enforced: bool
    welcome_transcript: bool
    key_update_before_first_send: bool
    api_call_retries: int
    removed_member_merges_removal: bool
    inactive_sync_refused: bool
    membership_noops: bool
    dm_metadata_frozen: bool
    members_installations_from_identity: bool
    installations_checked: bool
    sync_all_needing_sync: bool
    leave_checks: bool
    dm_found_by_members: bool
    dm_stitching: bool
    sync_requests_claimed: bool
    added_credentials_checked: bool
    proposals_by_reference: bool
    welcome_metadata_checked: bool
    list_by_activity: bool
    streams_end_when_dropped: bool
    fetched_key_packages_checked: bool
    own_commits_checked_before_publish: bool
    welcome_pointers: bool


SEED = Profile(
    name="seed", max_group_size=400, group_size_checked_on_receive=True, creator_only=True,
    preset_underscore_keys_super_admin=True, lax_dm_welcome=False, pinned_messages=True,
    members_edit_metadata=False, super_admins_removable=True, permissions_policy_enforced=True,
    welcome_transcript=False, key_update_before_first_send=False, api_call_retries=0,
    removed_member_merges_removal=False, inactive_sync_refused=False, membership_noops=False,
    dm_metadata_frozen=False, members_installations_from_identity=False, installations_checked=False,
    sync_all_needing_sync=False, leave_checks=False, dm_found_by_members=False, dm_stitching=False,
    sync_requests_claimed=True, added_credentials_checked=True, proposals_by_reference=True,
    welcome_metadata_checked=True, list_by_activity=False,
    streams_end_when_dropped=False, fetched_key_packages_checked=True,
    own_commits_checked_before_publish=True, welcome_pointers=False,
)
"""seed + XIP-47: the product description, the model's default."""

LIBXMTP = Profile(
    name="libxmtp", max_group_size=250, group_size_checked_on_receive=False, creator_only=False,
    preset_underscore_keys_super_admin=False, lax_dm_welcome=True, pinned_messages=False,
    members_edit_metadata=True, super_admins_removable=False, permissions_policy_enforced=False,
    welcome_transcript=True, key_update_before_first_send=True, api_call_retries=5,
    removed_member_merges_removal=True, inactive_sync_refused=True, membership_noops=True,
    dm_metadata_frozen=True, members_installations_from_identity=True, installations_checked=True,
    sync_all_needing_sync=True, leave_checks=True, dm_found_by_members=True, dm_stitching=True,
    sync_requests_claimed=False, added_credentials_checked=False, proposals_by_reference=False,
    welcome_metadata_checked=False, list_by_activity=True,
    streams_end_when_dropped=True, fetched_key_packages_checked=False,
    own_commits_checked_before_publish=False, welcome_pointers=True,
)
"""libxmtp (docs/xmtp-facts.md §1, §3, §4; the rules above checked at b649d1a, node-bindings
1.11.0-nightly.20260726.b649d1a): what the deployed clients do."""

PROFILES: dict[str, Profile] = {profile.name: profile for profile in (SEED, LIBXMTP)}
"""Each profile by its name."""
