"""Benchmark options: ``--client-members N`` and ``--client-syncs N`` (``test_client_max_group.py``); the
benchmarks' clock (``timer``); signature checks never remembered."""

import importlib

import pytest

from spec_model.mls.suites import remember_verifications

from benchmarks.test_client_max_group import REGULAR_MEMBERS


def pytest_addoption(parser):
    parser.addoption("--client-members", type=int, default=REGULAR_MEMBERS,
                     help=f"inboxes of 10 installations in the client-level largest-group benchmark (default "
                          f"{REGULAR_MEMBERS}; XMTP's largest group: 400)")
    parser.addoption("--client-syncs", type=int, default=None,
                     help="installations that sync in the client-level largest-group benchmark, evenly spread "
                          "(default: every one)")


@pytest.fixture
def client_members(request) -> int:
    return request.config.getoption("--client-members")


@pytest.fixture
def client_syncs(request) -> int | None:
    return request.config.getoption("--client-syncs")


@pytest.fixture(scope="session")
def timer(request):
    """The clock the benchmarks run on (``--benchmark-timer``), which times their floors too."""
    module, _, name = request.config.getoption("benchmark_timer").rpartition(".")
    return getattr(importlib.import_module(module), name)


@pytest.fixture(autouse=True, scope="session")
def every_verification_paid():
    """An operation timed again, or a primitive timed for a floor, pays for each signature check again: the
    model's memory of successful verifications is off while benchmarks run."""
    before = remember_verifications(0)
    yield
    remember_verifications(before)
