"""Mixed groups and XIP-76 message deletion: model installations delete, libxmtp installations show it
(test_mixed_libxmtp.py's clients and fixtures). The node bindings send no deletion (U4 of each version's
interop/libxmtp/versions/<version>/KNOWN_DIFFERENCES.md), but they show one."""

from __future__ import annotations

from spec_model.xmtp.content import TEXT, decode_text
from spec_model.xmtp.deletion import encode_delete_message
from spec_model.xmtp.delivery import DeliveryStatus

from .test_mixed_libxmtp import LIBXMTP_CLIENTS, mixed, session  # noqa: F401 (fixtures)


def test_deletions_by_model_installations_as_libxmtp_shows_them(mixed):
    """XIP-76 (libxmtp groups/mod.rs ``delete_message``, messages/enrichment.rs): the node bindings send no
    deletion (U4), but they show one. A model installation deletes its own message, and the super admin (the
    model creator) deletes a libxmtp member's; every libxmtp installation lists both as the model does: the
    deleted-message content type, who deleted it, no text. A deletion sent by a member who may delete neither
    (``is_deletion_valid``) leaves its message shown on every side."""
    mixed.create("m1", ["m2", "x1", "x2"])
    mixed.join("m2", "x1", "x2")
    assert mixed.act("m2", "send", "m2's slip") is None
    assert mixed.act("x1", "send", "x1's slip") is None
    assert mixed.act("x2", "send", "kept") is None
    mixed.sync("m1", "m2")

    def sent(viewer: str, text: str) -> bytes:
        (message,) = [m for m in mixed.conversations[viewer].find_messages() if m.content.type == TEXT
                      and decode_text(m.content) == text]
        return message.id

    mixed.tick()
    mixed.conversations["m2"].delete_message(sent("m2", "m2's slip"))
    mixed.tick()
    mixed.conversations["m1"].delete_message(sent("m1", "x1's slip"))
    mixed.tick()  # a member who is neither the sender nor a super admin: every receiver drops the deletion
    refused = mixed.conversations["m2"].send_optimistic(encode_delete_message(sent("m2", "kept")))
    mixed.sync("m2", "m1", "x1", "x2", "m1", "m2")
    assert mixed.models["m2"].store.get_message(refused).delivery_status is DeliveryStatus.PUBLISHED

    def shown(viewer: str) -> list[tuple]:
        return [(mixed.names[m["sender_inbox_id"]], m["content_type"], mixed.names.get(m.get("deleted_by"),
                 m.get("deleted_by")), m.get("text")) for m in mixed.raw_messages(viewer) if m["kind"] == "application"]

    model = shown("m2")
    assert model == [("m2", "xmtp.org/deletedMessage", "sender", None), ("x1", "xmtp.org/deletedMessage", "m1", None),
                     ("x2", "xmtp.org/text", None, "kept")]
    assert shown("m1") == model
    for name in LIBXMTP_CLIENTS:
        assert shown(name) == model, f"{name} shows the deletions otherwise than the model"
