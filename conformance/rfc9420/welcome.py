"""welcome.json: decrypt a Welcome's GroupSecrets and GroupInfo, verify its signature and
confirmation tag (RFC 9420 §12.4.3.1)."""

from __future__ import annotations

from spec_model.mls.key_schedule import confirmation_tag, derive_epoch_secrets
from spec_model.mls.message import MLSMessage
from spec_model.mls.suites import suite
from spec_model.mls.welcome import decrypt_group_info, decrypt_group_secrets, welcome_secret

from . import expect, h


def check(case: dict) -> None:
    cs = suite(case["cipher_suite"])
    key_package = MLSMessage.decode(h(case["key_package"])).body
    welcome = MLSMessage.decode(h(case["welcome"])).body
    secrets = decrypt_group_secrets(cs, welcome, key_package.ref(cs), h(case["init_priv"]))
    expect("group_secrets.psks", (), secrets.psks)  # this file carries no PSKs
    psk_secret = bytes(cs.Nh)
    group_info = decrypt_group_info(cs, welcome_secret(cs, secrets.joiner_secret, psk_secret),
                                    welcome.encrypted_group_info)
    group_info.verify_signature(cs, h(case["signer_pub"]))
    context = group_info.group_context
    epoch = derive_epoch_secrets(cs, secrets.joiner_secret, psk_secret, context.encode())
    expect("group_info.confirmation_tag", group_info.confirmation_tag,
           confirmation_tag(cs, epoch.confirmation_key, context.confirmed_transcript_hash))
