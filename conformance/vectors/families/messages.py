"""Application payloads (facts §6): PlaintextEnvelope V1, EncodedContent, content type ids, message ids.

Each case is the MLS application data of a group message (a ``PlaintextEnvelope``)
or, for the transcript messages a client builds locally from a commit, the
``EncodedContent`` bytes of a ``GroupUpdated``. ``decoded`` holds the group id the
message belongs to (context, not in the bytes), the decoded protobuf fields and the
message id a receiver computes: ``sha256(group_id ‖ 0x09 ‖ key ‖ 0x09 ‖ EncodedContent
bytes)``, the key being the idempotency key (or, for a transcript message, the commit
envelope's server timestamp in decimal).

Questions: ``decode`` with ``type``, ``encoded`` and ``context: {group_id, codec}`` (``codec``: ``text``,
``group_updated`` or null, the codec the receiver applies; a transcript also gives ``server_timestamp_ns``);
the answer is ``{result: valid, reason: null, decoded}`` (``decoded`` as in the case, the context
included) or ``{result: invalid, reason}``. A valid case also asks ``encode`` (``{type, decoded}``: the
``envelope``, or for a transcript the ``encoded_content``, encoded; the answer is ``{encoded}``),
``encode_content`` when a codec applies (``{codec, value}``, the ``text`` or ``group_updated``; the answer
is ``{encoded_content}``; a text's ``parameters`` are not compared) and, for a V1 envelope, ``seal``
(``{encoded_content, idempotency_key}``; the answer is ``{encoded}``, the PlaintextEnvelope).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from spec_model.mls.codec import DecodeError
from spec_model.mls.reasons import Rejected
from spec_model.xmtp.content import (
    ATTACHMENT, GROUP_UPDATED, REACTION, REACTION_V2, READ_RECEIPT, REMOTE_STATIC_ATTACHMENT, TEXT, Compression,
    ContentReason, ContentTypeId, EncodedContent, GroupUpdated, Inbox, MetadataFieldChange, PlaintextEnvelope,
    PlaintextEnvelopeV2, decode_group_updated, decode_text, encode_group_updated, encode_text, open_envelope,
    seal_envelope, transcript_message_id,
)

from .. import case_id, expect
from ..proto_json import from_json, json_model, to_json
from ..family import Decode, Encoded, Exchange, Hex, absent, codec_exchanges
from ..formats import CodecCase, Expected, Verdict
from ..questions import judge_decoded

__all__ = ["FORMAT", "cases", "questions", "answer", "judge", "to_json", "from_json"]

FORMAT = "codec"
AREA = "messages"
FAMILY = "messages"
RULE_ENVELOPE = "facts §6; libxmtp mls_sync (PlaintextEnvelope V1) and utils calculate_message_id"
RULE_TEXT = "facts §6; libxmtp xmtp_content_types TextCodec"
RULE_TRANSCRIPT = "facts §6; libxmtp GroupUpdatedCodec, transcript message id keyed on the server timestamp"
RULE_MAP = " (EncodedContent.parameters is a map: compare decoded values if your encoder orders maps otherwise)"
ENVELOPE_TYPE = "xmtp.mls.message_contents.PlaintextEnvelope"
CONTENT_TYPE = "xmtp.mls.message_contents.EncodedContent"

# facts §6, from libxmtp crates/xmtp_content_types/fixtures/serialized_content.json
HELLO_WORLD = bytes.fromhex(
    "0a120a08786d74702e6f7267120474657874180112110a08656e636f64696e6712055554462d38220d48656c6c6f2c20576f726c6421")
GROUP_ID = bytes(range(16))
OTHER_GROUP_ID = bytes.fromhex("5f0c7a1e9d3b42c8a6e1f0b2d4c6e8a0")
KEY = "1700000000000000000"  # a current client's idempotency key: now_ns in decimal


# ------------------------------------------------------------------ protobuf <-> JSON

# ------------------------------------------------------------------ decoding as a receiver does

def _decode_envelope(group_id: bytes, data: bytes, codec: str | None) -> dict[str, Any]:
    """open_envelope, then the EncodedContent and (if ``codec`` names one) the codec's value."""
    decoded: dict[str, Any] = {"group_id": group_id.hex(), "codec": codec}
    received = open_envelope(group_id, data)  # raises Rejected for an empty or malformed envelope
    decoded["envelope"] = to_json(PlaintextEnvelope.decode(data))
    if received is None:  # V2: decoded but ignored by a receiver
        decoded["ignored"] = True
        return decoded
    encoded = EncodedContent.decode(received.encoded_content)
    decoded.update(ignored=False, idempotency_key=received.idempotency_key, encoded_content=to_json(encoded),
                   content_type=str(encoded.type), message_id=received.id.hex())
    if codec == "text":
        decoded["text"] = decode_text(encoded)
    elif codec == "group_updated":
        decoded["group_updated"] = to_json(decode_group_updated(encoded))
    return decoded


def _decode_transcript(group_id: bytes, server_timestamp_ns: int, data: bytes) -> dict[str, Any]:
    """A locally built transcript message: its EncodedContent, GroupUpdated and transcript message id."""
    encoded = EncodedContent.decode(data)
    return {"group_id": group_id.hex(), "codec": "group_updated", "server_timestamp_ns": server_timestamp_ns,
            "encoded_content": to_json(encoded), "content_type": str(encoded.type),
            "group_updated": to_json(decode_group_updated(encoded)),
            "message_id": transcript_message_id(group_id, server_timestamp_ns, data).hex()}


def _decode(type_: str, encoded: bytes, context: dict[str, Any]) -> dict[str, Any]:
    group_id = bytes.fromhex(context["group_id"])
    if type_ == ENVELOPE_TYPE:
        return _decode_envelope(group_id, encoded, context["codec"])
    return _decode_transcript(group_id, context["server_timestamp_ns"], encoded)


def _context(case_decoded: dict[str, Any]) -> dict[str, Any]:
    return {k: case_decoded[k] for k in ("group_id", "codec", "server_timestamp_ns") if k in case_decoded}


# ------------------------------------------------------------------ encoding as a sender does

def _encode(type_: str, decoded: dict[str, Any]) -> bytes:
    """The ``type`` bytes ``decoded`` describes: its envelope, or for a transcript its EncodedContent."""
    if type_ == CONTENT_TYPE:
        return from_json(EncodedContent, decoded["encoded_content"]).encode()
    return from_json(PlaintextEnvelope, decoded["envelope"]).encode()


def _encode_content(codec: str, value: Any) -> dict[str, Any]:
    """The EncodedContent a codec makes of ``value`` (a text, or a GroupUpdated as JSON)."""
    if codec == "text":
        return to_json(encode_text(value))
    return to_json(encode_group_updated(from_json(GroupUpdated, value)))


# ------------------------------------------------------------------ questions and answers

def questions(case: CodecCase) -> list[dict[str, Any]]:
    """``decode`` in the case's context; for a valid case ``encode``, ``encode_content`` and ``seal``."""
    d = case.decoded
    asked = [{"ask": "decode", "type": case.type, "encoded": case.encoded, "context": _context(d)}]
    if case.expected.result != Verdict.VALID.value:
        return asked
    asked.append({"ask": "encode", "type": case.type, "decoded": d})
    if "encoded_content" in d and d["codec"] is not None:
        asked.append({"ask": "encode_content", "codec": d["codec"], "value": d[d["codec"]]})
    if case.type == ENVELOPE_TYPE and "v1" in d["envelope"]:
        asked.append({"ask": "seal", "encoded_content": d["encoded_content"], "idempotency_key": d["idempotency_key"]})
    return asked


def answer(question: dict) -> dict:
    """``decode`` as a receiver; ``encode``, ``encode_content`` and ``seal`` as a sender."""
    ask = question["ask"]
    if ask == "decode":
        try:
            decoded = _decode(question["type"], bytes.fromhex(question["encoded"]), question["context"])
        except Rejected as e:
            return {"result": Verdict.INVALID.value, "reason": e.reason.value}
        except DecodeError:  # the EncodedContent inside the envelope, or a transcript's own bytes
            return {"result": Verdict.INVALID.value, "reason": ContentReason.MALFORMED_CONTENT.value}
        return {"result": Verdict.VALID.value, "reason": None, "decoded": decoded}
    if ask == "encode":
        return {"encoded": _encode(question["type"], question["decoded"]).hex()}
    if ask == "encode_content":
        return {"encoded_content": _encode_content(question["codec"], question["value"])}
    if ask == "seal":
        content = from_json(EncodedContent, question["encoded_content"])
        return {"encoded": seal_envelope(content, question["idempotency_key"]).hex()}
    raise ValueError(f"unknown ask {ask!r}")


def judge(case: CodecCase, question: dict, answer: dict) -> None:
    """``decode`` and ``encode`` as every codec case; the codec's content and the sealed envelope against it."""
    ask, d = question["ask"], case.decoded
    if ask == "decode":
        return judge_decoded(case.id, case.expected, d, answer)
    if ask in ("encode", "seal"):
        what = "encoded" if ask == "encode" else "sealed envelope"
        return expect(f"{case.id} {what}", case.encoded, answer.get("encoded"))
    if ask == "encode_content":
        expected, actual = d["encoded_content"], answer.get("encoded_content")
        if question["codec"] == "text" and isinstance(actual, dict):  # the encoding parameter is not compared
            expected, actual = _without_parameters(expected), _without_parameters(actual)
        return expect(f"{case.id} {question['codec']} codec encoded_content", expected, actual)
    raise ValueError(f"{case.id}: no judgement for ask {ask!r}")


def _without_parameters(encoded_content: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in encoded_content.items() if k != "parameters"}


# ------------------------------------------------------------------ cases

def _case(name: str, type_: str, encoded: bytes, context: dict[str, Any], description: str, rule: str,
          tags: list[str]) -> CodecCase:
    decided = answer({"ask": "decode", "type": type_, "encoded": encoded.hex(), "context": context})
    decoded = decided.get("decoded", dict(context))
    expected = Expected(result=decided["result"], reason=decided["reason"])
    return CodecCase(id=case_id(FAMILY, name), description=description, rule=rule, tags=["seed", "content"] + tags,
                     type=type_, encoded=encoded.hex(), decoded=decoded, expected=expected)


def _envelope(name: str, content: EncodedContent | bytes, key: str, description: str, *, codec: str | None,
              rule: str = RULE_ENVELOPE, group_id: bytes = GROUP_ID, tags: list[str] | None = None) -> CodecCase:
    data = seal_envelope(content, key) if isinstance(content, EncodedContent) else content
    return _case(name, ENVELOPE_TYPE, data, {"group_id": group_id.hex(), "codec": codec}, description, rule,
                 tags or [])


def _opaque(type_: ContentTypeId, content: bytes, **extra) -> EncodedContent:
    return EncodedContent(type=type_, content=content, **extra)


def cases() -> list[CodecCase]:
    update = GroupUpdated(
        initiated_by_inbox_id="a1" * 32,
        added_inboxes=(Inbox("b2" * 32), Inbox("c3" * 32)),
        metadata_field_changes=(MetadataFieldChange("group_name", None, "Team"),
                                MetadataFieldChange("description", "old", None)))
    generated = [
        _envelope("hello_world_text", encode_text("Hello, World!"), KEY,
                  "Given the facts sheet's \"Hello, World!\" EncodedContent sealed in a V1 envelope, When a receiver "
                  "opens it, Then the content is the libxmtp fixture bytes, the text decodes and the message id is "
                  "sha256(group_id ‖ 0x09 ‖ key ‖ 0x09 ‖ content)", codec="text", rule=RULE_TEXT,
                  tags=["text"]),
        _envelope("text_other_group_same_key", encode_text("Hello, World!"), KEY,
                  "Given the same text and key in another group, When opened, Then only the message id changes "
                  "(it covers the group id)", codec="text", group_id=OTHER_GROUP_ID, rule=RULE_TEXT,
                  tags=["text"]),
        _envelope("text_unicode", encode_text("Grüße 👋 — ok"), "1700000000000000001",
                  "Given a text with non-ASCII characters, When opened, Then the content is its UTF-8 bytes",
                  codec="text", rule=RULE_TEXT, tags=["text"]),
        _envelope("text_empty", encode_text(""), "1700000000000000002",
                  "Given an empty text, When opened, Then content is omitted (proto3 default) and decodes as \"\"",
                  codec="text", rule=RULE_TEXT, tags=["text"]),
        _envelope("text_without_encoding_parameter", _opaque(TEXT, b"plain"), "7",
                  "Given a text EncodedContent with no encoding parameter, When decoded, Then it is read as UTF-8",
                  codec="text", rule=RULE_TEXT, tags=["text"]),
        _envelope("text_empty_idempotency_key", encode_text("no key"), "",
                  "Given an empty idempotency key (omitted on the wire), When opened, Then the id hashes "
                  "group_id ‖ 0x09 ‖ 0x09 ‖ content", codec="text", rule=RULE_TEXT, tags=["text"]),
        _envelope("reaction_v1_json_with_fallback",
                  _opaque(REACTION, b'{"reference":"0011","action":"added","content":"\\ud83d\\udc4d",'
                                    b'"schema":"unicode"}', fallback="Reacted 👍 to an earlier message"),
                  "1700000000000000003",
                  "Given a reaction (xmtp.org/reaction:1.0, opaque JSON) with a fallback, When opened, Then the type "
                  "id, optional fallback and id decode; the content is not interpreted here", codec=None,
                  tags=["content-type-id"]),
        _envelope("reaction_v2", _opaque(REACTION_V2, bytes.fromhex("0a0430303131")), "1700000000000000004",
                  "Given a reaction v2 (xmtp.org/reaction:2.0), When opened, Then version_major is 2",
                  codec=None, tags=["content-type-id"]),
        _envelope("read_receipt", _opaque(READ_RECEIPT, b""), "1700000000000000005",
                  "Given a read receipt (xmtp.org/readReceipt:1.0, empty content), When opened, Then only the "
                  "type id is on the wire", codec=None, tags=["content-type-id"]),
        _envelope("attachment_with_parameters",
                  _opaque(ATTACHMENT, b"\x89PNG\r\n\x1a\n", parameters={"mimeType": "image/png",
                                                                         "filename": "a.png"}),
                  "1700000000000000006",
                  "Given an attachment (xmtp.org/attachment:1.0) with two parameters, When opened, Then the map "
                  "entries are written sorted by key (canonical; prost may write another order)", codec=None,
                  rule=RULE_ENVELOPE + RULE_MAP, tags=["content-type-id"]),
        _envelope("remote_attachment_compressed_field",
                  _opaque(REMOTE_STATIC_ATTACHMENT, b"opaque", compression=Compression.DEFLATE),
                  "1700000000000000007",
                  "Given compression = DEFLATE (0), an optional field, When encoded, Then it is written although 0",
                  codec=None, tags=["content-type-id"]),
        _envelope("group_updated_in_envelope", encode_group_updated(update), "1700000000000000008",
                  "Given a GroupUpdated EncodedContent in an envelope, When opened with the GroupUpdated codec, "
                  "Then its inboxes and metadata changes decode", codec="group_updated", rule=RULE_TRANSCRIPT,
                  tags=["group-updated"]),
        _envelope("v2_envelope_ignored", PlaintextEnvelope(v2=PlaintextEnvelopeV2("key", b"device sync")).encode(),
                  "", "Given a V2 (retired device sync) envelope, When opened, Then it decodes but is ignored (no "
                  "message)", codec=None),
        _envelope("empty_envelope_refused", b"", "",
                  "Given empty application data (neither V1 nor V2), When opened, Then it is refused",
                  codec=None),
        _envelope("truncated_envelope_refused", bytes.fromhex("0a05616263"), "",
                  "Given an envelope whose V1 length runs past the end, When opened, Then it is malformed",
                  codec=None),
        _envelope("text_utf16_refused", EncodedContent(type=TEXT, parameters={"encoding": "UTF-16"}, content=b"x"),
                  "9", "Given text with encoding=UTF-16, When decoded as text, Then it is refused",
                  codec="text", rule=RULE_TEXT),
        _envelope("text_invalid_utf8_refused", _opaque(TEXT, b"\xff\xfe"), "10",
                  "Given text content that is not UTF-8, When decoded as text, Then it is refused",
                  codec="text", rule=RULE_TEXT),
        _envelope("text_v2_type_refused", _opaque(ContentTypeId("xmtp.org", "text", 2), b"x"), "11",
                  "Given xmtp.org/text:2.0, When decoded with the text 1.0 codec, Then the type is refused",
                  codec="text", rule=RULE_TEXT),
        _envelope("reaction_as_text_refused", _opaque(REACTION, b"{}"), "12",
                  "Given a reaction, When decoded with the text codec, Then the content type is refused",
                  codec="text", rule=RULE_TEXT),
        _envelope("group_updated_malformed_refused", EncodedContent(type=GROUP_UPDATED, content=b"\x0a\x09ab"),
                  "13", "Given GroupUpdated content that is not valid protobuf, When decoded, Then it is refused",
                  codec="group_updated", rule=RULE_TRANSCRIPT),
    ]
    transcripts = [
        ("transcript_members_added", update, 1700000000123456789,
         "Given a GroupUpdated for two added inboxes and two metadata changes built from a commit whose envelope "
         "has server timestamp T, When encoded, Then its id is sha256(group_id ‖ 0x09 ‖ decimal T ‖ 0x09 ‖ content)"),
        ("transcript_admin_changes", GroupUpdated(
            initiated_by_inbox_id="a1" * 32, removed_inboxes=(Inbox("c3" * 32),), left_inboxes=(Inbox("d4" * 32),),
            added_admin_inboxes=(Inbox("b2" * 32),), removed_admin_inboxes=(Inbox("e5" * 32),),
            added_super_admin_inboxes=(Inbox("f6" * 32),), removed_super_admin_inboxes=(Inbox("a1" * 32),)),
         1, "Given a GroupUpdated using fields 3 and 5-9, When encoded, Then every field keeps its number"),
        ("transcript_empty_update", GroupUpdated(initiated_by_inbox_id="a1" * 32), 0,
         "Given a GroupUpdated naming only its initiator and server timestamp 0, When encoded, Then the id keys "
         "on \"0\""),
    ]
    for name, value, timestamp, description in transcripts:
        generated.append(_case(name, CONTENT_TYPE, encode_group_updated(value).encode(),
                               {"group_id": GROUP_ID.hex(), "codec": "group_updated", "server_timestamp_ns": timestamp},
                               description, RULE_TRANSCRIPT, ["group-updated", "transcript"]))
    hello = generated[0]
    if bytes.fromhex(hello.decoded["envelope"]["v1"]["content"]) != HELLO_WORLD:
        raise ValueError("the model no longer encodes the facts sheet's Hello, World! bytes")
    return generated

# ------------------------------------------------------------------ the questions and answers, typed (``family.py``)

class MessageContext(Exchange):
    group_id: Hex | None = None
    codec: str | None = Field(None, description="the content codec the receiver expects")
    server_timestamp_ns: int | None = None


class DecodeMessage(Decode):
    context: MessageContext = Field(default_factory=MessageContext)


EncodedContentJson = json_model(EncodedContent)
GroupUpdatedJson = json_model(GroupUpdated)


class MessageJson(Exchange):
    """A message as a receiver decodes it (docs/xmtp-facts.md §6): its context, the envelope, the content and the
    codec's value, and the message id."""

    group_id: Hex
    codec: str | None = Field(description="the codec the receiver applies: text, group_updated or null")
    server_timestamp_ns: int = absent(description="a transcript: its commit's server timestamp")
    envelope: json_model(PlaintextEnvelope) = absent()
    ignored: bool = absent(description="whether a receiver ignores the envelope (V2)")
    idempotency_key: str = absent()
    encoded_content: EncodedContentJson = absent()
    content_type: str = absent(description="the content type id as text")
    message_id: Hex = absent()
    text: str = absent(description="the text codec's value")
    group_updated: GroupUpdatedJson = absent(description="the group_updated codec's value")


class EncodeContent(Exchange):
    ask: Literal["encode_content"]
    codec: str
    value: str | GroupUpdatedJson = Field(description="what the codec encodes: a text, or a GroupUpdated")


class EncodedContentAnswer(Exchange):
    encoded_content: EncodedContentJson


class Seal(Exchange):
    ask: Literal["seal"]
    encoded_content: EncodedContentJson
    idempotency_key: str


EXCHANGES = {**codec_exchanges(MessageJson, decode=DecodeMessage),
             "encode_content": (EncodeContent, EncodedContentAnswer), "seal": (Seal, Encoded)}
