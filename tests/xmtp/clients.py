"""Users with one or more XMTP client installations on one model network, deterministically.

A ``Net`` owns a ``DeliveryService`` and a directory of client databases.
``net.user(name, installations=n)`` creates a wallet and ``n`` clients of the
same inbox (the first registers the inbox, each further ``Client.create`` with
the same wallet and another database adds an installation).
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from spec_model.mls.reasons import Rejected
from spec_model.xmtp.client import Client, ClientConfig, Conversation
from spec_model.xmtp.delivery import GroupMessageKind
from spec_model.xmtp.network import DeliveryService
from spec_model.xmtp.wallet import Wallet

from tests.mls.members import seeded_rng

TICK_NS = 1_000_000_000


@dataclasses.dataclass
class User:
    name: str
    wallet: Wallet
    clients: list[Client]
    keys: list[bytes]
    paths: list[str]

    @property
    def inbox_id(self) -> str:
        return self.clients[0].inbox_id

    @property
    def address(self) -> str:
        return self.wallet.address

    @property
    def c(self) -> Client:
        """The first installation."""
        return self.clients[0]

    @property
    def installation_ids(self) -> set[bytes]:
        return {c.installation_id for c in self.clients}


class Net:
    """One network, a clock to move and a directory of databases."""

    def __init__(self, directory: str | os.PathLike, seed: int = 1, config: ClientConfig = ClientConfig()):
        self.rng = seeded_rng(seed)
        self.network = DeliveryService()
        self.dir = Path(directory)
        self.config = config
        self.users: dict[str, User] = {}

    @property
    def clock(self):
        return self.network.clock

    def tick(self, ns: int = TICK_NS) -> int:
        self.network.clock.advance(ns)
        return self.network.clock.now_ns()

    def user(self, name: str, installations: int = 1, *, config: ClientConfig | None = None) -> User:
        user = User(name, Wallet.random(self.rng), [], [], [])
        self.users[name] = user
        for _ in range(installations):
            self.add_installation(user, config=config)
        return user

    def add_installation(self, user: User, *, config: ClientConfig | None = None) -> Client:
        path = str(self.dir / f"{user.name}-{len(user.clients)}.db")
        key = self.rng(32)
        client = Client.create(user.wallet, path, key, self.network, config=config or self.config, rng=self.rng)
        user.clients.append(client)
        user.keys.append(key)
        user.paths.append(path)
        self.tick()
        return client

    def reopen(self, user: User, index: int = 0) -> Client:
        """Close installation ``index`` and open it again from its database."""
        user.clients[index].close()
        client = Client.create(user.wallet, user.paths[index], user.keys[index], self.network,
                               config=user.clients[index].config, rng=self.rng)
        user.clients[index] = client
        return client


def joined(client: Client, group_id: bytes) -> Conversation:
    """Sync welcomes and return the conversation ``group_id`` (which must have arrived)."""
    client.conversations.sync()
    return client.conversations.get(group_id)


def texts(conversation: Conversation, **filters) -> list[str]:
    """The text of every application message stored for ``conversation``, oldest first."""
    return [m.text for m in conversation.find_messages(kind=GroupMessageKind.APPLICATION, **filters)]


def epoch_authenticator(conversation: Conversation) -> bytes:
    return conversation.epoch_authenticator


def epoch(conversation: Conversation) -> int:
    return conversation.epoch


def server_messages(net: Net, group_id: bytes) -> list:
    """Every stored envelope (V1) of a group's topic, oldest first, as the node serves them."""
    from spec_model.xmtp import api
    response = net.network.query_group_messages(api.QueryGroupMessagesRequest(
        group_id, api.PagingInfo(api.SortDirection.ASCENDING, 100, 0)))
    return [m.v1 for m in response.messages]


def identity_updates(net: Net, inbox_id: str) -> int:
    """How many identity updates the network's log holds for ``inbox_id``."""
    from spec_model.xmtp import api
    response = net.network.get_identity_updates(api.GetIdentityUpdatesRequest(
        (api.GetIdentityUpdatesRequest.Request(inbox_id, 0),)))
    return len(response.responses[0].updates)

APP = GroupMessageKind.APPLICATION
UPDATE = GroupMessageKind.MEMBERSHIP_CHANGE


def everyone(*users: User):
    return [client for user in users for client in user.clients]


def conversations_of(group_id: bytes, *users: User, sync: bool = True) -> list[Conversation]:
    """The conversation ``group_id`` in every installation of ``users`` (syncing welcomes and the group)."""
    result = []
    for client in everyone(*users):
        conversation = joined(client, group_id) if sync else client.conversations.get(group_id)
        if sync:
            conversation.sync()
        result.append(conversation)
    return result


def sync_all(*users: User, rounds: int = 2) -> None:
    for _ in range(rounds):
        for client in everyone(*users):
            client.conversations.sync_all()


def assert_converged(conversations: list[Conversation]) -> None:
    authenticators = {epoch_authenticator(c) for c in conversations}
    assert len(authenticators) == 1, [epoch(c) for c in conversations]


def rejected(reason, call, *args, **kwargs) -> Rejected:
    with pytest.raises(Rejected) as info:
        call(*args, **kwargs)
    assert info.value.reason == reason, info.value
    return info.value
