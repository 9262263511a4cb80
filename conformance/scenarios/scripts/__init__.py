"""The client scenario scripts, one module per concept: each script is a case of the ``scenarios`` vector
family (``conformance.vectors.families.scenarios``) in each profile of the model, run through the driver.

``SCRIPTS`` are cases in every profile, in this order; ``PROFILE_SCRIPTS`` are cases in one profile only
(``scenarios::<profile>/<name>``): behaviours of one source.
"""

from __future__ import annotations

from . import clients, deletion, delivery, disappearing, dm_stitching, field_failures, filters, groups, push, streams
from .steps import Script

__all__ = ["SCRIPTS", "PROFILE_SCRIPTS", "Script"]

SCRIPTS: list[Script] = [*groups.SCRIPTS, *delivery.SCRIPTS, *clients.SCRIPTS, *streams.SCRIPTS, *filters.SCRIPTS,
                         *push.SCRIPTS, *field_failures.SCRIPTS, *dm_stitching.SCRIPTS]

PROFILE_SCRIPTS: dict[str, list[Script]] = {
    "seed": [*groups.SEED_ONLY, *clients.LOCAL_STATE],
    # libxmtp: disappearing messages (since v1.0) and XIP-76 deletion (since v1.9); the seed names neither
    "libxmtp": [*clients.LOCAL_STATE, *disappearing.SCRIPTS, *deletion.SCRIPTS],
}
