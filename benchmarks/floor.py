"""The cryptographic floor of an operation (``test_mls_max_group.py``, ``test_client_max_group.py``): what its
public-key cryptography alone costs, measured in the same process.

The operation runs with the suite's ``encrypt_with_label`` (HPKE seals, RFC 9420 §5.1.3), ``decrypt_with_label``
(opens), ``sign_with_label``, ``verify_with_label`` (§5.1.2) and ``derive_key_pair`` counted (``counting``), and
each count is multiplied by that primitive's unit cost, timed on inputs of the sizes MLS uses (32-byte secrets,
1 KiB signed, hashed or MACed content; ``unit_costs``): the count floor. Where the calls were recorded with their arguments, they
can also be replayed alone and timed on their own inputs (``replay_ms``): the replay floor, the honest one for an
operation whose signed content is large (a commit's signature covers the whole commit, RFC 9420 §6.1: over 300 KB
when its UpdatePath encrypts to 3998 leaves, where the count floor prices it at 1 KiB). Hashing, symmetric key
schedule work and encoding are left out of both, so a floor is a lower bound.

``HASHING`` (the suite's ``hash`` and ``mac``, RFC 9420 §5.1, §5.2) can be counted too, by a benchmark that says
so: a member processing a commit hashes and MACs the whole commit for its membership tag (§6.2) and transcript hash
(§8.2), passes the RFC requires as it requires the signature check over the same bytes.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Callable

from spec_model.mls.suites import CipherSuite

__all__ = ["PRIMITIVES", "HASHING", "counting", "unit_costs", "floor_ms", "replay_ms"]

PRIMITIVES = ("encrypt_with_label", "decrypt_with_label", "sign_with_label", "verify_with_label", "derive_key_pair")
HASHING = ("hash", "mac")


@contextmanager
def counting(counts: dict[str, int], calls: list | None = None, primitives: tuple[str, ...] = PRIMITIVES):
    """Count the calls of the suites' ``primitives`` (default: the public-key ones) while the block runs; with
    ``calls``, also record each one (name, suite, arguments) for ``replay_ms``."""
    originals = {name: getattr(CipherSuite, name) for name in primitives}

    def counted(name):
        def call(self, *args, **kwargs):
            counts[name] += 1
            if calls is not None:
                calls.append((name, self, args, kwargs))
            return originals[name](self, *args, **kwargs)
        return call

    for name in primitives:
        setattr(CipherSuite, name, counted(name))
    try:
        yield counts
    finally:
        for name, original in originals.items():
            setattr(CipherSuite, name, original)


def unit_costs(cs: CipherSuite, timer: Callable[[], float] = time.perf_counter) -> dict[str, float]:
    """Each primitive's cost in ms in suite ``cs`` on ``timer`` (the benchmarks' clock), the median of 200 calls on
    MLS-sized inputs."""
    signature_priv, signature_pub = cs.generate_signature_key_pair()
    hpke_priv, hpke_pub = cs.derive_key_pair(b"\1" * 32)
    secret, content = b"\2" * 32, b"\3" * 1024
    ciphertext = cs.encrypt_with_label(hpke_pub, b"UpdatePathNode", content[:64], secret)
    signature = cs.sign_with_label(signature_priv, b"FramedContentTBS", content)
    calls = {
        "encrypt_with_label": lambda: cs.encrypt_with_label(hpke_pub, b"UpdatePathNode", content[:64], secret),
        "decrypt_with_label": lambda: cs.decrypt_with_label(hpke_priv, b"UpdatePathNode", content[:64], ciphertext),
        "sign_with_label": lambda: cs.sign_with_label(signature_priv, b"FramedContentTBS", content),
        "verify_with_label": lambda: cs.verify_with_label(signature_pub, b"FramedContentTBS", content, signature),
        "derive_key_pair": lambda: cs.derive_key_pair(secret),
        "hash": lambda: cs.hash(content),
        "mac": lambda: cs.mac(secret, content),
    }
    units = {}
    for name, call in calls.items():
        times = []
        for _ in range(200):
            start = timer()
            call()
            times.append(timer() - start)
        units[name] = sorted(times)[len(times) // 2] * 1000
    return units


def floor_ms(counts: dict[str, int], units: dict[str, float]) -> float:
    """The floor of an operation that made ``counts`` calls (of the primitives it names), at ``units`` ms a call."""
    return sum(count * units[name] for name, count in counts.items())


def replay_ms(calls: list, timer: Callable[[], float] = time.perf_counter) -> float:
    """The time the recorded ``calls`` take alone, each on its own input, replayed in order: the median of 3
    replays on ``timer`` (the benchmarks' clock: ``--benchmark-timer``), in ms."""
    times = []
    for _ in range(3):
        start = timer()
        for name, cs, args, kwargs in calls:
            getattr(CipherSuite, name)(cs, *args, **kwargs)
        times.append(timer() - start)
    return sorted(times)[1] * 1000
