"""The history server of device sync: archives up and down over HTTP, stored in the delivery-service model."""

from __future__ import annotations

import http.client
import threading

import pytest

from interop.history_server import MAX_ARCHIVE_BYTES, HistoryServer
from spec_model.xmtp.network import DeliveryService


@pytest.fixture
def served():
    network = DeliveryService()
    server = HistoryServer(lambda: network, threading.RLock()).start()
    yield network, server
    server.stop()


def _request(server: HistoryServer, method: str, path: str, body=None, headers=None) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection(server.url.removeprefix("http://"), timeout=5)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_an_upload_is_read_back_by_its_id(served):
    network, server = served
    status, upload_id = _request(server, "POST", "/upload", b"archive bytes")
    assert status == 200 and network.download(upload_id.decode()) == b"archive bytes"
    assert _request(server, "GET", f"/files/{upload_id.decode()}") == (200, b"archive bytes")


def test_a_chunked_upload_is_joined(served):
    """libxmtp streams its upload (reqwest ``Body::wrap_stream``): the body arrives in chunks."""
    network, server = served
    status, upload_id = _request(server, "POST", "/upload", iter([b"zstd ", b"records"]))  # http.client chunks it
    assert status == 200 and network.download(upload_id.decode()) == b"zstd records"


def test_unknown_files_and_routes_are_not_found(served):
    network, server = served
    assert _request(server, "GET", "/files/" + "00" * 32)[0] == 404
    assert _request(server, "GET", "/upload")[0] == 404
    assert _request(server, "POST", "/files/x", b"")[0] == 404


def test_an_archive_over_the_limit_is_refused_unread(served):
    network, server = served
    status, _ = _request(server, "POST", "/upload", b"", {"Content-Length": str(MAX_ARCHIVE_BYTES + 1)})
    assert status == 413
