"""Checks from the committed vectors: the official RFC 9420 and RFC 9180 files and the XMTP families.

* RFC 9420 passive-client cases are driven through the ``mls`` capability and judged here: the
  adapter joins with the case's keys, processes every message, and reports its epoch authenticator
  after each epoch (test-vectors.md "Passive Client Scenarios").
* Every other RFC 9420 case is asked as questions (``conformance/rfc9420``) through ``mls.answer``:
  the case's inputs only; the harness judges the answers. An adapter that can only verify a case
  itself (``mls.self_verify``, mls-implementations' ``VerifyTestVector``) gets ``self-reported`` at best.
* RFC 9180 cases are asked through ``hpke.answer`` (``conformance/rfc9180.py``).
* XMTP cases are asked as questions (``conformance/vectors/questions.py``) through ``xmtp.answer``;
  scenario cases are driven through ``clients``. The harness judges every answer, once it fits the
  family's answer model (``EXCHANGES``, ``vectors/schemas/families/``): one that does not is out of
  protocol, an error of the check naming the field, never judged.
"""

from __future__ import annotations

import bisect
import collections
import functools
from typing import Any, Iterator

from pydantic import ValidationError

from spec_model.mls.suites import suite

from .. import rfc9180
from ..adapter import AdapterError, ErrorKind, Session
from ..rfc9420 import FILES, case_label, load, module
from ..rfc9420.passive_client import fixed_width_private_key
from ..vectors import Difference, expect, family_document, family_modules
from ..vectors.formats import Verdict
from ..vectors.questions import judge, questions
from .checks import Check, Need, OneOf, SelfReported, missing

__all__ = ["rfc9420_checks", "hpke_checks", "xmtp_checks", "controls", "accepted", "fitting", "run_scenario"]


def accepted(session: Session, what: str, operation: str, **params: Any) -> dict[str, Any]:
    """Call an operation that must succeed: a refusal is a difference (expected accepted)."""
    try:
        return session.ask(operation, **params)
    except AdapterError as e:
        if e.kind is ErrorKind.REJECTED:
            raise Difference(what, "accepted", f"refused: {e.reason} {e.message}".strip()) from None
        raise


# ---------------------------------------------------------------- RFC 9420


def _vector_needs(capability: str, fmt: str, case: dict[str, Any]) -> tuple[Need, ...]:
    suite_need = (Need(capability, "cipher_suites", case["cipher_suite"]),) if "cipher_suite" in case else ()
    return (Need(capability, "formats", fmt), *suite_need)


def _ask_rfc9420(fmt: str, case: dict[str, Any], session: Session) -> None:
    """Every question of the case through ``mls.answer``, each answer judged; an adapter that only declares
    ``mls.self_verify`` for the format gets its own verdict reported as such."""
    if missing(_vector_needs("mls.vectors", fmt, case), session.hello.capabilities):
        verdict = session.ask("mls.self_verify", format=fmt, case=case)
        if not verdict["passed"]:
            raise AssertionError(f"the adapter reports that the case fails: {verdict['detail']}")
        raise SelfReported(f"the adapter says it passed (not judged by the harness) {verdict['detail']}".strip())
    questions = module(fmt).questions(case)
    for question in questions:
        module(fmt).judge(case, question, session.ask("mls.answer", format=fmt, question=question)["answer"])


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
            needs: tuple[Need | OneOf, ...]
            if fmt == "passive-client":
                run = functools.partial(_passive_client, case)
                needs = (Need("mls", "cipher_suites", case["cipher_suite"]),)
            else:
                run = functools.partial(_ask_rfc9420, fmt, case)
                needs = (OneOf((_vector_needs("mls.vectors", fmt, case), _vector_needs("mls.self_verify", fmt, case))),)
            yield Check(id=f"rfc9420/{case_label(name, index, case)}",
                        rule=f"RFC 9420 test vectors: {fmt} (test-vectors.md)", needs=needs, run=run,
                        reproducer=f"xmtp-conformance vectors verify {name} (case {index})")


# ---------------------------------------------------------------- RFC 9180


def _ask_hpke(case: dict[str, Any], session: Session) -> None:
    for question in rfc9180.questions(case):
        rfc9180.judge(case, question, session.ask("hpke.answer", question=question)["answer"])


def hpke_checks() -> Iterator[Check]:
    for case in rfc9180.load():
        yield Check(id=f"rfc9180/{rfc9180.case_label(case)}", rule="RFC 9180 Appendix A test vectors",
                    needs=(Need("hpke", "modes", case["mode"]), Need("hpke", "kems", case["kem_id"]),
                           Need("hpke", "kdfs", case["kdf_id"]), Need("hpke", "aeads", case["aead_id"])),
                    run=functools.partial(_ask_hpke, case),
                    reproducer=f"vectors/rfc9180/test-vectors.json, case {rfc9180.case_label(case)}")


# ---------------------------------------------------------------- XMTP


def fitting(family, question: dict[str, Any], answer: Any) -> dict[str, Any]:
    """``answer`` if it fits the family's answer model for the question's ``ask``; otherwise an ``AdapterError``
    (an error of the check: out of protocol) naming the first field that does not fit."""
    model = family.EXCHANGES[question["ask"]][1]
    try:
        model.model_validate(answer, strict=True)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the answer"
        more = f" (and {e.error_count() - 1} more)" if e.error_count() > 1 else ""
        raise AdapterError(ErrorKind.INTERNAL, "answer_out_of_protocol",
                           f"{question['ask']} answer, {where}: {first['msg']}{more}".replace("\n", " ")) from None
    return answer


def _answer_xmtp(family_name: str, family, cases: list, session: Session) -> None:
    """The case's questions, then its controls' (``controls``); every answer judged once it fits."""
    for case in cases:
        for question in questions(family, case):
            answer = session.ask("xmtp.answer", family=family_name, question=question)["answer"]
            judge(family, case, question, fitting(family, question, answer))


OPPOSITE = {Verdict.VALID: (Verdict.INVALID,), Verdict.INVALID: (Verdict.VALID,),
            Verdict.ACCEPTABLE: (Verdict.VALID, Verdict.INVALID)}


def controls(cases: list) -> dict[str, list]:
    """For each case with one verdict, the cases of its family asked beside it as controls: one of each verdict
    it does not expect (``OPPOSITE``), the nearest in the file with the same rule and profile where there is one.

    A check then passes only if the implementation gets both right, so answering ``valid`` (or ``invalid``) to
    everything passes no check of a family that has cases of both verdicts.

    Preferred, in turn: the same rule and profile (first tag), the same rule, the same profile, any; within the
    first of these that has a case of the verdict, the nearest (the earlier of two as near)."""
    pools: dict[tuple, list[int]] = collections.defaultdict(list)  # ascending case indices by verdict and kinship
    for j, other in enumerate(cases):
        if getattr(other, "expected", None) is not None:
            for kin in _kinship(Verdict(other.expected.result), other):
                pools[kin].append(j)
    chosen: dict[str, list] = {}
    for i, case in enumerate(cases):
        expected = getattr(case, "expected", None)
        if expected is None:
            continue
        picks = []
        for verdict in OPPOSITE[Verdict(expected.result)]:
            pool = next((pools[kin] for kin in _kinship(verdict, case) if kin in pools), None)
            if pool:
                k = bisect.bisect_left(pool, i)
                picks.append(cases[min(pool[max(k - 1, 0):k + 1], key=lambda j: (abs(j - i), j))])
        chosen[case.id] = picks
    return chosen


def _kinship(verdict: Verdict, case) -> tuple[tuple, ...]:
    """The pools a case of ``verdict`` falls in, closest first: its rule and profile, its rule, its profile, all."""
    profile = tuple(case.tags[:1])
    return ("rule and profile", verdict, case.rule, profile), ("rule", verdict, case.rule), \
        ("profile", verdict, profile), ("any", verdict)


def run_scenario(family, case, session: Session) -> None:
    """A scenario case driven through the adapter's ``clients``; the outcomes judged once they fit."""
    for question in questions(family, case):
        judge(family, case, question, fitting(family, question, family.answer(question, session)))


def xmtp_checks() -> Iterator[Check]:
    for name, family in family_modules().items():
        document = family_document(name, family.FORMAT)
        paired = controls(document.cases)
        for case in document.cases:
            if family.FORMAT == "scenario":
                run = functools.partial(run_scenario, family, case)
                needs = (Need("clients", "profiles", family.profile_of(case)),)
            else:
                run = functools.partial(_answer_xmtp, name, family, [case, *paired.get(case.id, ())])
                needs = (Need("xmtp.vectors", "families", name),)
            asked_beside = ", ".join(c.id for c in paired.get(case.id, ()))
            yield Check(id=f"xmtp/{case.id}", rule=case.rule, needs=needs, run=run,
                        reproducer=f"vectors/xmtp/{name}.json, case {case.id}"
                                   + (f" (controls: {asked_beside})" if asked_beside else ""),
                        description=case.description)
