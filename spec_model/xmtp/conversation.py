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
from .credential import named_inbox
from .delivery import DeliveryStatus, GroupMessageKind, IntentKind, IntentState
from .deletion import DELETED_MESSAGE, HIDDEN_TYPE_IDS, check_deletion, encode_delete_message, is_deletion_valid
from .extensions import MESSAGE_DISAPPEAR_FROM_NS, MESSAGE_DISAPPEAR_IN_NS, ConversationType, \
    read_immutable_metadata, read_membership, read_mutable_metadata, read_mutable_permissions
from .history_archive import RestoredGroup
from .intents import post_commit, publish_intents
from .messages import StoredMessage
from .network import NetworkError
from .permissions import Policies
from .receive import leave_requesters, receive
from .store import INACTIVE_STATES, MessageDeletionRow, MessageRow
from .streams import Stream, group_stream

__all__ = ["Member", "Conversation", "MAX_SYNCS_TO_RESOLVE", "GROUP_KEY_ROTATION_INTERVAL_NS",
           "SYNC_UPDATE_INSTALLATIONS_INTERVAL_NS", "SEND_MESSAGE_UPDATE_INSTALLATIONS_INTERVAL_NS"]

MAX_SYNCS_TO_RESOLVE = 3
"""docs/xmtp-facts.md §5 ``sync_until_intent_resolved``: at most 3 syncs."""
SYNC_UPDATE_INSTALLATIONS_INTERVAL_NS = 30 * 60 * 10**9
"""libxmtp crates/xmtp_configuration/src/prod/mls.rs@b649d1a: a sync checks members' installations every 30 min
(profile ``installations_checked``)."""
SEND_MESSAGE_UPDATE_INSTALLATIONS_INTERVAL_NS = 5 * 10**9
"""libxmtp crates/xmtp_configuration/src/common/mls.rs@b649d1a: a send checks them every 5 s."""
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


def _dm_pair(extensions: Sequence[Extension]) -> frozenset[str] | None:
    """The two inboxes of a DM (XIP-47 ``DmMembers``), or None for any other conversation."""
    metadata = read_immutable_metadata(extensions)
    if metadata.conversation_type != ConversationType.DM or metadata.dm_members is None:
        return None
    return frozenset({metadata.dm_members.dm_member_one.inbox_id, metadata.dm_members.dm_member_two.inbox_id})


class Conversation:
    """seed "Group protocol": one group (or DM), identified by its group id."""

    def __init__(self, client: ClientContext, group_id: bytes):
        self.client, self.group_id = client, group_id
        self._changing = False  # inside one of our own changes (no leave requests honoured meanwhile)

    # ------------------------------------------------------------------ reading

    def _group(self) -> Group | RestoredGroup:
        """The stored state, for reading only."""
        return self.client.read_group(self.group_id)

    @property
    def created_at_ns(self) -> int:
        """libxmtp crates/xmtp_db/src/encrypted_store/group.rs@a53a97e ``created_at_ns``: when this installation
        stored the group."""
        return self.client.group_row(self.group_id).created_at_ns

    @property
    def epoch(self) -> int:
        """RFC 9420 §8: the group's epoch; 0 for a group restored from a history archive (docs/xmtp-facts.md §9:
        ``RestoredGroup``)."""
        return self._group().epoch

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
        """seed ``is_active``: false once this installation was removed (or while the group is only restored
        from a history archive)."""
        return self.client.group_row(self.group_id).membership_state not in INACTIVE_STATES

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
        """seed ``list_members``: inbox ids with their addresses, installations (profile
        ``members_installations_from_identity``: their inbox's at the group's sequence id) and permission level.
        An inbox at sequence id 0 (a placeholder, no identity state yet) is not listed (libxmtp
        crates/xmtp_mls/src/groups/members.rs@b649d1a ``members``)."""
        group = self._group()
        metadata = read_mutable_metadata(group.context.extensions)
        by_inbox: dict[str, list[bytes]] = {}
        for _, leaf in group.members():
            by_inbox.setdefault(named_inbox(leaf.credential), []).append(leaf.signature_key)
        membership = read_membership(group.context.extensions)
        members = []
        for inbox in sorted(i for i, sequence_id in membership.members.items() if sequence_id != 0):
            state = self.client.identities.state_at(inbox, membership.members[inbox])
            level = ("super_admin" if inbox in metadata.super_admin_list.inbox_ids
                     else "admin" if inbox in metadata.admin_list.inbox_ids else "member")
            installations = state.installations if self.client.config.profile.members_installations_from_identity \
                else by_inbox.get(inbox, [])
            members.append(Member(inbox, tuple(sorted(state.wallets)), tuple(sorted(installations)), level))
        return members

    def stream(self) -> Stream:
        """seed Group ``stream``: this group's new messages, own ones included; syncs automatically."""
        def synced() -> list[StoredMessage]:
            if not self.is_active and self.client.config.profile.inactive_sync_refused:
                return []  # libxmtp: the stream's sync of a group one was removed from fails, and is passed over
            return self.sync_with_conn(return_new=True)
        return group_stream(self.client, self.group_id, synced)

    def find_messages(self, **filters) -> list[StoredMessage]:
        """seed ``find_messages``: sent_after_ns, sent_before_ns, limit, direction, delivery_status, kind; a DM's
        are those of every DM of the same two inboxes (``dm_twins``).

        libxmtp ``find_messages_v2``: expired disappearing messages and DeleteMessage messages are left out, a
        deleted message is shown in place (``disappearing.py``, ``deletion.py``)."""
        store, groups = self.client.store, self.dm_twins()
        rows = store.find_messages(groups, exclude_type_ids=HIDDEN_TYPE_IDS, unexpired_at_ns=self.client.now_ns(),
                                   **filters)
        by_id = {row.id: row for row in rows}
        deletions: dict[bytes, list[MessageDeletionRow]] = {}  # a valid deletion is one of the message's group
        for deletion in store.find_message_deletions(group_id=groups):
            deletions.setdefault(deletion.deleted_message_id, []).append(deletion)
        listed = []
        for message in StoredMessage.listed(rows):
            row = by_id[message.id]
            deletion = next((d for d in deletions.get(message.id, ()) if is_deletion_valid(d, row)), None)
            if deletion is not None:
                by = "sender" if deletion.deleted_by_inbox_id == row.sender_inbox_id else deletion.deleted_by_inbox_id
                message = dataclasses.replace(message, content=EncodedContent(type=DELETED_MESSAGE), deleted_by=by)
            listed.append(message)
        return listed

    def dm_twins(self) -> tuple[bytes, ...]:
        """libxmtp crates/xmtp_db/src/encrypted_store/group_message.rs@b649d1a ``get_group_messages``: this group's
        id; for a DM, the ids of every stored DM between the same two inboxes. Two members who open a DM with each
        other at once make two MLS groups; libxmtp shows their messages as one conversation's (``group_id_filter``
        selects every group of the conversation's ``dm_id``)."""
        pair = _dm_pair(self.extensions)
        if pair is None:
            return (self.group_id,)
        rows = self.client.store.find_groups(conversation_type=ConversationType.DM)
        return tuple(row.id for row in rows if _dm_pair(Conversation(self.client, row.id).extensions) == pair)

    # ------------------------------------------------------------------ sending

    def send(self, text_or_content: str | EncodedContent) -> bytes:
        """seed ``send``: stored Unpublished at once, then published by syncing; returns the message id
        (profile ``installations_checked``: members' installations are checked first)."""
        self._check_can_send()
        self._maybe_update_installations(SEND_MESSAGE_UPDATE_INSTALLATIONS_INTERVAL_NS)
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
        if row.membership_state in INACTIVE_STATES:
            raise Rejected(ClientReason.INACTIVE, self.group_id.hex())
        if row.paused_for_version:
            raise Rejected(ClientReason.PAUSED, row.paused_for_version)

    def delete_message(self, message_id: bytes) -> bytes:
        """XIP-76 (libxmtp groups/mod.rs ``delete_message``, ``deletion.py``): the sender of a message or a super
        admin deletes it; stored Unpublished like ``send_optimistic``, published by the next sync. Returns the id
        of the DeleteMessage."""
        c = self.client
        message = c.store.get_message(message_id)
        check_deletion(message, message_id, self.group_id, c.inbox_id,
                       c.inbox_id in self.group_metadata()["super_admins"],
                       bool(c.store.find_message_deletions(message_id)))
        with c.store.transaction():
            deletion = self.send_optimistic(encode_delete_message(message_id))
            c.store.put_message_deletion(MessageDeletionRow(
                deletion, self.group_id, message_id, c.inbox_id,
                int(message.sender_inbox_id != c.inbox_id), c.now_ns()))
        return deletion

    # ------------------------------------------------------------------ changes (each one intent, one commit)

    def add_members(self, account_addresses: Sequence[str]) -> None:
        """seed ``add_members``: by account address; syncs automatically. libxmtp
        crates/xmtp_mls/src/groups/mod.rs@b649d1a ``add_members_by_identity`` (the same @09d3f023f) looks the
        addresses up, checks the size with the addresses found, and only then refuses an address without an inbox
        (``inbox_ids_to_add``)."""
        self.add_members_by_inbox_id(self.inbox_ids_to_add(account_addresses))

    def inbox_ids_to_add(self, account_addresses: Sequence[str]) -> list[str]:
        """libxmtp crates/xmtp_mls/src/groups/mod.rs@b649d1a ``add_members_by_identity``: the inboxes of the
        addresses, looked up, then (without ``group_size_checked_on_receive``, and only here) the listed members and
        the distinct addresses found, members or not, above ``max_group_size`` refused (``UserLimitExceeded``:
        ``Rejected(GROUP_FULL)``), then an address without an inbox refused (``UNKNOWN_ADDRESS``)."""
        client, profile = self.client, self.client.config.profile
        found = client.find_inbox_ids(account_addresses)
        if not profile.group_size_checked_on_receive and \
                len(self.list_members()) + len(found) > profile.max_group_size:
            raise Rejected(ClientReason.GROUP_FULL, f"more than {profile.max_group_size} members")
        return client.inbox_ids_of(account_addresses, found)

    def add_members_by_inbox_id(self, inbox_ids: Sequence[str]) -> None:
        """seed ``add_members_by_inbox_id``: every installation of every inbox is added; syncs automatically
        (profile ``membership_noops``: not when nothing would change)."""
        if self.client.config.profile.membership_noops and self._membership_current(inbox_ids):
            return
        self._change(IntentKind.UPDATE_GROUP_MEMBERSHIP, {"add": list(inbox_ids), "remove": []})

    def _membership_current(self, inbox_ids: Sequence[str]) -> bool:
        """libxmtp mls_sync.rs ``get_membership_update_intent``@b649d1a is empty: every member and every inbox
        to add is in the group at its latest identity sequence id."""
        members = read_membership(self.extensions).members
        if not set(inbox_ids) <= members.keys():
            return False
        latest = self.client.identities.latest_sequence_ids(members)
        return all(latest[inbox] <= sequence_id for inbox, sequence_id in members.items())

    def remove_members(self, account_addresses: Sequence[str]) -> None:
        """seed ``remove_members``: by account address; syncs automatically."""
        self.remove_members_by_inbox_id(self.client.inbox_ids_of(account_addresses))

    def remove_members_by_inbox_id(self, inbox_ids: Sequence[str]) -> None:
        """seed ``remove_members_by_inbox_id``: every installation of these inboxes leaves; syncs automatically
        (profile ``membership_noops``: non-members and oneself are passed over)."""
        current = read_membership(self.extensions).members
        if self.client.config.profile.membership_noops:
            inbox_ids = [i for i in inbox_ids if i in current and i != self.client.inbox_id]
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

    def update_disappearing_settings(self, from_ns: int, in_ns: int) -> None:
        """libxmtp crates/xmtp_mls/src/groups/mod.rs@b649d1a ``update_conversation_message_disappearing_settings``: two
        metadata commits, from_ns then in_ns."""
        self._change(IntentKind.METADATA_UPDATE, {"attributes": {MESSAGE_DISAPPEAR_FROM_NS: str(from_ns)}})
        self._change(IntentKind.METADATA_UPDATE, {"attributes": {MESSAGE_DISAPPEAR_IN_NS: str(in_ns)}})

    def remove_disappearing_settings(self) -> None:
        """libxmtp crates/xmtp_mls/src/groups/mod.rs@b649d1a ``remove_conversation_message_disappearing_settings``: both
        set to 0 (disabled)."""
        self.update_disappearing_settings(0, 0)

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
        installations, drop revoked ones (profile
        ``installations_checked``: ``maybe_update_installations(0)``, no intent when nothing changed)."""
        if self.client.config.profile.installations_checked:
            self._check_can_send()
            self._maybe_update_installations(0)
        else:
            self._change(IntentKind.UPDATE_GROUP_MEMBERSHIP, {"add": [], "remove": []})

    def _maybe_update_installations(self, interval_ns: int) -> None:
        """libxmtp mls_sync.rs ``maybe_update_installations``@b649d1a (profile ``installations_checked``): when
        the last check is more than ``interval_ns`` old, commit members' new (or revoked) installations if
        any, then note the check."""
        c = self.client
        if not c.config.profile.installations_checked or not self.is_active \
                or c.now_ns() - c.group_row(self.group_id).installations_checked_ns <= interval_ns:
            return
        if not self._membership_current(()):
            self._change(IntentKind.UPDATE_GROUP_MEMBERSHIP, {"add": [], "remove": []})
        c.store.set_installations_checked(self.group_id, c.now_ns())

    def leave(self) -> None:
        """XIP-75 self-removal: a member cannot remove its own leaf (RFC 9420 §12.2), so it sends a
        LeaveRequest; a super admin's client removes the inbox on its next sync, and the transcript
        lists it under ``left_inboxes`` (profile ``leave_checks``: refused where libxmtp refuses it)."""
        c = self.client
        if c.config.profile.leave_checks:
            extensions = self.extensions
            members = read_membership(extensions).members
            if c.inbox_id not in members:
                raise Rejected(ClientReason.NOT_A_MEMBER, c.inbox_id)
            if len(members) == 1 or c.group_row(self.group_id).conversation_type == ConversationType.DM \
                    or c.inbox_id in read_mutable_metadata(extensions).super_admin_list.inbox_ids:
                raise Rejected(ClientReason.LEAVE_FORBIDDEN, "the only member, a DM, or a super admin")
            if c.inbox_id in leave_requesters(c, self.group_id):
                return  # libxmtp is_in_pending_remove: asked already
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
        if kind in (IntentKind.METADATA_UPDATE, IntentKind.UPDATE_ADMIN_LIST, IntentKind.UPDATE_PERMISSION) \
                and self.client.config.profile.dm_metadata_frozen \
                and self.client.group_row(self.group_id).conversation_type == ConversationType.DM:
            raise Rejected(ClientReason.DM_METADATA_FORBIDDEN, self.group_id.hex())
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
                self.sync_with_conn()
            except NetworkError:
                pass  # the intent keeps its state; the next sync tries again
            intent = store.get_intent(intent_id)
            if intent is None or intent.state == IntentState.PROCESSED:
                return
            if intent.state == IntentState.ERROR:
                cause = Rejected.from_chain(json.loads(intent.refusal)) if intent.refusal else None
                raise Rejected(ClientReason.INTENT_FAILED, f"intent {intent_id} ({intent.kind.name})", cause=cause)
        raise Rejected(ClientReason.SYNC_FAILED_TO_WAIT, f"intent {intent_id}")

    # ------------------------------------------------------------------ sync

    def sync(self) -> list[StoredMessage]:
        """seed ``sync``: ``sync_with_conn``, then (profile ``installations_checked``) members' installations
        checked; in the libxmtp profile (``inactive_sync_refused``) a group this installation was removed from
        is refused, and (``dm_stitching``) a DM's twins are synced first."""
        if self.client.config.profile.inactive_sync_refused and not self.is_active:
            raise Rejected(ClientReason.INACTIVE, self.group_id.hex())
        if self.client.config.profile.dm_stitching:  # libxmtp mls_sync.rs@b649d1a ``sync``: the stitched DMs first
            for twin in self.dm_twins():
                if twin != self.group_id:
                    other = Conversation(self.client, twin)
                    other.sync_with_conn()
                    other._maybe_update_installations(SYNC_UPDATE_INSTALLATIONS_INTERVAL_NS)
        received = self.sync_with_conn()
        self._maybe_update_installations(SYNC_UPDATE_INSTALLATIONS_INTERVAL_NS)
        return received

    def sync_with_conn(self, *, return_new: bool = False) -> list[StoredMessage]:
        """libxmtp crates/xmtp_mls/src/groups/mls_sync.rs@b649d1a ``sync_with_conn``: publish pending intents, receive from the cursor, then
        post-commit work; returns what was received when ``return_new``.

        Each step runs even if the one before failed (docs/xmtp-facts.md §5); network
        errors are collected and the first is raised at the end (unless ``return_new``).
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
        # libxmtp DisappearingMessagesWorker (disappearing.py): expired messages are deleted
        self.client.store.delete_expired_messages(self.client.now_ns())
        if errors and not return_new:
            raise errors[0]
        if not self._changing:
            self._honour_leave_requests()
        return received
