"""RFC 9420 §8.2: the confirmed and interim transcript hashes.

Each commit extends two running hashes. The confirmed transcript hash covers
the commit's wire format, content and signature, chained onto the previous
interim hash; the interim hash adds the commit's confirmation tag, which is
``MAC(confirmation_key, confirmed_transcript_hash)`` of the new epoch
(``key_schedule.confirmation_tag``). Both start as the empty string.
"""

from __future__ import annotations

from .codec import OPAQUE, Annotated, Struct
from .framing import WIRE_FORMAT, AuthenticatedContent, ContentType, FramedContent, WireFormat
from .suites import CipherSuite

__all__ = [
    "ConfirmedTranscriptHashInput", "InterimTranscriptHashInput", "confirmed_transcript_hash",
    "interim_transcript_hash",
]


class ConfirmedTranscriptHashInput(Struct):
    """RFC 9420 §8.2: ``ConfirmedTranscriptHashInput``: a commit's AuthenticatedContent
    without its confirmation tag."""

    wire_format: Annotated[WireFormat, WIRE_FORMAT]
    content: Annotated[FramedContent, FramedContent]
    signature: Annotated[bytes, OPAQUE]


class InterimTranscriptHashInput(Struct):
    """RFC 9420 §8.2: ``InterimTranscriptHashInput``: the commit's confirmation tag."""

    confirmation_tag: Annotated[bytes, OPAQUE]


def confirmed_transcript_hash(cs: CipherSuite, interim_prev: bytes, ac: AuthenticatedContent) -> bytes:
    """RFC 9420 §8.2: ``Hash(interim_transcript_hash_[epoch-1] || ConfirmedTranscriptHashInput)``
    for the commit ``ac``; its confirmation tag, if already set, is not covered."""
    if ac.content.content_type != ContentType.commit:
        raise ValueError("only a commit extends the transcript")
    tbh = ConfirmedTranscriptHashInput(ac.wire_format, ac.content, ac.auth.signature)
    return cs.hash(interim_prev, *tbh.encode_parts())


def interim_transcript_hash(cs: CipherSuite, confirmed: bytes, confirmation_tag: bytes) -> bytes:
    """RFC 9420 §8.2: ``Hash(confirmed_transcript_hash_[epoch] || InterimTranscriptHashInput)``."""
    return cs.hash(confirmed + InterimTranscriptHashInput(confirmation_tag).encode())
