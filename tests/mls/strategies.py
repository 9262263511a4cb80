"""Hypothesis strategies for every RFC 9420 wire structure of the model.

Most strategies are derived from the wire kinds themselves (``strategy_for``):
a ``Struct``'s ``wire_fields()`` are walked and each kind mapped to values it
can encode:

* ``Uint``      -> integers in range
* ``OPAQUE``    -> short byte strings, sometimes just past the 1-byte varint limit
* ``Vector``    -> short lists, as tuples
* ``Optional``  -> ``None`` or a value
* ``Enum``      -> a member of the enumeration
* ``Tagged``    -> one of the case structs
* ``Struct``    -> its fields, recursively

Structures that read and write themselves by hand because of a ``select`` on
an earlier field have hand-written strategies (``HAND_WRITTEN``) that keep the
dependent parts consistent: FramedContent's content matches its type, the
confirmation tag is present iff the content is a commit, the membership tag
iff the sender is a member, and so on.

Sizes are kept small so that property tests over deeply nested structures
(an MLSMessage carrying a Commit carrying Adds of KeyPackages) stay fast.
"""

from __future__ import annotations

import functools
from typing import Any

from hypothesis import strategies as st

from spec_model.mls.codec import Enum, Opaque, Optional, StructKind, Struct, Tagged, Uint, Vector
from spec_model.mls.commit import Commit
from spec_model.mls.framing import (
    SENDER, AuthenticatedContent, ContentType, FramedContent, FramedContentAuthData,
    MemberSender, PrivateMessage, PrivateMessageContent, PublicMessage, SenderData, WireFormat,
)
from spec_model.mls.key_package import KeyPackage
from spec_model.mls.leaf_node import Certificate, Credential, CredentialType
from spec_model.mls.message import MLSMessage
from spec_model.mls.proposals import PROPOSAL
from spec_model.mls.psk import PreSharedKeyID, ResumptionPSKUsage
from spec_model.mls.ratchet_tree import NODE
from spec_model.mls.welcome import GroupInfo, Welcome

__all__ = [
    "MAX_ITEMS", "MAX_LEAVES", "strategy_for", "opaques", "credentials", "psk_ids", "contents",
    "content_for", "auth_data_for", "framed_contents", "authenticated_contents", "public_messages",
    "private_message_contents", "sender_datas", "mls_messages", "ratchet_trees", "HAND_WRITTEN",
]

MAX_ITEMS = 2
"""Most items a generated vector of structures holds (vectors of integers get twice as many)."""

MAX_LEAVES = 4
"""Most leaves of a generated ``ratchet_tree`` (so at most ``2 * MAX_LEAVES - 1`` nodes)."""


def opaques(max_size: int = 6) -> st.SearchStrategy[bytes]:
    """Short byte strings, and now and then one around 64 bytes, where the varint grows to 2 bytes."""
    small = st.binary(max_size=max_size)
    return st.one_of(small, small, small, st.binary(min_size=62, max_size=66))


def _uint(kind: Uint) -> st.SearchStrategy[int]:
    return st.integers(0, kind.limit - 1)


def strategy_for(spec: Any) -> st.SearchStrategy[Any]:
    """A strategy for values of ``spec``: a ``Kind`` or a ``Struct`` subclass."""
    if isinstance(spec, type) and issubclass(spec, Struct):
        return _struct_strategy(spec)
    if isinstance(spec, StructKind):
        return _struct_strategy(spec.cls)
    if isinstance(spec, Uint):
        return _uint(spec)
    if isinstance(spec, Opaque):
        return opaques()
    if isinstance(spec, Vector):
        item = strategy_for(spec.item)
        simple = isinstance(spec.item, (Uint, Enum))
        return st.lists(item, max_size=2 * MAX_ITEMS if simple else MAX_ITEMS).map(tuple)
    if isinstance(spec, Optional):
        return st.none() | strategy_for(spec.item)
    if isinstance(spec, Enum):
        return st.sampled_from(list(spec.enum_type))
    if isinstance(spec, Tagged):
        return st.one_of(*(_struct_strategy(cls) for cls in spec.cases.values()))
    raise TypeError(f"no strategy for wire kind {spec!r}")


@functools.cache
def _struct_strategy(cls: type[Struct]) -> st.SearchStrategy[Any]:
    # deferred: hand-written strategies refer to derived ones and vice versa
    return st.deferred(lambda: _build_struct_strategy(cls))


def _build_struct_strategy(cls: type[Struct]) -> st.SearchStrategy[Any]:
    hand = HAND_WRITTEN.get(cls)
    if hand is not None:
        return hand()
    try:
        fields = cls.wire_fields()
    except TypeError as e:
        raise TypeError(f"{cls.__name__} reads itself by hand: add it to HAND_WRITTEN") from e
    return st.builds(cls, **{name: strategy_for(kind) for name, kind in fields})


# ---------------------------------------------------------------- hand-written selects


def credentials() -> st.SearchStrategy[Credential]:
    """RFC 9420 §5.3: a basic credential (identity) or an x509 one (certificate chain)."""
    certificates = st.lists(strategy_for(Certificate), max_size=MAX_ITEMS).map(tuple)
    return st.one_of(
        st.builds(Credential.basic, opaques()),
        st.builds(lambda certs: Credential(CredentialType.x509, certificates=certs), certificates),
    )


def psk_ids() -> st.SearchStrategy[PreSharedKeyID]:
    """RFC 9420 §8.4: an external or a resumption PreSharedKeyID."""
    return st.one_of(
        st.builds(PreSharedKeyID.external, opaques(), opaques()),
        st.builds(PreSharedKeyID.resumption, st.sampled_from(list(ResumptionPSKUsage)), opaques(),
                  st.integers(0, 2**64 - 1), opaques()),
    )


def content_for(content_type: ContentType) -> st.SearchStrategy[Any]:
    """The ``select (content_type)`` body: application bytes, a proposal or a Commit."""
    if content_type == ContentType.application:
        return opaques()
    if content_type == ContentType.proposal:
        return strategy_for(PROPOSAL)
    return strategy_for(Commit)


def contents() -> st.SearchStrategy[Any]:
    return st.sampled_from(list(ContentType)).flatmap(content_for)


def auth_data_for(content_type: ContentType) -> st.SearchStrategy[FramedContentAuthData]:
    """RFC 9420 §6.1: a signature, and a confirmation tag iff the content is a commit."""
    tag = opaques() if content_type == ContentType.commit else st.none()
    return st.builds(FramedContentAuthData, opaques(), tag)


def framed_contents() -> st.SearchStrategy[FramedContent]:
    return st.builds(FramedContent, opaques(), st.integers(0, 2**64 - 1), strategy_for(SENDER), opaques(),
                     contents())


def authenticated_contents() -> st.SearchStrategy[AuthenticatedContent]:
    return framed_contents().flatmap(lambda fc: st.builds(
        AuthenticatedContent, st.sampled_from(list(WireFormat)), st.just(fc), auth_data_for(fc.content_type)))


def public_messages() -> st.SearchStrategy[PublicMessage]:
    """RFC 9420 §6.2: the membership tag is present iff the sender is a member."""
    def with_auth(fc: FramedContent) -> st.SearchStrategy[PublicMessage]:
        tag = opaques() if isinstance(fc.sender, MemberSender) else st.none()
        return st.builds(PublicMessage, st.just(fc), auth_data_for(fc.content_type), tag)

    return framed_contents().flatmap(with_auth)


def private_message_contents(content_type: ContentType | None = None
                             ) -> st.SearchStrategy[PrivateMessageContent]:
    """RFC 9420 §6.3.1: content and auth data of ``content_type`` (any, if ``None``), zero padding."""
    if content_type is None:
        return st.sampled_from(list(ContentType)).flatmap(private_message_contents)
    return st.builds(PrivateMessageContent, content_for(content_type), auth_data_for(content_type),
                     st.integers(0, 8).map(bytes))


def sender_datas() -> st.SearchStrategy[SenderData]:
    """RFC 9420 §6.3.2: leaf index, generation and a 4-byte reuse guard."""
    u32 = st.integers(0, 2**32 - 1)
    return st.builds(SenderData, u32, u32, st.binary(min_size=4, max_size=4))


def mls_messages() -> st.SearchStrategy[MLSMessage]:
    """RFC 9420 §6: an MLSMessage of each wire format."""
    bodies = [strategy_for(cls) for cls in (PublicMessage, PrivateMessage, Welcome, GroupInfo, KeyPackage)]
    return st.builds(MLSMessage, st.one_of(*bodies))


def ratchet_trees(max_leaves: int = MAX_LEAVES) -> st.SearchStrategy[tuple]:
    """RFC 9420 §12.4.3.3: ``optional<Node> ratchet_tree<V>`` values (as the codec sees them).

    Leaves sit at even indices and parent nodes at odd ones; the codec itself
    accepts any node in any slot, which the tree checks later.
    """
    leaf, parent = strategy_for(NODE.cases[1]), strategy_for(NODE.cases[2])
    return st.integers(1, 2 * max_leaves - 1).flatmap(lambda n: st.tuples(*(
        st.none() | (leaf if x % 2 == 0 else parent) for x in range(n))))


HAND_WRITTEN: dict[type, Any] = {
    Credential: credentials,
    PreSharedKeyID: psk_ids,
    FramedContent: framed_contents,
    FramedContentAuthData: lambda: st.sampled_from(list(ContentType)).flatmap(auth_data_for),
    AuthenticatedContent: authenticated_contents,
    PublicMessage: public_messages,
    PrivateMessageContent: private_message_contents,
    SenderData: sender_datas,
    MLSMessage: mls_messages,
}
"""Strategies (as zero-argument factories) for the structures that read and write themselves."""
