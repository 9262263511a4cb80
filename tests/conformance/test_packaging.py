"""The wheel as a user installs it: built from the checkout, installed (not editable) into a fresh virtual
environment, and run from an empty folder, where only package data can be found.

The wheel is built from a copy of the files it is made of (so that no earlier build's leftovers can slip
in and nothing is written into the checkout). No network: it is built with the test environment's setuptools (``--no-build-isolation``) and installed
alone (``--no-deps --no-index``); the fresh environment then reaches the dependencies already installed here
through a ``.pth`` line (added after pip ran, so pip never sees this checkout's editable install).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from conformance.runner import RunOptions, collect

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ``bin`` folder of a fresh environment holding the wheel built from this checkout."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "source"
    for name in ("pyproject.toml", "setup.py", "README.md"):
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, source / name)
    for name in ("spec_model", "conformance", "interop", "vectors"):
        shutil.copytree(ROOT / name, source / name,
                        ignore=shutil.ignore_patterns("node_modules", "__pycache__", "*.egg-info"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                    "-w", str(base / "dist"), str(source)], check=True, capture_output=True)
    [wheel] = (base / "dist").glob("xmtp_conformance-*.whl")
    venv.create(base / "env", with_pip=False)
    python = base / "env" / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
                    "--no-index", str(wheel)], check=True, capture_output=True)
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          check=True, capture_output=True, text=True).stdout.strip()
    (Path(site) / "test-dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    return base / "env" / "bin"


def tool(bin_: Path, cwd: Path, *args: str, home: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "XDG_CACHE_HOME")}
    env["XDG_CACHE_HOME"] = str(home or cwd / "cache")
    return subprocess.run([str(bin_ / "xmtp-conformance"), *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def test_the_installed_package_is_not_the_checkout(installed: Path, tmp_path: Path) -> None:
    done = subprocess.run([str(installed / "python"), "-c",
                           "import conformance.data as d; print(d.vectors()); print(d.interop())"],
                          cwd=tmp_path, capture_output=True, text=True, check=True)
    for folder in done.stdout.split():
        assert Path(folder).is_relative_to(installed.parent) and Path(folder).is_dir()


def test_an_installed_wheel_runs_the_suite_from_an_empty_folder(installed: Path, tmp_path: Path) -> None:
    """A selection with a hypothesis state machine in it: its files go to the user's cache, not the folder."""
    include = ["rfc9420/tree-math*", "interop/suite1/mixed_group_random"]
    selected = len(collect(RunOptions(include=include)))
    cache = tmp_path.parent / f"{tmp_path.name}-cache"
    done = tool(installed, tmp_path, "run", "-q", *(f"--include={glob}" for glob in include), home=cache)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (cache / "xmtp-conformance" / "hypothesis").is_dir()
    assert f"ran {selected} of {selected} selected" in done.stdout
    assert f"ok: {selected} passed, 0 failed, 0 errored" in done.stdout
    assert list(tmp_path.iterdir()) == []  # nothing written beside the user's files


def test_an_installed_wheel_knows_its_version_and_checks(installed: Path, tmp_path: Path) -> None:
    assert tool(installed, tmp_path, "--version").stdout.strip() == "xmtp-conformance 0.1.0"
    listed = tool(installed, tmp_path, "list", "--include", "xmtp/*").stdout.splitlines()
    assert listed and all(line.startswith("xmtp/") for line in listed)


def test_an_installed_wheel_ships_the_bundled_adapters_and_skip_files(installed: Path, tmp_path: Path) -> None:
    done = subprocess.run([str(installed / "python"), "-c",
                           "import conformance.data as d; print(*sorted(p.relative_to(d.interop()).as_posix() "
                           "for p in d.interop().rglob('*') if p.is_file() and '__pycache__' not in p.parts))"],
                          cwd=tmp_path, capture_output=True, text=True, check=True)
    shipped = set(done.stdout.split())
    interop = ROOT / "interop"
    in_checkout = {p.relative_to(interop).as_posix() for p in interop.rglob("*")
                   if p.is_file() and not {"node_modules", "__pycache__"} & set(p.parts)}
    assert in_checkout - shipped == set()
    assert any(p.endswith(".skip") for p in shipped) and any(p.endswith(".proto") for p in shipped)
    assert not any("node_modules" in p for p in shipped)


def test_an_installed_wheel_refuses_to_write_into_itself(installed: Path, tmp_path: Path) -> None:
    refused = tool(installed, tmp_path, "vectors", "schema")
    assert refused.returncode == 2 and "inside an installed package" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    written = tool(installed, tmp_path, "vectors", "schema", "--output", "schemas")
    assert written.returncode == 0, written.stderr
    assert (tmp_path / "schemas" / "report.schema.json").is_file()


def test_a_bundled_node_adapter_without_dependencies_names_the_command_that_installs_them(
        installed: Path, tmp_path: Path) -> None:
    done = tool(installed, tmp_path, "run", "--adapter", "ts-mls", "--include", "rfc9420/tree-math*")
    assert done.returncode == 3
    assert done.stderr.strip().splitlines() == [
        "xmtp-conformance: error: adapter ts-mls: its Node dependencies are not installed; "
        "run: xmtp-conformance peers install ts-mls"]


@pytest.mark.skipif(shutil.which("npm") is None or shutil.which("node") is None, reason="needs Node and npm")
def test_peers_install_makes_a_bundled_node_adapter_runnable_from_an_installed_wheel(installed: Path, tmp_path: Path):
    done = tool(installed, tmp_path, "peers", "install", "ts-mls")
    assert done.returncode == 0, done.stderr
    cached = tmp_path / "cache" / "xmtp-conformance" / "peers" / "ts-mls"
    assert (cached / "ts-mls" / "node_modules").is_dir() and (cached / "jsonrpc.mjs").is_file()
    selected = len(collect(RunOptions(include=["rfc9420/tree-math*"])))
    run = tool(installed, tmp_path, "run", "-q", "--adapter", "ts-mls", "--include", "rfc9420/tree-math*")
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"ok: {selected} passed, 0 failed, 0 errored" in run.stdout


@pytest.mark.skipif(shutil.which("npm") is None or shutil.which("node") is None, reason="needs Node and npm")
def test_peers_install_libxmtp_and_its_known_issues_from_an_installed_wheel(installed: Path, tmp_path: Path):
    """A libxmtp version's bindings install into the cache (its package folder is ``versions/<v>/``), and
    ``--known-issues`` finds the version's bundled skip file inside the installed package."""
    done = tool(installed, tmp_path, "peers", "install", "libxmtp-1.9.1")
    assert done.returncode == 0, done.stderr
    cached = tmp_path / "cache" / "xmtp-conformance" / "peers" / "libxmtp-1.9.1"
    assert all((cached / "libxmtp" / f"{name}.mjs").is_file() for name in ("adapter", "host", "refusals"))
    assert (cached / "jsonrpc.mjs").is_file()
    assert (cached / "libxmtp" / "versions" / "1.9.1" / "node_modules").is_dir()
    run = tool(installed, tmp_path, "run", "-q", "--adapter", "libxmtp-1.9.1", "--known-issues",
               "--include", "xmtp/scenarios::libxmtp/group_by_address_send_and_read",
               "--include", "wire/credentials::inbox_credential_not_protobuf_refused")  # W9 in its skip file
    assert run.returncode == 0, run.stdout + run.stderr
    assert "ok: 1 passed, 0 failed, 0 errored, 0 self-reported, 1 skipped" in run.stdout
