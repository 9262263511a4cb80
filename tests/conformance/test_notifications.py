"""The harness's notification server (conformance/scenarios/notifications.py): its HTTP API and who it notifies."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request

import pytest

from conformance.scenarios.notifications import SERVICE_PATH, NotificationServer
from spec_model.xmtp import api
from spec_model.xmtp.network import DeliveryService
from spec_model.xmtp.push import group_topic, hmac_keys, sender_hmac, welcome_topic
from tests.xmtp.test_network import private, welcome

GROUP = b"G" * 16
USER_KEY = b"k" * 42
INSTALLATION = b"\x07" * 32


@pytest.fixture
def served():
    network = DeliveryService()
    server = NotificationServer(network)
    yield network, server
    server.stop()


def post(server: NotificationServer, method: str, body) -> tuple[int, dict]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(server.url + SERVICE_PATH + method, data=data)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def register(server: NotificationServer, installation: str, topics: dict[str, list]) -> None:
    assert post(server, "RegisterInstallation", {"installationId": installation,
                                                 "deliveryMechanism": {"firebaseDeviceToken": f"t-{installation}"}})[0] == 200
    assert post(server, "SubscribeWithMetadata", {"installationId": installation, "subscriptions": [
        {"topic": topic, "isSilent": False, "hmacKeys": [
            {"thirtyDayPeriodsSinceEpoch": k.epoch, "key": base64.b64encode(k.key).decode()} for k in keys]}
        for topic, keys in topics.items()]}) == (200, {})


def send(network: DeliveryService, data: bytes, hmac_key, should_push: bool = True) -> None:
    network.send_group_messages(api.SendGroupMessagesRequest((api.GroupMessageInput(api.GroupMessageInput.V1(
        data, sender_hmac(hmac_key, data) if hmac_key else b"", should_push)),)))


def test_others_are_notified_the_sender_is_not_and_unpushed_messages_notify_no_one(served):
    network, server = served
    keys = hmac_keys(USER_KEY, GROUP, network.clock.now_ns())
    register(server, "sender", {group_topic(GROUP): keys})
    register(server, "other", {group_topic(GROUP): hmac_keys(b"o" * 42, GROUP, network.clock.now_ns())})
    (current,) = hmac_keys(USER_KEY, GROUP, network.clock.now_ns(), (0,))
    send(network, private(GROUP, 1), current)
    send(network, private(GROUP, 2), current, should_push=False)
    send(network, private(GROUP, 3), None)  # no HMAC: cannot be recognised as the sender's own
    assert [(m.installation_id, m.token, m.topic) for m in server.sent] == [
        ("other", "t-other", group_topic(GROUP)), ("sender", "t-sender", group_topic(GROUP)),
        ("other", "t-other", group_topic(GROUP))]
    envelope = api.GroupMessage.decode(base64.b64decode(server.sent[0].encrypted_message))
    assert envelope.v1.data == private(GROUP, 1)


def test_only_the_key_of_the_message_period_recognises_the_sender(served):
    network, server = served
    now = network.clock.now_ns()
    register(server, "sender", {group_topic(GROUP): hmac_keys(USER_KEY, GROUP, now, (-1, 1))})  # not this period
    (current,) = hmac_keys(USER_KEY, GROUP, now, (0,))
    send(network, private(GROUP, 1), current)
    assert [m.installation_id for m in server.sent] == ["sender"]


def test_welcomes_are_pushed_and_unregistered_installations_are_not(served):
    network, server = served
    register(server, "joiner", {welcome_topic(INSTALLATION): []})
    post(server, "SubscribeWithMetadata", {"installationId": "no token", "subscriptions": [
        {"topic": welcome_topic(INSTALLATION)}]})
    network.send_welcome_messages(api.SendWelcomeMessagesRequest((welcome(INSTALLATION),)))
    assert [(m.installation_id, m.topic) for m in server.sent] == [("joiner", welcome_topic(INSTALLATION))]


def test_unknown_methods_and_bad_bodies_are_refused(served):
    _, server = served
    assert post(server, "Nothing", {})[0] == 404
    assert post(server, "RegisterInstallation", b"not json")[0] == 400
    assert post(server, "SubscribeWithMetadata", {"installationId": "x"})[0] == 400
