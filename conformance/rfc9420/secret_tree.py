"""secret-tree.json: RFC 9420 §6.3.2 sender-data keys and the §9 secret tree and ratchets.

test-vectors.md "Secret Tree": ``sender_data.key`` and ``.nonce`` derive from
``sender_data_secret`` and the ciphertext sample (§6.3.2); a secret tree with
as many leaves as ``leaves`` has entries, rooted at ``encryption_secret``,
yields each listed generation's handshake and application key and nonce for
each leaf (§9, §9.1).

Each leaf lists generations in increasing order; the leaf's ratchets are
asked for exactly those, receiver-style, so skipped generations are
stepped over (the vectors' largest jump, 15, is within the default limits).
"""

from __future__ import annotations

from spec_model.mls.secret_tree import SecretTree, sender_data_key_nonce
from spec_model.mls.suites import suite

from . import at, expect, h


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
            g = step["generation"]
            where = f"leaves[{leaf}][generation={g}]"
            with at(f"{where}.handshake"):
                key, nonce = handshake.key_for(g)
            expect(f"{where}.handshake_key", step["handshake_key"], key)
            expect(f"{where}.handshake_nonce", step["handshake_nonce"], nonce)
            with at(f"{where}.application"):
                key, nonce = application.key_for(g)
            expect(f"{where}.application_key", step["application_key"], key)
            expect(f"{where}.application_nonce", step["application_nonce"], nonce)
