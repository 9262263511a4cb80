"""XMTP's network API messages: ``xmtp.mls.api.v1.MlsApi`` and ``xmtp.identity.api.v1.IdentityApi``.

Theory of operation
-------------------
These are the requests and responses the delivery service (``network.py``)
takes and returns, and that a gRPC front end serves unchanged (docs/xmtp-facts.md §7.1,
§7.4; proto ``mls/api/v1/mls.proto`` and ``identity/api/v1/identity.proto``
at xmtp/proto f5191f7). Nested proto messages are nested classes here
(``GroupMessage.V1``), so names read as in the ``.proto`` files.

Two deliberate narrowings:

* An ``IdentityUpdate`` travels as the raw bytes of the embedded message
  (``PublishIdentityUpdateRequest.identity_update``,
  ``GetIdentityUpdatesResponse.IdentityUpdateLog.update``): the same wire
  bytes, decoded by the identity layer, so this module does not depend on it.
* ``QueryCommitLogResponse`` omits ``commit_log_entries = 2``: the model
  answers commit-log queries with no entries, which is all libxmtp needs
  (observed doc, "Background").
"""

from __future__ import annotations

import enum

from .proto import BOOL, BYTES, STRING, UINT32, UINT64, Annotated, EnumKind, Field, Message, MessageKind

__all__ = [
    "SortDirection", "WelcomeWrapperAlgorithm", "WelcomePointerWrapperAlgorithm", "IdentifierKind", "Empty",
    "PagingInfo", "GroupMessageInput", "GroupMessage", "WelcomeMessageInput", "WelcomeMessage", "WelcomeMetadata",
    "KeyPackageUpload", "UploadKeyPackageRequest", "FetchKeyPackagesRequest", "FetchKeyPackagesResponse",
    "SendGroupMessagesRequest", "SendWelcomeMessagesRequest", "QueryGroupMessagesRequest",
    "QueryGroupMessagesResponse", "QueryWelcomeMessagesRequest", "QueryWelcomeMessagesResponse",
    "SubscribeGroupMessagesRequest", "SubscribeWelcomeMessagesRequest", "GetNewestGroupMessageRequest",
    "GetNewestGroupMessageResponse", "QueryCommitLogRequest", "QueryCommitLogResponse",
    "BatchQueryCommitLogRequest", "BatchQueryCommitLogResponse", "PublishIdentityUpdateRequest",
    "GetIdentityUpdatesRequest", "GetIdentityUpdatesResponse", "GetInboxIdsRequest", "GetInboxIdsResponse",
    "API_METHODS", "API_SERVICES", "API_STREAMS", "GRPC_PAYLOAD_LIMIT",
]

GRPC_PAYLOAD_LIMIT = 25 * 1024 * 1024
"""libxmtp crates/xmtp_configuration/src/common/api.rs@b649d1a ``GRPC_PAYLOAD_LIMIT`` (25 MiB): the largest
message libxmtp's gRPC client sends or receives."""


# ------------------------------------------------------------------ enums

class SortDirection(enum.IntEnum):
    """xmtp/proto mls.proto: ``SortDirection``."""

    UNSPECIFIED = 0
    ASCENDING = 1
    DESCENDING = 2


class WelcomeWrapperAlgorithm(enum.IntEnum):
    """xmtp/proto wrapper_encryption.proto: ``WelcomeWrapperAlgorithm`` (docs/xmtp-facts.md §7.1)."""

    UNSPECIFIED = 0
    CURVE25519 = 1
    XWING_MLKEM_768_DRAFT_6 = 2
    SYMMETRIC_KEY = 3


class WelcomePointerWrapperAlgorithm(enum.IntEnum):
    """xmtp/proto welcome_pointer.proto: ``WelcomePointerWrapperAlgorithm`` (docs/xmtp-facts.md §7.1)."""

    UNSPECIFIED = 0
    XWING_MLKEM_768_DRAFT_6 = 2


class IdentifierKind(enum.IntEnum):
    """xmtp/proto associations/association.proto: ``IdentifierKind``; UNSPECIFIED means Ethereum (docs/xmtp-facts.md §8)."""

    UNSPECIFIED = 0
    ETHEREUM = 1
    PASSKEY = 2


# ------------------------------------------------------------------ common

class Empty(Message):
    """xmtp/proto google/protobuf/empty.proto: ``Empty``, the reply of every MLS publish call and of
    PublishIdentityUpdate (whose ``PublishIdentityUpdateResponse`` has no fields either)."""


class PagingInfo(Message):
    """xmtp/proto mls.proto: ``PagingInfo``."""

    direction: Annotated[int, Field(1, EnumKind(SortDirection))] = SortDirection.UNSPECIFIED
    limit: Annotated[int, Field(2, UINT32)] = 0
    id_cursor: Annotated[int, Field(3, UINT64)] = 0


# ------------------------------------------------------------------ group messages

class GroupMessageInput(Message):
    """xmtp/proto mls.proto: ``GroupMessageInput``, what a client publishes to a group."""

    class V1(Message):
        """xmtp/proto mls.proto: ``GroupMessageInput.V1``; ``data`` is a TLS ``MLSMessage``."""

        data: Annotated[bytes, Field(1, BYTES)] = b""
        sender_hmac: Annotated[bytes, Field(2, BYTES)] = b""
        should_push: Annotated[bool, Field(3, BOOL)] = False

    v1: Annotated[V1 | None, Field(1, MessageKind(V1), oneof="version")] = None


class GroupMessage(Message):
    """xmtp/proto mls.proto: ``GroupMessage``, a stored group message as queries and streams return it."""

    class V1(Message):
        """xmtp/proto mls.proto: ``GroupMessage.V1``; ``id`` and ``created_ns`` are the server's."""

        id: Annotated[int, Field(1, UINT64)] = 0
        created_ns: Annotated[int, Field(2, UINT64)] = 0
        group_id: Annotated[bytes, Field(3, BYTES)] = b""
        data: Annotated[bytes, Field(4, BYTES)] = b""
        sender_hmac: Annotated[bytes, Field(5, BYTES)] = b""
        should_push: Annotated[bool, Field(6, BOOL)] = False
        is_commit: Annotated[bool, Field(7, BOOL)] = False

    v1: Annotated[V1 | None, Field(1, MessageKind(V1), oneof="version")] = None


class SendGroupMessagesRequest(Message):
    """xmtp/proto mls.proto: ``SendGroupMessagesRequest``."""

    messages: Annotated[tuple[GroupMessageInput, ...], Field(1, MessageKind(GroupMessageInput), repeated=True)] = ()


class QueryGroupMessagesRequest(Message):
    """xmtp/proto mls.proto: ``QueryGroupMessagesRequest``."""

    group_id: Annotated[bytes, Field(1, BYTES)] = b""
    paging_info: Annotated[PagingInfo | None, Field(2, MessageKind(PagingInfo))] = None


class QueryGroupMessagesResponse(Message):
    """xmtp/proto mls.proto: ``QueryGroupMessagesResponse``."""

    messages: Annotated[tuple[GroupMessage, ...], Field(1, MessageKind(GroupMessage), repeated=True)] = ()
    paging_info: Annotated[PagingInfo | None, Field(2, MessageKind(PagingInfo))] = None


class SubscribeGroupMessagesRequest(Message):
    """xmtp/proto mls.proto: ``SubscribeGroupMessagesRequest``."""

    class Filter(Message):
        """xmtp/proto mls.proto: ``SubscribeGroupMessagesRequest.Filter``: a group and the last id seen."""

        group_id: Annotated[bytes, Field(1, BYTES)] = b""
        id_cursor: Annotated[int, Field(2, UINT64)] = 0

    filters: Annotated[tuple[Filter, ...], Field(1, MessageKind(Filter), repeated=True)] = ()


class GetNewestGroupMessageRequest(Message):
    """xmtp/proto mls.proto: ``GetNewestGroupMessageRequest``; without ``include_content`` the node
    returns only id, created_ns, group_id and is_commit (node-go service.go)."""

    group_ids: Annotated[tuple[bytes, ...], Field(1, BYTES, repeated=True)] = ()
    include_content: Annotated[bool, Field(2, BOOL)] = False


class GetNewestGroupMessageResponse(Message):
    """xmtp/proto mls.proto: ``GetNewestGroupMessageResponse``: one response per requested group, in order."""

    class Response(Message):
        """xmtp/proto mls.proto: ``GetNewestGroupMessageResponse.Response``; no message for an empty group."""

        group_message: Annotated[GroupMessage | None, Field(1, MessageKind(GroupMessage), optional=True)] = None

    responses: Annotated[tuple[Response, ...], Field(1, MessageKind(Response), repeated=True)] = ()


# ------------------------------------------------------------------ welcomes

class WelcomeMessageInput(Message):
    """xmtp/proto mls.proto: ``WelcomeMessageInput``: a wrapped welcome, or a pointer to one (XIP-74)."""

    class V1(Message):
        """xmtp/proto mls.proto: ``WelcomeMessageInput.V1``."""

        installation_key: Annotated[bytes, Field(1, BYTES)] = b""
        data: Annotated[bytes, Field(2, BYTES)] = b""
        hpke_public_key: Annotated[bytes, Field(3, BYTES)] = b""
        wrapper_algorithm: Annotated[int, Field(4, EnumKind(WelcomeWrapperAlgorithm))] = 0
        welcome_metadata: Annotated[bytes, Field(7, BYTES)] = b""

    class WelcomePointer(Message):
        """xmtp/proto mls.proto: ``WelcomeMessageInput.WelcomePointer``."""

        installation_key: Annotated[bytes, Field(1, BYTES)] = b""
        welcome_pointer: Annotated[bytes, Field(2, BYTES)] = b""
        hpke_public_key: Annotated[bytes, Field(3, BYTES)] = b""
        wrapper_algorithm: Annotated[int, Field(4, EnumKind(WelcomePointerWrapperAlgorithm))] = 0

    v1: Annotated[V1 | None, Field(1, MessageKind(V1), oneof="version")] = None
    welcome_pointer: Annotated[WelcomePointer | None, Field(2, MessageKind(WelcomePointer), oneof="version")] = None


class WelcomeMessage(Message):
    """xmtp/proto mls.proto: ``WelcomeMessage``, a stored welcome; output numbering differs from the input's."""

    class V1(Message):
        """xmtp/proto mls.proto: ``WelcomeMessage.V1``."""

        id: Annotated[int, Field(1, UINT64)] = 0
        created_ns: Annotated[int, Field(2, UINT64)] = 0
        installation_key: Annotated[bytes, Field(3, BYTES)] = b""
        data: Annotated[bytes, Field(4, BYTES)] = b""
        hpke_public_key: Annotated[bytes, Field(5, BYTES)] = b""
        wrapper_algorithm: Annotated[int, Field(6, EnumKind(WelcomeWrapperAlgorithm))] = 0
        welcome_metadata: Annotated[bytes, Field(7, BYTES)] = b""

    class WelcomePointer(Message):
        """xmtp/proto mls.proto: ``WelcomeMessage.WelcomePointer``."""

        id: Annotated[int, Field(1, UINT64)] = 0
        created_ns: Annotated[int, Field(2, UINT64)] = 0
        installation_key: Annotated[bytes, Field(3, BYTES)] = b""
        welcome_pointer: Annotated[bytes, Field(4, BYTES)] = b""
        hpke_public_key: Annotated[bytes, Field(5, BYTES)] = b""
        wrapper_algorithm: Annotated[int, Field(6, EnumKind(WelcomePointerWrapperAlgorithm))] = 0

    v1: Annotated[V1 | None, Field(1, MessageKind(V1), oneof="version")] = None
    welcome_pointer: Annotated[WelcomePointer | None, Field(2, MessageKind(WelcomePointer), oneof="version")] = None


class WelcomeMetadata(Message):
    """xmtp/proto mls.proto: ``WelcomeMetadata``, sealed in ``welcome_metadata``: the group cursor to start from."""

    message_cursor: Annotated[int, Field(1, UINT64)] = 0


class SendWelcomeMessagesRequest(Message):
    """xmtp/proto mls.proto: ``SendWelcomeMessagesRequest``."""

    messages: Annotated[tuple[WelcomeMessageInput, ...],
                        Field(1, MessageKind(WelcomeMessageInput), repeated=True)] = ()


class QueryWelcomeMessagesRequest(Message):
    """xmtp/proto mls.proto: ``QueryWelcomeMessagesRequest``."""

    installation_key: Annotated[bytes, Field(1, BYTES)] = b""
    paging_info: Annotated[PagingInfo | None, Field(2, MessageKind(PagingInfo))] = None


class QueryWelcomeMessagesResponse(Message):
    """xmtp/proto mls.proto: ``QueryWelcomeMessagesResponse``."""

    messages: Annotated[tuple[WelcomeMessage, ...], Field(1, MessageKind(WelcomeMessage), repeated=True)] = ()
    paging_info: Annotated[PagingInfo | None, Field(2, MessageKind(PagingInfo))] = None


class SubscribeWelcomeMessagesRequest(Message):
    """xmtp/proto mls.proto: ``SubscribeWelcomeMessagesRequest``."""

    class Filter(Message):
        """xmtp/proto mls.proto: ``SubscribeWelcomeMessagesRequest.Filter``: an installation and the last id seen."""

        installation_key: Annotated[bytes, Field(1, BYTES)] = b""
        id_cursor: Annotated[int, Field(2, UINT64)] = 0

    filters: Annotated[tuple[Filter, ...], Field(1, MessageKind(Filter), repeated=True)] = ()


# ------------------------------------------------------------------ key packages

class KeyPackageUpload(Message):
    """xmtp/proto mls.proto: ``KeyPackageUpload``: a TLS-serialized ``KeyPackage`` (not an MLSMessage)."""

    key_package_tls_serialized: Annotated[bytes, Field(1, BYTES)] = b""


class UploadKeyPackageRequest(Message):
    """xmtp/proto mls.proto: ``UploadKeyPackageRequest``."""

    key_package: Annotated[KeyPackageUpload | None, Field(1, MessageKind(KeyPackageUpload))] = None
    is_inbox_id_credential: Annotated[bool, Field(2, BOOL)] = False


class FetchKeyPackagesRequest(Message):
    """xmtp/proto mls.proto: ``FetchKeyPackagesRequest``."""

    installation_keys: Annotated[tuple[bytes, ...], Field(1, BYTES, repeated=True)] = ()


class FetchKeyPackagesResponse(Message):
    """xmtp/proto mls.proto: ``FetchKeyPackagesResponse``: one entry per requested key, in request order;
    an empty entry means the installation has no key package."""

    class KeyPackage(Message):
        """xmtp/proto mls.proto: ``FetchKeyPackagesResponse.KeyPackage``."""

        key_package_tls_serialized: Annotated[bytes, Field(1, BYTES)] = b""

    key_packages: Annotated[tuple[KeyPackage, ...], Field(1, MessageKind(KeyPackage), repeated=True)] = ()


# ------------------------------------------------------------------ commit log (answered empty)

class QueryCommitLogRequest(Message):
    """xmtp/proto mls.proto: ``QueryCommitLogRequest``."""

    group_id: Annotated[bytes, Field(1, BYTES)] = b""
    paging_info: Annotated[PagingInfo | None, Field(2, MessageKind(PagingInfo))] = None


class QueryCommitLogResponse(Message):
    """xmtp/proto mls.proto: ``QueryCommitLogResponse`` without ``commit_log_entries = 2`` (always empty here)."""

    group_id: Annotated[bytes, Field(1, BYTES)] = b""
    paging_info: Annotated[PagingInfo | None, Field(3, MessageKind(PagingInfo))] = None


class BatchQueryCommitLogRequest(Message):
    """xmtp/proto mls.proto: ``BatchQueryCommitLogRequest``."""

    requests: Annotated[tuple[QueryCommitLogRequest, ...],
                        Field(1, MessageKind(QueryCommitLogRequest), repeated=True)] = ()


class BatchQueryCommitLogResponse(Message):
    """xmtp/proto mls.proto: ``BatchQueryCommitLogResponse``."""

    responses: Annotated[tuple[QueryCommitLogResponse, ...],
                         Field(1, MessageKind(QueryCommitLogResponse), repeated=True)] = ()


# ------------------------------------------------------------------ identity API

class PublishIdentityUpdateRequest(Message):
    """xmtp/proto identity.proto: ``PublishIdentityUpdateRequest``; ``identity_update`` holds the encoded
    ``xmtp.identity.associations.IdentityUpdate`` (same wire bytes as the embedded message)."""

    identity_update: Annotated[bytes, Field(1, BYTES)] = b""


class GetIdentityUpdatesRequest(Message):
    """xmtp/proto identity.proto: ``GetIdentityUpdatesRequest``."""

    class Request(Message):
        """xmtp/proto identity.proto: ``GetIdentityUpdatesRequest.Request``: the last sequence id seen (0: none)."""

        inbox_id: Annotated[str, Field(1, STRING)] = ""
        sequence_id: Annotated[int, Field(2, UINT64)] = 0

    requests: Annotated[tuple[Request, ...], Field(1, MessageKind(Request), repeated=True)] = ()


class GetIdentityUpdatesResponse(Message):
    """xmtp/proto identity.proto: ``GetIdentityUpdatesResponse``: one response per request, in order."""

    class IdentityUpdateLog(Message):
        """xmtp/proto identity.proto: ``GetIdentityUpdatesResponse.IdentityUpdateLog``; ``update`` as bytes."""

        sequence_id: Annotated[int, Field(1, UINT64)] = 0
        server_timestamp_ns: Annotated[int, Field(2, UINT64)] = 0
        update: Annotated[bytes, Field(3, BYTES)] = b""

    class Response(Message):
        """xmtp/proto identity.proto: ``GetIdentityUpdatesResponse.Response``."""

        inbox_id: Annotated[str, Field(1, STRING)] = ""
        updates: Annotated[tuple[GetIdentityUpdatesResponse.IdentityUpdateLog, ...],
                           Field(2, MessageKind(GetIdentityUpdatesResponse.IdentityUpdateLog), repeated=True)] = ()

    responses: Annotated[tuple[Response, ...], Field(1, MessageKind(Response), repeated=True)] = ()


class GetInboxIdsRequest(Message):
    """xmtp/proto identity.proto: ``GetInboxIdsRequest``."""

    class Request(Message):
        """xmtp/proto identity.proto: ``GetInboxIdsRequest.Request``."""

        identifier: Annotated[str, Field(1, STRING)] = ""
        identifier_kind: Annotated[int, Field(2, EnumKind(IdentifierKind))] = 0

    requests: Annotated[tuple[Request, ...], Field(1, MessageKind(Request), repeated=True)] = ()


class GetInboxIdsResponse(Message):
    """xmtp/proto identity.proto: ``GetInboxIdsResponse``: one response per request, in order."""

    class Response(Message):
        """xmtp/proto identity.proto: ``GetInboxIdsResponse.Response``; no ``inbox_id`` for an unknown identifier."""

        identifier: Annotated[str, Field(1, STRING)] = ""
        inbox_id: Annotated[str | None, Field(2, STRING, optional=True)] = None
        identifier_kind: Annotated[int, Field(3, EnumKind(IdentifierKind))] = 0

    responses: Annotated[tuple[Response, ...], Field(1, MessageKind(Response), repeated=True)] = ()


API_METHODS: dict[str, tuple[str, type, type | None]] = {
    # gRPC method name: (DeliveryService method, request message, response message or None for Empty)
    "SendGroupMessages": ("send_group_messages", SendGroupMessagesRequest, None),
    "QueryGroupMessages": ("query_group_messages", QueryGroupMessagesRequest, QueryGroupMessagesResponse),
    "GetNewestGroupMessage": ("get_newest_group_message", GetNewestGroupMessageRequest,
                              GetNewestGroupMessageResponse),
    "BatchQueryCommitLog": ("batch_query_commit_log", BatchQueryCommitLogRequest, BatchQueryCommitLogResponse),
    "SendWelcomeMessages": ("send_welcome_messages", SendWelcomeMessagesRequest, None),
    "QueryWelcomeMessages": ("query_welcome_messages", QueryWelcomeMessagesRequest,
                             QueryWelcomeMessagesResponse),
    "UploadKeyPackage": ("upload_key_package", UploadKeyPackageRequest, None),
    "FetchKeyPackages": ("fetch_key_packages", FetchKeyPackagesRequest, FetchKeyPackagesResponse),
    "PublishIdentityUpdate": ("publish_identity_update", PublishIdentityUpdateRequest, None),
    "GetIdentityUpdates": ("get_identity_updates", GetIdentityUpdatesRequest, GetIdentityUpdatesResponse),
    "GetInboxIds": ("get_inbox_ids", GetInboxIdsRequest, GetInboxIdsResponse),
}
"""docs/xmtp-facts.md §7: the MlsApi and IdentityApi methods a client calls, answered by ``DeliveryService``.
Subscriptions (streams) are not part of the protocol: adapters poll with queries."""
API_SERVICES = {
    "xmtp.mls.api.v1.MlsApi": ("SendGroupMessages", "SendWelcomeMessages", "UploadKeyPackage", "FetchKeyPackages",
                               "QueryGroupMessages", "QueryWelcomeMessages", "GetNewestGroupMessage",
                               "BatchQueryCommitLog"),
    "xmtp.identity.api.v1.IdentityApi": ("PublishIdentityUpdate", "GetIdentityUpdates", "GetInboxIds"),
}
"""docs/xmtp-facts.md §7.1, §7.4: the unary methods, by service (the Subscribe streams are added below)."""
API_STREAMS = {
    "SubscribeGroupMessages": ("subscribe_group_messages", SubscribeGroupMessagesRequest),
    "SubscribeWelcomeMessages": ("subscribe_welcome_messages", SubscribeWelcomeMessagesRequest),
}
"""docs/xmtp-facts.md §7.1: the server streams: (DeliveryService method, request message)."""
