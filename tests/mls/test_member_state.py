"""A member's state stored as bytes (``member_state.py``): round trips, and refusals of bad records."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spec_model.mls.group import GroupConfig
from spec_model.mls.member_state import (
    GROUP_STATE_VERSION, GroupStateReason, decode_group, decode_key_package_bundle, decode_pending_commit,
    encode_group, encode_key_package_bundle, encode_pending_commit,
)
from spec_model.mls.proposals import Add, Remove
from spec_model.mls.reasons import Rejected
from spec_model.mls.secret_tree import SenderRatchetConfiguration
from spec_model.mls.suites import suite

from .members import bundle, commit_and_deliver, deliver, group_of, state_of

CS = suite(3)


def test_a_group_survives_storage_and_goes_on() -> None:
    groups = group_of(CS, 3, config=GroupConfig(ratchet=SenderRatchetConfiguration(2, 50), padding=4))
    deliver(groups[0].send_application(b"before"), groups, groups[0])
    commit_and_deliver(groups[0], groups)
    groups[2].propose(Remove(0))  # a cached proposal of our own
    before = state_of(groups[2])
    stored = encode_group(groups[2])
    restored = decode_group(stored)
    assert restored.cs is CS and restored.config == groups[2].config
    assert encode_group(restored) == stored
    assert state_of(groups[2]) == before  # storing changes nothing
    commit_and_deliver(groups[0], [groups[0], groups[1], restored])
    assert restored.epoch_authenticator == groups[0].epoch_authenticator
    assert deliver(restored.send_application(b"after"), [groups[0]], restored)[0].data == b"after"


def test_a_pending_commit_survives_storage_and_merges() -> None:
    groups = group_of(CS, 3)
    twin = decode_group(encode_group(groups[0]))
    pending = groups[0].commit((Remove(2),))
    restored = decode_pending_commit(encode_pending_commit(pending))
    assert restored.staged == pending.staged and restored.message == pending.message
    assert restored.welcome == pending.welcome and restored.group_info == pending.group_info
    twin.pending_commit = restored
    twin.merge_pending_commit()
    groups[1].process(pending.message)
    assert twin.epoch_authenticator == groups[1].epoch_authenticator


def test_a_commit_carries_a_group_info_only_with_a_welcome_and_both_kinds_are_stored() -> None:
    """RFC 9420 §12.4.3.1: the signed GroupInfo is for the Welcome; a commit that adds no one has neither."""
    groups = group_of(CS, 2)
    removing = groups[0].commit((Remove(1),))
    adding = groups[0].commit((Add(bundle(CS, "new").key_package),))
    assert removing.welcome is None and removing.group_info is None
    assert adding.welcome is not None and adding.group_info is not None
    for pending in (removing, adding):
        assert decode_pending_commit(encode_pending_commit(pending)).group_info == pending.group_info


def test_a_key_package_bundle_survives_storage() -> None:
    kept = bundle(CS, "someone")
    assert decode_key_package_bundle(encode_key_package_bundle(kept)) == kept


def test_a_record_that_holds_the_external_public_key_is_read() -> None:
    """Records once held ``external_pub`` (RFC 9420 §8) among the secrets; it is derived where used now."""
    group = group_of(CS, 2)[0]
    record = json.loads(encode_group(group))
    external_pub = CS.derive_key_pair(group.state.secrets.external_secret)[1]
    record["state"]["secrets"]["external_pub"] = external_pub.hex()
    assert encode_group(decode_group(json.dumps(record).encode())) == encode_group(group)
    record["state"]["secrets"]["external_pub"] = "zz"
    with pytest.raises(Rejected) as e:
        decode_group(json.dumps(record).encode())
    assert e.value.reason is GroupStateReason.MALFORMED


def test_a_record_of_another_version_is_refused() -> None:
    record = json.loads(encode_group(group_of(CS, 1)[0]))
    record["version"] = GROUP_STATE_VERSION + 1
    with pytest.raises(Rejected) as e:
        decode_group(json.dumps(record).encode())
    assert e.value.reason is GroupStateReason.UNSUPPORTED_VERSION


def test_a_record_of_another_kind_is_refused() -> None:
    with pytest.raises(Rejected) as e:
        decode_pending_commit(encode_group(group_of(CS, 1)[0]))
    assert e.value.reason is GroupStateReason.MALFORMED


@pytest.mark.parametrize("damage", [
    lambda r: r.pop("state"),
    lambda r: r.update(own_leaf="0"),
    lambda r: r["state"].update(context="zz"),
    lambda r: r["state"].update(context=r["state"]["context"][:-2]),
    lambda r: r["state"]["tree"].update(n_leaves=0),
    lambda r: r["state"]["secret_tree"].update(n_leaves=3),
    lambda r: r.update(cipher_suite=99),
    lambda r: r["state"]["secrets"].pop("init_secret"),
])
def test_a_malformed_record_is_refused(damage) -> None:
    record = json.loads(encode_group(group_of(CS, 2)[0]))
    damage(record)
    with pytest.raises(Rejected) as e:
        decode_group(json.dumps(record).encode())
    assert e.value.reason is GroupStateReason.MALFORMED


@settings(max_examples=50)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_are_refused_with_a_reason(data: bytes) -> None:
    for decode in (decode_group, decode_pending_commit, decode_key_package_bundle):
        with pytest.raises(Rejected) as e:
            decode(data)
        assert isinstance(e.value.reason, GroupStateReason)
