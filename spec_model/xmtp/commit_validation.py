"""libxmtp ``ValidatedCommit::from_staged_commit``: the XMTP rules every member applies to a commit.

Theory of operation
-------------------
An MLS commit that passed every RFC 9420 check (``spec_model.mls.group.StagedCommit``)
must still pass XMTP's group rules before a member accepts it. ``validate_commit``
runs them in libxmtp's order (docs/xmtp-facts.md §4.4, steps 1–13) and either raises
``Rejected`` with a ``CommitReason`` or returns a ``ValidatedCommit``: the summary
clients store as a "group updated" transcript message.

The identity log is consulted through ``identity_at(inbox_id, sequence_id)``,
which returns that inbox's association state after the given update (docs/xmtp-facts.md §8);
every inbox's sequence id comes from the GroupMembership extension (0xFF01).

Where libxmtp's versions differ, this follows the newest pinned one (b649d1a):
the actor is the committer, but an added or removed inbox is checked against
the proposer of its change; an added inbox must name a non-zero sequence id;
minimum versions compare by Semantic Versioning precedence.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from typing import Callable

from spec_model.mls.extensions import find_extension
from spec_model.mls.group import StagedCommit
from spec_model.mls.leaf_node import LeafNode
from spec_model.mls.proposals import Add, GroupContextExtensions, PreSharedKey, Remove, Update
from spec_model.mls.reasons import RefusalClass, Rejected, reason_codes

from .content import GroupUpdated, Inbox, MetadataFieldChange
from .credential import inbox_of, named_inbox
from .extensions import (
    MINIMUM_SUPPORTED_PROTOCOL_VERSION, ConversationType, GroupMembership, XmtpExtensionType, check_attribute, check_group_size,
    read_immutable_metadata, read_membership, read_mutable_metadata, read_mutable_permissions,
)
from .identity import AssociationState
from .permissions import (
    PERMISSIONS, Actor, Permission, Policies, Preset, check, check_add_super_admin, check_remove_member,
    check_remove_super_admin, preset_policies,
)
from .profiles import SEED, Profile

__all__ = [
    "CommitReason", "ValidatedCommit", "validate_commit", "IdentityLookup", "WelcomeReason",
    "validate_welcome_membership", "validate_dm_welcome",
]

IdentityLookup = Callable[[str, int], AssociationState]
"""``identity_at(inbox_id, sequence_id)``: the inbox's association state after that update (0 = latest)."""


@reason_codes("commit", actor_not_member=RefusalClass.MEMBERSHIP, insufficient_permissions=RefusalClass.PERMISSION)
class CommitReason(enum.StrEnum):
    """libxmtp crates/xmtp_mls/src/groups/validated_commit.rs@a53a97e ``CommitValidationError``: why a member
    refuses a commit (docs/xmtp-facts.md §4.4)."""

    TOO_MANY_CHARACTERS = "commit.too_many_characters"          # step 3: a metadata value over its byte limit
    ACTOR_NOT_MEMBER = "commit.actor_not_member"                # step 5: the committer's inbox is not in the group
    NO_PSK_SUPPORT = "commit.no_psk_support"                    # step 6: XMTP groups carry no PSK proposals
    SEQUENCE_ID_DECREASED = "commit.sequence_id_decreased"      # step 8: an inbox's identity sequence id went back
    UNEXPECTED_INSTALLATION_ADDED = "commit.unexpected_installation_added"        # step 10
    UNEXPECTED_INSTALLATIONS_REMOVED = "commit.unexpected_installations_removed"  # step 10
    INBOX_VALIDATION_FAILED = "commit.inbox_validation_failed"  # step 11: an installation not in its inbox's state
    INSUFFICIENT_PERMISSIONS = "commit.insufficient_permissions"  # step 12: a policy refuses a change
    PROTOCOL_VERSION_TOO_LOW = "commit.protocol_version_too_low"  # step 13: the group needs a newer client
    GROUP_FULL = "commit.group_full"                            # seed: 1–400 members (libxmtp: 250)
    PROPOSAL_NOT_STORED = "commit.proposal_not_stored"          # libxmtp: it references a member's proposal, refused


@dataclasses.dataclass(frozen=True)
class ValidatedCommit:
    """libxmtp crates/xmtp_mls/src/groups/validated_commit.rs@a53a97e ``ValidatedCommit``: who changed what; empty
    when the commit changed nothing visible."""

    actor_inbox_id: str
    added_inboxes: tuple[str, ...] = ()
    removed_inboxes: tuple[str, ...] = ()
    metadata_changes: tuple[tuple[str, str | None, str | None], ...] = ()
    """(field, old value, new value) for each attribute that changed."""
    admins_added: tuple[str, ...] = ()
    admins_removed: tuple[str, ...] = ()
    super_admins_added: tuple[str, ...] = ()
    super_admins_removed: tuple[str, ...] = ()
    permissions_changed: bool = False
    minimum_version: str | None = None

    @property
    def is_empty(self) -> bool:
        """docs/xmtp-facts.md §4.4 "Afterwards": nothing to store as a transcript message."""
        return not (self.added_inboxes or self.removed_inboxes or self.metadata_changes or self.admins_added
                    or self.admins_removed or self.super_admins_added or self.super_admins_removed)

    def group_updated(self) -> GroupUpdated:
        """xmtp/proto mls/message_contents/transcript_messages.proto ``GroupUpdated`` (docs/xmtp-facts.md §6): the message clients store for this commit."""
        return GroupUpdated(
            initiated_by_inbox_id=self.actor_inbox_id,
            added_inboxes=tuple(Inbox(i) for i in self.added_inboxes),
            removed_inboxes=tuple(Inbox(i) for i in self.removed_inboxes),
            metadata_field_changes=tuple(MetadataFieldChange(k, old, new) for k, old, new in self.metadata_changes),
            added_admin_inboxes=tuple(Inbox(i) for i in self.admins_added),
            removed_admin_inboxes=tuple(Inbox(i) for i in self.admins_removed),
            added_super_admin_inboxes=tuple(Inbox(i) for i in self.super_admins_added),
            removed_super_admin_inboxes=tuple(Inbox(i) for i in self.super_admins_removed),
        )


def validate_commit(staged: StagedCommit, identity_at: IdentityLookup, *, own_version: str = "1.0.0",
                    profile: Profile = SEED) -> ValidatedCommit:
    """libxmtp crates/xmtp_mls/src/groups/validated_commit.rs@a53a97e (docs/xmtp-facts.md §4.4): accept ``staged``
    or raise ``Rejected(CommitReason.X)``."""
    old, new = staged.old_context.extensions, staged.new_context.extensions
    # 1. the pre-commit state
    immutable = read_immutable_metadata(old)
    old_metadata, new_metadata = read_mutable_metadata(old), read_mutable_metadata(new)
    old_membership, new_membership = read_membership(old), read_membership(new)
    old_policies = Policies.from_proto(read_mutable_permissions(old), profile)

    # 2. metadata diff; 3. character limits
    unchanged = find_extension(old, XmtpExtensionType.MUTABLE_METADATA) == \
        find_extension(new, XmtpExtensionType.MUTABLE_METADATA)
    changes = () if unchanged else _attribute_changes(old_metadata.attributes, new_metadata.attributes)
    for key, _, value in changes:
        if value is not None:
            try:
                check_attribute(key, value)
            except Rejected as e:
                raise Rejected(CommitReason.TOO_MANY_CHARACTERS, e.detail, cause=e) from None
    old_admins, new_admins = set(old_metadata.admin_list.inbox_ids), set(new_metadata.admin_list.inbox_ids)
    old_supers, new_supers = set(old_metadata.super_admin_list.inbox_ids), set(new_metadata.super_admin_list.inbox_ids)
    minimum_version = (old_metadata if unchanged else new_metadata).attributes.get(MINIMUM_SUPPORTED_PROTOCOL_VERSION)

    # 4. permissions
    permissions_changed = Policies.from_proto(read_mutable_permissions(new), profile) != old_policies

    # 5. the actor: the committer, flags from the pre-commit metadata
    actor_inbox = inbox_of((staged.path_leaf or staged.old_tree.leaf(staged.committer)).credential)
    actor = Actor.in_group(actor_inbox, immutable, old_metadata, old_membership)
    if not actor.is_member:
        raise Rejected(CommitReason.ACTOR_NOT_MEMBER, actor_inbox)

    # 6. no PSKs
    if any(isinstance(p.proposal, PreSharedKey) for p in staged.proposals):
        raise Rejected(CommitReason.NO_PSK_SUPPORT)

    # 7. installations the proposals add, remove and update; libxmtp keeps no member's proposal to commit
    if not profile.proposals_by_reference:
        for p in staged.proposals:
            if isinstance(p.proposal, (Add, Remove, Update)) and p.sender != staged.committer:
                raise Rejected(CommitReason.PROPOSAL_NOT_STORED,
                               f"{type(p.proposal).__name__} proposed by leaf {p.sender}")
    added = {p.proposal.key_package.leaf_node.signature_key: p for p in staged.proposals if isinstance(p.proposal, Add)}
    removed = {staged.old_tree.leaf(p.proposal.removed).signature_key for p in staged.proposals
               if isinstance(p.proposal, Remove)}
    updated = [(p.proposal.leaf_node, p.sender) for p in staged.proposals if isinstance(p.proposal, Update)]

    # 8. the installations the membership change implies
    expected_added, expected_removed, owners = _expected_installations(old_membership, new_membership, identity_at)

    # 9. re-adds (fork recovery by a super admin)
    failed = set(old_membership.failed_installations)
    if actor.is_super_admin:
        readded = (set(added) & removed) | (failed & removed)
        removed -= readded
        added = {k: v for k, v in added.items() if k not in readded}

    # 10. the commit adds and removes exactly what the identity log says
    members = {leaf.signature_key for _, leaf in staged.old_tree.members()}
    unexpected = set(added) - expected_added - members
    if unexpected:
        raise Rejected(CommitReason.UNEXPECTED_INSTALLATION_ADDED, ", ".join(sorted(k.hex() for k in unexpected)))
    if removed != expected_removed - failed:
        raise Rejected(CommitReason.UNEXPECTED_INSTALLATIONS_REMOVED,
                       f"removed {len(removed)}, expected {len(expected_removed - failed)}")

    # 11. credentials: the actor, every updated leaf and every added leaf belong to their inbox
    to_check = [(staged.path_leaf or staged.old_tree.leaf(staged.committer), actor_inbox)]
    to_check += [(leaf, inbox_of(leaf.credential)) for leaf, _ in updated]
    if profile.added_credentials_checked:
        to_check += [(p.proposal.key_package.leaf_node, owners.get(key)) for key, p in added.items()]
    else:  # libxmtp: an added leaf's credential only decodes; its installation id matched step 10
        for p in added.values():
            try:
                named_inbox(p.proposal.key_package.leaf_node.credential)
            except Rejected as e:
                raise Rejected(CommitReason.INBOX_VALIDATION_FAILED, "credential", cause=e) from None
    for leaf, expected_inbox in to_check:
        _check_credential(leaf, expected_inbox, old_membership, new_membership, identity_at)

    # group size (seed "Group sizes"); libxmtp does not count a received commit's members
    if profile.group_size_checked_on_receive:
        try:
            check_group_size(new_membership, profile)
        except Rejected as e:
            raise Rejected(CommitReason.GROUP_FULL, e.detail, cause=e) from None

    # 12. policies
    added_inboxes = tuple(sorted(new_membership.members.keys() - old_membership.members.keys()))
    removed_inboxes = tuple(sorted(old_membership.members.keys() - new_membership.members.keys()))
    try:
        _check_policies(staged, actor, immutable, old_metadata, old_membership, old_policies, added_inboxes,
                        removed_inboxes, added, changes, new_admins - old_admins, old_admins - new_admins,
                        new_supers - old_supers, old_supers - new_supers, len(new_supers), permissions_changed,
                        profile)
    except Rejected as e:
        raise Rejected(CommitReason.INSUFFICIENT_PERMISSIONS, e.detail, cause=e) from None

    # 13. the protocol-version floor
    if minimum_version and _semver(minimum_version) > _semver(own_version):
        raise Rejected(CommitReason.PROTOCOL_VERSION_TOO_LOW, f"group needs {minimum_version}, this is {own_version}")

    return ValidatedCommit(
        actor_inbox_id=actor_inbox, added_inboxes=added_inboxes, removed_inboxes=removed_inboxes,
        metadata_changes=changes, admins_added=tuple(sorted(new_admins - old_admins)),
        admins_removed=tuple(sorted(old_admins - new_admins)), super_admins_added=tuple(sorted(new_supers - old_supers)),
        super_admins_removed=tuple(sorted(old_supers - new_supers)), permissions_changed=permissions_changed,
        minimum_version=minimum_version,
    )




def _attribute_changes(old: dict[str, str], new: dict[str, str]) -> tuple[tuple[str, str | None, str | None], ...]:
    """docs/xmtp-facts.md §4.4 step 2: each attribute key in old ∪ new whose value differs (a missing value is None)."""
    return tuple((k, old.get(k), new.get(k)) for k in sorted(old.keys() | new.keys()) if old.get(k) != new.get(k))


def _expected_installations(old: GroupMembership, new: GroupMembership,
                            identity_at: IdentityLookup) -> tuple[set[bytes], set[bytes], dict[bytes, str]]:
    """docs/xmtp-facts.md §4.4 step 8: the installations the 0xFF01 change implies: (added, removed, owner of each added).

    Added and updated inboxes contribute their association-state diff from the
    old sequence id (0: from the beginning) to the new one; removed inboxes
    contribute every installation at their old sequence id (0: the latest).
    """
    expected_added: set[bytes] = set()
    expected_removed: set[bytes] = set()
    owners: dict[bytes, str] = {}
    for inbox, sequence_id in new.members.items():
        previous = old.members.get(inbox, 0)
        if sequence_id < previous:
            raise Rejected(CommitReason.SEQUENCE_ID_DECREASED, f"{inbox}: {previous} -> {sequence_id}")
        if inbox in old.members and sequence_id == previous:
            continue
        if sequence_id == 0:  # libxmtp HEAD: an added inbox names the update it was read at
            raise Rejected(CommitReason.INBOX_VALIDATION_FAILED, f"{inbox} added at sequence id 0")
        after = _state(identity_at, inbox, sequence_id)
        before = _state(identity_at, inbox, previous).installations if previous else frozenset()
        for key in after.installations - before:
            expected_added.add(key)
            owners[key] = inbox
        expected_removed |= before - after.installations
    for inbox in old.members.keys() - new.members.keys():  # a sequence id of 0 reads the latest state
        expected_removed |= _state(identity_at, inbox, old.members[inbox]).installations
    return expected_added, expected_removed, owners


def _state(identity_at: IdentityLookup, inbox: str, sequence_id: int) -> AssociationState:
    try:
        return identity_at(inbox, sequence_id)
    except Rejected as e:
        raise Rejected(CommitReason.INBOX_VALIDATION_FAILED, f"{inbox}@{sequence_id}", cause=e) from None


def _check_credential(leaf: LeafNode, expected_inbox: str | None, old: GroupMembership, new: GroupMembership,
                      identity_at: IdentityLookup) -> None:
    """docs/xmtp-facts.md §4.4 step 11: the leaf's installation key is in its credential's inbox at the new sequence id.

    A sequence id of 0 means "latest" only when the old one was 0 too (libxmtp HEAD).
    """
    try:
        inbox = inbox_of(leaf.credential)
    except Rejected as e:
        raise Rejected(CommitReason.INBOX_VALIDATION_FAILED, "credential", cause=e) from None
    if expected_inbox is not None and inbox != expected_inbox:
        raise Rejected(CommitReason.INBOX_VALIDATION_FAILED, f"credential names {inbox}, the log {expected_inbox}")
    sequence_id = new.members.get(inbox)
    if sequence_id is None:
        raise Rejected(CommitReason.INBOX_VALIDATION_FAILED, f"{inbox} is not a member inbox")
    if sequence_id == 0 and old.members.get(inbox, 0) != 0:
        raise Rejected(CommitReason.INBOX_VALIDATION_FAILED, f"{inbox} at sequence id 0")
    if leaf.signature_key not in _state(identity_at, inbox, sequence_id).installations:
        raise Rejected(CommitReason.INBOX_VALIDATION_FAILED,
                       f"installation {leaf.signature_key.hex()} is not in inbox {inbox}")


def _check_policies(staged, actor: Actor, immutable, old_metadata, old_membership, policies: Policies,
                    added_inboxes, removed_inboxes, added, changes, admins_added, admins_removed, supers_added,
                    supers_removed, supers_left: int, permissions_changed: bool, profile: Profile) -> None:
    """docs/xmtp-facts.md §4.4 step 12 (a–g): every change passes its policy; raises the permission rule's ``Rejected``.

    An added or removed inbox is checked against its proposer: the sender of the Add or Remove proposal for
    it, else of the GroupContextExtensions proposal, else the committer (libxmtp validated_commit.rs
    ``extract_expected_diff_with_proposers``@b649d1a; libxmtp 1.9.1, @09d3f023f, checked the committer).
    The other changes are the committer's.
    """
    gce_sender = next((p.sender for p in staged.proposals
                       if isinstance(p.proposal, GroupContextExtensions) and p.sender is not None), None)
    proposers, removers = {}, {}
    for key, p in added.items():
        if p.sender is not None:
            proposers[named_inbox(p.proposal.key_package.leaf_node.credential)] = p.sender
    for p in staged.proposals:
        if isinstance(p.proposal, Remove) and p.sender is not None:
            removers[named_inbox(staged.old_tree.leaf(p.proposal.removed).credential)] = p.sender

    def proposer_of(inbox: str, senders: dict[str, int]) -> Actor:
        sender = senders.get(inbox, gce_sender)
        return actor if sender is None else Actor.in_group(
            inbox_of(staged.old_tree.leaf(sender).credential), immutable, old_metadata, old_membership)

    dm = immutable.dm_members
    dm_exception = (dm is not None and len(added_inboxes) == 1 and added_inboxes[0] != actor.inbox_id
                    and added_inboxes[0] in {dm.dm_member_one.inbox_id, dm.dm_member_two.inbox_id})
    for inbox in added_inboxes:  # a)
        if dm_exception:
            break
        check(policies, Permission.ADD_MEMBER, proposer_of(inbox, proposers), profile=profile)
    for inbox in removed_inboxes:  # b)
        removed_actor = Actor.in_group(inbox, immutable, old_metadata, old_membership)
        check_remove_member(policies, proposer_of(inbox, removers), removed_actor, super_admins_left=supers_left,
                            profile=profile)
    for key, _, _ in changes:  # c)
        check(policies, Permission.UPDATE_METADATA, actor, metadata_key=key, profile=profile)
    if admins_added:  # d)
        check(policies, Permission.ADD_ADMIN, actor, profile=profile)
    if admins_removed:
        check(policies, Permission.REMOVE_ADMIN, actor, profile=profile)
    if supers_added:  # e)
        check_add_super_admin(actor)
    if supers_removed:  # f)
        check_remove_super_admin(actor, super_admins_left=supers_left)
    if permissions_changed:  # g)
        check(policies, Permission.UPDATE_PERMISSIONS, actor, profile=profile)


_SEMVER = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
                     r"(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?")


def _semver(version: str) -> tuple:
    """Semantic Versioning 2.0.0 §11 precedence, as libxmtp's ``LibXMTPVersion`` (the semver crate; libxmtp
    crates/xmtp_mls/src/groups/validated_commit.rs@b649d1a): an orderable form of "x.y.z[-pre][+build]".

    A pre-release sorts before its release; its dot-separated identifiers compare numerically when all digits
    (``rc.2 < rc.10``), numbers before words, and a shorter list first when one is a prefix of the other.
    Build metadata does not count. (libxmtp 1.9.1, @09d3f023f, compared ``(major, minor, patch, suffix)``
    with the suffix as a string and a release before its pre-releases.)
    """
    match = _SEMVER.fullmatch(version.strip())
    if match is None:
        raise Rejected(CommitReason.PROTOCOL_VERSION_TOO_LOW, f"unreadable minimum version {version!r}")
    major, minor, patch, pre = match.groups()
    identifiers = tuple((0, int(i), "") if i.isdigit() else (1, 0, i) for i in pre.split(".")) if pre else ()
    return int(major), int(minor), int(patch), pre is None, identifiers


@reason_codes("welcome")
class WelcomeReason(enum.StrEnum):
    """libxmtp crates/xmtp_mls/src/groups/welcomes/validated_membership.rs@a53a97e and groups/mod.rs
    ``validate_dm_group``: why a Welcome is refused."""

    INSTALLATION_NOT_IN_INBOX = "welcome.installation_not_in_inbox"  # a leaf's installation is not in its inbox's state
    INBOX_NOT_A_MEMBER = "welcome.inbox_not_a_member"                # a leaf's inbox is not in 0xFF01
    MISSING_INSTALLATION = "welcome.missing_installation"            # an expected installation is neither in the tree
    #                                                          nor in failed_installations
    INVALID_DM = "welcome.invalid_dm"                                # a DM that is not the adder's and ours


def validate_welcome_membership(group_tree, membership: GroupMembership, identity_at: IdentityLookup) -> None:
    """libxmtp crates/xmtp_mls/src/groups/welcomes/validated_membership.rs@a53a97e (docs/xmtp-facts.md §4.4 "Other
    checks"): the tree matches the identity log.

    Every leaf's (inbox, installation) is in that inbox's association state at
    its membership sequence id, and every installation the log expects is in
    the tree or in failed_installations.
    """
    in_tree: dict[str, set[bytes]] = {}
    for _, leaf in group_tree.members():
        inbox = inbox_of(leaf.credential)
        if inbox not in membership.members:
            raise Rejected(WelcomeReason.INBOX_NOT_A_MEMBER, inbox)
        in_tree.setdefault(inbox, set()).add(leaf.signature_key)
    failed = set(membership.failed_installations)
    for inbox, sequence_id in membership.members.items():
        expected = _state(identity_at, inbox, sequence_id).installations
        if in_tree.get(inbox, set()) - expected:
            raise Rejected(WelcomeReason.INSTALLATION_NOT_IN_INBOX, inbox)
        if expected - in_tree.get(inbox, set()) - failed:
            raise Rejected(WelcomeReason.MISSING_INSTALLATION, inbox)


def validate_dm_welcome(extensions, own_inbox_id: str, adder_inbox_id: str, profile: Profile = SEED) -> None:
    """libxmtp crates/xmtp_mls/src/groups/mod.rs@a53a97e ``validate_dm_group`` (docs/xmtp-facts.md §4.4; libxmtp
    crates/xmtp_mls/src/groups/mod.rs@b649d1a,
    the same @09d3f023f): a DM Welcome is between the adder and us.

    Type DM with both members set; we are one of them, and if someone else
    added us the members are {adder, us}; both admin lists empty; the five
    membership, admin and permissions policies those of the DM preset. The
    metadata policies are not compared (libxmtp: they do not affect
    membership), so a DM of any profile, or one made before a metadata key
    existed, is accepted. The libxmtp profile (``lax_dm_welcome``) returns
    early for a Welcome from oneself and refuses the policies only when all
    five differ; the seed profile requires each check.
    """
    metadata = read_immutable_metadata(extensions)
    dm = metadata.dm_members
    if metadata.conversation_type != ConversationType.DM or dm is None:
        raise Rejected(WelcomeReason.INVALID_DM, "not a DM")
    members = {dm.dm_member_one.inbox_id, dm.dm_member_two.inbox_id}
    if own_inbox_id not in members:
        raise Rejected(WelcomeReason.INVALID_DM, "we are not a member of the DM")
    if adder_inbox_id == own_inbox_id:
        if profile.lax_dm_welcome:
            return
    elif members != {adder_inbox_id, own_inbox_id}:
        raise Rejected(WelcomeReason.INVALID_DM, "the DM is not between the adder and us")
    mutable = read_mutable_metadata(extensions)
    if mutable.admin_list.inbox_ids or mutable.super_admin_list.inbox_ids:
        raise Rejected(WelcomeReason.INVALID_DM, "a DM has no admins")
    policies, dm_preset = Policies.from_proto(read_mutable_permissions(extensions), profile), \
        preset_policies(Preset.DM, profile)
    differs = [policies.policy_for(permission) != dm_preset.policy_for(permission)
               for permission in PERMISSIONS if permission is not Permission.UPDATE_METADATA]
    if all(differs) if profile.lax_dm_welcome else any(differs):
        raise Rejected(WelcomeReason.INVALID_DM, "a DM's membership policies are those of the DM preset")
