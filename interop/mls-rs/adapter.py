"""xmtp-conformance adapter for mls-rs 0.55 (AWS's Rust implementation of MLS, RFC 9420), through its
UniFFI Python bindings (PyPI ``agentvault-mls-rs-uniffi`` 0.1.1, module ``mls_rs_uniffi``).

The harness starts this program and speaks JSON-RPC 2.0 to it, one JSON object per line on stdin/stdout
(``conformance/adapter/jsonrpc.py``). It answers ``hello``, ``reset`` and the ``mls`` capability
(``conformance/adapter/protocol.py``) with the semantics of the reference adapter, in cipher suite 1, the
only one the bindings offer. What the bindings cannot do is answered ``unsupported``; the README lists it.

    .venv/bin/xmtp-conformance run --adapter mls-rs --skip-file interop/mls-rs/known-issues.skip
"""

from __future__ import annotations

import dataclasses
import sys
from typing import Any, Callable

import mls_rs_uniffi as mls

from conformance.adapter.jsonrpc import serve
from conformance.adapter.protocol import PROTOCOL_VERSION, AdapterError, ErrorKind, Hello
from spec_model.mls.codec import DecodeError, Reader, kind_of, varint
from spec_model.mls.group_context import GroupContext
from spec_model.mls.ratchet_tree import RatchetTree
from spec_model.mls.suites import suite

VERSION = "0.55.0"  # the mls-rs inside agentvault-mls-rs-uniffi 0.1.1 (its CycloneDX SBOM)
CIPHER_SUITE = 1
EPOCH_RETENTION = 3
"""Past epochs whose secrets a member keeps: libxmtp's MAX_PAST_EPOCHS, and the default of mls-rs's own
in-memory storage (``DEFAULT_EPOCH_RETENTION_LIMIT``), which the bindings' storage callback replaces."""


def _unsupported(reason: str, message: str) -> AdapterError:
    return AdapterError(ErrorKind.UNSUPPORTED, reason, message)


def _refusal(error: mls.Error) -> AdapterError:
    """mls-rs refused the input: its error class as the reason, its text as the message."""
    return AdapterError(ErrorKind.REJECTED, f"mls-rs.{type(error).__name__}", str(error))


class _Storage(mls.GroupStateStorage):
    """A member's group state storage (mls-rs ``GroupStateStorage``): the last snapshot and the prior epochs'
    records, the newest ``EPOCH_RETENTION`` of them, as mls-rs's in-memory storage keeps them."""

    def __init__(self):
        self.snapshots: dict[bytes, bytes] = {}
        self.epochs: dict[bytes, dict[int, bytes]] = {}

    def state(self, group_id: bytes) -> bytes | None:
        return self.snapshots.get(group_id)

    def epoch(self, group_id: bytes, epoch_id: int) -> bytes | None:
        return self.epochs.get(group_id, {}).get(epoch_id)

    def write(self, group_id: bytes, group_state: bytes, epoch_inserts: list, epoch_updates: list) -> None:
        self.snapshots[group_id] = group_state
        epochs = self.epochs.setdefault(group_id, {})
        for record in (*epoch_inserts, *epoch_updates):
            epochs[record.id] = record.data
        for old in sorted(epochs)[:-EPOCH_RETENTION]:
            del epochs[old]

    def max_epoch_id(self, group_id: bytes) -> int | None:
        epochs = self.epochs.get(group_id)
        return max(epochs) if epochs else None


@dataclasses.dataclass
class _Member:
    client: mls.Client
    storage: _Storage
    keypair: mls.SignatureKeypair
    identity: bytes
    group_id: bytes = b""
    group: mls.Group | None = None
    pending: mls.CommitOutput | None = None  # a commit awaiting mls.merge

    def saved(self) -> bytes:
        """The group's mls-rs snapshot, written now (``Group.write_to_storage``)."""
        self.group.write_to_storage()
        return self.storage.snapshots[self.group_id]


def _snapshot_view(snapshot: bytes, signer: bytes) -> tuple[GroupContext, bytes]:
    """The group context and epoch authenticator in a member's mls-rs snapshot (mls-rs ``group/snapshot.rs``
    ``Snapshot``: ``version: u16``, then the group state, which starts with the ``GroupContext`` (RFC 9420
    §8.1); it ends with the ``KeySchedule`` (``exporter_secret``, ``authentication_secret``, ...: five
    length-prefixed secrets), the pending updates, the pending commit and the member's signature key).

    The epoch authenticator is mls-rs's ``authentication_secret`` (RFC 9420 §8.7). The tail is read when no
    update or commit is pending (two zero bytes) and the signature key is the member's: anything else is
    ``internal``, never a guess."""
    r = Reader(snapshot)
    r.uint(2)
    context = kind_of(GroupContext).read(r)
    tail = b"\x00\x00" + varint(len(signer)) + signer
    size = suite(CIPHER_SUITE).Nh
    secrets = 5 * (1 + size)
    if not snapshot.endswith(tail) or len(snapshot) < len(tail) + secrets:
        raise AdapterError(ErrorKind.INTERNAL, "snapshot_layout", "an mls-rs snapshot this adapter cannot read")
    schedule = snapshot[-len(tail) - secrets:-len(tail)]
    if any(schedule[i * (1 + size)] != size for i in range(5)):
        raise AdapterError(ErrorKind.INTERNAL, "snapshot_layout", "an mls-rs key schedule this adapter cannot read")
    return context, schedule[(1 + size) + 1:2 * (1 + size)]


class MlsRsAdapter:
    """Members, each an mls-rs ``Client`` with its own storage and at most one group."""

    def __init__(self):
        self.members: dict[str, _Member] = {}
        self.operations: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "reset": self.reset, "mls.new_member": self.new_member, "mls.create_group": self.create_group,
            "mls.join": self.join, "mls.propose": self.propose, "mls.commit": self.commit, "mls.merge": self.merge,
            "mls.process": self.process, "mls.protect": self.protect, "mls.state": self.state,
            "mls.export": self.export,
        }

    # ------------------------------------------------------------------ the adapter protocol

    def hello(self, _link) -> Hello:
        return Hello(protocol_version=PROTOCOL_VERSION, name="mls-rs", version=VERSION,
                     capabilities={"mls": {"cipher_suites": [CIPHER_SUITE]}})

    def call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        operation = self.operations.get(method)
        if operation is None:
            raise _unsupported("unknown_method", f"{method}: not offered by the mls-rs UniFFI bindings")
        try:
            return operation(params)
        except mls.Error as e:
            raise _refusal(e) from None

    def close(self) -> None:
        self.members.clear()

    # ------------------------------------------------------------------ helpers

    def _member(self, name: str, *, in_group: bool = True) -> _Member:
        member = self.members.get(name)
        if member is None:
            raise AdapterError(ErrorKind.INTERNAL, "unknown_member", name)
        if in_group and member.group is None:
            raise AdapterError(ErrorKind.INTERNAL, "no_group", name)
        return member

    @staticmethod
    def _message(hex_: str, what: str) -> mls.Message:
        try:
            return mls.Message.from_bytes(bytes.fromhex(hex_))
        except ValueError:
            raise AdapterError(ErrorKind.INTERNAL, "invalid_params", f"{what}: not hex") from None

    def _tree(self, member: _Member) -> RatchetTree:
        """The member's ratchet tree as mls-rs exports it (RFC 9420 §12.4.3.3)."""
        try:
            return RatchetTree.decode(suite(CIPHER_SUITE), member.group.export_tree().bytes)
        except DecodeError as e:
            raise AdapterError(ErrorKind.INTERNAL, "exported_tree", f"mls-rs exported a tree that does not decode: {e}")

    def _identities(self, member: _Member, leaves: list[int]) -> list[mls.SigningIdentity]:
        """Signing identities naming ``leaves``. The bindings remove members by identity: mls-rs looks the
        member up by its basic credential's identity (mls-rs-uniffi ``remove_members``:
        ``BasicIdentityProvider::identity``, ``member_with_identity``), so a credential with the same identity
        and any key names the leaf, provided no other leaf has that identity."""
        tree = self._tree(member)
        identities = [leaf.credential.identity for _, leaf in tree.members()]
        named = []
        for index in leaves:
            leaf = tree.leaf(index)
            if leaf is None:
                raise AdapterError(ErrorKind.REJECTED, "mls-rs.blank_leaf", f"leaf {index} is blank")
            identity = leaf.credential.identity
            if identities.count(identity) != 1:
                raise _unsupported("ambiguous_identity", f"leaf {index}: mls-rs removes by identity, and "
                                   f"{identities.count(identity)} leaves have {identity.hex()}")
            keypair = mls.generate_signature_keypair(mls.CipherSuite.CURVE25519_AES128)
            named.append(mls.Client(identity, keypair, mls.client_config_default()).signing_identity())
        return named

    # ------------------------------------------------------------------ the mls operations

    def reset(self, _params) -> dict[str, Any]:
        self.members.clear()
        return {}

    def new_member(self, p) -> dict[str, Any]:
        if p["cipher_suite"] != CIPHER_SUITE:
            raise _unsupported("cipher_suite", f"cipher suite {p['cipher_suite']}: the bindings offer suite 1 only")
        identity = bytes.fromhex(p["identity"])
        keypair = mls.generate_signature_keypair(mls.CipherSuite.CURVE25519_AES128)
        storage = _Storage()
        client = mls.Client(identity, keypair, mls.ClientConfig(group_state_storage=storage,
                                                                 use_ratchet_tree_extension=True))
        self.members[p["member"]] = _Member(client, storage, keypair, identity)
        return {"key_package": client.generate_key_package_message().to_bytes().hex()}

    def create_group(self, p) -> dict[str, Any]:
        member = self._member(p["member"], in_group=False)
        member.group_id = bytes.fromhex(p["group_id"])
        member.group = member.client.create_group(member.group_id)
        return {"epoch": self._context(member).epoch}

    def join(self, p) -> dict[str, Any]:
        member = self._member(p["member"], in_group=False)
        tree = None if p["ratchet_tree"] is None else mls.RatchetTree(bytes=bytes.fromhex(p["ratchet_tree"]))
        group = member.client.join_group(tree, self._message(p["welcome"], "welcome")).group
        member.group = group
        member.group_id = kind_of(GroupContext).read(Reader(self._any_snapshot(member), 2)).group_id
        return {"epoch": self._context(member).epoch}

    def _any_snapshot(self, member: _Member) -> bytes:
        """The snapshot of the member's only group, whose id the bindings do not report on joining."""
        member.group.write_to_storage()
        snapshot, = member.storage.snapshots.values()
        return snapshot

    def propose(self, p) -> dict[str, Any]:
        member = self._member(p["member"])
        if p["private"]:
            raise _unsupported("no_private_handshake", "the bindings send handshake messages as PublicMessages only")
        if p["update"]:
            raise _unsupported("no_update_proposal", "the bindings cannot propose an Update")
        if p["add"] is not None:
            messages = member.group.propose_add_members([self._message(p["add"], "add")])
        elif p["remove"] is not None:
            messages = member.group.propose_remove_members(self._identities(member, [p["remove"]]))
        else:
            raise AdapterError(ErrorKind.INTERNAL, "invalid_params", "mls.propose needs add, remove or update")
        message, = messages
        member.group.write_to_storage()
        return {"message": message.to_bytes().hex()}

    def commit(self, p) -> dict[str, Any]:
        """mls-rs covers every cached proposal by reference in any commit (mls-rs ``CommitBuilder``); the
        bindings' ``add_members`` and ``remove_members`` add proposals by value, of one kind per commit."""
        member = self._member(p["member"])
        if p["private"]:
            raise _unsupported("no_private_handshake", "the bindings send handshake messages as PublicMessages only")
        if not p["inline_tree"]:
            raise _unsupported("inline_tree", "the adapter's clients always put the tree in their Welcomes")
        if p["add"] and p["remove"]:
            raise _unsupported("adds_and_removes", "the bindings commit adds or removes by value, not both at once")
        if p["add"]:
            output = member.group.add_members([self._message(kp, "add") for kp in p["add"]])
        elif p["remove"]:
            output = member.group.remove_members(self._identities(member, p["remove"]))
        else:
            output = member.group.commit()
        member.pending = output
        # The tree after the commit: a copy of the group loaded from storage merges the commit (the
        # bindings return the new tree only to clients that leave it out of their Welcomes).
        member.group.write_to_storage()
        copy = member.client.load_group(member.group_id)
        copy.process_incoming_message(output.commit_message)
        return {"commit": output.commit_message.to_bytes().hex(),
                "welcome": None if output.welcome_message is None else output.welcome_message.to_bytes().hex(),
                "ratchet_tree": copy.export_tree().bytes.hex()}

    def merge(self, p) -> dict[str, Any]:
        """mls-rs merges a member's own pending commit when the member processes it."""
        member = self._member(p["member"])
        if member.pending is None:
            raise AdapterError(ErrorKind.INTERNAL, "no_pending_commit", p["member"])
        member.group.process_incoming_message(member.pending.commit_message)
        member.pending = None
        return {"epoch": self._context(member).epoch}

    def process(self, p) -> dict[str, Any]:
        member = self._member(p["member"])
        received = member.group.process_incoming_message(self._message(p["message"], "message"))
        if received.is_application_message():
            kind, data, active = "application", received.data.hex(), True
        elif received.is_commit():
            kind, data, active = "commit", None, not received.effect.is_removed()
        elif received.is_received_proposal():
            kind, data, active = "proposal", None, True
        else:
            raise AdapterError(ErrorKind.REJECTED, "mls-rs.not_a_group_message", type(received).__name__)
        return {"kind": kind, "data": data, "epoch": self._context(member).epoch, "active": active}

    def protect(self, p) -> dict[str, Any]:
        member = self._member(p["member"])
        message = member.group.encrypt_application_message(bytes.fromhex(p["data"]))
        member.group.write_to_storage()
        return {"message": message.to_bytes().hex()}

    def state(self, p) -> dict[str, Any]:
        member = self._member(p["member"])
        context, authenticator = _snapshot_view(member.saved(), member.keypair.secret_key.bytes)
        tree = self._tree(member)
        own = [i for i, leaf in tree.members() if leaf.signature_key == member.keypair.public_key.bytes]
        if len(own) != 1:
            raise AdapterError(ErrorKind.INTERNAL, "own_leaf", f"the member's key is at leaves {own}")
        return {"epoch": context.epoch, "epoch_authenticator": authenticator.hex(),
                "tree_hash": context.tree_hash.hex(), "own_leaf": own[0],
                "members": {str(i): leaf.credential.identity.hex() for i, leaf in tree.members()}}

    def export(self, p) -> dict[str, Any]:
        member = self._member(p["member"])
        secret = member.group.export_secret(bytes.fromhex(p["label"]), bytes.fromhex(p["context"]), p["length"])
        return {"secret": secret.hex()}

    def _context(self, member: _Member) -> GroupContext:
        """The group context of the member's mls-rs snapshot (written now)."""
        return kind_of(GroupContext).read(Reader(member.saved(), 2))


if __name__ == "__main__":
    serve(MlsRsAdapter(), sys.stdin, sys.stdout)
