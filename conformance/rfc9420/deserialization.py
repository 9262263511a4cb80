"""deserialization.json: the variable-length integer headers of RFC 9420 §2.1.2.

test-vectors.md "Vector Deserialization". Two questions: ``decode_varint`` ``{vlbytes_header}`` answered
``{length}`` (the header decodes, nothing left over), and ``encode_varint`` ``{length}`` answered
``{vlbytes_header}`` (the minimal encoding).
"""

from __future__ import annotations

from typing import Any

from spec_model.mls.codec import Reader, read_varint, varint

from . import expect_answer, h


def questions(case: dict) -> list[dict[str, Any]]:
    return [{"ask": "decode_varint", "vlbytes_header": case["vlbytes_header"]},
            {"ask": "encode_varint", "length": case["length"]}]


def answer(question: dict[str, Any]) -> dict[str, Any]:
    if question["ask"] == "encode_varint":
        return {"vlbytes_header": varint(question["length"]).hex()}
    r = Reader(h(question["vlbytes_header"]))
    length = read_varint(r)
    r.finish()
    return {"length": length}


def judge(case: dict, question: dict[str, Any], answer: dict[str, Any]) -> None:
    if question["ask"] == "encode_varint":
        expect_answer("vlbytes_header", case["vlbytes_header"], answer)
    else:
        expect_answer("length", case["length"], answer)
