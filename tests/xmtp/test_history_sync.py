"""History sync (facts §9; seed "A user can prompt an existing app to send message history to a newly
registered app"): the archive format, its refusals, and the request / reply flow between installations."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
import zstandard
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from spec_model.mls.reasons import Rejected
from spec_model.xmtp.client import Client, ClientConfig, ClientReason, Conversation
from spec_model.xmtp.consent import ConsentSave, ConsentState, ConsentType, conversation_entity
from spec_model.xmtp.content import DEVICE_SYNC
from spec_model.xmtp.delivery import GroupMessageKind
from spec_model.xmtp.extensions import ConversationType, GroupMetadataV1, GroupMembership, new_group_mutable_metadata
from spec_model.xmtp.groups import group_context_extensions
from spec_model.xmtp.history_archive import (
    ArchiveOptions, BackupElement, BackupElementSelection, BackupMetadata, DeviceSyncContent, DeviceSyncRequest,
    GroupMessageSave, HistorySyncReason, RestoredGroup, decode_device_sync, encode_device_sync, export_archive,
    Importer, import_archive, load_group_state, read_archive, write_archive,
)
from spec_model.xmtp.network import DeliveryService
from spec_model.xmtp.permissions import Preset, preset_policies
from spec_model.xmtp.profiles import LIBXMTP, SEED
from spec_model.xmtp.store import MembershipState, Store
from spec_model.xmtp.wallet import Wallet
from tests.mls.members import seeded_rng

KEY = bytes(range(32))
NONCE = b"\xff" + bytes(11)  # little-endian: the second record's nonce carries into the next byte


class Net:
    def __init__(self, tmp_path, seed=7):
        self.rng, self.network, self.path = seeded_rng(seed), DeliveryService(), tmp_path

    def client(self, wallet: Wallet, name: str, profile=SEED) -> Client:
        self.network.clock.advance(10**9)
        return Client.create(wallet, self.path / f"{name}.db", bytes(32), self.network, rng=self.rng,
                             config=ClientConfig(profile=profile))

    def tick(self):
        self.network.clock.advance(10**9)


def _elements():
    return [BackupElement(metadata=BackupMetadata((BackupElementSelection.MESSAGES,), 5)),
            BackupElement(group_message=GroupMessageSave(id=b"id", group_id=b"group", decrypted_message_bytes=b"x",
                                                         sent_at_ns=7))]


# ------------------------------------------------------------------ the archive format

def test_archive_layout_is_header_then_zstd_records_under_incrementing_nonces():
    archive = write_archive(_elements(), KEY, NONCE)
    assert archive[:2] == b"\x00\x00"  # u16-LE version 0
    assert archive[2:14] == NONCE
    records = zstandard.ZstdDecompressor().decompress(archive[14:])
    aead, pos, plain = AESGCM(KEY), 0, []
    for nonce in (NONCE, b"\x00\x01" + bytes(10)):
        (length,) = struct.unpack_from("<I", records, pos)
        plain.append(aead.decrypt(nonce, records[pos + 4:pos + 4 + length], None))
        pos += 4 + length
    assert pos == len(records)
    assert [BackupElement.decode(p) for p in plain] == _elements()
    assert read_archive(archive, KEY) == _elements()


LEGACY_ARCHIVE = Path(__file__).parent / "data" / "libxmtp" / "archive-legacy.xmtp"


def test_libxmtp_s_legacy_archive_is_read_and_imported(tmp_path):
    """libxmtp crates/xmtp_mls/src/worker/device_sync/archive.rs@b649d1a ``test_legacy_archive_import``: its
    fixture (key: 32 zero bytes) opens only with the importer's retry under the previous nonce (its second
    record is sealed under the first one's), and imports as a restored group, its message and a consent record."""
    archive, key = LEGACY_ARCHIVE.read_bytes(), bytes(32)
    records = zstandard.ZstdDecompressor().decompressobj().decompress(archive[14:])
    (first,) = struct.unpack_from("<I", records)
    (second,) = struct.unpack_from("<I", records, 4 + first)
    sealed = records[8 + first:8 + first + second]
    nonce = archive[2:14]
    with pytest.raises(InvalidTag):  # not under nonce + 1 (little-endian) ...
        AESGCM(key).decrypt(((int.from_bytes(nonce, "little") + 1) % (1 << 96)).to_bytes(12, "little"), sealed, None)
    AESGCM(key).decrypt(nonce, sealed, None)  # ... but under the first record's nonce
    elements = read_archive(archive, key)
    assert [next(k for k in ("metadata", "group", "group_message", "consent") if getattr(e, k)) for e in elements] \
        == ["metadata", "group", "group_message", "consent"]
    with Store.open(tmp_path / "legacy.db", bytes(32)) as store:
        summary = import_archive(store, archive, key, Importer("c0" * 32, 9))
        assert (summary.groups, summary.messages, summary.consent) == (1, 1, 1)
        (row,) = store.find_groups()
        assert row.id == elements[1].group.id and row.membership_state == MembershipState.RESTORED


def test_device_sync_content_numbers():
    content = DeviceSyncContent(request=DeviceSyncRequest("AB12C", "u", ArchiveOptions(elements=(1, 2))))
    assert content.encode() == b"\x0a\x10" + b"\x0a\x05AB12C" + b"\x12\x01u" + b"\x22\x04\x0a\x02\x01\x02"
    encoded = encode_device_sync(content)
    assert encoded.type == DEVICE_SYNC and str(encoded.type) == "xmtp.org/application/x-protobuf:1.0"
    assert decode_device_sync(encoded) == content


def _reseal(archive: bytes, edit) -> bytes:
    records = bytearray(zstandard.ZstdDecompressor().decompress(archive[14:]))
    edit(records)
    return archive[:14] + zstandard.ZstdCompressor().compress(bytes(records))


def _flip_last_byte(records: bytearray) -> None:
    records[-1] ^= 1


def _swap_records(records: bytearray) -> None:
    (first,) = struct.unpack_from("<I", records)
    records[:] = records[4 + first:] + records[:4 + first]


@pytest.mark.parametrize("tamper, reason", [
    (lambda a: _reseal(a, _flip_last_byte), HistorySyncReason.TAMPERED),
    (lambda a: _reseal(a, _swap_records), HistorySyncReason.TAMPERED),
    (lambda a: a[:14] + a[14:-1], HistorySyncReason.MALFORMED_ARCHIVE),   # truncated zstd frame
    (lambda a: a + b"\x00", HistorySyncReason.MALFORMED_ARCHIVE),         # bytes after the frame
    (lambda a: a[:10], HistorySyncReason.MALFORMED_ARCHIVE),              # shorter than the header
    (lambda a: b"\x01\x00" + a[2:], HistorySyncReason.UNSUPPORTED_VERSION),
    (lambda a: a[:2] + bytes(12) + a[14:], HistorySyncReason.TAMPERED),    # another nonce
])
def test_a_tampered_archive_is_refused(tamper, reason):
    with pytest.raises(Rejected) as e:
        read_archive(tamper(write_archive(_elements(), KEY, NONCE)), KEY)
    assert e.value.reason == reason


def test_wrong_key_and_missing_metadata_are_refused():
    with pytest.raises(Rejected) as e:
        read_archive(write_archive(_elements(), KEY, NONCE), bytes(32))
    assert e.value.reason == HistorySyncReason.TAMPERED
    with pytest.raises(Rejected) as e:
        write_archive(_elements()[::-1], KEY, NONCE)
    assert e.value.reason == HistorySyncReason.MISSING_METADATA
    sealed = AESGCM(KEY).encrypt(NONCE, _elements()[1].encode(), None)  # a message element first
    forged = b"\x00\x00" + NONCE + zstandard.ZstdCompressor().compress(struct.pack("<I", len(sealed)) + sealed)
    with pytest.raises(Rejected) as e:
        read_archive(forged, KEY)
    assert e.value.reason == HistorySyncReason.MISSING_METADATA


# ------------------------------------------------------------------ export and import of a client's store

@pytest.fixture
def history(tmp_path):
    """Alice (installation A) with a group, a DM, a group Bob made, messages and consent of every kind."""
    net = Net(tmp_path)
    alice_wallet = Wallet.random(net.rng)
    a = net.client(alice_wallet, "a")
    bob, carol = net.client(Wallet.random(net.rng), "bob"), net.client(Wallet.random(net.rng), "carol")
    team = a.conversations.create_group(inbox_ids=[bob.inbox_id], name="Team")
    net.tick()
    team.send("hello team")
    dm = a.conversations.create_dm(carol.inbox_id)
    net.tick()
    dm.send("hi carol")
    bobs = bob.conversations.create_group(inbox_ids=[a.inbox_id], name="Bob's")
    net.tick()
    bobs.send("from bob")
    net.tick()
    (joined,) = a.conversations.sync()
    joined.sync()
    a.set_consent(ConsentType.CONVERSATION_ID, conversation_entity(joined.group_id), ConsentState.DENIED)
    a.set_consent(ConsentType.INBOX_ID, carol.inbox_id, ConsentState.DENIED)
    a.set_consent(ConsentType.INBOX_ID, bob.inbox_id, ConsentState.ALLOWED)
    net.tick()
    return net, alice_wallet, a, bob, carol.inbox_id


def _snapshot(client: Client):
    """Conversation ids, their application messages' ids and contents, and every conversation's consent (an
    archive holds no membership-change message: libxmtp group_message.rs@b649d1a ``group_messages_paged``)."""
    return [(c.group_id, [(m.id, m.sent_at_ns, m.content) for m in c.find_messages(kind=GroupMessageKind.APPLICATION)],
             client.consent_state(ConsentType.CONVERSATION_ID, conversation_entity(c.group_id)))
            for c in client.conversations.list()]


def test_export_then_import_into_an_empty_store(history, tmp_path):
    net, _, a, bob, _ = history
    archive = export_archive(a.store, ArchiveOptions(elements=(1, 2)), KEY, nonce=NONCE, now_ns=1)
    with Store.open(tmp_path / "empty.db", bytes(32)) as store:
        importer = Importer(a.inbox_id, 5)
        summary = import_archive(store, archive, KEY, importer)
        assert (summary.groups, summary.messages) == (3, sum(len(c.find_messages(kind=GroupMessageKind.APPLICATION))
                                                             for c in a.conversations.list()))
        rows = store.find_groups()
        assert [r.id for r in rows] == [c.group_id for c in a.conversations.list()]
        assert all(isinstance(load_group_state(r.mls_state), RestoredGroup) for r in rows)
        assert all(r.membership_state == MembershipState.RESTORED for r in rows)  # inactive until a Welcome
        assert store.get_consent(ConsentType.INBOX_ID, bob.inbox_id).state == ConsentState.ALLOWED
        assert all(r.created_at_ns == 5 and r.added_by_inbox_id == a.inbox_id for r in rows)
        assert import_archive(store, archive, KEY, importer).messages == 0  # importing twice adds nothing


def test_export_filters_by_time_and_element(history):
    net, _, a, _, _ = history
    team = a.conversations.list()[0]
    (sent,) = [m for m in team.find_messages() if m.kind == GroupMessageKind.APPLICATION]
    only_after = ArchiveOptions(elements=(BackupElementSelection.MESSAGES,), start_ns=sent.sent_at_ns + 1)
    elements = read_archive(export_archive(a.store, only_after, KEY, nonce=NONCE, now_ns=1), KEY)
    assert sent.id not in {e.group_message.id for e in elements if e.group_message}
    assert not any(e.consent for e in elements)
    consent_only = read_archive(export_archive(a.store, ArchiveOptions(elements=(2,)), KEY, nonce=NONCE, now_ns=1),
                                KEY)
    assert {type(e.consent) for e in consent_only[1:]} == {ConsentSave}


# ------------------------------------------------------------------ the flow between installations

def test_a_new_installation_gets_the_history_of_an_existing_one(history):
    net, alice_wallet, a, bob, carol = history
    b = net.client(alice_wallet, "b")
    assert b.inbox_id == a.inbox_id and b.conversations.list() == []

    pin = b.request_history_sync()
    assert len(pin) == 5
    assert b.conversations.list() == []  # the sync group is not listed
    net.tick()
    report = a.process_history_sync()
    assert report.answered == [pin] and not report.refused
    net.tick()
    report = b.process_history_sync()
    assert len(report.imported) == 1 and report.imported[0].groups == 3

    assert _snapshot(b) == _snapshot(a)
    assert b.is_inbox_id_allowed(bob.inbox_id) and b.is_inbox_id_denied(carol)
    team = b.conversations.list()[0]
    assert team.name == "Team" and not team.is_active
    with pytest.raises(Rejected):
        team.send("not yet")

    # a later membership update re-adds B by Welcome; the imported history stays
    net.tick()
    a.conversations.list()[0].update_installations()
    net.tick()
    b.conversations.sync()
    assert team.is_active
    team.send("B is back")
    net.tick()
    a_team = a.conversations.list()[0]
    a_team.sync()
    assert [m.text for m in a_team.find_messages() if m.kind == 1] == ["hello team", "B is back"]
    assert [m.id for m in team.find_messages() if m.kind == 1] == [m.id for m in a_team.find_messages()
                                                                      if m.kind == 1]

    # answered once: processing again neither answers nor imports again
    assert a.process_history_sync().answered == [] and b.process_history_sync().imported == []


def test_a_request_is_answered_by_one_installation_only(history):
    net, alice_wallet, a, _, _ = history
    a2 = net.client(alice_wallet, "a2")
    b = net.client(alice_wallet, "b")
    pin = b.request_history_sync()
    net.tick()
    assert a.process_history_sync().answered == [pin]
    net.tick()
    assert a2.process_history_sync().answered == []  # A's acknowledge claimed it
    net.tick()
    assert len(b.process_history_sync().imported) == 1


def test_in_the_libxmtp_profile_every_installation_answers_unacknowledged(tmp_path):
    """Profile ``sync_requests_claimed`` off (libxmtp worker.rs ``process_message``@b649d1a): no acknowledge, and
    each installation answers each request of another one, once."""
    net = Net(tmp_path)
    wallet = Wallet.random(net.rng)
    a, a2 = net.client(wallet, "a", LIBXMTP), net.client(wallet, "a2", LIBXMTP)
    b = net.client(wallet, "b", LIBXMTP)
    pin = b.request_history_sync()
    net.tick()
    assert a.process_history_sync().answered == [pin]
    net.tick()
    assert a2.process_history_sync().answered == [pin] and a2.process_history_sync().answered == []
    net.tick()
    assert len(b.process_history_sync().imported) == 1  # the first reply; the second names a settled request
    (row,) = b.store.find_groups(conversation_type=ConversationType.SYNC)
    sent = [decode_device_sync(m.content) for m in Conversation(b, row.id).find_messages(kind=1)]
    assert [c.acknowledge for c in sent if c.acknowledge] == [] and len([c for c in sent if c.reply]) == 2


def test_a_sync_group_of_another_inbox_is_refused(history):
    net, _, a, bob, _ = history
    extensions = group_context_extensions(
        GroupMetadataV1(conversation_type=ConversationType.SYNC, creator_inbox_id=bob.inbox_id),
        new_group_mutable_metadata(bob.inbox_id),
        GroupMembership(members={bob.inbox_id: bob.identities.latest_sequence_id(bob.inbox_id)}),
        preset_policies(Preset.ALL_MEMBERS))
    fake = bob.conversations.start(extensions, ConversationType.SYNC)
    fake.add_members_by_inbox_id([a.inbox_id])
    net.tick()
    fake.send(encode_device_sync(DeviceSyncContent(request=DeviceSyncRequest("EVIL1", "https://evil"))))
    net.tick()
    report = a.process_history_sync()
    assert report.answered == [] and report.refused == []  # its Welcome was refused: a never joined
    with pytest.raises(Rejected) as e:
        a.conversations.get(fake.group_id)
    assert e.value.reason == ClientReason.UNKNOWN_GROUP
    net.tick()
    fake.sync()
    assert [m for m in fake.find_messages(content_type=(DEVICE_SYNC.authority_id, DEVICE_SYNC.type_id))
            if m.sender_inbox_id == a.inbox_id] == []


def _bomb(record_length: int, inflated: int) -> bytes:
    """An archive whose zstd frame (RFC 8878 §3.1.1) declares one record of ``record_length`` bytes, then
    inflates to ``inflated`` zero bytes from RLE blocks of 4 bytes each (128 KiB per block)."""
    block = zstandard.BLOCKSIZE_MAX
    frame = bytearray(b"\x28\xb5\x2f\xfd\x00\x38")  # magic; no content size; window 2^(10+7) = 128 KiB
    frame += (4 << 3 | 0 << 1).to_bytes(3, "little") + struct.pack("<I", record_length)  # a raw block
    for i in range(inflated // block):
        last = i == inflated // block - 1
        frame += (block << 3 | 1 << 1 | last).to_bytes(3, "little") + b"\x00"  # an RLE block
    return struct.pack("<H", 0) + NONCE + bytes(frame)


def test_a_decompression_bomb_is_refused_holding_at_most_one_record():
    """32 KiB that inflate to 1 GiB: refused once the first record is complete and fails to open."""
    import tracemalloc
    from spec_model.xmtp.history_archive import MAX_RECORD_SIZE, _MAX_STEP_OUTPUT
    bomb = _bomb(MAX_RECORD_SIZE, 1 << 30)
    assert len(bomb) < 40_000
    tracemalloc.start()
    try:
        with pytest.raises(Rejected) as e:
            read_archive(bomb, KEY)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert e.value.reason == HistorySyncReason.TAMPERED
    assert peak < 2 * MAX_RECORD_SIZE + _MAX_STEP_OUTPUT + (1 << 20)  # the record, its plaintext, one step


def test_a_record_longer_than_any_network_payload_is_refused_before_it_is_inflated():
    from spec_model.xmtp.history_archive import MAX_RECORD_SIZE
    with pytest.raises(Rejected) as e:
        read_archive(_bomb(MAX_RECORD_SIZE + 1, 1 << 30), KEY)
    assert e.value.reason == HistorySyncReason.MALFORMED_ARCHIVE
    assert str(e.value.detail).endswith(f"length {MAX_RECORD_SIZE + 1}")


def test_a_preference_update_in_the_sync_group_imports_its_consent_records(history):
    """docs/xmtp-facts.md §9 "Preference sync": libxmtp's ``PreferenceUpdates{repeated PreferenceUpdate}``; the
    consent saves among the updates are imported, an HMAC-key update beside them is passed over."""
    from spec_model.xmtp.consent import ConsentStateSave, ConsentTypeSave
    from spec_model.xmtp.history_archive import (
        DeviceSyncContent, HmacKeyUpdate, PreferenceUpdate, PreferenceUpdates, encode_device_sync,
    )
    from spec_model.xmtp.history_sync import _ensure_sync_group
    net, alice_wallet, a, bob, _ = history
    b = net.client(alice_wallet, "b")
    b.request_history_sync()
    net.tick()
    a.process_history_sync()
    net.tick()
    b.process_history_sync()
    assert not a.is_inbox_id_denied(bob.inbox_id)
    update = PreferenceUpdates(updates=(
        PreferenceUpdate(hmac=HmacKeyUpdate()),
        PreferenceUpdate(consent=ConsentSave(entity_type=ConsentTypeSave.INBOX_ID, state=ConsentStateSave.DENIED,
                                             entity=bob.inbox_id, consented_at_ns=2**62)),
    ))
    _ensure_sync_group(b.conversations).send(encode_device_sync(DeviceSyncContent(preference_updates=update)))
    net.tick()
    report = a.process_history_sync()
    assert not report.refused
    assert a.is_inbox_id_denied(bob.inbox_id)
