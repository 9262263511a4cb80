"""Adapters written for Node that ship with the suite (``ts-mls``, ``openmls``, ``libxmtp``, ...): where they run
from, and installing their dependencies.

Each is a folder of the ``interop`` package (``conformance.data.interop()``) holding its ``.mjs`` sources, and a
folder inside it (itself, or ``versions/<v>/`` for libxmtp) with a ``package.json`` and committed
``package-lock.json``; the modules they share sit beside the folders (``interop/jsonrpc.mjs``), imported as
``../NAME.mjs``. Node finds dependencies beside the importing file, so an adapter runs from its own folder
when ``npm ci`` was done there (a checkout), else from a copy in the user's cache that
``xmtp-conformance peers install NAME`` made: ``peers/NAME/`` holds the shared modules and a copy of the
adapter's folder under its own name, as ``interop/`` does, and ``npm ci`` runs in the copy. Packages register
theirs through the ``xmtp_conformance.node_peers`` entry-point group: a mapping of adapter name to ``NodePeer``.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path

from .. import data
from .protocol import AdapterUnusable

__all__ = ["NODE_PEER_ENTRY_POINTS", "NodePeer", "PeerInstallError", "bundled"]

NODE_PEER_ENTRY_POINTS = "xmtp_conformance.node_peers"
PACKAGE_FILES = ("package.json", "package-lock.json")


class PeerInstallError(RuntimeError):
    """``npm ci`` could not install a bundled adapter's dependencies."""


@dataclass(frozen=True)
class NodePeer:
    """A bundled Node adapter: ``name`` (as in ``--adapter``), its ``folder``, the ``packages`` folder inside it
    where ``npm ci`` runs, the ``script`` (relative to ``folder``) Node starts, and the ``shared`` modules (in the
    folder's parent) that its sources import."""
    name: str
    folder: Path
    packages: str = "."
    script: str = "adapter.mjs"
    shared: tuple[str, ...] = ()

    def sources(self, base: Path | None = None) -> dict[str, bytes]:
        """The files copied into the cache, by path relative to ``base`` (default the bundled folder's parent):
        the shared modules, the ``.mjs`` files of the folder and of the packages folder, and the package files
        (skip files and notes stay)."""
        base = self.folder.parent if base is None else base
        folder = base / self.folder.name
        packages = folder / self.packages
        files = [*(base / name for name in self.shared), *folder.glob("*.mjs"), *packages.glob("*.mjs"),
                 *(packages / name for name in PACKAGE_FILES)]
        return {p.relative_to(base).as_posix(): p.read_bytes() for p in sorted(set(files)) if p.is_file()}

    @property
    def cached(self) -> Path:
        """The copy in the cache of the bundled folder's parent (the folder and the shared modules)."""
        return data.cache_folder() / "peers" / self.name

    def script_path(self) -> Path:
        """The script to run: in the bundled folder if its dependencies are installed there, else in the cache's
        copy if it holds the same sources; ``AdapterUnusable`` naming the command that installs them."""
        if (self.folder / self.packages / "node_modules").is_dir():
            return self.folder / self.script
        copy = self.cached / self.folder.name
        if (copy / self.packages / "node_modules").is_dir():
            if self.sources(self.cached) == self.sources():
                return copy / self.script
            problem = f"the copy in {self.cached} is of another version of the suite"
        else:
            problem = "its Node dependencies are not installed"
        in_checkout = "" if data.installed(self.folder) else f" (in a checkout: npm ci --prefix {self.folder / self.packages})"
        raise AdapterUnusable(f"adapter {self.name}: {problem}; run: xmtp-conformance peers install {self.name}"
                              f"{in_checkout}")

    def install(self) -> Path:
        """Copy the sources into the user cache and run ``npm ci`` there (the committed lockfile); returns the
        adapter's folder in the cache. ``PeerInstallError`` if npm is missing or fails."""
        npm = shutil.which("npm")
        if npm is None:
            raise PeerInstallError("npm is not installed (Node 20+ with npm is needed to run the Node adapters)")
        if self.cached.is_dir():
            for stale in self.sources(self.cached):
                (self.cached / stale).unlink()
        for file, content in self.sources().items():
            (self.cached / file).parent.mkdir(parents=True, exist_ok=True)
            (self.cached / file).write_bytes(content)
        folder = self.cached / self.folder.name / self.packages
        done = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=folder, capture_output=True, text=True)
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
            raise PeerInstallError(f"npm ci in {folder} failed (exit {done.returncode}): {last}")
        return self.cached / self.folder.name


@cache
def bundled() -> dict[str, NodePeer]:
    """The registered Node adapters by name."""
    found: dict[str, NodePeer] = {}
    for entry in sorted(entry_points(group=NODE_PEER_ENTRY_POINTS), key=lambda e: e.name):
        for peer in entry.load().values():
            found.setdefault(peer.name, peer)
    return found
