"""RFC 9420 §12.4.3.1, §11.2, §11.3: what a joiner checks in a Welcome: the group's tree and, for a
reinitialized or branched group, that it matches the group it resumes."""

from __future__ import annotations

import hashlib

from .codec import DecodeError
from .extensions import ExtensionType, find_extension
from .group_context import GroupContext
from .memory import Memory
from .group_types import EpochState
from .proposals import ReInit
from .psk import PreSharedKeyID, PSKType, ResumptionPSKUsage
from .ratchet_tree import RATCHET_TREE, RatchetTree
from .reasons import Reason, Rejected
from .suites import CipherSuite, InvalidSignatureError, verifications_remembered
from .validation import validate_tree_leaves
from .welcome import GroupInfo

__all__ = ["verified_tree", "check_resumption"]


_remembered_trees: Memory[bytes, RatchetTree] = Memory(8)
"""Trees that ``verified_tree`` verified from a GroupInfo's extension, by the digest of the suite and the GroupInfo."""


def verified_tree(cs: CipherSuite, group_info: GroupInfo, given: RatchetTree | bytes | None) -> RatchetTree:
    """RFC 9420 §12.4.3.1: the group's tree (from the GroupInfo's extension, else ``given``), checked.

    ``given`` is the tree sent beside the Welcome, decoded or encoded (§12.4.3.3); encoded, it is decoded (a
    ``DecodeError`` or ``Rejected`` if malformed) unless the extension holds these very bytes, the tree used then.
    The signer's leaf is non-blank and its key verifies the GroupInfo; the tree
    hash matches; the tree validates (§7.9.2) and every leaf is valid (§7.3).
    With the tree in the GroupInfo, the outcome is a function of the GroupInfo alone: a tree that passed is
    remembered (while ``suites.verifications_remembered()``) and copied for the next member joining from the same
    Welcome.
    """
    data = find_extension(group_info.extensions, ExtensionType.ratchet_tree)
    if isinstance(given, bytes) and given != data:
        given = RatchetTree.decode(cs, given)
    key = None
    if data is not None and verifications_remembered():
        key = hashlib.sha256(cs.id.to_bytes(2, "big") + group_info.encode()).digest()
        remembered = _remembered_trees.get(key)
        if remembered is not None:
            return remembered.copy()
    tree = _checked_tree(cs, group_info, data, given)
    if key is not None:
        _remembered_trees.put(key, tree.copy())
    return tree


def _checked_tree(cs: CipherSuite, group_info: GroupInfo, data: bytes | None, given: RatchetTree | None) -> RatchetTree:
    if data is not None:
        try:
            tree = RatchetTree.from_extension_nodes(cs, RATCHET_TREE.decode(data))
        except DecodeError as e:
            raise Rejected(Reason.INVALID_TREE, str(e)) from None
    elif given is not None:
        tree = given.copy()
    else:
        raise Rejected(Reason.MISSING_RATCHET_TREE)
    context = group_info.group_context
    signer = tree.leaf(group_info.signer) if group_info.signer < tree.n_leaves else None
    if signer is None:
        raise Rejected(Reason.BAD_GROUP_INFO, f"GroupInfo signer {group_info.signer} is blank")
    try:
        group_info.verify_signature(cs, signer.signature_key)
    except InvalidSignatureError:
        raise Rejected(Reason.BAD_GROUP_INFO, "GroupInfo signature") from None
    if tree.tree_hash() != context.tree_hash:
        raise Rejected(Reason.BAD_GROUP_INFO, "tree hash does not match the GroupInfo")
    tree.validate(context.group_id)
    validate_tree_leaves(tree, context)
    return tree


def check_resumption(psk_ids: tuple[PreSharedKeyID, ...], context: GroupContext, tree: RatchetTree,
                     previous: EpochState | None, previous_reinit: ReInit | None) -> None:
    """RFC 9420 §12.4.3.1, §11.2, §11.3: a Welcome with a reinit or branch PSK matches its old group.

    At most one such PSK; the new group is in epoch 1. Reinit: the old group's
    last commit held a ReInit naming this group id, version, suite and
    extensions, and every old member (by credential) is in the new group.
    Branch: same version and suite, and every new member was an old member. ``previous`` is the
    resumed group's current epoch, ``previous_reinit`` the ReInit that closed it.
    """
    special = [p for p in psk_ids if p.psktype == PSKType.resumption and p.usage != ResumptionPSKUsage.application]
    if not special:
        return
    if len(special) > 1:
        raise Rejected(Reason.BAD_RESUMPTION, "more than one reinit or branch PSK")
    if context.epoch != 1:
        raise Rejected(Reason.BAD_RESUMPTION, f"a resumed group starts in epoch 1, not {context.epoch}")
    if previous is None or special[0].psk_group_id != previous.context.group_id:
        raise Rejected(Reason.BAD_RESUMPTION, "the resumed group is not known")
    old = {leaf.credential for _, leaf in previous.tree.members()}
    new = {leaf.credential for _, leaf in tree.members()}
    if special[0].usage == ResumptionPSKUsage.reinit:
        r = previous_reinit
        if r is None or (r.group_id, r.version, r.cipher_suite, r.extensions) != (
                context.group_id, context.version, context.cipher_suite, context.extensions):
            raise Rejected(Reason.BAD_RESUMPTION, "the Welcome does not match the ReInit")
        if not old <= new:
            raise Rejected(Reason.BAD_RESUMPTION, "an old member is missing from the reinitialized group")
    else:
        if (context.version, context.cipher_suite) != (previous.context.version, previous.context.cipher_suite):
            raise Rejected(Reason.BAD_RESUMPTION, "a branch keeps the version and cipher suite")
        if not new <= old:
            raise Rejected(Reason.BAD_RESUMPTION, "a branch member was not in the old group")
