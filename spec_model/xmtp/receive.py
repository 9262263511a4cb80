"""docs/xmtp-facts.md §5 "receive": a group's envelopes read from its cursor, in order, each stored in one transaction.

Theory of operation
-------------------
Receive reads the group topic from the group's cursor in ascending pages
(docs/xmtp-facts.md §7.2). Our own payloads (matched by the hash of what we published)
merge their pending commit or mark their message Published with the server's
timestamp; a commit of ours overtaken by another goes back to ToPublish and is
rebuilt on the new epoch, and so does a message of ours that comes back 3 or
more epochs old. Everyone else's messages are processed by the MLS group, with
every commit checked by XMTP's rules (``commit_validation.py``) and stored as
a group-updated transcript message. Anything the group refuses is skipped and
the cursor moves past it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Callable, Iterable

from spec_model.mls.codec import DecodeError
from spec_model.mls.framing import MemberSender, PublicMessage
from spec_model.mls.group import ApplicationMessage as MlsApplication, CommitMessage, Group
from spec_model.mls.message import MLSMessage
from spec_model.mls.proposals import Add
from spec_model.mls.reasons import Rejected

from . import api
from .commit_validation import ValidatedCommit, validate_commit
from .content import DELETE_MESSAGE, LEAVE_REQUEST, EncodedContent, content_type_of, encode_group_updated, open_envelope, transcript_message_id
from .context import ClientContext
from .credential import inbox_of
from .deletion import decode_delete_message, is_deletable
from .delivery import DeliveryStatus, GroupMessageKind, IntentEvent, IntentKind, IntentState
from .disappearing import expire_at_ns
from .extensions import read_mutable_metadata
from .intents import record, welcome_recipient_record
from .messages import StoredMessage
from .store import CursorKind, IntentRow, MembershipState, MessageDeletionRow, MessageRow

__all__ = ["PAGE", "pages", "page_lists", "receive", "leave_requesters"]

PAGE = 100
"""docs/xmtp-facts.md §7.2: libxmtp queries ascending with limit 100 and pages until a short page."""


def pages(query: Callable[[int], object], start: int) -> Iterable:
    """docs/xmtp-facts.md §7.2: the envelopes of every page from ``start``, in order."""
    for page in page_lists(query, start):
        yield from page


def page_lists(query: Callable[[int], object], start: int) -> Iterable[list]:
    """docs/xmtp-facts.md §7.2: the ascending pages themselves (at most 100 envelopes each), until a short page."""
    cursor = start
    while True:
        messages = list(query(cursor).messages)
        if messages:
            yield messages
        if len(messages) < PAGE:
            return
        last = messages[-1]
        cursor = (last.v1 if last.v1 is not None else last.welcome_pointer).id


def leave_requesters(ctx: ClientContext, group_id: bytes) -> set[str]:
    """XIP-75: the inboxes that sent a LeaveRequest in this group."""
    return {row.sender_inbox_id for row in ctx.store.find_messages(
        group_id, content_type=(LEAVE_REQUEST.authority_id, LEAVE_REQUEST.type_id))}


def receive(ctx: ClientContext, group_id: bytes) -> list[StoredMessage]:
    """docs/xmtp-facts.md §5 "receive": each page of envelopes from the cursor, processed in order in one transaction."""
    store, new = ctx.store, []
    start = min(store.get_cursor(group_id, CursorKind.COMMITS), store.get_cursor(group_id, CursorKind.APPLICATION))
    for page in page_lists(lambda cursor: ctx.network.query_group_messages(api.QueryGroupMessagesRequest(
            group_id, api.PagingInfo(api.SortDirection.ASCENDING, PAGE, cursor))), start=start):
        with store.transaction():
            group = ctx.load_group(group_id)
            for envelope in page:
                v1 = envelope.v1
                if v1.id <= start:
                    continue  # a duplicate the network returned again
                new.extend(_process_envelope(ctx, group, v1))
                start = v1.id
            ctx.save_group(group)
            store.advance_cursor(group_id, CursorKind.COMMITS, start)
            store.advance_cursor(group_id, CursorKind.APPLICATION, start)
    return new


def _validator(ctx: ClientContext, results: list[ValidatedCommit]):
    """RFC 9420 §12.2 commit policy: XMTP's rules (docs/xmtp-facts.md §4.4); each validated commit is appended to ``results``."""
    def policy(staged) -> None:
        results.append(validate_commit(staged, ctx.identities.state_at, own_version=ctx.config.version,
                                       profile=ctx.config.profile))
    return policy


def _public_from_member(message: MLSMessage) -> bool:
    """docs/xmtp-facts.md §1: every handshake message is a PrivateMessage (OpenMLS's default wire-format policy);
    a member's proposal or commit sent as a PublicMessage is not processed."""
    return isinstance(message.body, PublicMessage) and isinstance(message.body.content.sender, MemberSender)


def _process_envelope(ctx: ClientContext, group: Group, v1) -> list[StoredMessage]:
    """One envelope of the group topic (docs/xmtp-facts.md §5 "receive"); the caller saves ``group``."""
    store = ctx.store
    intent = store.find_intent_by_payload_hash(hashlib.sha256(v1.data).digest())
    if intent is not None and intent.state == IntentState.ERROR and intent.staged_commit is not None:
        # every send of this commit failed, but a lost reply hid that one was stored: it landed after all
        record(ctx, intent.id, IntentEvent.LANDED_AFTER_ALL)
        intent = store.get_intent(intent.id)
    if intent is not None and intent.state == IntentState.PUBLISHED:
        return _own_envelope(ctx, group, intent, v1)
    profile = ctx.config.profile
    if not group.active and profile.removed_member_merges_removal:
        return []  # libxmtp (profile removed_member_merges_removal): nothing is processed after one's removal
    validated: list[ValidatedCommit] = []
    try:
        message = MLSMessage.decode(v1.data)
        if _public_from_member(message):
            return []
        result = group.process(message, commit_policy=_validator(ctx, validated),
                               merge_own_removal=profile.removed_member_merges_removal)
    except (Rejected, DecodeError):
        return []  # not for us to read (an epoch before we joined, a refused commit): skipped, cursor moves
    if isinstance(result, CommitMessage):
        return _after_commit(ctx, group, v1, validated[-1])
    if not isinstance(result, MlsApplication):
        return []
    row = _application_row(group, result, v1.created_ns)
    if row is None:
        return []
    row = dataclasses.replace(row, expire_at_ns=expire_at_ns(group.context.extensions, ctx.now_ns()))
    store.put_message(row)
    if (row.authority_id, row.type_id) == (DELETE_MESSAGE.authority_id, DELETE_MESSAGE.type_id):
        _process_delete_message(ctx, group, row)
    _note_own_leave_request(ctx, row)
    return StoredMessage.listed([row])


def _process_delete_message(ctx: ClientContext, group: Group, row: MessageRow) -> None:
    """XIP-76, libxmtp mls_sync.rs ``process_delete_message``@b649d1a (``deletion.py``): record a received
    deletion unless it names a message of another group, a message that is not deletable, or one whose sender is
    not the deleter while the deleter is no super admin; one that arrives before its message is recorded, judged
    when the message is listed."""
    try:
        target = decode_delete_message(EncodedContent.decode(row.content))
    except DecodeError:
        target = None
    if target is None:
        return
    is_super_admin = row.sender_inbox_id in read_mutable_metadata(group.context.extensions).super_admin_list.inbox_ids
    original = ctx.store.get_message(target)
    if original is not None:
        if original.group_id != group.group_id or not is_deletable(original):
            return
        is_sender = original.sender_inbox_id == row.sender_inbox_id
        if not is_sender and not is_super_admin:
            return
        is_super_admin = not is_sender and is_super_admin
    ctx.store.put_message_deletion(MessageDeletionRow(row.id, group.group_id, target, row.sender_inbox_id,
                                                      int(is_super_admin), row.sent_at_ns))


def _note_own_leave_request(ctx: ClientContext, row: MessageRow) -> None:
    """libxmtp mls_sync.rs ``process_leave_request_message``@b649d1a: a LeaveRequest from our own inbox (this
    installation's or another's) puts the group in PendingRemove until the removal comes."""
    if row.sender_inbox_id == ctx.inbox_id and (row.authority_id, row.type_id) == (
            LEAVE_REQUEST.authority_id, LEAVE_REQUEST.type_id) \
            and ctx.group_row(row.group_id).membership_state == MembershipState.ALLOWED:
        ctx.store.set_membership_state(row.group_id, MembershipState.PENDING_REMOVE)


def _application_row(group: Group, result: MlsApplication, sent_at_ns: int) -> MessageRow | None:
    """libxmtp crates/xmtp_mls/src/groups/mls_sync.rs@a53a97e ``process_external_message``: application data
    that is not a ``PlaintextEnvelope`` or is an empty one is a non-retryable error (``DecodeProto``,
    ``InvalidPayload``): nothing is stored and the cursor moves past it; a V2 envelope is ignored; V1 content
    that is not ``EncodedContent`` is stored all the same (``content_type_of``)."""
    try:
        opened = open_envelope(group.group_id, result.data)
    except Rejected:
        return None
    if opened is None:
        return None
    content_type = content_type_of(opened.encoded_content)
    sender = group.tree.leaf(result.sender) if result.sender < group.tree.n_leaves else None
    return MessageRow(opened.id, group.group_id, sent_at_ns, GroupMessageKind.APPLICATION, DeliveryStatus.PUBLISHED,
                      inbox_of(sender.credential) if sender else "", sender.signature_key if sender else b"",
                      content_type.authority_id, content_type.type_id, opened.idempotency_key, opened.encoded_content)


def _after_commit(ctx: ClientContext, group: Group, v1, validated: ValidatedCommit) -> list[StoredMessage]:
    """docs/xmtp-facts.md §5: a merged commit becomes a group-updated transcript message; a commit removing us ends the group."""
    stored = []
    if not validated.is_empty:
        update = validated.group_updated()
        left = leave_requesters(ctx, group.group_id)
        if left & set(validated.removed_inboxes):  # XIP-75: those who asked to leave "left"
            update = dataclasses.replace(
                update, removed_inboxes=tuple(i for i in update.removed_inboxes if i.inbox_id not in left),
                left_inboxes=tuple(i for i in update.removed_inboxes if i.inbox_id in left))
        content = encode_group_updated(update)
        encoded = content.encode()
        row = MessageRow(transcript_message_id(group.group_id, v1.created_ns, encoded), group.group_id, v1.created_ns,
                         GroupMessageKind.MEMBERSHIP_CHANGE, DeliveryStatus.PUBLISHED, validated.actor_inbox_id, b"",
                         content.type.authority_id, content.type.type_id, str(v1.created_ns), encoded)
        ctx.store.put_message(row)
        stored.append(StoredMessage.of(row))
    if not group.active:
        ctx.store.set_membership_state(group.group_id, MembershipState.REJECTED)
    return stored


def _own_envelope(ctx: ClientContext, group: Group, intent: IntentRow, v1) -> list[StoredMessage]:
    """docs/xmtp-facts.md §5: our own payload came back: a message is Published; a commit is merged, rebuilt or refused."""
    store = ctx.store
    store.set_intent_data(intent.id, unsent_payload=None)  # stored after all
    if intent.kind == IntentKind.SEND_MESSAGE:
        if intent.published_in_epoch + group.config.max_past_epochs <= group.epoch:
            record(ctx, intent.id, IntentEvent.OWN_MESSAGE_STALE)  # docs/xmtp-facts.md §5: too old, publish again
            return []
        record(ctx, intent.id, IntentEvent.OWN_MESSAGE_SEEN, sent_at_ns=v1.created_ns)
        store.set_message_expiry(intent.message_id, expire_at_ns(group.context.extensions, ctx.now_ns()))
        record(ctx, intent.id, IntentEvent.POST_COMMIT_DONE)  # a message has no post-commit work
        row = store.get_message(intent.message_id)
        _note_own_leave_request(ctx, row)
        return [StoredMessage.of(row)]
    # the epoch this very commit would start
    pending = ctx.pending_commit(group.group_id, intent.staged_commit) if intent.staged_commit is not None else None
    store.set_intent_data(intent.id, staged_commit=None)
    if not group.active:  # a commit before ours removed us: ours can never apply
        group.clear_pending_commit()
        record(ctx, intent.id, IntentEvent.OWN_COMMIT_INVALID)
        return []
    if pending is None or intent.published_in_epoch != group.epoch:
        group.clear_pending_commit()  # overtaken by another commit: rebuild on the new epoch
        record(ctx, intent.id, IntentEvent.OWN_COMMIT_SEEN_STALE_EPOCH)
        return []
    validated: list[ValidatedCommit] = []
    try:
        _validator(ctx, validated)(pending.staged)
    except Rejected as e:  # kept, so that the caller learns which rule refused the change
        group.clear_pending_commit()
        store.set_intent_data(intent.id, refusal=json.dumps(e.chain()))
        record(ctx, intent.id, IntentEvent.OWN_COMMIT_INVALID)
        return []
    welcome = pending.welcome
    group.pending_commit = pending  # a later commit of ours may have been built meanwhile
    group.merge_pending_commit()
    post = {"cursor": v1.id, "welcome": welcome.encode().hex() if welcome else None,
            "recipients": [welcome_recipient_record(p.proposal.key_package)
                           for p in pending.proposals if isinstance(p.proposal, Add)]}
    record(ctx, intent.id, IntentEvent.OWN_COMMIT_MERGED)
    store.set_intent_data(intent.id, post_commit_data=json.dumps(post).encode())
    return _after_commit(ctx, group, v1, validated[-1])
