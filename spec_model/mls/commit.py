"""RFC 9420 §12.4: the Commit message."""

from __future__ import annotations

from .codec import Annotated, Optional, Struct, Vector
from .proposals import PROPOSAL_OR_REF, ProposalOrRef
from .treekem import UpdatePath

__all__ = ["Commit"]


class Commit(Struct):
    """RFC 9420 §12.4: ``Commit``: proposals by value or reference, and an optional UpdatePath."""

    proposals: Annotated[tuple[ProposalOrRef, ...], Vector(PROPOSAL_OR_REF)]
    path: Annotated[UpdatePath | None, Optional(UpdatePath)]
