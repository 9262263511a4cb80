"""Benchmark options: ``--client-members N`` (``test_client_max_group.py``)."""

import pytest

from benchmarks.test_client_max_group import REGULAR_MEMBERS


def pytest_addoption(parser):
    parser.addoption("--client-members", type=int, default=REGULAR_MEMBERS,
                     help=f"inboxes of 10 installations in the client-level largest-group benchmark (default "
                          f"{REGULAR_MEMBERS}; XMTP's largest group: 400)")


@pytest.fixture
def client_members(request) -> int:
    return request.config.getoption("--client-members")
