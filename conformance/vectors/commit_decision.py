"""The ``commit_validation`` family's decision (docs/xmtp-facts.md §4.4, libxmtp ``ValidatedCommit::from_staged_commit``):
a staged commit written out as everything a receiver's validation reads (the vector's ``inputs``), rebuilt from
them, and the model's decision on it (``outputs``: the ValidatedCommit summary, or a refusal's permission
reason); with the pydantic models of both (``family.py``).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from spec_model.mls.commit import CommittedProposal
from spec_model.mls.group import StagedCommit
from spec_model.mls.group_context import Extension, GroupContext, ProtocolVersion
from spec_model.mls.leaf_node import LeafNode
from spec_model.mls.proposals import PROPOSAL, Add, Update
from spec_model.mls.ratchet_tree import RatchetTree
from spec_model.mls.reasons import Rejected
from spec_model.mls.suites import suite
from spec_model.xmtp.commit_validation import CommitReason, ValidatedCommit, validate_commit
from spec_model.xmtp.credential import is_inbox_id, named_inbox
from spec_model.xmtp.extensions import read_membership
from spec_model.xmtp.identity import decode_update
from spec_model.xmtp.identity_log import IdentityLog
from spec_model.xmtp.key_package import CIPHER_SUITE
from spec_model.xmtp.profiles import PROFILES

from .family import Exchange, Hex
from .formats import Expected, Verdict

__all__ = ["PROFILES", "inputs_of", "rebuild", "summary", "validate", "decide", "Inputs", "Outputs"]



def _extensions_json(extensions) -> list[dict[str, Any]]:
    return [{"type": e.extension_type, "data": e.extension_data.hex()} for e in extensions]


def _extensions(data) -> tuple[Extension, ...]:
    return tuple(Extension(e["type"], bytes.fromhex(e["data"])) for e in data)


def _credential_inboxes(staged: StagedCommit) -> set[str]:
    leaves = [leaf for _, leaf in staged.old_tree.members()]
    leaves += [p.proposal.key_package.leaf_node for p in staged.proposals if isinstance(p.proposal, Add)]
    leaves += [p.proposal.leaf_node for p in staged.proposals if isinstance(p.proposal, Update)]
    leaves += [staged.path_leaf] if staged.path_leaf is not None else []
    return {inbox for inbox in (named_inbox(leaf.credential) for leaf in leaves) if is_inbox_id(inbox)}


def inputs_of(staged: StagedCommit, log: IdentityLog, *, own_version: str, profile: str) -> dict[str, Any]:
    """Everything validation reads from a staged commit and the identity log, as JSON."""
    old, new = staged.old_context.extensions, staged.new_context.extensions
    inboxes = set(read_membership(old).members) | set(read_membership(new).members) | _credential_inboxes(staged)
    return {
        "profile": profile,
        "own_version": own_version,
        "extensions_before": _extensions_json(old),
        "leaves_before": [leaf.encode().hex() if (leaf := staged.old_tree.leaf(i)) is not None else None
                          for i in range(staged.old_tree.n_leaves)],
        "committer": staged.committer,
        "proposals": [{"proposal": PROPOSAL.encode(p.proposal).hex(), "sender": p.sender} for p in staged.proposals],
        "path_leaf": staged.path_leaf.encode().hex() if staged.path_leaf is not None else None,
        "extensions_after": _extensions_json(new),
        "identity_logs": {inbox: [entry.update.encode().hex() for entry in log.updates(inbox)]
                          for inbox in sorted(inboxes) if log.latest_sequence_id(inbox)},
    }


def rebuild(inputs: dict[str, Any]) -> tuple[StagedCommit, IdentityLog]:
    """A ``StagedCommit`` and an ``IdentityLog`` from a case's inputs.

    The tree has the given leaves and blank parent nodes; the GroupContexts
    have the given extensions (validation reads nothing else of them, nor the
    post-commit tree, for which the pre-commit one stands in).
    """
    cs = suite(CIPHER_SUITE)
    leaves = inputs["leaves_before"]
    nodes: list = []
    for i, leaf in enumerate(leaves):
        nodes.append(LeafNode.decode(bytes.fromhex(leaf)) if leaf is not None else None)
        if i < len(leaves) - 1:
            nodes.append(None)
    tree = RatchetTree(cs, nodes)

    def context(extensions, epoch: int) -> GroupContext:
        return GroupContext(ProtocolVersion.mls10, cs.id, b"", epoch, b"", b"", _extensions(extensions))

    proposals = tuple(CommittedProposal(PROPOSAL.decode(bytes.fromhex(p["proposal"])), p["sender"])
                      for p in inputs["proposals"])
    path_leaf = LeafNode.decode(bytes.fromhex(inputs["path_leaf"])) if inputs["path_leaf"] is not None else None
    staged = StagedCommit(committer=inputs["committer"], external=False, proposals=proposals,
                          old_context=context(inputs["extensions_before"], 1),
                          new_context=context(inputs["extensions_after"], 2), old_tree=tree, new_tree=tree,
                          path_leaf=path_leaf)
    log = IdentityLog()
    for updates in inputs["identity_logs"].values():
        for update in updates:
            log.publish(decode_update(bytes.fromhex(update)))
    return staged, log


def summary(result: ValidatedCommit) -> dict[str, Any]:
    """The ValidatedCommit as JSON (lists sorted; metadata changes as field, old, new)."""
    return {
        "actor_inbox_id": result.actor_inbox_id,
        "added_inboxes": list(result.added_inboxes),
        "removed_inboxes": list(result.removed_inboxes),
        "metadata_changes": [{"field": k, "old": old, "new": new} for k, old, new in result.metadata_changes],
        "admins_added": list(result.admins_added),
        "admins_removed": list(result.admins_removed),
        "super_admins_added": list(result.super_admins_added),
        "super_admins_removed": list(result.super_admins_removed),
        "permissions_changed": result.permissions_changed,
        "minimum_version": result.minimum_version,
    }


def validate(staged: StagedCommit, log: IdentityLog, own_version: str, profile: str) -> tuple[dict[str, Any], Expected]:
    """The model's decision on ``staged`` in ``profile``: its outputs and its verdict."""
    try:
        result = validate_commit(staged, log.state_at, own_version=own_version, profile=PROFILES[profile])
    except Rejected as e:
        outputs = {}
        if e.reason == CommitReason.INSUFFICIENT_PERMISSIONS:
            outputs["permission_reason"] = e.cause.reason.value
        return outputs, Expected(result=Verdict.INVALID, reason=e.reason.value)
    return summary(result), Expected(result=Verdict.VALID)


def decide(inputs: dict[str, Any]) -> tuple[dict[str, Any], Expected]:
    """The model's decision on the commit a case's ``inputs`` describe."""
    staged, log = rebuild(inputs)
    return validate(staged, log, inputs["own_version"], inputs["profile"])


class ExtensionJson(Exchange):
    type: int = Field(description="the extension type")
    data: Hex


class ProposalJson(Exchange):
    proposal: Hex = Field(description="a TLS Proposal")
    sender: int = Field(description="the leaf index of its proposer")


class Inputs(Exchange):
    profile: Literal["seed", "libxmtp"]
    own_version: str = Field(description="the receiving client's protocol version")
    extensions_before: list[ExtensionJson]
    leaves_before: list[Hex | None] = Field(description="the pre-commit tree's leaves (LeafNode), null if blank")
    committer: int = Field(description="the committer's leaf index")
    proposals: list[ProposalJson]
    path_leaf: Hex | None = Field(description="the LeafNode of the commit's UpdatePath, or null")
    extensions_after: list[ExtensionJson]
    identity_logs: dict[str, list[Hex]] = Field(description="inbox id -> its IdentityUpdate protobufs in order")


class MetadataChange(Exchange):
    field: str
    old: str | None
    new: str | None


class Outputs(Exchange):
    """The ValidatedCommit summary of a valid commit, or the XIP-47 reason of insufficient_permissions."""

    actor_inbox_id: str | None = None
    added_inboxes: list[str] | None = None
    removed_inboxes: list[str] | None = None
    metadata_changes: list[MetadataChange] | None = None
    admins_added: list[str] | None = None
    admins_removed: list[str] | None = None
    super_admins_added: list[str] | None = None
    super_admins_removed: list[str] | None = None
    permissions_changed: bool | None = None
    minimum_version: str | None = None
    permission_reason: str | None = Field(None, description="insufficient_permissions: the XIP-47 rule")

