"""message-protection.json: PublicMessage and PrivateMessage protection (RFC 9420 §6.1–§6.3).

test-vectors.md "Message Protection". Every question carries the case's group (``cipher_suite``, ``group_id``,
``epoch``, ``tree_hash``, ``confirmed_transcript_hash``: a GroupContext without extensions) and keys
(``membership_key``, ``encryption_secret``, ``sender_data_secret``, and ``signature_pub`` or ``signature_priv``);
the sender is leaf 1 of a two-leaf secret tree rooted at ``encryption_secret``, fresh for every message.

* ``unprotect`` ``{message}``: an MLSMessage (PublicMessage or PrivateMessage). Answer ``valid`` (it unprotects —
  membership tag, decryption — and its signature verifies with ``signature_pub``) and, when valid, ``sender``
  (the leaf index), ``content_type`` (``proposal``, ``commit`` or ``application``) and ``content`` (the Proposal,
  the Commit, or the application data, encoded). Asked of every ``*_pub`` and ``*_priv`` message of the case, and,
  as controls, of a tampered copy of ``commit_pub`` and of ``application_priv`` (``valid`` must be false).
* ``protect`` ``{wire_format (public/private), content_type, content, confirmation_tag}``: protect the content
  (a commit's ``confirmation_tag`` is given: it depends on a key schedule the case does not have). Answer
  ``valid`` and the MLSMessage ``message``, which the harness unprotects and verifies with the model. Application
  data as a PublicMessage must be refused (``valid`` false, §6.2).
"""

from __future__ import annotations

from typing import Any

from spec_model.mls.codec import Reader
from spec_model.mls.commit import Commit
from spec_model.mls.framing import (
    AuthenticatedContent, FramedContent, MemberSender, WireFormat, protect_private, protect_public,
    sign_content, unprotect_private, unprotect_public, verify_content_signature,
)
from spec_model.mls.group_context import GroupContext, ProtocolVersion
from spec_model.mls.message import MLSMessage
from spec_model.mls.proposals import PROPOSAL
from spec_model.mls.reasons import Rejected
from spec_model.mls.secret_tree import SecretTree
from spec_model.mls.suites import suite

from . import answer_bytes, at, expect, expect_answer, h, refused, tampered

SENDER = MemberSender(1)
WIRE_FORMATS = {"public": WireFormat.mls_public_message, "private": WireFormat.mls_private_message}
GROUP = ("cipher_suite", "group_id", "epoch", "tree_hash", "confirmed_transcript_hash")
SECRETS = ("membership_key", "encryption_secret", "sender_data_secret")
KINDS = ("proposal", "commit", "application")
CONTROLS = ("commit_pub", "application_priv")


def _proposal(data: bytes):
    r = Reader(data)
    value = PROPOSAL.read(r)
    r.finish()
    return value


DECODERS = {"proposal": _proposal, "commit": Commit.decode, "application": bytes}


def _encoded(value) -> bytes:
    """A content value encoded: application data as it is, a Commit or a Proposal in its encoding."""
    if isinstance(value, bytes):
        return value
    return value.encode() if isinstance(value, Commit) else PROPOSAL.encode(value)


def questions(case: dict) -> list[dict[str, Any]]:
    group = {k: case[k] for k in (*GROUP, *SECRETS)}
    asked = []
    for kind in KINDS:
        for wire in ("pub", "priv"):
            if f"{kind}_{wire}" in case:
                asked.append({"ask": "unprotect", **group, "signature_pub": case["signature_pub"],
                              "message": case[f"{kind}_{wire}"]})
    for control in CONTROLS:
        asked.append({"ask": "unprotect", **group, "signature_pub": case["signature_pub"],
                      "message": tampered(h(case[control])).hex()})
    for kind in KINDS:
        tag = None
        if kind == "commit":
            tag = MLSMessage.decode(h(case["commit_pub"])).body.auth.confirmation_tag.hex()
        for wire_format in ("public", "private"):
            asked.append({"ask": "protect", **group, "signature_priv": case["signature_priv"],
                          "wire_format": wire_format, "content_type": kind, "content": case[kind],
                          "confirmation_tag": tag})
    return asked


def _context(q: dict[str, Any]) -> GroupContext:
    return GroupContext(ProtocolVersion.mls10, q["cipher_suite"], h(q["group_id"]), q["epoch"], h(q["tree_hash"]),
                        h(q["confirmed_transcript_hash"]), ())


def _unprotect(q: dict[str, Any], data: bytes, signature_pub: bytes) -> AuthenticatedContent:
    """Decode, unprotect (with a fresh secret tree) and verify the signature of one message."""
    cs, context = suite(q["cipher_suite"]), _context(q)
    message = MLSMessage.decode(data)
    if message.wire_format == WireFormat.mls_public_message:
        ac = unprotect_public(cs, message.body, context, h(q["membership_key"]))
    elif message.wire_format == WireFormat.mls_private_message:
        tree = SecretTree(cs, h(q["encryption_secret"]), 2)
        ac = unprotect_private(cs, message.body, context, tree, h(q["sender_data_secret"]))
    else:
        raise Rejected("not a PublicMessage or PrivateMessage")
    verify_content_signature(cs, ac, context, signature_pub)
    return ac


def answer(q: dict[str, Any]) -> dict[str, Any]:
    cs, context = suite(q["cipher_suite"]), _context(q)
    if q["ask"] == "unprotect":
        try:
            ac = _unprotect(q, h(q["message"]), h(q["signature_pub"]))
        except Exception:  # noqa: BLE001 -- any refusal of the message is "not valid"
            return {"valid": False}
        return {"valid": True, "sender": ac.content.sender.leaf_index, "content_type": ac.content.content_type.name,
                "content": _encoded(ac.content.content).hex()}
    content = FramedContent(context.group_id, context.epoch, SENDER, b"", DECODERS[q["content_type"]](h(q["content"])))
    wire_format, priv = WIRE_FORMATS[q["wire_format"]], h(q["signature_priv"])
    ac = sign_content(cs, wire_format, content, context, priv, h(q["confirmation_tag"]))
    try:
        if wire_format == WireFormat.mls_public_message:
            body = protect_public(cs, ac, context, h(q["membership_key"]))
        else:
            body = protect_private(cs, ac, SecretTree(cs, h(q["encryption_secret"]), 2), h(q["sender_data_secret"]),
                                   padding=17)
    except Rejected:
        return {"valid": False}
    return {"valid": True, "message": MLSMessage(body).encode().hex()}


def judge(case: dict, q: dict[str, Any], answer: dict[str, Any]) -> None:
    if q["ask"] == "unprotect":
        given = {case[f"{kind}_{wire}"]: kind for kind in KINDS for wire in ("pub", "priv") if f"{kind}_{wire}" in case}
        if q["message"] not in given:
            return refused("tampered message", answer)
        kind = given[q["message"]]
        expect_answer("unprotect.valid", True, answer, "valid")
        expect_answer("unprotect.sender", SENDER.leaf_index, answer, "sender")
        expect_answer("unprotect.content_type", kind, answer, "content_type")
        expect_answer("unprotect.content", case[kind], answer, "content")
        return
    what = f"protect {q['content_type']} as a {q['wire_format']} message"
    if q["content_type"] == "application" and q["wire_format"] == "public":
        return refused(what + " (§6.2: application data is never public)", answer)
    expect_answer(f"{what}.valid", True, answer, "valid")
    message = answer_bytes(f"{what}.message", answer, "message")
    with at(f"{what}: the harness unprotects and verifies it"):
        ac = _unprotect(q, message, h(case["signature_pub"]))
    expect(f"{what}.wire_format", WIRE_FORMATS[q["wire_format"]], ac.wire_format)
    expect(f"{what}.sender", SENDER, ac.content.sender)
    expect(f"{what}.content", case[q["content_type"]], _encoded(ac.content.content).hex())
