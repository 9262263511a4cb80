"""The adapter protocol: the operations an implementation answers, and the calls it makes back to the harness.

One protocol, two forms with the same operations and the same JSON values:

* **in process** (Python): an object with ``hello(link)``, ``call(method, params)`` and ``close()``
  (the ``Adapter`` protocol below); ``link.call(method, params)`` reaches the harness;
* **out of process** (any language): JSON-RPC 2.0 over the adapter's stdin/stdout, one JSON object per
  line (``jsonrpc.py``). While the harness waits for an answer, the adapter may send its own requests
  (``ds.*``, to the harness's delivery service) on the same channel.

Every operation belongs to a *capability*; an adapter declares in ``hello`` the capabilities it has.
Checks that need a capability it does not declare are skipped, and the report shows them as skipped
with the missing capability.

A refusal is not a failure of the call: the adapter answers with a JSON-RPC error whose ``data`` is
``{"kind": "rejected", "reason": <reason code>, "class": <refusal class>}`` (``AdapterError``). ``kind``
``"network"`` means a delivery-service call failed (the harness's fault injection; its class is ``network``),
``"unsupported"`` an operation the adapter does not have, ``"internal"`` anything else. The reason code is the
implementation's own and only reported; ``class`` (docs/reason-codes.md "Refusal classes": permission,
membership, validation, network, not_found) is what every implementation can agree on, and scenario checks
compare it: a refusal without a class, where the scenario expects one, fails.

Binary values are lowercase hex strings. Integers the protocol defines that exceed 2^53 (the clock's
nanoseconds) are decimal strings; vector questions carry the vectors' own integers, some up to 2^64 - 1,
which an adapter must parse exactly. Parameters and results are pydantic models, so that both sides
validate what they receive; ``schema()`` is their JSON Schema (committed as
``vectors/schemas/adapter-protocol.schema.json``).
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, create_model

from spec_model.mls.reasons import RefusalClass

__all__ = [
    "PROTOCOL_VERSION", "Capability", "ErrorKind", "AdapterError", "AdapterUnusable", "Hello", "Operation", "OPERATIONS",
    "HARNESS_OPERATIONS", "Link", "Adapter", "check_params", "check_result", "schema", "POLICIES_SHOWN", "POLICIES_ALWAYS_SHOWN", "policies_shown",
    "policy_paths",
]

PROTOCOL_VERSION = 2
"""Bumped on any incompatible change; ``hello`` fails if the adapter speaks another version."""


class Capability(enum.StrEnum):
    """What an adapter can be asked about."""

    MLS = "mls"                     # RFC 9420 members: key packages, groups, commits, messages, exporter
    MLS_VECTORS = "mls.vectors"     # answer the official RFC 9420 test vectors' questions (conformance/rfc9420)
    MLS_SELF_VERIFY = "mls.self_verify"  # only verify RFC 9420 cases itself: reported "self-reported", never passed
    HPKE = "hpke"                   # answer the official RFC 9180 test vectors' questions (conformance/rfc9180.py)
    XMTP_VECTORS = "xmtp.vectors"   # answer the XMTP vector families' questions (decisions, codecs, traces)
    CLIENTS = "clients"             # XMTP clients over the harness's delivery service


class ErrorKind(enum.StrEnum):
    REJECTED = "rejected"
    NETWORK = "network"
    UNSUPPORTED = "unsupported"
    INTERNAL = "internal"


class AdapterError(Exception):
    """An operation that did not produce a result: refused (with a reason code and a refusal class) or broken.

    ``refusal_class`` is what the adapter said, or None; a ``network`` error is of class ``network`` whatever
    it said. A class the protocol does not define is kept as given (it matches no expected class)."""

    JSONRPC_CODES = {ErrorKind.REJECTED: -32000, ErrorKind.NETWORK: -32001, ErrorKind.UNSUPPORTED: -32601,
                     ErrorKind.INTERNAL: -32603}

    def __init__(self, kind: ErrorKind | str, reason: str = "", message: str = "", *,
                 refusal_class: RefusalClass | str | None = None):
        super().__init__(f"{kind}: {reason}" + (f" ({message})" if message else ""))
        self.kind, self.reason, self.message = ErrorKind(kind), reason, message
        self.refusal_class = RefusalClass.NETWORK.value if self.kind is ErrorKind.NETWORK else (
            None if refusal_class is None else str(refusal_class))

    def to_jsonrpc(self) -> dict[str, Any]:
        data = {"kind": self.kind.value, "reason": self.reason}
        if self.refusal_class is not None:
            data["class"] = self.refusal_class
        return {"code": self.JSONRPC_CODES[self.kind], "message": self.message or self.reason or self.kind.value,
                "data": data}

    @classmethod
    def from_jsonrpc(cls, error: dict[str, Any]) -> "AdapterError":
        data = error.get("data") or {}
        kind = data.get("kind")
        if kind not in ErrorKind.__members__.values():
            kind = ErrorKind.UNSUPPORTED if error.get("code") == -32601 else ErrorKind.INTERNAL
        return cls(kind, data.get("reason", ""), error.get("message", ""), refusal_class=data.get("class"))


class AdapterUnusable(Exception):
    """No session at all: the adapter cannot be started, or does not answer ``hello`` as the protocol says
    (the command line prints the one-line message and exits 3)."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Hello(_Model):
    """The adapter's answer to ``hello``: who it is and what it can do."""

    protocol_version: int
    name: str = Field(description="the implementation, e.g. 'xmtp-spec-model' or 'ts-mls'")
    version: str = Field(description="its version")
    capabilities: dict[str, dict[str, Any]] = Field(
        description="capability -> details: mls {cipher_suites}, mls.vectors {formats, cipher_suites}, "
                    "mls.self_verify {formats, cipher_suites}, hpke {modes, kems, kdfs, aeads}, "
                    "xmtp.vectors {families}, clients {profiles, clock}; an absent capability is not supported")


@dataclasses.dataclass(frozen=True)
class Operation:
    """One method: its capability, what it takes and what it returns."""

    name: str
    capability: Capability | None  # None: the harness answers it (``ds.*``) or it needs no capability
    params: type[BaseModel]
    result: type[BaseModel]
    doc: str


def _op(name: str, capability: Capability | None, doc: str, params: dict[str, Any],
        result: dict[str, Any]) -> Operation:
    title = "".join(part.capitalize() for part in name.replace(".", "_").split("_"))
    config = ConfigDict(extra="forbid")
    fields = {key: value if isinstance(value, tuple) else (value, ...) for key, value in params.items()}
    results = {key: value if isinstance(value, tuple) else (value, ...) for key, value in result.items()}
    return Operation(name, capability,
                     create_model(f"{title}Params", __config__=config, __doc__=doc, **fields),
                     create_model(f"{title}Result", __config__=config, **results), doc)


Hex = str
Json = dict[str, Any]
_C = Capability
_OPTIONAL_HEX = (Hex | None, None)

_OPERATIONS = [
    _op("hello", None, "Start of a session: agree on the protocol version; the adapter says what it can do.",
        {"protocol_version": int, "harness": str}, {k: (f.annotation, ...) for k, f in Hello.model_fields.items()}),
    _op("reset", None, "Forget every member and client (a new scenario starts on a new delivery service).",
        {}, {}),
    # ---------------------------------------------------------------- mls
    _op("mls.new_member", _C.MLS, "A new member with a basic credential (identity) and a fresh signature key; "
        "returns one key package whose private keys the member keeps (RFC 9420 §10).",
        {"member": str, "cipher_suite": int, "identity": Hex}, {"key_package": Hex}),
    _op("mls.create_group", _C.MLS, "The member creates a one-member group (RFC 9420 §11).",
        {"member": str, "group_id": Hex}, {"epoch": int}),
    _op("mls.join", _C.MLS, "The member joins from a Welcome with its key package (RFC 9420 §12.4.3.1); "
        "ratchet_tree is the tree if the Welcome carries none.",
        {"member": str, "welcome": Hex, "ratchet_tree": _OPTIONAL_HEX}, {"epoch": int}),
    _op("mls.join_with_secrets", _C.MLS, "A passive member joins from a Welcome with the given key package "
        "and private keys (test-vectors.md passive-client); external_psks: psk_id hex -> psk hex.",
        {"member": str, "key_package": Hex, "init_priv": Hex, "encryption_priv": Hex, "signature_priv": Hex,
         "welcome": Hex, "ratchet_tree": _OPTIONAL_HEX, "external_psks": (dict[Hex, Hex], {})}, {"epoch": int}),
    _op("mls.propose", _C.MLS, "A proposal (add a key package, remove a leaf, or update the own leaf), kept "
        "for the member's next commit (by reference, RFC 9420 §12.1).",
        {"member": str, "add": _OPTIONAL_HEX, "remove": (int | None, None), "update": (bool, False),
         "private": (bool, False)}, {"message": Hex}),
    _op("mls.commit", _C.MLS, "A commit of the proposals given by value plus every proposal received or "
        "sent since the last epoch (by reference); it stays pending until mls.merge (RFC 9420 §12.4).",
        {"member": str, "add": (list[Hex], []), "remove": (list[int], []), "private": (bool, False),
         "inline_tree": (bool, True)},
        {"commit": Hex, "welcome": _OPTIONAL_HEX, "ratchet_tree": Hex}),
    _op("mls.merge", _C.MLS, "Merge the member's pending commit (RFC 9420 §12.4: after the DS accepted it).",
        {"member": str}, {"epoch": int}),
    _op("mls.process", _C.MLS, "Process a handshake or application message (RFC 9420 §6, §12.4.2).",
        {"member": str, "message": Hex},
        {"kind": Literal["application", "proposal", "commit"], "data": _OPTIONAL_HEX, "epoch": int,
         "active": bool}),
    _op("mls.protect", _C.MLS, "An application message (PrivateMessage, RFC 9420 §6.3).",
        {"member": str, "data": Hex}, {"message": Hex}),
    _op("mls.state", _C.MLS, "The member's observable state: epoch, epoch authenticator (RFC 9420 §8.7), "
        "tree hash, its leaf and the members' identities by leaf index.",
        {"member": str}, {"epoch": int, "epoch_authenticator": Hex, "tree_hash": Hex, "own_leaf": int,
                          "members": dict[str, Hex]}),
    _op("mls.export", _C.MLS, "MLS-Exporter(label, context, length) (RFC 9420 §8.5).",
        {"member": str, "label": Hex, "context": Hex, "length": int}, {"secret": Hex}),
    # ---------------------------------------------------------------- vectors
    _op("mls.answer", _C.MLS_VECTORS, "Answer one question of an official RFC 9420 test-vector case (format as "
        "named in test-vectors.md): the case's inputs only; the harness judges the answer (conformance/rfc9420 and "
        "docs/adapters.md give every question's shape).",
        {"format": str, "question": Json}, {"answer": Json}),
    _op("mls.self_verify", _C.MLS_SELF_VERIFY, "Verify a whole RFC 9420 case, expected outputs included, and say "
        "whether it passed (mls-implementations' VerifyTestVector). Only for formats an adapter cannot answer as "
        "questions: the harness cannot judge such a verdict, so a pass is reported as self-reported, never passed.",
        {"format": str, "case": Json}, {"passed": bool, "detail": (str, "")}),
    _op("hpke.answer", _C.HPKE, "Answer one question of an official RFC 9180 test-vector case (conformance/rfc9180.py): "
        "a sender's setup, seals and exports, or a receiver's setup, opens and exports.",
        {"question": Json}, {"answer": Json}),
    _op("xmtp.answer", _C.XMTP_VECTORS, "Answer one question of an XMTP vector case (conformance/vectors/"
        "questions.py and the family's documentation say what each question holds and each answer must).",
        {"family": str, "question": Json}, {"answer": Json}),
    # ---------------------------------------------------------------- clients (seed "Conversations/Group protocol")
    _op("clients.create", _C.CLIENTS, "Client.create for a wallet (its secp256k1 key signs ERC-191): a new "
        "inbox, or a new installation of the wallet's inbox; the client is named for later calls. ``profile``: "
        "the model profile whose rules it follows, one of the adapter's clients.profiles (default: the first).",
        {"client": str, "wallet_key": Hex, "profile": (str | None, None)},
        {"inbox_id": str, "installation_id": Hex, "address": str}),
    _op("clients.restart", _C.CLIENTS, "Close the client and open it again from its local database.",
        {"client": str}, {}),
    _op("clients.new_group", _C.CLIENTS, "Conversations.create_group with members by address or inbox id and "
        "a permission preset (XIP-47).",
        {"client": str, "addresses": (list[str], []), "inbox_ids": (list[str], []),
         "permissions": (str, "all_members"), "name": (str, ""), "description": (str, "")},
        {"group_id": Hex}),
    _op("clients.new_dm", _C.CLIENTS, "Conversations.create_dm with an inbox.", {"client": str, "inbox_id": str},
        {"group_id": Hex}),
    _op("clients.sync_welcomes", _C.CLIENTS, "Conversations.sync: read the welcome topic, join new groups.",
        {"client": str}, {"group_ids": list[Hex]}),
    _op("clients.sync_all", _C.CLIENTS, "Conversations.sync_all: welcomes, then every group.",
        {"client": str}, {}),
    _op("clients.list", _C.CLIENTS, "Conversations.list: the client's conversations, oldest first; filters: "
        "created_after_ns, created_before_ns (decimal strings), limit, consent_states (allowed, denied, unknown).",
        {"client": str, "filters": (Json, {})}, {"group_ids": list[Hex]}),
    _op("clients.group", _C.CLIENTS, "A group method: sync, send, send_optimistic, add_members(_by_inbox_id), "
        "remove_members(_by_inbox_id), update_name/description/image_url, add_admin, remove_admin, "
        "add_super_admin, remove_super_admin, update_permission (permission, policy: one base option, metadata_key; "
        "libxmtp's intent rules), leave, update_installations.",
        {"client": str, "group_id": Hex, "method": str, "arguments": (Json, {})}, {"value": (Any, None)}),
    _op("clients.group_state", _C.CLIENTS, "The group as the client sees it: members with permission "
        "levels and installation counts, metadata, policies, epoch, active; policies_shown names the policies "
        "shown when the implementation cannot show them all.",
        {"client": str, "group_id": Hex}, {"state": Json}),
    _op("clients.messages", _C.CLIENTS, "Group.find_messages: every stored message in order with id, kind, "
        "delivery status, sender, sent_at_ns (a decimal string), content type, and text or transcript update; "
        "expires_at_ns (a decimal string) for a disappearing message, deleted_by (\"sender\" or the super "
        "admin's inbox id) for a deleted one.",
        {"client": str, "group_id": Hex, "filters": (Json, {})}, {"messages": list[Json]}),
    _op("clients.consent", _C.CLIENTS, "Set (if state is given) and read a consent record (facts §10).",
        {"client": str, "entity_type": str, "entity": str, "state": (str | None, None)}, {"state": str}),
    _op("clients.history_sync", _C.CLIENTS, "Request history from the inbox's other installations "
        "(request: true), or answer requests and import replies (request: false) (facts §9).",
        {"client": str, "request": bool}, {}),
    # ---------------------------------------------------------------- clients: message lifetime, pins, local database
    _op("clients.update_disappearing_settings", _C.CLIENTS, "Set a group's disappearing settings (libxmtp "
        "update_conversation_message_disappearing_settings: two metadata commits, from_ns then in_ns; both 0 "
        "removes them). Messages stored while both are positive expire in_ns after they are stored and are no "
        "longer listed once expired (spec_model/xmtp/disappearing.py).",
        {"client": str, "group_id": Hex, "from_ns": str, "in_ns": str}, {}),
    _op("clients.delete_message", _C.CLIENTS, "XIP-76: delete a message (its sender or a super admin; only "
        "deletable content: spec_model/xmtp/deletion.py) and publish the deletion; returns the DeleteMessage's id. "
        "Listings then show the message with content type xmtp.org/deletedMessage and deleted_by.",
        {"client": str, "group_id": Hex, "message_id": Hex}, {"deletion_id": Hex}),
    _op("clients.update_pinned_frame_url", _C.CLIENTS, "seed \"Pin messages\" (profile seed): set the group's "
        "group_pinned_frame_url attribute, a metadata change under the group's policy for that key.",
        {"client": str, "group_id": Hex, "url": str}, {}),
    _op("clients.delete_local_database", _C.CLIENTS, "seed Client.deleteLocalDatabase(): close the client and delete "
        "its database; the client's name is free again (a new clients.create is a new installation).",
        {"client": str}, {}),
]

_STREAM_AND_PUSH_OPERATIONS = [
    # ------------------------------------------------- clients: streams and push notifications (seed "stream",
    # "stream_all_messages", "push notifications"; docs/adapters.md "Streams" and "Push notifications")
    _op("clients.stream_open", _C.CLIENTS, "Open a stream, named for later calls: kind 'welcomes' (seed "
        "Conversations.stream: new conversations), 'group' (Group.stream: one group's new messages, group_id) or "
        "'all_messages' (Conversations.stream_all_messages: every conversation's, joined ones included).",
        {"client": str, "stream": str, "kind": Literal["welcomes", "group", "all_messages"], "group_id": _OPTIONAL_HEX},
        {}),
    _op("clients.stream_poll", _C.CLIENTS, "What the stream delivered since the last poll, in delivery order: wait "
        "until at least ``count`` items arrived or ``timeout_ms`` passed. Items: {group_id} for welcomes, "
        "clients.messages' entries plus group_id for messages. A closed stream answers what reached it after closing.",
        {"client": str, "stream": str, "count": int, "timeout_ms": int}, {"items": list[Json]}),
    _op("clients.stream_close", _C.CLIENTS, "Close the stream: nothing is delivered to it any more.",
        {"client": str, "stream": str}, {}),
    _op("clients.push_subscriptions", _C.CLIENTS, "What the installation gives its notification server (XMTP's "
        "example notification server, SubscribeWithMetadata): each topic to watch (its welcome topic, its "
        "conversations' topics) with the HMAC keys (hex, with their 30-day periods) of its own messages there.",
        {"client": str}, {"installation_id": Hex, "subscriptions": list[Json]}),
]

OPERATIONS: dict[str, Operation] = {op.name: op for op in [*_OPERATIONS, *_STREAM_AND_PUSH_OPERATIONS]}
"""Every operation the harness may call on an adapter, by method name."""

HARNESS_OPERATIONS: dict[str, Operation] = {op.name: op for op in [
    _op("ds.call", None, "An adapter's call to the harness's delivery service: the XMTP API method "
        "(MlsApi/IdentityApi, e.g. 'SendGroupMessages') with its request protobuf; the response protobuf "
        "(empty for publishes).", {"method": str, "request": Hex}, {"response": Hex}),
    _op("ds.now", None, "The delivery service's clock, in nanoseconds as a decimal string (beyond 2^53, so "
        "not a JSON number: clients stamp and expire with it).", {}, {"now_ns": str}),
    _op("ds.upload", None, "Upload a history-sync archive to the history server (facts §9 POST /upload).",
        {"archive": Hex}, {"upload_id": str}),
    _op("ds.download", None, "Download a history-sync archive (facts §9 GET /files/{id}).",
        {"upload_id": str}, {"archive": Hex}),
    _op("ds.subscribe", None, "Open a Subscribe stream of the XMTP API ('SubscribeGroupMessages' or "
        "'SubscribeWelcomeMessages') with its request protobuf; returns its id for ds.poll.",
        {"method": str, "request": Hex}, {"subscription": str}),
    _op("ds.poll", None, "The envelopes (GroupMessage or WelcomeMessage protobufs) the stream delivered since the "
        "last poll; a dropped stream answers a network error (stream_broken) once its last envelopes are taken.",
        {"subscription": str}, {"envelopes": list[Hex]}),
    _op("ds.unsubscribe", None, "Close a Subscribe stream.", {"subscription": str}, {}),
]}
"""Every operation an adapter may call back on the harness."""


POLICIES_SHOWN = "policies_shown"
"""The key of a ``clients.group_state`` answer naming the policies an implementation can show (docs/adapters.md
"Group state"): top-level keys of ``policies`` and ``update_metadata_policy.<key>`` for a metadata key (its
absence from ``policies`` then means the group has no policy for it). Without it, ``policies`` is the whole set."""


def policy_paths(policies: dict[str, Any]) -> dict[str, Any]:
    """docs/adapters.md "Group state": a ``policies_json`` by path (``add_member_policy``,
    ``update_metadata_policy.<key>``)."""
    paths = {k: v for k, v in policies.items() if k != "update_metadata_policy"}
    paths.update({f"update_metadata_policy.{k}": v for k, v in policies.get("update_metadata_policy", {}).items()})
    return paths


POLICIES_ALWAYS_SHOWN = ("add_member_policy", "remove_member_policy", "add_admin_policy", "remove_admin_policy")
"""XIP-47's membership and admin policies: a view that hides one of them shows too little of the set to be judged
(docs/adapters.md "Group state"), so an adapter cannot pass a policy check by showing nothing."""


def policies_shown(policies: dict[str, Any], shown: list[str]) -> dict[str, Any]:
    """docs/adapters.md "Group state": what an adapter naming ``shown`` (its ``policies_shown``) shows of
    ``policies``; ``AdapterError`` (unsupported: the check is skipped, never passed) when ``shown`` lacks one of
    ``POLICIES_ALWAYS_SHOWN``."""
    if hidden := [p for p in POLICIES_ALWAYS_SHOWN if p not in shown]:
        raise AdapterError(ErrorKind.UNSUPPORTED, "policy_not_shown", f"the adapter's group_state does not show "
                           f"{', '.join(hidden)} ({POLICIES_SHOWN}): its policies cannot be judged")
    kept = {k: v for k, v in policies.items() if k in shown and k != "update_metadata_policy"}
    metadata = policies.get("update_metadata_policy", {})
    kept["update_metadata_policy"] = {k: v for k, v in metadata.items() if f"update_metadata_policy.{k}" in shown}
    return kept


def check_params(operations: dict[str, Operation], method: str, params: dict[str, Any]) -> dict[str, Any]:
    """``params`` validated for ``method`` (defaults filled in); ``AdapterError`` for an unknown method or
    invalid parameters."""
    operation = operations.get(method)
    if operation is None:
        raise AdapterError(ErrorKind.UNSUPPORTED, "unknown_method", method)
    try:
        return operation.params.model_validate(params).model_dump()
    except ValueError as e:
        raise AdapterError(ErrorKind.INTERNAL, "invalid_params", f"{method}: {e}") from None


def check_result(operations: dict[str, Operation], method: str, result: Any) -> dict[str, Any]:
    """``result`` validated for ``method``; ``AdapterError`` naming what is wrong."""
    try:
        return operations[method].result.model_validate(result).model_dump()
    except ValueError as e:
        raise AdapterError(ErrorKind.INTERNAL, "invalid_result", f"{method}: {e}") from None


class Link(Protocol):
    """The harness, as an adapter reaches it: ``call`` one of ``HARNESS_OPERATIONS``."""

    def call(self, method: str, params: dict[str, Any]) -> dict[str, Any]: ...


class Adapter(Protocol):
    """An implementation under test, in process; the same operations as the JSON-lines form."""

    def hello(self, link: Link) -> Hello: ...

    def call(self, method: str, params: dict[str, Any]) -> dict[str, Any]: ...

    def close(self) -> None: ...


def schema() -> dict[str, Any]:
    """The JSON Schema of every operation's params and result, and of the JSON-RPC error data."""
    defs: dict[str, Any] = {}
    methods = {}
    for side, operations in (("adapter", OPERATIONS), ("harness", HARNESS_OPERATIONS)):
        for op in operations.values():
            methods[op.name] = {"answered_by": side, "capability": op.capability.value if op.capability else None,
                                "description": op.doc,
                                "params": {"$ref": f"#/$defs/{op.params.__name__}"},
                                "result": {"$ref": f"#/$defs/{op.result.__name__}"}}
            for model in (op.params, op.result):
                found = model.model_json_schema(ref_template="#/$defs/{model}")
                defs.update(found.pop("$defs", {}))
                defs[model.__name__] = found
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "xmtp-conformance adapter protocol",
        "description": __doc__.strip().splitlines()[0],
        "version": PROTOCOL_VERSION,
        "methods": methods,
        "$defs": {**defs, "ErrorData": {"type": "object", "required": ["kind"], "properties": {
            "kind": {"enum": [k.value for k in ErrorKind]}, "reason": {"type": "string"},
            "class": {"enum": [c.value for c in RefusalClass]}}}},
    }
