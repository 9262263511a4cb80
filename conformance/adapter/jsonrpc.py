"""The adapter protocol over a subprocess: JSON-RPC 2.0, one JSON object per line on stdin/stdout.

The harness starts the adapter's command and writes requests to its stdin; the adapter answers on its
stdout (its stderr is kept for the report). While the harness waits for an answer, the adapter may
send requests of its own (``ds.*``), which the harness answers on the adapter's stdin before the
adapter answers. Calls therefore nest, never interleave: whoever sent the last request waits for
its response and serves anything else that arrives meanwhile.

* ``SubprocessAdapter`` is the harness's side: an ``Adapter`` whose operations run in the subprocess;
* ``serve(adapter)`` is an adapter's side, for an adapter written in Python (what
  ``python -m conformance.adapter.serve`` runs).
"""

from __future__ import annotations

import itertools
import json
import queue
import shlex
import subprocess
import sys
import tempfile
import threading
from typing import IO, Any, Callable

from .protocol import (
    HARNESS_OPERATIONS, OPERATIONS, PROTOCOL_VERSION, AdapterError, ErrorKind, Hello, Link, check_params,
)

__all__ = ["SubprocessAdapter", "serve", "CALL_TIMEOUT_S"]

CALL_TIMEOUT_S = 300.0
"""How long the harness waits for one answer before it declares the adapter hung."""


def _request(id_: Any, method: str, params: dict[str, Any]) -> str:
    return json.dumps({"jsonrpc": "2.0", "id": id_, "method": method, "params": params}) + "\n"


def _response(id_: Any, *, result: Any = None, error: AdapterError | None = None) -> str:
    body = {"error": error.to_jsonrpc()} if error is not None else {"result": result}
    return json.dumps({"jsonrpc": "2.0", "id": id_, **body}) + "\n"


def _answer(handler: Callable[[str, dict[str, Any]], dict[str, Any]], message: dict[str, Any]) -> str:
    """The response line to a request, whatever ``handler`` raises."""
    try:
        return _response(message.get("id"), result=handler(message["method"], message.get("params") or {}))
    except AdapterError as e:
        return _response(message.get("id"), error=e)
    except Exception as e:  # noqa: BLE001 -- an adapter's bug is reported to the other side, not fatal
        return _response(message.get("id"), error=AdapterError(ErrorKind.INTERNAL, type(e).__name__, str(e)))


class _Channel:
    """Requests out, responses back, serving the other side's requests while waiting."""

    def __init__(self, write: Callable[[str], None], read: Callable[[], str | None], prefix: str):
        self._write, self._read = write, read
        self._ids = (f"{prefix}{n}" for n in itertools.count(1))
        self.serve_request: Callable[[str, dict[str, Any]], dict[str, Any]] | None = None

    def call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        id_ = next(self._ids)
        self._write(_request(id_, method, params))
        while True:
            line = self._read()
            if line is None:
                raise AdapterError(ErrorKind.INTERNAL, "adapter_exited", f"no answer to {method}")
            try:
                message = json.loads(line)
            except json.JSONDecodeError:
                raise AdapterError(ErrorKind.INTERNAL, "not_json", line[:200]) from None
            if "method" in message:  # the other side's request, nested inside ours
                if self.serve_request is None:
                    raise AdapterError(ErrorKind.INTERNAL, "unexpected_request", message["method"])
                self._write(_answer(self.serve_request, message))
                continue
            if message.get("id") != id_:
                raise AdapterError(ErrorKind.INTERNAL, "wrong_id", f"expected {id_}, got {message.get('id')}")
            if "error" in message:
                raise AdapterError.from_jsonrpc(message["error"])
            return message.get("result") or {}


class SubprocessAdapter:
    """An adapter running as a command; ``Adapter`` in process, JSON lines underneath."""

    def __init__(self, command: str | list[str], *, timeout_s: float = CALL_TIMEOUT_S,
                 env: dict[str, str] | None = None):
        self.command = shlex.split(command) if isinstance(command, str) else list(command)
        self.stderr = tempfile.TemporaryFile(mode="w+")
        self._process = subprocess.Popen(self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=self.stderr, text=True, bufsize=1, env=env)
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        self._timeout_s = timeout_s
        self._channel = _Channel(self._send, self._receive, "h")

    def _pump(self) -> None:
        for line in self._process.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def _send(self, line: str) -> None:
        try:
            self._process.stdin.write(line)
            self._process.stdin.flush()
        except (BrokenPipeError, OSError):
            raise AdapterError(ErrorKind.INTERNAL, "adapter_exited", self.stderr_tail()) from None

    def _receive(self) -> str:
        try:
            line = self._lines.get(timeout=self._timeout_s)
        except queue.Empty:
            self._process.kill()
            raise AdapterError(ErrorKind.INTERNAL, "adapter_hung", f"no answer in {self._timeout_s:.0f} s") from None
        if line is None:
            self._lines.put(None)  # every later call sees the end too
            raise AdapterError(ErrorKind.INTERNAL, "adapter_exited",
                               f"exit status {self._process.wait()}; stderr: {self.stderr_tail()}")
        return line

    def stderr_tail(self, lines: int = 20) -> str:
        self.stderr.seek(0)
        return "".join(self.stderr.readlines()[-lines:])

    def hello(self, link: Link) -> Hello:
        self._channel.serve_request = lambda method, params: link.call(
            method, check_params(HARNESS_OPERATIONS, method, params))
        return Hello.model_validate(self.call("hello", {"protocol_version": PROTOCOL_VERSION, "harness": "xmtp-conformance"}))

    def call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        return self._channel.call(method, params)

    def close(self) -> None:
        if self._process.poll() is None:
            try:
                self._process.stdin.close()
                self._process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self._process.kill()
        self.stderr.close()


def serve(adapter, stdin: IO[str] = sys.stdin, stdout: IO[str] = sys.stdout) -> None:
    """Run ``adapter`` (an in-process ``Adapter``) behind JSON lines until stdin closes."""
    def write(line: str) -> None:
        stdout.write(line)
        stdout.flush()

    channel = _Channel(write, lambda: stdin.readline() or None, "a")

    class _Harness:
        def call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
            return channel.call(method, params)

    def handle(method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "hello":
            return adapter.hello(_Harness()).model_dump()
        return adapter.call(method, check_params(OPERATIONS, method, params))

    try:
        for line in iter(stdin.readline, ""):
            if line.strip():
                write(_answer(handle, json.loads(line)))
    finally:
        adapter.close()
