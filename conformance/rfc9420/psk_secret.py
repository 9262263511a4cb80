"""psk_secret.json: RFC 9420 §8.4 ``psk_secret`` from a list of external PSKs.

test-vectors.md "Pre-Shared Keys". Question ``psk_secret``: ``{cipher_suite, psks: [{psk_id, psk, psk_nonce}]}``;
each entry is an external ``PreSharedKeyID`` with its value. Answer: ``{psk_secret}``, chained over the list in
order (an empty list gives the all-zero secret).
"""

from __future__ import annotations

from typing import Any

from spec_model.mls.psk import PreSharedKeyID, psk_secret
from spec_model.mls.suites import suite

from . import expect_answer, h


def questions(case: dict) -> list[dict[str, Any]]:
    return [{"ask": "psk_secret", "cipher_suite": case["cipher_suite"], "psks": case["psks"]}]


def answer(question: dict[str, Any]) -> dict[str, Any]:
    psks = [(PreSharedKeyID.external(h(p["psk_id"]), h(p["psk_nonce"])), h(p["psk"])) for p in question["psks"]]
    return {"psk_secret": psk_secret(suite(question["cipher_suite"]), psks).hex()}


def judge(case: dict, question: dict[str, Any], answer: dict[str, Any]) -> None:
    expect_answer("psk_secret", case["psk_secret"], answer)
