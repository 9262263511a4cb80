"""The named adapters of the real implementations in ``interop/``, registered with the harness through the
``xmtp_conformance.adapters`` entry-point group (``pyproject.toml``): ``--adapter ts-mls``, ``--adapter libxmtp``."""

from __future__ import annotations

from pathlib import Path

from conformance.adapter.jsonrpc import SubprocessAdapter

from .served_adapter import ServedAdapter

__all__ = ["ts_mls", "libxmtp"]

INTEROP = Path(__file__).resolve().parent


def ts_mls() -> SubprocessAdapter:
    """ts-mls (``interop/ts-mls/adapter.mjs``), an MLS implementation driven through the adapter protocol."""
    return SubprocessAdapter(["node", str(INTEROP / "ts-mls" / "adapter.mjs")])


def libxmtp() -> ServedAdapter:
    """libxmtp's Node bindings (``interop/libxmtp/adapter.mjs``), reaching the harness through XMTP's gRPC API."""
    return ServedAdapter(["node", str(INTEROP / "libxmtp" / "adapter.mjs")])
