"""The model's answers are plain JSON, and the judgements catch a wrong answer to any question.

For the families identity_updates, inbox_id, key_packages, messages, metadata_limits, permissions and
welcome_wrapping: a few committed cases each (a valid one, an invalid one, and the cases that ask
something more), every answer changed in one field at a time.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import pytest

from conformance import vectors
from conformance.vectors import questions
from conformance.vectors.formats import FILE_MODELS, Case

FAMILIES = ["identity_updates", "inbox_id", "key_packages", "messages", "metadata_limits", "permissions",
            "welcome_wrapping"]
MODULES = vectors.family_modules()
MORE = {  # cases asking what the first valid one does not
    "messages": ["messages::transcript_members_added", "messages::reaction_v2", "messages::v2_envelope_ignored"],
    "welcome_wrapping": ["welcome_wrapping::empty_metadata_not_opened"],
    "identity_updates": ["identity_updates::recovery_byte_alias_replay"],
}


@functools.cache
def committed(family: str) -> dict[str, Case]:
    document = json.loads((vectors.XMTP_DIR / f"{family}.json").read_text())
    return {case.id: case for case in FILE_MODELS[document["format"]].model_validate(document).cases}


def sample(family: str) -> list[Case]:
    cases = committed(family)
    first = {result: next(c for c in cases.values() if c.expected.result == result) for result in ("valid", "invalid")}
    return [*first.values(), *(cases[i] for i in MORE.get(family, []))]


def changed(value: Any) -> Any:
    """``value`` with one leaf changed (the first key of an object, the first item of a list)."""
    if isinstance(value, dict):
        key = min(value, key=str, default=None)
        return {**value, key: changed(value[key])} if key is not None else {"changed": True}
    if isinstance(value, list):
        return [changed(value[0]), *value[1:]] if value else ["changed"]
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    return "changed" if value is None else value + "0"


def wrong_answers(case: Case, answer: dict[str, Any]) -> list[dict[str, Any]]:
    """Answers that differ from the model's right one in one way each."""
    if "result" not in answer:  # each field changed in turn
        return [{**answer, key: changed(value)} for key, value in answer.items()]
    if answer["result"] == "invalid":
        return [{"result": "valid", "reason": None, "outputs": {}, "decoded": {}},
                {**answer, "reason": answer["reason"] + "_other"}, {**answer, "result": "maybe"}]
    fields = "outputs" if "outputs" in answer else "decoded"
    return [{"result": "invalid", "reason": "refused"}, {**answer, "reason": "refused"},
            *({**answer, fields: {**answer[fields], key: changed(value)}} for key, value in answer[fields].items())]


@pytest.mark.parametrize("family", FAMILIES)
def test_answers_are_json_and_judged_right(family):
    module = MODULES[family]
    for case in sample(family):
        for question in questions.questions(module, case):
            assert json.loads(json.dumps(question)) == question, case.id
            answer = module.answer(question)
            assert json.loads(json.dumps(answer)) == answer, f"{case.id} {question['ask']}"
            questions.judge(module, case, question, answer)


@pytest.mark.parametrize("family", FAMILIES)
def test_a_wrong_answer_is_caught(family):
    module = MODULES[family]
    for case in sample(family):
        if case.expected.result == "acceptable":
            continue
        for question in questions.questions(module, case):
            for wrong in wrong_answers(case, module.answer(question)):
                with pytest.raises(AssertionError, match=case.id):
                    questions.judge(module, case, question, wrong)


def test_extra_questions_are_asked():
    asked = {family: {q["ask"] for case in sample(family) for q in questions.questions(MODULES[family], case)}
             for family in FAMILIES}
    assert asked["welcome_wrapping"] == {"decide", "public_key", "wrap"}
    assert asked["key_packages"] == {"decide", "reencode", "inbox_of_updates"}
    assert asked["messages"] == {"decode", "encode", "encode_content", "seal"}


def test_acceptable_admits_either_verdict_but_not_another_reason():
    module = MODULES["identity_updates"]
    case = committed("identity_updates")["identity_updates::recovery_byte_alias_replay"]
    question, = questions.questions(module, case)
    accepted = {"result": "valid", "reason": None, "outputs": {"inbox_id": "ab", "seen_signature_count": 4}}
    questions.judge(module, case, question, accepted)
    questions.judge(module, case, question, {"result": "invalid", "reason": case.expected.reason})
    with pytest.raises(AssertionError, match="reason"):
        questions.judge(module, case, question, {"result": "invalid", "reason": "mls.bad_signature"})


def test_text_codec_parameters_are_not_compared():
    module, case = MODULES["messages"], committed("messages")["messages::text_without_encoding_parameter"]
    question = next(q for q in questions.questions(module, case) if q["ask"] == "encode_content")
    answer = module.answer(question)
    assert answer["encoded_content"]["parameters"] != case.decoded["encoded_content"]["parameters"]
    questions.judge(module, case, question, answer)


@pytest.mark.parametrize("encoded, context", [
    ("0a050a03ffffff", {"group_id": "00" * 16, "codec": None}),  # V1 whose content is not EncodedContent
    ("ffffff", {"group_id": "00" * 16, "codec": "group_updated", "server_timestamp_ns": 1}),  # a transcript
])
def test_content_that_does_not_decode_is_an_invalid_answer(encoded, context):
    module = MODULES["messages"]
    type_ = module.ENVELOPE_TYPE if "server_timestamp_ns" not in context else module.CONTENT_TYPE
    answer = module.answer({"ask": "decode", "type": type_, "encoded": encoded, "context": context})
    assert answer == {"result": "invalid", "reason": "content.malformed_content"}
