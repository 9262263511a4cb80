"""XMTP's MLS credentials and installation keys (facts §2), as bytes and the fields they hold.

Three kinds of case, told apart by ``type``:

* ``inbox_credential``: the RFC 9420 ``Credential`` (basic) whose identity is
  ``xmtp.identity.MlsCredential{inbox_id}``; decoded = {credential_type,
  inbox_id}. Refused when the type is not basic, the identity is not that
  protobuf, or the inbox id is not 64 lowercase hex (decoded then also holds
  the raw ``identity`` where the protobuf does not parse).
* ``installation_key``: the Ed25519 public key (the installation id) of a
  32-byte private seed, and its legacy ``x:`` id (keccak256, last 20 bytes).
* ``legacy_credential``: the obsolete wallet-signed credential (libxmtp
  2f16634): a basic ``Credential`` whose identity is the old
  ``xmtp.mls.message_contents.MlsCredential`` with a wallet's EIP-191 grant of
  messaging access to the installation key. Valid when the signature over
  ``grant_text`` recovers ``account_address``; the leaf signature key is taken
  to be the granted installation key.

Questions: ``decode`` (``type``, ``encoded``) and ``encode`` (``type``,
``decoded``), for refused cases too. A ``decode`` answer is ``{result, reason, decoded}``
with ``decoded`` given even when refused, and when valid also the checked identity:
``inbox_id`` (inbox_credential) or ``account_address`` (legacy_credential, lowercase).
An ``encode`` answer is ``{encoded}``. Installation keys: ``derive_installation_key``
(``type``, ``installation_private_key``); the answer is ``{encoded: public key,
decoded: {installation_private_key, installation_id, legacy_installation_id}}``.
"""

from __future__ import annotations

import hashlib
import random
from typing import Any, Literal

from pydantic import Field

from spec_model.mls.codec import DecodeError
from spec_model.mls.leaf_node import Certificate, Credential, CredentialType
from spec_model.mls.reasons import Rejected
from spec_model.xmtp.credential import (
    AssociationTextVersion, CredentialReason, GrantMessagingAccessAssociation, Installation, LegacyMlsCredential,
    MlsCredential, grant_messaging_access_text, inbox_of, legacy_account_of, legacy_credential, legacy_installation_id,
)
from spec_model.xmtp.ed25519ph import public_key
from spec_model.xmtp.identity import RecoverableEcdsaSignature, inbox_id
from spec_model.xmtp.wallet import Wallet

from .. import case_id, expect
from ..family import Decoded, Exchange, Hex, absent, codec_exchanges
from ..formats import CodecCase, Expected, Verdict
from ..questions import judge_decoded

FORMAT = "codec"
AREA = "credentials"
FAMILY = "credentials"
INBOX_RULE = "facts §2; RFC 9420 §5.3 Credential; libxmtp xmtp_mls identity.rs create_credential / parse_credential"
KEY_RULE = "facts §2; RFC 8032 §5.1.5; libxmtp basic_credential.rs XmtpInstallationCredential"
LEGACY_RULE = ("facts §2 (legacy profile); libxmtp 2f16634 credential/mod.rs, grant_messaging_access_association.rs, "
               "identity.rs get_validated_account_address")
TYPES = {"inbox_credential": "RFC 9420 Credential(basic) of xmtp.identity.MlsCredential",
         "installation_key": "Ed25519 installation key (public key = installation id)",
         "legacy_credential": "RFC 9420 Credential(basic) of legacy xmtp.mls.message_contents.MlsCredential"}

FACTS_INBOX = "fcd18d86276d7a99fe522dba9660c420f03c8648785ada7c5daae232a3df77a9"   # facts §8 vector
W = [Wallet.random(random.Random(i).randbytes) for i in range(3)]
RFC8032_TEST1_SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")


def _result(reason: Any | None) -> Expected:
    return Expected(result=Verdict.VALID) if reason is None else Expected(result=Verdict.INVALID, reason=reason)


# ---------------------------------------------------------------------- inbox-id credential

def _inbox_decoded(credential: Credential) -> dict:
    if credential.credential_type != CredentialType.basic:
        return {"credential_type": int(credential.credential_type),
                "certificates": [c.cert_data.hex() for c in credential.certificates]}
    try:
        return {"credential_type": int(credential.credential_type),
                "inbox_id": MlsCredential.decode(credential.identity).inbox_id}
    except DecodeError:   # not the protobuf: the raw identity
        return {"credential_type": int(credential.credential_type), "identity": credential.identity.hex()}


def _inbox_encode(decoded: dict) -> Credential:
    if decoded["credential_type"] != CredentialType.basic:
        return Credential(CredentialType(decoded["credential_type"]),
                          certificates=tuple(Certificate(bytes.fromhex(c)) for c in decoded["certificates"]))
    if "identity" in decoded:
        return Credential.basic(bytes.fromhex(decoded["identity"]))
    return Credential.basic(MlsCredential(decoded["inbox_id"]).encode())


def _inbox_case(name: str, credential: Credential, description: str, tags: list[str] = ()) -> CodecCase:
    try:
        inbox_of(credential)
        reason = None
    except Rejected as e:
        reason = e.reason.value
    return CodecCase(id=case_id(FAMILY, name), description=description, rule=INBOX_RULE,
                     tags=["credential", "seed", "libxmtp", *tags], type=TYPES["inbox_credential"],
                     encoded=credential.encode().hex(), decoded=_inbox_decoded(credential), expected=_result(reason))


# ---------------------------------------------------------------------- installation keys

def _key_decoded(seed: bytes) -> dict:
    key = Installation(seed).public_key
    return {"installation_private_key": seed.hex(), "installation_id": key.hex(),
            "legacy_installation_id": legacy_installation_id(key)}


def _key_case(name: str, seed: bytes, description: str) -> CodecCase:
    return CodecCase(id=case_id(FAMILY, name), description=description, rule=KEY_RULE,
                     tags=["credential", "installation", "seed", "libxmtp"], type=TYPES["installation_key"],
                     encoded=Installation(seed).public_key.hex(), decoded=_key_decoded(seed))


# ---------------------------------------------------------------------- legacy credential

def _legacy_decoded(credential: Credential) -> dict:
    legacy = LegacyMlsCredential.decode(credential.identity)
    out: dict[str, Any] = {"credential_type": int(credential.credential_type),
                           "installation_public_key": legacy.installation_public_key.hex(),
                           "installation_id": legacy_installation_id(legacy.installation_public_key)}
    if legacy.legacy_create_identity is not None:
        out["legacy_create_identity"] = legacy.legacy_create_identity.hex()
    grant = legacy.messaging_access
    if grant is not None:
        out["messaging_access"] = {
            "association_text_version": int(grant.association_text_version),
            "signature": None if grant.signature is None else grant.signature.bytes_.hex(),
            "account_address": grant.account_address, "created_ns": grant.created_ns}
        try:
            out["grant_text"] = grant_messaging_access_text(grant.account_address, legacy.installation_public_key,
                                                            grant.created_ns)
        except Rejected:
            pass
    return out


def _legacy_encode(decoded: dict) -> Credential:
    grant, raw = decoded.get("messaging_access"), decoded.get("legacy_create_identity")
    association = None if grant is None else GrantMessagingAccessAssociation(
        grant["association_text_version"],
        None if grant["signature"] is None else RecoverableEcdsaSignature(bytes.fromhex(grant["signature"])),
        grant["account_address"], grant["created_ns"])
    legacy = LegacyMlsCredential(bytes.fromhex(decoded["installation_public_key"]), messaging_access=association,
                                 legacy_create_identity=None if raw is None else bytes.fromhex(raw))
    return Credential.basic(legacy.encode())


def _legacy_case(name: str, credential: Credential, description: str) -> CodecCase:
    key = LegacyMlsCredential.decode(credential.identity).installation_public_key
    try:
        legacy_account_of(credential, key)
        reason = None
    except Rejected as e:
        reason = e.reason.value
    return CodecCase(id=case_id(FAMILY, name), description=description, rule=LEGACY_RULE,
                     tags=["credential", "legacy"], type=TYPES["legacy_credential"],
                     encoded=credential.encode().hex(), decoded=_legacy_decoded(credential), expected=_result(reason))


def _grant(wallet: Wallet, key: bytes, created_ns: int, *, account_address: str | None = None,
           signed_address: str | None = None, signed_ns: int | None = None,
           signature: bytes | None = None) -> Credential:
    """A legacy credential whose fields may differ from what ``wallet`` signed."""
    if signature is None:
        signature = wallet.sign(grant_messaging_access_text(signed_address or wallet.address, key,
                                                            created_ns if signed_ns is None else signed_ns))
    association = GrantMessagingAccessAssociation(AssociationTextVersion.V1, RecoverableEcdsaSignature(signature),
                                                  account_address or wallet.address, created_ns)
    return Credential.basic(LegacyMlsCredential(key, messaging_access=association).encode())


def cases() -> list[CodecCase]:
    rng = random.Random(2)
    random_inbox = hashlib.sha256(rng.randbytes(32)).hexdigest()
    seeds = [random.Random(100 + i).randbytes(32) for i in range(3)]
    inst = Installation(seeds[0])
    other = Installation(seeds[1]).public_key
    ns = 1_700_000_000_123_000_000
    c = [
        _inbox_case("inbox_credential_facts_vector", Credential.basic(MlsCredential(FACTS_INBOX).encode()),
                    "Given the facts sheet's inbox id, When it is put in a basic credential, Then the identity is "
                    "0a40 followed by the 64 ASCII hex characters, after credential_type 0001 and a varint length"),
        _inbox_case("inbox_credential_of_wallet", Credential.basic(MlsCredential(inbox_id(W[0].address, 0)).encode()),
                    "Given a wallet's inbox id (nonce 0), When encoded as a credential, Then decoding gives it back"),
        _inbox_case("inbox_credential_random", Credential.basic(MlsCredential(random_inbox).encode()),
                    "Given a random SHA-256 inbox id, When encoded as a credential, Then decoding gives it back"),
        _inbox_case("inbox_credential_uppercase_refused", Credential.basic(MlsCredential(FACTS_INBOX.upper()).encode()),
                    "Given a credential naming the inbox id in uppercase hex, When parsed, Then it is refused "
                    "(stricter than libxmtp, which accepts any string)", ["strict"]),
        _inbox_case("inbox_credential_short_refused", Credential.basic(MlsCredential(FACTS_INBOX[:63]).encode()),
                    "Given a credential naming a 63-character inbox id, When parsed, Then it is refused", ["strict"]),
        _inbox_case("inbox_credential_empty_refused", Credential.basic(b""),
                    "Given a basic credential with an empty identity (inbox_id absent), When parsed, Then it is "
                    "refused", ["strict"]),
        _inbox_case("inbox_credential_not_protobuf_refused", Credential.basic(b"\x0a\x41" + FACTS_INBOX.encode()),
                    "Given an identity whose length prefix runs past the end, When parsed, Then it is refused as "
                    "malformed"),
        _inbox_case("inbox_credential_wrong_wire_type_refused", Credential.basic(b"\x08\x01"),
                    "Given an identity holding field 1 as a varint, When parsed, Then it is refused as malformed"),
        _inbox_case("x509_credential_refused", Credential(CredentialType.x509),
                    "Given an x509 credential, When parsed, Then it is refused: XMTP uses basic credentials only"),
        _key_case("installation_key_rfc8032_test1", RFC8032_TEST1_SEED,
                  "Given RFC 8032 §7.1 TEST 1's secret key as installation seed, When its id is derived, Then it is "
                  "that test's public key d75a98..."),
        _key_case("installation_key_counting_seed", bytes(range(32)),
                  "Given the seed 00 01 .. 1f, When the installation id is derived, Then it is the Ed25519 public key"),
        *(_key_case(f"installation_key_random_{i}", seed,
                    "Given a seeded random 32-byte seed, When the installation id is derived, Then it is the Ed25519 "
                    "public key and the legacy id is x: + the last 20 bytes of its keccak256")
          for i, seed in enumerate(seeds)),
        _legacy_case("legacy_whole_seconds", legacy_credential(W[0], inst, 1_700_000_000 * 10**9),
                     "Given a wallet granting an installation at a whole second, When the credential is checked, "
                     "Then the grant text's time has no fraction and the signature recovers the account address"),
        _legacy_case("legacy_milliseconds", legacy_credential(W[0], inst, ns),
                     "Given a grant at .123 s, When checked, Then the time is written with 3 fraction digits"),
        _legacy_case("legacy_microseconds", legacy_credential(W[1], Installation(seeds[1]), 1_700_000_000_123_456_000),
                     "Given a grant at .123456 s, When checked, Then the time is written with 6 fraction digits"),
        _legacy_case("legacy_nanoseconds", legacy_credential(W[2], Installation(seeds[2]), 1_700_000_000_123_456_789),
                     "Given a grant at .123456789 s, When checked, Then the time is written with 9 fraction digits"),
        _legacy_case("legacy_checksummed_address", _grant(W[0], inst.public_key, ns,
                                                          account_address="0x" + W[0].address[2:].upper()),
                     "Given a grant whose account address is in uppercase hex, When checked, Then the address is "
                     "lowercased in the text and the credential is valid"),
        _legacy_case("legacy_address_of_another_wallet_refused", _grant(W[0], inst.public_key, ns,
                                                                        account_address=W[1].address,
                                                                        signed_address=W[1].address),
                     "Given a grant naming W1 but signed by W0 (over W1's text), When checked, Then it is refused: "
                     "the signer is not the account"),
        _legacy_case("legacy_time_changed_refused", _grant(W[0], inst.public_key, ns, signed_ns=ns + 10**6),
                     "Given a grant whose created_ns differs from the signed time by 1 ms, When checked, Then the "
                     "signature recovers another address and it is refused"),
        _legacy_case("legacy_other_installation_refused", _grant(W[0], other, ns, signature=W[0].sign(
            grant_messaging_access_text(W[0].address, inst.public_key, ns))),
                     "Given a grant of installation I1 carrying W0's signature for installation I0, When checked, "
                     "Then it is refused"),
        _legacy_case("legacy_address_without_0x_refused", _grant(W[0], inst.public_key, ns,
                                                                 account_address=W[0].address[2:]),
                     "Given a grant whose account address lacks 0x (allowed by the sanitizer), When checked, Then the "
                     "recovered 0x address never equals it and it is refused"),
        _legacy_case("legacy_zero_signature_refused", _grant(W[0], inst.public_key, ns, signature=bytes(65)),
                     "Given a grant with an all-zero signature, When checked, Then no address recovers and it is "
                     "refused"),
        _legacy_case("legacy_invalid_address_refused", _grant(W[0], inst.public_key, ns, account_address="0xnope",
                                                              signature=W[0].sign("x")),
                     "Given a grant whose account address is not 40 hex digits, When checked, Then it is refused"),
        _legacy_case("legacy_time_beyond_i64_refused", _grant(W[0], inst.public_key, 2**63, signature=W[0].sign("x")),
                     "Given a grant at created_ns 2^63 (negative as i64), When checked, Then it is refused"),
        _legacy_case("legacy_no_association_refused",
                     Credential.basic(LegacyMlsCredential(inst.public_key).encode()),
                     "Given a legacy credential with neither association set, When checked, Then it is refused"),
        _legacy_case("legacy_create_identity_unsupported",
                     Credential.basic(LegacyMlsCredential(inst.public_key,
                                                          legacy_create_identity=b"\x0a\x00").encode()),
                     "Given a legacy credential holding legacy_create_identity (an XMTP v2 key's grant), When "
                     "checked, Then the model refuses it as unsupported"),
    ]
    return c


def _kind(type_: str) -> str:
    return next(k for k, v in TYPES.items() if v == type_)


def questions(case: CodecCase) -> list[dict[str, Any]]:
    """A key is derived from its seed; a credential is decoded and encoded, refused or not."""
    if _kind(case.type) == "installation_key":
        return [{"ask": "derive_installation_key", "type": case.type,
                 "installation_private_key": case.decoded["installation_private_key"]}]
    return [{"ask": "decode", "type": case.type, "encoded": case.encoded, "context": {}},
            {"ask": "encode", "type": case.type, "decoded": case.decoded}]


def answer(question: dict) -> dict:
    kind, ask = _kind(question["type"]), question["ask"]
    if ask == "derive_installation_key":
        seed = bytes.fromhex(question["installation_private_key"])
        return {"encoded": public_key(seed).hex(), "decoded": _key_decoded(seed)}
    if ask == "encode":
        rebuilt = _inbox_encode(question["decoded"]) if kind == "inbox_credential" else _legacy_encode(
            question["decoded"])
        return {"encoded": rebuilt.encode().hex()}
    try:
        credential = Credential.decode(bytes.fromhex(question["encoded"]))
        decoded = _inbox_decoded(credential) if kind == "inbox_credential" else _legacy_decoded(credential)
    except DecodeError:
        return {"result": Verdict.INVALID.value, "reason": CredentialReason.MALFORMED_CREDENTIAL.value}
    try:
        if kind == "inbox_credential":
            checked = {"inbox_id": inbox_of(credential)}
        else:
            key = LegacyMlsCredential.decode(credential.identity).installation_public_key
            checked = {"account_address": legacy_account_of(credential, key)}
    except Rejected as e:
        return {"result": Verdict.INVALID.value, "reason": e.reason.value, "decoded": decoded}
    return {"result": Verdict.VALID.value, "reason": None, "decoded": decoded, **checked}


def judge(case: CodecCase, question: dict, answer: dict) -> None:
    """Decoded fields are judged for refused credentials too; a valid one's checked identity against them."""
    if question["ask"] != "decode":
        expect(f"{case.id} encoded", case.encoded, answer.get("encoded"))
        if question["ask"] == "derive_installation_key":
            expect(f"{case.id} decoded", case.decoded, answer.get("decoded"))
        return
    judge_decoded(case.id, case.expected, case.decoded, answer)
    if answer.get("result") == Verdict.INVALID.value:
        expect(f"{case.id} decoded", case.decoded, answer.get("decoded"))
    elif _kind(case.type) == "inbox_credential":
        expect(f"{case.id} inbox_id", case.decoded["inbox_id"], answer.get("inbox_id"))
    else:
        expect(f"{case.id} account_address", case.decoded["messaging_access"]["account_address"].lower(),
               answer.get("account_address"))

# ------------------------------------------------------------------ the questions and answers, typed (``family.py``)

class InboxCredentialJson(Exchange):
    """RFC 9420 §5.3 Credential of an inbox (docs/xmtp-facts.md §2): its type and the inbox id of its
    ``xmtp.identity.MlsCredential``; where that does not parse, the raw ``identity``; not basic, its
    ``certificates``."""

    credential_type: int
    inbox_id: str = absent()
    identity: Hex = absent()
    certificates: list[Hex] = absent()


class MessagingAccessJson(Exchange):
    """A legacy credential's wallet grant of messaging access (libxmtp 2f16634)."""

    association_text_version: int
    signature: Hex | None = Field(description="the EIP-191 signature, null if absent")
    account_address: str
    created_ns: int


class LegacyCredentialJson(Exchange):
    """The legacy wallet-signed credential (libxmtp 2f16634): its installation key and id, and what it holds."""

    credential_type: int
    installation_public_key: Hex
    installation_id: str = Field(description="the legacy installation id")
    legacy_create_identity: Hex = absent()
    messaging_access: MessagingAccessJson = absent()
    grant_text: str = absent(description="the text the wallet signed")


class CredentialDecoded(Decoded):
    inbox_id: str | None = Field(None, description="an inbox credential: the inbox id it names")
    account_address: str | None = Field(None, description="a legacy credential: the wallet that granted access")


class DeriveInstallationKey(Exchange):
    ask: Literal["derive_installation_key"]
    type: str
    installation_private_key: Hex


class InstallationKey(Exchange):
    installation_private_key: Hex
    installation_id: Hex = Field(description="the Ed25519 public key")
    legacy_installation_id: str = Field(description="x: and hex(keccak256(public key)[12:])")


class InstallationKeyAnswer(Exchange):
    encoded: Hex
    decoded: InstallationKey


EXCHANGES = {**codec_exchanges(InboxCredentialJson | LegacyCredentialJson, answer=CredentialDecoded),
             "derive_installation_key": (DeriveInstallationKey, InstallationKeyAnswer)}
