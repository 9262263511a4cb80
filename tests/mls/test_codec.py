"""RFC 9420 §2.1 wire codec: round trips and strict rejection of malformed bytes."""

from __future__ import annotations

import enum

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spec_model.mls.codec import (
    OPAQUE, U8, U16, U64, Annotated, DecodeError, Enum, Optional, Reader, Struct, Vector,
    opaque, read_varint, varint,
)


class Color(enum.IntEnum):
    RED = 1
    GREEN = 2


class Inner(Struct):
    value: Annotated[int, U16]
    color: Annotated[Color, Enum(U8, Color)]


class Outer(Struct):
    items: Annotated[tuple[Inner, ...], Vector(Inner)]
    note: Annotated[bytes | None, Optional(OPAQUE)]
    grid: Annotated[tuple[tuple[int, ...], ...], Vector(Vector(U16))]
    extra: Annotated[Inner | None, Optional(Inner)]
    counter: Annotated[int, U64]


inners = st.builds(Inner, st.integers(0, 0xFFFF), st.sampled_from(Color))
outers = st.builds(
    Outer,
    st.lists(inners, max_size=5).map(tuple),
    st.none() | st.binary(max_size=100),
    st.lists(st.lists(st.integers(0, 0xFFFF), max_size=4).map(tuple), max_size=4).map(tuple),
    st.none() | inners,
    st.integers(0, 2**64 - 1),
)

# items = (Inner(1, RED),), note = None, grid = (), extra = None, counter = 5
SIMPLE = bytes.fromhex("03" "000101" "00" "00" "00" "0000000000000005")


def decode_error(data: bytes) -> DecodeError:
    with pytest.raises(DecodeError) as info:
        Outer.decode(data)
    return info.value


@given(st.integers(0, 2**30 - 1))
def test_varint_round_trip(n: int) -> None:
    header = varint(n)
    assert len(header) == (1 if n < 0x40 else 2 if n < 0x4000 else 4)
    r = Reader(header)
    assert read_varint(r) == n
    r.finish()


@pytest.mark.parametrize("n", [-1, 2**30])
def test_varint_out_of_range(n: int) -> None:
    with pytest.raises(ValueError):
        varint(n)


@given(st.binary(max_size=20000))
def test_opaque_round_trip(data: bytes) -> None:
    r = Reader(opaque(data) + b"rest")
    assert r.opaque() == data
    assert r.take(4) == b"rest" and r.done


def test_simple_encoding() -> None:
    value = Outer((Inner(1, Color.RED),), None, (), None, 5)
    assert value.encode() == SIMPLE
    assert Outer.decode(SIMPLE) == value


@given(outers)
def test_struct_round_trip(value: Outer) -> None:
    assert Outer.decode(value.encode()) == value


@given(outers, st.data())
def test_truncated_input_rejected(value: Outer, data: st.DataObject) -> None:
    encoded = value.encode()
    cut = data.draw(st.integers(0, len(encoded) - 1))
    assert "truncated" in decode_error(encoded[:cut]).reason


@pytest.mark.parametrize("header, reason", [
    ("4001", "non-minimal"),
    ("80003fff", "non-minimal"),
    ("c0", "0b11"),
    ("40", "truncated"),
])
def test_bad_varint_rejected(header: str, reason: str) -> None:
    with pytest.raises(DecodeError) as info:
        read_varint(Reader(bytes.fromhex(header)))
    assert reason in info.value.reason and info.value.path == ""


MALFORMED = [  # (bytes, error path, words of the reason); SIMPLE's fields start at 0, 4, 5, 6, 7
    (SIMPLE + b"\x00", "Outer", "trailing"),
    (bytes.fromhex("4003") + SIMPLE[1:], "Outer.items", "non-minimal"),
    (bytes.fromhex("c3") + SIMPLE[1:], "Outer.items", "0b11"),
    (bytes.fromhex("3f") + SIMPLE[1:], "Outer.items", "truncated: vector"),
    (bytes.fromhex("03000109") + SIMPLE[4:], "Outer.items[0].color", "unknown Color 9"),
    (bytes.fromhex("04000101" "00") + SIMPLE[4:], "Outer.items[1].value", "truncated"),
    (SIMPLE[:4] + b"\x02" + SIMPLE[5:], "Outer.note", "neither 0 nor 1"),
    (SIMPLE[:5] + bytes.fromhex("03" "00" "0100") + SIMPLE[6:], "Outer.grid[1][0]", "truncated"),
    (SIMPLE[:6] + bytes.fromhex("01" "000103") + SIMPLE[7:], "Outer.extra.color", "unknown"),
    (SIMPLE[:10], "Outer.counter", "truncated"),
]


@pytest.mark.parametrize("data, path, reason", MALFORMED, ids=[f"{p}-{r}" for _, p, r in MALFORMED])
def test_malformed_input_rejected(data: bytes, path: str, reason: str) -> None:
    error = decode_error(data)
    assert error.path == path
    assert reason in error.reason
    assert str(error).startswith(path + ": ")
