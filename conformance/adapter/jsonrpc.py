"""The adapter protocol over a subprocess: JSON-RPC 2.0, one JSON object per line on stdin/stdout.

The harness starts the adapter's command and writes requests to its stdin; the adapter answers on its
stdout (its stderr is kept for the report). While the harness waits for an answer, the adapter may
send requests of its own (``ds.*``), which the harness answers on the adapter's stdin before the
adapter answers. Calls therefore nest, never interleave: whoever sent the last request waits for
its response and serves anything else that arrives meanwhile.

* ``SubprocessAdapter`` is the harness's side: an ``Adapter`` whose operations run in the subprocess;
* ``serve(adapter)`` is an adapter's side, for an adapter written in Python (what
  ``python -m conformance.adapter.serve`` runs).

Either side survives a peer that misbehaves. A line that is not JSON, nests deeper than
``MAX_JSON_DEPTH`` or is longer than ``MAX_LINE_BYTES`` is a parse error (JSON-RPC 2.0 §5.1: -32700); a
request that is not an object with a string ``method`` is invalid (-32600); parameters of the wrong shape
or type are invalid params (-32602); an adapter answers each with that error and reads on. The harness
reads the adapter's output as bytes, decodes it leniently (invalid UTF-8 becomes U+FFFD), holds at most
``MAX_QUEUED_LINES`` lines, and takes a closed stdout as the adapter gone; each such fault is an
``AdapterError`` for the call being made (the check that made it errors).
"""

from __future__ import annotations

import contextlib
import contextvars
import itertools
import json
import os
import queue
import re
import shlex
import subprocess
import sys
import tempfile
import threading
from typing import IO, Any, Callable, Iterator

from .protocol import (
    HARNESS_OPERATIONS, OPERATIONS, PROTOCOL_VERSION, AdapterError, ErrorKind, Hello, Link, check_params,
)

__all__ = ["SubprocessAdapter", "serve", "CALL_TIMEOUT_S", "call_timeout"]

CALL_TIMEOUT_S = 300.0
"""How long the harness waits for one answer before it declares the adapter hung (``--timeout``)."""
HELLO_TIMEOUT_S = 60.0
"""The longest wait for ``hello`` (an adapter that does not greet within it is unusable)."""
_TIMEOUT: contextvars.ContextVar[float] = contextvars.ContextVar("call_timeout", default=CALL_TIMEOUT_S)


@contextlib.contextmanager
def call_timeout(seconds: float | None) -> Iterator[None]:
    """Adapters started inside wait ``seconds`` for each answer (``None``: ``CALL_TIMEOUT_S``), whatever
    factory builds them (``ADAPTERS``)."""
    token = _TIMEOUT.set(CALL_TIMEOUT_S if seconds is None else seconds)
    try:
        yield
    finally:
        _TIMEOUT.reset(token)
EXIT_GRACE_S = 5.0
"""How long an adapter that closed its stdout may take to exit before the harness ends it."""
MAX_LINE_BYTES = 64 * 1024 * 1024
"""The longest line either side reads: far above the protocol's largest answers (vector files' biggest
cases are a few MB), far below what would exhaust the harness."""
MAX_QUEUED_LINES = 4
"""Lines of the adapter's output the harness holds before it stops reading (the pipe then fills and
the adapter waits)."""
MAX_JSON_DEPTH = 256
"""The deepest JSON either side parses: a policy nested to protobuf's limit (``spec_model.xmtp.proto
.MAX_DEPTH``, 100 messages) is about 150 levels of JSON; deeper is refused before parsing."""

PARSE_ERROR, INVALID_REQUEST, INVALID_PARAMS = -32700, -32600, -32602
"""JSON-RPC 2.0 §5.1 error codes."""


class _Malformed(Exception):
    """A line or message the other side should not have sent: its JSON-RPC error code and why."""

    def __init__(self, code: int, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}")
        self.code, self.reason, self.detail = code, reason, detail


_STRINGS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def _parse(line: str) -> Any:
    """One JSON line, refused (``_Malformed``, -32700) if too long, too deep or not JSON: depth is counted
    over the brackets outside strings before ``json`` (which recurses) sees the line."""
    if len(line) > MAX_LINE_BYTES:
        raise _Malformed(PARSE_ERROR, "line_too_long", f"{len(line)} characters")
    brackets = _NOT_BRACKETS.sub("", _STRINGS.sub("", line))
    if brackets and max(itertools.accumulate(map(_STEP.__getitem__, brackets))) > MAX_JSON_DEPTH:
        raise _Malformed(PARSE_ERROR, "too_deep", f"JSON nested deeper than {MAX_JSON_DEPTH}")
    try:
        return json.loads(line)
    except ValueError:
        raise _Malformed(PARSE_ERROR, "not_json", line[:200]) from None


def _request(id_: Any, method: str, params: dict[str, Any]) -> str:
    return json.dumps({"jsonrpc": "2.0", "id": id_, "method": method, "params": params}) + "\n"


def _response(id_: Any, *, result: Any = None, error: dict[str, Any] | None = None) -> str:
    body = {"error": error} if error is not None else {"result": result}
    return json.dumps({"jsonrpc": "2.0", "id": id_, **body}) + "\n"


def _error(e: AdapterError) -> dict[str, Any]:
    """``e`` as a JSON-RPC error object; parameters the operation refuses are -32602 (JSON-RPC 2.0 §5.1)."""
    error = e.to_jsonrpc()
    if e.reason == "invalid_params":
        error["code"] = INVALID_PARAMS
    return error


def _malformed_error(e: _Malformed) -> dict[str, Any]:
    return {"code": e.code, "message": e.detail or e.reason, "data": {"kind": ErrorKind.INTERNAL.value,
                                                                       "reason": e.reason}}


def _answer(handler: Callable[[str, dict[str, Any]], dict[str, Any]], message: Any) -> str:
    """The response line to a request, whatever it holds and whatever ``handler`` raises."""
    given = message.get("id") if isinstance(message, dict) else None
    valid_id = isinstance(given, (str, int, float, type(None))) and not isinstance(given, bool)
    id_ = given if valid_id else None  # JSON-RPC 2.0 §4: an id is a string, a number or null
    try:
        if not isinstance(message, dict) or not isinstance(message.get("method"), str) or not valid_id:
            raise _Malformed(INVALID_REQUEST, "invalid_request", "not an object with a string method and an id")
        params = {} if message.get("params") is None else message["params"]
        if not isinstance(params, dict):
            raise _Malformed(INVALID_PARAMS, "invalid_params", "params is not an object")
        return _response(id_, result=handler(message["method"], params))
    except _Malformed as e:
        return _response(id_, error=_malformed_error(e))
    except AdapterError as e:
        return _response(id_, error=_error(e))
    except Exception as e:  # noqa: BLE001 -- an adapter's bug is reported to the other side, not fatal
        return _response(id_, error=_error(AdapterError(ErrorKind.INTERNAL, type(e).__name__, str(e))))


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
                message = _parse(line)
            except _Malformed as e:
                raise AdapterError(ErrorKind.INTERNAL, e.reason, e.detail) from None
            if not isinstance(message, dict):
                raise AdapterError(ErrorKind.INTERNAL, "not_an_object", line[:200])
            if "method" in message:  # the other side's request, nested inside ours
                if self.serve_request is None:
                    raise AdapterError(ErrorKind.INTERNAL, "unexpected_request", str(message["method"])[:200])
                self._write(_answer(self.serve_request, message))
                continue
            if message.get("id") != id_:
                raise AdapterError(ErrorKind.INTERNAL, "wrong_id", f"expected {id_}, got {str(message.get('id'))[:200]}")
            if "error" in message:
                raise _remote_error(message["error"])
            return message.get("result") or {}


def _remote_error(error: Any) -> AdapterError:
    """The other side's JSON-RPC error object as an ``AdapterError``, whatever shape it has."""
    if not isinstance(error, dict):
        return AdapterError(ErrorKind.INTERNAL, "invalid_error", str(error)[:200])
    data = error.get("data") if isinstance(error.get("data"), dict) else {}
    reason, message, refusal_class = data.get("reason", ""), error.get("message", ""), data.get("class")
    return AdapterError.from_jsonrpc({"code": error.get("code"), "message": str(message)[:2000],
                                      "data": {"kind": data.get("kind"), "reason": str(reason)[:200],
                                               "class": None if refusal_class is None else str(refusal_class)[:40]}})


def _read_line(readline: Callable[[int], Any]) -> Any:
    """The next line (str or bytes), at most ``MAX_LINE_BYTES + 1`` long: the rest of a longer line is read
    and dropped, so the line is refused as too long and the next one is read whole."""
    line = rest = readline(MAX_LINE_BYTES + 1)
    while len(rest) > MAX_LINE_BYTES and rest[-1:] not in ("\n", b"\n"):
        rest = readline(MAX_LINE_BYTES + 1)
    return line


_TOO_LONG = object()
"""What the harness's reader queues for a line longer than ``MAX_LINE_BYTES``."""


class SubprocessAdapter:
    """An adapter running as a command; ``Adapter`` in process, JSON lines underneath."""

    def __init__(self, command: str | list[str], *, timeout_s: float | None = None,
                 env: dict[str, str] | None = None):
        self.command = shlex.split(command) if isinstance(command, str) else list(command)
        self.stderr = tempfile.TemporaryFile()
        self._process = subprocess.Popen(self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=self.stderr, env=env)
        self._lines: queue.Queue[Any] = queue.Queue(maxsize=MAX_QUEUED_LINES)
        self._closed = threading.Event()
        threading.Thread(target=self._pump, daemon=True).start()
        self._timeout_s = _TIMEOUT.get() if timeout_s is None else timeout_s
        self._channel = _Channel(self._send, self._receive, "h")

    def _pump(self) -> None:
        """Read the adapter's stdout line by line (lenient UTF-8) into the bounded queue; ``None`` at its end."""
        while line := _read_line(self._process.stdout.readline):
            self._put(_TOO_LONG if len(line) > MAX_LINE_BYTES else line.decode("utf-8", errors="replace"))
        self._put(None)

    def _put(self, item: Any) -> None:
        while not self._closed.is_set():
            try:
                return self._lines.put(item, timeout=0.5)
            except queue.Full:
                continue

    def _send(self, line: str) -> None:
        try:
            self._process.stdin.write(line.encode())
            self._process.stdin.flush()
        except (BrokenPipeError, OSError):
            raise AdapterError(ErrorKind.INTERNAL, "adapter_exited", self.stderr_tail()) from None

    @property
    def alive(self) -> bool:
        """Whether the process runs (one ended for hanging, or that exited, does not)."""
        return self._process.poll() is None

    def _receive(self) -> str:
        try:
            line = self._lines.get(timeout=self._timeout_s)
        except queue.Empty:
            self._process.kill()
            self._process.wait()
            raise AdapterError(ErrorKind.INTERNAL, "adapter_hung", f"no answer in {self._timeout_s:g} s") from None
        if line is _TOO_LONG:
            raise AdapterError(ErrorKind.INTERNAL, "line_too_long", f"a line longer than {MAX_LINE_BYTES} bytes")
        if line is None:
            self._lines.put_nowait(None)  # every later call sees the end too
            raise AdapterError(ErrorKind.INTERNAL, "adapter_exited",
                               f"stdout closed; {self._exit_status()}; stderr: {self.stderr_tail()}")
        return line

    def _exit_status(self) -> str:
        """An adapter that closed its stdout is gone: it exits, or is ended after ``EXIT_GRACE_S``."""
        try:
            return f"exit status {self._process.wait(timeout=EXIT_GRACE_S)}"
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
            return f"still running {EXIT_GRACE_S:.0f} s later, ended"

    def stderr_tail(self, lines: int = 20, limit: int = 64 * 1024) -> str:
        """The last ``lines`` lines of the adapter's stderr (read from its last ``limit`` bytes)."""
        self.stderr.flush()
        size = os.fstat(self.stderr.fileno()).st_size
        tail = os.pread(self.stderr.fileno(), limit, max(0, size - limit)).decode("utf-8", errors="replace")
        return "".join(tail.splitlines(keepends=True)[-lines:])

    def hello(self, link: Link) -> Hello:
        self._channel.serve_request = lambda method, params: link.call(
            method, check_params(HARNESS_OPERATIONS, method, params))
        timeout_s, self._timeout_s = self._timeout_s, min(self._timeout_s, HELLO_TIMEOUT_S)
        try:
            return Hello.model_validate(
                self.call("hello", {"protocol_version": PROTOCOL_VERSION, "harness": "xmtp-conformance"}))
        finally:
            self._timeout_s = timeout_s

    def call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        return self._channel.call(method, params)

    def close(self) -> None:
        if self._process.poll() is None:
            try:
                self._process.stdin.close()
                self._process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self._process.kill()
                self._process.wait()
        self._closed.set()
        self.stderr.close()


def serve(adapter, stdin: IO[str] = sys.stdin, stdout: IO[str] = sys.stdout) -> None:
    """Run ``adapter`` (an in-process ``Adapter``) behind JSON lines until stdin closes; a malformed line is
    answered with its JSON-RPC error and the next one is read."""
    def write(line: str) -> None:
        stdout.write(line)
        stdout.flush()

    channel = _Channel(write, lambda: _read_line(stdin.readline) or None, "a")

    class _Harness:
        def call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
            return channel.call(method, params)

    def handle(method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "hello":
            return adapter.hello(_Harness()).model_dump()
        return adapter.call(method, check_params(OPERATIONS, method, params))

    try:
        while line := _read_line(stdin.readline):
            if not line.strip():
                continue
            try:
                message = _parse(line)
            except _Malformed as e:
                write(_response(None, error=_malformed_error(e)))
                continue
            write(_answer(handle, message))
    finally:
        adapter.close()
