"""The harness's push-notification server: XMTP's example notification server, on loopback, with FCM recorded.

No FCM is reachable here, so ``NotificationServer`` does what example-notification-server-go does up to the
point of calling FCM, and records the messages it would send:

* installations register (``RegisterInstallation``: an installation id and a device token) and subscribe
  to topics (``SubscribeWithMetadata``: each topic with the HMAC keys of the installation's own messages,
  by 30-day period), over HTTP with JSON bodies at the paths of its Connect API
  (``/notifications.v1.Notifications/<method>``, fields in JSON's camelCase, bytes in base64);
* the delivery service hands it every envelope as it is stored (``DeliveryService.watch``: its
  listener); for each installation subscribed to the envelope's topic, it sends a notification unless
  ``spec_model.xmtp.push.should_deliver`` says not to: the message is the installation's own (its
  sender HMAC verifies under the installation's key of the period of the envelope's timestamp), or its
  sender marked it ``should_push = false`` (pkg/xmtp/listener.go ``processEnvelope``, ``shouldDeliver``);
* each notification is recorded as the FCM message it would be: the device token, and the data
  ``{topic, encryptedMessage}`` (pkg/delivery/fcm.go).
"""

from __future__ import annotations

import base64
import dataclasses
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from spec_model.xmtp.api import GroupMessage, WelcomeMessage
from spec_model.xmtp.network import DeliveryService
from spec_model.xmtp.push import HmacKey, group_topic, hmac_epoch, should_deliver, welcome_topic

__all__ = ["NotificationServer", "FcmMessage", "SERVICE_PATH"]

SERVICE_PATH = "/notifications.v1.Notifications/"
"""example-notification-server-go proto/notifications/v1/service.proto: the Connect service's path prefix."""


POLL_S = 0.01
"""How often the server's loop looks for ``stop`` (socketserver's default, 0.5 s, made every scenario with
notifications wait that long on closing)."""


@dataclasses.dataclass(frozen=True)
class FcmMessage:
    """pkg/delivery/fcm.go: one message sent to a device: its token and data (topic, encryptedMessage)."""

    installation_id: str
    token: str
    topic: str
    encrypted_message: str


class NotificationServer:
    """The notification server on ``127.0.0.1:port`` for one delivery service; ``sent`` is what went to FCM."""

    def __init__(self, network: DeliveryService):
        self.tokens: dict[str, str] = {}                                 # installation id -> device token
        self.subscriptions: dict[str, dict[str, list[HmacKey]]] = {}     # topic -> installation id -> keys
        self.sent: list[FcmMessage] = []
        self._lock = threading.Lock()
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._http.serve_forever, args=(POLL_S,), daemon=True)
        self._thread.start()
        network.watch(self.on_envelope)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._http.server_address[1]}"

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()

    # ------------------------------------------------------------------ the API

    def register_installation(self, body: dict[str, Any]) -> dict[str, Any]:
        """pkg/api/api.go RegisterInstallation: an installation and its device token (FCM)."""
        self.tokens[body["installationId"]] = body["deliveryMechanism"]["firebaseDeviceToken"]
        return {"installationId": body["installationId"], "validUntil": 0}

    def subscribe_with_metadata(self, body: dict[str, Any]) -> dict[str, Any]:
        """pkg/subscriptions/subscriptions.go SubscribeWithMetadata: topics, each with its HMAC keys (upserted)."""
        for subscription in body["subscriptions"]:
            keys = [HmacKey(base64.b64decode(k["key"]), int(k["thirtyDayPeriodsSinceEpoch"]))
                    for k in subscription.get("hmacKeys", [])]
            self.subscriptions.setdefault(subscription["topic"], {})[body["installationId"]] = keys
        return {}

    # ------------------------------------------------------------------ the listener

    def on_envelope(self, envelope: GroupMessage | WelcomeMessage) -> None:
        """pkg/xmtp/listener.go processEnvelope: every subscribed installation with a token, unless it should not
        be delivered to (its keys: those of the envelope's 30-day period, subscriptions.go GetSubscriptions)."""
        topic, created_ns = _topic(envelope)
        with self._lock:
            for installation_id, keys in self.subscriptions.get(topic, {}).items():
                if installation_id not in self.tokens:
                    continue
                period_keys = [key for key in keys if key.epoch == hmac_epoch(created_ns)]
                if should_deliver(envelope, period_keys):
                    self.sent.append(FcmMessage(installation_id, self.tokens[installation_id], topic,
                                                base64.b64encode(envelope.encode()).decode()))


def _topic(envelope: GroupMessage | WelcomeMessage) -> tuple[str, int]:
    """xmtp-node-go topic/mls.go: the envelope's topic, and its server timestamp."""
    if isinstance(envelope, GroupMessage):
        return group_topic(envelope.v1.group_id), envelope.v1.created_ns
    welcome = envelope.v1 or envelope.welcome_pointer
    return welcome_topic(welcome.installation_key), welcome.created_ns


def _handler(server: NotificationServer) -> type[BaseHTTPRequestHandler]:
    methods = {"RegisterInstallation": server.register_installation,
               "SubscribeWithMetadata": server.subscribe_with_metadata}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            method = methods.get(self.path.removeprefix(SERVICE_PATH)) if self.path.startswith(SERVICE_PATH) else None
            if method is None:
                return self._answer(404, {"code": "unimplemented", "message": self.path})
            try:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                with server._lock:
                    answer = method(body)
            except (ValueError, KeyError, TypeError) as e:
                return self._answer(400, {"code": "invalid_argument", "message": str(e)})
            self._answer(200, answer)

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet

    return Handler
