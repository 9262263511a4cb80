"""Citations a reader can open: every citation of a ``docs/`` page names a heading that exists, and every
public definition of ``spec_model`` (functions, classes and their public methods) begins its docstring with
a source; a libxmtp source names a path and a commit (docs/xmtp-facts.md, "How the model cites")."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
CITED = [p for folder in ("spec_model", "conformance", "interop", "docs") for p in (ROOT / folder).rglob("*")
         if p.suffix in (".py", ".md") and "node_modules" not in p.parts]

DOC_CITATION = re.compile(r"docs/([\w/.-]+\.md)(?:\s+§([\w.]+?))?(?=[\s,;:)`'\"]|\.?$|\.\s)", re.M)
FACTS_ALIAS = re.compile(r"\bfacts (?:sheet )?§([\d.]+\d)")
LIBXMTP = r"libxmtp [\w.-]+(?:/[\w.-]+)+@[0-9a-f]{7,40}\b"
"""``libxmtp <path>@<commit>``: a file a reader can open at the commit read."""
SOURCES = re.compile(
    r"^(RFC \d+ (§|Appendix)|XIP-\d+|" + LIBXMTP + r"|xmtp/proto |XMTP docs: |seed\b|docs/[\w/.-]+\.md|model:|"
    r"draft-[\w-]+ §|FIPS \d+|SEC \d|EIP-\d+|Ethereum Yellow Paper|OpenMLS |xmtp-node-go\b|xmtp-android |"
    r"example-notification-server-go |protobuf encoding)")


def _headings(page: Path) -> set[str]:
    """The ``§X`` that begin the page's headings (``## §4.4 Incoming commit validation`` gives ``4.4``)."""
    return {m.group(1) for m in re.finditer(r"^#+ §([\w.]+)", page.read_text(), re.M)}


def _citations() -> list[tuple[str, str, str | None]]:
    found = []
    for path in CITED:
        text = path.read_text(errors="replace")
        where = str(path.relative_to(ROOT))
        found += [(where, m.group(1), m.group(2)) for m in DOC_CITATION.finditer(text)]
        found += [(where, "xmtp-facts.md", m.group(1)) for m in FACTS_ALIAS.finditer(text)]
    return found


def test_every_docs_citation_names_a_page_and_a_heading_that_exist():
    missing = []
    for where, page, section in _citations():
        target = DOCS / page
        if not target.is_file():
            missing.append(f"{where}: docs/{page}")
        elif section is not None and section.rstrip(".") not in _headings(target):
            missing.append(f"{where}: docs/{page} §{section}")
    assert not missing, "\n".join(sorted(set(missing)))


def test_the_citation_scan_finds_the_facts_page():
    cited = {(page, section) for _, page, section in _citations()}
    assert ("xmtp-facts.md", "4.4") in cited and ("xmtp-facts.md", "Q5") in cited


def _public_definitions(path: Path):
    """Every public module-level function and class, and every public method of a public class."""
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_"):
            yield node.name, (ast.get_docstring(node) or "").strip()
            if isinstance(node, ast.ClassDef):
                for method in node.body:
                    if isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)) and not method.name.startswith("_"):
                        yield f"{node.name}.{method.name}", (ast.get_docstring(method) or "").strip()


@pytest.mark.parametrize("path", sorted((ROOT / "spec_model").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_public_definitions_begin_with_their_source(path: Path):
    unsourced = [f"{name}: {doc[:60]!r}" for name, doc in _public_definitions(path) if not SOURCES.match(doc)]
    assert not unsourced, "\n".join(unsourced)


def test_a_docstring_without_a_source_is_caught():
    assert not SOURCES.match("A policy as JSON.") and not SOURCES.match("")
    assert SOURCES.match("RFC 9420 §12.4.2: process a commit") and SOURCES.match("docs/xmtp-facts.md §5: x")


def test_a_libxmtp_citation_names_a_path_and_a_commit():
    assert SOURCES.match("libxmtp crates/xmtp_mls/src/groups/validated_commit.rs@a53a97e: the rule")
    assert SOURCES.match("libxmtp xmtp_mls/src/identity.rs@2f16634 parse_credential")
    assert not SOURCES.match("libxmtp validated_commit.rs: the rule")  # no commit
    assert not SOURCES.match("libxmtp crates/xmtp_mls/src/groups/validated_commit.rs: the rule")  # no commit
    assert not SOURCES.match("libxmtp validated_commit.rs@a53a97e: the rule")  # no path a reader can open
    assert not SOURCES.match("libxmtp ``ValidatedCommit``: who changed what")


def test_methods_are_linted_too(tmp_path):
    module = tmp_path / "m.py"
    module.write_text('class A:\n    """RFC 9420 §6: a thing."""\n\n    def run(self):\n        pass\n\n'
                      '    def _private(self):\n        pass\n')
    assert list(_public_definitions(module)) == [("A", "RFC 9420 §6: a thing."), ("A.run", "")]
