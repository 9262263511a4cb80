"""messages.json: every MLS structure decodes and re-encodes byte for byte (RFC 9420 §6–§12).

test-vectors.md "Messages": each field decodes (strictly: every byte
consumed) as its structure and re-encodes to the same bytes. The MLSMessage
fields must also carry the wire format (and, for PublicMessages, the content
type) their name states.
"""

from __future__ import annotations

from spec_model.mls.codec import Kind, Struct, kind_of
from spec_model.mls.commit import Commit
from spec_model.mls.framing import ContentType, WireFormat
from spec_model.mls.message import MLSMessage
from spec_model.mls.proposals import (
    Add, ExternalInit, GroupContextExtensions, PreSharedKey, ReInit, Remove, Update,
)
from spec_model.mls.ratchet_tree import RATCHET_TREE
from spec_model.mls.welcome import GroupSecrets

from . import at, expect, h

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

# MLSMessage field -> (its wire format, the content type of a PublicMessage)
WIRE_FORMATS: dict[str, tuple[WireFormat, ContentType | None]] = {
    "mls_welcome": (WireFormat.mls_welcome, None),
    "mls_group_info": (WireFormat.mls_group_info, None),
    "mls_key_package": (WireFormat.mls_key_package, None),
    "public_message_application": (WireFormat.mls_public_message, ContentType.application),
    "public_message_proposal": (WireFormat.mls_public_message, ContentType.proposal),
    "public_message_commit": (WireFormat.mls_public_message, ContentType.commit),
    "private_message": (WireFormat.mls_private_message, None),
}


def check(case: dict) -> None:
    for field, structure in STRUCTURES.items():
        data = h(case[field])
        kind = kind_of(structure)
        with at(f"{field}.decode"):
            value = kind.decode(data)
        expect(field, data, kind.encode(value))
        if field in WIRE_FORMATS:
            wire_format, content_type = WIRE_FORMATS[field]
            expect(f"{field}.wire_format", wire_format, value.wire_format)
            if content_type is not None:
                expect(f"{field}.content_type", content_type, value.body.content.content_type)
