"""key-schedule.json: the RFC 9420 §8 key schedule over consecutive epochs, with §8.1, §8.5 and §8.

test-vectors.md "Key Schedule". Question ``key_schedule``: ``{cipher_suite, group_id, initial_init_secret,
epochs: [{tree_hash, commit_secret, psk_secret, confirmed_transcript_hash, exporter: {label, context, length}}]}``.
Epoch ``i`` has GroupContext(mls10, cipher_suite, group_id, i, tree_hash, confirmed_transcript_hash, no
extensions); the key schedule runs from the previous epoch's ``init_secret`` (``initial_init_secret`` for epoch
0), ``commit_secret`` and ``psk_secret`` (the all-zero secret when ``null``). Answer ``{epochs: [...]}``, per
epoch: ``group_context`` (its encoding), every secret of ``SECRETS``, ``external_pub`` (the public half of
``KEM.DeriveKeyPair(external_secret)``) and ``exporter: {secret}`` (``MLS-Exporter(label, context, length)``,
the label being the JSON string's ASCII bytes).
"""

from __future__ import annotations

from typing import Any

from spec_model.mls.group_context import GroupContext, ProtocolVersion
from spec_model.mls.key_schedule import export, key_schedule
from spec_model.mls.suites import suite

from . import expect_answer, h

SECRETS = (
    "joiner_secret", "welcome_secret", "init_secret", "sender_data_secret", "encryption_secret",
    "exporter_secret", "epoch_authenticator", "external_secret", "confirmation_key",
    "membership_key", "resumption_psk",
)
INPUTS = ("tree_hash", "commit_secret", "psk_secret", "confirmed_transcript_hash")


def questions(case: dict) -> list[dict[str, Any]]:
    return [{"ask": "key_schedule", "cipher_suite": case["cipher_suite"], "group_id": case["group_id"],
             "initial_init_secret": case["initial_init_secret"],
             "epochs": [{**{k: v.get(k) for k in INPUTS},
                         "exporter": {k: v["exporter"][k] for k in ("label", "context", "length")}}
                        for v in case["epochs"]]}]


def answer(question: dict[str, Any]) -> dict[str, Any]:
    cs = suite(question["cipher_suite"])
    init_secret = h(question["initial_init_secret"])
    epochs = []
    for epoch, v in enumerate(question["epochs"]):
        context = GroupContext(ProtocolVersion.mls10, question["cipher_suite"], h(question["group_id"]), epoch,
                               h(v["tree_hash"]), h(v["confirmed_transcript_hash"]), ()).encode()
        secrets = key_schedule(cs, init_secret, h(v["commit_secret"]), h(v.get("psk_secret")), context)
        x = v["exporter"]
        epochs.append({"group_context": context.hex(),
                       **{name: getattr(secrets, name).hex() for name in SECRETS},
                       "external_pub": cs.derive_key_pair(secrets.external_secret)[1].hex(),
                       "exporter": {"secret": export(cs, secrets.exporter_secret, x["label"].encode(),
                                                     h(x["context"]), x["length"]).hex()}})
        init_secret = secrets.init_secret
    return {"epochs": epochs}


def judge(case: dict, question: dict[str, Any], answer: dict[str, Any]) -> None:
    for epoch, v in enumerate(case["epochs"]):
        where = f"epochs[{epoch}]"
        for name in ("group_context", *SECRETS, "external_pub"):
            expect_answer(f"{where}.{name}", v[name], answer)
        expect_answer(f"{where}.exporter.secret", v["exporter"]["secret"], answer)
