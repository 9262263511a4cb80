"""The ``xmtp-conformance`` command line.

``xmtp-conformance vectors verify`` checks the model against every official
RFC 9420 test vector and prints the cases passed per file.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback

from .rfc9420 import FILES, case_label, checker, load


def verify_vectors(names: list[str], suites: set[int] | None, verbose: bool) -> int:
    """Run the official-vector checks; print a table; return the number of failed cases."""
    failed_total = 0
    passed_total = 0
    print(f"{'file':34} {'passed':>7} {'failed':>7} {'seconds':>8}")
    for name in names:
        check = checker(name)
        passed = failed = 0
        started = time.perf_counter()
        for index, case in enumerate(load(name)):
            if suites is not None and case.get("cipher_suite", 0) not in suites:
                continue
            try:
                check(case)
                passed += 1
            except Exception as e:  # a failure is reported, never raised
                failed += 1
                print(f"  FAIL {case_label(name, index, case)}: {type(e).__name__}: {e}")
                if verbose:
                    traceback.print_exc()
        elapsed = time.perf_counter() - started
        print(f"{name + '.json':34} {passed:7} {failed:7} {elapsed:8.2f}")
        passed_total += passed
        failed_total += failed
    print(f"{'total':34} {passed_total:7} {failed_total:7}")
    return failed_total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="xmtp-conformance", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    vectors = commands.add_parser("vectors", help="official test vectors")
    vector_commands = vectors.add_subparsers(dest="vectors_command", required=True)
    verify = vector_commands.add_parser("verify", help="check the model against the RFC 9420 vectors")
    verify.add_argument("--file", action="append", choices=sorted(FILES), metavar="NAME",
                        help="only this vector file (repeatable); default: all")
    verify.add_argument("--suite", action="append", type=int, metavar="N",
                        help="only cases of this cipher suite (repeatable); default: all")
    verify.add_argument("-v", "--verbose", action="store_true", help="print tracebacks of failures")
    args = parser.parse_args(argv)

    if args.command == "vectors" and args.vectors_command == "verify":
        suites = set(args.suite) if args.suite else None
        failed = verify_vectors(args.file or list(FILES), suites, args.verbose)
        return 1 if failed else 0
    parser.error("unknown command")
    return 2


if __name__ == "__main__":
    sys.exit(main())
