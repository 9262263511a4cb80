"""Coverage-guided fuzzing of one decoder with atheris (libFuzzer for Python).

Install the extra and run one target by its registry name (``tests/fuzz/decoders.py``)::

    .venv/bin/pip install -e '.[fuzz]'
    .venv/bin/python -m tests.fuzz.atheris_target --list
    .venv/bin/python -m tests.fuzz.atheris_target proto:extensions.GroupMutablePermissionsV1 -runs=1000000

Arguments after the name go to libFuzzer (``-runs``, ``-max_total_time``, ``-max_len``, a corpus directory);
the committed vectors' encodings seed it. A crash is any exception other than the decoder's typed refusals,
or a broken re-encoding check; libFuzzer saves the input as ``crash-<sha1>``.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path


def main(argv: list[str]) -> int:
    import atheris

    with atheris.instrument_imports():
        from tests.fuzz.decoders import decoders, own_seeds, run, seeds
    registry = {decoder.name: decoder for decoder in decoders()}
    if len(argv) < 2 or argv[1] == "--list":
        print("\n".join(registry))
        return 0
    decoder = registry[argv[1]]

    def one_input(data: bytes) -> None:
        crashes = run(decoder, [data])
        if crashes:
            raise crashes[0][1]

    corpus = Path(tempfile.mkdtemp(prefix="fuzz-seeds-"))
    for i, seed in enumerate(own_seeds(decoder, seeds())):
        (corpus / f"seed-{i}").write_bytes(seed)
    atheris.Setup([argv[0], *argv[2:], str(corpus)], one_input)
    atheris.Fuzz()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
