"""The parts of an ``IdentityUpdate`` the node indexes (docs/xmtp-facts.md §7.2): the Ethereum addresses an
update associates with its inbox or revokes, read with this module's own declarations of association.proto
(signatures and everything else are the validation service's concern)."""

from __future__ import annotations

from collections.abc import Iterator

from .api import IdentifierKind
from .proto import BYTES, STRING, Annotated, EnumKind, Field, Message, MessageKind

__all__ = ["IndexedIdentityUpdate", "address_changes"]


class _MemberIdentifier(Message):
    """proto associations/association.proto: ``MemberIdentifier``; only an Ethereum address is read."""

    ethereum_address: Annotated[str | None, Field(1, STRING, oneof="kind")] = None
    installation_public_key: Annotated[bytes | None, Field(2, BYTES, oneof="kind")] = None
    passkey: Annotated[bytes | None, Field(3, BYTES, oneof="kind")] = None  # a Passkey message, kept whole


class _CreateInbox(Message):
    """proto associations/association.proto: ``CreateInbox``; the initial identifier becomes a member."""

    initial_identifier: Annotated[str, Field(1, STRING)] = ""
    initial_identifier_kind: Annotated[int, Field(4, EnumKind(IdentifierKind))] = 0


class _AddAssociation(Message):
    """proto associations/association.proto: ``AddAssociation``; signatures are the validator's concern."""

    new_member_identifier: Annotated[_MemberIdentifier | None, Field(1, MessageKind(_MemberIdentifier))] = None


class _RevokeAssociation(Message):
    """proto associations/association.proto: ``RevokeAssociation``."""

    member_to_revoke: Annotated[_MemberIdentifier | None, Field(1, MessageKind(_MemberIdentifier))] = None


class _IdentityAction(Message):
    """proto associations/association.proto: ``IdentityAction``."""

    create_inbox: Annotated[_CreateInbox | None, Field(1, MessageKind(_CreateInbox), oneof="kind")] = None
    add: Annotated[_AddAssociation | None, Field(2, MessageKind(_AddAssociation), oneof="kind")] = None
    revoke: Annotated[_RevokeAssociation | None, Field(3, MessageKind(_RevokeAssociation), oneof="kind")] = None
    change_recovery_address: Annotated[bytes | None, Field(4, BYTES, oneof="kind")] = None


class IndexedIdentityUpdate(Message):
    """xmtp/proto associations/association.proto: ``IdentityUpdate``: its actions and inbox id."""

    actions: Annotated[tuple[_IdentityAction, ...], Field(1, MessageKind(_IdentityAction), repeated=True)] = ()
    inbox_id: Annotated[str, Field(3, STRING)] = ""


def address_changes(update: IndexedIdentityUpdate) -> Iterator[tuple[str, bool]]:
    """xmtp-node-go store.go PublishIdentityUpdate: (address, added) for each Ethereum member the
    update adds or revokes, in action order (the node reads these from the association-state diff)."""
    for action in update.actions:
        if (create := action.create_inbox) is not None:
            if create.initial_identifier_kind in (IdentifierKind.UNSPECIFIED, IdentifierKind.ETHEREUM):
                yield create.initial_identifier, True
        elif action.add is not None and action.add.new_member_identifier is not None:
            if (address := action.add.new_member_identifier.ethereum_address) is not None:
                yield address, True
        elif action.revoke is not None and action.revoke.member_to_revoke is not None:
            if (address := action.revoke.member_to_revoke.ethereum_address) is not None:
                yield address, False
