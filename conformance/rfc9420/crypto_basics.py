"""crypto-basics.json: the labelled helpers of RFC 9420 §5.1, §5.2, §8 and §9.

test-vectors.md "Crypto Basics". Every question carries ``cipher_suite``; labels are the vectors' strings
(their ASCII bytes, without the ``"MLS 1.0 "`` prefix the helpers add):

=====================  ==========================================  ==========================================
ask                    question                                    answer
=====================  ==========================================  ==========================================
ref_hash               ``label``, ``value``                        ``out``: RefHash (§5.2)
expand_with_label      ``secret``, ``label``, ``context``,         ``out``: ExpandWithLabel (§8)
                       ``length``
derive_secret          ``secret``, ``label``                       ``out``: DeriveSecret (§8)
derive_tree_secret     ``secret``, ``label``, ``generation``,      ``out``: DeriveTreeSecret (§9)
                       ``length``
sign_with_label        ``priv``, ``label``, ``content``            ``signature``: SignWithLabel (§5.1.2);
                                                                   the harness verifies it with the case's key
verify_with_label      ``pub``, ``label``, ``content``,            ``valid``: for each signature, whether
                       ``signatures`` (two)                        VerifyWithLabel accepts it (one is the
                                                                   case's, one is tampered)
encrypt_with_label     ``pub``, ``label``, ``context``,            ``kem_output``, ``ciphertext``:
                       ``plaintext`` (chosen by the harness)       EncryptWithLabel (§5.1.3); the harness
                                                                   decrypts it with the case's key
decrypt_with_label     ``priv``, ``label``, ``context``,           ``plaintext``: DecryptWithLabel
                       ``kem_output``, ``ciphertext``
=====================  ==========================================  ==========================================
"""

from __future__ import annotations

import hashlib
from typing import Any

from spec_model.mls.suites import HPKECiphertext, suite

from . import answer_bytes, at, expect, expect_answer, got, h, tampered

PLAIN = ("ref_hash", "expand_with_label", "derive_secret", "derive_tree_secret")


def _signatures(signature: bytes) -> list[bytes]:
    """The case's signature and a tampered copy, in an order fixed by the signature's first byte."""
    pair = [signature, tampered(signature)]
    return pair if signature[0] & 1 else pair[::-1]


def _harness_plaintext(vector_plaintext: bytes) -> bytes:
    """A plaintext the implementation has not seen in the case, for the encryption question."""
    return hashlib.sha256(b"xmtp-conformance encrypt_with_label " + vector_plaintext).digest()


def questions(case: dict) -> list[dict[str, Any]]:
    cs = {"cipher_suite": case["cipher_suite"]}
    ref, expand, derive, tree = (case[k] for k in PLAIN)
    sign, enc = case["sign_with_label"], case["encrypt_with_label"]
    return [
        {"ask": "ref_hash", **cs, "label": ref["label"], "value": ref["value"]},
        {"ask": "expand_with_label", **cs, **{k: expand[k] for k in ("secret", "label", "context", "length")}},
        {"ask": "derive_secret", **cs, "secret": derive["secret"], "label": derive["label"]},
        {"ask": "derive_tree_secret", **cs, **{k: tree[k] for k in ("secret", "label", "generation", "length")}},
        {"ask": "sign_with_label", **cs, "priv": sign["priv"], "label": sign["label"], "content": sign["content"]},
        {"ask": "verify_with_label", **cs, "pub": sign["pub"], "label": sign["label"], "content": sign["content"],
         "signatures": [s.hex() for s in _signatures(h(sign["signature"]))]},
        {"ask": "encrypt_with_label", **cs, "pub": enc["pub"], "label": enc["label"], "context": enc["context"],
         "plaintext": _harness_plaintext(h(enc["plaintext"])).hex()},
        {"ask": "decrypt_with_label", **cs, **{k: enc[k] for k in ("priv", "label", "context", "kem_output",
                                                                 "ciphertext")}},
    ]


def answer(q: dict[str, Any]) -> dict[str, Any]:
    cs, ask, label = suite(q["cipher_suite"]), q["ask"], q["label"].encode()
    if ask == "ref_hash":
        return {"out": cs.ref_hash(label, h(q["value"])).hex()}
    if ask == "expand_with_label":
        return {"out": cs.expand_with_label(h(q["secret"]), label, h(q["context"]), q["length"]).hex()}
    if ask == "derive_secret":
        return {"out": cs.derive_secret(h(q["secret"]), label).hex()}
    if ask == "derive_tree_secret":
        return {"out": cs.derive_tree_secret(h(q["secret"]), label, q["generation"], q["length"]).hex()}
    if ask == "sign_with_label":
        return {"signature": cs.sign_with_label(h(q["priv"]), label, h(q["content"])).hex()}
    if ask == "verify_with_label":
        return {"valid": [_verifies(cs, h(q["pub"]), label, h(q["content"]), h(s)) for s in q["signatures"]]}
    if ask == "encrypt_with_label":
        ct = cs.encrypt_with_label(h(q["pub"]), label, h(q["context"]), h(q["plaintext"]))
        return {"kem_output": ct.kem_output.hex(), "ciphertext": ct.ciphertext.hex()}
    if ask == "decrypt_with_label":
        ct = HPKECiphertext(h(q["kem_output"]), h(q["ciphertext"]))
        return {"plaintext": cs.decrypt_with_label(h(q["priv"]), label, h(q["context"]), ct).hex()}
    raise ValueError(f"crypto-basics: no question {ask!r}")


def _verifies(cs, pub: bytes, label: bytes, content: bytes, signature: bytes) -> bool:
    try:
        cs.verify_with_label(pub, label, content, signature)
    except Exception:  # noqa: BLE001 -- any refusal of the signature is "does not verify"
        return False
    return True


def judge(case: dict, q: dict[str, Any], answer: dict[str, Any]) -> None:
    cs, ask = suite(case["cipher_suite"]), q["ask"]
    if ask in PLAIN:
        expect_answer(f"{ask}.out", case[ask]["out"], answer, "out")
    elif ask == "sign_with_label":
        v = case["sign_with_label"]
        signature = answer_bytes("sign_with_label.signature", answer, "signature")
        with at("sign_with_label.signature verifies (the harness checks the implementation's signature)"):
            cs.verify_with_label(h(v["pub"]), v["label"].encode(), h(v["content"]), signature)
    elif ask == "verify_with_label":
        given = h(case["sign_with_label"]["signature"])
        expect("verify_with_label.valid", [s == given for s in _signatures(given)], got(answer, "valid"))
    elif ask == "encrypt_with_label":
        v = case["encrypt_with_label"]
        ct = HPKECiphertext(answer_bytes("encrypt_with_label.kem_output", answer, "kem_output"),
                            answer_bytes("encrypt_with_label.ciphertext", answer, "ciphertext"))
        with at("encrypt_with_label decrypts (the harness decrypts the implementation's ciphertext)"):
            plaintext = cs.decrypt_with_label(h(v["priv"]), v["label"].encode(), h(v["context"]), ct)
        expect("encrypt_with_label.plaintext", q["plaintext"], plaintext.hex())
    else:
        expect_answer("decrypt_with_label.plaintext", case["encrypt_with_label"]["plaintext"], answer, "plaintext")
