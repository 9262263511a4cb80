"""MLS groups shared by the adapter and the model: each side's messages must be accepted by the other.

Vectors show that an implementation computes what the model computes; these checks show that what
it *sends* is accepted by an independent implementation (the model) and that it accepts what the
model sends. Every check runs in each cipher suite the adapter declares. After each epoch both sides
must agree on the epoch, the tree hash, the epoch authenticator (RFC 9420 §8.7) and an exported
secret (§8.5).
"""

from __future__ import annotations

import functools
from typing import Callable, Iterator

from spec_model.mls.codec import DecodeError
from spec_model.mls.group import Group
from spec_model.mls.group_types import GroupConfig
from spec_model.mls.key_package import KeyPackageBundle, generate_key_package
from spec_model.mls.leaf_node import Credential
from spec_model.mls.message import MLSMessage
from spec_model.mls.proposals import Add, Remove
from spec_model.mls.ratchet_tree import RatchetTree
from spec_model.mls.reasons import Reason, Rejected
from spec_model.mls.suites import CipherSuite, suite

from ..adapter import AdapterError, ErrorKind, Session
from ..vectors import Difference, expect
from .checks import Check, Need
from .vector_checks import accepted

__all__ = ["mls_interop_checks", "INTEROP_CHECKS", "member_bundle", "model_accepts", "refused"]

GROUP_ID = b"xmtp-conformance interop group"
EXPORT_LABEL = b"xmtp-conformance"


def member_bundle(cs: CipherSuite, identity: bytes) -> KeyPackageBundle:
    """A model member's key package (basic credential ``identity``, fresh signature key), with its private keys."""
    signature_priv, _ = cs.generate_signature_key_pair()
    return generate_key_package(cs, Credential.basic(identity), signature_priv)


def _hex(message) -> str:
    return message.encode().hex()


def model_accepts(what: str, run: Callable):
    """The model processes what the adapter produced; a refusal is the adapter's difference."""
    try:
        return run()
    except (Rejected, DecodeError) as e:
        detail = e.reason if isinstance(e, Rejected) else e
        raise Difference(f"the model processes {what}", "accepted", f"refused: {detail}") from None


def _model_processes(group: Group, what: str, message_hex: str):
    return model_accepts(what, lambda: group.process(MLSMessage.decode(bytes.fromhex(message_hex))))


def refused(session: Session, what: str, operation: str, **params) -> None:
    """Call an operation that must be refused: accepting it is a difference (expected refused)."""
    try:
        session.ask(operation, **params)
    except AdapterError as e:
        if e.kind is ErrorKind.REJECTED:
            return
        raise
    raise Difference(what, "refused", "accepted")


def _agree(session: Session, member: str, group: Group, when: str) -> None:
    state = session.ask("mls.state", member=member)
    expect(f"{when}: epoch", group.epoch, state["epoch"])
    expect(f"{when}: tree hash", group.context.tree_hash.hex(), state["tree_hash"])
    expect(f"{when}: epoch authenticator", group.epoch_authenticator.hex(), state["epoch_authenticator"])
    exported = session.ask("mls.export", member=member, label=EXPORT_LABEL.hex(), context="00", length=32)
    expect(f"{when}: exported secret", group.export_secret(EXPORT_LABEL, b"\0", 32).hex(), exported["secret"])


def _model_group_with_adapter(session: Session, cs: CipherSuite, *, inline_tree: bool = True) -> Group:
    """The model creates a group and adds the adapter's member B from its key package; B joins (with the tree
    sent apart only, unless ``inline_tree``: RFC 9420 §12.4.3.1, the GroupInfo's ratchet_tree extension)."""
    creator = member_bundle(cs, b"model-A")
    group = Group.create(cs, GROUP_ID, creator.key_package.leaf_node, creator.encryption_priv,
                         creator.signature_priv, config=GroupConfig(use_ratchet_tree_extension=inline_tree))
    key_package = session.ask("mls.new_member", member="B", cipher_suite=cs.id, identity=b"adapter-B".hex())
    kp = model_accepts("the adapter's key package", lambda: MLSMessage.decode(bytes.fromhex(key_package["key_package"])).body)
    pending = model_accepts("the adapter's key package", lambda: group.commit((Add(kp),)))
    group.merge_pending_commit()
    accepted(session, "join from the model's Welcome", "mls.join", member="B", welcome=_hex(pending.welcome),
             ratchet_tree=group.tree.encode().hex())
    _agree(session, "B", group, "after joining")
    return group


def adapter_creates_model_joins(cs: CipherSuite, session: Session) -> None:
    """The adapter creates a group and adds the model; messages and commits both ways (public and private)."""
    session.ask("mls.new_member", member="A", cipher_suite=cs.id, identity=b"adapter-A".hex())
    session.ask("mls.create_group", member="A", group_id=GROUP_ID.hex())
    joiner = member_bundle(cs, b"model-B")
    added = accepted(session, "commit adding the model's key package", "mls.commit", member="A",
                     add=[MLSMessage(joiner.key_package).encode().hex()])
    session.ask("mls.merge", member="A")
    if added["welcome"] is None:
        raise Difference("the commit adding a member", "a Welcome", None)
    welcome = model_accepts("the adapter's Welcome", lambda: MLSMessage.decode(bytes.fromhex(added["welcome"])).body)
    tree = model_accepts("the adapter's ratchet tree",
                          lambda: RatchetTree.decode(cs, bytes.fromhex(added["ratchet_tree"])))
    group = model_accepts("the adapter's Welcome", lambda: Group.join(
        welcome, joiner.key_package, joiner.init_priv, joiner.encryption_priv, joiner.signature_priv,
        ratchet_tree=tree))
    _agree(session, "A", group, "after the model joined")
    protected = session.ask("mls.protect", member="A", data=b"from the adapter".hex())
    expect("application data the model decrypts", b"from the adapter",
           _model_processes(group, "the adapter's application message", protected["message"]).data)
    done = accepted(session, "the model's application message", "mls.process", member="A",
                    message=_hex(group.send_application(b"from the model")))
    expect("application data the adapter decrypts", b"from the model".hex(), done["data"])
    for private in (False, True):
        pending = group.commit(private=private)
        group.merge_pending_commit()
        accepted(session, f"the model's {'private' if private else 'public'} commit", "mls.process", member="A",
                 message=_hex(pending.message))
        _agree(session, "A", group, f"after the model's {'private' if private else 'public'} commit")
        commit = accepted(session, "an empty commit (path update)", "mls.commit", member="A", private=private)
        session.ask("mls.merge", member="A")
        _model_processes(group, f"the adapter's {'private' if private else 'public'} commit", commit["commit"])
        _agree(session, "A", group, f"after the adapter's {'private' if private else 'public'} commit")


def model_creates_adapter_joins(cs: CipherSuite, session: Session) -> None:
    """The model creates the group; the adapter joins, proposes (by reference) and commits adds and removes."""
    group = _model_group_with_adapter(session, cs)
    third = member_bundle(cs, b"model-C")
    added = accepted(session, "commit adding a model key package", "mls.commit", member="B",
                     add=[MLSMessage(third.key_package).encode().hex()], private=True)
    session.ask("mls.merge", member="B")
    _model_processes(group, "the adapter's commit adding a member", added["commit"])
    _agree(session, "B", group, "after the adapter added a member")
    for private in (False, True):
        proposal = accepted(session, "an update proposal", "mls.propose", member="B", update=True, private=private)
        _model_processes(group, "the adapter's update proposal", proposal["message"])
        pending = group.commit(private=private)  # covers the adapter's proposal by reference
        group.merge_pending_commit()
        accepted(session, "the model's commit of the adapter's proposal", "mls.process", member="B",
                 message=_hex(pending.message))
        _agree(session, "B", group, "after a commit by reference to the adapter's proposal")
    third_leaf = next(i for i, leaf in group.members() if leaf.credential.identity == b"model-C")
    proposal = group.propose(Remove(third_leaf))
    accepted(session, "the model's remove proposal", "mls.process", member="B", message=_hex(proposal))
    commit = accepted(session, "a commit of the model's proposal by reference", "mls.commit", member="B")
    session.ask("mls.merge", member="B")
    _model_processes(group, "the adapter's commit by reference", commit["commit"])
    _agree(session, "B", group, "after the adapter committed the model's remove proposal")
    expect("members after the remove", {str(i): leaf.credential.identity.hex() for i, leaf in group.members()},
           session.ask("mls.state", member="B")["members"])


def model_welcome_without_tree(cs: CipherSuite, session: Session) -> None:
    """RFC 9420 §12.4.3.1: the adapter joins from a Welcome whose GroupInfo carries no tree, with the tree sent
    apart; its commit then shows it holds that tree (its path is encrypted to the tree's resolutions)."""
    group = _model_group_with_adapter(session, cs, inline_tree=False)
    commit = accepted(session, "an empty commit (path update)", "mls.commit", member="B")
    session.ask("mls.merge", member="B")
    _model_processes(group, "the adapter's commit after joining without the tree in the Welcome", commit["commit"])
    _agree(session, "B", group, "after the adapter's commit")


def adapter_welcome_without_tree(cs: CipherSuite, session: Session) -> None:
    """RFC 9420 §12.4.3.1: asked for a Welcome without the tree (``inline_tree: false``), the adapter sends one
    whose GroupInfo has no ratchet_tree extension; the model joins with the tree sent apart."""
    session.ask("mls.new_member", member="A", cipher_suite=cs.id, identity=b"adapter-A".hex())
    session.ask("mls.create_group", member="A", group_id=GROUP_ID.hex())
    joiner = member_bundle(cs, b"model-B")
    added = accepted(session, "commit adding the model's key package, the tree sent apart", "mls.commit",
                     member="A", add=[MLSMessage(joiner.key_package).encode().hex()], inline_tree=False)
    session.ask("mls.merge", member="A")
    if added["welcome"] is None:
        raise Difference("the commit adding a member", "a Welcome", None)
    welcome = model_accepts("the adapter's Welcome", lambda: MLSMessage.decode(bytes.fromhex(added["welcome"])).body)

    def join(tree: RatchetTree | None) -> Group:
        return Group.join(welcome, joiner.key_package, joiner.init_priv, joiner.encryption_priv,
                          joiner.signature_priv, ratchet_tree=tree)

    def joins_without_the_tree_sent_apart() -> bool:
        try:
            join(None)
        except Rejected as e:
            if e.reason is Reason.MISSING_RATCHET_TREE:
                return False
            raise
        return True

    expect("a ratchet_tree extension in the GroupInfo of a Welcome asked for with inline_tree false", False,
           model_accepts("the adapter's Welcome", joins_without_the_tree_sent_apart))
    tree = model_accepts("the adapter's ratchet tree",
                         lambda: RatchetTree.decode(cs, bytes.fromhex(added["ratchet_tree"])))
    group = model_accepts("the adapter's Welcome with the tree sent apart", lambda: join(tree))
    _agree(session, "A", group, "after the model joined")
    pending = group.commit(private=True)
    group.merge_pending_commit()
    accepted(session, "the model's commit", "mls.process", member="A", message=_hex(pending.message))
    _agree(session, "A", group, "after the model's commit")


def removed_member_cannot_decrypt(cs: CipherSuite, session: Session) -> None:
    """RFC 9420 §12.4.2: a removed member leaves the group and cannot read the next epoch's messages. Its
    positive twin, in the same state: a message of the epoch before the removal, delivered late, still decrypts
    (the past-epoch window of ``past_epoch_window``), so refusing everything once removed does not pass."""
    group = _model_group_with_adapter(session, cs)
    late = group.send_application(b"sent before the removal")
    pending = group.commit((Remove(1),))
    group.merge_pending_commit()
    done = accepted(session, "the commit removing the adapter", "mls.process", member="B",
                    message=_hex(pending.message))
    expect("the removed member is inactive", False, done["active"])
    done = accepted(session, "a message of the epoch before the removal, delivered late", "mls.process",
                    member="B", message=_hex(late))
    expect("data of the late message", b"sent before the removal".hex(), done["data"])
    refused(session, "a message of the epoch after the removal", "mls.process", member="B",
             message=_hex(group.send_application(b"not for you")))


def past_epoch_window(cs: CipherSuite, session: Session) -> None:
    """libxmtp MAX_PAST_EPOCHS = 3 (XMTP's group config; RFC 9420 §15.2 leaves it to the application):
    a message from three epochs back still decrypts, one from four epochs back does not."""
    group = _model_group_with_adapter(session, cs)
    for back, decrypts in ((3, True), (4, False)):
        old = group.send_application(f"{back} epochs old".encode())
        for _ in range(back):
            pending = group.commit()
            group.merge_pending_commit()
            accepted(session, "the model's commit", "mls.process", member="B", message=_hex(pending.message))
        if decrypts:
            done = accepted(session, f"a message from {back} epochs back", "mls.process", member="B",
                            message=_hex(old))
            expect(f"data of a message from {back} epochs back", f"{back} epochs old".encode().hex(), done["data"])
        else:
            refused(session, f"a message from {back} epochs back", "mls.process", member="B", message=_hex(old))


def out_of_order_generations(cs: CipherSuite, session: Session) -> None:
    """RFC 9420 §9.1, §15.3: messages of one sender decrypt out of order; a generation is used once."""
    group = _model_group_with_adapter(session, cs)
    sent = [group.send_application(f"message {i}".encode()) for i in range(4)]
    for i in (3, 0, 2, 1):
        done = accepted(session, f"generation {i} out of order", "mls.process", member="B", message=_hex(sent[i]))
        expect(f"data of generation {i}", f"message {i}".encode().hex(), done["data"])
    refused(session, "generation 0 a second time (its key is deleted)", "mls.process", member="B",
             message=_hex(sent[0]))


def out_of_order_window(cs: CipherSuite, session: Session) -> None:
    """XMTP's out_of_order_tolerance = 5 (RFC 9420 §9.2): after generation 6, generation 1 still decrypts
    and generation 0 does not."""
    group = _model_group_with_adapter(session, cs)
    sent = [group.send_application(f"message {i}".encode()) for i in range(7)]
    for i in (6, 1):
        done = accepted(session, f"generation {i} after generation 6", "mls.process", member="B",
                        message=_hex(sent[i]))
        expect(f"data of generation {i}", f"message {i}".encode().hex(), done["data"])
    refused(session, "generation 0 after generation 6 (older than the window)", "mls.process", member="B",
             message=_hex(sent[0]))


def join_with_unmerged_leaves_below_the_root(cs: CipherSuite, session: Session) -> None:
    """RFC 9420 §7.9, §12.4.3.1: a tree where a parent below the root lists an unmerged leaf that the root
    does not (the leaf added without a path, the root then renewed by another member's path) is valid;
    the adapter joins it."""
    a, f = member_bundle(cs, b"model-A"), member_bundle(cs, b"model-F")
    group = Group.create(cs, GROUP_ID, a.key_package.leaf_node, a.encryption_priv, a.signature_priv)
    members = [member_bundle(cs, name) for name in (b"model-B", b"model-C", b"model-D", b"model-E")] + [f]
    pending = group.commit(tuple(Add(b.key_package) for b in (*members, member_bundle(cs, b"model-G"))))
    group.merge_pending_commit()  # leaves 0-6 of 8; leaf 7 free
    other = Group.join(pending.welcome.body, f.key_package, f.init_priv, f.encryption_priv, f.signature_priv,
                       ratchet_tree=group.tree)
    pending = other.commit()  # F (leaf 5) renews nodes 9, 11 and the root 7
    other.merge_pending_commit()
    group.process(pending.message)
    pending = group.commit((Add(member_bundle(cs, b"model-L").key_package),), force_path=False)  # L: leaf 7
    group.merge_pending_commit()  # L is unmerged at node 11 and at the root
    other.process(pending.message)
    pending = group.commit()  # A's path renews nodes 1, 3 and the root: the root forgets L, node 11 does not
    group.merge_pending_commit()
    other.process(pending.message)
    if group.tree.node(11).unmerged_leaves != (7,) or group.tree.node(7).unmerged_leaves:
        raise AssertionError("the harness did not build a tree with an unmerged leaf below the root only")
    key_package = session.ask("mls.new_member", member="B", cipher_suite=cs.id, identity=b"adapter-B".hex())
    kp = model_accepts("the adapter's key package",
                        lambda: MLSMessage.decode(bytes.fromhex(key_package["key_package"])).body)
    pending = group.commit((Add(kp),), force_path=False)
    group.merge_pending_commit()
    accepted(session, "join a tree with an unmerged leaf below the root", "mls.join", member="B",
             welcome=_hex(pending.welcome), ratchet_tree=group.tree.encode().hex())
    _agree(session, "B", group, "after joining")


INTEROP_CHECKS = {f.__name__: f for f in (
    adapter_creates_model_joins, model_creates_adapter_joins, removed_member_cannot_decrypt, past_epoch_window,
    out_of_order_generations, out_of_order_window, join_with_unmerged_leaves_below_the_root,
    model_welcome_without_tree, adapter_welcome_without_tree)}
_RULES = {
    "join_with_unmerged_leaves_below_the_root": "RFC 9420 §7.9 (unmerged leaves), §12.4.3.1 (tree validation)",
    "adapter_creates_model_joins": "RFC 9420 §11, §12.4, §12.4.3.1, §6.3 (interop with the model)",
    "model_welcome_without_tree": "RFC 9420 §12.4.3.1 (the tree sent apart from the Welcome)",
    "adapter_welcome_without_tree": "RFC 9420 §12.4.3.1 (the ratchet_tree extension is optional)",
    "model_creates_adapter_joins": "RFC 9420 §12.1, §12.4 proposals by reference (interop with the model)",
    "removed_member_cannot_decrypt": "RFC 9420 §12.4.2 (removed members)",
    "past_epoch_window": "libxmtp MAX_PAST_EPOCHS = 3; RFC 9420 §15.2",
    "out_of_order_generations": "RFC 9420 §9.1 out-of-order tolerance, §15.3 deletion of used keys",
    "out_of_order_window": "libxmtp/OpenMLS SenderRatchetConfiguration out_of_order_tolerance 5; RFC 9420 §9.2, §15.3",
}


def mls_interop_checks() -> Iterator[Check]:
    for cipher_suite in range(1, 8):
        for name, check in INTEROP_CHECKS.items():
            yield Check(id=f"interop/suite{cipher_suite}/{name}", rule=_RULES[name],
                        needs=(Need("mls", "cipher_suites", cipher_suite),),
                        run=functools.partial(check, suite(cipher_suite)),
                        reproducer=f"xmtp-conformance run --include 'interop/suite{cipher_suite}/{name}'",
                        description=check.__doc__.splitlines()[0])
