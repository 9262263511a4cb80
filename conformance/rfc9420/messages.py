"""messages.json: every MLS structure decodes and re-encodes byte for byte (RFC 9420 §6–§12)."""

from __future__ import annotations

from spec_model.mls.codec import Kind, Struct, kind_of
from spec_model.mls.commit import Commit
from spec_model.mls.message import MLSMessage
from spec_model.mls.proposals import (
    Add, ExternalInit, GroupContextExtensions, PreSharedKey, ReInit, Remove, Update,
)
from spec_model.mls.ratchet_tree import RATCHET_TREE
from spec_model.mls.welcome import GroupSecrets

from . import expect, h

# vector field -> the structure it holds
STRUCTURES: dict[str, type[Struct] | Kind] = {
    "mls_welcome": MLSMessage,
    "mls_group_info": MLSMessage,
    "mls_key_package": MLSMessage,
    "ratchet_tree": RATCHET_TREE,
    "group_secrets": GroupSecrets,
    "add_proposal": Add,
    "update_proposal": Update,
    "remove_proposal": Remove,
    "pre_shared_key_proposal": PreSharedKey,
    "re_init_proposal": ReInit,
    "external_init_proposal": ExternalInit,
    "group_context_extensions_proposal": GroupContextExtensions,
    "commit": Commit,
    "public_message_application": MLSMessage,
    "public_message_proposal": MLSMessage,
    "public_message_commit": MLSMessage,
    "private_message": MLSMessage,
}


def round_trip(structure: type[Struct] | Kind, data: bytes) -> bytes:
    """Decode ``data`` strictly (everything consumed) and encode the result again."""
    kind = kind_of(structure)
    return kind.encode(kind.decode(data))


def check(case: dict) -> None:
    for field, structure in STRUCTURES.items():
        data = h(case[field])
        expect(field, data, round_trip(structure, data))
