"""The adapter protocol's cost: one question answered in process and over JSON lines, and a scenario step.

Run with ``.venv/bin/pytest benchmarks/test_adapter_protocol.py --benchmark-enable``. What it shows:
the JSON-lines round trip an out-of-process adapter adds per call, compared with the work of a call.
"""

from __future__ import annotations

import pytest

from conformance.adapter import connect
from conformance.scenarios.driver import Driver

QUESTION = {"ask": "decide", "inputs": {"address": "0x1234567890abcdef1234567890abcdef12345678", "nonce": 0}}


@pytest.fixture(scope="module", params=["reference", "reference-subprocess"])
def session(request):
    session = connect(request.param)
    yield session
    session.close()


def test_answer_one_question(benchmark, session):
    answer = benchmark(session.ask, "xmtp.answer", family="inbox_id", question=QUESTION)
    assert answer["answer"]["result"] == "valid"


def test_send_and_read_one_message(benchmark, session):
    """A scenario step that sends (publish + query through ds.* calls) and one that syncs and reads."""
    driver = Driver(session)
    driver.run([{"client": "alice", "action": "create_client"}, {"client": "bob", "action": "create_client"},
                {"client": "alice", "action": "create_group", "arguments": {"group": "g", "members": ["bob"]}},
                {"client": "bob", "action": "sync_welcomes"}])

    def exchange():
        driver.step({"client": "alice", "action": "send", "arguments": {"group": "g", "text": "hi"}})
        return driver.step({"client": "bob", "action": "sync", "arguments": {"group": "g"}})

    assert benchmark(exchange)["result"] == "valid"
