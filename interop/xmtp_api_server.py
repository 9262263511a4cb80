"""XMTP's gRPC API served from the delivery-service model, for real SDKs (libxmtp) to run against.

``XmtpApiServer`` answers ``xmtp.mls.api.v1.MlsApi`` and ``xmtp.identity.api.v1.IdentityApi`` over
plain HTTP/2 without TLS (h2c with prior knowledge, no auth, no compression: what libxmtp 1.9.1
speaks to ``http://localhost:5556``, facts §7) on a loopback port. Every call is decoded with the
model's own protobuf messages (``spec_model.xmtp.api``, the field numbers of facts §7–§8), answered by
the harness's current ``DeliveryService`` (its cursors, pages of 100, own messages returned,
duplicates dropped, server timestamps, and its fault injection), and encoded back. Refusals become
gRPC statuses: a node refusal ``INVALID_ARGUMENT`` (the reason in the details), a fault
``UNAVAILABLE``. The two Subscribe methods are server streams that poll the model's subscription.

The service is swapped by the harness between scenarios (``network`` is a callable), and calls are
serialised with a lock: the model is single-threaded.

No client can starve the others: open streams are capped at ``MAX_STREAMS`` in a pool of
``MAX_STREAMS + UNARY_WORKERS`` threads (one more stream is ``RESOURCE_EXHAUSTED``), so unary calls always
find a worker; a request is at most ``MAX_REQUEST_BYTES`` and decodes at most ``MAX_REQUEST_VALUES``
protobuf values (beyond either it is refused before the model sees it).
"""

from __future__ import annotations

import threading
from concurrent import futures
from typing import Callable, Iterator

import grpc

from spec_model.mls.codec import DecodeError
from spec_model.mls.reasons import Rejected
from spec_model.xmtp.api import API_METHODS, API_SERVICES, API_STREAMS, GRPC_PAYLOAD_LIMIT
from spec_model.xmtp.network import DeliveryService, NetworkError

__all__ = ["XmtpApiServer", "STREAM_POLL_S", "MAX_STREAMS", "UNARY_WORKERS", "MAX_REQUEST_BYTES",
           "MAX_REQUEST_VALUES"]

STREAM_POLL_S = 0.05
"""How often an open stream looks for new messages."""
MAX_STREAMS = 256
"""Open Subscribe streams at once (each holds a worker thread while it is open)."""
UNARY_WORKERS = 8
"""Worker threads no stream can take: unary calls are answered however many streams are open."""
MAX_REQUEST_BYTES = GRPC_PAYLOAD_LIMIT
"""libxmtp crates/xmtp_configuration/src/common/api.rs@a53a97e ``GRPC_PAYLOAD_LIMIT``: the largest request
libxmtp sends (gRPC's own default would refuse libxmtp's larger welcome batches)."""
MAX_REQUEST_VALUES = 200_000
"""Protobuf values one request may decode to (``Message.decode(max_values=...)``): far above libxmtp's
largest requests (50 welcomes a batch, pages of 100), and a bound on the memory a request can make the
model allocate (a value costs about a hundred bytes decoded, an empty repeated entry two bytes sent)."""


class XmtpApiServer:
    """The MLS and Identity APIs on ``127.0.0.1:port`` (0: any free port), backed by ``network()``."""

    def __init__(self, network: Callable[[], DeliveryService], *, port: int = 0, max_streams: int = MAX_STREAMS):
        self._network = network
        self.lock = threading.RLock()
        self._stopping = threading.Event()
        self._streams = threading.BoundedSemaphore(max_streams)
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=max_streams + UNARY_WORKERS),
                                   options=[("grpc.max_receive_message_length", MAX_REQUEST_BYTES)])
        handlers = {service: {name: self._unary(name) for name in names} for service, names in API_SERVICES.items()}
        handlers["xmtp.mls.api.v1.MlsApi"].update({name: self._stream(name) for name in API_STREAMS})
        for service, methods in handlers.items():
            self._server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(service, methods),))
        self.port = self._server.add_insecure_port(f"127.0.0.1:{port}")
        self.calls: list[str] = []  # every method called, in order (what an SDK asked of the network)
        # self.lock serialises every call into the model; in-process model clients sharing the service hold it too

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "XmtpApiServer":
        self._server.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.stop(grace=0.5).wait()

    def _unary(self, rpc: str) -> grpc.RpcMethodHandler:
        name, request_type, response_type = API_METHODS[rpc]

        def handle(data: bytes, context: grpc.ServicerContext):
            request = _decode(request_type, data, context)
            with self.lock:
                self.calls.append(rpc)
                try:
                    response = getattr(self._network(), name)(request)
                except Rejected as e:
                    context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"{e.reason}: {e.detail}")
                except NetworkError as e:
                    context.abort(grpc.StatusCode.UNAVAILABLE, e.reason.value)
            return b"" if response is None else response.encode()

        return grpc.unary_unary_rpc_method_handler(handle, request_deserializer=_as_bytes,
                                                   response_serializer=_as_bytes)

    def _stream(self, rpc: str) -> grpc.RpcMethodHandler:
        name, request_type = API_STREAMS[rpc]

        def handle(data: bytes, context: grpc.ServicerContext) -> Iterator[bytes]:
            request = _decode(request_type, data, context)
            if not self._streams.acquire(blocking=False):
                context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, "too many open streams")
            try:
                yield from self._serve_stream(rpc, name, request, context)
            finally:
                self._streams.release()

        return grpc.unary_stream_rpc_method_handler(handle, request_deserializer=_as_bytes,
                                                    response_serializer=_as_bytes)

    def _serve_stream(self, rpc: str, name: str, request, context: grpc.ServicerContext) -> Iterator[bytes]:
        """One open Subscribe stream: poll the model's subscription until the client or the server ends it."""
        with self.lock:
            self.calls.append(rpc)
            try:
                subscription = getattr(self._network(), name)(request)
            except NetworkError as e:
                context.abort(grpc.StatusCode.UNAVAILABLE, e.reason.value)
        context.send_initial_metadata(())  # headers now: libxmtp drops a stream whose headers wait for a message
        try:
            while context.is_active() and not self._stopping.is_set():
                with self.lock:
                    try:
                        envelopes = subscription.poll()
                    except NetworkError as e:
                        context.abort(grpc.StatusCode.UNAVAILABLE, e.reason.value)
                for envelope in envelopes:
                    yield envelope.encode()
                self._stopping.wait(STREAM_POLL_S)
        finally:
            with self.lock:
                subscription.close()


def _decode(request_type, data: bytes, context: grpc.ServicerContext):
    """The request, or ``INVALID_ARGUMENT`` naming the field that does not decode (or the budget exceeded)."""
    try:
        return request_type.decode(data, max_values=MAX_REQUEST_VALUES)
    except DecodeError as e:
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"malformed request: {e}")


def _as_bytes(data: bytes) -> bytes:
    return data
