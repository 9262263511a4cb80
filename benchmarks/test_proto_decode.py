"""Decoding cost of hostile protobuf input: an ``IdentityUpdate`` made of empty repeated entries (issue 15).

Repeated fields are collected in linear time (``spec_model/xmtp/proto.py``): 8x the entries should cost
about 8x the time. Each benchmark records the input size; compare the medians of the two sizes.
"""

from __future__ import annotations

import pytest

from spec_model.xmtp.identity import IdentityUpdate


@pytest.mark.parametrize("entries", [20_000, 160_000])
def test_identity_update_of_empty_actions(benchmark, entries):
    data = b"\x0a\x00" * entries  # field 1 (actions), length 0: an empty IdentityAction, again and again
    benchmark.extra_info["input_bytes"] = len(data)
    decoded = benchmark(IdentityUpdate.decode, data)
    assert len(decoded.actions) == entries
