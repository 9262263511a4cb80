"""What every part of a client works with: its network, its database, its configuration and its identity.

Theory of operation
-------------------
A client (``client.py``) is one installation of one inbox. Its conversations
(``conversations.py``, ``conversation.py``) and the three sync steps
(``intents.py`` publishes and runs post-commit work, ``receive.py`` reads the
group topic) all act through a ``ClientContext``: the delivery service, the
local ``Store``, the profile and version, the installation's keys, the inbox
id, and the identity states read from the network (``Identities``). The
context also loads and saves a conversation's group state (a live MLS group,
or a group restored from a history archive: ``history_archive.py``).
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Iterable

from spec_model.mls import xwing
from spec_model.mls.group import Group
from spec_model.mls.group_types import PendingCommit
from spec_model.mls.key_package import KeyPackage, KeyPackageBundle
from spec_model.mls.member_state import (
    decode_key_package_bundle, decode_pending_commit, encode_key_package_bundle, encode_pending_commit,
)
from spec_model.mls.reasons import RefusalClass, Rejected, reason_codes
from spec_model.mls.suites import Rng, suite

from . import api
from .api_client import api_client
from .consent import ConsentRecord, ConsentState, ConsentType
from .credential import Installation
from .history_archive import RestoredGroup, dump_group_state, load_group_state
from .identity import AssociationState, apply_update, decode_update
from .identity_log import InboxHistory
from .key_package import CIPHER_SUITE, KEYS_EXPIRATION_INTERVAL_NS, build_key_package, needs_rotation
from .network import DeliveryService
from .profiles import SEED, Profile
from .push import HMAC_KEY_SIZE, HmacKey, hmac_keys
from .store import GroupRow, KeyPackageRow, Store
from .welcome_wrap import welcome_recipient

__all__ = ["ClientReason", "ClientConfig", "Identities", "OwnKeyPackage", "ClientContext"]

CS = suite(CIPHER_SUITE)


@reason_codes("client", unknown_group=RefusalClass.NOT_FOUND, unknown_address=RefusalClass.NOT_FOUND,
              not_a_member=RefusalClass.MEMBERSHIP, inactive=RefusalClass.MEMBERSHIP,
              sync_failed_to_wait=RefusalClass.NETWORK)
class ClientReason(enum.StrEnum):
    """seed "Bad input": why a client refuses a call (a typed error naming the problem)."""

    UNKNOWN_GROUP = "client.unknown_group"              # no such conversation in this database
    NOT_A_MEMBER = "client.not_a_member"                # the inbox is not in the group
    UNKNOWN_ADDRESS = "client.unknown_address"          # no inbox is associated with the address
    INACTIVE = "client.inactive"                        # this installation was removed from the group
    PAUSED = "client.paused"                            # the group needs a newer protocol version (docs/xmtp-facts.md §4.4 step 13)
    SYNC_FAILED_TO_WAIT = "client.sync_failed_to_wait"  # an intent did not resolve within 3 syncs (docs/xmtp-facts.md §5)
    INTENT_FAILED = "client.intent_failed"              # the intent ended in Error
    INVALID_ARGUMENT = "client.invalid_argument"        # a malformed argument (e.g. not an inbox id)
    FOREIGN_SYNC_GROUP = "client.foreign_sync_group"    # docs/xmtp-facts.md §9: a sync group Welcome from another inbox
    DM_METADATA_FORBIDDEN = "client.dm_metadata_forbidden"  # libxmtp groups/mod.rs: a DM's metadata never changes
    LEAVE_FORBIDDEN = "client.leave_forbidden"          # libxmtp groups/mod.rs leave_group: a DM, the only member, a super admin
    GROUP_FULL = "client.group_full"                    # libxmtp add_members_by_identity: past MAX_GROUP_SIZE


@dataclasses.dataclass(frozen=True)
class ClientConfig:
    """seed ``Client.create``: what a client is: its profile (seed or libxmtp), its protocol version, its nonce."""

    profile: Profile = SEED
    version: str = "1.0.0"
    nonce: int = 1
    """The inbox nonce for a new inbox (model: the node SDK uses 1)."""


@dataclasses.dataclass(frozen=True)
class OwnKeyPackage:
    """libxmtp crates/xmtp_mls/src/identity.rs@b649d1a ``NewKeyPackageResult``: one of this installation's key
    packages, with its private keys and, when it has 0xFF03, the X-Wing seed of that key."""

    bundle: KeyPackageBundle
    wrapper_private_key: bytes = b""

    @property
    def key_package(self) -> KeyPackage:
        """RFC 9420 §10: the key package itself."""
        return self.bundle.key_package

    @property
    def wrapper_public_key(self) -> bytes | None:
        """docs/xmtp-facts.md §7.3: 0xFF03's key, if the key package has one (``welcome_recipient`` names the
        init key otherwise)."""
        key = welcome_recipient(self.bundle.key_package)[0]
        return None if key == self.bundle.key_package.init_key else key

    def unwrapping_key(self, algorithm: int) -> bytes:
        """libxmtp crates/xmtp_mls/src/groups/mls_ext/decrypted_welcome.rs@b649d1a ``find_private_key``: the
        private key for a Welcome wrapped with ``algorithm``: the X-Wing seed for X-Wing, else the init key's."""
        if algorithm != api.WelcomeWrapperAlgorithm.XWING_MLKEM_768_DRAFT_6:
            return self.bundle.init_priv
        if not self.wrapper_private_key:
            raise Rejected(ClientReason.INVALID_ARGUMENT, "an X-Wing wrapping for a key package without 0xFF03")
        return self.wrapper_private_key


class Identities:
    """docs/xmtp-facts.md §8: inboxes' association states, read from the network's identity log and replayed here."""

    def __init__(self, network: DeliveryService):
        self.network = network
        self._histories: dict[str, InboxHistory] = {}

    def _history(self, inbox_id: str) -> InboxHistory:
        return self._histories.setdefault(inbox_id, InboxHistory(inbox_id))

    def refresh(self, *inbox_ids: str) -> None:
        """docs/xmtp-facts.md §7.4 GetIdentityUpdates: read and replay the inboxes' updates after the last one known."""
        requests = [api.GetIdentityUpdatesRequest.Request(i, self._history(i).latest_sequence_id) for i in inbox_ids]
        response = self.network.get_identity_updates(api.GetIdentityUpdatesRequest(tuple(requests)))
        for entry in response.responses:
            history = self._history(entry.inbox_id)
            for update in entry.updates:
                history.append(update.sequence_id, apply_update(history.latest, decode_update(update.update)))

    def latest_sequence_id(self, inbox_id: str) -> int:
        """docs/xmtp-facts.md §8: the sequence id of the inbox's latest update, fetched first."""
        return self.latest_sequence_ids([inbox_id])[inbox_id]

    def latest_sequence_ids(self, inbox_ids: Iterable[str]) -> dict[str, int]:
        """docs/xmtp-facts.md §8: each inbox's latest sequence id, all fetched first in one request (libxmtp
        crates/xmtp_mls/src/identity_updates.rs@b649d1a ``load_identity_updates``)."""
        inbox_ids = list(inbox_ids)
        self.refresh(*inbox_ids)
        latest = {inbox_id: self._history(inbox_id).latest_sequence_id for inbox_id in inbox_ids}
        for inbox_id, sequence_id in latest.items():
            if not sequence_id:
                raise Rejected(ClientReason.NOT_A_MEMBER, f"inbox {inbox_id} has no identity updates")
        return latest

    def state_at(self, inbox_id: str, sequence_id: int = 0) -> AssociationState:
        """docs/xmtp-facts.md §8: The inbox's state after its update ``sequence_id`` (0 = the latest); fetched as needed."""
        history = self._history(inbox_id)
        if not history.latest_sequence_id or sequence_id == 0 or history.latest_sequence_id < sequence_id:
            self.refresh(inbox_id)
        return history.state_at(sequence_id)


class ClientContext:
    """seed ``Client.create``: one installation of one inbox with its network and local database."""

    def __init__(self, network: DeliveryService, store: Store, path: str, wallet_address: str,
                 installation: Installation, inbox_id: str, config: ClientConfig, rng: Rng | None):
        self.store, self.path, self.config, self.rng = store, path, config, rng
        self.network = api_client(network, config.profile.api_call_retries)
        self.address = wallet_address
        self.installation = installation
        self.inbox_id = inbox_id
        self.identities = Identities(self.network)
        # per group: the stored state bytes and the group they decode to
        self._decoded: dict[bytes, tuple[bytes, Group | RestoredGroup]] = {}
        # per group: the bytes of the commit last kept for an intent, and the commit they encode
        self._pending: dict[bytes, tuple[bytes, PendingCommit]] = {}

    @property
    def installation_id(self) -> bytes:
        """docs/xmtp-facts.md §2: an installation's id is its Ed25519 public key."""
        return self.installation.public_key

    def now_ns(self) -> int:
        """docs/xmtp-facts.md §7: the network's clock (the model's clients share the delivery service's)."""
        return self.network.clock.now_ns()

    def hmac_keys(self, group_id: bytes, deltas: Iterable[int] = (-1, 0, 1)) -> list[HmacKey]:
        """libxmtp crates/xmtp_mls/src/groups/mls_sync.rs@b649d1a ``hmac_keys``: the group's HMAC keys for the
        30-day periods around now, from the user's HMAC key (a random one, stored, on first use)."""
        key = self.store.get_hmac_key()
        if key is None:
            key = suite(CIPHER_SUITE).random(HMAC_KEY_SIZE, self.rng)
            self.store.store_hmac_key(key)
        return hmac_keys(key, group_id, self.now_ns(), deltas)

    # ------------------------------------------------------------------ key packages

    def new_key_package(self) -> OwnKeyPackage:
        """docs/xmtp-facts.md §1: a key package of this installation, valid from now. With
        ``profile.welcome_pointers`` it offers welcome pointers and an X-Wing wrapper key, as libxmtp
        crates/xmtp_mls/src/identity.rs@b649d1a ``XmtpKeyPackageBuilder::build`` does (``CREATE_PQ_KEY_PACKAGE_EXTENSION``)."""
        now_s = self.now_ns() // 10**9
        if not self.config.profile.welcome_pointers:
            return OwnKeyPackage(build_key_package(self.installation, self.inbox_id, now_s, self.rng))
        wrapper_private_key, wrapper_public_key = xwing.generate_key_pair_derand(
            CS.random(xwing.PRIVATE_KEY_SIZE, self.rng))
        bundle = build_key_package(self.installation, self.inbox_id, now_s, self.rng, welcome_pointers=True,
                                   wrapper_public_key=wrapper_public_key)
        return OwnKeyPackage(bundle, wrapper_private_key)

    def keep_key_package(self, own: OwnKeyPackage) -> None:
        """libxmtp crates/xmtp_db/src/encrypted_store/key_package_history.rs@a53a97e: keep a key package's private
        keys, found by either key a Welcome may be wrapped to."""
        self.store.put_key_package(KeyPackageRow(own.key_package.ref(CS), own.key_package.init_key,
                                                 encode_key_package_bundle(own.bundle), self.now_ns(),
                                                 wrapper_public_key=own.wrapper_public_key,
                                                 wrapper_private_key=own.wrapper_private_key))

    def key_package_of(self, public_key: bytes) -> OwnKeyPackage | None:
        """RFC 9420 §12.4.3.1, libxmtp decrypted_welcome.rs@b649d1a ``find_key_package_hash_ref``: the kept key
        package a Welcome names by the key it is wrapped to (its init key or its 0xFF03 key)."""
        row = self.store.find_key_package_by_public_key(public_key)
        return OwnKeyPackage(decode_key_package_bundle(row.private_keys), row.wrapper_private_key) if row else None

    def rotate_key_package(self) -> None:
        """seed: "XMTP will rotate the key package when a new welcome message is received"; the keys it replaces
        are marked for deletion (libxmtp key_package_history.rs ``mark_key_package_before_id_to_be_deleted``)."""
        bundle = self.new_key_package()
        with self.store.transaction():  # kept first: an upload whose reply is lost still took effect
            self.keep_key_package(bundle)
            self.store.replace_key_packages(bundle.key_package.ref(CS), self.now_ns())
        self.network.upload_key_package(api.UploadKeyPackageRequest(
            api.KeyPackageUpload(bundle.key_package.encode()), is_inbox_id_credential=True))

    def maintain_key_packages(self) -> None:
        """seed: "XMTP will rotate the key package ... and delete expired key packages automatically". libxmtp's
        KeyPackagesCleanerWorker (crates/xmtp_mls/src/worker/ and crates/xmtp_db/src/encrypted_store/identity.rs,
        key_package_history.rs@b649d1a): a new key package is due ``KEY_PACKAGE_ROTATION_INTERVAL_NS`` after the
        last one (``needs_rotation``), and the private keys of a replaced one are deleted
        ``KEYS_EXPIRATION_INTERVAL_NS`` after it was replaced (key_package_history.rs
        ``mark_key_package_before_id_to_be_deleted``; the newest is never replaced, so never deleted). The model's
        client runs this at every welcome sync."""
        last = self.store.newest_key_package_created_ns()
        if last is not None and needs_rotation(last, self.now_ns()):
            self.rotate_key_package()
        with self.store.transaction():  # replaced at or before now - 1 day: now >= replaced_at + 1 day
            self.store.delete_replaced_key_packages(self.now_ns() - KEYS_EXPIRATION_INTERVAL_NS + 1)

    # ------------------------------------------------------------------ consent (docs/xmtp-facts.md §10)

    def set_consent(self, entity_type: ConsentType, entity: str, state: ConsentState) -> None:
        """docs/xmtp-facts.md §10: record the user's consent for an entity, now."""
        self.store.put_consent(ConsentRecord(entity_type, state, entity, self.now_ns()))

    def consent_state(self, entity_type: ConsentType, entity: str) -> ConsentState:
        """docs/xmtp-facts.md §10: the recorded consent; Unknown when there is none."""
        record = self.store.get_consent(entity_type, entity)
        return record.state if record else ConsentState.UNKNOWN

    def is_inbox_id_allowed(self, inbox_id: str) -> bool:
        """docs/xmtp-facts.md §10: whether the inbox is Allowed."""
        return self.consent_state(ConsentType.INBOX_ID, inbox_id) == ConsentState.ALLOWED

    def is_inbox_id_denied(self, inbox_id: str) -> bool:
        """docs/xmtp-facts.md §10: whether the inbox is Denied."""
        return self.consent_state(ConsentType.INBOX_ID, inbox_id) == ConsentState.DENIED

    # ------------------------------------------------------------------ lookups

    def find_inbox_ids(self, addresses: Iterable[str]) -> dict[str, str]:
        """docs/xmtp-facts.md §7.4 GetInboxIds: the inbox of each (lower-cased) address that has one."""
        response = self.network.get_inbox_ids(api.GetInboxIdsRequest(
            tuple(api.GetInboxIdsRequest.Request(a.lower(), 1) for a in addresses)))
        return {r.identifier: r.inbox_id for r in response.responses if r.inbox_id}

    def inbox_ids_of(self, addresses: Iterable[str], found: dict[str, str] | None = None) -> list[str]:
        """docs/xmtp-facts.md §7.4 GetInboxIds: every address must belong to an inbox (``found``: an answer
        already fetched by ``find_inbox_ids``)."""
        addresses = [a.lower() for a in addresses]
        found = self.find_inbox_ids(addresses) if found is None else found
        missing = [a for a in addresses if a not in found]
        if missing:
            raise Rejected(ClientReason.UNKNOWN_ADDRESS, ", ".join(missing))
        return [found[a] for a in addresses]

    # ------------------------------------------------------------------ group state

    def group_row(self, group_id: bytes) -> GroupRow:
        """libxmtp crates/xmtp_db/src/encrypted_store/group.rs@a53a97e ``find_group``; ``Rejected(UNKNOWN_GROUP)``
        if it is not stored."""
        row = self.store.get_group(group_id)
        if row is None:
            raise Rejected(ClientReason.UNKNOWN_GROUP, group_id.hex())
        return row

    def load_group(self, group_id: bytes) -> Group | RestoredGroup:
        """RFC 9420 §8: the group's stored state, to change and save (a restored group has no MLS state,
        docs/xmtp-facts.md §9).

        SQLite stays the source of truth: the group last saved or read is handed out instead of a decode only
        while the database holds exactly the bytes it was saved as or decoded from, and only once; the caller owns
        it from then on (a refused change, never saved, leaves nothing behind)."""
        state = self.group_row(group_id).mls_state
        last = self._decoded.pop(group_id, None)
        if last is not None and last[0] == state:
            return last[1]
        return load_group_state(state)

    def read_group(self, group_id: bytes) -> Group | RestoredGroup:
        """RFC 9420 §8: the group's stored state, to read and never to change: decoded again only when the stored
        state differs from the one last decoded or saved (reads of one state share one object). The caller takes
        what it reads and keeps no reference to the group: the next ``load_group`` may hand it to a change."""
        state = self.group_row(group_id).mls_state
        last = self._decoded.get(group_id)
        if last is None or last[0] != state:
            last = self._decoded[group_id] = (state, load_group_state(state))
        return last[1]

    def save_group(self, group: Group | RestoredGroup, new_row: GroupRow | None = None) -> None:
        """RFC 9420 §8: store the group's state in its row (``new_row``: in this new row, for a group just created
        or joined). The caller hands the group over and changes it no more (``load_group`` and ``read_group`` may
        return it instead of decoding the bytes stored)."""
        state = dump_group_state(group)
        if new_row is None:
            self.store.set_group_state(group.group_id, state)
        else:
            self.store.put_group(dataclasses.replace(new_row, mls_state=state))
        self._decoded[group.group_id] = (state, group)

    def keep_pending_commit(self, group_id: bytes, pending: PendingCommit) -> bytes:
        """RFC 9420 §12.4.1: the bytes an intent keeps of the commit it published (docs/xmtp-facts.md §5); the
        caller hands ``pending`` over (``pending_commit`` may return it instead of decoding those bytes)."""
        data = encode_pending_commit(pending)
        self._pending[group_id] = (data, pending)
        return data

    def pending_commit(self, group_id: bytes, data: bytes) -> PendingCommit:
        """RFC 9420 §12.4.1: the commit an intent kept as ``data``, to merge: the one ``keep_pending_commit`` turned
        into exactly these bytes, only once (a merge changes it), else decoded."""
        last = self._pending.get(group_id)
        if last is not None and last[0] == data:
            del self._pending[group_id]
            return last[1]
        return decode_pending_commit(data)
