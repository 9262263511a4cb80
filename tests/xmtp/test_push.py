"""The push-notification contract: topics, should_push, sender_hmac, and own-message filtering."""

from __future__ import annotations

import hashlib
import hmac

from spec_model.mls.framing import ContentType, PrivateMessage
from spec_model.mls.message import MLSMessage
from spec_model.xmtp import api
from spec_model.xmtp.network import Clock, DeliveryService
from spec_model.xmtp.push import (
    CODEC_SHOULD_PUSH, SECS_IN_30_DAYS, HmacKey, derive_hmac_key, group_topic, hmac_epoch, hmac_keys,
    is_own_message, push_topics, sender_hmac, should_deliver, should_push, welcome_topic,
)

GROUP = bytes(range(16))
ALIX_KEY, BO_KEY = b"\xa1" * 42, b"\xb0" * 42
PERIOD_NS = SECS_IN_30_DAYS * 10**9


def hkdf_sha256(salt: bytes, ikm: bytes, info: bytes, length: int) -> bytes:
    """RFC 5869, written out independently of the module under test."""
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    okm, block = b"", b""
    for counter in range(1, -(-length // 32) + 1):
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        okm += block
    return okm[:length]


def group_message(data: bytes, key: HmacKey | None, created_ns: int, push: bool = True) -> api.GroupMessage:
    return api.GroupMessage(v1=api.GroupMessage.V1(
        1, created_ns, GROUP, data, sender_hmac(key, data) if key else b"", push, False))


def test_topics():
    assert group_topic(b"\x0a\xbc") == "/xmtp/mls/1/g-0abc/proto"
    assert welcome_topic(b"\xff\x01") == "/xmtp/mls/1/w-ff01/proto"
    assert push_topics(b"\x01", [b"\x02", b"\x03"]) == [
        "/xmtp/mls/1/w-01/proto", "/xmtp/mls/1/g-02/proto", "/xmtp/mls/1/g-03/proto"]


def test_should_push_commits_never_application_messages_as_their_codec_says():
    assert should_push(ContentType.commit) is False
    assert should_push(ContentType.proposal) is False
    assert should_push(ContentType.application) is True
    assert should_push(ContentType.application, CODEC_SHOULD_PUSH["xmtp.org/text:1.0"]) is True
    assert should_push(ContentType.application, CODEC_SHOULD_PUSH["xmtp.org/reaction:2.0"]) is False
    assert should_push(ContentType.application, CODEC_SHOULD_PUSH["xmtp.org/readReceipt:1.0"]) is False


def test_hmac_epoch_is_whole_30_day_periods():
    assert hmac_epoch(0) == 0
    assert hmac_epoch(PERIOD_NS - 1) == 0
    assert hmac_epoch(PERIOD_NS) == 1
    assert hmac_epoch(1_750_000_000 * 10**9) == 1_750_000_000 // 2_592_000 == 675


def test_derived_key_is_hkdf_over_user_key_and_group_with_little_endian_epoch():
    key = derive_hmac_key(ALIX_KEY, GROUP, 675)
    info = GROUP + (675).to_bytes(8, "little")
    assert key == HmacKey(hkdf_sha256(b"libXMTP HKDF salt!", ALIX_KEY + GROUP, info, 42), 675)
    assert len(key.key) == 42
    assert derive_hmac_key(ALIX_KEY, GROUP, 676).key != key.key
    assert derive_hmac_key(ALIX_KEY, b"other group", 675).key != key.key


def test_hmac_keys_cover_the_neighbouring_periods_and_sender_hmac_is_hmac_sha256():
    now_ns = 675 * PERIOD_NS + 5
    keys = hmac_keys(ALIX_KEY, GROUP, now_ns)
    assert [k.epoch for k in keys] == [674, 675, 676]
    (current,) = hmac_keys(ALIX_KEY, GROUP, now_ns, deltas=(0,))
    assert current == keys[1]
    assert sender_hmac(current, b"payload") == hmac.new(current.key, b"payload", hashlib.sha256).digest()


def test_own_messages_are_recognised_and_not_delivered():
    now_ns = 675 * PERIOD_NS
    alix_keys = hmac_keys(ALIX_KEY, GROUP, now_ns)
    (bo_current,) = hmac_keys(BO_KEY, GROUP, now_ns, deltas=(0,))
    own = group_message(b"from alix", alix_keys[1], now_ns)
    other = group_message(b"from bo", bo_current, now_ns)
    assert is_own_message(own.v1, alix_keys) and not is_own_message(other.v1, alix_keys)
    assert not is_own_message(group_message(b"no hmac", None, now_ns).v1, alix_keys)
    assert should_deliver(own, alix_keys) is False
    assert should_deliver(other, alix_keys) is True
    assert should_deliver(group_message(b"reaction", bo_current, now_ns, push=False), alix_keys) is False
    assert should_deliver(api.WelcomeMessage(v1=api.WelcomeMessage.V1(1, now_ns, b"k", b"d")), alix_keys) is True


def test_the_server_checks_only_the_key_of_the_server_timestamps_period():
    """The sender uses its local period; a message stored in the next period is not recognised."""
    sent_ns = 676 * PERIOD_NS - 1
    (sender_key,) = hmac_keys(ALIX_KEY, GROUP, sent_ns, deltas=(0,))
    alix_keys = hmac_keys(ALIX_KEY, GROUP, sent_ns)
    stored_late = group_message(b"at the boundary", sender_key, 676 * PERIOD_NS)
    assert is_own_message(stored_late.v1, alix_keys)  # some key matches...
    assert should_deliver(stored_late, alix_keys) is True  # ...but not the one of period 676


def test_a_notification_server_on_the_delivery_service():
    """Alix and Bo share a group; a notification server watching Alix's topics pushes Bo's text only."""
    clock = Clock(675 * PERIOD_NS)
    service = DeliveryService(clock)
    assert push_topics(b"\x01" * 32, [GROUP])[1] == group_topic(GROUP)  # the server watches this topic
    subscription = service.subscribe_group_messages(api.SubscribeGroupMessagesRequest((
        api.SubscribeGroupMessagesRequest.Filter(GROUP),)))
    alix_keys = hmac_keys(ALIX_KEY, GROUP, clock.now_ns())

    def publish(user_key: bytes, n: int, content_type: ContentType, codec_push: bool = True) -> None:
        data = MLSMessage(PrivateMessage(GROUP, 0, content_type, b"", b"", bytes([n]))).encode()
        (key,) = hmac_keys(user_key, GROUP, clock.now_ns(), deltas=(0,))
        service.send_group_messages(api.SendGroupMessagesRequest((api.GroupMessageInput(
            v1=api.GroupMessageInput.V1(data, sender_hmac(key, data), should_push(content_type, codec_push))),)))

    publish(ALIX_KEY, 1, ContentType.commit)
    publish(ALIX_KEY, 2, ContentType.application)
    publish(BO_KEY, 3, ContentType.application)
    publish(BO_KEY, 4, ContentType.application, CODEC_SHOULD_PUSH["xmtp.org/reaction:2.0"])
    publish(BO_KEY, 5, ContentType.commit)
    pushed = [m.v1.id for m in subscription.poll() if should_deliver(m, alix_keys)]
    assert pushed == [3]
