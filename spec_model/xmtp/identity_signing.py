"""XIP-46: building and signing identity updates (create an inbox, add or revoke a member, change recovery).

Theory of operation
-------------------
An update's signatures all sign one text (``identity.signature_text``), so
``signed_update`` builds the actions twice: with empty signatures to make the
text, then signed. A wallet signs with ERC-191, an installation with
Ed25519ph. Any update can be built this way, including ones the rules refuse.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Iterable

from . import ed25519ph
from .identity import (
    AddAssociation, AssociationState, ChangeRecoveryAddress, CreateInbox, IdentifierKind, IdentityAction,
    IdentityUpdate, MemberId, RecoverableEcdsaSignature, RecoverableEd25519Signature, RevokeAssociation, Signature,
    inbox_id, signature_text,
)
from .wallet import Wallet

__all__ = [
    "Signer", "installation_id", "sign_text", "signed_update", "create_inbox_update", "add_installation_update",
    "add_wallet_update", "revoke_installation_update", "revoke_wallet_update", "change_recovery_update",
]

Signer = Wallet | bytes
"""Who signs an update: a ``Wallet`` (ERC-191) or an installation's 32-byte Ed25519 seed (Ed25519ph)."""


def installation_id(installation_key: bytes) -> bytes:
    """docs/xmtp-facts.md §2: an installation's id is its Ed25519 public key."""
    return ed25519ph.public_key(installation_key)


def sign_text(signer: Signer, text: str) -> Signature:
    """docs/xmtp-facts.md §8: a wallet's ``personal_sign`` or an installation's Ed25519ph signature over ``text``."""
    if isinstance(signer, Wallet):
        return Signature(erc_191=RecoverableEcdsaSignature(bytes_=signer.sign(text)))
    sig = ed25519ph.sign(signer, text.encode(), ed25519ph.IDENTITY_UPDATE_CONTEXT)
    return Signature(installation_key=RecoverableEd25519Signature(bytes_=sig, public_key=installation_id(signer)))


def _member_of(signer: Signer) -> MemberId:
    return MemberId.ethereum(signer.address) if isinstance(signer, Wallet) else MemberId.installation(
        installation_id(signer))


def signed_update(inbox: str, timestamp_ns: int,
                  actions: Callable[[Callable[[Signer], Signature]], Iterable[IdentityAction]]) -> IdentityUpdate:
    """XIP-46 "Signing text": an update whose actions come from ``actions(sign)``, ``sign(signer)``
    signing the update's text. ``actions`` runs twice: with empty signatures to build the text, then
    signed. Any update can be built this way, including ones the rules refuse."""
    unsigned = IdentityUpdate(actions=tuple(actions(lambda _: Signature())), client_timestamp_ns=timestamp_ns,
                              inbox_id=inbox)
    text = signature_text(unsigned)
    return dataclasses.replace(unsigned, actions=tuple(actions(lambda signer: sign_text(signer, text))))


def _add_action(new_member: MemberId, new_signer: Signer, existing: Signer, sign) -> IdentityAction:
    return IdentityAction(add=AddAssociation(new_member_identifier=new_member.to_proto(),
                                             existing_member_signature=sign(existing),
                                             new_member_signature=sign(new_signer)))


def create_inbox_update(wallet: Wallet, nonce: int, timestamp_ns: int,
                        installation_key: bytes | None = None) -> IdentityUpdate:
    """libxmtp crates/xmtp_mls/src/client.rs@a53a97e ``register_identity``: CreateInbox signed by ``wallet``, plus
    (if given) the
    AddAssociation of ``installation_key`` signed by the installation and the wallet."""
    def actions(sign):
        yield IdentityAction(create_inbox=CreateInbox(
            initial_identifier=wallet.address, nonce=nonce, initial_identifier_signature=sign(wallet),
            initial_identifier_kind=IdentifierKind.ETHEREUM))
        if installation_key is not None:
            yield _add_action(_member_of(installation_key), installation_key, wallet, sign)
    return signed_update(inbox_id(wallet.address, nonce), timestamp_ns, actions)


def add_installation_update(state: AssociationState, installation_key: bytes, signer: Signer,
                            timestamp_ns: int) -> IdentityUpdate:
    """XIP-46 AddAssociation: add an installation, signed by it and by ``signer`` (a member wallet or recovery)."""
    return signed_update(state.inbox_id, timestamp_ns, lambda sign: [
        _add_action(_member_of(installation_key), installation_key, signer, sign)])


def add_wallet_update(state: AssociationState, new_wallet: Wallet, signer: Signer, timestamp_ns: int) -> IdentityUpdate:
    """XIP-46 AddAssociation: add a wallet, signed by it and by ``signer`` (any member, or recovery)."""
    return signed_update(state.inbox_id, timestamp_ns, lambda sign: [
        _add_action(_member_of(new_wallet), new_wallet, signer, sign)])


def _revoke_update(state: AssociationState, member: MemberId, recovery: Signer, timestamp_ns: int) -> IdentityUpdate:
    return signed_update(state.inbox_id, timestamp_ns, lambda sign: [IdentityAction(revoke=RevokeAssociation(
        member_to_revoke=member.to_proto(), recovery_identifier_signature=sign(recovery)))])


def revoke_installation_update(state: AssociationState, installation: bytes, recovery: Signer,
                               timestamp_ns: int) -> IdentityUpdate:
    """XIP-46 RevokeAssociation: revoke the installation with id ``installation``, signed by ``recovery``."""
    return _revoke_update(state, MemberId.installation(installation), recovery, timestamp_ns)


def revoke_wallet_update(state: AssociationState, address: str, recovery: Signer, timestamp_ns: int) -> IdentityUpdate:
    """XIP-46 RevokeAssociation: revoke a wallet (and with it the installations it added), signed by ``recovery``."""
    return _revoke_update(state, MemberId.ethereum(address), recovery, timestamp_ns)


def change_recovery_update(state: AssociationState, recovery: Signer, new_recovery_address: str,
                           timestamp_ns: int) -> IdentityUpdate:
    """XIP-46 ChangeRecoveryAddress: move recovery to ``new_recovery_address``, signed by the current ``recovery``."""
    return signed_update(state.inbox_id, timestamp_ns, lambda sign: [IdentityAction(
        change_recovery_address=ChangeRecoveryAddress(
            new_recovery_identifier=new_recovery_address, existing_recovery_identifier_signature=sign(recovery),
            new_recovery_identifier_kind=IdentifierKind.ETHEREUM))])
