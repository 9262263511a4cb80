"""Protobuf messages as the vectors' JSON: absent fields left out, bytes as hex, enums as numbers; and the
pydantic model of that JSON for a message type, so a vector schema describes it field by field."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, create_model

from spec_model.xmtp.proto import BOOL, BYTES, STRING, EnumKind, Map, Message, MessageKind

from .family import Hex, absent

__all__ = ["to_json", "from_json", "json_model"]


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


def json_model(cls: type[Message]) -> type[BaseModel]:
    """The pydantic model of ``to_json(cls(...))``: no other field; a scalar, repeated or map field always
    present, an embedded message, ``optional`` or oneof field present only when set (``from_json`` reads it)."""
    if cls not in _MODELS:
        building: dict[type[Message], type[BaseModel] | None] = {}
        _build(cls, building)
        namespace = {_name(c): m for c, m in building.items()}
        for model in building.values():
            model.model_rebuild(_types_namespace=namespace)
        _MODELS.update(building)
    return _MODELS[cls]


_MODELS: dict[type[Message], type[BaseModel]] = {}


def _name(cls: type[Message]) -> str:
    return cls.__qualname__.replace(".", "")


def _build(cls: type[Message], building: dict) -> Any:
    """The model of ``cls`` (built with those it embeds), or its name while it is being built (a message
    that embeds itself, such as a policy's conditions, refers to its model by name until the rebuild)."""
    if cls in _MODELS:
        return _MODELS[cls]
    if cls in building:
        return building[cls] or _name(cls)
    building[cls] = None
    fields: dict[str, Any] = {}
    for name, spec in cls.fields().values():
        if isinstance(spec.kind, Map):
            if spec.kind.key is not STRING:
                raise TypeError(f"{cls.__qualname__}.{name}: JSON object keys are strings, the map's are not")
            annotation: Any = dict[str, _json_type(spec.kind.value, building)]
        else:
            kind = _json_type(spec.kind, building)
            annotation = list[kind] if spec.repeated else kind
        optional = not spec.repeated and (isinstance(spec.kind, MessageKind) or spec.optional or spec.oneof)
        fields[name] = (annotation, absent()) if optional else (annotation, ...)
    building[cls] = create_model(_name(cls), __config__=ConfigDict(extra="forbid"),
                                 __doc__=f"protobuf {cls.__qualname__} as JSON", **fields)
    return building[cls]


def _json_type(kind: Any, building: dict) -> Any:
    if isinstance(kind, MessageKind):
        return _build(kind.cls, building)
    if kind is BYTES:
        return Hex
    if kind is STRING:
        return str
    if kind is BOOL:
        return bool
    return int  # varints and enums (by number; an open enum keeps an unknown one)
