"""Protocol Buffers (proto3) wire format, as XMTP's messages use it.

Theory of operation
-------------------
XMTP's group-context extensions, credentials, identity updates and network
messages are protobuf messages (facts sheet §2–§8). A ``Message`` here is a
frozen dataclass whose fields carry their number and kind in an
``Annotated`` hint, e.g. ``inbox_id: Annotated[str, Field(1, STRING)] = ""``:
the field numbers are the facts, the declarations are written here.

Decoding follows proto3 as prost (libxmtp's protobuf library) does: unknown
fields are skipped, a repeated singular field keeps the last value, a
repeated embedded message is merged, repeated scalars may be packed or not,
enums are open (an unknown number decodes as a plain ``int`` for the caller
to reject with its own reason). Anything that is not valid protobuf —
truncation, an overlong varint, a wire type that does not match the field,
invalid UTF-8 in a string — raises ``DecodeError`` naming the field.
Groups (wire types 3 and 4), which proto3 never writes, are rejected even in
unknown fields, where prost would skip them.

Hostile input is refused in time and memory linear in its size: messages nest
at most ``MAX_DEPTH`` deep (prost's own limit, counted explicitly, so decoding
never depends on the interpreter's recursion limit); nested messages and
fields are read through offsets into one buffer (no copies of sub-slices);
repeated fields grow in place.

Encoding is canonical: fields in number order, proto3 defaults omitted
(unless a field is ``optional``), repeated scalars packed, map entries sorted
by key. prost writes maps in hash order, so XMTP's own bytes are not
canonical; compare decoded messages, never bytes (facts sheet §3.5).
"""

from __future__ import annotations

import abc
import dataclasses
import enum
import functools
import typing
from typing import Annotated, Any, ClassVar, TypeVar

from spec_model.mls.codec import DecodeError
from spec_model.mls.memory import process_wide

__all__ = [
    "DecodeError", "Field", "Kind", "Message", "UINT64", "UINT32", "INT64", "INT32", "BOOL", "STRING",
    "BYTES", "EnumKind", "MessageKind", "Map", "Annotated", "MAX_DEPTH", "decode_shared",
]

VARINT, I64, LEN, I32 = 0, 1, 2, 5

MAX_DEPTH = 100
"""prost ``RECURSION_LIMIT`` (src/lib.rs, prost 0.14 as libxmtp's Cargo.lock pins it): how deep messages
(and map entries) may nest below the outermost one; one level deeper is a ``DecodeError``, as in prost."""


# ------------------------------------------------------------------ wire primitives

def encode_varint(n: int) -> bytes:
    """protobuf encoding (Base 128 varints): A base-128 varint; negative numbers as their 64-bit two's complement (int32/int64)."""
    if 0 <= n < 0x80:
        return _ONE_BYTE[n]
    if n < 0:
        n += 1 << 64
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


_ONE_BYTE = tuple(bytes((n,)) for n in range(0x80))  # the varints of 0..127, each its own byte


def decode_varint(data: bytes | memoryview, pos: int) -> tuple[int, int]:
    """protobuf encoding (Base 128 varints): (value, next position); at most 10 bytes, never past the end."""
    if pos < len(data) and data[pos] < 0x80:  # one byte: every field key and length below 128
        return data[pos], pos + 1
    value = shift = 0
    for i in range(10):
        if pos >= len(data):
            raise DecodeError("", "truncated varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            if value >= 1 << 64:
                raise DecodeError("", "varint exceeds 64 bits")
            return value, pos
        shift += 7
    raise DecodeError("", "varint longer than 10 bytes")


def _length_delimited(payload: bytes) -> bytes:
    return encode_varint(len(payload)) + payload


# ------------------------------------------------------------------ kinds

class Kind(abc.ABC):
    """protobuf encoding: how one value of a field is encoded; ``wire_type`` is its protobuf wire type."""

    wire_type: int
    default: Any

    @abc.abstractmethod
    def encode(self, value: Any) -> bytes:
        """protobuf encoding: The value's bytes after the tag (length-prefixed for length-delimited kinds)."""

    @abc.abstractmethod
    def decode(self, raw: Any) -> Any:
        """protobuf encoding: ``raw`` is an int for varints, bytes for length-delimited fields."""


class _Varint(Kind):
    wire_type = VARINT
    default = 0

    def __init__(self, bits: int, signed: bool):
        self.bits, self.signed = bits, signed

    def encode(self, value: int) -> bytes:
        return encode_varint(value)

    def decode(self, raw: int) -> int:
        raw &= (1 << 64) - 1
        if self.signed:
            raw &= (1 << self.bits) - 1
            return raw - (1 << self.bits) if raw >> (self.bits - 1) else raw
        return raw & ((1 << self.bits) - 1)


class _Bool(Kind):
    wire_type = VARINT
    default = False

    def encode(self, value: bool) -> bytes:
        return encode_varint(int(value))

    def decode(self, raw: int) -> bool:
        return raw != 0


class _Bytes(Kind):
    wire_type = LEN
    default = b""

    def encode(self, value: bytes) -> bytes:
        return _length_delimited(bytes(value))

    def decode(self, raw: bytes | memoryview) -> bytes:
        return bytes(raw)


class _String(Kind):
    wire_type = LEN
    default = ""

    def encode(self, value: str) -> bytes:
        return _length_delimited(value.encode())

    def decode(self, raw: bytes | memoryview) -> str:
        try:
            return str(raw, "utf-8")
        except UnicodeDecodeError:
            raise DecodeError("", "string is not valid UTF-8") from None


UINT64, UINT32 = _Varint(64, False), _Varint(32, False)
INT64, INT32 = _Varint(64, True), _Varint(32, True)
BOOL, STRING, BYTES = _Bool(), _String(), _Bytes()


class EnumKind(Kind):
    """protobuf encoding (proto3 open enums): An open enum: known numbers decode to ``enum_type`` members, others stay ``int``."""

    wire_type = VARINT
    default = 0

    def __init__(self, enum_type: type[enum.IntEnum]):
        self.enum_type = enum_type

    def encode(self, value: int) -> bytes:
        """protobuf encoding: an enum value is a varint."""
        return encode_varint(int(value))

    def decode(self, raw: int) -> int:
        """protobuf encoding: an enum value; one the enum does not name is an error."""
        value = INT32.decode(raw)
        try:
            return self.enum_type(value)
        except ValueError:
            return value


class MessageKind(Kind):
    """protobuf encoding: An embedded message."""

    wire_type = LEN
    default = None

    def __init__(self, cls: type["Message"]):
        self.cls = cls

    def encode(self, value: "Message") -> bytes:
        """protobuf encoding: an embedded message is length-delimited bytes."""
        return _length_delimited(value.encode())

    def decode(self, raw: bytes | memoryview, depth: int = 0, budget: "Budget | None" = None) -> "Message":
        """protobuf encoding: ``raw`` as this message at nesting ``depth`` (the outermost message is 0)."""
        return self.cls._decode(memoryview(raw), depth, budget)  # the enclosing field names the error path


@dataclasses.dataclass(frozen=True)
class Map:
    """protobuf encoding (maps): ``map<K, V>``: repeated entries ``{K key = 1; V value = 2}``, held as a ``dict``."""

    key: Kind
    value: Kind


@dataclasses.dataclass(frozen=True)
class Field:
    """protobuf encoding: A field's number and kind. ``repeated`` fields hold tuples; ``optional`` ones have
    explicit presence (``None`` when absent); ``oneof`` names the group a field belongs to."""

    number: int
    kind: Kind | Map
    repeated: bool = False
    optional: bool = False
    oneof: str | None = None


# ------------------------------------------------------------------ messages

_SCALAR, _MESSAGE, _OTHER = range(3)  # how Message._decode stores a field (Message._plan)
_UNLESS_DEFAULT, _PRESENT, _EACH, _PACKED, _MAP = range(5)  # how Message.encode writes a field (Message._encoding)

class Message:
    """protobuf encoding: a message, as a frozen dataclass whose fields are ``Annotated[type, Field(...)]``."""

    _fields: ClassVar[dict[int, tuple[str, Field]] | None]
    _decoding: ClassVar[tuple[dict[int, tuple[str, Field, Any, int]], tuple[str, ...]] | None]
    _encoding_plan: ClassVar[tuple[tuple[str, bytes, Kind | Map, int], ...] | None]

    def __init_subclass__(cls, **kwargs: Any):
        super().__init_subclass__(**kwargs)
        dataclasses.dataclass(frozen=True)(cls)
        cls._fields = cls._decoding = cls._encoding_plan = None

    @classmethod
    def fields(cls) -> dict[int, tuple[str, Field]]:
        """protobuf encoding: Field number -> (attribute name, Field), resolved on first use."""
        if cls.__dict__.get("_fields") is None:
            hints = typing.get_type_hints(cls, include_extras=True)
            table = {}
            for f in dataclasses.fields(cls):
                spec = next(m for m in hints[f.name].__metadata__ if isinstance(m, Field))
                table[spec.number] = (f.name, spec)
            cls._fields = dict(sorted(table.items()))
        return cls._fields

    # -- encoding

    def encode(self) -> bytes:
        """protobuf encoding: the fields in field-number order; defaults, empty lists and maps are left out."""
        out = bytearray()
        for name, tag, kind, writing in self._encoding():
            value = getattr(self, name)
            if writing == _UNLESS_DEFAULT:
                if value is not None and value != kind.default:
                    out += tag + kind.encode(value)
            elif writing == _PRESENT:  # explicit presence (optional, oneof member) or an embedded message
                if value is not None:
                    out += tag + kind.encode(value)
            elif writing == _EACH:
                for item in value:
                    out += tag + kind.encode(item)
            elif writing == _PACKED:
                if value:
                    out += tag + _length_delimited(b"".join(kind.encode(v) for v in value))
            else:  # _MAP
                for key in sorted(value):
                    entry = _field_bytes(1, kind.key, key) + _field_bytes(2, kind.value, value[key])
                    out += tag + _length_delimited(entry)
        return bytes(out)

    @classmethod
    def _encoding(cls) -> tuple[tuple[str, bytes, Kind | Map, int], ...]:
        """Per field in number order: name, tag, kind and how ``encode`` writes it (``_UNLESS_DEFAULT``,
        ``_PRESENT``, ``_EACH`` (repeated length-delimited), ``_PACKED`` or ``_MAP``); resolved on first use."""
        plan = cls.__dict__.get("_encoding_plan")
        if plan is None:
            plan = cls._encoding_plan = tuple(
                (name, _tag(number, LEN if spec.repeated or isinstance(spec.kind, Map) else spec.kind.wire_type),
                 spec.kind,
                 _MAP if isinstance(spec.kind, Map)
                 else (_EACH if spec.kind.wire_type == LEN else _PACKED) if spec.repeated
                 else _PRESENT if spec.optional or spec.oneof or isinstance(spec.kind, MessageKind)
                 else _UNLESS_DEFAULT)
                for number, (name, spec) in cls.fields().items())
        return plan

    # -- decoding

    @classmethod
    def decode(cls, data: bytes, *, max_values: int | None = None) -> Any:
        """protobuf encoding: Decode ``data``; raises ``DecodeError`` whose path starts with this message's name.

        ``max_values`` bounds the field values decoded in all (each occurrence, each packed item), for
        callers that take requests from anyone: memory grows with values, not bytes."""
        try:
            return cls._decode(memoryview(bytes(data)), 0, None if max_values is None else Budget(max_values))
        except DecodeError as e:
            raise e.within(cls.__name__) from None

    @classmethod
    def _plan(cls) -> tuple[dict[int, tuple[str, Field, Any, int]], tuple[str, ...]]:
        """Field number -> (name, Field, kind, how ``_decode`` stores it: ``_SCALAR``, ``_MESSAGE`` (singular), or
        ``_OTHER`` through ``_store_repeated``), and the names of the repeated fields; resolved on first use."""
        plan = cls.__dict__.get("_decoding")
        if plan is None:
            fields = cls.fields()
            plan = cls._decoding = (
                {number: (name, spec, spec.kind, _OTHER if spec.repeated or isinstance(spec.kind, Map)
                          else _MESSAGE if isinstance(spec.kind, MessageKind) else _SCALAR)
                 for number, (name, spec) in fields.items()},
                tuple(name for name, spec in fields.values() if spec.repeated))
        return plan

    @classmethod
    def _decode(cls, data: memoryview, depth: int, budget: "Budget | None") -> "Message":
        if depth > MAX_DEPTH:
            raise DecodeError("", f"messages nested deeper than {MAX_DEPTH}")
        fields, repeated = cls._plan()
        values: dict[str, Any] = {}
        pending_messages: dict[str, tuple[Field, list[memoryview]]] = {}  # singular embedded messages merge
        chosen: dict[str, str] = {}  # oneof -> the member of it seen last
        pos, end = 0, len(data)
        while pos < end:
            key = data[pos]
            if key < 0x80:  # every key of a field numbered below 16
                pos += 1
            else:
                key, pos = decode_varint(data, pos)
            number, wire_type = key >> 3, key & 7
            if number == 0 or key > 0xFFFFFFFF:
                raise DecodeError("", f"invalid field number {number}")
            planned = fields.get(number)
            try:
                if budget is not None:
                    budget.spend()
                if pos < end and data[pos] < 0x80 and (wire_type == LEN or wire_type == VARINT):
                    raw, pos = data[pos], pos + 1  # _read_value's one-byte varint, or length
                    if wire_type == LEN:
                        if pos + raw > end:
                            raise DecodeError("", f"truncated: length {raw}, {end - pos} bytes left")
                        raw, pos = data[pos:pos + raw], pos + raw
                else:
                    raw, pos = _read_value(data, pos, wire_type)
                if planned is None:
                    continue  # unknown fields are skipped (proto3)
                name, spec, kind, storing = planned
                if storing == _OTHER:
                    _store_repeated(values, name, spec, wire_type, raw, depth, budget)
                    continue
                if wire_type != kind.wire_type:
                    raise DecodeError("", f"wire type {wire_type}, expected {kind.wire_type}")
                if storing == _MESSAGE:  # its parts concatenate (merge), decoded once the message is read
                    pending_messages.setdefault(name, (spec, []))[1].append(raw)
                else:
                    values[name] = kind.decode(raw)
                if spec.oneof:
                    _clear_other_oneof_members(values, pending_messages, chosen, name, spec)
            except DecodeError as e:
                raise e.within(planned[0] if planned else f"<field {number}>") from None
        for name, (spec, parts) in pending_messages.items():
            try:
                values[name] = spec.kind.decode(parts[0] if len(parts) == 1 else b"".join(parts), depth + 1, budget)
            except DecodeError as e:
                raise e.within(name) from None
        for name in repeated:
            if name in values:
                values[name] = tuple(values[name])
        return cls(**values)


M = TypeVar("M", bound="Message")


@process_wide
@functools.lru_cache(maxsize=4096)
def decode_shared(message: type[M], data: bytes) -> M:
    """protobuf encoding: ``message.decode(data)``, remembered for the same bytes, for what many readers decode
    again and again (every member reads the same extensions, credentials and identity logs). Readers share the
    decoded message, so they read it and never change it; a ``DecodeError`` is raised again each time."""
    return message.decode(data)


@functools.lru_cache(maxsize=1024)
def _tag(number: int, wire_type: int) -> bytes:
    return encode_varint(number << 3 | wire_type)


def _field_bytes(number: int, kind: Kind, value: Any) -> bytes:
    return _tag(number, kind.wire_type) + kind.encode(value)


def _read_value(data: memoryview, pos: int, wire_type: int) -> tuple[Any, int]:
    """One raw value of ``wire_type`` at ``pos``: an int (varint, fixed) or a view of ``data`` (length-delimited)."""
    if wire_type == VARINT:
        return decode_varint(data, pos)
    if wire_type in (I64, I32):
        size = 8 if wire_type == I64 else 4
        if pos + size > len(data):
            raise DecodeError("", "truncated fixed-width field")
        return int.from_bytes(data[pos:pos + size], "little"), pos + size
    if wire_type == LEN:
        length, pos = decode_varint(data, pos)
        if pos + length > len(data):
            raise DecodeError("", f"truncated: length {length}, {len(data) - pos} bytes left")
        return data[pos:pos + length], pos + length
    raise DecodeError("", f"unsupported wire type {wire_type}")


class Budget:
    """model: how many more field values one ``decode`` may read (``Message.decode(max_values=...)``)."""

    __slots__ = ("limit", "left")

    def __init__(self, limit: int):
        self.limit = self.left = limit

    def spend(self, n: int = 1) -> None:
        """model: take ``n`` field values from the budget; ``DecodeError`` when it runs out."""
        self.left -= n
        if self.left < 0:
            raise DecodeError("", f"more than {self.limit} values")


def _decode_value(kind: Kind, raw: Any, depth: int, budget: Budget | None) -> Any:
    """One value of ``kind``; an embedded message one level below ``depth``."""
    return kind.decode(raw, depth + 1, budget) if isinstance(kind, MessageKind) else kind.decode(raw)


def _store_repeated(values: dict, name: str, spec: Field, wire_type: int, raw: Any, depth: int,
                    budget: Budget | None) -> None:
    """Apply one occurrence of the repeated or map field ``name`` (proto3: neither is ever a oneof member):
    repeated fields collect into a list (made a tuple when the message is complete), packed or not; map entries
    into a dict. ``Message._decode`` stores singular fields itself."""
    kind = spec.kind
    if isinstance(kind, Map):
        if wire_type != LEN:
            raise DecodeError("", f"wire type {wire_type} for a map entry")
        entry = _MapEntry.decode_entry(kind, raw, depth + 1, budget)
        values.setdefault(name, {})[entry[0]] = entry[1]
        return
    if wire_type == LEN and kind.wire_type == VARINT:  # packed
        items, pos = values.setdefault(name, []), 0
        while pos < len(raw):
            if budget is not None:
                budget.spend()
            item, pos = decode_varint(raw, pos)
            items.append(kind.decode(item))
        return
    if wire_type != kind.wire_type:
        raise DecodeError("", f"wire type {wire_type}, expected {kind.wire_type}")
    items = values.setdefault(name, [])
    try:
        items.append(_decode_value(kind, raw, depth, budget))
    except DecodeError as e:
        raise e.within(f"[{len(items)}]") from None


def _clear_other_oneof_members(values: dict, pending: dict, chosen: dict, name: str, spec: Field) -> None:
    """A oneof member seen later replaces any other member of the same oneof seen before."""
    previous = chosen.get(spec.oneof)
    if previous is not None and previous != name:
        values.pop(previous, None)
        pending.pop(previous, None)
    chosen[spec.oneof] = name


class _MapEntry:
    """``{K key = 1; V value = 2}``; a missing key or value takes its default (an empty message, as prost).
    An entry counts as one nesting level (prost decodes it as a message)."""

    @staticmethod
    def decode_entry(kind: Map, raw: memoryview, depth: int, budget: Budget | None) -> tuple[Any, Any]:
        if depth > MAX_DEPTH:
            raise DecodeError("", f"messages nested deeper than {MAX_DEPTH}")
        key = kind.key.default
        value = kind.value.decode(b"", depth + 1) if isinstance(kind.value, MessageKind) else kind.value.default
        pos = 0
        while pos < len(raw):
            if budget is not None:
                budget.spend()
            tag, pos = decode_varint(raw, pos)
            number, wire_type = tag >> 3, tag & 7
            item, pos = _read_value(raw, pos, wire_type)
            if number in (1, 2):
                target = kind.key if number == 1 else kind.value
                if wire_type != target.wire_type:
                    raise DecodeError("", f"map entry field {number}: wire type {wire_type}")
                if number == 1:
                    key = target.decode(item)
                else:
                    value = _decode_value(target, item, depth, budget)
        return key, value
