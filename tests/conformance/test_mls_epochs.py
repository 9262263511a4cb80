"""The one-operation interop checks (conformance/runner/mls_epochs.py): the model passes them, and an adapter
that is the model but for one lie fails every check that can see the lie."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.adapter import Session
from conformance.adapter.reference import ReferenceAdapter
from conformance.runner import RunOptions, collect, execute
from conformance.runner.checks import Status
from conformance.runner.mls_epochs import MAX_LEAVES, OPERATIONS
from spec_model.mls.ratchet_tree import RatchetTree
from spec_model.mls.suites import suite

SAMPLE = ["interop/suite1/epochs/*/k2-*", "interop/suite1/epochs/*/k3-leaf2"]
AGREEING = {"join", "model_commits", "adapter_commits", "model_adds", "adapter_adds", "model_removes",
            "adapter_removes"}


def _flipped(hex_: str) -> str:
    """The message with its last byte changed (a signature, tag or ciphertext byte)."""
    return hex_[:-2] + f"{int(hex_[-2:], 16) ^ 1:02x}"


class _Liar(ReferenceAdapter):
    """The model, but for what ``lie`` changes in its answers."""

    def call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        return self.lie(method, params, super().call(method, params))

    def lie(self, method: str, params: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError


class ExportsWithTheWrongContext(_Liar):
    def lie(self, method, params, result):
        if method == "mls.export":
            return ReferenceAdapter.call(self, method, {**params, "context": "00"})
        return result


class EpochOffByOne(_Liar):
    def lie(self, method, params, result):
        return {**result, "epoch": result["epoch"] + 1} if "epoch" in result else result


class StaysActive(_Liar):
    def lie(self, method, params, result):
        return {**result, "active": True} if "active" in result else result


class SendsBrokenCiphertexts(_Liar):
    def lie(self, method, params, result):
        return {"message": _flipped(result["message"])} if method == "mls.protect" else result


class ReadsWrongData(_Liar):
    def lie(self, method, params, result):
        return {**result, "data": "00" + result["data"]} if result.get("data") else result


class SendsBrokenCommits(_Liar):
    def lie(self, method, params, result):
        return {**result, "commit": _flipped(result["commit"])} if method == "mls.commit" else result


class LeavesNewMembersOut(_Liar):
    def lie(self, method, params, result):
        return {**result, "welcome": None} if method == "mls.commit" else result


class SendsAnotherTreeBesideItsWelcome(_Liar):
    """Its Welcome carries the right tree; the tree it sends apart lacks the last member."""

    def lie(self, method, params, result):
        if method != "mls.commit" or result.get("welcome") is None:
            return result
        tree = RatchetTree.decode(suite(1), bytes.fromhex(result["ratchet_tree"]))
        tree.remove_leaf(max(leaf for leaf, _ in tree.members()))
        return {**result, "ratchet_tree": tree.encode().hex()}


def _operations(adapter) -> dict[Status, set[str]]:
    """For each status, the operations of which at least one sampled check ended with it."""
    session = Session(adapter, type(adapter).__name__)
    try:
        options = RunOptions(include=SAMPLE)
        _, results = execute(session, collect(options), options, None)
    finally:
        session.close()
    by_status: dict[Status, set[str]] = {status: set() for status in Status}
    for result in results:
        by_status[result.status].add(result.check.id.split("/")[3])
    return by_status


def test_every_operation_size_and_leaf_is_a_check():
    ids = [c.id for c in collect(RunOptions(include=["interop/suite1/epochs/*"]))]
    assert len(ids) == len(set(ids)) == sum(
        size for _, _, smallest in OPERATIONS.values() for size in range(smallest, MAX_LEAVES + 1))
    assert len(ids) >= 300


def test_the_model_passes_them():
    outcomes = _operations(ReferenceAdapter())
    assert outcomes[Status.PASSED] == set(OPERATIONS) and not outcomes[Status.FAILED] | outcomes[Status.ERRORED]


@pytest.mark.parametrize("liar, caught", [
    (ExportsWithTheWrongContext, AGREEING),
    (EpochOffByOne, AGREEING),
    (StaysActive, {"adapter_removed"}),
    (SendsBrokenCiphertexts, {"from_adapter"}),
    (ReadsWrongData, {"to_adapter", "adapter_removed"}),
    (SendsBrokenCommits, {"adapter_commits", "adapter_adds", "adapter_removes"}),
    # every check with the adapter's member at leaf 0 starts with its Welcome (k2-leaf0: all but the removes)
    (LeavesNewMembersOut, set(OPERATIONS) - {"model_removes", "adapter_removes"}),
    (SendsAnotherTreeBesideItsWelcome, set(OPERATIONS) - {"model_removes", "adapter_removes"}),
])
def test_a_lie_fails_every_check_that_can_see_it(liar, caught):
    outcomes = _operations(liar())
    assert outcomes[Status.FAILED] == caught and not outcomes[Status.ERRORED]
    assert outcomes[Status.PASSED] >= set(OPERATIONS) - caught
