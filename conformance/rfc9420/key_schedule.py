"""key-schedule.json: the RFC 9420 §8 key schedule over consecutive epochs, with §8.1, §8.5 and §8.

test-vectors.md "Key Schedule": epoch ``i`` of a case has GroupContext(mls10,
cipher_suite, group_id, i, tree_hash, confirmed_transcript_hash, no
extensions), which must encode to ``group_context``; the key schedule from
the previous epoch's ``init_secret`` (``initial_init_secret`` for epoch 0),
``commit_secret`` and ``psk_secret`` (the all-zero secret when absent)
reproduces every listed secret; ``external_pub`` is the public half of
``KEM.DeriveKeyPair(external_secret)``; ``exporter.secret`` is
``MLS-Exporter(exporter.label, exporter.context, exporter.length)`` (the
label is the JSON string's ASCII bytes). Each epoch's ``init_secret`` feeds
the next.
"""

from __future__ import annotations

from spec_model.mls.group_context import GroupContext, ProtocolVersion
from spec_model.mls.key_schedule import export, key_schedule
from spec_model.mls.suites import suite

from . import expect, h

SECRETS = (
    "joiner_secret", "welcome_secret", "init_secret", "sender_data_secret", "encryption_secret",
    "exporter_secret", "epoch_authenticator", "external_secret", "confirmation_key",
    "membership_key", "resumption_psk",
)


def check(case: dict) -> None:
    cs = suite(case["cipher_suite"])
    group_id = h(case["group_id"])
    init_secret = h(case["initial_init_secret"])
    for epoch, v in enumerate(case["epochs"]):
        where = f"epochs[{epoch}]"
        context = GroupContext(ProtocolVersion.mls10, case["cipher_suite"], group_id, epoch,
                               h(v["tree_hash"]), h(v["confirmed_transcript_hash"]), ())
        encoded = context.encode()
        expect(f"{where}.group_context", v["group_context"], encoded)
        expect(f"{where}.group_context.decode", context, GroupContext.decode(encoded))

        secrets = key_schedule(cs, init_secret, h(v["commit_secret"]), h(v.get("psk_secret")), encoded)
        for name in SECRETS:
            expect(f"{where}.{name}", v[name], getattr(secrets, name))

        _, external_pub = cs.derive_key_pair(secrets.external_secret)
        expect(f"{where}.external_pub", v["external_pub"], external_pub)
        expect(f"{where}.external_pub (EpochSecrets)", v["external_pub"], secrets.external_pub)

        x = v["exporter"]
        expect(f"{where}.exporter.secret", x["secret"],
               export(cs, secrets.exporter_secret, x["label"].encode(), h(x["context"]), x["length"]))
        init_secret = secrets.init_secret
