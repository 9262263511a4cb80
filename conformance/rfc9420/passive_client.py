"""passive-client-welcome.json and passive-client-handling-commit.json (RFC 9420 §12.4.2, §12.4.3.1).

A passive client joins from a Welcome (with the tree in the GroupInfo or given
out of band, with or without external PSKs), then processes each epoch's
proposals and commit; its epoch authenticator must match after every step.
"""

from __future__ import annotations

from spec_model.mls.group import Group
from spec_model.mls.message import MLSMessage
from spec_model.mls.ratchet_tree import RATCHET_TREE, RatchetTree
from spec_model.mls.suites import suite

from . import expect, h


def _private_key(value: str, size: int) -> bytes:
    """A private key widened to its fixed size.

    Some suite-5 (P-521) keys in these files are 65 bytes: the generator
    dropped a leading zero of the 66-byte scalar, while RFC 9180 §7.1.2
    (SerializePrivateKey) and the ECDSA scalar encoding are fixed-width.
    """
    return h(value).rjust(size, b"\0")


def check(case: dict) -> None:
    cs = suite(case["cipher_suite"])
    hpke_size = cs.hpke.kem.Nsk
    signature_size = cs.signature_private_key_size
    key_package = MLSMessage.decode(h(case["key_package"])).body
    tree = None
    if case["ratchet_tree"] is not None:
        tree = RatchetTree.from_extension_nodes(cs, RATCHET_TREE.decode(h(case["ratchet_tree"])))
    psks = {h(p["psk_id"]): h(p["psk"]) for p in case["external_psks"]}
    group = Group.join(MLSMessage.decode(h(case["welcome"])).body, key_package,
                       _private_key(case["init_priv"], hpke_size), _private_key(case["encryption_priv"], hpke_size),
                       _private_key(case["signature_priv"], signature_size), ratchet_tree=tree, psks=psks)
    expect("initial_epoch_authenticator", case["initial_epoch_authenticator"], group.epoch_authenticator)
    for n, epoch in enumerate(case["epochs"]):
        for proposal in epoch["proposals"]:
            group.process(MLSMessage.decode(h(proposal)))
        group.process(MLSMessage.decode(h(epoch["commit"])))
        expect(f"epochs[{n}].epoch_authenticator", epoch["epoch_authenticator"], group.epoch_authenticator)
