"""Application payloads (facts §6): the libxmtp "Hello, World!" bytes, message ids, envelopes, GroupUpdated."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spec_model.mls.reasons import Rejected
from spec_model.xmtp.content import (
    GROUP_UPDATED, TEXT, ContentReason, ContentTypeId, EncodedContent, GroupUpdated, Inbox, MetadataFieldChange,
    PlaintextEnvelope, PlaintextEnvelopeV2, decode_group_updated, decode_text, encode_group_updated, encode_text,
    message_id, open_envelope, seal_envelope, transcript_message_id,
)

# facts §6, from libxmtp crates/xmtp_content_types/fixtures/serialized_content.json
HELLO_WORLD = bytes.fromhex(
    "0a120a08786d74702e6f7267120474657874180112110a08656e636f64696e6712055554462d38220d48656c6c6f2c20576f726c6421")
GROUP_ID = bytes(range(16))


def test_hello_world_text_encodes_to_the_libxmtp_bytes():
    assert encode_text("Hello, World!").encode() == HELLO_WORLD


def test_hello_world_text_decodes():
    encoded = EncodedContent.decode(HELLO_WORLD)
    assert encoded.type == TEXT and str(encoded.type) == "xmtp.org/text:1.0"
    assert encoded.parameters == {"encoding": "UTF-8"} and encoded.fallback is None
    assert decode_text(encoded) == "Hello, World!"


def test_text_without_encoding_parameter_is_utf8():
    assert decode_text(EncodedContent(type=TEXT, content="é".encode())) == "é"


@pytest.mark.parametrize("encoded, reason", [
    (EncodedContent(type=GROUP_UPDATED, content=b"x"), ContentReason.WRONG_CONTENT_TYPE),
    (EncodedContent(content=b"x"), ContentReason.WRONG_CONTENT_TYPE),
    (EncodedContent(type=ContentTypeId("xmtp.org", "text", 2), content=b"x"), ContentReason.WRONG_CONTENT_TYPE),
    (EncodedContent(type=TEXT, parameters={"encoding": "UTF-16"}, content=b"x"), ContentReason.UNSUPPORTED_ENCODING),
    (EncodedContent(type=TEXT, content=b"\xff"), ContentReason.MALFORMED_CONTENT),
])
def test_text_decode_refusals(encoded, reason):
    with pytest.raises(Rejected) as e:
        decode_text(encoded)
    assert e.value.reason == reason


def test_message_id_by_hand():
    content = HELLO_WORLD
    expected = hashlib.sha256(GROUP_ID + b"\x09" + b"1700000000000000000" + b"\x09" + content).digest()
    assert message_id(GROUP_ID, "1700000000000000000", content) == expected
    assert transcript_message_id(GROUP_ID, 1700000000000000000, content) == expected


def test_envelope_round_trip_recomputes_the_id():
    encoded = encode_text("Hello, World!")
    data = seal_envelope(encoded, "42")
    received = open_envelope(GROUP_ID, data)
    assert received.encoded_content == HELLO_WORLD and received.idempotency_key == "42"
    assert received.id == message_id(GROUP_ID, "42", HELLO_WORLD)


def test_v2_envelope_is_ignored():
    data = PlaintextEnvelope(v2=PlaintextEnvelopeV2("key", b"device sync")).encode()
    assert open_envelope(GROUP_ID, data) is None


@pytest.mark.parametrize("data, reason", [
    (b"", ContentReason.EMPTY_ENVELOPE),
    (b"\x0a\x05ab", ContentReason.MALFORMED_ENVELOPE),
])
def test_envelope_refusals(data, reason):
    with pytest.raises(Rejected) as e:
        open_envelope(GROUP_ID, data)
    assert e.value.reason == reason


def test_group_updated_round_trip():
    update = GroupUpdated(
        initiated_by_inbox_id="a" * 64,
        added_inboxes=(Inbox("b" * 64), Inbox("c" * 64)),
        removed_inboxes=(Inbox("d" * 64),),
        metadata_field_changes=(MetadataFieldChange("group_name", None, "Friends"),
                                MetadataFieldChange("description", "old", "")),
        left_inboxes=(Inbox("e" * 64),),
        added_admin_inboxes=(Inbox("f" * 64),),
        removed_admin_inboxes=(Inbox("0" * 64),),
        added_super_admin_inboxes=(Inbox("1" * 64),),
        removed_super_admin_inboxes=(Inbox("2" * 64),),
    )
    encoded = encode_group_updated(update)
    assert encoded.type == GROUP_UPDATED and encoded.parameters == {}
    assert decode_group_updated(EncodedContent.decode(encoded.encode())) == update


def test_metadata_field_change_keeps_presence():
    cleared = MetadataFieldChange("group_name", "Friends", "")
    assert cleared.encode() == b"\x0a\x0agroup_name\x12\x07Friends\x1a\x00"
    assert MetadataFieldChange.decode(cleared.encode()) == cleared
    assert MetadataFieldChange.decode(b"\x0a\x0agroup_name").new_value is None


def test_group_updated_malformed():
    with pytest.raises(Rejected) as e:
        decode_group_updated(EncodedContent(type=GROUP_UPDATED, content=b"\x12\x05"))
    assert e.value.reason == ContentReason.MALFORMED_CONTENT


@given(st.text())
def test_text_round_trip(text):
    assert decode_text(EncodedContent.decode(encode_text(text).encode())) == text
