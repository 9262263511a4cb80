"""welcome.json: decrypt a Welcome's GroupSecrets and GroupInfo, verify its signature and
confirmation tag (RFC 9420 §12.4.3.1).

test-vectors.md "Welcome": ``key_package`` is an MLSMessage(KeyPackage) and
``welcome`` an MLSMessage(Welcome); exactly one entry of ``welcome.secrets``
names the key package (by KeyPackageRef, §5.2); it decrypts with
``init_priv`` (which matches the key package's ``init_key``); the GroupInfo
decrypts under the welcome secret of ``joiner_secret`` with no PSKs; its
signature verifies with ``signer_pub``; and its ``confirmation_tag`` is
MAC(confirmation_key, confirmed_transcript_hash) for the epoch that
``joiner_secret``, no PSKs and the decrypted GroupContext give.
"""

from __future__ import annotations

from spec_model.mls.key_package import KeyPackage
from spec_model.mls.key_schedule import confirmation_tag, derive_epoch_secrets, welcome_secret
from spec_model.mls.message import MLSMessage
from spec_model.mls.suites import suite
from spec_model.mls.welcome import Welcome, decrypt_group_info, decrypt_group_secrets

from . import at, expect, h


def check(case: dict) -> None:
    cs = suite(case["cipher_suite"])
    with at("key_package.decode"):
        key_package = MLSMessage.decode(h(case["key_package"])).body
    expect("key_package.wire_format", KeyPackage.__name__, type(key_package).__name__)
    with at("welcome.decode"):
        welcome = MLSMessage.decode(h(case["welcome"])).body
    expect("welcome.wire_format", Welcome.__name__, type(welcome).__name__)
    expect("welcome.cipher_suite", case["cipher_suite"], welcome.cipher_suite)
    expect("init_priv", key_package.init_key, cs.hpke_public_key(h(case["init_priv"])))

    ref = key_package.ref(cs)
    expect("welcome.secrets[key_package]", 1, sum(entry.new_member == ref for entry in welcome.secrets))
    with at("welcome.group_secrets.decrypt"):
        secrets = decrypt_group_secrets(cs, welcome, ref, h(case["init_priv"]))
    expect("group_secrets.psks", (), secrets.psks)  # "no PSKs"
    psk_secret = bytes(cs.Nh)
    with at("welcome.group_info.decrypt"):
        group_info = decrypt_group_info(cs, welcome_secret(cs, secrets.joiner_secret, psk_secret),
                                        welcome.encrypted_group_info)
    with at("group_info.signature"):
        group_info.verify_signature(cs, h(case["signer_pub"]))
    context = group_info.group_context
    epoch = derive_epoch_secrets(cs, secrets.joiner_secret, psk_secret, context.encode())
    expect("group_info.confirmation_tag", group_info.confirmation_tag,
           confirmation_tag(cs, epoch.confirmation_key, context.confirmed_transcript_hash))
