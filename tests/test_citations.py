"""Citations a reader can open: every citation of a ``docs/`` page names a heading that exists, and every
public module-level definition of ``spec_model`` begins its docstring with a source (docs/xmtp-facts.md,
"How the model cites")."""

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
SOURCES = re.compile(
    r"^(RFC \d+ (§|Appendix)|XIP-\d+|libxmtp |xmtp/proto |XMTP docs: |seed\b|docs/[\w/.-]+\.md|model:|draft-[\w-]+ §|"
    r"FIPS \d+|SEC \d|EIP-\d+|Ethereum Yellow Paper|OpenMLS |xmtp-node-go\b|xmtp-android |"
    r"example-notification-server-go |protobuf encoding)")
# Being rewritten for issue 15 (bounded decoders); their docstrings follow that change.
NOT_YET = {"spec_model/mls/codec.py", "spec_model/xmtp/proto.py"}


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
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_"):
            yield node.name, (ast.get_docstring(node) or "").strip()


@pytest.mark.parametrize("path", sorted(p for p in (ROOT / "spec_model").rglob("*.py")
                                        if str(p.relative_to(ROOT)) not in NOT_YET),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_public_definitions_begin_with_their_source(path: Path):
    unsourced = [f"{name}: {doc[:60]!r}" for name, doc in _public_definitions(path) if not SOURCES.match(doc)]
    assert not unsourced, "\n".join(unsourced)


def test_a_docstring_without_a_source_is_caught():
    assert not SOURCES.match("A policy as JSON.") and not SOURCES.match("")
    assert SOURCES.match("RFC 9420 §12.4.2: process a commit") and SOURCES.match("docs/xmtp-facts.md §5: x")
