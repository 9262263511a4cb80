"""RFC 9420 §2.1: every wire structure round-trips, and malformed bytes only ever raise DecodeError.

For each structure (a ``Codec`` in ``CODECS``; values from ``strategies``):

* ``decode(encode(x)) == x`` and ``encode(decode(b)) == b`` for generated values;
* every strict prefix of an encoding, and an encoding with bytes appended,
  is rejected (the encodings are self-delimiting);
* arbitrary bytes, and encodings with bytes flipped, overwritten, inserted,
  deleted, copied or cut off, either decode to a well-typed value (``conforms``)
  whose field-by-field re-encoding is exactly those bytes (strictness: no
  non-canonical encoding is accepted, whatever the decoded struct remembers)
  or raise ``DecodeError``: never IndexError, KeyError, ValueError,
  struct.error, RecursionError, ...;
* an encoding written with one varint header in a longer form than needed,
  one ``optional`` presence octet other than 0 or 1, or one enumeration value
  or union tag its type does not define is rejected with the matching reason;
* a ``DecodeError``'s path is well formed and names real fields: each
  segment is a field of the structure reached so far, or an index into a
  vector (``check_path``).

A handful of hand-made bad inputs pin exact paths. Example counts come from
the hypothesis profile in tests/conftest.py.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import re
from typing import Any, Callable, Collection, Iterator
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spec_model.mls import codec as codec_module
from spec_model.mls.codec import (
    OPAQUE, U8, U16, U32, U64, DecodeError, Enum, Opaque, Optional, Reader, StructKind, Struct, Tagged,
    Uint, Vector,
)
from spec_model.mls.commit import Commit
from spec_model.mls.extensions import EXTERNAL_SENDERS, ExternalPub, RequiredCapabilities
from spec_model.mls.extensions import ExternalSender as ExternalSenderEntry
from spec_model.mls.framing import (
    SENDER, AuthenticatedContent, ContentType, ExternalSender, FramedContent, FramedContentAuthData,
    MemberSender, NewMemberCommitSender, NewMemberProposalSender, PrivateContentAAD, PrivateMessage,
    PrivateMessageContent, PublicMessage, SenderData, SenderDataAAD, WireFormat,
)
from spec_model.mls.group_context import Extension, GroupContext
from spec_model.mls.key_package import KeyPackage
from spec_model.mls.leaf_node import (
    Capabilities, Certificate, Credential, CredentialType, FromCommit, FromKeyPackage, FromUpdate, LeafNode,
    Lifetime,
)
from spec_model.mls.message import MLSMessage
from spec_model.mls.proposals import (
    PROPOSAL, PROPOSAL_OR_REF, Add, ExternalInit, GroupContextExtensions, PreSharedKey, ProposalByReference,
    ProposalByValue, ReInit, Remove, Update,
)
from spec_model.mls.psk import PreSharedKeyID, PSKLabel, PSKType, ResumptionPSKUsage
from spec_model.mls.ratchet_tree import (
    NODE, RATCHET_TREE, TREE_HASH_INPUT, LeafNodeHashInput, ParentHashInput, ParentNode,
    ParentNodeHashInput,
)
from spec_model.mls.suites import HPKECiphertext
from spec_model.mls.transcript import ConfirmedTranscriptHashInput, InterimTranscriptHashInput
from spec_model.mls.treekem import UpdatePath, UpdatePathNode
from spec_model.mls.welcome import EncryptedGroupSecrets, GroupInfo, GroupSecrets, PathSecret, Welcome

from .strategies import auth_data_for, private_message_contents, ratchet_trees, strategy_for

FAST = settings(report_multiple_bugs=False)
"""The example counts come from the hypothesis profile of tests/conftest.py (``ci`` by default,
``--hypothesis-profile=deep`` for more); a failure shrinks to one example, not one per distinct bug."""


# ---------------------------------------------------------------- the structures under test


@dataclasses.dataclass(frozen=True, repr=False)
class Codec:
    """How to generate, write and read one wire structure."""

    name: str
    values: st.SearchStrategy[Any]
    encode: Callable[[Any], bytes]
    decode: Callable[[bytes], Any]
    root: Any
    """The Struct class or Kind whose fields error paths name."""
    label: str = ""
    """The pytest id, when ``name`` is not unique."""
    prefixed: bool = True
    """Error paths start with ``name`` (``Struct.decode`` does this; a bare ``Kind`` does not)."""
    self_delimiting: bool = True
    """Every strict prefix and every extension of a valid encoding is invalid."""

    def __repr__(self) -> str:
        return f"<codec {self.label or self.name}>"

    def fresh_encode(self, value: Any) -> bytes:
        """The encoding written field by field, not the bytes a decoded struct remembers."""
        return self.encode(fresh(value))


def fresh(value: Any) -> Any:
    """A deep copy of ``value`` built through the constructors, so no struct carries a cached encoding."""
    if isinstance(value, Struct):
        return type(value)(**{f.name: fresh(getattr(value, f.name)) for f in dataclasses.fields(value)})
    if isinstance(value, tuple):
        return tuple(fresh(v) for v in value)
    return value


def struct(cls: type[Struct]) -> Codec:
    return Codec(cls.__name__, strategy_for(cls), lambda v: v.encode(), cls.decode, cls)


def kind(name: str, k: Any, values: st.SearchStrategy[Any] | None = None) -> Codec:
    return Codec(name, values if values is not None else strategy_for(k), k.encode, k.decode, k,
                 prefixed=False)


def _read_all(read: Callable[[Reader], Any], data: bytes, name: str) -> Any:
    r = Reader(bytes(data))
    try:
        value = read(r)
        r.finish()
    except DecodeError as e:
        raise e.within(name) from None
    return value


def auth_data(content_type: ContentType) -> Codec:
    """FramedContentAuthData has no decode of its own: its shape depends on the content type."""
    return Codec("FramedContentAuthData", auth_data_for(content_type), lambda v: v.encode(),
                 lambda b: _read_all(lambda r: FramedContentAuthData.read_for(content_type, r), b,
                                     "FramedContentAuthData"),
                 FramedContentAuthData, label=f"FramedContentAuthData[{content_type.name}]")


def private_content(content_type: ContentType) -> Codec:
    """PrivateMessageContent: whatever follows the auth data is padding, so it is not self-delimiting."""
    return Codec("PrivateMessageContent", private_message_contents(content_type), lambda v: v.encode(),
                 lambda b: PrivateMessageContent.decode_for(content_type, b), PrivateMessageContent,
                 label=f"PrivateMessageContent[{content_type.name}]", self_delimiting=False)


STRUCTS = [
    # §6 framing and the MLSMessage envelope
    MLSMessage, PublicMessage, PrivateMessage, AuthenticatedContent, FramedContent, SenderData,
    PrivateContentAAD, SenderDataAAD, MemberSender, ExternalSender, NewMemberProposalSender,
    NewMemberCommitSender,
    # §5.3, §7.2 leaf nodes and credentials; §10 key packages
    Credential, Certificate, Capabilities, Lifetime, FromKeyPackage, FromUpdate, FromCommit, LeafNode,
    KeyPackage,
    # §7.1, §7.6, §7.8, §7.9 the tree and TreeKEM
    ParentNode, UpdatePathNode, UpdatePath, HPKECiphertext, LeafNodeHashInput, ParentNodeHashInput,
    ParentHashInput,
    # §8 group context, transcript, PSKs
    GroupContext, Extension, ConfirmedTranscriptHashInput, InterimTranscriptHashInput, PreSharedKeyID,
    PSKLabel,
    # §11, §12.1.8.1 extensions
    RequiredCapabilities, ExternalSenderEntry, ExternalPub,
    # §12.1 proposals, §12.4 commit
    Add, Update, Remove, PreSharedKey, ReInit, ExternalInit, GroupContextExtensions, ProposalByValue,
    ProposalByReference, Commit,
    # §12.4.3 GroupInfo and Welcome
    GroupInfo, PathSecret, GroupSecrets, EncryptedGroupSecrets, Welcome,
]

CODECS = [
    *(struct(cls) for cls in STRUCTS),
    kind("RATCHET_TREE", RATCHET_TREE, ratchet_trees()),
    kind("Node", NODE),
    kind("Proposal", PROPOSAL),
    kind("ProposalOrRef", PROPOSAL_OR_REF),
    kind("Sender", SENDER),
    kind("TreeHashInput", TREE_HASH_INPUT),
    kind("external_senders", EXTERNAL_SENDERS),
    *(auth_data(ct) for ct in ContentType),
    *(private_content(ct) for ct in ContentType),
]
IDS = [c.label or c.name for c in CODECS]


# ---------------------------------------------------------------- error paths name real fields

_CONTENT = (OPAQUE, PROPOSAL, Commit)
_BODY = (PublicMessage, PrivateMessage, Welcome, GroupInfo, KeyPackage)
HAND_FIELDS: dict[type, dict[str, Any]] = {
    Credential: {"credential_type": Enum(U16, CredentialType), "identity": OPAQUE,
                 "certificates": Vector(Certificate)},
    PreSharedKeyID: {"psktype": Enum(U8, PSKType), "psk_id": Optional(OPAQUE),
                     "usage": Optional(Enum(U8, ResumptionPSKUsage)), "psk_group_id": Optional(OPAQUE),
                     "psk_epoch": Optional(U64), "psk_nonce": OPAQUE},
    FramedContent: {"group_id": OPAQUE, "epoch": U64, "sender": SENDER, "authenticated_data": OPAQUE,
                    "content_type": Enum(U8, ContentType), "content": _CONTENT},
    FramedContentAuthData: {"signature": OPAQUE, "confirmation_tag": Optional(OPAQUE)},
    AuthenticatedContent: {"wire_format": Enum(U16, WireFormat), "content": FramedContent,
                           "auth": FramedContentAuthData},
    PublicMessage: {"content": FramedContent, "auth": FramedContentAuthData,
                    "membership_tag": Optional(OPAQUE)},
    PrivateMessageContent: {"content": _CONTENT, "auth": FramedContentAuthData, "padding": OPAQUE},
    SenderData: {"leaf_index": U32, "generation": U32, "reuse_guard": OPAQUE},
    # error paths name the body after its struct (``MLSMessage.KeyPackage.leaf_node``)
    MLSMessage: {"version": U16, "wire_format": U16, **{cls.__name__: cls for cls in _BODY}},
}
"""The fields of the structures that read themselves, as error paths name them."""

VALUE_FIELDS: dict[type, dict[str, Any]] = {MLSMessage: {"body": _BODY}}
"""Dataclass fields that are no wire field of their own."""

_PATH = re.compile(r"^(?:[A-Za-z_]\w*|\[\d+\])(?:\.[A-Za-z_]\w*|\[\d+\])*$")
_SEGMENT = re.compile(r"\[\d+\]|[A-Za-z_]\w*")


def _expand(spec: Any) -> list[Any]:
    """The concrete specs a spec stands for: optionals, unions and struct kinds are see-through."""
    if isinstance(spec, tuple):
        return [s for item in spec for s in _expand(item)]
    if isinstance(spec, Optional):
        return _expand(spec.item)
    if isinstance(spec, Tagged):
        return list(spec.cases.values())
    if isinstance(spec, StructKind):
        return [spec.cls]
    return [spec]


def _fields(spec: Any) -> dict[str, Any]:
    if isinstance(spec, type) and issubclass(spec, Struct):
        if spec in HAND_FIELDS:
            return HAND_FIELDS[spec]
        return dict(spec.wire_fields())
    return {}


def check_path(codec: Codec, path: str) -> None:
    """``path`` is well formed and each of its segments names a field (or index) of what precedes it."""
    if not codec.prefixed and path == "":
        return  # a failure of the outermost kind itself
    assert _PATH.match(path), f"malformed error path {path!r}"
    segments = _SEGMENT.findall(path)
    if codec.prefixed:
        assert segments[0] == codec.name, f"error path {path!r} does not start with {codec.name}"
        segments = segments[1:]
    specs = [codec.root]
    walked = codec.name if codec.prefixed else ""
    for seg in segments:
        following = []
        for spec in _expand(tuple(specs)):
            if seg.startswith("["):
                if isinstance(spec, Vector):
                    following.append(spec.item)
            elif seg in _fields(spec):
                following.append(_fields(spec)[seg])
        assert following, f"error path {path!r}: {seg!r} is not a field or index of {walked or 'the root'}"
        specs = following
        walked += seg if seg.startswith("[") else f".{seg}"


# ---------------------------------------------------------------- decoded values are well typed


def conforms(value: Any, spec: Any) -> bool:
    """``value`` is a value of ``spec``: integers in range, bytes, tuples, enumeration members (not
    bare integers), the case structs of a union, and the selects of hand-read structures consistent."""
    if isinstance(spec, tuple):
        return any(conforms(value, s) for s in spec)
    if isinstance(spec, Optional):
        return value is None or conforms(value, spec.item)
    if isinstance(spec, Vector):
        return type(value) is tuple and all(conforms(v, spec.item) for v in value)
    if isinstance(spec, Uint):
        return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < spec.limit
    if isinstance(spec, Opaque):
        return type(value) is bytes
    if isinstance(spec, Enum):
        return isinstance(value, spec.enum_type)
    if isinstance(spec, Tagged):
        return type(value) in spec.cases.values() and conforms(value, type(value))
    if isinstance(spec, StructKind):
        spec = spec.cls
    if not (isinstance(spec, type) and issubclass(spec, Struct) and type(value) is spec):
        return False
    fields = {**_fields(spec), **VALUE_FIELDS.get(spec, {})}
    return (all(conforms(getattr(value, f.name), fields[f.name]) for f in dataclasses.fields(value))
            and _selects_consistent(value))


def _selects_consistent(value: Struct) -> bool:
    if isinstance(value, Credential):
        return (value.certificates == () if value.credential_type == CredentialType.basic
                else value.identity == b"")
    if isinstance(value, (AuthenticatedContent, PublicMessage)):
        commit = value.content.content_type == ContentType.commit
        if commit != (value.auth.confirmation_tag is not None):
            return False
    if isinstance(value, PublicMessage):
        return isinstance(value.content.sender, MemberSender) == (value.membership_tag is not None)
    return True


# ---------------------------------------------------------------- helpers


def decodes_or_rejects(codec: Codec, data: bytes) -> Any:
    """Decode ``data``: a value must re-encode to exactly ``data``; an error must be a DecodeError
    with a sound path. Anything else propagates and fails the test."""
    try:
        value = codec.decode(data)
    except DecodeError as e:
        check_path(codec, e.path)
        return e
    assert conforms(value, codec.root), f"decoded an ill-typed value {value!r}"
    assert codec.fresh_encode(value) == data, "a non-canonical encoding was accepted"
    assert codec.encode(value) == data
    assert codec.decode(data) == value
    return value


_INTERESTING = st.sampled_from([0x00, 0x01, 0x02, 0x03, 0x3F, 0x40, 0x41, 0x7F, 0x80, 0xBF, 0xC0, 0xFF])


@st.composite
def mutated(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` with one to three bytes flipped, overwritten, inserted, deleted, copied or the tail cut
    off, or what may be a varint header rewritten in a longer, non-minimal form."""
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["flip", "set", "insert", "delete", "truncate", "splice", "widen"]))
        if op == "insert" or not out:
            out.insert(draw(st.integers(0, len(out))), draw(_INTERESTING | st.integers(0, 255)))
            continue
        i = draw(st.integers(0, len(out) - 1))
        if op == "flip":
            out[i] ^= 1 << draw(st.integers(0, 7))
        elif op == "set":
            out[i] = draw(_INTERESTING | st.integers(0, 255))
        elif op == "widen":  # if out[i] starts a varint, write the same length in a longer form
            if out[i] < 0x40:
                out[i:i + 1] = draw(st.sampled_from([bytes((0x40, out[i])), bytes((0x80, 0, 0, out[i]))]))
            elif out[i] < 0x80 and i + 1 < len(out):
                out[i:i + 2] = bytes((0x80, 0, out[i] & 0x3F, out[i + 1]))
        elif op == "delete":
            del out[i]
        elif op == "truncate":
            del out[i:]
        else:  # copy a slice of the encoding somewhere else in it
            j = draw(st.integers(i, min(len(out), i + 16)))
            k = draw(st.integers(0, len(out)))
            out[k:k] = out[i:j]
    return bytes(out)


# ---------------------------------------------------------------- properties


@pytest.mark.parametrize("codec", CODECS, ids=IDS)
@FAST
@given(data=st.data())
def test_round_trip_and_mutations(codec: Codec, data: st.DataObject) -> None:
    """decode(encode(x)) == x and back; prefixes and extensions are rejected; mutated encodings
    decode canonically or raise DecodeError with a sound path."""
    value = data.draw(codec.values, label="value")
    encoded = codec.encode(value)
    assert conforms(value, codec.root)
    decoded = codec.decode(encoded)
    assert decoded == value
    assert conforms(decoded, codec.root)
    assert codec.encode(decoded) == encoded
    assert codec.fresh_encode(decoded) == encoded

    if codec.self_delimiting:
        cuts = st.lists(st.integers(0, len(encoded) - 1), min_size=1, max_size=3) if encoded else st.just([])
        for cut in data.draw(cuts, label="cuts"):
            error = decodes_or_rejects(codec, encoded[:cut])
            assert isinstance(error, DecodeError), f"strict prefix of {cut} bytes decoded"
        error = decodes_or_rejects(codec, encoded + data.draw(st.binary(min_size=1, max_size=2)))
        assert isinstance(error, DecodeError) and "trailing" in error.reason

    for bad in data.draw(st.lists(mutated(encoded), min_size=4, max_size=8), label="mutations"):
        decodes_or_rejects(codec, bad)


_ORIGINAL = {"varint": codec_module.varint, "optional": Optional.write, "enum": Enum.write,
             "tag": Tagged.write}
_EXPECTED_REASON = {"varint": "non-minimal", "optional": "neither 0 nor 1", "enum": "unknown",
                    "tag": "unknown"}


@contextlib.contextmanager
def _writing_with(calls: collections.Counter, corrupt: tuple[str, int] | None, data: st.DataObject
                  ) -> Iterator[None]:
    """Count the varint headers, presence octets, enumeration values and union tags written, and
    write the ``corrupt = (what, index)`` one wrongly: a varint in a longer form than needed, a
    presence octet other than 0 and 1, an enumeration value or tag the type does not have."""
    def hit(what: str) -> bool:
        calls[what] += 1
        return corrupt == (what, calls[what] - 1)

    def varint(n: int) -> bytes:
        minimal = _ORIGINAL["varint"](n)
        if not hit("varint") or len(minimal) == 4:
            return minimal
        size = data.draw(st.sampled_from([w for w in (2, 4) if w > len(minimal)]), label="width")
        return ((0x4000 if size == 2 else 0x80000000) | n).to_bytes(size, "big")

    def optional(self: Optional, value: Any, out: bytearray) -> None:
        if not hit("optional"):
            return _ORIGINAL["optional"](self, value, out)
        out.append(data.draw(st.integers(2, 255), label="presence"))
        if value is not None:
            codec_module.kind_of(self.item).write(value, out)

    def unknown(size: Uint, known: Collection[int]) -> int:
        return data.draw(st.integers(0, size.limit - 1).filter(lambda v: v not in known), label="unknown")

    def enum(self: Enum, value: Any, out: bytearray) -> None:
        if not hit("enum"):
            return _ORIGINAL["enum"](self, value, out)
        self.size.write(unknown(self.size, set(self.enum_type)), out)

    def tag(self: Tagged, value: Struct, out: bytearray) -> None:
        if not hit("tag"):
            return _ORIGINAL["tag"](self, value, out)
        self.size.write(unknown(self.size, self.cases), out)
        out += value.encode()

    with mock.patch.object(codec_module, "varint", varint), mock.patch.object(Optional, "write", optional), \
            mock.patch.object(Enum, "write", enum), mock.patch.object(Tagged, "write", tag):
        yield


@pytest.mark.parametrize("codec", CODECS, ids=IDS)
@FAST
@given(data=st.data())
def test_miswritten_marker_rejected(codec: Codec, data: st.DataObject) -> None:
    """§2.1: a value written with one length header in a longer form than needed (§2.1.2), one
    ``optional`` presence octet other than 0 or 1, or one enumeration value or ``select`` tag its
    type does not define is rejected, at that very field."""
    value = data.draw(codec.values, label="value")
    calls: collections.Counter = collections.Counter()
    with _writing_with(calls, None, data):
        assert codec.fresh_encode(value) == codec.encode(value)
    if not calls:
        return
    what = data.draw(st.sampled_from(sorted(calls)), label="what")
    corrupt = (what, data.draw(st.integers(0, calls[what] - 1), label="index"))
    with _writing_with(collections.Counter(), corrupt, data):
        encoded = codec.fresh_encode(value)
    if encoded == codec.encode(value):
        return  # a 4-byte varint has no longer form
    error = decodes_or_rejects(codec, encoded)
    assert isinstance(error, DecodeError), f"{what} #{corrupt[1]} miswritten, yet decoded"
    assert _EXPECTED_REASON[what] in error.reason, error


@pytest.mark.parametrize("codec", CODECS, ids=IDS)
@FAST
@given(data=st.binary(max_size=200))
def test_arbitrary_bytes(codec: Codec, data: bytes) -> None:
    """Any bytes at all decode canonically or raise DecodeError with a sound path."""
    decodes_or_rejects(codec, data)


def test_every_struct_is_covered() -> None:
    """Each Struct subclass of the wire modules is in STRUCTS (or knowingly left out)."""
    import importlib
    import pkgutil

    import spec_model.mls as pkg
    for module in pkgutil.iter_modules(pkg.__path__):
        importlib.import_module(f"{pkg.__name__}.{module.name}")
    not_wire = {"_EncryptContext", "_RefHashInput", "_KDFLabel", "FramedContentAuthData",
                "PrivateMessageContent"}  # labelled-crypto inputs; the last two: auth_data / private_content

    def subclasses(cls: type) -> set[type]:
        direct = set(cls.__subclasses__())
        return direct.union(*(subclasses(c) for c in direct))

    wire = {c for c in subclasses(Struct) if c.__module__.startswith("spec_model.mls.")}
    missing = {c.__module__ + "." + c.__qualname__ for c in wire - set(STRUCTS) if c.__name__ not in not_wire}
    assert not missing


# ---------------------------------------------------------------- exact paths

LEAF = LeafNode(b"\x01\x01", b"\x02\x02", Credential.basic(b"alice"),
                Capabilities(versions=(1,), cipher_suites=(1,)), FromKeyPackage(Lifetime(0, 1)), (), b"sig")
KEY_PACKAGE = KeyPackage(1, 1, b"init", LEAF, (), b"kp-sig")
CAPS = LEAF.capabilities.encode()  # 02 0001 | 02 0001 | 00 | 00 | 02 0001


def _patched(data: bytes, old: bytes, new: bytes) -> bytes:
    assert data.count(old) == 1
    return data.replace(old, new)


def decode_error(decode: Callable[[bytes], Any], data: bytes) -> DecodeError:
    with pytest.raises(DecodeError) as info:
        decode(data)
    return info.value


def test_key_package_truncated_capabilities_vector() -> None:
    encoded = KEY_PACKAGE.encode()
    # versions<V> claims 3 bytes: one uint16 and a half
    error = decode_error(KeyPackage.decode, _patched(encoded, CAPS, b"\x03" + CAPS[1:]))
    assert error.path == "KeyPackage.leaf_node.capabilities.versions[1]"
    assert "truncated" in error.reason
    # the input stops inside the versions vector
    cut = encoded[:encoded.index(CAPS) + 2]
    error = decode_error(KeyPackage.decode, cut)
    assert error.path == "KeyPackage.leaf_node.capabilities.versions"
    assert "truncated" in error.reason


def test_mls_message_paths() -> None:
    kp = MLSMessage(KEY_PACKAGE).encode()
    assert kp[:4] == bytes.fromhex("00010005")
    error = decode_error(MLSMessage.decode, bytes.fromhex("00010009") + kp[4:])
    assert error.path == "MLSMessage.wire_format" and "unknown WireFormat 9" in error.reason
    assert "wire_format" in decode_error(MLSMessage.decode, bytes.fromhex("00010000") + kp[4:]).path
    assert decode_error(MLSMessage.decode, bytes.fromhex("00020005") + kp[4:]).path == "MLSMessage.version"
    error = decode_error(MLSMessage.decode, _patched(kp, CAPS, b"\x03" + CAPS[1:]))
    assert error.path.startswith("MLSMessage.")
    assert error.path.endswith(".leaf_node.capabilities.versions[1]")
    check_path(struct(MLSMessage), error.path)
    error = decode_error(MLSMessage.decode, kp + b"\x00")
    assert error.path == "MLSMessage" and "trailing" in error.reason


def test_leaf_node_paths() -> None:
    encoded = LEAF.encode()
    cred = LEAF.credential.encode()
    error = decode_error(LeafNode.decode, _patched(encoded, cred, b"\x00\x03" + cred[2:]))
    assert error.path == "LeafNode.credential.credential_type"
    source = LEAF.encode_fields(5)[-17:]  # tag 01, then the lifetime's two uint64
    error = decode_error(LeafNode.decode, _patched(encoded, source, b"\x04" + source[1:]))
    assert error.path == "LeafNode.source" and "unknown LeafNodeSource 4" in error.reason


def test_commit_paths() -> None:
    commit = Commit((ProposalByValue(Remove(5)),), None)
    encoded = commit.encode()
    assert encoded == bytes.fromhex("07" "01" "0003" "00000005" "00")
    error = decode_error(Commit.decode, bytes.fromhex("07" "01" "00ff" "00000005" "00"))
    assert error.path == "Commit.proposals[0].proposal" and "unknown ProposalType 255" in error.reason
    error = decode_error(Commit.decode, bytes.fromhex("07" "03" "0003" "00000005" "00"))
    assert error.path == "Commit.proposals[0]" and "unknown ProposalOrRefType 3" in error.reason
    error = decode_error(Commit.decode, encoded[:-1] + b"\x02")
    assert error.path == "Commit.path" and "neither 0 nor 1" in error.reason


def test_welcome_and_group_secrets_paths() -> None:
    welcome = Welcome(1, (), b"\xaa")
    assert welcome.encode() == bytes.fromhex("0001" "00" "01aa")
    error = decode_error(Welcome.decode, bytes.fromhex("0001" "00" "4001aa"))
    assert error.path == "Welcome.encrypted_group_info" and "non-minimal" in error.reason
    secrets = GroupSecrets(b"js", None, (PreSharedKeyID.external(b"id", b"nonce"),))
    encoded = secrets.encode()
    error = decode_error(GroupSecrets.decode, _patched(encoded, b"\x01\x02id", b"\x00\x02id"))
    assert error.path == "GroupSecrets.psks[0].psktype"
    resumption = PreSharedKeyID.resumption(ResumptionPSKUsage.application, b"g", 1, b"n")
    error = decode_error(GroupSecrets.decode, GroupSecrets(b"js", None, (resumption,)).encode()[:-2])
    assert error.path == "GroupSecrets.psks"  # the vector's length runs past the end


def test_framing_paths() -> None:
    member = FramedContent(b"g", 1, MemberSender(0), b"", Remove(2))
    message = PublicMessage(member, FramedContentAuthData(b"sig"), b"tag")
    encoded = message.encode()
    error = decode_error(PublicMessage.decode, encoded[:-4])
    assert error.path == "PublicMessage.membership_tag"

    commit = FramedContent(b"g", 1, NewMemberCommitSender(), b"", Commit((), None))
    message = PublicMessage(commit, FramedContentAuthData(b"sig", b"ct"))
    encoded = message.encode()
    assert encoded.endswith(b"\x03sig\x02ct")
    error = decode_error(PublicMessage.decode, encoded[:-3])
    assert error.path == "PublicMessage.auth.confirmation_tag"
    error = decode_error(PublicMessage.decode, encoded[:-7])
    assert error.path == "PublicMessage.auth.signature"

    ac = AuthenticatedContent(WireFormat.mls_public_message, member, FramedContentAuthData(b"sig"))
    encoded = ac.encode()
    ct_at = len(WireFormat.mls_public_message.to_bytes(2, "big") + member.encode()) - 7
    assert encoded[ct_at] == ContentType.proposal
    error = decode_error(AuthenticatedContent.decode, encoded[:ct_at] + b"\x09" + encoded[ct_at + 1:])
    assert error.path == "AuthenticatedContent.content.content_type"
    error = decode_error(AuthenticatedContent.decode, b"\x00\x09" + encoded[2:])
    assert error.path == "AuthenticatedContent.wire_format"
    error = decode_error(AuthenticatedContent.decode, encoded[:-2])
    assert error.path == "AuthenticatedContent.auth.signature"


def test_ratchet_tree_paths() -> None:
    parent = ParentNode(b"k", b"", ())
    encoded = RATCHET_TREE.encode((LEAF, parent, LEAF))
    assert RATCHET_TREE.decode(encoded) == (LEAF, parent, LEAF)
    header = len(encoded) - 3 * 2 - 2 * len(LEAF.encode()) - len(parent.encode())
    at = header + 2 + len(LEAF.encode()) + 1  # node [1]: presence octet, then its NodeType
    assert encoded[at] == 2
    error = decode_error(RATCHET_TREE.decode, encoded[:at] + b"\x03" + encoded[at + 1:])
    assert error.path == "[1]" and "unknown NodeType 3" in error.reason
    encoded = RATCHET_TREE.encode((LEAF, None, None))
    error = decode_error(RATCHET_TREE.decode, encoded[:-1] + b"\x07")
    assert error.path == "[2]" and "neither 0 nor 1" in error.reason
