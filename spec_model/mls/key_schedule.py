"""RFC 9420 §8: the key schedule that turns one epoch's inputs into its secrets.

    joiner_secret  = ExpandWithLabel(Extract(salt=init_secret_[n-1], ikm=commit_secret),
                                     "joiner", GroupContext_[n], Nh)
    member_secret  = Extract(salt=joiner_secret, ikm=psk_secret)
    welcome_secret = DeriveSecret(member_secret, "welcome")
    epoch_secret   = ExpandWithLabel(member_secret, "epoch", GroupContext_[n], Nh)
    <secret>       = DeriveSecret(epoch_secret, <label>)   # table in §8
    init_secret_[n] = DeriveSecret(epoch_secret, "init")

``derive_joiner_secret`` and ``derive_epoch_secrets`` are the two halves; a
new member who learns ``joiner_secret`` from a Welcome (§12.4.3.1) starts at
the second. ``key_schedule`` runs both. A ``commit_secret`` or
``psk_secret`` of ``None`` stands for the all-zero ``0`` of the RFC diagram.

Transcript hashes (§8.2) live elsewhere; this module takes the GroupContext
(and so the confirmed transcript hash) as given.
"""

from __future__ import annotations

import dataclasses

from .group_context import GroupContext
from .memory import Memory
from .suites import CipherSuite, verifications_remembered

__all__ = [
    "EpochSecrets", "derive_joiner_secret", "derive_epoch_secrets", "key_schedule",
    "welcome_key_and_nonce", "export", "confirmation_tag", "welcome_secret",
]

# RFC 9420 §8, table "Epoch-Derived Secrets": field name -> DeriveSecret label.
_EPOCH_DERIVED = (
    ("sender_data_secret", b"sender data"),
    ("encryption_secret", b"encryption"),
    ("exporter_secret", b"exporter"),
    ("external_secret", b"external"),
    ("confirmation_key", b"confirm"),
    ("membership_key", b"membership"),
    ("resumption_psk", b"resumption"),
    ("epoch_authenticator", b"authentication"),
)


@dataclasses.dataclass(frozen=True)
class EpochSecrets:
    """RFC 9420 §8: every secret the key schedule yields for one epoch.

    ``init_secret`` is this epoch's, the input to the next epoch's schedule.
    The external key pair, ``KEM.DeriveKeyPair(external_secret)`` (§8), is
    ``cs.derive_key_pair(external_secret)``, derived where it is used: a GroupInfo
    that offers external joins (§12.4.3.2) and an ExternalInit (§8.3), not in every
    epoch of every member (on the P-curves and X448 a scalar multiplication).
    """

    joiner_secret: bytes
    welcome_secret: bytes
    epoch_secret: bytes
    init_secret: bytes
    sender_data_secret: bytes
    encryption_secret: bytes
    exporter_secret: bytes
    external_secret: bytes
    confirmation_key: bytes
    membership_key: bytes
    resumption_psk: bytes
    epoch_authenticator: bytes

    def __repr__(self) -> str:  # never print secrets by accident
        return "EpochSecrets(...)"


def _encoded(group_context: GroupContext | bytes) -> bytes:
    return group_context.encode() if isinstance(group_context, GroupContext) else bytes(group_context)


def derive_joiner_secret(cs: CipherSuite, init_secret_prev: bytes, commit_secret: bytes | None,
                         group_context_bytes: bytes) -> bytes:
    """RFC 9420 §8: ``joiner_secret = ExpandWithLabel(Extract(init_secret_[n-1], commit_secret),
    "joiner", GroupContext_[n], Nh)``; ``commit_secret`` ``None`` means ``0``."""
    if commit_secret is None:
        commit_secret = bytes(cs.Nh)
    prk = cs.extract(init_secret_prev, commit_secret)
    return cs.expand_with_label(prk, b"joiner", group_context_bytes, cs.Nh)


_remembered: Memory[tuple, EpochSecrets] = Memory(64)
"""Epoch secrets that ``derive_epoch_secrets`` derived, by its inputs."""


def derive_epoch_secrets(cs: CipherSuite, joiner_secret: bytes, psk_secret: bytes | None,
                         group_context_bytes: bytes) -> EpochSecrets:
    """RFC 9420 §8: everything below ``joiner_secret`` in the key schedule.

    member secret = Extract(joiner_secret, psk_secret or 0); ``welcome_secret``
    is DeriveSecret(member, "welcome"), ``epoch_secret`` is
    ExpandWithLabel(member, "epoch", GroupContext_[n], Nh), and the epoch-derived
    secrets and the next ``init_secret`` are DeriveSecret(epoch_secret, label).
    A function of its inputs, which every member of the epoch gives it: remembered (``memory.Memory``, while
    ``suites.verifications_remembered()``), so that members in one process derive an epoch's secrets once.
    """
    return _remembered.recall((cs.id, joiner_secret, psk_secret, group_context_bytes),
                              lambda: _derive_epoch_secrets(cs, joiner_secret, psk_secret, group_context_bytes),
                              verifications_remembered())


def _derive_epoch_secrets(cs: CipherSuite, joiner_secret: bytes, psk_secret: bytes | None,
                          group_context_bytes: bytes) -> EpochSecrets:
    member = _member_secret(cs, joiner_secret, psk_secret)
    epoch_secret = cs.expand_with_label(member, b"epoch", group_context_bytes, cs.Nh)
    derived = {name: cs.derive_secret(epoch_secret, label) for name, label in _EPOCH_DERIVED}
    return EpochSecrets(
        joiner_secret=joiner_secret,
        welcome_secret=cs.derive_secret(member, b"welcome"),  # as ``welcome_secret`` computes it
        epoch_secret=epoch_secret,
        init_secret=cs.derive_secret(epoch_secret, b"init"),
        **derived,
    )


def _member_secret(cs: CipherSuite, joiner_secret: bytes, psk_secret: bytes | None) -> bytes:
    """RFC 9420 §8: the unnamed secret ``KDF.Extract(joiner_secret, psk_secret)`` (``None`` means 0)."""
    return cs.extract(joiner_secret, bytes(cs.Nh) if psk_secret is None else psk_secret)


def welcome_secret(cs: CipherSuite, joiner_secret: bytes, psk_secret: bytes | None) -> bytes:
    """RFC 9420 §8: ``welcome_secret = DeriveSecret(Extract(joiner_secret, psk_secret), "welcome")``.

    A joiner needs it before it knows the GroupContext (§12.4.3.1).
    """
    return cs.derive_secret(_member_secret(cs, joiner_secret, psk_secret), b"welcome")


def key_schedule(cs: CipherSuite, init_secret_prev: bytes, commit_secret: bytes | None,
                 psk_secret: bytes | None, group_context: GroupContext | bytes) -> EpochSecrets:
    """RFC 9420 §8: the whole key schedule for the epoch that ``group_context`` describes.

    ``group_context`` is the new epoch's GroupContext, as a struct or already encoded.
    """
    context = _encoded(group_context)
    joiner = derive_joiner_secret(cs, init_secret_prev, commit_secret, context)
    return derive_epoch_secrets(cs, joiner, psk_secret, context)


def welcome_key_and_nonce(cs: CipherSuite, welcome_secret: bytes) -> tuple[bytes, bytes]:
    """RFC 9420 §12.4.3.1: the AEAD key and nonce that protect a Welcome's GroupInfo.

    welcome_key = ExpandWithLabel(welcome_secret, "key", "", AEAD.Nk)
    welcome_nonce = ExpandWithLabel(welcome_secret, "nonce", "", AEAD.Nn)
    """
    return (cs.expand_with_label(welcome_secret, b"key", b"", cs.Nk),
            cs.expand_with_label(welcome_secret, b"nonce", b"", cs.Nn))


def export(cs: CipherSuite, exporter_secret: bytes, label: bytes, context: bytes, length: int) -> bytes:
    """RFC 9420 §8.5: ``MLS-Exporter(Label, Context, Length) =
    ExpandWithLabel(DeriveSecret(exporter_secret, Label), "exported", Hash(Context), Length)``.

    ``length`` is a uint16 in KDFLabel and at most 255*Nh for HKDF; outside
    that range ``ValueError`` is raised.
    """
    if not 0 <= length <= 0xFFFF:
        raise ValueError(f"exporter length {length} does not fit the uint16 of KDFLabel")
    secret = cs.derive_secret(exporter_secret, label)
    return cs.expand_with_label(secret, b"exported", cs.hash(context), length)


def confirmation_tag(cs: CipherSuite, confirmation_key: bytes, confirmed_transcript_hash: bytes) -> bytes:
    """RFC 9420 §6.1, §8.1: ``confirmation_tag = MAC(confirmation_key, confirmed_transcript_hash)``."""
    return cs.mac(confirmation_key, confirmed_transcript_hash)
