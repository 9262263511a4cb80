"""seed "Conversations protocol" and "Group protocol": an XMTP client over the delivery-service model.

Theory of operation
-------------------
A ``Client`` is one installation of one inbox. ``Client.create`` opens (or
creates) its local database — a real SQLite file sealed under the database
key (``store.py``) — and, the first time, registers the inbox and the
installation with the network and uploads a key package (facts §8
"Registration"). Opening the same database again loads that state.

Everything a user does to a group becomes an *intent* in the database
(facts §5): a message to send, a membership change, a metadata, admin or
permission update. ``Conversation.sync`` runs libxmtp's three steps, each in
one database transaction per item so that a crash loses nothing:

1. **publish** every ToPublish intent: build its MLS message (an application
   message, or a commit whose next epoch stays pending), mark it Published
   with the hash of its payload, and send it. A failed send may have been
   stored with its reply lost, so the same bytes go again on the next sync
   (the node drops a copy it holds) and no commit is built twice for one
   epoch; three failed attempts mark it Error and its message Failed
   (``delivery.py`` holds the tables). One commit is in flight at a time;
2. **receive** from the group's cursor in ascending order: our own payloads
   (matched by hash) merge their pending commit or mark their message
   Published with the server's timestamp; a commit of ours overtaken by
   another goes back to ToPublish and is rebuilt on the new epoch, and so
   does a message of ours that comes back 3 or more epochs old; everyone
   else's messages are processed by the MLS group, with every commit checked
   by XMTP's rules (``commit_validation.py``) and stored as a group-updated
   transcript message;
3. **post-commit**: send the Welcomes of merged commits, then mark them Processed.

``Conversations.sync`` reads the installation's welcome topic: each Welcome
is unwrapped (``welcome_wrap.py``), joined, checked against the identity log
and stored; the key package it consumed is replaced.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
from typing import Iterable, Sequence

from spec_model.mls.codec import DecodeError
from spec_model.mls.group import ApplicationMessage as MlsApplication, CommitMessage, Group
from spec_model.mls.key_package import KeyPackage, KeyPackageBundle
from spec_model.mls.member_state import (
    decode_group, decode_key_package_bundle, decode_pending_commit, encode_group, encode_key_package_bundle,
    encode_pending_commit,
)
from spec_model.mls.message import MLSMessage
from spec_model.mls.reasons import Rejected
from spec_model.mls.proposals import Add
from spec_model.mls.suites import Rng, suite

from . import api
from .commit_validation import ValidatedCommit, validate_commit, validate_dm_welcome, validate_welcome_membership
from .consent import ConsentRecord, ConsentState, ConsentType, conversation_entity, on_welcome
from .content import LEAVE_REQUEST, EncodedContent, GroupUpdated, Inbox, decode_text, encode_group_updated, encode_text, \
    message_id, open_envelope, seal_envelope, transcript_message_id
from .credential import Installation, inbox_of
from .delivery import (
    DELIVERY_EVENT_OF, DELIVERY_TRANSITIONS, INTENT_TRANSITIONS, MAX_INTENT_PUBLISH_ATTEMPTS, DeliveryStatus,
    GroupMessageKind, IntentEvent, IntentKind, IntentState, apply,
)
from .extensions import (
    ConversationType, GroupMembership, new_dm_metadata, new_dm_mutable_metadata, new_group_membership,
    new_group_metadata, new_group_mutable_metadata, read_immutable_metadata, read_membership, read_mutable_metadata,
    read_mutable_permissions,
)
from .groups import (
    XMTP_GROUP_CONFIG, admin_lists_proposal, create_group, group_context_extensions, membership_proposals, metadata_proposal,
    permissions_proposal,
)
from .identity import AssociationState, add_installation_update, apply_update, create_inbox_update, decode_update
from .key_package import CIPHER_SUITE, build_key_package, validate_xmtp_key_package
from .network import DeliveryService, NetworkError
from .permissions import Policies, Preset, preset_policies
from .profiles import SEED, Profile
from .store import (
    CursorKind, GroupRow, IdentityRow, KeyPackageRow, MembershipState, MessageRow, RegistrationState, Store,
)
from .wallet import Wallet
from .welcome_wrap import unwrap_welcome, welcome_recipient, wrap_welcome

__all__ = [
    "ClientReason", "ClientConfig", "Client", "Conversations", "Conversation", "Member", "StoredMessage", "Stream",
    "AllMessagesStream",
]

CS = suite(CIPHER_SUITE)
PAGE = 100
"""facts §7.2: libxmtp queries ascending with limit 100 and pages until a short page."""
MAX_SYNCS_TO_RESOLVE = 3
"""facts §5 ``sync_until_intent_resolved``: at most 3 syncs."""
COMMIT_KINDS = tuple(kind for kind in IntentKind if kind != IntentKind.SEND_MESSAGE)
"""The intents that publish a commit."""
GROUP_KEY_ROTATION_INTERVAL_NS = 30 * 24 * 3600 * 10**9
"""libxmtp ``intents/queue.rs``: a leaf key older than this is rotated before the next message (profile
``key_update_before_first_send``)."""


class ClientReason(enum.StrEnum):
    """Why a client refuses a call (seed "Bad input": a typed error naming the problem)."""

    UNKNOWN_GROUP = "unknown_group"              # no such conversation in this database
    NOT_A_MEMBER = "not_a_member"                # the inbox is not in the group
    UNKNOWN_ADDRESS = "unknown_address"          # no inbox is associated with the address
    INACTIVE = "inactive"                        # this installation was removed from the group
    PAUSED = "paused"                            # the group needs a newer protocol version (facts §4.4 step 13)
    SYNC_FAILED_TO_WAIT = "sync_failed_to_wait"  # an intent did not resolve within 3 syncs (facts §5)
    INTENT_FAILED = "intent_failed"              # the intent ended in Error
    INVALID_ARGUMENT = "invalid_argument"        # a malformed argument (e.g. not an inbox id)
    FOREIGN_SYNC_GROUP = "foreign_sync_group"    # facts §9: a sync group Welcome from another inbox


@dataclasses.dataclass(frozen=True)
class ClientConfig:
    """What a client is: its profile (seed or libxmtp), its protocol version and its clock source."""

    profile: Profile = SEED
    version: str = "1.0.0"
    nonce: int = 1
    """The inbox nonce for a new inbox (the node SDK uses 1, facts/observed)."""


@dataclasses.dataclass(frozen=True)
class Member:
    """seed ``list_members``: an inbox with its addresses, installations and permission level."""

    inbox_id: str
    account_addresses: tuple[str, ...]
    installation_ids: tuple[bytes, ...]
    permission_level: str  # "member", "admin" or "super_admin"


@dataclasses.dataclass(frozen=True)
class StoredMessage:
    """seed ``find_messages``: a message as the local database holds it."""

    id: bytes
    group_id: bytes
    sent_at_ns: int
    kind: GroupMessageKind
    delivery_status: DeliveryStatus
    sender_inbox_id: str
    content: EncodedContent

    @property
    def text(self) -> str:
        return decode_text(self.content)


class Identities:
    """facts §8: inboxes' association states, read from the network's identity log and replayed here."""

    def __init__(self, network: DeliveryService):
        self.network = network
        self._logs: dict[str, list[tuple[int, AssociationState]]] = {}

    def refresh(self, *inbox_ids: str) -> None:
        requests = [api.GetIdentityUpdatesRequest.Request(i, self._logs[i][-1][0] if self._logs.get(i) else 0)
                    for i in inbox_ids]
        response = self.network.get_identity_updates(api.GetIdentityUpdatesRequest(tuple(requests)))
        for entry in response.responses:
            log = self._logs.setdefault(entry.inbox_id, [])
            for update in entry.updates:
                state = apply_update(log[-1][1] if log else None, decode_update(update.update))
                log.append((update.sequence_id, state))

    def latest_sequence_id(self, inbox_id: str) -> int:
        self.refresh(inbox_id)
        log = self._logs.get(inbox_id)
        if not log:
            raise Rejected(ClientReason.NOT_A_MEMBER, f"inbox {inbox_id} has no identity updates")
        return log[-1][0]

    def state_at(self, inbox_id: str, sequence_id: int = 0) -> AssociationState:
        """facts §8: The inbox's state after its update ``sequence_id`` (0 = the latest); fetched as needed."""
        if not self._logs.get(inbox_id) or sequence_id == 0 or self._logs[inbox_id][-1][0] < sequence_id:
            self.refresh(inbox_id)
        log = self._logs.get(inbox_id, [])
        chosen = [state for seq, state in log if sequence_id == 0 or seq <= sequence_id]
        if not chosen or (sequence_id and not any(seq == sequence_id for seq, _ in log)):
            raise Rejected(ClientReason.NOT_A_MEMBER, f"inbox {inbox_id} has no update {sequence_id}")
        return chosen[-1]


class Client:
    """seed ``Client.create``: one installation of one inbox, with its local database."""

    def __init__(self, network: DeliveryService, store: Store, path: str, wallet_address: str,
                 installation: Installation, inbox_id: str, config: ClientConfig, rng: Rng | None):
        self.network, self.store, self.path, self.config, self.rng = network, store, path, config, rng
        self.address = wallet_address
        self.installation = installation
        self.inbox_id = inbox_id
        self.identities = Identities(network)
        self.conversations = Conversations(self)

    @property
    def installation_id(self) -> bytes:
        return self.installation.public_key

    def now_ns(self) -> int:
        return self.network.clock.now_ns()

    # ------------------------------------------------------------------ creation

    @classmethod
    def create(cls, wallet: Wallet, db_path: str, db_key: bytes, network: DeliveryService, *,
               config: ClientConfig = ClientConfig(), rng: Rng | None = None) -> "Client":
        """seed "Local database and syncing"; facts §8 "Registration": open the database; register if new.

        A new installation of an existing inbox (found by the wallet's
        address) is added to it, signed by the installation and the wallet.
        """
        store = Store.open(db_path, db_key)
        row = store.get_identity()
        if row is not None and row.registration_state == RegistrationState.REGISTERED:
            return cls(network, store, db_path, row.wallet_address, Installation(row.installation_private_key),
                       row.inbox_id, config, rng)
        installation = Installation.generate(rng)
        client = cls(network, store, db_path, wallet.address, installation, "", config, rng)
        client._register(wallet)
        return client

    def _register(self, wallet: Wallet) -> None:
        lookup = self.network.get_inbox_ids(api.GetInboxIdsRequest((api.GetInboxIdsRequest.Request(wallet.address, 1),)))
        existing = lookup.responses[0].inbox_id if lookup.responses else None
        now = self.now_ns()
        if existing:
            self.inbox_id = existing
            update = add_installation_update(self.identities.state_at(existing), self.installation.private_key,
                                             wallet, now)
        else:
            update = create_inbox_update(wallet, self.config.nonce, now, self.installation.private_key)
            self.inbox_id = update.inbox_id
        bundle = self._new_key_package()
        self.network.upload_key_package(api.UploadKeyPackageRequest(
            api.KeyPackageUpload(bundle.key_package.encode()), is_inbox_id_credential=True))
        self.network.publish_identity_update(api.PublishIdentityUpdateRequest(update.encode()))
        with self.store.transaction():
            self.store.put_identity(IdentityRow(self.inbox_id, self.installation.private_key, wallet.address,
                                                RegistrationState.REGISTERED))
            self._keep_key_package(bundle)

    def _new_key_package(self) -> KeyPackageBundle:
        return build_key_package(self.installation, self.inbox_id, self.now_ns() // 10**9, self.rng)

    def _keep_key_package(self, bundle: KeyPackageBundle) -> None:
        ref = bundle.key_package.ref(CS)
        self.store.put_key_package(KeyPackageRow(ref, bundle.key_package.init_key, encode_key_package_bundle(bundle),
                                                 self.now_ns()))

    def rotate_key_package(self) -> None:
        """seed: "XMTP will rotate the key package when a new welcome message is received"."""
        bundle = self._new_key_package()
        with self.store.transaction():  # kept first: an upload whose reply is lost still took effect
            self._keep_key_package(bundle)
        self.network.upload_key_package(api.UploadKeyPackageRequest(
            api.KeyPackageUpload(bundle.key_package.encode()), is_inbox_id_credential=True))

    def delete_local_database(self) -> None:
        """seed ``Client.deleteLocalDatabase()``."""
        self.store.close()
        Store.delete(self.path)

    def close(self) -> None:
        self.store.close()

    # ------------------------------------------------------------------ consent (facts §10)

    def set_consent(self, entity_type: ConsentType, entity: str, state: ConsentState) -> None:
        self.store.put_consent(ConsentRecord(entity_type, state, entity, self.now_ns()))

    def consent_state(self, entity_type: ConsentType, entity: str) -> ConsentState:
        record = self.store.get_consent(entity_type, entity)
        return record.state if record else ConsentState.UNKNOWN

    def is_inbox_id_allowed(self, inbox_id: str) -> bool:
        return self.consent_state(ConsentType.INBOX_ID, inbox_id) == ConsentState.ALLOWED

    def is_inbox_id_denied(self, inbox_id: str) -> bool:
        return self.consent_state(ConsentType.INBOX_ID, inbox_id) == ConsentState.DENIED

    # ------------------------------------------------------------------ lookups

    def inbox_ids_of(self, addresses: Iterable[str]) -> list[str]:
        """facts §7.4 GetInboxIds: every address must belong to an inbox."""
        addresses = [a.lower() for a in addresses]
        response = self.network.get_inbox_ids(api.GetInboxIdsRequest(
            tuple(api.GetInboxIdsRequest.Request(a, 1) for a in addresses)))
        found = {r.identifier: r.inbox_id for r in response.responses}
        missing = [a for a in addresses if not found.get(a)]
        if missing:
            raise Rejected(ClientReason.UNKNOWN_ADDRESS, ", ".join(missing))
        return [found[a] for a in addresses]

    def _key_package_of(self, init_key: bytes) -> KeyPackageBundle | None:
        row = self.store.find_key_package_by_init_key(init_key)
        return decode_key_package_bundle(row.private_keys) if row else None

    # ------------------------------------------------------------------ history sync (facts §9, history_sync.py)

    def request_history_sync(self, **options) -> str:
        """facts §9: ask the user's other installations for history (``history_sync.request_history_sync``)."""
        from .history_sync import request_history_sync
        return request_history_sync(self, **options)

    def process_history_sync(self):
        """facts §9: answer requests and import replies in the sync groups (``history_sync.process_history_sync``)."""
        from .history_sync import process_history_sync
        return process_history_sync(self)


class Conversations:
    """seed "Conversations protocol": create_group, sync, list, stream, stream_all_messages."""

    def __init__(self, client: Client):
        self.client = client

    def create_group(self, account_addresses: Sequence[str] = (), *, inbox_ids: Sequence[str] = (),
                     permissions: Preset | Policies = Preset.ALL_MEMBERS, name: str = "", description: str = "",
                     image_url: str = "", pinned_frame_url: str | None = None) -> "Conversation":
        """seed ``create_group``: a group with these members (by address or inbox id); syncs automatically."""
        c = self.client
        members = list(inbox_ids) + (c.inbox_ids_of(account_addresses) if account_addresses else [])
        profile = c.config.profile
        policies = preset_policies(permissions, profile) if isinstance(permissions, Preset) else permissions
        text = {"group_name": name, "description": description, "group_image_url_square": image_url}
        if pinned_frame_url is not None:
            text["group_pinned_frame_url"] = pinned_frame_url
        # facts §3.3: created as {creator: 0}, so the first membership commit adds the creator's other
        # installations too (seed: a one-person group reaches all of that person's installations)
        extensions = group_context_extensions(
            new_group_metadata(c.inbox_id), new_group_mutable_metadata(c.inbox_id, profile=profile, **text),
            new_group_membership(c.inbox_id), policies, profile)
        conversation = self._start(extensions, ConversationType.GROUP)
        conversation.add_members_by_inbox_id(members)
        return conversation

    def create_dm(self, inbox_id: str) -> "Conversation":
        """libxmtp ``create_dm`` (facts §3.1): a two-person conversation with the DM preset."""
        c = self.client
        profile = c.config.profile
        extensions = group_context_extensions(
            new_dm_metadata(c.inbox_id, inbox_id), new_dm_mutable_metadata(profile=profile),
            new_group_membership(c.inbox_id), preset_policies(Preset.DM, profile), profile)
        conversation = self._start(extensions, ConversationType.DM)
        conversation.add_members_by_inbox_id([inbox_id])
        return conversation

    def _start(self, extensions, conversation_type: ConversationType) -> "Conversation":
        c = self.client
        bundle = c._new_key_package()  # the creator's leaf, like one of its key packages
        group = create_group(bundle, extensions, rng=c.rng)
        with c.store.transaction():
            c.store.put_group(GroupRow(group.group_id, c.now_ns(), conversation_type, MembershipState.ALLOWED,
                                       c.inbox_id, encode_group(group),
                                       rotated_at_ns=c.now_ns()))  # the creator's key is new
            c.set_consent(ConsentType.CONVERSATION_ID, conversation_entity(group.group_id), ConsentState.ALLOWED)
        return Conversation(c, group.group_id)

    def sync(self) -> list["Conversation"]:
        """seed ``sync``: process welcomes; returns the conversations joined."""
        c = self.client
        joined = []
        for welcome in _pages(lambda cursor: c.network.query_welcome_messages(api.QueryWelcomeMessagesRequest(
                c.installation_id, api.PagingInfo(api.SortDirection.ASCENDING, PAGE, cursor))),
                start=c.store.get_cursor(c.installation_id, CursorKind.WELCOMES)):
            conversation = self._process_welcome(welcome)
            if conversation is not None:
                joined.append(conversation)
        if joined:
            c.rotate_key_package()
        return joined

    def _process_welcome(self, message: api.WelcomeMessage) -> "Conversation | None":
        c = self.client
        v1 = message.v1
        try:
            bundle = c._key_package_of(v1.hpke_public_key) if v1 is not None else None
            if bundle is None:
                raise Rejected(ClientReason.INVALID_ARGUMENT, "no key package for this welcome")
            data, cursor = unwrap_welcome(bundle.init_priv, v1.data, v1.welcome_metadata, v1.wrapper_algorithm)
            welcome = MLSMessage.decode(data).body
            group = Group.join(welcome, bundle.key_package, bundle.init_priv, bundle.encryption_priv,
                               bundle.signature_priv, config=XMTP_GROUP_CONFIG)
            membership = read_membership(group.context.extensions)
            validate_welcome_membership(group.tree, membership, c.identities.state_at)
            adder = inbox_of(group.tree.leaf(group.added_by_leaf).credential)
            metadata = read_immutable_metadata(group.context.extensions)
            if metadata.conversation_type == ConversationType.DM:
                validate_dm_welcome(group.context.extensions, c.inbox_id, adder, c.config.profile)
            if metadata.conversation_type == ConversationType.SYNC and (
                    {metadata.creator_inbox_id, adder} | set(membership.members) != {c.inbox_id}):
                raise Rejected(ClientReason.FOREIGN_SYNC_GROUP, "facts §9: a sync group holds one inbox only")
        except (Rejected, DecodeError):
            with c.store.transaction():  # a Welcome we cannot use is skipped, never retried
                c.store.advance_cursor(c.installation_id, CursorKind.WELCOMES, v1.id if v1 else message.welcome_pointer.id)
            return None
        existing = c.store.get_group(group.group_id)
        if existing is not None and existing.membership_state != MembershipState.REJECTED \
                and decode_group(existing.mls_state).epoch >= group.epoch:
            with c.store.transaction():  # a Welcome sent again (post-commit retried): keep our newer state
                c.store.advance_cursor(c.installation_id, CursorKind.WELCOMES, v1.id)
            return None
        with c.store.transaction():
            c.store.put_group(GroupRow(group.group_id, existing.created_at_ns if existing else v1.created_ns,
                                       metadata.conversation_type, MembershipState.ALLOWED, adder,
                                       encode_group(group), rotated_at_ns=existing.rotated_at_ns if existing else 0))
            c.store.advance_cursor(group.group_id, CursorKind.COMMITS, cursor)
            c.store.advance_cursor(group.group_id, CursorKind.APPLICATION, cursor)
            c.store.advance_cursor(c.installation_id, CursorKind.WELCOMES, v1.id)
            state = on_welcome(created_by_us=metadata.creator_inbox_id == c.inbox_id)
            if state is not None:
                c.set_consent(ConsentType.CONVERSATION_ID, conversation_entity(group.group_id), state)
            if c.config.profile.welcome_transcript:  # libxmtp welcomes/xmtp_welcome.rs: "added you"
                content = encode_group_updated(GroupUpdated(initiated_by_inbox_id=adder,
                                                            added_inboxes=(Inbox(c.inbox_id),)))
                encoded = content.encode()
                c.store.put_message(MessageRow(
                    transcript_message_id(group.group_id, v1.created_ns, encoded), group.group_id, v1.created_ns,
                    GroupMessageKind.MEMBERSHIP_CHANGE, DeliveryStatus.PUBLISHED, adder, b"",
                    content.type.authority_id, content.type.type_id, str(v1.created_ns), encoded))
        return Conversation(c, group.group_id)

    def list(self, *, created_after_ns: int | None = None, created_before_ns: int | None = None,
             limit: int | None = None, consent_states: Iterable[ConsentState] | None = None) -> list["Conversation"]:
        """seed ``list``: groups and DMs in this database, newest filters as libxmtp's."""
        rows = self.client.store.find_groups(created_after_ns=created_after_ns, created_before_ns=created_before_ns,
                                             limit=limit, consent_states=consent_states)
        return [Conversation(self.client, row.id) for row in rows]

    def get(self, group_id: bytes) -> "Conversation":
        if self.client.store.get_group(group_id) is None:
            raise Rejected(ClientReason.UNKNOWN_GROUP, group_id.hex())
        return Conversation(self.client, group_id)

    def sync_all(self) -> None:
        """libxmtp ``sync_all_conversations``: welcomes, then every group."""
        self.sync()
        for conversation in self.list():
            conversation.sync()

    def stream(self) -> "Stream":
        """seed ``stream``: new conversations as welcomes arrive."""
        subscription = self.client.network.subscribe_welcome_messages(api.SubscribeWelcomeMessagesRequest(
            (api.SubscribeWelcomeMessagesRequest.Filter(
                self.client.installation_id, self.client.store.get_cursor(self.client.installation_id,
                                                                          CursorKind.WELCOMES)),)))
        return Stream(subscription, lambda _: self.sync())

    def stream_all_messages(self) -> "AllMessagesStream":
        """seed ``stream_all_messages``: every new message of every conversation, joined ones included."""
        return AllMessagesStream(self)


class Stream:
    """seed ``stream``: A pull-based stream: ``poll()`` returns what arrived since the last poll, in order."""

    def __init__(self, subscription, on_envelope):
        self.subscription, self.on_envelope = subscription, on_envelope

    def poll(self) -> list:
        items = []
        for envelope in self.subscription.poll():
            items.extend(self.on_envelope(envelope))
        return items

    def close(self) -> None:
        self.subscription.close()


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
                self.streams[group_id] = _group_stream(self.conversations.client, [group_id])

    def poll(self) -> list[StoredMessage]:
        self._watch([c.group_id for c in self.conversations.sync()])
        items = []
        for stream in self.streams.values():
            items.extend(stream.poll())
        return items

    def close(self) -> None:
        for stream in self.streams.values():
            stream.close()


def _group_stream(client: Client, group_ids: list[bytes]) -> Stream:
    filters = tuple(api.SubscribeGroupMessagesRequest.Filter(g, client.store.get_cursor(g, CursorKind.APPLICATION))
                    for g in group_ids)
    subscription = client.network.subscribe_group_messages(api.SubscribeGroupMessagesRequest(filters))

    def on_envelope(envelope) -> list[StoredMessage]:
        return Conversation(client, envelope.v1.group_id).sync(return_new=True)
    return Stream(subscription, on_envelope)


def _pages(query, start: int) -> Iterable:
    """facts §7.2: the envelopes of every page from ``start``, in order."""
    for page in _page_lists(query, start):
        yield from page


def _page_lists(query, start: int) -> Iterable[list]:
    """facts §7.2: the ascending pages themselves (at most 100 envelopes each), until a short page."""
    cursor = start
    while True:
        messages = list(query(cursor).messages)
        if messages:
            yield messages
        if len(messages) < PAGE:
            return
        cursor = _envelope_id(messages[-1])


def _envelope_id(message) -> int:
    """The server id of a GroupMessage or WelcomeMessage (either version)."""
    version = message.v1 if message.v1 is not None else message.welcome_pointer
    return version.id


class Conversation:
    """seed "Group protocol": one group (or DM), identified by its group id."""

    def __init__(self, client: Client, group_id: bytes):
        self.client, self.group_id = client, group_id
        self._changing = False  # inside one of our own changes (no leave requests honoured meanwhile)

    # ------------------------------------------------------------------ reading

    def _row(self) -> GroupRow:
        row = self.client.store.get_group(self.group_id)
        if row is None:
            raise Rejected(ClientReason.UNKNOWN_GROUP, self.group_id.hex())
        return row

    def _group(self) -> Group:
        from .history_sync import load_group_state
        return load_group_state(self._row().mls_state)

    @property
    def created_at_ns(self) -> int:
        return self._row().created_at_ns

    @property
    def epoch(self) -> int | None:
        """RFC 9420 §8: the group's epoch; ``None`` for a group restored from a history archive (facts §9:
        no MLS state)."""
        group = self._group()
        return group.epoch if isinstance(group, Group) else None

    @property
    def is_active(self) -> bool:
        """seed ``is_active``: false once this installation was removed."""
        return self._row().membership_state != MembershipState.REJECTED

    @property
    def added_by_inbox_id(self) -> str:
        return self._row().added_by_inbox_id

    def group_metadata(self) -> dict:
        """seed ``group_metadata``: conversation type, creator, name and other attributes, admins, policies."""
        extensions = self._group().context.extensions
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
        rows = self.client.store.find_messages(self.group_id, **filters)
        return [_stored(row) for row in rows]

    # ------------------------------------------------------------------ sending

    def send(self, text_or_content: str | EncodedContent) -> bytes:
        """seed ``send``: stored Unpublished at once, then published by syncing; returns the message id."""
        message_id = self.send_optimistic(text_or_content)
        self._sync_until_resolved()
        return message_id

    def send_optimistic(self, text_or_content: str | EncodedContent) -> bytes:
        """libxmtp ``send_message_optimistic``: store Unpublished and queue the intent; publish on the next sync."""
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
        rotated = self._row().rotated_at_ns
        if c.config.profile.key_update_before_first_send and c.now_ns() - rotated >= GROUP_KEY_ROTATION_INTERVAL_NS:
            c.store.add_intent(self.group_id, IntentKind.KEY_UPDATE, b"{}")
            c.store.set_group_rotated_at(self.group_id, c.now_ns())

    def _check_can_send(self) -> None:
        row = self._row()
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
        self.remove_members_by_inbox_id(self.client.inbox_ids_of(account_addresses))

    def remove_members_by_inbox_id(self, inbox_ids: Sequence[str]) -> None:
        """seed ``remove_members_by_inbox_id``: every installation of these inboxes leaves; syncs automatically."""
        current = read_membership(self._group().context.extensions).members
        missing = [i for i in inbox_ids if i not in current]
        if missing:
            raise Rejected(ClientReason.NOT_A_MEMBER, ", ".join(missing))
        self._change(IntentKind.UPDATE_GROUP_MEMBERSHIP, {"add": [], "remove": list(inbox_ids)})

    def update_name(self, name: str) -> None:
        self._change(IntentKind.METADATA_UPDATE, {"attributes": {"group_name": name}})

    def update_description(self, description: str) -> None:
        self._change(IntentKind.METADATA_UPDATE, {"attributes": {"description": description}})

    def update_image_url(self, url: str) -> None:
        self._change(IntentKind.METADATA_UPDATE, {"attributes": {"group_image_url_square": url}})

    def update_pinned_frame_url(self, url: str) -> None:
        """seed "Pin messages" (profile seed: the ``group_pinned_frame_url`` attribute)."""
        self._change(IntentKind.METADATA_UPDATE, {"attributes": {"group_pinned_frame_url": url}})

    def add_admin(self, inbox_id: str) -> None:
        self._change(IntentKind.UPDATE_ADMIN_LIST, {"list": "admin", "add": inbox_id})

    def remove_admin(self, inbox_id: str) -> None:
        self._change(IntentKind.UPDATE_ADMIN_LIST, {"list": "admin", "remove": inbox_id})

    def add_super_admin(self, inbox_id: str) -> None:
        self._change(IntentKind.UPDATE_ADMIN_LIST, {"list": "super_admin", "add": inbox_id})

    def remove_super_admin(self, inbox_id: str) -> None:
        self._change(IntentKind.UPDATE_ADMIN_LIST, {"list": "super_admin", "remove": inbox_id})

    def update_permissions(self, policies: Policies) -> None:
        """XIP-47: replace the policy set (only super admins may)."""
        self._change(IntentKind.UPDATE_PERMISSION,
                     {"policies": policies.to_proto(self.client.config.profile).encode().hex()})

    def update_installations(self) -> None:
        """libxmtp ``update_installations``: add members' new installations, drop revoked ones."""
        self._change(IntentKind.UPDATE_GROUP_MEMBERSHIP, {"add": [], "remove": []})

    def leave(self) -> None:
        """XIP-75 self-removal: a member cannot remove its own leaf (RFC 9420 §12.2), so it sends a
        LeaveRequest; a super admin's client removes the inbox on its next sync, and the transcript
        lists it under ``left_inboxes``."""
        self.send(EncodedContent(LEAVE_REQUEST, {}, None, b""))

    def _honour_leave_requests(self) -> None:
        """XIP-75: a super admin removes every member whose LeaveRequest it has received."""
        c = self.client
        metadata = read_mutable_metadata(self._group().context.extensions)
        if c.inbox_id not in metadata.super_admin_list.inbox_ids:
            return
        members = read_membership(self._group().context.extensions).members
        leaving = sorted({m.sender_inbox_id for m in self.find_messages()
                          if (m.content.type.authority_id, m.content.type.type_id) == (LEAVE_REQUEST.authority_id,
                                                                                        LEAVE_REQUEST.type_id)
                          and m.sender_inbox_id in members and m.sender_inbox_id != c.inbox_id})
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
        """facts §5 ``sync_until_intent_resolved``: up to 3 syncs until the intent is Processed."""
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

        Each step runs even if the one before failed (facts §5); network
        errors are collected and the first is raised at the end.
        """
        errors, received = [], []
        for step in (self._publish_intents, self._receive, self._post_commit):
            try:
                result = step()
            except NetworkError as e:
                errors.append(e)
                continue
            if step == self._receive:
                received = result
        if errors and not return_new:
            raise errors[0]
        if not self._changing:
            self._honour_leave_requests()
        return received

    def _publish_intents(self) -> None:
        c = self.client
        for intent in c.store.find_intents(self.group_id, states=[IntentState.PUBLISHED]):
            if intent.unsent_payload is not None:  # its send failed (or never ran): the same bytes again
                self._send(intent, intent.unsent_payload)
        for intent in c.store.find_intents(self.group_id, states=[IntentState.TO_PUBLISH]):
            if intent.kind != IntentKind.SEND_MESSAGE and c.store.find_intents(
                    self.group_id, states=[IntentState.PUBLISHED], kinds=COMMIT_KINDS):
                return  # a commit of ours is in flight: one commit at a time (facts §5)
            group = self._group()
            try:
                payload = self._build(group, intent)
            except Rejected as e:  # kept, so that the caller learns which rule refused the change
                c.store.set_intent_data(intent.id, refusal=f"{e.reason}: {e.detail}")
                self._failed_attempt(intent, IntentEvent.BUILD_FAILED)
                continue
            if payload is None:  # nothing to change
                with c.store.transaction():
                    self._move(intent.id, IntentEvent.NO_CHANGE)
                continue
            data = payload.encode()
            apply(INTENT_TRANSITIONS, intent.state, IntentEvent.PUBLISHED)
            with c.store.transaction():
                self._save(group)
                pending = group.pending_commit if intent.kind != IntentKind.SEND_MESSAGE else None
                c.store.set_intent_published(  # a commit keeps the next epoch it would start
                    intent.id, payload_hash=hashlib.sha256(data).digest(), published_in_epoch=group.epoch,
                    unsent_payload=data, staged_commit=encode_pending_commit(pending) if pending else None)
            self._send(intent, data)
            if intent.kind != IntentKind.SEND_MESSAGE:
                return  # one commit at a time (facts §5)

    def _send(self, intent, data: bytes) -> None:
        """facts §5 SendGroupMessages for a Published intent. A failed send may still have been stored (its
        reply lost), so the intent stays Published and the same bytes go again on the next sync (the node
        ignores a copy it already holds, facts §7.2): a commit is never built twice for one epoch. The third
        failure ends it in Error (its message Failed)."""
        c = self.client
        try:
            c.network.send_group_messages(api.SendGroupMessagesRequest((api.GroupMessageInput(
                api.GroupMessageInput.V1(data, b"", intent.kind == IntentKind.SEND_MESSAGE)),)))
        except NetworkError:
            self._failed_attempt(intent, IntentEvent.SEND_FAILED)
            raise
        c.store.set_intent_data(intent.id, unsent_payload=None)

    def _failed_attempt(self, intent, event: IntentEvent) -> None:
        """facts §5: count a failed build or send; the third one is final (Error, its message Failed)."""
        store = self.client.store
        with store.transaction():
            if store.increment_intent_publish_attempts(intent.id) >= MAX_INTENT_PUBLISH_ATTEMPTS:
                final = {IntentEvent.BUILD_FAILED: IntentEvent.BUILD_FAILED_FINAL,
                         IntentEvent.SEND_FAILED: IntentEvent.SEND_FAILED_FINAL}[event]
                self._move(intent.id, final)  # a commit's staged commit stays: see _process_envelope
                store.set_intent_data(intent.id, unsent_payload=None)
            else:
                self._move(intent.id, event)

    def _move(self, intent_id: int, event: IntentEvent) -> IntentState:
        """facts §5: move an intent (and its message) through ``delivery.py``'s table; the store records it."""
        store = self.client.store
        intent = store.get_intent(intent_id)
        state = apply(INTENT_TRANSITIONS, intent.state, event)
        if state == IntentState.ERROR:
            store.fail_intent(intent_id)  # its message, if any, becomes Failed (DELIVERY_EVENT_OF)
        elif state == IntentState.PUBLISHED and intent.state == IntentState.ERROR:
            store.set_intent_published(intent_id, payload_hash=intent.payload_hash,
                                       published_in_epoch=intent.published_in_epoch,
                                       staged_commit=intent.staged_commit)
        elif state != intent.state:
            store.set_intent_state(intent_id, state)
        return state

    def _build(self, group: Group, intent) -> MLSMessage | None:
        """The MLS message an intent publishes (libxmtp ``get_publish_intent_data``)."""
        c = self.client
        if intent.kind == IntentKind.SEND_MESSAGE:
            return group.send_application(intent.payload, rng=c.rng)
        payload = json.loads(intent.payload)
        if intent.kind == IntentKind.UPDATE_GROUP_MEMBERSHIP:
            proposals = self._membership_proposals(group, payload["add"], payload["remove"])
            if proposals is None:
                return None
        elif intent.kind == IntentKind.METADATA_UPDATE:
            proposals = (metadata_proposal(group, payload["attributes"]),)
        elif intent.kind == IntentKind.UPDATE_ADMIN_LIST:
            metadata = read_mutable_metadata(group.context.extensions)
            current = list((metadata.admin_list if payload["list"] == "admin" else metadata.super_admin_list).inbox_ids)
            if "add" in payload and payload["add"] not in current:
                current.append(payload["add"])
            if "remove" in payload and payload["remove"] in current:
                current.remove(payload["remove"])
            lists = {"admins": tuple(current)} if payload["list"] == "admin" else {"super_admins": tuple(current)}
            proposals = (admin_lists_proposal(group, **lists),)
        elif intent.kind == IntentKind.UPDATE_PERMISSION:
            from .extensions import GroupMutablePermissionsV1
            policies = Policies.from_proto(GroupMutablePermissionsV1.decode(bytes.fromhex(payload["policies"])),
                                           c.config.profile)
            proposals = (permissions_proposal(group, policies, c.config.profile),)
        else:  # KEY_UPDATE
            proposals = ()
        pending = group.commit(proposals, private=True, rng=c.rng)
        validate_commit(pending.staged, c.identities.state_at, own_version=c.config.version,
                        profile=c.config.profile)
        return pending.message

    def _membership_proposals(self, group: Group, add: list[str], remove: list[str]):
        """facts §5 "Membership change": the new 0xFF01 from the latest sequence ids; key packages for every
        expected new installation (not our own); failures go to failed_installations."""
        c = self.client
        old = read_membership(group.context.extensions)
        inboxes = (set(old.members) | set(add)) - set(remove)
        members = {inbox: c.identities.latest_sequence_id(inbox) for inbox in sorted(inboxes)}
        in_tree = {leaf.signature_key for _, leaf in group.members()}
        expected = {key: inbox for inbox in inboxes for key in c.identities.state_at(inbox, members[inbox]).installations}
        new_keys = [key for key in expected if key not in in_tree and key != c.installation_id]
        fetched = c.network.fetch_key_packages(api.FetchKeyPackagesRequest(tuple(new_keys))) if new_keys else None
        key_packages, failed = [], set(old.failed_installations)
        for key, entry in zip(new_keys, fetched.key_packages if fetched else ()):
            try:
                kp = KeyPackage.decode(entry.key_package_tls_serialized)
                validate_xmtp_key_package(kp, c.now_ns() // 10**9, c.identities.state_at)
                if kp.leaf_node.signature_key != key:
                    raise Rejected(ClientReason.INVALID_ARGUMENT, "key package of another installation")
                key_packages.append(kp)
                failed.discard(key)
            except (DecodeError, Rejected):
                failed.add(key)
        # revoked installations and removed inboxes leave; a member never removes itself (RFC 9420 §12.2)
        removed = frozenset(key for key in in_tree if key not in expected and key != c.installation_id)
        new = GroupMembership(members=members, failed_installations=tuple(sorted(failed)))
        if not key_packages and not removed and new == old:
            return None
        for kp in key_packages:  # libxmtp Installation::from_verified_key_package: an unusable 0xFF03 fails the change
            welcome_recipient(kp)
        return membership_proposals(group, tuple(key_packages), removed, new)

    def _receive(self) -> list[StoredMessage]:
        """facts §5 "receive": each page of envelopes from the cursor, processed in order in one transaction."""
        c = self.client
        new = []
        start = min(c.store.get_cursor(self.group_id, CursorKind.COMMITS),
                    c.store.get_cursor(self.group_id, CursorKind.APPLICATION))
        for page in _page_lists(lambda cursor: c.network.query_group_messages(api.QueryGroupMessagesRequest(
                self.group_id, api.PagingInfo(api.SortDirection.ASCENDING, PAGE, cursor))), start=start):
            with c.store.transaction():
                group = self._group()
                for envelope in page:
                    v1 = envelope.v1
                    if v1.id <= start:
                        continue  # a duplicate the network returned again
                    new.extend(self._process_envelope(group, v1))
                    start = v1.id
                self._save(group)
                c.store.advance_cursor(self.group_id, CursorKind.COMMITS, start)
                c.store.advance_cursor(self.group_id, CursorKind.APPLICATION, start)
        return new

    def _process_envelope(self, group: Group, v1) -> list[StoredMessage]:
        """One envelope of the group topic (facts §5 "receive"); the caller saves ``group``."""
        c = self.client
        intent = c.store.find_intent_by_payload_hash(hashlib.sha256(v1.data).digest())
        if intent is not None and intent.state == IntentState.ERROR and intent.staged_commit is not None:
            # every send of this commit failed, but a lost reply hid that one was stored: it landed after all
            self._move(intent.id, IntentEvent.LANDED_AFTER_ALL)
            intent = c.store.get_intent(intent.id)
        if intent is not None and intent.state == IntentState.PUBLISHED:
            return self._own_envelope(group, intent, v1)
        try:
            result = group.process(MLSMessage.decode(v1.data), commit_policy=self._validate)
        except (Rejected, DecodeError):
            return []  # not for us to read (an epoch before we joined, a refused commit): skipped, cursor moves
        stored = []
        if isinstance(result, MlsApplication):
            opened = open_envelope(self.group_id, result.data)
            if opened is not None:
                content = EncodedContent.decode(opened.encoded_content)
                sender = group.tree.leaf(result.sender) if result.sender < group.tree.n_leaves else None
                row = MessageRow(opened.id, self.group_id, v1.created_ns, GroupMessageKind.APPLICATION,
                                 DeliveryStatus.PUBLISHED, inbox_of(sender.credential) if sender else "",
                                 sender.signature_key if sender else b"", content.type.authority_id,
                                 content.type.type_id, opened.idempotency_key, opened.encoded_content)
                c.store.put_message(row)
                stored.append(_stored(row))
        elif isinstance(result, CommitMessage):
            stored += self._after_commit(group, v1)
        return stored

    def _validate(self, staged) -> None:
        c = self.client
        self._last_validated = validate_commit(staged, c.identities.state_at, own_version=c.config.version,
                                               profile=c.config.profile)

    def _after_commit(self, group: Group, v1) -> list[StoredMessage]:
        c = self.client
        stored = []
        validated: ValidatedCommit = self._last_validated
        if not validated.is_empty:
            update = validated.group_updated()
            left = {m.sender_inbox_id for m in self.find_messages()
                    if (m.content.type.authority_id, m.content.type.type_id) == (LEAVE_REQUEST.authority_id,
                                                                                  LEAVE_REQUEST.type_id)}
            if left & set(validated.removed_inboxes):  # XIP-75: those who asked to leave "left"
                update = dataclasses.replace(
                    update, removed_inboxes=tuple(i for i in update.removed_inboxes if i.inbox_id not in left),
                    left_inboxes=tuple(i for i in update.removed_inboxes if i.inbox_id in left))
            content = encode_group_updated(update)
            encoded = content.encode()
            row = MessageRow(transcript_message_id(self.group_id, v1.created_ns, encoded), self.group_id,
                             v1.created_ns, GroupMessageKind.MEMBERSHIP_CHANGE, DeliveryStatus.PUBLISHED,
                             validated.actor_inbox_id, b"", content.type.authority_id, content.type.type_id,
                             str(v1.created_ns), encoded)
            c.store.put_message(row)
            stored.append(_stored(row))
        if not group.active:
            c.store.set_membership_state(self.group_id, MembershipState.REJECTED)
        return stored

    def _own_envelope(self, group: Group, intent, v1) -> list[StoredMessage]:
        c = self.client
        c.store.set_intent_data(intent.id, unsent_payload=None)  # stored after all
        if intent.kind == IntentKind.SEND_MESSAGE:
            if intent.published_in_epoch + group.config.max_past_epochs <= group.epoch:
                self._move(intent.id, IntentEvent.OWN_MESSAGE_STALE)  # facts §5: too old, publish again
                return []
            apply(DELIVERY_TRANSITIONS, c.store.get_message(intent.message_id).delivery_status,
                  DELIVERY_EVENT_OF[IntentEvent.OWN_MESSAGE_SEEN])
            c.store.set_delivery_status(intent.message_id, DeliveryStatus.PUBLISHED, sent_at_ns=v1.created_ns)
            self._move(intent.id, IntentEvent.OWN_MESSAGE_SEEN)
            self._move(intent.id, IntentEvent.POST_COMMIT_DONE)  # a message has no post-commit work
            return [_stored(c.store.get_message(intent.message_id))]
        # the epoch this very commit would start
        pending = decode_pending_commit(intent.staged_commit) if intent.staged_commit is not None else None
        c.store.set_intent_data(intent.id, staged_commit=None)
        if not group.active:  # a commit before ours removed us: ours can never apply
            group.clear_pending_commit()
            self._move(intent.id, IntentEvent.OWN_COMMIT_INVALID)
            return []
        if pending is None or intent.published_in_epoch != group.epoch:
            group.clear_pending_commit()  # overtaken by another commit: rebuild on the new epoch
            self._move(intent.id, IntentEvent.OWN_COMMIT_SEEN_STALE_EPOCH)
            return []
        try:
            self._validate(pending.staged)
        except Rejected:
            group.clear_pending_commit()
            self._move(intent.id, IntentEvent.OWN_COMMIT_INVALID)
            return []
        welcome = pending.welcome
        group.pending_commit = pending  # a later commit of ours may have been built meanwhile
        group.merge_pending_commit()
        post = {"cursor": v1.id, "welcome": welcome.encode().hex() if welcome else None,
                "recipients": [_welcome_recipient(p.proposal.key_package)
                               for p in pending.proposals if isinstance(p.proposal, Add)]}
        self._move(intent.id, IntentEvent.OWN_COMMIT_MERGED)
        c.store.set_intent_data(intent.id, post_commit_data=json.dumps(post).encode())
        return self._after_commit(group, v1)

    def _post_commit(self) -> None:
        """facts §5 "post_commit": send the Welcomes of merged commits, then mark them Processed."""
        c = self.client
        for intent in c.store.find_intents(self.group_id, states=[IntentState.COMMITTED]):
            post = json.loads(intent.post_commit_data) if intent.post_commit_data else {"welcome": None}
            if post.get("welcome"):
                welcome = bytes.fromhex(post["welcome"])
                inputs = []
                for installation, public_key, algorithm in post["recipients"]:
                    data, metadata = wrap_welcome(bytes.fromhex(public_key), welcome, post["cursor"], algorithm,
                                                  rng=c.rng)
                    inputs.append(api.WelcomeMessageInput(v1=api.WelcomeMessageInput.V1(
                        bytes.fromhex(installation), data, bytes.fromhex(public_key), algorithm, metadata)))
                c.network.send_welcome_messages(api.SendWelcomeMessagesRequest(tuple(inputs)))
            with c.store.transaction():
                self._move(intent.id, IntentEvent.POST_COMMIT_DONE)
                c.store.set_intent_data(intent.id, post_commit_data=None)

    def _save(self, group: Group) -> None:
        row = self._row()
        from .history_sync import dump_group_state
        self.client.store.put_group(dataclasses.replace(row, mls_state=dump_group_state(group)))


def _welcome_recipient(key_package: KeyPackage) -> list:
    """facts §7.3: what post-commit records of an added installation: its id, wrapper key and algorithm."""
    public_key, algorithm = welcome_recipient(key_package)
    return [key_package.leaf_node.signature_key.hex(), public_key.hex(), int(algorithm)]


def _stored(row: MessageRow) -> StoredMessage:
    return StoredMessage(row.id, row.group_id, row.sent_at_ns, row.kind, row.delivery_status, row.sender_inbox_id,
                         EncodedContent.decode(row.content))
