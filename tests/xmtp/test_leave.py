"""XIP-75 self-removal: a member asks to leave; a super admin's client removes it; the transcript says "left"."""

from __future__ import annotations

from spec_model.xmtp.client import Client
from spec_model.xmtp.content import decode_group_updated
from spec_model.xmtp.delivery import GroupMessageKind
from spec_model.xmtp.network import DeliveryService
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
