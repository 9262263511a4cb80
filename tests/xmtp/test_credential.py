"""XMTP credentials: the inbox-id credential, installations bound by association state, the legacy wallet grant."""

from __future__ import annotations

import dataclasses

import pytest

from spec_model.mls.leaf_node import Credential, CredentialType
from spec_model.mls.reasons import Rejected
from spec_model.xmtp.credential import (
    AssociationTextVersion, CredentialReason, GrantMessagingAccessAssociation, Installation, LegacyMlsCredential,
    MlsCredential, check_installation, grant_messaging_access_text, inbox_credential, inbox_of, legacy_account_of,
    legacy_credential, legacy_installation_id,
)
from spec_model.xmtp.identity import RecoverableEcdsaSignature, apply_update
from spec_model.xmtp.identity_signing import create_inbox_update, installation_id
from spec_model.xmtp.wallet import Wallet

INBOX = "fcd18d86276d7a99fe522dba9660c420f03c8648785ada7c5daae232a3df77a9"  # facts §8 vector
WALLET = Wallet.from_key(bytes([7]) * 32)
OTHER_WALLET = Wallet.from_key(bytes([8]) * 32)
INSTALLATION = Installation(bytes(range(32)))
OTHER_INSTALLATION = Installation(bytes(range(1, 33)))
CREATED_NS = 1_700_000_000_123_000_000


def rejected(reason: CredentialReason, call, *args) -> None:
    with pytest.raises(Rejected) as info:
        call(*args)
    assert info.value.reason is reason


# ------------------------------------------------------------------ inbox-id credential

def test_inbox_credential_bytes() -> None:
    credential = inbox_credential(INBOX)
    assert credential.credential_type == CredentialType.basic
    assert credential.identity == b"\x0a\x40" + INBOX.encode()
    assert inbox_of(credential) == INBOX


def test_inbox_of_skips_unknown_fields() -> None:
    assert inbox_of(Credential.basic(b"\x10\x01" + MlsCredential(INBOX).encode())) == INBOX


@pytest.mark.parametrize("bad", ["", INBOX.upper(), INBOX[:-1], INBOX + "0", "0x" + INBOX[2:], INBOX[:-1] + "g"])
def test_builder_refuses_a_malformed_inbox_id(bad: str) -> None:
    with pytest.raises(ValueError):
        inbox_credential(bad)


@pytest.mark.parametrize("credential, reason", [
    (Credential(CredentialType.x509), CredentialReason.NOT_BASIC),
    (Credential.basic(b"\x0a\x41" + INBOX.encode()), CredentialReason.MALFORMED_CREDENTIAL),  # length past the end
    (Credential.basic(b"\x0a\x01\xff"), CredentialReason.MALFORMED_CREDENTIAL),  # not UTF-8
    (Credential.basic(b"\x08\x01"), CredentialReason.MALFORMED_CREDENTIAL),  # inbox_id as a varint
    (Credential.basic(b"\x10\x01"), CredentialReason.INVALID_INBOX_ID),  # no inbox id, an unknown field
    (Credential.basic(MlsCredential(INBOX.upper()).encode()), CredentialReason.INVALID_INBOX_ID),
    (Credential.basic(MlsCredential(INBOX[:63]).encode()), CredentialReason.INVALID_INBOX_ID),
    (Credential.basic(MlsCredential("0x" + INBOX).encode()), CredentialReason.INVALID_INBOX_ID),
])
def test_inbox_of_rejects(credential: Credential, reason: CredentialReason) -> None:
    rejected(reason, inbox_of, credential)


# ------------------------------------------------------------------ installations

def test_installation_keys() -> None:
    a, b = Installation.generate(), Installation.generate()
    assert a != b and len(a.public_key) == 32
    assert INSTALLATION.installation_id == INSTALLATION.public_key == installation_id(INSTALLATION.private_key)
    seeded = Installation.generate(lambda n: bytes(range(n)))
    assert seeded == INSTALLATION


@pytest.fixture(scope="module")
def state():
    """The association state of WALLET's inbox (nonce 0) with INSTALLATION added."""
    return apply_update(None, create_inbox_update(WALLET, 0, CREATED_NS, INSTALLATION.private_key))


def test_installation_of_the_inbox_accepted(state) -> None:
    credential = inbox_credential(state.inbox_id)
    assert check_installation(credential, INSTALLATION.public_key, state) == state.inbox_id


def test_installation_not_in_the_association_state(state) -> None:
    rejected(CredentialReason.INSTALLATION_NOT_ASSOCIATED, check_installation,
             inbox_credential(state.inbox_id), OTHER_INSTALLATION.public_key, state)


def test_association_state_of_another_inbox(state) -> None:
    rejected(CredentialReason.INBOX_MISMATCH, check_installation, inbox_credential(INBOX),
             INSTALLATION.public_key, state)


def test_check_installation_checks_the_credential(state) -> None:
    rejected(CredentialReason.NOT_BASIC, check_installation, Credential(CredentialType.x509),
             INSTALLATION.public_key, state)


# ------------------------------------------------------------------ legacy wallet-signed profile

def test_legacy_installation_id() -> None:
    assert legacy_installation_id(b"") == "x:dcc703c0e500b653ca82273b7bfad8045d85a470"  # keccak256("")[12..]


@pytest.mark.parametrize("created_ns, shown", [
    (1609459200000000, "1970-01-19T15:04:19.200+00:00"),  # the value of libxmtp's association tests
    (0, "1970-01-01T00:00:00+00:00"),
    (1_700_000_000_000_000_000, "2023-11-14T22:13:20+00:00"),
    (1_700_000_000_000_001_000, "2023-11-14T22:13:20.000001+00:00"),
    (1_700_000_000_000_000_001, "2023-11-14T22:13:20.000000001+00:00"),
    (2**63 - 1, "2262-04-11T23:47:16.854775807+00:00"),
])
def test_grant_text(created_ns: int, shown: str) -> None:
    key = INSTALLATION.public_key
    assert grant_messaging_access_text(WALLET.address.upper().replace("0X", "0x"), key, created_ns) == (
        "XMTP : Grant Messaging Access\n\n"
        f"Current Time: {shown}\n"
        f"Account Address: {WALLET.address}\n"
        f"Installation ID: {legacy_installation_id(key)}\n\n"
        "For more info: https://xmtp.org/signatures/")


def test_legacy_credential_accepted() -> None:
    credential = legacy_credential(WALLET, INSTALLATION, CREATED_NS)
    legacy = LegacyMlsCredential.decode(credential.identity)
    assert legacy.installation_public_key == INSTALLATION.public_key
    assert legacy.messaging_access.association_text_version == AssociationTextVersion.V1
    assert legacy_account_of(credential, INSTALLATION.public_key) == WALLET.address


def test_legacy_checksummed_address_accepted() -> None:
    """libxmtp lowercases the address before building the text, so EIP-55 case is accepted."""
    checksummed = "0x" + WALLET.address[2:].upper()
    text = grant_messaging_access_text(checksummed, INSTALLATION.public_key, CREATED_NS)
    grant = GrantMessagingAccessAssociation(1, RecoverableEcdsaSignature(WALLET.sign(text)), checksummed, CREATED_NS)
    credential = Credential.basic(LegacyMlsCredential(INSTALLATION.public_key, messaging_access=grant).encode())
    assert legacy_account_of(credential, INSTALLATION.public_key) == WALLET.address


def altered(**changes) -> Credential:
    """The legacy credential of WALLET and INSTALLATION with fields of its grant replaced."""
    legacy = LegacyMlsCredential.decode(legacy_credential(WALLET, INSTALLATION, CREATED_NS).identity)
    grant = dataclasses.replace(legacy.messaging_access, **changes)
    return Credential.basic(dataclasses.replace(legacy, messaging_access=grant).encode())


@pytest.mark.parametrize("credential, reason", [
    (Credential(CredentialType.x509), CredentialReason.NOT_BASIC),
    (Credential.basic(b"\x12\x05"), CredentialReason.MALFORMED_CREDENTIAL),
    (Credential.basic(LegacyMlsCredential(INSTALLATION.public_key).encode()), CredentialReason.LEGACY_NO_ASSOCIATION),
    (altered(signature=None), CredentialReason.LEGACY_NO_ASSOCIATION),
    (Credential.basic(LegacyMlsCredential(INSTALLATION.public_key, legacy_create_identity=b"").encode()),
     CredentialReason.LEGACY_UNSUPPORTED_ASSOCIATION),
    (altered(account_address="0x1234"), CredentialReason.LEGACY_INVALID_ADDRESS),
    (altered(account_address=WALLET.address[2:]), CredentialReason.LEGACY_ADDRESS_MISMATCH),  # no "0x"
    (altered(created_ns=2**63), CredentialReason.LEGACY_INVALID_TIME),
    (altered(signature=RecoverableEcdsaSignature(bytes(64))), CredentialReason.LEGACY_BAD_SIGNATURE),
    (altered(signature=RecoverableEcdsaSignature(bytes(64) + b"\x1b")), CredentialReason.LEGACY_BAD_SIGNATURE),
    (altered(account_address=OTHER_WALLET.address), CredentialReason.LEGACY_ADDRESS_MISMATCH),
    (altered(created_ns=CREATED_NS + 1), CredentialReason.LEGACY_ADDRESS_MISMATCH),  # the text differs
])
def test_legacy_rejected(credential: Credential, reason: CredentialReason) -> None:
    rejected(reason, legacy_account_of, credential, INSTALLATION.public_key)


def test_legacy_grant_for_another_installation() -> None:
    credential = legacy_credential(WALLET, INSTALLATION, CREATED_NS)
    rejected(CredentialReason.LEGACY_INSTALLATION_MISMATCH, legacy_account_of, credential,
             OTHER_INSTALLATION.public_key)
