"""``python -m conformance.adapter.serve [--mutant NAME]``: the reference adapter behind JSON lines.

This is the ``reference-subprocess`` adapter: the model answering the protocol from another process,
as an SDK's adapter would. ``--mutant NAME`` first applies one of the deliberately broken variants of
``conformance.mutants`` (only ever in this separate process, so the harness's own model stays intact).
"""

from __future__ import annotations

import argparse
import sys

from .jsonrpc import serve
from .reference import ReferenceAdapter


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance.adapter.serve", description=__doc__.splitlines()[0])
    parser.add_argument("--mutant", metavar="NAME", help="apply this mutant of conformance.mutants first")
    args = parser.parse_args(argv)
    if args.mutant:
        from ..mutants import MUTANTS
        MUTANTS[args.mutant].apply()
    sys.stdin.reconfigure(errors="replace")  # invalid UTF-8 from the harness is a parse error, not the end
    serve(ReferenceAdapter(), sys.stdin, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
