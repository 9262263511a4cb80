"""transcript-hashes.json: the transcript hashes and confirmation tag of one commit (RFC 9420 §8.2, §6.1)."""

from __future__ import annotations

from spec_model.mls.framing import AuthenticatedContent
from spec_model.mls.key_schedule import confirmation_tag
from spec_model.mls.suites import suite
from spec_model.mls.transcript import confirmed_transcript_hash, interim_transcript_hash

from . import expect, h


def check(case: dict) -> None:
    cs = suite(case["cipher_suite"])
    ac = AuthenticatedContent.decode(h(case["authenticated_content"]))
    expect("authenticated_content.round_trip", case["authenticated_content"], ac.encode())

    confirmed = confirmed_transcript_hash(cs, h(case["interim_transcript_hash_before"]), ac)
    expect("confirmed_transcript_hash_after", case["confirmed_transcript_hash_after"], confirmed)
    expect("confirmation_tag", ac.auth.confirmation_tag,
           confirmation_tag(cs, h(case["confirmation_key"]), confirmed))
    expect("interim_transcript_hash_after", case["interim_transcript_hash_after"],
           interim_transcript_hash(cs, confirmed, ac.auth.confirmation_tag))
