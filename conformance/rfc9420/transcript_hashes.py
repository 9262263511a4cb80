"""transcript-hashes.json: the transcript hashes and confirmation tag of one commit (RFC 9420 §8.2, §6.1).

test-vectors.md "Transcript Hashes". Question ``transcript_hashes``: ``{cipher_suite, confirmation_key,
authenticated_content, interim_transcript_hash_before}``. Answer: ``valid`` (the content is an
AuthenticatedContent carrying a Commit whose ``confirmation_tag`` is MAC(``confirmation_key``, the confirmed
transcript hash after it)), and when valid ``confirmed_transcript_hash_after`` and
``interim_transcript_hash_after``. The control asks the same with a tampered ``confirmation_key``: ``valid`` must
be false.
"""

from __future__ import annotations

from typing import Any

from spec_model.mls.framing import AuthenticatedContent, ContentType
from spec_model.mls.key_schedule import confirmation_tag
from spec_model.mls.suites import suite
from spec_model.mls.transcript import confirmed_transcript_hash, interim_transcript_hash

from . import expect_answer, h, refused, tampered


def questions(case: dict) -> list[dict[str, Any]]:
    asked = {"ask": "transcript_hashes", "cipher_suite": case["cipher_suite"],
             "authenticated_content": case["authenticated_content"],
             "interim_transcript_hash_before": case["interim_transcript_hash_before"]}
    return [{**asked, "confirmation_key": case["confirmation_key"]},
            {**asked, "confirmation_key": tampered(h(case["confirmation_key"])).hex()}]


def answer(question: dict[str, Any]) -> dict[str, Any]:
    cs = suite(question["cipher_suite"])
    ac = AuthenticatedContent.decode(h(question["authenticated_content"]))
    if ac.content.content_type != ContentType.commit:
        return {"valid": False}
    confirmed = confirmed_transcript_hash(cs, h(question["interim_transcript_hash_before"]), ac)
    if ac.auth.confirmation_tag != confirmation_tag(cs, h(question["confirmation_key"]), confirmed):
        return {"valid": False}
    return {"valid": True, "confirmed_transcript_hash_after": confirmed.hex(),
            "interim_transcript_hash_after": interim_transcript_hash(cs, confirmed, ac.auth.confirmation_tag).hex()}


def judge(case: dict, question: dict[str, Any], answer: dict[str, Any]) -> None:
    if question["confirmation_key"] != case["confirmation_key"]:
        return refused("tampered confirmation_key", answer)
    expect_answer("valid", True, answer)
    expect_answer("confirmed_transcript_hash_after", case["confirmed_transcript_hash_after"], answer)
    expect_answer("interim_transcript_hash_after", case["interim_transcript_hash_after"], answer)
