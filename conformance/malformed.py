"""Every builder of a malformed or forged MLS message, in one place: for the model's tests and the wire checks.

Each builder takes a genuine message (or a group to forge one from) and
returns a message that is wrong in exactly one way, re-signing, re-tagging or
re-encrypting what it must so that the intended check is the one that fails
(RFC 9420 §6: signature, membership tag, epoch, sender ratchet).
"""

from __future__ import annotations

import dataclasses

from spec_model.mls.commit import Commit
from spec_model.mls.framing import (
    AuthenticatedContent, FramedContent, MemberSender, PublicMessage, WireFormat, protect_private, protect_public,
    sign_content,
)
from spec_model.mls.group import Group
from spec_model.mls.message import MLSMessage


def _retagged(group: Group, content: FramedContent, auth) -> MLSMessage:
    """A PublicMessage of ``content`` and ``auth`` with a valid membership tag from ``group``'s epoch."""
    ac = AuthenticatedContent(WireFormat.mls_public_message, content, auth)
    return MLSMessage(protect_public(group.cs, ac, group.context, group.state.secrets.membership_key))


def with_confirmation_tag(message: MLSMessage, sender: Group, tag: bytes) -> MLSMessage:
    """A public commit whose confirmation tag is ``tag`` (signature and membership tag still valid)."""
    body: PublicMessage = message.body
    return _retagged(sender, body.content, dataclasses.replace(body.auth, confirmation_tag=tag))


def with_bad_signature(message: MLSMessage, sender: Group) -> MLSMessage:
    """A public handshake message whose signature is altered (membership tag recomputed)."""
    body: PublicMessage = message.body
    signature = bytes([body.auth.signature[0] ^ 1]) + body.auth.signature[1:]
    return _retagged(sender, body.content, dataclasses.replace(body.auth, signature=signature))


def with_bad_membership_tag(message: MLSMessage) -> MLSMessage:
    body: PublicMessage = message.body
    tag = bytes([body.membership_tag[0] ^ 1]) + body.membership_tag[1:]
    return MLSMessage(dataclasses.replace(body, membership_tag=tag))


def with_epoch(message: MLSMessage, sender: Group, epoch: int) -> MLSMessage:
    """A public handshake message re-framed for another epoch (re-signed, re-tagged)."""
    body: PublicMessage = message.body
    content = dataclasses.replace(body.content, epoch=epoch)
    ac = sign_content(sender.cs, WireFormat.mls_public_message, content, sender.context.replace(epoch=epoch),
                      sender.signature_priv, body.auth.confirmation_tag)
    return _retagged(sender, content, ac.auth)


def forged_commit(sender: Group, commit: Commit, tag: bytes = b"\0" * 32) -> MLSMessage:
    """A public commit ``commit`` from ``sender``, validly signed and tagged, with confirmation tag ``tag``."""
    content = FramedContent(sender.group_id, sender.epoch, MemberSender(sender.own_leaf), b"", commit)
    ac = sign_content(sender.cs, WireFormat.mls_public_message, content, sender.context, sender.signature_priv, tag)
    return _retagged(sender, content, ac.auth)


def flip(data: bytes, offset: int) -> bytes:
    """``data`` with the lowest bit of the byte at ``offset`` flipped (from the end if negative)."""
    changed = bytearray(data)
    changed[offset] ^= 1
    return bytes(changed)


def flipped(message: MLSMessage, offset: int) -> bytes:
    """The encoding of ``message`` with one bit flipped at ``offset`` (from the end if negative)."""
    return flip(message.encode(), offset)


def private_application_with_bad_signature(sender: Group, data: bytes) -> MLSMessage:
    """An application PrivateMessage of ``data`` from ``sender`` whose signature is altered (RFC 9420 §6.1), encrypted
    under the sender's next ratchet generation as a genuine one would be (§6.3)."""
    content = FramedContent(sender.group_id, sender.epoch, MemberSender(sender.own_leaf), b"", data)
    ac = sign_content(sender.cs, WireFormat.mls_private_message, content, sender.context, sender.signature_priv)
    forged = dataclasses.replace(ac, auth=dataclasses.replace(
        ac.auth, signature=bytes([ac.auth.signature[0] ^ 1]) + ac.auth.signature[1:]))
    return MLSMessage(protect_private(sender.cs, forged, sender.state.secret_tree,
                                      sender.state.secrets.sender_data_secret, sender.config.padding))
