"""Adapters: how the harness reaches an implementation under test (``protocol.py`` says what they answer).

``connect(name)`` or ``connect(command=...)`` starts one and returns a ``Session``: the adapter, what
it declared in ``hello``, and the delivery service the harness owns for it (``ds.*`` calls land
there; ``fresh_network()`` starts a new one, with a new clock, for the next scenario).
"""

from __future__ import annotations

import sys
from importlib.metadata import entry_points
from typing import Any, Callable

from spec_model.xmtp.network import Clock, DeliveryService

from . import delivery
from .jsonrpc import SubprocessAdapter
from .protocol import OPERATIONS, PROTOCOL_VERSION, Adapter, AdapterError, ErrorKind, Hello, check_params, check_result
from .reference import ReferenceAdapter

__all__ = ["ADAPTERS", "ADAPTER_ENTRY_POINTS", "Session", "connect", "AdapterError", "ErrorKind", "reference_subprocess_command"]


def reference_subprocess_command(mutant: str | None = None) -> list[str]:
    """The command of the ``reference-subprocess`` adapter (optionally one of its mutants)."""
    return [sys.executable, "-m", "conformance.adapter.serve", *(["--mutant", mutant] if mutant else [])]


ADAPTER_ENTRY_POINTS = "xmtp_conformance.adapters"
"""The entry-point group through which packages register named adapters (``interop/`` registers ``ts-mls`` and
``libxmtp`` in ``pyproject.toml``): each entry point is a callable returning an ``Adapter``."""


def _registered() -> dict[str, Callable[[], Adapter]]:
    found: dict[str, Callable[[], Adapter]] = {
        "reference": ReferenceAdapter,
        "reference-subprocess": lambda: SubprocessAdapter(reference_subprocess_command()),
    }
    for entry in sorted(entry_points(group=ADAPTER_ENTRY_POINTS), key=lambda e: e.name):
        found.setdefault(entry.name, lambda entry=entry: entry.load()())
    return found


ADAPTERS: dict[str, Callable[[], Adapter]] = _registered()
"""The adapters named on the command line (``--adapter NAME``): the built-in ones and the registered ones;
any other is given as ``--adapter-cmd``."""


class Session:
    """One adapter, its declared capabilities, and the harness's delivery service it talks to."""

    def __init__(self, adapter: Adapter, label: str, *, node_validation: bool = True):
        self.adapter, self.label = adapter, label
        self.node_validation = node_validation
        self.network = self._new_network()
        self.hello: Hello = adapter.hello(self)
        if self.hello.protocol_version != PROTOCOL_VERSION:
            raise AdapterError(ErrorKind.INTERNAL, "protocol_version",
                               f"the adapter speaks version {self.hello.protocol_version}, the harness {PROTOCOL_VERSION}")

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


def connect(name: str | None = None, *, command: str | None = None, node_validation: bool = True) -> Session:
    """A session with the adapter called ``name`` (default ``reference``) or run as ``command``."""
    if command is not None:
        return Session(SubprocessAdapter(command), command, node_validation=node_validation)
    name = name or "reference"
    if name not in ADAPTERS:
        raise KeyError(f"unknown adapter {name!r} (known: {', '.join(ADAPTERS)}; or give --adapter-cmd)")
    return Session(ADAPTERS[name](), name, node_validation=node_validation)
