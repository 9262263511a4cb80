"""The suite inside an implementer's pytest: ``pytest --xmtp-adapter NAME`` or ``--xmtp-adapter-cmd CMD``.

Installed with the package (entry point ``pytest11``), inactive unless one of those options is given.
Then every check of ``xmtp-conformance run`` becomes a test item named by its check id: a difference
fails it, a missing capability skips it with the reason, and ``--xmtp-include`` / ``--xmtp-exclude``
select checks by id glob as the runner's ``--include`` / ``--exclude`` do.
"""

from __future__ import annotations

from typing import Any

import pytest

from .runner import RunOptions, collect
from .runner.checks import Check, Status, missing
from .runner.run import outcome

_SESSION_KEY = pytest.StashKey[Any]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("xmtp-conformance", "XMTP conformance suite")
    group.addoption("--xmtp-adapter", metavar="NAME", help="run the conformance suite against this built-in adapter")
    group.addoption("--xmtp-adapter-cmd", metavar="CMD", help="run it against an adapter command (JSON lines)")
    group.addoption("--xmtp-include", action="append", default=[], metavar="GLOB", help="only these check ids")
    group.addoption("--xmtp-exclude", action="append", default=[], metavar="GLOB", help="not these check ids")
    group.addoption("--xmtp-examples", type=int, default=None, metavar="N", help="differential runs")


def _active(config: pytest.Config) -> bool:
    return bool(config.getoption("xmtp_adapter") or config.getoption("xmtp_adapter_cmd"))


class ConformanceCheck(pytest.Item):
    """One check of the suite, run against the session's adapter."""

    def __init__(self, *, check: Check, **kwargs: Any):
        super().__init__(**kwargs)
        self.check = check
        self.user_properties.append(("rule", check.rule))

    def runtest(self) -> None:
        """Classified as ``xmtp-conformance run`` classifies it: a self-reported verdict is an xfail, never a pass."""
        session = _adapter_session(self.config)
        reason = missing(self.check.needs, session.hello.capabilities)
        if reason:
            pytest.skip(reason)
        result = outcome(self.check, session)
        if result.status is Status.SKIPPED:
            pytest.skip(result.message)
        if result.status is Status.SELF_REPORTED:
            pytest.xfail(f"self-reported (not judged by the harness): {result.message}")
        if result.status is Status.FAILED:
            raise AssertionError(result.message)
        if result.status is Status.ERRORED:
            raise RuntimeError(result.message)

    def reportinfo(self):
        return self.check.reproducer, None, f"{self.check.id} [{self.check.area}]"

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, AssertionError):
            return f"{self.check.id}\n  rule: {self.check.rule}\n  {excinfo.value}\n  reproduce: {self.check.reproducer}"
        return super().repr_failure(excinfo, style)


def _adapter_session(config: pytest.Config):
    if _SESSION_KEY not in config.stash:
        from .adapter import connect
        config.stash[_SESSION_KEY] = connect(config.getoption("xmtp_adapter"),
                                             command=config.getoption("xmtp_adapter_cmd"))
    return config.stash[_SESSION_KEY]


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    if not _active(config):
        return
    options = RunOptions(include=config.getoption("xmtp_include"), exclude=config.getoption("xmtp_exclude"))
    if config.getoption("xmtp_examples") is not None:
        options.differential.examples = config.getoption("xmtp_examples")
    items.extend(ConformanceCheck.from_parent(session, name=check.id, check=check) for check in collect(options))


def pytest_unconfigure(config: pytest.Config) -> None:
    if _SESSION_KEY in config.stash:
        config.stash[_SESSION_KEY].close()
