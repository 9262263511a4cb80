"""Groups of two implementations without the model: the run's adapter and a peer (``run --adapter A --peer B``).

Per cipher suite both do, a seeded random walk (``mls_walk``): the group founded on the run's adapter, two
members more on each side, then ``PEER_STEPS`` drawn adds, removes, path updates and application messages, the
harness comparing every member's epoch authenticator and exporter secret after every epoch (RFC 9420 §8.7,
§8.5). The peer is started for the check and ended after it. The checks are ``interop/pair/<peer>/suiteN/random_walk``;
``xmtp-conformance matrix`` shows them beside the groups shared with the model.
"""

from __future__ import annotations

import functools
import random
from typing import Iterator

from spec_model.mls.suites import suite

from ..adapter import AdapterError, ErrorKind, Session, connect
from .checks import Check, Need
from .mls_walk import Walk

__all__ = ["peer_group_checks", "PEER_STEPS", "PEER_SUITES"]

PEER_STEPS = 20
PEER_SUITES = (1, 3)
"""XMTP's suite (the one mls-rs's bindings do) and the ChaCha20 one."""


def peer_group(peer: str, cipher_suite: int, session: Session, *, steps: int = PEER_STEPS, seed: int = 1) -> None:
    """A group split across the adapter and ``peer``, through random epochs; both must agree at every epoch."""
    other = connect(peer)
    try:
        if cipher_suite not in other.hello.capabilities.get("mls", {}).get("cipher_suites", ()):
            raise AdapterError(ErrorKind.UNSUPPORTED, "cipher_suite", f"the peer {peer} does not do suite {cipher_suite}")
        sides = [session.label, peer if peer != session.label else f"{peer} (peer)"]
        walk = Walk(suite(cipher_suite), dict(zip(sides, (session, other))), random.Random(seed))
        walk.walk(sides, steps)
    finally:
        other.close()


def peer_group_checks(peers: list[str]) -> Iterator[Check]:
    for peer in peers:
        for cipher_suite in PEER_SUITES:
            yield Check(id=f"interop/pair/{peer}/suite{cipher_suite}/random_walk",
                        rule="RFC 9420 §8.5, §8.7, §12 (a group split across two implementations agrees at every epoch)",
                        needs=(Need("mls", "cipher_suites", cipher_suite),),
                        run=functools.partial(peer_group, peer, cipher_suite),
                        reproducer=f"xmtp-conformance run --peer {peer} --include 'interop/pair/{peer}/suite{cipher_suite}/*'",
                        description=peer_group.__doc__)
