"""A deterministic world for building XMTP cases: users (a wallet, an inbox, installations), the identity
log the network keeps, key packages and groups, all from one seed and a fixed clock.

The vector families that build inboxes or real groups (``commit_validation``, ``group_histories``,
``key_packages``) and the tests of ``spec_model.xmtp.commit_validation`` share it, so a case and a test are
built the same way.
"""

from __future__ import annotations

import dataclasses
import random

from spec_model.mls.group import Group
from spec_model.mls.key_package import KeyPackageBundle
from spec_model.xmtp.credential import Installation
from spec_model.xmtp.extensions import (
    GroupMembership, new_group_membership, new_group_metadata, new_group_mutable_metadata,
)
from spec_model.xmtp.groups import create_group, group_context_extensions, membership_of, membership_proposals
from spec_model.xmtp.identity import IdentityUpdate
from spec_model.xmtp.identity_log import IdentityLog
from spec_model.xmtp.identity_signing import add_installation_update, create_inbox_update, revoke_installation_update
from spec_model.xmtp.key_package import build_key_package
from spec_model.xmtp.permissions import Policies, Preset, preset_policies
from spec_model.xmtp.profiles import SEED, Profile
from spec_model.xmtp.wallet import Wallet

__all__ = ["NOW_S", "seeded_rng", "User", "World"]

NOW_S = 1_800_000_000
"""The fixed clock (seconds) at which every key package is built; identity updates tick on from it."""


def seeded_rng(seed: int):
    """A deterministic ``rng(n) -> bytes``."""
    generator = random.Random(seed)
    return lambda n: generator.randbytes(n)


@dataclasses.dataclass
class User:
    """A wallet, the inbox it created, and that inbox's installations (the first one created it)."""

    name: str
    wallet: Wallet
    inbox_id: str
    installations: list[Installation]


class World:
    """Users and the identity log the network keeps, from one seed; ``inboxes`` in the order they appeared."""

    def __init__(self, seed: int = 0, *, clock_ns: int = NOW_S * 10**9, tick_ns: int = 10**9):
        """``clock_ns``: the clock before the first identity update; each update ticks it on by ``tick_ns``."""
        self.rng = seeded_rng(seed)
        self.log = IdentityLog()
        self.clock_ns, self.tick_ns = clock_ns, tick_ns
        self.inboxes: list[str] = []

    def tick(self) -> int:
        self.clock_ns += self.tick_ns
        return self.clock_ns

    def publish(self, update: IdentityUpdate) -> None:
        self.log.publish(update)
        if update.inbox_id not in self.inboxes:
            self.inboxes.append(update.inbox_id)

    def user(self, name: str, installations: int = 1) -> User:
        wallet = Wallet.random(self.rng)
        first = Installation.generate(self.rng)
        update = create_inbox_update(wallet, 0, self.tick(), first.private_key)
        self.publish(update)
        user = User(name, wallet, update.inbox_id, [first])
        for _ in range(installations - 1):
            self.add_installation(user)
        return user

    def add_installation(self, user: User, installation: Installation | None = None) -> Installation:
        """Associate ``installation`` (a new one if not given) with ``user``'s inbox."""
        if installation is None:
            installation = Installation.generate(self.rng)
        state = self.log.state_at(user.inbox_id)
        self.publish(add_installation_update(state, installation.private_key, user.wallet, self.tick()))
        user.installations.append(installation)
        return installation

    def revoke_installation(self, user: User, index: int) -> None:
        state = self.log.state_at(user.inbox_id)
        self.publish(revoke_installation_update(state, user.installations[index].public_key, user.wallet,
                                                self.tick()))

    def identity_at(self, inbox_id: str, sequence_id: int):
        return self.log.state_at(inbox_id, sequence_id)

    def latest(self, inbox_id: str) -> int:
        return self.log.latest_sequence_id(inbox_id)

    def key_package(self, user: User, index: int = 0) -> KeyPackageBundle:
        return build_key_package(user.installations[index], user.inbox_id, NOW_S, self.rng)

    def group(self, creator: User, *, profile: Profile = SEED, preset: Preset = Preset.ALL_MEMBERS,
              policies: Policies | None = None, metadata=None, mutable=None,
              membership: GroupMembership | None = None) -> Group:
        """libxmtp create_group: ``creator``'s first installation alone, with these extensions (the defaults of
        a new group unless given)."""
        extensions = group_context_extensions(
            metadata or new_group_metadata(creator.inbox_id),
            mutable or new_group_mutable_metadata(creator.inbox_id, profile=profile),
            membership or new_group_membership(creator.inbox_id),
            policies or preset_policies(preset, profile), profile)
        return create_group(self.key_package(creator), extensions, rng=self.rng)

    def membership_with(self, group: Group, *users: User, without: tuple[User, ...] = ()) -> GroupMembership:
        """libxmtp update_group_membership: every member and ``users`` at their latest sequence id (a member
        without a log keeps its own), ``without`` removed."""
        members = {inbox: (self.latest(inbox) or sequence_id) for inbox, sequence_id in
                   membership_of(group).members.items()}
        for u in users:
            members[u.inbox_id] = self.latest(u.inbox_id)
        for u in without:
            members.pop(u.inbox_id, None)
        return GroupMembership(members=members)

    def add_users(self, group: Group, *users: User) -> tuple:
        """The proposals adding every installation of ``users``, and their key package bundles."""
        bundles = [self.key_package(u, i) for u in users for i in range(len(u.installations))]
        proposals = membership_proposals(group, tuple(b.key_package for b in bundles), frozenset(),
                                         self.membership_with(group, *users))
        return proposals, bundles

    def remove_users(self, group: Group, *users: User):
        """The proposals removing every installation of ``users`` and their inboxes."""
        keys = frozenset(i.public_key for u in users for i in u.installations)
        return membership_proposals(group, (), keys, self.membership_with(group, without=users))
