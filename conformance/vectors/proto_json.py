"""Protobuf messages as the vectors' JSON: absent fields left out, bytes as hex, enums as numbers."""

from __future__ import annotations

from typing import Any

from spec_model.xmtp.proto import BYTES, EnumKind, Map, Message, MessageKind

__all__ = ["to_json", "from_json"]


def to_json(message: Message) -> dict[str, Any]:
    """``message`` as a JSON object keyed by proto field names."""
    out = {}
    for name, spec in message.fields().values():
        value = getattr(message, name)
        if value is None:
            continue
        if isinstance(spec.kind, Map):
            out[name] = {key: _to_json(spec.kind.value, v) for key, v in value.items()}
        elif spec.repeated:
            out[name] = [_to_json(spec.kind, v) for v in value]
        else:
            out[name] = _to_json(spec.kind, value)
    return out


def from_json(cls: type[Message], data: dict[str, Any]) -> Message:
    """The inverse of ``to_json``: the ``cls`` message ``data`` describes; unknown field names are an error."""
    specs = {name: spec for name, spec in cls.fields().values()}
    unknown = data.keys() - specs.keys()
    if unknown:
        raise ValueError(f"{cls.__name__} has no fields {sorted(unknown)}")
    values = {}
    for name, value in data.items():
        spec = specs[name]
        if isinstance(spec.kind, Map):
            values[name] = {key: _from_json(spec.kind.value, v) for key, v in value.items()}
        elif spec.repeated:
            values[name] = tuple(_from_json(spec.kind, v) for v in value)
        else:
            values[name] = _from_json(spec.kind, value)
    return cls(**values)


def _to_json(kind: Any, value: Any) -> Any:
    if isinstance(kind, MessageKind):
        return to_json(value)
    if kind is BYTES:
        return bytes(value).hex()
    if isinstance(kind, EnumKind):
        return int(value)
    return value


def _from_json(kind: Any, value: Any) -> Any:
    if isinstance(kind, MessageKind):
        return from_json(kind.cls, value)
    if kind is BYTES:
        return bytes.fromhex(value)
    if isinstance(kind, EnumKind):
        try:
            return kind.enum_type(value)
        except ValueError:
            return value  # an open enum keeps an unknown number
    return value
