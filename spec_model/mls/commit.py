"""RFC 9420 §12.2–§12.4: the Commit message, proposal-list validation and application.

A commit covers proposals by value or by reference. Before anything changes,
the list is validated (§12.2) as a sequence of plain checks, each raising
``Rejected`` with its reason; then it is applied to a copy of the tree and
the group context extensions in the order §12.3 prescribes.
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

from .codec import Annotated, Optional, Struct, Vector
from .extensions import (
    DEFAULT_EXTENSION_TYPES, ExtensionType, RequiredCapabilities, find_extension, supports_required,
)
from .group_context import Extension, GroupContext
from .key_package import KeyPackage
from .leaf_node import FromUpdate
from .proposals import (
    PROPOSAL_OR_REF, Add, ExternalInit, GroupContextExtensions, PreSharedKey, Proposal, ProposalOrRef,
    ReInit, Remove, Update,
)
from .psk import PreSharedKeyID, PSKType, ResumptionPSKUsage
from .ratchet_tree import RatchetTree
from .reasons import Reason, Rejected
from .treekem import UpdatePath
from .validation import validate_key_package, validate_leaf_node

__all__ = [
    "Commit", "CommittedProposal", "AppliedProposals", "path_required", "validate_proposal_list",
    "apply_proposals",
]


class Commit(Struct):
    """RFC 9420 §12.4: ``Commit``: proposals by value or reference, and an optional UpdatePath."""

    proposals: Annotated[tuple[ProposalOrRef, ...], Vector(PROPOSAL_OR_REF)]
    path: Annotated[UpdatePath | None, Optional(UpdatePath)]


@dataclasses.dataclass(frozen=True)
class CommittedProposal:
    """RFC 9420 §12.4: A proposal a commit covers, with the leaf index of its sender (``None``: not a member)."""

    proposal: Proposal
    sender: int | None


_PATH_NOT_REQUIRED = (Add, PreSharedKey, ReInit)


def path_required(proposals: Sequence[CommittedProposal]) -> bool:
    """RFC 9420 §12.4: an empty commit, or one covering any type but add, psk and reinit, needs a path."""
    return not proposals or any(not isinstance(p.proposal, _PATH_NOT_REQUIRED) for p in proposals)


def validate_proposal_list(proposals: Sequence[CommittedProposal], committer: int | None, tree: RatchetTree,
                           context: GroupContext, *, now: int | None = None,
                           resumption_usage: ResumptionPSKUsage = ResumptionPSKUsage.application) -> None:
    """RFC 9420 §12.2 (and each proposal's rules in §12.1): raise ``Rejected`` if the list is invalid.

    ``committer`` is the committer's leaf index, or ``None`` for an external commit.
    ``resumption_usage`` is the usage resumption PSK proposals may have:
    ``application``, except in the first commit of a reinitialized or branched
    group (§12.1.4, §11.2, §11.3). Tree-level rules that
    need the applied list (leaf validity of Adds against the new tree) run in
    ``apply_proposals``.
    """
    cs = tree.cs
    external = committer is None
    by_type: dict[type, list[CommittedProposal]] = {}
    for p in proposals:
        by_type.setdefault(type(p.proposal), []).append(p)
    updates, removes = by_type.get(Update, []), by_type.get(Remove, [])

    if external:
        if len(by_type.get(ExternalInit, [])) != 1:
            raise Rejected(Reason.INVALID_EXTERNAL_COMMIT, "an external commit has exactly one ExternalInit")
        if len(removes) > 1 or set(by_type) - {ExternalInit, Remove, PreSharedKey}:
            raise Rejected(Reason.INVALID_EXTERNAL_COMMIT,
                           "an external commit has at most one Remove, PSKs and nothing else")
    else:
        if ExternalInit in by_type:
            raise Rejected(Reason.EXTERNAL_INIT_IN_MEMBER_COMMIT)
        if ReInit in by_type and len(proposals) > 1:
            raise Rejected(Reason.REINIT_NOT_ALONE)
    if len(by_type.get(GroupContextExtensions, [])) > 1:
        raise Rejected(Reason.MULTIPLE_GROUP_CONTEXT_EXTENSIONS)

    touched: set[int] = set()
    for p in updates:
        leaf_index = p.sender
        if leaf_index is None:
            raise Rejected(Reason.INVALID_PROPOSAL, "an Update is sent by a member")
        if leaf_index == committer:
            raise Rejected(Reason.UPDATE_BY_COMMITTER)
        current = tree.leaf(leaf_index)
        if current is None:
            raise Rejected(Reason.INVALID_PROPOSAL, f"Update from blank leaf {leaf_index}")
        if p.proposal.leaf_node.encryption_key == current.encryption_key:
            raise Rejected(Reason.INVALID_LEAF_NODE, "Update keeps the old encryption key (§12.1.2)")
        validate_leaf_node(p.proposal.leaf_node, tree.membership, cs, context, expected_source=FromUpdate,
                           leaf_index=leaf_index, replacing=(leaf_index, current))
        if leaf_index in touched:
            raise Rejected(Reason.DUPLICATE_UPDATE_OR_REMOVE, f"leaf {leaf_index}")
        touched.add(leaf_index)
    for p in removes:
        removed = p.proposal.removed
        if removed >= tree.n_leaves or tree.leaf(removed) is None:
            raise Rejected(Reason.INVALID_PROPOSAL, f"Remove of blank leaf {removed} (§12.1.3)")
        if removed == committer:
            raise Rejected(Reason.REMOVES_COMMITTER)
        if removed in touched:
            raise Rejected(Reason.DUPLICATE_UPDATE_OR_REMOVE, f"leaf {removed}")
        touched.add(removed)

    adds = by_type.get(Add, [])
    removed_keys = {tree.leaf(p.proposal.removed).signature_key for p in removes}
    added_keys: set[bytes] = set()
    for p in adds:
        key = p.proposal.key_package.leaf_node.signature_key
        if key in added_keys:
            raise Rejected(Reason.DUPLICATE_ADD)
        if key in tree.membership.signature_keys and key not in removed_keys:
            raise Rejected(Reason.ADD_OF_MEMBER)
        added_keys.add(key)

    seen_psks: set[bytes] = set()
    for p in by_type.get(PreSharedKey, []):
        psk = p.proposal.psk
        if len(psk.psk_nonce) != cs.Nh:
            raise Rejected(Reason.INVALID_PROPOSAL, "psk_nonce is not Nh bytes (§8.4)")
        if psk.psktype == PSKType.resumption and psk.usage != resumption_usage:
            raise Rejected(Reason.INVALID_PROPOSAL, f"resumption PSK usage {psk.usage.name} here (§12.1.4)")
        encoded = psk.encode()
        if encoded in seen_psks:
            raise Rejected(Reason.DUPLICATE_PSK)
        seen_psks.add(encoded)

    for p in by_type.get(ReInit, []):
        if p.proposal.version < context.version:
            raise Rejected(Reason.INVALID_PROPOSAL, "ReInit to an older protocol version (§12.1.5)")


@dataclasses.dataclass
class AppliedProposals:
    """RFC 9420 §12.3: the outcome of applying a proposal list."""

    tree: RatchetTree
    extensions: tuple[Extension, ...]
    added: list[tuple[int, KeyPackage]]
    psks: list[PreSharedKeyID]
    external_init: ExternalInit | None
    reinit: ReInit | None


def apply_proposals(proposals: Sequence[CommittedProposal], tree: RatchetTree, context: GroupContext, *,
                    now: int | None = None) -> AppliedProposals:
    """RFC 9420 §12.3: apply a validated list to a copy of ``tree``, in the prescribed order.

    GroupContextExtensions first (checked against every remaining member's
    capabilities, §12.1.7), then Updates, Removes, and Adds in list order (each
    key package validated against the new context and tree, §10.1); PSKs,
    ExternalInit and ReInit are collected.
    """
    tree = tree.copy()
    extensions = context.extensions
    for p in proposals:
        if isinstance(p.proposal, GroupContextExtensions):
            extensions = p.proposal.extensions
    new_context = context.replace(extensions=extensions)
    for p in proposals:
        if isinstance(p.proposal, Update):
            tree.update_leaf(p.sender, p.proposal.leaf_node)
    for p in proposals:
        if isinstance(p.proposal, Remove):
            tree.remove_leaf(p.proposal.removed)
    if extensions != context.extensions:
        _check_extensions_supported(extensions, tree, new_context)
    added = []
    adds = [p.proposal.key_package for p in proposals if isinstance(p.proposal, Add)]
    for key_package in adds:  # each against the members so far, the ones added before it included
        validate_key_package(key_package, tree.membership, tree.cs, new_context, now=now)
        leaf_index = tree.add_leaf(key_package.leaf_node)
        added.append((leaf_index, key_package))
    return AppliedProposals(
        tree=tree,
        extensions=extensions,
        added=added,
        psks=[p.proposal.psk for p in proposals if isinstance(p.proposal, PreSharedKey)],
        external_init=next((p.proposal for p in proposals if isinstance(p.proposal, ExternalInit)), None),
        reinit=next((p.proposal for p in proposals if isinstance(p.proposal, ReInit)), None),
    )


def _check_extensions_supported(extensions: tuple[Extension, ...], tree: RatchetTree,
                                context: GroupContext) -> None:
    """RFC 9420 §12.1.7, §11.1: every member supports the new extensions and required capabilities."""
    types = {e.extension_type for e in extensions}
    if len(types) != len(extensions):
        raise Rejected(Reason.INVALID_PROPOSAL, "an extension type appears twice (§13.4)")
    required_data = find_extension(extensions, ExtensionType.required_capabilities)
    required = RequiredCapabilities.decode(required_data) if required_data is not None else None
    for i, leaf in tree.members():
        caps = leaf.capabilities
        if types - set(caps.extensions) - DEFAULT_EXTENSION_TYPES:
            raise Rejected(Reason.UNSUPPORTED_EXTENSION, f"leaf {i} does not support {sorted(types)}")
        if required is not None and not supports_required(caps, required):
            raise Rejected(Reason.UNSUPPORTED_EXTENSION, f"leaf {i} lacks a required capability")
