"""transcript-hashes.json: the transcript hashes and confirmation tag of one commit (RFC 9420 §8.2, §6.1).

test-vectors.md "Transcript Hashes": ``authenticated_content`` decodes (and
re-encodes byte for byte) to an AuthenticatedContent carrying a Commit; its
``confirmation_tag`` is MAC(``confirmation_key``,
``confirmed_transcript_hash_after``); and updating
``interim_transcript_hash_before`` with it gives
``confirmed_transcript_hash_after`` and ``interim_transcript_hash_after``.
"""

from __future__ import annotations

from spec_model.mls.framing import AuthenticatedContent, ContentType
from spec_model.mls.key_schedule import confirmation_tag
from spec_model.mls.suites import suite
from spec_model.mls.transcript import confirmed_transcript_hash, interim_transcript_hash

from . import at, expect, h


def check(case: dict) -> None:
    cs = suite(case["cipher_suite"])
    with at("authenticated_content.decode"):
        ac = AuthenticatedContent.decode(h(case["authenticated_content"]))
    expect("authenticated_content.round_trip", case["authenticated_content"], ac.encode())
    expect("authenticated_content.content_type", ContentType.commit, ac.content.content_type)

    confirmed = confirmed_transcript_hash(cs, h(case["interim_transcript_hash_before"]), ac)
    expect("confirmed_transcript_hash_after", case["confirmed_transcript_hash_after"], confirmed)
    expect("authenticated_content.auth.confirmation_tag", ac.auth.confirmation_tag,
           confirmation_tag(cs, h(case["confirmation_key"]), h(case["confirmed_transcript_hash_after"])))
    expect("interim_transcript_hash_after", case["interim_transcript_hash_after"],
           interim_transcript_hash(cs, confirmed, ac.auth.confirmation_tag))
