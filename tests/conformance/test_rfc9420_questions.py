"""The RFC 9420 and RFC 9180 vector questions: what the harness asks and what the model answers fit the
documented shapes (``conformance/rfc9420/shapes.py``), no question carries an output of its case, and
the judges refuse answers that do no work."""

from __future__ import annotations

import json

import pytest

from conformance import rfc9180
from conformance.rfc9420 import FILES, QUESTION_FORMATS, Mismatch, StepFailed, load, module
from conformance.rfc9420.shapes import SHAPES

CASES = [(fmt, name, i, case) for name, fmt in FILES.items() if fmt in QUESTION_FORMATS
         for i, case in enumerate(load(name))]
CASES += [("hpke", "rfc9180", i, case) for i, case in enumerate(rfc9180.load())]


def _module(fmt: str):
    return rfc9180 if fmt == "hpke" else module(fmt)


def test_every_question_kind_has_a_shape():
    asked = {(fmt, q["ask"]) for fmt, _, _, case in CASES for q in _module(fmt).questions(case)}
    assert asked == set(SHAPES)


@pytest.mark.parametrize("fmt, name, index, case", CASES[::7], ids=lambda v: v if isinstance(v, (str, int)) else "")
def test_questions_and_the_models_answers_fit_their_shapes(fmt, name, index, case):
    for question in _module(fmt).questions(case):
        question_model, answer_model = SHAPES[(fmt, question["ask"])]
        question_model.model_validate(question)
        answer_model.model_validate(_module(fmt).answer(question))


OUTPUTS = {  # test-vectors.md's outputs of each format: none may appear in a question
    "tree-math": ("root", "left", "right", "parent", "sibling"),
    "crypto-basics": ("out",), "secret-tree": ("handshake_key", "application_key", "key"),
    "key-schedule": ("joiner_secret", "epoch_authenticator", "welcome_secret"), "psk-secret": ("psk_secret",),
    "transcript-hashes": ("confirmed_transcript_hash_after", "interim_transcript_hash_after"),
    "tree-operations": ("tree_after", "tree_hash_after", "tree_hash_before"),
    "tree-validation": ("resolutions", "tree_hashes"), "treekem": ("tree_hash_after", "commit_secret"),
    "hpke": ("shared_secret", "key", "base_nonce", "exporter_secret"),
}


def _values(data, names) -> set:
    """Every value of ``data`` (nested) under one of ``names``."""
    if isinstance(data, dict):
        found = {json.dumps(v) for k, v in data.items() if k in names}
        return found.union(*(_values(v, names) for v in data.values()))
    if isinstance(data, list):
        return set().union(*(_values(v, names) for v in data))
    return set()


def _keys(data) -> set:
    if isinstance(data, dict):
        return set(data).union(*(_keys(v) for v in data.values()))
    if isinstance(data, list):
        return set().union(*(_keys(v) for v in data))
    return set()


@pytest.mark.parametrize("fmt", sorted(OUTPUTS))
def test_no_question_carries_an_output(fmt):
    for f, _, _, case in CASES:
        if f != fmt:
            continue
        outputs = {v for v in _values(case, OUTPUTS[fmt]) if len(v) > 8}  # hex values, not small integers
        for question in _module(fmt).questions(case):
            assert not _keys(question) & set(OUTPUTS[fmt]) - {"psk_secret"}, (fmt, question["ask"])
            text = json.dumps(question)
            assert not [v for v in outputs if v in text], (fmt, question["ask"])


def test_a_receiver_question_holds_no_plaintext_and_a_sender_question_no_ciphertext():
    for case in rfc9180.load():
        sender, receiver = rfc9180.questions(case)
        assert case["enc"] not in json.dumps(sender)
        for e in case["encryptions"]:
            assert e["pt"] not in json.dumps(receiver) and e["ct"] not in json.dumps(sender)


@pytest.mark.parametrize("fmt", sorted({fmt for fmt, *_ in CASES}))
def test_empty_and_echoed_answers_fail_every_case(fmt):
    """An answer of nothing, or the question sent back, fails each case of the format."""
    for f, _, _, case in CASES:
        if f != fmt:
            continue
        for lazy in ({}, None):
            with pytest.raises((Mismatch, StepFailed)):
                for question in _module(fmt).questions(case):
                    _module(fmt).judge(case, question, question if lazy is None else lazy)
