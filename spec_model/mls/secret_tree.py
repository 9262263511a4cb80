"""RFC 9420 §9: the secret tree and the per-sender hash ratchets it seeds.

Theory of operation
-------------------
The ``encryption_secret`` of an epoch sits at the root of a tree shaped like
the ratchet tree (§9). A node's children are ExpandWithLabel(., "tree",
"left"/"right", Nh); each leaf seeds a handshake and an application
``SenderRatchet`` (§9), whose generation ``j`` yields a key, a nonce and the
next ratchet secret through DeriveTreeSecret (§9.1).

Everything is derived on demand and erased once consumed (§9.2): splitting a
node drops it and keeps both children, seeding a leaf's ratchets drops the
leaf secret, and a ratchet drops each secret once it has stepped past it and
each key/nonce once it has been handed out. Python cannot wipe memory, so
"erase" means the model keeps no reference.

A receiving ratchet tolerates reordering within a window: keys for the
``out_of_order_tolerance`` generations just below the newest one handed out
are retained until used; anything older is gone. It also refuses to jump
more than ``maximum_forward_distance`` generations ahead of the next unused
one, which bounds the work a forged generation number can cause (§15.3
asks applications for both limits). Both failures, and reuse of a
generation, raise ``SecretTreeError``.

The sender-data key and nonce of §6.3.2 are derived here too; the reuse guard
of §6.3.1 belongs to message framing.
"""

from __future__ import annotations

import copy
import dataclasses
import enum

from .suites import CipherSuite
from .tree_math import left, right, root

__all__ = [
    "RatchetKind", "SecretTreeErrorReason", "SecretTreeError", "SenderRatchetConfiguration",
    "SenderRatchet", "RatchetSnapshot", "SecretTree", "SecretTreeSnapshot", "sender_data_key_nonce",
]

MAX_GENERATION = 0xFFFF_FFFF  # generations are uint32 (§6.3.2 SenderData, §9.1)


class RatchetKind(enum.Enum):
    """RFC 9420 §9: the two ratchets of each leaf; the value is the derivation label."""

    HANDSHAKE = b"handshake"
    APPLICATION = b"application"


class SecretTreeErrorReason(enum.Enum):
    """RFC 9420 §9.2, §15.3: why a key could not be produced."""

    UNKNOWN_LEAF = "leaf is not in the tree"
    GENERATION_USED = "generation was already used"
    GENERATION_TOO_OLD = "generation is older than the out-of-order window"
    GENERATION_TOO_FAR = "generation is beyond the maximum forward distance"
    RATCHET_EXHAUSTED = "generation does not fit a uint32"


class SecretTreeError(Exception):
    """RFC 9420 §9.2: a requested secret does not exist (any more); ``reason`` says why."""

    def __init__(self, reason: SecretTreeErrorReason, detail: str):
        self.reason = reason
        super().__init__(f"{reason.value}: {detail}")


@dataclasses.dataclass(frozen=True)
class SenderRatchetConfiguration:
    """RFC 9420 §9.2: receiving limits of a ``SenderRatchet`` (RFC 9420 §9.2 lets members keep
    unconsumed keys "for some reasonable amount of time"; §15.3 asks for both limits).

    The defaults are XMTP's, after libxmtp / openmls ``SenderRatchetConfiguration``:
    ``out_of_order_tolerance`` = 5 earlier generations kept for late messages,
    ``maximum_forward_distance`` = 1000 generations a message may skip ahead.
    """

    out_of_order_tolerance: int = 5
    maximum_forward_distance: int = 1000

    def __post_init__(self) -> None:
        if self.out_of_order_tolerance < 0 or self.maximum_forward_distance < 0:
            raise ValueError("ratchet limits must not be negative")


XMTP_RATCHET_CONFIGURATION = SenderRatchetConfiguration()


@dataclasses.dataclass(frozen=True)
class RatchetSnapshot:
    """RFC 9420 §9.2: what a sender ratchet still holds: its secret (None once exhausted), its next
    generation and the retained (key, nonce) pairs below it."""

    secret: bytes | None
    generation: int
    retained: dict[int, tuple[bytes, bytes]]


class SenderRatchet:
    """RFC 9420 §9.1: one sender's hash ratchet of keys and nonces, erasing as it goes (§9.2).

    ``generation`` is the next generation never handed out; the ratchet holds
    only its secret plus the retained out-of-order keys below it.
    """

    def __init__(self, cs: CipherSuite, secret: bytes,
                 config: SenderRatchetConfiguration = XMTP_RATCHET_CONFIGURATION):
        self._cs = cs
        self._config = config
        self._secret: bytes | None = secret  # ratchet_secret_[generation]; None when exhausted
        self._generation = 0
        self._retained: dict[int, tuple[bytes, bytes]] = {}  # generation -> (key, nonce)

    def __repr__(self) -> str:
        return f"SenderRatchet(generation={self._generation}, retained={self.retained_generations})"

    def copy(self) -> "SenderRatchet":
        """RFC 9420 §9.2: An independent copy (the secret and keys are immutable bytes; only the containers are new)."""
        twin = copy.copy(self)
        twin._retained = dict(self._retained)
        return twin

    def restore(self, saved: "SenderRatchet") -> None:
        """RFC 9420 §9.2: Go back to the state of ``saved`` (a ``copy()`` taken earlier): a message that failed to
        decrypt must not use up its generation (RFC 9420 §9.2 deletes keys only once used)."""
        self._secret, self._generation, self._retained = saved._secret, saved._generation, dict(saved._retained)

    def snapshot(self) -> RatchetSnapshot:
        """RFC 9420 §9.2: everything this ratchet holds, to be stored and restored with ``from_snapshot``."""
        return RatchetSnapshot(self._secret, self._generation, dict(self._retained))

    @classmethod
    def from_snapshot(cls, cs: CipherSuite, snapshot: RatchetSnapshot,
                      config: SenderRatchetConfiguration = XMTP_RATCHET_CONFIGURATION) -> "SenderRatchet":
        """RFC 9420 §9.2: the ratchet ``snapshot`` was taken of."""
        ratchet = cls(cs, b"", config)
        ratchet._secret, ratchet._generation = snapshot.secret, snapshot.generation
        ratchet._retained = dict(snapshot.retained)
        return ratchet

    @property
    def generation(self) -> int:
        """RFC 9420 §9.1: The next generation that has never been handed out."""
        return self._generation

    @property
    def retained_generations(self) -> tuple[int, ...]:
        """RFC 9420 §9.2: Generations below ``generation`` whose key and nonce are still held, ascending."""
        return tuple(sorted(self._retained))

    def next_key(self) -> tuple[int, bytes, bytes]:
        """RFC 9420 §9.1: (generation, key, nonce) to encrypt the next message; never repeats."""
        generation = self._generation
        key, nonce = self._step()
        self._evict()
        return generation, key, nonce

    def key_for(self, generation: int) -> tuple[bytes, bytes]:
        """RFC 9420 §9.1, §9.2: (key, nonce) to decrypt a message of ``generation``.

        The pair is erased once returned. Raises ``SecretTreeError`` when the
        generation was used already, fell out of the out-of-order window, or
        lies beyond the maximum forward distance.
        """
        head = self._generation
        if generation < 0:
            raise ValueError(f"generation {generation} is negative")
        if generation < head:
            pair = self._retained.pop(generation, None)
            if pair is not None:
                return pair
            if generation < self._window_start():
                raise SecretTreeError(
                    SecretTreeErrorReason.GENERATION_TOO_OLD,
                    f"generation {generation}; keys are kept only for generations "
                    f"{self._window_start()}..{head - 2} (out_of_order_tolerance "
                    f"{self._config.out_of_order_tolerance}, newest {head - 1})")
            raise SecretTreeError(SecretTreeErrorReason.GENERATION_USED, f"generation {generation}")
        if generation - head > self._config.maximum_forward_distance:
            raise SecretTreeError(
                SecretTreeErrorReason.GENERATION_TOO_FAR,
                f"generation {generation} is {generation - head} ahead of {head} "
                f"(maximum_forward_distance {self._config.maximum_forward_distance})")
        if generation > MAX_GENERATION:
            raise SecretTreeError(SecretTreeErrorReason.RATCHET_EXHAUSTED, f"generation {generation}")
        keep_from = generation - self._config.out_of_order_tolerance
        while self._generation < generation:
            if self._generation >= keep_from:
                g = self._generation
                self._retained[g] = self._step()
            else:
                self._skip()
        pair = self._step()
        self._evict()
        return pair

    # -- internals

    def _window_start(self) -> int:
        """The oldest generation a key may still be retained for."""
        return self._generation - 1 - self._config.out_of_order_tolerance

    def _evict(self) -> None:
        start = self._window_start()
        for g in [g for g in self._retained if g < start]:
            del self._retained[g]

    def _step(self) -> tuple[bytes, bytes]:
        """Key and nonce of the current generation, then move to the next one (§9.1)."""
        if self._secret is None:
            raise SecretTreeError(SecretTreeErrorReason.RATCHET_EXHAUSTED,
                                  f"generation {self._generation}")
        cs, secret, j = self._cs, self._secret, self._generation
        key = cs.derive_tree_secret(secret, b"key", j, cs.Nk)
        nonce = cs.derive_tree_secret(secret, b"nonce", j, cs.Nn)
        self._skip()
        return key, nonce

    def _skip(self) -> None:
        """ratchet_secret_[j+1] = DeriveTreeSecret(ratchet_secret_[j], "secret", j, Nh); erase the old one."""
        j = self._generation
        if j == MAX_GENERATION:
            self._secret = None  # generation 2^32 cannot be named on the wire
        else:
            self._secret = self._cs.derive_tree_secret(self._secret, b"secret", j, self._cs.Nh)
        self._generation = j + 1


@dataclasses.dataclass(frozen=True)
class SecretTreeSnapshot:
    """RFC 9420 §9.2: the node secrets a secret tree still holds and the ratchets its leaves have seeded."""

    nodes: dict[int, bytes]
    ratchets: dict[int, dict[RatchetKind, RatchetSnapshot]]


class SecretTree:
    """RFC 9420 §9: the tree of secrets below ``encryption_secret`` for ``n_leaves`` leaves.

    Node secrets are derived top-down only as far as a requested leaf needs
    and erased once split (§9.2). ``ratchet(leaf, kind)`` gives the leaf's
    handshake or application ``SenderRatchet``, use it both to send
    (``next_key``) and to receive (``key_for``).
    """

    def __init__(self, cs: CipherSuite, encryption_secret: bytes, n_leaves: int,
                 config: SenderRatchetConfiguration = XMTP_RATCHET_CONFIGURATION):
        self.cs = cs
        self.n_leaves = n_leaves
        self.config = config
        self._root = root(n_leaves)  # ValueError unless a power of two (§7.1)
        self._nodes: dict[int, bytes] = {self._root: encryption_secret}
        self._ratchets: dict[int, dict[RatchetKind, SenderRatchet]] = {}
        self._owned: set[tuple[int, RatchetKind]] = set()  # ratchets not shared with a copy (see ``copy``)

    def __repr__(self) -> str:
        return f"SecretTree(n_leaves={self.n_leaves}, held_nodes={sorted(self._nodes)})"

    def copy(self) -> "SecretTree":
        """RFC 9420 §9.2: An independent copy, cheap enough to take for every message a member tries to decrypt.

        Copy-on-write: both trees share their ratchets until either uses one,
        which it then copies first (``_owned`` lists the ratchets a tree has
        made its own).
        """
        twin = copy.copy(self)
        twin._nodes = dict(self._nodes)
        twin._ratchets = {leaf: dict(ratchets) for leaf, ratchets in self._ratchets.items()}
        self._owned, twin._owned = set(), set()
        return twin

    def snapshot(self) -> SecretTreeSnapshot:
        """RFC 9420 §9.2: everything this tree holds, to be stored and restored with ``from_snapshot``."""
        return SecretTreeSnapshot(dict(self._nodes), {
            leaf: {kind: ratchet.snapshot() for kind, ratchet in ratchets.items()}
            for leaf, ratchets in self._ratchets.items()})

    @classmethod
    def from_snapshot(cls, cs: CipherSuite, n_leaves: int, snapshot: SecretTreeSnapshot,
                      config: SenderRatchetConfiguration = XMTP_RATCHET_CONFIGURATION) -> "SecretTree":
        """RFC 9420 §9.2: the tree ``snapshot`` was taken of (``ValueError`` unless ``n_leaves`` is a power of 2)."""
        tree = cls(cs, b"", n_leaves, config)
        tree._nodes = dict(snapshot.nodes)
        tree._ratchets = {leaf: {kind: SenderRatchet.from_snapshot(cs, saved, config)
                                 for kind, saved in ratchets.items()}
                          for leaf, ratchets in snapshot.ratchets.items()}
        tree._owned = {(leaf, kind) for leaf, ratchets in tree._ratchets.items() for kind in ratchets}
        return tree

    @property
    def held_nodes(self) -> frozenset[int]:
        """RFC 9420 §9.2: Node indices whose tree secret is still held (not yet split or consumed)."""
        return frozenset(self._nodes)

    def ratchet(self, leaf: int, kind: RatchetKind) -> SenderRatchet:
        """RFC 9420 §9: the ``kind`` ratchet of ``leaf``, seeded on first use."""
        if not 0 <= leaf < self.n_leaves:
            raise SecretTreeError(SecretTreeErrorReason.UNKNOWN_LEAF,
                                  f"leaf {leaf} of a tree with {self.n_leaves} leaves")
        ratchets = self._ratchets.get(leaf)
        if ratchets is None:
            secret = self._take_leaf_secret(leaf)
            cs = self.cs
            ratchets = {kind_: SenderRatchet(cs, cs.expand_with_label(secret, kind_.value, b"", cs.Nh),
                                             self.config)
                        for kind_ in RatchetKind}
            self._ratchets[leaf] = ratchets
            self._owned.update((leaf, kind_) for kind_ in RatchetKind)
        if (leaf, kind) not in self._owned:
            ratchets[kind] = ratchets[kind].copy()
            self._owned.add((leaf, kind))
        return ratchets[kind]

    def handshake_ratchet(self, leaf: int) -> SenderRatchet:
        """RFC 9420 §9: ``handshake_ratchet_secret_[leaf]_[0]`` onward."""
        return self.ratchet(leaf, RatchetKind.HANDSHAKE)

    def application_ratchet(self, leaf: int) -> SenderRatchet:
        """RFC 9420 §9: ``application_ratchet_secret_[leaf]_[0]`` onward."""
        return self.ratchet(leaf, RatchetKind.APPLICATION)

    def _take_leaf_secret(self, leaf: int) -> bytes:
        """Split nodes from the root down to ``leaf``'s node and remove its secret (§9, §9.2).

        Every node on the path that is no longer held was split before, so its
        children are held or were split in turn.
        """
        target, x, cs = 2 * leaf, self._root, self.cs
        while x != target:
            secret = self._nodes.pop(x, None)
            if secret is not None:
                self._nodes[left(x)] = cs.expand_with_label(secret, b"tree", b"left", cs.Nh)
                self._nodes[right(x)] = cs.expand_with_label(secret, b"tree", b"right", cs.Nh)
            x = left(x) if target < x else right(x)
        return self._nodes.pop(target)


def sender_data_key_nonce(cs: CipherSuite, sender_data_secret: bytes,
                          ciphertext_sample: bytes) -> tuple[bytes, bytes]:
    """RFC 9420 §6.3.2: the AEAD key and nonce that protect a PrivateMessage's SenderData.

    The sample is the first ``KDF.Nh`` bytes of the content ciphertext (all of
    it if shorter); passing the whole ciphertext is fine, it is cut here.
    """
    sample = bytes(ciphertext_sample[:cs.Nh])
    return (cs.expand_with_label(sender_data_secret, b"key", sample, cs.Nk),
            cs.expand_with_label(sender_data_secret, b"nonce", sample, cs.Nn))
