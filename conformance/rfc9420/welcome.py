"""welcome.json: decrypt a Welcome's GroupSecrets and GroupInfo, verify its signature and
confirmation tag (RFC 9420 §12.4.3.1).

test-vectors.md "Welcome". Question ``welcome``: ``{cipher_suite, init_priv, signer_pub, key_package, welcome}``
(an MLSMessage(KeyPackage) and an MLSMessage(Welcome); no PSKs). Answer: ``valid`` (exactly one entry of the
Welcome names the key package by KeyPackageRef (§5.2) and decrypts with ``init_priv``; the GroupInfo decrypts
under the welcome secret; its signature verifies with ``signer_pub``; its ``confirmation_tag`` is
MAC(confirmation_key, confirmed_transcript_hash) for the epoch), and when valid ``joiner_secret`` and
``group_context`` (the GroupInfo's GroupContext, encoded). The vector lists no outputs, so the harness computes
both with the model. The control asks the same with ``signer_pub`` set to the joiner's own signature key:
``valid`` must be false.
"""

from __future__ import annotations

from typing import Any

from spec_model.mls.key_package import KeyPackage
from spec_model.mls.key_schedule import confirmation_tag, derive_epoch_secrets, welcome_secret
from spec_model.mls.message import MLSMessage
from spec_model.mls.reasons import Rejected
from spec_model.mls.suites import InvalidSignatureError, suite
from spec_model.mls.welcome import Welcome, decrypt_group_info, decrypt_group_secrets

from . import at, expect_answer, h, refused

INPUTS = ("cipher_suite", "init_priv", "signer_pub", "key_package", "welcome")


def _joiner_signature_key(case: dict) -> str:
    return MLSMessage.decode(h(case["key_package"])).body.leaf_node.signature_key.hex()


def questions(case: dict) -> list[dict[str, Any]]:
    asked = {"ask": "welcome", **{k: case[k] for k in INPUTS}}
    return [asked, {**asked, "signer_pub": _joiner_signature_key(case)}]


def answer(q: dict[str, Any]) -> dict[str, Any]:
    cs = suite(q["cipher_suite"])
    key_package, welcome = MLSMessage.decode(h(q["key_package"])).body, MLSMessage.decode(h(q["welcome"])).body
    if not isinstance(key_package, KeyPackage) or not isinstance(welcome, Welcome):
        return {"valid": False}
    ref = key_package.ref(cs)
    if sum(entry.new_member == ref for entry in welcome.secrets) != 1:
        return {"valid": False}
    try:
        secrets = decrypt_group_secrets(cs, welcome, ref, h(q["init_priv"]))
        psk_secret = bytes(cs.Nh)
        group_info = decrypt_group_info(cs, welcome_secret(cs, secrets.joiner_secret, psk_secret),
                                        welcome.encrypted_group_info)
        group_info.verify_signature(cs, h(q["signer_pub"]))
    except (Rejected, InvalidSignatureError, ValueError):
        return {"valid": False}
    context = group_info.group_context
    epoch = derive_epoch_secrets(cs, secrets.joiner_secret, psk_secret, context.encode())
    if group_info.confirmation_tag != confirmation_tag(cs, epoch.confirmation_key, context.confirmed_transcript_hash):
        return {"valid": False}
    return {"valid": True, "joiner_secret": secrets.joiner_secret.hex(), "group_context": context.encode().hex()}


def judge(case: dict, question: dict[str, Any], answer_: dict[str, Any]) -> None:
    if question["signer_pub"] != case["signer_pub"]:
        return refused("GroupInfo signed by another key", answer_)
    with at("the model decrypts the Welcome"):
        expected = answer(question)
    expect_answer("valid (the model accepts this Welcome)", True, expected, "valid")
    for field in ("valid", "joiner_secret", "group_context"):
        expect_answer(field, expected[field], answer_)
