"""Areas: what a check id's prefix names (docs/runner.md "Check ids and areas").

A check's area is its id up to the first ``::`` or ``[`` of its first two path segments
(``xmtp/permissions::seed/...`` is in ``xmtp/permissions``, ``rfc9420/tree-math[3]/suite1`` in
``rfc9420/tree-math``); an id with neither there is in its first path segment (``interop/suite3/...`` in
``interop``, ``rfc9180/mode0-...`` in ``rfc9180``, ``scenario-file/<file>/<case>`` in ``scenario-file``). So
``--include 'AREA*'`` selects an area, and the summary's rows, the reports, the matrix's columns, the
mutants and the pytest plugin's markers all name areas the same way. ``title`` gives an area's label for
people: the XMTP families name theirs (``Family.AREA``), the rest are listed here.
"""

from __future__ import annotations

import functools

__all__ = ["area_of", "title", "TITLES"]

TITLES = {
    "rfc9420/tree-math": "MLS tree math",
    "rfc9420/deserialization": "MLS variable-length integers",
    "rfc9420/crypto-basics": "MLS crypto",
    "rfc9420/secret-tree": "MLS secret tree",
    "rfc9420/message-protection": "MLS message protection",
    "rfc9420/key-schedule": "MLS key schedule",
    "rfc9420/psk_secret": "MLS PSK secret",
    "rfc9420/transcript-hashes": "MLS transcript hashes",
    "rfc9420/welcome": "MLS welcome",
    "rfc9420/tree-operations": "MLS tree operations",
    "rfc9420/tree-validation": "MLS tree validation",
    "rfc9420/treekem": "MLS TreeKEM",
    "rfc9420/messages": "MLS messages",
    "rfc9420/passive-client-welcome": "MLS passive client: welcome",
    "rfc9420/passive-client-handling-commit": "MLS passive client: commits",
    "rfc9180": "HPKE",
    "wire/mls": "wire MLS attacks",
    "interop": "MLS groups with the model or a peer",
    "differential": "differential state machine",
    "scenario-file": "replayed scenario files",
}
"""Titles of the areas that are not an XMTP family's (``xmtp/<family>``, ``wire/<family>``)."""


def area_of(check_id: str) -> str:
    """The area a check id names: up to the first ``::`` or ``[`` of its first two path segments, else its first
    path segment."""
    head = "/".join(check_id.split("/", 2)[:2])
    ends = [i for i in (head.find("::"), head.find("[")) if i >= 0]
    return head[:min(ends)] if ends else head.split("/", 1)[0]


@functools.cache
def _family_titles() -> dict[str, str]:
    from ..vectors import family_modules
    families = {f"xmtp/{name}": module.AREA for name, module in family_modules().items()}
    return {**families, **{f"wire/{name[5:]}": f"wire {area}" for name, area in families.items()}}


def title(area: str) -> str:
    """An area's label for people (the area itself if it has none)."""
    return TITLES.get(area) or _family_titles().get(area, area)
