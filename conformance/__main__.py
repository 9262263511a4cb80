"""``xmtp-conformance`` as a process (the console script; also ``python -m conformance``): ``cli.main`` once.

The modules a run loads live until the process exits, so the cyclic collector would find nothing in them: it is
off while they load, and they are then frozen out of its way. At exit everything is frozen, so that interpreter
shutdown leaves the heap to the operating system instead of walking it once more (Python docs: ``gc.freeze``).
"""

from __future__ import annotations

import gc
import sys


def main() -> None:
    gc.disable()
    from .cli import main as command
    gc.freeze()
    gc.enable()
    status = command()
    gc.freeze()
    sys.exit(status)


if __name__ == "__main__":
    main()
