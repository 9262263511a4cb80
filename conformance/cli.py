"""The ``xmtp-conformance`` command line.

``xmtp-conformance vectors verify [FILE ...] [--format NAME] [--suite N ...] [-v]``
checks the model against RFC 9420 test-vector files, as ``test-vectors.md``
of mlswg/mls-implementations describes each format:

* with no FILE, every vendored file in ``vectors/rfc9420`` (only those of
  ``--format`` if given);
* a FILE is a path to any JSON vector file (a vendored file may also be named
  without its directory, e.g. ``treekem`` or ``treekem.json``); its format is
  recognised from its base name (``treekem.json``, ``psk_secret.json`` or
  ``psk-secret.json``, ``passive-client-random.json``, ...) unless
  ``--format`` names it;
* ``--suite N`` (repeatable, or several numbers) keeps only the cases of those
  cipher suites; cases without a cipher suite are then skipped.

It prints the cases passed per file and per cipher suite, then each failure
(file, case index, suite, message). Exit status: 0 if every case passed, 1 if
any failed, 2 for a usage error (unknown option or format, a file that cannot
be read or recognised, a filter that selects no case).

Every command exits 0 on success, 1 when a check or case failed, 2 for a usage error (a bad option
value, a file that cannot be used) and 3 when the adapter cannot be used at all (not found, exits at
once, prints no protocol, speaks another protocol version, does not answer ``hello``, or lacks its
Node dependencies); a usage error or an unusable adapter is one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterator, TextIO

from hypothesis import configuration
from pydantic import ValidationError

from . import completion, data
from . import vectors as xmtp_vectors
from .adapter import ADAPTERS, AdapterUnusable, connect, known_issues, peers
from .runner import RunOptions, SkipFileError, Status, collect, execute, load_skips, smoke_checks
from .runner.differential import DifferentialOptions
from .runner import report as run_report
from .rfc9420 import FORMATS, VectorFileError, format_name
from .rfc9420.verify import render_failures, render_table, select_files, verify

EXIT_UNUSABLE_ADAPTER = 3


# ---------------------------------------------------------------- the command


def _format_argument(value: str) -> str:
    name = format_name(value)
    if name is None:
        raise argparse.ArgumentTypeError(f"unknown format {value!r} (choose from {', '.join(sorted(FORMATS))})")
    return name


def _suite_argument(value: str) -> list[int]:
    try:
        return [int(part, 0) for part in value.split(",") if part]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a cipher suite number: {value!r}") from None


def _above_zero(convert: Callable[[str], Any], what: str) -> Callable[[str], Any]:
    """An option's type: ``convert(value)``, a finite number above 0; argparse reports anything else as a
    usage error."""
    def parse(value: str) -> Any:
        try:
            number = convert(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not {what}: {value!r}") from None
        if not 0 < number < float("inf"):
            raise argparse.ArgumentTypeError(f"must be {what} above 0, not {value}")
        return number
    return parse


_count = _above_zero(int, "a whole number")
_seconds = _above_zero(float, "a number of seconds")


def _fraction(value: str) -> float:
    try:
        fraction = float(value)
    except ValueError:
        fraction = -1.0
    if not 0 <= fraction <= 1:
        raise argparse.ArgumentTypeError(f"a fraction between 0 and 1, not {value!r}")
    return fraction


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="xmtp-conformance", description=__doc__.splitlines()[0],
                                     epilog="Exit status: 0 ok, 1 a check failed, 2 usage error, 3 unusable adapter.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {run_report.harness_version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    vectors = commands.add_parser("vectors", help="RFC 9420 test vectors")
    vector_commands = vectors.add_subparsers(dest="vectors_command", required=True)
    verify_parser = vector_commands.add_parser(
        "verify", help="check the model against RFC 9420 test-vector files",
        description="Check the model against RFC 9420 test-vector files (test-vectors.md of "
                    "mlswg/mls-implementations) and print the cases passed per file and cipher suite.",
        epilog=f"formats: {', '.join(sorted(FORMATS))}. Exit status: 0 all passed, 1 a case failed, "
               "2 usage error.")
    verify_parser.add_argument("files", nargs="*", metavar="FILE",
                               help="a vector file (JSON); default: every vendored file")
    verify_parser.add_argument("--format", type=_format_argument, metavar="NAME",
                               help="the format of every FILE, instead of recognising it from the file name; "
                                    "without FILE, only the vendored files of this format")
    verify_parser.add_argument("--suite", type=_suite_argument, nargs="+", action="extend", metavar="N",
                               help="only cases of these cipher suites (repeatable; e.g. --suite 1 3)")
    verify_parser.add_argument("-v", "--verbose", action="store_true",
                               help="report progress per file and print tracebacks of failures")
    verify_parser.set_defaults(parser=verify_parser, run=_run_verify)
    generate_parser = vector_commands.add_parser(
        "generate", help="write the XMTP vectors (vectors/xmtp) from the model",
        description="Write every XMTP vector family into vectors/xmtp; with --check, regenerate into a "
                    "temporary folder and fail on any difference from the committed files.")
    generate_parser.add_argument("--check", action="store_true", help="compare instead of writing")
    generate_parser.add_argument("--output", type=Path, metavar="DIR",
                                 help="write into DIR (default: vectors/xmtp of a checkout; required when installed)")
    generate_parser.set_defaults(parser=generate_parser, run=_run_generate)
    schema_parser = vector_commands.add_parser(
        "schema", help="write the JSON Schemas of the vector formats (vectors/schemas)",
        description="Write the JSON Schema of each vector format; with --check, fail if a committed "
                    "schema differs from the models'.")
    schema_parser.add_argument("--check", action="store_true", help="compare instead of writing")
    schema_parser.add_argument("--output", type=Path, metavar="DIR",
                               help="write into DIR (default: vectors/schemas of a checkout; required when installed)")
    schema_parser.set_defaults(parser=schema_parser, run=_run_schema)

    run_parser = commands.add_parser(
        "run", help="run the conformance suite against an adapter (default: the reference model)",
        description="Run every check (RFC 9420 vectors, XMTP vectors and scenarios, MLS interop with the model, "
                    "the differential state machine) against one adapter and print the results by area.",
        epilog="Exit status: 0 everything passed or was skipped, 1 a check failed or errored, 2 usage error, "
               "3 unusable adapter.")
    _adapter_arguments(run_parser)
    run_parser.add_argument("--include", action="append", default=[], metavar="GLOB",
                            help="only checks whose id matches (repeatable), e.g. 'xmtp/permissions::*'")
    run_parser.add_argument("--exclude", action="append", default=[], metavar="GLOB", help="leave these out (repeatable)")
    _skip_file_argument(run_parser)
    run_parser.add_argument("--examples", type=_count, default=DifferentialOptions.examples, metavar="N",
                            help=f"random runs of the differential state machine (default {DifferentialOptions.examples})")
    run_parser.add_argument("--steps", type=_count, default=DifferentialOptions.steps, metavar="N",
                            help=f"steps per differential run (default {DifferentialOptions.steps})")
    run_parser.add_argument("--counterexamples", type=Path, default=DifferentialOptions.counterexamples,
                            metavar="DIR", help="where a failing differential run's scenario is written")
    run_parser.add_argument("--scenario", type=Path, action="append", default=[], metavar="FILE",
                            help="replay the scenario cases of FILE (e.g. a counterexample) instead of the suite")
    run_parser.add_argument("--peer", action="append", default=[], metavar="NAME", choices=sorted(ADAPTERS),
                            help="also run groups of the adapter and this built-in adapter, without the model "
                                 "(interop/pair/NAME/*; repeatable)")
    run_parser.add_argument("--fail-fast", action="store_true", help="stop at the first failure or error")
    run_parser.add_argument("-j", "--jobs", type=_count, default=1, metavar="N",
                            help="run the checks over N worker processes, each with its own adapter (default 1)")
    run_parser.add_argument("--min-run", type=_fraction, metavar="FRACTION",
                            help="exit 1 unless at least this fraction of the selected checks ran (not skipped)")
    run_parser.add_argument("--report-json", type=Path, metavar="FILE", help="write the JSON report")
    run_parser.add_argument("--junit", type=Path, metavar="FILE", help="write JUnit XML")
    run_parser.add_argument("--html", type=Path, metavar="FILE", help="write an HTML report")
    run_parser.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    run_parser.set_defaults(parser=run_parser, run=_run_suite)

    smoke_parser = commands.add_parser(
        "smoke", help="try an adapter's basic operations in seconds",
        description="Run the first check of each kind the adapter declares it can answer.")
    _adapter_arguments(smoke_parser)
    _skip_file_argument(smoke_parser)
    smoke_parser.set_defaults(parser=smoke_parser, run=_run_smoke)

    proto_parser = commands.add_parser(
        "proto", help="write the .proto files of the served XMTP APIs (interop/proto) from the model",
        description="Write interop/proto/*.proto from spec_model/xmtp/api.py; with --check, fail if a committed "
                    "file differs.")
    proto_parser.add_argument("--check", action="store_true", help="compare instead of writing")
    proto_parser.add_argument("--output", type=Path, metavar="DIR",
                              help="write into DIR (default: interop/proto of a checkout; required when installed)")
    proto_parser.set_defaults(parser=proto_parser, run=_run_proto)

    compare_parser = commands.add_parser(
        "compare", help="what changed between two JSON reports (--report-json)",
        description="List the checks that regressed (passed, now failed or errored), were fixed, or otherwise "
                    "changed status between two runs' JSON reports.",
        epilog="Exit status: 0 no regression, 1 a regression, 2 a file that is not a report.")
    compare_parser.add_argument("old", type=Path, metavar="OLD.json")
    compare_parser.add_argument("new", type=Path, metavar="NEW.json")
    compare_parser.set_defaults(parser=compare_parser, run=_run_compare)

    list_parser = commands.add_parser(
        "list", help="list the check ids (with their area's title and rule) a run would select",
        description="Print each check id a run with these options selects, with its area's title and rule.")
    list_parser.add_argument("--include", action="append", default=[], metavar="GLOB", help="only matching ids")
    list_parser.add_argument("--exclude", action="append", default=[], metavar="GLOB", help="leave these out")
    list_parser.set_defaults(parser=list_parser, run=_run_list)

    peers_parser = commands.add_parser(
        "peers", help=f"the bundled Node adapters ({', '.join(peers.bundled())})",
        description="Install a bundled Node adapter's dependencies (npm ci, its committed lockfile) into the "
                    "user cache, so that run --adapter NAME works from an installed wheel.")
    peer_commands = peers_parser.add_subparsers(dest="peers_command", required=True)
    install_parser = peer_commands.add_parser("install", help="npm ci a bundled adapter into the user cache")
    install_parser.add_argument("name", choices=peers.bundled(), metavar="NAME", help=", ".join(peers.bundled()))
    install_parser.set_defaults(parser=install_parser, run=_run_peers_install)

    mutants_parser = commands.add_parser(
        "mutants", help="run the suite against deliberately broken variants of the reference adapter",
        description="Each mutant is the reference-subprocess adapter with one rule broken; the suite must "
                    "catch every one. Prints which check caught each.",
        epilog="Exit status: 0 every mutant caught, 1 one survived.")
    mutants_parser.add_argument("names", nargs="*", metavar="MUTANT", help="only these mutants")
    mutants_parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    mutants_parser.set_defaults(parser=mutants_parser, run=_run_mutants)

    matrix_parser = commands.add_parser(
        "matrix", help="several run reports side by side: implementations x areas, and groups with the model",
        description="Read the JSON reports of several runs (run --report-json) and print the checks passed of "
                    "those that ran, per implementation and area, then per cipher suite the groups each "
                    "implementation shared with the model.")
    matrix_parser.add_argument("reports", nargs="+", type=Path, metavar="REPORT.json")
    matrix_parser.add_argument("--html", type=Path, metavar="FILE", help="also write the matrix as an HTML page")
    matrix_parser.set_defaults(parser=matrix_parser, run=_run_matrix)

    completion_parser = commands.add_parser(
        "completion", help="print a shell completion script",
        description='Print a completion script for the shell: eval "$(xmtp-conformance completion bash)" '
                    "(zsh the same way; fish: xmtp-conformance completion fish | source).")
    completion_parser.add_argument("shell", choices=completion.SHELLS, metavar="SHELL", help=", ".join(completion.SHELLS))
    completion_parser.set_defaults(parser=completion_parser, run=lambda args: _run_completion(args, parser))
    return parser


def _run_completion(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """``completion SHELL``."""
    print(completion.script(args.shell, parser, sorted(ADAPTERS)), end="")
    return 0


def _run_matrix(args: argparse.Namespace) -> int:
    """``matrix REPORT.json ... [--html FILE]``."""
    from . import matrix
    try:
        table = matrix.load(args.reports)
    except matrix.MatrixError as e:
        args.parser.error(str(e))
    print(matrix.render_text(table))
    if args.html:
        args.html.write_text(matrix.render_html(table))
    return 0


def _adapter_arguments(parser: argparse.ArgumentParser) -> None:
    chosen = parser.add_mutually_exclusive_group()
    chosen.add_argument("--adapter", metavar="NAME", help=f"a built-in adapter: {', '.join(ADAPTERS)} (default reference)")
    chosen.add_argument("--adapter-cmd", metavar="CMD",
                        help="a command speaking the JSON-lines adapter protocol, e.g. 'node my-adapter.js'")
    parser.add_argument("--no-node-validation", action="store_true",
                        help="the delivery service accepts any identity update (tests clients' own validation)")
    parser.add_argument("--timeout", type=_seconds, metavar="SECONDS",
                        help="the longest wait for one answer of the adapter; a hung adapter is ended and started "
                             "again, and the check it was on errors (default 300)")


def _skip_file_argument(parser: argparse.ArgumentParser) -> None:
    skips = parser.add_mutually_exclusive_group()
    skips.add_argument("--skip-file", type=Path, metavar="FILE",
                       help="check-id globs to skip, one per line, '# reason' after each")
    skips.add_argument("--known-issues", action="store_true",
                       help="skip what the named adapter's bundled skip file lists (its known issues, with reasons)")


def _skip_file(args: argparse.Namespace) -> Path | None:
    """The skip file of ``--skip-file``, or of ``--known-issues`` (the named adapter's bundled one); a usage
    error when it does not exist or the adapter has none."""
    if args.known_issues:
        bundled = known_issues()
        if args.adapter not in bundled:
            args.parser.error(f"--known-issues: the adapter {args.adapter or 'reference'} has no bundled skip file "
                              f"(these have: {', '.join(sorted(bundled))})")
        return bundled[args.adapter]
    if args.skip_file is not None and not args.skip_file.is_file():
        args.parser.error(f"{args.skip_file}: no such file")
    return args.skip_file


def _connect_args(args: argparse.Namespace) -> dict:
    return {"name": args.adapter, "command": args.adapter_cmd, "node_validation": not args.no_node_validation,
            "timeout_s": args.timeout}


def _session(args: argparse.Namespace):
    try:
        return connect(**_connect_args(args))
    except KeyError as e:
        args.parser.error(str(e.args[0]))



def _run_suite(args: argparse.Namespace) -> int:
    """``run``: the whole suite (or a selection) against one adapter."""
    options = RunOptions(include=args.include, exclude=args.exclude, skip_file=_skip_file(args),
                         scenarios=args.scenario,
                         stop_on=frozenset({Status.FAILED, Status.ERRORED}) if args.fail_fast else frozenset(),
                         differential=DifferentialOptions(args.examples, args.steps, args.counterexamples),
                         jobs=args.jobs, peers=args.peer)
    if args.jobs > 1 and args.fail_fast:
        args.parser.error("--fail-fast runs the checks in order: not with -j")
    for path in args.scenario:
        if not path.is_file():
            args.parser.error(f"{path}: no such file")
    try:
        checks = collect(options)
    except (ValidationError, ValueError) as e:  # a --scenario file of the wrong shape
        args.parser.error(f"not a scenario file: {_first_error(e)}")
    if not checks:
        args.parser.error("no check selected")
    skips = _skips(args, options)
    session = _session(args)
    try:
        report, _ = execute(session, checks, options, None if args.quiet else sys.stderr, skips,
                            connect_args=_connect_args(args))
    finally:
        session.close()
    return _print_report(report, args)


def _first_error(error: Exception) -> str:
    if isinstance(error, ValidationError):
        first = error.errors()[0]
        return f"{'.'.join(map(str, first['loc']))}: {first['msg']} ({error.error_count()} errors)"
    return " ".join(str(error).split())[:300]


def _skips(args: argparse.Namespace, options: RunOptions):
    """The skip file read and checked against the suite's ids; any problem is a usage error."""
    try:
        return load_skips(options)
    except SkipFileError as e:
        args.parser.error(str(e))


def _print_report(report, args: argparse.Namespace) -> int:
    print(run_report.render_summary(report))
    details = run_report.render_failures(report)
    if details:
        print()
        print(details)
    for path, text in ((getattr(args, "report_json", None), lambda: report.model_dump_json(indent=1) + "\n"),
                       (getattr(args, "junit", None), lambda: run_report.junit_xml(report)),
                       (getattr(args, "html", None), lambda: run_report.html_page(report))):
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text())
    total, ran = report.totals, run_report.ran_fraction(report)
    bad = total.failed + total.errored
    too_few = getattr(args, "min_run", None) is not None and ran < args.min_run
    print(f"\n{'FAILED' if bad else 'ok'}: {total.passed} passed, {total.failed} failed, {total.errored} errored, "
          f"{total.self_reported} self-reported, {total.skipped} skipped in {report.seconds:.1f} s")
    if ran < 0.5 or too_few:
        print(f"{'FAILED' if too_few else 'note'}: only {total.ran} of {total.selected} selected checks ran "
              f"({ran:.0%}){f'; --min-run asks for {args.min_run:.0%}' if too_few else ''}")
    return 1 if bad or too_few else 0


def _run_smoke(args: argparse.Namespace) -> int:
    """``smoke``: one check of each kind the adapter can answer."""
    options = RunOptions(skip_file=_skip_file(args))
    skips = _skips(args, options)
    session = _session(args)
    try:
        checks = smoke_checks(session)
        report, _ = execute(session, checks, options, None, skips)
    finally:
        session.close()
    for check in report.checks:
        print(f"{check.status.value:8} {check.id}" + (f"  {check.message[:200]}" if check.message else ""))
    return _print_report(report, args)


def _run_proto(args: argparse.Namespace) -> int:
    """``proto [--check]``."""
    from . import protos
    if args.check:
        return _report_check("proto --check", [f"{name}: differs or is missing" for name in protos.check()])
    folder = data.writable_folder(protos.PROTO_DIR, args.output)
    written = protos.write(folder)
    print(f"wrote {len(written)} files into {folder}")
    return 0


def _run_compare(args: argparse.Namespace) -> int:
    """``compare OLD.json NEW.json``."""
    reports = []
    for path in (args.old, args.new):
        try:
            reports.append(run_report.Report.model_validate_json(path.read_bytes()))
        except OSError as e:
            args.parser.error(f"{path}: {e.strerror}")
        except ValidationError as e:
            args.parser.error(f"{path}: not a JSON report of this version: {_first_error(e)}")
    old, new = reports
    changes = run_report.compare(old, new)
    print(f"{args.old}: {old.implementation}, {old.totals.passed} passed of {old.totals.selected}\n"
          f"{args.new}: {new.implementation}, {new.totals.passed} passed of {new.totals.selected}")
    for title, rows in (("regressions", changes.regressions), ("fixes", changes.fixes), ("other changes", changes.changed)):
        print(f"{title} ({len(rows)}):", *(f"{before} -> {after}  {check}" for check, before, after in rows), sep="\n  ")
    for title, ids in (("only in the new run", changes.added), ("only in the old run", changes.removed)):
        if ids:
            print(f"{title} ({len(ids)}):", *ids[:50], *(["..."] if len(ids) > 50 else []), sep="\n  ")
    return 1 if changes.regressions else 0


def _run_list(args: argparse.Namespace) -> int:
    """``list``: the ids a run with the same ``--include``/``--exclude`` selects."""
    checks = collect(RunOptions(include=args.include, exclude=args.exclude))
    if not checks:
        args.parser.error("no check selected")
    width = max(len(c.id) for c in checks)
    for check in checks:
        print(f"{check.id:{width}}  {check.title:30}  {check.rule}")
    return 0


def _run_peers_install(args: argparse.Namespace) -> int:
    """``peers install NAME``."""
    try:
        folder = peers.bundled()[args.name].install()
    except peers.PeerInstallError as e:
        print(f"xmtp-conformance peers install: error: {e}", file=sys.stderr)
        return EXIT_UNUSABLE_ADAPTER
    print(f"installed adapter {args.name} into {folder}; run: xmtp-conformance run --adapter {args.name}")
    return 0


def _run_mutants(args: argparse.Namespace) -> int:
    """``mutants``: every mutant must be caught."""
    from .mutants import MUTANTS, run_mutants
    if args.list:
        for mutant in MUTANTS.values():
            print(f"{mutant.name:38} {mutant.area:38} {mutant.description}")
        return 0
    unknown = [n for n in args.names if n not in MUTANTS]
    if unknown:
        args.parser.error(f"unknown mutant(s): {', '.join(unknown)}")
    return run_mutants([MUTANTS[n] for n in args.names] or list(MUTANTS.values()), sys.stdout)


def _flatten(lists: list[list[int]] | None) -> set[int] | None:
    return None if lists is None else {n for group in lists for n in group}


@contextlib.contextmanager
def _hypothesis_files_in_the_cache() -> Iterator[None]:
    """The runner's state machines use hypothesis, which keeps files of its own: put them in the user's cache
    folder, not a ``.hypothesis`` folder in whatever directory the command runs from."""
    configuration.set_hypothesis_home_dir(str(data.cache_folder() / "hypothesis"))
    try:
        yield
    finally:
        configuration.set_hypothesis_home_dir(None)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        with _hypothesis_files_in_the_cache():
            return args.run(args)
    except SystemExit as e:  # argparse's usage errors (status 2) and --help (status 0)
        return e.code if isinstance(e.code, int) else 0 if e.code is None else 2
    except AdapterUnusable as e:
        print(f"xmtp-conformance: error: {' '.join(str(e).split())}", file=sys.stderr)
        return EXIT_UNUSABLE_ADAPTER
    except data.ReadOnlyData as e:
        print(f"xmtp-conformance: error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the output went to a pipe that closed early (``| head``): not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the interpreter's final flush is quiet
        return 141


def _run_generate(args: argparse.Namespace) -> int:
    """``vectors generate [--check]``."""
    started = time.perf_counter()
    if args.check:
        return _report_check("vectors generate --check", xmtp_vectors.check_generated())
    folder = data.writable_folder(xmtp_vectors.XMTP_DIR, args.output)
    written = xmtp_vectors.generate(folder)
    size = sum(path.stat().st_size for path in written.values())
    print(f"wrote {len(written)} files, {size} bytes, into {folder} "
          f"in {time.perf_counter() - started:.1f} s")
    return 0


def _run_schema(args: argparse.Namespace) -> int:
    """``vectors schema [--check]``."""
    if args.check:
        return _report_check("vectors schema --check", xmtp_vectors.check_schemas())
    folder = data.writable_folder(xmtp_vectors.SCHEMA_DIR, args.output)
    xmtp_vectors.write_schemas(folder)
    print(f"wrote {len(xmtp_vectors.schemas())} schemas into {folder}")
    return 0


def _report_check(command: str, differences: list[str]) -> int:
    if differences:
        print(f"{command}: the committed files differ from the model's:", *differences, sep="\n  ")
        return 1
    print(f"{command}: ok, the committed files are what the model generates")
    return 0


def _run_verify(args: argparse.Namespace) -> int:
    """``vectors verify [FILE ...]``: the official RFC 9420 vectors."""
    try:
        files = select_files(args.files, args.format)
    except VectorFileError as e:
        args.parser.error(str(e))
    suites = _flatten(args.suite)
    results, failures = verify(files, suites, verbose=args.verbose,
                               progress=sys.stderr if args.verbose else None)
    ran = sum(r.total_passed + r.total_failed for r in results)
    if ran == 0:
        print("xmtp-conformance vectors verify: error: no case selected"
              + (f" (--suite {' '.join(map(str, sorted(suites)))})" if suites else ""), file=sys.stderr)
        return 2
    print(render_table(results))
    if failures:
        print()
        print(render_failures(failures, args.verbose))
        print(f"\nFAILED: {len(failures)} of {ran} cases")
        return 1
    print(f"\nok: all {ran} cases passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
