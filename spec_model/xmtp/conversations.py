"""seed "Conversations protocol": a client's groups and DMs: creating them, joining from Welcomes, listing, streaming.

Theory of operation
-------------------
``Conversations.sync`` reads the installation's welcome topic (docs/xmtp-facts.md §7.2):
each Welcome is unwrapped (``welcome_wrap.py``), joined, checked against the
identity log and stored; the key package it consumed is replaced. Streams
(``streams.py``) are pull-based: ``poll()`` returns what arrived since the last poll.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from spec_model.mls.codec import DecodeError
from spec_model.mls.group import Group
from spec_model.mls.group_context import Extension
from spec_model.mls.key_package import KeyPackageBundle
from spec_model.mls.member_state import decode_group
from spec_model.mls.message import MLSMessage
from spec_model.mls.reasons import Rejected

from . import api
from .commit_validation import validate_dm_welcome, validate_welcome_membership
from .consent import ConsentState, ConsentType, conversation_entity, on_welcome
from .content import GroupUpdated, Inbox, encode_group_updated, transcript_message_id
from .context import ClientContext, ClientReason
from .conversation import Conversation
from .credential import inbox_of
from .delivery import DeliveryStatus, GroupMessageKind
from .extensions import (
    ConversationType, dm_id, new_dm_metadata, new_dm_mutable_metadata, new_group_membership, new_group_metadata,
    new_group_mutable_metadata, read_immutable_metadata, read_membership,
)
from .groups import XMTP_GROUP_CONFIG, create_group, group_context_extensions
from .messages import StoredMessage
from .network import NetworkError
from .streams import Stream, welcome_stream
from .permissions import Policies, Preset, preset_policies
from .receive import PAGE, pages
from .store import INACTIVE_STATES, CursorKind, GroupRow, MembershipState, MessageRow
from .welcome_pointer import open_pointee, open_pointer
from .welcome_wrap import unwrap_welcome

__all__ = ["Conversations", "AllMessagesStream"]

UNLISTED_TYPE_IDS = frozenset({"markdown", "group_membership_change", "group_updated", "readReceipt", "leave_request",
                               "actions", "intent", "multiRemoteStaticAttachment", "deleteMessage"})
"""libxmtp crates/xmtp_db/src/encrypted_store/group_message.rs@b649d1a ``ContentType`` (read from the type id
alone; an unknown one is 0): the view ``conversation_list`` (migration 2025-11-15-232503 ``up.sql``) counts an
application message as activity for content types 0, 1, 4 and 6–10 only; these type ids are the others."""


class Conversations:
    """seed "Conversations protocol": create_group, sync, list, stream, stream_all_messages."""

    def __init__(self, client: ClientContext):
        self.client = client

    def create_group(self, account_addresses: Sequence[str] = (), *, inbox_ids: Sequence[str] = (),
                     permissions: Preset | Policies = Preset.ALL_MEMBERS, name: str = "", description: str = "",
                     image_url: str = "", pinned_frame_url: str | None = None) -> Conversation:
        """seed ``create_group``: a group with these members (by address or inbox id); syncs automatically. As
        libxmtp's bindings (bindings/node/src/conversations/group.rs@b649d1a ``create_group_by_identity``,
        ``create_group``) the group is created first, then its members added: a refused add leaves the group."""
        c = self.client
        profile = c.config.profile
        policies = preset_policies(permissions, profile) if isinstance(permissions, Preset) else permissions
        text = {"group_name": name, "description": description, "group_image_url_square": image_url}
        if pinned_frame_url is not None:
            text["group_pinned_frame_url"] = pinned_frame_url
        # docs/xmtp-facts.md §3.3: created as {creator: 0}, so the first membership commit adds the creator's other
        # installations too (seed: a one-person group reaches all of that person's installations)
        extensions = group_context_extensions(
            new_group_metadata(c.inbox_id), new_group_mutable_metadata(c.inbox_id, profile=profile, **text),
            new_group_membership(c.inbox_id), policies, profile)
        conversation = self.start(extensions, ConversationType.GROUP)
        addresses = conversation.inbox_ids_to_add(account_addresses) if account_addresses else []
        conversation.add_members_by_inbox_id([*inbox_ids, *addresses])
        return conversation

    def create_dm(self, inbox_id: str) -> Conversation:
        """libxmtp crates/xmtp_mls/src/client.rs@a53a97e ``create_dm`` (docs/xmtp-facts.md §3.1): a two-person
        conversation with the DM preset (profile ``dm_found_by_members``: the pair's stored DM, if there is one)."""
        c = self.client
        profile = c.config.profile
        if profile.dm_found_by_members:
            key = dm_id(new_dm_metadata(c.inbox_id, inbox_id).dm_members)
            stored = sorted((row for row in c.store.find_groups(conversation_type=ConversationType.DM)
                             if row.dm_id == key and row.membership_state != MembershipState.RESTORED),
                            key=lambda row: row.created_at_ns)
            if stored:
                return Conversation(c, stored[-1].id)
        extensions = group_context_extensions(
            new_dm_metadata(c.inbox_id, inbox_id), new_dm_mutable_metadata(profile=profile),
            new_group_membership(c.inbox_id), preset_policies(Preset.DM, profile), profile)
        conversation = self.start(extensions, ConversationType.DM)
        conversation.add_members_by_inbox_id([inbox_id])
        return conversation

    def start(self, extensions: tuple[Extension, ...], conversation_type: ConversationType) -> Conversation:
        """libxmtp crates/xmtp_mls/src/client.rs@a53a97e ``create_group_with_id``: a group of one (this
        installation) with these extensions, stored."""
        c = self.client
        bundle = c.new_key_package().bundle  # the creator's leaf, like one of its key packages
        group = create_group(bundle, extensions, rng=c.rng)
        with c.store.transaction():
            c.save_group(group, GroupRow(group.group_id, c.now_ns(), conversation_type, MembershipState.ALLOWED,
                                         c.inbox_id, b"", _dm_id_of(extensions),
                                         rotated_at_ns=c.now_ns()))  # the creator's key is new
            c.set_consent(ConsentType.CONVERSATION_ID, conversation_entity(group.group_id), ConsentState.ALLOWED)
        return Conversation(c, group.group_id)

    def sync(self) -> list[Conversation]:
        """seed ``sync``: process welcomes; returns the conversations joined."""
        c = self.client
        joined = []
        for welcome in pages(lambda cursor: c.network.query_welcome_messages(api.QueryWelcomeMessagesRequest(
                c.installation_id, api.PagingInfo(api.SortDirection.ASCENDING, PAGE, cursor))),
                start=c.store.get_cursor(c.installation_id, CursorKind.WELCOMES)):
            conversation = self._process_welcome(welcome)
            if conversation is not None:
                joined.append(conversation)
        if joined:
            c.rotate_key_package()
        c.maintain_key_packages()
        return joined

    def _process_welcome(self, message: api.WelcomeMessage) -> Conversation | None:
        """docs/xmtp-facts.md §6: join from a Welcome and check it; a Welcome we cannot use is skipped, never retried."""
        c = self.client
        stored = message.v1 or message.welcome_pointer  # its id and time, whichever the variant
        try:
            data, cursor, bundle = self._open_welcome(message)
            welcome = MLSMessage.decode(data).body
            group = Group.join(welcome, bundle.key_package, bundle.init_priv, bundle.encryption_priv,
                               bundle.signature_priv, config=XMTP_GROUP_CONFIG)
            membership = read_membership(group.context.extensions)
            c.identities.refresh(*membership.members)  # one request (libxmtp welcomes/validated_membership.rs@b649d1a)
            validate_welcome_membership(group.tree, membership, c.identities.state_at)
            adder = inbox_of(group.tree.leaf(group.added_by_leaf).credential)
            metadata = read_immutable_metadata(group.context.extensions)
            if metadata.conversation_type == ConversationType.DM:
                validate_dm_welcome(group.context.extensions, c.inbox_id, adder, c.config.profile)
            if metadata.conversation_type == ConversationType.SYNC and (
                    {metadata.creator_inbox_id, adder} | set(membership.members) != {c.inbox_id}):
                raise Rejected(ClientReason.FOREIGN_SYNC_GROUP, "docs/xmtp-facts.md §9: a sync group holds one inbox only")
        except (Rejected, DecodeError):
            with c.store.transaction():  # a Welcome we cannot use is skipped, never retried
                c.store.advance_cursor(c.installation_id, CursorKind.WELCOMES, stored.id)
            return None
        existing = c.store.get_group(group.group_id)
        if existing is not None and existing.membership_state not in INACTIVE_STATES \
                and decode_group(existing.mls_state).epoch >= group.epoch:
            with c.store.transaction():  # a Welcome sent again (post-commit retried): keep our newer state
                c.store.advance_cursor(c.installation_id, CursorKind.WELCOMES, stored.id)
            return None
        with c.store.transaction():
            c.save_group(group, GroupRow(group.group_id, existing.created_at_ns if existing else stored.created_ns,
                                         metadata.conversation_type, MembershipState.ALLOWED, adder,
                                         b"", _dm_id_of(group.context.extensions),
                                         rotated_at_ns=existing.rotated_at_ns if existing else 0))
            c.store.advance_cursor(group.group_id, CursorKind.COMMITS, cursor)
            c.store.advance_cursor(group.group_id, CursorKind.APPLICATION, cursor)
            c.store.advance_cursor(c.installation_id, CursorKind.WELCOMES, stored.id)
            state = on_welcome(created_by_us=metadata.creator_inbox_id == c.inbox_id)
            if state is not None:
                c.set_consent(ConsentType.CONVERSATION_ID, conversation_entity(group.group_id), state)
            if c.config.profile.welcome_transcript:  # libxmtp welcomes/xmtp_welcome.rs: "added you"
                content = encode_group_updated(GroupUpdated(initiated_by_inbox_id=adder,
                                                            added_inboxes=(Inbox(c.inbox_id),)))
                encoded = content.encode()
                c.store.put_message(MessageRow(
                    transcript_message_id(group.group_id, stored.created_ns, encoded), group.group_id, stored.created_ns,
                    GroupMessageKind.MEMBERSHIP_CHANGE, DeliveryStatus.PUBLISHED, adder, b"",
                    content.type.authority_id, content.type.type_id, str(stored.created_ns), encoded))
        return Conversation(c, group.group_id)

    def _open_welcome(self, message: api.WelcomeMessage) -> tuple[bytes, int, KeyPackageBundle]:
        """docs/xmtp-facts.md §7.3, libxmtp crates/xmtp_mls/src/groups/mls_ext/decrypted_welcome.rs@b649d1a
        ``from_welcome_proto``: (Welcome, message cursor, the key package it names) from a wrapped Welcome or from
        a welcome pointer (XIP-74: the pointee is the first message of the pointer's destination)."""
        c = self.client
        wrapped = message.v1 or message.welcome_pointer
        own = c.key_package_of(wrapped.hpke_public_key)
        if own is None:
            raise Rejected(ClientReason.INVALID_ARGUMENT, "no key package for this welcome")
        if message.v1 is not None:
            data, cursor = unwrap_welcome(own.unwrapping_key(wrapped.wrapper_algorithm), wrapped.data,
                                          wrapped.welcome_metadata, wrapped.wrapper_algorithm, c.config.profile)
            return data, cursor, own.bundle
        pointer = open_pointer(own.unwrapping_key(api.WelcomeWrapperAlgorithm.XWING_MLKEM_768_DRAFT_6), wrapped)
        found = c.network.query_welcome_messages(api.QueryWelcomeMessagesRequest(
            pointer.destination, api.PagingInfo(api.SortDirection.ASCENDING, 1, 0))).messages
        data, cursor = open_pointee(pointer, found[0] if found else None)
        return data, cursor, own.bundle

    def list(self, *, created_after_ns: int | None = None, created_before_ns: int | None = None,
             limit: int | None = None, consent_states: Iterable[ConsentState] | None = None) -> list[Conversation]:
        """seed ``list``: groups and DMs in this database, newest filters as libxmtp's, oldest first. Profile
        ``list_by_activity``: the latest activity first, then the limit.

        Profile ``dm_stitching``: of the DMs of one ``dm_id``, only the one with the latest message is listed, the
        group id breaking a tie (libxmtp crates/xmtp_db/src/encrypted_store/group.rs@b649d1a ``find_groups``
        without ``include_duplicate_dms``: the DMs compared are every stored one, the limit applies after)."""
        store, profile = self.client.store, self.client.config.profile
        hide, by_activity = profile.dm_stitching, profile.list_by_activity
        rows = store.find_groups(created_after_ns=created_after_ns, created_before_ns=created_before_ns,
                                 limit=None if hide or by_activity else limit, consent_states=consent_states)
        if hide:
            newest: dict[str, tuple[int, bytes]] = {}
            for dm in store.find_groups(conversation_type=ConversationType.DM):
                if dm.dm_id is not None:
                    key = (store.last_message_ns(dm.id) or 0, dm.id)
                    newest[dm.dm_id] = max(newest.get(dm.dm_id, key), key)
            rows = [row for row in rows if row.dm_id is None or newest[row.dm_id][1] == row.id]
        if by_activity:
            rows.sort(key=lambda row: _last_activity_ns(store, row), reverse=True)
        return [Conversation(self.client, row.id) for row in rows[:limit]]

    def get(self, group_id: bytes) -> Conversation:
        """libxmtp bindings/wasm/src/conversations.rs@a53a97e ``find_group_by_id``: a stored conversation;
        ``Rejected(UNKNOWN_GROUP)`` otherwise. Profile ``dm_stitching``: a DM's id gives the DM of its ``dm_id``
        whose last message is the latest, the first stored on a tie (libxmtp
        crates/xmtp_db/src/encrypted_store/group/dms.rs@b649d1a ``fetch_stitched``: ``last_message_ns`` DESC)."""
        store = self.client.store
        row = store.get_group(group_id)
        if row is None:
            raise Rejected(ClientReason.UNKNOWN_GROUP, group_id.hex())
        if self.client.config.profile.dm_stitching and row.dm_id is not None:
            pair = [dm for dm in store.find_groups(conversation_type=ConversationType.DM) if dm.dm_id == row.dm_id]
            latest = {dm.id: store.last_message_ns(dm.id) for dm in pair}
            group_id = max(pair, key=lambda dm: (latest[dm.id] is not None, latest[dm.id] or 0)).id
        return Conversation(self.client, group_id)

    def sync_all(self) -> None:
        """libxmtp bindings/mobile/src/mls.rs@a53a97e ``sync_all_conversations``: welcomes, then every group. In the
        libxmtp profile (``sync_all_needing_sync``, crates/xmtp_mls/src/groups/welcome_sync.rs@b649d1a
        ``sync_all_welcomes_and_groups``): only the groups
        with a newer message on the network than their cursor and that this installation is still in, each
        synced and its installations checked; failures are passed over."""
        if not self.client.config.profile.sync_all_needing_sync:
            self.sync()
            for conversation in self.list():
                conversation.sync()
            return
        try:
            self.sync()
        except (NetworkError, Rejected):
            pass  # "sync_welcomes failed, continuing with group sync"
        for conversation in self._needing_sync(self.list()):
            if conversation.is_active:
                try:
                    conversation.sync()
                except (NetworkError, Rejected):
                    pass  # "sync_with_conn failed": counted, not raised

    def _needing_sync(self, conversations: list[Conversation]) -> list[Conversation]:
        """libxmtp crates/xmtp_mls/src/groups/welcome_sync.rs@b649d1a ``filter_groups_needing_sync``: the groups whose newest message on the
        network (GetNewestGroupMessage) is past the local cursor; a group with none is left out."""
        if not conversations:
            return []
        c = self.client
        newest = c.network.get_newest_group_message(api.GetNewestGroupMessageRequest(
            tuple(conversation.group_id for conversation in conversations)))
        return [conversation for conversation, response in zip(conversations, newest.responses)
                if response.group_message is not None and response.group_message.v1.id > max(
                    c.store.get_cursor(conversation.group_id, CursorKind.COMMITS),
                    c.store.get_cursor(conversation.group_id, CursorKind.APPLICATION))]

    def stream(self) -> Stream:
        """seed ``stream``: new conversations as welcomes arrive."""
        return welcome_stream(self.client, self.sync)

    def stream_all_messages(self) -> AllMessagesStream:
        """seed ``stream_all_messages``: every new message of every conversation, joined ones included."""
        return AllMessagesStream(self)


class AllMessagesStream:
    """seed ``stream_all_messages``: each ``poll()`` first joins new conversations (welcomes), then
    returns every message that arrived in any of them since the last poll, own messages included."""

    def __init__(self, conversations: Conversations):
        self.conversations = conversations
        self.streams: dict[bytes, Stream] = {}
        self._watch([c.group_id for c in conversations.list()])

    def _watch(self, group_ids: list[bytes]) -> None:
        for group_id in group_ids:
            if group_id not in self.streams:
                self.streams[group_id] = Conversation(self.conversations.client, group_id).stream()

    def poll(self) -> list[StoredMessage]:
        """seed ``stream_all_messages``: join new conversations, then every message since the last poll. Profile
        ``streams_end_when_dropped``: libxmtp follows every conversation on one subscription, so when one drops the
        whole stream ends."""
        if any(stream.ended for stream in self.streams.values()):
            return []
        try:
            self.conversations.sync()
        except NetworkError:
            pass  # welcomes are read again on the next poll
        self._watch([c.group_id for c in self.conversations.list()])  # joined here or by another sync
        items = []
        for stream in self.streams.values():
            items.extend(stream.poll())
        return items

    def close(self) -> None:
        """seed ``stream_all_messages``: end every stream it follows."""
        for stream in self.streams.values():
            stream.close()


def _dm_id_of(extensions) -> str | None:
    """libxmtp xmtp_db group.rs ``StoredGroup.dm_id``@b649d1a: a DM's ``dm_id``; None for any other conversation."""
    members = read_immutable_metadata(extensions).dm_members
    return dm_id(members) if members is not None else None


def _last_activity_ns(store, row: GroupRow) -> int:
    """libxmtp ``conversation_list``: ``COALESCE`` of the latest listed application message's ``sent_at_ns`` and the
    group's ``created_at_ns``."""
    return next((m.sent_at_ns for m in store.find_messages(row.id, kind=GroupMessageKind.APPLICATION,
                                                           direction="descending")
                 if m.type_id not in UNLISTED_TYPE_IDS), row.created_at_ns)
