"""deserialization.json: the variable-length integer headers of RFC 9420 §2.1.2."""

from __future__ import annotations

from spec_model.mls.codec import Reader, read_varint, varint

from . import expect, h


def check(case: dict) -> None:
    header = h(case["vlbytes_header"])
    r = Reader(header)
    expect("length", case["length"], read_varint(r))
    r.finish()
    expect("vlbytes_header", header, varint(case["length"]))
