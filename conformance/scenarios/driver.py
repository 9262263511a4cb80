"""Scenario steps, driven through any adapter's ``clients`` capability, with what each observes.

A scenario is a list of steps by named clients over one delivery service (the harness's). A step is
``{"client": name, "action": ..., "arguments": {...}}``; names stand for everything that differs
from one implementation to another, so that the same steps mean the same thing everywhere:

* a **client** is ``user`` or ``user#n`` (the user's n-th installation); a user's wallet key is
  derived from its name (``wallet_key``), so inbox ids and addresses are the same in every run;
* a **group** is named by the scenario (``g1``); the driver remembers its group id;
* observations speak of users, not inbox ids or addresses, and leave out what an implementation
  picks freely (ids, installation keys, timestamps).

The client ``network`` acts on the harness's delivery service (faults and the clock); see
``NETWORK_ACTIONS``. Every step's outcome is ``{"result": "valid"|"invalid", "reason", "class", "observed"}``
(a refusal's reason code and class, docs/reason-codes.md);
``observe`` steps (and every step naming a group, when ``observe_all`` is set) observe the group as
that client sees it: ``{"state": ..., "messages": [...]}`` (or ``{"refused": class}``); a ``consent`` step observes the record's
state: ``{"consent": "allowed"|"denied"|"unknown"}``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import urllib.request
from typing import Any

from spec_model.mls.reasons import RefusalClass
from spec_model.xmtp import api
from spec_model.xmtp.context import ClientReason
from spec_model.xmtp.key_package import KEY_PACKAGE_ROTATION_INTERVAL_NS
from spec_model.xmtp.network import NetworkReason
from spec_model.xmtp.wallet import SECP256K1_N

from ..adapter import AdapterError, ErrorKind, Session
from .notifications import SERVICE_PATH, NotificationServer

__all__ = ["Driver", "ScenarioError", "message_fields", "wallet_key", "user_of", "CLIENT_ACTIONS", "NETWORK_ACTIONS", "STEP_SECONDS",
           "ROTATION_WAIT_S"]

STEP_SECONDS = 1
"""The harness's clock moves this far before every step, so that each step has its own time."""

ROTATION_WAIT_S = 15.0
"""How long (wall time) ``key_package_rotated`` waits for the new key package of a client that has joined a
group from a Welcome since it was last looked at. An implementation may rotate from a background worker:
libxmtp queues the rotation ``KEY_PACKAGE_QUEUE_INTERVAL_NS`` (5 s) after the Welcome and a worker uploads
it (libxmtp crates/xmtp_db/src/encrypted_store/identity.rs ``queue_key_package_rotation``@b649d1a). It waits as
long when ``KEY_PACKAGE_ROTATION_INTERVAL_NS`` of the harness's clock have passed since the key package was
first seen: the rotation is then due, and libxmtp's TaskRunner runs it when its own clock, which follows the
harness's (``interop/libxmtp/README.md``), gets there (``crates/xmtp_mls/src/worker/tasks.rs`` ``KpRotation``).
The rotation is what is observed, not the time it took; with neither, there is nothing to wait for."""

_GROUP_METHODS = {
    "sync": (), "leave": (), "update_installations": (),
    "update_name": ("name",), "update_description": ("description",), "update_image_url": ("url",),
}
_MEMBER_METHODS = ("add_admin", "remove_admin", "add_super_admin", "remove_super_admin")
_LIFETIME_ACTIONS = ("delete_message", "update_disappearing_settings", "update_pinned_frame_url",
                     "delete_local_database")
CLIENT_ACTIONS = (
    "create_client", "restart", "create_group", "create_dm", "sync_welcomes", "sync_all", "send",
    "send_optimistic", "add_members", "remove_members", "update_permission", "consent", "history_sync",
    "observe", *_GROUP_METHODS, *_MEMBER_METHODS, *_LIFETIME_ACTIONS,
    "list", "find_messages", "stream_open", "stream_poll", "stream_close", "push_register",
)
NETWORK_ACTIONS = ("fail_publishes", "refuse_connections", "cut_sync_after", "deliver_late", "duplicate_in_queries",
                   "advance_clock", "corrupt_key_package", "key_package_rotated", "drop_streams", "wall_clock",
                   "notifications", "wait")

STREAM_WAIT_MS = 10_000
"""How long (wall time) ``stream_poll`` lets an adapter wait for the items a step expects (``count``): an SDK
delivers from its own tasks; what arrived is observed, not how long it took."""


class ScenarioError(ValueError):
    """A step the scenario cannot mean: an unknown action, or a user or client it has not created."""


def user_of(client: str) -> str:
    """The user a client name belongs to: ``alice#2`` is alice's second installation."""
    return client.split("#", 1)[0]


def wallet_key(user: str) -> str:
    """A user's secp256k1 wallet key (hex), derived from the name so that every run agrees."""
    counter = 0
    while True:
        key = hashlib.sha256(f"xmtp-conformance wallet {user} {counter}".encode()).digest()
        if 0 < int.from_bytes(key, "big") < SECP256K1_N:
            return key.hex()
        counter += 1


class Driver:
    """Runs scenario steps against one session (a fresh delivery service per driver); with ``profile``, its
    clients follow that profile of the model (one the adapter declares)."""

    def __init__(self, session: Session, *, observe_all: bool = False, profile: str | None = None):
        self.session, self.profile = session, profile
        self.network = session.fresh_network()
        self.observe_all = observe_all
        self.inboxes: dict[str, str] = {}     # user -> inbox id
        self.addresses: dict[str, str] = {}   # user -> address
        self.groups: dict[str, str] = {}      # group name -> group id (hex)
        self.messages: dict[str, str] = {}    # message name (a send's "message") -> message id (hex)
        self.clients: list[str] = []
        self.installations: dict[str, bytes] = {}  # client -> installation key
        self.key_packages: dict[str, bytes] = {}   # client -> its key package on the network, as last seen
        self.key_packages_seen_ns: dict[str, int] = {}  # client -> when (harness clock) that one was first seen
        self.welcomed: set[str] = set()  # clients that may have joined from a Welcome since that look
        self.streams: dict[tuple[str, str], str] = {}  # (client, stream) -> kind
        self.notifications: NotificationServer | None = None  # started by the first push step
        self.notifications_seen = 0
        self.follow_wall_clock = False  # ``wall_clock`` with ``follow``: every step moves the clock to the wall clock

    # ------------------------------------------------------------------ running

    def run(self, steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
        try:
            return [self.step(step) for step in steps]
        finally:
            self.close()

    def step(self, step: dict[str, Any]) -> dict[str, Any]:
        """One step's outcome; a refusal is an outcome, anything else the adapter raises propagates."""
        step_ns = STEP_SECONDS * 10**9
        if self.follow_wall_clock:  # the clock stays with the wall clock, each step at least 1 ms on
            step_ns = max(10**6, time.time_ns() - self.network.clock.now_ns())
        self.network.clock.advance(step_ns)
        client, action, arguments = step["client"], step["action"], step.get("arguments", {})
        outcome: dict[str, Any] = {"result": "valid", "reason": None}
        try:
            if client == "network":
                observed = self._network_action(action, arguments)
                if observed is not None:
                    outcome["observed"] = observed
            else:
                observed = self._client_action(client, action, arguments)
                if observed is not None:
                    outcome["observed"] = observed
        except AdapterError as e:
            if e.kind not in (ErrorKind.REJECTED, ErrorKind.NETWORK):
                raise
            outcome = {"result": "invalid", "reason": e.reason, "class": e.refusal_class}
        group = arguments.get("group")
        if client != "network" and group in self.groups and (action == "observe" or self.observe_all):
            outcome["observed"] = self.observe(client, group)
        return outcome

    def _client_action(self, client: str, action: str, a: dict[str, Any]) -> dict[str, Any] | None:
        """Perform one client step; what it reads (a consent state) is its observation."""
        ask = self.session.ask
        if action == "create_client":
            user = user_of(client)
            created = ask("clients.create", client=client, wallet_key=wallet_key(user), profile=self.profile)
            self.inboxes[user], self.addresses[user] = created["inbox_id"], created["address"]
            self.clients.append(client)
            self.installations[client] = bytes.fromhex(created["installation_id"])
            self.key_packages[client] = self._key_package(client)
            self.key_packages_seen_ns[client] = self.network.clock.now_ns()
        elif action == "restart":
            ask("clients.restart", client=client)
        elif action == "create_group":
            members = self._members(a)
            created = ask("clients.new_group", client=client, permissions=a.get("permissions", "all_members"),
                          name=a.get("name", ""), description=a.get("description", ""), **members)
            self.groups[a["group"]] = created["group_id"]
        elif action == "create_dm":
            created = ask("clients.new_dm", client=client, inbox_id=self._inbox(a["with"]))
            self.groups[a["group"]] = created["group_id"]
        elif action == "sync_welcomes":
            if ask("clients.sync_welcomes", client=client)["group_ids"]:
                self.welcomed.add(client)
        elif action == "sync_all":
            self.welcomed.add(client)  # it syncs welcomes first
            ask("clients.sync_all", client=client)
        elif action == "consent":
            entity = self._group_id(a["entity"]) if a["entity_type"] == "conversation_id" else self._inbox(a["entity"])
            consent = ask("clients.consent", client=client, entity_type=a["entity_type"], entity=entity,
                          state=a.get("state"))
            return {"consent": consent["state"]}
        elif action == "history_sync":
            ask("clients.history_sync", client=client, request=a.get("request", True))
        elif action == "observe":
            if a["group"] not in self.groups:
                raise _unknown_group(a["group"])
        elif action in _LIFETIME_ACTIONS:
            self._lifetime_action(client, action, a)
        elif action in ("list", "find_messages", "stream_open", "stream_poll", "stream_close", "push_register"):
            return getattr(self, "_" + action)(client, a)
        else:
            method, arguments = self._group_call(action, a)
            value = ask("clients.group", client=client, group_id=self._group_id(a["group"]), method=method,
                        arguments=arguments)["value"]
            if "message" in a:  # a send names its message for later steps
                self.messages[a["message"]] = value

    def _lifetime_action(self, client: str, action: str, a: dict[str, Any]) -> None:
        """Disappearing settings, XIP-76 deletion (of a message a send named, or the ``message_index``-th the
        client lists), pins, and deleting the client's database (its name is free again)."""
        ask = self.session.ask
        if action == "delete_local_database":
            ask("clients.delete_local_database", client=client)
            self.clients.remove(client)
            return
        group_id = self._group_id(a["group"])
        if action == "update_disappearing_settings":
            ask("clients.update_disappearing_settings", client=client, group_id=group_id,
                from_ns=str(a["from_ns"]), in_ns=str(a["in_ns"]))
        elif action == "update_pinned_frame_url":
            ask("clients.update_pinned_frame_url", client=client, group_id=group_id, url=a["url"])
        elif "message_index" in a:
            listed = ask("clients.messages", client=client, group_id=group_id)["messages"]
            ask("clients.delete_message", client=client, group_id=group_id, message_id=listed[a["message_index"]]["id"])
        else:
            if a["message"] not in self.messages:
                raise ScenarioError(f"no send named message {a['message']!r}")
            ask("clients.delete_message", client=client, group_id=group_id, message_id=self.messages[a["message"]])

    # ------------------------------------------------------------------ listing, streams, push (issue 18)

    def _list(self, client: str, a: dict[str, Any]) -> dict[str, Any]:
        """seed Conversations ``list``: ``created_after`` / ``created_before`` name a group, whose creation time
        as this client stored it is the bound (implementations stamp it with their own clocks); the names
        observed are sorted, since the seed gives no order (a ``limit`` keeps the implementation's first)."""
        filters = {k: a[k] for k in ("limit", "consent_states") if k in a}
        for bound in ("created_after", "created_before"):
            if bound in a:
                state = self.session.ask("clients.group_state", client=client, group_id=self._group_id(a[bound]))
                filters[f"{bound}_ns"] = state["state"]["created_at_ns"]
        listed = self.session.ask("clients.list", client=client, filters=filters)["group_ids"]
        return {"listed": sorted(self._group_name(group_id) for group_id in listed)}  # the seed gives no order

    def _find_messages(self, client: str, a: dict[str, Any]) -> dict[str, Any]:
        """seed Group ``find_messages``: ``sent_after`` / ``sent_before`` name a message by its text, whose sent
        time as this client stored it is the bound."""
        group_id = self._group_id(a["group"])
        filters = {k: a[k] for k in ("limit", "direction", "delivery_status", "kind") if k in a}
        for bound in ("sent_after", "sent_before"):
            if bound in a:
                stored = self.session.ask("clients.messages", client=client, group_id=group_id)["messages"]
                matching = [m["sent_at_ns"] for m in stored if m.get("text") == a[bound]]
                if not matching:
                    raise ScenarioError(f"{client} has no message {a[bound]!r} to bound find_messages by")
                filters[f"{bound}_ns"] = matching[0]
        found = self.session.ask("clients.messages", client=client, group_id=group_id, filters=filters)["messages"]
        return {"found": [self._named(message_fields(m)) for m in found]}

    def _stream_open(self, client: str, a: dict[str, Any]) -> None:
        group_id = self._group_id(a["group"]) if a["kind"] == "group" else None
        self.session.ask("clients.stream_open", client=client, stream=a["stream"], kind=a["kind"], group_id=group_id)
        self.streams[client, a["stream"]] = a["kind"]

    def _stream_poll(self, client: str, a: dict[str, Any]) -> dict[str, Any]:
        """What arrived, in names: the new groups (sorted) of a welcome stream; a message stream's messages by
        group, in order within each (the order across groups is the implementation's). With ``kind``, only
        messages of that kind are observed (and waited for: polls go on while ``count`` of them have not
        arrived and the last poll brought something)."""
        wanted, items, deadline = a["count"], [], time.monotonic() + a.get("timeout_ms", STREAM_WAIT_MS) / 1000

        def matching() -> list[dict[str, Any]]:
            return [i for i in items if "kind" not in a or i.get("kind") == a["kind"]]
        while True:
            left = max(1, wanted - len(matching()))
            polled = self.session.ask("clients.stream_poll", client=client, stream=a["stream"], count=left,
                                      timeout_ms=max(0, int((deadline - time.monotonic()) * 1000)))["items"]
            items += polled
            if not polled or len(matching()) >= wanted or time.monotonic() >= deadline:
                break
        if self.streams.get((client, a["stream"])) == "welcomes":
            return {"streamed": sorted(self._group_name(item["group_id"]) for item in items)}
        by_group: dict[str, list[Any]] = {}
        for item in matching():
            message = {k: v for k, v in item.items() if k != "group_id"}
            by_group.setdefault(self._group_name(item["group_id"]), []).append(self._named(message_fields(message)))
        return {"streamed": by_group}

    def _stream_close(self, client: str, a: dict[str, Any]) -> None:
        self.session.ask("clients.stream_close", client=client, stream=a["stream"])

    def _push_register(self, client: str, a: dict[str, Any]) -> None:
        """The app registers the installation with the notification server and subscribes it to what the
        client says it should watch (``clients.push_subscriptions``), over the server's HTTP API."""
        wanted = self.session.ask("clients.push_subscriptions", client=client)
        server = self._notification_server()
        installation = wanted["installation_id"]
        _post(server.url, "RegisterInstallation", {"installationId": installation,
                                                   "deliveryMechanism": {"firebaseDeviceToken": f"token-{client}"}})
        _post(server.url, "SubscribeWithMetadata", {"installationId": installation, "subscriptions": [
            {"topic": s["topic"], "isSilent": False, "hmacKeys": [
                {"thirtyDayPeriodsSinceEpoch": k["epoch"], "key": base64.b64encode(bytes.fromhex(k["key"])).decode()}
                for k in s.get("hmac_keys", [])]} for s in wanted["subscriptions"]]})

    def _notification_server(self) -> NotificationServer:
        if self.notifications is None:
            self.notifications = NotificationServer(self.network)
        return self.notifications

    def _notified(self) -> dict[str, Any]:
        """The notifications sent since the last look, in names: who (a client) for which topic (a group, or
        ``welcome``), sorted."""
        server = self._notification_server()
        sent, self.notifications_seen = server.sent[self.notifications_seen:], len(server.sent)
        clients = {f"token-{client}": client for client in self.clients}
        named = []
        for message in sent:
            topic = message.topic
            what = "welcome" if topic.startswith("/xmtp/mls/1/w-") else \
                self._group_name(topic.removeprefix("/xmtp/mls/1/g-").removesuffix("/proto"))
            named.append(f"{clients.get(message.token, message.token)}: {what}")
        return {"notified": sorted(named)}

    def _group_name(self, group_id: str) -> str:
        names = {gid: name for name, gid in self.groups.items()}
        return names.get(group_id, "unnamed group")

    def close(self) -> None:
        """Stop the notification server, if a step started one."""
        if self.notifications is not None:
            self.notifications.stop()
            self.notifications = None

    def _group_call(self, action: str, a: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        if action in ("send", "send_optimistic"):
            return action, {"text": a["text"]}
        if action in ("add_members", "remove_members"):
            members = self._members(a)
            return (action, {"addresses": members["addresses"]}) if a.get("by", "address") == "address" \
                else (f"{action}_by_inbox_id", {"inbox_ids": members["inbox_ids"]})
        if action in _MEMBER_METHODS:
            return action, {"inbox_id": self._inbox(a["member"])}
        if action == "update_permission":
            return action, {k: a[k] for k in ("permission", "policy", "metadata_key") if k in a}
        if action in _GROUP_METHODS:
            return action, {name: a[name] for name in _GROUP_METHODS[action]}
        raise ScenarioError(f"unknown scenario action {action!r} (known: {', '.join(CLIENT_ACTIONS)})")

    def _members(self, a: dict[str, Any]) -> dict[str, list[str]]:
        users = a.get("members", [])
        if a.get("by", "address") == "address":
            return {"addresses": [self._known(self.addresses, u) for u in users], "inbox_ids": []}
        return {"addresses": [], "inbox_ids": [self._inbox(u) for u in users]}

    def _inbox(self, user: str) -> str:
        return self._known(self.inboxes, user)

    @staticmethod
    def _known(table: dict[str, str], user: str) -> str:
        if user not in table:
            raise ScenarioError(f"no client of user {user!r} was created")
        return table[user]

    def _group_id(self, group: str) -> str:
        if group not in self.groups:
            raise _unknown_group(group)
        return self.groups[group]

    def _key_package(self, client: str) -> bytes:
        request = api.FetchKeyPackagesRequest((self.installations[client],))
        return self.network.fetch_key_packages(request).key_packages[0].key_package_tls_serialized

    def _known_client(self, client: str) -> bytes:
        """The installation key of a client the scenario has created."""
        if client not in self.installations:
            raise ScenarioError(f"no client {client!r} was created")
        return self.installations[client]

    def _network_action(self, action: str, a: dict[str, Any]) -> dict[str, Any] | None:
        """Faults and time (only the harness's delivery service changes, spec_model.xmtp.network), and what
        the network holds: ``key_package_rotated`` observes whether a client's key package changed since
        it was last looked at (seed: "XMTP will rotate the key package when a new welcome message is received"),
        waiting up to ``ROTATION_WAIT_S`` for it after a Welcome."""
        if action == "key_package_rotated":
            client = a["client"]
            self._known_client(client)
            before = self.key_packages[client]
            due = self.network.clock.now_ns() - self.key_packages_seen_ns[client] >= KEY_PACKAGE_ROTATION_INTERVAL_NS
            deadline = time.monotonic() + (ROTATION_WAIT_S if client in self.welcomed or due else 0)
            while (now := self._key_package(client)) == before and time.monotonic() < deadline:
                time.sleep(0.05)
            self.key_packages[client], self.welcomed = now, self.welcomed - {client}
            if now != before:
                self.key_packages_seen_ns[client] = self.network.clock.now_ns()
            return {"key_package_rotated": now != before}
        if action == "notifications":
            return self._notified()
        now = self.network.clock.now_ns()
        if action == "wall_clock":  # libxmtp takes the HMAC key's 30-day period from the system clock
            self.network.clock.advance(max(0, time.time_ns() - now))
            self.follow_wall_clock = a.get("follow", False)
        elif action == "drop_streams":
            self.network.drop_streams()
        elif action == "fail_publishes":
            self.network.fail_publishes(a.get("count", 1), NetworkReason(a.get("reason", NetworkReason.UNAVAILABLE)))
        elif action == "refuse_connections":
            self.network.refuse_connections(now + a["seconds"] * 10**9)
        elif action == "cut_sync_after":
            self.network.cut_sync_after(a.get("pages", 1), now + a["seconds"] * 10**9)
        elif action == "corrupt_key_package":
            self.network.corrupt_key_package(self._known_client(a["client"]))
        elif action == "deliver_late":
            self.network.deliver_late(None if a.get("seconds") is None else now + a["seconds"] * 10**9)
        elif action == "duplicate_in_queries":
            self.network.duplicate_in_queries(a.get("count", 1))
        elif action == "advance_clock":
            self.network.clock.advance(a["seconds"] * 10**9)
        elif action == "wait":  # time passes for every clock: the harness's, and the wall clock an SDK may keep
            self.network.clock.advance(a["seconds"] * 10**9)
            if self.session.details("clients").get("clock") != "ds.now":
                time.sleep(a["seconds"])
        else:
            raise ScenarioError(f"unknown network action {action!r} (known: {', '.join(NETWORK_ACTIONS)})")
        return None

    # ------------------------------------------------------------------ observing

    def observe(self, client: str, group: str) -> dict[str, Any]:
        """The group as ``client`` sees it, in names: state and messages (or the refusal to show them)."""
        try:
            state = self.session.ask("clients.group_state", client=client, group_id=self.groups[group])["state"]
            messages = self.session.ask("clients.messages", client=client, group_id=self.groups[group])["messages"]
        except AdapterError as e:
            if e.kind is not ErrorKind.REJECTED:
                raise
            return {"refused": e.refusal_class}
        state = self._named({k: v for k, v in state.items() if k != "created_at_ns"})  # its own clock's time
        state["members"] = sorted(state["members"], key=lambda m: m["inbox_id"])
        return {"state": state, "messages": [self._named(message_fields(m)) for m in messages]}

    def _named(self, value: Any) -> Any:
        """Inbox ids and addresses replaced by user names, everywhere in ``value``."""
        names = {inbox: user for user, inbox in self.inboxes.items()}
        names.update({address: user for user, address in self.addresses.items()})

        def named(value: Any) -> Any:
            if isinstance(value, dict):
                return {k: named(v) for k, v in value.items()}
            if isinstance(value, list):  # lists of strings are sets of inboxes or addresses: sorted by name
                items = [named(v) for v in value]
                return sorted(items) if all(isinstance(v, str) for v in items) else items
            return names.get(value, value) if isinstance(value, str) else value
        return named(value)


def _unknown_group(group: str) -> AdapterError:
    """A step naming a group the scenario never created: refused as the model refuses one it does not have."""
    return AdapterError(ErrorKind.REJECTED, ClientReason.UNKNOWN_GROUP.value, group, refusal_class=RefusalClass.NOT_FOUND)


def message_fields(message: dict[str, Any]) -> dict[str, Any]:
    """What every implementation must agree on: not ids, not timestamps (of an expiry, only that there is one)."""
    fields = {k: v for k, v in message.items() if k not in ("id", "sent_at_ns", "expires_at_ns")}
    if "expires_at_ns" in message:
        fields["expires"] = True
    return fields


def _post(url: str, method: str, body: dict[str, Any]) -> dict[str, Any]:
    """One call of the notification server's HTTP API (JSON in, JSON out)."""
    request = urllib.request.Request(url + SERVICE_PATH + method, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())
