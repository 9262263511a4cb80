"""Hypothesis profiles: ``ci`` (the default, sized for 2 cores) and ``deep`` for longer runs, and the
fuzz suite's ``--fuzz-mutations``.

Choose a profile with ``pytest --hypothesis-profile=deep``.
"""

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("ci", max_examples=40, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("deep", max_examples=1000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile("ci")


def pytest_addoption(parser):
    parser.addoption("--fuzz-mutations", type=int, default=100,
                     help="mutated inputs per decoder in tests/fuzz (default 100; long runs: 100000)")


@pytest.fixture
def fuzz_mutations(request) -> int:
    return request.config.getoption("--fuzz-mutations")
