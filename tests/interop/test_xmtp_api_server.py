"""The gRPC API server: model clients talk to the delivery-service model through real gRPC (h2c)."""

from __future__ import annotations

import tempfile

import grpc
import pytest

from interop.xmtp_api_server import XmtpApiServer
from spec_model.xmtp.api import API_METHODS, API_SERVICES
from spec_model.xmtp import api
from spec_model.xmtp.client import Client
from spec_model.xmtp.network import Clock, DeliveryService, NetworkError, NetworkReason
from spec_model.xmtp.wallet import Wallet


class GrpcNetwork:
    """The delivery service as a gRPC client sees it (what an SDK's transport does)."""

    def __init__(self, url: str, clock: Clock):
        self.clock = clock
        self._channel = grpc.insecure_channel(url.removeprefix("http://"))
        service_of = {rpc: service for service, rpcs in API_SERVICES.items() for rpc in rpcs}
        for rpc, (name, _, response_type) in API_METHODS.items():
            call = self._channel.unary_unary(f"/{service_of[rpc]}/{rpc}", request_serializer=lambda m: m.encode(),
                                             response_deserializer=lambda b: b)
            setattr(self, name, self._method(call, response_type))

    @staticmethod
    def _method(call, response_type):
        def method(request):
            try:
                data = call(request)
            except grpc.RpcError as e:
                if e.code() is grpc.StatusCode.UNAVAILABLE:
                    raise NetworkError(NetworkReason(e.details())) from None
                raise
            return None if response_type is None else response_type.decode(data)
        return method

    def close(self):
        self._channel.close()


@pytest.fixture
def served():
    service = DeliveryService(Clock())
    server = XmtpApiServer(lambda: service).start()
    network = GrpcNetwork(server.url, service.clock)
    yield service, server, network
    network.close()
    server.stop()


def test_two_model_clients_form_a_group_over_grpc(served, tmp_path):
    service, server, network = served
    alice = Client.create(Wallet.random(), str(tmp_path / "a.db3"), b"k" * 32, network)
    bob = Client.create(Wallet.random(), str(tmp_path / "b.db3"), b"k" * 32, network)
    group = alice.conversations.create_group([bob.address])
    group.send("over gRPC")
    bob.conversations.sync()
    bobs = bob.conversations.get(group.group_id)
    bobs.sync()
    assert [m.text for m in bobs.find_messages()] == ["over gRPC"]
    assert {"GetInboxIds", "UploadKeyPackage", "PublishIdentityUpdate", "FetchKeyPackages", "SendGroupMessages",
            "QueryGroupMessages", "SendWelcomeMessages", "QueryWelcomeMessages"} <= set(server.calls)


def test_faults_and_refusals_become_grpc_statuses(served):
    service, server, network = served
    service.fail_publishes(1)
    with pytest.raises(NetworkError) as failed:
        network.upload_key_package(api.UploadKeyPackageRequest(api.KeyPackageUpload(b"junk")))
    assert failed.value.reason is NetworkReason.UNAVAILABLE
    with pytest.raises(grpc.RpcError) as refused:
        network.upload_key_package(api.UploadKeyPackageRequest(api.KeyPackageUpload(b"junk")))
    assert refused.value.code() is grpc.StatusCode.INVALID_ARGUMENT


def test_subscriptions_stream_new_messages(served, tmp_path):
    service, server, network = served
    alice = Client.create(Wallet.random(), str(tmp_path / "a.db3"), b"k" * 32, network)
    group = alice.conversations.create_group()
    channel = grpc.insecure_channel(server.url.removeprefix("http://"))
    stream = channel.unary_stream("/xmtp.mls.api.v1.MlsApi/SubscribeGroupMessages",
                                  request_serializer=lambda m: m.encode(), response_deserializer=api.GroupMessage.decode)
    messages = stream(api.SubscribeGroupMessagesRequest((api.SubscribeGroupMessagesRequest.Filter(group.group_id, 0),)))
    group.send("streamed")
    envelopes = [next(messages), next(messages)]  # the creation's commit, then the message
    messages.cancel()
    channel.close()
    assert [e.v1.group_id for e in envelopes] == [group.group_id] * 2
    assert envelopes[0].v1.id < envelopes[1].v1.id


def _subscribe(channel, group_id: bytes = bytes(16)):
    stream = channel.unary_stream("/xmtp.mls.api.v1.MlsApi/SubscribeGroupMessages",
                                  request_serializer=lambda m: m.encode(), response_deserializer=lambda b: b)
    return stream(api.SubscribeGroupMessagesRequest((api.SubscribeGroupMessagesRequest.Filter(group_id, 0),)))


def _raw_unary(channel, rpc: str = "GetInboxIds"):
    return channel.unary_unary(f"/xmtp.identity.api.v1.IdentityApi/{rpc}", request_serializer=lambda b: b,
                               response_deserializer=lambda b: b)


def _wait_for(condition, attempts: int = 600) -> None:
    import time
    for _ in range(attempts):
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached")


def test_open_streams_never_starve_unary_calls(served):
    """More idle subscribers than the old pool had threads (16): unary calls are still answered."""
    service, server, network = served
    channel = grpc.insecure_channel(server.url.removeprefix("http://"))
    streams = [_subscribe(channel) for _ in range(24)]
    try:
        _wait_for(lambda: server.calls.count("SubscribeGroupMessages") == 24)
        answered = _raw_unary(channel)(api.GetInboxIdsRequest(()).encode(), timeout=30)
        assert api.GetInboxIdsResponse.decode(answered) == api.GetInboxIdsResponse(())
    finally:
        for stream in streams:
            stream.cancel()
        channel.close()


def test_one_stream_more_than_the_cap_is_refused():
    service = DeliveryService(Clock())
    server = XmtpApiServer(lambda: service, max_streams=2).start()
    channel = grpc.insecure_channel(server.url.removeprefix("http://"))
    open_streams = [_subscribe(channel) for _ in range(2)]
    try:
        _wait_for(lambda: server.calls.count("SubscribeGroupMessages") == 2)
        with pytest.raises(grpc.RpcError) as refused:
            next(_subscribe(channel))
        assert refused.value.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
        assert _raw_unary(channel)(api.GetInboxIdsRequest(()).encode(), timeout=30) is not None
    finally:
        for stream in open_streams:
            stream.cancel()
        channel.close()
        server.stop()


@pytest.mark.parametrize("request_bytes, detail", [
    (b"\x0a\x05\x0a\x03\xff\xff\xff", "string is not valid UTF-8"),  # a malformed GetInboxIdsRequest
    (b"\x0a\x00" * 300_000, "values"),  # more values than a request may decode
])
def test_a_request_that_does_not_decode_is_invalid_argument(served, request_bytes, detail):
    service, server, network = served
    channel = grpc.insecure_channel(server.url.removeprefix("http://"))
    with pytest.raises(grpc.RpcError) as refused:
        _raw_unary(channel)(request_bytes, timeout=30)
    channel.close()
    assert refused.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert detail in refused.value.details()
