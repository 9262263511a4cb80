"""XMTP clients at XMTP's largest group, beside its cryptographic floor: ``members`` inboxes of 10 installations
each (libxmtp ``MAX_INSTALLATIONS_PER_INBOX``, ``spec_model/xmtp/identity.py``) over the model's network, cipher
suite 3 (XMTP's, ``spec_model/xmtp/key_package.py``).

Untimed: every installation registers (its inbox, or a new installation of it) and uploads a key package. Then the
first installation of the first inbox creates a group with every other inbox (one commit adding every installation
of all of them and the creator's own others, docs/xmtp-facts.md §3.3), timed once (``create_ms``), and every other
installation, or ``--client-syncs N`` of them evenly spread, syncs once, joins from its Welcome and must hold the
creator's epoch authenticator: the benchmark's rounds, one sync each.

Each sync pays what it would pay in its own process: before it, ``spec_model.mls.memory.forget_all`` empties every
process-wide memory (decoded extensions, credentials and identity updates, verified signatures, checked trees,
loaded keys). What the installations still share is what separate processes share too: the network (the model's
delivery service, with its identity log) and the imported code. Each installation has its own SQLite database and
its own replay of the identity log: a new installation has no association state cached, so it checks every member
inbox's updates (libxmtp crates/xmtp_mls/src/identity_updates.rs@b649d1a ``get_association_state_with_verifier``:
``verify_updates`` unless ``read_from_cache`` has the state). The objects alive before a sync (the other installations, the network) are
moved out of the garbage collector's sight (``gc.freeze``), as they would be in another process.

The floor is the cryptography each part needs, priced per call on the benchmarks' clock
(``--benchmark-timer``, ``time.process_time`` on a busy machine): the MLS primitives (``benchmarks/floor.py``), each
welcome wrapping and unwrapping, an HPKE encapsulation or decapsulation to the recipient's key (docs/xmtp-facts.md
§7.3; X25519, or X-Wing for a key package with 0xFF03) on a pointer-sized payload plus its AEAD's work per KiB
sealed or opened (the seed profile wraps the whole Welcome for each installation), and each identity-update signature
check (XIP-46: an ERC-191 recovery, or an installation key's Ed25519ph check): ``extra_info = {"create_ms",
"create_floor_ms", "sync_floor_ms", "over_floor" (the median sync over its floor), "counts", "unit_ms", "leaves",
"profile", "syncs"}``, and when every installation synced, the whole round's ``"round_ms", "round_floor_ms",
"round_over_floor"``. It runs in each profile: the seed's wraps the whole Welcome for every installation, the libxmtp
profile's sends one sealed Welcome and a pointer to it for each (XIP-74, ``spec_model/xmtp/welcome_pointer.py``).

Regular runs take ``REGULAR_MEMBERS`` inboxes (400 leaves), every installation syncing; ``--client-members 400``
is XMTP's 400 x 10 = 4000 leaves, whose 3999 joins each verify every leaf's signature (RFC 9420 §12.4.3.1): about an
hour, or a few minutes with ``--client-syncs 10``. What was measured of it is in the README ("Tests and
benchmarks"). Run: ``.venv/bin/pytest benchmarks/test_client_max_group.py --benchmark-enable
--benchmark-timer time.process_time -s``.
"""

from __future__ import annotations

import collections
import gc
import os
import tempfile
import time
from contextlib import contextmanager
from typing import Callable

import pytest

from benchmarks import floor
from spec_model.mls import xwing
from spec_model.mls.memory import forget_all
from spec_model.xmtp import identity, welcome_wrap
from spec_model.xmtp.client import Client
from spec_model.xmtp.context import CS, ClientConfig
from spec_model.xmtp.identity import MAX_INSTALLATIONS
from spec_model.xmtp.identity_signing import sign_text
from spec_model.xmtp.network import DeliveryService
from spec_model.xmtp.profiles import PROFILES, Profile
from spec_model.xmtp.wallet import Wallet
from tests.mls.members import seeded_rng

REGULAR_MEMBERS = 40
WRAPS = {welcome_wrap.WelcomeWrapperAlgorithm.CURVE25519: "curve25519",
         welcome_wrap.WelcomeWrapperAlgorithm.XWING_MLKEM_768_DRAFT_6: "xwing"}
"""The welcome wrapper algorithms, by the name their counts carry (``wrap_…``, ``unwrap_…``)."""
CLIENT_PRIMITIVES = (*(f"{way}_{name}" for way in ("wrap", "unwrap") for name in WRAPS.values()),
                     "sealed_kib", "opened_kib", "recover_erc191", "verify_installation_key")
"""What the floor counts besides ``floor.PRIMITIVES``: welcome wrappings and unwrappings (each one encapsulation or
decapsulation, and the KiB its AEAD seals or opens), identity signature checks."""


@contextmanager
def counting_client_primitives(counts: dict[str, int]):
    """Count ``CLIENT_PRIMITIVES`` while the block runs: ``welcome_wrap``'s HPKE seals and opens (one encapsulation
    or decapsulation each) and ``identity.verify_signature``'s checks by signature kind."""
    seal, open_, verify = welcome_wrap._seal, welcome_wrap._open, identity.verify_signature
    algorithms = {welcome_wrap._suite(algorithm)[0]: name for algorithm, name in WRAPS.items()}

    def sealed(public_key, payload, algorithm, rng):
        counts[f"wrap_{WRAPS[algorithm]}"] += 1
        counts["sealed_kib"] += len(payload) / 1024
        return seal(public_key, payload, algorithm, rng)

    def opened(hpke, private_key, wrapped, metadata):
        counts[f"unwrap_{algorithms[hpke]}"] += 1
        counts["opened_kib"] += (len(wrapped.ciphertext) + len(metadata)) / 1024
        return open_(hpke, private_key, wrapped, metadata)

    def verified(signature, text):
        counts["recover_erc191" if signature.erc_191 is not None else "verify_installation_key"] += 1
        return verify(signature, text)

    welcome_wrap._seal, welcome_wrap._open, identity.verify_signature = sealed, opened, verified
    try:
        yield counts
    finally:
        welcome_wrap._seal, welcome_wrap._open, identity.verify_signature = seal, open_, verify


def _median_ms(calls: list[Callable[[], object]], timer: Callable[[], float]) -> float:
    spent = []
    for call in calls:
        start = timer()
        call()
        spent.append(timer() - start)
    return sorted(spent)[len(spent) // 2] * 1000


def client_unit_costs(timer: Callable[[], float] = time.perf_counter) -> dict[str, float]:
    """Each of ``CLIENT_PRIMITIVES``' cost in ms on ``timer``, the median of 50: wrappings and unwrappings of a
    100-byte payload (a pointer's size), a KiB sealed or opened by the wrapping's AEAD (ChaCha20-Poly1305, priced on
    1 MiB: a Welcome wrapped whole is megabytes), signature checks over 50 different identity-update texts (a check
    is remembered per process, and a sync checks each afresh)."""
    keys = {"curve25519": CS.derive_key_pair(b"\1" * 32), "xwing": xwing.generate_key_pair_derand(b"\1" * 32)}
    units = {}
    for algorithm, name in WRAPS.items():
        private_key, public_key = keys[name]
        wrapped = welcome_wrap.wrap_payload(public_key, bytes(100), algorithm)
        units[f"wrap_{name}"] = _median_ms(
            [lambda: welcome_wrap.wrap_payload(public_key, bytes(100), algorithm)] * 50, timer)
        units[f"unwrap_{name}"] = _median_ms(
            [lambda: welcome_wrap.unwrap_welcome(private_key, wrapped, b"", algorithm)] * 50, timer)
    aead = welcome_wrap._suite(welcome_wrap.WelcomeWrapperAlgorithm.CURVE25519)[0].aead  # X-Wing's is the same
    key, nonce, mib = bytes(aead.Nk), bytes(aead.Nn), bytes(1 << 20)
    sealed_mib = aead.seal(key, nonce, b"", mib)
    units["sealed_kib"] = _median_ms([lambda: aead.seal(key, nonce, b"", mib)] * 5, timer) / 1024
    units["opened_kib"] = _median_ms([lambda: aead.open(key, nonce, b"", sealed_mib)] * 5, timer) / 1024
    texts = [f"XMTP : Authenticate to inbox\n{n:0400}" for n in range(50)]
    for name, signer in (("recover_erc191", Wallet.from_key(b"\2" * 32)), ("verify_installation_key", b"\3" * 32)):
        signed = [(sign_text(signer, text), text) for text in texts]
        units[name] = _median_ms([lambda s=s, t=t: identity.verify_signature(s, t) for s, t in signed], timer)
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


def create(inboxes: list[list[Client]]) -> tuple[bytes, collections.deque[Client]]:
    """The first installation creates the group (above); the creator's epoch authenticator and every other
    installation, in order. It empties ``inboxes``, so that each installation can be let go once it has joined."""
    creator = inboxes[0][0]
    group = creator.conversations.create_group(inbox_ids=[inbox[0].inbox_id for inbox in inboxes[1:]])
    waiting = collections.deque(c for inbox in inboxes for c in inbox if c is not creator)
    for inbox in inboxes:
        inbox.clear()
    return group.epoch_authenticator, waiting


def sync(client: Client, expected: bytes) -> None:
    """One installation syncs, joins the group with the creator's epoch authenticator, and is closed."""
    conversation, = client.conversations.sync()
    assert conversation.epoch_authenticator == expected, f"{client.installation_id.hex()} disagrees"
    client.close()


def sampled(waiting: collections.deque[Client], syncs: int | None) -> collections.deque[Client]:
    """``syncs`` of the ``waiting`` installations, evenly spread (all of them for ``None``)."""
    if syncs is None or syncs >= len(waiting):
        return waiting
    step = len(waiting) // syncs
    return collections.deque(list(waiting)[step - 1::step][:syncs])


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_every_installation_of_the_largest_group_syncs_once(benchmark, client_members, client_syncs, timer, profile):
    inboxes = registered(client_members, profile=PROFILES[profile])
    leaves = sum(map(len, inboxes))
    units = {**floor.unit_costs(CS, timer), **client_unit_costs(timer)}
    created, synced = (dict.fromkeys((*floor.PRIMITIVES, *CLIENT_PRIMITIVES), 0) for _ in range(2))
    with floor.counting(created), counting_client_primitives(created):
        start = timer()
        expected, waiting = create(inboxes)
        create_ms = (timer() - start) * 1000
    chosen = sampled(waiting, client_syncs)
    syncs = len(chosen)

    def fresh_process():
        forget_all()
        gc.collect()
        gc.freeze()  # the other installations and the network live in this process only because the benchmark does
        return (chosen.popleft(), expected), {}

    with floor.counting(synced), counting_client_primitives(synced):
        benchmark.pedantic(sync, setup=fresh_process, rounds=syncs, iterations=1)
    assert not chosen
    per_sync = {name: count / syncs for name, count in synced.items()}
    sync_floor, create_floor = floor.floor_ms(per_sync, units), floor.floor_ms(created, units)
    benchmark.extra_info.update(leaves=leaves, profile=profile, syncs=syncs, unit_ms=units,
                                create_ms=create_ms, create_floor_ms=create_floor, create_counts=created,
                                sync_floor_ms=sync_floor, counts=per_sync,
                                over_floor=benchmark.stats.stats.median * 1000 / sync_floor)
    if syncs == leaves - 1:  # the whole round: the creation and every sync
        round_ms, round_floor = create_ms + benchmark.stats.stats.total * 1000, create_floor + sync_floor * syncs
        benchmark.extra_info.update(round_ms=round_ms, round_floor_ms=round_floor, round_over_floor=round_ms / round_floor)
