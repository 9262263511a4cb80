"""RFC 9420 §8.4: pre-shared keys and how they are folded into ``psk_secret``.

A ``PreSharedKeyID`` names one PSK: either an external PSK the application
provisioned (``psk_id``) or the ``resumption_psk`` of an earlier epoch of
some group (``usage``, ``psk_group_id``, ``psk_epoch``). Its wire layout is a
``select`` on ``psktype``, so it reads and writes itself by hand.

``psk_secret`` chains the PSKs, in the order the Commit or GroupSecrets lists
them, through Extract / ExpandWithLabel / Extract; looking up the PSK bytes
for each id is the caller's job.
"""

from __future__ import annotations

import enum
from typing import Sequence

from .codec import field, OPAQUE, U8, U16, U64, Annotated, Enum, Reader, Struct
from .suites import CipherSuite

__all__ = ["PSKType", "ResumptionPSKUsage", "PreSharedKeyID", "PSKLabel", "psk_secret"]


class PSKType(enum.IntEnum):
    """RFC 9420 §8.4: ``PSKType`` (uint8; 0 is reserved)."""

    external = 1
    resumption = 2


class ResumptionPSKUsage(enum.IntEnum):
    """RFC 9420 §8.4: ``ResumptionPSKUsage`` (uint8; 0 is reserved)."""

    application = 1
    reinit = 2
    branch = 3


_PSK_TYPE = Enum(U8, PSKType)
_USAGE = Enum(U8, ResumptionPSKUsage)


class PreSharedKeyID(Struct):
    """RFC 9420 §8.4: ``PreSharedKeyID``.

    Wire order is ``psktype``, then the fields of its case, then
    ``psk_nonce``. Fields of the other case are ``None``; use the
    ``external`` and ``resumption`` constructors rather than filling them in.
    """

    psktype: Annotated[PSKType, _PSK_TYPE]
    psk_nonce: Annotated[bytes, OPAQUE]
    # case external
    psk_id: Annotated[bytes | None, OPAQUE] = None
    # case resumption
    usage: Annotated[ResumptionPSKUsage | None, _USAGE] = None
    psk_group_id: Annotated[bytes | None, OPAQUE] = None
    psk_epoch: Annotated[int | None, U64] = None

    def __post_init__(self) -> None:
        resumption = (self.usage, self.psk_group_id, self.psk_epoch)
        if self.psktype == PSKType.external:
            if self.psk_id is None or any(v is not None for v in resumption):
                raise ValueError("an external PreSharedKeyID has psk_id and no resumption fields")
        elif self.psktype == PSKType.resumption:
            if self.psk_id is not None or any(v is None for v in resumption):
                raise ValueError("a resumption PreSharedKeyID has usage, psk_group_id and "
                                 "psk_epoch and no psk_id")
        else:
            raise ValueError(f"unknown PSKType {self.psktype}")

    @classmethod
    def external(cls, psk_id: bytes, psk_nonce: bytes) -> "PreSharedKeyID":
        """RFC 9420 §8.4: the id of an application-provisioned PSK."""
        return cls(PSKType.external, psk_nonce, psk_id=psk_id)

    @classmethod
    def resumption(cls, usage: ResumptionPSKUsage, psk_group_id: bytes, psk_epoch: int,
                   psk_nonce: bytes) -> "PreSharedKeyID":
        """RFC 9420 §8.4, §8.6: the id of the ``resumption_psk`` of ``psk_group_id`` at ``psk_epoch``."""
        return cls(PSKType.resumption, psk_nonce, usage=usage, psk_group_id=psk_group_id,
                   psk_epoch=psk_epoch)

    def write(self, out: bytearray) -> None:
        """RFC 9420 §8.4: the ``PreSharedKeyID`` encoding."""
        _PSK_TYPE.write(self.psktype, out)
        if self.psktype == PSKType.external:
            OPAQUE.write(self.psk_id, out)
        else:
            _USAGE.write(self.usage, out)
            OPAQUE.write(self.psk_group_id, out)
            U64.write(self.psk_epoch, out)
        OPAQUE.write(self.psk_nonce, out)

    @classmethod
    def read(cls, r: Reader) -> "PreSharedKeyID":
        """RFC 9420 §8.4: a ``PreSharedKeyID``; the fields follow its ``psktype``."""
        def read(name, kind):
            with field(name):
                return kind.read(r)

        psktype = read("psktype", _PSK_TYPE)
        if psktype == PSKType.external:
            psk_id = read("psk_id", OPAQUE)
            return cls(psktype, read("psk_nonce", OPAQUE), psk_id=psk_id)
        usage = read("usage", _USAGE)
        group_id = read("psk_group_id", OPAQUE)
        epoch = read("psk_epoch", U64)
        return cls(psktype, read("psk_nonce", OPAQUE), usage=usage, psk_group_id=group_id,
                   psk_epoch=epoch)


class PSKLabel(Struct):
    """RFC 9420 §8.4: ``PSKLabel``, the context binding a PSK to its place in the list."""

    id: Annotated[PreSharedKeyID, PreSharedKeyID]
    index: Annotated[int, U16]
    count: Annotated[int, U16]


def psk_secret(cs: CipherSuite, psks: Sequence[tuple[PreSharedKeyID, bytes]]) -> bytes:
    """RFC 9420 §8.4: ``psk_secret`` from (id, PSK value) pairs, in order.

    psk_extracted_[i] = KDF.Extract(0, psk_[i])
    psk_input_[i]     = ExpandWithLabel(psk_extracted_[i], "derived psk", PSKLabel, KDF.Nh)
    psk_secret_[i+1]  = KDF.Extract(psk_input_[i], psk_secret_[i]),  psk_secret_[0] = 0

    With no PSKs the result is ``0``, ``KDF.Nh`` zero bytes.
    """
    zero = bytes(cs.Nh)
    count = len(psks)
    secret = zero
    for index, (psk_id, psk) in enumerate(psks):
        extracted = cs.extract(zero, psk)
        label = PSKLabel(psk_id, index, count).encode()
        psk_input = cs.expand_with_label(extracted, b"derived psk", label, cs.Nh)
        secret = cs.extract(psk_input, secret)
    return secret
