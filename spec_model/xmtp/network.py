"""XMTP's node as a model: the delivery service behind the MLS and Identity APIs (docs/xmtp-facts.md §7.2, node-go v3).

Theory of operation
-------------------
``DeliveryService`` answers the requests of ``api.py`` the way xmtp-node-go
(bfa5b3e) does, with its PostgreSQL tables as plain Python state:

* **Message tables.** Group messages and welcomes live in two tables, ``group_messages`` and
  ``welcome_messages``, each with its own BIGSERIAL ``id``: ids are global across all groups (or all
  installations), not per topic. A topic is a group id (read from the ``MLSMessage`` header, as the node's
  validation service does) or an installation key. A unique index on ``sha256(topic ‖ data)`` makes a re-sent
  payload a silent no-op; as in PostgreSQL, the refused insert still used up an id, so ids have gaps.
  ``created_ns`` is the clock at insert, truncated to the microsecond of a ``TIMESTAMP`` column.
* **Queries** page exactly like node-go's ``readStore.go``: a limit of 0 or above 100 means 100; ascending
  only when asked (the default is descending); ``id > cursor`` ascending, ``id < cursor`` descending, cursor 0
  meaning "from the start"; the returned ``PagingInfo`` carries the last id only when the page is full, else
  cursor 0. Clients page until a short page.
* **Subscriptions** are pull-based: ``subscribe_*`` first queues every stored
  message after each filter's cursor, then every matching message as it is
  stored, in id order. Like node-go's stream, a subscription keeps a
  high-water mark per topic and drops anything at or below it.
* **Key packages**: the latest upload per installation key wins; fetches
  answer in request order, an empty entry for a missing one.
* **Identity updates**: one ``inbox_log`` (a single BIGSERIAL across inboxes,
  so each inbox's sequence ids increase, with gaps), at most 256 entries per
  inbox, and an address log mapping Ethereum addresses to inboxes: added by
  CreateInbox or AddAssociation, revoked by RevokeAssociation; a lookup takes
  the newest unrevoked association.
* **History-sync archives**: an upload area standing in for the history server (``upload`` / ``download``).

What the node delegates to its validation service is injected:
``validate_key_package`` (default: the key package decodes and its signature
verifies) and ``identity_validator`` with ``decode_identity_update`` (default:
accept). The node's own refusals are ``Rejected`` with a ``NodeReason``; an
injected validator's ``Rejected`` passes through unchanged.

Faults are a test's to switch on, and are the only source of ``NetworkError``: failing the next
publishes (before or after they take effect), refusing every call until a time, holding new messages
back until a time (they keep their ids, so a subscription that already passed them skips them), and
repeating an envelope in query responses. Everything happens in call order on a controllable
``Clock``: the same calls give the same ids, timestamps and bytes.
"""

from __future__ import annotations

import collections
import dataclasses
import enum
import hashlib
from collections.abc import Callable, Iterator
from typing import Any, Union

from spec_model.mls.codec import DecodeError, Reader
from spec_model.mls.framing import ContentType, PrivateMessage, PublicMessage
from spec_model.mls.key_package import KeyPackage
from spec_model.mls.message import MLSMessage
from spec_model.mls.reasons import RefusalClass, Rejected, reason_codes
from spec_model.mls.suites import InvalidSignatureError, suite

from .api import (
    BatchQueryCommitLogRequest, BatchQueryCommitLogResponse, FetchKeyPackagesRequest, FetchKeyPackagesResponse,
    GetIdentityUpdatesRequest, GetIdentityUpdatesResponse, GetInboxIdsRequest, GetInboxIdsResponse,
    GetNewestGroupMessageRequest, GetNewestGroupMessageResponse, GroupMessage, PagingInfo,
    PublishIdentityUpdateRequest, QueryCommitLogResponse, QueryGroupMessagesRequest, QueryGroupMessagesResponse,
    QueryWelcomeMessagesRequest, QueryWelcomeMessagesResponse, SendGroupMessagesRequest, SendWelcomeMessagesRequest,
    SortDirection, SubscribeGroupMessagesRequest, SubscribeWelcomeMessagesRequest, UploadKeyPackageRequest,
    WelcomeMessage, WelcomeMessageInput, WelcomePointerWrapperAlgorithm, WelcomeWrapperAlgorithm,
)
from .identity import apply_update, decode_update
from .identity_index import IndexedIdentityUpdate, address_changes

__all__ = [
    "NodeReason", "NetworkReason", "NetworkError", "Clock", "DeliveryService", "Subscription",
    "MAX_PAGE_SIZE", "MAX_INBOX_LOG_ENTRIES", "MAX_COMMIT_LOG_QUERIES", "DEFAULT_START_NS",
    "key_package_installation_key", "validate_identity_update",
]

MAX_PAGE_SIZE = 100           # node-go store.go maxPageSize
MAX_INBOX_LOG_ENTRIES = 256   # node-go store.go PublishIdentityUpdate: "inbox log is full"
MAX_COMMIT_LOG_QUERIES = 20   # node-go service.go maxBatchQueries
DEFAULT_START_NS = 1_750_000_000 * 10**9  # 2025-06-15T15:06:40Z: any fixed, realistic time

Envelope = Union[GroupMessage, WelcomeMessage]


@reason_codes("node", unknown_upload=RefusalClass.NOT_FOUND)
class NodeReason(enum.StrEnum):
    """xmtp-node-go: why the node refuses a request (raised as ``Rejected``); each comment names the node-go check."""

    EMPTY_REQUEST = "node.empty_request"                      # service.go validate*Request: something to send or look up
    INVALID_GROUP_MESSAGE = "node.invalid_group_message"      # validation service: a Public/PrivateMessage with a group id
    INVALID_WELCOME = "node.invalid_welcome"                  # service.go validateSendWelcomeMessagesRequest
    INVALID_KEY_PACKAGE = "node.invalid_key_package"          # service.go UploadKeyPackage: ValidateInboxIdKeyPackages
    INVALID_IDENTITY_UPDATE = "node.invalid_identity_update"  # store.go PublishIdentityUpdate: decodable, hex inbox id
    INBOX_LOG_FULL = "node.inbox_log_full"                    # store.go PublishIdentityUpdate: at most 256 per inbox
    INVALID_QUERY = "node.invalid_query"                      # readStore.go: a topic; service.go: commit-log batch size
    UNKNOWN_UPLOAD = "node.unknown_upload"                    # history server: no archive under that id


@reason_codes("network", RefusalClass.NETWORK)
class NetworkReason(enum.StrEnum):
    """model: fault injection: why a call failed in transit (raised as ``NetworkError``); only injected faults produce these."""

    UNAVAILABLE = "network.unavailable"                # a publish failed before the node stored anything
    RESPONSE_LOST = "network.response_lost"            # the node stored the publish, but its reply never arrived
    CONNECTION_REFUSED = "network.connection_refused"  # the node refuses every call until a set time
    STREAM_BROKEN = "network.stream_broken"            # an open subscription ended when connections were refused


class NetworkError(Exception):
    """docs/xmtp-facts.md §5: a transient failure a client retries; ``reason`` is a ``NetworkReason``."""

    def __init__(self, reason: NetworkReason, detail: str = ""):
        super().__init__(f"{reason.value}: {detail}" if detail else reason.value)
        self.reason = reason
        self.detail = detail


class Clock:
    """docs/xmtp-facts.md §7.2: the node's clock, in nanoseconds since the Unix epoch; it moves only by ``advance``."""

    def __init__(self, start_ns: int = DEFAULT_START_NS):
        self._now_ns = start_ns

    def now_ns(self) -> int:
        """docs/xmtp-facts.md §7.2: the node's time, in nanoseconds."""
        return self._now_ns

    def advance(self, ns: int) -> None:
        """model: move the clock ``ns`` forward; it never goes back."""
        if ns < 0:
            raise ValueError("the clock does not go back")
        self._now_ns += ns


# ------------------------------------------------------------------ validation-service stand-ins

def key_package_installation_key(key_package_tls_serialized: bytes) -> bytes:
    """libxmtp apps/mls_validation_service/src/handlers.rs@a53a97e validate_inbox_id_key_package (subset): the key
    package decodes, its suite is known, and it and its leaf are signed by the leaf's signature key, which is the
    installation key returned. The XMTP layer injects the full check (inbox-id credential, lifetime)."""
    try:
        key_package = KeyPackage.decode(key_package_tls_serialized)
        cs = suite(key_package.cipher_suite)
        key_package.leaf_node.verify(cs)
        key_package.verify_signature(cs)
    except (ValueError, InvalidSignatureError) as e:  # DecodeError is a ValueError
        raise Rejected(NodeReason.INVALID_KEY_PACKAGE, str(e) or type(e).__name__) from None
    return key_package.leaf_node.signature_key


def _group_id_and_is_commit(data: bytes) -> tuple[bytes, bool]:
    """mls_validation_service handlers.rs validate_group_message: the group id of a PublicMessage or
    PrivateMessage, and whether it is a Commit or Proposal. Like OpenMLS's ``tls_deserialize``, bytes
    after the message are left unread; node-go service.go requireReadyToSend then wants a group id."""
    try:
        body = MLSMessage.read(Reader(data)).body
    except DecodeError as e:
        raise Rejected(NodeReason.INVALID_GROUP_MESSAGE, str(e)) from None
    if isinstance(body, PublicMessage):
        group_id, content_type = body.content.group_id, body.content.content_type
    elif isinstance(body, PrivateMessage):
        group_id, content_type = body.group_id, body.content_type
    else:
        raise Rejected(NodeReason.INVALID_GROUP_MESSAGE, f"a {type(body).__name__} is not a protocol message")
    if not group_id:
        raise Rejected(NodeReason.INVALID_GROUP_MESSAGE, "group id is empty")
    return group_id, content_type in (ContentType.commit, ContentType.proposal)


def _check_welcome(message: WelcomeMessageInput) -> None:
    """node-go service.go validateSendWelcomeMessagesRequest."""
    if (v1 := message.v1) is not None:
        if not v1.data or not v1.installation_key or (
                not v1.hpke_public_key and v1.wrapper_algorithm != WelcomeWrapperAlgorithm.SYMMETRIC_KEY):
            raise Rejected(NodeReason.INVALID_WELCOME, "invalid welcome message")
    elif (pointer := message.welcome_pointer) is not None:
        if not pointer.installation_key or not pointer.welcome_pointer or not pointer.hpke_public_key:
            raise Rejected(NodeReason.INVALID_WELCOME, "invalid welcome pointer message")
        if pointer.wrapper_algorithm != WelcomePointerWrapperAlgorithm.XWING_MLKEM_768_DRAFT_6:
            raise Rejected(NodeReason.INVALID_WELCOME, f"wrapper algorithm {pointer.wrapper_algorithm} for a pointer")
    else:
        raise Rejected(NodeReason.INVALID_WELCOME, "missing version")


def _stored_wrapper_algorithm(algorithm: int) -> int:
    """node-go types/wrapperAlgorithm.go WrapperAlgorithmFromProto: unset or unknown is stored as Curve25519."""
    known = (WelcomeWrapperAlgorithm.CURVE25519, WelcomeWrapperAlgorithm.XWING_MLKEM_768_DRAFT_6,
             WelcomeWrapperAlgorithm.SYMMETRIC_KEY)
    return algorithm if algorithm in known else WelcomeWrapperAlgorithm.CURVE25519


@dataclasses.dataclass
class _AddressLogEntry:
    """xmtp-node-go queries.sql ``address_log``: one association of an address with an inbox."""

    address: str
    inbox_id: str
    association_sequence_id: int
    revoked: bool = False


# ------------------------------------------------------------------ message tables

@dataclasses.dataclass(frozen=True)
class _Row:
    """xmtp-node-go init-schema.up.sql: a stored group or welcome message, as served, with its topic."""

    id: int
    topic: bytes
    envelope: Envelope


class _Table:
    """xmtp-node-go init-schema.up.sql ``group_messages`` / ``welcome_messages``: a BIGSERIAL id, a unique
    ``sha256(topic ‖ data)`` index, rows by topic, and the subscriptions fed from it."""

    def __init__(self) -> None:
        self.next_id = 1
        self.last_stamp_ns = 0
        self.hashes: set[bytes] = set()
        self.rows: dict[bytes, list[_Row]] = {}
        self.held: list[tuple[int, bytes, bytes, Callable[[int, int], Envelope]]] = []  # delivered late
        self.subscriptions: list[Subscription] = []
        self.watchers: list[Callable[[Envelope], None]] = []

    def insert(self, topic: bytes, data: bytes, now_ns: int, visible_at_ns: int,
               build: Callable[[int, int], Envelope]) -> None:
        """xmtp-node-go service.go: Store ``build(id, created_ns)`` unless its hash is already stored; the id is used up either way.

        A message delivered late (``visible_at_ns`` in the future) reaches the
        node only then: it gets its id and timestamp when ``release`` stores it,
        so it never lands behind a cursor that has already moved past its place.
        """
        if visible_at_ns > now_ns:
            self.held.append((visible_at_ns, topic, data, build))
            return
        row_id, self.next_id = self.next_id, self.next_id + 1
        hashed = hashlib.sha256(topic)
        hashed.update(data)  # no concatenated copy: a Welcome is megabytes at 4000 leaves
        digest = hashed.digest()
        if digest in self.hashes:
            return
        self.hashes.add(digest)
        # the database's NOW() at insert, at microsecond resolution: the model's clock stands still within a
        # step, so a later insert is stamped a microsecond after the one before (libxmtp's streams look a
        # stored message up by its timestamp, subscriptions/process_message/factory.rs@b649d1a)
        self.last_stamp_ns = max(now_ns // 1000 * 1000, self.last_stamp_ns + 1000)
        row = _Row(row_id, topic, build(row_id, self.last_stamp_ns))
        self.rows.setdefault(topic, []).append(row)
        self.dispatch(row)

    def visible(self, topic: bytes) -> list[_Row]:
        return self.rows.get(topic, [])

    def release(self, now_ns: int) -> None:
        """model: fault injection. Store the held messages that are due, in the order they were sent."""
        due = [held for held in self.held if held[0] <= now_ns]
        self.held = [held for held in self.held if held[0] > now_ns]
        for _, topic, data, build in due:
            self.insert(topic, data, now_ns, now_ns, build)

    def dispatch(self, row: _Row) -> None:
        for subscription in self.subscriptions:
            subscription._offer(row)
        for watcher in self.watchers:
            watcher(row.envelope)

    def query(self, topic: bytes, paging: PagingInfo | None, now_ns: int) -> tuple[list[Envelope], PagingInfo]:
        """xmtp-node-go readStore.go QueryGroupMessagesV1 / QueryWelcomeMessagesV1."""
        paging = paging or PagingInfo()
        ascending = paging.direction == SortDirection.ASCENDING
        limit = paging.limit if 0 < paging.limit <= MAX_PAGE_SIZE else MAX_PAGE_SIZE
        rows = self.visible(topic)
        cursor = paging.id_cursor
        if ascending:
            selected = [row for row in rows if row.id > cursor]
        else:
            selected = [row for row in reversed(rows) if not cursor or row.id < cursor]
        page = selected[:limit]
        next_cursor = page[-1].id if len(page) >= limit else 0
        direction = SortDirection.ASCENDING if ascending else SortDirection.DESCENDING
        return [row.envelope for row in page], PagingInfo(direction, limit, next_cursor)


class Subscription:
    """xmtp-node-go service.go SubscribeGroupMessages / SubscribeWelcomeMessages: a server stream,
    modelled as a queue the test drains with ``poll``. It holds everything stored after each filter's
    cursor, then each matching message as it is stored; a message at or below its topic's high-water
    mark (the highest id delivered on that topic) is dropped, as the node does."""

    def __init__(self, service: DeliveryService, table: _Table, filters: list[tuple[bytes, int]]):
        self._service = service
        self._table = table
        self._topics = {topic for topic, _ in filters}
        self._high_water: dict[bytes, int] = {}
        self._queue: collections.deque[Envelope] = collections.deque()
        self._broken = False
        self._closed = False
        for topic, cursor in filters:
            for row in table.visible(topic):
                if row.id > cursor:
                    self._offer(row)
        table.subscriptions.append(self)

    def poll(self) -> list[Envelope]:
        """xmtp/proto mls/api/v1/mls.proto Subscribe*: the messages delivered since the last poll, in delivery order. Once the stream is broken
        and its last messages are taken, raises ``NetworkError(STREAM_BROKEN)``."""
        if not (self._broken or self._closed):
            self._service._release_held()
        if self._broken and not self._queue:
            raise NetworkError(NetworkReason.STREAM_BROKEN)
        delivered = list(self._queue)
        self._queue.clear()
        return delivered

    def __iter__(self) -> Iterator[Envelope]:
        return iter(self.poll())

    def close(self) -> None:
        """xmtp/proto mls/api/v1/mls.proto Subscribe*: end the stream; messages already delivered can still be polled."""
        self._closed = True
        if self in self._table.subscriptions:
            self._table.subscriptions.remove(self)

    def _break(self) -> None:
        self._broken = True
        self._table.subscriptions.remove(self)

    def _offer(self, row: _Row) -> None:
        if row.topic in self._topics and row.id > self._high_water.get(row.topic, 0):
            self._high_water[row.topic] = row.id
            self._queue.append(row.envelope)


# ------------------------------------------------------------------ the service

IdentityValidator = Callable[[str, list[Any], Any], None]


def _accept(inbox_id: str, previous_updates: list[Any], update: Any) -> None:
    """The default identity validator: accept every update."""


def _as_is(update: bytes) -> bytes:
    """The default identity-update decoder: the validator sees the raw bytes."""
    return update


def validate_identity_update(inbox_id: str, previous_updates: list[Any], update: Any) -> None:
    """xmtp-node-go: its validation service (GetAssociationState): the update must apply to the inbox's
    state, replayed from its log, under XIP-46's rules (``identity.apply_update``); raises ``Rejected``."""
    state = None
    for previous in previous_updates:
        state = apply_update(state, previous)
    apply_update(state, update)


class DeliveryService:
    """xmtp-node-go (v3) ``MlsApi`` and ``IdentityApi``, plus a history-sync upload area; see the module
    docstring. Methods take and return ``api.py`` messages; publishes return ``None`` (``Empty``)."""

    def __init__(self, clock: Clock | None = None, *,
                 validate_key_package: Callable[[bytes], bytes] = key_package_installation_key,
                 identity_validator: IdentityValidator = _accept,
                 decode_identity_update: Callable[[bytes], Any] = _as_is):
        self.clock = clock or Clock()
        self._validate_key_package = validate_key_package
        self._identity_validator = identity_validator
        self._decode_identity_update = decode_identity_update
        self._group_messages = _Table()
        self._welcomes = _Table()
        self._key_packages: dict[bytes, bytes] = {}
        self._inbox_logs: dict[str, list[GetIdentityUpdatesResponse.IdentityUpdateLog]] = {}
        self._next_sequence_id = 1
        self._address_log: list[_AddressLogEntry] = []
        self._uploads: dict[str, bytes] = {}
        # faults
        self._failing_publishes: collections.deque[NetworkReason] = collections.deque()
        self._refuse_until_ns = 0
        self._late_until_ns: int | None = None
        self._duplicating_queries = 0
        self._cut: tuple[int, int] | None = None  # (full pages still answered, refuse until ns) of cut_sync_after

    @classmethod
    def validating(cls, clock: Clock | None = None, **checks) -> "DeliveryService":
        """xmtp-node-go with its validation service on: key packages (the default check, or ``validate_key_package``)
        and identity updates (``validate_identity_update``, or ``identity_validator``) are refused as xmtp-node-go
        refuses them."""
        return cls(clock, **{"identity_validator": validate_identity_update, **checks}, decode_identity_update=decode_update)

    def watch(self, watcher: Callable[[Envelope], None]) -> None:
        """example-notification-server-go pkg/xmtp/listener.go (a listener reads every envelope of the node):
        hand every group message and welcome stored from now on to ``watcher``, as it is stored."""
        self._group_messages.watchers.append(watcher)
        self._welcomes.watchers.append(watcher)

    # -------------------------------------------------------------- faults

    def fail_publishes(self, count: int, reason: NetworkReason = NetworkReason.UNAVAILABLE) -> None:
        """model: fault injection. The next ``count`` publishes (group messages, welcomes, key packages, identity updates) fail:
        ``UNAVAILABLE`` before anything is stored, ``RESPONSE_LOST`` after the publish took effect."""
        if reason not in (NetworkReason.UNAVAILABLE, NetworkReason.RESPONSE_LOST):
            raise ValueError(f"{reason} is not a publish failure")
        self._failing_publishes.extend([reason] * count)

    @property
    def pending_publish_failures(self) -> int:
        """model: fault injection. How many of the failures ``fail_publishes`` asked for are still to come."""
        return len(self._failing_publishes)

    def refuse_connections(self, until_ns: int) -> None:
        """model: fault injection. Every call fails with ``CONNECTION_REFUSED`` until the clock reaches ``until_ns``; open
        subscriptions break now."""
        self._refuse_until_ns = until_ns
        self.drop_streams()

    def drop_streams(self) -> None:
        """model: fault injection. Every open subscription breaks now (a node restart): its client sees the
        stream end with an error once it has taken what was delivered, and may subscribe again."""
        for table in (self._group_messages, self._welcomes):
            for subscription in list(table.subscriptions):
                subscription._break()

    def deliver_late(self, until_ns: int | None) -> None:
        """model: fault injection. Group messages and welcomes sent from now on reach the node only when the clock reaches
        ``until_ns`` (in transit until then): they are stored, with ids and timestamps, at that time,
        in the order they were sent. ``None`` stops delaying."""
        self._late_until_ns = until_ns

    def duplicate_in_queries(self, count: int) -> None:
        """model: fault injection. The next ``count`` non-empty query responses repeat their first envelope right after it."""
        self._duplicating_queries += count

    def cut_sync_after(self, pages: int, until_ns: int) -> None:
        """model: fault injection. The node answers ``pages`` more full pages of group messages (pages that
        more messages follow), then refuses every call with ``CONNECTION_REFUSED`` until the clock reaches
        ``until_ns``: a sync cut off in its middle, as when the client's process dies or its link drops."""
        self._cut = (pages, until_ns)

    def corrupt_key_package(self, installation_key: bytes) -> None:
        """model: fault injection. The installation's stored key package is served with its last byte
        flipped (the end of its signature, RFC 9420 §10), as a bad upload or a damaged store would serve it."""
        stored = self._key_packages[installation_key]
        self._key_packages[installation_key] = stored[:-1] + bytes([stored[-1] ^ 0x01])

    # -------------------------------------------------------------- MLS API: group messages

    def send_group_messages(self, request: SendGroupMessagesRequest) -> None:
        """xmtp-node-go service.go SendGroupMessages: validate the whole batch, then store each message
        in order; a duplicate is skipped silently."""
        def handle() -> None:
            if not request.messages:
                raise Rejected(NodeReason.EMPTY_REQUEST, "no group messages to send")
            inputs = []
            for message in request.messages:
                if message.v1 is None:
                    raise Rejected(NodeReason.INVALID_GROUP_MESSAGE, "invalid group message")
                inputs.append((message.v1, *_group_id_and_is_commit(message.v1.data)))
            for v1, group_id, is_commit in inputs:
                self._group_messages.insert(
                    group_id, v1.data, self.clock.now_ns(), self._visible_at(),
                    lambda id, created_ns: GroupMessage(v1=GroupMessage.V1(
                        id, created_ns, group_id, v1.data, v1.sender_hmac, v1.should_push, is_commit)))
        self._publish(handle)

    def query_group_messages(self, request: QueryGroupMessagesRequest) -> QueryGroupMessagesResponse:
        """xmtp-node-go readStore.go QueryGroupMessagesV1."""
        self._connect()
        if not request.group_id:
            raise Rejected(NodeReason.INVALID_QUERY, "group is required")
        messages, paging = self._group_messages.query(request.group_id, request.paging_info, self.clock.now_ns())
        if self._cut is not None and paging.id_cursor:
            pages, until_ns = self._cut
            self._cut = (pages - 1, until_ns) if pages > 1 else None
            if pages == 1:
                self.refuse_connections(until_ns)
        return QueryGroupMessagesResponse(self._maybe_duplicate(messages), paging)

    def subscribe_group_messages(self, request: SubscribeGroupMessagesRequest) -> Subscription:
        """xmtp-node-go service.go SubscribeGroupMessages."""
        self._connect()
        return Subscription(self, self._group_messages, [(f.group_id, f.id_cursor) for f in request.filters])

    def get_newest_group_message(self, request: GetNewestGroupMessageRequest) -> GetNewestGroupMessageResponse:
        """xmtp-node-go service.go GetNewestGroupMessage: per group, in request order, its newest message;
        without ``include_content`` only id, created_ns, group_id and is_commit."""
        self._connect()
        if not request.group_ids:
            raise Rejected(NodeReason.EMPTY_REQUEST, "no group ids provided")
        responses = []
        for group_id in request.group_ids:
            rows = self._group_messages.visible(group_id)
            newest = rows[-1].envelope if rows else None
            if newest is not None and not request.include_content:
                v1 = newest.v1
                newest = GroupMessage(v1=GroupMessage.V1(v1.id, v1.created_ns, v1.group_id, is_commit=v1.is_commit))
            responses.append(GetNewestGroupMessageResponse.Response(newest))
        return GetNewestGroupMessageResponse(tuple(responses))

    def batch_query_commit_log(self, request: BatchQueryCommitLogRequest) -> BatchQueryCommitLogResponse:
        """xmtp-node-go service.go BatchQueryCommitLog, answered with no entries: the model keeps no
        commit log. The paging info is what the node returns for a short page."""
        self._connect()
        if not 0 < len(request.requests) <= MAX_COMMIT_LOG_QUERIES:
            raise Rejected(NodeReason.INVALID_QUERY, f"between 1 and {MAX_COMMIT_LOG_QUERIES} queries per batch")
        responses = []
        for query in request.requests:
            limit = (query.paging_info or PagingInfo()).limit
            limit = limit if 0 < limit <= MAX_PAGE_SIZE else MAX_PAGE_SIZE
            responses.append(QueryCommitLogResponse(query.group_id, PagingInfo(SortDirection.ASCENDING, limit, 0)))
        return BatchQueryCommitLogResponse(tuple(responses))

    # -------------------------------------------------------------- MLS API: welcomes

    def send_welcome_messages(self, request: SendWelcomeMessagesRequest) -> None:
        """xmtp-node-go service.go SendWelcomeMessages: validate the whole batch, then store each welcome
        or welcome pointer on its installation's topic (in request order here; the node inserts them
        concurrently); a duplicate is skipped silently."""
        def handle() -> None:
            if not request.messages:
                raise Rejected(NodeReason.EMPTY_REQUEST, "no welcome messages to send")
            for message in request.messages:
                _check_welcome(message)
            for message in request.messages:
                self._store_welcome(message)
        self._publish(handle)

    def _store_welcome(self, message: WelcomeMessageInput) -> None:
        now_ns, visible_at_ns = self.clock.now_ns(), self._visible_at()
        if (v1 := message.v1) is not None:
            self._welcomes.insert(
                v1.installation_key, v1.data, now_ns, visible_at_ns,
                lambda id, created_ns: WelcomeMessage(v1=WelcomeMessage.V1(
                    id, created_ns, v1.installation_key, v1.data, v1.hpke_public_key,
                    _stored_wrapper_algorithm(v1.wrapper_algorithm), v1.welcome_metadata)))
        else:
            pointer = message.welcome_pointer
            self._welcomes.insert(
                pointer.installation_key, pointer.welcome_pointer, now_ns, visible_at_ns,
                lambda id, created_ns: WelcomeMessage(welcome_pointer=WelcomeMessage.WelcomePointer(
                    id, created_ns, pointer.installation_key, pointer.welcome_pointer, pointer.hpke_public_key,
                    pointer.wrapper_algorithm)))

    def query_welcome_messages(self, request: QueryWelcomeMessagesRequest) -> QueryWelcomeMessagesResponse:
        """xmtp-node-go readStore.go QueryWelcomeMessagesV1."""
        self._connect()
        if not request.installation_key:
            raise Rejected(NodeReason.INVALID_QUERY, "installation is required")
        messages, paging = self._welcomes.query(request.installation_key, request.paging_info, self.clock.now_ns())
        return QueryWelcomeMessagesResponse(self._maybe_duplicate(messages), paging)

    def subscribe_welcome_messages(self, request: SubscribeWelcomeMessagesRequest) -> Subscription:
        """xmtp-node-go service.go SubscribeWelcomeMessages."""
        self._connect()
        return Subscription(self, self._welcomes, [(f.installation_key, f.id_cursor) for f in request.filters])

    # -------------------------------------------------------------- MLS API: key packages

    def upload_key_package(self, request: UploadKeyPackageRequest) -> None:
        """xmtp-node-go service.go UploadKeyPackage: validate, then store under the installation key
        (queries.sql CreateOrUpdateInstallation: the latest upload replaces the previous one)."""
        def handle() -> None:
            if request.key_package is None:
                raise Rejected(NodeReason.INVALID_KEY_PACKAGE, "no key package")
            key_package = request.key_package.key_package_tls_serialized
            self._key_packages[self._validate_key_package(key_package)] = key_package
        self._publish(handle)

    def fetch_key_packages(self, request: FetchKeyPackagesRequest) -> FetchKeyPackagesResponse:
        """xmtp-node-go service.go FetchKeyPackages: request order, an empty entry for a missing one."""
        self._connect()
        return FetchKeyPackagesResponse(tuple(
            FetchKeyPackagesResponse.KeyPackage(self._key_packages.get(key, b""))
            for key in request.installation_keys))

    # -------------------------------------------------------------- Identity API

    def publish_identity_update(self, request: PublishIdentityUpdateRequest) -> None:
        """xmtp-node-go store.go PublishIdentityUpdate: check the update against the inbox's log, append
        it with the next sequence id and the server time, and index its Ethereum addresses."""
        def handle() -> None:
            raw = request.identity_update
            try:
                update = IndexedIdentityUpdate.decode(raw)
                bytes.fromhex(update.inbox_id)
            except ValueError as e:  # DecodeError is a ValueError
                raise Rejected(NodeReason.INVALID_IDENTITY_UPDATE, str(e)) from None
            log = self._inbox_logs.get(update.inbox_id, [])
            if len(log) >= MAX_INBOX_LOG_ENTRIES:
                raise Rejected(NodeReason.INBOX_LOG_FULL, update.inbox_id)
            self._identity_validator(update.inbox_id, [self._decode_identity_update(e.update) for e in log],
                                     self._decode_identity_update(raw))
            sequence_id, self._next_sequence_id = self._next_sequence_id, self._next_sequence_id + 1
            self._inbox_logs.setdefault(update.inbox_id, []).append(
                GetIdentityUpdatesResponse.IdentityUpdateLog(sequence_id, self.clock.now_ns(), raw))
            for address, added in address_changes(update):
                if added:
                    self._address_log.append(_AddressLogEntry(address, update.inbox_id, sequence_id))
                else:
                    self._revoke_address(address, update.inbox_id)
        self._publish(handle)

    def _revoke_address(self, address: str, inbox_id: str) -> None:
        """xmtp-node-go queries.sql RevokeAddressFromLog: revoke the newest association of the pair."""
        entries = [e for e in self._address_log if e.address == address and e.inbox_id == inbox_id]
        if entries:
            max(entries, key=lambda e: e.association_sequence_id).revoked = True

    def get_identity_updates(self, request: GetIdentityUpdatesRequest) -> GetIdentityUpdatesResponse:
        """xmtp-node-go readStore.go GetInboxLogs: per request, the inbox's updates after its sequence id."""
        self._connect()
        return GetIdentityUpdatesResponse(tuple(
            GetIdentityUpdatesResponse.Response(r.inbox_id, tuple(
                e for e in self._inbox_logs.get(r.inbox_id, ()) if e.sequence_id > r.sequence_id))
            for r in request.requests))

    def get_inbox_ids(self, request: GetInboxIdsRequest) -> GetInboxIdsResponse:
        """xmtp-node-go readStore.go GetInboxIds / queries.sql GetAddressLogs: per identifier, in order,
        the inbox of its newest unrevoked association. The node matches identifiers exactly and leaves
        ``identifier_kind`` unset in responses."""
        self._connect()
        responses = []
        for r in request.requests:
            entries = [e for e in self._address_log if e.address == r.identifier and not e.revoked]
            newest = max(entries, key=lambda e: e.association_sequence_id, default=None)
            responses.append(GetInboxIdsResponse.Response(r.identifier, newest.inbox_id if newest else None))
        return GetInboxIdsResponse(tuple(responses))

    # -------------------------------------------------------------- history-sync archives

    def upload(self, archive: bytes) -> str:
        """docs/xmtp-facts.md §9: the history server's ``POST /upload``; the id names the file (``/files/{id}``).
        Ids are content hashes, so the same archive gets the same id."""
        upload_id = hashlib.sha256(archive).hexdigest()
        self._uploads[upload_id] = archive
        return upload_id

    def download(self, upload_id: str) -> bytes:
        """docs/xmtp-facts.md §9: the history server's ``GET /files/{id}``."""
        try:
            return self._uploads[upload_id]
        except KeyError:
            raise Rejected(NodeReason.UNKNOWN_UPLOAD, upload_id) from None

    # -------------------------------------------------------------- plumbing

    def _connect(self) -> None:
        """Start of every call: refuse it if connections are refused, else make due held messages visible."""
        if self.clock.now_ns() < self._refuse_until_ns:
            raise NetworkError(NetworkReason.CONNECTION_REFUSED)
        self._release_held()

    def _release_held(self) -> None:
        now_ns = self.clock.now_ns()
        self._group_messages.release(now_ns)
        self._welcomes.release(now_ns)

    def _publish(self, handle: Callable[[], None]) -> None:
        """Run a publish through the connection and publish faults."""
        self._connect()
        if not self._failing_publishes:
            return handle()
        reason = self._failing_publishes.popleft()
        if reason is NetworkReason.RESPONSE_LOST:
            try:
                handle()
            except Rejected:
                pass  # the rejection is lost with the response
        raise NetworkError(reason)

    def _visible_at(self) -> int:
        now_ns = self.clock.now_ns()
        return now_ns if self._late_until_ns is None else max(now_ns, self._late_until_ns)

    def _maybe_duplicate(self, messages: list[Envelope]) -> tuple[Envelope, ...]:
        if self._duplicating_queries and messages:
            self._duplicating_queries -= 1
            messages = messages[:1] + messages
        return tuple(messages)
