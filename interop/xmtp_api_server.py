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
"""

from __future__ import annotations

import threading
import time
from concurrent import futures
from typing import Callable, Iterator

import grpc

from spec_model.mls.reasons import Rejected
from spec_model.xmtp.api import API_METHODS, API_SERVICES, API_STREAMS
from spec_model.xmtp.network import DeliveryService, NetworkError

__all__ = ["XmtpApiServer", "API_SERVICES", "STREAM_POLL_S"]

STREAM_POLL_S = 0.05
"""How often an open stream looks for new messages."""


class XmtpApiServer:
    """The MLS and Identity APIs on ``127.0.0.1:port`` (0: any free port), backed by ``network()``."""

    def __init__(self, network: Callable[[], DeliveryService], *, port: int = 0, workers: int = 16):
        self._network = network
        self.lock = threading.RLock()
        self._stopping = threading.Event()
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=workers))
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

        def handle(request, context: grpc.ServicerContext):
            with self.lock:
                self.calls.append(rpc)
                try:
                    response = getattr(self._network(), name)(request)
                except Rejected as e:
                    context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"{e.reason}: {e.detail}")
                except NetworkError as e:
                    context.abort(grpc.StatusCode.UNAVAILABLE, e.reason.value)
            return b"" if response is None else response.encode()

        return grpc.unary_unary_rpc_method_handler(handle, request_deserializer=request_type.decode,
                                                   response_serializer=_as_bytes)

    def _stream(self, rpc: str) -> grpc.RpcMethodHandler:
        name, request_type = API_STREAMS[rpc]

        def handle(request, context: grpc.ServicerContext) -> Iterator[bytes]:
            with self.lock:
                self.calls.append(rpc)
                try:
                    subscription = getattr(self._network(), name)(request)
                except NetworkError as e:
                    context.abort(grpc.StatusCode.UNAVAILABLE, e.reason.value)
            try:
                while context.is_active() and not self._stopping.is_set():
                    with self.lock:
                        try:
                            envelopes = subscription.poll()
                        except NetworkError as e:
                            context.abort(grpc.StatusCode.UNAVAILABLE, e.reason.value)
                    for envelope in envelopes:
                        yield envelope.encode()
                    time.sleep(STREAM_POLL_S)
            finally:
                with self.lock:
                    subscription.close()

        return grpc.unary_stream_rpc_method_handler(handle, request_deserializer=request_type.decode,
                                                    response_serializer=_as_bytes)


def _as_bytes(data: bytes) -> bytes:
    return data
