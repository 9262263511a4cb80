"""Groups of three implementations at once, through random epochs: the model with ts-mls and mls-rs (suite 1),
and the model with ts-mls and OpenMLS through core-crypto (suite 3).

The walk is the runner's (``conformance/runner/mls_walk.py``): the model founds the group, two members of each
implementation are added, each by the newest member, then 30 drawn adds, removes, path updates and application
messages, every member's epoch authenticator (where reported) and exporter compared after every epoch.
"""

from __future__ import annotations

import random

import pytest

from conformance.adapter import AdapterError, connect
from conformance.runner.mls_walk import MODEL, Walk
from spec_model.mls.ratchet_tree import RatchetTree
from spec_model.mls.suites import suite
from spec_model.mls.tree_math import direct_path, leaf_to_node

pytest.importorskip("mls_rs_uniffi", reason="pip install -e '.[mls-rs]'")

STEPS = 30


@pytest.fixture(scope="module")
def peers():
    sessions = {name: connect(name) for name in ("ts-mls", "mls-rs", "openmls")}
    yield sessions
    for session in sessions.values():
        session.close()


def ts_mls_may_refuse(tree: RatchetTree) -> bool:
    """ts-mls KNOWN_ISSUES.md 1 (interop/ts-mls): its join refuses a valid tree where a non-blank node on the
    direct path of a parent's unmerged leaf lists other unmerged leaves than that parent (``arraysEqual``)."""
    for p in range(1, 2 * tree.n_leaves - 1, 2):
        parent = tree.node(p)
        for leaf in parent.unmerged_leaves if parent is not None else ():
            path = [tree.node(n) for n in direct_path(leaf_to_node(leaf), tree.n_leaves)]
            if any(node is not None and node.unmerged_leaves != parent.unmerged_leaves for node in path):
                return True
    return False


def ts_mls_known_refusal(side: str, error: AdapterError, tree: RatchetTree) -> bool:
    """A ts-mls join refused for its known issue, and only where the tree has that shape."""
    return side == "ts-mls" and "must list leaf node in its unmerged_leaves" in error.message and ts_mls_may_refuse(tree)


@pytest.mark.parametrize("cipher_suite, sides", [(1, [MODEL, "ts-mls", "mls-rs"]), (3, [MODEL, "ts-mls", "openmls"])],
                         ids=["suite1-model-ts-mls-mls-rs", "suite3-model-ts-mls-openmls"])
@pytest.mark.parametrize("seed", [1, 2])
def test_three_implementations_in_one_group(peers, cipher_suite, sides, seed):
    walk = Walk(suite(cipher_suite), {name: peers[name] for name in sides if name != MODEL}, random.Random(seed),
                refused_join=ts_mls_known_refusal)
    walk.walk(sides, STEPS)
