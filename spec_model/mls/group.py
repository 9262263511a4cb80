"""RFC 9420 §11–§12: one member's state of a group, and everything that changes it.

Theory of operation
-------------------
``Group`` is the one place where MLS state evolves. Its current epoch is an
``EpochState``: the GroupContext, the public ratchet tree, the private keys
this member holds for tree nodes, the epoch secrets, the secret tree and the
interim transcript hash. A member

* creates a group (§11) or joins one from a Welcome (§12.4.3.1);
* sends proposals and application messages (§12.1, §6.3), as PublicMessage or
  PrivateMessage;
* commits (§12.4.1): ``commit`` returns a ``PendingCommit`` holding the next
  epoch's state, the commit message and the Welcome; the state becomes
  current with ``merge_pending_commit`` (XMTP merges once the delivery service
  has accepted the commit);
* processes what others send (§12.4.2): ``process`` returns what the message
  was and, for a commit, moves to the next epoch.

Atomicity: processing builds the next epoch's state aside and swaps it in
only after every check has passed; a rejected message (``Rejected`` with a
``Reason``) leaves the group exactly as it was, secret-tree ratchets included.
Past epochs' secret trees are kept (``max_past_epochs``, XMTP keeps 3) so that
late application messages still decrypt.
"""

from __future__ import annotations

import dataclasses
from typing import Mapping

from . import tree_math as tm
from .commit import (
    AppliedProposals, Commit, CommittedProposal, apply_proposals, path_required, validate_proposal_list,
)
from .extensions import EXTERNAL_SENDERS, ExtensionType, ExternalPub, find_extension
from .framing import (
    AuthenticatedContent, ContentType, ExternalSender, FramedContent, MemberSender,
    NewMemberCommitSender, NewMemberProposalSender, PrivateMessage, PublicMessage, WireFormat,
    protect_private, protect_public, sign_content, unprotect_private, unprotect_public,
    validate_content, verify_content_signature,
)
from .group_context import Extension, GroupContext, ProtocolVersion
from .hpke import DecryptError
from .key_package import KeyPackage
from .key_schedule import EpochSecrets, confirmation_tag, derive_epoch_secrets, export, key_schedule, welcome_secret
from .leaf_node import FromCommit, FromUpdate, LeafNode
from .message import MLSMessage
from .proposals import (
    Add, ExternalInit, PreSharedKey, Proposal, ProposalByReference, ProposalByValue, ReInit, Remove, Update,
)
from .psk import PreSharedKeyID, PSKType, ResumptionPSKUsage, psk_secret
from .ratchet_tree import RATCHET_TREE, OccupiedLeaves, RatchetTree
from .reasons import Reason, Rejected
from .secret_tree import SecretTree
from .suites import CipherSuite, Rng, suite
from .transcript import confirmed_transcript_hash, interim_transcript_hash
from .treekem import PathKeys, UpdatePath, apply_update_path, create_update_path, derive_path_keys
from .validation import validate_leaf_node
from .group_types import (
    ApplicationMessage, CachedProposal, CommitMessage, CommitPolicy, EpochState, GroupConfig, PendingCommit, Processed,
    PskStore, ProposalMessage, StagedCommit,
)
from .joining import check_resumption, verified_tree
from .welcome import (
    GroupInfo, GroupSecrets, PathSecret, Welcome, decrypt_group_info,
    decrypt_group_secrets, encrypt_group_info, encrypt_group_secrets,
)

__all__ = [
    "GroupConfig", "EpochState", "Group", "PendingCommit", "PskStore", "ApplicationMessage",
    "ProposalMessage", "CommitMessage", "Processed", "StagedCommit", "CommitPolicy", "external_proposal",
    "new_member_proposal",
]

class Group:
    """RFC 9420 §11–§12: a member's view of a group."""

    def __init__(self, cs: CipherSuite, own_leaf: int, signature_priv: bytes, state: EpochState,
                 config: GroupConfig, psks: PskStore):
        self.cs = cs
        self.own_leaf = own_leaf
        self.signature_priv = signature_priv
        self.state = state
        self.config = config
        self.psks = psks
        self.resumption_psks: dict[tuple[bytes, int], bytes] = {}
        """(group id, epoch) -> resumption_psk: this group's epochs, and those of a group it resumes (§8.6)."""
        if state is not None:
            self.resumption_psks[(state.context.group_id, state.context.epoch)] = state.secrets.resumption_psk
        self.past_states: dict[int, EpochState] = {}
        self.proposals: dict[bytes, CachedProposal] = {}
        self.pending_commit: PendingCommit | None = None
        self.update_keys: dict[bytes, bytes] = {}
        """Encryption public key -> private key of our own Update proposals in this epoch."""
        self.active = True
        """False once this member is removed or the group is reinitialized (§12.4.2, §11.2)."""
        self.reinit: ReInit | None = None
        """The ReInit proposal of the commit that closed this group, if any (§11.2)."""
        self.added_by_leaf: int | None = None
        """For a member that joined from a Welcome: the leaf of the GroupInfo's signer (the committer)."""

    # ------------------------------------------------------------------ reading

    @property
    def context(self) -> GroupContext:
        """RFC 9420 §8.1: the ``GroupContext`` of the current epoch."""
        return self.state.context

    @property
    def group_id(self) -> bytes:
        """RFC 9420 §8.1: the group id."""
        return self.state.context.group_id

    @property
    def epoch(self) -> int:
        """RFC 9420 §8.1: the current epoch."""
        return self.state.context.epoch

    @property
    def tree(self) -> RatchetTree:
        """RFC 9420 §7.8: the ratchet tree of the current epoch."""
        return self.state.tree

    @property
    def epoch_authenticator(self) -> bytes:
        """RFC 9420 §8.7: the epoch authenticator, equal for all members in the same state."""
        return self.state.secrets.epoch_authenticator

    def members(self) -> list[tuple[int, LeafNode]]:
        """RFC 9420 §7.8: (leaf index, LeafNode) of every non-blank leaf."""
        return list(self.state.tree.members())

    def export_secret(self, label: bytes, context: bytes, length: int) -> bytes:
        """RFC 9420 §8.5: ``MLS-Exporter(label, context, length)`` for the current epoch."""
        return export(self.cs, self.state.secrets.exporter_secret, label, context, length)

    # ------------------------------------------------------------------ creation

    @classmethod
    def create(cls, cs: CipherSuite, group_id: bytes, leaf_node: LeafNode, encryption_priv: bytes,
               signature_priv: bytes, extensions: tuple[Extension, ...] = (), *,
               config: GroupConfig = GroupConfig(), psks: PskStore | None = None,
               rng: Rng | None = None) -> "Group":
        """RFC 9420 §11: a one-member group in epoch 0 with a random ``init_secret``."""
        tree = RatchetTree(cs, [leaf_node])
        context = GroupContext(ProtocolVersion.mls10, cs.id, group_id, 0, tree.tree_hash(), b"", extensions)
        secrets = key_schedule(cs, cs.random(cs.Nh, rng), None, None, context)
        tag = confirmation_tag(cs, secrets.confirmation_key, b"")
        state = EpochState(context, tree, secrets, interim_transcript_hash(cs, b"", tag),
                           SecretTree(cs, secrets.encryption_secret, 1, config.ratchet), {0: encryption_priv}, tag)
        return cls(cs, 0, signature_priv, state, config, psks or {})

    @classmethod
    def join(cls, welcome: Welcome, key_package: KeyPackage, init_priv: bytes, encryption_priv: bytes,
             signature_priv: bytes, *, ratchet_tree: RatchetTree | bytes | None = None,
             config: GroupConfig = GroupConfig(), psks: PskStore | None = None,
             previous_group: "Group | None" = None, now: int | None = None) -> "Group":
        """RFC 9420 §12.4.3.1: join from a Welcome; raises ``Rejected`` (or ``DecodeError``).

        ``ratchet_tree`` is the tree sent beside the Welcome, decoded or encoded (``joining.verified_tree``).
        ``previous_group`` is the group a reinit or branch Welcome resumes: it
        supplies the resumption PSK and is checked against the new group (§11.2, §11.3).
        """
        if welcome.cipher_suite != key_package.cipher_suite:
            raise Rejected(Reason.WELCOME_MISMATCH, "the Welcome's cipher suite is not the key package's")
        cs = suite(welcome.cipher_suite)
        psks = psks or {}
        secrets = decrypt_group_secrets(cs, welcome, key_package.ref(cs), init_priv)
        resumption = previous_group.resumption_psks if previous_group is not None else {}
        psk_values = _lookup_psks(secrets.psks, psks, resumption)
        psk = psk_secret(cs, list(zip(secrets.psks, psk_values)))
        group_info = decrypt_group_info(cs, welcome_secret(cs, secrets.joiner_secret, psk),
                                        welcome.encrypted_group_info)
        context = group_info.group_context
        if context.cipher_suite != key_package.cipher_suite or context.version != key_package.version:
            raise Rejected(Reason.WELCOME_MISMATCH, "the GroupInfo's suite or version is not the key package's")
        tree = verified_tree(cs, group_info, ratchet_tree)
        check_resumption(secrets.psks, context, tree, previous_group.state if previous_group is not None else None,
                         previous_group.reinit if previous_group is not None else None)
        own = next((i for i, leaf in tree.members() if leaf == key_package.leaf_node), None)
        if own is None:
            raise Rejected(Reason.NOT_FOR_US, "our leaf node is not in the tree")

        private_keys = {2 * own: encryption_priv}
        if secrets.path_secret is not None:
            ancestor = tm.common_ancestor(2 * own, 2 * group_info.signer)
            private_keys |= derive_path_keys(cs, tree, ancestor, secrets.path_secret.path_secret).private_keys
        epoch = derive_epoch_secrets(cs, secrets.joiner_secret, psk, context.encode())
        tag = confirmation_tag(cs, epoch.confirmation_key, context.confirmed_transcript_hash)
        if tag != group_info.confirmation_tag:
            raise Rejected(Reason.BAD_CONFIRMATION_TAG, "GroupInfo confirmation tag")
        state = EpochState(context, tree, epoch,
                           interim_transcript_hash(cs, context.confirmed_transcript_hash, tag),
                           SecretTree(cs, epoch.encryption_secret, tree.n_leaves, config.ratchet),
                           private_keys, tag)
        group = cls(cs, own, signature_priv, state, config, psks)
        group.added_by_leaf = group_info.signer
        return group

    @classmethod
    def join_external(cls, group_info: GroupInfo, leaf_node: LeafNode, signature_priv: bytes, *,
                      ratchet_tree: RatchetTree | None = None, resync: int | None = None,
                      psk_ids: tuple[PreSharedKeyID, ...] = (), psks: PskStore | None = None,
                      config: GroupConfig = GroupConfig(), authenticated_data: bytes = b"",
                      rng: Rng | None = None) -> tuple["Group", MLSMessage]:
        """RFC 9420 §12.4.3.2: join by external commit; returns the group (in the new epoch) and the commit.

        ``leaf_node`` is the template of our leaf (its keys and signature are
        replaced by the path); ``resync`` removes our old appearance at that
        leaf. The commit is a PublicMessage from ``new_member_commit``.
        """
        cs = suite(group_info.group_context.cipher_suite)
        context = group_info.group_context
        tree = verified_tree(cs, group_info, ratchet_tree)
        data = find_extension(group_info.extensions, ExtensionType.external_pub)
        if data is None:
            raise Rejected(Reason.NO_EXTERNAL_PUB)
        ikm_e = cs.random(cs.hpke.kem.Nsk, rng) if rng else None
        kem_output, hpke_context = cs.hpke.setup_base_s(ExternalPub.decode(data).external_pub, b"", ikm_e)
        init_secret = hpke_context.export(b"MLS 1.0 external init secret", cs.Nh)  # §8.3
        proposals = (ExternalInit(kem_output), *([Remove(resync)] if resync is not None else ()),
                     *(PreSharedKey(p) for p in psk_ids))
        staging = _stage(cs, tree, context, {}, [CommittedProposal(p, None) for p in proposals], None)
        applied, new_tree, new_context = staging.applied, staging.tree, staging.context
        own = new_tree.add_leaf(leaf_node)
        path, path_keys = create_update_path(
            cs, new_tree, own, signature_priv, context.group_id,
            lambda tree_hash: new_context.replace(tree_hash=tree_hash).encode(), leaf_node=leaf_node, rng=rng)
        commit = Commit(tuple(ProposalByValue(p) for p in proposals), path)
        content = FramedContent(context.group_id, context.epoch, NewMemberCommitSender(), authenticated_data, commit)
        ac = sign_content(cs, WireFormat.mls_public_message, content, context, signature_priv)
        group = cls(cs, own, signature_priv, None, config, psks or {})
        interim = interim_transcript_hash(cs, context.confirmed_transcript_hash, group_info.confirmation_tag)
        state, tag, _ = group._next_epoch(ac, applied, new_tree, new_context, path_keys.private_keys,
                                          path_keys.commit_secret, init_secret, interim)
        ac = dataclasses.replace(ac, auth=dataclasses.replace(ac.auth, confirmation_tag=tag))
        group._advance(state)
        return group, MLSMessage(protect_public(cs, ac, context, None))

    def reinit_group(self, key_packages: tuple[KeyPackage, ...], leaf_node: LeafNode, encryption_priv: bytes,
                     signature_priv: bytes, *, rng: Rng | None = None) -> tuple["Group", PendingCommit]:
        """RFC 9420 §11.2: after a ReInit, create the new group and its first commit (epoch 1) with a Welcome.

        The commit adds ``key_packages`` (the old members' new key packages)
        and injects the old group's resumption PSK with usage ``reinit``.
        """
        if self.reinit is None:
            raise ValueError("no ReInit has been committed in this group")
        reinit = self.reinit
        return self._resume(suite(reinit.cipher_suite), reinit.group_id, reinit.extensions, ResumptionPSKUsage.reinit,
                            key_packages, leaf_node, encryption_priv, signature_priv, rng)

    def branch(self, group_id: bytes, key_packages: tuple[KeyPackage, ...], leaf_node: LeafNode,
               encryption_priv: bytes, signature_priv: bytes, *,
               rng: Rng | None = None) -> tuple["Group", PendingCommit]:
        """RFC 9420 §11.3: a subgroup of this group's members, linked by a resumption PSK with usage ``branch``."""
        return self._resume(self.cs, group_id, self.context.extensions, ResumptionPSKUsage.branch, key_packages,
                            leaf_node, encryption_priv, signature_priv, rng)

    def _resume(self, cs: CipherSuite, group_id: bytes, extensions: tuple[Extension, ...],
                usage: ResumptionPSKUsage, key_packages: tuple[KeyPackage, ...], leaf_node: LeafNode,
                encryption_priv: bytes, signature_priv: bytes, rng: Rng | None) -> tuple["Group", PendingCommit]:
        group = Group.create(cs, group_id, leaf_node, encryption_priv, signature_priv, extensions,
                             config=self.config, psks=self.psks, rng=rng)
        group.resumption_psks.update(self.resumption_psks)
        psk = PreSharedKeyID.resumption(usage, self.group_id, self.epoch, cs.random(cs.Nh, rng))
        pending = group.commit((*(Add(kp) for kp in key_packages), PreSharedKey(psk)), resumption_usage=usage,
                               rng=rng)
        group.merge_pending_commit()
        return group, pending

    # ------------------------------------------------------------------ sending

    def _frame(self, body, authenticated_data: bytes) -> FramedContent:
        return FramedContent(self.group_id, self.epoch, MemberSender(self.own_leaf), authenticated_data, body)

    def _protect(self, ac: AuthenticatedContent, s: EpochState, rng: Rng | None) -> MLSMessage:
        if ac.wire_format == WireFormat.mls_public_message:
            return MLSMessage(protect_public(self.cs, ac, s.context, s.secrets.membership_key))
        return MLSMessage(protect_private(self.cs, ac, s.secret_tree, s.secrets.sender_data_secret,
                                          self.config.padding, rng))

    def send_application(self, data: bytes, authenticated_data: bytes = b"", *,
                         rng: Rng | None = None) -> MLSMessage:
        """RFC 9420 §6.3: an application message, always a PrivateMessage."""
        self._check_active()
        ac = sign_content(self.cs, WireFormat.mls_private_message, self._frame(data, authenticated_data),
                          self.context, self.signature_priv)
        return self._protect(ac, self.state, rng)

    def propose(self, proposal: Proposal, *, private: bool = False, authenticated_data: bytes = b"",
                rng: Rng | None = None) -> MLSMessage:
        """RFC 9420 §12.1: send a proposal; it is cached for our own commits by reference."""
        self._check_active()
        wire_format = WireFormat.mls_private_message if private else WireFormat.mls_public_message
        ac = sign_content(self.cs, wire_format, self._frame(proposal, authenticated_data), self.context,
                          self.signature_priv)
        self.proposals[self.cs.make_proposal_ref(ac.encode())] = CachedProposal(proposal, self.own_leaf)
        return self._protect(ac, self.state, rng)

    def update_proposal(self, *, leaf_node: LeafNode | None = None, private: bool = False,
                        rng: Rng | None = None) -> tuple[MLSMessage, bytes]:
        """RFC 9420 §12.1.2: propose a fresh leaf (new encryption key); returns the message and new private key."""
        priv, pub = self.cs.derive_key_pair(self.cs.random(self.cs.Nh, rng))
        template = leaf_node or self.tree.leaf(self.own_leaf)
        leaf = template.replace(encryption_key=pub, source=FromUpdate()).signed(
            self.cs, self.signature_priv, self.group_id, self.own_leaf)
        message = self.propose(Update(leaf), private=private, rng=rng)
        self.update_keys[leaf.encryption_key] = priv
        return message, priv

    def commit(self, proposals: tuple[Proposal, ...] = (), *, by_reference: tuple[bytes, ...] | None = None,
               force_path: bool = True, private: bool = False, authenticated_data: bytes = b"",
               leaf_node: LeafNode | None = None, now: int | None = None,
               resumption_usage: ResumptionPSKUsage = ResumptionPSKUsage.application,
               rng: Rng | None = None) -> PendingCommit:
        """RFC 9420 §12.4.1: commit the cached proposals (``by_reference``: which ones; default all)
        and ``proposals`` by value. Nothing changes until ``merge_pending_commit``.

        ``resumption_usage`` is for the first commit of a reinit or branch only (§11.2, §11.3).
        """
        self._check_active()
        cs, s = self.cs, self.state
        refs = tuple(self.proposals) if by_reference is None else by_reference
        covered = [CommittedProposal(self.proposals[r].proposal, self.proposals[r].sender) for r in refs]
        covered += [CommittedProposal(p, self.own_leaf) for p in proposals]
        staging = _stage(cs, s.tree, s.context, s.private_keys, covered, self.own_leaf, now=now,
                         resumption_usage=resumption_usage)
        applied, tree, new_context, private_keys = staging.applied, staging.tree, staging.context, staging.private_keys
        path, path_keys = None, None
        if force_path or path_required(covered):
            excluded = {i for i, _ in applied.added}  # §7.6: left out of every resolution (a set: looked up per leaf)
            path, path_keys = create_update_path(
                cs, tree, self.own_leaf, self.signature_priv, self.group_id,
                lambda tree_hash: new_context.replace(tree_hash=tree_hash,
                                                      confirmed_transcript_hash=s.context.confirmed_transcript_hash
                                                      ).encode(),
                leaf_node=leaf_node, excluded=excluded, rng=rng)
            private_keys = _retained_keys(cs, private_keys, tree) | path_keys.private_keys
        commit = Commit(tuple(ProposalByReference(r) for r in refs)
                        + tuple(ProposalByValue(p) for p in proposals), path)
        wire_format = WireFormat.mls_private_message if private else WireFormat.mls_public_message
        ac = sign_content(cs, wire_format, self._frame(commit, authenticated_data), s.context, self.signature_priv)
        next_state, tag, psk = self._next_epoch(ac, applied, tree, new_context, private_keys,
                                                path_keys.commit_secret if path_keys else None)
        ac = dataclasses.replace(ac, auth=dataclasses.replace(ac.auth, confirmation_tag=tag))
        trial = dataclasses.replace(s, secret_tree=s.secret_tree.copy())
        message = self._protect(ac, trial, rng)
        group_info = self._group_info(next_state) if applied.added else None
        welcome = self._welcome(next_state, psk, group_info, applied, path_keys, rng) if applied.added else None
        staged = staging.staged_commit(self.own_leaf, external=False, new_context=next_state.context,
                                       path_leaf=path.leaf_node if path else None)
        self.pending_commit = PendingCommit(message, welcome, group_info, next_state, staging.covered,
                                            trial.secret_tree, applied.reinit, staged)
        return self.pending_commit

    def merge_pending_commit(self) -> None:
        """RFC 9420 §12.4.1: make the pending commit's epoch current."""
        if self.pending_commit is None:
            raise ValueError("no pending commit")
        self.state.secret_tree = self.pending_commit.secret_tree
        self._advance(self.pending_commit.next_state, self.pending_commit.reinit)

    def clear_pending_commit(self) -> None:
        """RFC 9420 §12.4.1: Discard a commit that the delivery service did not accept."""
        self.pending_commit = None

    # ------------------------------------------------------------------ receiving

    def process(self, message: MLSMessage, *, now: int | None = None,
                commit_policy: CommitPolicy | None = None, merge_own_removal: bool = False) -> Processed:
        """RFC 9420 §6.3, §12.1, §12.4.2: process a PublicMessage or PrivateMessage.

        ``commit_policy`` sees every commit that passed the RFC 9420 checks and
        may refuse it (§12.2: application rules). Raises ``Rejected`` (with its
        reason) and leaves the group unchanged; ``merge_own_removal``: see ``_merge_public``.
        """
        body = message.body
        if isinstance(body, PrivateMessage):
            ac, state = self._unprotect_private(body)
        elif isinstance(body, PublicMessage):
            state = self.state
            ac = unprotect_public(self.cs, body, state.context, state.secrets.membership_key)
        else:
            raise Rejected(Reason.UNSUPPORTED_SENDER, f"{type(body).__name__} is not a group message")
        validate_content(ac, state.context, OccupiedLeaves(state.tree))
        content = ac.content
        sender = content.sender
        if isinstance(sender, MemberSender) and sender.leaf_index == self.own_leaf \
                and content.content_type != ContentType.application:
            raise Rejected(Reason.OWN_COMMIT, "a member merges its own commits and keeps its own proposals")
        verify_content_signature(self.cs, ac, state.context, self._signature_key(ac, state))
        if isinstance(content.content, bytes):
            self._keep_ratchets(state)
            return ApplicationMessage(sender.leaf_index, content.epoch, content.content,
                                      content.authenticated_data)
        if isinstance(content.content, Commit):
            return self._process_commit(ac, state, now, commit_policy, merge_own_removal)
        return self._process_proposal(ac, state, now)

    def _check_active(self) -> None:
        if not self.active:
            raise Rejected(Reason.INACTIVE, "removed from the group, or the group was reinitialized")

    def _unprotect_private(self, message: PrivateMessage) -> tuple[AuthenticatedContent, EpochState]:
        """Decrypt with a copy of the epoch's secret tree (kept only if the message is accepted)."""
        state = self.state if message.epoch == self.epoch else self.past_states.get(message.epoch)
        if state is None:
            raise Rejected(Reason.WRONG_EPOCH, f"epoch {message.epoch}, current {self.epoch}")
        if message.epoch != self.epoch and message.content_type != ContentType.application:
            raise Rejected(Reason.WRONG_EPOCH, "handshake messages are only accepted in the current epoch")
        trial = dataclasses.replace(state, secret_tree=state.secret_tree.copy())
        ac = unprotect_private(self.cs, message, trial.context, trial.secret_tree,
                               trial.secrets.sender_data_secret)
        return ac, trial

    def _keep_ratchets(self, used: EpochState) -> None:
        """Keep the ratchets advanced by an accepted message (``used`` may be a trial copy)."""
        epoch = used.context.epoch
        target = self.state if epoch == self.epoch else self.past_states[epoch]
        target.secret_tree = used.secret_tree

    def _signature_key(self, ac: AuthenticatedContent, state: EpochState) -> bytes:
        """RFC 9420 §6.1: the key that signed the content, by sender type."""
        sender, body = ac.content.sender, ac.content.content
        if isinstance(sender, MemberSender):
            return state.tree.leaf(sender.leaf_index).signature_key
        if isinstance(sender, ExternalSender):
            data = find_extension(state.context.extensions, ExtensionType.external_senders)
            senders = EXTERNAL_SENDERS.decode(data) if data is not None else ()
            if sender.sender_index >= len(senders):
                raise Rejected(Reason.UNKNOWN_SENDER, f"external sender {sender.sender_index}")
            return senders[sender.sender_index].signature_key
        if isinstance(sender, NewMemberProposalSender):
            return body.key_package.leaf_node.signature_key
        if body.path is None:
            raise Rejected(Reason.PATH_REQUIRED, "an external commit carries a path")
        return body.path.leaf_node.signature_key

    def _process_proposal(self, ac: AuthenticatedContent, state: EpochState, now: int | None) -> ProposalMessage:
        """RFC 9420 §12.1: validate a proposal on its own and cache it by reference (§5.2)."""
        sender = ac.content.sender
        proposal = ac.content.content
        sender_leaf = sender.leaf_index if isinstance(sender, MemberSender) else None
        validate_proposal_list([CommittedProposal(proposal, sender_leaf)], _NO_COMMITTER, state.tree,
                               state.context, now=now)
        ref = self.cs.make_proposal_ref(ac.encode())
        self._keep_ratchets(state)
        self.proposals[ref] = CachedProposal(proposal, sender_leaf)
        return ProposalMessage(ref, proposal, sender_leaf)

    def _process_commit(self, ac: AuthenticatedContent, used: EpochState, now: int | None,
                        commit_policy: CommitPolicy | None, merge_own_removal: bool = False) -> CommitMessage:
        """RFC 9420 §12.4.2: process a commit and move to the next epoch."""
        cs, s = self.cs, self.state
        commit: Commit = ac.content.content
        sender = ac.content.sender
        external = isinstance(sender, NewMemberCommitSender)
        committer = None if external else sender.leaf_index
        if external and any(isinstance(item, ProposalByReference) for item in commit.proposals):
            raise Rejected(Reason.INVALID_EXTERNAL_COMMIT, "an external commit covers no proposal by reference")
        covered = []
        for item in commit.proposals:
            if isinstance(item, ProposalByValue):
                covered.append(CommittedProposal(item.proposal, committer))
            else:
                cached = self.proposals.get(item.reference)
                if cached is None:
                    raise Rejected(Reason.UNKNOWN_PROPOSAL_REF, item.reference.hex())
                covered.append(CommittedProposal(cached.proposal, cached.sender))
        staging = _stage(cs, s.tree, s.context, s.private_keys, covered, committer, now=now,
                         psks=(self.psks, self.resumption_psks))
        if path_required(covered) and commit.path is None:
            raise Rejected(Reason.PATH_REQUIRED)
        applied, tree, new_context, private_keys = staging.applied, staging.tree, staging.context, staging.private_keys
        path_leaf = commit.path.leaf_node if commit.path else None
        for p in covered:  # our own Update, committed by someone else: its new key is our leaf key
            if isinstance(p.proposal, Update) and p.sender == self.own_leaf:
                private_keys[2 * self.own_leaf] = self.update_keys[p.proposal.leaf_node.encryption_key]
        removed_self = any(isinstance(p.proposal, Remove) and p.proposal.removed == self.own_leaf for p in covered)
        if removed_self:
            if commit_policy is not None:
                commit_policy(staging.staged_commit(committer, external=external, new_context=new_context,
                                                    path_leaf=path_leaf))
            self._keep_ratchets(used)
            self.active = False
            if merge_own_removal:  # the group stays inactive either way
                self._merge_public(ac, tree, new_context, commit.path, committer)
            return CommitMessage(committer, s.context.epoch + 1, staging.covered, True, external)
        commit_secret = None
        if commit.path is not None:
            if committer is None:
                committer = tree.add_leaf(path_leaf)
            elif s.tree.leaf(committer).encryption_key == path_leaf.encryption_key:
                raise Rejected(Reason.INVALID_PATH, "the committer's leaf keeps its encryption key (§12.4.2)")
            validate_leaf_node(path_leaf, tree.membership, cs, new_context, expected_source=FromCommit,
                               leaf_index=committer, replacing=(committer, tree.leaf(committer)),
                               verify_signature=False)  # apply_update_path checks it (§7.5), once
            provisional = new_context.replace(confirmed_transcript_hash=s.context.confirmed_transcript_hash)
            path_keys = apply_update_path(
                cs, tree, committer, commit.path, self.group_id,
                lambda tree_hash: provisional.replace(tree_hash=tree_hash).encode(),
                self.own_leaf, private_keys, excluded={i for i, _ in applied.added})
            private_keys = _retained_keys(cs, private_keys, tree) | path_keys.private_keys
            commit_secret = path_keys.commit_secret
        elif committer is None:
            raise Rejected(Reason.PATH_REQUIRED, "an external commit carries a path")
        next_state, tag, _ = self._next_epoch(ac, applied, tree, new_context, private_keys, commit_secret)
        if tag != ac.auth.confirmation_tag:
            raise Rejected(Reason.BAD_CONFIRMATION_TAG)
        if commit_policy is not None:
            commit_policy(staging.staged_commit(committer, external=external, new_context=next_state.context,
                                                path_leaf=path_leaf))
        self._keep_ratchets(used)
        self._advance(next_state, applied.reinit)
        return CommitMessage(committer, next_state.context.epoch, staging.covered, False, external)

    def _merge_public(self, ac: AuthenticatedContent, tree: RatchetTree, new_context: GroupContext,
                      path: UpdatePath | None, committer: int | None) -> None:
        """OpenMLS, for a member a commit removes (RFC 9420 §12.4.2 leaves it open): its public result, old secrets."""
        if path is not None:
            committer = tree.add_leaf(path.leaf_node) if committer is None else committer
            tree.merge_path(committer, [n.encryption_key for n in path.nodes])
            tree.set_leaf(committer, path.leaf_node)
        context = new_context.replace(tree_hash=tree.tree_hash(), confirmed_transcript_hash=confirmed_transcript_hash(
            self.cs, self.state.interim_transcript_hash, ac))
        self.state = dataclasses.replace(self.state, context=context, tree=tree, private_keys={})

    # ------------------------------------------------------------------ epochs

    def _next_epoch(self, ac: AuthenticatedContent, applied: AppliedProposals, tree: RatchetTree,
                    new_context: GroupContext, private_keys: dict[int, bytes],
                    commit_secret: bytes | None, init_secret: bytes | None = None,
                    interim: bytes | None = None) -> tuple[EpochState, bytes, bytes]:
        """RFC 9420 §8, §8.2: transcript hashes, the key schedule and the confirmation tag of the next epoch.

        ``init_secret`` and ``interim`` default to the current epoch's (an
        external joiner, who has no current epoch, passes its own).
        """
        cs, s = self.cs, self.state
        if init_secret is None:
            init_secret = s.secrets.init_secret
            if applied.external_init is not None:
                init_secret = _external_init_secret(cs, s.secrets, applied.external_init)
        confirmed = confirmed_transcript_hash(cs, s.interim_transcript_hash if interim is None else interim, ac)
        context = new_context.replace(tree_hash=tree.tree_hash(), confirmed_transcript_hash=confirmed)
        psk_values = _lookup_psks(applied.psks, self.psks, self.resumption_psks)
        psk = psk_secret(cs, list(zip(applied.psks, psk_values)))
        secrets = key_schedule(cs, init_secret, commit_secret, psk, context)
        tag = confirmation_tag(cs, secrets.confirmation_key, confirmed)
        state = EpochState(context, tree, secrets, interim_transcript_hash(cs, confirmed, tag),
                           SecretTree(cs, secrets.encryption_secret, tree.n_leaves, self.config.ratchet),
                           private_keys, tag)
        return state, tag, psk

    def _advance(self, next_state: EpochState, reinit: ReInit | None = None) -> None:
        """Make ``next_state`` current; a committed ReInit closes the group for sending (§11.2)."""
        if reinit is not None:
            self.reinit, self.active = reinit, False
        if self.state is not None:
            self.past_states[self.epoch] = self.state
        keep = sorted(self.past_states)[-self.config.max_past_epochs:] if self.config.max_past_epochs else []
        self.past_states = {epoch: self.past_states[epoch] for epoch in keep}
        self.state = next_state
        self.resumption_psks[(self.group_id, next_state.context.epoch)] = next_state.secrets.resumption_psk
        self.proposals = {}
        self.pending_commit = None
        self.update_keys = {}

    def group_info(self, *, external_pub: bool = False) -> GroupInfo:
        """RFC 9420 §12.4.3: a signed GroupInfo of the current epoch; with ``external_pub``
        it lets a non-member join by external commit (§12.4.3.2)."""
        return self._group_info(self.state, external_pub)

    def _group_info(self, state: EpochState, external_pub: bool = False) -> GroupInfo:
        extensions = []
        if self.config.use_ratchet_tree_extension:
            tree = RATCHET_TREE.encode(state.tree.to_extension_nodes())
            extensions.append(Extension(ExtensionType.ratchet_tree, tree))
        if external_pub:
            external_pub = self.cs.derive_key_pair(state.secrets.external_secret)[1]  # §8
            extensions.append(Extension(ExtensionType.external_pub, ExternalPub(external_pub).encode()))
        info = GroupInfo(state.context, tuple(extensions), state.confirmation_tag, self.own_leaf, b"")
        return info.signed(self.cs, self.signature_priv)

    def _welcome(self, state: EpochState, psk: bytes, group_info: GroupInfo, applied: AppliedProposals,
                 path_keys: PathKeys | None, rng: Rng | None) -> MLSMessage:
        """RFC 9420 §12.4.3.1: one Welcome covering every member this commit adds."""
        cs = self.cs
        encrypted_info = encrypt_group_info(cs, welcome_secret(cs, state.secrets.joiner_secret, psk), group_info)
        entries = []
        for leaf_index, key_package in applied.added:
            path_secret = None
            if path_keys is not None:
                ancestor = tm.common_ancestor(2 * leaf_index, 2 * self.own_leaf)
                path_secret = PathSecret(path_keys.path_secrets[ancestor])
            secrets = GroupSecrets(state.secrets.joiner_secret, path_secret, tuple(applied.psks))
            entries.append(encrypt_group_secrets(cs, key_package.ref(cs), key_package.init_key, encrypted_info,
                                                 secrets, rng))
        return MLSMessage(Welcome(cs.id, tuple(entries), encrypted_info))


@dataclasses.dataclass(frozen=True)
class _Staging:
    """RFC 9420 §12.4.1, §12.4.2: a commit's proposals validated and applied, before its path and key schedule."""

    covered: tuple[CommittedProposal, ...]
    applied: AppliedProposals
    old_context: GroupContext
    old_tree: RatchetTree
    context: GroupContext
    """The next epoch's context, its tree hash and transcript hash not yet computed."""
    private_keys: dict[int, bytes]
    """Our private keys still valid in the new tree (before the path's)."""

    @property
    def tree(self) -> RatchetTree:
        return self.applied.tree

    def staged_commit(self, committer: int, *, external: bool, new_context: GroupContext,
                      path_leaf: LeafNode | None) -> StagedCommit:
        """RFC 9420 §12.2: the commit as an application's ``commit_policy`` sees it."""
        return StagedCommit(committer=committer, external=external, proposals=self.covered,
                            old_context=self.old_context, new_context=new_context, old_tree=self.old_tree,
                            new_tree=self.tree, path_leaf=path_leaf)


def _stage(cs: CipherSuite, tree: RatchetTree, context: GroupContext, private_keys: Mapping[int, bytes],
           covered: list[CommittedProposal], committer: int | None, *, now: int | None = None,
           resumption_usage: ResumptionPSKUsage = ResumptionPSKUsage.application,
           psks: tuple[PskStore, Mapping[tuple[bytes, int], bytes]] | None = None) -> _Staging:
    """RFC 9420 §12.2, §12.3: the one staging path of every commit (created, processed or external).

    Validate the proposal list, look up its PSKs (``psks``: when processing, §12.4.2), apply it to a copy
    of the tree, and keep the private keys that still match the new tree.
    """
    validate_proposal_list(covered, committer, tree, context, now=now, resumption_usage=resumption_usage)
    if psks is not None:
        _lookup_psks([p.proposal.psk for p in covered if isinstance(p.proposal, PreSharedKey)], *psks)
    applied = apply_proposals(covered, tree, context, now=now)
    return _Staging(tuple(covered), applied, context, tree,
                    context.replace(epoch=context.epoch + 1, extensions=applied.extensions),
                    _retained_keys(cs, private_keys, applied.tree))


_NO_COMMITTER = -1
"""Committer index used when validating a lone proposal: no leaf is the committer."""


def _retained_keys(cs: CipherSuite, keys: Mapping[int, bytes], tree: RatchetTree) -> dict[int, bytes]:
    """The private keys still usable in ``tree``: their node is there with the matching public key."""
    kept = {}
    for x, priv in keys.items():
        node = tree.node(x) if x < 2 * tree.n_leaves - 1 else None
        if node is not None and node.encryption_key == cs.hpke_public_key(priv):
            kept[x] = priv
    return kept




def external_proposal(cs: CipherSuite, group_id: bytes, epoch: int, proposal: Proposal, sender_index: int,
                      signature_priv: bytes, authenticated_data: bytes = b"") -> MLSMessage:
    """RFC 9420 §12.1.8: a proposal from the external sender at ``sender_index`` of ``external_senders``."""
    content = FramedContent(group_id, epoch, ExternalSender(sender_index), authenticated_data, proposal)
    ac = sign_content(cs, WireFormat.mls_public_message, content, None, signature_priv)
    return MLSMessage(protect_public(cs, ac, None, None))


def new_member_proposal(cs: CipherSuite, group_id: bytes, epoch: int, key_package: KeyPackage,
                        signature_priv: bytes, authenticated_data: bytes = b"") -> MLSMessage:
    """RFC 9420 §12.1.8: a non-member proposes to add itself (sender ``new_member_proposal``)."""
    content = FramedContent(group_id, epoch, NewMemberProposalSender(), authenticated_data, Add(key_package))
    ac = sign_content(cs, WireFormat.mls_public_message, content, None, signature_priv)
    return MLSMessage(protect_public(cs, ac, None, None))


def _lookup_psks(ids, external: PskStore, resumption: Mapping[tuple[bytes, int], bytes]) -> list[bytes]:
    """RFC 9420 §8.4, §12.4.2: the value of each PSK; ``Rejected(PSK_NOT_FOUND)`` if one is missing."""
    values = []
    for psk_id in ids:
        if psk_id.psktype == PSKType.external:
            value = external.get(psk_id.psk_id)
        else:
            value = resumption.get((psk_id.psk_group_id, psk_id.psk_epoch))
        if value is None:
            raise Rejected(Reason.PSK_NOT_FOUND, repr(psk_id))
        values.append(value)
    return values


def _external_init_secret(cs: CipherSuite, secrets: EpochSecrets, proposal: ExternalInit) -> bytes:
    """RFC 9420 §8.3: ``init_secret`` from an ExternalInit, with the group's external key pair."""
    external_priv, _ = cs.derive_key_pair(secrets.external_secret)
    try:
        context = cs.hpke.setup_base_r(proposal.kem_output, external_priv, b"")
    except DecryptError:
        raise Rejected(Reason.INVALID_PROPOSAL, "ExternalInit kem_output") from None
    return context.export(b"MLS 1.0 external init secret", cs.Nh)
