"""The TLS presentation language codec (RFC 9420 §2.1, ``spec_model/mls/codec.py``) on the messages of a 50-member
group, cipher suite 1: decoding each kind of ``MLSMessage`` (the add commit, its Welcome, a GroupInfo carrying the
ratchet tree, a key package), the tree itself, and encoding each message afresh.

Run with ``.venv/bin/pytest benchmarks/test_mls_codec.py --benchmark-enable``; on a busy machine add
``--benchmark-timer time.process_time``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from spec_model.mls.codec import Struct
from spec_model.mls.extensions import ExtensionType
from spec_model.mls.group import GroupConfig
from spec_model.mls.message import MLSMessage
from spec_model.mls.proposals import Add
from spec_model.mls.ratchet_tree import RATCHET_TREE
from spec_model.mls.suites import suite
from tests.mls.members import bundle, founder, seeded_rng

SIZE = 50


@pytest.fixture(scope="module")
def messages() -> dict[str, bytes]:
    """The encoded messages of a group of ``SIZE`` members, built once."""
    cs, rng = suite(1), seeded_rng(SIZE)
    first = founder(cs, config=GroupConfig(use_ratchet_tree_extension=True), rng=rng)
    bundles = [bundle(cs, f"m{i}", rng) for i in range(1, SIZE)]
    pending = first.commit(tuple(Add(b.key_package) for b in bundles), rng=rng)
    first.merge_pending_commit()
    return {"commit": pending.message.encode(), "welcome": pending.welcome.encode(),
            "group_info": MLSMessage(first.group_info()).encode(),
            "key_package": MLSMessage(bundles[0].key_package).encode()}


@pytest.mark.parametrize("kind", ["commit", "welcome", "group_info", "key_package"])
def test_decode(benchmark, messages, kind):
    data = messages[kind]
    benchmark.extra_info["input_bytes"] = len(data)
    decoded = benchmark(MLSMessage.decode, data)
    assert decoded.encode() == data


def test_decode_ratchet_tree(benchmark, messages):
    """The GroupInfo's ``ratchet_tree`` extension (RFC 9420 §12.4.3.3), which a joiner decodes: ``SIZE`` leaves."""
    info = MLSMessage.decode(messages["group_info"]).body
    data = next(e.extension_data for e in info.extensions if e.extension_type == ExtensionType.ratchet_tree)
    benchmark.extra_info["input_bytes"] = len(data)
    nodes = benchmark(RATCHET_TREE.decode, data)
    assert RATCHET_TREE.encode(nodes) == data and sum(leaf is not None for leaf in nodes[::2]) == SIZE


def rebuilt(value: Any) -> Any:
    """``value`` built again from its fields, all the way down, so that no struct in it remembers an encoding."""
    if isinstance(value, tuple):
        return tuple(rebuilt(v) for v in value)
    if isinstance(value, Struct):
        return type(value)(*(rebuilt(getattr(value, f.name)) for f in dataclasses.fields(value)))
    return value


@pytest.mark.parametrize("kind", ["commit", "welcome", "group_info", "key_package"])
def test_encode(benchmark, messages, kind):
    """Each round encodes a copy built afresh (``rebuilt``, not timed)."""
    data = messages[kind]
    encoded = benchmark.pedantic(lambda message: message.encode(), rounds=20,
                                 setup=lambda: ((rebuilt(MLSMessage.decode(data)),), {}))
    assert encoded == data
