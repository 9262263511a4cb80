"""The ``.proto`` definitions of the APIs ``XmtpApiServer`` serves, written from the model's messages.

The model declares XMTP's API messages once, in ``spec_model.xmtp.api`` (field numbers from
docs/xmtp-facts.md §7–§8); ``render()`` writes them as proto3 files for implementers and tools in other languages: one
file per package (``xmtp.mls.api.v1``, ``xmtp.identity.api.v1``) with its service, every message
and enum its methods reach, nested messages nested. ``xmtp-conformance proto [--check]`` writes them
into ``interop/proto`` (or checks the committed files are what the model declares), so the two can
never disagree. Enum values carry their enum's name as a prefix (proto3 scopes values per package);
the numbers, which are what goes on the wire, are the model's.
"""

from __future__ import annotations

import enum
import re
from pathlib import Path

from spec_model.xmtp import api
from spec_model.xmtp.api import API_METHODS, API_SERVICES, API_STREAMS
from spec_model.xmtp.proto import BOOL, BYTES, INT32, INT64, STRING, UINT32, UINT64, EnumKind, Map, Message, MessageKind


__all__ = ["render", "PROTO_DIR", "write", "check"]

PROTO_DIR = Path(__file__).resolve().parents[1] / "interop" / "proto"
_SCALARS = {id(UINT64): "uint64", id(UINT32): "uint32", id(INT64): "int64", id(INT32): "int32", id(BOOL): "bool",
            id(STRING): "string", id(BYTES): "bytes"}
_FILES = {"xmtp.mls.api.v1.MlsApi": "xmtp/mls/api/v1/mls.proto",
          "xmtp.identity.api.v1.IdentityApi": "xmtp/identity/api/v1/identity.proto"}


def _methods(service: str) -> list[tuple[str, type, type | None, bool]]:
    """(rpc, request, response or None for Empty, server streaming) of a service."""
    unary = [(rpc, API_METHODS[rpc][1], API_METHODS[rpc][2], False) for rpc in API_SERVICES[service]]
    streams = [(rpc, request, api.GroupMessage if "Group" in rpc else api.WelcomeMessage, True)
               for rpc, (_, request) in API_STREAMS.items()] if service.endswith("MlsApi") else []
    return unary + streams


def _reached(roots: list[type]) -> tuple[list[type], list[type]]:
    """Every message and enum the roots reach, top-level messages only (nested ones are printed inside)."""
    messages: list[type] = []
    enums: list[type] = []

    def visit(cls: type) -> None:
        top = _top(cls)
        if top not in messages:
            messages.append(top)
        for _, spec in cls.fields().values():
            kinds = [spec.kind.key, spec.kind.value] if isinstance(spec.kind, Map) else [spec.kind]
            for kind in kinds:
                if isinstance(kind, EnumKind) and kind.enum_type not in enums:
                    enums.append(kind.enum_type)
                elif isinstance(kind, MessageKind) and kind.cls is not cls:
                    visit(kind.cls)

    for root in roots:
        visit(root)
    return messages, enums


def _top(cls: type) -> type:
    return getattr(api, cls.__qualname__.split(".")[0])


def _type(kind) -> str:
    if isinstance(kind, EnumKind):
        return kind.enum_type.__name__
    if isinstance(kind, MessageKind):
        return kind.cls.__qualname__
    return _SCALARS[id(kind)]


def _message(cls: type, indent: str = "") -> list[str]:
    lines = [f"{indent}message {cls.__name__} {{"]
    for nested in [v for v in vars(cls).values() if isinstance(v, type) and issubclass(v, Message)]:
        lines += _message(nested, indent + "  ")
    oneofs: dict[str, list[str]] = {}
    for number, (name, spec) in cls.fields().items():
        if isinstance(spec.kind, Map):
            line = f"map<{_type(spec.kind.key)}, {_type(spec.kind.value)}> {name} = {number};"
        else:
            label = "repeated " if spec.repeated else "optional " if spec.optional else ""
            line = f"{label}{_type(spec.kind)} {name} = {number};"
        if spec.oneof:
            oneofs.setdefault(spec.oneof, []).append(line)
        else:
            lines.append(f"{indent}  {line}")
    for group, members in oneofs.items():
        lines += [f"{indent}  oneof {group} {{", *(f"{indent}    {m}" for m in members), f"{indent}  }}"]
    return lines + [f"{indent}}}"]


def _enum(enum_type: type[enum.IntEnum]) -> list[str]:
    prefix = re.sub(r"(?<!^)(?=[A-Z])", "_", enum_type.__name__).upper()
    return [f"enum {enum_type.__name__} {{", *(f"  {prefix}_{m.name} = {m.value};" for m in enum_type), "}"]


def render() -> dict[str, str]:
    """Relative path -> the text of each ``.proto`` file."""
    files = {}
    for service, path in _FILES.items():
        package, _, name = service.rpartition(".")
        methods = _methods(service)
        messages, enums = _reached([t for _, request, response, _ in methods for t in (request, response) if t])
        rpcs = [f"  rpc {rpc}({request.__name__}) returns ({'stream ' if streaming else ''}"
                f"{response.__qualname__ if response else 'google.protobuf.Empty'});"
                for rpc, request, response, streaming in methods]
        body = [f"// Generated by `xmtp-conformance proto` from spec_model/xmtp/api.py (facts §7-§8). Do not edit.",
                'syntax = "proto3";', "", f"package {package};", "", 'import "google/protobuf/empty.proto";', "",
                f"service {name} {{", *rpcs, "}"]
        for enum_type in enums:
            body += ["", *_enum(enum_type)]
        for message in messages:
            body += ["", *_message(message)]
        files[path] = "\n".join(body) + "\n"
    return files


def write(directory: Path = PROTO_DIR) -> list[Path]:
    written = []
    for relative, text in render().items():
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path)
    return written


def check(directory: Path = PROTO_DIR) -> list[str]:
    """The files that differ from what the model declares (missing ones included)."""
    return [relative for relative, text in render().items()
            if not (directory / relative).exists() or (directory / relative).read_text() != text]
