"""Adapters: how the harness reaches an implementation under test (``protocol.py`` says what they answer).

``connect(name)`` or ``connect(command=...)`` starts one and returns a ``Session``: the adapter, what
it declared in ``hello``, and the delivery service the harness owns for it (``ds.*`` calls land
there; ``fresh_network()`` starts a new one, with a new clock, for the next scenario). An adapter that
cannot be started or does not answer ``hello`` is ``AdapterUnusable``; one that crashes or hangs later
is started again by ``Session.restart()`` (the runner does so after the check it was on, a bounded
number of times).
"""

from __future__ import annotations

import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Callable

from spec_model.xmtp.network import Clock, DeliveryService

from pydantic import ValidationError

from . import delivery
from .jsonrpc import SubprocessAdapter, call_timeout
from .protocol import (
    OPERATIONS, PROTOCOL_VERSION, Adapter, AdapterError, AdapterUnusable, ErrorKind, Hello, check_params, check_result,
)
from .reference import ReferenceAdapter

__all__ = ["ADAPTERS", "ADAPTER_ENTRY_POINTS", "KNOWN_ISSUES_ENTRY_POINTS", "known_issues", "Session", "connect", "AdapterError", "AdapterUnusable", "ErrorKind",
           "reference_subprocess_command"]


def reference_subprocess_command(mutant: str | None = None) -> list[str]:
    """The command of the ``reference-subprocess`` adapter (optionally one of its mutants)."""
    return [sys.executable, "-m", "conformance.adapter.serve", *(["--mutant", mutant] if mutant else [])]


ADAPTER_ENTRY_POINTS = "xmtp_conformance.adapters"
"""The entry-point group through which packages register named adapters (``interop/`` registers ``ts-mls`` and
``libxmtp`` in ``pyproject.toml``): each entry point is a callable returning an ``Adapter``."""
KNOWN_ISSUES_ENTRY_POINTS = "xmtp_conformance.known_issues"


def _registered() -> dict[str, Callable[[], Adapter]]:
    found: dict[str, Callable[[], Adapter]] = {
        "reference": ReferenceAdapter,
        "reference-subprocess": lambda: SubprocessAdapter(reference_subprocess_command()),
    }
    for entry in sorted(entry_points(group=ADAPTER_ENTRY_POINTS), key=lambda e: e.name):
        found.setdefault(entry.name, lambda entry=entry: entry.load()())
    return found


def known_issues() -> dict[str, Path]:
    """Each named adapter's bundled skip file, registered through the ``xmtp_conformance.known_issues``
    entry-point group (a mapping of adapter name to path): ``run --adapter NAME --known-issues``."""
    found: dict[str, Path] = {}
    for entry in sorted(entry_points(group=KNOWN_ISSUES_ENTRY_POINTS), key=lambda e: e.name):
        for name, path in entry.load().items():
            found.setdefault(name, Path(path))
    return found


ADAPTERS: dict[str, Callable[[], Adapter]] = _registered()
"""The adapters named on the command line (``--adapter NAME``): the built-in ones and the registered ones;
any other is given as ``--adapter-cmd``."""


class Session:
    """One adapter, its declared capabilities, and the harness's delivery service it talks to."""

    def __init__(self, adapter: Adapter, label: str, *, node_validation: bool = True,
                 start: Callable[[], Adapter] | None = None):
        self.adapter, self.label, self._start = adapter, label, start
        self.node_validation = node_validation
        self.network = self._new_network()
        self.hello: Hello = self._greet()

    def _greet(self) -> Hello:
        """``hello``, or ``AdapterUnusable`` saying in one line why the adapter cannot be used."""
        try:
            hello = self.adapter.hello(self)
        except (AdapterError, ValidationError) as e:
            said = str(e).split("; stderr:")[0] + (")" if "; stderr:" in str(e) else "")  # the hint says it shorter
            why = f"adapter {self.label} did not answer hello: {_one_line(Exception(said))}{_stderr_hint(self.adapter)}"
            self.adapter.close()
            raise AdapterUnusable(why) from None
        if hello.protocol_version != PROTOCOL_VERSION:
            self.adapter.close()
            raise AdapterUnusable(f"adapter {self.label} speaks protocol version {hello.protocol_version}, "
                                  f"the harness {PROTOCOL_VERSION}")
        return hello

    @property
    def alive(self) -> bool:
        """Whether the adapter can still answer (a subprocess that exited or was ended for hanging cannot)."""
        return getattr(self.adapter, "alive", True)

    def restart(self) -> None:
        """Start the adapter again after a crash or hang: a new process, a new delivery service, ``hello``."""
        if self._start is None:
            raise AdapterUnusable(f"adapter {self.label} cannot be restarted")
        self.adapter.close()
        self.adapter = self._start()
        self.network = self._new_network()
        self.hello = self._greet()

    # the harness's side of the link: an adapter's ds.* calls
    def call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        return delivery.serve(self.network, method, params)

    def has(self, capability: str) -> bool:
        return capability in self.hello.capabilities

    def details(self, capability: str) -> dict[str, Any]:
        return self.hello.capabilities.get(capability, {})

    @property
    def profile(self) -> str:
        """The model profile the adapter's clients follow (``clients.profiles``; the seed's if undeclared)."""
        return (self.details("clients").get("profiles") or ["seed"])[0]

    def ask(self, operation: str, /, **params: Any) -> dict[str, Any]:
        """Call an operation: parameters and result both checked against the protocol's models."""
        return check_result(OPERATIONS, operation,
                            self.adapter.call(operation, check_params(OPERATIONS, operation, params)))

    def _new_network(self) -> DeliveryService:
        """A delivery service with a new clock; with ``node_validation``, identity updates and key packages
        are checked as XMTP's node checks them (off: implementations' own validation is what is tested)."""
        return DeliveryService.validating(Clock()) if self.node_validation else DeliveryService(Clock())

    def fresh_network(self) -> DeliveryService:
        """Forget every member and client of the adapter, and give it a new delivery service."""
        self.ask("reset")
        self.network = self._new_network()
        return self.network

    def close(self) -> None:
        self.adapter.close()


def _one_line(error: Exception) -> str:
    text = " ".join(str(error).split())
    return text if len(text) <= 300 else text[:297] + "..."


def _stderr_hint(adapter: Adapter) -> str:
    """What the adapter's stderr says went wrong, in one line (a missing Node package gets the fix)."""
    tail = adapter.stderr_tail() if hasattr(adapter, "stderr_tail") else ""
    lines = [line.strip() for line in tail.splitlines() if line.strip()]
    if any("ERR_MODULE_NOT_FOUND" in line or "Cannot find package" in line for line in lines):
        return "; its Node dependencies are missing: run npm ci in the adapter's folder"
    errors = [line for line in lines if "rror" in line] or lines[-1:]
    return f"; stderr: {_one_line(Exception(errors[0]))}" if errors else ""


def connect(name: str | None = None, *, command: str | None = None, node_validation: bool = True,
            timeout_s: float | None = None) -> Session:
    """A session with the adapter called ``name`` (default ``reference``) or run as ``command``; ``timeout_s``
    bounds each call to a subprocess adapter. ``AdapterUnusable`` if it cannot be started or greeted."""
    if command is None:
        name = name or "reference"
        if name not in ADAPTERS:
            raise KeyError(f"unknown adapter {name!r} (known: {', '.join(ADAPTERS)}; or give --adapter-cmd)")
    label, factory = (command, lambda: SubprocessAdapter(command)) if command is not None else (name, ADAPTERS[name])

    def start() -> Adapter:
        try:
            with call_timeout(timeout_s):
                return factory()
        except OSError as e:
            raise AdapterUnusable(f"cannot start adapter {label}: {e.strerror or e}"
                                  + (f": {e.filename}" if e.filename else "")) from None

    return Session(start(), label, node_validation=node_validation, start=start)
