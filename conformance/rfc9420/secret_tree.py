"""secret-tree.json: RFC 9420 §6.3.2 sender-data keys and the §9 secret tree and ratchets.

Each leaf lists generations in increasing order; the leaf's ratchets are
asked for exactly those, receiver-style, so skipped generations are
stepped over (the vectors' largest jump, 15, is within the default limits).
"""

from __future__ import annotations

from spec_model.mls.secret_tree import SecretTree, sender_data_key_nonce
from spec_model.mls.suites import suite

from . import expect, h


def check(case: dict) -> None:
    cs = suite(case["cipher_suite"])

    v = case["sender_data"]
    key, nonce = sender_data_key_nonce(cs, h(v["sender_data_secret"]), h(v["ciphertext"]))
    expect("sender_data.key", v["key"], key)
    expect("sender_data.nonce", v["nonce"], nonce)

    leaves = case["leaves"]
    tree = SecretTree(cs, h(case["encryption_secret"]), len(leaves))
    for leaf, steps in enumerate(leaves):
        handshake, application = tree.handshake_ratchet(leaf), tree.application_ratchet(leaf)
        for step in steps:
            at, g = f"leaves[{leaf}][generation={step['generation']}]", step["generation"]
            key, nonce = handshake.key_for(g)
            expect(f"{at}.handshake_key", step["handshake_key"], key)
            expect(f"{at}.handshake_nonce", step["handshake_nonce"], nonce)
            key, nonce = application.key_for(g)
            expect(f"{at}.application_key", step["application_key"], key)
            expect(f"{at}.application_nonce", step["application_nonce"], nonce)
