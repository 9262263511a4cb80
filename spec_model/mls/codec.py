"""RFC 9420 §2.1: the TLS presentation language as MLS uses it.

Theory of operation
-------------------
A *kind* describes how one value is written and read: fixed-width unsigned
integers (``U8`` … ``U64``), ``opaque<V>`` byte strings (``OPAQUE``), vectors
(``Vector(kind)``), ``optional<T>`` (``Optional(kind)``), nested structures
(any ``Struct`` subclass), and tagged unions (``Tagged``).

A ``Struct`` is a frozen dataclass whose fields carry their kind in an
``Annotated`` hint; reading and writing walk the fields in order. Structures
whose layout depends on an earlier field (``select`` in the RFC) write their
own ``read`` and ``write``.

Decoding is strict (§2.1.2, §15): truncated input, trailing bytes, a length
header that is not minimal, the reserved header ``0b11`` and out-of-range
enumeration values all raise ``DecodeError``, whose ``path`` names the field,
for example ``KeyPackage.leaf_node.capabilities.versions[1]``.
"""

from __future__ import annotations

import abc
import dataclasses
import enum
import typing
from typing import Annotated, Any, ClassVar, Iterable, Iterator

__all__ = [
    "DecodeError", "Reader", "Kind", "U8", "U16", "U32", "U64", "OPAQUE", "Vector",
    "Optional", "Enum", "Tagged", "Struct", "varint", "read_varint", "opaque", "field",
    "Annotated",
]

MAX_VARINT = (1 << 30) - 1


class DecodeError(ValueError):
    """RFC 9420 §2.1, §15: Bytes that do not decode; ``path`` names the field, ``reason`` says why."""

    def __init__(self, path: str, reason: str):
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}" if path else reason)

    def within(self, outer: str) -> "DecodeError":
        """RFC 9420 §2.1: The same error with ``outer`` prefixed to its path."""
        if not self.path:
            path = outer
        elif self.path.startswith("["):
            path = outer + self.path
        else:
            path = f"{outer}.{self.path}"
        return DecodeError(path, self.reason)


def varint(n: int) -> bytes:
    """RFC 9420 §2.1.2: the shortest variable-length integer header for ``n``."""
    if 0 <= n < 0x40:
        return bytes((n,))
    if 0x40 <= n < 0x4000:
        return (0x4000 | n).to_bytes(2, "big")
    if 0x4000 <= n <= MAX_VARINT:
        return (0x80000000 | n).to_bytes(4, "big")
    raise ValueError(f"length {n} does not fit a variable-length integer")


def opaque(data: bytes) -> bytes:
    """RFC 9420 §2.1.2: ``opaque data<V>``, a varint length then the bytes."""
    return varint(len(data)) + data


class field:
    """RFC 9420 §2.1: Name the field being read: a ``DecodeError`` inside gets ``name`` prefixed to its path
    (``with field(name): ...``)."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, error, traceback) -> None:
        if isinstance(error, DecodeError):
            raise error.within(self.name) from None


class Reader:
    """RFC 9420 §2.1: A cursor over bytes that raises ``DecodeError`` rather than running off the end."""

    __slots__ = ("data", "pos", "end")

    def __init__(self, data: bytes, pos: int = 0, end: int | None = None):
        self.data = data
        self.pos = pos
        self.end = len(data) if end is None else end

    def take(self, n: int) -> bytes:
        """RFC 9420 §2.1: the next ``n`` bytes; ``DecodeError`` if fewer are left."""
        start = self.pos
        end = start + n
        if end > self.end:
            raise DecodeError("", f"truncated: needs {n} bytes, {self.end - start} left")
        self.pos = end
        return self.data[start:end]

    def byte(self) -> int:
        """RFC 9420 §2.1: the next byte as an integer (a length header's first byte, a presence octet)."""
        pos = self.pos
        if pos >= self.end:
            raise DecodeError("", "truncated: needs 1 byte, 0 left")
        self.pos = pos + 1
        return self.data[pos]

    def uint(self, size: int) -> int:
        """RFC 9420 §2.1 (RFC 8446 §3 ``uintN``): a big-endian unsigned integer of ``size`` bytes."""
        return int.from_bytes(self.take(size), "big")

    def varint(self) -> int:
        """RFC 9420 §2.1.2: a variable-length integer header; non-minimal and ``0b11`` prefixes are errors."""
        first = self.byte()
        if first < 0x40:  # prefix 0b00: the value itself, the common case
            return first
        prefix = first >> 6
        if prefix == 3:
            raise DecodeError("", "invalid variable-length integer prefix 0b11")
        size = 2 if prefix == 1 else 4
        value = (first & 0x3F) << (8 * (size - 1)) | int.from_bytes(self.take(size - 1), "big")
        if (size == 2 and value < 0x40) or (size == 4 and value < 0x4000):
            raise DecodeError("", "non-minimal variable-length integer")
        return value

    def opaque(self) -> bytes:
        """RFC 9420 §2.1.2: ``opaque <V>``: a varint length, then that many bytes."""
        pos = self.pos
        if pos < self.end and self.data[pos] < 0x40:  # a one-byte length header, the common case
            start, end = pos + 1, pos + 1 + self.data[pos]
            if end <= self.end:
                self.pos = end
                return self.data[start:end]
        return self.take(self.varint())  # a longer header, or too few bytes (``take`` says how many)

    def sub(self) -> "Reader":
        """RFC 9420 §2.1.2: A reader over the next ``<V>``-prefixed span; this reader skips past it."""
        n = self.varint()
        if self.end - self.pos < n:
            raise DecodeError("", f"truncated: vector of {n} bytes, {self.end - self.pos} left")
        inner = Reader(self.data, self.pos, self.pos + n)
        self.pos += n
        return inner

    @property
    def done(self) -> bool:
        """RFC 9420 §2.1: whether every byte of the span has been read."""
        return self.pos >= self.end

    def finish(self) -> None:
        """RFC 9420 §2.1: ``DecodeError`` unless every byte of the span has been read."""
        if self.pos != self.end:
            raise DecodeError("", f"{self.end - self.pos} trailing bytes")


def read_varint(r: Reader) -> int:
    """RFC 9420 §2.1.2: decode a varint header (``Reader.varint``)."""
    return r.varint()


class Kind(abc.ABC):
    """RFC 9420 §2.1: How one value is written to and read from the wire."""

    @abc.abstractmethod
    def write(self, value: Any, out: bytearray) -> None:
        """RFC 9420 §2.1: append the encoding of ``value`` to ``out``."""

    @abc.abstractmethod
    def read(self, r: Reader) -> Any:
        """RFC 9420 §2.1: read one value; ``DecodeError`` on malformed input."""

    def encode(self, value: Any) -> bytes:
        """RFC 9420 §2.1: the encoding of ``value``."""
        out = bytearray()
        self.write(value, out)
        return bytes(out)

    def encode_parts(self, value: Any) -> tuple[bytes, ...]:
        """RFC 9420 §2.1: the encoding of ``value`` in pieces (``Struct.encode_parts``); here one piece."""
        return (self.encode(value),)

    def decode(self, data: bytes) -> Any:
        """RFC 9420 §2.1: Decode exactly one value from ``data``; anything left over is an error."""
        r = Reader(bytes(data))
        value = self.read(r)
        r.finish()
        return value


class Uint(Kind):
    """RFC 9420 §2.1: A big-endian unsigned integer of ``size`` bytes (uint8 … uint64)."""

    def __init__(self, size: int):
        self.size = size
        self.limit = 1 << (8 * size)

    def write(self, value: int, out: bytearray) -> None:
        """RFC 8446 §3 ``uintN``: ``value`` big-endian in ``size`` bytes."""
        out += self.encode(value)

    def encode(self, value: int) -> bytes:
        """RFC 8446 §3 ``uintN``: ``value`` big-endian in ``size`` bytes; out of range is an error."""
        if not 0 <= value < self.limit:
            raise ValueError(f"{value} does not fit uint{8 * self.size}")
        return value.to_bytes(self.size, "big")

    def read(self, r: Reader) -> int:
        """RFC 8446 §3 ``uintN``: a big-endian integer of ``size`` bytes."""
        return int.from_bytes(r.take(self.size), "big")

    def __repr__(self) -> str:
        return f"U{8 * self.size}"


U8, U16, U32, U64 = Uint(1), Uint(2), Uint(4), Uint(8)


class Opaque(Kind):
    """RFC 9420 §2.1.2: ``opaque data<V>``."""

    def write(self, value: bytes, out: bytearray) -> None:
        """RFC 9420 §2.1.2: a varint length header, then the bytes."""
        n = len(value)
        if n < 0x40:  # a one-byte header, the common case
            out.append(n)
        else:
            out += varint(n)
        out += value

    def encode_parts(self, value: bytes) -> tuple[bytes, ...]:
        """RFC 9420 §2.1.2: the length header, then the bytes themselves (not copied)."""
        return varint(len(value)), value

    def read(self, r: Reader) -> bytes:
        """RFC 9420 §2.1.2: the bytes after a varint length header."""
        return bytes(r.opaque())

    def __repr__(self) -> str:
        return "OPAQUE"


OPAQUE = Opaque()


class Vector(Kind):
    """RFC 9420 §2.1.2: ``T items<V>``: a varint byte length, then the items; decoded as a tuple.

    ``max_items``, where the context bounds the count, refuses the vector as soon as one item more
    has been read (its declared byte length alone cannot bound items as small as one byte)."""

    def __init__(self, item: Any, max_items: int | None = None):
        self.item = item
        self.item_kind = kind_of(item)  # resolved once: each item is read or written through it
        self.max_items = max_items

    def write(self, value: Iterable[Any], out: bytearray) -> None:
        """RFC 9420 §2.1.2: ``T items<V>``: the items' encodings behind one varint length header."""
        start = len(out)
        item = self.item_kind
        for v in value:
            item.write(v, out)
        out[start:start] = varint(len(out) - start)  # the header, once the body's length is known

    def read(self, r: Reader) -> tuple:
        """RFC 9420 §2.1.2: items read until the length header's span is used up."""
        inner = r.sub()
        item = self.item_kind
        items = []
        while inner.pos < inner.end:
            if len(items) == self.max_items:
                raise DecodeError("", f"more than {self.max_items} items")
            try:
                items.append(item.read(inner))
            except DecodeError as e:
                raise e.within(f"[{len(items)}]") from None
        return tuple(items)

    def __repr__(self) -> str:
        return f"Vector({self.item!r})"


class Optional(Kind):
    """RFC 9420 §2.1.1: ``optional<T>``: a presence octet (0 or 1), then the value if present."""

    def __init__(self, item: Any):
        self.item = item
        self.item_kind = kind_of(item)

    def write(self, value: Any, out: bytearray) -> None:
        """RFC 9420 §2.1.3 ``optional<T>``: a presence byte (0 or 1), then the value if present."""
        if value is None:
            out.append(0)
        else:
            out.append(1)
            self.item_kind.write(value, out)

    def encode_parts(self, value: Any) -> tuple[bytes, ...]:
        """RFC 9420 §2.1.3 ``optional<T>``: the presence byte, then the value's pieces."""
        return (b"\0",) if value is None else (b"\1", *self.item_kind.encode_parts(value))

    def read(self, r: Reader) -> Any:
        """RFC 9420 §2.1.3 ``optional<T>``: None after 0, the value after 1; another byte is an error."""
        present = r.byte()
        if present == 0:
            return None
        if present != 1:
            raise DecodeError("", f"optional presence octet {present} is neither 0 nor 1")
        return self.item_kind.read(r)

    def __repr__(self) -> str:
        return f"Optional({self.item!r})"


class Enum(Kind):
    """RFC 9420 §2.1: A closed enumeration carried as an unsigned integer; unknown values are errors."""

    def __init__(self, size: Uint, enum_type: type[enum.IntEnum]):
        self.size = size
        self.enum_type = enum_type
        self.members = {int(member): member for member in enum_type}

    def write(self, value: enum.IntEnum, out: bytearray) -> None:
        """RFC 8446 §3 ``enum``: the member's value as an unsigned integer of the enum's width."""
        self.size.write(int(value), out)

    def read(self, r: Reader) -> enum.IntEnum:
        """RFC 8446 §3 ``enum``: the member with that value; an unknown value is an error."""
        raw = self.size.read(r)
        member = self.members.get(raw)
        if member is None:
            raise DecodeError("", f"unknown {self.enum_type.__name__} {raw}")
        return member


class Tagged(Kind):
    """RFC 9420 §2.1: A ``select`` over a tag: the tag, then the body of the struct class the tag names.

    Every case class has a ``TAG`` class attribute.
    """

    def __init__(self, size: Uint, name: str, cases: Iterable[type["Struct"]]):
        self.size = size
        self.name = name
        self.cases = {cls.TAG: cls for cls in cases}

    def write(self, value: "Struct", out: bytearray) -> None:
        """RFC 8446 §3 ``select``: the case's tag, then the case's fields."""
        self.size.write(type(value).TAG, out)
        out += value.encode()

    def read(self, r: Reader) -> "Struct":
        """RFC 8446 §3 ``select``: the case named by the tag; an unknown tag is an error."""
        tag = self.size.read(r)
        cls = self.cases.get(tag)
        if cls is None:
            raise DecodeError("", f"unknown {self.name} {tag}")
        return cls._kind.read(r)


class StructKind(Kind):
    """RFC 9420 §2.1: a ``struct`` nested as a field, or a tagged case, or a whole message: its encoding remembered
    (``read``)."""

    def __init__(self, cls: type["Struct"]):
        self.cls = cls

    def write(self, value: "Struct", out: bytearray) -> None:
        """RFC 9420 §2.1: a struct's fields in order."""
        out += value.encode()

    def encode_parts(self, value: "Struct") -> tuple[bytes, ...]:
        """RFC 9420 §2.1: a nested struct in one piece, its encoding (remembered, ``Struct.encode``)."""
        return (value.encode(),)

    def read(self, r: Reader) -> "Struct":
        """RFC 9420 §2.1: A struct read field by field, keeping the bytes it was read from as its encoding.

        Decoding is strict, so these are exactly the bytes ``encode`` would
        produce; keeping them saves re-encoding a received structure to hash or
        verify it (key package references, signatures, tree hashes).
        """
        start = r.pos
        value = self.cls.read(r)
        object.__setattr__(value, "_encoding", r.data[start:r.pos])
        return value


def kind_of(spec: Any) -> Kind:
    """RFC 9420 §2.1: the kind a field declaration names (a ``Kind``, or a ``Struct`` class)."""
    if isinstance(spec, Kind):
        return spec
    if isinstance(spec, type) and issubclass(spec, Struct):
        return spec._kind
    raise TypeError(f"not a wire kind: {spec!r}")


class Struct:
    """RFC 9420 §2.1 ``struct``: a frozen dataclass written field by field.

    Subclasses declare fields as ``name: Annotated[type, KIND]``; ``TAG`` is
    set on cases of a ``Tagged`` union.
    """

    TAG: ClassVar[int]
    _fields: ClassVar[tuple[tuple[str, Kind], ...] | None]
    """``wire_fields()`` once resolved (None before): reading and writing use it as ``_fields or wire_fields()``,
    without a call per struct."""
    _kind: ClassVar[StructKind]
    _encoding: ClassVar[bytes | None] = None
    """The instance's encoding once known (``StructKind.read``, ``encode``); read as an attribute, never through
    ``__dict__``, which would make CPython build a dict for every struct it is asked of."""

    def __init_subclass__(cls, **kwargs: Any):
        super().__init_subclass__(**kwargs)
        dataclasses.dataclass(frozen=True, eq=True)(cls)
        cls._fields = None
        cls._kind = StructKind(cls)

    @classmethod
    def wire_fields(cls) -> tuple[tuple[str, Kind], ...]:
        """RFC 9420 §2.1: The (name, kind) pairs in wire order, resolved on first use."""
        if cls._fields is None:  # set to None on every subclass, so never a base class's
            hints = typing.get_type_hints(cls, include_extras=True)
            fields = []
            for f in dataclasses.fields(cls):
                hint = hints[f.name]
                meta = getattr(hint, "__metadata__", ())
                if not meta:
                    raise TypeError(f"{cls.__name__}.{f.name} has no wire kind")
                fields.append((f.name, kind_of(meta[0])))
            cls._fields = tuple(fields)
        return cls._fields

    def write(self, out: bytearray) -> None:
        """RFC 9420 §2.1: the fields in wire order, appended to ``out``."""
        for name, kind in self._fields or self.wire_fields():
            kind.write(getattr(self, name), out)

    @classmethod
    def read(cls, r: Reader) -> "Struct":
        """RFC 9420 §2.1: read the fields in wire order; a ``DecodeError`` names the field."""
        values = []
        name = ""
        try:
            for name, kind in cls._fields or cls.wire_fields():
                values.append(kind.read(r))
        except DecodeError as e:  # the path names the field (one handler per struct, not one per field)
            raise e.within(name) from None
        return cls(*values)  # the wire order is the fields' order

    def encode_fields(self, count: int) -> bytes:
        """RFC 9420 §5.1.2 (to-be-signed structures): The encoding of the first ``count`` wire fields (a to-be-signed prefix).

        All fields but a last ``opaque<V>`` (a signature) are the encoding cut before it: a structure read from
        the wire keeps the bytes it was read from (``StructKind.read``), so they are not encoded again."""
        fields = self._fields or self.wire_fields()
        if count == len(fields) - 1 and fields[-1][1] is OPAQUE:
            encoding, last = self.encode(), getattr(self, fields[-1][0])
            return encoding[:len(encoding) - len(varint(len(last))) - len(last)]
        out = bytearray()
        for name, kind in fields[:count]:
            kind.write(getattr(self, name), out)
        return bytes(out)

    def encode_parts(self) -> tuple[bytes, ...]:
        """RFC 9420 §2.1: The encoding as pieces whose concatenation is ``encode()``, for hashing or joining a large
        structure in one pass: an ``opaque<V>`` field gives its length header and its value as they are, a nested
        struct its (remembered) encoding, so no large value is copied on the way."""
        encoding = self._encoding
        if encoding is not None:
            return (encoding,)
        parts: list[bytes] = []
        for name, kind in self._fields or self.wire_fields():
            parts += kind.encode_parts(getattr(self, name))
        return tuple(parts)

    def replace(self, **changes: Any) -> Any:
        """RFC 9420 §2.1: A copy with some fields changed (``dataclasses.replace``)."""
        return dataclasses.replace(self, **changes)

    def encode(self) -> bytes:
        """RFC 9420 §2.1: The wire encoding, computed once: a ``Struct`` is immutable."""
        encoding = self._encoding
        if encoding is None:
            out = bytearray()
            self.write(out)
            encoding = bytes(out)
            object.__setattr__(self, "_encoding", encoding)
        return encoding

    @classmethod
    def decode(cls, data: bytes) -> Any:
        """RFC 9420 §2.1: Decode exactly one value from ``data``; anything left over is an error."""
        r = Reader(bytes(data))
        try:
            value = cls._kind.read(r)
            r.finish()
        except DecodeError as e:
            raise e.within(cls.__name__) from None
        return value
