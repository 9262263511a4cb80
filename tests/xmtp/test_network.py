"""The delivery service (node-go v3 model): ids, cursors, paging, dedup, key packages, identity
updates, subscriptions, injected faults, deterministic replay (the API messages' wire format: test_api.py)."""

from __future__ import annotations

import enum

import pytest

from spec_model.mls.commit import Commit
from spec_model.mls.framing import (
    ContentType, FramedContent, FramedContentAuthData, MemberSender, PrivateMessage, PublicMessage,
)
from spec_model.mls.message import MLSMessage
from spec_model.mls.proposals import Remove
from spec_model.mls.reasons import Rejected
from spec_model.mls.suites import suite
from spec_model.mls.welcome import Welcome
from spec_model.xmtp import api
from spec_model.xmtp.network import (
    MAX_INBOX_LOG_ENTRIES, Clock, DeliveryService, NetworkError, NetworkReason, NodeReason,
)
from spec_model.xmtp.proto import BYTES, STRING, Annotated, EnumKind, Field, Message, MessageKind
from tests.mls.members import bundle, seeded_rng

ASC, DESC = api.SortDirection.ASCENDING, api.SortDirection.DESCENDING
GROUP_A, GROUP_B = b"A" * 16, b"B" * 16
INSTALLATION_1, INSTALLATION_2 = b"\x01" * 32, b"\x02" * 32


# ------------------------------------------------------------------ builders

def private(group_id: bytes, n: int = 0, content_type: ContentType = ContentType.application,
            trailing: bytes = b"") -> bytes:
    """A PrivateMessage MLSMessage; ``n`` makes the payload unique."""
    body = PrivateMessage(group_id, 0, content_type, b"", b"sender-data", n.to_bytes(4, "big"))
    return MLSMessage(body).encode() + trailing


def public(group_id: bytes, content) -> bytes:
    tag = b"confirmation" if isinstance(content, Commit) else None
    content = FramedContent(group_id, 1, MemberSender(0), b"", content)
    return MLSMessage(PublicMessage(content, FramedContentAuthData(b"sig", tag), b"membership")).encode()


def send(service: DeliveryService, *payloads: bytes, should_push: bool = True) -> None:
    service.send_group_messages(api.SendGroupMessagesRequest(tuple(
        api.GroupMessageInput(v1=api.GroupMessageInput.V1(p, b"hmac", should_push)) for p in payloads)))


def query(service: DeliveryService, group_id: bytes, direction=ASC, limit=0, cursor=0):
    return service.query_group_messages(
        api.QueryGroupMessagesRequest(group_id, api.PagingInfo(direction, limit, cursor)))


def ids(envelopes) -> list[int]:
    return [(e.v1 or e.welcome_pointer).id for e in envelopes]


def welcome(installation_key: bytes, data: bytes = b"welcome") -> api.WelcomeMessageInput:
    return api.WelcomeMessageInput(v1=api.WelcomeMessageInput.V1(
        installation_key, data, b"hpke", api.WelcomeWrapperAlgorithm.XWING_MLKEM_768_DRAFT_6, b"metadata"))


def send_welcomes(service: DeliveryService, *welcomes: api.WelcomeMessageInput) -> None:
    service.send_welcome_messages(api.SendWelcomeMessagesRequest(welcomes))


def query_welcomes(service: DeliveryService, installation_key: bytes, cursor: int = 0):
    return service.query_welcome_messages(
        api.QueryWelcomeMessagesRequest(installation_key, api.PagingInfo(ASC, 100, cursor)))


def subscribe(service: DeliveryService, *filters: tuple[bytes, int]):
    return service.subscribe_group_messages(api.SubscribeGroupMessagesRequest(tuple(
        api.SubscribeGroupMessagesRequest.Filter(group_id, cursor) for group_id, cursor in filters)))


# Identity updates, written with this test's own declarations of association.proto.

class Kind(enum.IntEnum):
    UNSPECIFIED = 0
    ETHEREUM = 1
    PASSKEY = 2


class MemberIdentifier(Message):
    ethereum_address: Annotated[str | None, Field(1, STRING, oneof="kind")] = None
    installation_public_key: Annotated[bytes | None, Field(2, BYTES, oneof="kind")] = None


class CreateInbox(Message):
    initial_identifier: Annotated[str, Field(1, STRING)] = ""
    initial_identifier_kind: Annotated[int, Field(4, EnumKind(Kind))] = 0


class AddAssociation(Message):
    new_member_identifier: Annotated[MemberIdentifier | None, Field(1, MessageKind(MemberIdentifier))] = None
    existing_member_signature: Annotated[bytes, Field(2, BYTES)] = b""  # a Signature message, opaque here


class RevokeAssociation(Message):
    member_to_revoke: Annotated[MemberIdentifier | None, Field(1, MessageKind(MemberIdentifier))] = None


class IdentityAction(Message):
    create_inbox: Annotated[CreateInbox | None, Field(1, MessageKind(CreateInbox), oneof="kind")] = None
    add: Annotated[AddAssociation | None, Field(2, MessageKind(AddAssociation), oneof="kind")] = None
    revoke: Annotated[RevokeAssociation | None, Field(3, MessageKind(RevokeAssociation), oneof="kind")] = None


class IdentityUpdate(Message):
    actions: Annotated[tuple[IdentityAction, ...], Field(1, MessageKind(IdentityAction), repeated=True)] = ()
    inbox_id: Annotated[str, Field(3, STRING)] = ""


INBOX_1, INBOX_2 = "aa" * 32, "bb" * 32
ADDRESS_1, ADDRESS_2 = "0x" + "11" * 20, "0x" + "22" * 20


def create_inbox(inbox_id: str, address: str, kind: Kind = Kind.ETHEREUM) -> bytes:
    return IdentityUpdate((IdentityAction(create_inbox=CreateInbox(address, kind)),), inbox_id=inbox_id).encode()


def add_member(inbox_id: str, **identifier) -> bytes:
    action = IdentityAction(add=AddAssociation(MemberIdentifier(**identifier), b"signature"))
    return IdentityUpdate((action,), inbox_id=inbox_id).encode()


def revoke_address(inbox_id: str, address: str) -> bytes:
    action = IdentityAction(revoke=RevokeAssociation(MemberIdentifier(ethereum_address=address)))
    return IdentityUpdate((action,), inbox_id=inbox_id).encode()


def publish(service: DeliveryService, update: bytes) -> None:
    service.publish_identity_update(api.PublishIdentityUpdateRequest(update))


def inbox_of(service: DeliveryService, *identifiers: str) -> list[str | None]:
    response = service.get_inbox_ids(api.GetInboxIdsRequest(tuple(
        api.GetInboxIdsRequest.Request(i, api.IdentifierKind.ETHEREUM) for i in identifiers)))
    assert [r.identifier for r in response.responses] == list(identifiers)
    return [r.inbox_id for r in response.responses]


def updates_of(service: DeliveryService, *requests: tuple[str, int]):
    response = service.get_identity_updates(api.GetIdentityUpdatesRequest(tuple(
        api.GetIdentityUpdatesRequest.Request(inbox_id, seq) for inbox_id, seq in requests)))
    return {r.inbox_id: r.updates for r in response.responses}


# ------------------------------------------------------------------ ids, cursors, paging

def test_ids_are_global_across_groups_and_separate_for_welcomes():
    service = DeliveryService()
    send(service, private(GROUP_A, 1))
    send(service, private(GROUP_B, 1), private(GROUP_A, 2))
    send_welcomes(service, welcome(INSTALLATION_1), welcome(INSTALLATION_2))
    assert ids(query(service, GROUP_A).messages) == [1, 3]
    assert ids(query(service, GROUP_B).messages) == [2]
    assert ids(query_welcomes(service, INSTALLATION_1).messages) == [1]
    assert ids(query_welcomes(service, INSTALLATION_2).messages) == [2]


def test_query_cursors_and_directions():
    service = DeliveryService()
    send(service, *(private(GROUP_A, n) for n in range(5)))
    assert ids(query(service, GROUP_A, ASC, cursor=2).messages) == [3, 4, 5]
    assert ids(query(service, GROUP_A, DESC, cursor=4).messages) == [3, 2, 1]
    assert ids(query(service, GROUP_A, DESC).messages) == [5, 4, 3, 2, 1]
    unspecified = service.query_group_messages(api.QueryGroupMessagesRequest(GROUP_A))
    assert ids(unspecified.messages) == [5, 4, 3, 2, 1]  # node-go: descending unless asked
    assert unspecified.paging_info == api.PagingInfo(DESC, 100, 0)
    assert query(service, GROUP_A, cursor=5).messages == ()
    with pytest.raises(Rejected) as e:
        query(service, b"")
    assert e.value.reason is NodeReason.INVALID_QUERY


def test_pages_of_100_until_a_short_page():
    service = DeliveryService()
    send(service, *(private(GROUP_A, n) for n in range(250)))
    pages, cursor = [], 0
    while True:
        response = query(service, GROUP_A, ASC, limit=100, cursor=cursor)
        pages.append(ids(response.messages))
        if len(response.messages) < 100:
            assert response.paging_info == api.PagingInfo(ASC, 100, 0)
            break
        assert response.paging_info.id_cursor == pages[-1][-1]
        cursor = response.paging_info.id_cursor
    assert [len(p) for p in pages] == [100, 100, 50]
    assert sum(pages, []) == list(range(1, 251))
    assert len(query(service, GROUP_A, limit=0).messages) == 100
    assert len(query(service, GROUP_A, limit=1000).messages) == 100
    assert ids(query(service, GROUP_A, limit=3).messages) == [1, 2, 3]


def test_stored_message_fields_and_microsecond_timestamps():
    clock = Clock(1_000_000_000_123_456_789)
    service = DeliveryService(clock)
    send(service, private(GROUP_A), should_push=False)
    clock.advance(1_500)
    send(service, private(GROUP_A, 1))
    first, second = (m.v1 for m in query(service, GROUP_A).messages)
    assert first == api.GroupMessage.V1(
        1, 1_000_000_000_123_456_000, GROUP_A, private(GROUP_A), b"hmac", should_push=False, is_commit=False)
    assert second.created_ns == 1_000_000_000_123_458_000 and second.should_push


# ------------------------------------------------------------------ validation of group messages

@pytest.mark.parametrize("payload, is_commit", [
    (private(GROUP_A, content_type=ContentType.application), False),
    (private(GROUP_A, content_type=ContentType.proposal), True),
    (private(GROUP_A, content_type=ContentType.commit), True),
    (public(GROUP_A, Commit((), None)), True),
    (public(GROUP_A, Remove(1)), True),
    (private(GROUP_A, trailing=b"extra"), False),  # OpenMLS leaves trailing bytes unread
])
def test_group_id_and_is_commit_come_from_the_mls_message(payload, is_commit):
    service = DeliveryService()
    send(service, payload)
    (stored,) = query(service, GROUP_A).messages
    assert stored.v1.group_id == GROUP_A and stored.v1.is_commit is is_commit


@pytest.mark.parametrize("payload", [
    b"",
    b"\x00\x01\x00\x02\xff",
    MLSMessage(Welcome(3, (), b"")).encode(),
    private(b""),
])
def test_a_batch_with_an_invalid_message_stores_nothing(payload):
    service = DeliveryService()
    with pytest.raises(Rejected) as e:
        send(service, private(GROUP_A), payload)
    assert e.value.reason is NodeReason.INVALID_GROUP_MESSAGE
    assert query(service, GROUP_A).messages == ()


def test_empty_and_versionless_requests_are_rejected():
    service = DeliveryService()
    for call, request in [
        (service.send_group_messages, api.SendGroupMessagesRequest()),
        (service.send_welcome_messages, api.SendWelcomeMessagesRequest()),
        (service.get_newest_group_message, api.GetNewestGroupMessageRequest()),
    ]:
        with pytest.raises(Rejected) as e:
            call(request)
        assert e.value.reason is NodeReason.EMPTY_REQUEST
    with pytest.raises(Rejected) as e:
        service.send_group_messages(api.SendGroupMessagesRequest((api.GroupMessageInput(),)))
    assert e.value.reason is NodeReason.INVALID_GROUP_MESSAGE


# ------------------------------------------------------------------ duplicates

def test_duplicate_payloads_are_ignored_but_use_up_an_id():
    service = DeliveryService()
    send(service, private(GROUP_A, 1))
    send(service, private(GROUP_A, 1))  # silently ignored
    send(service, private(GROUP_A, 2))
    assert ids(query(service, GROUP_A).messages) == [1, 3]
    send_welcomes(service, welcome(INSTALLATION_1), welcome(INSTALLATION_1), welcome(INSTALLATION_2))
    assert ids(query_welcomes(service, INSTALLATION_1).messages) == [1]
    assert ids(query_welcomes(service, INSTALLATION_2).messages) == [3]


# ------------------------------------------------------------------ welcomes

def test_welcomes_are_stored_as_served_with_output_numbering():
    service = DeliveryService()
    pointer = api.WelcomeMessageInput(welcome_pointer=api.WelcomeMessageInput.WelcomePointer(
        INSTALLATION_1, b"pointer", b"hpke", api.WelcomePointerWrapperAlgorithm.XWING_MLKEM_768_DRAFT_6))
    unset_algorithm = api.WelcomeMessageInput(v1=api.WelcomeMessageInput.V1(INSTALLATION_1, b"old", b"hpke"))
    send_welcomes(service, welcome(INSTALLATION_1), pointer, unset_algorithm)
    first, second, third = query_welcomes(service, INSTALLATION_1).messages
    assert first.v1 == api.WelcomeMessage.V1(1, service.clock.now_ns(), INSTALLATION_1, b"welcome", b"hpke",
                                             api.WelcomeWrapperAlgorithm.XWING_MLKEM_768_DRAFT_6, b"metadata")
    assert second.welcome_pointer == api.WelcomeMessage.WelcomePointer(  # a microsecond later: inserts never share one
        2, service.clock.now_ns() + 1000, INSTALLATION_1, b"pointer", b"hpke", 2)
    assert third.v1.wrapper_algorithm == api.WelcomeWrapperAlgorithm.CURVE25519  # node-go's default


@pytest.mark.parametrize("bad", [
    api.WelcomeMessageInput(),
    api.WelcomeMessageInput(v1=api.WelcomeMessageInput.V1(INSTALLATION_1, b"", b"hpke")),
    api.WelcomeMessageInput(v1=api.WelcomeMessageInput.V1(INSTALLATION_1, b"data", b"", 1)),
    api.WelcomeMessageInput(welcome_pointer=api.WelcomeMessageInput.WelcomePointer(INSTALLATION_1, b"p", b"k", 0)),
])
def test_invalid_welcomes_are_rejected_and_nothing_is_stored(bad):
    service = DeliveryService()
    with pytest.raises(Rejected) as e:
        send_welcomes(service, welcome(INSTALLATION_1), bad)
    assert e.value.reason is NodeReason.INVALID_WELCOME
    assert query_welcomes(service, INSTALLATION_1).messages == ()
    symmetric = api.WelcomeMessageInput(v1=api.WelcomeMessageInput.V1(INSTALLATION_1, b"data", b"", 3))
    send_welcomes(service, symmetric)  # a symmetric-key welcome needs no HPKE key


# ------------------------------------------------------------------ newest message, commit log, uploads

def test_get_newest_group_message():
    service = DeliveryService()
    send(service, private(GROUP_A, 1), private(GROUP_A, 2, content_type=ContentType.commit))
    request = api.GetNewestGroupMessageRequest((GROUP_B, GROUP_A), include_content=True)
    empty, newest = service.get_newest_group_message(request).responses
    assert empty.group_message is None
    assert newest.group_message == query(service, GROUP_A, DESC, limit=1).messages[0]
    (metadata,) = service.get_newest_group_message(api.GetNewestGroupMessageRequest((GROUP_A,))).responses
    v1 = metadata.group_message.v1
    assert (v1.id, v1.group_id, v1.is_commit, v1.data, v1.sender_hmac) == (2, GROUP_A, True, b"", b"")


def test_commit_log_queries_are_answered_empty():
    service = DeliveryService()
    request = api.BatchQueryCommitLogRequest((api.QueryCommitLogRequest(GROUP_A), api.QueryCommitLogRequest(
        GROUP_B, api.PagingInfo(ASC, 10))))
    assert service.batch_query_commit_log(request) == api.BatchQueryCommitLogResponse((
        api.QueryCommitLogResponse(GROUP_A, api.PagingInfo(ASC, 100, 0)),
        api.QueryCommitLogResponse(GROUP_B, api.PagingInfo(ASC, 10, 0))))
    with pytest.raises(Rejected):
        service.batch_query_commit_log(api.BatchQueryCommitLogRequest((api.QueryCommitLogRequest(GROUP_A),) * 21))


def test_history_archive_upload_and_download():
    service = DeliveryService()
    upload_id = service.upload(b"archive")
    assert service.download(upload_id) == b"archive"
    assert service.upload(b"archive") == upload_id
    with pytest.raises(Rejected) as e:
        service.download("missing")
    assert e.value.reason is NodeReason.UNKNOWN_UPLOAD


# ------------------------------------------------------------------ key packages

@pytest.fixture(scope="module")
def key_packages():
    """Three signed key packages: two for one installation (same signature key), one for another."""
    cs, rng = suite(3), seeded_rng(7)
    first = bundle(cs, "alix", rng)
    rotated = first.key_package.replace(init_key=b"\x09" * 32).signed(cs, first.signature_priv)
    other = bundle(cs, "bo", rng)
    return first.key_package, rotated, other.key_package


def upload(service: DeliveryService, key_package) -> None:
    service.upload_key_package(api.UploadKeyPackageRequest(api.KeyPackageUpload(key_package.encode()), True))


def fetch(service: DeliveryService, *installation_keys: bytes) -> list[bytes]:
    response = service.fetch_key_packages(api.FetchKeyPackagesRequest(installation_keys))
    return [kp.key_package_tls_serialized for kp in response.key_packages]


def test_fetch_key_packages_in_request_order_with_missing_entries(key_packages):
    first, _, other = key_packages
    service = DeliveryService()
    upload(service, first)
    upload(service, other)
    alix, bo = first.leaf_node.signature_key, other.leaf_node.signature_key
    assert fetch(service, bo, b"unknown", alix) == [other.encode(), b"", first.encode()]


def test_a_corrupted_key_package_is_served_with_its_last_byte_flipped(key_packages):
    first, _, other = key_packages
    service = DeliveryService()
    upload(service, first)
    upload(service, other)
    service.corrupt_key_package(first.leaf_node.signature_key)
    stored = first.encode()
    served = fetch(service, first.leaf_node.signature_key, other.leaf_node.signature_key)
    assert served == [stored[:-1] + bytes([stored[-1] ^ 1]), other.encode()]


def test_the_latest_key_package_replaces_the_previous(key_packages):
    first, rotated, _ = key_packages
    service = DeliveryService()
    upload(service, first)
    upload(service, rotated)
    assert fetch(service, first.leaf_node.signature_key) == [rotated.encode()]


def test_invalid_key_packages_are_rejected(key_packages):
    first, _, _ = key_packages
    service = DeliveryService()
    forged = first.replace(init_key=b"\x00" * 32)  # signature no longer matches
    for request in [api.UploadKeyPackageRequest(),
                    api.UploadKeyPackageRequest(api.KeyPackageUpload(b"\x00\x01")),
                    api.UploadKeyPackageRequest(api.KeyPackageUpload(forged.encode()))]:
        with pytest.raises(Rejected) as e:
            service.upload_key_package(request)
        assert e.value.reason is NodeReason.INVALID_KEY_PACKAGE
    assert fetch(service, first.leaf_node.signature_key) == [b""]


def test_an_injected_key_package_validator_names_the_installation():
    service = DeliveryService(validate_key_package=lambda kp: kp[:4])
    service.upload_key_package(api.UploadKeyPackageRequest(api.KeyPackageUpload(b"inst-kp")))
    assert fetch(service, b"inst") == [b"inst-kp"]


# ------------------------------------------------------------------ identity updates

def test_identity_sequence_ids_timestamps_and_cursors():
    clock = Clock(5_000)
    service = DeliveryService(clock)
    publish(service, create_inbox(INBOX_1, ADDRESS_1))
    clock.advance(7)
    publish(service, create_inbox(INBOX_2, ADDRESS_2))
    publish(service, add_member(INBOX_1, installation_public_key=b"\x05" * 32))
    logs = updates_of(service, (INBOX_1, 0), (INBOX_2, 0), ("cc" * 32, 0))
    assert [(u.sequence_id, u.server_timestamp_ns) for u in logs[INBOX_1]] == [(1, 5_000), (3, 5_007)]
    assert [u.sequence_id for u in logs[INBOX_2]] == [2]
    assert logs["cc" * 32] == ()
    assert logs[INBOX_1][1].update == add_member(INBOX_1, installation_public_key=b"\x05" * 32)
    assert [u.sequence_id for u in updates_of(service, (INBOX_1, 1))[INBOX_1]] == [3]
    assert updates_of(service, (INBOX_1, 3))[INBOX_1] == ()


def test_inbox_lookup_by_address_follows_associations_and_revocations():
    service = DeliveryService()
    publish(service, create_inbox(INBOX_1, ADDRESS_1))
    assert inbox_of(service, ADDRESS_2, ADDRESS_1) == [None, INBOX_1]
    publish(service, add_member(INBOX_1, ethereum_address=ADDRESS_2))
    assert inbox_of(service, ADDRESS_2) == [INBOX_1]
    publish(service, revoke_address(INBOX_1, ADDRESS_2))
    assert inbox_of(service, ADDRESS_2, ADDRESS_1) == [None, INBOX_1]
    publish(service, create_inbox(INBOX_2, ADDRESS_2))
    assert inbox_of(service, ADDRESS_2) == [INBOX_2]
    publish(service, create_inbox("dd" * 32, "passkey-key", Kind.PASSKEY))
    assert inbox_of(service, "passkey-key") == [None]  # only Ethereum addresses are indexed


def test_identity_validator_sees_decoded_history_and_its_rejection_stores_nothing():
    seen = []

    def validator(inbox_id, previous, update):
        seen.append((inbox_id, previous, update))
        if any(a.add and a.add.new_member_identifier.ethereum_address == "evil" for a in update.actions):
            raise Rejected(NodeReason.INVALID_IDENTITY_UPDATE, "refused by validator")

    service = DeliveryService(identity_validator=validator, decode_identity_update=IdentityUpdate.decode)
    first = create_inbox(INBOX_1, ADDRESS_1)
    publish(service, first)
    with pytest.raises(Rejected):
        publish(service, add_member(INBOX_1, ethereum_address="evil"))
    publish(service, add_member(INBOX_1, ethereum_address=ADDRESS_2))
    assert seen[0] == (INBOX_1, [], IdentityUpdate.decode(first))
    assert seen[2][1] == [IdentityUpdate.decode(first)]
    assert [u.sequence_id for u in updates_of(service, (INBOX_1, 0))[INBOX_1]] == [1, 2]
    assert inbox_of(service, "evil") == [None]


def test_identity_updates_that_do_not_decode_or_overflow_the_log_are_rejected():
    service = DeliveryService()
    for bad in [b"\xff", IdentityUpdate(inbox_id="not hex").encode()]:
        with pytest.raises(Rejected) as e:
            publish(service, bad)
        assert e.value.reason is NodeReason.INVALID_IDENTITY_UPDATE
    for n in range(MAX_INBOX_LOG_ENTRIES):
        publish(service, add_member(INBOX_1, installation_public_key=n.to_bytes(32, "big")))
    with pytest.raises(Rejected) as e:
        publish(service, add_member(INBOX_1, installation_public_key=b"\xff" * 32))
    assert e.value.reason is NodeReason.INBOX_LOG_FULL


# ------------------------------------------------------------------ subscriptions

def test_subscription_catches_up_from_cursors_then_follows_in_id_order():
    service = DeliveryService()
    send(service, private(GROUP_A, 1), private(GROUP_B, 1), private(GROUP_A, 2), private(GROUP_A, 3))
    subscription = subscribe(service, (GROUP_A, 1), (GROUP_B, 0))
    assert ids(subscription.poll()) == [3, 4, 2]  # catch-up, filter by filter
    send(service, private(GROUP_B, 2), private(b"C" * 16, 1), private(GROUP_A, 4))
    assert ids(subscription) == [5, 7]
    assert subscription.poll() == []
    subscription.close()
    send(service, private(GROUP_A, 5))
    assert subscription.poll() == []


def test_welcome_subscription():
    service = DeliveryService()
    send_welcomes(service, welcome(INSTALLATION_1, b"w1"))
    subscription = service.subscribe_welcome_messages(api.SubscribeWelcomeMessagesRequest((
        api.SubscribeWelcomeMessagesRequest.Filter(INSTALLATION_1, 0),)))
    send_welcomes(service, welcome(INSTALLATION_2), welcome(INSTALLATION_1, b"w2"))
    assert [w.v1.data for w in subscription.poll()] == [b"w1", b"w2"]


# ------------------------------------------------------------------ faults

def test_failed_publishes_store_nothing_then_recover():
    service = DeliveryService()
    service.fail_publishes(2)
    for _ in range(2):
        with pytest.raises(NetworkError) as e:
            send(service, private(GROUP_A))
        assert e.value.reason is NetworkReason.UNAVAILABLE
    assert query(service, GROUP_A).messages == ()
    send(service, private(GROUP_A))
    assert ids(query(service, GROUP_A).messages) == [1]


def test_every_kind_of_publish_can_fail(key_packages):
    service = DeliveryService()
    service.fail_publishes(4)
    for publish_call in [lambda: send_welcomes(service, welcome(INSTALLATION_1)),
                         lambda: upload(service, key_packages[0]),
                         lambda: publish(service, create_inbox(INBOX_1, ADDRESS_1)),
                         lambda: send(service, private(GROUP_A))]:
        with pytest.raises(NetworkError):
            publish_call()
    assert query_welcomes(service, INSTALLATION_1).messages == ()
    assert updates_of(service, (INBOX_1, 0))[INBOX_1] == ()


def test_a_lost_response_still_stores_and_a_retry_is_deduplicated():
    service = DeliveryService()
    service.fail_publishes(1, NetworkReason.RESPONSE_LOST)
    with pytest.raises(NetworkError) as e:
        send(service, private(GROUP_A))
    assert e.value.reason is NetworkReason.RESPONSE_LOST
    send(service, private(GROUP_A))  # the client republishes the same payload
    assert ids(query(service, GROUP_A).messages) == [1]
    with pytest.raises(ValueError):
        service.fail_publishes(1, NetworkReason.CONNECTION_REFUSED)


def test_refused_connections_break_streams_until_the_clock_passes():
    clock = Clock(0)
    service = DeliveryService(clock)
    send(service, private(GROUP_A, 1))
    subscription = subscribe(service, (GROUP_A, 0))
    service.refuse_connections(until_ns=100)
    for call in [lambda: send(service, private(GROUP_A, 2)), lambda: query(service, GROUP_A),
                 lambda: subscribe(service, (GROUP_A, 0))]:
        with pytest.raises(NetworkError) as e:
            call()
        assert e.value.reason is NetworkReason.CONNECTION_REFUSED
    assert ids(subscription.poll()) == [1]  # delivered before the break
    with pytest.raises(NetworkError) as e:
        subscription.poll()
    assert e.value.reason is NetworkReason.STREAM_BROKEN
    clock.advance(100)
    send(service, private(GROUP_A, 2))
    assert ids(subscribe(service, (GROUP_A, 1)).poll()) == [2]  # resubscribing from the last cursor


def test_late_messages_are_stored_when_they_arrive_and_nobody_misses_them():
    clock = Clock(0)
    service = DeliveryService(clock)
    subscription = subscribe(service, (GROUP_A, 0))
    service.deliver_late(until_ns=50_000)
    send(service, private(GROUP_A, 1))
    service.deliver_late(None)
    send(service, private(GROUP_A, 2))
    on_time = query(service, GROUP_A, ASC).messages
    assert ids(on_time) == [1] and on_time[0].v1.data == private(GROUP_A, 2)  # the late one is in transit
    assert ids(subscription.poll()) == [1]
    clock.advance(50_000)
    later = query(service, GROUP_A, ASC).messages
    assert ids(later) == [1, 2]
    assert later[1].v1.data == private(GROUP_A, 1) and later[1].v1.created_ns == 50_000  # stored on arrival
    assert ids(subscription.poll()) == [2]
    assert ids(query(service, GROUP_A, ASC, cursor=1).messages) == [2]  # a client past id 1 still sees it


def test_late_messages_reach_a_subscription_that_has_not_passed_them():
    clock = Clock(0)
    service = DeliveryService(clock)
    subscription = subscribe(service, (GROUP_A, 0))
    service.deliver_late(until_ns=10)
    send(service, private(GROUP_A, 1))
    send_welcomes(service, welcome(INSTALLATION_1))
    assert subscription.poll() == [] and query_welcomes(service, INSTALLATION_1).messages == ()
    clock.advance(10)
    assert ids(subscription.poll()) == [1]
    assert ids(query_welcomes(service, INSTALLATION_1).messages) == [1]


def test_duplicated_query_results():
    service = DeliveryService()
    send(service, private(GROUP_A, 1), private(GROUP_A, 2))
    service.duplicate_in_queries(1)
    assert query(service, b"empty" * 4).messages == ()  # an empty page does not use up the fault
    assert ids(query(service, GROUP_A).messages) == [1, 1, 2]
    assert ids(query(service, GROUP_A).messages) == [1, 2]


# ------------------------------------------------------------------ determinism

def scenario() -> list[bytes]:
    """A run touching every kind of state; its responses' bytes."""
    clock = Clock()
    service = DeliveryService(clock)
    out = []
    publish(service, create_inbox(INBOX_1, ADDRESS_1))
    for n in range(3):
        clock.advance(1_234_567)
        send(service, private(GROUP_A, n), private(GROUP_B, n, content_type=ContentType.commit))
        send_welcomes(service, welcome(INSTALLATION_1, bytes([n])))
    service.deliver_late(clock.now_ns() + 10)
    send(service, private(GROUP_A, 9))
    clock.advance(10)
    out.append(query(service, GROUP_A, ASC).encode())
    out.append(query(service, GROUP_B, DESC).encode())
    out.append(query_welcomes(service, INSTALLATION_1).encode())
    out.append(service.get_identity_updates(api.GetIdentityUpdatesRequest((
        api.GetIdentityUpdatesRequest.Request(INBOX_1),))).encode())
    out += [m.encode() for m in subscribe(service, (GROUP_A, 0), (GROUP_B, 2)).poll()]
    return out


def test_same_calls_give_the_same_ids_timestamps_and_bytes():
    assert scenario() == scenario()


# ------------------------------------------------------------------ streams dropped, envelopes watched

def test_drop_streams_breaks_every_subscription_after_what_it_delivered():
    service = DeliveryService()
    subscription = subscribe(service, (GROUP_A, 0))
    send(service, private(GROUP_A, 1))
    service.drop_streams()
    send(service, private(GROUP_A, 2))
    assert ids(subscription.poll()) == [1]
    with pytest.raises(NetworkError) as broken:
        subscription.poll()
    assert broken.value.reason is NetworkReason.STREAM_BROKEN
    assert ids(subscribe(service, (GROUP_A, 1)).poll()) == [2]  # subscribing again from the cursor


def test_every_stored_envelope_is_handed_to_watchers_with_its_own_timestamp():
    service = DeliveryService()
    seen = []
    service.watch(seen.append)
    send(service, private(GROUP_A, 1), private(GROUP_A, 1), private(GROUP_A, 2))  # the copy is not stored
    send_welcomes(service, welcome(INSTALLATION_1))
    assert [type(e).__name__ for e in seen] == ["GroupMessage", "GroupMessage", "WelcomeMessage"]
    first, second = seen[0].v1.created_ns, seen[1].v1.created_ns
    assert second == first + 1000  # the clock did not move: a microsecond apart all the same


def test_a_cut_sync_answers_its_full_pages_then_refuses_connections():
    service = DeliveryService()
    send(service, *[private(GROUP_A, n) for n in range(150)])
    send(service, private(GROUP_B))
    service.cut_sync_after(1, service.clock.now_ns() + 60 * 10**9)
    assert len(query(service, GROUP_B).messages) == 1  # a short page is not counted
    first = query(service, GROUP_A)
    assert len(first.messages) == 100 and first.paging_info.id_cursor
    with pytest.raises(NetworkError) as e:
        query(service, GROUP_A, cursor=first.paging_info.id_cursor)
    assert e.value.reason is NetworkReason.CONNECTION_REFUSED
    service.clock.advance(60 * 10**9)
    rest = query(service, GROUP_A, cursor=first.paging_info.id_cursor)
    assert ids(first.messages) + ids(rest.messages) == list(range(1, 151))
