"""XIP-75 self-removal: a member asks to leave; a super admin's client removes it; the transcript says "left"."""

from __future__ import annotations

import pytest

from spec_model.mls.reasons import Rejected
from spec_model.xmtp.client import Client, ClientConfig, ClientReason
from spec_model.xmtp.content import LEAVE_REQUEST
from spec_model.xmtp.content import decode_group_updated
from spec_model.xmtp.delivery import GroupMessageKind
from spec_model.xmtp.network import DeliveryService
from spec_model.xmtp.profiles import LIBXMTP, SEED
from spec_model.xmtp.store import MembershipState
from spec_model.xmtp.wallet import Wallet

from tests.mls.members import seeded_rng


def test_a_member_leaves_and_the_transcript_says_so(tmp_path):
    rng, network = seeded_rng(75), DeliveryService()
    alix, bo, caro = (Client.create(Wallet.random(rng), str(tmp_path / f"{n}.db"), bytes(32), network, rng=rng)
                      for n in ("alix", "bo", "caro"))
    group = alix.conversations.create_group(inbox_ids=[bo.inbox_id, caro.inbox_id])
    bos, caros = bo.conversations.sync()[0], caro.conversations.sync()[0]
    bos.leave()
    # libxmtp mls_sync.rs process_leave_request_message: our own LeaveRequest puts the group in PendingRemove
    assert bo.store.get_group(group.group_id).membership_state == MembershipState.PENDING_REMOVE and bos.is_active
    caros.sync()
    assert bo.inbox_id in {m.inbox_id for m in caros.list_members()}  # a member cannot remove anyone (default policy)
    group.sync()  # alix, the super admin, honours the request
    assert {m.inbox_id for m in group.list_members()} == {alix.inbox_id, caro.inbox_id}
    bos.sync()
    assert not bos.is_active and bo.store.get_group(group.group_id).membership_state == MembershipState.REJECTED
    caros.sync()
    update = decode_group_updated([m for m in caros.find_messages() if m.kind == GroupMessageKind.MEMBERSHIP_CHANGE][-1].content)
    assert [i.inbox_id for i in update.left_inboxes] == [bo.inbox_id] and not update.removed_inboxes


def test_libxmtp_profile_refuses_leaving_where_libxmtp_does(tmp_path):
    """profile ``leave_checks`` (libxmtp groups/mod.rs ``leave_group``): a super admin, a DM member and a
    group's only member may not leave; a member leaves once (no second LeaveRequest); the seed sends each."""
    rng, network = seeded_rng(76), DeliveryService()
    for profile in (LIBXMTP, SEED):
        alix, bo = (Client.create(Wallet.random(rng), str(tmp_path / f"{n}-{profile.name}.db"), bytes(32), network,
                                  config=ClientConfig(profile=profile), rng=rng) for n in ("alix", "bo"))
        group, alone = alix.conversations.create_group(inbox_ids=[bo.inbox_id]), alix.conversations.create_group()
        dm = alix.conversations.create_dm(bo.inbox_id)
        bos = bo.conversations.sync()[0]
        for conversation in (group, alone, dm):
            if profile is LIBXMTP:
                with pytest.raises(Rejected) as info:
                    conversation.leave()
                assert info.value.reason == ClientReason.LEAVE_FORBIDDEN
            else:
                conversation.leave()
        network.clock.advance(10**9)  # a message id covers the idempotency key (the clock): not alix's request's
        bos.leave()
        bos.leave()
        requests = [m for m in bos.find_messages() if m.content.type == LEAVE_REQUEST]
        assert len(requests) == (1 if profile is LIBXMTP else 2)
