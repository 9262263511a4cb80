"""The harness's side of a wire check: model members in a group with the SDK's client, on the harness's network.

Theory of operation
-------------------
A ``World`` lives on one session's delivery service. It holds model users (a wallet, one installation,
the inbox registered through the IdentityApi of the harness's network) and one SDK client per profile
(``clients.create``). A ``WireGroup`` is an XMTP group created by a model user: every model member keeps
its own MLS ``Group`` (``spec_model.mls``), and the SDK's client joins from a Welcome sent through the
network, as any installation would (docs/xmtp-facts.md §6, §7.3).

A case ``play``s one commit: a model member builds it from proposals with no check of its own (a forger
holding a member's keys), the model's commit validation (``spec_model.xmtp.commit_validation``) decides
whether XMTP accepts it, and it is published to the group topic. The SDK syncs and is observed through
``clients.group_state`` and ``clients.messages`` only (``observe``):

* accepted: the SDK's view is its view before, with the epoch one higher, the members, admins and super
  admins the model has after the commit, the attributes and policies the commit changed, and one new
  transcript message equal to the model's (``spec_model.xmtp.commit_validation.ValidatedCommit``);
* refused: the SDK shows no change from it, and the group still works: a valid commit of a super admin
  in the same epoch that follows it on the topic (the *probe*) is applied as above, and nothing else.

Model members other than the committer catch up lazily: a member processes the group's accepted commits
only before it commits itself. An SDK that crashes or hangs while handling a case's traffic fails the case
(``WireFailure``); the world is then dropped and the next case builds a new one.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import time
from typing import Any, Callable, Sequence

from spec_model.mls.codec import DecodeError
from spec_model.mls.group import Group
from spec_model.mls.key_package import KeyPackageBundle
from spec_model.mls.message import MLSMessage
from spec_model.mls.proposals import Proposal
from spec_model.mls.reasons import Rejected
from spec_model.xmtp import api
from spec_model.xmtp.commit_validation import ValidatedCommit, validate_commit
from spec_model.xmtp.content import GROUP_UPDATED
from spec_model.xmtp.credential import Installation, named_inbox
from spec_model.xmtp.extensions import (
    GroupMembership, Inboxes, new_group_metadata, new_group_mutable_metadata, read_membership, read_mutable_metadata,
    read_mutable_permissions,
)
from spec_model.xmtp.groups import (
    XMTP_GROUP_CONFIG, create_group, group_context_extensions, membership_proposals, metadata_proposal,
)
from spec_model.xmtp.context import Identities
from spec_model.xmtp.network import key_package_installation_key, validate_identity_update
from spec_model.xmtp.identity import decode_update
from spec_model.xmtp.identity_signing import add_installation_update, create_inbox_update, revoke_installation_update
from spec_model.xmtp.key_package import KeyPackage, build_key_package
from spec_model.xmtp.permissions import Policies, Preset, policies_json, preset_policies
from spec_model.xmtp.profiles import PROFILES
from spec_model.xmtp.receive import PAGE, pages
from spec_model.xmtp.wallet import Wallet
from spec_model.xmtp.welcome_wrap import welcome_recipient, wrap_welcome

from ..adapter import AdapterError, ErrorKind, Session
from ..adapter.protocol import POLICIES_SHOWN, policies_shown, policy_paths
from ..adapter.reference import transcript_json
from ..scenarios.driver import message_fields, wallet_key

__all__ = ["PROFILES", "WireFailure", "HarnessFault", "User", "GroupSpec", "group_spec", "WireGroup", "World", "Worlds", "Wrapped",
           "xwing_key", "wrap", "view", "transcript_entry", "difference"]

SDK = "the SDK's client"
"""The sender of the commits the SDK's client publishes, in a group's log."""


class WireFailure(AssertionError):
    """The SDK did not do what the case says: a wrong view, or it crashed or hung on the traffic."""

    def __init__(self, message: str, *, expected: Any = None, actual: Any = None):
        super().__init__(message)
        self.expected, self.actual = expected, actual


class HarnessFault(RuntimeError):
    """The harness could not build what a case describes (a bug of the harness, reported as errored)."""


@dataclasses.dataclass
class User:
    """A model user: a wallet and its installations, its inbox registered on the harness's network."""

    name: str
    wallet: Wallet
    installations: list[Installation]
    inbox_id: str

    @property
    def installation(self) -> Installation:
        return self.installations[0]

    def member_names(self) -> list[str]:
        """Its installations' names as group members: ``name``, then ``name#2``, ``name#3``..."""
        return [self.name] + [f"{self.name}#{i}" for i in range(2, len(self.installations) + 1)]


@dataclasses.dataclass(frozen=True)
class GroupSpec:
    """What a group looks like when a case starts: its profile, its policy set, its super admins and targets.

    Actors: ``creator`` (C), ``super_admin`` (S), ``admin`` (A), ``member`` (M); targets ``target0`` to
    ``target4`` (one per case, so that cases do not undo each other); ``demoted``: C is not a super admin;
    ``target_role``: what the targets are at the start (``member``, ``admin`` or ``super_admin``)."""

    profile: str | None  # None: the case holds in every profile (the world's is taken)
    policies_key: str
    policies: Policies = dataclasses.field(compare=False, hash=False)
    demoted: bool = False
    target_role: str = "member"
    extra: tuple[str, ...] = ()  # more members (e.g. ``twin``, with two installations)
    purpose: str = ""  # groups of different purposes are never shared, even with equal policies


def group_spec(purpose: str, policies: Policies | None = None, profile: str | None = None, **options) -> GroupSpec:
    """A ``GroupSpec`` for ``purpose`` with ``policies`` (default: the all-members preset; the seed's stands for
    every profile's where only super admins act), in ``profile`` (None: the world's)."""
    policies = policies or preset_policies(Preset.ALL_MEMBERS, PROFILES[profile or "seed"])
    return GroupSpec(profile, json.dumps(policies_json(policies), sort_keys=True), policies, purpose=purpose,
                     **options)


ACTORS = ("creator", "super_admin", "admin", "member")
TARGETS = tuple(f"target{i}" for i in range(5))
OUTSIDERS = tuple(f"outsider{i}" for i in range(5))
INSTALLATIONS = {"twin": 2, "revoked_twin": 2, "kept_twin": 2}
"""Users with more than one installation."""


@dataclasses.dataclass
class _Member:
    """A model member: its MLS group, joined from the Welcome only when it first acts."""

    user: User
    joining: tuple[Any, KeyPackageBundle] | None  # (Welcome, its key package) until it joins
    mls: Group | None = None
    seen: int = 0  # how many of the group's log entries its MLS group has processed (or sent)


class WireGroup:
    """One XMTP group shared by model members and the SDK's client, and the SDK's last observed view of it."""

    def __init__(self, world: "World", spec: GroupSpec):
        self.world, self.spec = world, spec
        self.profile = PROFILES[spec.profile]
        self.members: dict[str, _Member] = {}
        self.log: list[tuple[str, MLSMessage]] = []  # (sender, message): proposals and accepted commits, in order
        self.used: set[str] = set()          # the case keys already played here
        self.group_id = b""
        self.view: dict[str, Any] = {}
        self.probes = 0
        self.message_ids: set[bytes | None] = set()  # of the application messages sent to it
        self.cursor = 0  # the last envelope of the group topic the model has looked at
        self.sdk_verdicts: dict[int, ValidatedCommit | None] = {}  # log index of an SDK commit -> the model's
        #                                                            validation of it in the group's profile

    # ------------------------------------------------------------------ model side

    def member(self, name: str) -> Group:
        """The MLS group of model member ``name``, brought up to the group's current epoch."""
        member = self.members[name]
        if member.mls is None:
            welcome, b = member.joining
            member.mls = Group.join(welcome, b.key_package, b.init_priv, b.encryption_priv, b.signature_priv,
                                    config=XMTP_GROUP_CONFIG)
        self._catch_up()
        while member.seen < len(self.log):
            sender, message = self.log[member.seen]
            if sender == SDK:
                try:
                    member.mls.process(message, commit_policy=functools.partial(self._judge_sdk_commit, member.seen))
                except (Rejected, DecodeError) as e:
                    raise WireFailure(f"the SDK published a commit the model's members cannot process ({e})") \
                        from None
            elif sender != name:
                member.mls.process(message)
            member.seen += 1
        return member.mls

    def _judge_sdk_commit(self, index: int, staged) -> None:
        """The model's validation of the SDK's commit at ``index`` of the log (None: refused). The model's members
        apply it either way: they follow what the SDK published, as a forger's commits are played."""
        try:
            self.sdk_verdicts[index] = validate_commit(staged, self.world.log.state_at, profile=self.profile)
        except Rejected:
            self.sdk_verdicts[index] = None

    def _catch_up(self) -> None:
        """The commits the SDK's client published on the group topic (an SDK may commit on its own, e.g. a
        key update), appended to the log for the model's members."""
        query = self.world.network.query_group_messages
        for envelope in pages(lambda cursor: query(api.QueryGroupMessagesRequest(
                self.group_id, api.PagingInfo(api.SortDirection.ASCENDING, PAGE, cursor))), start=self.cursor):
            self.cursor = max(self.cursor, envelope.v1.id)
            if envelope.v1.is_commit and envelope.v1.data not in self.world.published:
                self.log.append((SDK, MLSMessage.decode(envelope.v1.data)))

    def send(self, sender: str, data: bytes) -> None:
        """``sender`` sends ``data`` as an application message (RFC 9420 §6.3) to the group topic."""
        self.world.publish(self.group_id, self.member(sender).send_application(data), application=True)

    def propose(self, proposer: str, proposal: Proposal) -> None:
        """``proposer`` sends ``proposal`` to the group topic (RFC 9420 §12.1), for a commit to reference."""
        message = self.member(proposer).propose(proposal, private=True)
        self.world.publish(self.group_id, message)
        self.log.append((proposer, message))
        self.members[proposer].seen = len(self.log)

    @property
    def epoch_group(self) -> Group:
        """Any up-to-date model group (for reading the current state)."""
        return self.member("super_admin")

    def commit(self, actor: str, proposals: Sequence[Proposal], *, by_reference: bool = False,
               psks: dict[bytes, bytes] | None = None,
               private: bool = True) -> tuple[MLSMessage, ValidatedCommit | None, Any]:
        """``actor`` commits ``proposals`` by value (and, ``by_reference``, every proposal sent this epoch)
        unchecked, as a PrivateMessage (or, not ``private``, a PublicMessage); the model's verdict (the validated
        commit, or None if XMTP refuses it) decides whether the model members move on. Returns (message,
        validated, staged)."""
        mls = self.member(actor)
        mls.psks = psks or {}
        pending = mls.commit(tuple(proposals), by_reference=None if by_reference else (), private=private)
        mls.psks = {}
        try:
            validated = validate_commit(pending.staged, self.world.log.state_at, profile=self.profile)
        except Rejected:
            validated = None
        self.world.publish(self.group_id, pending.message)
        if validated is None:
            mls.clear_pending_commit()
        else:
            mls.merge_pending_commit()
            self.log.append((actor, pending.message))
            self.members[actor].seen = len(self.log)
        return pending.message, validated, pending.staged

    # ------------------------------------------------------------------ the SDK's side

    def sdk(self, method: str, **arguments: Any) -> Any:
        return self.world.session.ask("clients.group", client=self.world.sdk_client(self.spec.profile),
                                      group_id=self.group_id.hex(), method=method, arguments=arguments)["value"]

    def sync(self) -> None:
        """The SDK syncs the group; a refusal of the sync itself is allowed (the view is what is judged)."""
        try:
            self.sdk("sync")
        except AdapterError as e:
            if e.kind is not ErrorKind.REJECTED:
                raise

    def observe(self) -> dict[str, Any]:
        """The SDK's view: ``view()`` of its group state and stored messages."""
        client = self.world.sdk_client(self.spec.profile)
        ask = self.world.session.ask
        state = ask("clients.group_state", client=client, group_id=self.group_id.hex())["state"]
        messages = ask("clients.messages", client=client, group_id=self.group_id.hex())["messages"]
        return view(state, messages)

    # ------------------------------------------------------------------ judging

    def expected_after(self, before: dict[str, Any], after: dict[str, Any], staged,
                       validated: ValidatedCommit) -> dict[str, Any]:
        """The SDK's view after an accepted commit: ``before`` with what the commit changed."""
        expected = dict(before, epoch=before["epoch"] + 1)
        old, new = staged.old_context.extensions, staged.new_context.extensions
        metadata = read_mutable_metadata(new)
        admins, supers = sorted(metadata.admin_list.inbox_ids), sorted(metadata.super_admin_list.inbox_ids)
        expected["admins"], expected["super_admins"] = admins, supers
        installations: dict[str, int] = {}
        for _, leaf in staged.new_tree.members():
            inbox = named_inbox(leaf.credential)
            installations[inbox] = installations.get(inbox, 0) + 1
        if self.profile.members_installations_from_identity:  # libxmtp: its inbox's, at the group's sequence id
            installations = {inbox: len(self.world.log.state_at(inbox, sequence_id).installations)
                             for inbox, sequence_id in read_membership(new).members.items()}
        expected["members"] = [{"inbox_id": inbox, "installations": installations.get(inbox, 0),
                                "permission_level": "super_admin" if inbox in supers else
                                "admin" if inbox in admins else "member"}
                               for inbox in sorted(read_membership(new).members)]
        old_attributes = read_mutable_metadata(old).attributes
        changed = {k: v for k, v in metadata.attributes.items() if old_attributes.get(k) != v}
        # a key the SDK does not show (before or after) is judged by the transcript only
        expected["attributes"] = {**before["attributes"], **{k: v for k, v in changed.items()
                                                             if k in before["attributes"] or k in after["attributes"]}}
        old_policies = policies_json(Policies.from_proto(read_mutable_permissions(old), self.profile))
        new_policies = policies_json(Policies.from_proto(read_mutable_permissions(new), self.profile))
        if POLICIES_SHOWN in after:  # docs/adapters.md "Group state"
            expected[POLICIES_SHOWN] = after[POLICIES_SHOWN]
            expected["policies"] = policies_shown(new_policies, after[POLICIES_SHOWN])
        else:
            expected["policies"] = _changed_policies(before["policies"], old_policies, new_policies)
        if not validated.is_empty:
            expected["messages"] = [*before["messages"], transcript_entry(validated)]
        return expected

    def changed_but_not_shown(self, after: dict[str, Any], staged) -> list[str]:
        """The policies the commit changed that the SDK's view ``after`` does not show (docs/adapters.md "Group
        state"): a case about them cannot be judged."""
        if POLICIES_SHOWN not in after:
            return []
        old, new = (policy_paths(policies_json(Policies.from_proto(read_mutable_permissions(c.extensions), self.profile)))
                    for c in (staged.old_context, staged.new_context))
        return sorted(p for p in old.keys() | new.keys() if old.get(p) != new.get(p) and p not in after[POLICIES_SHOWN])

    def play(self, actor: str, proposals: Sequence[Proposal], *, accepted: bool, what: str,
             by_reference: bool = False, psks: dict[bytes, bytes] | None = None, private: bool = True) -> None:
        """``actor`` commits ``proposals``; XMTP ``accepted`` it or not (the case's expected outcome, which the
        model must agree with). A refused commit is followed on the topic by the *probe*: a super admin's
        valid commit in the same epoch, changing the description. The SDK then syncs once and its view is
        judged: the commit's changes, or (refused) the probe's changes only. An SDK that applied the refused
        commit cannot apply the probe (its epoch is gone); one that stopped processing applies neither."""
        before = self.view
        _, validated, staged = self.commit(actor, proposals, by_reference=by_reference, psks=psks, private=private)
        if (validated is not None) != accepted:
            raise HarnessFault(f"{what}: the model {'accepts' if validated else 'refuses'} the commit built for it, "
                               f"the case expects it {'accepted' if accepted else 'refused'}")
        if validated is None:
            self.probes += 1
            probe = metadata_proposal(self.member("super_admin"), {"description": f"probe {self.probes}"})
            _, validated, staged = self.commit("super_admin", [probe])
            if validated is None:
                raise HarnessFault(f"{what}: the model refuses the probe")
        with self.world.sdk_phase(what):
            self.sync()
            after = self.observe()
        expected = self.expected_after(before, after, staged, validated)
        self.view = after
        if after != expected:
            outcome = "applied" if accepted else "refused, and the valid commit that follows it applied"
            raise WireFailure(f"{what}: the commit should be {outcome}; " + difference(expected, after),
                              expected=expected, actual=after)
        if hidden := self.changed_but_not_shown(after, staged):
            raise AdapterError(ErrorKind.UNSUPPORTED, "policy_not_shown", f"{what}: the commit changes "
                               f"{', '.join(hidden)}, which the adapter's group_state does not show ({POLICIES_SHOWN})")


class World:
    """Model users, the SDK's clients and the shared groups, on one session's delivery service."""

    def __init__(self, session: Session):
        self.session = session
        self._let_through: dict[bytes, bytes] = {}  # key package -> the installation the node stores it under
        self._updates_let_through: set[bytes] = set()  # identity updates the node takes unchecked
        self.network = session.fresh_network(validate_key_package=self._check_key_package,
                                             identity_validator=self._check_identity_update)
        self.adapter = session.adapter
        self.log = Identities(self.network)  # the inboxes' states as the network's log has them
        self.users: dict[str, User] = {}
        self.sdk: dict[str, dict[str, Any]] = {}  # profile -> {client, inbox_id, installation_id}
        self.groups: dict[GroupSpec, WireGroup] = {}
        self._member_key_packages: dict[tuple[str, int], KeyPackageBundle] = {}  # (inbox id, installation) -> its own
        self.published: set[bytes] = set()  # every payload the model published (the SDK's are the others)
        self._phase = ""

    @property
    def profile(self) -> str:
        """The profile of cases that hold in every profile: the first the adapter's clients declare."""
        return self.session.profile

    @property
    def current(self) -> bool:
        """Whether the session still talks to the adapter and network this world was built on."""
        return self.session.network is self.network and self.session.adapter is self.adapter

    # ------------------------------------------------------------------ users and the network

    def wall_clock(self) -> int:
        """OpenMLS lifetime.rs: an SDK checks key-package lifetimes against the system time; the network's clock
        is moved up to the wall clock (never back) so that the harness's time is the SDK's. Its time, in ns."""
        clock = self.network.clock
        clock.advance(max(0, time.time_ns() - clock.now_ns()))
        return clock.now_ns()

    def user(self, name: str) -> User:
        if name not in self.users:
            wallet = Wallet.from_key(bytes.fromhex(wallet_key(f"wire {name}")))
            installation = Installation.generate()
            update = create_inbox_update(wallet, 0, self.network.clock.now_ns(), installation.private_key)
            self.network.publish_identity_update(api.PublishIdentityUpdateRequest(update.encode()))
            self.users[name] = User(name, wallet, [installation], update.inbox_id)
            for _ in range(1, INSTALLATIONS.get(name, 1)):
                self.add_installation(self.users[name])
        return self.users[name]

    def add_installation(self, user: User) -> Installation:
        """A new installation of ``user``'s inbox, signed by the installation and the wallet (XIP-46)."""
        installation = Installation.generate()
        update = add_installation_update(self.log.state_at(user.inbox_id), installation.private_key, user.wallet,
                                         self.network.clock.now_ns())
        self.network.publish_identity_update(api.PublishIdentityUpdateRequest(update.encode()))
        user.installations.append(installation)
        return installation

    def revoke_installation(self, user: User, index: int) -> None:
        """``user``'s wallet revokes its installation ``index`` (XIP-46), unless it is revoked already; the
        installation stays in the user's list."""
        state = self.log.state_at(user.inbox_id)
        if user.installations[index].public_key not in state.installations:
            return
        update = revoke_installation_update(state, user.installations[index].public_key, user.wallet,
                                            self.network.clock.now_ns())
        self.network.publish_identity_update(api.PublishIdentityUpdateRequest(update.encode()))

    def _check_key_package(self, key_package: bytes) -> bytes:
        """The node's key-package check (xmtp-node-go's validation service), except for the key packages the
        harness lets through (``store_key_package``)."""
        if key_package in self._let_through:
            return self._let_through.pop(key_package)
        return key_package_installation_key(key_package)

    def _check_identity_update(self, inbox_id: str, previous: list[Any], update: Any) -> None:
        """The node's identity-update check (xmtp-node-go's validation service), except for the updates the
        harness lets through (``publish_unchecked``); none without node validation (``--no-node-validation``)."""
        if self.session.node_validation and update.encode() not in self._updates_let_through:
            validate_identity_update(inbox_id, previous, update)

    def publish_unchecked(self, update: bytes) -> None:
        """Publish the identity update ``update`` as a node whose validation service let it through would: what
        a client reads of the inbox's log is then judged by the client's own replay alone."""
        self._updates_let_through.add(decode_update(update).encode())
        self.network.publish_identity_update(api.PublishIdentityUpdateRequest(update))

    def store_key_package(self, installation_key: bytes, key_package: bytes) -> None:
        """Upload ``key_package`` for ``installation_key`` as a node whose validation service let it through
        would store it: what a client fetches then is judged by the client's own validation alone."""
        self._let_through[key_package] = installation_key
        self.network.upload_key_package(api.UploadKeyPackageRequest(api.KeyPackageUpload(key_package),
                                                                    is_inbox_id_credential=True))

    def key_package(self, user: User, index: int = 0) -> KeyPackageBundle:
        return build_key_package(user.installations[index], user.inbox_id, self.network.clock.now_ns() // 10**9)

    def member_key_package(self, user: User, index: int = 0) -> KeyPackageBundle:
        """The key package ``user``'s installation ``index`` joins the world's groups with: made on first use and
        used again, as an XMTP key package may be until it is rotated (it carries LastResort, docs/xmtp-facts.md
        §1; RFC 9420 §10, §16.8: a "last resort" key package may be reused)."""
        key = (user.inbox_id, index)
        if key not in self._member_key_packages:
            self._member_key_packages[key] = self.key_package(user, index)
        return self._member_key_packages[key]

    def publish(self, group_id: bytes, message: MLSMessage, *, application: bool = False) -> int:
        """Send ``message`` to the group topic; the envelope's id (the cursor a Welcome names)."""
        data = message.encode()
        self.published.add(data)
        self.network.send_group_messages(api.SendGroupMessagesRequest((api.GroupMessageInput(
            api.GroupMessageInput.V1(data, b"", application)),)))
        newest = self.network.get_newest_group_message(api.GetNewestGroupMessageRequest((group_id,), False))
        return newest.responses[0].group_message.v1.id

    def sdk_client(self, profile: str) -> str:
        """The SDK's client following ``profile``, created (and its registration checked) on first use."""
        if profile not in self.sdk:
            name = f"wire-sdk-{profile}"
            created = self.session.ask("clients.create", client=name, wallet_key=wallet_key(name), profile=profile)
            try:
                self.log.latest_sequence_id(created["inbox_id"])
            except Rejected as e:  # docs/xmtp-facts.md §8 "Registration": the inbox is on the network
                raise WireFailure(f"setup: the SDK's client did not register its inbox ({e})") from None
            self.sdk[profile] = {"client": name, **created}
            self.sdk_key_package(profile)
        return self.sdk[profile]["client"]

    def sdk_phase(self, what: str):
        return _SdkPhase(what)

    # ------------------------------------------------------------------ groups

    def group(self, spec: GroupSpec, key: str, *, private: bool = False) -> WireGroup:
        """The group of ``spec`` in which ``key`` has not been played yet (a new one if it has); a spec
        without a profile takes the world's. A ``private`` group is new and serves one case only (one that
        changes the group in ways later cases could not start from)."""
        if spec.profile is None:
            spec = dataclasses.replace(spec, profile=self.profile)
        if private:
            return self._create(spec)
        group = self.groups.get(spec)
        if group is None or key in group.used:
            group = self._create(spec)
            self.groups[spec] = group
        group.used.add(key)
        return group

    def _create(self, spec: GroupSpec) -> WireGroup:
        """C creates the group with the spec's admin lists and policies and adds every member and the SDK in
        one commit; the model members join from its Welcome directly, the SDK's client through the network."""
        group, welcome, cursor, key_package = self.build(spec)
        self.send_welcome(key_package, wrap(key_package, welcome, cursor))
        joined = self.session.ask("clients.sync_welcomes", client=self.sdk_client(spec.profile))["group_ids"]
        if group.group_id.hex() not in joined:
            raise WireFailure(f"setup: the SDK's client did not join the group from a valid Welcome (joined {joined})")
        group.view = group.observe()
        if group.view["epoch"] != group.epoch_group.epoch:
            raise WireFailure(f"setup: the SDK's client joined at epoch {group.view['epoch']}, "
                              f"not {group.epoch_group.epoch}")
        return group

    def send_welcome(self, key_package: KeyPackage, wrapped: "Wrapped") -> None:
        """A WelcomeMessageInput for the SDK's installation (docs/xmtp-facts.md §7.3), as ``wrapped`` says."""
        self.send_welcome_messages((wrapped.message(key_package),))

    def send_welcome_messages(self, messages: tuple[api.WelcomeMessageInput, ...]) -> None:
        """One SendWelcomeMessages request (docs/xmtp-facts.md §7.3)."""
        self.network.send_welcome_messages(api.SendWelcomeMessagesRequest(messages))

    def build(self, spec: GroupSpec) -> tuple[WireGroup, bytes, int, KeyPackage]:
        """The group of ``spec`` on the model's side, its commit published: the group, the Welcome (an
        MLSMessage, encoded) for the SDK's installation, the commit's cursor and the SDK's key package."""
        group = WireGroup(self, spec)
        profile = group.profile
        users = {name: self.user(name) for name in (*ACTORS, *TARGETS, *spec.extra)}
        installations = {member: (user, i) for user in users.values() for i, member in enumerate(user.member_names())}
        names = tuple(installations)
        self.sdk_client(spec.profile)
        creator = users["creator"]
        targets = tuple(users[t].inbox_id for t in TARGETS)
        supers = (() if spec.demoted else (creator.inbox_id,)) + (users["super_admin"].inbox_id,) \
            + (targets if spec.target_role == "super_admin" else ())
        admins = (users["admin"].inbox_id,) + (targets if spec.target_role == "admin" else ())
        mutable = dataclasses.replace(new_group_mutable_metadata(creator.inbox_id, profile=profile),
                                      admin_list=Inboxes(admins), super_admin_list=Inboxes(supers))
        sdk_inbox = self.sdk[spec.profile]["inbox_id"]
        membership = GroupMembership(members={**{u.inbox_id: self.log.latest_sequence_id(u.inbox_id)
                                                 for u in users.values()},
                                              sdk_inbox: self.log.latest_sequence_id(sdk_inbox)})
        bundles = {name: self.member_key_package(*installations[name]) for name in names}
        mls = create_group(bundles["creator"], group_context_extensions(
            new_group_metadata(creator.inbox_id), mutable, GroupMembership(members={creator.inbox_id: 0}),
            spec.policies, profile))
        sdk_key_package = self.sdk_key_package(spec.profile)
        joiners = tuple(bundles[n].key_package for n in names if n != "creator") + (sdk_key_package,)
        pending = mls.commit(membership_proposals(mls, joiners, frozenset(), membership), private=True)
        mls.merge_pending_commit()
        group.group_id = mls.group_id
        cursor = self.publish(mls.group_id, pending.message)
        group.members["creator"] = _Member(creator, None, mls)
        for name in names[1:]:
            group.members[name] = _Member(installations[name][0], (pending.welcome.body, bundles[name]))
        return group, pending.welcome.encode(), cursor, sdk_key_package

    def build_raw(self, profile: str, extensions: Callable[[str, str], tuple[Any, ...]]) -> tuple[bytes, bytes, int,
                                                                                                KeyPackage]:
        """A group the model's creator makes with ``extensions(creator inbox, SDK inbox)`` (0xFF01 is then set
        to the two) and one commit adding the SDK's installation, published: the group id, the Welcome
        (encoded), the commit's cursor and the SDK's key package."""
        self.sdk_client(profile)
        creator, sdk_inbox = self.user("creator"), self.sdk[profile]["inbox_id"]
        mls = create_group(self.key_package(creator), extensions(creator.inbox_id, sdk_inbox))
        key_package = self.sdk_key_package(profile)
        members = {inbox: self.log.latest_sequence_id(inbox) for inbox in (creator.inbox_id, sdk_inbox)}
        pending = mls.commit(membership_proposals(mls, (key_package,), frozenset(), GroupMembership(members=members)),
                             private=True)
        cursor = self.publish(mls.group_id, pending.message)
        return mls.group_id, pending.welcome.encode(), cursor, key_package

    def sdk_key_package(self, profile: str) -> KeyPackage:
        """The key package the SDK's installation published (docs/xmtp-facts.md §8 "Registration")."""
        try:
            installation = bytes.fromhex(self.sdk[profile]["installation_id"])
            found = self.network.fetch_key_packages(api.FetchKeyPackagesRequest((installation,)))
            return KeyPackage.decode(found.key_packages[0].key_package_tls_serialized)
        except (ValueError, IndexError) as e:  # not hex, nothing found, or a DecodeError naming the field
            raise WireFailure(f"setup: the SDK's installation has no usable key package on the network ({e})") \
                from None


@dataclasses.dataclass(frozen=True)
class Wrapped:
    """A Welcome as a WelcomeMessageInput carries it (docs/xmtp-facts.md §7.3)."""

    data: bytes
    metadata: bytes
    algorithm: int
    hpke_public_key: bytes

    def message(self, key_package: KeyPackage) -> api.WelcomeMessageInput:
        """The WelcomeMessageInput.V1 for ``key_package``'s installation."""
        return api.WelcomeMessageInput(v1=api.WelcomeMessageInput.V1(
            key_package.leaf_node.signature_key, self.data, self.hpke_public_key, self.algorithm, self.metadata))


def xwing_key(key_package: KeyPackage) -> bytes:
    """The X-Wing wrapper key (0xFF03) of the SDK's key package (docs/xmtp-facts.md §7.1), which key packages of
    a profile with ``welcome_pointers`` carry; a key package without one fails the case."""
    try:
        public_key, algorithm = welcome_recipient(key_package)
    except Rejected as e:
        raise WireFailure(f"setup: the SDK's key package has no usable wrapper key ({e})") from None
    if algorithm != api.WelcomeWrapperAlgorithm.XWING_MLKEM_768_DRAFT_6:
        raise WireFailure("setup: the SDK's key package offers no X-Wing wrapper key (0xFF03), which key packages "
                          "of its profile carry", expected="XWING_MLKEM_768_DRAFT_6", actual=algorithm.name)
    return public_key


def wrap(key_package: KeyPackage, welcome: bytes, cursor: int) -> Wrapped:
    """The Welcome wrapped as XMTP wraps it for ``key_package``'s installation (docs/xmtp-facts.md §7.3)."""
    public_key, algorithm = welcome_recipient(key_package)
    data, metadata = wrap_welcome(public_key, welcome, cursor, algorithm)
    return Wrapped(data, metadata, algorithm, public_key)


class _SdkPhase:
    """While the SDK handles a case's traffic: a crash or hang of the adapter fails the case."""

    def __init__(self, what: str):
        self.what = what

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, error, traceback) -> bool:
        if isinstance(error, AdapterError) and error.kind in (ErrorKind.INTERNAL, ErrorKind.NETWORK):
            raise WireFailure(f"{self.what}: the SDK broke on the traffic ({error})") from error
        return False


class Worlds:
    """One ``World`` per session, built on first use and again whenever the session's network changed
    (another check reset it) or a case failed (the SDK's state may differ from the model's)."""

    def __init__(self) -> None:
        self._world: World | None = None

    def get(self, session: Session, *, fresh: bool = False) -> World:
        """The session's world (a new one if ``fresh``)."""
        if fresh or self._world is None or self._world.session is not session or not self._world.current:
            self._world = World(session)
        return self._world

    def run(self, session: Session, *, play: Callable[[World], None], fresh: bool = False) -> None:
        """Play one case in the session's world; ``fresh``: in a new world (a case whose inboxes' logs would
        differ from another case's)."""
        world = self.get(session, fresh=fresh)
        try:
            play(world)
        except BaseException:
            self._world = None
            raise


# ------------------------------------------------------------------ the SDK's view

def _changed_policies(shown: dict[str, Any], old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The policies an SDK ``shown`` before a commit that changed ``old`` into ``new`` shows after it: what changed
    replaced (a metadata key only where it changed)."""
    policies = dict(shown)
    for key, value in new.items():
        if key == "update_metadata_policy":
            kept = dict(policies.get(key, {}))
            for k in old[key].keys() | value.keys():
                if k not in value:
                    kept.pop(k, None)
                elif old[key].get(k) != value[k]:
                    kept[k] = value[k]
            policies[key] = dict(sorted(kept.items()))
        elif old[key] != value:
            policies[key] = value
    return policies


def view(state: dict[str, Any], messages: list[dict[str, Any]]) -> dict[str, Any]:
    """What a wire check compares (docs/adapters.md "Wire checks"): the group state without addresses, members
    by inbox id with permission level and installation count, and every stored message without id and time."""
    return {
        "epoch": state["epoch"], "active": state["active"], "conversation_type": state["conversation_type"],
        "creator_inbox_id": state["creator_inbox_id"], "attributes": state["attributes"],
        "admins": sorted(state["admins"]), "super_admins": sorted(state["super_admins"]),
        "policies": state["policies"], **({POLICIES_SHOWN: state[POLICIES_SHOWN]} if POLICIES_SHOWN in state else {}),
        "members": sorted(({"inbox_id": m["inbox_id"], "installations": m["installations"],
                            "permission_level": m["permission_level"]} for m in state["members"]),
                          key=lambda m: m["inbox_id"]),
        "messages": [message_fields(m) for m in messages],
    }


def transcript_entry(validated: ValidatedCommit) -> dict[str, Any]:
    """The transcript message a client stores for an accepted commit (docs/xmtp-facts.md §6), as ``view`` shows it."""
    return {"kind": "membership_change", "delivery_status": "published", "sender_inbox_id": validated.actor_inbox_id,
            "content_type": f"{GROUP_UPDATED.authority_id}/{GROUP_UPDATED.type_id}",
            "update": transcript_json(validated.group_updated())}


def difference(expected: dict[str, Any], actual: dict[str, Any]) -> str:
    keys = [k for k in expected if expected.get(k) != actual.get(k)]
    return "the SDK's view differs in " + ", ".join(keys) + "".join(
        f"; {k}: expected {expected.get(k)!r}, got {actual.get(k)!r}" for k in keys[:2])
