"""docs/xmtp-facts.md §5 "publish_intents" and "post_commit": a group's intents built, sent, and finished.

Theory of operation
-------------------
Everything a user does to a group is stored as an *intent* (``store.py``'s
``intents`` table). Sync publishes every ToPublish intent: it builds the MLS
message (an application message, or a commit whose next epoch stays pending,
kept in the intent's ``staged_commit``), marks the intent Published with the
hash of its payload and the payload itself (``unsent_payload``), then sends
it. A failed send may have been stored with its reply lost, so the same bytes
go again on the next sync (the node drops a copy it holds) and no commit is
built twice for one epoch. One commit is in flight at a time. After receive
has merged our commits, post-commit work sends their Welcomes
(``post_commit_data``) and marks them Processed.

Every change of state goes through ``record``, which runs ``delivery.step``
and writes what it says: the new state, a counted attempt, the message's new
delivery status.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json

from spec_model.mls.codec import DecodeError
from spec_model.mls.group import Group
from spec_model.mls.key_package import KeyPackage
from spec_model.mls.message import MLSMessage
from spec_model.mls.reasons import Rejected

from . import api
from .commit_validation import validate_commit
from .context import CS, ClientContext, ClientReason
from .delivery import DeliveryStatus, Effect, IntentEvent, IntentKind, IntentProgress, IntentState, step
from .extensions import GroupMembership, GroupMutablePermissionsV1, read_membership, read_mutable_metadata
from .groups import admin_lists_proposal, membership_proposals, metadata_proposal, permissions_proposal
from .key_package import validate_xmtp_key_package
from .network import NetworkError
from .permissions import Policies
from .push import content_should_push, sender_hmac
from .store import IntentRow
from .welcome_pointer import INSTALLATION_THRESHOLD, offers_pointers, seal_pointee, wrap_pointer
from .welcome_wrap import welcome_recipient, wrap_welcome

__all__ = ["COMMIT_KINDS", "Publication", "record", "publish_intents", "post_commit", "welcome_recipient_record",
           "welcome_inputs", "WELCOMES_PER_REQUEST", "welcome_requests"]

COMMIT_KINDS = tuple(kind for kind in IntentKind if kind != IntentKind.SEND_MESSAGE)
"""docs/xmtp-facts.md §5: the intents that publish a commit."""


@dataclasses.dataclass(frozen=True)
class Publication:
    """docs/xmtp-facts.md §5: what a Published intent keeps: its payload's hash and epoch, the payload until sent, and for
    a commit the next epoch it would start."""

    payload: bytes
    epoch: int
    staged_commit: bytes | None = None


def record(ctx: ClientContext, intent_id: int, event: IntentEvent, *, sent_at_ns: int | None = None,
           publication: Publication | None = None) -> IntentState:
    """docs/xmtp-facts.md §5: move an intent (and its message) by ``delivery.step`` and store what it says.

    ``sent_at_ns`` is the server's timestamp of a message seen Published; ``publication`` what an intent
    becoming Published keeps (one back from Error keeps what it had).
    """
    store = ctx.store
    row = store.get_intent(intent_id)
    message = store.get_message(row.message_id) if row.message_id is not None else None
    progress = IntentProgress(row.kind, row.state, row.publish_attempts,
                              message.delivery_status if message is not None else None)
    after, effects = step(progress, event)
    with store.transaction():
        if Effect.COUNT_ATTEMPT in effects:
            store.increment_intent_publish_attempts(intent_id)
        if after.state == IntentState.PUBLISHED and publication is not None:
            store.set_intent_published(intent_id, payload_hash=hashlib.sha256(publication.payload).digest(),
                                       published_in_epoch=publication.epoch, unsent_payload=publication.payload,
                                       staged_commit=publication.staged_commit)
        elif after.state == IntentState.PUBLISHED and row.state == IntentState.ERROR:
            store.set_intent_published(intent_id, payload_hash=row.payload_hash,
                                       published_in_epoch=row.published_in_epoch, staged_commit=row.staged_commit)
        elif after.state != row.state:
            store.set_intent_state(intent_id, after.state)
        if after.state == IntentState.ERROR:
            store.set_intent_data(intent_id, unsent_payload=None)  # never sent again
        if Effect.MESSAGE_PUBLISHED in effects:
            store.set_delivery_status(row.message_id, DeliveryStatus.PUBLISHED, sent_at_ns=sent_at_ns)
        if Effect.MESSAGE_FAILED in effects:
            store.set_delivery_status(row.message_id, DeliveryStatus.FAILED)
    return after.state


# ------------------------------------------------------------------ publish

def publish_intents(ctx: ClientContext, group_id: bytes) -> None:
    """docs/xmtp-facts.md §5 "publish_intents": send again what is Published but unsent, then build and send ToPublish intents."""
    store = ctx.store
    for intent in store.find_intents(group_id, states=[IntentState.PUBLISHED]):
        if intent.unsent_payload is not None:  # its send failed (or never ran): the same bytes again
            _send(ctx, intent, intent.unsent_payload)
    for intent in store.find_intents(group_id, states=[IntentState.TO_PUBLISH]):
        if intent.kind != IntentKind.SEND_MESSAGE and store.find_intents(
                group_id, states=[IntentState.PUBLISHED], kinds=COMMIT_KINDS):
            return  # a commit of ours is in flight: one commit at a time (docs/xmtp-facts.md §5)
        group = ctx.load_group(group_id)
        try:
            payload = _build(ctx, group, intent)
        except Rejected as e:  # kept, so that the caller learns which rule refused the change
            store.set_intent_data(intent.id, refusal=json.dumps(e.chain()))
            record(ctx, intent.id, IntentEvent.BUILD_FAILED)
            continue
        if payload is None:  # nothing to change
            record(ctx, intent.id, IntentEvent.NO_CHANGE)
            continue
        data = payload.encode()
        pending = group.pending_commit if intent.kind != IntentKind.SEND_MESSAGE else None
        with store.transaction():
            ctx.save_group(group)
            record(ctx, intent.id, IntentEvent.PUBLISHED, publication=Publication(
                data, group.epoch, ctx.keep_pending_commit(group_id, pending) if pending else None))
        _send(ctx, intent, data)
        if intent.kind != IntentKind.SEND_MESSAGE:
            return  # one commit at a time (docs/xmtp-facts.md §5)


def _send(ctx: ClientContext, intent: IntentRow, data: bytes) -> None:
    """docs/xmtp-facts.md §5 SendGroupMessages for a Published intent. A failed send may still have been stored (its
    reply lost), so the intent stays Published and the same bytes go again on the next sync (the node
    ignores a copy it already holds, docs/xmtp-facts.md §7.2): a commit is never built twice for one epoch. The third
    failure ends it in Error (its message Failed), the network's failure kept as its refusal."""
    try:
        ctx.network.send_group_messages(api.SendGroupMessagesRequest((_group_message_input(ctx, intent, data),)))
    except NetworkError as e:
        # a commit's staged commit stays: see receive.py
        if record(ctx, intent.id, IntentEvent.SEND_FAILED) == IntentState.ERROR:
            ctx.store.set_intent_data(intent.id, refusal=json.dumps(Rejected(e.reason, e.detail).chain()))
        raise
    ctx.store.set_intent_data(intent.id, unsent_payload=None)


def _group_message_input(ctx: ClientContext, intent: IntentRow, data: bytes) -> api.GroupMessageInput:
    """libxmtp crates/xmtp_mls/src/groups/mls_sync.rs ``prepare_group_messages``@b649d1a: the payload with its
    sender HMAC (under the group's key of the current 30-day period) and ``should_push``: false for every
    intent but SendMessage (intents/queue.rs ``QueueIntent``), for a message its content type's flag."""
    should_push = False
    if intent.kind == IntentKind.SEND_MESSAGE and intent.message_id is not None:
        message = ctx.store.get_message(intent.message_id)
        should_push = message is not None and content_should_push(message.authority_id, message.type_id)
    (key,) = ctx.hmac_keys(intent.group_id, (0,))
    return api.GroupMessageInput(api.GroupMessageInput.V1(data, sender_hmac(key, data), should_push))


def _build(ctx: ClientContext, group: Group, intent: IntentRow) -> MLSMessage | None:
    """libxmtp ``get_publish_intent_data``: the MLS message an intent publishes; None if nothing changes."""
    if intent.kind == IntentKind.SEND_MESSAGE:
        return group.send_application(intent.payload, rng=ctx.rng)
    payload = json.loads(intent.payload)
    profile = ctx.config.profile
    if intent.kind == IntentKind.UPDATE_GROUP_MEMBERSHIP:
        proposals = _membership_proposals(ctx, group, payload["add"], payload["remove"])
        if proposals is None:
            return None
    elif intent.kind == IntentKind.METADATA_UPDATE:
        proposals = (metadata_proposal(group, payload["attributes"]),)
    elif intent.kind == IntentKind.UPDATE_ADMIN_LIST:
        metadata = read_mutable_metadata(group.context.extensions)
        current = list((metadata.admin_list if payload["list"] == "admin" else metadata.super_admin_list).inbox_ids)
        if "add" in payload and payload["add"] not in current:
            current.append(payload["add"])
        if "remove" in payload and payload["remove"] in current:
            current.remove(payload["remove"])
        lists = {"admins": tuple(current)} if payload["list"] == "admin" else {"super_admins": tuple(current)}
        proposals = (admin_lists_proposal(group, **lists),)
    elif intent.kind == IntentKind.UPDATE_PERMISSION:
        policies = Policies.from_proto(GroupMutablePermissionsV1.decode(bytes.fromhex(payload["policies"])), profile)
        proposals = (permissions_proposal(group, policies, profile),)
    else:  # KEY_UPDATE
        proposals = ()
    pending = group.commit(proposals, private=True, rng=ctx.rng)
    if profile.own_commits_checked_before_publish:
        validate_commit(pending.staged, ctx.identities.state_at, own_version=ctx.config.version, profile=profile)
    return pending.message


def _membership_proposals(ctx: ClientContext, group: Group, add: list[str], remove: list[str]):
    """docs/xmtp-facts.md §5 "Membership change": the new 0xFF01 from the latest sequence ids; key packages for every
    expected new installation (not our own); failures go to failed_installations."""
    old = read_membership(group.context.extensions)
    inboxes = (set(old.members) | set(add)) - set(remove)
    members = ctx.identities.latest_sequence_ids(sorted(inboxes))
    in_tree = {leaf.signature_key for _, leaf in group.members()}
    expected = {key: inbox for inbox in inboxes for key in ctx.identities.state_at(inbox, members[inbox]).installations}
    new_keys = [key for key in expected if key not in in_tree and key != ctx.installation_id]
    fetched = ctx.network.fetch_key_packages(api.FetchKeyPackagesRequest(tuple(new_keys))) if new_keys else None
    added: dict[bytes, KeyPackage] = {}  # by its bytes: OpenMLS keys proposals by ProposalRef, the same Add twice is one
    failed = set(old.failed_installations)

    def fetched_state(inbox: str):  # the states fetched above: no request per key package
        return ctx.identities.state_at(inbox, members.get(inbox, 0))

    for key, entry in zip(new_keys, fetched.key_packages if fetched else ()):
        try:
            kp = KeyPackage.decode(entry.key_package_tls_serialized)
            validate_xmtp_key_package(kp, ctx.now_ns() // 10**9, fetched_state, ctx.config.profile)
            if kp.leaf_node.signature_key != key and ctx.config.profile.fetched_key_packages_checked:
                raise Rejected(ClientReason.INVALID_ARGUMENT, "key package of another installation")
            added.setdefault(entry.key_package_tls_serialized, kp)
            failed.discard(key)
        except (DecodeError, Rejected):
            failed.add(key)
    # revoked installations and removed inboxes leave; a member never removes itself (RFC 9420 §12.2)
    removed = frozenset(key for key in in_tree if key not in expected and key != ctx.installation_id)
    new = GroupMembership(members=members, failed_installations=tuple(sorted(failed)))
    key_packages = tuple(added.values())
    if not key_packages and not removed and new == old:
        return None
    for kp in key_packages:  # libxmtp Installation::from_verified_key_package: an unusable 0xFF03 or 0xFF04 fails it
        welcome_recipient(kp)
        offers_pointers(kp)
    return membership_proposals(group, key_packages, removed, new)


# ------------------------------------------------------------------ post-commit

def welcome_recipient_record(key_package: KeyPackage) -> list:
    """docs/xmtp-facts.md §7.3, libxmtp crates/xmtp_mls/src/groups/intents.rs@b649d1a ``Installation``: what
    post-commit records of an added installation: its id, wrapper key and algorithm, whether it offers pointers."""
    public_key, algorithm = welcome_recipient(key_package)
    return [key_package.leaf_node.signature_key.hex(), public_key.hex(), int(algorithm), offers_pointers(key_package)]


def post_commit(ctx: ClientContext, group_id: bytes) -> None:
    """docs/xmtp-facts.md §5 "post_commit": send the Welcomes of merged commits, then mark them Processed."""
    for intent in ctx.store.find_intents(group_id, states=[IntentState.COMMITTED]):
        post = json.loads(intent.post_commit_data) if intent.post_commit_data else {"welcome": None}
        if post.get("welcome"):
            inputs = welcome_inputs(ctx, bytes.fromhex(post["welcome"]), post["cursor"], post["recipients"])
            for request in welcome_requests(inputs):
                ctx.network.send_welcome_messages(request)
        with ctx.store.transaction():
            record(ctx, intent.id, IntentEvent.POST_COMMIT_DONE)
            ctx.store.set_intent_data(intent.id, post_commit_data=None)


def welcome_inputs(ctx: ClientContext, welcome: bytes, cursor: int, recipients: list) -> list[api.WelcomeMessageInput]:
    """libxmtp crates/xmtp_mls/src/groups/mls_sync.rs@b649d1a ``send_welcomes``: the messages that bring the
    Welcome to ``recipients`` (``welcome_recipient_record``s).

    Profile ``welcome_pointers``, when more than ``INSTALLATION_THRESHOLD``
    recipients offer pointers (XIP-74, ``welcome_pointer.py``): the Welcome
    sealed once (the pointee, first), a pointer for each of those, the
    Welcome wrapped for each other. Otherwise the Welcome wrapped for each.
    """
    capable = sum(1 for *_, pointers in recipients if pointers)
    pointee, pointer = None, None
    if ctx.config.profile.welcome_pointers and capable > INSTALLATION_THRESHOLD:
        pointee, pointer = seal_pointee(welcome, cursor, lambda n: CS.random(n, ctx.rng))
    inputs = [pointee] if pointee else []
    for installation, public_key, algorithm, pointers in recipients:
        installation, public_key = bytes.fromhex(installation), bytes.fromhex(public_key)
        if pointer and pointers:
            inputs.append(wrap_pointer(installation, public_key, algorithm, pointer, ctx.rng))
            continue
        data, metadata = wrap_welcome(public_key, welcome, cursor, algorithm, rng=ctx.rng)
        inputs.append(api.WelcomeMessageInput(v1=api.WelcomeMessageInput.V1(
            installation, data, public_key, algorithm, metadata)))
    return inputs


WELCOMES_PER_REQUEST = 50
"""libxmtp crates/xmtp_mls/src/groups/mls_sync.rs@b649d1a ``send_welcomes``: the most welcome messages one
SendWelcomeMessages request carries."""


def welcome_requests(inputs: list[api.WelcomeMessageInput]) -> list[api.SendWelcomeMessagesRequest]:
    """libxmtp crates/xmtp_mls/src/groups/mls_sync.rs@b649d1a ``send_welcomes``: the welcome messages in requests
    of ``WELCOMES_PER_REQUEST``, or of as many as ``api.GRPC_PAYLOAD_LIMIT`` holds of the first message (its byte
    fields summed: the pointee's, when pointers are sent), at least one. libxmtp sends the requests at once; the
    model sends them in order and stops at the first refusal."""
    v1, pointer = inputs[0].v1, inputs[0].welcome_pointer
    size = len(v1.installation_key) + len(v1.data) + len(v1.hpke_public_key) + len(v1.welcome_metadata) if v1 \
        else len(pointer.installation_key) + len(pointer.welcome_pointer) + len(pointer.hpke_public_key)
    per_request = min(max(api.GRPC_PAYLOAD_LIMIT // max(size, 1), 1), WELCOMES_PER_REQUEST)
    return [api.SendWelcomeMessagesRequest(tuple(inputs[i:i + per_request])) for i in range(0, len(inputs), per_request)]
