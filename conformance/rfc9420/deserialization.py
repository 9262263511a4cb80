"""deserialization.json: the variable-length integer headers of RFC 9420 §2.1.2.

test-vectors.md "Vector Deserialization": ``vlbytes_header`` decodes (and
nothing is left over) to ``length``; encoding ``length`` gives the header back.
"""

from __future__ import annotations

from spec_model.mls.codec import Reader, read_varint, varint

from . import at, expect, h


def check(case: dict) -> None:
    header = h(case["vlbytes_header"])
    with at("vlbytes_header.decode"):
        r = Reader(header)
        length = read_varint(r)
        r.finish()
    expect("length", case["length"], length)
    expect("vlbytes_header", header, varint(case["length"]))
