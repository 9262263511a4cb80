"""RFC 9420 §12.1: proposals, and §12.4 ``ProposalOrRef``.

Each proposal type is a struct whose ``TAG`` is its ``ProposalType``;
``PROPOSAL`` is the ``select (Proposal.proposal_type)`` over them, and
``Proposal`` the union type. Proposal types this model does not know cannot
be decoded (their body is opaque to us) and raise ``DecodeError``.
"""

from __future__ import annotations

import enum
from typing import Union

from .codec import OPAQUE, U8, U16, U32, Annotated, Struct, Tagged, Vector
from .group_context import Extension
from .key_package import KeyPackage
from .leaf_node import LeafNode
from .psk import PreSharedKeyID

__all__ = [
    "ProposalType", "Add", "Update", "Remove", "PreSharedKey", "ReInit", "ExternalInit",
    "GroupContextExtensions", "Proposal", "PROPOSAL", "ProposalByValue", "ProposalByReference",
    "ProposalOrRef", "PROPOSAL_OR_REF",
]


class ProposalType(enum.IntEnum):
    """RFC 9420 §17.4: proposal types."""

    add = 1
    update = 2
    remove = 3
    psk = 4
    reinit = 5
    external_init = 6
    group_context_extensions = 7


class Add(Struct):
    """RFC 9420 §12.1.1: add the member of ``key_package``."""

    TAG = ProposalType.add
    key_package: Annotated[KeyPackage, KeyPackage]


class Update(Struct):
    """RFC 9420 §12.1.2: replace the sender's own leaf node."""

    TAG = ProposalType.update
    leaf_node: Annotated[LeafNode, LeafNode]


class Remove(Struct):
    """RFC 9420 §12.1.3: remove the member at leaf ``removed``."""

    TAG = ProposalType.remove
    removed: Annotated[int, U32]


class PreSharedKey(Struct):
    """RFC 9420 §12.1.4: inject a PSK into the next epoch's key schedule."""

    TAG = ProposalType.psk
    psk: Annotated[PreSharedKeyID, PreSharedKeyID]


class ReInit(Struct):
    """RFC 9420 §12.1.5: close the group and restart it with new parameters."""

    TAG = ProposalType.reinit
    group_id: Annotated[bytes, OPAQUE]
    version: Annotated[int, U16]
    cipher_suite: Annotated[int, U16]
    extensions: Annotated[tuple[Extension, ...], Vector(Extension)]


class ExternalInit(Struct):
    """RFC 9420 §12.1.6: the KEM output from which an external joiner's init secret follows."""

    TAG = ProposalType.external_init
    kem_output: Annotated[bytes, OPAQUE]


class GroupContextExtensions(Struct):
    """RFC 9420 §12.1.7: replace the group context's extensions."""

    TAG = ProposalType.group_context_extensions
    extensions: Annotated[tuple[Extension, ...], Vector(Extension)]


Proposal = Union[Add, Update, Remove, PreSharedKey, ReInit, ExternalInit, GroupContextExtensions]
PROPOSAL = Tagged(U16, "ProposalType", (Add, Update, Remove, PreSharedKey, ReInit, ExternalInit,
                                         GroupContextExtensions))


class ProposalByValue(Struct):
    """RFC 9420 §12.4: ``ProposalOrRef`` of type ``proposal``."""

    TAG = 1
    proposal: Annotated[Proposal, PROPOSAL]


class ProposalByReference(Struct):
    """RFC 9420 §12.4: ``ProposalOrRef`` of type ``reference`` (a ``ProposalRef``, §5.2)."""

    TAG = 2
    reference: Annotated[bytes, OPAQUE]


ProposalOrRef = Union[ProposalByValue, ProposalByReference]
PROPOSAL_OR_REF = Tagged(U8, "ProposalOrRefType", (ProposalByValue, ProposalByReference))
