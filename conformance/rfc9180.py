"""The official RFC 9180 (HPKE) test vectors (``vectors/rfc9180``) as questions the harness judges.

Each case names a mode (0 base, 1 psk, 2 auth, 3 auth_psk) and KEM, KDF and AEAD ids (RFC 9180 §7). Two
questions, asked through ``hpke.answer``; the mode's inputs (``psk``, ``psk_id``; the sender's ``skSm`` or
``pkSm``) are present where the mode uses them:

* ``sender`` ``{mode, kem_id, kdf_id, aead_id, info, pkRm, ikmE, skEm, …, plaintexts: [{aad, pt}],
  exports: [{exporter_context, L}]}``: Setup<MODE>S with the given ephemeral key (RFC 9180 §5.1: ``ikmE``
  through DeriveKeyPair, or ``skEm`` directly), then Seal every plaintext in order (§5.2) and Export (§5.3).
  Answer ``{enc, ciphertexts, exported}``.
* ``receiver`` ``{mode, kem_id, kdf_id, aead_id, info, skRm, pkRm, enc, …, ciphertexts: [{aad, ct}], exports}``:
  Setup<MODE>R, Open every ciphertext in order, Export. Answer ``{plaintexts, exported}``; a ciphertext that
  does not open is ``null``. The last ciphertext is a control, a tampered copy of the last one: it must not open.

The sender never sees a ciphertext, nor the ephemeral public key (``enc``, for these KEMs), and the receiver
never sees a plaintext, so no answer can be copied from the question.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from spec_model.mls.hpke import DecryptError, Mode, hpke_for

from .rfc9420 import expect, expect_answer, got, h, tampered

VECTOR_FILE = Path(__file__).resolve().parents[1] / "vectors" / "rfc9180" / "test-vectors.json"
SUITE = ("mode", "kem_id", "kdf_id", "aead_id")
PSK = ("psk", "psk_id")


def load() -> list[dict[str, Any]]:
    """The vendored cases."""
    return json.loads(VECTOR_FILE.read_text())


def case_label(case: dict[str, Any]) -> str:
    return "mode{mode}-kem{kem_id}-kdf{kdf_id}-aead{aead_id}".format(**case)


def questions(case: dict[str, Any]) -> list[dict[str, Any]]:
    common = {**{k: case[k] for k in (*SUITE, "info")}, **{k: case[k] for k in PSK if k in case},
              "exports": [{"exporter_context": e["exporter_context"], "L": e["L"]} for e in case["exports"]]}
    sealed = [{"aad": e["aad"], "ct": e["ct"]} for e in case["encryptions"]]
    if sealed:
        sealed.append({"aad": sealed[-1]["aad"], "ct": tampered(h(sealed[-1]["ct"])).hex()})
    return [
        {"ask": "sender", **common, **{k: case[k] for k in ("pkRm", "ikmE", "skEm", "skSm") if k in case},
         "plaintexts": [{"aad": e["aad"], "pt": e["pt"]} for e in case["encryptions"]]},
        {"ask": "receiver", **common, **{k: case[k] for k in ("skRm", "pkRm", "enc", "pkSm") if k in case},
         "ciphertexts": sealed},
    ]


def answer(q: dict[str, Any]) -> dict[str, Any]:
    suite = hpke_for(q["kem_id"], q["kdf_id"], q["aead_id"])
    mode, info = Mode(q["mode"]), h(q["info"])
    psk = (h(q["psk"]), h(q["psk_id"])) if mode in (Mode.PSK, Mode.AUTH_PSK) else ()
    if q["ask"] == "sender":
        pkR, ikm_e = h(q["pkRm"]), h(q["ikmE"])
        enc, context = {
            Mode.BASE: lambda: suite.setup_base_s(pkR, info, ikm_e),
            Mode.PSK: lambda: suite.setup_psk_s(pkR, info, *psk, ikm_e),
            Mode.AUTH: lambda: suite.setup_auth_s(pkR, info, h(q["skSm"]), ikm_e),
            Mode.AUTH_PSK: lambda: suite.setup_auth_psk_s(pkR, info, *psk, h(q["skSm"]), ikm_e),
        }[mode]()
        return {"enc": enc.hex(), "ciphertexts": [context.seal(h(p["aad"]), h(p["pt"])).hex() for p in q["plaintexts"]],
                "exported": [context.export(h(e["exporter_context"]), e["L"]).hex() for e in q["exports"]]}
    enc, skR = h(q["enc"]), h(q["skRm"])
    context = {
        Mode.BASE: lambda: suite.setup_base_r(enc, skR, info),
        Mode.PSK: lambda: suite.setup_psk_r(enc, skR, info, *psk),
        Mode.AUTH: lambda: suite.setup_auth_r(enc, skR, info, h(q["pkSm"])),
        Mode.AUTH_PSK: lambda: suite.setup_auth_psk_r(enc, skR, info, *psk, h(q["pkSm"])),
    }[mode]()
    plaintexts: list[str | None] = []
    for c in q["ciphertexts"]:
        try:
            plaintexts.append(context.open(h(c["aad"]), h(c["ct"])).hex())
        except DecryptError:
            plaintexts.append(None)
    return {"plaintexts": plaintexts,
            "exported": [context.export(h(e["exporter_context"]), e["L"]).hex() for e in q["exports"]]}


def judge(case: dict[str, Any], q: dict[str, Any], answer_: dict[str, Any]) -> None:
    for n, e in enumerate(case["exports"]):
        expect_answer(f"{q['ask']}.exported[{n}]", e["exported_value"], answer_, f"exported[{n}]")
    if q["ask"] == "sender":
        expect_answer("sender.enc", case["enc"], answer_, "enc")
        for n, e in enumerate(case["encryptions"]):
            expect_answer(f"sender.ciphertexts[{n}]", e["ct"], answer_, f"ciphertexts[{n}]")
        return
    expected = [e["pt"] for e in case["encryptions"]] + ([None] if case["encryptions"] else [])
    plaintexts = got(answer_, "plaintexts")
    expect("receiver.plaintexts.length", len(expected), len(plaintexts) if isinstance(plaintexts, list) else plaintexts)
    for n, pt in enumerate(expected):
        expect(f"receiver.plaintexts[{n}]" + (" (tampered control)" if n == len(case["encryptions"]) else ""),
               pt, plaintexts[n])
