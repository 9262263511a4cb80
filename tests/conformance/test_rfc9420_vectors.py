"""Every case of every vendored official RFC 9420 vector file, checked against the model."""

from __future__ import annotations

import pytest

from conformance.rfc9420 import FILES, case_label, checker, load

CASES = [
    pytest.param(name, case, id=case_label(name, i, case))
    for name in FILES
    for i, case in enumerate(load(name))
]


@pytest.mark.parametrize("name, case", CASES)
def test_official_vector(name: str, case: dict) -> None:
    checker(name)(case)
