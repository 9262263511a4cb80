"""History sync's data (docs/xmtp-facts.md §9): the device-sync messages, the archive format, and export/import over a ``Store``.

Theory of operation
-------------------
This module is pure: it reads and writes messages, archives and database
rows, and never talks to the network (``history_sync.py`` runs the exchange).
A sync-group message is EncodedContent ``xmtp.org/application/x-protobuf:1.0``
carrying a ``DeviceSyncContent``: a request, an acknowledge, a reply, or
preference updates.

Archive (docs/xmtp-facts.md §9): ``u16-LE version 0 ‖ 12-byte nonce`` in clear, then one
zstd frame holding records ``u32-LE length ‖ AES-256-GCM(key, nonce + i,
BackupElement)``, i = 0, 1, ... counting records; the metadata element comes
first. The nonce is incremented as a 96-bit **little-endian** integer (mod 2^96;
libxmtp crates/xmtp_archive/src/util.rs@b649d1a ``GenericArrayExt::increment``),
the AEAD has no associated data and the length counts the ciphertext with its
16-byte tag (libxmtp crates/xmtp_archive/src/exporter.rs@b649d1a). A reader tries a record
that does not open once more under the previous nonce and counts on from there (libxmtp
crates/xmtp_archive/src/importer.rs@b649d1a, for legacy archives). Model choice:
the frame must end exactly where the file ends. Every record is authenticated and
bound to its position, but dropping *trailing* records is not detectable (§9
gives no end marker or count).

Reading is streamed, as libxmtp's ``ArchiveImporter`` reads: the frame is fed
to zstd ``_INPUT_STEP`` bytes at a time and each record is authenticated as
soon as it is complete, so a decompression bomb is refused after at most one
record (``MAX_RECORD_SIZE``) plus one step's output (``_MAX_STEP_OUTPUT``) is
held, never after inflating the whole frame.

What an archive holds (libxmtp crates/xmtp_archive/src/export_stream/*.rs@b649d1a): every group but the
sync groups, as its row and metadata (``GroupSave``: creator, attributes, admin lists, disappearing
settings, ``dm_id``; no membership, no policies, no MLS secrets); the **application** messages of those
groups, whatever their delivery status, except expired ones (libxmtp
crates/xmtp_db/src/encrypted_store/group_message.rs@b649d1a ``group_messages_paged``); the consent records.

Imported groups (libxmtp crates/xmtp_mls/src/worker/device_sync/archive.rs@b649d1a ``insert``). A group
already stored is kept as it is. Any other becomes a group of its own, as libxmtp's ``MlsGroup::insert``
builds one (libxmtp crates/xmtp_mls/src/groups/mod.rs@b649d1a): created by this installation's inbox, its
only super admin, the default (All Members) policies, the archive's name, description, image, app data and
disappearing settings, membership ``{own inbox: 0}`` (which lists no member: libxmtp
crates/xmtp_mls/src/groups/members.rs@b649d1a skips sequence id 0), stored inactive
(``MembershipState.RESTORED``) with a ``RestoredGroup`` in place of its MLS state, which refuses every MLS
message. A DM is restored the same way with its ``dm_id``'s other inbox as the second DM member. A Welcome
for the group (any member's ``update_installations`` after the new installation registered) replaces that
row with a live group; the imported messages and consent stay. Known limit: syncing a restored group
before its Welcome moves its cursor past envelopes it could not read, so those are not re-read after the
Welcome.

Field numbers. Every message here uses libxmtp's numbers (libxmtp
crates/xmtp_proto/src/gen/xmtp.device_sync*.rs@b649d1a), so a model's sync message and archive are read by
libxmtp and libxmtp's by the model.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import struct
from typing import Iterable

import zstandard
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from spec_model.mls.codec import DecodeError
from spec_model.mls.group import Group
from spec_model.mls.group_context import Extension
from spec_model.mls.member_state import decode_group, encode_group
from spec_model.mls.reasons import Rejected, reason_codes

from . import api
from .consent import ConsentSave, from_save, to_save
from .content import (
    ATTACHMENT, DELETE_MESSAGE, DEVICE_SYNC, GROUP_MEMBERSHIP_CHANGE, GROUP_UPDATED, LEAVE_REQUEST, MARKDOWN,
    MULTI_REMOTE_STATIC_ATTACHMENT, REACTION, READ_RECEIPT, REMOTE_STATIC_ATTACHMENT, TEXT,
    TRANSACTION_REFERENCE, WALLET_SEND_CALLS, EncodedContent, content_type_of,
)
from .delivery import DeliveryStatus, GroupMessageKind
from .extensions import (
    APP_DATA, DESCRIPTION, GROUP_IMAGE_URL_SQUARE, GROUP_NAME, ConversationType, GroupMetadataV1,
    disappearing_settings, new_dm_metadata, new_dm_mutable_metadata, new_group_membership,
    new_group_mutable_metadata, read_immutable_metadata, read_mutable_metadata, text_attribute_keys,
)
from .groups import group_context_extensions
from .permissions import Preset, preset_policies
from .profiles import SEED, Profile
from .proto import BOOL, BYTES, INT32, INT64, STRING, Annotated, EnumKind, Field, Map, Message, MessageKind
from .store import CursorKind, GroupRow, MembershipState, MessageRow, Store

__all__ = [
    "HistorySyncReason", "BackupElementSelection", "ArchiveOptions", "DeviceSyncRequest", "DeviceSyncAcknowledge",
    "DeviceSyncKeyType", "BackupMetadata", "DeviceSyncReply", "HmacKeyUpdate", "PreferenceUpdate",
    "PreferenceUpdates", "DeviceSyncContent",
    "GroupSave", "GroupMessageSave", "BackupElement", "ALL_ELEMENTS", "ARCHIVE_VERSION", "KEY_SIZE", "NONCE_SIZE",
    "MAX_RECORD_SIZE",
    "encode_device_sync", "decode_device_sync", "write_archive", "read_archive", "export_elements",
    "import_elements", "export_archive", "import_archive", "ImportSummary", "Importer", "ImmutableMetadataSave",
    "MutableMetadataSave", "RestoredGroup", "RESTORED_GROUP_MAGIC",
    "load_group_state", "dump_group_state",
]

ARCHIVE_VERSION = 0
"""docs/xmtp-facts.md §9: the archive's u16-LE version."""
KEY_SIZE, NONCE_SIZE, _TAG_SIZE = 32, 12, 16
"""docs/xmtp-facts.md §9: an archive's AES-256-GCM key and nonce sizes (and the tag's)."""
MAX_RECORD_SIZE = api.GRPC_PAYLOAD_LIMIT
"""libxmtp crates/xmtp_configuration/src/common/api.rs@a53a97e ``GRPC_PAYLOAD_LIMIT`` (25 MiB): an
element holds at most one group's row or one message that reached us in a network payload of at most
this size, so a longer record length is refused before it is buffered."""
_INPUT_STEP = 256
"""Compressed bytes fed to zstd per step."""
_MAX_STEP_OUTPUT = (_INPUT_STEP // 4 + 1) * zstandard.BLOCKSIZE_MAX
"""RFC 8878 §3.1.1.2: a block inflates to at most ``BLOCKSIZE_MAX`` (128 KiB) and takes at least 4 bytes
(a 3-byte header and one RLE byte), so one step yields at most this much."""


@reason_codes("history_sync")
class HistorySyncReason(enum.StrEnum):
    """docs/xmtp-facts.md §9: why an archive, a sync group or a device-sync message is refused."""

    UNSUPPORTED_VERSION = "history_sync.unsupported_version"  # the archive's u16 version is 0
    MALFORMED_ARCHIVE = "history_sync.malformed_archive"      # header, zstd frame, record lengths or a BackupElement
    TAMPERED = "history_sync.tampered"                        # a record fails AES-256-GCM under the key (or the key is wrong)
    MISSING_METADATA = "history_sync.missing_metadata"        # the first element is the metadata, and only the first
    BAD_KEY = "history_sync.bad_key"                          # the archive key is 32 bytes (AES-256)
    FOREIGN_INBOX = "history_sync.foreign_inbox"              # a sync group holds our own inbox only
    BAD_URL = "history_sync.bad_url"                          # a reply points into the history server we asked
    MALFORMED_CONTENT = "history_sync.malformed_content"      # a sync-group message is a DeviceSyncContent
    RESTORED_GROUP = "history_sync.restored_group"            # an imported group has no MLS state until a Welcome


# ------------------------------------------------------------------ messages

class BackupElementSelection(enum.IntEnum):
    """docs/xmtp-facts.md §9: ``ArchiveOptions.elements`` values."""

    UNSPECIFIED = 0
    MESSAGES = 1
    CONSENT = 2


class ArchiveOptions(Message):
    """docs/xmtp-facts.md §9 ``ArchiveOptions``, libxmtp's numbers: elements 1, start_ns 2, end_ns 3, exclude 4.

    Messages are exported when ``start_ns <= sent_at_ns < end_ns`` (an absent bound is open).
    """

    elements: Annotated[tuple[int, ...], Field(1, EnumKind(BackupElementSelection), repeated=True)] = ()
    start_ns: Annotated[int | None, Field(2, INT64, optional=True)] = None
    end_ns: Annotated[int | None, Field(3, INT64, optional=True)] = None
    exclude_disappearing_messages: Annotated[bool, Field(4, BOOL)] = False


ALL_ELEMENTS = ArchiveOptions(elements=(BackupElementSelection.MESSAGES, BackupElementSelection.CONSENT))


class DeviceSyncRequest(Message):
    """docs/xmtp-facts.md §9 ``DeviceSyncRequest{pin = 1; server_url = 2; options = 4}``."""

    pin: Annotated[str, Field(1, STRING)] = ""
    server_url: Annotated[str, Field(2, STRING)] = ""
    options: Annotated[ArchiveOptions | None, Field(4, MessageKind(ArchiveOptions))] = None


class DeviceSyncAcknowledge(Message):
    """docs/xmtp-facts.md §9 ``acknowledge``: an installation claims a request; libxmtp ``{request_id = 1}``."""

    request_id: Annotated[str, Field(1, STRING)] = ""


class DeviceSyncKeyType(Message):
    """docs/xmtp-facts.md §9 ``encryption_key{aes_256_gcm}``; libxmtp ``oneof key {bytes aes_256_gcm = 1}``."""

    aes_256_gcm: Annotated[bytes | None, Field(1, BYTES, oneof="key")] = None


class BackupMetadata(Message):
    """docs/xmtp-facts.md §9 the archive's metadata element (and the reply's ``metadata``): libxmtp's
    ``BackupMetadataSave{repeated elements = 2; exported_at_ns = 3; optional start_ns = 4; optional end_ns = 5}``
    (libxmtp crates/xmtp_proto/src/gen/xmtp.device_sync.rs@b649d1a)."""

    elements: Annotated[tuple[int, ...], Field(2, EnumKind(BackupElementSelection), repeated=True)] = ()
    exported_at_ns: Annotated[int, Field(3, INT64)] = 0
    start_ns: Annotated[int | None, Field(4, INT64, optional=True)] = None
    end_ns: Annotated[int | None, Field(5, INT64, optional=True)] = None


class DeviceSyncReply(Message):
    """docs/xmtp-facts.md §9 ``DeviceSyncReply{request_id = 1; url = 2; encryption_key = 3; metadata = 6}`` (4 and 5 are
    deprecated; libxmtp crates/xmtp_proto/src/gen/xmtp.device_sync.content.rs@b649d1a)."""

    request_id: Annotated[str, Field(1, STRING)] = ""
    url: Annotated[str, Field(2, STRING)] = ""
    encryption_key: Annotated[DeviceSyncKeyType | None, Field(3, MessageKind(DeviceSyncKeyType))] = None
    metadata: Annotated[BackupMetadata | None, Field(6, MessageKind(BackupMetadata))] = None


class HmacKeyUpdate(Message):
    """libxmtp crates/xmtp_proto/src/gen/xmtp.device_sync.content.rs@a53a97e ``HmacKeyUpdate{bytes key = 1; int64
    cycled_at_ns = 2}`` (xmtp.device_sync.content.rs@b649d1a)."""

    key: Annotated[bytes, Field(1, BYTES)] = b""
    cycled_at_ns: Annotated[int, Field(2, INT64)] = 0


class PreferenceUpdate(Message):
    """libxmtp crates/xmtp_proto/src/gen/xmtp.device_sync.content.rs@a53a97e ``PreferenceUpdate oneof update
    {ConsentSave consent = 1; HmacKeyUpdate hmac = 2}``."""

    consent: Annotated[ConsentSave | None, Field(1, MessageKind(ConsentSave), oneof="update")] = None
    hmac: Annotated[HmacKeyUpdate | None, Field(2, MessageKind(HmacKeyUpdate), oneof="update")] = None


class PreferenceUpdates(Message):
    """docs/xmtp-facts.md §9 "Preference sync" (consent saves, HMAC-key rotations): libxmtp
    ``PreferenceUpdates{repeated PreferenceUpdate updates = 1}`` (xmtp.device_sync.content.rs@b649d1a)."""

    updates: Annotated[tuple[PreferenceUpdate, ...], Field(1, MessageKind(PreferenceUpdate), repeated=True)] = ()


class DeviceSyncContent(Message):
    """docs/xmtp-facts.md §9 ``DeviceSyncContent oneof {request = 1; acknowledge = 2; reply = 3; preference_updates = 4}``."""

    request: Annotated[DeviceSyncRequest | None, Field(1, MessageKind(DeviceSyncRequest), oneof="content")] = None
    acknowledge: Annotated[
        DeviceSyncAcknowledge | None, Field(2, MessageKind(DeviceSyncAcknowledge), oneof="content")] = None
    reply: Annotated[DeviceSyncReply | None, Field(3, MessageKind(DeviceSyncReply), oneof="content")] = None
    preference_updates: Annotated[
        PreferenceUpdates | None, Field(4, MessageKind(PreferenceUpdates), oneof="content")] = None


class ImmutableMetadataSave(Message):
    """libxmtp crates/xmtp_proto/src/gen/xmtp.device_sync.group_backup.rs@b649d1a ``ImmutableMetadataSave{string
    creator_inbox_id = 1}``."""

    creator_inbox_id: Annotated[str, Field(1, STRING)] = ""


class MutableMetadataSave(Message):
    """libxmtp crates/xmtp_proto/src/gen/xmtp.device_sync.group_backup.rs@b649d1a ``MutableMetadataSave{map<string,
    string> attributes = 1; repeated string admin_list = 2; repeated string super_admin_list = 3}``."""

    attributes: Annotated[dict[str, str], Field(1, Map(STRING, STRING))] = dataclasses.field(default_factory=dict)
    admin_list: Annotated[tuple[str, ...], Field(2, STRING, repeated=True)] = ()
    super_admin_list: Annotated[tuple[str, ...], Field(3, STRING, repeated=True)] = ()


class GroupSave(Message):
    """docs/xmtp-facts.md §9 a group in an archive: libxmtp crates/xmtp_proto/src/gen/xmtp.device_sync.group_backup.rs
    @b649d1a ``GroupSave`` (membership_state: ``GroupMembershipStateSave``, libxmtp's ``GroupMembershipState``
    numbers; conversation_type: ``ConversationTypeSave``, the same numbers as ``ConversationType``)."""

    id: Annotated[bytes, Field(1, BYTES)] = b""
    created_at_ns: Annotated[int, Field(2, INT64)] = 0
    membership_state: Annotated[int, Field(3, INT32)] = 0
    installations_last_checked: Annotated[int, Field(4, INT64)] = 0
    added_by_inbox_id: Annotated[str, Field(5, STRING)] = ""
    welcome_id: Annotated[int | None, Field(6, INT64, optional=True)] = None
    rotated_at_ns: Annotated[int, Field(7, INT64)] = 0
    conversation_type: Annotated[int, Field(8, EnumKind(ConversationType))] = ConversationType.UNSPECIFIED
    dm_id: Annotated[str | None, Field(9, STRING, optional=True)] = None
    last_message_ns: Annotated[int | None, Field(10, INT64, optional=True)] = None
    message_disappear_from_ns: Annotated[int | None, Field(11, INT64, optional=True)] = None
    message_disappear_in_ns: Annotated[int | None, Field(12, INT64, optional=True)] = None
    metadata: Annotated[ImmutableMetadataSave | None, Field(13, MessageKind(ImmutableMetadataSave))] = None
    mutable_metadata: Annotated[MutableMetadataSave | None, Field(14, MessageKind(MutableMetadataSave))] = None
    paused_for_version: Annotated[str | None, Field(15, STRING, optional=True)] = None


class GroupMessageSave(Message):
    """docs/xmtp-facts.md §9 a stored message in an archive: libxmtp
    crates/xmtp_proto/src/gen/xmtp.device_sync.message_backup.rs@b649d1a ``GroupMessageSave``
    (decrypted_message_bytes: the EncodedContent; content_type: libxmtp's ``ContentType`` name, the type id
    of a content type it knows, else ``"unknown"``; content_type_save is deprecated and written 0)."""

    id: Annotated[bytes, Field(1, BYTES)] = b""
    group_id: Annotated[bytes, Field(2, BYTES)] = b""
    decrypted_message_bytes: Annotated[bytes, Field(3, BYTES)] = b""
    sent_at_ns: Annotated[int, Field(4, INT64)] = 0
    kind: Annotated[int, Field(5, EnumKind(GroupMessageKind))] = 0
    sender_installation_id: Annotated[bytes, Field(6, BYTES)] = b""
    sender_inbox_id: Annotated[str, Field(7, STRING)] = ""
    delivery_status: Annotated[int, Field(8, EnumKind(DeliveryStatus))] = 0
    content_type_save: Annotated[int, Field(9, INT32)] = 0
    version_major: Annotated[int, Field(10, INT32)] = 0
    version_minor: Annotated[int, Field(11, INT32)] = 0
    authority_id: Annotated[str, Field(12, STRING)] = ""
    reference_id: Annotated[bytes | None, Field(13, BYTES, optional=True)] = None
    sequence_id: Annotated[int | None, Field(14, INT64, optional=True)] = None
    originator_id: Annotated[int | None, Field(15, INT64, optional=True)] = None
    content_type: Annotated[str, Field(16, STRING)] = ""


class BackupElement(Message):
    """docs/xmtp-facts.md §9 ``BackupElement``; libxmtp's ``oneof element {metadata = 1; group = 2;
    group_message = 3; consent = 4}`` (5, events, is deprecated)."""

    metadata: Annotated[BackupMetadata | None, Field(1, MessageKind(BackupMetadata), oneof="element")] = None
    group: Annotated[GroupSave | None, Field(2, MessageKind(GroupSave), oneof="element")] = None
    group_message: Annotated[
        GroupMessageSave | None, Field(3, MessageKind(GroupMessageSave), oneof="element")] = None
    consent: Annotated[ConsentSave | None, Field(4, MessageKind(ConsentSave), oneof="element")] = None


def encode_device_sync(content: DeviceSyncContent) -> EncodedContent:
    """docs/xmtp-facts.md §9: a sync-group message is EncodedContent ``xmtp.org/application/x-protobuf:1.0``."""
    return EncodedContent(type=DEVICE_SYNC, content=content.encode())


def decode_device_sync(encoded: EncodedContent) -> DeviceSyncContent:
    """docs/xmtp-facts.md §9: the DeviceSyncContent of a sync-group message; anything else is MALFORMED_CONTENT."""
    if encoded.type != DEVICE_SYNC:
        raise Rejected(HistorySyncReason.MALFORMED_CONTENT, f"content type {encoded.type}")
    try:
        return DeviceSyncContent.decode(encoded.content)
    except DecodeError as e:
        raise Rejected(HistorySyncReason.MALFORMED_CONTENT, str(e)) from None


# ------------------------------------------------------------------ the archive format

def _nonce(base: bytes, index: int) -> bytes:
    """libxmtp crates/xmtp_archive/src/util.rs@b649d1a ``increment``: the nonce is a 96-bit little-endian counter."""
    return ((int.from_bytes(base, "little") + index) % (1 << 96)).to_bytes(NONCE_SIZE, "little")


def _aead(key: bytes) -> AESGCM:
    if len(key) != KEY_SIZE:
        raise Rejected(HistorySyncReason.BAD_KEY, f"{len(key)} bytes")
    return AESGCM(key)


def write_archive(elements: Iterable[BackupElement], key: bytes, nonce: bytes) -> bytes:
    """docs/xmtp-facts.md §9: ``u16-LE 0 ‖ nonce`` then a zstd stream of ``u32-LE length ‖ AES-256-GCM(key, nonce++, element)``.

    The first element must be the metadata.
    """
    aead, records = _aead(key), bytearray()
    for i, element in enumerate(elements):
        if (i == 0) != (element.metadata is not None):
            raise Rejected(HistorySyncReason.MISSING_METADATA, f"element {i}")
        sealed = aead.encrypt(_nonce(nonce, i), element.encode(), None)
        records += struct.pack("<I", len(sealed)) + sealed
    if not records:
        raise Rejected(HistorySyncReason.MISSING_METADATA, "no elements")
    return struct.pack("<H", ARCHIVE_VERSION) + nonce + zstandard.ZstdCompressor().compress(bytes(records))


def read_archive(archive: bytes, key: bytes) -> list[BackupElement]:
    """docs/xmtp-facts.md §9: the elements of an archive, metadata first; every refusal is a typed ``Rejected``.

    Streamed (see the module's docstring): memory beyond the elements returned is bounded by one
    record (``MAX_RECORD_SIZE``), its plaintext and one step's output (``_MAX_STEP_OUTPUT``)."""
    aead = _aead(key)
    if len(archive) < 2 + NONCE_SIZE:
        raise Rejected(HistorySyncReason.MALFORMED_ARCHIVE, "shorter than its header")
    (version,) = struct.unpack_from("<H", archive)
    if version != ARCHIVE_VERSION:
        raise Rejected(HistorySyncReason.UNSUPPORTED_VERSION, str(version))
    nonce = archive[2:2 + NONCE_SIZE]
    elements: list[BackupElement] = []
    counter = 0  # the nonce's offset from the header's
    for record in _records(memoryview(archive)[2 + NONCE_SIZE:]):
        plain = _open_record(aead, nonce, counter, record, len(elements))
        if plain is None:
            counter -= 1
            plain = _open_record(aead, nonce, counter, record, len(elements), legacy=True)
        counter += 1
        try:
            element = BackupElement.decode(plain)
        except DecodeError as e:
            raise Rejected(HistorySyncReason.MALFORMED_ARCHIVE, str(e)) from None
        if (not elements) != (element.metadata is not None):
            raise Rejected(HistorySyncReason.MISSING_METADATA, f"element {len(elements)}")
        elements.append(element)
    if not elements:
        raise Rejected(HistorySyncReason.MISSING_METADATA, "no elements")
    return elements


def _open_record(aead: AESGCM, nonce: bytes, counter: int, record: bytearray, index: int, *,
                 legacy: bool = False) -> bytes | None:
    """One record opened under ``nonce + counter``; None if it does not authenticate (``TAMPERED`` on the legacy
    retry). libxmtp crates/xmtp_archive/src/importer.rs@b649d1a: a record that fails is tried once more under
    the previous nonce ("to support legacy archives", whose writers did not always move the nonce on), and
    the count goes on from there."""
    try:
        return aead.decrypt(_nonce(nonce, counter), record, None)
    except InvalidTag:
        if legacy:
            raise Rejected(HistorySyncReason.TAMPERED, f"record {index}") from None
        return None


def _records(frame: memoryview) -> Iterable[bytearray]:
    """docs/xmtp-facts.md §9: each ``u32-LE length ‖ sealed`` record's sealed bytes, inflated as they are needed."""
    inflater, index = _Inflater(frame), 0
    while header := inflater.read(4):
        if len(header) < 4:
            raise Rejected(HistorySyncReason.MALFORMED_ARCHIVE, f"record {index}: truncated length")
        (length,) = struct.unpack("<I", header)
        if length < _TAG_SIZE or length > MAX_RECORD_SIZE:
            raise Rejected(HistorySyncReason.MALFORMED_ARCHIVE, f"record {index}: length {length}")
        record = inflater.read(length)
        if len(record) < length:
            raise Rejected(HistorySyncReason.MALFORMED_ARCHIVE, f"record {index}: truncated")
        yield record
        index += 1
    inflater.finish()


class _Inflater:
    """An archive's zstd frame, inflated on demand: ``_INPUT_STEP`` compressed bytes at a time, holding at
    most one step's output beyond what was read."""

    def __init__(self, frame: memoryview):
        self._frame, self._fed = frame, 0
        self._stream = zstandard.ZstdDecompressor().decompressobj()
        self._left = memoryview(b"")

    def read(self, n: int) -> bytearray:
        """The next ``n`` inflated bytes, fewer only where the frame ends."""
        out, filled = bytearray(n), 0
        while filled < n:
            if not self._left:
                self._left = memoryview(b"")  # an empty slice would keep the whole last output alive
                if self._stream.eof or self._fed >= len(self._frame):
                    del out[filled:]
                    break
                step = self._frame[self._fed:self._fed + _INPUT_STEP]
                self._fed += len(step)
                try:
                    self._left = memoryview(self._stream.decompress(step))
                except zstandard.ZstdError as e:
                    raise Rejected(HistorySyncReason.MALFORMED_ARCHIVE, f"zstd: {e}") from None
                continue
            k = min(n - filled, len(self._left))
            out[filled:filled + k] = self._left[:k]
            self._left, filled = self._left[k:], filled + k
        return out

    def finish(self) -> None:
        """docs/xmtp-facts.md §9 (model choice): the frame is complete and ends exactly where the file ends."""
        if not self._stream.eof or self._stream.unused_data or self._fed < len(self._frame):
            raise Rejected(HistorySyncReason.MALFORMED_ARCHIVE, "the zstd frame does not end with the file")


# ------------------------------------------------------------------ export and import

RESTORED_GROUP_MAGIC = b"xmtp-spec-model restored group 1\n"
"""docs/xmtp-facts.md §9: how a stored restored group begins; any other stored state is an MLS group (``member_state.py``)."""


def load_group_state(data: bytes) -> Group | RestoredGroup:
    """RFC 9420 §8; docs/xmtp-facts.md §9: a group's stored state: a live MLS group, or a group restored from an archive."""
    return RestoredGroup.decode(data) if data.startswith(RESTORED_GROUP_MAGIC) else decode_group(data)


def dump_group_state(group: Group | RestoredGroup) -> bytes:
    """RFC 9420 §8; docs/xmtp-facts.md §9: the stored form of ``load_group_state``'s result."""
    return group.encode() if isinstance(group, RestoredGroup) else encode_group(group)


class RestoredGroup:
    """docs/xmtp-facts.md §9: the stand-in for an imported group's MLS state: its exported context extensions, no secrets.

    ``context.extensions`` answers metadata and membership queries; it has no
    leaves, and every MLS message is refused (``RESTORED_GROUP``). Stored, it is
    ``RESTORED_GROUP_MAGIC`` followed by a JSON record of its id and extensions.
    """

    active = False
    epoch = 0
    """libxmtp crates/xmtp_mls/src/groups/mod.rs@b649d1a ``MlsGroup::insert``: a restored group is a stub OpenMLS
    group (``from_backup_stub``) at epoch 0."""

    def __init__(self, group_id: bytes, extensions: tuple[Extension, ...]):
        self.group_id = group_id
        self.context = _RestoredContext(group_id, extensions)

    def encode(self) -> bytes:
        """docs/xmtp-facts.md §9: the stored form: the magic, then the group id and each extension's TLS encoding in hex."""
        return RESTORED_GROUP_MAGIC + json.dumps(
            {"group_id": self.group_id.hex(), "extensions": [e.encode().hex() for e in self.context.extensions]}
        ).encode()

    @classmethod
    def decode(cls, data: bytes) -> "RestoredGroup":
        """docs/xmtp-facts.md §9: the restored group ``encode`` wrote; ``Rejected(MALFORMED_ARCHIVE)`` otherwise."""
        if not data.startswith(RESTORED_GROUP_MAGIC):
            raise Rejected(HistorySyncReason.MALFORMED_ARCHIVE, "not a restored group")
        try:
            record = json.loads(data[len(RESTORED_GROUP_MAGIC):])
            return cls(bytes.fromhex(record["group_id"]),
                       tuple(Extension.decode(bytes.fromhex(e)) for e in record["extensions"]))
        except (ValueError, KeyError, TypeError) as e:  # DecodeError is a ValueError
            raise Rejected(HistorySyncReason.MALFORMED_ARCHIVE, f"restored group: {e}") from None

    def members(self) -> list:
        """docs/xmtp-facts.md §9: an archive carries no ratchet tree, so a restored group lists no leaves."""
        return []

    def process(self, *args, **kwargs):
        """docs/xmtp-facts.md §9: without MLS secrets every message is refused (RESTORED_GROUP); a Welcome revives the group."""
        raise Rejected(HistorySyncReason.RESTORED_GROUP, self.group_id.hex())


@dataclasses.dataclass(frozen=True)
class _RestoredContext:
    group_id: bytes
    extensions: tuple[Extension, ...]


@dataclasses.dataclass(frozen=True)
class ImportSummary:
    """docs/xmtp-facts.md §9: how many rows an import added (rows already present are kept, not counted)."""

    groups: int = 0
    messages: int = 0
    consent: int = 0


_LIBXMTP_CONTENT_TYPES = frozenset(t.type_id for t in (
    TEXT, MARKDOWN, GROUP_MEMBERSHIP_CHANGE, GROUP_UPDATED, REACTION, READ_RECEIPT, ATTACHMENT,
    REMOTE_STATIC_ATTACHMENT, TRANSACTION_REFERENCE, WALLET_SEND_CALLS, LEAVE_REQUEST,
    MULTI_REMOTE_STATIC_ATTACHMENT, DELETE_MESSAGE)) | {"reply"}
"""libxmtp crates/xmtp_db/src/encrypted_store/group_message.rs@b649d1a ``ContentType``'s Display: the type ids
it names (``reply``'s included; ``actions`` and ``intent`` aside, which the model does not define); any other is
``"unknown"``."""


def _group_save(row: GroupRow) -> GroupSave:
    """libxmtp crates/xmtp_archive/src/export_stream/group_save.rs@b649d1a ``GroupSave::new``: the row and the
    group's metadata (creator, attributes, admin lists)."""
    extensions = tuple(load_group_state(row.mls_state).context.extensions)
    mutable = read_mutable_metadata(extensions)
    disappearing = disappearing_settings(mutable)
    return GroupSave(
        id=row.id, created_at_ns=row.created_at_ns, membership_state=row.membership_state,
        installations_last_checked=row.installations_checked_ns, added_by_inbox_id=row.added_by_inbox_id,
        rotated_at_ns=row.rotated_at_ns, conversation_type=row.conversation_type, dm_id=row.dm_id,
        message_disappear_from_ns=disappearing[0] if disappearing else None,
        message_disappear_in_ns=disappearing[1] if disappearing else None,
        metadata=ImmutableMetadataSave(read_immutable_metadata(extensions).creator_inbox_id),
        mutable_metadata=MutableMetadataSave(dict(mutable.attributes), tuple(mutable.admin_list.inbox_ids),
                                             tuple(mutable.super_admin_list.inbox_ids)),
        paused_for_version=row.paused_for_version)


def _message_save(m: MessageRow) -> GroupMessageSave:
    """libxmtp crates/xmtp_db/src/encrypted_store/group_message/convert.rs@b649d1a ``From<StoredGroupMessage>``."""
    content_type = content_type_of(m.content)
    return GroupMessageSave(
        id=m.id, group_id=m.group_id, decrypted_message_bytes=m.content, sent_at_ns=m.sent_at_ns, kind=m.kind,
        sender_installation_id=m.sender_installation_id, sender_inbox_id=m.sender_inbox_id,
        delivery_status=m.delivery_status, version_major=content_type.version_major,
        version_minor=content_type.version_minor, authority_id=m.authority_id, sequence_id=0,
        originator_id=CursorKind.APPLICATION,
        content_type=m.type_id if m.type_id in _LIBXMTP_CONTENT_TYPES else "unknown")


def export_elements(store: Store, options: ArchiveOptions, now_ns: int) -> list[BackupElement]:
    """docs/xmtp-facts.md §9: the metadata, then what each selected element holds, in the options' order
    (libxmtp crates/xmtp_archive/src/export_stream/mod.rs@b649d1a ``BatchExportStream::new``).

    MESSAGES: every group but the sync groups created in ``(start_ns, end_ns)``, then every application
    message of those groups (of any group but a sync group: libxmtp does not filter by the groups exported)
    with ``start_ns < sent_at_ns <= end_ns``, in message-id order, any delivery status, expired ones left
    out, and with ``exclude_disappearing_messages`` every message that expires left out (libxmtp
    crates/xmtp_db/src/encrypted_store/group_message.rs@b649d1a ``group_messages_paged``). CONSENT: every
    consent record.
    """
    elements = [BackupElement(metadata=BackupMetadata(tuple(options.elements), now_ns, options.start_ns,
                                                      options.end_ns))]
    for selection in options.elements:
        if selection == BackupElementSelection.MESSAGES:
            elements += [BackupElement(group=_group_save(row)) for row in store.find_groups(
                created_after_ns=options.start_ns, created_before_ns=options.end_ns)]
            group_ids = tuple(row.id for row in store.find_groups())
            messages = store.find_messages(
                group_ids, sent_after_ns=options.start_ns,
                sent_before_ns=None if options.end_ns is None else options.end_ns + 1,
                kind=GroupMessageKind.APPLICATION, unexpired_at_ns=now_ns) if group_ids else []
            if options.exclude_disappearing_messages:
                messages = [m for m in messages if m.expire_at_ns is None]
            elements += [BackupElement(group_message=_message_save(m)) for m in sorted(messages, key=lambda m: m.id)]
        elif selection == BackupElementSelection.CONSENT:
            elements += [BackupElement(consent=to_save(record)) for record in store.all_consent()]
    return elements


@dataclasses.dataclass(frozen=True)
class Importer:
    """docs/xmtp-facts.md §9: who imports: the installation's inbox (a restored group's creator), its clock and
    its profile (the attribute keys of a new group)."""

    inbox_id: str
    now_ns: int
    profile: Profile = SEED


def _restored_group(save: GroupSave, importer: Importer) -> GroupRow:
    """libxmtp crates/xmtp_mls/src/worker/device_sync/archive.rs@b649d1a ``insert``: a group of our own with the
    archive's name, description, image, app data and disappearing settings (``MlsGroup::insert``), or a DM with
    the ``dm_id``'s other inbox (``create_dm_and_insert``); Restored, created now, added by ourselves."""
    me, profile = importer.inbox_id, importer.profile
    disappearing = None
    if save.message_disappear_from_ns is not None and save.message_disappear_in_ns is not None:
        disappearing = (save.message_disappear_from_ns, save.message_disappear_in_ns)
    if save.conversation_type == ConversationType.DM:
        if save.dm_id is None:
            raise Rejected(HistorySyncReason.MALFORMED_ARCHIVE, f"DM {save.id.hex()} without a dm_id")
        others = [i for i in save.dm_id.removeprefix("dm:").split(":") if i != me.lower()]
        metadata = new_dm_metadata(me, others[0] if others else me)
        mutable, preset, conversation_type = new_dm_mutable_metadata(profile=profile, disappearing=disappearing), \
            Preset.DM, ConversationType.DM
    else:
        attributes = save.mutable_metadata.attributes if save.mutable_metadata else {}
        text = {k: attributes[k] for k in (GROUP_NAME, GROUP_IMAGE_URL_SQUARE, DESCRIPTION, APP_DATA)
                if k in attributes and k in text_attribute_keys(profile)}
        metadata = GroupMetadataV1(conversation_type=ConversationType.GROUP, creator_inbox_id=me)
        mutable = new_group_mutable_metadata(me, profile=profile, disappearing=disappearing, **text)
        preset, conversation_type = Preset.ALL_MEMBERS, ConversationType.GROUP
    extensions = group_context_extensions(metadata, mutable, new_group_membership(me),
                                          preset_policies(preset, profile), profile)
    return GroupRow(save.id, importer.now_ns, conversation_type, MembershipState.RESTORED, me,
                    RestoredGroup(save.id, extensions).encode(),
                    save.dm_id if conversation_type == ConversationType.DM else None)


def import_elements(store: Store, elements: Iterable[BackupElement], importer: Importer) -> ImportSummary:
    """docs/xmtp-facts.md §9: store what the archive holds, in one transaction, keeping anything already stored.

    A group not stored becomes a restored group (``_restored_group``); a message is kept only for a group that
    is stored or imported (model choice: libxmtp's foreign key refuses the whole import), with its send time as
    idempotency key (libxmtp crates/xmtp_db/src/encrypted_store/group_message/convert.rs@b649d1a); a consent
    record replaces ours only if newer.
    """
    groups = messages = consent = 0
    try:
        with store.transaction():
            for element in elements:
                if element.group is not None and store.get_group(element.group.id) is None:
                    store.put_group(_restored_group(element.group, importer))
                    groups += 1
                elif element.group_message is not None:
                    m = element.group_message
                    if store.get_group(m.group_id) is None or store.get_message(m.id) is not None:
                        continue
                    content_type = content_type_of(m.decrypted_message_bytes)
                    store.put_message(MessageRow(
                        m.id, m.group_id, m.sent_at_ns, GroupMessageKind(m.kind), DeliveryStatus(m.delivery_status),
                        m.sender_inbox_id, m.sender_installation_id, content_type.authority_id,
                        content_type.type_id, str(m.sent_at_ns), m.decrypted_message_bytes))
                    messages += 1
                elif element.consent is not None:
                    record = from_save(element.consent)
                    ours = store.get_consent(record.entity_type, record.entity)
                    if ours is None or ours.consented_at_ns < record.consented_at_ns:
                        store.put_consent(record)
                        consent += 1
    except (DecodeError, ValueError, AttributeError, IndexError) as e:
        raise Rejected(HistorySyncReason.MALFORMED_ARCHIVE, str(e)) from None
    except Rejected as e:
        if e.reason == HistorySyncReason.MALFORMED_ARCHIVE:
            raise
        raise Rejected(HistorySyncReason.MALFORMED_ARCHIVE, f"{e.reason}: {e.detail}") from None
    return ImportSummary(groups, messages, consent)


def export_archive(store: Store, options: ArchiveOptions, key: bytes, *, nonce: bytes, now_ns: int) -> bytes:
    """docs/xmtp-facts.md §9: ``export_elements`` written as an archive under ``key``."""
    return write_archive(export_elements(store, options, now_ns), key, nonce)


def import_archive(store: Store, archive: bytes, key: bytes, importer: Importer) -> ImportSummary:
    """docs/xmtp-facts.md §9: read (and authenticate) the whole archive, then ``import_elements``."""
    return import_elements(store, read_archive(archive, key), importer)
