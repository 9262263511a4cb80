"""Fuzzing every decoder of untrusted bytes: random bytes (hypothesis), mutated valid encodings, and the
pathological inputs that once crashed, wedged or exhausted the model.

Every input ends in a value or a typed refusal (``DecodeError``, ``Rejected``), never in another
exception; accepted values re-encode consistently (protobuf: to the same value; TLS: to the same bytes).
Short in CI (the hypothesis profile ``ci``, ``--fuzz-mutations`` 100 per decoder); a long run:
``.venv/bin/pytest tests/fuzz --hypothesis-profile=deep --fuzz-mutations=100000``. Coverage-guided
fuzzing of one decoder with atheris: see ``tests/fuzz/atheris_target.py``.
"""

from __future__ import annotations

import functools
import random
import struct
import tracemalloc

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spec_model.mls.codec import varint
from spec_model.xmtp.proto import encode_varint

from .decoders import Decoder, decoders, mutate, own_seeds, run, seeds

DECODERS = {decoder.name: decoder for decoder in decoders()}


@functools.cache
def pool() -> list[bytes]:
    return seeds()


@functools.cache
def own(name: str) -> list[bytes]:
    return own_seeds(DECODERS[name], pool())


def _report(decoder: Decoder, crashes: list) -> str:
    return f"{decoder.name}: {len(crashes)} crashes, first on {crashes[0][0][:64].hex()}: {crashes[0][1]!r}"


@pytest.mark.parametrize("name", DECODERS)
@given(data=st.binary(max_size=512))
def test_random_bytes_are_decoded_or_refused(name, data):
    decoder = DECODERS[name]
    crashes = run(decoder, [data])
    assert not crashes, _report(decoder, crashes)


@pytest.mark.parametrize("name", DECODERS)
def test_mutated_encodings_are_decoded_or_refused(name, fuzz_mutations):
    decoder, rng = DECODERS[name], random.Random(name)
    inputs = [mutate(rng.choice(own(name)), rng, pool()) for _ in range(fuzz_mutations)]
    crashes = run(decoder, inputs)
    assert not crashes, _report(decoder, crashes)


# ------------------------------------------------------------------ pathological inputs

def _nested_policy(depth: int) -> bytes:
    """A ``MembershipPolicy`` whose and_condition nests ``depth`` policies deep."""
    data = b"\x08\x01"  # base = ALLOW
    for _ in range(depth):
        condition = b"\x0a" + encode_varint(len(data)) + data  # MembershipCondition.policies
        data = b"\x12" + encode_varint(len(condition)) + condition  # MembershipPolicy.and_condition
    return data


def _in_permissions(policy: bytes) -> bytes:
    """A ``GroupMutablePermissionsV1`` whose add_member_policy is ``policy``."""
    policy_set = b"\x0a" + encode_varint(len(policy)) + policy
    return b"\x0a" + encode_varint(len(policy_set)) + policy_set


def _zstd_bomb(inflated: int) -> bytes:
    """An archive whose zstd frame declares a 25 MiB record, then inflates to ``inflated`` zero bytes."""
    frame = bytearray(b"\x28\xb5\x2f\xfd\x00\x38") + (4 << 3).to_bytes(3, "little") + struct.pack("<I", 25 << 20)
    blocks = inflated // (128 << 10)
    for i in range(blocks):
        frame += ((128 << 10) << 3 | 1 << 1 | (i == blocks - 1)).to_bytes(3, "little") + b"\x00"
    return b"\x00\x00" + bytes(12) + bytes(frame)


PATHOLOGICAL = [  # (decoder, input): each once crashed, hung or exhausted the model
    ("proto:extensions.MembershipPolicy", _nested_policy(50_000)),
    ("proto:extensions.GroupMutablePermissionsV1", _in_permissions(_nested_policy(20_000))),
    ("permissions.Policies.from_proto", _in_permissions(_nested_policy(20_000))),
    ("proto:identity.IdentityUpdate", b"\x0a\x00" * 200_000),
    ("identity.decode_update", b"\x0a\x00" * 200_000),
    ("tls:RATCHET_TREE", varint(1_000_000) + bytes(1_000_000)),
    ("RatchetTree.decode", varint(1_000_000) + bytes(1_000_000)),
    ("history_sync.read_archive", _zstd_bomb(1 << 30)),
    ("jsonrpc.line", b"[" * 100_000 + b"]" * 100_000),
    ("jsonrpc.line", b'{"jsonrpc": "2.0", "id": ' + b"{\"a\":" * 50_000 + b"1" + b"}" * 50_000 + b', "method": "x"}'),
]
PEAK_PER_INPUT_BYTE = 300
"""The memory bound: a decoded value costs at most this many bytes per input byte (an empty repeated entry,
2 bytes sent, is one object), plus ``PEAK_SLACK``."""
PEAK_SLACK = 64 << 20
"""One archive record (``history_sync.MAX_RECORD_SIZE``, 25 MiB), its plaintext and one inflation step."""


@pytest.mark.parametrize("name, data", PATHOLOGICAL, ids=[f"{n}-{len(d)}B" for n, d in PATHOLOGICAL])
def test_pathological_inputs_end_in_a_value_or_a_refusal_within_bounds(name, data):
    decoder = DECODERS[name]
    tracemalloc.start()
    try:
        crashes = run(decoder, [data])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert not crashes, _report(decoder, crashes)
    assert peak < PEAK_PER_INPUT_BYTE * len(data) + PEAK_SLACK
