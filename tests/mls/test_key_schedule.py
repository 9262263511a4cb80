"""RFC 9420 §8: GroupContext, PreSharedKeyID, psk_secret, the key schedule and exporters."""

from __future__ import annotations

import hmac

import pytest

from spec_model.mls.codec import DecodeError
from spec_model.mls.group_context import Extension, GroupContext
from spec_model.mls.key_schedule import (
    confirmation_tag, derive_epoch_secrets, derive_joiner_secret, export, key_schedule,
    welcome_key_and_nonce,
)
from spec_model.mls.psk import PreSharedKeyID, PSKLabel, PSKType, ResumptionPSKUsage, psk_secret
from spec_model.mls.suites import remember_verifications, suite

CS = suite(1)
NONCE = bytes(range(32))
EXTERNAL = PreSharedKeyID.external(b"psk-1", NONCE)
RESUMPTION = PreSharedKeyID.resumption(ResumptionPSKUsage.branch, b"group", 7, NONCE)
CONTEXT = GroupContext(1, 1, b"group", 3, b"\x11" * 32, b"\x22" * 32, (Extension(0xF000, b"ext"),))


# --------------------------------------------------------------- PreSharedKeyID


def test_external_psk_id_wire_bytes() -> None:
    assert EXTERNAL.encode() == b"\x01" + b"\x05psk-1" + b"\x20" + NONCE


def test_resumption_psk_id_wire_bytes() -> None:
    assert RESUMPTION.encode() == (b"\x02" + b"\x03" + b"\x05group" + (7).to_bytes(8, "big")
                                   + b"\x20" + NONCE)


@pytest.mark.parametrize("psk_id", [EXTERNAL, RESUMPTION])
def test_psk_id_round_trip(psk_id: PreSharedKeyID) -> None:
    decoded = PreSharedKeyID.decode(psk_id.encode())
    assert decoded == psk_id
    assert isinstance(decoded.psktype, PSKType)


def test_psk_id_nested_in_psk_label() -> None:
    label = PSKLabel(RESUMPTION, 1, 2)
    assert label.encode() == RESUMPTION.encode() + b"\x00\x01\x00\x02"
    assert PSKLabel.decode(label.encode()) == label


@pytest.mark.parametrize("tag", [0, 3, 255])
def test_unknown_psktype_rejected(tag: int) -> None:
    with pytest.raises(DecodeError) as e:
        PreSharedKeyID.decode(bytes([tag]) + EXTERNAL.encode()[1:])
    assert e.value.path == "PreSharedKeyID.psktype"


def test_unknown_usage_and_truncation_and_trailing_rejected() -> None:
    data = RESUMPTION.encode()
    with pytest.raises(DecodeError) as e:
        PreSharedKeyID.decode(data[:1] + b"\x04" + data[2:])
    assert e.value.path == "PreSharedKeyID.usage"
    with pytest.raises(DecodeError) as e:
        PreSharedKeyID.decode(data[:-1])
    assert e.value.path == "PreSharedKeyID.psk_nonce"
    with pytest.raises(DecodeError, match="trailing"):
        PreSharedKeyID.decode(data + b"\x00")


def test_psk_id_case_fields_are_checked() -> None:
    with pytest.raises(ValueError):
        PreSharedKeyID(PSKType.external, NONCE, psk_id=b"x", psk_epoch=1)
    with pytest.raises(ValueError):
        PreSharedKeyID(PSKType.resumption, NONCE, usage=ResumptionPSKUsage.reinit, psk_group_id=b"g")


# --------------------------------------------------------------- psk_secret


@pytest.mark.parametrize("suite_id", [1, 5, 7])
def test_no_psks_is_nh_zero_bytes(suite_id: int) -> None:
    cs = suite(suite_id)
    assert psk_secret(cs, []) == bytes(cs.Nh)


def test_psk_secret_depends_on_order_and_ids() -> None:
    a, b = (EXTERNAL, b"A" * 32), (RESUMPTION, b"B" * 32)
    assert psk_secret(CS, [a, b]) != psk_secret(CS, [b, a])
    other_nonce = PreSharedKeyID.external(b"psk-1", bytes(32))
    assert psk_secret(CS, [a]) != psk_secret(CS, [(other_nonce, a[1])])
    assert psk_secret(CS, [a]) != bytes(32)


# --------------------------------------------------------------- GroupContext


def test_group_context_round_trip_keeps_unknown_version_and_suite() -> None:
    odd = GroupContext(0xFFFF, 0x1234, b"", 2**64 - 1, b"", b"", ())
    assert GroupContext.decode(odd.encode()) == odd
    assert GroupContext.decode(CONTEXT.encode()) == CONTEXT
    assert CONTEXT.encode()[:4] == b"\x00\x01\x00\x01"


# --------------------------------------------------------------- key schedule


def test_key_schedule_is_joiner_then_epoch() -> None:
    init, commit, psk = b"\x01" * 32, b"\x02" * 32, b"\x03" * 32
    whole = key_schedule(CS, init, commit, psk, CONTEXT)
    joiner = derive_joiner_secret(CS, init, commit, CONTEXT.encode())
    assert whole == derive_epoch_secrets(CS, joiner, psk, CONTEXT.encode())
    assert whole == key_schedule(CS, init, commit, psk, CONTEXT.encode())
    assert whole.joiner_secret == joiner


def test_none_means_zero_secret() -> None:
    init = b"\x01" * 32
    assert key_schedule(CS, init, None, None, CONTEXT) == key_schedule(CS, init, bytes(32), bytes(32), CONTEXT)


def test_every_secret_differs_and_group_context_matters() -> None:
    s = key_schedule(CS, b"\x01" * 32, None, None, CONTEXT)
    values = list(vars(s).values())
    assert len(set(values)) == len(values) == 12
    other = key_schedule(CS, b"\x01" * 32, None, None, CONTEXT.encode()[:-1] + b"\x00")
    assert other.joiner_secret != s.joiner_secret


def test_epoch_secrets_repr_hides_secrets() -> None:
    s = key_schedule(CS, b"\x01" * 32, None, None, CONTEXT)
    assert s.epoch_secret.hex() not in repr(s)


def test_welcome_key_and_nonce_sizes() -> None:
    for suite_id, sizes in [(1, (16, 12)), (4, (32, 12)), (3, (32, 12))]:
        key, nonce = welcome_key_and_nonce(suite(suite_id), b"\x05" * suite(suite_id).Nh)
        assert (len(key), len(nonce)) == sizes
        assert key[:12] != nonce


def test_confirmation_tag_is_hmac() -> None:
    assert confirmation_tag(CS, b"k" * 32, b"t" * 32) == hmac.new(b"k" * 32, b"t" * 32, "sha256").digest()


# --------------------------------------------------------------- exporter


@pytest.mark.parametrize("length", [0, 1, 16, 32, 100, 255 * 32])
def test_exporter_length(length: int) -> None:
    assert len(export(CS, b"\x07" * 32, b"label", b"context", length)) == length


def test_exporter_binds_length_label_and_context() -> None:
    base = export(CS, b"\x07" * 32, b"label", b"context", 32)
    assert export(CS, b"\x07" * 32, b"label", b"context", 16) != base[:16]
    assert export(CS, b"\x07" * 32, b"label2", b"context", 32) != base
    assert export(CS, b"\x07" * 32, b"label", b"context2", 32) != base


@pytest.mark.parametrize("length", [255 * 32 + 1, 0x10000, -1])
def test_exporter_length_out_of_range(length: int) -> None:
    with pytest.raises(ValueError):
        export(CS, b"\x07" * 32, b"label", b"context", length)


def test_epoch_secrets_are_remembered_by_their_inputs_while_memories_are_on() -> None:
    joiner, context = b"\x05" * 32, CONTEXT.encode()
    first = derive_epoch_secrets(CS, joiner, None, context)
    assert derive_epoch_secrets(CS, joiner, None, context) is first  # another member of the epoch: remembered
    assert derive_epoch_secrets(CS, joiner, b"\x01" * 32, context) != first  # other inputs: derived
    before = remember_verifications(0)
    try:
        again = derive_epoch_secrets(CS, joiner, None, context)
    finally:
        remember_verifications(before)
    assert again == first and again is not first
