"""XMTP's group-context extensions: the protobuf payloads and how they sit in MLS extensions.

Theory of operation
-------------------
A legacy XMTP group keeps its XMTP state in four GroupContext extensions
(docs/xmtp-facts.md §3): the immutable GroupMetadataV1 (0xF000), the mutable metadata
with the admin lists (0xFF00), the membership map from inbox id to identity
sequence id (0xFF01) and the permission PolicySet (0xFF02). Their payloads are
protobuf messages of package ``xmtp.mls.message_contents`` (xmtp/proto
``proto/mls/message_contents/*.proto``), declared here with their field
numbers. 0xFF0x extension data is the raw protobuf; 0xF000 wraps it once more
in a TLS ``opaque<V>`` (OpenMLS ``Metadata``).

``*_extension`` functions build an MLS ``Extension``; ``read_*`` functions find
one in a list of extensions, decode it and reject what libxmtp rejects with a
typed ``ExtensionReason``. Bytes that are not protobuf raise ``DecodeError``.
libxmtp writes maps in hash order, so two encodings of one value may differ:
compare with ``decode_equivalent`` (docs/xmtp-facts.md §3.5), never by bytes.

Policy values are interpreted in ``spec_model.xmtp.permissions``; this module
only carries their protobuf form.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from typing import Iterable, NamedTuple, Sequence

from spec_model.mls.codec import OPAQUE, DecodeError, Struct, opaque
from spec_model.mls.group_context import Extension
from spec_model.mls.reasons import Rejected, reason_codes

from .profiles import SEED, Profile
from .proto import (
    BYTES, STRING, UINT64, Annotated, EnumKind, Field, Map, Message, MessageKind, decode_shared,
)

__all__ = [
    "XmtpExtensionType", "ExtensionReason",
    "ConversationType", "Inbox", "DmMembers", "dm_id", "GroupMetadataV1", "Metadata", "Inboxes", "GroupMutableMetadataV1",
    "GroupMembership", "BaseMembershipPolicy", "BaseMetadataPolicy", "BasePermissionsUpdatePolicy",
    "MembershipCondition", "MembershipPolicy", "MetadataCondition", "MetadataPolicy",
    "PermissionsUpdateCondition", "PermissionsUpdatePolicy", "PolicySet", "GroupMutablePermissionsV1",
    "GROUP_NAME", "DESCRIPTION", "GROUP_IMAGE_URL_SQUARE", "APP_DATA", "GROUP_PINNED_FRAME_URL",
    "MESSAGE_DISAPPEAR_FROM_NS", "MESSAGE_DISAPPEAR_IN_NS", "MINIMUM_SUPPORTED_PROTOCOL_VERSION",
    "COMMIT_LOG_SIGNER", "SUPER_ADMIN_PREFIX", "ATTRIBUTE_LIMITS",
    "text_attribute_keys", "check_attribute", "disappearing_settings",
    "new_group_metadata", "new_dm_metadata", "new_group_mutable_metadata", "new_dm_mutable_metadata",
    "new_group_membership", "check_group_size", "MembershipDiff", "membership_diff", "dm_key",
    "immutable_metadata_extension", "mutable_metadata_extension", "membership_extension",
    "permissions_extension", "application_id_extension", "last_resort_extension",
    "read_immutable_metadata", "read_mutable_metadata", "read_membership", "read_mutable_permissions",
    "read_application_id", "decode_equivalent",
]


class XmtpExtensionType(enum.IntEnum):
    """libxmtp crates/xmtp_configuration/src/common/metadata.rs@a53a97e, OpenMLS extensions/mod.rs: the extension
    types XMTP uses.

    0xFF05 (the old PROPOSAL_SUPPORT) is retired and never reused.
    """

    APPLICATION_ID = 0x0001
    LAST_RESORT = 0x000A
    IMMUTABLE_METADATA = 0xF000
    MUTABLE_METADATA = 0xFF00
    GROUP_MEMBERSHIP = 0xFF01
    MUTABLE_PERMISSIONS = 0xFF02
    WELCOME_WRAPPER = 0xFF03        # key packages only
    WELCOME_POINTEE_AEAD = 0xFF04   # key packages only


@reason_codes("extension")
class ExtensionReason(enum.StrEnum):
    """libxmtp crates/xmtp_mls_common/src/group_metadata.rs@a53a97e, group_mutable_metadata.rs,
    validated_commit.rs: why an extension is refused."""

    MISSING_EXTENSION = "extension.missing_extension"                # the group context lacks the extension
    INVALID_CONVERSATION_TYPE = "extension.invalid_conversation_type"  # 0 or a number ConversationType does not define
    MISSING_DM_MEMBER = "extension.missing_dm_member"                # dm_members without one of its two inboxes
    MISSING_ADMIN_LIST = "extension.missing_admin_list"              # 0xFF00 without admin_list (required)
    MISSING_SUPER_ADMIN_LIST = "extension.missing_super_admin_list"  # 0xFF00 without super_admin_list (required)
    TOO_MANY_CHARACTERS = "extension.too_many_characters"            # an attribute over its byte limit
    INVALID_DISAPPEARING_SETTING = "extension.invalid_disappearing_setting"  # not a decimal i64
    GROUP_SIZE = "extension.group_size"                              # membership outside the profile's group sizes


# ------------------------------------------------------------------ 0xF000 GroupMetadataV1

class ConversationType(enum.IntEnum):
    """xmtp/proto group_metadata.proto: ``ConversationType``."""

    UNSPECIFIED = 0
    GROUP = 1
    DM = 2
    SYNC = 3
    ONESHOT = 4


class Inbox(Message):
    """xmtp/proto group_metadata.proto: ``Inbox{string inbox_id = 1}``."""

    inbox_id: Annotated[str, Field(1, STRING)] = ""


class DmMembers(Message):
    """xmtp/proto group_metadata.proto: ``DmMembers``; member one is the DM's creator."""

    dm_member_one: Annotated[Inbox | None, Field(1, MessageKind(Inbox))] = None
    dm_member_two: Annotated[Inbox | None, Field(2, MessageKind(Inbox))] = None


class GroupMetadataV1(Message):
    """xmtp/proto group_metadata.proto: ``GroupMetadataV1``, the immutable metadata (extension 0xF000).

    ``oneshot_message`` (XIP-82, 2026) is kept as the opaque bytes of its
    ``OneshotMessage``. Field 3 held ``PolicySet policies`` before 2024-05.
    """

    conversation_type: Annotated[int, Field(1, EnumKind(ConversationType))] = ConversationType.UNSPECIFIED
    creator_account_address: Annotated[str, Field(2, STRING)] = ""   # deprecated, written ""
    creator_inbox_id: Annotated[str, Field(3, STRING)] = ""
    dm_members: Annotated[DmMembers | None, Field(4, MessageKind(DmMembers))] = None
    oneshot_message: Annotated[bytes | None, Field(5, BYTES, optional=True)] = None


class Metadata(Struct):
    """OpenMLS extensions/codec.rs: ``Metadata{metadata: Vec<u8>}``, the TLS wrapper of 0xF000."""

    metadata: Annotated[bytes, OPAQUE]


# ------------------------------------------------------------------ 0xFF00 GroupMutableMetadataV1

class Inboxes(Message):
    """xmtp/proto group_mutable_metadata.proto: ``Inboxes{repeated string inbox_ids = 1}``."""

    inbox_ids: Annotated[tuple[str, ...], Field(1, STRING, repeated=True)] = ()


class GroupMutableMetadataV1(Message):
    """xmtp/proto group_mutable_metadata.proto: ``GroupMutableMetadataV1`` (extension 0xFF00).

    Both lists are required: ``read_mutable_metadata`` rejects a value without one.
    """

    attributes: Annotated[dict[str, str], Field(1, Map(STRING, STRING))] = dataclasses.field(default_factory=dict)
    admin_list: Annotated[Inboxes | None, Field(2, MessageKind(Inboxes))] = None
    super_admin_list: Annotated[Inboxes | None, Field(3, MessageKind(Inboxes))] = None


GROUP_NAME = "group_name"
DESCRIPTION = "description"
GROUP_IMAGE_URL_SQUARE = "group_image_url_square"
APP_DATA = "app_data"
GROUP_PINNED_FRAME_URL = "group_pinned_frame_url"
"""seed "Pin messages": libxmtp's key from 2024-07 (5c78fba) until its removal in 2025-02 (0a97f5c)."""
MESSAGE_DISAPPEAR_FROM_NS = "message_disappear_from_ns"
MESSAGE_DISAPPEAR_IN_NS = "message_disappear_in_ns"
MINIMUM_SUPPORTED_PROTOCOL_VERSION = "minimum_supported_protocol_version"
COMMIT_LOG_SIGNER = "_commit_log_signer"
SUPER_ADMIN_PREFIX = "_"
"""libxmtp SUPER_ADMIN_METADATA_PREFIX: an attribute key starting with it is super-admin-only by default."""

ATTRIBUTE_LIMITS = {GROUP_NAME: 100, DESCRIPTION: 1000, GROUP_IMAGE_URL_SQUARE: 2048, APP_DATA: 8192}
"""libxmtp common/mls.rs: the longest value, in UTF-8 bytes, of each limited attribute."""

_I64 = re.compile(r"[+-]?[0-9]+")


def text_attribute_keys(profile: Profile = SEED) -> tuple[str, ...]:
    """libxmtp crates/xmtp_mls_common/src/group_mutable_metadata.rs@a53a97e GroupMutableMetadata::new_default, seed
    "Pin messages": the free-text keys a new group sets to ""."""
    pinned = (GROUP_PINNED_FRAME_URL,) if profile.pinned_messages else ()
    return (GROUP_NAME, DESCRIPTION, GROUP_IMAGE_URL_SQUARE, *pinned, APP_DATA)


def check_attribute(key: str, value: str) -> None:
    """libxmtp crates/xmtp_mls/src/groups/validated_commit.rs@a53a97e (docs/xmtp-facts.md §4.4 step 3): a limited
    attribute fits its byte limit."""
    limit = ATTRIBUTE_LIMITS.get(key)
    if limit is not None and len(value.encode()) > limit:
        raise Rejected(ExtensionReason.TOO_MANY_CHARACTERS, f"{key}: {len(value.encode())} > {limit} bytes")


def disappearing_settings(metadata: GroupMutableMetadataV1) -> tuple[int, int] | None:
    """libxmtp crates/xmtp_mls_common/src/group_mutable_metadata.rs@a53a97e: (from_ns, in_ns) as decimal i64
    values, or None when either is unset."""
    values = [metadata.attributes.get(k) for k in (MESSAGE_DISAPPEAR_FROM_NS, MESSAGE_DISAPPEAR_IN_NS)]
    if None in values:
        return None
    for value in values:
        if not _I64.fullmatch(value) or not -(1 << 63) <= int(value) < 1 << 63:
            raise Rejected(ExtensionReason.INVALID_DISAPPEARING_SETTING, repr(value))
    return int(values[0]), int(values[1])


# ------------------------------------------------------------------ 0xFF01 GroupMembership

class GroupMembership(Message):
    """xmtp/proto group_membership.proto: ``GroupMembership`` (extension 0xFF01).

    ``members`` maps each inbox id to the last identity-update sequence id
    applied; ``failed_installations`` lists installations whose key package
    could not be fetched or verified.
    """

    members: Annotated[dict[str, int], Field(1, Map(STRING, UINT64))] = dataclasses.field(default_factory=dict)
    failed_installations: Annotated[tuple[bytes, ...], Field(2, BYTES, repeated=True)] = ()


class MembershipDiff(NamedTuple):
    """libxmtp crates/xmtp_mls/src/groups/group_membership.rs@a53a97e ``diff``: inbox ids added, removed, and whose
    sequence id changed (sorted)."""

    added: tuple[str, ...]
    removed: tuple[str, ...]
    updated: tuple[str, ...]


def membership_diff(old: GroupMembership, new: GroupMembership) -> MembershipDiff:
    """libxmtp crates/xmtp_mls/src/groups/group_membership.rs@a53a97e: added = only in new, removed = only in old,
    updated = sequence id differs."""
    return MembershipDiff(
        added=tuple(sorted(new.members.keys() - old.members.keys())),
        removed=tuple(sorted(old.members.keys() - new.members.keys())),
        updated=tuple(sorted(k for k in old.members.keys() & new.members.keys() if old.members[k] != new.members[k])),
    )


def check_group_size(membership: GroupMembership, profile: Profile = SEED) -> None:
    """seed "Group sizes" (1 to 400) / libxmtp (at most 250): the number of member inboxes."""
    if not 1 <= len(membership.members) <= profile.max_group_size:
        raise Rejected(ExtensionReason.GROUP_SIZE,
                       f"{len(membership.members)} members, {profile.name} allows 1..{profile.max_group_size}")


# ------------------------------------------------------------------ 0xFF02 GroupMutablePermissionsV1

class BaseMembershipPolicy(enum.IntEnum):
    """xmtp/proto group_permissions.proto: ``MembershipPolicy.BasePolicy`` (libxmtp numbering)."""

    UNSPECIFIED = 0
    ALLOW = 1
    DENY = 2
    ALLOW_IF_ADMIN_OR_SUPER_ADMIN = 3
    ALLOW_IF_SUPER_ADMIN = 4


class BaseMetadataPolicy(enum.IntEnum):
    """xmtp/proto group_permissions.proto: ``MetadataPolicy.MetadataBasePolicy`` (libxmtp numbering)."""

    UNSPECIFIED = 0
    ALLOW = 1
    DENY = 2
    ALLOW_IF_ADMIN = 3
    ALLOW_IF_SUPER_ADMIN = 4


class BasePermissionsUpdatePolicy(enum.IntEnum):
    """xmtp/proto group_permissions.proto: ``PermissionsUpdatePolicy.PermissionsBasePolicy``; it has no ALLOW."""

    UNSPECIFIED = 0
    DENY = 1
    ALLOW_IF_ADMIN = 2
    ALLOW_IF_SUPER_ADMIN = 3


class _Later(MessageKind):
    """A ``MessageKind`` whose class is defined further down this module (the policy messages nest)."""

    def __init__(self, name: str):
        self.name = name

    @property
    def cls(self) -> type[Message]:
        return globals()[self.name]


class MembershipCondition(Message):
    """xmtp/proto group_permissions.proto: ``MembershipPolicy.AndCondition`` and ``.AnyCondition`` (same shape)."""

    policies: Annotated[tuple[MembershipPolicy, ...], Field(1, _Later("MembershipPolicy"), repeated=True)] = ()


class MembershipPolicy(Message):
    """xmtp/proto group_permissions.proto: ``MembershipPolicy``, ``oneof kind {base; and_condition; any_condition}``."""

    base: Annotated[int | None, Field(1, EnumKind(BaseMembershipPolicy), oneof="kind")] = None
    and_condition: Annotated[
        MembershipCondition | None, Field(2, MessageKind(MembershipCondition), oneof="kind")] = None
    any_condition: Annotated[
        MembershipCondition | None, Field(3, MessageKind(MembershipCondition), oneof="kind")] = None


class MetadataCondition(Message):
    """xmtp/proto group_permissions.proto: ``MetadataPolicy.AndCondition`` and ``.AnyCondition`` (same shape)."""

    policies: Annotated[tuple[MetadataPolicy, ...], Field(1, _Later("MetadataPolicy"), repeated=True)] = ()


class MetadataPolicy(Message):
    """xmtp/proto group_permissions.proto: ``MetadataPolicy``, ``oneof kind {base; and_condition; any_condition}``."""

    base: Annotated[int | None, Field(1, EnumKind(BaseMetadataPolicy), oneof="kind")] = None
    and_condition: Annotated[MetadataCondition | None, Field(2, MessageKind(MetadataCondition), oneof="kind")] = None
    any_condition: Annotated[MetadataCondition | None, Field(3, MessageKind(MetadataCondition), oneof="kind")] = None


class PermissionsUpdateCondition(Message):
    """xmtp/proto group_permissions.proto: ``PermissionsUpdatePolicy.AndCondition`` and ``.AnyCondition``."""

    policies: Annotated[
        tuple[PermissionsUpdatePolicy, ...], Field(1, _Later("PermissionsUpdatePolicy"), repeated=True)] = ()


class PermissionsUpdatePolicy(Message):
    """xmtp/proto group_permissions.proto: ``PermissionsUpdatePolicy``, ``oneof kind {base; and; any}``."""

    base: Annotated[int | None, Field(1, EnumKind(BasePermissionsUpdatePolicy), oneof="kind")] = None
    and_condition: Annotated[
        PermissionsUpdateCondition | None, Field(2, MessageKind(PermissionsUpdateCondition), oneof="kind")] = None
    any_condition: Annotated[
        PermissionsUpdateCondition | None, Field(3, MessageKind(PermissionsUpdateCondition), oneof="kind")] = None


class PolicySet(Message):
    """xmtp/proto group_permissions.proto: ``PolicySet``, one policy per XIP-47 permission."""

    add_member_policy: Annotated[MembershipPolicy | None, Field(1, MessageKind(MembershipPolicy))] = None
    remove_member_policy: Annotated[MembershipPolicy | None, Field(2, MessageKind(MembershipPolicy))] = None
    update_metadata_policy: Annotated[
        dict[str, MetadataPolicy], Field(3, Map(STRING, MessageKind(MetadataPolicy)))] = dataclasses.field(
        default_factory=dict)
    add_admin_policy: Annotated[PermissionsUpdatePolicy | None, Field(4, MessageKind(PermissionsUpdatePolicy))] = None
    remove_admin_policy: Annotated[
        PermissionsUpdatePolicy | None, Field(5, MessageKind(PermissionsUpdatePolicy))] = None
    update_permissions_policy: Annotated[
        PermissionsUpdatePolicy | None, Field(6, MessageKind(PermissionsUpdatePolicy))] = None


class GroupMutablePermissionsV1(Message):
    """xmtp/proto group_permissions.proto: ``GroupMutablePermissionsV1{PolicySet policies = 1}`` (0xFF02)."""

    policies: Annotated[PolicySet | None, Field(1, MessageKind(PolicySet))] = None


# ------------------------------------------------------------------ creation-time values

def new_group_metadata(creator_inbox_id: str) -> GroupMetadataV1:
    """libxmtp crates/xmtp_mls/src/groups/mod.rs@a53a97e (docs/xmtp-facts.md §3.1): a group's immutable metadata;
    the account address is written ""."""
    return GroupMetadataV1(conversation_type=ConversationType.GROUP, creator_inbox_id=creator_inbox_id)


def dm_id(members: DmMembers) -> str:
    """libxmtp crates/xmtp_mls_common/src/group_metadata.rs@b649d1a ``DmMembers`` Display: a DM's ``dm_id``, the
    same for every DM of the pair: ``dm:`` and the two inbox ids, lowercased, sorted, joined by ``:``."""
    ids = sorted(m.inbox_id.lower() for m in (members.dm_member_one, members.dm_member_two) if m is not None)
    return "dm:" + ":".join(ids)


def new_dm_metadata(creator_inbox_id: str, other_inbox_id: str) -> GroupMetadataV1:
    """libxmtp crates/xmtp_mls/src/groups/mod.rs@a53a97e build_dm_protected_metadata_extension (docs/xmtp-facts.md
    §3.1): a DM's; member one is the creator."""
    return GroupMetadataV1(
        conversation_type=ConversationType.DM, creator_inbox_id=creator_inbox_id,
        dm_members=DmMembers(Inbox(creator_inbox_id), Inbox(other_inbox_id)),
    )


def new_group_mutable_metadata(creator_inbox_id: str, *, profile: Profile = SEED,
                               disappearing: tuple[int, int] | None = None,
                               **text: str) -> GroupMutableMetadataV1:
    """libxmtp crates/xmtp_mls_common/src/group_mutable_metadata.rs@a53a97e GroupMutableMetadata::new_default
    (docs/xmtp-facts.md §3.2): a new group's mutable metadata.

    Every text key of the profile is set ("" unless given as a keyword, e.g.
    ``group_name="Team"``); the disappearing keys only when ``disappearing``
    = (from_ns, in_ns) is given; no admins; the creator is the only super
    admin (XIP-47: "The group creator always defaults as the group's only
    super admin").
    """
    return GroupMutableMetadataV1(
        attributes=_attributes(text_attribute_keys(profile), text, disappearing),
        admin_list=Inboxes(), super_admin_list=Inboxes((creator_inbox_id,)),
    )


def new_dm_mutable_metadata(*, profile: Profile = SEED, disappearing: tuple[int, int] | None = None,
                            ) -> GroupMutableMetadataV1:
    """libxmtp crates/xmtp_mls_common/src/group_mutable_metadata.rs@a53a97e GroupMutableMetadata::new_dm_default
    (docs/xmtp-facts.md §3.2): a group's defaults without app_data or admins."""
    keys = tuple(k for k in text_attribute_keys(profile) if k != APP_DATA)
    return GroupMutableMetadataV1(
        attributes=_attributes(keys, {}, disappearing), admin_list=Inboxes(), super_admin_list=Inboxes())


def _attributes(keys: Sequence[str], text: dict[str, str], disappearing: tuple[int, int] | None) -> dict[str, str]:
    unknown = text.keys() - set(keys)
    if unknown:
        raise ValueError(f"not a text attribute of this profile: {sorted(unknown)}")
    attributes = {key: text.get(key, "") for key in keys}
    for key, value in attributes.items():
        check_attribute(key, value)
    if disappearing is not None:
        attributes[MESSAGE_DISAPPEAR_FROM_NS], attributes[MESSAGE_DISAPPEAR_IN_NS] = map(str, disappearing)
    return attributes


def new_group_membership(creator_inbox_id: str) -> GroupMembership:
    """libxmtp crates/xmtp_mls/src/groups/mod.rs@a53a97e build_group_config (docs/xmtp-facts.md §3.3): the creator
    alone, sequence id 0 as a placeholder."""
    return GroupMembership(members={creator_inbox_id: 0})


def dm_key(inbox_one: str, inbox_two: str) -> str:
    """libxmtp crates/xmtp_mls_common/src/group_metadata.rs@a53a97e ``DmMembers`` Display: "dm:" and both inbox
    ids, lowercased and sorted."""
    return "dm:" + ":".join(sorted((inbox_one.lower(), inbox_two.lower())))


# ------------------------------------------------------------------ extensions

def immutable_metadata_extension(metadata: GroupMetadataV1) -> Extension:
    """OpenMLS extensions/codec.rs: 0xF000 holds TLS ``opaque<V>`` around the protobuf."""
    return Extension(XmtpExtensionType.IMMUTABLE_METADATA, Metadata(metadata.encode()).encode())


def mutable_metadata_extension(metadata: GroupMutableMetadataV1) -> Extension:
    """OpenMLS extensions/codec.rs: 0xFF00 holds the raw protobuf."""
    return Extension(XmtpExtensionType.MUTABLE_METADATA, metadata.encode())


def membership_extension(membership: GroupMembership) -> Extension:
    """OpenMLS extensions/codec.rs: 0xFF01 holds the raw protobuf."""
    return Extension(XmtpExtensionType.GROUP_MEMBERSHIP, membership.encode())


def permissions_extension(permissions: GroupMutablePermissionsV1) -> Extension:
    """OpenMLS extensions/codec.rs: 0xFF02 holds the raw protobuf."""
    return Extension(XmtpExtensionType.MUTABLE_PERMISSIONS, permissions.encode())


def application_id_extension(inbox_id: str) -> Extension:
    """libxmtp crates/xmtp_mls/src/identity.rs@a53a97e (docs/xmtp-facts.md §1): a leaf's ApplicationId is VLBytes
    of the UTF-8 hex inbox id."""
    return Extension(XmtpExtensionType.APPLICATION_ID, opaque(inbox_id.encode()))


def last_resort_extension() -> Extension:
    """libxmtp crates/xmtp_mls/src/identity.rs@a53a97e (docs/xmtp-facts.md §1): every key package carries an empty
    LastResort extension."""
    return Extension(XmtpExtensionType.LAST_RESORT, b"")


def _find(extensions: Iterable[Extension], extension_type: XmtpExtensionType) -> bytes:
    for extension in extensions:
        if extension.extension_type == extension_type:
            return extension.extension_data
    raise Rejected(ExtensionReason.MISSING_EXTENSION, extension_type.name)


def read_immutable_metadata(extensions: Iterable[Extension]) -> GroupMetadataV1:
    """libxmtp crates/xmtp_mls_common/src/group_metadata.rs@a53a97e: unwrap 0xF000, decode it, require a known
    conversation type and both DM members."""
    wrapper = decode_shared(Metadata, _find(extensions, XmtpExtensionType.IMMUTABLE_METADATA))
    metadata = decode_shared(GroupMetadataV1, wrapper.metadata)
    if not isinstance(metadata.conversation_type, ConversationType) or not metadata.conversation_type:
        raise Rejected(ExtensionReason.INVALID_CONVERSATION_TYPE, str(int(metadata.conversation_type)))
    dm = metadata.dm_members
    if dm is not None and (dm.dm_member_one is None or dm.dm_member_two is None):
        raise Rejected(ExtensionReason.MISSING_DM_MEMBER)
    return metadata


def read_mutable_metadata(extensions: Iterable[Extension]) -> GroupMutableMetadataV1:
    """libxmtp crates/xmtp_mls_common/src/group_mutable_metadata.rs@a53a97e: decode 0xFF00; admin_list and
    super_admin_list are required."""
    metadata = decode_shared(GroupMutableMetadataV1, _find(extensions, XmtpExtensionType.MUTABLE_METADATA))
    if metadata.admin_list is None:
        raise Rejected(ExtensionReason.MISSING_ADMIN_LIST)
    if metadata.super_admin_list is None:
        raise Rejected(ExtensionReason.MISSING_SUPER_ADMIN_LIST)
    return metadata


def read_membership(extensions: Iterable[Extension]) -> GroupMembership:
    """libxmtp crates/xmtp_mls/src/groups/group_membership.rs@a53a97e: decode 0xFF01."""
    return decode_shared(GroupMembership, _find(extensions, XmtpExtensionType.GROUP_MEMBERSHIP))


def read_mutable_permissions(extensions: Iterable[Extension]) -> GroupMutablePermissionsV1:
    """libxmtp crates/xmtp_mls/src/groups/group_permissions.rs@a53a97e: decode 0xFF02
    (``permissions.Policies.from_proto`` checks the policies)."""
    return decode_shared(GroupMutablePermissionsV1, _find(extensions, XmtpExtensionType.MUTABLE_PERMISSIONS))


def read_application_id(extension: Extension) -> str:
    """libxmtp crates/xmtp_mls/src/identity.rs@a53a97e (docs/xmtp-facts.md §1): the inbox id in a leaf's
    ApplicationId extension."""
    try:
        return OPAQUE.decode(extension.extension_data).decode()
    except UnicodeDecodeError:
        raise DecodeError("ApplicationId", "inbox id is not UTF-8") from None


_READERS = {
    XmtpExtensionType.IMMUTABLE_METADATA: read_immutable_metadata,
    XmtpExtensionType.MUTABLE_METADATA: read_mutable_metadata,
    XmtpExtensionType.GROUP_MEMBERSHIP: read_membership,
    XmtpExtensionType.MUTABLE_PERMISSIONS: read_mutable_permissions,
}


def decode_equivalent(a: Extension, b: Extension) -> bool:
    """libxmtp crates/xmtp_mls/src/groups/validated_commit.rs@a53a97e (docs/xmtp-facts.md §3.5): two group
    extensions hold one value (equal bytes or decoded).

    Maps compare as dicts (prost writes them in hash order); repeated fields
    (admin lists, failed_installations, And/Any policies) compare in order.
    """
    if a.extension_type != b.extension_type:
        return False
    if a.extension_data == b.extension_data:
        return True
    read = _READERS[XmtpExtensionType(a.extension_type)]
    return read([a]) == read([b])
