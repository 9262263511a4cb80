"""XMTP clients at XMTP's largest group, beside its cryptographic floor: ``members`` inboxes of 10 installations
each (libxmtp ``MAX_INSTALLATIONS_PER_INBOX``, ``spec_model/xmtp/identity.py``) over the model's network, cipher
suite 3 (XMTP's, ``spec_model/xmtp/key_package.py``).

Untimed: every installation registers (its inbox, or a new installation of it) and uploads a key package. Timed,
once: the first installation of the first inbox creates a group with every other inbox (one commit adding every
installation of all of them and the creator's own others, docs/xmtp-facts.md §3.3), then every other
installation syncs once, joins from its Welcome and must hold the creator's epoch authenticator. The floor is
that round's public-key cryptography (``benchmarks/floor.py``) and its welcome wrappings, each an HPKE
encapsulation to the recipient's key (docs/xmtp-facts.md §7.3; X25519, or X-Wing for a key package with 0xFF03),
priced on a pointer-sized payload (``wrap_unit_costs``): ``extra_info = {"floor_ms", "counts", "over_floor",
"leaves", "profile"}``. It runs in each profile: the seed's wraps the whole Welcome for every installation, the
libxmtp profile's sends one sealed Welcome and a pointer to it for each (XIP-74, ``spec_model/xmtp/welcome_pointer.py``).

Regular runs take ``REGULAR_MEMBERS`` inboxes (400 leaves); ``--client-members 400`` runs XMTP's 400 x 10 = 4000
leaves, whose 3999 joins each verify every leaf's signature (RFC 9420 §12.4.3.1): about an hour. What was measured of it
once is in the README ("Tests and benchmarks"). Run: ``.venv/bin/pytest benchmarks/test_client_max_group.py --benchmark-enable -s``.
"""

from __future__ import annotations

import collections
import os
import tempfile
import time
from contextlib import contextmanager
from typing import Callable

import pytest

from benchmarks import floor
from spec_model.mls import xwing
from spec_model.xmtp import welcome_wrap
from spec_model.xmtp.client import Client
from spec_model.xmtp.context import CS, ClientConfig
from spec_model.xmtp.identity import MAX_INSTALLATIONS
from spec_model.xmtp.network import DeliveryService
from spec_model.xmtp.profiles import PROFILES, Profile
from spec_model.xmtp.wallet import Wallet
from tests.mls.members import seeded_rng

REGULAR_MEMBERS = 40
WRAPS = {welcome_wrap.WelcomeWrapperAlgorithm.CURVE25519: "wrap_curve25519",
         welcome_wrap.WelcomeWrapperAlgorithm.XWING_MLKEM_768_DRAFT_6: "wrap_xwing"}
"""The welcome wrappings counted, by wrapper algorithm."""


@contextmanager
def counting_wraps(counts: dict[str, int]):
    """Count the welcome wrappings (``welcome_wrap``'s HPKE seals, one encapsulation each) while the block runs."""
    original = welcome_wrap._seal

    def counted(public_key, payload, algorithm, rng):
        counts[WRAPS[algorithm]] += 1
        return original(public_key, payload, algorithm, rng)

    welcome_wrap._seal = counted
    try:
        yield counts
    finally:
        welcome_wrap._seal = original


def wrap_unit_costs(timer: Callable[[], float] = time.perf_counter) -> dict[str, float]:
    """Each wrapping's cost in ms on ``timer``, the median of 50 on a 100-byte payload (a pointer's size)."""
    keys = {"wrap_curve25519": CS.derive_key_pair(b"\1" * 32)[1],
            "wrap_xwing": xwing.generate_key_pair_derand(b"\1" * 32)[1]}
    units = {}
    for algorithm, name in WRAPS.items():
        times = []
        for _ in range(50):
            start = timer()
            welcome_wrap.wrap_payload(keys[name], bytes(100), algorithm)
            times.append(timer() - start)
        units[name] = sorted(times)[len(times) // 2] * 1000
    return units


def registered(members: int, installations: int = MAX_INSTALLATIONS,
               profile: Profile = PROFILES["seed"]) -> list[list[Client]]:
    """``members`` inboxes of ``installations`` clients each of ``profile``, on one new network (deterministic)."""
    rng = seeded_rng(members * installations)
    network = DeliveryService()
    folder = tempfile.mkdtemp()
    inboxes = []
    for m in range(members):
        wallet = Wallet.random(rng)
        inboxes.append([Client.create(wallet, os.path.join(folder, f"{m}-{i}.db"), bytes(32), network,
                                      config=ClientConfig(profile=profile), rng=rng)
                        for i in range(installations)])
    return inboxes


def every_installation_syncs(inboxes: list[list[Client]]) -> int:
    """The round (above); the number of installations that joined. It empties ``inboxes``: each installation is
    closed and let go once it has joined, so that memory holds one joined member's state at a time."""
    creator = inboxes[0][0]
    group = creator.conversations.create_group(inbox_ids=[inbox[0].inbox_id for inbox in inboxes[1:]])
    expected = group.epoch_authenticator
    waiting = collections.deque(c for inbox in inboxes for c in inbox if c is not creator)
    for inbox in inboxes:
        inbox.clear()
    joined = 0
    while waiting:
        client = waiting.popleft()
        conversation, = client.conversations.sync()
        assert conversation.epoch_authenticator == expected, f"{client.installation_id.hex()} disagrees"
        client.close()
        joined += 1
    return joined


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_every_installation_of_the_largest_group_syncs_once(benchmark, client_members, profile):
    inboxes = registered(client_members, profile=PROFILES[profile])
    leaves = sum(map(len, inboxes))  # the round empties inboxes
    units = {**floor.unit_costs(CS), **wrap_unit_costs()}
    counts = dict.fromkeys([*floor.PRIMITIVES, *WRAPS.values()], 0)
    with floor.counting(counts), counting_wraps(counts):
        started = time.perf_counter()  # one round: its time is the median (also with --benchmark-disable)
        joined = benchmark.pedantic(every_installation_syncs, args=(inboxes,), rounds=1, iterations=1)
        round_ms = (time.perf_counter() - started) * 1000
    assert joined == leaves - 1
    least = sum(counts[name] * units[name] for name in counts)
    benchmark.extra_info.update(leaves=leaves, profile=profile, floor_ms=least, counts=counts, unit_ms=units,
                                over_floor=round_ms / least)
