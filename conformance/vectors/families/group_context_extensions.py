"""XMTP's group-context extension payloads and the leaf / key-package extensions around them (facts §1, §3).

``encoded`` is an MLS ``extension_data`` (hex): the raw protobuf for 0xFF00, 0xFF01, 0xFF02 (and the
key-package extensions 0xFF03, 0xFF04), the protobuf inside a TLS ``opaque<V>`` for 0xF000 (OpenMLS
``Metadata``), TLS structures for RequiredCapabilities (0x0003) and ApplicationId (0x0001), nothing
for LastResort (0x000A). The ``type`` names the extension type and the structure.

``decoded`` holds a protobuf message as an object of its fields, by proto field name: every field that is
present (a field absent from ``decoded`` is absent on the wire: an unset message, ``optional`` or oneof
member); scalars with their value even when it is proto3's default; bytes as lowercase hex; enums as
their number; repeated fields as lists in wire order; maps as objects. The encoding is canonical (fields
in number order, defaults omitted, maps sorted by key); libxmtp (prost) writes maps in hash order, so an
implementation compares decoded values for the types with maps, never bytes (facts §3.5).

Questions: ``decode`` (``type``, ``encoded``) answered ``{result, reason, decoded}``, and
``encode`` (``type``, ``decoded``) answered ``{encoded}``. For the group extensions
(0xF000, 0xFF00, 0xFF01, 0xFF02) also ``decode`` of the same value with its maps in
descending key order (when that differs), and ``equivalent`` (``type``, ``encoded``,
``other``) of the value with itself and with that reordering, answered ``{equivalent:
bool}``: whether the two hold one value (libxmtp ``validated_commit.rs``).
"""

from __future__ import annotations

import dataclasses
import random
from typing import Any, Callable, Literal, Union

from pydantic import BaseModel, Field

from spec_model.mls.codec import DecodeError, opaque
from spec_model.mls.extensions import RequiredCapabilities
from spec_model.mls.group_context import Extension
from spec_model.xmtp.extensions import (
    APP_DATA, DESCRIPTION, GROUP_NAME, ConversationType, GroupMembership, GroupMetadataV1,
    GroupMutableMetadataV1, GroupMutablePermissionsV1, Inboxes, Metadata, XmtpExtensionType, application_id_extension,
    decode_equivalent, immutable_metadata_extension, last_resort_extension, membership_extension,
    mutable_metadata_extension, new_dm_metadata, new_dm_mutable_metadata, new_group_membership, new_group_metadata,
    new_group_mutable_metadata, permissions_extension, read_application_id,
)
from spec_model.xmtp.identity import inbox_id
from spec_model.xmtp.key_package import (
    GROUP_REQUIRED_CAPABILITIES, WelcomePointeeEncryptionAeadType, WelcomePointeeEncryptionAeadTypesExtension,
    WelcomeWrapperEncryption,
)
from spec_model.xmtp.api import WelcomeWrapperAlgorithm
from spec_model.xmtp.permissions import AllOf, AnyOf, Option, Policies, Preset, preset_policies
from spec_model.xmtp.profiles import LIBXMTP, SEED
from spec_model.xmtp.proto import Map, Message, MessageKind

from .. import case_id, expect
from ..proto_json import from_json, json_model, to_json
from ..family import Exchange, Hex, codec_exchanges
from ..formats import CodecCase, Verdict
from ..questions import judge_decoded

FORMAT = "codec"
AREA = "group metadata"
FAMILY = "group_context_extensions"
MALFORMED = "malformed_extension"
"""The reason an answer gives for bytes that do not decode (every case here decodes)."""
MAP_RULE = "; maps have no canonical wire order, compare decoded values (facts §3.5, validated_commit.rs)"


# ------------------------------------------------------------------ protobuf message <-> decoded fields

def reversed_maps(message: Message) -> bytes:
    """A non-canonical encoding of ``message``: every map's entries (at any depth of embedded messages
    outside map values) written in descending key order, as a hash-ordered writer might."""
    cls, out = type(message), bytearray()
    for name, spec in cls.fields().values():
        value = getattr(message, name)
        if isinstance(spec.kind, Map):
            for key in sorted(value, reverse=True):
                out += cls(**{name: {key: value[key]}}).encode()
        elif isinstance(spec.kind, MessageKind) and value is not None:
            for item in (value if spec.repeated else (value,)):
                alone = cls(**{name: (item,) if spec.repeated else item}).encode()
                out += alone[:len(alone) - len(item.encode())] + reversed_maps(item)
        else:
            out += cls(**{name: value}).encode()
    return bytes(out)


# ------------------------------------------------------------------ the types

@dataclasses.dataclass(frozen=True)
class Codec:
    """How one ``type`` decodes ``extension_data`` into fields and encodes fields back."""

    extension_type: int
    decode: Callable[[bytes], dict[str, Any]]
    encode: Callable[[dict[str, Any]], bytes]
    model: type[BaseModel]                # what ``decode`` gives (``family.py``)
    message: type[Message] | None = None  # a group extension that decode_equivalent compares
    wrapped: bool = False                 # the protobuf sits in a TLS opaque<V>


def _protobuf(extension_type: int, cls: type[Message], *, group: bool = True) -> Codec:
    return Codec(extension_type, lambda data: to_json(cls.decode(data)),
                 lambda fields: from_json(cls, fields).encode(), json_model(cls), cls if group else None)


def _empty(data: bytes) -> dict[str, Any]:
    if data:
        raise DecodeError("LastResort", "extension_data is empty")
    return {}


class RequiredCapabilitiesJson(Exchange):
    """RFC 9420 §11.1 RequiredCapabilities."""

    extension_types: list[int]
    proposal_types: list[int]
    credential_types: list[int]


class ApplicationIdJson(Exchange):
    """RFC 9420 §5.3.3 ApplicationId: XMTP's is the UTF-8 inbox id (docs/xmtp-facts.md §1)."""

    inbox_id: str


class LastResortJson(Exchange):
    """OpenMLS LastResort: no fields (its extension_data is empty)."""


def _required_capabilities(data: bytes) -> dict[str, Any]:
    rc = RequiredCapabilities.decode(data)
    return {"extension_types": list(rc.extension_types), "proposal_types": list(rc.proposal_types),
            "credential_types": list(rc.credential_types)}


CODECS: dict[str, Codec] = {
    "0xF000 openmls.Metadata(xmtp.mls.message_contents.GroupMetadataV1)": Codec(
        XmtpExtensionType.IMMUTABLE_METADATA,
        lambda data: to_json(GroupMetadataV1.decode(Metadata.decode(data).metadata)),
        lambda fields: Metadata(from_json(GroupMetadataV1, fields).encode()).encode(),
        json_model(GroupMetadataV1), GroupMetadataV1, wrapped=True),
    "0xFF00 xmtp.mls.message_contents.GroupMutableMetadataV1": _protobuf(
        XmtpExtensionType.MUTABLE_METADATA, GroupMutableMetadataV1),
    "0xFF01 xmtp.mls.message_contents.GroupMembership": _protobuf(
        XmtpExtensionType.GROUP_MEMBERSHIP, GroupMembership),
    "0xFF02 xmtp.mls.message_contents.GroupMutablePermissionsV1": _protobuf(
        XmtpExtensionType.MUTABLE_PERMISSIONS, GroupMutablePermissionsV1),
    "0x0003 mls.RequiredCapabilities": Codec(
        0x0003, _required_capabilities,
        lambda f: RequiredCapabilities(tuple(f["extension_types"]), tuple(f["proposal_types"]),
                                       tuple(f["credential_types"])).encode(), RequiredCapabilitiesJson),
    "0x0001 mls.ApplicationId(UTF-8 inbox id)": Codec(
        XmtpExtensionType.APPLICATION_ID, lambda data: {"inbox_id": read_application_id(Extension(1, data))},
        lambda f: opaque(f["inbox_id"].encode()), ApplicationIdJson),
    "0x000A openmls.LastResort": Codec(XmtpExtensionType.LAST_RESORT, _empty, lambda f: b"", LastResortJson),
    "0xFF04 WelcomePointeeEncryptionAeadTypesExtension": _protobuf(
        XmtpExtensionType.WELCOME_POINTEE_AEAD, WelcomePointeeEncryptionAeadTypesExtension, group=False),
    "0xFF03 WelcomeWrapperEncryption": _protobuf(
        XmtpExtensionType.WELCOME_WRAPPER, WelcomeWrapperEncryption, group=False),
}
_TYPE_OF = {codec.extension_type: name for name, codec in CODECS.items()}


# ------------------------------------------------------------------ cases

def _case(name: str, extension: Extension, description: str, rule: str, tags: tuple[str, ...]) -> CodecCase:
    type_ = _TYPE_OF[extension.extension_type]
    decoded = CODECS[type_].decode(extension.extension_data)
    return CodecCase(id=case_id(FAMILY, name), description=description, rule=rule, tags=list(tags), type=type_,
                     encoded=extension.extension_data.hex(), decoded=decoded)


def _inboxes(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [inbox_id("0x" + rng.randbytes(20).hex(), rng.randrange(3)) for _ in range(n)]


def _composed_policies() -> Policies:
    """A custom policy set with nested And/Any conditions in every policy type."""
    admin_or_allow = AnyOf((Option.ADMIN_OR_SUPER_ADMIN, AllOf((Option.ALLOW, Option.SUPER_ADMIN_ONLY))))
    return Policies(
        add_member=admin_or_allow,
        remove_member=AllOf((Option.ADMIN_OR_SUPER_ADMIN, Option.SUPER_ADMIN_ONLY)),
        update_metadata={GROUP_NAME: AnyOf((Option.ALLOW, Option.DENY)),
                         DESCRIPTION: AllOf((Option.ADMIN_OR_SUPER_ADMIN, AnyOf((Option.SUPER_ADMIN_ONLY,)))),
                         APP_DATA: Option.ALLOW},
        add_admin=AnyOf((Option.SUPER_ADMIN_ONLY, Option.ADMIN_OR_SUPER_ADMIN)),
        remove_admin=AllOf((Option.SUPER_ADMIN_ONLY,)),
        update_permissions=Option.SUPER_ADMIN_ONLY,
    )


def cases() -> list[CodecCase]:
    creator, other, admin, admin2, super2 = _inboxes(5, 0xF000)
    members = _inboxes(4, 0xFF01)
    failed = [random.Random(0xFF01).randbytes(32) for _ in range(2)]
    f000 = "facts §3.1; OpenMLS extensions/codec.rs Metadata (TLS opaque<V>); group_metadata.proto"
    ff00 = "facts §3.2; libxmtp GroupMutableMetadata::new_default; group_mutable_metadata.proto" + MAP_RULE
    ff01 = "facts §3.3; group_membership.proto" + MAP_RULE
    ff02 = "facts §3.4, §4.3; libxmtp PolicySet presets; group_permissions.proto" + MAP_RULE
    generated = [
        _case("immutable_metadata_group", immutable_metadata_extension(new_group_metadata(creator)),
              "Given a group's immutable metadata {GROUP, creator_account_address '', creator_inbox_id}, When "
              "encoded as 0xF000, Then the protobuf sits in a TLS opaque<V>", f000, ("0xf000",)),
        _case("immutable_metadata_dm", immutable_metadata_extension(new_dm_metadata(creator, other)),
              "Given a DM's immutable metadata with dm_members (member one the creator), When encoded as 0xF000, "
              "Then both members are embedded Inbox messages", f000, ("0xf000", "dm")),
        _case("immutable_metadata_sync", immutable_metadata_extension(GroupMetadataV1(
              conversation_type=ConversationType.SYNC, creator_inbox_id=creator)),
              "Given a history-sync group's immutable metadata (conversation_type SYNC = 3), When encoded as "
              "0xF000, Then it is wrapped like a group's", f000, ("0xf000", "sync")),
    ]
    for profile, label in ((LIBXMTP, "libxmtp"), (SEED, "seed")):
        keys = "with group_pinned_frame_url (seed \"Pin messages\")" if profile.pinned_messages else \
            "without group_pinned_frame_url"
        generated.append(_case(
            f"mutable_metadata_default_group_{label}", mutable_metadata_extension(
                new_group_mutable_metadata(creator, profile=profile)),
            f"Given a new group's default mutable metadata in the {label} profile (every text key '', {keys}; "
            "no admins; the creator the only super admin), When encoded as 0xFF00, Then the attributes map is "
            "sorted by key and both admin lists are present", ff00, ("0xff00", label)))
    generated += [
        _case("mutable_metadata_dm", mutable_metadata_extension(new_dm_mutable_metadata(profile=LIBXMTP)),
              "Given a DM's default mutable metadata (no app_data, both admin lists present and empty), When "
              "encoded as 0xFF00, Then the empty admin lists are written as empty embedded messages", ff00,
              ("0xff00", "dm", "libxmtp")),
        _case("mutable_metadata_with_admins", mutable_metadata_extension(dataclasses.replace(
              new_group_mutable_metadata(creator, profile=LIBXMTP, group_name="Team ✓", description="Ünïcode",
                                         group_image_url_square="https://example.com/a.png", app_data="{}"),
              admin_list=Inboxes((admin, admin2)), super_admin_list=Inboxes((creator, super2)))),
              "Given mutable metadata with a name, description, image and app_data and two admins and two super "
              "admins, When encoded as 0xFF00, Then the admin lists keep their order", ff00, ("0xff00", "libxmtp")),
        _case("mutable_metadata_with_disappearing_settings", mutable_metadata_extension(new_group_mutable_metadata(
              creator, profile=LIBXMTP, disappearing=(1_750_000_000_000_000_000, 86_400_000_000_000))),
              "Given a group with disappearing messages from 1750000000000000000 ns, lasting one day, When encoded "
              "as 0xFF00, Then message_disappear_from_ns and message_disappear_in_ns hold decimal strings",
              ff00, ("0xff00", "disappearing", "libxmtp")),
        _case("membership_creator_only", membership_extension(new_group_membership(creator)),
              "Given a new group's membership (the creator at sequence id 0), When encoded as 0xFF01, Then it is "
              "one map entry whose value 0 is omitted", ff01, ("0xff01",)),
        _case("membership_members_and_failed_installations", membership_extension(GroupMembership(
              members={members[0]: 1, members[1]: 7, members[2]: 300, members[3]: 2**64 - 1},
              failed_installations=tuple(failed))),
              "Given a membership of four inboxes (sequence ids 1, 7, 300, 2^64-1) and two failed installations, "
              "When encoded as 0xFF01, Then entries are sorted by inbox id and failed installations keep their "
              "order", ff01, ("0xff01",)),
    ]
    for profile, label in ((SEED, "seed"), (LIBXMTP, "libxmtp")):
        for preset in (Preset.ALL_MEMBERS, Preset.ADMINS_ONLY, Preset.DM):
            generated.append(_case(
                f"permissions_{preset.value}_{label}",
                permissions_extension(preset_policies(preset, profile).to_proto(profile)),
                f"Given the {preset.value} preset of the {label} profile, When its policy set is encoded as 0xFF02, "
                "Then every policy is a base value and the metadata policies a map sorted by key",
                ff02, ("0xff02", label, preset.value)))
    generated += [
        _case("permissions_and_any_composition", permissions_extension(_composed_policies().to_proto(LIBXMTP)),
              "Given a custom policy set nesting And and Any conditions in membership, metadata and "
              "admin policies, When encoded as 0xFF02, Then conditions are embedded and_condition/any_condition "
              "messages whose policies keep their order", ff02, ("0xff02", "custom")),
        _case("required_capabilities_xmtp_group", Extension(0x0003, GROUP_REQUIRED_CAPABILITIES.encode()),
              "Given the RequiredCapabilities of every XMTP group (extensions 0xFF01, 0xFF00, 0xFF02, 0xF000, "
              "LastResort, ApplicationId; proposal 7; Basic credentials), When encoded, Then three TLS uint16 "
              "vectors", "RFC 9420 §11.1; libxmtp groups/mod.rs build_group_config", ("required_capabilities",)),
        _case("application_id_leaf_extension", application_id_extension(creator),
              "Given a leaf's ApplicationId, When encoded, Then it is the TLS opaque<V> of the inbox id's 64 "
              "UTF-8 hex characters", "facts §1; libxmtp identity.rs; RFC 9420 §5.3.3", ("leaf",)),
        _case("last_resort_key_package_extension", last_resort_extension(),
              "Given the LastResort key-package extension, When encoded, Then its extension_data is empty",
              "facts §1; OpenMLS LastResortExtension", ("key_package",)),
        _case("welcome_pointee_aead_types", Extension(XmtpExtensionType.WELCOME_POINTEE_AEAD,
              WelcomePointeeEncryptionAeadTypesExtension(
                  (WelcomePointeeEncryptionAeadType.CHACHA20_POLY1305,)).encode()),
              "Given the key-package extension 0xFF04 accepting CHACHA20_POLY1305 welcome pointers, When encoded, "
              "Then the repeated enum is packed (0a 01 03)", "facts §1, §7.3; XIP-74",
              ("key_package", "welcome_pointers")),
        _case("welcome_wrapper_encryption", Extension(XmtpExtensionType.WELCOME_WRAPPER, WelcomeWrapperEncryption(
              random.Random(0xFF03).randbytes(1216), WelcomeWrapperAlgorithm.XWING_MLKEM_768_DRAFT_6).encode()),
              "Given the key-package extension 0xFF03 with a 1216-byte public key (placeholder bytes of an X-Wing "
              "key's length) and algorithm XWING_MLKEM_768_DRAFT_6 = 2, When encoded, Then pub_key then algorithm",
              "facts §1, §7.3; wrapper_encryption.proto", ("key_package", "post_quantum")),
    ]
    return generated


def _reordered(case: CodecCase) -> str:
    """The case's value with every map in descending key order (``extension_data`` hex)."""
    codec = CODECS[case.type]
    shuffled = reversed_maps(from_json(codec.message, case.decoded))
    return (Metadata(shuffled).encode() if codec.wrapped else shuffled).hex()


def questions(case: CodecCase) -> list[dict[str, Any]]:
    """Decode and encode; for a group extension, its maps in another order decode and compare the same."""
    asked = [{"ask": "decode", "type": case.type, "encoded": case.encoded, "context": {}},
             {"ask": "encode", "type": case.type, "decoded": case.decoded}]
    if CODECS[case.type].message is None:
        return asked
    reordered = _reordered(case)
    if reordered != case.encoded:
        asked.append({"ask": "decode", "type": case.type, "encoded": reordered, "context": {}})
    return asked + [{"ask": "equivalent", "type": case.type, "encoded": case.encoded, "other": other}
                    for other in dict.fromkeys([case.encoded, reordered])]


def answer(question: dict) -> dict:
    codec = CODECS[question["type"]]
    if question["ask"] == "encode":
        return {"encoded": codec.encode(question["decoded"]).hex()}
    if question["ask"] == "equivalent":
        a, b = (Extension(codec.extension_type, bytes.fromhex(question[k])) for k in ("encoded", "other"))
        return {"equivalent": decode_equivalent(a, b)}
    try:
        decoded = codec.decode(bytes.fromhex(question["encoded"]))
    except DecodeError:
        return {"result": Verdict.INVALID.value, "reason": MALFORMED}
    return {"result": Verdict.VALID.value, "reason": None, "decoded": decoded}


def judge(case: CodecCase, question: dict, answer: dict) -> None:
    """Both encodings decode to the case's fields and are equivalent to it; encoding gives the case's bytes."""
    if question["ask"] == "encode":
        return expect(f"{case.id} encoded", case.encoded, answer.get("encoded"))
    reordered = question.get("other", question["encoded"]) != case.encoded
    if question["ask"] == "decode":
        return judge_decoded(f"{case.id}{' maps in another order' if reordered else ''}", case.expected,
                             case.decoded, answer)
    expect(f"{case.id} decode-equivalent to {'its maps in another order' if reordered else 'itself'}", True,
           answer.get("equivalent"))

# ------------------------------------------------------------------ the questions and answers, typed (``family.py``)

class Equivalent(Exchange):
    ask: Literal["equivalent"]
    type: str
    encoded: Hex
    other: Hex


class EquivalentAnswer(Exchange):
    equivalent: bool = Field(description="whether both encodings hold one value")


EXCHANGES = {**codec_exchanges(Union[tuple(dict.fromkeys(codec.model for codec in CODECS.values()))]),
             "equivalent": (Equivalent, EquivalentAnswer)}
