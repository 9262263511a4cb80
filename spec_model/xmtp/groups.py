"""libxmtp groups/mod.rs and intents: an XMTP group's MLS state, and the commit each change becomes.

An XMTP group is an MLS group (cipher suite 3) whose GroupContext carries, in
this order, the immutable metadata (0xF000), the mutable metadata (0xFF00),
the membership (0xFF01), the permissions (0xFF02) and RequiredCapabilities
(docs/xmtp-facts.md §1 "Group context at creation"). Every change — members,
metadata, admins, permissions — is one MLS commit whose proposals are inline
(docs/xmtp-facts.md §5 "Membership change"); the extension changes travel in a
GroupContextExtensions proposal carrying the whole new extension list.
"""

from __future__ import annotations

import dataclasses
from typing import Mapping

from spec_model.mls.extensions import ExtensionType
from spec_model.mls.group import Group, GroupConfig
from spec_model.mls.group_context import Extension
from spec_model.mls.key_package import KeyPackage, KeyPackageBundle
from spec_model.mls.proposals import Add, GroupContextExtensions, Proposal, Remove
from spec_model.mls.suites import Rng, suite

from .extensions import (
    GroupMembership, GroupMetadataV1, GroupMutableMetadataV1, Inboxes, immutable_metadata_extension,
    membership_extension, mutable_metadata_extension, permissions_extension, read_membership, read_mutable_metadata,
)
from .key_package import CIPHER_SUITE, GROUP_REQUIRED_CAPABILITIES
from .permissions import Policies
from .profiles import SEED, Profile

__all__ = [
    "XMTP_GROUP_CONFIG", "group_context_extensions", "create_group", "replace_extension", "membership_proposals",
    "metadata_proposal", "admin_lists_proposal", "permissions_proposal", "membership_of",
]

XMTP_GROUP_CONFIG = GroupConfig(max_past_epochs=3, use_ratchet_tree_extension=True)
"""libxmtp build_group_config (docs/xmtp-facts.md §1): 3 past epochs kept, the ratchet tree in every Welcome."""


def group_context_extensions(metadata: GroupMetadataV1, mutable: GroupMutableMetadataV1, membership: GroupMembership,
                             policies: Policies, profile: Profile = SEED) -> tuple[Extension, ...]:
    """libxmtp crates/xmtp_mls/src/groups/mod.rs@a53a97e build_group_config (docs/xmtp-facts.md §1): the group
    context extensions of a new group, in libxmtp's order."""
    return (
        immutable_metadata_extension(metadata),
        mutable_metadata_extension(mutable),
        membership_extension(membership),
        permissions_extension(policies.to_proto(profile)),
        Extension(ExtensionType.required_capabilities, GROUP_REQUIRED_CAPABILITIES.encode()),
    )


def create_group(creator: KeyPackageBundle, extensions: tuple[Extension, ...], *, group_id: bytes | None = None,
                 rng: Rng | None = None) -> Group:
    """libxmtp crates/xmtp_mls/src/groups/mod.rs@a53a97e MlsGroup::create_and_insert (docs/xmtp-facts.md §1): a
    one-member group with a random 16-byte id.

    The creator's leaf is the leaf of one of its key packages (same
    capabilities and ApplicationId extension).
    """
    cs = suite(CIPHER_SUITE)
    leaf = creator.key_package.leaf_node
    return Group.create(cs, group_id or cs.random(16, rng), leaf, creator.encryption_priv, creator.signature_priv,
                        extensions, config=XMTP_GROUP_CONFIG, rng=rng)


def replace_extension(extensions: tuple[Extension, ...], new: Extension) -> tuple[Extension, ...]:
    """RFC 9420 §12.1.7: The list with the extension of ``new``'s type replaced in place (appended if absent)."""
    replaced = tuple(new if e.extension_type == new.extension_type else e for e in extensions)
    return replaced if new in replaced else (*extensions, new)


def membership_proposals(group: Group, add: tuple[KeyPackage, ...], remove_installations: frozenset[bytes],
                         membership: GroupMembership) -> tuple[Proposal, ...]:
    """libxmtp crates/xmtp_mls/src/groups/intents/queue.rs@a53a97e update_group_membership (docs/xmtp-facts.md §5):
    Add×N, Remove×M and a GCE with the new 0xFF01, in one commit."""
    removes = tuple(Remove(i) for i, leaf in group.members() if leaf.signature_key in remove_installations)
    extensions = replace_extension(group.context.extensions, membership_extension(membership))
    return (*(Add(kp) for kp in add), *removes, GroupContextExtensions(extensions))


def metadata_proposal(group: Group, attributes: Mapping[str, str]) -> GroupContextExtensions:
    """libxmtp crates/xmtp_mls/src/groups/intents.rs@a53a97e MetadataUpdate intent: a GCE proposal setting some
    attributes of 0xFF00."""
    current = read_mutable_metadata(group.context.extensions)
    updated = dataclasses.replace(current, attributes={**current.attributes, **attributes})
    return GroupContextExtensions(replace_extension(group.context.extensions, mutable_metadata_extension(updated)))


def admin_lists_proposal(group: Group, *, admins: tuple[str, ...] | None = None,
                         super_admins: tuple[str, ...] | None = None) -> GroupContextExtensions:
    """libxmtp crates/xmtp_mls/src/groups/intents.rs@a53a97e UpdateAdminList intent: a GCE proposal with new admin
    and/or super-admin lists in 0xFF00."""
    current = read_mutable_metadata(group.context.extensions)
    updated = dataclasses.replace(
        current,
        admin_list=Inboxes(admins) if admins is not None else current.admin_list,
        super_admin_list=Inboxes(super_admins) if super_admins is not None else current.super_admin_list,
    )
    return GroupContextExtensions(replace_extension(group.context.extensions, mutable_metadata_extension(updated)))


def permissions_proposal(group: Group, policies: Policies, profile: Profile = SEED) -> GroupContextExtensions:
    """libxmtp crates/xmtp_mls/src/groups/intents.rs@a53a97e UpdatePermission intent: a GCE proposal with a new
    0xFF02 policy set."""
    return GroupContextExtensions(replace_extension(group.context.extensions,
                                                    permissions_extension(policies.to_proto(profile))))


def membership_of(group: Group) -> GroupMembership:
    """docs/xmtp-facts.md §3.3: The group's 0xFF01 membership (inbox id -> identity-update sequence id)."""
    return read_membership(group.context.extensions)
