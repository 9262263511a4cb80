"""psk_secret.json: RFC 9420 §8.4 ``psk_secret`` from a list of external PSKs.

test-vectors.md "Pre-Shared Keys": each entry becomes an external
``PreSharedKeyID`` (``psk_id``, ``psk_nonce``) with its ``psk`` value; the
chained ``psk_secret`` over the list, in order, equals the vector's (an empty
list gives the all-zero secret).
"""

from __future__ import annotations

from spec_model.mls.psk import PreSharedKeyID, psk_secret
from spec_model.mls.suites import suite

from . import expect, h


def check(case: dict) -> None:
    cs = suite(case["cipher_suite"])
    psks = [(PreSharedKeyID.external(h(p["psk_id"]), h(p["psk_nonce"])), h(p["psk"]))
            for p in case["psks"]]
    expect("psk_secret", case["psk_secret"], psk_secret(cs, psks))
