"""The harness's delivery service, reached by an adapter through the protocol's ``ds.*`` calls.

The harness owns the delivery service (``spec_model.xmtp.network.DeliveryService``): it injects
faults, moves the clock and starts a fresh one for each scenario. An adapter's clients reach it
only through ``ds.call`` (an XMTP API method by its gRPC name, with the request and response as
protobuf bytes, facts §7), ``ds.now``, ``ds.upload``, ``ds.download``, and the Subscribe streams as
``ds.subscribe``, ``ds.poll`` and ``ds.unsubscribe`` (the stream stays on the harness's side, so that its
fault injection can drop it):

* ``serve(service, method, params)`` is the harness's side: it answers one of those calls;
* ``RemoteDeliveryService(link)`` is the adapter's side: an object with the delivery service's
  methods (what ``spec_model.xmtp.client.Client`` expects of its network) that makes those calls.

A node refusal travels as ``AdapterError(rejected, <NodeReason>)`` and a fault as
``AdapterError(network, <NetworkReason>)``; the remote side raises ``Rejected`` and ``NetworkError``
again, so a client behaves exactly as it does on the service itself.
"""

from __future__ import annotations

import itertools
import weakref
from typing import Any

from spec_model.mls.reasons import Reason, Rejected
from spec_model.xmtp.api import API_METHODS, API_STREAMS, GroupMessage, WelcomeMessage
from spec_model.xmtp.credential import CredentialReason
from spec_model.xmtp.identity import IdentityReason
from spec_model.xmtp.key_package import KeyPackageReason
from spec_model.xmtp.network import DeliveryService, NetworkError, NetworkReason, NodeReason, Subscription

from .protocol import AdapterError, ErrorKind, Link

__all__ = ["serve", "RemoteDeliveryService"]

NODE_REFUSALS = (NodeReason, IdentityReason, KeyPackageReason, CredentialReason, Reason)
"""The reasons a node refusal can carry: its own and its validation service's (facts §7)."""


def serve(service: DeliveryService, method: str, params: dict[str, Any]) -> dict[str, Any]:
    """The harness's answer to one ``ds.*`` call; ``AdapterError`` for a refusal or a fault."""
    try:
        if method == "ds.now":
            return {"now_ns": str(service.clock.now_ns())}
        if method == "ds.upload":
            return {"upload_id": service.upload(bytes.fromhex(params["archive"]))}
        if method == "ds.download":
            return {"archive": service.download(params["upload_id"]).hex()}
        if method in ("ds.subscribe", "ds.poll", "ds.unsubscribe"):
            return _serve_stream(service, method, params)
        if params["method"] not in API_METHODS:
            raise AdapterError(ErrorKind.UNSUPPORTED, "unknown_api_method", params["method"])
        name, request_type, _ = API_METHODS[params["method"]]
        try:
            request = request_type.decode(bytes.fromhex(params["request"]))
        except ValueError as e:  # not hex, or a DecodeError naming the field
            raise AdapterError(ErrorKind.REJECTED, "invalid_request", str(e)) from None
        response = getattr(service, name)(request)
        return {"response": response.encode().hex() if response is not None else ""}
    except Rejected as e:
        raise AdapterError(ErrorKind.REJECTED, str(e.reason), e.detail, refusal_class=e.refusal_class) from None
    except NetworkError as e:
        raise AdapterError(ErrorKind.NETWORK, e.reason.value, str(e)) from None


_SUBSCRIPTIONS: "weakref.WeakKeyDictionary[DeliveryService, dict[str, Subscription]]" = weakref.WeakKeyDictionary()
_NEXT_SUBSCRIPTION = itertools.count(1)


def _serve_stream(service: DeliveryService, method: str, params: dict[str, Any]) -> dict[str, Any]:
    """``ds.subscribe`` / ``ds.poll`` / ``ds.unsubscribe``: the service's Subscribe streams, by id."""
    open_streams = _SUBSCRIPTIONS.setdefault(service, {})
    if method == "ds.subscribe":
        if params["method"] not in API_STREAMS:
            raise AdapterError(ErrorKind.UNSUPPORTED, "unknown_api_stream", params["method"])
        name, request_type = API_STREAMS[params["method"]]
        try:
            request = request_type.decode(bytes.fromhex(params["request"]))
        except ValueError as e:
            raise AdapterError(ErrorKind.REJECTED, "invalid_request", str(e)) from None
        subscription_id = str(next(_NEXT_SUBSCRIPTION))
        open_streams[subscription_id] = getattr(service, name)(request)
        return {"subscription": subscription_id}
    subscription = open_streams.get(params["subscription"])
    if subscription is None:
        raise AdapterError(ErrorKind.INTERNAL, "unknown_subscription", params["subscription"])
    if method == "ds.unsubscribe":
        subscription.close()
        del open_streams[params["subscription"]]
        return {}
    return {"envelopes": [envelope.encode().hex() for envelope in subscription.poll()]}


class _RemoteSubscription:
    """A Subscribe stream held by the harness: ``poll`` and ``close`` as ``network.Subscription``'s."""

    def __init__(self, service: "RemoteDeliveryService", subscription_id: str, envelope_type: type):
        self._service, self._id, self._type = service, subscription_id, envelope_type

    def poll(self) -> list:
        answer = self._service._call("ds.poll", {"subscription": self._id})
        return [self._type.decode(bytes.fromhex(envelope)) for envelope in answer["envelopes"]]

    def close(self) -> None:
        self._service._call("ds.unsubscribe", {"subscription": self._id})


class _RemoteClock:
    def __init__(self, link: Link):
        self._link = link

    def now_ns(self) -> int:
        return int(self._link.call("ds.now", {})["now_ns"])


class RemoteDeliveryService:
    """The delivery service as an adapter sees it: every method is a ``ds.*`` call to the harness."""

    def __init__(self, link: Link):
        self._link = link
        self.clock = _RemoteClock(link)
        for rpc, (name, _, response_type) in API_METHODS.items():
            setattr(self, name, self._method(rpc, response_type))

    def _method(self, rpc: str, response_type: type | None):
        def call(request):
            answer = self._call("ds.call", {"method": rpc, "request": request.encode().hex()})
            return None if response_type is None else response_type.decode(bytes.fromhex(answer["response"]))
        call.__name__ = rpc
        return call

    def subscribe_group_messages(self, request) -> _RemoteSubscription:
        return self._subscribe("SubscribeGroupMessages", request, GroupMessage)

    def subscribe_welcome_messages(self, request) -> _RemoteSubscription:
        return self._subscribe("SubscribeWelcomeMessages", request, WelcomeMessage)

    def _subscribe(self, rpc: str, request, envelope_type: type) -> _RemoteSubscription:
        answer = self._call("ds.subscribe", {"method": rpc, "request": request.encode().hex()})
        return _RemoteSubscription(self, answer["subscription"], envelope_type)

    def upload(self, archive: bytes) -> str:
        return self._call("ds.upload", {"archive": archive.hex()})["upload_id"]

    def download(self, upload_id: str) -> bytes:
        return bytes.fromhex(self._call("ds.download", {"upload_id": upload_id})["archive"])

    def _call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        try:
            return self._link.call(method, params)
        except AdapterError as e:
            if e.kind is ErrorKind.NETWORK:
                raise NetworkError(NetworkReason(e.reason), e.message) from None
            if e.kind is ErrorKind.REJECTED:
                raise Rejected(_node_reason(e.reason), e.message) from None
            raise


def _node_reason(reason: str):
    """The reason enum a node refusal's code belongs to (its own, or its validators')."""
    for enum_type in NODE_REFUSALS:
        if reason in enum_type.__members__.values():
            return enum_type(reason)
    raise AdapterError(ErrorKind.INTERNAL, "unknown_reason", reason)
