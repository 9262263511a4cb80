"""XMTP key-package validation (facts §1, §2, §8): RFC 9420 §10.1 checks, XMTP's suite and capabilities,
the inbox credential and its binding to the inbox's association state.

Each case gives the key package (TLS ``KeyPackage``, hex), the time ``now_s`` and the identity updates
of the inboxes the validator knows (``{inbox_id: [IdentityUpdate protobuf hex, in sequence order]}``),
from which an implementation rebuilds the association states (XIP-46). A valid key package yields
its inbox id. A case whose verdict differs by profile names the validating client's ``profile``: the
libxmtp profile checks a fetched key package as libxmtp does (OpenMLS's checks, the credential only
decoded, no lifetime range), the seed profile also binds it to its inbox. Invalid key packages are built from a valid one with the model's own structures and
re-signed wherever a signature would otherwise break, so that exactly one rule fails.

Questions: ``decide`` with the case's ``inputs``; the answer is ``{result: valid, reason: null, outputs:
{inbox_id}}`` or ``{result: invalid, reason}``. Also ``reencode`` (``{type: "mls.KeyPackage", encoded}``;
the answer is ``{encoded}``, the key package decoded and encoded again) and, for each inbox of
``inputs.identity_updates``, ``inbox_of_updates`` (``{updates}``, that inbox's updates; the answer is
``{inbox_id}``, the inbox of the association state they build).
"""

from __future__ import annotations

import dataclasses
import functools
import random
from typing import Literal

from pydantic import Field

from spec_model.mls.group_context import Extension
from spec_model.mls.key_package import KeyPackage, KeyPackageBundle
from spec_model.mls.leaf_node import Credential, FromKeyPackage, FromUpdate, Lifetime
from spec_model.mls.reasons import Rejected
from spec_model.mls.suites import suite
from spec_model.xmtp.credential import CredentialReason, Installation, MlsCredential
from spec_model.xmtp.extensions import XmtpExtensionType
from spec_model.xmtp.identity import AssociationState, IdentityUpdate, apply_update, decode_update
from spec_model.xmtp.identity_signing import create_inbox_update
from spec_model.xmtp.profiles import PROFILES
from spec_model.xmtp.key_package import (
    CIPHER_SUITE, KEY_PACKAGE_LIFETIME_S, LIBXMTP_HEAD, LIBXMTP_V1_0_0, LIFETIME_MARGIN_S, KeyPackageProfile,
    KeyPackageReason, build_key_package, validate_xmtp_key_package,
)

from ...malformed import flip
from .. import case_id, expect
from ..family import Encoded, Exchange, Hex, decision_exchanges
from ..formats import DecisionCase, Expected, Verdict
from ..questions import judge_decision
from ..world import User, World

FORMAT = "decision"
AREA = "key packages"
FAMILY = "key_packages"
RULE = "libxmtp verified_key_package_v2.rs; OpenMLS KeyPackageIn::validate; RFC 9420 §10.1"

NOW = 1_750_000_000
"""The fixed clock (seconds) at which the vectors' key packages are built and, unless a case says otherwise,
validated; the identity updates are made at it whatever the key packages' time (``cases(created)``)."""
CS = suite(CIPHER_SUITE)


# ------------------------------------------------------------------ the world: inboxes and installations

def _rng(seed: int):
    """A deterministic ``rng(n) -> bytes`` (as tests/mls/members.py ``seeded_rng``)."""
    return random.Random(seed).randbytes


@dataclasses.dataclass(frozen=True)
class _Cast:
    """Who the cases are about, in the shared world: the owner (a wallet and its inbox, whose log adds a second
    installation, then a third, then revokes the third), a stranger's installation, a key that signs what it
    should not, and a second inbox of the owner's wallet that the validator may know instead."""

    world: World
    owner: User
    stranger: Installation
    other_key: Installation
    other_updates: list[IdentityUpdate]

    @property
    def installation(self) -> Installation:
        return self.owner.installations[0]

    @property
    def later(self) -> Installation:
        return self.owner.installations[1]

    @property
    def revoked(self) -> Installation:
        return self.owner.installations[2]

    @property
    def other_inbox(self) -> str:
        return self.other_updates[0].inbox_id

    @property
    def known(self) -> dict[str, list[IdentityUpdate]]:
        return {self.owner.inbox_id: [entry.update for entry in self.world.log.updates(self.owner.inbox_id)]}


@functools.cache
def _world() -> _Cast:
    world = World(0x4B50, clock_ns=NOW * 10**9 - 1, tick_ns=1)  # the owner's updates at NOW and 1 ns apart
    owner = world.user("owner")
    world.add_installation(owner)
    world.add_installation(owner)
    world.revoke_installation(owner, 2)
    stranger, other_key = Installation.generate(world.rng), Installation.generate(world.rng)
    other_create = create_inbox_update(owner.wallet, 1, NOW * 10**9, owner.installations[0].private_key)
    return _Cast(world, owner, stranger, other_key, [other_create])


# ------------------------------------------------------------------ builders of (in)valid key packages

def bundle(installation: Installation | None = None, seed: int = 1, *, profile: KeyPackageProfile = LIBXMTP_HEAD,
           welcome_pointers: bool = False, created: int = NOW) -> KeyPackageBundle:
    """libxmtp XmtpKeyPackageBuilder::build for the world's inbox at ``created``, keys from a seeded rng."""
    world = _world()
    return build_key_package(installation or world.installation, world.owner.inbox_id, created, _rng(seed),
                             profile=profile, welcome_pointers=welcome_pointers)


def resigned(b: KeyPackageBundle, leaf: dict | None = None, **changes) -> KeyPackage:
    """``b``'s key package with leaf fields, then key-package fields replaced; both signatures redone."""
    kp = b.key_package
    leaf_node = kp.leaf_node.replace(**leaf).signed(CS, b.signature_priv) if leaf else kp.leaf_node
    return kp.replace(leaf_node=leaf_node, **changes).signed(CS, b.signature_priv)


def flipped(signature: bytes) -> bytes:
    """The signature with the lowest bit of its first byte flipped."""
    return flip(signature, 0)


def without_capability(b: KeyPackageBundle, extension_type: int) -> KeyPackage:
    """The key package with ``extension_type`` removed from the leaf's capabilities, re-signed."""
    caps = b.key_package.leaf_node.capabilities
    return resigned(b, leaf={"capabilities": caps.replace(
        extensions=tuple(e for e in caps.extensions if e != extension_type))})


def leaf_from_update(b: KeyPackageBundle) -> KeyPackage:
    """A key package whose leaf says ``leaf_node_source = update`` (signed for group b"group", leaf 0)."""
    leaf = b.key_package.leaf_node.replace(source=FromUpdate()).signed(CS, b.signature_priv, b"group", 0)
    return b.key_package.replace(leaf_node=leaf).signed(CS, b.signature_priv)


def bad_leaf_signature(b: KeyPackageBundle) -> KeyPackage:
    """A leaf whose signature is corrupted, inside a key package signed correctly over it."""
    leaf = b.key_package.leaf_node
    return b.key_package.replace(leaf_node=leaf.replace(signature=flipped(leaf.signature))).signed(
        CS, b.signature_priv)


# ------------------------------------------------------------------ questions and answers

@functools.lru_cache(maxsize=64)
def _replay(updates: tuple[str, ...]) -> AssociationState:
    """XIP-46: the association state after applying ``updates`` (hex) in order."""
    state = None
    for data in updates:
        state = apply_update(state, decode_update(bytes.fromhex(data)))
    return state


def _decide(inputs: dict) -> dict:
    states = {inbox: _replay(tuple(updates)) for inbox, updates in inputs["identity_updates"].items()}
    key_package = KeyPackage.decode(bytes.fromhex(inputs["key_package"]))
    return {"inbox_id": validate_xmtp_key_package(key_package, inputs["now_s"], states.get,
                                                  PROFILES[inputs.get("profile") or "seed"])}


def answer(question: dict) -> dict:
    """``decide`` (validate), ``reencode`` (decode and encode the key package) or ``inbox_of_updates``."""
    ask = question["ask"]
    try:
        if ask == "decide":
            return {"result": Verdict.VALID.value, "reason": None, "outputs": _decide(question["inputs"])}
        if ask == "reencode":
            return {"encoded": KeyPackage.decode(bytes.fromhex(question["encoded"])).encode().hex()}
        if ask == "inbox_of_updates":
            return {"inbox_id": _replay(tuple(question["updates"])).inbox_id}
    except Rejected as e:
        return {"result": Verdict.INVALID.value, "reason": e.reason.value}
    raise ValueError(f"unknown ask {ask!r}")


def questions(case: DecisionCase) -> list[dict]:
    """``reencode`` the key package, ``inbox_of_updates`` for each known inbox, then ``decide``."""
    inputs = case.inputs
    return [{"ask": "reencode", "type": "mls.KeyPackage", "encoded": inputs["key_package"]},
            *({"ask": "inbox_of_updates", "updates": updates} for updates in inputs["identity_updates"].values()),
            {"ask": "decide", "inputs": inputs}]


def judge(case: DecisionCase, question: dict, answer: dict) -> None:
    """``decide`` as every decision; the re-encoding and the inboxes against the case's inputs."""
    ask = question["ask"]
    if ask == "decide":
        return judge_decision(case.id, case.expected, case.outputs, answer)
    if ask == "reencode":
        return expect(f"{case.id} key package re-encoding", case.inputs["key_package"], answer.get("encoded"))
    if ask == "inbox_of_updates":
        inbox = next(inbox for inbox, updates in case.inputs["identity_updates"].items()
                     if updates == question["updates"])
        return expect(f"{case.id} inbox of the identity updates", inbox, answer.get("inbox_id"))
    raise ValueError(f"{case.id}: no judgement for ask {ask!r}")


# ------------------------------------------------------------------ cases

def _case(name: str, description: str, key_package: KeyPackage, *, now: int,
          known: dict[str, list[IdentityUpdate]] | None = None, intended: str | None = None,
          rule: str = RULE, tags: tuple[str, ...] = (), profile: str | None = None) -> DecisionCase:
    """A case computed with the model; ``intended`` is the reason the builder aims at (None: valid); ``profile``
    names the validating client's profile where the profiles differ."""
    known = _world().known if known is None else known
    inputs = {"key_package": key_package.encode().hex(), "now_s": now,
              "identity_updates": {inbox: [u.encode().hex() for u in updates] for inbox, updates in known.items()}}
    if profile is not None:
        inputs["profile"] = profile
    decided = answer({"ask": "decide", "inputs": inputs})
    expected = Expected(result=decided["result"], reason=decided["reason"])
    if expected.reason != intended:
        raise ValueError(f"{name}: built to be {intended or 'valid'}, the model says {expected.reason or 'valid'}")
    return DecisionCase(id=case_id(FAMILY, name), description=description, rule=rule,
                        tags=["key_package", *([profile] if profile else ["seed", "libxmtp"]), *tags], inputs=inputs,
                        expected=expected, outputs=decided.get("outputs", {}))


def cases(created: int = NOW) -> list[DecisionCase]:
    """The cases, their key packages built at ``created`` and each validated at its time relative to it (the
    vectors: ``NOW``; a wire form builds them for its network's clock, ``conformance/wire/key_packages.py``)."""
    world = _world()
    NOT_BEFORE, NOT_AFTER = created - LIFETIME_MARGIN_S, created + KEY_PACKAGE_LIFETIME_S
    build, case = functools.partial(bundle, created=created), functools.partial(_case, now=created)
    head = build()
    K, C = KeyPackageReason, CredentialReason
    lifetime = "OpenMLS lifetime.rs validate_with_time (verified_key_package_v2.rs validates lifetimes)"

    def in_both(name: str, given: str, key_package: KeyPackage, refused: str, seed_then: str, libxmtp_then: str,
                rule: str, tags: tuple[str, ...], known: dict[str, list[IdentityUpdate]] | None = None):
        """The case in the seed profile (refused as ``refused``) and, named ``libxmtp/<name>``, in the libxmtp
        profile (valid: libxmtp checks a fetched key package with OpenMLS and decodes its credential, no more)."""
        return [case(f"{prefix}{name}", f"{given}, When a client of the {profile} profile validates it, Then {then}",
                     key_package, known=known, intended=intended, profile=profile, rule=why, tags=tags)
                for prefix, profile, intended, then, why in (
                    ("", "seed", refused, seed_then, rule),
                    ("libxmtp/", "libxmtp", None, libxmtp_then, "libxmtp verified_key_package_v2.rs "
                     "VerifiedKeyPackageV2::from_bytes (OpenMLS KeyPackageIn::validate; the credential decoded)"))]
    caps_rule = "libxmtp groups/mod.rs build_group_config RequiredCapabilities; RFC 9420 §7.2, §11.1"
    return [
        # ---- valid
        case("head_profile", "Given a key package built as libxmtp HEAD builds it (suite 3, LastResort, "
             "ApplicationId, HEAD capabilities) for an installation of the inbox, When validated at its creation "
             "time, Then it is valid and names the inbox", head.key_package, tags=("head",)),
        case("v1_0_0_profile", "Given a key package built as libxmtp v1.0.0 built it (proposal 7 only, no "
             "AppDataDictionary), When validated, Then it is valid", build(seed=2, profile=LIBXMTP_V1_0_0)
             .key_package, tags=("v1.0.0",)),
        case("head_with_welcome_pointer_extension", "Given a HEAD key package with the 0xFF04 welcome-pointer "
             "extension {supported_aead_types [CHACHA20_POLY1305]} listed in its capabilities, When validated, "
             "Then it is valid", build(seed=3, welcome_pointers=True).key_package,
             tags=("head", "welcome_pointers")),
        case("valid_at_not_before", "Given a key package whose not_before is an hour before its creation, When "
             "validated exactly at not_before, Then it is valid (not_before <= now)", head.key_package,
             now=NOT_BEFORE, rule=lifetime, tags=("lifetime",)),
        case("valid_one_second_before_not_after", "Given a key package valid for 84 days, When validated one "
             "second before not_after, Then it is valid (now < not_after)", head.key_package, now=NOT_AFTER - 1,
             rule=lifetime, tags=("lifetime",)),
        case("installation_added_by_later_update", "Given an inbox created with one installation and a second "
             "installation added by the inbox's next identity update, When the second installation's key package "
             "is validated with the inbox's whole log, Then it is valid", build(world.later, seed=4).key_package,
             rule="facts §2, §8: the inbox's association state holds the leaf's signature key", tags=("identity",)),
        # ---- invalid: RFC 9420 §10.1 and XMTP's suite
        case("unsupported_version", "Given a key package re-signed with version 2, When validated, Then it is "
             "refused: the version is mls10", resigned(head, version=2), intended=K.UNSUPPORTED_VERSION,
             rule="RFC 9420 §10.1 (OpenMLS valn0201)"),
        case("wrong_cipher_suite", "Given a key package re-signed for cipher suite 1 (X25519 and Ed25519 like "
             "suite 3; its capabilities list suite 1 only), When validated, Then it is refused: XMTP groups use "
             "suite 3 only", resigned(head, leaf={"capabilities": head.key_package.leaf_node.capabilities.replace(
                  cipher_suites=(1,))}, cipher_suite=1),
             intended=K.UNSUPPORTED_CIPHER_SUITE, rule="facts §1: libxmtp CIPHERSUITE = 3"),
        case("leaf_not_from_key_package", "Given a key package whose leaf says leaf_node_source = update "
             "(correctly signed), When validated, Then it is refused", leaf_from_update(head),
             intended=K.NOT_A_KEY_PACKAGE_LEAF, rule="RFC 9420 §7.3: leaf_node_source is key_package"),
        case("bad_leaf_signature", "Given a key package whose leaf signature has one bit flipped and whose "
             "key-package signature covers that leaf, When validated, Then it is refused: the LeafNodeTBS "
             "signature fails", bad_leaf_signature(head), intended=K.BAD_LEAF_SIGNATURE,
             rule="RFC 9420 §7.3 (OpenMLS valn0108)"),
        case("bad_key_package_signature", "Given a key package whose signature has one bit flipped, When "
             "validated, Then it is refused: the KeyPackageTBS signature fails",
             head.key_package.replace(signature=flipped(head.key_package.signature)), intended=K.BAD_SIGNATURE,
             rule="RFC 9420 §10.1 (OpenMLS valn0203)"),
        case("key_package_signed_by_another_key", "Given a key package signed by a key other than its leaf's "
             "signature key, When validated, Then it is refused",
             head.key_package.signed(CS, world.other_key.private_key), intended=K.BAD_SIGNATURE,
             rule="RFC 9420 §10.1 (OpenMLS valn0203)"),
        case("init_key_equals_encryption_key", "Given a key package re-signed with its init_key set to the "
             "leaf's encryption_key, When validated, Then it is refused: the two keys differ",
             resigned(head, init_key=head.key_package.leaf_node.encryption_key),
             intended=K.INIT_KEY_IS_ENCRYPTION_KEY, rule="RFC 9420 §10.1 (OpenMLS valn0204)"),
        case("key_package_extension_not_in_capabilities", "Given a key package carrying the 0xFF04 extension "
             "whose leaf capabilities do not list 0xFF04 (re-signed), When validated, Then it is refused: a "
             "non-default extension in use is listed in the capabilities",
             without_capability(build(seed=3, welcome_pointers=True), XmtpExtensionType.WELCOME_POINTEE_AEAD),
             intended=K.UNLISTED_EXTENSION, rule="RFC 9420 §10, §7.3", tags=("welcome_pointers",)),
        case("leaf_extension_not_in_capabilities", "Given a key package whose leaf carries an extension 0xFF10 "
             "that its capabilities do not list (re-signed), When validated, Then it is refused",
             resigned(head, leaf={"extensions": head.key_package.leaf_node.extensions + (Extension(0xFF10, b""),)}),
             intended=K.UNLISTED_EXTENSION, rule="RFC 9420 §7.3"),
        # ---- invalid: lifetime
        case("expired", "Given a key package valid for 84 days, When validated exactly at not_after, Then it is "
             "refused as expired", head.key_package, now=NOT_AFTER, intended=K.EXPIRED, rule=lifetime,
             tags=("lifetime",)),
        case("not_yet_valid", "Given a key package whose not_before is an hour before its creation, When "
             "validated one second before not_before, Then it is refused as not yet valid", head.key_package,
             now=NOT_BEFORE - 1, intended=K.NOT_YET_VALID, rule=lifetime, tags=("lifetime",)),
        *in_both("lifetime_range_too_long", "Given a key package re-signed with a lifetime one second longer than 84 "
                 "days + 1 hour (and valid now)",
                 resigned(head, leaf={"source": FromKeyPackage(Lifetime(NOT_BEFORE - 1, NOT_AFTER))}),
                 K.LIFETIME_TOO_LONG, "it is refused: the range is too long",
                 "it is valid: libxmtp's OpenMLS fork never checks the range",
                 "OpenMLS lifetime.rs has_acceptable_range (MAX_LEAF_NODE_LIFETIME_RANGE_SECONDS)", ("lifetime",)),
        # ---- invalid: XMTP's required capabilities
        *(case(f"missing_capability_{name}", f"Given a key package whose leaf capabilities lack {name} "
               f"({int(t):#06x}), re-signed, When validated, Then it is refused: an XMTP group requires it",
               without_capability(head, t), intended=K.MISSING_CAPABILITIES, rule=caps_rule)
          for name, t in (("immutable_metadata", XmtpExtensionType.IMMUTABLE_METADATA),
                          ("mutable_metadata", XmtpExtensionType.MUTABLE_METADATA),
                          ("group_membership", XmtpExtensionType.GROUP_MEMBERSHIP),
                          ("mutable_permissions", XmtpExtensionType.MUTABLE_PERMISSIONS))),
        # ---- invalid: the credential and its inbox
        case("credential_not_an_mls_credential", "Given a Basic credential whose identity is the text 'alice' "
             "instead of an xmtp.identity.MlsCredential protobuf (re-signed), When validated, Then it is refused",
             resigned(head, leaf={"credential": Credential.basic(b"alice")}), intended=C.MALFORMED_CREDENTIAL,
             rule="facts §2: libxmtp identity.rs parse_credential", tags=("credential",)),
        *in_both("credential_inbox_id_not_hex", "Given an MlsCredential naming 'not-an-inbox-id' (re-signed)",
                 resigned(head, leaf={"credential": Credential.basic(MlsCredential("not-an-inbox-id").encode())}),
                 C.INVALID_INBOX_ID, "it is refused: an inbox id is 64 lowercase hex",
                 "it is valid and names 'not-an-inbox-id': libxmtp only decodes it",
                 "facts §8: an inbox id is a lowercase hex SHA-256", ("credential", "strict")),
        *in_both("installation_not_in_inbox", "Given a key package of an installation the inbox never added, naming "
                 "the inbox, and the inbox's log", build(world.stranger, seed=5).key_package,
                 C.INSTALLATION_NOT_ASSOCIATED, "it is refused: the credential is not bound to its inbox",
                 "it is valid: libxmtp does not look at the inbox's log",
                 "facts §2: libxmtp verified_key_package_v2.rs, the association state holds the installation",
                 ("credential", "identity")),
        *in_both("installation_revoked", "Given a key package of an installation the inbox added and later revoked, "
                 "and the inbox's whole log", build(world.revoked, seed=6).key_package, C.INSTALLATION_NOT_ASSOCIATED,
                 "it is refused", "it is valid: libxmtp does not look at the inbox's log",
                 "XIP-46 RevokeAssociation; facts §2", ("credential", "identity")),
        *in_both("unknown_inbox", "Given a key package naming an inbox the validator has no identity updates for (it "
                 "knows only another inbox of the same wallet, which holds the same installation)", head.key_package,
                 K.UNKNOWN_INBOX, "it is refused: the inbox is unknown",
                 "it is valid and names that inbox: libxmtp does not look it up",
                 "facts §8: the credential's inbox has an association state", ("identity",),
                 known={world.other_inbox: world.other_updates}),
    ]

# ------------------------------------------------------------------ the questions and answers, typed (``family.py``)

class Inputs(Exchange):
    key_package: Hex = Field(description="an MLSMessage-less TLS KeyPackage")
    now_s: int = Field(description="the validating client's clock, in seconds")
    identity_updates: dict[str, list[Hex]] = Field(description="inbox id -> its IdentityUpdate protobufs in order")
    profile: Literal["seed", "libxmtp"] | None = Field(
        None, description="the validating client's profile where the profiles differ (absent: any)")


class Outputs(Exchange):
    inbox_id: str = Field(description="the inbox the key package belongs to")


class Reencode(Exchange):
    ask: Literal["reencode"]
    type: str
    encoded: Hex


class InboxOfUpdates(Exchange):
    ask: Literal["inbox_of_updates"]
    updates: list[Hex] = Field(description="an inbox's IdentityUpdate protobufs in order")


class InboxId(Exchange):
    inbox_id: str


EXCHANGES = {**decision_exchanges(Inputs, Outputs), "reencode": (Reencode, Encoded),
             "inbox_of_updates": (InboxOfUpdates, InboxId)}
