"""facts §1, §3: XMTP's group-context extensions — numbers, layouts, creation-time values, decoding rules.

* every message round-trips, and reading an extension gives back what was built;
* encodings whose map entries come in another order (libxmtp writes hash
  order) are decode-equivalent; changed values are not;
* 0xFF00 without admin_list or super_admin_list, an unknown conversation type
  and a DM without both members are rejected with their reasons; bytes that
  are not protobuf raise DecodeError naming the field;
* 0xF000 is a TLS opaque<V> around the protobuf, the others raw protobuf.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spec_model.mls.codec import DecodeError
from spec_model.mls.group_context import Extension
from spec_model.mls.reasons import Rejected
from spec_model.xmtp.extensions import (
    BaseMetadataPolicy, ConversationType, DmMembers, ExtensionReason, GroupMembership, GroupMetadataV1,
    GroupMutableMetadataV1, GroupMutablePermissionsV1, Inbox, Inboxes, MembershipCondition, MembershipDiff,
    MembershipPolicy, MetadataCondition, MetadataPolicy, PermissionsUpdatePolicy, PolicySet, XmtpExtensionType,
    application_id_extension, check_attribute, check_group_size, decode_equivalent, disappearing_settings, dm_key,
    immutable_metadata_extension, last_resort_extension, membership_diff, membership_extension,
    mutable_metadata_extension, new_dm_metadata, new_dm_mutable_metadata, new_group_membership, new_group_metadata,
    new_group_mutable_metadata, permissions_extension, read_application_id, read_immutable_metadata,
    read_membership, read_mutable_metadata, read_mutable_permissions,
)
from spec_model.xmtp.profiles import LIBXMTP, SEED
from spec_model.xmtp.proto import encode_varint

ALIX = "a" * 64
BO = "b" * 64
inbox_ids = st.text("0123456789abcdef", min_size=1, max_size=64)
texts = st.text(max_size=20)


def rejected(reason, call, *args, **kwargs):
    with pytest.raises(Rejected) as e:
        call(*args, **kwargs)
    assert e.value.reason is reason


def map_entries_shuffled(message_type, field: str, entries: dict, rest, seed: int) -> bytes:
    """An encoding of ``rest`` with ``field``'s map entries written one by one in a shuffled order."""
    items = list(entries.items())
    random.Random(seed).shuffle(items)
    return b"".join(message_type(**{field: dict([item])}).encode() for item in items) + rest.encode()


def test_extension_type_numbers():
    assert {t.name: t.value for t in XmtpExtensionType} == {
        "APPLICATION_ID": 1, "LAST_RESORT": 10, "IMMUTABLE_METADATA": 0xF000, "MUTABLE_METADATA": 0xFF00,
        "GROUP_MEMBERSHIP": 0xFF01, "MUTABLE_PERMISSIONS": 0xFF02, "WELCOME_WRAPPER": 0xFF03,
        "WELCOME_POINTEE_AEAD": 0xFF04,
    }


# ------------------------------------------------------------------ field numbers, as bytes

def test_group_metadata_field_numbers():
    metadata = GroupMetadataV1(ConversationType.DM, "", "c", DmMembers(Inbox("x"), Inbox("y")), b"\x08\x01")
    #        conversation_type=2  creator_inbox_id="c"  dm_members{1:{1:"x"} 2:{1:"y"}}        oneshot_message
    assert metadata.encode().hex() == "0802" "1a0163" "220a" "0a030a0178" "12030a0179" "2a020801"
    assert GroupMetadataV1.decode(metadata.encode()) == metadata


def test_mutable_metadata_field_numbers():
    metadata = GroupMutableMetadataV1({"k": "v"}, Inboxes(("a",)), Inboxes())
    assert metadata.encode().hex() == "0a060a016b120176" "12030a0161" "1a00"


def test_membership_field_numbers():
    membership = GroupMembership({"a": 7}, (b"\x01",))
    assert membership.encode().hex() == "0a050a01611007" "120101"


def test_permissions_field_numbers():
    allow = MembershipPolicy(base=1)
    superadmin = PermissionsUpdatePolicy(base=3)
    proto = GroupMutablePermissionsV1(PolicySet(
        allow, MembershipPolicy(any_condition=MembershipCondition((allow,))), {"k": MetadataPolicy(base=4)},
        superadmin, superadmin, superadmin))
    assert proto.encode().hex() == (
        "0a21" "0a020801" "12061a040a020801" "1a070a016b12020804" "22020803" "2a020803" "32020803")
    assert GroupMutablePermissionsV1.decode(proto.encode()) == proto


# ------------------------------------------------------------------ round trips through extensions

@given(inbox_ids, inbox_ids)
def test_immutable_metadata_round_trip(creator, other):
    for metadata in (new_group_metadata(creator), new_dm_metadata(creator, other)):
        extension = immutable_metadata_extension(metadata)
        assert extension.extension_type == 0xF000
        assert read_immutable_metadata([extension]) == metadata


@given(st.dictionaries(texts, texts), st.lists(inbox_ids), st.lists(inbox_ids, min_size=1))
def test_mutable_metadata_round_trip(attributes, admins, super_admins):
    metadata = GroupMutableMetadataV1(attributes, Inboxes(tuple(admins)), Inboxes(tuple(super_admins)))
    extension = mutable_metadata_extension(metadata)
    assert extension == Extension(0xFF00, metadata.encode())
    assert read_mutable_metadata([extension]) == metadata


@given(st.dictionaries(inbox_ids, st.integers(0, 2**64 - 1)), st.lists(st.binary(min_size=32, max_size=32)))
def test_membership_round_trip(members, failed):
    membership = GroupMembership(members, tuple(failed))
    extension = membership_extension(membership)
    assert extension == Extension(0xFF01, membership.encode())
    assert read_membership([extension]) == membership


def test_permissions_round_trip():
    nested = MetadataPolicy(and_condition=MetadataCondition((MetadataPolicy(base=1), MetadataPolicy(base=3))))
    proto = GroupMutablePermissionsV1(PolicySet(update_metadata_policy={"group_name": nested}))
    extension = permissions_extension(proto)
    assert extension == Extension(0xFF02, proto.encode())
    assert read_mutable_permissions([extension]) == proto


def test_application_id_and_last_resort():
    extension = application_id_extension(ALIX)
    assert extension == Extension(1, bytes([0x40, 0x40]) + ALIX.encode())  # VLBytes: two-byte varint 64
    assert read_application_id(extension) == ALIX
    assert last_resort_extension() == Extension(10, b"")


def test_missing_extension_rejected():
    rejected(ExtensionReason.MISSING_EXTENSION, read_mutable_metadata, [membership_extension(GroupMembership())])


# ------------------------------------------------------------------ the ImmutableMetadata TLS wrapper

def test_immutable_metadata_is_wrapped_in_tls_opaque():
    metadata = new_group_metadata(ALIX)
    protobuf = metadata.encode()
    assert len(protobuf) == 68 and protobuf.hex().startswith("08011a40")
    assert immutable_metadata_extension(metadata).extension_data == bytes([0x40, 0x44]) + protobuf  # varint 68


def test_immutable_metadata_without_wrapper_or_with_trailing_bytes_is_malformed():
    protobuf = new_group_metadata(ALIX).encode()
    with pytest.raises(DecodeError):  # 0x08 read as a length 8: 60 bytes left over
        read_immutable_metadata([Extension(0xF000, protobuf)])
    data = immutable_metadata_extension(new_group_metadata(ALIX)).extension_data
    with pytest.raises(DecodeError) as e:
        read_immutable_metadata([Extension(0xF000, data + b"\x00")])
    assert e.value.path.startswith("Metadata")


def test_other_extensions_are_not_wrapped():
    metadata = new_group_mutable_metadata(ALIX)
    wrapped = bytes([len(metadata.encode())]) + metadata.encode()
    with pytest.raises(DecodeError):
        read_mutable_metadata([Extension(0xFF00, wrapped)])


# ------------------------------------------------------------------ decode-equivalence (facts §3.5)

@given(st.dictionaries(texts, texts, min_size=2), st.integers())
def test_mutable_metadata_with_shuffled_attributes_is_equivalent(attributes, seed):
    metadata = GroupMutableMetadataV1(attributes, Inboxes(), Inboxes((ALIX,)))
    shuffled = map_entries_shuffled(
        GroupMutableMetadataV1, "attributes", attributes, GroupMutableMetadataV1({}, Inboxes(), Inboxes((ALIX,))), seed)
    canonical = mutable_metadata_extension(metadata)
    assert decode_equivalent(canonical, Extension(0xFF00, shuffled))
    changed = dict(attributes)
    changed[next(iter(changed))] += "x"
    assert not decode_equivalent(canonical, mutable_metadata_extension(
        GroupMutableMetadataV1(changed, Inboxes(), Inboxes((ALIX,)))))


@given(st.dictionaries(inbox_ids, st.integers(0, 2**64 - 1), min_size=2), st.integers())
def test_membership_with_shuffled_members_is_equivalent(members, seed):
    failed = GroupMembership(failed_installations=(b"\x01", b"\x02"))
    shuffled = map_entries_shuffled(GroupMembership, "members", members, failed, seed)
    canonical = membership_extension(GroupMembership(members, failed.failed_installations))
    assert decode_equivalent(canonical, Extension(0xFF01, shuffled))
    reordered = membership_extension(GroupMembership(members, (b"\x02", b"\x01")))
    assert not decode_equivalent(canonical, reordered)  # failed_installations compare as an ordered list


@given(st.dictionaries(texts, st.integers(1, 4).map(lambda b: MetadataPolicy(base=b)), min_size=2), st.integers())
def test_permissions_with_shuffled_metadata_policies_are_equivalent(policies, seed):
    shuffled = map_entries_shuffled(PolicySet, "update_metadata_policy", policies, PolicySet(), seed)
    canonical = permissions_extension(GroupMutablePermissionsV1(PolicySet(update_metadata_policy=policies)))
    assert decode_equivalent(canonical, Extension(0xFF02, b"\x0a" + encode_varint(len(shuffled)) + shuffled))


def test_equivalence_needs_the_same_type():
    assert not decode_equivalent(Extension(0xFF00, b""), Extension(0xFF01, b""))


# ------------------------------------------------------------------ required fields and enums

def test_admin_lists_are_required():
    attributes_only = GroupMutableMetadataV1({"group_name": "x"})
    rejected(ExtensionReason.MISSING_ADMIN_LIST, read_mutable_metadata, [mutable_metadata_extension(attributes_only)])
    no_super = GroupMutableMetadataV1({}, admin_list=Inboxes())
    rejected(ExtensionReason.MISSING_SUPER_ADMIN_LIST, read_mutable_metadata, [mutable_metadata_extension(no_super)])
    empty_lists = GroupMutableMetadataV1({}, Inboxes(), Inboxes())  # present but empty: accepted
    assert read_mutable_metadata([mutable_metadata_extension(empty_lists)]) == empty_lists


@pytest.mark.parametrize("number", [0, 5, 99, -1])
def test_unknown_conversation_type_rejected(number):
    extension = immutable_metadata_extension(GroupMetadataV1(number, "", ALIX))
    rejected(ExtensionReason.INVALID_CONVERSATION_TYPE, read_immutable_metadata, [extension])


@pytest.mark.parametrize("kind", list(ConversationType)[1:])
def test_known_conversation_types_accepted(kind):
    extension = immutable_metadata_extension(GroupMetadataV1(kind, "", ALIX))
    assert read_immutable_metadata([extension]).conversation_type is kind


def test_dm_members_both_required():
    half = GroupMetadataV1(ConversationType.DM, "", ALIX, DmMembers(dm_member_one=Inbox(ALIX)))
    rejected(ExtensionReason.MISSING_DM_MEMBER, read_immutable_metadata, [immutable_metadata_extension(half)])


def test_unknown_base_policy_decodes_as_int():
    decoded = MetadataPolicy.decode(MetadataPolicy(base=9).encode())
    assert decoded.base == 9 and not isinstance(decoded.base, BaseMetadataPolicy)


@pytest.mark.parametrize("extension_type, hex_data, path", [
    (0xFF00, "1001", "GroupMutableMetadataV1.admin_list"),                        # varint where a message belongs
    (0xFF00, "12030a0561", "GroupMutableMetadataV1.admin_list.inbox_ids"),         # truncated inbox id
    (0xFF00, "0a030a0180", "GroupMutableMetadataV1.attributes"),                   # key not UTF-8
    (0xFF01, "0a030a0261", "GroupMembership.members"),                             # truncated key
    (0xFF01, "1001", "GroupMembership.failed_installations"),                      # varint where bytes belong
    (0xFF02, "0a0822060a0208000a00", "GroupMutablePermissionsV1.policies.add_admin_policy.base"),
    (0xFF02, "0a041a020801", "GroupMutablePermissionsV1.policies.update_metadata_policy"),
])
def test_malformed_protobuf_names_the_field(extension_type, hex_data, path):
    read = {0xFF00: read_mutable_metadata, 0xFF01: read_membership, 0xFF02: read_mutable_permissions}[extension_type]
    with pytest.raises(DecodeError) as e:
        read([Extension(extension_type, bytes.fromhex(hex_data))])
    assert e.value.path == path


# ------------------------------------------------------------------ creation-time values (facts §3.2, §3.3)

def test_new_group_metadata():
    assert new_group_metadata(ALIX) == GroupMetadataV1(ConversationType.GROUP, "", ALIX, None, None)
    assert new_dm_metadata(ALIX, BO) == GroupMetadataV1(
        ConversationType.DM, "", ALIX, DmMembers(Inbox(ALIX), Inbox(BO)), None)


def test_new_group_mutable_metadata_per_profile():
    assert new_group_mutable_metadata(ALIX, profile=LIBXMTP, group_name="Team") == GroupMutableMetadataV1(
        {"group_name": "Team", "description": "", "group_image_url_square": "", "app_data": ""},
        Inboxes(()), Inboxes((ALIX,)))
    assert new_group_mutable_metadata(ALIX, profile=SEED) == GroupMutableMetadataV1(
        {"group_name": "", "description": "", "group_image_url_square": "", "group_pinned_frame_url": "",
         "app_data": ""},
        Inboxes(()), Inboxes((ALIX,)))
    with pytest.raises(ValueError):
        new_group_mutable_metadata(ALIX, profile=LIBXMTP, group_pinned_frame_url="https://frame")


def test_new_group_mutable_metadata_disappearing():
    metadata = new_group_mutable_metadata(ALIX, profile=LIBXMTP, disappearing=(1_000, -5))
    assert metadata.attributes["message_disappear_from_ns"] == "1000"
    assert metadata.attributes["message_disappear_in_ns"] == "-5"
    assert disappearing_settings(metadata) == (1000, -5)
    assert disappearing_settings(new_group_mutable_metadata(ALIX)) is None


def test_new_dm_mutable_metadata():
    assert new_dm_mutable_metadata(profile=LIBXMTP) == GroupMutableMetadataV1(
        {"group_name": "", "description": "", "group_image_url_square": ""}, Inboxes(()), Inboxes(()))
    assert "group_pinned_frame_url" in new_dm_mutable_metadata(profile=SEED).attributes


def test_new_group_membership():
    assert new_group_membership(ALIX) == GroupMembership({ALIX: 0}, ())


def test_membership_diff():
    old = GroupMembership({"a": 1, "b": 2, "c": 3})
    new = GroupMembership({"b": 2, "c": 4, "d": 0})
    assert membership_diff(old, new) == MembershipDiff(added=("d",), removed=("a",), updated=("c",))


def test_dm_key():
    assert dm_key("BB", "aa") == dm_key("aa", "bb") == "dm:aa:bb"


# ------------------------------------------------------------------ limits

@pytest.mark.parametrize("key, limit", [
    ("group_name", 100), ("description", 1000), ("group_image_url_square", 2048), ("app_data", 8192)])
def test_attribute_limits_in_bytes(key, limit):
    check_attribute(key, "x" * limit)
    rejected(ExtensionReason.TOO_MANY_CHARACTERS, check_attribute, key, "x" * (limit + 1))
    rejected(ExtensionReason.TOO_MANY_CHARACTERS, check_attribute, key, "é" * (limit // 2 + 1))  # 2 bytes each


def test_unlimited_attributes():
    check_attribute("group_pinned_frame_url", "x" * 10_000)
    check_attribute("_commit_log_signer", "x" * 10_000)


def test_limits_apply_at_creation():
    rejected(ExtensionReason.TOO_MANY_CHARACTERS, new_group_mutable_metadata, ALIX, group_name="x" * 101)


@pytest.mark.parametrize("value", ["", " 5", "5 ", "1_000", "1e3", "0x10", "٣", str(2**63), str(-(2**63) - 1)])
def test_disappearing_settings_must_be_decimal_i64(value):
    metadata = GroupMutableMetadataV1({"message_disappear_from_ns": "1", "message_disappear_in_ns": value})
    rejected(ExtensionReason.INVALID_DISAPPEARING_SETTING, disappearing_settings, metadata)


@pytest.mark.parametrize("value, parsed", [("+7", 7), ("-7", -7), ("007", 7), (str(2**63 - 1), 2**63 - 1)])
def test_disappearing_settings_accepts_rust_i64_syntax(value, parsed):
    metadata = GroupMutableMetadataV1({"message_disappear_from_ns": value, "message_disappear_in_ns": "0"})
    assert disappearing_settings(metadata) == (parsed, 0)


@pytest.mark.parametrize("profile, largest", [(SEED, 400), (LIBXMTP, 250)])
def test_group_size(profile, largest):
    check_group_size(GroupMembership({ALIX: 0}), profile)  # a one-person group is allowed
    check_group_size(GroupMembership({str(i): 0 for i in range(largest)}), profile)
    rejected(ExtensionReason.GROUP_SIZE, check_group_size, GroupMembership({str(i): 0 for i in range(largest + 1)}),
             profile)
    rejected(ExtensionReason.GROUP_SIZE, check_group_size, GroupMembership(), profile)
