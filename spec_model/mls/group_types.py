"""RFC 9420 §8, §12: the values a ``Group`` holds and returns: its configuration, an epoch's state, a
commit staged or pending, and what processing a message yields."""

from __future__ import annotations

import dataclasses
from typing import Callable, Mapping

from .commit import CommittedProposal
from .group_context import GroupContext
from .key_schedule import EpochSecrets
from .leaf_node import LeafNode
from .message import MLSMessage
from .proposals import Proposal, ReInit
from .ratchet_tree import RatchetTree
from .secret_tree import SecretTree, SenderRatchetConfiguration, XMTP_RATCHET_CONFIGURATION
from .welcome import GroupInfo

__all__ = [
    "PskStore", "GroupConfig", "EpochState", "CachedProposal", "ApplicationMessage", "ProposalMessage",
    "CommitMessage", "Processed", "StagedCommit", "CommitPolicy", "PendingCommit",
]

PskStore = Mapping[bytes, bytes]
"""External PSKs known to this client: ``psk_id`` -> PSK value (§8.4)."""


@dataclasses.dataclass(frozen=True)
class GroupConfig:
    """RFC 9420 §8.4, §9.1, §12.4.3.3: local policy choices RFC 9420 leaves to the application (XMTP's values by default)."""

    max_past_epochs: int = 3
    """How many past epochs keep their secret trees for late application messages (libxmtp: 3)."""
    ratchet: SenderRatchetConfiguration = XMTP_RATCHET_CONFIGURATION
    """Out-of-order tolerance and maximum forward distance of sender ratchets (§9.1; libxmtp 5 and 1000)."""
    padding: int = 0
    """Zero bytes of padding added to each PrivateMessage (§6.3.1)."""
    use_ratchet_tree_extension: bool = True
    """Include the ratchet tree in the GroupInfo of a Welcome (§12.4.3.3)."""


@dataclasses.dataclass
class EpochState:
    """RFC 9420 §8, §9: Everything a member holds for one epoch."""

    context: GroupContext
    tree: RatchetTree
    secrets: EpochSecrets
    interim_transcript_hash: bytes
    secret_tree: SecretTree
    private_keys: dict[int, bytes]
    """Node index -> HPKE private key this member holds (its own leaf and parts of its direct path)."""
    confirmation_tag: bytes
    """The confirmation tag of the commit that started this epoch (§6.1), as a GroupInfo carries it."""


@dataclasses.dataclass(frozen=True)
class CachedProposal:
    """RFC 9420 §12.1: a proposal received (or sent) in this epoch, kept for commits by reference."""

    proposal: Proposal
    sender: int | None


@dataclasses.dataclass(frozen=True)
class ApplicationMessage:
    """RFC 9420 §6.3: an application message decrypted."""

    sender: int
    epoch: int
    data: bytes
    authenticated_data: bytes


@dataclasses.dataclass(frozen=True)
class ProposalMessage:
    """RFC 9420 §12.1: a proposal validated and cached for a later commit."""

    ref: bytes
    proposal: Proposal
    sender: int | None


@dataclasses.dataclass(frozen=True)
class CommitMessage:
    """RFC 9420 §12.4.2: A commit processed: the group is now in ``epoch``.

    ``sender`` is the committer's leaf index (for an external commit, the leaf it
    joined at; ``None`` if we were removed before it was placed).
    """

    sender: int | None
    epoch: int
    proposals: tuple[CommittedProposal, ...]
    removed_self: bool
    external: bool


Processed = ApplicationMessage | ProposalMessage | CommitMessage


@dataclasses.dataclass(frozen=True, kw_only=True)
class StagedCommit:
    """RFC 9420 §12.2, §12.4.2: a commit that passed every RFC 9420 check, before it becomes the group's state.

    RFC 9420 §12.2 lets an application add its own rules ("for example,
    requiring application-level permissions"): ``Group.process`` hands this to
    a ``commit_policy`` callable, which may raise ``Rejected`` to refuse it.
    """

    committer: int
    """The committer's leaf index (for an external commit, the leaf it takes)."""
    external: bool
    proposals: tuple[CommittedProposal, ...]
    old_context: GroupContext
    new_context: GroupContext
    old_tree: RatchetTree
    new_tree: RatchetTree
    path_leaf: LeafNode | None


CommitPolicy = Callable[[StagedCommit], None]


@dataclasses.dataclass
class PendingCommit:
    """RFC 9420 §12.4.1: a commit created but not yet merged."""

    message: MLSMessage
    welcome: MLSMessage | None
    group_info: GroupInfo | None
    """RFC 9420 §12.4.3.1: the signed GroupInfo its Welcome carries; ``None`` when it adds no one (nothing else
    reads it)."""
    next_state: EpochState
    proposals: tuple[CommittedProposal, ...]
    secret_tree: SecretTree
    """This epoch's secret tree after protecting the commit (a copy until merged)."""
    reinit: ReInit | None
    staged: StagedCommit
    """The commit as a receiver's ``commit_policy`` sees it (the committer checks its own commits too)."""
