"""RFC 9420 §8, §9, §10, §12.4.1: a member's private state as bytes, to keep it between sessions, and back.

Theory of operation
-------------------
A client keeps each group's state in its database. The state is stored as
the MLS structures' own encodings (GroupContext, the ``ratchet_tree``
extension's node list, Proposals, MLSMessages, GroupInfo, LeafNode, §6–§12)
inside a small versioned JSON record that also holds what RFC 9420 never
puts on the wire: the epoch secrets (§8), the secret tree's remaining node
secrets and sender ratchets (§9.2), the private keys of tree nodes, the past
epochs kept for late messages, cached proposals and PSKs. Byte strings are
lowercase hex.

``encode_group`` / ``decode_group`` cover a ``Group`` without its pending
commit; ``encode_pending_commit`` / ``decode_pending_commit`` cover a commit
built but not merged (XMTP keeps it with its intent until the delivery service
returns it); ``encode_key_package_bundle`` / ``decode_key_package_bundle`` a
key package with its private keys (§10). Decoding checks the record's version and every field: a record
of another version or a malformed one raises ``Rejected`` with a
``GroupStateReason``; nothing in it is executed.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import json
from typing import Any, Callable

from .codec import DecodeError
from .commit import CommittedProposal
from .group import Group
from .group_types import CachedProposal, EpochState, GroupConfig, PendingCommit, StagedCommit
from .group_context import GroupContext
from .key_package import KeyPackage, KeyPackageBundle
from .key_schedule import EpochSecrets
from .leaf_node import LeafNode
from .memory import process_wide
from .message import MLSMessage
from .proposals import PROPOSAL, ReInit
from .ratchet_tree import RATCHET_TREE, RatchetTree
from .reasons import Rejected, reason_codes
from .secret_tree import (
    RatchetKind, RatchetSnapshot, SecretTree, SecretTreeSnapshot, SenderRatchetConfiguration,
)
from .suites import CipherSuite, suite
from .tree_math import node_width
from .welcome import GroupInfo

__all__ = [
    "GROUP_STATE_VERSION", "GroupStateReason", "encode_group", "decode_group", "encode_pending_commit",
    "decode_pending_commit", "encode_key_package_bundle", "decode_key_package_bundle",
]

GROUP_STATE_VERSION = 1
"""The version of the record this module writes; a record of any other version is refused."""
_GROUP, _PENDING, _BUNDLE = "group", "pending_commit", "key_package_bundle"


@reason_codes("group_state")
class GroupStateReason(enum.StrEnum):
    """RFC 9420 §8, §9: why a stored group state is refused."""

    UNSUPPORTED_VERSION = "group_state.unsupported_version"  # the record was written by another version of this module
    MALFORMED = "group_state.malformed"                      # a field is missing, of the wrong type, or does not decode


# ------------------------------------------------------------------ writing

def _hex(data: bytes | None) -> str | None:
    return None if data is None else data.hex()


def _tree(tree: RatchetTree) -> dict:
    return {"n_leaves": tree.n_leaves, "nodes": tree.encode().hex()}


def _secret_tree(tree: SecretTree) -> dict:
    snapshot = tree.snapshot()
    return {
        "n_leaves": tree.n_leaves,
        "out_of_order_tolerance": tree.config.out_of_order_tolerance,
        "maximum_forward_distance": tree.config.maximum_forward_distance,
        "nodes": {str(x): secret.hex() for x, secret in snapshot.nodes.items()},
        "ratchets": {str(leaf): {kind.value.decode(): {
            "secret": _hex(r.secret), "generation": r.generation,
            "retained": {str(g): [key.hex(), nonce.hex()] for g, (key, nonce) in r.retained.items()},
        } for kind, r in ratchets.items()} for leaf, ratchets in snapshot.ratchets.items()},
    }


def _epoch(state: EpochState) -> dict:
    return {
        "context": state.context.encode().hex(),
        "tree": _tree(state.tree),
        "secrets": {f.name: getattr(state.secrets, f.name).hex() for f in dataclasses.fields(state.secrets)},
        "interim_transcript_hash": state.interim_transcript_hash.hex(),
        "secret_tree": _secret_tree(state.secret_tree),
        "private_keys": {str(x): key.hex() for x, key in state.private_keys.items()},
        "confirmation_tag": state.confirmation_tag.hex(),
    }


def _committed(proposals) -> list:
    return [[PROPOSAL.encode(p.proposal).hex(), p.sender] for p in proposals]


def _record(kind: str, body: dict) -> bytes:
    return json.dumps({"version": GROUP_STATE_VERSION, "kind": kind, **body}, sort_keys=True).encode()


def encode_group(group: Group) -> bytes:
    """RFC 9420 §8, §9, §12: ``group``'s state, its pending commit left out (see ``encode_pending_commit``)."""
    config = group.config
    return _record(_GROUP, {
        "cipher_suite": int(group.cs.id),
        "own_leaf": group.own_leaf,
        "signature_priv": group.signature_priv.hex(),
        "config": {"max_past_epochs": config.max_past_epochs, "padding": config.padding,
                   "use_ratchet_tree_extension": config.use_ratchet_tree_extension,
                   "out_of_order_tolerance": config.ratchet.out_of_order_tolerance,
                   "maximum_forward_distance": config.ratchet.maximum_forward_distance},
        "psks": {psk_id.hex(): value.hex() for psk_id, value in group.psks.items()},
        "resumption_psks": [[gid.hex(), epoch, value.hex()] for (gid, epoch), value in group.resumption_psks.items()],
        "state": _epoch(group.state),
        "past_states": {str(epoch): _epoch(state) for epoch, state in group.past_states.items()},
        "proposals": {ref.hex(): [PROPOSAL.encode(c.proposal).hex(), c.sender] for ref, c in group.proposals.items()},
        "update_keys": {pub.hex(): priv.hex() for pub, priv in group.update_keys.items()},
        "active": group.active,
        "reinit": _hex(group.reinit.encode() if group.reinit is not None else None),
        "added_by_leaf": group.added_by_leaf,
    })


def encode_pending_commit(pending: PendingCommit) -> bytes:
    """RFC 9420 §12.4.1: a commit built but not merged, with the next epoch it starts."""
    staged = pending.staged
    return _record(_PENDING, {
        "cipher_suite": int(pending.next_state.tree.cs.id),
        "message": pending.message.encode().hex(),
        "welcome": _hex(pending.welcome.encode() if pending.welcome is not None else None),
        "group_info": _hex(pending.group_info.encode() if pending.group_info is not None else None),
        "next_state": _epoch(pending.next_state),
        "proposals": _committed(pending.proposals),
        "secret_tree": _secret_tree(pending.secret_tree),
        "reinit": _hex(pending.reinit.encode() if pending.reinit is not None else None),
        "staged": {"committer": staged.committer, "external": staged.external,
                   "old_context": staged.old_context.encode().hex(), "old_tree": _tree(staged.old_tree),
                   "path_leaf": _hex(staged.path_leaf.encode() if staged.path_leaf is not None else None)},
    })


# ------------------------------------------------------------------ reading

def _read_record(data: bytes, kind: str) -> dict:
    try:
        record = json.loads(data)
    except (ValueError, UnicodeDecodeError) as e:
        raise Rejected(GroupStateReason.MALFORMED, f"not a group state record: {e}") from None
    if not isinstance(record, dict):
        raise Rejected(GroupStateReason.MALFORMED, "not a group state record")
    if record.get("version") != GROUP_STATE_VERSION:
        raise Rejected(GroupStateReason.UNSUPPORTED_VERSION,
                       f"version {record.get('version')!r}, this model reads {GROUP_STATE_VERSION}")
    if record.get("kind") != kind:
        raise Rejected(GroupStateReason.MALFORMED, f"a {record.get('kind')!r} record, not a {kind!r} one")
    return record


def _decoding(read: Callable[[dict], Any], record: dict) -> Any:
    """``read(record)``, every way a field can be wrong turned into ``Rejected(MALFORMED)``."""
    try:
        return read(record)
    except DecodeError as e:
        raise Rejected(GroupStateReason.MALFORMED, str(e)) from None
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise Rejected(GroupStateReason.MALFORMED, f"{type(e).__name__}: {e}") from None


def _bytes(value: str | None) -> bytes | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"expected hex, got {type(value).__name__}")
    return bytes.fromhex(value)


def _int(value: Any) -> int:
    if type(value) is not int:
        raise TypeError(f"expected an integer, got {type(value).__name__}")
    return value


@process_wide
@functools.lru_cache(maxsize=32)
def _tree_nodes(hex_nodes: str) -> tuple:
    """The nodes of a stored tree, decoded once for the same text: the members of a group store the same public
    tree, and a group keeps its past epochs' trees; nodes are frozen, and each ``RatchetTree`` gets its own list."""
    return RATCHET_TREE.decode(_bytes(hex_nodes))


def _read_tree(cs: CipherSuite, data: dict) -> RatchetTree:
    if not isinstance(data["nodes"], str):
        raise TypeError(f"expected hex, got {type(data['nodes']).__name__}")
    nodes = _tree_nodes(data["nodes"])
    width = node_width(_int(data["n_leaves"]))
    if not nodes or nodes[-1] is None or len(nodes) > width:
        raise ValueError("ratchet tree nodes do not fit n_leaves")
    return RatchetTree(cs, [*nodes, *[None] * (width - len(nodes))])


def _read_secret_tree(cs: CipherSuite, data: dict) -> SecretTree:
    config = SenderRatchetConfiguration(_int(data["out_of_order_tolerance"]), _int(data["maximum_forward_distance"]))
    kinds = {kind.value.decode(): kind for kind in RatchetKind}
    snapshot = SecretTreeSnapshot(
        {_int(int(x)): _bytes(secret) for x, secret in data["nodes"].items()},
        {int(leaf): {kinds[name]: RatchetSnapshot(
            _bytes(r["secret"]), _int(r["generation"]),
            {int(g): (_bytes(key), _bytes(nonce)) for g, (key, nonce) in r["retained"].items()})
            for name, r in ratchets.items()} for leaf, ratchets in data["ratchets"].items()})
    return SecretTree.from_snapshot(cs, _int(data["n_leaves"]), snapshot, config)


def _read_epoch(cs: CipherSuite, data: dict) -> EpochState:
    secrets = {name: _bytes(value) for name, value in data["secrets"].items()}
    secrets.pop("external_pub", None)  # records of this version written before it was derived only where used (§8)
    secrets = EpochSecrets(**secrets)
    return EpochState(GroupContext.decode(_bytes(data["context"])), _read_tree(cs, data["tree"]), secrets,
                      _bytes(data["interim_transcript_hash"]), _read_secret_tree(cs, data["secret_tree"]),
                      {_int(int(x)): _bytes(key) for x, key in data["private_keys"].items()},
                      _bytes(data["confirmation_tag"]))


def _read_committed(items: list) -> tuple[CommittedProposal, ...]:
    return tuple(CommittedProposal(PROPOSAL.decode(_bytes(p)), None if s is None else _int(s)) for p, s in items)


def _read_group(r: dict) -> Group:
    cs = suite(_int(r["cipher_suite"]))
    c = r["config"]
    ratchet = SenderRatchetConfiguration(_int(c["out_of_order_tolerance"]), _int(c["maximum_forward_distance"]))
    config = GroupConfig(_int(c["max_past_epochs"]), ratchet, _int(c["padding"]),
                         bool(c["use_ratchet_tree_extension"]))
    psks = {_bytes(k): _bytes(v) for k, v in r["psks"].items()}
    group = Group(cs, _int(r["own_leaf"]), _bytes(r["signature_priv"]), _read_epoch(cs, r["state"]),
                  config, psks)
    group.resumption_psks = {(_bytes(gid), _int(epoch)): _bytes(v) for gid, epoch, v in r["resumption_psks"]}
    group.past_states = {int(epoch): _read_epoch(cs, s) for epoch, s in r["past_states"].items()}
    group.proposals = {_bytes(ref): CachedProposal(PROPOSAL.decode(_bytes(p)), None if s is None else _int(s))
                       for ref, (p, s) in r["proposals"].items()}
    group.update_keys = {_bytes(pub): _bytes(priv) for pub, priv in r["update_keys"].items()}
    group.active = bool(r["active"])
    group.reinit = None if r["reinit"] is None else ReInit.decode(_bytes(r["reinit"]))
    group.added_by_leaf = None if r["added_by_leaf"] is None else _int(r["added_by_leaf"])
    return group


def _read_pending(r: dict) -> PendingCommit:
    cs = suite(_int(r["cipher_suite"]))
    next_state = _read_epoch(cs, r["next_state"])
    proposals = _read_committed(r["proposals"])
    s = r["staged"]
    path_leaf = _bytes(s["path_leaf"])
    staged = StagedCommit(
        committer=_int(s["committer"]), external=bool(s["external"]), proposals=proposals,
        old_context=GroupContext.decode(_bytes(s["old_context"])), new_context=next_state.context,
        old_tree=_read_tree(cs, s["old_tree"]), new_tree=next_state.tree,
        path_leaf=None if path_leaf is None else LeafNode.decode(path_leaf))
    welcome = _bytes(r["welcome"])
    group_info = _bytes(r["group_info"])
    reinit = _bytes(r["reinit"])
    return PendingCommit(MLSMessage.decode(_bytes(r["message"])),
                         None if welcome is None else MLSMessage.decode(welcome),
                         None if group_info is None else GroupInfo.decode(group_info), next_state, proposals,
                         _read_secret_tree(cs, r["secret_tree"]), None if reinit is None else
                         ReInit.decode(reinit), staged)


def decode_group(data: bytes) -> Group:
    """RFC 9420 §8, §9, §12: the group ``encode_group`` wrote; ``Rejected(GroupStateReason)`` otherwise."""
    return _decoding(_read_group, _read_record(data, _GROUP))


def decode_pending_commit(data: bytes) -> PendingCommit:
    """RFC 9420 §12.4.1: the commit ``encode_pending_commit`` wrote; ``Rejected(GroupStateReason)`` otherwise."""
    return _decoding(_read_pending, _read_record(data, _PENDING))


def encode_key_package_bundle(bundle: KeyPackageBundle) -> bytes:
    """RFC 9420 §10: a key package and the init, encryption and signature private keys its owner keeps."""
    return _record(_BUNDLE, {"key_package": bundle.key_package.encode().hex(), "init_priv": bundle.init_priv.hex(),
                             "encryption_priv": bundle.encryption_priv.hex(),
                             "signature_priv": bundle.signature_priv.hex()})


def decode_key_package_bundle(data: bytes) -> KeyPackageBundle:
    """RFC 9420 §10: the bundle ``encode_key_package_bundle`` wrote; ``Rejected(GroupStateReason)`` otherwise."""
    return _decoding(lambda r: KeyPackageBundle(KeyPackage.decode(_bytes(r["key_package"])), _bytes(r["init_priv"]),
                                                _bytes(r["encryption_priv"]), _bytes(r["signature_priv"])),
                     _read_record(data, _BUNDLE))
