"""The XMTP API messages' wire format (``spec_model.xmtp.api``; xmtp/proto mls/api/v1/mls.proto,
identity/api/v1/identity.proto): hand-written bytes, and every request and response round-trips."""

from __future__ import annotations

import pytest

from spec_model.xmtp import api

ASC, DESC = api.SortDirection.ASCENDING, api.SortDirection.DESCENDING


@pytest.mark.parametrize("message, hex_bytes", [
    (api.GroupMessage(v1=api.GroupMessage.V1(1, 2, b"g", b"d", b"h", True, True)),
     "0a11" "0801" "1002" "1a0167" "220164" "2a0168" "3001" "3801"),
    (api.WelcomeMessageInput(v1=api.WelcomeMessageInput.V1(b"k", b"d", b"p", 2, b"m")),
     "0a0e" "0a016b" "120164" "1a0170" "2002" "3a016d"),
    (api.WelcomeMessage(welcome_pointer=api.WelcomeMessage.WelcomePointer(5, 0, b"k", b"w", b"", 2)),
     "120a" "0805" "1a016b" "220177" "3002"),
    (api.PagingInfo(ASC, 100, 300), "0801" "1064" "18ac02"),
    (api.GetInboxIdsResponse((api.GetInboxIdsResponse.Response("a", ""),)), "0a05" "0a0161" "1200"),
    (api.GetNewestGroupMessageResponse((api.GetNewestGroupMessageResponse.Response(),)), "0a00"),
    (api.GetIdentityUpdatesResponse((api.GetIdentityUpdatesResponse.Response(
        "i", (api.GetIdentityUpdatesResponse.IdentityUpdateLog(7, 8, b"u"),)),)),
     "0a0c" "0a0169" "1207" "0807" "1008" "1a0175"),
    (api.UploadKeyPackageRequest(api.KeyPackageUpload(b"kp"), True), "0a04" "0a026b70" "1001"),
])
def test_api_messages_match_hand_written_bytes(message, hex_bytes):
    assert message.encode().hex() == hex_bytes
    assert type(message).decode(bytes.fromhex(hex_bytes)) == message


def test_api_requests_round_trip():
    messages = [
        api.SendGroupMessagesRequest((api.GroupMessageInput(v1=api.GroupMessageInput.V1(b"d", b"h", True)),)),
        api.SendWelcomeMessagesRequest((api.WelcomeMessageInput(v1=api.WelcomeMessageInput.V1(
            b"\x01" * 32, b"welcome", b"hpke", api.WelcomeWrapperAlgorithm.XWING_MLKEM_768_DRAFT_6, b"metadata")),
            api.WelcomeMessageInput(welcome_pointer=api.WelcomeMessageInput.WelcomePointer(b"k", b"ptr", b"pk", 2)))),
        api.QueryWelcomeMessagesResponse((api.WelcomeMessage(v1=api.WelcomeMessage.V1(1, 2, b"k", b"d")),),
                                         api.PagingInfo(DESC, 5, 9)),
        api.SubscribeWelcomeMessagesRequest((api.SubscribeWelcomeMessagesRequest.Filter(b"k", 3),)),
        api.FetchKeyPackagesResponse((api.FetchKeyPackagesResponse.KeyPackage(b""),
                                      api.FetchKeyPackagesResponse.KeyPackage(b"kp"))),
        api.GetNewestGroupMessageRequest((b"g1", b"g2"), True),
        api.BatchQueryCommitLogRequest((api.QueryCommitLogRequest(b"g", api.PagingInfo(ASC, 100)),)),
        api.WelcomeMetadata(42),
    ]
    for message in messages:
        assert type(message).decode(message.encode()) == message
