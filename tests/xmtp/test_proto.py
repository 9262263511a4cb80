"""The proto3 codec: round trips, prost-compatible decoding, and strict rejection of invalid protobuf."""

from __future__ import annotations

import dataclasses
import enum

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spec_model.xmtp.proto import (
    BOOL, BYTES, INT32, INT64, STRING, UINT32, UINT64, Annotated, DecodeError, EnumKind, Field, Map, Message,
    MessageKind,
)
from spec_model.xmtp.proto import encode_varint as varint


class Color(enum.IntEnum):
    UNSPECIFIED = 0
    RED = 1
    GREEN = 2


class Inner(Message):
    value: Annotated[int, Field(1, UINT32)] = 0
    label: Annotated[str, Field(2, STRING)] = ""


class Scalars(Message):
    u64: Annotated[int, Field(1, UINT64)] = 0
    u32: Annotated[int, Field(2, UINT32)] = 0
    i64: Annotated[int, Field(3, INT64)] = 0
    i32: Annotated[int, Field(4, INT32)] = 0
    flag: Annotated[bool, Field(5, BOOL)] = False
    text: Annotated[str, Field(6, STRING)] = ""
    blob: Annotated[bytes, Field(7, BYTES)] = b""
    color: Annotated[int, Field(8, EnumKind(Color))] = 0
    maybe: Annotated[int | None, Field(9, UINT64, optional=True)] = None


class Everything(Message):
    scalars: Annotated[Scalars | None, Field(1, MessageKind(Scalars))] = None
    numbers: Annotated[tuple[int, ...], Field(2, INT64, repeated=True)] = ()
    names: Annotated[tuple[str, ...], Field(3, STRING, repeated=True)] = ()
    inners: Annotated[tuple[Inner, ...], Field(4, MessageKind(Inner), repeated=True)] = ()
    attributes: Annotated[dict[str, str], Field(5, Map(STRING, STRING))] = dataclasses.field(default_factory=dict)
    members: Annotated[dict[str, int], Field(6, Map(STRING, UINT64))] = dataclasses.field(default_factory=dict)
    policies: Annotated[dict[str, Inner], Field(7, Map(STRING, MessageKind(Inner)))] = dataclasses.field(
        default_factory=dict)
    by_name: Annotated[str | None, Field(8, STRING, oneof="choice")] = None
    by_inner: Annotated[Inner | None, Field(9, MessageKind(Inner), oneof="choice")] = None
    by_number: Annotated[int | None, Field(10, UINT64, oneof="choice")] = None
    colors: Annotated[tuple[int, ...], Field(11, EnumKind(Color), repeated=True)] = ()
    flags: Annotated[tuple[bool, ...], Field(12, BOOL, repeated=True)] = ()


def tag(number: int, wire_type: int) -> bytes:
    return varint(number << 3 | wire_type)


def ld(payload: bytes) -> bytes:
    return varint(len(payload)) + payload


U64, I64, I32 = st.integers(0, 2**64 - 1), st.integers(-2**63, 2**63 - 1), st.integers(-2**31, 2**31 - 1)
inners = st.builds(Inner, st.integers(0, 2**32 - 1), st.text())
scalars = st.builds(Scalars, U64, st.integers(0, 2**32 - 1), I64, I32, st.booleans(), st.text(), st.binary(),
                    st.sampled_from(Color), st.none() | U64)
choices = st.one_of(
    st.just({}), st.builds(lambda s: {"by_name": s}, st.text()), st.builds(lambda i: {"by_inner": i}, inners),
    st.builds(lambda n: {"by_number": n}, U64))
everything = st.builds(
    lambda s, nums, names, inn, attrs, members, policies, choice, colors, flags: Everything(
        s, nums, names, inn, attrs, members, policies, colors=colors, flags=flags, **choice),
    st.none() | scalars, st.lists(I64).map(tuple), st.lists(st.text()).map(tuple), st.lists(inners).map(tuple),
    st.dictionaries(st.text(), st.text()), st.dictionaries(st.text(), U64), st.dictionaries(st.text(), inners),
    choices, st.lists(st.sampled_from(Color)).map(tuple), st.lists(st.booleans()).map(tuple))


# ------------------------------------------------------------------ round trips and exact bytes

@given(everything)
def test_round_trip(value: Everything) -> None:
    assert Everything.decode(value.encode()) == value


@given(scalars)
def test_scalars_round_trip(value: Scalars) -> None:
    assert Scalars.decode(value.encode()) == value


@pytest.mark.parametrize("value, encoded", [
    (Scalars(u64=2**64 - 1), "08" "ffffffffffffffffff01"),
    (Scalars(i64=-1), "18" "ffffffffffffffffff01"),
    (Scalars(i32=-1), "20" "ffffffffffffffffff01"),  # negative int32: sign-extended to 10 bytes
    (Scalars(i64=-2**63), "18" "80808080808080808001"),
    (Scalars(u32=300, flag=True), "10ac02" "2801"),
    (Scalars(text="é🙂"), "32" "06" + "é🙂".encode().hex()),
    (Scalars(color=Color.GREEN, maybe=0), "4002" "4800"),  # an optional field is written even when 0
    (Scalars(), ""),  # proto3 defaults are omitted
    (Everything(by_number=0), "5000"),  # a set oneof member is written even when 0
    (Everything(numbers=(1, -1)), "12" "0b" "01ffffffffffffffffff01"),  # packed
    (Everything(members={"b": 2, "a": 1}), "32050a01611001" "32050a01621002"),  # map entries sorted by key
    (Everything(scalars=Scalars()), "0a00"),  # a present empty message is written
])
def test_exact_encoding(value: Message, encoded: str) -> None:
    assert value.encode().hex() == encoded
    assert type(value).decode(bytes.fromhex(encoded)) == value


def test_int32_decodes_from_a_five_byte_varint() -> None:
    assert Scalars.decode(bytes.fromhex("20ffffffff0f")).i32 == -1


def test_open_enum_keeps_unknown_numbers() -> None:
    decoded = Scalars.decode(bytes.fromhex("4007"))
    assert decoded.color == 7 and not isinstance(decoded.color, Color)
    assert Scalars.decode(bytes.fromhex("4001")).color is Color.RED


# ------------------------------------------------------------------ prost-compatible decoding

@given(st.lists(I64, min_size=1), st.integers(0, 10))
def test_repeated_scalars_packed_or_unpacked(numbers: list[int], split: int) -> None:
    unpacked = b"".join(tag(2, 0) + varint(n) for n in numbers)
    packed = tag(2, 2) + ld(b"".join(varint(n) for n in numbers))
    expected = Everything(numbers=tuple(numbers))
    assert Everything.decode(unpacked) == Everything.decode(packed) == expected
    head, tail = numbers[:split], numbers[split:]  # a packed run followed by unpacked items
    mixed = tag(2, 2) + ld(b"".join(varint(n) for n in head)) + b"".join(tag(2, 0) + varint(n) for n in tail)
    assert Everything.decode(mixed) == expected


def test_repeated_enums_and_bools_unpacked() -> None:
    data = tag(11, 0) + b"\x01" + tag(11, 0) + b"\x09" + tag(12, 0) + b"\x00" + tag(12, 0) + b"\x05"
    assert Everything.decode(data) == Everything(colors=(Color.RED, 9), flags=(False, True))


UNKNOWN_FIELDS = [
    tag(99, 0) + varint(2**64 - 1),
    tag(99, 1) + bytes(8),
    tag(99, 2) + ld(b"anything \xff"),
    tag(99, 5) + bytes(4),
    tag(2**29 - 1, 0) + b"\x00",  # the largest field number
]


@pytest.mark.parametrize("unknown", UNKNOWN_FIELDS)
@given(value=everything)
def test_unknown_fields_are_skipped(unknown: bytes, value: Everything) -> None:
    assert Everything.decode(unknown + value.encode() + unknown) == value


def test_singular_embedded_message_merges() -> None:
    first = Scalars(u64=1, text="a", blob=b"x").encode()
    second = Scalars(u32=2, text="b").encode()
    data = tag(1, 2) + ld(first) + tag(1, 2) + ld(second)
    assert Everything.decode(data).scalars == Scalars(u64=1, u32=2, text="b", blob=b"x")


def test_repeated_embedded_messages_are_separate_items() -> None:
    data = tag(4, 2) + ld(Inner(1).encode()) + tag(4, 2) + ld(Inner(label="z").encode())
    assert Everything.decode(data).inners == (Inner(1), Inner(label="z"))


def test_last_scalar_wins() -> None:
    data = Scalars(u64=1, text="first", maybe=5).encode() + Scalars(u64=2, text="second", maybe=0).encode()
    assert Scalars.decode(data) == Scalars(u64=2, text="second", maybe=0)


@pytest.mark.parametrize("parts, expected", [
    ([Everything(by_name="x"), Everything(by_number=3)], Everything(by_number=3)),
    ([Everything(by_number=3), Everything(by_inner=Inner(1))], Everything(by_inner=Inner(1))),
    ([Everything(by_inner=Inner(1)), Everything(by_name="x"), Everything(by_inner=Inner(label="y"))],
     Everything(by_inner=Inner(label="y"))),  # a member seen again after another starts afresh
    ([Everything(by_inner=Inner(1)), Everything(by_inner=Inner(label="y"))],
     Everything(by_inner=Inner(1, "y"))),  # the same message member merges
])
def test_oneof_last_member_wins(parts: list[Everything], expected: Everything) -> None:
    assert Everything.decode(b"".join(p.encode() for p in parts)) == expected


def test_map_entries() -> None:
    entry = ld(tag(1, 2) + ld(b"k") + tag(2, 0) + b"\x01")
    data = (tag(6, 2) + entry + tag(6, 2) + ld(tag(2, 0) + b"\x07" + tag(1, 2) + ld(b"k"))  # duplicate: last wins
            + tag(6, 2) + ld(b"")  # empty entry: default key and value
            + tag(7, 2) + ld(tag(1, 2) + ld(b"p"))  # missing message value: an empty message
            + tag(5, 2) + ld(tag(3, 0) + b"\x01" + tag(1, 2) + ld(b"a")))  # unknown field in an entry
    assert Everything.decode(data) == Everything(
        attributes={"a": ""}, members={"k": 7, "": 0}, policies={"p": Inner()})


@given(st.binary(max_size=200))
def test_arbitrary_bytes_decode_or_raise_decode_error(data: bytes) -> None:
    try:
        Everything.decode(data)
    except DecodeError as e:
        assert e.path.startswith("Everything")


# ------------------------------------------------------------------ rejections

MALFORMED = [  # (message type, bytes, error path, words of the reason)
    (Scalars, "08ff", "Scalars.u64", "truncated varint"),
    (Scalars, "08" + "ff" * 10 + "01", "Scalars.u64", "longer than 10 bytes"),
    (Scalars, "08" + "ff" * 9 + "02", "Scalars.u64", "exceeds 64 bits"),
    (Scalars, "ff", "Scalars", "truncated varint"),  # in the tag itself
    (Scalars, "3205" "6162", "Scalars.text", "truncated: length 5"),
    (Scalars, "32" + "ff" * 9 + "01", "Scalars.text", "truncated"),  # a length of 2**64 - 1
    (Scalars, "0d" "00000000", "Scalars.u64", "wire type 5"),
    (Scalars, "0a" "00", "Scalars.u64", "wire type 2"),  # a singular varint field is never packed
    (Scalars, "30" "01", "Scalars.text", "wire type 0"),
    (Scalars, "3202" "c328", "Scalars.text", "UTF-8"),
    (Scalars, "3201" "ff", "Scalars.text", "UTF-8"),
    (Scalars, "0000", "Scalars", "field number 0"),
    (Scalars, "0200", "Scalars", "field number 0"),
    (Scalars, "8080808010" "00", "Scalars", "invalid field number"),  # a tag above 2**32 - 1
    (Scalars, "0b", "Scalars.u64", "wire type 3"),
    (Scalars, "0c", "Scalars.u64", "wire type 4"),
    (Scalars, "0e", "Scalars.u64", "wire type 6"),
    (Scalars, "0f", "Scalars.u64", "wire type 7"),
    (Scalars, "9b06", "Scalars.<field 99>", "wire type 3"),  # groups are rejected in unknown fields too
    (Scalars, "9c06", "Scalars.<field 99>", "wire type 4"),
    (Scalars, "9e06", "Scalars.<field 99>", "wire type 6"),
    (Scalars, "9f06", "Scalars.<field 99>", "wire type 7"),
    (Scalars, "9906" "000000", "Scalars.<field 99>", "truncated fixed-width"),
    (Scalars, "9d06" "00", "Scalars.<field 99>", "truncated fixed-width"),
    (Scalars, "9a06" "02" "00", "Scalars.<field 99>", "truncated"),
    (Everything, "0a03" "3201ff", "Everything.scalars.text", "UTF-8"),
    (Everything, "0a02" "08ff", "Everything.scalars.u64", "truncated varint"),
    (Everything, "0a01" "00" "0a00", "Everything.scalars", "field number 0"),  # checked once merged
    (Everything, "2200" "2203" "1201ff", "Everything.inners[1].label", "UTF-8"),
    (Everything, "1202" "01ff", "Everything.numbers", "truncated varint"),  # inside a packed run
    (Everything, "1501000000", "Everything.numbers", "wire type 5"),
    (Everything, "2a03" "0a01ff", "Everything.attributes", "UTF-8"),
    (Everything, "3203" "120100", "Everything.members", "map entry field 2: wire type 2"),
    (Everything, "2801", "Everything.attributes", "wire type 0"),
    (Everything, "3a04" "12021201", "Everything.policies.label", "truncated"),
    (Everything, "4a01" "08", "Everything.by_inner.value", "truncated varint"),
]


@pytest.mark.parametrize("cls, data, path, reason", MALFORMED)
def test_malformed_rejected(cls: type[Message], data: str, path: str, reason: str) -> None:
    with pytest.raises(DecodeError) as info:
        cls.decode(bytes.fromhex(data))
    assert info.value.path == path
    assert reason in info.value.reason


# ------------------------------------------------------------------ hostile input: nesting, copies, repetition

class _ChainKind(MessageKind):
    def __init__(self) -> None:
        pass

    @property
    def cls(self) -> type[Message]:
        return Chain


class Chain(Message):
    """A message that nests itself, like XMTP's permission policies (``MembershipPolicy.and_condition``)."""

    payload: Annotated[bytes, Field(1, BYTES)] = b""
    next: Annotated["Chain | None", Field(2, _ChainKind())] = None


def chain(depth: int, payload: bytes = b"") -> bytes:
    """``depth`` Chain messages inside the outermost one, the innermost holding ``payload``."""
    data = b"\x0a" + varint(len(payload)) + payload if payload else b""
    for _ in range(depth):
        data = b"\x12" + varint(len(data)) + data
    return data


def test_nesting_up_to_prosts_limit_decodes_and_one_more_is_refused() -> None:
    from spec_model.xmtp.proto import MAX_DEPTH
    deepest = Chain.decode(chain(MAX_DEPTH))
    assert deepest == Chain.decode(chain(MAX_DEPTH)) and hash(repr(deepest))  # no RecursionError, no crash
    with pytest.raises(DecodeError) as info:
        Chain.decode(chain(MAX_DEPTH + 1))
    assert info.value.path == "Chain" + ".next" * (MAX_DEPTH + 1)
    assert info.value.reason == f"messages nested deeper than {MAX_DEPTH}"


def test_hostile_nesting_is_refused_at_the_default_recursion_limit() -> None:
    import sys
    assert sys.getrecursionlimit() <= 1000  # what the interpreter starts with (no import of the model raises it)
    with pytest.raises(DecodeError):
        Chain.decode(chain(50_000))


def test_nested_messages_are_read_in_place_not_copied() -> None:
    """A 1 MiB field under 100 levels: slice copies held 100 MiB at once, offsets hold the input once."""
    import tracemalloc
    data = chain(100, bytes(1 << 20))
    tracemalloc.start()
    try:
        decoded = Chain.decode(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert decoded is not None and peak < 4 * len(data)


def test_a_value_budget_bounds_what_one_decode_builds() -> None:
    data = b"\x22\x00" * 1000 + b"\x12\x03\x01\x02\x03"  # 1000 repeated messages, then 3 packed numbers
    assert len(Everything.decode(data, max_values=1004).inners) == 1000
    with pytest.raises(DecodeError) as info:
        Everything.decode(data, max_values=1003)
    assert info.value.reason == "more than 1003 values"
    with pytest.raises(DecodeError):
        Everything.decode(b"\x22\x00" * 1_000_000, max_values=10)  # refused at the 11th value
