"""The shape of the code: ``spec_model``'s imports form no cycle (imports inside functions count), nothing
in it is pickled, the layers import one way, and no module of the project is longer than a reader can hold."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "spec_model"
MAX_LINES = 700
PYTHON = [p for folder in ("spec_model", "conformance", "interop", "tests", "benchmarks")
          for p in (ROOT / folder).rglob("*.py") if "node_modules" not in p.parts]


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every spec_model module ``path`` imports, anywhere in the file (``TYPE_CHECKING`` blocks included)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return {m for m in found if m.startswith("spec_model")}


def _graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for p in MODEL.rglob("*.py")}
    return {name: {m for m in _imports(path) if m in files and m != name} for name, path in files.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_spec_model_imports_form_no_cycle():
    assert _cycle(_graph()) is None


def test_the_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


@pytest.mark.parametrize("path", sorted(MODEL.rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_pickle(path: Path):
    tree = ast.parse(path.read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
                for alias in node.names} | {node.module for node in ast.walk(tree)
                                           if isinstance(node, ast.ImportFrom)}
    assert not imported & {"pickle", "cPickle", "dill", "shelve", "marshal"}


def test_no_module_is_longer_than_700_lines():
    long = {str(p.relative_to(ROOT)): n for p in PYTHON if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, f"split by concept: {long}"


def test_the_module_scan_reaches_every_layer():
    scanned = {p.relative_to(ROOT).parts[0] for p in PYTHON}
    assert scanned == {"spec_model", "conformance", "interop", "tests", "benchmarks"}


def _top_level_imports(folder: str) -> set[tuple[str, str]]:
    """(file, imported top-level package) for every import in ``folder``, inside functions too."""
    found = set()
    for path in (ROOT / folder).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else []
            found |= {(str(path.relative_to(ROOT)), name.partition(".")[0]) for name in names}
    return found


@pytest.mark.parametrize("folder, forbidden", [("spec_model", {"conformance", "interop"}),
                                               ("conformance", {"interop"})])
def test_layers_import_one_way(folder: str, forbidden: set[str]):
    assert sorted(f for f, package in _top_level_imports(folder) if package in forbidden) == []
