"""The conformance runner: every check against one adapter, reported by area (``xmtp-conformance run``).

Sources of checks, in run order: the official RFC 9420 and RFC 9180 vectors (``vector_checks``), the XMTP vector
families and client scenarios (``vector_checks``), the families' cases played through the network
(``conformance.wire``), MLS groups shared with the model (``mls_interop``), one operation at a time for every
group size and leaf (``mls_epochs``) and split across both (``mls_mixed``), groups of the adapter and
another peer without the model (``mls_peers``, ``--peer``), replayed scenario files
(``--scenario``), and the differential state machine
(``differential``). ``run.py`` selects and runs them; ``report.py`` renders the results.
"""

from __future__ import annotations

import dataclasses
import functools
import gc
import json
import time
from pathlib import Path
from typing import Any, TextIO

from ..adapter import Session
from ..vectors.families import scenarios as scenario_family
from ..vectors.formats import FILE_MODELS
from .checks import Check, Need, Result, SkipFileError, SkipList, Status, missing
from .differential import DifferentialOptions, differential_checks
from .mls_epochs import epoch_checks
from .mls_interop import mls_interop_checks
from .mls_mixed import mixed_group_checks
from .mls_peers import peer_group_checks
from .report import Report, build_report
from .run import Progress, run_checks, select
from .vector_checks import hpke_checks, rfc9420_checks, run_scenario, xmtp_checks
from .wire_checks import wire_checks

__all__ = ["RunOptions", "collect", "load_skips", "execute", "settle_collector", "smoke_checks", "scenario_file_checks",
           "Report", "Status", "SkipFileError"]


@dataclasses.dataclass
class RunOptions:
    include: list[str] = dataclasses.field(default_factory=list)
    exclude: list[str] = dataclasses.field(default_factory=list)
    skip_file: Path | None = None
    scenarios: list[Path] = dataclasses.field(default_factory=list)
    differential: DifferentialOptions = dataclasses.field(default_factory=DifferentialOptions)
    stop_on: frozenset[Status] = frozenset()  # stop at the first result of these statuses
    jobs: int = 1  # worker processes (``parallel.py``); more than 1 needs ``execute``'s ``connect_args``
    peers: list[str] = dataclasses.field(default_factory=list)  # adapters to share groups with (``mls_peers``)


def scenario_file_checks(path: Path) -> list[Check]:
    """Checks replaying the scenario cases of a file (a counterexample, or any scenario vector file)."""
    document = FILE_MODELS["scenario"].model_validate(json.loads(Path(path).read_text()))

    return [Check(id=f"scenario-file/{Path(path).name}/{case.id}", rule=case.rule,
                  needs=(Need("clients", "profiles", scenario_family.profile_of(case)),),
                  run=functools.partial(run_scenario, scenario_family, case),
                  reproducer=f"xmtp-conformance run --scenario {path}", description=case.description)
            for case in document.cases]


def _suite(options: RunOptions) -> list[Check]:
    """Every check of the suite, in run order, before ``--include``/``--exclude``. With ``--scenario`` files,
    only those."""
    if options.scenarios:
        return [c for path in options.scenarios for c in scenario_file_checks(path)]
    return [*rfc9420_checks(), *hpke_checks(), *xmtp_checks(), *wire_checks(), *mls_interop_checks(),
            *epoch_checks(), *mixed_group_checks(), *peer_group_checks(options.peers),
            *differential_checks(options.differential)]


def collect(options: RunOptions) -> list[Check]:
    """Every check the options select, in run order."""
    return select(_suite(options), options.include, options.exclude)


def load_skips(options: RunOptions) -> SkipList | None:
    """The skip file, every line of which must match a check of the suite (``SkipFileError`` otherwise)."""
    if options.skip_file is None:
        return None
    skips = SkipList.read(options.skip_file)
    skips.check_matches([c.id for c in _suite(options)])
    return skips


def smoke_checks(session: Session) -> list[Check]:
    """The first check of each kind the adapter can run: its basic operations, tried in seconds."""
    chosen: dict[str, Check] = {}
    for check in [*rfc9420_checks(), *hpke_checks(), *xmtp_checks(), *wire_checks(), *mls_interop_checks()]:
        if missing(check.needs, session.hello.capabilities):
            continue
        kind = "/".join(check.id.split("/")[:2]).split("[")[0].split("::")[0]
        if check.id.startswith("interop/"):
            kind = check.id.rsplit("/", 1)[1]
        chosen.setdefault(kind, check)
    return list(chosen.values())


FULL_COLLECTION_EVERY = 100
"""Collections of the middle generation between two of the oldest during a run (Python's default: 10)."""


def settle_collector() -> tuple[int, int, int]:
    """The cyclic collector set for a run (Python docs: ``gc.freeze``, ``gc.set_threshold``); returns the
    thresholds it had. What exists, the checks and vectors collected, lives through the run and is frozen: no
    collection walks it again. The oldest generation, mostly the model's long-lived state, is collected a tenth
    as often: a full pass walks all of it and finds little."""
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(thresholds[0], thresholds[1], FULL_COLLECTION_EVERY)
    return thresholds


def execute(session: Session, checks: list[Check], options: RunOptions, progress_out: TextIO | None,
            skips: SkipList | None = None, connect_args: dict[str, Any] | None = None) -> tuple[Report, list[Result]]:
    """Run ``checks``; ``skips`` is the skip file already read (``load_skips``), else it is read here. With
    ``options.jobs`` above 1, ``checks`` must be ``collect(options)`` and each worker connects with
    ``connect_args`` (``connect``'s arguments)."""
    started = time.perf_counter()
    skips = skips if skips is not None else load_skips(options)
    progress = Progress(len(checks), progress_out)
    thresholds = settle_collector()
    try:
        if options.jobs > 1 and connect_args is not None:
            from .parallel import run_parallel
            results = run_parallel(checks, options, connect_args, options.jobs, progress, skips)
        else:
            results = run_checks(session, checks, skips=skips, stop_on=options.stop_on, progress=progress)
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
    return build_report(session.label, session.hello, results, time.perf_counter() - started), results
