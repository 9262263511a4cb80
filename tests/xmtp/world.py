"""Users, installations, an identity log and XMTP groups for the XMTP tests, deterministically."""

from __future__ import annotations

import dataclasses

from spec_model.mls.group import Group
from spec_model.mls.key_package import KeyPackageBundle
from spec_model.xmtp.credential import Installation
from spec_model.xmtp.extensions import (
    GroupMembership, new_group_membership, new_group_metadata, new_group_mutable_metadata,
)
from spec_model.xmtp.groups import create_group, group_context_extensions, membership_of, membership_proposals
from spec_model.xmtp.identity_log import IdentityLog
from spec_model.xmtp.identity_signing import add_installation_update, create_inbox_update
from spec_model.xmtp.key_package import build_key_package
from spec_model.xmtp.permissions import Preset, preset_policies
from spec_model.xmtp.profiles import SEED
from spec_model.xmtp.wallet import Wallet

from tests.mls.members import seeded_rng

NOW_S = 1_800_000_000


@dataclasses.dataclass
class User:
    name: str
    wallet: Wallet
    inbox_id: str
    installations: list[Installation]

    def key_package(self, world: "World", index: int = 0) -> KeyPackageBundle:
        return build_key_package(self.installations[index], self.inbox_id, NOW_S, world.rng)


class World:
    """An identity log shared by every user, as the network keeps it."""

    def __init__(self, seed: int = 0):
        self.rng = seeded_rng(seed)
        self.log = IdentityLog()
        self.clock_ns = NOW_S * 10**9

    def tick(self) -> int:
        self.clock_ns += 10**9
        return self.clock_ns

    def user(self, name: str, installations: int = 1) -> User:
        wallet = Wallet.random(self.rng)
        first = Installation.generate(self.rng)
        update = create_inbox_update(wallet, 0, self.tick(), first.private_key)
        self.log.publish(update)
        user = User(name, wallet, update.inbox_id, [first])
        for _ in range(installations - 1):
            self.add_installation(user)
        return user

    def add_installation(self, user: User) -> Installation:
        installation = Installation.generate(self.rng)
        state = self.log.state_at(user.inbox_id)
        self.log.publish(add_installation_update(state, installation.private_key, user.wallet, self.tick()))
        user.installations.append(installation)
        return installation

    def identity_at(self, inbox_id: str, sequence_id: int):
        return self.log.state_at(inbox_id, sequence_id)

    def latest(self, inbox_id: str) -> int:
        return self.log.latest_sequence_id(inbox_id)

    def group(self, creator: User, *, preset: Preset = Preset.ALL_MEMBERS, profile=SEED) -> tuple[Group, KeyPackageBundle]:
        bundle = creator.key_package(self)
        extensions = group_context_extensions(
            new_group_metadata(creator.inbox_id), new_group_mutable_metadata(creator.inbox_id, profile=profile),
            new_group_membership(creator.inbox_id), preset_policies(preset, profile), profile)
        return create_group(bundle, extensions, rng=self.rng), bundle

    def membership_with(self, group: Group, *users: User, without: tuple[User, ...] = ()) -> GroupMembership:
        """libxmtp update_group_membership: every member and ``users`` at their latest sequence id,
        ``without`` removed."""
        members = {inbox: self.latest(inbox) for inbox in membership_of(group).members}
        for u in users:
            members[u.inbox_id] = self.latest(u.inbox_id)
        for u in without:
            members.pop(u.inbox_id, None)
        return GroupMembership(members=members)

    def add_users(self, group: Group, *users: User) -> tuple:
        """The proposals adding every installation of ``users`` (and their key package bundles)."""
        bundles = [u.key_package(self, i) for u in users for i in range(len(u.installations))]
        proposals = membership_proposals(group, tuple(b.key_package for b in bundles), frozenset(),
                                         self.membership_with(group, *users))
        return proposals, bundles
