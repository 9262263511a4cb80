"""key-schedule.json: the RFC 9420 §8 key schedule over consecutive epochs, with §8.1 and §8.5.

Epoch ``i`` of a case has GroupContext(mls10, cipher_suite, group_id, i,
tree_hash, confirmed_transcript_hash, no extensions); its ``init_secret``
feeds epoch ``i + 1``. The exporter label is the JSON string's ASCII bytes.
"""

from __future__ import annotations

from spec_model.mls.group_context import GroupContext, ProtocolVersion
from spec_model.mls.key_schedule import export, key_schedule
from spec_model.mls.suites import suite

from . import expect, h

SECRETS = (
    "joiner_secret", "welcome_secret", "init_secret", "sender_data_secret", "encryption_secret",
    "exporter_secret", "epoch_authenticator", "external_secret", "confirmation_key",
    "membership_key", "resumption_psk", "external_pub",
)


def check(case: dict) -> None:
    cs = suite(case["cipher_suite"])
    group_id = h(case["group_id"])
    init_secret = h(case["initial_init_secret"])
    for epoch, v in enumerate(case["epochs"]):
        at = f"epochs[{epoch}]"
        context = GroupContext(ProtocolVersion.mls10, case["cipher_suite"], group_id, epoch,
                               h(v["tree_hash"]), h(v["confirmed_transcript_hash"]), ())
        encoded = context.encode()
        expect(f"{at}.group_context", v["group_context"], encoded)
        expect(f"{at}.group_context.decode", context, GroupContext.decode(encoded))

        secrets = key_schedule(cs, init_secret, h(v["commit_secret"]), h(v["psk_secret"]), encoded)
        for name in SECRETS:
            expect(f"{at}.{name}", v[name], getattr(secrets, name))

        x = v["exporter"]
        expect(f"{at}.exporter.secret", x["secret"],
               export(cs, secrets.exporter_secret, x["label"].encode(), h(x["context"]), x["length"]))
        init_secret = secrets.init_secret
