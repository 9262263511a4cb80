"""Hypothesis profiles: ``ci`` (the default, sized for 2 cores) and ``deep`` for longer runs.

Choose one with ``pytest --hypothesis-profile=deep``.
"""

from hypothesis import HealthCheck, settings

settings.register_profile("ci", max_examples=40, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("deep", max_examples=1000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile("ci")
