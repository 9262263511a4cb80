"""The welcome wrapper (facts §7.3): one HPKE context seals the welcome, then its metadata."""

from __future__ import annotations

import random

import pytest

from spec_model.mls.codec import opaque
from spec_model.mls.hpke import hpke_for
from spec_model.mls.reasons import Rejected
from spec_model.mls.suites import HPKECiphertext
from spec_model.xmtp.welcome_wrap import (
    WELCOME_LABEL, WelcomeMetadata, WelcomeWrapperAlgorithm, WelcomeWrapReason, unwrap_welcome, wrap_welcome,
)

HPKE = hpke_for(0x0020, 0x0001, 0x0003)
SK, PK = HPKE.kem.derive_key_pair(b"recipient" * 4)
WELCOME = b"\x00\x01\x00\x03" + bytes(range(200))  # stands in for a TLS MLSMessage(Welcome)


def seeded(seed: int):
    return random.Random(seed).randbytes


def test_round_trip():
    data, metadata = wrap_welcome(PK, WELCOME, 123456789)
    assert unwrap_welcome(SK, data, metadata) == (WELCOME, 123456789)


def test_layout_is_one_context_welcome_then_metadata():
    data, metadata = wrap_welcome(PK, WELCOME, 7, rng=seeded(1))
    wrapped = HPKECiphertext.decode(data)
    assert len(wrapped.kem_output) == 32 and len(wrapped.ciphertext) == len(WELCOME) + 16
    info = opaque(b"MLS 1.0 MLS_WELCOME") + opaque(b"")
    assert WELCOME_LABEL == b"MLS 1.0 MLS_WELCOME"
    context = HPKE.setup_base_r(wrapped.kem_output, SK, info)
    assert context.open(b"", wrapped.ciphertext) == WELCOME
    assert WelcomeMetadata.decode(context.open(b"", metadata)) == WelcomeMetadata(7)


def test_deterministic_with_rng():
    assert wrap_welcome(PK, WELCOME, 7, rng=seeded(1)) == wrap_welcome(PK, WELCOME, 7, rng=seeded(1))
    assert wrap_welcome(PK, WELCOME, 7, rng=seeded(1)) != wrap_welcome(PK, WELCOME, 7, rng=seeded(2))


def test_cursor_zero_and_empty_metadata():
    data, metadata = wrap_welcome(PK, WELCOME, 0)
    assert unwrap_welcome(SK, data, metadata) == (WELCOME, 0)
    assert unwrap_welcome(SK, data, b"") == (WELCOME, 0)  # libxmtp does not open an empty metadata


def _flip(data: bytes, i: int) -> bytes:
    return data[:i] + bytes([data[i] ^ 1]) + data[i + 1:]


def _refused(reason, *args, **kwargs):
    with pytest.raises(Rejected) as e:
        unwrap_welcome(*args, **kwargs)
    assert e.value.reason == reason


def test_wrong_key():
    data, metadata = wrap_welcome(PK, WELCOME, 5)
    other_sk, _ = HPKE.kem.derive_key_pair(b"someone else" * 3)
    _refused(WelcomeWrapReason.DECRYPT_FAILED, other_sk, data, metadata)


@pytest.mark.parametrize("where", [1, 20, -1])  # kem_output, ciphertext start, tag
def test_tampered_data(where):
    data, metadata = wrap_welcome(PK, WELCOME, 5)
    _refused(WelcomeWrapReason.DECRYPT_FAILED, SK, _flip(data, where % len(data)), metadata)


@pytest.mark.parametrize("where", [0, -1])
def test_tampered_metadata(where):
    data, metadata = wrap_welcome(PK, WELCOME, 5)
    _refused(WelcomeWrapReason.DECRYPT_FAILED, SK, data, _flip(metadata, where % len(metadata)))


def test_swapped_metadata_from_another_wrap():
    data, _ = wrap_welcome(PK, WELCOME, 5)
    _, other_metadata = wrap_welcome(PK, WELCOME, 5)
    _refused(WelcomeWrapReason.DECRYPT_FAILED, SK, data, other_metadata)


@pytest.mark.parametrize("data", [b"", b"\x20" + bytes(31), wrap_welcome(PK, WELCOME, 5)[0] + b"\x00"])
def test_malformed_data(data):
    _refused(WelcomeWrapReason.MALFORMED_WRAPPER, SK, data, b"")


def test_metadata_that_is_not_protobuf():
    kem_output, context = HPKE.setup_base_s(PK, opaque(WELCOME_LABEL) + opaque(b""))
    data = HPKECiphertext(kem_output, context.seal(b"", WELCOME)).encode()
    _refused(WelcomeWrapReason.MALFORMED_METADATA, SK, data, context.seal(b"", b"\x08"))


@pytest.mark.parametrize("algorithm", [0, 3, 99])  # 2, X-Wing, is tests/xmtp/test_xwing.py's
def test_other_algorithms_refused(algorithm):
    with pytest.raises(Rejected) as e:
        wrap_welcome(PK, WELCOME, 1, algorithm=algorithm)
    assert e.value.reason == WelcomeWrapReason.UNSUPPORTED_ALGORITHM
    data, metadata = wrap_welcome(PK, WELCOME, 1)
    _refused(WelcomeWrapReason.UNSUPPORTED_ALGORITHM, SK, data, metadata, algorithm=algorithm)
    assert WelcomeWrapperAlgorithm.XWING_MLKEM_768_DRAFT_6 == 2
