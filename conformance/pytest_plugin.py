"""The suite inside an implementer's pytest: ``pytest --xmtp-adapter NAME`` or ``--xmtp-adapter-cmd CMD``.

Installed with the package (entry point ``pytest11``), inactive unless one of those options (or the ini
option ``xmtp_adapter`` / ``xmtp_adapter_cmd``) is given. Then every check of ``xmtp-conformance run``
becomes a test item whose node id is its check id (``pytest --lf`` reruns the last failures): a
difference fails it, a missing capability or a ``--xmtp-skip-file`` line skips it with the reason, a
self-reported verdict is an xfail; ``--xmtp-include`` / ``--xmtp-exclude`` select checks by id glob as
the runner's ``--include`` / ``--exclude`` do, and each item carries a marker naming its area
(``-m xmtp_area_rfc9420_tree_math``). Nothing but pytest is imported until the plugin is active, so it costs a
pytest start that does not use it next to nothing.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .runner.checks import Check

_SESSION_KEY = pytest.StashKey[Any]()
_SKIPS_KEY = pytest.StashKey[Any]()
_OPTIONS = (  # name, help; each is both a command-line option (--xmtp-NAME) and an ini option (xmtp_NAME)
    ("adapter", "run the conformance suite against this built-in adapter"),
    ("adapter-cmd", "run it against an adapter command (JSON lines)"),
    ("skip-file", "check-id globs to skip, one per line, '# reason' after each"),
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("xmtp-conformance", "XMTP conformance suite")
    for name, help_ in _OPTIONS:
        group.addoption(f"--xmtp-{name}", metavar=name.split("-")[-1].upper(), help=help_)
        parser.addini(f"xmtp_{name.replace('-', '_')}", help_)
    group.addoption("--xmtp-include", action="append", default=[], metavar="GLOB", help="only these check ids")
    group.addoption("--xmtp-exclude", action="append", default=[], metavar="GLOB", help="not these check ids")
    group.addoption("--xmtp-examples", type=int, default=None, metavar="N", help="differential runs")


def _option(config: pytest.Config, name: str) -> str | None:
    """The command-line value of ``--xmtp-NAME``, else the ini file's ``xmtp_NAME`` (``None`` if neither)."""
    key = f"xmtp_{name.replace('-', '_')}"
    return config.getoption(key) or config.getini(key) or None


def _active(config: pytest.Config) -> bool:
    return bool(_option(config, "adapter") or _option(config, "adapter-cmd"))


def area_marker(area: str) -> str:
    """The marker of an area (``runner/areas.py``): ``xmtp_area_`` and the area in lower case, words joined by ``_``
    (``rfc9420/tree-math``: ``xmtp_area_rfc9420_tree_math``)."""
    return "xmtp_area_" + re.sub(r"[^a-z0-9]+", "_", area.lower()).strip("_")


class ConformanceCheck(pytest.Item):
    """One check of the suite, run against the session's adapter."""

    def __init__(self, *, check: Check, **kwargs: Any):
        super().__init__(**kwargs)
        self.check = check
        self.user_properties.append(("rule", check.rule))
        self.add_marker(area_marker(check.area))

    def runtest(self) -> None:
        """Classified as ``xmtp-conformance run`` classifies it: a self-reported verdict is an xfail, never a pass."""
        from .runner.checks import Status, missing
        from .runner.run import outcome
        skips = self.config.stash.get(_SKIPS_KEY, None)
        listed = skips.reason(self.check.id) if skips else None
        if listed:
            pytest.skip(listed)
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
        config.stash[_SESSION_KEY] = connect(_option(config, "adapter"), command=_option(config, "adapter-cmd"))
    return config.stash[_SESSION_KEY]


@pytest.hookimpl(tryfirst=True)  # before the last-failed plugin, so that --lf sees the checks
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    if not _active(config):
        return
    from .runner import RunOptions, SkipFileError, collect, load_skips
    from .runner.areas import title
    skip_file = _option(config, "skip-file")
    options = RunOptions(include=config.getoption("xmtp_include"), exclude=config.getoption("xmtp_exclude"),
                         skip_file=skip_file and config.invocation_params.dir / skip_file)
    if config.getoption("xmtp_examples") is not None:
        options.differential.examples = config.getoption("xmtp_examples")
    try:
        config.stash[_SKIPS_KEY] = load_skips(options)
    except SkipFileError as e:
        raise pytest.UsageError(f"--xmtp-skip-file: {e}") from None
    checks = collect(options)
    for area in dict.fromkeys(c.area for c in checks):
        config.addinivalue_line("markers", f"{area_marker(area)}: checks of the area {area} ({title(area)})")
    items.extend(ConformanceCheck.from_parent(session, name=check.id, nodeid=check.id, check=check) for check in checks)


def pytest_unconfigure(config: pytest.Config) -> None:
    if _SESSION_KEY in config.stash:
        config.stash[_SESSION_KEY].close()
