"""Groups of two peers without the model (``run --peer``, ``conformance/runner/mls_peers.py``): each pair's check
run as the runner runs it, in one suite both do; the pair that cannot share a group; and a peer that lies about
its epoch authenticator (beside the reference adapter, which starts at once).
"""

from __future__ import annotations

import pytest

from conformance.adapter import Session, connect
from conformance.runner import Status
from conformance.runner.mls_peers import peer_group_checks
from conformance.runner.run import outcome
from spec_model.mls.message import MLSMessage

pytest.importorskip("mls_rs_uniffi", reason="pip install -e '.[mls-rs]'")

OPENMLS_LONGEST_LIFETIME = 3 * 28 * 24 * 3600 + 3600
"""OpenMLS's ``MAX_LEAF_NODE_LIFETIME_RANGE_SECONDS`` (``openmls/src/key_packages/lifetime.rs``): 12 weeks and an hour."""


def pair_check(peer: str, cipher_suite: int):
    check, = (c for c in peer_group_checks([peer]) if c.id.endswith(f"/suite{cipher_suite}/random_walk"))
    return check


@pytest.fixture(scope="module")
def sessions():
    opened: dict[str, Session] = {}
    yield lambda name: opened.setdefault(name, connect(name))
    for session in opened.values():
        session.close()


@pytest.mark.parametrize("adapter, peer, cipher_suite", [("ts-mls", "mls-rs", 1), ("ts-mls", "openmls", 3)])
def test_two_peers_share_a_group_without_the_model(sessions, adapter, peer, cipher_suite):
    result = outcome(pair_check(peer, cipher_suite), sessions(adapter))
    assert result.status is Status.PASSED, result.message


def test_openmls_refuses_a_group_with_mls_rs_members_for_their_key_packages_lifetime(sessions):
    """interop/openmls/KNOWN_ISSUES.md 4: mls-rs's key packages are valid for 365 days, longer than OpenMLS accepts
    (RFC 9420 §7.2 leaves the longest to the application), so OpenMLS joins no group holding an mls-rs member."""
    mls_rs = sessions("mls-rs")
    mls_rs.ask("reset")
    key_package = mls_rs.ask("mls.new_member", member="a", cipher_suite=1, identity=b"a".hex())["key_package"]
    lifetime = MLSMessage.decode(bytes.fromhex(key_package)).body.leaf_node.source.lifetime
    assert lifetime.not_after - lifetime.not_before > OPENMLS_LONGEST_LIFETIME
    result = outcome(pair_check("openmls", 1), mls_rs)
    assert result.status is Status.FAILED and "Lifetime is not acceptable" in result.message


def test_a_peer_lying_about_its_epoch_authenticator_fails_the_pair(sessions, monkeypatch):
    """The harness compares what each member reports: one flipped bit of one member's authenticator is seen."""
    ts_mls = sessions("ts-mls")
    honest = ts_mls.ask

    def lying(method, **params):
        answer = honest(method, **params)
        if method == "mls.state" and answer["epoch"] >= 3:
            answer = {**answer, "epoch_authenticator": f"{int(answer['epoch_authenticator'][:2], 16) ^ 1:02x}"
                                                       + answer["epoch_authenticator"][2:]}
        return answer

    monkeypatch.setattr(ts_mls, "ask", lying)
    result = outcome(pair_check("reference", 1), ts_mls)
    assert result.status is Status.FAILED and "epoch authenticator" in result.message
