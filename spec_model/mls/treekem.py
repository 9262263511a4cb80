"""RFC 9420 §7.4–§7.6: TreeKEM, the UpdatePath that refreshes a member's direct path.

A committer draws a leaf secret, derives a chain of path secrets up its
filtered direct path (§7.4), merges the new public keys into the tree and
signs its new leaf over the resulting parent hash (§7.5, §7.9), then
encrypts each path secret to the resolution of the node's copath child
under the *provisional* GroupContext, whose tree hash already covers the
merged path (§12.4.1). A receiver merges the same keys, checks the parent
hash and the leaf signature, decrypts the one path secret meant for its
subtree and derives the rest (§7.5).

Private keys live outside the public ``RatchetTree``: a member holds a map
from node index to HPKE private key (its own leaf at node ``2 * leaf_index``
and the parent nodes whose secrets it knows). ``PathKeys`` is what an
UpdatePath yields: the commit secret and the new path secrets and private
keys; the caller drops its keys for the sender's direct path and adds these.

Leaf secret: the leaf's key pair is derived from ``leaf_secret`` as a node
secret is from a path secret, and ``path_secret[0] = DeriveSecret(leaf_secret,
"path")`` (the derivation pictured in §7.4); ``commit_secret`` is the path
secret one past the last (§12.4.1, §12.4.2).

Both functions change ``tree`` in place: pass a copy if a failure must leave
the original untouched.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Collection, Mapping

from . import tree_math as tm
from .codec import OPAQUE, Annotated, Struct, Vector
from .hpke import DecryptError
from .leaf_node import FromCommit, LeafNode
from .memory import Memory
from .ratchet_tree import RatchetTree
from .reasons import Reason, Rejected
from .suites import CipherSuite, HPKECiphertext, InvalidSignatureError, Rng, verifications_remembered

__all__ = [
    "UpdatePathNode", "UpdatePath", "TreeKEMError", "PathKeys", "GroupContextFor", "node_key_pair",
    "derive_path_keys", "create_update_path", "apply_update_path",
]

GroupContextFor = Callable[[bytes], bytes]
"""The encoded provisional GroupContext (§12.4.1, §12.4.2) for a given new tree hash."""


class UpdatePathNode(Struct):
    """RFC 9420 §7.6: ``UpdatePathNode``: a new node key and the path secret encrypted to a resolution."""

    encryption_key: Annotated[bytes, OPAQUE]
    encrypted_path_secret: Annotated[tuple[HPKECiphertext, ...], Vector(HPKECiphertext)]


class UpdatePath(Struct):
    """RFC 9420 §7.6: ``UpdatePath``."""

    leaf_node: Annotated[LeafNode, LeafNode]
    nodes: Annotated[tuple[UpdatePathNode, ...], Vector(UpdatePathNode)]


class TreeKEMError(Rejected):
    """RFC 9420 §7.5, §12.4.2: an UpdatePath that cannot be applied.

    ``reason`` is ``INVALID_LEAF_NODE`` (source or signature), ``INVALID_PATH``
    (shape, derived keys), ``DUPLICATE_KEY``, ``BAD_PARENT_HASH`` or
    ``DECRYPT_FAILED``.
    """


@dataclasses.dataclass(frozen=True)
class PathKeys:
    """RFC 9420 §7.4: what a member learns from an UpdatePath.

    ``path_secrets`` and ``private_keys`` map node indices to the path secret
    and HPKE private key of each node the member now knows (for the committer
    this includes its own leaf's private key).
    """

    commit_secret: bytes
    path_secrets: dict[int, bytes]
    private_keys: dict[int, bytes]


_remembered_key_pairs: Memory[tuple, tuple[bytes, bytes]] = Memory(1024)
"""Node key pairs (§7.4) by suite and path secret, see ``node_key_pair``."""


def node_key_pair(cs: CipherSuite, path_secret: bytes) -> tuple[bytes, bytes]:
    """RFC 9420 §7.4: ``KEM.DeriveKeyPair(DeriveSecret(path_secret, "node"))`` as (private, public).

    A function of the suite and the path secret, which the committer and every member that decrypts it or a secret
    below it derive again: remembered by those (while ``suites.verifications_remembered()``)."""
    return _remembered_key_pairs.recall((cs.id, path_secret),
                                        lambda: cs.derive_key_pair(cs.derive_secret(path_secret, b"node")),
                                        verifications_remembered())


def derive_path_keys(cs: CipherSuite, tree: RatchetTree, node: int, path_secret: bytes) -> PathKeys:
    """RFC 9420 §7.4, §12.4.3.1: from ``node``'s path secret, the keys of it and each non-blank node above.

    After an UpdatePath is merged, the non-blank ancestors of a node on the
    sender's filtered direct path are the rest of that path, so each next path
    secret is ``DeriveSecret(previous, "path")``. Every derived public key must
    equal the tree's (``TreeKEMError(INVALID_PATH)`` otherwise).
    """
    above = [p for p in tm.direct_path(node, tree.n_leaves) if tree.node(p) is not None]
    secrets, keys = {}, {}
    for k, x in enumerate([node, *above]):
        if k:
            path_secret = cs.derive_secret(path_secret, b"path")
        priv, pub = node_key_pair(cs, path_secret)
        tree_node = tree.node(x)
        if tree_node is None or tree_node.encryption_key != pub:
            raise TreeKEMError(Reason.INVALID_PATH, f"key derived for node {x} does not match the tree")
        secrets[x], keys[x] = path_secret, priv
    return PathKeys(cs.derive_secret(path_secret, b"path"), secrets, keys)


def create_update_path(cs: CipherSuite, tree: RatchetTree, leaf_index: int, signature_priv: bytes,
                       group_id: bytes, group_context: GroupContextFor, *, leaf_node: LeafNode | None = None,
                       excluded: Collection[int] = (), leaf_secret: bytes | None = None,
                       rng: Rng | None = None) -> tuple[UpdatePath, PathKeys]:
    """RFC 9420 §7.4–§7.6, §12.4.1: the committer's UpdatePath, merged into ``tree``.

    ``tree`` is the tree after the commit's proposals. ``leaf_node`` is the
    template for the new leaf (default: the current one); its encryption key,
    source and signature are replaced. ``excluded`` are the leaf indices added
    by this commit, left out of every resolution. Order (§12.4.1): merge the
    path, compute parent hashes, sign the leaf with ``FromCommit(parent_hash)``,
    then encrypt under ``group_context(new tree hash)``.
    """
    if leaf_secret is None:
        leaf_secret = cs.random(cs.Nh, rng)
    template = leaf_node or tree.leaf(leaf_index)
    if template is None:
        raise ValueError(f"leaf {leaf_index} is blank and no leaf node was given")
    copath_child = tree.filtered_copath(leaf_index)
    path = list(copath_child)

    leaf_priv, leaf_pub = node_key_pair(cs, leaf_secret)
    secret, secrets = leaf_secret, []
    for _ in path:
        secret = cs.derive_secret(secret, b"path")
        secrets.append(secret)
    pairs = [node_key_pair(cs, s) for s in secrets]

    parent_hash = tree.merge_path(leaf_index, [pub for _, pub in pairs], copath_child)
    leaf = template.replace(encryption_key=leaf_pub, source=FromCommit(parent_hash))
    tree.set_leaf(leaf_index, leaf.signed(cs, signature_priv, group_id, leaf_index))
    context = group_context(tree.tree_hash())

    nodes = tuple(
        UpdatePathNode(pub, tuple(
            cs.encrypt_with_label(tree.node(r).encryption_key, b"UpdatePathNode", context, s, rng)
            for r in tree.resolution(copath_child[p], excluded)))
        for p, s, (_, pub) in zip(path, secrets, pairs))
    keys = PathKeys(cs.derive_secret(secret, b"path"), dict(zip(path, secrets)),
                    {2 * leaf_index: leaf_priv, **{p: priv for p, (priv, _) in zip(path, pairs)}})
    return UpdatePath(tree.leaf(leaf_index), nodes), keys


def apply_update_path(cs: CipherSuite, tree: RatchetTree, sender: int, path: UpdatePath, group_id: bytes,
                      group_context: GroupContextFor, receiver: int, private_keys: Mapping[int, bytes],
                      *, excluded: Collection[int] = ()) -> PathKeys:
    """RFC 9420 §7.5, §12.4.2: merge ``sender``'s UpdatePath into ``tree`` and decrypt it as ``receiver``.

    Checks the leaf (source ``commit``, signature with ``group_id`` and the
    sender's index), that no new key is already in the tree, the path length,
    and the leaf's parent hash; then decrypts the path secret of the lowest
    common ancestor with a key from ``private_keys`` (node index -> HPKE
    private key) under ``group_context(new tree hash)`` and derives the rest.
    Raises ``TreeKEMError``. The caller checks that the leaf's encryption key
    differs from the sender's old one (§12.4.2); for an external commit it
    first places the sender with ``tree.add_leaf(path.leaf_node)``.
    """
    leaf = path.leaf_node
    if not isinstance(leaf.source, FromCommit):
        raise TreeKEMError(Reason.INVALID_LEAF_NODE, "leaf_node_source is not commit")
    try:
        leaf.verify(cs, group_id, sender)
    except InvalidSignatureError:
        raise TreeKEMError(Reason.INVALID_LEAF_NODE, "leaf node signature") from None
    if receiver == sender or receiver in excluded or tree.leaf(receiver) is None:
        raise ValueError(f"leaf {receiver} cannot receive the path of leaf {sender}")

    filtered = tree.filtered_copath(sender)
    if len(path.nodes) != len(filtered):
        raise TreeKEMError(Reason.INVALID_PATH, f"{len(path.nodes)} nodes, filtered path of {len(filtered)}")
    new_keys = [leaf.encryption_key, *(n.encryption_key for n in path.nodes)]
    if len(set(new_keys)) != len(new_keys) or any(tree.key_holder(k) not in (None, 2 * sender) for k in new_keys):
        raise TreeKEMError(Reason.DUPLICATE_KEY, "an UpdatePath key is already in use")

    if tree.merge_path(sender, [n.encryption_key for n in path.nodes], filtered) != leaf.source.parent_hash:
        raise TreeKEMError(Reason.BAD_PARENT_HASH, f"leaf {sender} parent hash")
    tree.set_leaf(sender, leaf)
    context = group_context(tree.tree_hash())

    ancestor = tm.common_ancestor(2 * sender, 2 * receiver)
    receiver_side = tm.left(ancestor) if 2 * receiver < ancestor else tm.right(ancestor)  # the copath child
    resolution = tree.resolution(receiver_side, excluded)
    ciphertexts = path.nodes[list(filtered).index(ancestor)].encrypted_path_secret
    if len(ciphertexts) != len(resolution):
        raise TreeKEMError(Reason.INVALID_PATH, f"{len(ciphertexts)} ciphertexts, {len(resolution)} keys")
    held = next(((r, ct) for r, ct in zip(resolution, ciphertexts) if r in private_keys), None)
    if held is None:
        raise TreeKEMError(Reason.DECRYPT_FAILED, f"no private key for the resolution of node {ancestor}")
    r, ct = held
    try:
        path_secret = cs.decrypt_with_label(private_keys[r], b"UpdatePathNode", context, ct)
    except DecryptError as e:
        raise TreeKEMError(Reason.DECRYPT_FAILED, f"path secret for node {ancestor}: {e}") from None
    return derive_path_keys(cs, tree, ancestor, path_secret)
