"""The interop checks of a group shared with the model (conformance/runner/mls_interop.py) that judge a Welcome
without the tree in its GroupInfo (RFC 9420 §12.4.3.1): the model passes them, and an adapter that ignores
``inline_tree`` or the tree sent apart fails exactly the one that sees it."""

from __future__ import annotations

import pytest

from conformance.adapter import Session
from conformance.adapter.reference import ReferenceAdapter
from conformance.runner import RunOptions, collect, execute
from conformance.runner.checks import Status

CHECKS = ["interop/suite1/model_welcome_without_tree", "interop/suite1/adapter_welcome_without_tree"]


class InlinesTheTreeAnyway(ReferenceAdapter):
    """Every Welcome it makes carries the tree in its GroupInfo, whatever ``inline_tree`` says."""

    def call(self, method, params):
        return super().call(method, {**params, "inline_tree": True} if method == "mls.commit" else params)


class JoinsFromTheWelcomeOnly(ReferenceAdapter):
    """It joins with the tree of the Welcome's GroupInfo only, never the one sent apart."""

    def call(self, method, params):
        return super().call(method, {**params, "ratchet_tree": ""} if method == "mls.join" else params)


@pytest.mark.parametrize("adapter, statuses", [
    (ReferenceAdapter, [Status.PASSED, Status.PASSED]),
    (InlinesTheTreeAnyway, [Status.PASSED, Status.FAILED]),
    (JoinsFromTheWelcomeOnly, [Status.FAILED, Status.PASSED]),
])
def test_a_welcome_without_the_tree_is_judged_both_ways(adapter, statuses):
    session = Session(adapter(), adapter.__name__)
    try:
        options = RunOptions(include=CHECKS)
        _, results = execute(session, collect(options), options, None)
    finally:
        session.close()
    assert [r.check.id for r in results] == CHECKS
    assert [r.status for r in results] == statuses, [r.message for r in results]
