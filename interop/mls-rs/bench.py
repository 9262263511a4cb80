"""The 400-member operations of ``benchmarks/test_mls_400.py``, run with mls-rs 0.55 (agentvault-mls-rs-uniffi
0.1.1) in cipher suite 1, for ``benchmarks/test_side_by_side.py``.

The same shapes: 399 key packages; a 2-member group whose first member commits adding 398 (400 members);
the second member processing that commit; m7 joining from its Welcome; the first member committing the
removal of leaf 200 (mls-rs gives every remove commit a path); the second member processing that. Commits
are PublicMessages and their Welcomes carry the tree.

mls-rs groups change in place, so each of the R runs (argument, default 5) has its own group, built
untimed; every client makes R key packages, one per run. Only the call is timed; each run's result is
checked, untimed. Prints one JSON object: operation -> {median_ms, min_ms, runs}.

    .venv/bin/python interop/mls-rs/bench.py [R]
"""

from __future__ import annotations

import json
import statistics
import sys
import time

import mls_rs_uniffi as mls

SIZE = 400
REMOVED = 200
SUITE = mls.CipherSuite.CURVE25519_AES128


def client(name: str) -> mls.Client:
    return mls.Client(name.encode(), mls.generate_signature_keypair(SUITE), mls.client_config_default())


def expect(condition: bool, what: str) -> None:
    if not condition:
        raise SystemExit(f"mls-rs benchmark: {what}")


def measure(timings: dict, name: str, operations: list) -> list:
    """Times each of the runs' ``operations`` (callables) alone; their results."""
    times, results = [], []
    for operation in operations:
        start = time.perf_counter()
        results.append(operation())
        times.append((time.perf_counter() - start) * 1000)
    timings[name] = {"median_ms": statistics.median(times), "min_ms": min(times), "runs": len(times)}
    return results


def main(runs: int) -> dict:
    timings: dict = {}
    clients = [client(f"m{i}") for i in range(SIZE)]
    # key packages: run r makes every member's r-th key package (m0 founds the groups, so 399)
    packages = measure(timings, "generate_399_key_packages",
                       [lambda: [c.generate_key_package_message() for c in clients[1:]] for _ in range(runs)])
    for made in packages:
        expect(len(made) == SIZE - 1, "399 key packages")

    firsts, seconds = [], []
    for r in range(runs):  # untimed: a 2-member group per run
        first = clients[0].create_group(f"group {r}".encode())
        output = first.add_members([packages[r][0]])
        first.process_incoming_message(output.commit_message)
        firsts.append(first)
        seconds.append(clients[1].join_group(None, output.welcome_message).group)

    added = measure(timings, "commit_adding_399",
                    [lambda r=r: firsts[r].add_members(packages[r][1:]) for r in range(runs)])
    for r, output in enumerate(added):
        firsts[r].process_incoming_message(output.commit_message)  # mls-rs merges its own commit so
    wire = [mls.Message.from_bytes(output.commit_message.to_bytes()) for output in added]
    processed = measure(timings, "process_add_commit",
                        [lambda r=r: seconds[r].process_incoming_message(wire[r]) for r in range(runs)])
    expect(all(p.is_commit() for p in processed), "the add commit processed")

    welcomes = [mls.Message.from_bytes(output.welcome_message.to_bytes()) for output in added]
    joined = measure(timings, "join_from_welcome",
                     [lambda r=r: clients[7].join_group(None, welcomes[r]).group for r in range(runs)])
    for r in range(runs):
        secrets = {g.export_secret(b"bench", b"", 32) for g in (firsts[r], seconds[r], joined[r])}
        expect(len(secrets) == 1, "the members agree after the add commit")

    target = clients[REMOVED].signing_identity()
    removed = measure(timings, "remove_commit_with_path",
                      [lambda r=r: firsts[r].remove_members([target]) for r in range(runs)])
    for r, output in enumerate(removed):
        firsts[r].process_incoming_message(output.commit_message)
    wire = [mls.Message.from_bytes(output.commit_message.to_bytes()) for output in removed]
    measure(timings, "process_remove_commit",
            [lambda r=r: seconds[r].process_incoming_message(wire[r]) for r in range(runs)])
    for r in range(runs):
        expect(firsts[r].export_secret(b"bench", b"", 32) == seconds[r].export_secret(b"bench", b"", 32),
               "the members agree after the remove commit")
    return timings


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    print(json.dumps(main(count)))
