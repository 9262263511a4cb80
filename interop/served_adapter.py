"""An adapter whose SDK reaches the harness's delivery service through XMTP's own gRPC API.

Real SDKs (libxmtp) have their own network stack and cannot make ``ds.*`` calls. ``ServedAdapter``
starts an ``XmtpApiServer`` backed by the session's current delivery service, then the adapter's
command with the server's URL in the environment variable ``XMTP_API_URL``, and the HTTP history server
of device sync (``history_server.py``, the same delivery service) in ``XMTP_HISTORY_URL``; everything
else is the JSON-lines protocol as usual.
"""

from __future__ import annotations

import os

from conformance.adapter.jsonrpc import SubprocessAdapter
from conformance.adapter.protocol import Hello

from .history_server import HistoryServer
from .xmtp_api_server import XmtpApiServer

__all__ = ["ServedAdapter", "API_URL_VARIABLE", "HISTORY_URL_VARIABLE"]

API_URL_VARIABLE = "XMTP_API_URL"
HISTORY_URL_VARIABLE = "XMTP_HISTORY_URL"


class ServedAdapter:
    """``Adapter``: a command speaking JSON lines, plus the gRPC API and the history server its SDK connects to."""

    def __init__(self, command: list[str], *, timeout_s: float | None = None):
        self._session = None
        self.server = XmtpApiServer(lambda: self._session.network).start()
        self.history_server = HistoryServer(lambda: self._session.network, self.server.lock).start()
        options = {} if timeout_s is None else {"timeout_s": timeout_s}
        self._adapter = SubprocessAdapter(command, env={
            **os.environ, API_URL_VARIABLE: self.server.url, HISTORY_URL_VARIABLE: self.history_server.url}, **options)

    def hello(self, session) -> Hello:
        """``session`` is the harness's ``Session``: the server answers from its current delivery service."""
        self._session = session
        return self._adapter.hello(session)

    def call(self, method: str, params: dict) -> dict:
        return self._adapter.call(method, params)

    @property
    def alive(self) -> bool:
        return self._adapter.alive

    def stderr_tail(self) -> str:
        return self._adapter.stderr_tail()

    def close(self) -> None:
        self._adapter.close()
        self.server.stop()
        self.history_server.stop()
