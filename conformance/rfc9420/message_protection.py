"""message-protection.json: PublicMessage and PrivateMessage protection (RFC 9420 §6.1–§6.3).

The sender is leaf 1 of a two-leaf secret tree built from ``encryption_secret``;
the GroupContext has the case's group id, epoch, tree hash and confirmed
transcript hash and no extensions. For each of proposal, commit and
application data: the given messages unprotect, verify and carry the given
content, and messages the model protects itself round-trip. Every private
message gets a fresh secret tree, as each was made in a fresh epoch state.
"""

from __future__ import annotations

from spec_model.mls.codec import Reader
from spec_model.mls.commit import Commit
from spec_model.mls.framing import (
    AuthenticatedContent, FramedContent, Rejected, MemberSender, PublicMessage, WireFormat,
    protect_private, protect_public, sign_content, unprotect_private, unprotect_public,
    verify_content_signature,
)
from spec_model.mls.group_context import GroupContext, ProtocolVersion
from spec_model.mls.message import MLSMessage
from spec_model.mls.proposals import PROPOSAL
from spec_model.mls.secret_tree import SecretTree
from spec_model.mls.suites import suite

from . import Mismatch, expect, h

SENDER = MemberSender(1)


def _proposal(data: bytes):
    r = Reader(data)
    value = PROPOSAL.read(r)
    r.finish()
    return value


DECODERS = {"proposal": _proposal, "commit": Commit.decode, "application": bytes}


def check(case: dict) -> None:
    cs = suite(case["cipher_suite"])
    context = GroupContext(ProtocolVersion.mls10, case["cipher_suite"], h(case["group_id"]), case["epoch"],
                           h(case["tree_hash"]), h(case["confirmed_transcript_hash"]), ())
    sig_priv, sig_pub = h(case["signature_priv"]), h(case["signature_pub"])
    membership_key, sender_data_secret = h(case["membership_key"]), h(case["sender_data_secret"])

    def tree() -> SecretTree:
        return SecretTree(cs, h(case["encryption_secret"]), 2)

    def unprotect(data: bytes) -> AuthenticatedContent:
        message = MLSMessage.decode(data).body
        if isinstance(message, PublicMessage):
            ac = unprotect_public(cs, message, context, membership_key)
        else:
            ac = unprotect_private(cs, message, context, tree(), sender_data_secret)
        verify_content_signature(cs, ac, context, sig_pub)
        return ac

    for kind, decode in DECODERS.items():
        value = decode(h(case[kind]))
        content = FramedContent(context.group_id, context.epoch, SENDER, b"", value)
        messages = {f"{kind}_priv": h(case[f"{kind}_priv"])}
        tag = None
        if kind == "application":
            ac = sign_content(cs, WireFormat.mls_public_message, content, context, sig_priv)
            try:
                protect_public(cs, ac, context, membership_key)
            except Rejected as e:
                expect("application_pub.refused", "application_not_private", e.reason)
            else:
                raise Mismatch("application_pub.refused", "Rejected", "a PublicMessage")
        else:
            messages[f"{kind}_pub"] = h(case[f"{kind}_pub"])
            tag = MLSMessage.decode(messages[f"{kind}_pub"]).body.auth.confirmation_tag  # None unless commit
            ac = sign_content(cs, WireFormat.mls_public_message, content, context, sig_priv, tag)
            messages[f"{kind}_pub.own"] = MLSMessage(protect_public(cs, ac, context, membership_key)).encode()
        ac = sign_content(cs, WireFormat.mls_private_message, content, context, sig_priv, tag)
        own = protect_private(cs, ac, tree(), sender_data_secret, padding=17)
        messages[f"{kind}_priv.own"] = MLSMessage(own).encode()

        for field, data in messages.items():
            ac = unprotect(data)
            expect(f"{field}.sender", SENDER, ac.content.sender)
            expect(f"{field}.content", value, ac.content.content)
