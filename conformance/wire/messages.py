"""``wire/messages::<case>``: a model member's application message carrying the case's PlaintextEnvelope.

A member of the group sends the case's bytes as the application data of an MLS message (RFC 9420 §6.3),
followed by a valid text message of a super admin (the probe). After one sync the SDK must show, beside
the probe, the case's message when its envelope is valid V1 (stored under its content type, sender the
member's inbox; a text's text and a transcript's update as the model reads them), and nothing for a V2
envelope (ignored) or an envelope that does not decode (skipped: docs/xmtp-facts.md §6; libxmtp
mls_sync.rs ``process_external_message``). Messages change no group state, so every case shares one group.

Without a wire form: a codec's refusal (a text that is not UTF-8, a content type a codec does not read: the
envelope is stored, and how an SDK shows content it cannot decode is not part of the protocol), and the
transcripts a client builds itself from commits (the commit checks judge those).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from spec_model.xmtp.content import (
    GROUP_UPDATED, TEXT, ContentReason, EncodedContent, PlaintextEnvelope, content_type_of, decode_group_updated,
    decode_text, encode_text, open_envelope, seal_envelope,
)
from spec_model.mls.reasons import Rejected

from ..adapter.reference import transcript_json
from ..vectors.formats import CodecCase, Verdict
from .world import GroupSpec, WireFailure, WireGroup, World, difference, group_spec

__all__ = ["derive"]

_ENVELOPE = "xmtp.mls.message_contents.PlaintextEnvelope"
_ENVELOPE_REFUSALS = (ContentReason.EMPTY_ENVELOPE, ContentReason.MALFORMED_ENVELOPE)


@dataclasses.dataclass(frozen=True)
class MessageWire:
    """A member sends ``data`` as application data; ``shown`` is what the SDK must store of it (None: nothing)."""

    spec: GroupSpec
    case_id: str
    data: bytes

    def play(self, world: World) -> None:
        group = world.group(self.spec, self.case_id)
        if _message_id(group, self.data) in group.message_ids:  # the same id twice is one message: a group of its own
            group = world.group(self.spec, self.case_id, private=True)
        group.message_ids.add(_message_id(group, self.data))
        sender = group.world.user("member").inbox_id
        group.send("member", self.data)
        group.probes += 1
        probe = f"probe {group.probes}"
        group.send("super_admin", seal_envelope(encode_text(probe), probe))
        before = group.view
        with world.sdk_phase(self.case_id):
            group.sync()
            after = group.observe()
        shown = [entry for entry in (stored_entry(self.data, sender),) if entry is not None]
        expected = dict(before, messages=[*before["messages"], *shown,
                                          stored_entry(seal_envelope(encode_text(probe), probe),
                                                       group.world.user("super_admin").inbox_id)])
        group.view = after
        if after != expected:
            what = "stored" if shown else "passed over"
            raise WireFailure(f"{self.case_id}: the message should be {what}, and the text that follows it stored; "
                              + difference(expected, after), expected=expected, actual=after)


def _message_id(group: WireGroup, data: bytes) -> bytes | None:
    """The id a client stores the message under (docs/xmtp-facts.md §6), None if it stores none."""
    try:
        opened = open_envelope(group.group_id, data)
    except Rejected:
        return None
    return opened.id if opened is not None else None


def stored_entry(data: bytes, sender: str) -> dict[str, Any] | None:
    """What ``clients.messages`` shows of application data from ``sender`` (``view``'s fields), or None if a
    client stores nothing of it (docs/xmtp-facts.md §6)."""
    try:
        envelope = PlaintextEnvelope.decode(data)
    except ValueError:
        return None
    if envelope.v1 is None:
        return None
    content = envelope.v1.content
    content_type = content_type_of(content)
    entry: dict[str, Any] = {"kind": "application", "delivery_status": "published", "sender_inbox_id": sender,
                             "content_type": f"{content_type.authority_id}/{content_type.type_id}"}
    if content_type == TEXT:
        entry["text"] = decode_text(EncodedContent.decode(content))
    elif content_type == GROUP_UPDATED:
        entry["update"] = transcript_json(decode_group_updated(EncodedContent.decode(content)))
    return entry


def _spec() -> GroupSpec:
    return group_spec("messages")


def derive(case: CodecCase) -> MessageWire | str:
    """The wire form of a messages case, or why it has none."""
    if case.type != _ENVELOPE:
        return "a transcript a client builds itself from a commit: the commit checks judge it"
    if case.expected.result == Verdict.INVALID and case.expected.reason not in _ENVELOPE_REFUSALS:
        return "a codec's refusal: the envelope is stored, and how an SDK shows content it cannot decode is " \
               "not part of the protocol"
    return MessageWire(_spec(), case.id, bytes.fromhex(case.encoded))
