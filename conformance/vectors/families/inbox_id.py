"""Inbox id derivation (XIP-46 "Inbox IDs", facts §8): sha256 of the lowercase address and the decimal nonce.

Questions: ``decide`` with ``inputs: {address, nonce}``; the answer is ``{result: valid, reason: null,
outputs: {inbox_id}}`` or ``{result: invalid, reason}``.
"""

from __future__ import annotations

import random

from pydantic import Field

from spec_model.mls.reasons import Rejected
from spec_model.xmtp.identity import inbox_id

from .. import case_id
from ..family import Exchange, decision_exchanges
from ..formats import DecisionCase, Expected, Verdict

FORMAT = "decision"
AREA = "inbox ids"
RULE = "XIP-46 Inbox IDs; libxmtp associations/hashes.rs generate_inbox_id"


def answer(question: dict) -> dict:
    """``decide``: the inbox id of ``inputs.address`` and ``inputs.nonce``, or the reason it is refused."""
    inputs = question["inputs"]
    try:
        derived = inbox_id(inputs["address"], inputs["nonce"])
    except Rejected as e:
        return {"result": Verdict.INVALID.value, "reason": e.reason.value}
    return {"result": Verdict.VALID.value, "reason": None, "outputs": {"inbox_id": derived}}


def _case(name: str, address: str, nonce: int, description: str) -> DecisionCase:
    inputs = {"address": address, "nonce": nonce}
    decided = answer({"ask": "decide", "inputs": inputs})
    return DecisionCase(id=case_id("inbox_id", name), description=description, rule=RULE, tags=["identity"],
                        inputs=inputs, expected=Expected(result=decided["result"], reason=decided["reason"]),
                        outputs=decided.get("outputs", {}))


def cases() -> list[DecisionCase]:
    rng = random.Random(46)
    generated = [
        _case("facts_sheet_vector", "0x1234567890abcdef1234567890abcdef12345678", 0,
              "Given the facts sheet's address and nonce 0, When the inbox id is derived, Then it is the "
              "published value"),
        _case("node_sdk_default_nonce", "0x1234567890abcdef1234567890abcdef12345678", 1,
              "Given nonce 1 (the node SDK's default), When derived, Then the id differs from nonce 0's"),
        _case("mixed_case_address_is_lowercased", "0x1234567890ABCDEF1234567890abcdef12345678", 0,
              "Given a checksummed (mixed-case) address, When derived, Then it equals the lowercase address's id"),
        _case("large_nonce", "0x00000000000000000000000000000000000000ff", 2**64 - 1,
              "Given the largest uint64 nonce, When derived, Then the nonce is written in decimal"),
        _case("address_without_prefix_refused", "1234567890abcdef1234567890abcdef12345678", 0,
              "Given an address without 0x, When derived, Then it is refused as an invalid identifier"),
        _case("short_address_refused", "0x1234", 0,
              "Given a 2-byte address, When derived, Then it is refused as an invalid identifier"),
    ]
    for i in range(8):
        address = "0x" + rng.randbytes(20).hex()
        generated.append(_case(f"random_{i}", address, rng.randrange(4),
                               "Given a random address and small nonce, When derived, Then sha256(address‖nonce)"))
    return generated

# ------------------------------------------------------------------ the questions and answers, typed (``family.py``)

class Inputs(Exchange):
    address: str = Field(description="the wallet address, as the case gives it (0x and 40 hex digits when valid)")
    nonce: int = Field(ge=0, description="the nonce, a uint64")


class Outputs(Exchange):
    inbox_id: str = Field(description="sha256 of the lowercase address and the decimal nonce, lowercase hex")


EXCHANGES = decision_exchanges(Inputs, Outputs)
