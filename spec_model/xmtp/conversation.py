"""seed "Group protocol": one group (or DM) of a client: reading it, sending to it, changing it, syncing it.

Theory of operation
-------------------
A ``Conversation`` is a group id over its client's context: every read loads
the group's row and state from the database. Everything a user does to a
group becomes an intent (docs/xmtp-facts.md §5): a message to send, a membership change, a
metadata, admin or permission update. ``sync`` runs libxmtp's three steps,
each in one database transaction per item so that a crash loses nothing:
publish (``intents.publish_intents``), receive (``receive.receive``), then
post-commit work (``intents.post_commit``). A change waits for its intent
through at most three syncs (``sync_until_intent_resolved``).
"""

from __future__ import annotations

import dataclasses
import json
from typing import Sequence

from spec_model.mls.group import Group
from spec_model.mls.group_context import Extension
from spec_model.mls.reasons import Rejected

from .consent import ConsentState, ConsentType, conversation_entity
from .content import LEAVE_REQUEST, EncodedContent, encode_text, message_id, seal_envelope
from .context import ClientContext, ClientReason
from .credential import inbox_of
from .delivery import DeliveryStatus, GroupMessageKind, IntentKind, IntentState
from .extensions import ConversationType, read_immutable_metadata, read_membership, read_mutable_metadata, \
    read_mutable_permissions
from .history_archive import RestoredGroup
from .intents import post_commit, publish_intents
from .messages import StoredMessage
from .network import NetworkError
from .permissions import Policies
from .receive import leave_requesters, receive
from .store import MembershipState, MessageRow

__all__ = ["Member", "Conversation", "MAX_SYNCS_TO_RESOLVE", "GROUP_KEY_ROTATION_INTERVAL_NS"]

MAX_SYNCS_TO_RESOLVE = 3
"""docs/xmtp-facts.md §5 ``sync_until_intent_resolved``: at most 3 syncs."""
GROUP_KEY_ROTATION_INTERVAL_NS = 30 * 24 * 3600 * 10**9
"""libxmtp ``intents/queue.rs``: a leaf key older than this is rotated before the next message (profile
``key_update_before_first_send``)."""


@dataclasses.dataclass(frozen=True)
class Member:
    """seed ``list_members``: an inbox with its addresses, installations and permission level."""

    inbox_id: str
    account_addresses: tuple[str, ...]
    installation_ids: tuple[bytes, ...]
    permission_level: str  # "member", "admin" or "super_admin"


class Conversation:
    """seed "Group protocol": one group (or DM), identified by its group id."""

    def __init__(self, client: ClientContext, group_id: bytes):
        self.client, self.group_id = client, group_id
        self._changing = False  # inside one of our own changes (no leave requests honoured meanwhile)

    # ------------------------------------------------------------------ reading

    def _group(self) -> Group | RestoredGroup:
        return self.client.load_group(self.group_id)

    @property
    def created_at_ns(self) -> int:
        """libxmtp crates/xmtp_db/src/encrypted_store/group.rs@a53a97e ``created_at_ns``: when this installation
        stored the group."""
        return self.client.group_row(self.group_id).created_at_ns

    @property
    def epoch(self) -> int | None:
        """RFC 9420 §8: the group's epoch; ``None`` for a group restored from a history archive (docs/xmtp-facts.md §9:
        no MLS state)."""
        group = self._group()
        return group.epoch if isinstance(group, Group) else None

    @property
    def epoch_authenticator(self) -> bytes:
        """RFC 9420 §8.7: the current epoch's authenticator, equal for every member in the same state."""
        return self._group().epoch_authenticator

    @property
    def extensions(self) -> tuple[Extension, ...]:
        """XIP-47: the group context extensions (metadata, admins, membership, permissions)."""
        return tuple(self._group().context.extensions)

    @property
    def is_active(self) -> bool:
        """seed ``is_active``: false once this installation was removed."""
        return self.client.group_row(self.group_id).membership_state != MembershipState.REJECTED

    @property
    def added_by_inbox_id(self) -> str:
        """libxmtp crates/xmtp_db/src/encrypted_store/group.rs@a53a97e ``added_by_inbox_id``: who added this
        installation (the creator itself)."""
        return self.client.group_row(self.group_id).added_by_inbox_id

    def group_metadata(self) -> dict:
        """seed ``group_metadata``: conversation type, creator, name and other attributes, admins, policies."""
        extensions = self.extensions
        immutable, mutable = read_immutable_metadata(extensions), read_mutable_metadata(extensions)
        return {
            "conversation_type": ConversationType(immutable.conversation_type).name.lower(),
            "creator_inbox_id": immutable.creator_inbox_id,
            "attributes": dict(mutable.attributes),
            "admins": tuple(mutable.admin_list.inbox_ids),
            "super_admins": tuple(mutable.super_admin_list.inbox_ids),
            "policies": Policies.from_proto(read_mutable_permissions(extensions), self.client.config.profile),
        }

    @property
    def name(self) -> str:
        """seed ``group_metadata``: the ``group_name`` attribute."""
        return self.group_metadata()["attributes"].get("group_name", "")

    def list_members(self) -> list[Member]:
        """seed ``list_members``: inbox ids with their addresses, installations and permission level."""
        group = self._group()
        metadata = read_mutable_metadata(group.context.extensions)
        by_inbox: dict[str, list[bytes]] = {}
        for _, leaf in group.members():
            by_inbox.setdefault(inbox_of(leaf.credential), []).append(leaf.signature_key)
        membership = read_membership(group.context.extensions)
        members = []
        for inbox in sorted(membership.members):
            state = self.client.identities.state_at(inbox, membership.members[inbox])
            level = ("super_admin" if inbox in metadata.super_admin_list.inbox_ids
                     else "admin" if inbox in metadata.admin_list.inbox_ids else "member")
            members.append(Member(inbox, tuple(sorted(state.wallets)), tuple(sorted(by_inbox.get(inbox, []))), level))
        return members

    def find_messages(self, **filters) -> list[StoredMessage]:
        """seed ``find_messages``: sent_after_ns, sent_before_ns, limit, direction, delivery_status, kind."""
        return StoredMessage.listed(self.client.store.find_messages(self.group_id, **filters))

    # ------------------------------------------------------------------ sending

    def send(self, text_or_content: str | EncodedContent) -> bytes:
        """seed ``send``: stored Unpublished at once, then published by syncing; returns the message id."""
        message = self.send_optimistic(text_or_content)
        self._sync_until_resolved()
        return message

    def send_optimistic(self, text_or_content: str | EncodedContent) -> bytes:
        """libxmtp crates/xmtp_mls/src/groups/mod.rs@a53a97e ``send_message_optimistic``: store Unpublished and
        queue the intent; publish on the next sync."""
        self._check_can_send()
        c = self.client
        content = encode_text(text_or_content) if isinstance(text_or_content, str) else text_or_content
        key = str(c.now_ns())
        encoded = content.encode()
        message = message_id(self.group_id, key, encoded)
        with c.store.transaction():
            self._rotate_key_if_due()
            c.store.put_message(MessageRow(message, self.group_id, c.now_ns(), GroupMessageKind.APPLICATION,
                                           DeliveryStatus.UNPUBLISHED, c.inbox_id, c.installation_id,
                                           content.type.authority_id, content.type.type_id, key, encoded))
            c.store.add_intent(self.group_id, IntentKind.SEND_MESSAGE, seal_envelope(content, key), message)
            c.set_consent(ConsentType.CONVERSATION_ID, conversation_entity(self.group_id), ConsentState.ALLOWED)
        return message

    def _rotate_key_if_due(self) -> None:
        """libxmtp ``intents/queue.rs`` (profile ``key_update_before_first_send``): queue a KeyUpdate commit
        ahead of a message when our leaf key is older than GROUP_KEY_ROTATION_INTERVAL_NS (never rotated:
        joined from a Welcome). Runs inside the caller's transaction."""
        c = self.client
        rotated = c.group_row(self.group_id).rotated_at_ns
        if c.config.profile.key_update_before_first_send and c.now_ns() - rotated >= GROUP_KEY_ROTATION_INTERVAL_NS:
            c.store.add_intent(self.group_id, IntentKind.KEY_UPDATE, b"{}")
            c.store.set_group_rotated_at(self.group_id, c.now_ns())

    def _check_can_send(self) -> None:
        row = self.client.group_row(self.group_id)
        if row.membership_state == MembershipState.REJECTED:
            raise Rejected(ClientReason.INACTIVE, self.group_id.hex())
        if row.paused_for_version:
            raise Rejected(ClientReason.PAUSED, row.paused_for_version)

    # ------------------------------------------------------------------ changes (each one intent, one commit)

    def add_members(self, account_addresses: Sequence[str]) -> None:
        """seed ``add_members``: by account address; syncs automatically."""
        self.add_members_by_inbox_id(self.client.inbox_ids_of(account_addresses))

    def add_members_by_inbox_id(self, inbox_ids: Sequence[str]) -> None:
        """seed ``add_members_by_inbox_id``: every installation of every inbox is added; syncs automatically."""
        self._change(IntentKind.UPDATE_GROUP_MEMBERSHIP, {"add": list(inbox_ids), "remove": []})

    def remove_members(self, account_addresses: Sequence[str]) -> None:
        """seed ``remove_members``: by account address; syncs automatically."""
        self.remove_members_by_inbox_id(self.client.inbox_ids_of(account_addresses))

    def remove_members_by_inbox_id(self, inbox_ids: Sequence[str]) -> None:
        """seed ``remove_members_by_inbox_id``: every installation of these inboxes leaves; syncs automatically."""
        current = read_membership(self.extensions).members
        missing = [i for i in inbox_ids if i not in current]
        if missing:
            raise Rejected(ClientReason.NOT_A_MEMBER, ", ".join(missing))
        self._change(IntentKind.UPDATE_GROUP_MEMBERSHIP, {"add": [], "remove": list(inbox_ids)})

    def update_name(self, name: str) -> None:
        """seed ``update_group_name``."""
        self._change(IntentKind.METADATA_UPDATE, {"attributes": {"group_name": name}})

    def update_description(self, description: str) -> None:
        """seed ``update_group_description``."""
        self._change(IntentKind.METADATA_UPDATE, {"attributes": {"description": description}})

    def update_image_url(self, url: str) -> None:
        """seed ``update_group_image_url_square``."""
        self._change(IntentKind.METADATA_UPDATE, {"attributes": {"group_image_url_square": url}})

    def update_pinned_frame_url(self, url: str) -> None:
        """seed "Pin messages" (profile seed: the ``group_pinned_frame_url`` attribute)."""
        self._change(IntentKind.METADATA_UPDATE, {"attributes": {"group_pinned_frame_url": url}})

    def add_admin(self, inbox_id: str) -> None:
        """XIP-47: add an inbox to the admin list."""
        self._change(IntentKind.UPDATE_ADMIN_LIST, {"list": "admin", "add": inbox_id})

    def remove_admin(self, inbox_id: str) -> None:
        """XIP-47: remove an inbox from the admin list."""
        self._change(IntentKind.UPDATE_ADMIN_LIST, {"list": "admin", "remove": inbox_id})

    def add_super_admin(self, inbox_id: str) -> None:
        """XIP-47: add an inbox to the super admin list."""
        self._change(IntentKind.UPDATE_ADMIN_LIST, {"list": "super_admin", "add": inbox_id})

    def remove_super_admin(self, inbox_id: str) -> None:
        """XIP-47: remove an inbox from the super admin list."""
        self._change(IntentKind.UPDATE_ADMIN_LIST, {"list": "super_admin", "remove": inbox_id})

    def update_permissions(self, policies: Policies) -> None:
        """XIP-47: replace the policy set (only super admins may)."""
        self._change(IntentKind.UPDATE_PERMISSION,
                     {"policies": policies.to_proto(self.client.config.profile).encode().hex()})

    def update_installations(self) -> None:
        """libxmtp crates/xmtp_mls/src/groups/mod.rs@a53a97e ``update_installations``: add members' new
        installations, drop revoked ones."""
        self._change(IntentKind.UPDATE_GROUP_MEMBERSHIP, {"add": [], "remove": []})

    def leave(self) -> None:
        """XIP-75 self-removal: a member cannot remove its own leaf (RFC 9420 §12.2), so it sends a
        LeaveRequest; a super admin's client removes the inbox on its next sync, and the transcript
        lists it under ``left_inboxes``."""
        self.send(EncodedContent(LEAVE_REQUEST, {}, None, b""))

    def _honour_leave_requests(self) -> None:
        """XIP-75: a super admin removes every member whose LeaveRequest it has received."""
        c = self.client
        extensions = self.extensions
        if c.inbox_id not in read_mutable_metadata(extensions).super_admin_list.inbox_ids:
            return
        members = read_membership(extensions).members
        leaving = sorted(i for i in leave_requesters(c, self.group_id) if i in members and i != c.inbox_id)
        if leaving:
            self._change(IntentKind.UPDATE_GROUP_MEMBERSHIP, {"add": [], "remove": leaving})

    def _change(self, kind: IntentKind, payload: dict) -> None:
        self._check_can_send()
        with self.client.store.transaction():
            intent = self.client.store.add_intent(self.group_id, kind, json.dumps(payload).encode())
            # libxmtp intents/queue.rs queue_with_conn: a commit of ours renews our leaf key (update_rotated_at_ns)
            self.client.store.set_group_rotated_at(self.group_id, self.client.now_ns())
        self._changing = True
        try:
            self._sync_until_resolved(intent.id)
        finally:
            self._changing = False

    def _sync_until_resolved(self, intent_id: int | None = None) -> None:
        """docs/xmtp-facts.md §5 ``sync_until_intent_resolved``: up to 3 syncs until the intent is Processed."""
        store = self.client.store
        if intent_id is None:
            pending = store.find_intents(self.group_id, states=[IntentState.TO_PUBLISH, IntentState.PUBLISHED])
            if not pending:
                return
            intent_id = pending[-1].id
        for _ in range(MAX_SYNCS_TO_RESOLVE):
            try:
                self.sync()
            except NetworkError:
                pass  # the intent keeps its state; the next sync tries again
            intent = store.get_intent(intent_id)
            if intent is None or intent.state == IntentState.PROCESSED:
                return
            if intent.state == IntentState.ERROR:
                raise Rejected(ClientReason.INTENT_FAILED, f"intent {intent_id} ({intent.kind.name})"
                               + (f": {intent.refusal}" if intent.refusal else ""))
        raise Rejected(ClientReason.SYNC_FAILED_TO_WAIT, f"intent {intent_id}")

    # ------------------------------------------------------------------ sync

    def sync(self, *, return_new: bool = False) -> list[StoredMessage]:
        """seed ``sync``: publish pending intents, receive from the cursor, then post-commit work.

        Each step runs even if the one before failed (docs/xmtp-facts.md §5); network
        errors are collected and the first is raised at the end.
        """
        errors, received = [], []
        for step in (publish_intents, receive, post_commit):
            try:
                result = step(self.client, self.group_id)
            except NetworkError as e:
                errors.append(e)
                continue
            if step is receive:
                received = result
        if errors and not return_new:
            raise errors[0]
        if not self._changing:
            self._honour_leave_requests()
        return received
