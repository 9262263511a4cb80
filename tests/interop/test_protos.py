"""interop/proto: the committed .proto files are what the model declares, protoc compiles them, and the
code protoc generates encodes exactly as the model's messages do."""

from __future__ import annotations

import importlib
import importlib.resources
import sys

import pytest
from grpc_tools import protoc

from conformance import protos
from spec_model.xmtp import api


def test_committed_files_are_the_models():
    assert protos.check() == []


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("generated")
    include = str(importlib.resources.files("grpc_tools") / "_proto")
    files = [str(protos.PROTO_DIR / relative) for relative in protos.render()]
    assert protoc.main(["protoc", f"-I{protos.PROTO_DIR}", f"-I{include}", f"--python_out={out}", *files]) == 0
    sys.path.insert(0, str(out))
    try:
        yield (importlib.import_module("xmtp.mls.api.v1.mls_pb2"),
               importlib.import_module("xmtp.identity.api.v1.identity_pb2"))
    finally:
        sys.path.remove(str(out))
        for name in [n for n in sys.modules if n == "xmtp" or n.startswith("xmtp.")]:
            del sys.modules[name]


def test_generated_code_encodes_as_the_model(generated):
    mls, identity = generated
    model = api.SendWelcomeMessagesRequest((api.WelcomeMessageInput(v1=api.WelcomeMessageInput.V1(
        b"\x01" * 32, b"data", b"\x02" * 1216, api.WelcomeWrapperAlgorithm.XWING_MLKEM_768_DRAFT_6, b"meta")),))
    theirs = mls.SendWelcomeMessagesRequest(messages=[mls.WelcomeMessageInput(v1=mls.WelcomeMessageInput.V1(
        installation_key=b"\x01" * 32, data=b"data", hpke_public_key=b"\x02" * 1216, wrapper_algorithm=2,
        welcome_metadata=b"meta"))])
    assert theirs.SerializeToString() == model.encode()
    query = api.QueryGroupMessagesRequest(b"group", api.PagingInfo(api.SortDirection.ASCENDING, 100, 7))
    assert mls.QueryGroupMessagesRequest.FromString(query.encode()).paging_info.id_cursor == 7
    response = api.GetInboxIdsResponse((api.GetInboxIdsResponse.Response("0xab", "inbox", 1),
                                        api.GetInboxIdsResponse.Response("0xcd", None, 1)))
    decoded = identity.GetInboxIdsResponse.FromString(response.encode())
    assert [r.HasField("inbox_id") for r in decoded.responses] == [True, False]
    assert decoded.SerializeToString() == response.encode()
