"""The HTTP history server of libxmtp's device sync, served from the delivery-service model on loopback.

libxmtp's device sync moves an archive through an HTTP server, not through the gRPC API
(docs/xmtp-facts.md §9): the answering installation POSTs the encrypted archive to
``{server_url}/upload`` and reads the file's id from the response body (libxmtp
crates/xmtp_archive/src/exporter.rs@b649d1a ``post_to_url``: ``response.text()``); the requester GETs
``{server_url}/files/{id}`` (libxmtp crates/xmtp_mls/src/worker/device_sync/worker.rs@b649d1a
``process_archive``). ``HistoryServer`` answers those two routes from the harness's current
``DeliveryService`` (``upload`` and ``download``), so a model installation and a libxmtp installation
share one store of archives. libxmtp streams the upload (``reqwest::Body::wrap_stream``), so a body
may come chunked.

Anything else is ``404``; an unknown file is ``404``; a body over ``MAX_ARCHIVE_BYTES`` is ``413``.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

from spec_model.mls.reasons import Rejected
from spec_model.xmtp.network import DeliveryService

__all__ = ["HistoryServer", "MAX_ARCHIVE_BYTES"]

MAX_ARCHIVE_BYTES = 256 * 1024 * 1024
"""The largest archive accepted (a bound on what one request can make the harness hold)."""
_FILES = "/files/"


class HistoryServer:
    """docs/xmtp-facts.md §9: ``POST /upload`` and ``GET /files/{id}`` on ``127.0.0.1:port`` (0: any free port),
    backed by ``network()``.

    Calls into the model hold ``lock`` (the gRPC server's: the model is single-threaded).
    """

    def __init__(self, network: Callable[[], DeliveryService], lock: threading.RLock, *, port: int = 0):
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # the harness's output is the protocol's
                pass

            def do_POST(self) -> None:
                if self.path.rstrip("/") != "/upload":
                    return self._answer(404, b"not found")
                body = self._body()
                if body is None:
                    return self._answer(413, b"archive too large")
                with lock:
                    upload_id = network().upload(body)
                self._answer(200, upload_id.encode())

            def do_GET(self) -> None:
                if not self.path.startswith(_FILES):
                    return self._answer(404, b"not found")
                with lock:
                    try:
                        archive = network().download(self.path[len(_FILES):])
                    except Rejected as e:
                        return self._answer(404, str(e.reason).encode())
                self._answer(200, archive, "application/octet-stream")

            def _body(self) -> bytes | None:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    body = bytearray()
                    while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                        if len(body) + size > MAX_ARCHIVE_BYTES:
                            self.close_connection = True
                            return None
                        body += self.rfile.read(size)
                        self.rfile.readline()
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):  # trailers
                        pass
                    return bytes(body)
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_ARCHIVE_BYTES:
                    self.close_connection = True
                    return None
                return self.rfile.read(length)

            def _answer(self, status: int, body: bytes, content_type: str = "text/plain") -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="history-server", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> "HistoryServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
