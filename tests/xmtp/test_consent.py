"""Consent (facts §10): states, the shifted sync form, automatic values, and missing = Unknown."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spec_model.mls.reasons import Rejected
from spec_model.xmtp.consent import (
    ConsentReason, ConsentRecord, ConsentSave, ConsentState, ConsentStateSave, ConsentType, ConsentTypeSave,
    consent_state, conversation_entity, from_save, is_allowed, is_denied, on_group_created, on_message_sent,
    on_readded_after_leaving, on_sync_group, on_welcome, to_save,
)

INBOX = "fcd18d86276d7a99fe522dba9660c420f03c8648785ada7c5daae232a3df77a9"


def test_enum_numbers():
    assert [(s.name, s.value) for s in ConsentState] == [("UNKNOWN", 0), ("ALLOWED", 1), ("DENIED", 2)]
    assert [(t.name, t.value) for t in ConsentType] == [("CONVERSATION_ID", 1), ("INBOX_ID", 2)]


def test_sync_form_shifts_the_state_by_one():
    record = ConsentRecord(ConsentType.INBOX_ID, ConsentState.DENIED, INBOX, 300)
    save = to_save(record)
    assert (save.entity_type, save.state) == (ConsentTypeSave.INBOX_ID, ConsentStateSave.DENIED)
    assert save.encode() == b"\x08\x02\x10\x03\x1a\x40" + INBOX.encode() + b"\x20\xac\x02"  # 300 = varint ac 02
    assert from_save(ConsentSave.decode(save.encode())) == record


@given(st.sampled_from(ConsentType), st.sampled_from(ConsentState), st.text(), st.integers(0, 2**63 - 1))
def test_sync_form_round_trip(entity_type, state, entity, at_ns):
    record = ConsentRecord(entity_type, state, entity, at_ns)
    assert to_save(record).state == state + 1
    assert from_save(ConsentSave.decode(to_save(record).encode())) == record


@pytest.mark.parametrize("save, reason", [
    (ConsentSave(ConsentTypeSave.UNSPECIFIED, ConsentStateSave.ALLOWED, INBOX), ConsentReason.UNKNOWN_ENTITY_TYPE),
    (ConsentSave(ConsentTypeSave.ADDRESS, ConsentStateSave.ALLOWED, "0xab"), ConsentReason.UNKNOWN_ENTITY_TYPE),
    (ConsentSave(9, ConsentStateSave.ALLOWED, INBOX), ConsentReason.UNKNOWN_ENTITY_TYPE),
    (ConsentSave(ConsentTypeSave.INBOX_ID, ConsentStateSave.UNSPECIFIED, INBOX), ConsentReason.UNKNOWN_STATE),
    (ConsentSave(ConsentTypeSave.INBOX_ID, 4, INBOX), ConsentReason.UNKNOWN_STATE),
])
def test_sync_form_refusals(save, reason):
    with pytest.raises(Rejected) as e:
        from_save(ConsentSave.decode(save.encode()))
    assert e.value.reason == reason


def test_missing_record_is_unknown():
    group = conversation_entity(b"\x01\xab" * 8)
    assert group == "01ab" * 8
    records = {
        (ConsentType.CONVERSATION_ID, group): ConsentRecord(ConsentType.CONVERSATION_ID, ConsentState.ALLOWED, group),
        (ConsentType.INBOX_ID, INBOX): ConsentRecord(ConsentType.INBOX_ID, ConsentState.DENIED, INBOX),
    }
    assert is_allowed(records, ConsentType.CONVERSATION_ID, group)
    assert not is_denied(records, ConsentType.CONVERSATION_ID, group)
    assert is_denied(records, ConsentType.INBOX_ID, INBOX) and not is_allowed(records, ConsentType.INBOX_ID, INBOX)
    assert consent_state(records, ConsentType.INBOX_ID, group) == ConsentState.UNKNOWN  # wrong type: missing
    assert consent_state({}, ConsentType.INBOX_ID, INBOX) == ConsentState.UNKNOWN
    assert not is_allowed({}, ConsentType.INBOX_ID, INBOX) and not is_denied({}, ConsentType.INBOX_ID, INBOX)


def test_automatic_values():
    assert on_group_created() == ConsentState.ALLOWED
    assert on_welcome(created_by_us=True) == ConsentState.ALLOWED
    assert on_welcome(created_by_us=False) is None
    assert on_readded_after_leaving() == ConsentState.UNKNOWN
    assert on_message_sent() == ConsentState.ALLOWED
    assert on_sync_group() == ConsentState.ALLOWED
