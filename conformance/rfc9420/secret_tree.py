"""secret-tree.json: RFC 9420 §6.3.2 sender-data keys and the §9 secret tree and ratchets.

test-vectors.md "Secret Tree". Two questions:

* ``sender_data`` ``{cipher_suite, sender_data_secret, ciphertext}``: answer ``{key, nonce}`` (§6.3.2, the
  key and nonce from the ciphertext sample);
* ``secret_tree`` ``{cipher_suite, encryption_secret, generations}``: ``generations[i]`` lists, in increasing
  order, the generations asked of leaf ``i`` of a secret tree with ``len(generations)`` leaves. Answer
  ``{leaves: [[{handshake_key, handshake_nonce, application_key, application_nonce}, …], …]}``, one entry per
  generation asked (§9, §9.1; skipped generations are stepped over, receiver-style).
"""

from __future__ import annotations

from typing import Any

from spec_model.mls.secret_tree import SecretTree, sender_data_key_nonce
from spec_model.mls.suites import suite

from . import expect_answer, h

KEYS = ("handshake_key", "handshake_nonce", "application_key", "application_nonce")


def questions(case: dict) -> list[dict[str, Any]]:
    v = case["sender_data"]
    return [{"ask": "sender_data", "cipher_suite": case["cipher_suite"],
             "sender_data_secret": v["sender_data_secret"], "ciphertext": v["ciphertext"]},
            {"ask": "secret_tree", "cipher_suite": case["cipher_suite"], "encryption_secret": case["encryption_secret"],
             "generations": [[step["generation"] for step in leaf] for leaf in case["leaves"]]}]


def answer(question: dict[str, Any]) -> dict[str, Any]:
    cs = suite(question["cipher_suite"])
    if question["ask"] == "sender_data":
        key, nonce = sender_data_key_nonce(cs, h(question["sender_data_secret"]), h(question["ciphertext"]))
        return {"key": key.hex(), "nonce": nonce.hex()}
    generations = question["generations"]
    tree = SecretTree(cs, h(question["encryption_secret"]), len(generations))
    leaves = []
    for leaf, asked in enumerate(generations):
        handshake, application = tree.handshake_ratchet(leaf), tree.application_ratchet(leaf)
        steps = []
        for g in asked:
            hk, hn = handshake.key_for(g)
            ak, an = application.key_for(g)
            steps.append({"handshake_key": hk.hex(), "handshake_nonce": hn.hex(),
                          "application_key": ak.hex(), "application_nonce": an.hex()})
        leaves.append(steps)
    return {"leaves": leaves}


def judge(case: dict, question: dict[str, Any], answer: dict[str, Any]) -> None:
    if question["ask"] == "sender_data":
        expect_answer("sender_data.key", case["sender_data"]["key"], answer, "key")
        expect_answer("sender_data.nonce", case["sender_data"]["nonce"], answer, "nonce")
        return
    for leaf, steps in enumerate(case["leaves"]):
        for n, step in enumerate(steps):
            where = f"leaves[{leaf}][generation={step['generation']}]"
            for key in KEYS:
                expect_answer(f"{where}.{key}", step[key], answer, f"leaves[{leaf}][{n}].{key}")
