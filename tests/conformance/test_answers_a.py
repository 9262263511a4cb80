"""The model's answers to the questions of a few committed cases per family: pure JSON, and judged
strictly enough that a corrupted answer (verdict flipped, reason or one field changed) is caught."""

from __future__ import annotations

import copy
import json
from typing import Any, Iterator

import pytest

from conformance import vectors
from conformance.vectors import questions
from conformance.vectors.formats import FORMATS, Case

CASES = {
    "commit_validation": ["seed/add_members", "seed/member_adds_member", "seed/psk_proposal",
                          "seed/member_edits_group_name", "libxmtp/group_name_101_bytes"],
    "credentials": ["inbox_credential_facts_vector", "inbox_credential_uppercase_refused",
                    "inbox_credential_not_protobuf_refused", "x509_credential_refused",
                    "installation_key_rfc8032_test1", "legacy_milliseconds", "legacy_time_changed_refused"],
    "delivery_status": ["send_success_first_try", "send_events_after_failed_refused", "commit_invalid_is_error"],
    "group_context_extensions": ["membership_members_and_failed_installations", "immutable_metadata_dm",
                                 "permissions_and_any_composition", "required_capabilities_xmtp_group"],
    "group_histories": ["group_of_1", "group_of_2"],
    "history_archives": ["full_archive", "nonce_wraps_around", "wrong_key_refused", "trailing_bytes_refused"],
    "identity_signature_text": ["register_identity", "timestamp_beyond_i64_wraps", "checksummed_owner_refused",
                                "truncated_bytes_refused"],
}
FAMILIES = vectors.family_modules()


def _cases(family: str) -> list[Case]:
    document = json.loads((vectors.XMTP_DIR / f"{family}.json").read_text())
    wanted = {vectors.case_id(family, name) for name in CASES[family]}
    found = [FORMATS[document["format"]].model_validate(c) for c in document["cases"] if c["id"] in wanted]
    assert {c.id for c in found} == wanted
    return found


def _flips(verdict: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The other verdict; for a refusal also another reason."""
    if verdict["result"] == "valid":
        yield {**verdict, "result": "invalid", "reason": "not_a_reason"}
    else:
        yield {**verdict, "result": "valid", "reason": None}
        yield {**verdict, "reason": "not_" + verdict["reason"]}


def _leaves(value: Any, path: tuple = ()) -> Iterator[tuple]:
    """Paths to the scalars (and empty containers) of a JSON value, in order."""
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    if not items:
        yield path
    for key, item in items:
        yield from _leaves(item, (*path, key))


def _changed(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str):
        return value + "0"
    return {"extra": 1} if isinstance(value, dict) else [0] if isinstance(value, list) else "x"


def _corruptions(answer: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Answers that differ from ``answer`` in one verdict or one field (the first and last of each part)."""
    if "result" in answer:
        for flipped in _flips(answer):
            yield "verdict", flipped
    for i, step in enumerate(answer.get("steps", [])):
        for flipped in _flips(step):
            corrupted = copy.deepcopy(answer)
            corrupted["steps"][i] = flipped
            yield f"step {i} verdict", corrupted
    for key in answer:
        paths = list(_leaves(answer[key], (key,)))
        for path in dict.fromkeys([paths[0], paths[-1]]):
            corrupted = copy.deepcopy(answer)
            holder = corrupted
            for part in path[:-1]:
                holder = holder[part]
            holder[path[-1]] = _changed(holder[path[-1]])
            yield "/".join(map(str, path)), corrupted


@pytest.mark.parametrize("family", sorted(CASES))
def test_answers_are_json_and_corruptions_are_caught(family: str) -> None:
    module = FAMILIES[family]
    for case in _cases(family):
        for question in questions.questions(module, case):
            assert json.loads(json.dumps(question)) == question
            answer = module.answer(question)
            assert json.loads(json.dumps(answer)) == answer, f"{case.id} {question['ask']}: not pure JSON"
            questions.judge(module, case, question, answer)
            for what, corrupted in _corruptions(answer):
                with pytest.raises(AssertionError):
                    questions.judge(module, case, question, corrupted)
                    pytest.fail(f"{case.id} {question['ask']}: a changed {what} was not caught")


def test_each_family_has_valid_and_refused_cases_here() -> None:
    for family in CASES:
        verdicts = {e.result for c in _cases(family)
                    for e in ([s.expected for s in c.steps] if hasattr(c, "steps") else [c.expected])}
        assert verdicts == ({"valid"} if family == "group_context_extensions" else {"valid", "invalid"}), family
