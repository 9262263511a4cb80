"""The bundled Node adapters of one folder (``ts-mls``, ``openmls``): where they run from, and installing
their dependencies.

Each is a folder of the ``interop`` package (``conformance.data.interop()``): its ``.mjs`` sources, its
``package.json`` and committed ``package-lock.json``. Node finds dependencies beside the script, so an
adapter runs from its own folder when ``npm ci`` was done there (a checkout), else from a copy in the
user's cache that ``xmtp-conformance peers install NAME`` made (sources copied, then ``npm ci``).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from .. import data
from .protocol import AdapterUnusable

__all__ = ["BUNDLED", "script", "install", "PeerInstallError"]

BUNDLED = ("ts-mls", "openmls")
SOURCES = ("*.mjs", "package.json", "package-lock.json")
"""The files of an adapter's folder that are copied into the cache (skip files and notes stay behind)."""


class PeerInstallError(RuntimeError):
    """``npm ci`` could not install a bundled adapter's dependencies."""


def _bundled(name: str) -> Path:
    if name not in BUNDLED:
        raise KeyError(f"no bundled Node adapter {name!r} (bundled: {', '.join(BUNDLED)})")
    return data.interop() / name


def _cached(name: str) -> Path:
    return data.cache_folder() / "peers" / name


def _sources(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for pattern in SOURCES for p in sorted(folder.glob(pattern))}


def script(name: str) -> Path:
    """The ``adapter.mjs`` to run: in the bundled folder if its dependencies are installed there, else in the
    cache's copy if it holds the same sources; ``AdapterUnusable`` naming the command that installs them."""
    bundled = _bundled(name)
    if (bundled / "node_modules").is_dir():
        return bundled / "adapter.mjs"
    cached = _cached(name)
    if (cached / "node_modules").is_dir():
        if _sources(cached) == _sources(bundled):
            return cached / "adapter.mjs"
        problem = f"the copy in {cached} is of another version of the suite"
    else:
        problem = "its Node dependencies are not installed"
    in_checkout = "" if data.installed(bundled) else f" (in a checkout: npm ci --prefix {bundled})"
    raise AdapterUnusable(f"adapter {name}: {problem}; run: xmtp-conformance peers install {name}{in_checkout}")


def install(name: str) -> Path:
    """Copy the adapter's sources into the user cache and run ``npm ci`` there (the committed lockfile);
    returns the folder. ``PeerInstallError`` if npm is missing or fails."""
    bundled, cached = _bundled(name), _cached(name)
    npm = shutil.which("npm")
    if npm is None:
        raise PeerInstallError("npm is not installed (Node 20+ with npm is needed to run the Node adapters)")
    cached.mkdir(parents=True, exist_ok=True)
    for stale in cached.iterdir():
        if stale.is_file():
            stale.unlink()
    for file, content in _sources(bundled).items():
        (cached / file).write_bytes(content)
    done = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=cached, capture_output=True, text=True)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise PeerInstallError(f"npm ci in {cached} failed (exit {done.returncode}): {last}")
    return cached
