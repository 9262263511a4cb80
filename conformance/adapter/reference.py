"""The ``reference`` adapter: the model (``spec_model``) behind the adapter protocol.

Each of its clients follows one profile of the model (``spec_model.xmtp.profiles``), chosen at
``clients.create``: the seed's rules by default, or libxmtp's; it declares both as ``clients.profiles``.

It answers every operation of ``protocol.OPERATIONS`` and declares every capability. Its clients
reach the delivery service only through the harness (``delivery.RemoteDeliveryService``), exactly as
an out-of-process adapter's do, so this adapter behaves the same in process and behind
``python -m conformance.adapter.serve`` (``reference-subprocess``).
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
from typing import Any, Callable

from spec_model.mls.codec import DecodeError
from spec_model.mls.group import ApplicationMessage, CommitMessage, Group
from spec_model.mls import hpke
from spec_model.mls.hpke import Mode
from spec_model.mls.key_package import KeyPackageBundle, generate_key_package
from spec_model.mls.leaf_node import Credential
from spec_model.mls.message import MLSMessage
from spec_model.mls.proposals import Add, Remove
from spec_model.mls.ratchet_tree import RatchetTree
from spec_model.mls.reasons import RefusalClass, Rejected
from spec_model.mls.suites import suite
from spec_model.xmtp.client import Client, ClientConfig, Conversation
from spec_model.xmtp.consent import ConsentState, ConsentType
from spec_model.xmtp.database_key import database_key
from spec_model.xmtp.content import GROUP_UPDATED, TEXT, GroupUpdated, decode_group_updated, decode_text
from spec_model.xmtp.context import ClientReason
from spec_model.xmtp.delivery import DeliveryStatus, GroupMessageKind
from spec_model.xmtp.messages import StoredMessage
from spec_model.xmtp.network import NetworkError
from spec_model.xmtp.permissions import Option, Permission, Preset, policies_json, update_by_intent
from spec_model.xmtp.profiles import PROFILES, SEED, Profile
from spec_model.xmtp.push import push_topics
from spec_model.xmtp.wallet import Wallet

from .. import rfc9180
from ..rfc9420 import QUESTION_FORMATS, module as rfc9420_module
from ..vectors import family_modules
from .delivery import RemoteDeliveryService
from .protocol import PROTOCOL_VERSION, AdapterError, ErrorKind, Hello, Link

__all__ = ["ReferenceAdapter", "group_state", "stored_messages", "message_json", "list_filters", "transcript_json"]

NAME = "xmtp-spec-model"
VERSION = "0.1.0"


@dataclasses.dataclass
class _Member:
    """An MLS member: its suite, its signature key, its unused key package, its group."""

    cs: Any
    signature_priv: bytes
    bundle: KeyPackageBundle | None
    group: Group | None = None


class ReferenceAdapter:
    """``protocol.Adapter`` over the model."""

    def __init__(self) -> None:
        self._link: Link | None = None
        self._members: dict[str, _Member] = {}
        self._clients: dict[str, tuple[Client, Wallet, bytes]] = {}
        self._streams: dict[tuple[str, str], _OpenStream] = {}
        self._directory = tempfile.mkdtemp(prefix="xmtp-reference-adapter-")
        # scenarios are not answered through xmtp.answer: the harness drives them through ``clients``
        self._families = {name: module for name, module in family_modules().items() if module.FORMAT != "scenario"}

    # ------------------------------------------------------------------ the protocol

    def hello(self, link: Link) -> Hello:
        self._link = link
        return Hello(protocol_version=PROTOCOL_VERSION, name=NAME, version=VERSION, capabilities={
            "mls": {"cipher_suites": list(range(1, 8))},
            "mls.vectors": {"formats": sorted(QUESTION_FORMATS), "cipher_suites": list(range(1, 8))},
            "hpke": {"modes": [mode.value for mode in Mode], "kems": sorted(hpke.KEM_IDS), "kdfs": sorted(hpke.KDF_IDS),
                     "aeads": sorted(hpke.AEAD_IDS)},
            "xmtp.vectors": {"families": sorted(self._families)},
            "clients": {"profiles": list(PROFILES), "clock": "ds.now"},  # its clients read time from ds.now only
        })

    def call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        handler: Callable[[dict[str, Any]], dict[str, Any]] | None = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            raise AdapterError(ErrorKind.UNSUPPORTED, "unknown_method", method)
        try:
            return handler(params)
        except Rejected as e:
            raise AdapterError(ErrorKind.REJECTED, str(e.reason), e.detail, refusal_class=e.refusal_class) from None
        except DecodeError as e:
            raise AdapterError(ErrorKind.REJECTED, "decode_error", str(e),
                               refusal_class=RefusalClass.VALIDATION) from None
        except NetworkError as e:
            raise AdapterError(ErrorKind.NETWORK, e.reason.value, str(e)) from None

    def close(self) -> None:
        self._reset({})
        shutil.rmtree(self._directory, ignore_errors=True)

    def _reset(self, params: dict[str, Any]) -> dict[str, Any]:
        """Forget every member and client, databases included (also one left by a creation that failed)."""
        for client, _, _ in self._clients.values():
            client.delete_local_database()
        self._members.clear()
        self._clients.clear()
        self._streams.clear()
        for leftover in os.listdir(self._directory):
            os.remove(os.path.join(self._directory, leftover))
        return {}

    # ------------------------------------------------------------------ mls

    def _member(self, name: str) -> _Member:
        if name not in self._members:
            raise AdapterError(ErrorKind.INTERNAL, "unknown_member", name)
        return self._members[name]

    def _group(self, name: str) -> Group:
        member = self._member(name)
        if member.group is None:
            raise AdapterError(ErrorKind.INTERNAL, "no_group", name)
        return member.group

    def _mls_new_member(self, p: dict[str, Any]) -> dict[str, Any]:
        cs = suite(p["cipher_suite"])
        signature_priv, _ = cs.generate_signature_key_pair()
        bundle = generate_key_package(cs, Credential.basic(bytes.fromhex(p["identity"])), signature_priv)
        self._members[p["member"]] = _Member(cs, signature_priv, bundle)
        return {"key_package": MLSMessage(bundle.key_package).encode().hex()}

    def _mls_create_group(self, p: dict[str, Any]) -> dict[str, Any]:
        member = self._member(p["member"])
        bundle = member.bundle
        member.group = Group.create(member.cs, bytes.fromhex(p["group_id"]), bundle.key_package.leaf_node,
                                    bundle.encryption_priv, member.signature_priv)
        return {"epoch": member.group.epoch}

    def _mls_join(self, p: dict[str, Any]) -> dict[str, Any]:
        member = self._member(p["member"])
        b = member.bundle
        tree = RatchetTree.decode(member.cs, bytes.fromhex(p["ratchet_tree"])) if p["ratchet_tree"] else None
        welcome = MLSMessage.decode(bytes.fromhex(p["welcome"])).body
        member.group = Group.join(welcome, b.key_package, b.init_priv, b.encryption_priv, b.signature_priv,
                                  ratchet_tree=tree)
        return {"epoch": member.group.epoch}

    def _mls_join_with_secrets(self, p: dict[str, Any]) -> dict[str, Any]:
        key_package = MLSMessage.decode(bytes.fromhex(p["key_package"])).body
        cs = suite(key_package.cipher_suite)
        tree = RatchetTree.decode(cs, bytes.fromhex(p["ratchet_tree"])) if p["ratchet_tree"] else None
        welcome = MLSMessage.decode(bytes.fromhex(p["welcome"])).body
        signature_priv = bytes.fromhex(p["signature_priv"])
        group = Group.join(welcome, key_package, bytes.fromhex(p["init_priv"]), bytes.fromhex(p["encryption_priv"]),
                           signature_priv, ratchet_tree=tree,
                           psks={bytes.fromhex(k): bytes.fromhex(v) for k, v in p["external_psks"].items()})
        self._members[p["member"]] = _Member(cs, signature_priv, None, group)
        return {"epoch": group.epoch}

    def _mls_propose(self, p: dict[str, Any]) -> dict[str, Any]:
        group = self._group(p["member"])
        if p["update"]:
            message, _ = group.update_proposal(private=p["private"])
        elif p["add"] is not None:
            message = group.propose(Add(MLSMessage.decode(bytes.fromhex(p["add"])).body), private=p["private"])
        elif p["remove"] is not None:
            message = group.propose(Remove(p["remove"]), private=p["private"])
        else:
            raise AdapterError(ErrorKind.INTERNAL, "invalid_params", "mls.propose needs add, remove or update")
        return {"message": message.encode().hex()}

    def _mls_commit(self, p: dict[str, Any]) -> dict[str, Any]:
        group = self._group(p["member"])
        proposals = tuple(Add(MLSMessage.decode(bytes.fromhex(kp)).body) for kp in p["add"]) \
            + tuple(Remove(i) for i in p["remove"])
        config = group.config  # RFC 9420 §12.4.3.1: the GroupInfo carries the tree (ratchet_tree extension) or not
        group.config = dataclasses.replace(config, use_ratchet_tree_extension=p["inline_tree"])
        try:
            pending = group.commit(proposals, private=p["private"])
        finally:
            group.config = config
        tree = pending.next_state.tree.encode().hex()
        return {"commit": pending.message.encode().hex(), "ratchet_tree": tree,
                "welcome": pending.welcome.encode().hex() if pending.welcome else None}

    def _mls_merge(self, p: dict[str, Any]) -> dict[str, Any]:
        group = self._group(p["member"])
        group.merge_pending_commit()
        return {"epoch": group.epoch}

    def _mls_process(self, p: dict[str, Any]) -> dict[str, Any]:
        group = self._group(p["member"])
        result = group.process(MLSMessage.decode(bytes.fromhex(p["message"])))
        kind = "application" if isinstance(result, ApplicationMessage) else \
            "commit" if isinstance(result, CommitMessage) else "proposal"
        data = result.data.hex() if isinstance(result, ApplicationMessage) else None
        return {"kind": kind, "data": data, "epoch": group.epoch, "active": group.active}

    def _mls_protect(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"message": self._group(p["member"]).send_application(bytes.fromhex(p["data"])).encode().hex()}

    def _mls_state(self, p: dict[str, Any]) -> dict[str, Any]:
        group = self._group(p["member"])
        return {"epoch": group.epoch, "epoch_authenticator": group.epoch_authenticator.hex(),
                "tree_hash": group.context.tree_hash.hex(), "own_leaf": group.own_leaf,
                "members": {str(i): leaf.credential.identity.hex() for i, leaf in group.members()}}

    def _mls_export(self, p: dict[str, Any]) -> dict[str, Any]:
        secret = self._group(p["member"]).export_secret(bytes.fromhex(p["label"]), bytes.fromhex(p["context"]),
                                                        p["length"])
        return {"secret": secret.hex()}

    # ------------------------------------------------------------------ vectors

    def _mls_answer(self, p: dict[str, Any]) -> dict[str, Any]:
        if p["format"] not in QUESTION_FORMATS:
            raise AdapterError(ErrorKind.UNSUPPORTED, "unknown_format", p["format"])
        return {"answer": rfc9420_module(p["format"]).answer(p["question"])}

    def _hpke_answer(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"answer": rfc9180.answer(p["question"])}

    def _xmtp_answer(self, p: dict[str, Any]) -> dict[str, Any]:
        family = self._families.get(p["family"])
        if family is None:
            raise AdapterError(ErrorKind.UNSUPPORTED, "unknown_family", p["family"])
        return {"answer": family.answer(p["question"])}

    # ------------------------------------------------------------------ clients

    def _client(self, name: str) -> Client:
        if name not in self._clients:
            raise AdapterError(ErrorKind.INTERNAL, "unknown_client", name)
        return self._clients[name][0]

    def _conversation(self, p: dict[str, Any]) -> Conversation:
        return self._client(p["client"]).conversations.get(bytes.fromhex(p["group_id"]))

    def _open(self, name: str, wallet: Wallet, key: bytes, profile: Profile) -> Client:
        network = RemoteDeliveryService(self._link)
        client = Client.create(wallet, os.path.join(self._directory, f"{name}.db3"), key, network,
                               config=ClientConfig(profile=profile))
        self._clients[name] = (client, wallet, key)
        return client

    def _clients_create(self, p: dict[str, Any]) -> dict[str, Any]:
        if p["client"] in self._clients:
            raise AdapterError(ErrorKind.INTERNAL, "client_exists", p["client"])
        profile = PROFILES.get(p["profile"] or SEED.name)
        if profile is None:
            raise AdapterError(ErrorKind.UNSUPPORTED, "unknown_profile", p["profile"])
        wallet = Wallet.from_key(bytes.fromhex(p["wallet_key"]))
        client = self._open(p["client"], wallet, database_key(wallet), profile)
        return {"inbox_id": client.inbox_id, "installation_id": client.installation_id.hex(),
                "address": client.address}

    def _clients_restart(self, p: dict[str, Any]) -> dict[str, Any]:
        client, wallet, key = self._clients[p["client"]]
        client.close()
        self._open(p["client"], wallet, key, client.config.profile)
        return {}

    def _clients_new_group(self, p: dict[str, Any]) -> dict[str, Any]:
        conversation = self._client(p["client"]).conversations.create_group(
            p["addresses"], inbox_ids=p["inbox_ids"], permissions=Preset(p["permissions"]), name=p["name"],
            description=p["description"])
        return {"group_id": conversation.group_id.hex()}

    def _clients_new_dm(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"group_id": self._client(p["client"]).conversations.create_dm(p["inbox_id"]).group_id.hex()}

    def _clients_sync_welcomes(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"group_ids": [c.group_id.hex() for c in self._client(p["client"]).conversations.sync()]}

    def _clients_sync_all(self, p: dict[str, Any]) -> dict[str, Any]:
        self._client(p["client"]).conversations.sync_all()
        return {}

    def _clients_list(self, p: dict[str, Any]) -> dict[str, Any]:
        conversations = self._client(p["client"]).conversations.list(**list_filters(p["filters"]))
        return {"group_ids": [c.group_id.hex() for c in conversations]}

    def _clients_group(self, p: dict[str, Any]) -> dict[str, Any]:
        conversation, method, args = self._conversation(p), p["method"], p["arguments"]
        if method in ("send", "send_optimistic"):
            return {"value": getattr(conversation, method)(args["text"]).hex()}
        if method == "update_permission":  # libxmtp intents.rs: one base policy, through the intent's rules
            try:
                permission, option = Permission(args["permission"]), Option(args["policy"])
                policies = update_by_intent(conversation.group_metadata()["policies"], permission, option,
                                            metadata_key=args.get("metadata_key"),
                                            profile=conversation.client.config.profile)
            except (ValueError, KeyError) as e:
                raise AdapterError(ErrorKind.REJECTED, ClientReason.INVALID_ARGUMENT.value, str(e),
                                   refusal_class=RefusalClass.VALIDATION) from None
            conversation.update_permissions(policies)
            return {"value": None}
        if method not in _GROUP_METHODS:
            raise AdapterError(ErrorKind.UNSUPPORTED, "unknown_group_method", method)
        getattr(conversation, method)(*(args[name] for name in _GROUP_METHODS[method]))
        return {"value": None}

    def _clients_group_state(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"state": group_state(self._conversation(p))}

    def _clients_messages(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"messages": stored_messages(self._conversation(p), p["filters"])}

    def _clients_consent(self, p: dict[str, Any]) -> dict[str, Any]:
        client = self._client(p["client"])
        entity_type = ConsentType[p["entity_type"].upper()]
        if p["state"] is not None:
            client.set_consent(entity_type, p["entity"], ConsentState[p["state"].upper()])
        return {"state": client.consent_state(entity_type, p["entity"]).name.lower()}

    def _clients_history_sync(self, p: dict[str, Any]) -> dict[str, Any]:
        client = self._client(p["client"])
        client.request_history_sync() if p["request"] else client.process_history_sync()
        return {}

    # ------------------------------------------------------------------ streams and push notifications

    def _clients_stream_open(self, p: dict[str, Any]) -> dict[str, Any]:
        key = (p["client"], p["stream"])
        if key in self._streams:
            raise AdapterError(ErrorKind.INTERNAL, "stream_exists", p["stream"])
        conversations = self._client(p["client"]).conversations
        if p["kind"] == "welcomes":
            stream = conversations.stream()
        elif p["kind"] == "all_messages":
            stream = conversations.stream_all_messages()
        else:
            stream = self._conversation(p).stream()
        self._streams[key] = _OpenStream(p["kind"], stream)
        return {}

    def _clients_stream_poll(self, p: dict[str, Any]) -> dict[str, Any]:
        """The model delivers only inside its calls (the harness waits on this one), so one poll is all that can
        arrive: it answers at once, however large ``count``."""
        opened = self._open_stream(p)
        if opened.closed:
            return {"items": []}
        if opened.kind == "welcomes":
            return {"items": [{"group_id": c.group_id.hex()} for c in opened.stream.poll()]}
        return {"items": [{**message_json(m), "group_id": m.group_id.hex()} for m in opened.stream.poll()]}

    def _clients_stream_close(self, p: dict[str, Any]) -> dict[str, Any]:
        opened = self._open_stream(p)
        if not opened.closed:
            opened.stream.close()
            opened.closed = True
        return {}

    def _open_stream(self, p: dict[str, Any]) -> "_OpenStream":
        if (p["client"], p["stream"]) not in self._streams:
            raise AdapterError(ErrorKind.INTERNAL, "unknown_stream", p["stream"])
        return self._streams[p["client"], p["stream"]]

    def _clients_push_subscriptions(self, p: dict[str, Any]) -> dict[str, Any]:
        client = self._client(p["client"])
        group_ids = [c.group_id for c in client.conversations.list()]
        topics = push_topics(client.installation_id, group_ids)
        keys = [[]] + [client.hmac_keys(group_id) for group_id in group_ids]
        return {"installation_id": client.installation_id.hex(), "subscriptions": [
            {"topic": topic, "hmac_keys": [{"key": k.key.hex(), "epoch": k.epoch} for k in group_keys]}
            for topic, group_keys in zip(topics, keys)]}


    # ------------------------------------------------------------------ clients: message lifetime, pins, database

    def _clients_update_disappearing_settings(self, p: dict[str, Any]) -> dict[str, Any]:
        try:
            from_ns, in_ns = int(p["from_ns"]), int(p["in_ns"])
        except ValueError as e:
            raise AdapterError(ErrorKind.INTERNAL, "invalid_params", str(e)) from None
        self._conversation(p).update_disappearing_settings(from_ns, in_ns)
        return {}

    def _clients_delete_message(self, p: dict[str, Any]) -> dict[str, Any]:
        conversation = self._conversation(p)
        deletion = conversation.delete_message(bytes.fromhex(p["message_id"]))
        conversation.sync()
        return {"deletion_id": deletion.hex()}

    def _clients_update_pinned_frame_url(self, p: dict[str, Any]) -> dict[str, Any]:
        self._conversation(p).update_pinned_frame_url(p["url"])
        return {}

    def _clients_delete_local_database(self, p: dict[str, Any]) -> dict[str, Any]:
        client = self._client(p["client"])
        del self._clients[p["client"]]
        client.delete_local_database()
        return {}


@dataclasses.dataclass
class _OpenStream:
    """A stream a client opened (``clients.stream_open``): its kind, the model's stream, whether it is closed."""

    kind: str
    stream: Any
    closed: bool = False



_GROUP_METHODS: dict[str, tuple[str, ...]] = {
    "sync": (), "leave": (), "update_installations": (),
    "add_members": ("addresses",), "add_members_by_inbox_id": ("inbox_ids",),
    "remove_members": ("addresses",), "remove_members_by_inbox_id": ("inbox_ids",),
    "update_name": ("name",), "update_description": ("description",), "update_image_url": ("url",),
    "add_admin": ("inbox_id",), "remove_admin": ("inbox_id",),
    "add_super_admin": ("inbox_id",), "remove_super_admin": ("inbox_id",),
}
"""seed "Group protocol": the Conversation methods of ``clients.group``, with their argument names."""


def group_state(conversation: Conversation) -> dict[str, Any]:
    """seed ``list_members`` and ``group_metadata``, and the MLS epoch, as the protocol's JSON."""
    metadata = conversation.group_metadata()
    return {
        "epoch": conversation.epoch,
        "active": conversation.is_active,
        "created_at_ns": str(conversation.created_at_ns),
        "added_by_inbox_id": conversation.added_by_inbox_id,
        "conversation_type": metadata["conversation_type"],
        "creator_inbox_id": metadata["creator_inbox_id"],
        "attributes": dict(sorted(metadata["attributes"].items())),
        "admins": sorted(metadata["admins"]),
        "super_admins": sorted(metadata["super_admins"]),
        "policies": policies_json(metadata["policies"]),
        "members": [{"inbox_id": m.inbox_id, "permission_level": m.permission_level,
                     "installations": len(m.installation_ids), "addresses": list(m.account_addresses)}
                    for m in conversation.list_members()],
    }


def list_filters(filters: dict[str, Any]) -> dict[str, Any]:
    """``clients.list``'s filters as ``Conversations.list``'s arguments."""
    named: dict[str, Any] = {}
    for name in ("created_after_ns", "created_before_ns"):
        if name in filters:
            named[name] = int(filters[name])
    if "limit" in filters:
        named["limit"] = filters["limit"]
    if "consent_states" in filters:
        named["consent_states"] = [ConsentState[state.upper()] for state in filters["consent_states"]]
    return named


def stored_messages(conversation: Conversation, filters: dict[str, Any]) -> list[dict[str, Any]]:
    """seed ``find_messages``, as the protocol's JSON."""
    named = dict(filters)
    if "delivery_status" in named:
        named["delivery_status"] = DeliveryStatus[named["delivery_status"].upper()]
    if "kind" in named:
        named["kind"] = GroupMessageKind[named["kind"].upper()]
    for name in ("sent_after_ns", "sent_before_ns"):
        if name in named:
            named[name] = int(named[name])
    return [message_json(m) for m in conversation.find_messages(**named)]


def message_json(m: StoredMessage) -> dict[str, Any]:
    """One stored message as the protocol's JSON: text content as text, transcripts as their changes."""
    entry = {"id": m.id.hex(), "kind": m.kind.name.lower(), "delivery_status": m.delivery_status.name.lower(),
             "sender_inbox_id": m.sender_inbox_id, "sent_at_ns": str(m.sent_at_ns),
             "content_type": f"{m.content.type.authority_id}/{m.content.type.type_id}"}
    if m.expire_at_ns is not None:
        entry["expires_at_ns"] = str(m.expire_at_ns)
    if m.deleted_by is not None:
        entry["deleted_by"] = m.deleted_by
    if m.content.type == TEXT:
        entry["text"] = decode_text(m.content)
    elif m.content.type == GROUP_UPDATED:
        entry["update"] = transcript_json(decode_group_updated(m.content))
    return entry


def transcript_json(update: GroupUpdated) -> dict[str, Any]:
    """transcript_messages.proto ``GroupUpdated`` (docs/xmtp-facts.md §6) as the protocol's JSON: who, and each list."""
    return {
        "initiated_by": update.initiated_by_inbox_id,
        **{name: sorted(i.inbox_id for i in getattr(update, name)) for name in (
            "added_inboxes", "removed_inboxes", "left_inboxes", "added_admin_inboxes",
            "removed_admin_inboxes", "added_super_admin_inboxes", "removed_super_admin_inboxes")},
        "metadata": [{"field": c.field_name, "old": c.old_value, "new": c.new_value}
                     for c in update.metadata_field_changes],
    }
