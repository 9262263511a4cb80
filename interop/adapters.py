"""The named adapters of the real implementations in ``interop/``, registered with the harness through the
``xmtp_conformance.adapters`` entry-point group (``pyproject.toml``): ``--adapter ts-mls``, ``libxmtp``,
``libxmtp-1.9.1``, ``openmls``, ``mls-rs``. The Node ones are also registered as ``NODE_PEERS``
(``xmtp-conformance peers install NAME``), and each adapter's bundled skip file as ``KNOWN_ISSUES``
(``run --adapter NAME --known-issues``)."""

from __future__ import annotations

import sys

from conformance import data
from conformance.adapter.peers import NodePeer
from conformance.adapter.jsonrpc import SubprocessAdapter

from .served_adapter import ServedAdapter

__all__ = ["LIBXMTP_VERSIONS", "NODE_PEERS", "KNOWN_ISSUES", "ts_mls", "libxmtp", "libxmtp_1_9_1", "openmls", "mls_rs"]

INTEROP = data.interop()
LIBXMTP_VERSIONS = {"libxmtp": "1.11.0-nightly.20260726.b649d1a", "libxmtp-1.9.1": "1.9.1"}
"""The pinned @xmtp/node-bindings of each libxmtp adapter (``interop/libxmtp/versions/<version>/``)."""

SHARED = ("jsonrpc.mjs",)
"""The modules the Node adapters share (``interop/jsonrpc.mjs``: the JSON-lines loop of the adapter protocol)."""

NODE_PEERS = {
    "ts-mls": NodePeer("ts-mls", INTEROP / "ts-mls", shared=SHARED),
    "openmls": NodePeer("openmls", INTEROP / "openmls", shared=SHARED),
    **{name: NodePeer(name, INTEROP / "libxmtp", f"versions/{version}", shared=SHARED)
       for name, version in LIBXMTP_VERSIONS.items()},
}
"""The adapters that run under Node, by adapter name."""

KNOWN_ISSUES = {
    "ts-mls": INTEROP / "ts-mls" / "known-issues.skip",
    "openmls": INTEROP / "openmls" / "known-issues.skip",
    "mls-rs": INTEROP / "mls-rs" / "known-issues.skip",
    **{name: INTEROP / "libxmtp" / "versions" / version / "known-differences.skip"
       for name, version in LIBXMTP_VERSIONS.items()},
}
"""Each adapter's bundled skip file: the checks it is known to fail or not to support, each with its reason."""


def ts_mls() -> SubprocessAdapter:
    """ts-mls (``interop/ts-mls/adapter.mjs``), an MLS implementation driven through the adapter protocol."""
    return SubprocessAdapter(["node", str(NODE_PEERS["ts-mls"].script_path())])


def _libxmtp(name: str) -> ServedAdapter:
    return ServedAdapter(["node", str(NODE_PEERS[name].script_path()), LIBXMTP_VERSIONS[name]])


def libxmtp() -> ServedAdapter:
    """libxmtp's Node bindings (``interop/libxmtp/adapter.mjs``), reaching the harness through XMTP's gRPC API."""
    return _libxmtp("libxmtp")


def libxmtp_1_9_1() -> ServedAdapter:
    """libxmtp's Node bindings at release 1.9.1, the same way."""
    return _libxmtp("libxmtp-1.9.1")


def openmls() -> SubprocessAdapter:
    """OpenMLS (``interop/openmls/adapter.mjs``), an MLS implementation driven through the adapter protocol."""
    return SubprocessAdapter(["node", str(NODE_PEERS["openmls"].script_path())])


def mls_rs() -> SubprocessAdapter:
    """mls-rs (``interop/mls-rs/adapter.py``), an MLS implementation driven through the adapter protocol."""
    return SubprocessAdapter([sys.executable, str(INTEROP / "mls-rs" / "adapter.py")])
