"""messages.json: every MLS structure decodes and re-encodes byte for byte (RFC 9420 §6–§12).

test-vectors.md "Messages". Question ``decode``: ``{structure, encoded}``, ``structure`` naming the vector
field (``mls_welcome``, ``ratchet_tree``, ``commit``, … — ``STRUCTURES``). Answer: ``valid`` (the bytes decode
strictly, every byte consumed, as that structure); when valid ``encoded`` (the decoded value encoded again: the
same bytes) and ``fields``, a few decoded fields that prove the decoding (``FIELDS``: e.g. an MLSMessage's
``wire_format`` and, for framed messages, ``content_type``, ``group_id`` and ``epoch``; enum values by their
RFC name, bytes as hex). Each structure is asked twice: as given, and, as a control, with its last byte
dropped (``valid`` must be false).
"""

from __future__ import annotations

from typing import Any, Callable

from spec_model.mls.codec import DecodeError, Kind, Struct, kind_of
from spec_model.mls.commit import Commit
from spec_model.mls.framing import PrivateMessage, PublicMessage
from spec_model.mls.key_package import KeyPackage
from spec_model.mls.message import MLSMessage
from spec_model.mls.proposals import (
    Add, ExternalInit, GroupContextExtensions, PreSharedKey, ReInit, Remove, Update,
)
from spec_model.mls.ratchet_tree import RATCHET_TREE
from spec_model.mls.welcome import GroupInfo, GroupSecrets, Welcome

from . import expect_answer, h, hx, refused

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


def _message_fields(message: MLSMessage) -> dict[str, Any]:
    body, fields = message.body, {"wire_format": message.wire_format.name}
    if isinstance(body, PublicMessage):
        content = body.content
        fields.update(content_type=content.content_type.name, group_id=content.group_id.hex(), epoch=content.epoch)
    elif isinstance(body, PrivateMessage):
        fields.update(content_type=body.content_type.name, group_id=body.group_id.hex(), epoch=body.epoch)
    elif isinstance(body, Welcome):
        fields.update(cipher_suite=body.cipher_suite, secrets=len(body.secrets))
    elif isinstance(body, GroupInfo):
        fields.update(group_id=body.group_context.group_id.hex(), epoch=body.group_context.epoch)
    elif isinstance(body, KeyPackage):
        fields.update(cipher_suite=body.cipher_suite, init_key=body.init_key.hex())
    return fields


FIELDS: dict[str, Callable[[Any], dict[str, Any]]] = {
    **{name: _message_fields for name, s in STRUCTURES.items() if s is MLSMessage},
    "ratchet_tree": lambda nodes: {"nodes": len(nodes)},
    "group_secrets": lambda v: {"joiner_secret": v.joiner_secret.hex()},
    "add_proposal": lambda v: {"init_key": v.key_package.init_key.hex()},
    "update_proposal": lambda v: {"encryption_key": v.leaf_node.encryption_key.hex()},
    "remove_proposal": lambda v: {"removed": v.removed},
    "pre_shared_key_proposal": lambda v: {"psk_nonce": v.psk.psk_nonce.hex()},
    "re_init_proposal": lambda v: {"group_id": v.group_id.hex(), "cipher_suite": v.cipher_suite},
    "external_init_proposal": lambda v: {"kem_output": v.kem_output.hex()},
    "group_context_extensions_proposal": lambda v: {"extension_types": [e.extension_type for e in v.extensions]},
    "commit": lambda v: {"proposals": len(v.proposals), "path": v.path is not None},
}
"""What a decoding must show of each structure, beyond re-encoding to the same bytes."""


def questions(case: dict) -> list[dict[str, Any]]:
    return [{"ask": "decode", "structure": name, "encoded": encoded}
            for name in STRUCTURES for encoded in (case[name], h(case[name])[:-1].hex())]


def answer(question: dict[str, Any]) -> dict[str, Any]:
    name = question["structure"]
    kind = kind_of(STRUCTURES[name])
    try:
        value = kind.decode(h(question["encoded"]))
    except DecodeError:
        return {"valid": False}
    return {"valid": True, "encoded": hx(kind.encode(value)), "fields": FIELDS[name](value)}


def judge(case: dict, question: dict[str, Any], answer_: dict[str, Any]) -> None:
    name = question["structure"]
    if question["encoded"] != case[name]:
        return refused(f"{name} without its last byte", answer_)
    expected = answer(question)
    expect_answer(f"{name}.valid", True, answer_, "valid")
    expect_answer(f"{name}.encoded", case[name], answer_, "encoded")
    for field, value in expected["fields"].items():
        expect_answer(f"{name}.fields.{field}", value, answer_, f"fields.{field}")
