"""seed "stream": pull-based streams over the node's Subscribe streams (docs/xmtp-facts.md §7.2).

``poll()`` returns what arrived since the last poll, in order. Each envelope starts a sync from the
stored cursor (seed: "using the stream functions" syncs automatically), so a stream returns what the sync
stored: each message once, in the group's order. A dropped subscription is opened again from the stored
cursor, and what arrived while it was down comes from that sync: nothing missed, nothing twice. While the
node refuses, ``poll()`` returns nothing and the next one tries again. Profile ``streams_end_when_dropped``
(libxmtp): a dropped subscription ends the stream instead.
"""

from __future__ import annotations

from typing import Any, Callable

from . import api
from .context import ClientContext
from .messages import StoredMessage
from .network import NetworkError
from .store import CursorKind

__all__ = ["Stream", "group_stream", "welcome_stream"]


class Stream:
    """seed ``stream``: a Subscribe stream and what each envelope yields (``on_envelope(None)``: a catch-up
    after a drop)."""

    def __init__(self, subscribe: Callable[[], Any], on_envelope: Callable[[Any], list], *,
                 ends_when_dropped: bool = False):
        self._subscribe, self.on_envelope, self.ends_when_dropped = subscribe, on_envelope, ends_when_dropped
        self.subscription = subscribe()
        self.ended = False

    def poll(self) -> list:
        """seed ``stream``: what arrived since the last poll, in order (nothing once the stream has ended)."""
        if self.ended:
            return []
        if self.subscription is not None:
            try:
                envelopes = self.subscription.poll()
            except NetworkError:  # dropped (stream_broken), its last envelopes taken: open it again below
                self.subscription = None
                self.ended = self.ends_when_dropped
                if self.ended:
                    return []
            else:
                return [item for envelope in envelopes for item in self.on_envelope(envelope)]
        try:
            self.subscription = self._subscribe()
        except NetworkError:  # refused: the next poll tries again
            return []
        return self.on_envelope(None)  # what arrived while it was down

    def close(self) -> None:
        """seed ``stream``: end the stream."""
        if self.subscription is not None:
            self.subscription.close()


def group_stream(client: ClientContext, group_id: bytes, sync: Callable[[], list]) -> Stream:
    """seed Group ``stream``: one group's new messages, each once. An envelope whose message is already stored
    (an own message, or one a sync got first) yields that message, found by its timestamp as libxmtp finds it
    (crates/xmtp_mls/src/subscriptions/process_message/factory.rs ``get_group_message_by_timestamp``@b649d1a)."""
    seen: set[bytes] = set()

    def subscribe():
        return client.network.subscribe_group_messages(api.SubscribeGroupMessagesRequest(
            (api.SubscribeGroupMessagesRequest.Filter(group_id, client.store.get_cursor(group_id,
                                                                                        CursorKind.APPLICATION)),)))

    def on_envelope(envelope) -> list:
        found = sync()
        if envelope is not None and envelope.v1 is not None:
            created = envelope.v1.created_ns
            found += StoredMessage.listed(client.store.find_messages(group_id, sent_after_ns=created - 1,
                                                                     sent_before_ns=created + 1, limit=1))
        new = [m for m in found if m.id not in seen]
        seen.update(m.id for m in new)
        return list({m.id: m for m in new}.values())
    return Stream(subscribe, on_envelope, ends_when_dropped=client.config.profile.streams_end_when_dropped)


def welcome_stream(client: ClientContext, sync: Callable[[], list]) -> Stream:
    """seed Conversations ``stream``: new conversations (``sync`` returns the ones joined from Welcomes)."""
    def subscribe():
        return client.network.subscribe_welcome_messages(api.SubscribeWelcomeMessagesRequest(
            (api.SubscribeWelcomeMessagesRequest.Filter(
                client.installation_id, client.store.get_cursor(client.installation_id, CursorKind.WELCOMES)),)))
    return Stream(subscribe, lambda _: sync(), ends_when_dropped=client.config.profile.streams_end_when_dropped)
