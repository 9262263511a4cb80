"""seed "Conversations protocol" and "Group protocol": an XMTP client over the delivery-service model.

Theory of operation
-------------------
A ``Client`` is one installation of one inbox. ``Client.create`` opens (or
creates) its local database — a real SQLite file sealed under the database
key (``store.py``) — and, the first time, registers the inbox and the
installation with the network and uploads a key package (docs/xmtp-facts.md §8
"Registration"). Opening the same database again loads that state.

The client's parts: ``context.py`` (what every part works with),
``conversations.py`` (creating, joining, listing, streaming),
``conversation.py`` (one group), ``intents.py`` and ``receive.py`` (the sync
steps), ``history_sync.py`` (history from the user's other installations).
"""

from __future__ import annotations

from spec_model.mls.suites import Rng

from . import api
from .context import ClientConfig, ClientContext, ClientReason
from .conversation import Conversation, Member
from .conversations import AllMessagesStream, Conversations, Stream
from .credential import Installation
from .history_archive import ArchiveOptions
from .history_sync import HistorySyncReport, process_history_sync, request_history_sync
from .identity_signing import add_installation_update, create_inbox_update
from .messages import StoredMessage
from .network import DeliveryService
from .store import IdentityRow, RegistrationState, Store
from .wallet import Wallet

__all__ = [
    "ClientReason", "ClientConfig", "Client", "Conversations", "Conversation", "Member", "StoredMessage", "Stream",
    "AllMessagesStream",
]


class Client(ClientContext):
    """seed ``Client.create``: one installation of one inbox, with its local database and its conversations."""

    def __init__(self, network: DeliveryService, store: Store, path: str, wallet_address: str,
                 installation: Installation, inbox_id: str, config: ClientConfig, rng: Rng | None):
        super().__init__(network, store, path, wallet_address, installation, inbox_id, config, rng)
        self.conversations = Conversations(self)

    @classmethod
    def create(cls, wallet: Wallet, db_path: str, db_key: bytes, network: DeliveryService, *,
               config: ClientConfig = ClientConfig(), rng: Rng | None = None) -> Client:
        """seed "Local database and syncing"; docs/xmtp-facts.md §8 "Registration": open the database; register if new.

        A new installation of an existing inbox (found by the wallet's
        address) is added to it, signed by the installation and the wallet.
        """
        store = Store.open(db_path, db_key)
        row = store.get_identity()
        if row is not None and row.registration_state == RegistrationState.REGISTERED:
            return cls(network, store, db_path, row.wallet_address, Installation(row.installation_private_key),
                       row.inbox_id, config, rng)
        installation = Installation.generate(rng)
        client = cls(network, store, db_path, wallet.address, installation, "", config, rng)
        client._register(wallet)
        return client

    def _register(self, wallet: Wallet) -> None:
        lookup = self.network.get_inbox_ids(api.GetInboxIdsRequest((api.GetInboxIdsRequest.Request(wallet.address, 1),)))
        existing = lookup.responses[0].inbox_id if lookup.responses else None
        now = self.now_ns()
        if existing:
            self.inbox_id = existing
            update = add_installation_update(self.identities.state_at(existing), self.installation.private_key,
                                             wallet, now)
        else:
            update = create_inbox_update(wallet, self.config.nonce, now, self.installation.private_key)
            self.inbox_id = update.inbox_id
        bundle = self.new_key_package()
        self.network.upload_key_package(api.UploadKeyPackageRequest(
            api.KeyPackageUpload(bundle.key_package.encode()), is_inbox_id_credential=True))
        self.network.publish_identity_update(api.PublishIdentityUpdateRequest(update.encode()))
        with self.store.transaction():
            self.store.put_identity(IdentityRow(self.inbox_id, self.installation.private_key, wallet.address,
                                                RegistrationState.REGISTERED))
            self.keep_key_package(bundle)

    def delete_local_database(self) -> None:
        """seed ``Client.deleteLocalDatabase()``."""
        self.store.close()
        Store.delete(self.path)

    def close(self) -> None:
        """seed "Local database": close the database (open it again with ``Client.create``)."""
        self.store.close()

    def request_history_sync(self, options: ArchiveOptions | None = None, **kwargs) -> str:
        """docs/xmtp-facts.md §9: ask the user's other installations for history; returns the request's pin."""
        if options is not None:
            kwargs["options"] = options
        return request_history_sync(self.conversations, **kwargs)

    def process_history_sync(self) -> HistorySyncReport:
        """docs/xmtp-facts.md §9: answer requests and import replies in the sync groups."""
        return process_history_sync(self.conversations)
