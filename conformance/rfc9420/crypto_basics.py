"""crypto-basics.json: the labelled helpers of RFC 9420 §5.1, §5.2, §8 and §9.

test-vectors.md "Crypto Basics": ``RefHash``, ``ExpandWithLabel``,
``DeriveSecret`` and ``DeriveTreeSecret`` reproduce ``out``; the given
signature verifies, and so does one the model makes (§5.1.2); the given HPKE
ciphertext decrypts to ``plaintext``, and so does one the model makes (§5.1.3).
The key pairs are also checked to match (``pub`` derived from ``priv``).
"""

from __future__ import annotations

from spec_model.mls.suites import HPKECiphertext, suite

from . import at, expect, h


def check(case: dict) -> None:
    cs = suite(case["cipher_suite"])

    v = case["ref_hash"]
    expect("ref_hash.out", v["out"], cs.ref_hash(v["label"].encode(), h(v["value"])))

    v = case["expand_with_label"]
    expect("expand_with_label.out", v["out"],
           cs.expand_with_label(h(v["secret"]), v["label"].encode(), h(v["context"]), v["length"]))

    v = case["derive_secret"]
    expect("derive_secret.out", v["out"], cs.derive_secret(h(v["secret"]), v["label"].encode()))

    v = case["derive_tree_secret"]
    expect("derive_tree_secret.out", v["out"],
           cs.derive_tree_secret(h(v["secret"]), v["label"].encode(), v["generation"], v["length"]))

    v = case["sign_with_label"]
    label, content = v["label"].encode(), h(v["content"])
    expect("sign_with_label.pub", v["pub"], cs.signature_public_key(h(v["priv"])))
    with at("sign_with_label.signature verifies"):
        cs.verify_with_label(h(v["pub"]), label, content, h(v["signature"]))
    with at("sign_with_label.own signature verifies"):
        cs.verify_with_label(h(v["pub"]), label, content, cs.sign_with_label(h(v["priv"]), label, content))

    v = case["encrypt_with_label"]
    label, context = v["label"].encode(), h(v["context"])
    expect("encrypt_with_label.pub", v["pub"], cs.hpke_public_key(h(v["priv"])))
    given = HPKECiphertext(h(v["kem_output"]), h(v["ciphertext"]))
    with at("encrypt_with_label.decrypt"):
        plaintext = cs.decrypt_with_label(h(v["priv"]), label, context, given)
    expect("encrypt_with_label.plaintext", v["plaintext"], plaintext)
    with at("encrypt_with_label.round_trip"):
        own = cs.encrypt_with_label(h(v["pub"]), label, context, h(v["plaintext"]))
        plaintext = cs.decrypt_with_label(h(v["priv"]), label, context, own)
    expect("encrypt_with_label.round_trip", v["plaintext"], plaintext)
