"""Mixed groups: model clients and real libxmtp clients (interop/libxmtp) in the same groups, on one
delivery service.

Two model clients (``m1``, ``m2``: ``spec_model.xmtp.client.Client`` in the libxmtp profile, in this
process) and two libxmtp clients (``x1``, ``x2``: ``clients.*`` through the libxmtp adapter, each pinned
version in turn) share
``session.network``. The model clients call it directly and libxmtp reaches it through
``interop/xmtp_api_server.py``. Each test checks these things:
- each side accepts the other's key packages, identity updates, Welcomes (X-Wing both ways, and XIP-74
  welcome pointers when more than two added installations offer them), commits and application messages;
- admin and permission changes are accepted or refused on each side as the model predicts
  (``spec_model.xmtp.permissions`` on the model's view of the group);
- delivery status under injected publish failures.

Where libxmtp does something the model does not, the test asserts what libxmtp does and names the
difference: its id in the version's interop/libxmtp/versions/<version>/KNOWN_DIFFERENCES.md, or one of
these, which that file does not list:
- **N1** (unsupported, like U3): a group libxmtp creates has the attribute ``_commit_log_signer``. The
  model shows it, and keeps it through its own commits. The adapter's ``group_state`` cannot show it.
- **N2** (D18, modelled: profile ``inactive_sync_refused``): once removed, a client's ``sync`` of the group
  is refused ("Group is inactive"), a libxmtp client's and a model client's alike.
- **N3** (libxmtp behaviour, extends D6): a message whose publish failed all of libxmtp's retries stays
  ``unpublished`` for good. No later sync, ``sync_all``, send or epoch change sends it again: its intent
  was marked published before the failed send. The model sends the same bytes again on the next sync,
  up to 3 attempts, then marks the message ``failed``.
- **N4** (found here, fixed in the model): libxmtp's ``queue_with_conn`` (intents/queue.rs) sets
  ``rotated_at_ns`` whenever it queues an intent that is not a message, so a joiner whose first action
  is a commit sends its first message with no key update; the model now does the same
  (``test_first_message_after_an_own_commit``).

Two things these tests must do, and why:
- **The harness clock is set to the wall clock.** libxmtp checks key-package lifetimes against its wall
  clock. The harness clock starts at 2025-06-15, so a model key package would have expired by then (84
  days) and libxmtp refuses to add that installation ("Failed to verify all installations"). The model, in
  turn, finds libxmtp's key packages not yet valid, and it records those installations as failed.
- **The model's calls hold the API server's lock.** libxmtp's background workers call the server from
  its threads at any time (D9: the key-package upload 5 s after a Welcome). The delivery-service model is
  single-threaded.

Needs node and ``npm ci --prefix interop/libxmtp/versions/<version>`` for each pinned version. Without them
these tests fail; they do not skip.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from conformance.adapter import AdapterError, ErrorKind, connect
from interop.adapters import LIBXMTP_VERSIONS
from conformance.adapter.protocol import POLICIES_SHOWN, policies_shown
from conformance.adapter.reference import group_state, stored_messages
from conformance.scenarios.driver import wallet_key
from spec_model.mls.key_package import KeyPackage
from spec_model.mls.reasons import RefusalClass, Rejected
from spec_model.xmtp import api
from spec_model.xmtp.client import Client, ClientConfig, ClientReason, Conversation
from spec_model.xmtp.delivery import GroupMessageKind
from spec_model.xmtp.extensions import ConversationType
from spec_model.xmtp.history_archive import Importer, decode_device_sync, import_archive
from spec_model.xmtp.permissions import Actor, Permission, Preset, check, check_remove_member
from spec_model.xmtp.profiles import LIBXMTP
from spec_model.xmtp.wallet import Wallet
from spec_model.xmtp.welcome_wrap import WelcomeWrapperAlgorithm, welcome_recipient

VERSIONS = Path(__file__).resolve().parents[2] / "interop" / "libxmtp" / "versions"
MODEL, LIBXMTP_CLIENTS = ("m1", "m2"), ("x1", "x2")
ARGUMENT = {"send": "text", "update_name": "name", "add_admin": "inbox_id", "add_super_admin": "inbox_id",
            "add_members_by_inbox_id": "inbox_ids", "remove_members_by_inbox_id": "inbox_ids"}
"""The ``clients.group`` argument of each method used here (model methods take it positionally)."""
COMMIT_LOG_SIGNER = "_commit_log_signer"
XWING = WelcomeWrapperAlgorithm.XWING_MLKEM_768_DRAFT_6
"""A group created by libxmtp (1.9.1 and the newest pinned version) carries this attribute. The model shows every attribute it reads; the
adapter's ``group_state`` shows only the four the bindings have getters for."""


@pytest.fixture(scope="module", params=list(LIBXMTP_VERSIONS))
def session(request):
    folder = VERSIONS / LIBXMTP_VERSIONS[request.param]
    if shutil.which("node") is None:
        pytest.fail("node is not on PATH: the libxmtp adapter runs under node (see interop/libxmtp/README.md)")
    if not (folder / "node_modules" / "@xmtp" / "node-bindings" / "package.json").is_file():
        pytest.fail(f"the libxmtp adapter's packages are not installed: run `npm ci --prefix {folder}`")
    session = connect(request.param)
    yield session
    session.close()


@pytest.fixture
def mixed(session, tmp_path):
    mixed = Mixed(session, tmp_path)
    yield mixed
    for client in mixed.models.values():
        client.close()


class _Serialised:
    """The delivery service, each call under the API server's lock (libxmtp's workers call it meanwhile)."""

    def __init__(self, network, lock):
        self._network, self.lock = network, lock

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._network, name)
        if not callable(value):
            return value

        def call(*args, **kwargs):
            with self.lock:
                return value(*args, **kwargs)
        return call


class Mixed:
    """m1, m2 (model) and x1, x2 (libxmtp) on a fresh delivery service, and one group at a time."""

    def __init__(self, session, directory: Path):
        self.session = session
        self.network = session.fresh_network()  # also resets the libxmtp adapter
        self.server = session.adapter.server
        self.tick()
        self.shared = _Serialised(self.network, self.server.lock)
        self.models: dict[str, Client] = {}
        self.inbox: dict[str, str] = {}
        self.installation: dict[str, bytes] = {}
        for name in MODEL:
            client = Client.create(Wallet.from_key(bytes.fromhex(wallet_key(name))), str(directory / f"{name}.db3"),
                                   os.urandom(32), self.shared, config=ClientConfig(profile=LIBXMTP))
            self.models[name] = client
            self.inbox[name], self.installation[name] = client.inbox_id, client.installation_id
        for name in LIBXMTP_CLIENTS:
            created = session.ask("clients.create", client=name, wallet_key=wallet_key(name))
            self.inbox[name], self.installation[name] = created["inbox_id"], bytes.fromhex(created["installation_id"])
        self.names = {inbox: name for name, inbox in self.inbox.items()}
        self.group_id = ""
        self.conversations: dict[str, Conversation] = {}
        self.members: list[str] = []  # the clients in the group, in the order they joined

    # ------------------------------------------------------------------ time and the group

    def tick(self) -> int:
        """The harness clock moves to the wall clock (at least 1 ms on), so that every step has its own time."""
        clock = self.network.clock
        clock.advance(max(10**6, time.time_ns() - clock.now_ns()))
        return clock.now_ns()

    def create(self, creator: str, members: list[str], *, permissions: str = "all_members", name: str = "") -> None:
        self.tick()
        inbox_ids = [self.inbox[m] for m in members]
        if creator in MODEL:
            conversation = self.models[creator].conversations.create_group(
                inbox_ids=inbox_ids, permissions=Preset(permissions), name=name)
            self.group_id, self.conversations[creator] = conversation.group_id.hex(), conversation
        else:
            self.group_id = self.session.ask("clients.new_group", client=creator, inbox_ids=inbox_ids,
                                             permissions=permissions, name=name)["group_id"]
        self.members = [creator]

    def join(self, *names: str) -> None:
        """Each client syncs its welcomes and must find the group there."""
        for name in names:
            self.tick()
            if name in MODEL:
                joined = [c for c in self.models[name].conversations.sync() if c.group_id.hex() == self.group_id]
                assert joined, f"{name} did not join the group from its Welcome"
                self.conversations[name] = joined[0]
            else:
                joined = self.session.ask("clients.sync_welcomes", client=name)["group_ids"]
                assert self.group_id in joined, f"{name} did not join the group from its Welcome: {joined}"
            self.members.append(name)

    def act(self, name: str, method: str, argument: Any = None) -> Rejected | AdapterError | None:
        """A group method by one client: None if it was done, else its refusal (typed for a model client, the
        adapter's error for a libxmtp one)."""
        self.tick()
        try:
            if name in MODEL:
                getattr(self.conversations[name], method)(*([] if argument is None else [argument]))
            else:
                self.session.ask("clients.group", client=name, group_id=self.group_id, method=method,
                                 arguments={} if argument is None else {ARGUMENT[method]: argument})
        except Rejected as e:
            return e
        except AdapterError as e:
            if e.kind is not ErrorKind.REJECTED:
                raise
            return e
        return None

    def sync(self, *names: str) -> None:
        for name in names or self.members:
            outcome = self.act(name, "sync")
            assert outcome is None, f"{name}'s sync was refused: {outcome}"

    # ------------------------------------------------------------------ what a client sees

    def state(self, name: str) -> dict[str, Any]:
        """The group as ``name`` sees it (reference.py's shape), attributes libxmtp's adapter cannot show
        left out (``COMMIT_LOG_SIGNER``), and ``created_at_ns``: each installation stamps it by its own clock."""
        if name in MODEL:
            state = group_state(self.conversations[name])
            state["attributes"] = {k: v for k, v in state["attributes"].items() if k != COMMIT_LOG_SIGNER}
        else:
            state = self.session.ask("clients.group_state", client=name, group_id=self.group_id)["state"]
        return {k: v for k, v in state.items() if k != "created_at_ns"}

    def raw_messages(self, name: str) -> list[dict[str, Any]]:
        if name in MODEL:
            return stored_messages(self.conversations[name], {})
        return self.session.ask("clients.messages", client=name, group_id=self.group_id)["messages"]

    def log(self, name: str, after_ns: int = 0) -> list[tuple]:
        """``name``'s messages sent after ``after_ns``, in order, in client names: (sender, text or change)."""
        out = []
        for m in self.raw_messages(name):
            if int(m["sent_at_ns"]) <= after_ns:
                continue
            if "text" in m:
                out.append((self.names.get(m["sender_inbox_id"]), m["text"], m["delivery_status"]))
            elif "update" in m:
                out.append((self.names.get(m["sender_inbox_id"]), self.named(m["update"])))
        return out

    def texts(self, name: str, status: str | None = None) -> set[str]:
        return {m["text"] for m in self.raw_messages(name) if "text" in m and status in (None, m["delivery_status"])}

    def named(self, value: Any) -> Any:
        if isinstance(value, dict):
            return tuple(sorted((k, self.named(v)) for k, v in value.items() if v))
        if isinstance(value, list):
            return tuple(sorted(self.named(v) for v in value)) if all(isinstance(v, str) for v in value) \
                else tuple(self.named(v) for v in value)
        return self.names.get(value, value)

    def assert_converged(self, names: list[str] | None = None, after_ns: int | None = None) -> dict[str, Any]:
        """Every client in ``names`` sees the same group (epoch, members, metadata, admins, policies) and, with
        ``after_ns``, the same messages and transcripts after it."""
        names = names or self.members
        states = _as_shown({n: self.state(n) for n in names})
        first = names[0]
        for n in names[1:]:
            assert states[n] == states[first], f"{n} and {first} see different groups"
        if after_ns is not None:
            logs = {n: self.log(n, after_ns) for n in names}
            for n in names[1:]:
                assert logs[n] == logs[first], f"{n} and {first} read different messages:\n{logs[n]}\n{logs[first]}"
        return states[first]

    def epochs(self, names: list[str] | None = None) -> dict[str, int]:
        return {n: self.state(n)["epoch"] for n in names or self.members}

    def predict(self, viewer: str, actor: str, permission: Permission, *, metadata_key: str | None = None,
                target: str | None = None) -> str | None:
        """The model's verdict, from ``viewer``'s view of the group, on ``actor`` making a change: None if
        allowed, else the rule's reason (``spec_model.xmtp.permissions``, libxmtp profile)."""
        conversation = self.conversations[viewer]
        metadata = conversation.group_metadata()
        members = {m.inbox_id for m in conversation.list_members()}

        def as_actor(name: str) -> Actor:
            inbox = self.inbox[name]
            return Actor(inbox, is_creator=inbox == metadata["creator_inbox_id"], is_admin=inbox in metadata["admins"],
                         is_super_admin=inbox in metadata["super_admins"], is_member=inbox in members)

        who, policies = as_actor(actor), metadata["policies"]
        try:
            if permission is Permission.REMOVE_MEMBER:
                removed = as_actor(target)
                left = len(set(metadata["super_admins"]) - {removed.inbox_id})
                check_remove_member(policies, who, removed, super_admins_left=left, profile=LIBXMTP)
            else:
                check(policies, permission, who, metadata_key=metadata_key, profile=LIBXMTP)
        except Rejected as e:
            return str(e.reason)
        return None

    def welcome_algorithm(self, name: str) -> tuple[str, int]:
        """The variant (v1, welcome_pointer) and wrapper algorithm of the newest Welcome on ``name``'s topic."""
        with self.shared.lock:
            newest = self.network.query_welcome_messages(api.QueryWelcomeMessagesRequest(
                self.installation[name], api.PagingInfo(api.SortDirection.ASCENDING, 100, 0))).messages[-1]
        return ("v1", newest.v1.wrapper_algorithm) if newest.v1 else ("welcome_pointer", newest.welcome_pointer.wrapper_algorithm)

    def key_package(self, name: str) -> KeyPackage:
        with self.shared.lock:
            found = self.network.fetch_key_packages(api.FetchKeyPackagesRequest((self.installation[name],)))
        return KeyPackage.decode(found.key_packages[0].key_package_tls_serialized)


# ---------------------------------------------------------------------- 1. a model client creates the group


def test_model_creates_group_with_libxmtp_members(mixed):
    mixed.create("m1", ["m2", "x1", "x2"], name="mixed")
    mixed.join("m2", "x1", "x2")
    # three added installations offer pointers (0xFF04), more than libxmtp's threshold of two: each gets a pointer
    # to the one sealed Welcome, wrapped for its 0xFF03 key with X-Wing (XIP-74, facts §7.3), and joins from it
    for name in (*LIBXMTP_CLIENTS, "m2"):
        assert welcome_recipient(mixed.key_package(name))[1] == XWING
        assert mixed.welcome_algorithm(name) == ("welcome_pointer", XWING)

    state = mixed.assert_converged()
    assert state["epoch"] == 1
    assert {m["inbox_id"] for m in state["members"]} == {mixed.inbox[n] for n in ("m1", "m2", "x1", "x2")}
    assert all(m["installations"] == 1 for m in state["members"])
    assert state["attributes"]["group_name"] == "mixed"
    assert state["super_admins"] == [mixed.inbox["m1"]] and state["creator_inbox_id"] == mixed.inbox["m1"]
    # D3 (modelled, profile welcome_transcript): every joiner stores "added you" when it joins from the Welcome
    for name in ("m2", "x1", "x2"):
        assert mixed.log(name) == [("m1", (("added_inboxes", (name,)), ("initiated_by", "m1")))], name
    assert mixed.log("m1") == [("m1", (("added_inboxes", ("m2", "x1", "x2")), ("initiated_by", "m1")))]

    start = mixed.tick()
    for name in ("m1", "x1", "m2", "x2"):
        mixed.sync(name)
        before = mixed.epochs([name])[name]
        assert mixed.act(name, "send", f"hello from {name}") is None, name
        # D4 (modelled, profile key_update_before_first_send): a joiner's first message follows a key update
        assert mixed.epochs([name])[name] == before + (name != "m1"), f"D4: {name}"
    mixed.sync()
    state = mixed.assert_converged(after_ns=start)
    assert state["epoch"] == 4, "D4: one key update for each joiner's first message"
    log = mixed.log("x2", start)
    assert log == [(n, f"hello from {n}", "published") for n in ("m1", "x1", "m2", "x2")], log


# ---------------------------------------------------------------------- 2. a libxmtp client creates the group


def test_libxmtp_creates_group_and_adds_model_clients(mixed):
    mixed.create("x1", ["x2"], name="from libxmtp")
    mixed.join("x2")
    assert mixed.act("x1", "add_members_by_inbox_id", [mixed.inbox["m1"], mixed.inbox["m2"]]) is None
    mixed.join("m1", "m2")
    for name in MODEL:  # two installations, not more than the threshold: the Welcome, wrapped for 0xFF03's key
        assert mixed.welcome_algorithm(name) == ("v1", XWING)
    mixed.sync()
    for name in ("m1", "m2"):  # D3 (modelled): the model read libxmtp's Welcome, adder included
        assert mixed.log(name) == [("x1", (("added_inboxes", (name,)), ("initiated_by", "x1")))], name
    state = mixed.assert_converged()
    assert state["epoch"] == 2
    assert {m["inbox_id"] for m in state["members"]} == {mixed.inbox[n] for n in ("m1", "m2", "x1", "x2")}
    assert state["super_admins"] == [mixed.inbox["x1"]] and state["attributes"]["group_name"] == "from libxmtp"
    # libxmtp writes a commit-log signing key into the group's attributes; the model keeps it
    signer = {n: group_state(mixed.conversations[n])["attributes"].get(COMMIT_LOG_SIGNER) for n in MODEL}
    assert signer["m1"] and len(signer["m1"]) == 64 and signer["m1"] == signer["m2"], signer

    start = mixed.tick()
    for name in ("m1", "x2", "m2", "x1"):
        assert mixed.act(name, "send", f"{name} says hi") is None, name
    assert mixed.act("m2", "update_name", "renamed by m2") is None  # a model commit in libxmtp's group
    mixed.sync()
    state = mixed.assert_converged(after_ns=start)
    assert state["epoch"] == 6, "2, then D4's key updates of m1, x2 and m2, then the rename"
    assert state["attributes"]["group_name"] == "renamed by m2"
    assert group_state(mixed.conversations["m1"])["attributes"][COMMIT_LOG_SIGNER] == signer["m1"]
    texts = [(sender, text) for sender, text, *_ in mixed.log("x1", start)[:4]]
    assert texts == [(n, f"{n} says hi") for n in ("m1", "x2", "m2", "x1")], texts
    assert mixed.log("x1", start)[4] == ("m2", (
        ("initiated_by", "m2"), ("metadata", ((("field", "group_name"), ("new", "renamed by m2"),
                                               ("old", "from libxmtp")),)))), mixed.log("x1", start)


# ---------------------------------------------------------------------- 3. admins and permissions


def _as_predicted(mixed, name: str, predicted: str | None, method: str, argument: Any) -> None:
    before = mixed.epochs()
    outcome = mixed.act(name, method, argument)
    if predicted is None:
        assert outcome is None, f"{name} {method}: the model predicts it is allowed, but it was refused: {outcome}"
    else:
        assert outcome is not None, f"{name} {method}: the model predicts {predicted}, but it was done"
        if name in MODEL:  # the rule that refused, typed: the root of the refusal's causes
            assert outcome.root.reason == predicted, outcome
        mixed.sync()
        assert mixed.epochs() == before, f"{name}'s refused {method} changed an epoch"


def test_admin_and_permission_changes_both_ways(mixed):
    mixed.create("m1", ["m2", "x1", "x2"], name="admins")
    mixed.join("m2", "x1", "x2")

    # the model promotes a libxmtp member; an admin (not super admin) on libxmtp's side may not promote
    assert mixed.act("m1", "add_admin", mixed.inbox["x1"]) is None
    mixed.sync()
    assert mixed.assert_converged()["admins"] == [mixed.inbox["x1"]]
    assert mixed.predict("m2", "x1", Permission.ADD_ADMIN) == "permission.add_admin_denied"
    _as_predicted(mixed, "x1", "permission.add_admin_denied", "add_admin", mixed.inbox["m2"])
    assert mixed.predict("m1", "m2", Permission.ADD_ADMIN) == "permission.add_admin_denied"
    _as_predicted(mixed, "m2", "permission.add_admin_denied", "add_admin", mixed.inbox["x2"])
    # made super admin by the model, x1 promotes a model member
    assert mixed.act("m1", "add_super_admin", mixed.inbox["x1"]) is None
    mixed.sync()
    assert mixed.predict("m2", "x1", Permission.ADD_ADMIN) is None
    _as_predicted(mixed, "x1", None, "add_admin", mixed.inbox["m2"])
    mixed.sync()
    state = mixed.assert_converged()
    assert state["admins"] == sorted(mixed.inbox[n] for n in ("m2", "x1"))
    assert state["super_admins"] == sorted(mixed.inbox[n] for n in ("m1", "x1"))
    levels = {mixed.names[m["inbox_id"]]: m["permission_level"] for m in state["members"]}
    assert levels == {"m1": "super_admin", "x1": "super_admin", "m2": "admin", "x2": "member"}

    # All Members: members rename (D2, modelled: profile members_edit_metadata)
    start = mixed.tick()
    for name in ("x2", "m2"):
        assert mixed.predict("m1", name, Permission.UPDATE_METADATA, metadata_key="group_name") is None
        _as_predicted(mixed, name, None, "update_name", f"named by {name}")
        mixed.sync()
    state = mixed.assert_converged(after_ns=start)
    assert state["attributes"]["group_name"] == "named by m2"
    assert [entry[0] for entry in mixed.log("x1", start)] == ["x2", "m2"]

    # Admins Only: a non-admin on either side is refused, an admin on either side renames
    mixed.create("m1", ["m2", "x1", "x2"], permissions="admins_only", name="admins only")
    mixed.join("m2", "x1", "x2")
    assert mixed.act("m1", "add_admin", mixed.inbox["x1"]) is None
    mixed.sync()
    start = mixed.tick()
    for name in ("m2", "x2"):
        predicted = mixed.predict("m1", name, Permission.UPDATE_METADATA, metadata_key="group_name")
        assert predicted == "permission.update_metadata_denied"
        _as_predicted(mixed, name, predicted, "update_name", f"{name} tries")
    assert mixed.act("m1", "add_admin", mixed.inbox["m2"]) is None
    mixed.sync()
    for name in ("x1", "m2"):  # admins, not super admins
        assert mixed.predict("m1", name, Permission.UPDATE_METADATA, metadata_key="group_name") is None
        _as_predicted(mixed, name, None, "update_name", f"{name} renames")
        mixed.sync()
    state = mixed.assert_converged(after_ns=start)
    assert state["attributes"]["group_name"] == "m2 renames"
    assert state["admins"] == sorted(mixed.inbox[n] for n in ("m2", "x1"))
    assert state["super_admins"] == [mixed.inbox["m1"]]
    assert state["policies"]["update_metadata_policy"]["group_name"] == "allow_if_admin_or_super_admin"
    assert [entry[0] for entry in mixed.log("x2", start)] == ["m1", "x1", "m2"]  # m1's promotion, two renames


# ---------------------------------------------------------------------- 4. removal


def test_remove_both_ways(mixed):
    mixed.create("m1", ["m2", "x1", "x2"], name="removals")
    mixed.join("m2", "x1", "x2")
    assert mixed.act("m1", "add_admin", mixed.inbox["x1"]) is None
    mixed.sync()
    # members may not remove; an admin may not remove a super admin (libxmtp profile)
    assert mixed.predict("m1", "m2", Permission.REMOVE_MEMBER, target="x2") == "permission.remove_member_denied"
    _as_predicted(mixed, "m2", "permission.remove_member_denied", "remove_members_by_inbox_id", [mixed.inbox["x2"]])
    assert mixed.predict("m1", "x2", Permission.REMOVE_MEMBER, target="m2") == "permission.remove_member_denied"
    _as_predicted(mixed, "x2", "permission.remove_member_denied", "remove_members_by_inbox_id", [mixed.inbox["m2"]])
    assert mixed.predict("m2", "x1", Permission.REMOVE_MEMBER, target="m1") == "permission.super_admin_not_removable"
    _as_predicted(mixed, "x1", "permission.super_admin_not_removable", "remove_members_by_inbox_id", [mixed.inbox["m1"]])

    # a model admin removes a libxmtp client
    epoch = mixed.epochs(["m1"])["m1"]
    assert mixed.act("m1", "remove_members_by_inbox_id", [mixed.inbox["x2"]]) is None
    mixed.sync()
    x2 = mixed.state("x2")
    assert x2["active"] is False
    assert x2["epoch"] == epoch + 1 and mixed.inbox["x2"] not in {m["inbox_id"] for m in x2["members"]}, \
        "D8: a removed libxmtp member merges the commit that removes it"
    refusal = mixed.act("x2", "send", "x2 after removal")  # GroupError::GroupInactive since 1.10
    assert refusal is not None and refusal.refusal_class == RefusalClass.MEMBERSHIP, refusal
    assert mixed.act("x2", "sync") is not None, "N2: libxmtp refuses to sync an inactive group"
    mixed.members.remove("x2")

    # a libxmtp admin removes a model client
    epoch = mixed.epochs(["m2"])["m2"]
    assert mixed.act("x1", "remove_members_by_inbox_id", [mixed.inbox["m2"]]) is None
    mixed.sync()
    m2 = mixed.state("m2")
    assert m2["active"] is False
    assert m2["epoch"] == epoch + 1 and mixed.inbox["m2"] not in {m["inbox_id"] for m in m2["members"]}, \
        "D8: a removed model member (libxmtp profile) merges the commit that removes it, as libxmtp does"
    assert mixed.act("m2", "send", "m2 after removal").reason == ClientReason.INACTIVE
    assert mixed.act("m2", "sync").reason == ClientReason.INACTIVE, "N2: the model refuses it too (libxmtp profile)"
    mixed.members.remove("m2")

    start = mixed.tick()
    assert mixed.act("m1", "send", "m1 still here") is None
    assert mixed.act("x1", "send", "x1 still here") is None
    mixed.sync()
    state = mixed.assert_converged(["m1", "x1"], after_ns=start)
    assert {m["inbox_id"] for m in state["members"]} == {mixed.inbox["m1"], mixed.inbox["x1"]}
    assert [t for _, t, _ in mixed.log("x1", start)] == ["m1 still here", "x1 still here"]
    for removed in ("x2", "m2"):
        assert not mixed.texts(removed) & {"m1 still here", "x1 still here", "x2 after removal", "m2 after removal"}
        update = [u for _, u in mixed.log(removed) if isinstance(u, tuple)][-1]
        assert ("removed_inboxes", (removed,)) in update, update


# ---------------------------------------------------------------------- 5. publish failures


def test_publish_failures_then_convergence(mixed):
    # x1 creates the group and x2 joins only after the faults: a libxmtp client that processes a Welcome
    # uploads a key package about 5 s later (D9), and that upload would take one of the injected failures
    mixed.create("x1", ["m1", "m2", "x2"], name="faults")
    mixed.join("m1", "m2")
    for name in ("x1", "m1", "m2"):  # the joiners' key updates (D4) are out of the way before the faults
        assert mixed.act(name, "send", f"{name} before faults") is None, name
    network = mixed.network

    # the model (libxmtp profile, api_call_retries): a failed call is retried 5 times, as libxmtp's API client
    # does (D6), so 3 failures are absorbed; 18 (three intent attempts of six calls) end the message failed
    with mixed.shared.lock:  # nothing else publishes in between
        network.fail_publishes(3)
        assert mixed.act("m1", "send", "m1 under 3 faults") is None
        assert network.pending_publish_failures == 0
    assert "m1 under 3 faults" in mixed.texts("m1", "published")
    with mixed.shared.lock:
        network.fail_publishes(18)
        outcome = mixed.act("m2", "send", "m2 under 18 faults")
        assert network.pending_publish_failures == 0
    assert outcome is not None and outcome.reason == ClientReason.INTENT_FAILED, outcome
    assert "m2 under 18 faults" in mixed.texts("m2", "failed")

    # libxmtp: its API client retries a failed call 5 times inside one publish (D6)
    calls = len(mixed.server.calls)
    network.fail_publishes(3)
    assert mixed.act("x1", "send", "x1 under 3 faults") is None, "D6: libxmtp absorbs 3 failures"
    assert mixed.server.calls[calls:].count("SendGroupMessages") == 4, f"D6: {mixed.server.calls[calls:]}"
    assert network.pending_publish_failures == 0
    assert "x1 under 3 faults" in mixed.texts("x1", "published"), "D6: published, not failed"

    calls = len(mixed.server.calls)
    network.fail_publishes(6)
    outcome = mixed.act("x1", "send", "x1 under 6 faults")
    assert network.pending_publish_failures == 0
    sends = mixed.server.calls[calls:].count("SendGroupMessages")
    if mixed.session.label == "libxmtp-1.9.1":
        assert outcome is not None and outcome.reason == "sync_failed_to_wait_for_intent", f"D6: {outcome}"
        assert sends == 6, f"D6: {mixed.server.calls[calls:]}"
        assert "x1 under 6 faults" in mixed.texts("x1", "unpublished"), "D6: unpublished, not failed"
        # the faults are over, but libxmtp's sync does not send it again
        mixed.sync("x1")
        assert "x1 under 6 faults" in mixed.texts("x1", "unpublished"), "N3: not sent again once the faults end"
    else:  # since 1.10 a publish keeps retrying (up to 17 failed calls) and the message is published
        assert outcome is None and sends == 7, f"D6: {outcome}, {mixed.server.calls[calls:]}"
        assert "x1 under 6 faults" in mixed.texts("x1", "published"), "D6: published on the 7th call"

    # after the faults, everyone converges
    mixed.join("x2")
    mixed.sync()
    start = mixed.tick()
    for name in ("m1", "x2", "m2", "x1"):
        assert mixed.act(name, "send", f"{name} after faults") is None, name
    mixed.sync()
    state = mixed.assert_converged(after_ns=start)
    assert len(state["members"]) == 4
    assert [t for _, t, _ in mixed.log("m2", start)] == [f"{n} after faults" for n in ("m1", "x2", "m2", "x1")]
    published = {"x1 before faults", "m1 before faults", "m2 before faults", "m1 under 3 faults", "x1 under 3 faults"}
    never_sent = {"m2 under 18 faults": "m2"}
    if mixed.session.label == "libxmtp-1.9.1":
        never_sent["x1 under 6 faults"] = "x1"
    else:
        published.add("x1 under 6 faults")
    for name in ("m1", "m2", "x1", "x2"):
        assert published <= mixed.texts(name), name
        assert not mixed.texts(name) & {text for text, sender in never_sent.items() if sender != name}, name
    assert "m2 under 18 faults" in mixed.texts("m2", "failed")
    assert ("x1 under 6 faults" in mixed.texts("x1", "unpublished")) == (mixed.session.label == "libxmtp-1.9.1")


# ---------------------------------------------------------------------- 6. the key update before a first message


def test_first_message_after_an_own_commit(mixed):
    """libxmtp intents/queue.rs ``queue_with_conn``: queueing any intent other than a message sets
    ``rotated_at_ns``. A joiner whose first action is a commit therefore sends its first message with no key
    update. The model's ``key_update_before_first_send`` records a rotation only at creation and for its
    own KeyUpdate (``Conversation._rotate_key_if_due``), so the model adds one."""
    mixed.create("m1", ["m2", "x1", "x2"], name="rotation")
    mixed.join("m2", "x1", "x2")
    added_epochs = {}
    for name in ("x2", "m2"):
        mixed.sync(name)
        assert mixed.act(name, "update_name", f"named by {name}") is None, name
        before = mixed.epochs([name])[name]
        assert mixed.act(name, "send", f"first from {name}") is None, name
        added_epochs[name] = mixed.epochs([name])[name] - before
    start = mixed.tick()
    assert mixed.act("x1", "send", "x1 reads both") is None
    mixed.sync()
    state = mixed.assert_converged(after_ns=start)
    assert {"first from x2", "first from m2", "x1 reads both"} <= mixed.texts("m1") == mixed.texts("x1")
    assert added_epochs == {"x2": 0, "m2": 0}, "N4: a commit of one's own counts as the key rotation"


# ---------------------------------------------------------------------- 7. history sync within one inbox


def _installation_of(mixed, user: str, tmp_path: Path, label: str) -> Client:
    """A model installation of ``user``'s inbox (``user``'s wallet), on the shared delivery service."""
    mixed.tick()
    client = Client.create(Wallet.from_key(bytes.fromhex(wallet_key(user))), str(tmp_path / f"{label}.db3"),
                           os.urandom(32), mixed.shared, config=ClientConfig(profile=LIBXMTP))
    mixed.models[label] = client
    assert client.inbox_id == mixed.inbox.setdefault(user, client.inbox_id)
    return client


def _history_sync_supported(mixed) -> bool:
    """libxmtp 1.9.1's bindings have no manual device sync: the adapter says so (it does not pretend)."""
    if mixed.session.label != "libxmtp-1.9.1":
        return True
    with pytest.raises(AdapterError) as e:
        mixed.session.ask("clients.history_sync", client="x1", request=True)
    assert e.value.kind is ErrorKind.UNSUPPORTED
    return False


def test_history_sync_from_a_model_installation_to_libxmtp(mixed, tmp_path):
    """docs/xmtp-facts.md §9: a new libxmtp installation (x3) asks for history; the model installation of the same
    inbox, which has a group x3 is not in, answers with the model's archive through the harness's history
    server; libxmtp imports it and restores the group as the model predicts."""
    if not _history_sync_supported(mixed):
        return
    model = _installation_of(mixed, "x3", tmp_path, "x3_model")
    mixed.tick()
    group = model.conversations.create_group(inbox_ids=[mixed.inbox["m2"]], name="Archive")
    mixed.tick()
    group.send("old news")
    mixed.tick()
    mixed.session.ask("clients.create", client="x3", wallet_key=wallet_key("x3"))
    mixed.tick()
    mixed.session.ask("clients.history_sync", client="x3", request=True)
    mixed.tick()
    report = model.process_history_sync()
    assert len(report.answered) == 1 and not report.refused, report
    mixed.tick()
    mixed.session.ask("clients.history_sync", client="x3", request=False)
    mixed.group_id = group.group_id.hex()
    state = mixed.state("x3")
    assert (state["attributes"]["group_name"], state["active"], state["epoch"], state["members"]) == \
        ("Archive", False, 0, [])
    predicted = _restored_by_the_model(mixed, model, tmp_path, mixed.group_id)
    restored = _as_shown({"libxmtp": {k: v for k, v in state.items() if k != "added_by_inbox_id"}, "model": predicted})
    assert restored["libxmtp"] == restored["model"]
    assert [(m["text"], m["sender_inbox_id"]) for m in mixed.raw_messages("x3")] == [("old news", model.inbox_id)]


def _as_shown(states: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """``states`` judged on the policies libxmtp's adapter shows (docs/adapters.md "Group state"), which its
    clients among them show alike."""
    shown = {tuple(s[POLICIES_SHOWN]) for s in states.values() if POLICIES_SHOWN in s}
    assert len(shown) <= 1, f"libxmtp's clients show different policies: {shown}"
    if not shown:
        return states
    paths = list(shown.pop())
    return {n: {**{k: v for k, v in s.items() if k != POLICIES_SHOWN}, "policies": policies_shown(s["policies"], paths)}
            for n, s in states.items()}


def _restored_by_the_model(mixed, model: Client, tmp_path: Path, group_id: str) -> dict[str, Any]:
    """The model's prediction: the group as another model installation of the inbox restores it from the
    archive ``model`` uploaded (read back from the delivery service with the key of ``model``'s reply)."""
    (row,) = model.store.find_groups(conversation_type=ConversationType.SYNC)
    sync_group = Conversation(model, row.id)
    replies = [c.reply for c in (decode_device_sync(m.content)
                                 for m in sync_group.find_messages(kind=GroupMessageKind.APPLICATION)) if c.reply]
    (reply,) = replies
    archive = mixed.network.download(reply.url.rsplit("/", 1)[1])
    other = _installation_of(mixed, "x3", tmp_path, "x3_model2")
    import_archive(other.store, archive, reply.encryption_key.aes_256_gcm,
                   Importer(other.inbox_id, other.now_ns(), LIBXMTP))
    (restored,) = [c for c in other.conversations.list() if c.group_id.hex() == group_id]
    state = group_state(restored)
    return {k: v for k, v in state.items() if k not in ("created_at_ns", "added_by_inbox_id")}


def test_history_sync_from_libxmtp_to_a_model_installation(mixed, tmp_path):
    """docs/xmtp-facts.md §9: a new model installation of x1's inbox asks for history at the harness's history
    server; libxmtp (x1) answers with its archive; the model imports it."""
    if not _history_sync_supported(mixed):
        return
    mixed.create("x1", ["m2"], name="From libxmtp")
    assert mixed.act("x1", "send", "libxmtp's news") is None
    model = _installation_of(mixed, "x1", tmp_path, "x1_model")
    pin = model.request_history_sync(server_url=mixed.session.adapter.history_server.url)
    mixed.tick()
    mixed.session.ask("clients.history_sync", client="x1", request=False)
    mixed.tick()
    report = model.process_history_sync()
    assert len(report.imported) == 1 and not report.refused, report
    assert report.imported[0].groups == 1 and report.imported[0].messages == 1
    (restored,) = [c for c in model.conversations.list() if c.group_id.hex() == mixed.group_id]
    state = group_state(restored)
    assert (state["attributes"]["group_name"], state["active"], state["epoch"], state["members"]) == \
        ("From libxmtp", False, 0, [])
    assert state["creator_inbox_id"] == model.inbox_id and state["super_admins"] == [model.inbox_id]
    assert [(m["text"], m["sender_inbox_id"]) for m in stored_messages(restored, {})] == \
        [("libxmtp's news", model.inbox_id)]
    assert len(pin) == 5
