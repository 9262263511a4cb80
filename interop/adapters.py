"""The named adapters of the real implementations in ``interop/``, registered with the harness through the
``xmtp_conformance.adapters`` entry-point group (``pyproject.toml``): ``--adapter ts-mls``, ``libxmtp``,
``libxmtp-1.9.1``, ``openmls``, ``mls-rs``."""

from __future__ import annotations

import sys

from conformance import data
from conformance.adapter import peers
from conformance.adapter.jsonrpc import SubprocessAdapter

from .served_adapter import ServedAdapter

__all__ = ["LIBXMTP_VERSIONS", "ts_mls", "libxmtp", "libxmtp_1_9_1", "openmls", "mls_rs"]

INTEROP = data.interop()
LIBXMTP_VERSIONS = {"libxmtp": "1.11.0-nightly.20260726.b649d1a", "libxmtp-1.9.1": "1.9.1"}
"""The pinned @xmtp/node-bindings of each libxmtp adapter (``interop/libxmtp/versions/<version>/``)."""


def ts_mls() -> SubprocessAdapter:
    """ts-mls (``interop/ts-mls/adapter.mjs``), an MLS implementation driven through the adapter protocol."""
    return SubprocessAdapter(["node", str(peers.script("ts-mls"))])


def _libxmtp(name: str) -> ServedAdapter:
    return ServedAdapter(["node", str(INTEROP / "libxmtp" / "adapter.mjs"), LIBXMTP_VERSIONS[name]])


def libxmtp() -> ServedAdapter:
    """libxmtp's Node bindings (``interop/libxmtp/adapter.mjs``), reaching the harness through XMTP's gRPC API."""
    return _libxmtp("libxmtp")


def libxmtp_1_9_1() -> ServedAdapter:
    """libxmtp's Node bindings at release 1.9.1, the same way."""
    return _libxmtp("libxmtp-1.9.1")


def openmls() -> SubprocessAdapter:
    """OpenMLS (``interop/openmls/adapter.mjs``), an MLS implementation driven through the adapter protocol."""
    return SubprocessAdapter(["node", str(peers.script("openmls"))])


def mls_rs() -> SubprocessAdapter:
    """mls-rs (``interop/mls-rs/adapter.py``), an MLS implementation driven through the adapter protocol."""
    return SubprocessAdapter([sys.executable, str(INTEROP / "mls-rs" / "adapter.py")])
