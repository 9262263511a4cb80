"""Checks from the committed vectors: the official RFC 9420 files and the XMTP families.

* RFC 9420 passive-client cases are driven through the ``mls`` capability and judged here: the
  adapter joins with the case's keys, processes every message, and reports its epoch authenticator
  after each epoch (test-vectors.md "Passive Client Scenarios").
* Every other RFC 9420 case goes to ``mls.verify_vector``: the adapter verifies the case itself, as
  in mls-implementations' interop runner (``VerifyTestVector``); its verdict is taken as given.
* XMTP cases are asked as questions (``conformance/vectors/questions.py``) through ``xmtp.answer``;
  scenario cases are driven through ``clients``. The harness judges every answer.
"""

from __future__ import annotations

import functools
import json
from typing import Any, Iterator

from spec_model.mls.suites import suite

from ..adapter import AdapterError, ErrorKind, Session
from ..rfc9420 import FILES, case_label, load
from ..rfc9420.passive_client import fixed_width_private_key
from ..vectors import XMTP_DIR, Difference, expect, family_modules
from ..vectors.formats import FILE_MODELS
from ..vectors.questions import judge, questions
from .checks import Check, Need

__all__ = ["rfc9420_checks", "xmtp_checks", "RFC9420_AREAS", "accepted"]

RFC9420_AREAS = {
    "tree-math": "MLS tree", "tree-operations": "MLS tree", "tree-validation": "MLS tree", "treekem": "MLS tree",
    "crypto-basics": "MLS crypto", "secret-tree": "MLS framing", "message-protection": "MLS framing",
    "key-schedule": "MLS key schedule", "psk-secret": "MLS key schedule", "transcript-hashes": "MLS key schedule",
    "welcome": "MLS welcome", "messages": "MLS messages", "deserialization": "MLS messages",
    "passive-client": "MLS group protocol",
}
"""RFC 9420 vector format -> the area it is reported under."""


def accepted(session: Session, what: str, operation: str, **params: Any) -> dict[str, Any]:
    """Call an operation that must succeed: a refusal is a difference (expected accepted)."""
    try:
        return session.ask(operation, **params)
    except AdapterError as e:
        if e.kind is ErrorKind.REJECTED:
            raise Difference(what, "accepted", f"refused: {e.reason} {e.message}".strip()) from None
        raise


# ---------------------------------------------------------------- RFC 9420


def _verify_vector(fmt: str, case: dict[str, Any], session: Session) -> None:
    verdict = session.ask("mls.verify_vector", format=fmt, case=case)
    if not verdict["passed"]:
        raise AssertionError(f"the adapter reports the case fails: {verdict['detail']}")


def _passive_client(case: dict[str, Any], session: Session) -> None:
    """test-vectors.md passive client: join, then each epoch's proposals and commit, authenticators compared."""
    cs = suite(case["cipher_suite"])
    keys = {name: fixed_width_private_key(case[name], size).hex() for name, size in (
        ("init_priv", cs.hpke.kem.Nsk), ("encryption_priv", cs.hpke.kem.Nsk),
        ("signature_priv", cs.signature_private_key_size))}
    accepted(session, "join from the Welcome", "mls.join_with_secrets", member="passive",
             key_package=case["key_package"], welcome=case["welcome"], ratchet_tree=case.get("ratchet_tree"),
             external_psks={p["psk_id"]: p["psk"] for p in case.get("external_psks", ())}, **keys)
    state = session.ask("mls.state", member="passive")
    expect("initial_epoch_authenticator", case["initial_epoch_authenticator"], state["epoch_authenticator"])
    for n, epoch in enumerate(case["epochs"]):
        for k, proposal in enumerate(epoch["proposals"]):
            done = accepted(session, f"epochs[{n}].proposals[{k}]", "mls.process", member="passive", message=proposal)
            expect(f"epochs[{n}].proposals[{k}] kind", "proposal", done["kind"])
        done = accepted(session, f"epochs[{n}].commit", "mls.process", member="passive", message=epoch["commit"])
        expect(f"epochs[{n}].commit kind", "commit", done["kind"])
        state = session.ask("mls.state", member="passive")
        expect(f"epochs[{n}].epoch_authenticator", epoch["epoch_authenticator"], state["epoch_authenticator"])


def rfc9420_checks() -> Iterator[Check]:
    for name, fmt in FILES.items():
        for index, case in enumerate(load(name)):
            needs: tuple[Need, ...]
            if fmt == "passive-client":
                run = functools.partial(_passive_client, case)
                needs = (Need("mls", "cipher_suites", case["cipher_suite"]),)
            else:
                run = functools.partial(_verify_vector, fmt, case)
                needs = (Need("mls.vectors", "formats", fmt),)
            yield Check(id=f"rfc9420/{case_label(name, index, case)}", area=RFC9420_AREAS[fmt],
                        rule=f"RFC 9420 test vectors: {fmt} (test-vectors.md)", needs=needs, run=run,
                        reproducer=f"xmtp-conformance vectors verify {name} (case {index})")


# ---------------------------------------------------------------- XMTP


def _answer_xmtp(family_name: str, family, case, session: Session) -> None:
    for question in questions(family, case):
        answer = session.ask("xmtp.answer", family=family_name, question=question)["answer"]
        judge(family, case, question, answer)


def _run_scenario(family, case, session: Session) -> None:
    for question in questions(family, case):
        judge(family, case, question, family.answer(question, session))


def xmtp_checks() -> Iterator[Check]:
    for name, family in family_modules().items():
        path = XMTP_DIR / f"{name}.json"
        document = FILE_MODELS[family.FORMAT].model_validate(json.loads(path.read_text()))
        for case in document.cases:
            if family.FORMAT == "scenario":
                run = functools.partial(_run_scenario, family, case)
                needs = (Need("clients", "profiles", family.profile_of(case)),)
            else:
                run = functools.partial(_answer_xmtp, name, family, case)
                needs = (Need("xmtp.vectors", "families", name),)
            yield Check(id=f"xmtp/{case.id}", area=family.AREA, rule=case.rule, needs=needs, run=run,
                        reproducer=f"vectors/xmtp/{name}.json, case {case.id}", description=case.description)
