"""History-sync archives (facts §9): the encrypted file an installation exports for another of the same inbox.

``encoded`` is the archive: ``u16-LE version 0 ‖ 12-byte nonce``, then one zstd frame
of records ``u32-LE length ‖ AES-256-GCM(key, nonce + i, BackupElement)`` (the nonce
incremented as a 96-bit little-endian integer, no associated data, the metadata element
first). ``decoded`` is the AES-256 ``key``, the header's ``nonce`` and the ``elements``
as JSON (absent fields left out, bytes as hex, enums as numbers); a refused archive's
``decoded`` holds only the key it is read with.

Every element has libxmtp's field numbers (libxmtp crates/xmtp_proto/src/gen/xmtp.device_sync*.rs@b649d1a;
see spec_model/xmtp/history_archive.py).
Re-encoding: the zstd frame is python-zstandard's default (level 3) output; another
compressor may write other frame bytes for the same records, so an implementation
compares decoded elements and, to check its writer, reads its own archive back.

Questions: ``decode`` with ``type``, ``encoded`` and ``context: {key}``, answered ``{result,
reason, decoded: {key, nonce, elements}}``; for a valid archive also ``encode`` with
``type`` and ``decoded`` (key, nonce, elements), answered ``{encoded}``. An encoding is
judged by its header and its decompressed records (which must equal the case's), not
by its zstd frame bytes.
"""

from __future__ import annotations

import random
import struct
from typing import Any

import zstandard
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from pydantic import Field

from spec_model.mls.reasons import Rejected
from spec_model.xmtp.consent import ConsentRecord, ConsentState, ConsentType, to_save
from spec_model.xmtp.content import encode_text, message_id
from spec_model.xmtp.delivery import DeliveryStatus, GroupMessageKind
from spec_model.xmtp.extensions import ConversationType, dm_key
from spec_model.xmtp.history_archive import (
    BackupElement, BackupElementSelection, BackupMetadata, GroupMessageSave, GroupSave, ImmutableMetadataSave,
    MutableMetadataSave, read_archive, write_archive,
)
from spec_model.xmtp.store import MembershipState

from .. import case_id, expect
from ..family import Decode, Exchange, Hex, absent, codec_exchanges
from ..formats import CodecCase, Expected, Verdict
from ..proto_json import from_json, json_model, to_json
from ..questions import judge_decoded

FORMAT = "codec"
AREA = "history sync"
FAMILY = "history_archives"
TYPE = "xmtp.device_sync.Archive"
RULE = ("facts §9 (archive: u16-LE version, nonce, zstd of u32-LE length ‖ AES-256-GCM records under a little-endian "
        "nonce counter, libxmtp's element layout; the zstd frame is python-zstandard level 3: compare decoded "
        "elements, not bytes)")

_M, _C = BackupElementSelection.MESSAGES, BackupElementSelection.CONSENT
ALICE = "a1" * 32
BOB = "b2" * 32
T0 = 1_700_000_000_000_000_000


# ------------------------------------------------------------------ elements

def _group(group_id: bytes, created_at_ns: int) -> BackupElement:
    return BackupElement(group=GroupSave(
        id=group_id, created_at_ns=created_at_ns, membership_state=MembershipState.ALLOWED,
        added_by_inbox_id=ALICE, conversation_type=ConversationType.GROUP,
        metadata=ImmutableMetadataSave(ALICE),
        mutable_metadata=MutableMetadataSave({"group_name": "Team", "description": "", "app_data": ""}, (), (ALICE,))))


def _dm(group_id: bytes, created_at_ns: int) -> BackupElement:
    return BackupElement(group=GroupSave(
        id=group_id, created_at_ns=created_at_ns, membership_state=MembershipState.ALLOWED, added_by_inbox_id=BOB,
        conversation_type=ConversationType.DM, dm_id=dm_key(ALICE, BOB), metadata=ImmutableMetadataSave(ALICE),
        mutable_metadata=MutableMetadataSave({"group_name": "", "description": ""}),
        message_disappear_from_ns=T0, message_disappear_in_ns=3_600 * 10**9))


def _text(group_id: bytes, text: str, sent_at_ns: int, sender: str, installation: bytes) -> BackupElement:
    content = encode_text(text).encode()
    return BackupElement(group_message=GroupMessageSave(
        id=message_id(group_id, str(sent_at_ns), content), group_id=group_id, decrypted_message_bytes=content,
        sent_at_ns=sent_at_ns, kind=GroupMessageKind.APPLICATION, sender_installation_id=installation,
        sender_inbox_id=sender, delivery_status=DeliveryStatus.PUBLISHED, version_major=1, authority_id="xmtp.org",
        sequence_id=7, originator_id=10, content_type="text"))


def _consent(entity_type: ConsentType, state: ConsentState, entity: str, at_ns: int) -> BackupElement:
    return BackupElement(consent=to_save(ConsentRecord(entity_type, state, entity, at_ns)))


# ------------------------------------------------------------------ raw archives (for refusals)

def _raw(plaintexts: list[bytes], key: bytes, nonce: bytes, *, version: int = 0,
         transform=lambda records: records, counters: list[int] | None = None) -> bytes:
    """The archive format written out by hand, so refusals can break what ``write_archive`` never would
    (``counters``: each record's nonce offset, by default its position)."""
    aead, records = AESGCM(key), []
    for i, plain in enumerate(plaintexts):
        counter = i if counters is None else counters[i]
        record_nonce = ((int.from_bytes(nonce, "little") + counter) % (1 << 96)).to_bytes(12, "little")
        sealed = aead.encrypt(record_nonce, plain, None)
        records.append(struct.pack("<I", len(sealed)) + sealed)
    return struct.pack("<H", version) + nonce + zstandard.ZstdCompressor().compress(b"".join(transform(records)))


def _flip_in_last(records: list[bytes]) -> list[bytes]:
    last = bytearray(records[-1])
    last[10] ^= 0x01
    return records[:-1] + [bytes(last)]


# ------------------------------------------------------------------ cases

def _decode(encoded: bytes, key: bytes) -> dict[str, Any]:
    elements = read_archive(encoded, key)
    return {"key": key.hex(), "nonce": encoded[2:14].hex(), "elements": [to_json(e) for e in elements]}


def _case(name: str, encoded: bytes, key: bytes, description: str, tags: list[str]) -> CodecCase:
    try:
        decoded, expected = _decode(encoded, key), Expected(result=Verdict.VALID)
    except Rejected as e:
        decoded, expected = {"key": key.hex()}, Expected(result=Verdict.INVALID, reason=e.reason.value)
    return CodecCase(id=case_id(FAMILY, name), description=description, rule=RULE,
                     tags=["seed", "history-sync"] + tags, type=TYPE, encoded=encoded.hex(), decoded=decoded,
                     expected=expected)


def cases() -> list[CodecCase]:
    rng = random.Random(9)
    key, nonce = rng.randbytes(32), rng.randbytes(12)
    group_id, dm_id = rng.randbytes(16), rng.randbytes(16)
    installation_a, installation_b = rng.randbytes(32), rng.randbytes(32)
    exported = T0 + 10**12
    full = [
        BackupElement(metadata=BackupMetadata((_M, _C), exported)),
        _group(group_id, T0),
        _text(group_id, "Hello, World!", T0 + 2_000, ALICE, installation_a),
        _text(group_id, "hi 👋", T0 + 3_000, BOB, installation_b),
        _consent(ConsentType.CONVERSATION_ID, ConsentState.ALLOWED, group_id.hex(), T0 + 500),
        _consent(ConsentType.INBOX_ID, ConsentState.DENIED, "c3" * 32, T0 + 600),
    ]
    windowed = [
        BackupElement(metadata=BackupMetadata((_M,), exported, T0, T0 + 10**9)),
        _dm(dm_id, T0),
        _text(dm_id, "in the window", T0 + 5_000, BOB, installation_b),
    ]
    consent_only = [BackupElement(metadata=BackupMetadata((_C,), exported)),
                    _consent(ConsentType.INBOX_ID, ConsentState.UNKNOWN, BOB, 0),
                    _consent(ConsentType.CONVERSATION_ID, ConsentState.ALLOWED, dm_id.hex(), T0)]
    archive = write_archive(full, key, nonce)
    plain = [e.encode() for e in full]
    wrap_nonce = b"\xfe" + b"\xff" * 11
    generated = [
        _case("full_archive", archive, key,
              "Given metadata, a group, two text messages and two consent records, When "
              "written under a fixed key and nonce, Then every record decrypts in order to those elements", []),
        _case("dm_with_time_window", write_archive(windowed, key, rng.randbytes(12)), key,
              "Given a DM (dm_id and disappearing settings set) exported with start_ns/end_ns bounds, When read, "
              "Then the bounds, the DM's id and its settings survive", ["dm"]),
        _case("consent_only", write_archive(consent_only, key, rng.randbytes(12)), key,
              "Given an archive of consent only (elements = [CONSENT]), When read, Then it holds the records "
              "(an UNKNOWN state is written as ConsentStateSave 1)", ["consent"]),
        _case("metadata_only", write_archive(full[:1], key, rng.randbytes(12)), key,
              "Given only the metadata element, When read, Then the archive is valid with one element", []),
        _case("nonce_wraps_around", write_archive(full[:4], key, wrap_nonce), key,
              "Given the nonce 0xff..fe, When four records are written, Then their nonces are ..fe, ..ff, 0, 1 "
              "(the first byte is the lowest: 96-bit little-endian increment, modulo 2^96)", ["nonce"]),
        _case("legacy_repeated_nonce", _raw(plain[:4], key, nonce, counters=[0, 0, 1, 2]), key,
              "Given records sealed under nonce + 0, 0, 1, 2 (a legacy writer), When read, Then each record "
              "that fails under the next nonce opens under the previous one and the count goes on from there "
              "(libxmtp crates/xmtp_archive/src/importer.rs@b649d1a; a writer counts on, so nothing is re-encoded)",
              ["nonce", "legacy"]),
        _case("nonce_skipped_ahead_refused", _raw(plain[:3], key, nonce, counters=[0, 2, 3]), key,
              "Given records sealed under nonce + 0, 2, 3, When read, Then the second fails: it is tried under "
              "nonce + 1 and + 0 only", ["invalid", "nonce"]),
        _case("wrong_key_refused", archive, rng.randbytes(32),
              "Given another 32-byte key, When read, Then the first record fails authentication", ["invalid"]),
        _case("short_key_refused", archive, key[:16],
              "Given a 16-byte key, When read, Then it is refused before decrypting (AES-256 only)", ["invalid"]),
        _case("version_1_refused", b"\x01\x00" + archive[2:], key,
              "Given the header's version 1, When read, Then it is unsupported", ["invalid"]),
        _case("shorter_than_header_refused", archive[:13], key,
              "Given 13 bytes (the header is 14), When read, Then it is malformed", ["invalid"]),
        _case("truncated_frame_refused", archive[:-5], key,
              "Given an archive cut inside its zstd frame, When read, Then it is malformed", ["invalid"]),
        _case("trailing_bytes_refused", archive + b"\x00", key,
              "Given a byte after the zstd frame, When read, Then it is malformed (the frame ends the file)",
              ["invalid"]),
        _case("tampered_record_refused", _raw(plain, key, nonce, transform=_flip_in_last), key,
              "Given one flipped ciphertext bit in the last record, When read, Then it fails authentication",
              ["invalid"]),
        _case("reordered_records_refused",
              _raw(plain, key, nonce, transform=lambda r: [r[0], r[2], r[1]] + r[3:]), key,
              "Given records 1 and 2 swapped, When read, Then record 1 fails under nonce + 1 (records are bound "
              "to their position)", ["invalid"]),
        _case("record_length_past_end_refused",
              _raw(plain[:2], key, nonce, transform=lambda r: [r[0], struct.pack("<I", 10**6) + r[1][4:]]), key,
              "Given a record length past the end of the records, When read, Then it is malformed", ["invalid"]),
        _case("record_shorter_than_tag_refused",
              _raw(plain[:1], key, nonce, transform=lambda r: r + [struct.pack("<I", 4) + b"abcd"]), key,
              "Given a record shorter than the 16-byte tag, When read, Then it is malformed", ["invalid"]),
        _case("missing_metadata_refused", _raw(plain[1:3], key, nonce), key,
              "Given records starting with a group, When read, Then the metadata is missing", ["invalid"]),
        _case("second_metadata_refused", _raw(plain[:2] + plain[:1], key, nonce), key,
              "Given a metadata element after the first, When read, Then it is refused", ["invalid"]),
        _case("no_records_refused", _raw([], key, nonce), key,
              "Given an empty zstd frame, When read, Then there is no metadata", ["invalid"]),
        _case("record_not_a_backup_element_refused", _raw([plain[0], b"\x0a\x09ab"], key, nonce), key,
              "Given a record that decrypts to bytes that are not a BackupElement, When read, Then it is malformed",
              ["invalid"]),
    ]
    if _raw(plain, key, nonce) != archive:
        raise ValueError("the model's archive differs from the format written out by hand")
    return generated


def questions(case: CodecCase) -> list[dict[str, Any]]:
    """Read the archive with the case's key; write a valid one's elements back (but a legacy one's, whose nonces
    no writer repeats)."""
    asked = [{"ask": "decode", "type": case.type, "encoded": case.encoded, "context": {"key": case.decoded["key"]}}]
    if case.expected.result == Verdict.VALID.value and "legacy" not in case.tags:
        asked.append({"ask": "encode", "type": case.type, "decoded": case.decoded})
    return asked


def answer(question: dict) -> dict:
    if question["ask"] == "encode":
        decoded = question["decoded"]
        elements = [from_json(BackupElement, e) for e in decoded["elements"]]
        try:
            archive = write_archive(elements, bytes.fromhex(decoded["key"]), bytes.fromhex(decoded["nonce"]))
        except Rejected as e:
            return {"result": Verdict.INVALID.value, "reason": e.reason.value}
        return {"encoded": archive.hex()}
    try:
        decoded = _decode(bytes.fromhex(question["encoded"]), bytes.fromhex(question["context"]["key"]))
    except Rejected as e:
        return {"result": Verdict.INVALID.value, "reason": e.reason.value}
    return {"result": Verdict.VALID.value, "reason": None, "decoded": decoded}


def _parts(what: str, archive_hex: Any) -> tuple[str, str]:
    """An archive's header and decompressed records, as hex (its zstd frame bytes are the writer's choice)."""
    try:
        data = bytes.fromhex(archive_hex)
        stream = zstandard.ZstdDecompressor().decompressobj()
        records = stream.decompress(data[14:])
    except (TypeError, ValueError, zstandard.ZstdError) as e:
        raise AssertionError(f"{what}: not a header and a zstd frame ({e})") from None
    expect(f"{what} ends with its zstd frame", (True, b""), (stream.eof, stream.unused_data))
    return data[:14].hex(), records.hex()


def judge(case: CodecCase, question: dict, answer: dict) -> None:
    """The default ``decode`` judgement; an encoding by its header and records."""
    if question["ask"] == "decode":
        return judge_decoded(case.id, case.expected, case.decoded, answer)
    header, records = _parts(f"{case.id} encoded", answer.get("encoded"))
    expected_header, expected_records = _parts(f"{case.id} case", case.encoded)
    expect(f"{case.id} encoded header", expected_header, header)
    expect(f"{case.id} encoded records (decompressed)", expected_records, records)

# ------------------------------------------------------------------ the questions and answers, typed (``family.py``)

class ArchiveContext(Exchange):
    key: Hex = Field(description="the archive key")


class DecodeArchive(Decode):
    context: ArchiveContext


class ArchiveJson(Exchange):
    """An archive's key, and when it opens its header's nonce and its elements (docs/xmtp-facts.md §9)."""

    key: Hex = Field(description="the AES-256 archive key")
    nonce: Hex = absent(description="the header's 12-byte nonce")
    elements: list[json_model(BackupElement)] = absent(description="the BackupElements, the metadata first")


EXCHANGES = codec_exchanges(ArchiveJson, decode=DecodeArchive)
