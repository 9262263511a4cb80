"""Where the suite's data is: the one place that resolves it, through ``importlib.resources``.

From a checkout (or an editable install) the data is the repository's own folders; from a wheel it is
package data: the vector files and schemas (the package ``conformance.vector_files``, built from
``vectors/``) and the bundled adapters' sources, lockfiles, skip files and ``.proto`` files (the
``interop`` package). Commands that write data (``vectors generate``, ``vectors schema``, ``proto``)
refuse to write into an installed package (``writable_folder``).
"""

from __future__ import annotations

import os
import site
import sysconfig
from importlib.resources import files
from pathlib import Path

__all__ = ["vectors", "interop", "installed", "writable_folder", "cache_folder", "ReadOnlyData"]


class ReadOnlyData(ValueError):
    """A command asked to write into an installed package."""


def _folder(package: str) -> Path:
    return Path(str(files(package)))


def vectors() -> Path:
    """The vector files (``rfc9420/``, ``rfc9180/``, ``xmtp/``) and JSON Schemas (``schemas/``)."""
    return _folder("conformance.vector_files")


def interop() -> Path:
    """The bundled adapters (``ts-mls/``, ``libxmtp/``) and the served APIs' ``.proto`` files (``proto/``)."""
    return _folder("interop")


def installed(path: Path) -> bool:
    """Whether ``path`` lies inside an installed package (site-packages, the user's too), not a checkout."""
    roots = {Path(p).resolve() for p in (*map(sysconfig.get_path, ("purelib", "platlib")), site.getusersitepackages())}
    return any(path.resolve().is_relative_to(root) for root in roots)


def writable_folder(default: Path, given: Path | None, option: str = "--output") -> Path:
    """Where a command writes: ``given``, else ``default`` when that is a checkout's folder. Writing into
    an installed package is refused (``ReadOnlyData``, naming ``option``)."""
    folder = given if given is not None else default
    if installed(folder):
        raise ReadOnlyData(f"{folder} is inside an installed package; give a folder to write into with {option}")
    return folder


def cache_folder() -> Path:
    """The user's cache for this tool (``$XDG_CACHE_HOME/xmtp-conformance``, default ``~/.cache``)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "xmtp-conformance"
