"""libxmtp's API client: the calls it retries before its caller sees a network error.

libxmtp wraps its gRPC client in ``ApiClientWrapper``, which runs each publish
and identity call under ``retry_async!`` with ``Retry::default`` (5 retries)
(libxmtp crates/xmtp_api/src/mls.rs, crates/xmtp_api/src/identity.rs,
crates/xmtp_common/src/retry.rs@b649d1a; the same @09d3f023f). Queries of the
group and welcome topics are not retried there. A client of the libxmtp
profile (``Profile.api_call_retries``) talks to the delivery service through
``RetryingApi``; one of the seed profile talks to it directly.
"""

from __future__ import annotations

from typing import Any, Callable

from .network import DeliveryService, NetworkError

__all__ = ["RETRIED_CALLS", "RetryingApi", "api_client"]

RETRIED_CALLS = frozenset({
    "send_group_messages", "send_welcome_messages", "upload_key_package", "fetch_key_packages",
    "publish_identity_update", "get_identity_updates", "get_inbox_ids"})
"""libxmtp crates/xmtp_api/src/mls.rs and identity.rs@b649d1a: the calls made under ``retry_async!``."""


class RetryingApi:
    """libxmtp crates/xmtp_api/src/lib.rs@b649d1a ``ApiClientWrapper``: the delivery service behind it; a call of ``RETRIED_CALLS`` that fails
    with a ``NetworkError`` is made again, up to ``retries`` more times; everything else passes through."""

    def __init__(self, network: DeliveryService, retries: int):
        self.network, self.retries = network, retries

    def __getattr__(self, name: str) -> Any:
        target = getattr(self.network, name)
        if name not in RETRIED_CALLS:
            return target
        return self._retried(target)

    def _retried(self, call: Callable) -> Callable:
        def retried(*args, **kwargs):
            for attempt in range(self.retries + 1):
                try:
                    return call(*args, **kwargs)
                except NetworkError:
                    if attempt == self.retries:
                        raise
        return retried


def api_client(network: DeliveryService, retries: int) -> DeliveryService | RetryingApi:
    """model: the delivery service a client calls, through ``RetryingApi`` when its profile retries."""
    return RetryingApi(network, retries) if retries else network
