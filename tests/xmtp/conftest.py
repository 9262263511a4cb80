"""Fixtures of the client tests."""

import pytest

from tests.xmtp.clients import Net


@pytest.fixture
def net(tmp_path) -> Net:
    """A delivery service with a clock, and users made on it, their databases under ``tmp_path``."""
    return Net(tmp_path)
