"""seed "Group sizes" (400): clients over the delivery-service model, end to end.

One round: 400 clients register (one installation each); the first creates a
group with the other 399; every member syncs (joins); each member sends one
message; everyone syncs again and must hold all 400 messages. Wall time is
the benchmark; the process's peak resident memory is recorded in ``extra_info``.
Run: ``.venv/bin/pytest benchmarks/test_client_400.py --benchmark-enable -s``.
"""

from __future__ import annotations

import os
import resource
import tempfile

from spec_model.xmtp.client import Client
from spec_model.xmtp.network import DeliveryService
from spec_model.xmtp.wallet import Wallet
from tests.mls.members import seeded_rng

SIZE = 400


def one_round(size: int) -> int:
    rng = seeded_rng(size)
    network = DeliveryService()
    folder = tempfile.mkdtemp()
    clients = [Client.create(Wallet.random(rng), os.path.join(folder, f"{i}.db"), bytes(32), network, rng=rng)
               for i in range(size)]
    creator = clients[0].conversations.create_group(inbox_ids=[c.inbox_id for c in clients[1:]])
    conversations = [creator] + [c.conversations.sync()[0] for c in clients[1:]]
    for i, conversation in enumerate(conversations):
        conversation.send(f"message {i}")
    for conversation in conversations:
        conversation.sync()
    received = {m.text for m in conversations[-1].find_messages() if m.kind == 1}
    assert len(received) == size
    return len(received)


def test_group_of_400_clients(benchmark):
    count = benchmark.pedantic(one_round, args=(SIZE,), rounds=1, iterations=1)
    benchmark.extra_info["peak_rss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    assert count == SIZE
