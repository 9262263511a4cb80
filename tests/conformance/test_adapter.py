"""The adapter protocol: every operation implemented by the reference adapter, both forms answering alike,
JSON-RPC framing and errors, and the delivery-service link with its faults."""

from __future__ import annotations

import sys

import pytest

from conformance.adapter import AdapterError, ErrorKind, Session, connect
from conformance.adapter.delivery import RemoteDeliveryService
from conformance.adapter.jsonrpc import SubprocessAdapter
from conformance.adapter.protocol import HARNESS_OPERATIONS, OPERATIONS, check_params
from conformance.adapter.reference import ReferenceAdapter
from conformance.scenarios import driver as driver_module
from conformance.scenarios.driver import STEP_SECONDS, Driver, wallet_key
from spec_model.mls.reasons import Rejected
from spec_model.xmtp import api
from spec_model.xmtp.identity_signing import create_inbox_update
from spec_model.xmtp.network import NetworkError, NetworkReason, NodeReason
from spec_model.xmtp.wallet import Wallet


@pytest.fixture(scope="module", params=["reference", "reference-subprocess"])
def session(request):
    session = connect(request.param)
    yield session
    session.close()


def test_the_reference_adapter_implements_every_operation_of_what_it_declares():
    adapter = ReferenceAdapter()
    declared = adapter.hello(link=None).capabilities
    missing = [name for name, op in OPERATIONS.items()
               if name != "hello" and (op.capability is None or op.capability in declared)
               and not hasattr(adapter, "_" + name.replace(".", "_"))]
    assert missing == []
    assert not hasattr(adapter, "_mls_self_verify")  # it answers every format as questions: nothing self-reported
    adapter.close()


def test_hello_declares_every_judged_capability(session):
    assert set(session.hello.capabilities) == {"mls", "mls.vectors", "hpke", "xmtp.vectors", "clients"}
    assert session.hello.capabilities["mls"]["cipher_suites"] == list(range(1, 8))
    assert "scenarios" not in session.hello.capabilities["xmtp.vectors"]["families"]
    assert session.hello.capabilities["clients"]["profiles"] == ["seed", "libxmtp"]


def test_clients_reach_the_harness_delivery_service(session):
    session.fresh_network()
    alice = session.ask("clients.create", client="alice", wallet_key=wallet_key("alice"))
    bob = session.ask("clients.create", client="bob", wallet_key=wallet_key("bob"))
    group = session.ask("clients.new_group", client="alice", addresses=[bob["address"]])["group_id"]
    session.ask("clients.group", client="alice", group_id=group, method="send", arguments={"text": "hi"})
    # the harness's own service holds what the adapter's clients published
    inbox = session.network.get_inbox_ids(api.GetInboxIdsRequest((api.GetInboxIdsRequest.Request(alice["address"], 1),)))
    assert inbox.responses[0].inbox_id == alice["inbox_id"]
    assert session.ask("clients.sync_welcomes", client="bob")["group_ids"] == [group]
    session.ask("clients.group", client="bob", group_id=group, method="sync")
    texts = [m.get("text") for m in session.ask("clients.messages", client="bob", group_id=group)["messages"]]
    assert texts == ["hi"]


def test_a_refusal_is_a_rejected_error_with_its_reason(session):
    session.fresh_network()
    session.ask("clients.create", client="alice", wallet_key=wallet_key("alice"))
    with pytest.raises(AdapterError) as refused:
        session.ask("clients.new_group", client="alice", addresses=["0x" + "00" * 20])
    assert (refused.value.kind, refused.value.reason) == (ErrorKind.REJECTED, "client.unknown_address")


def test_network_faults_reach_the_adapter_as_network_errors(session):
    session.fresh_network()
    session.ask("clients.create", client="alice", wallet_key=wallet_key("alice"))
    session.network.refuse_connections(session.network.clock.now_ns() + 10**9)
    with pytest.raises(AdapterError) as failed:
        session.ask("clients.sync_welcomes", client="alice")
    assert (failed.value.kind, failed.value.reason) == (ErrorKind.NETWORK, "network.connection_refused")


def test_unknown_operations_and_bad_parameters_are_typed_errors(session):
    with pytest.raises(AdapterError) as unknown:
        session.adapter.call("mls.no_such_operation", {})
    assert unknown.value.kind is ErrorKind.UNSUPPORTED
    with pytest.raises(AdapterError) as invalid:
        session.ask("mls.new_member", member="m", cipher_suite="one", identity="00")
    assert invalid.value.reason == "invalid_params"


def test_parameters_are_checked_and_defaults_filled():
    assert check_params(OPERATIONS, "mls.commit", {"member": "a"}) == {
        "member": "a", "add": [], "remove": [], "private": False, "inline_tree": True}
    with pytest.raises(AdapterError):
        check_params(OPERATIONS, "mls.commit", {"member": "a", "surprise": 1})
    with pytest.raises(AdapterError):
        check_params(HARNESS_OPERATIONS, "ds.call", {"method": "SendGroupMessages"})


class _Link:
    def __init__(self, session: Session):
        self.session = session

    def call(self, method, params):
        return self.session.call(method, params)


def test_the_remote_service_raises_what_the_service_raises():
    session = connect("reference")
    remote = RemoteDeliveryService(_Link(session))
    session.network.fail_publishes(1)
    with pytest.raises(NetworkError) as failed:
        remote.upload_key_package(api.UploadKeyPackageRequest(api.KeyPackageUpload(b"junk")))
    assert failed.value.reason is NetworkReason.UNAVAILABLE
    with pytest.raises(Rejected):
        remote.upload_key_package(api.UploadKeyPackageRequest(api.KeyPackageUpload(b"junk")))
    with pytest.raises(Rejected) as unknown:
        remote.download("no-such-upload")
    assert unknown.value.reason is NodeReason.UNKNOWN_UPLOAD
    assert remote.clock.now_ns() == session.network.clock.now_ns()
    session.close()


@pytest.mark.parametrize("program, timeout_s, reason", [
    ("import sys; sys.stdin.readline()", 10.0, "adapter_exited"),                          # exits: no hang
    ("import time; time.sleep(30)", 0.5, "adapter_hung"),                                   # never answers
    ("print('hello there', flush=True); import time; time.sleep(5)", 10.0, "not_json"),    # writes garbage
])
def test_a_broken_adapter_is_an_error_not_a_hang(program, timeout_s, reason):
    adapter = SubprocessAdapter([sys.executable, "-c", program], timeout_s=timeout_s)
    with pytest.raises(AdapterError) as broken:
        adapter.call("reset", {})
    assert broken.value.reason == reason
    adapter.close()


def test_the_harness_node_validates_identity_updates_unless_told_not_to():
    update = create_inbox_update(Wallet.random(), 0, 1, b"\x07" * 32)
    replay = api.PublishIdentityUpdateRequest(update.encode())
    for validating, refused in ((True, True), (False, False)):
        session = connect("reference", node_validation=validating)
        session.network.publish_identity_update(replay)
        try:
            session.network.publish_identity_update(replay)  # the same creation again
        except Rejected:
            assert refused
        else:
            assert not refused
        session.close()


# ------------------------------------------------------------------ hostile peers

@pytest.mark.parametrize("program, reason", [
    # stays alive with its stdout closed: gone, not waited for
    ("import os, time; os.close(1); time.sleep(60)", "adapter_exited"),
    # invalid UTF-8 is decoded leniently, and the line is then not JSON
    ("import sys, time; sys.stdout.buffer.write(b'\\xff\\xfe\\n'); sys.stdout.flush(); sys.stdin.read()", "not_json"),
    # nesting deep enough to overflow a recursive parser
    ("import time; print('[' * 100000 + ']' * 100000, flush=True); import sys; sys.stdin.read()", "too_deep"),
    ("import time; print('{\"id\": \"h1\", \"error\": \"boom\"}', flush=True); import sys; sys.stdin.read()", "invalid_error"),
    ("import time; print('[1]', flush=True); import sys; sys.stdin.read()", "not_an_object"),
])
def test_a_hostile_adapter_errors_the_call(program, reason, monkeypatch):
    from conformance.adapter import jsonrpc
    monkeypatch.setattr(jsonrpc, "EXIT_GRACE_S", 0.5)
    adapter = SubprocessAdapter([sys.executable, "-c", program], timeout_s=30)
    with pytest.raises(AdapterError) as broken:
        adapter.call("reset", {})
    assert broken.value.reason == reason
    adapter.close()


def test_the_harness_bounds_what_it_reads_from_an_adapter(monkeypatch):
    from conformance.adapter import jsonrpc
    monkeypatch.setattr(jsonrpc, "MAX_LINE_BYTES", 1000)
    flood = "import sys, time; print('x' * 5000, flush=True); [print('{}') for _ in range(100000)]; sys.stdin.read()"
    adapter = SubprocessAdapter([sys.executable, "-c", flood], timeout_s=30)
    with pytest.raises(AdapterError) as too_long:
        adapter.call("reset", {})
    assert too_long.value.reason == "line_too_long"
    with pytest.raises(AdapterError) as next_line:  # the rest of the long line was dropped: the next is whole
        adapter.call("reset", {})
    assert next_line.value.reason == "wrong_id"
    assert adapter._lines.qsize() <= jsonrpc.MAX_QUEUED_LINES  # the flood waits in the pipe, not in the harness
    adapter._process.kill()
    adapter.close()


BAD_LINES = [  # (line sent to the reference adapter, JSON-RPC error code of its answer)
    (b"garbage", -32700),
    (b"\xff\xfe{", -32700),
    (b"[" * 100000 + b"]" * 100000, -32700),
    (b"5", -32600),
    (b"null", -32600),
    (b'{"jsonrpc": "2.0", "id": {"nested": [1]}, "method": "reset"}', -32600),
    (b'{"jsonrpc": "2.0", "id": 1, "params": {}}', -32600),
    (b'{"jsonrpc": "2.0", "id": 2, "method": "reset", "params": [1, 2]}', -32602),
    (b'{"jsonrpc": "2.0", "id": 3, "method": "mls.new_member", "params": {"member": "m", "cipher_suite": "one", '
     b'"identity": "00"}}', -32602),
]


def test_the_reference_adapter_answers_every_malformed_line_and_keeps_serving():
    import subprocess
    lines = b"".join(line + b"\n" for line, _ in BAD_LINES) + b'{"jsonrpc": "2.0", "id": 9, "method": "reset"}\n'
    done = subprocess.run([sys.executable, "-m", "conformance.adapter.serve"], input=lines, capture_output=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    answers = [__import__("json").loads(line) for line in done.stdout.splitlines()]
    assert [a["error"]["code"] for a in answers[:-1]] == [code for _, code in BAD_LINES]
    assert answers[-1] == {"jsonrpc": "2.0", "id": 9, "result": {}}


@pytest.mark.parametrize("clock, slept", [("ds.now", []), (None, [3])])
def test_a_wait_step_sleeps_unless_the_clients_keep_only_the_delivery_services_clock(monkeypatch, clock, slept):
    session = connect("reference")
    if clock is None:
        session.hello.capabilities["clients"].pop("clock")
    sleeps: list[float] = []
    monkeypatch.setattr(driver_module.time, "sleep", sleeps.append)
    driver = Driver(session)
    before = driver.network.clock.now_ns()
    assert driver.step({"client": "network", "action": "wait", "arguments": {"seconds": 3}})["result"] == "valid"
    assert driver.network.clock.now_ns() - before == (STEP_SECONDS + 3) * 10**9
    assert sleeps == slept
    driver.close()
    session.close()
