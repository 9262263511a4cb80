"""Every decoder that takes bytes from outside, with the typed refusals it may raise and seeds to mutate.

A *decoder* is a function of one ``bytes`` argument. Anything it raises other than its ``refusals`` is a
crash. Seeds are valid encodings: the hex strings of the committed vector files (RFC 9420 and XMTP), and
each decoder's own valid values where the model can build them. ``mutants(seeds, rng, n)`` derives ``n``
inputs by the classic byte-level mutations (bit flips, boundary bytes, inserted, deleted, repeated and
spliced spans, truncation, inflated lengths).
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import pkgutil
import random
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable, Iterator

import spec_model
from conformance.adapter import jsonrpc
from spec_model.mls.codec import DecodeError, Reader, Struct
from spec_model.mls.framing import ContentType, FramedContentAuthData, PrivateMessageContent
from spec_model.mls.group_context import Extension
from spec_model.mls.leaf_node import Credential
from spec_model.mls.ratchet_tree import RATCHET_TREE, RatchetTree
from spec_model.mls.reasons import Rejected
from spec_model.mls.suites import suite
from spec_model.xmtp import api
from spec_model.xmtp import extensions as xext
from spec_model.xmtp.content import EncodedContent, decode_group_updated, decode_text, open_envelope
from spec_model.xmtp.credential import inbox_of
from spec_model.xmtp.history_archive import read_archive
from spec_model.xmtp.identity import decode_update
from spec_model.xmtp.permissions import Policies
from spec_model.xmtp.proto import Message
from spec_model.xmtp.welcome_pointer import WelcomeV1Pointer, offers_pointers, open_pointee, open_pointer
from spec_model.xmtp.welcome_wrap import WelcomeWrapperAlgorithm, unwrap_welcome

ROOT = Path(__file__).resolve().parents[2]
TYPED = (DecodeError, Rejected)


@dataclasses.dataclass(frozen=True)
class Decoder:
    """A decoder of untrusted bytes; ``check`` (if any) is a property every accepted input must have."""

    name: str
    decode: Callable[[bytes], Any]
    refusals: tuple[type[BaseException], ...] = TYPED
    check: Callable[[bytes, Any], None] | None = None


def _subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _model_classes(base: type) -> list[type]:
    for module in pkgutil.walk_packages(spec_model.__path__, "spec_model."):
        importlib.import_module(module.name)
    found = {c for c in _subclasses(base) if c.__module__.startswith("spec_model.")}
    return sorted(found, key=lambda c: (c.__module__, c.__qualname__))


def _proto_round_trip(cls: type[Message]) -> Callable[[bytes, Any], None]:
    def check(data: bytes, value: Any) -> None:  # canonical re-encoding decodes to the same value
        assert cls.decode(value.encode()) == value
    return check


def _tls_round_trip(data: bytes, value: Struct) -> None:  # strict decoding: the same bytes come back
    out = bytearray()
    value.write(out)
    assert bytes(out) == data


CONTEXT_STRUCTS = {FramedContentAuthData, PrivateMessageContent}  # read only for a given content type
WRAP_KEY = bytes(range(32))


def _json_line(data: bytes) -> Any:
    """The JSON-RPC layer on one line from a peer: parsed (or refused), then answered."""
    line = data.decode("utf-8", errors="replace")
    try:
        message = jsonrpc._parse(line)
    except jsonrpc._Malformed:
        return None
    return json.loads(jsonrpc._answer(lambda method, params: {"echo": params}, message))


def _encoded_content(codec: Callable[[EncodedContent], Any]) -> Callable[[bytes], Any]:
    return lambda data: codec(EncodedContent.decode(data))


def _extension(reader: Callable, extension_type: int) -> Callable[[bytes], Any]:
    return lambda data: reader([Extension(extension_type, data)])


def decoders() -> list[Decoder]:
    """The registry, in a stable order."""
    found = [Decoder(f"proto:{c.__module__.rsplit('.', 1)[1]}.{c.__qualname__}", c.decode,
                     (DecodeError,), _proto_round_trip(c)) for c in _model_classes(Message)]
    found += [Decoder(f"tls:{c.__module__.rsplit('.', 1)[1]}.{c.__qualname__}", c.decode, (DecodeError,),
                      _tls_round_trip) for c in _model_classes(Struct) if c not in CONTEXT_STRUCTS]
    for content_type in ContentType:
        found.append(Decoder(f"tls:FramedContentAuthData[{content_type.name}]",
                             lambda d, t=content_type: _whole(FramedContentAuthData.read_for, t, d), (DecodeError,)))
        found.append(Decoder(f"tls:PrivateMessageContent[{content_type.name}]",
                             lambda d, t=content_type: PrivateMessageContent.decode_for(t, d), (DecodeError,)))
    found += [
        Decoder("tls:RATCHET_TREE", RATCHET_TREE.decode, (DecodeError,)),
        Decoder("RatchetTree.decode", lambda d: RatchetTree.decode(suite(3), d)),
        Decoder("history_sync.read_archive", lambda d: read_archive(d, WRAP_KEY)),
        Decoder("content.open_envelope", lambda d: open_envelope(bytes(16), d)),
        Decoder("content.decode_text", _encoded_content(decode_text)),
        Decoder("content.decode_group_updated", _encoded_content(decode_group_updated)),
        Decoder("identity.decode_update", decode_update),
        Decoder("credential.inbox_of", lambda d: inbox_of(Credential.decode(d))),
        Decoder("permissions.Policies.from_proto",
                lambda d: Policies.from_proto(xext.GroupMutablePermissionsV1.decode(d))),
        Decoder("extensions.read_immutable_metadata",
                _extension(xext.read_immutable_metadata, xext.XmtpExtensionType.IMMUTABLE_METADATA)),
        Decoder("extensions.read_mutable_metadata",
                _extension(xext.read_mutable_metadata, xext.XmtpExtensionType.MUTABLE_METADATA)),
        Decoder("extensions.read_membership",
                _extension(xext.read_membership, xext.XmtpExtensionType.GROUP_MEMBERSHIP)),
        Decoder("extensions.read_application_id", lambda d: xext.read_application_id(Extension(1, d))),
        Decoder("jsonrpc.line", _json_line, ()),
    ]
    for algorithm in WelcomeWrapperAlgorithm:
        found.append(Decoder(f"welcome_wrap.unwrap_welcome[{algorithm.name}]",
                             lambda d, a=algorithm: unwrap_welcome(WRAP_KEY, d, b"", a)))
    found += [
        Decoder("welcome_pointer.offers_pointers", lambda d: offers_pointers(
            SimpleNamespace(extensions=(Extension(xext.XmtpExtensionType.WELCOME_POINTEE_AEAD, d),)))),
        Decoder("welcome_pointer.open_pointer", lambda d: open_pointer(WRAP_KEY, api.WelcomeMessage.WelcomePointer(
            welcome_pointer=d, wrapper_algorithm=api.WelcomePointerWrapperAlgorithm.XWING_MLKEM_768_DRAFT_6))),
        Decoder("welcome_pointer.open_pointee", lambda d: open_pointee(
            WelcomeV1Pointer(bytes(32), 3, bytes(32), bytes(12), bytes(range(12))),
            api.WelcomeMessage(v1=api.WelcomeMessage.V1(data=d, welcome_metadata=d)))),
    ]
    return found


def _whole(read: Callable[[Any, Reader], Any], context: Any, data: bytes) -> Any:
    r = Reader(data)
    value = read(context, r)
    r.finish()
    return value


# ------------------------------------------------------------------ seeds and mutations

_HEX = re.compile(r'"((?:[0-9a-f]{2}){2,})"')


def seeds(limit: int = 400) -> list[bytes]:
    """Valid encodings from the committed vectors: at most ``limit`` distinct ones of at most 10 kB,
    spread evenly over their lengths."""
    found: set[bytes] = set()
    for path in sorted((ROOT / "vectors").glob("*/*.json")):
        for match in _HEX.finditer(path.read_text()):
            if len(match.group(1)) <= 20_000:
                found.add(bytes.fromhex(match.group(1)))
    ordered = sorted(found, key=lambda b: (len(b), b))
    return ordered[::max(1, len(ordered) // limit)][:limit]


_BOUNDARY = (0x00, 0x01, 0x3F, 0x40, 0x7F, 0x80, 0xBF, 0xC0, 0xFE, 0xFF)


def mutate(data: bytes, rng: random.Random, pool: list[bytes]) -> bytes:
    """One to four byte-level mutations of ``data``."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        at = rng.randrange(len(out) + 1)
        op = rng.randrange(9)
        if op == 0 and out:
            out[min(at, len(out) - 1)] ^= 1 << rng.randrange(8)
        elif op == 1 and out:
            out[min(at, len(out) - 1)] = rng.choice(_BOUNDARY)
        elif op == 2:
            out[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif op == 3 and out:
            del out[at:at + rng.randint(1, 16)]
        elif op == 4 and out:  # a span repeated: repeated fields, duplicated entries
            span = out[at:at + rng.randint(1, 32)]
            out[at:at] = span * rng.randint(2, 64)
        elif op == 5:
            del out[at:]
        elif op == 6:  # spliced with another seed
            other = rng.choice(pool)
            cut = rng.randrange(len(other) + 1)
            out[at:] = other[cut:]
        elif op == 7:  # a length or count inflated: a large varint (protobuf) or length header (TLS)
            out[at:at] = rng.choice((b"\xff\xff\xff\xff\x0f", b"\x80\x00\x00\x00", b"\xbf\xff\xff\xff", b"\x7f"))
        else:
            out += bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
    return bytes(out)


def run(decoder: Decoder, inputs: list[bytes]) -> list[tuple[bytes, BaseException]]:
    """Feed ``inputs`` to ``decoder``; the crashes: anything raised that is not a typed refusal (or a
    broken ``check``)."""
    crashes = []
    for data in inputs:
        try:
            value = decoder.decode(data)
        except decoder.refusals:
            continue
        except Exception as e:  # noqa: BLE001 -- what the fuzzer looks for
            crashes.append((data, e))
            continue
        if decoder.check is not None:
            try:
                decoder.check(data, value)
            except Exception as e:  # noqa: BLE001
                crashes.append((data, e))
    return crashes


def own_seeds(decoder: Decoder, pool: list[bytes]) -> list[bytes]:
    """The seeds ``decoder`` accepts (mutating those reaches past its first checks), else the whole pool."""
    accepted = []
    for data in pool:
        try:
            decoder.decode(data)
        except Exception:  # noqa: BLE001 -- refusals and crashes alike: the crash shows in run()
            continue
        accepted.append(data)
    return accepted or pool
