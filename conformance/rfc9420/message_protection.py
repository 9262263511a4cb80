"""message-protection.json: PublicMessage and PrivateMessage protection (RFC 9420 §6.1–§6.3).

test-vectors.md "Message Protection": the GroupContext has the case's
cipher suite, group id, epoch, tree hash and confirmed transcript hash and no
extensions; the sender is leaf 1 of a two-leaf secret tree built from
``encryption_secret``. For each of ``proposal``, ``commit`` and ``application``:

* ``<kind>_pub`` is an MLSMessage(PublicMessage) whose membership tag verifies
  with ``membership_key``, whose signature verifies with ``signature_pub``,
  and which carries the raw value (not for application data);
* protecting the raw value as a PublicMessage with ``membership_key`` and
  ``signature_priv`` gives a message that unprotects and verifies likewise;
  for application data, protecting as a PublicMessage must be refused (§6.2);
* ``<kind>_priv`` is an MLSMessage(PrivateMessage) that unprotects with the
  secret tree and ``sender_data_secret`` and verifies with ``signature_pub``;
* protecting the raw value as a PrivateMessage with the secret tree,
  ``sender_data_secret`` and ``signature_priv`` gives a message that
  unprotects and verifies likewise.

Every protection and unprotection uses a fresh secret tree, as each message
of the vector was made from a fresh epoch state.
"""

from __future__ import annotations

from spec_model.mls.codec import Reader
from spec_model.mls.commit import Commit
from spec_model.mls.framing import (
    AuthenticatedContent, FramedContent, MemberSender, WireFormat, protect_private, protect_public,
    sign_content, unprotect_private, unprotect_public, verify_content_signature,
)
from spec_model.mls.group_context import GroupContext, ProtocolVersion
from spec_model.mls.message import MLSMessage
from spec_model.mls.proposals import PROPOSAL
from spec_model.mls.reasons import Reason, Rejected
from spec_model.mls.secret_tree import SecretTree
from spec_model.mls.suites import suite

from . import Mismatch, at, expect, h

SENDER = MemberSender(1)
PUBLIC, PRIVATE = WireFormat.mls_public_message, WireFormat.mls_private_message


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
    expect("signature_pub", sig_pub, cs.signature_public_key(sig_priv))

    def tree() -> SecretTree:
        """A fresh secret tree for two members."""
        return SecretTree(cs, h(case["encryption_secret"]), 2)

    def unprotect(field: str, data: bytes, wire_format: WireFormat) -> AuthenticatedContent:
        """Decode, check the wire format, unprotect and verify the signature of one message."""
        with at(f"{field}.decode"):
            message = MLSMessage.decode(data)
        expect(f"{field}.wire_format", wire_format, message.wire_format)
        with at(f"{field}.unprotect"):
            if wire_format == PUBLIC:
                ac = unprotect_public(cs, message.body, context, membership_key)
            else:
                ac = unprotect_private(cs, message.body, context, tree(), sender_data_secret)
        with at(f"{field}.signature"):
            verify_content_signature(cs, ac, context, sig_pub)
        return ac

    for kind, decode in DECODERS.items():
        with at(f"{kind}.decode"):
            value = decode(h(case[kind]))
        content = FramedContent(context.group_id, context.epoch, SENDER, b"", value)
        messages: list[tuple[str, bytes, WireFormat]] = [(f"{kind}_priv", h(case[f"{kind}_priv"]), PRIVATE)]
        tag = None
        if kind == "application":
            ac = sign_content(cs, PUBLIC, content, context, sig_priv)
            try:
                protect_public(cs, ac, context, membership_key)
            except Rejected as e:
                expect("application_pub.refused", Reason.APPLICATION_NOT_PRIVATE, e.reason)
            else:
                raise Mismatch("application_pub.refused", "Rejected", "a PublicMessage")
        else:
            given = h(case[f"{kind}_pub"])
            messages.append((f"{kind}_pub", given, PUBLIC))
            with at(f"{kind}_pub.decode"):
                given_message = MLSMessage.decode(given)
            expect(f"{kind}_pub.wire_format", PUBLIC, given_message.wire_format)
            # a commit's confirmation tag depends on a key schedule the vector does not give: reuse it
            tag = given_message.body.auth.confirmation_tag  # None unless a commit
            with at(f"{kind}_pub.protect"):
                ac = sign_content(cs, PUBLIC, content, context, sig_priv, tag)
                own = MLSMessage(protect_public(cs, ac, context, membership_key)).encode()
            messages.append((f"{kind}_pub (own)", own, PUBLIC))
        with at(f"{kind}_priv.protect"):
            ac = sign_content(cs, PRIVATE, content, context, sig_priv, tag)
            own = MLSMessage(protect_private(cs, ac, tree(), sender_data_secret, padding=17)).encode()
        messages.append((f"{kind}_priv (own)", own, PRIVATE))

        for field, data, wire_format in messages:
            ac = unprotect(field, data, wire_format)
            expect(f"{field}.sender", SENDER, ac.content.sender)
            expect(f"{field}.content", value, ac.content.content)
