"""An adapter whose SDK reaches the harness's delivery service through XMTP's own gRPC API.

Real SDKs (libxmtp) have their own network stack and cannot make ``ds.*`` calls. ``ServedAdapter``
starts an ``XmtpApiServer`` backed by the session's current delivery service, then the adapter's
command with the server's URL in the environment variable ``XMTP_API_URL``, and the HTTP history server
of device sync (``history_server.py``, the same delivery service) in ``XMTP_HISTORY_URL``; everything
else is the JSON-lines protocol as usual.

Such an SDK also keeps its own clock. Before every call the harness writes its clock's time (nanoseconds
since the Unix epoch, in decimal) to the file named in ``XMTP_HARNESS_CLOCK_FILE``, and names in
``XMTP_FAKETIME_LIBRARY`` the libfaketime library of the installed ``libfaketime`` package (PyPI, pinned in
``pyproject.toml``), if any, so that the adapter can make its SDK's clock follow the harness's
(``interop/libxmtp/README.md`` "The harness's clock"). The harness's own process never loads it.
"""

from __future__ import annotations

import os
import tempfile
from importlib.util import find_spec
from pathlib import Path

from conformance.adapter.jsonrpc import SubprocessAdapter
from conformance.adapter.protocol import Hello

from .history_server import HistoryServer
from .xmtp_api_server import XmtpApiServer

__all__ = ["ServedAdapter", "API_URL_VARIABLE", "HISTORY_URL_VARIABLE", "CLOCK_FILE_VARIABLE",
           "FAKETIME_LIBRARY_VARIABLE", "faketime_library"]

API_URL_VARIABLE = "XMTP_API_URL"
HISTORY_URL_VARIABLE = "XMTP_HISTORY_URL"
CLOCK_FILE_VARIABLE = "XMTP_HARNESS_CLOCK_FILE"
FAKETIME_LIBRARY_VARIABLE = "XMTP_FAKETIME_LIBRARY"


def faketime_library() -> Path | None:
    """libfaketime (``libfaketime.so.1``, as the PyPI package ``libfaketime`` ships it), found without importing
    the package (importing it changes nothing, but the harness has no use for it); None if not installed."""
    spec = find_spec("libfaketime")
    if spec is None or not spec.submodule_search_locations:
        return None
    library = Path(spec.submodule_search_locations[0]) / "vendor" / "libfaketime" / "src" / "libfaketime.so.1"
    return library if library.is_file() else None


class ServedAdapter:
    """``Adapter``: a command speaking JSON lines, plus the gRPC API and the history server its SDK connects to."""

    def __init__(self, command: list[str], *, timeout_s: float | None = None):
        self._session = None
        self.server = XmtpApiServer(lambda: self._session.network).start()
        self.history_server = HistoryServer(lambda: self._session.network, self.server.lock).start()
        options = {} if timeout_s is None else {"timeout_s": timeout_s}
        descriptor, clock_file = tempfile.mkstemp(prefix="xmtp-harness-clock-")
        os.close(descriptor)
        self.clock_file = Path(clock_file)
        library = faketime_library()
        self._adapter = SubprocessAdapter(command, env={
            **os.environ, API_URL_VARIABLE: self.server.url, HISTORY_URL_VARIABLE: self.history_server.url,
            CLOCK_FILE_VARIABLE: clock_file, **({FAKETIME_LIBRARY_VARIABLE: str(library)} if library else {})},
            **options)

    def hello(self, session) -> Hello:
        """``session`` is the harness's ``Session``: the server answers from its current delivery service."""
        self._session = session
        self._write_clock()
        return self._adapter.hello(session)

    def call(self, method: str, params: dict) -> dict:
        self._write_clock()
        return self._adapter.call(method, params)

    def _write_clock(self) -> None:
        """The harness's clock now, for the adapter to read at the start of the call."""
        self.clock_file.write_text(str(self._session.network.clock.now_ns()))

    @property
    def alive(self) -> bool:
        return self._adapter.alive

    def stderr_tail(self) -> str:
        return self._adapter.stderr_tail()

    def close(self) -> None:
        self._adapter.close()
        self.server.stop()
        self.history_server.stop()
        self.clock_file.unlink(missing_ok=True)
