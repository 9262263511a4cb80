"""passive-client-*.json: a client that joins from a Welcome and follows the group
(RFC 9420 §12.4.3.1 joining, §12.1 proposals, §12.4.2 commits, §8.7 epoch authenticator).

test-vectors.md "Passive Client Scenarios", for passive-client-welcome,
-handling-commit, -random and any other passive-client file:

* ``signature_priv``, ``encryption_priv`` and ``init_priv`` match the
  signature key, encryption key and init key of ``key_package``;
* the client joins from ``welcome`` (an MLSMessage(Welcome)) with the tree in
  the GroupInfo or ``ratchet_tree`` given out of band, and the
  ``external_psks``; its epoch authenticator is ``initial_epoch_authenticator``;
* for each entry of ``epochs``: every proposal (a PublicMessage or
  PrivateMessage) is processed and cached, then the commit (either kind, its
  proposals by value or by reference to those); the group is then one epoch
  further and its epoch authenticator is the entry's ``epoch_authenticator``.

Each message is decoded and processed once, so a scenario of ``E`` epochs
costs ``O(E)`` group operations here.
"""

from __future__ import annotations

from spec_model.mls.framing import WireFormat
from spec_model.mls.group import CommitMessage, Group, ProposalMessage
from spec_model.mls.key_package import KeyPackage
from spec_model.mls.message import MLSMessage
from spec_model.mls.ratchet_tree import RatchetTree
from spec_model.mls.suites import suite
from spec_model.mls.welcome import Welcome

from . import at, expect, h

HANDSHAKE_WIRE_FORMATS = (WireFormat.mls_public_message, WireFormat.mls_private_message)


def fixed_width_private_key(value: str, size: int) -> bytes:
    """A private key widened to its fixed size.

    Some suite-5 (P-521) keys in these files are 65 bytes: the generator
    dropped a leading zero of the 66-byte scalar, while RFC 9180 §7.1.2
    (SerializePrivateKey) and the ECDSA scalar encoding are fixed-width.
    """
    return h(value).rjust(size, b"\0")


def _handshake(field: str, data: str) -> MLSMessage:
    """A proposal or commit: an MLSMessage holding a PublicMessage or a PrivateMessage."""
    with at(f"{field}.decode"):
        message = MLSMessage.decode(h(data))
    expect(f"{field}.wire_format is public or private", True, message.wire_format in HANDSHAKE_WIRE_FORMATS)
    return message


def check(case: dict) -> None:
    cs = suite(case["cipher_suite"])
    with at("key_package.decode"):
        key_package = MLSMessage.decode(h(case["key_package"])).body
    expect("key_package.wire_format", KeyPackage.__name__, type(key_package).__name__)
    init_priv = fixed_width_private_key(case["init_priv"], cs.hpke.kem.Nsk)
    encryption_priv = fixed_width_private_key(case["encryption_priv"], cs.hpke.kem.Nsk)
    signature_priv = fixed_width_private_key(case["signature_priv"], cs.signature_private_key_size)
    leaf = key_package.leaf_node
    expect("init_priv", key_package.init_key, cs.hpke_public_key(init_priv))
    expect("encryption_priv", leaf.encryption_key, cs.hpke_public_key(encryption_priv))
    expect("signature_priv", leaf.signature_key, cs.signature_public_key(signature_priv))

    with at("welcome.decode"):
        welcome = MLSMessage.decode(h(case["welcome"])).body
    expect("welcome.wire_format", Welcome.__name__, type(welcome).__name__)
    tree = None
    if case.get("ratchet_tree") is not None:
        with at("ratchet_tree.decode"):
            tree = RatchetTree.decode(cs, h(case["ratchet_tree"]))
    psks = {h(p["psk_id"]): h(p["psk"]) for p in case.get("external_psks", ())}
    with at("join"):
        group = Group.join(welcome, key_package, init_priv, encryption_priv, signature_priv,
                           ratchet_tree=tree, psks=psks)
    expect("initial_epoch_authenticator", case["initial_epoch_authenticator"], group.epoch_authenticator)

    for n, epoch in enumerate(case["epochs"]):
        where = f"epochs[{n}]"
        for k, data in enumerate(epoch["proposals"]):
            message = _handshake(f"{where}.proposals[{k}]", data)
            with at(f"{where}.proposals[{k}] (epoch {group.epoch})"):
                processed = group.process(message)
            expect(f"{where}.proposals[{k}].content", ProposalMessage.__name__, type(processed).__name__)
        message = _handshake(f"{where}.commit", epoch["commit"])
        before = group.epoch
        with at(f"{where}.commit (epoch {before})"):
            processed = group.process(message)
        expect(f"{where}.commit.content", CommitMessage.__name__, type(processed).__name__)
        expect(f"{where}.epoch", before + 1, group.epoch)
        expect(f"{where}.epoch_authenticator", epoch["epoch_authenticator"], group.epoch_authenticator)
