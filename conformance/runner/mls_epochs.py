"""One operation on a group shared with the model, for every group size and every leaf of the adapter.

Each check builds a group of ``k`` leaves (2 ≤ k ≤ ``MAX_LEAVES``) in which the adapter runs the member at
leaf ``j`` and the model every other one: with j = 0 the adapter creates the group and adds the model's
members in one commit; otherwise the model creates it and adds the adapter's member at leaf j among its
own. The group then goes through one operation (``OPERATIONS``), and the harness judges what came of it:

- agreement: the adapter reports the model's epoch, and its MLS exporter output (RFC 9420 §8.5, label
  ``exporter``, empty context) equals the model's. The exporter secret comes from the epoch secret, which
  is derived with the GroupContext as its context (§8), so equal outputs mean the same group context (tree
  hash, transcript hashes) and the same epoch secrets; only a member that decrypted them can compute it.
- what the adapter sends, the model's members accept (signatures, membership tags, paths: §6, §12.4.2),
  coming from the adapter's leaf; a Welcome it sends names each new member's KeyPackageRef (§12.4.3.1);
- application data decrypts to what was sent, both ways (§6.3); a removed member reads nothing of the
  next epoch (§12.4.2).

Each model member keeps its leaf (credential, signature and encryption keys) for the run and brings a new
KeyPackage, with a fresh init key, to every check it is added in (``model_member``; the creator of the model's
group needs none): no KeyPackage serves two checks. The
model's members list credential types basic and x509 in their capabilities and have identities of
the form ``<uuid>:<hex>@<domain>``: groups that require x509 support of their members and client ids of
that form (Wire's core-crypto, ``interop/openmls/KNOWN_ISSUES.md``) then take them; RFC 9420 allows both.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Callable, Iterator

from spec_model.mls.group import Group
from spec_model.mls.key_package import KeyPackageBundle, generate_key_package, key_package_for_leaf
from spec_model.mls.leaf_node import Capabilities, Credential, CredentialType, LeafNode
from spec_model.mls.message import MLSMessage
from spec_model.mls.proposals import Add, Remove
from spec_model.mls.ratchet_tree import RatchetTree
from spec_model.mls.suites import CipherSuite, suite

from ..adapter import Session
from ..vectors import Difference, expect
from .checks import Check, Need
from .mls_interop import GROUP_ID, model_accepts, refused
from .vector_checks import accepted

__all__ = ["epoch_checks", "OPERATIONS", "MAX_LEAVES"]

MAX_LEAVES = 8
"""Groups of 2 to 8 leaves: every leaf position of trees with one and two levels of parents, full or not."""
EXPORTER_LABEL = b"exporter"
ADAPTER = "P"


@functools.cache
def _model_leaf(cs: CipherSuite, n: int) -> tuple[LeafNode, bytes, bytes]:
    """RFC 9420 §7.2: the leaf of the model's member ``n`` in suite ``cs``, made once per run, with its encryption
    and signature private keys."""
    identity = f"0a1b2c3d-0000-4000-8000-{n:012x}:{n:x}@xmtp-conformance.invalid".encode()
    signature_priv, _ = cs.generate_signature_key_pair()
    bundle = generate_key_package(cs, Credential.basic(identity), signature_priv, capabilities=Capabilities(
        cipher_suites=(cs.id,), credentials=(CredentialType.basic, CredentialType.x509)))
    return bundle.key_package.leaf_node, bundle.encryption_priv, signature_priv


def model_member(cs: CipherSuite, n: int) -> KeyPackageBundle:
    """The model's member number ``n``: a basic credential with a client-id-shaped identity, x509 listed too.

    RFC 9420 §10, §16.8: every call gives a new KeyPackage (a fresh init key, signed anew), so no KeyPackage serves
    two checks and none can be replayed from an earlier one; its leaf (credential, signature and encryption keys,
    ``_model_leaf``) is the member's for the whole run: §10 asks for an init key unique to each KeyPackage, not a
    unique leaf."""
    return key_package_for_leaf(cs, *_model_leaf(cs, n))


def _decoded(what: str, message_hex: str):
    return model_accepts(what, lambda: MLSMessage.decode(bytes.fromhex(message_hex)).body)


def _joined(bundle: KeyPackageBundle, welcome, tree: RatchetTree | None) -> Group:
    """The model's member of ``bundle`` joins from ``welcome`` (``Group.join`` copies ``tree``, never changes it)."""
    return model_accepts("the Welcome", lambda: Group.join(
        welcome, bundle.key_package, bundle.init_priv, bundle.encryption_priv, bundle.signature_priv,
        ratchet_tree=tree))


@dataclasses.dataclass
class _Shared:
    """The group: the adapter's member at ``leaf``, the model's members by leaf, the adapter's last epoch."""

    session: Session
    cs: CipherSuite
    leaf: int
    groups: dict[int, Group]
    epoch: int
    joiners: int = 0

    def model(self, offset: int) -> Group:
        """The model's member ``offset`` leaves to the right of the adapter's (cyclically)."""
        size = len(self.groups) + 1
        return self.groups[(self.leaf + offset) % size]

    def new_model_member(self) -> KeyPackageBundle:
        self.joiners += 1
        return model_member(self.cs, 100 + self.joiners)

    def agree(self, when: str) -> None:
        """Every model member in the same epoch with the same exporter output, and the adapter with them."""
        first_leaf, first = min(self.groups.items())
        exported = first.export_secret(EXPORTER_LABEL, b"", 32).hex()
        for leaf, group in self.groups.items():
            expect(f"{when}: the model's member at leaf {leaf} and at leaf {first_leaf} (epoch, exporter)",
                   (first.epoch, exported), (group.epoch, group.export_secret(EXPORTER_LABEL, b"", 32).hex()))
        expect(f"{when}: the adapter's epoch", first.epoch, self.epoch)
        secret = self.session.ask("mls.export", member=ADAPTER, label=EXPORTER_LABEL.hex(), context="", length=32)
        expect(f"{when}: the adapter's exporter output (RFC 9420 §8.5)", exported, secret["secret"])

    def to_adapter(self, what: str, message) -> dict:
        done = accepted(self.session, what, "mls.process", member=ADAPTER, message=message.encode().hex())
        self.epoch = done["epoch"]
        return done

    def model_commit(self, committer: Group, proposals=()) -> object:
        """The model member's commit, merged, processed by the other model members and the adapter."""
        pending = committer.commit(tuple(proposals))
        committer.merge_pending_commit()
        for group in list(self.groups.values()):
            if group is not committer:
                if group.process(pending.message).removed_self:
                    del self.groups[group.own_leaf]
        done = self.to_adapter("the model's commit", pending.message)
        expect("kind of the model's commit, as the adapter processed it", "commit", done["kind"])
        return pending

    def adapter_commit(self, what: str, **params) -> dict:
        """The adapter's commit, merged, processed by every model member, who must see it come from its leaf."""
        made = accepted(self.session, what, "mls.commit", member=ADAPTER, **params)
        self.epoch = self.session.ask("mls.merge", member=ADAPTER)["epoch"]
        message = model_accepts(what, lambda: MLSMessage.decode(bytes.fromhex(made["commit"])))
        for leaf, group in list(self.groups.items()):
            processed = model_accepts(f"{what} (by the model's member at leaf {leaf})", lambda: group.process(message))
            expect(f"{what}: its sender, as the model's member at leaf {leaf} reads it", self.leaf, processed.sender)
            if processed.removed_self:
                del self.groups[leaf]
        return made

    def welcomed(self, made: dict, bundles: list[KeyPackageBundle]) -> list[Group]:
        """The model's new members join from the adapter's Welcome, which names each of their KeyPackageRefs; the
        tree the adapter sends beside it must be the tree they join (RFC 9420 §12.4.3.3: the same tree, in the
        GroupInfo's ``ratchet_tree`` extension or apart), even when the extension makes it unneeded."""
        if made["welcome"] is None:
            raise Difference("a commit adding members", "a Welcome", None)
        welcome = _decoded("the adapter's Welcome", made["welcome"])
        expect("cipher suite of the adapter's Welcome", self.cs.id, welcome.cipher_suite)
        expect("KeyPackageRefs the adapter's Welcome encrypts to (RFC 9420 §12.4.3.1)",
               sorted(b.key_package.ref(self.cs).hex() for b in bundles),
               sorted(s.new_member.hex() for s in welcome.secrets))
        tree = None if made["ratchet_tree"] is None else model_accepts(  # decoded once for every new member
            "the ratchet tree", lambda: RatchetTree.decode(self.cs, bytes.fromhex(made["ratchet_tree"])))
        joined = [_joined(b, welcome, tree) for b in bundles]
        if tree is not None:
            expect("tree hash of the ratchet tree the adapter sent beside its Welcome (RFC 9420 §7.8)",
                   joined[0].tree.tree_hash().hex(), tree.tree_hash().hex())
        return joined


def _shared_group(cs: CipherSuite, session: Session, size: int, leaf: int) -> _Shared:
    """A group of ``size`` leaves, the adapter's member at ``leaf``, everyone in the same epoch."""
    key_package = session.ask("mls.new_member", member=ADAPTER, cipher_suite=cs.id,
                              identity=f"adapter-{size}-{leaf}".encode().hex())["key_package"]
    adapter_kp = _decoded("the adapter's key package", key_package) if leaf else None
    if leaf == 0:
        bundles = [model_member(cs, n) for n in range(1, size)]
        session.ask("mls.create_group", member=ADAPTER, group_id=GROUP_ID.hex())
        shared = _Shared(session, cs, 0, {}, 0)
        made = accepted(session, "a commit adding the model's members", "mls.commit", member=ADAPTER,
                        add=[MLSMessage(b.key_package).encode().hex() for b in bundles])
        shared.epoch = session.ask("mls.merge", member=ADAPTER)["epoch"]
        shared.groups = {group.own_leaf: group for group in shared.welcomed(made, bundles)}
        expect("leaves of the model's members in the adapter's group", list(range(1, size)), sorted(shared.groups))
        return shared
    creator = Group.create(cs, GROUP_ID, *_model_leaf(cs, 0))  # a leaf, no KeyPackage: it adds, it is not added
    bundles = [model_member(cs, n) for n in range(1, size) if n != leaf]
    adds = [Add(b.key_package) for b in bundles]
    adds.insert(leaf - 1, Add(adapter_kp))  # adds fill leaves 1, 2, ... in order (RFC 9420 §12.1.1)
    pending = model_accepts("the adapter's key package", lambda: creator.commit(tuple(adds)))
    creator.merge_pending_commit()
    joined = accepted(session, "joining from the model's Welcome", "mls.join", member=ADAPTER,
                      welcome=pending.welcome.encode().hex(), ratchet_tree=creator.tree.encode().hex())
    groups = [creator] + [Group.join(pending.welcome.body, b.key_package, b.init_priv, b.encryption_priv,
                                     b.signature_priv, ratchet_tree=creator.tree) for b in bundles]
    return _Shared(session, cs, leaf, {group.own_leaf: group for group in groups}, joined["epoch"])


# ---------------------------------------------------------------------- the operations


def join(g: _Shared) -> None:
    """The adapter joins the model's group (or the model's members join the adapter's): all agree."""
    g.agree("after joining")


def model_commits(g: _Shared) -> None:
    """A model member's commit with a path (RFC 9420 §12.4.2), processed by the adapter."""
    g.model_commit(g.model(1))
    g.agree("after the model's commit")


def adapter_commits(g: _Shared) -> None:
    """The adapter's empty commit, which carries a path (RFC 9420 §12.4), processed by the model's members."""
    g.adapter_commit("the adapter's empty commit (a path update)")
    g.agree("after the adapter's commit")


def model_adds(g: _Shared) -> None:
    """A model member adds a new model member (RFC 9420 §12.1.1); the adapter processes the commit."""
    bundle = g.new_model_member()
    committer = g.model(1)
    pending = g.model_commit(committer, [Add(bundle.key_package)])
    joiner = _joined(bundle, pending.welcome.body, committer.tree)
    g.groups[joiner.own_leaf] = joiner
    g.agree("after the model added a member")


def adapter_adds(g: _Shared) -> None:
    """The adapter adds a new model member, who joins from the adapter's Welcome and tree."""
    bundle = g.new_model_member()
    made = g.adapter_commit("the adapter's commit adding a member",
                            add=[MLSMessage(bundle.key_package).encode().hex()])
    joiner, = g.welcomed(made, [bundle])
    g.groups[joiner.own_leaf] = joiner
    g.agree("after the adapter added a member")


def model_removes(g: _Shared) -> None:
    """A model member removes another model member (RFC 9420 §12.1.3); the adapter processes the commit."""
    target = g.model(2).own_leaf
    g.model_commit(g.model(1), [Remove(target)])
    expect("the removed member left the model's members", False, target in g.groups)
    g.agree("after the model removed a member")


def adapter_removes(g: _Shared) -> None:
    """The adapter removes a model member; the removed member sees itself removed, the others agree."""
    target = g.model(1).own_leaf
    g.adapter_commit("the adapter's commit removing a member", remove=[target])
    expect(f"the member at leaf {target}, removed by the adapter, sees itself removed", False, target in g.groups)
    g.agree("after the adapter removed a member")


def adapter_removed(g: _Shared) -> None:
    """The model removes the adapter's member (RFC 9420 §12.4.2): before, it reads the model's messages;
    after, it is inactive and reads nothing of the next epoch."""
    sender = g.model(1)
    done = g.to_adapter("the model's message before the removal", sender.send_application(b"before the removal"))
    expect("data of the model's message before the removal", b"before the removal".hex(), done["data"])
    pending = sender.commit((Remove(g.leaf),))
    sender.merge_pending_commit()
    done = g.to_adapter("the commit removing the adapter's member", pending.message)
    expect("the removed member is inactive", False, done["active"])
    refused(g.session, "a message of the epoch after the removal", "mls.process", member=ADAPTER,
            message=sender.send_application(b"not for you").encode().hex())


def to_adapter(g: _Shared) -> None:
    """A model member's application message (RFC 9420 §6.3) decrypts at the adapter."""
    data = f"to the adapter at leaf {g.leaf}".encode()
    done = g.to_adapter("the model's application message", g.model(1).send_application(data))
    expect("kind of the model's application message, as the adapter processed it", "application", done["kind"])
    expect("data the adapter decrypts", data.hex(), done["data"])


def from_adapter(g: _Shared) -> None:
    """The adapter's application message decrypts at every model member, from the adapter's leaf."""
    data = f"from the adapter at leaf {g.leaf}".encode()
    message = g.session.ask("mls.protect", member=ADAPTER, data=data.hex())["message"]
    _decoded("the adapter's application message", message)
    for leaf, group in g.groups.items():
        got = model_accepts(f"the adapter's application message (by the model's member at leaf {leaf})",
                            lambda: group.process(MLSMessage.decode(bytes.fromhex(message))))
        expect(f"data the model's member at leaf {leaf} decrypts", data, got.data)
        expect(f"sender of the adapter's message, as the model's member at leaf {leaf} reads it", g.leaf, got.sender)
        expect(f"epoch of the adapter's message, as the model's member at leaf {leaf} reads it", group.epoch, got.epoch)


OPERATIONS: dict[str, tuple[Callable[[_Shared], None], str, int]] = {
    "join": (join, "RFC 9420 §12.4.3.1 (joining), §8.5 (exporter)", 2),
    "model_commits": (model_commits, "RFC 9420 §12.4.2 (processing a commit with a path)", 2),
    "adapter_commits": (adapter_commits, "RFC 9420 §12.4 (a commit with a path), §12.4.2", 2),
    "model_adds": (model_adds, "RFC 9420 §12.1.1 (Add), §12.4.2", 2),
    "adapter_adds": (adapter_adds, "RFC 9420 §12.1.1 (Add), §12.4.3.1 (Welcome)", 2),
    "model_removes": (model_removes, "RFC 9420 §12.1.3 (Remove), §12.4.2", 3),
    "adapter_removes": (adapter_removes, "RFC 9420 §12.1.3 (Remove), §12.4", 3),
    "adapter_removed": (adapter_removed, "RFC 9420 §12.4.2 (a removed member), §6.3", 2),
    "to_adapter": (to_adapter, "RFC 9420 §6.3 (application messages)", 2),
    "from_adapter": (from_adapter, "RFC 9420 §6.3 (application messages)", 2),
}
"""Each operation: its function, the rule it pins, and the smallest group it needs."""


def run_epoch_check(cs: CipherSuite, operation: str, size: int, leaf: int, session: Session) -> None:
    OPERATIONS[operation][0](_shared_group(cs, session, size, leaf))


def epoch_checks() -> Iterator[Check]:
    for cipher_suite in range(1, 8):
        for name, (operation, rule, smallest) in OPERATIONS.items():
            for size in range(smallest, MAX_LEAVES + 1):
                for leaf in range(size):
                    check_id = f"interop/suite{cipher_suite}/epochs/{name}/k{size}-leaf{leaf}"
                    yield Check(id=check_id, rule=rule,
                                needs=(Need("mls", "cipher_suites", cipher_suite),),
                                run=functools.partial(run_epoch_check, suite(cipher_suite), name, size, leaf),
                                reproducer=f"xmtp-conformance run --include '{check_id}'",
                                description=operation.__doc__.splitlines()[0])
