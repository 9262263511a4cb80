"""Random sequences of proposals and commits keep every member in the same state (RFC 9420 §12).

A hypothesis state machine drives a group through adds, removes, updates,
proposals by reference and by value, empty commits, PublicMessage and
PrivateMessage handshakes and application messages. After every step all
members agree on the epoch authenticator, the exporter, and the member list,
and every application message decrypts for every other member.
"""

from __future__ import annotations

from hypothesis import settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from spec_model.mls.proposals import Add, Remove
from spec_model.mls.suites import suite

from .members import bundle, deliver, founder, join, seeded_rng

CS = suite(3)
MAX_MEMBERS = 8


class GroupMachine(RuleBasedStateMachine):
    """Members of one group; ``self.members`` lists the active ones."""

    @initialize(seed=st.integers(0, 2**32))
    def start(self, seed: int) -> None:
        self.rng = seeded_rng(seed)
        self.members = [founder(CS, "m0", rng=self.rng)]
        self.joined = 1
        self.bundles = {}  # KeyPackageRef -> bundle, for key packages not yet added

    def _commit(self, committer_index: int, proposals, private: bool) -> None:
        committer = self.members[committer_index % len(self.members)]
        pending = committer.commit(tuple(proposals), private=private, rng=self.rng)
        committer.merge_pending_commit()
        deliver(pending.message, self.members, committer)
        added = [p.proposal.key_package for p in pending.proposals if isinstance(p.proposal, Add)]
        for key_package in added:
            new_bundle = self.bundles.pop(key_package.ref(CS))
            self.members.append(join(pending.welcome, new_bundle))
        self.members = [g for g in self.members if g.active]

    def _new_key_package(self):
        b = bundle(CS, f"m{self.joined}", self.rng)
        self.joined += 1
        self.bundles[b.key_package.ref(CS)] = b
        return b.key_package

    @precondition(lambda self: len(self.members) < MAX_MEMBERS)
    @rule(committer=st.integers(0, 99), count=st.integers(1, 3), private=st.booleans())
    def add_members(self, committer: int, count: int, private: bool) -> None:
        count = min(count, MAX_MEMBERS - len(self.members))
        self._commit(committer, [Add(self._new_key_package()) for _ in range(count)], private)

    @precondition(lambda self: len(self.members) > 1)
    @rule(committer=st.integers(0, 99), victim=st.integers(0, 99), private=st.booleans())
    def remove_member(self, committer: int, victim: int, private: bool) -> None:
        committer_group = self.members[committer % len(self.members)]
        others = [g for g in self.members if g is not committer_group]
        target = others[victim % len(others)]
        self._commit(committer, [Remove(target.own_leaf)], private)

    @precondition(lambda self: len(self.members) > 1)
    @rule(proposer=st.integers(0, 99), committer=st.integers(0, 99), private=st.booleans())
    def update_then_commit_by_reference(self, proposer: int, committer: int, private: bool) -> None:
        proposing = self.members[proposer % len(self.members)]
        message, _ = proposing.update_proposal(private=private, rng=self.rng)
        deliver(message, self.members, proposing)
        others = [g for g in self.members if g is not proposing]
        self._commit(self.members.index(others[committer % len(others)]), [], private)

    @precondition(lambda self: len(self.members) < MAX_MEMBERS)
    @rule(proposer=st.integers(0, 99), committer=st.integers(0, 99), private=st.booleans())
    def add_proposal_then_commit(self, proposer: int, committer: int, private: bool) -> None:
        proposing = self.members[proposer % len(self.members)]
        message = proposing.propose(Add(self._new_key_package()), private=private, rng=self.rng)
        deliver(message, self.members, proposing)
        self._commit(committer, [], private)

    @rule(committer=st.integers(0, 99), private=st.booleans())
    def empty_commit(self, committer: int, private: bool) -> None:
        self._commit(committer, [], private)

    @rule(sender=st.integers(0, 99), data=st.binary(max_size=64))
    def application_message(self, sender: int, data: bytes) -> None:
        sending = self.members[sender % len(self.members)]
        message = sending.send_application(data, rng=self.rng)
        assert [r.data for r in deliver(message, self.members, sending)] == [data] * (len(self.members) - 1)

    @invariant()
    def members_agree(self) -> None:
        first = self.members[0]
        for g in self.members[1:]:
            assert g.epoch == first.epoch
            assert g.epoch_authenticator == first.epoch_authenticator
            assert g.export_secret(b"check", b"", 16) == first.export_secret(b"check", b"", 16)
            assert g.tree.tree_hash() == first.tree.tree_hash()


TestGroupMachine = GroupMachine.TestCase
TestGroupMachine.settings = settings(settings.default, max_examples=max(10, settings.default.max_examples // 2),
                                     stateful_step_count=25)
