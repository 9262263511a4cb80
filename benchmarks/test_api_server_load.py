"""The served XMTP API under load: publish + query pairs per second over loopback gRPC, with and without
200 idle Subscribe streams open.

Run with ``.venv/bin/pytest benchmarks/test_api_server_load.py --benchmark-enable``; the pairs per second
are ``extra_info.pairs_per_s`` (1 / mean). Bounded: 5 rounds of 50 pairs for each number of streams.
What it shows: open streams (each holding a worker thread and polling every ``STREAM_POLL_S``) cost the
unary calls some throughput but never starve them (``XmtpApiServer`` keeps ``UNARY_WORKERS`` free).
"""

from __future__ import annotations

import itertools
import time

import grpc
import pytest

from interop.xmtp_api_server import XmtpApiServer
from spec_model.mls.framing import ContentType, PrivateMessage
from spec_model.mls.message import MLSMessage
from spec_model.xmtp import api
from spec_model.xmtp.network import Clock, DeliveryService

GROUP_ID = bytes(range(16))


def _application_message(n: int) -> bytes:
    """A distinct application message of ``GROUP_ID`` as the node sees it (it reads the framing only)."""
    return MLSMessage(PrivateMessage(GROUP_ID, 0, ContentType.application, b"", bytes(16),
                                     n.to_bytes(8, "big") * 8)).encode()


@pytest.fixture(scope="module")
def server():
    service = DeliveryService(Clock())
    server = XmtpApiServer(lambda: service).start()
    yield server
    server.stop()


@pytest.mark.parametrize("open_streams", [0, 200])
def test_publish_and_query_pairs(benchmark, server, open_streams):
    channel = grpc.insecure_channel(server.url.removeprefix("http://"))
    send = channel.unary_unary("/xmtp.mls.api.v1.MlsApi/SendGroupMessages", request_serializer=lambda m: m.encode(),
                               response_deserializer=lambda b: b)
    query = channel.unary_unary("/xmtp.mls.api.v1.MlsApi/QueryGroupMessages",
                                request_serializer=lambda m: m.encode(),
                                response_deserializer=api.QueryGroupMessagesResponse.decode)
    subscribe = channel.unary_stream("/xmtp.mls.api.v1.MlsApi/SubscribeGroupMessages",
                                     request_serializer=lambda m: m.encode(), response_deserializer=lambda b: b)
    before = server.calls.count("SubscribeGroupMessages")
    streams = [subscribe(api.SubscribeGroupMessagesRequest((api.SubscribeGroupMessagesRequest.Filter(
        i.to_bytes(16, "big"), 0),))) for i in range(1, open_streams + 1)]
    for _ in range(600):  # every stream is open (holding its worker) before the first pair
        if server.calls.count("SubscribeGroupMessages") == before + open_streams:
            break
        time.sleep(0.05)
    assert server.calls.count("SubscribeGroupMessages") == before + open_streams
    numbers = itertools.count()

    def pair():
        send(api.SendGroupMessagesRequest((api.GroupMessageInput(api.GroupMessageInput.V1(
            _application_message(next(numbers)), b"", True)),)), timeout=30)
        return query(api.QueryGroupMessagesRequest(GROUP_ID, api.PagingInfo(api.SortDirection.DESCENDING, 1, 0)),
                     timeout=30)

    try:
        response = benchmark.pedantic(pair, rounds=5, iterations=50, warmup_rounds=1)
        assert len(response.messages) == 1
        benchmark.extra_info["pairs_per_s"] = round(1 / benchmark.stats.stats.mean)
        benchmark.extra_info["open_streams"] = open_streams
    finally:
        for stream in streams:
            stream.cancel()
        channel.close()
