"""``wire/welcome_wrapping::<case>``: Welcomes wrapped, garbled or mislabelled as the case says, sent to the SDK.

A welcome_wrapping case is one wrapping of a Welcome (docs/xmtp-facts.md §7.3). Its wire form wraps a real
Welcome, for a new group that adds the SDK's installation, in the way the case names, and sends it through
``SendWelcomeMessages``; then a valid Welcome of another new group follows (the probe). After one
``clients.sync_welcomes`` the SDK must have joined exactly the groups whose Welcome is valid: the case's
group if the case is valid (at the model's epoch), and the probe's.

``wire/dm_welcomes::<case>``: the case's DM extensions with its inboxes replaced by the wire's (the adder by
a model member, the receiver by the SDK), in a Welcome of that member: the SDK joins the DM or not, then the
group of a valid Welcome that follows (libxmtp groups/mod.rs ``validate_dm_group``).

The X-Wing cases (``xwing_*``) wrap for the X-Wing key (0xFF03) of the SDK's key package, and the welcome
pointer cases are ``welcome_pointers.py``'s: both are played in the profile whose key packages offer that key
(``POINTER_PROFILE``), the only one a sender wraps with X-Wing for.

Without a wire form: UNSPECIFIED as the algorithm (the node stores it as Curve25519), a pointer message whose
wrapper algorithm is not X-Wing (the node refuses it), a valid wrapping of an empty Welcome (a join failure,
not a wrapping), a DM Welcome from the SDK's own inbox (not yet played) and DM rules for a group that is no DM
(not applied).
"""

from __future__ import annotations

import dataclasses
import re
from typing import Callable

from spec_model.mls.extensions import ExtensionType
from spec_model.mls.group_context import Extension
from spec_model.mls.reasons import Rejected
from spec_model.mls.hpke import hpke_for
from spec_model.mls.suites import HPKECiphertext
from spec_model.xmtp.api import WelcomeMetadata, WelcomeWrapperAlgorithm
from spec_model.xmtp.commit_validation import validate_dm_welcome
from spec_model.xmtp.extensions import GroupMembership, XmtpExtensionType, membership_extension
from spec_model.xmtp.key_package import GROUP_REQUIRED_CAPABILITIES, KeyPackage
from spec_model.xmtp.welcome_wrap import _INFO, _suite, wrap_welcome

from ..malformed import flip
from ..vectors.formats import DecisionCase, Verdict
from .welcome_pointers import OTHER_XWING_KEY, POINTER_PROFILE, POINTER_SENDS, Sends
from .world import PROFILES, GroupSpec, HarnessFault, WireFailure, World, Wrapped, group_spec, wrap, xwing_key

__all__ = ["derive", "derive_dm"]



def _sealed(key_package: KeyPackage, welcome: bytes, metadata: bytes, *, metadata_first: bool = False,
            public_key: bytes | None = None) -> Wrapped:
    """An X25519 wrapping (docs/xmtp-facts.md §7.3) with chosen metadata bytes, order and recipient key."""
    hpke, _ = _suite(WelcomeWrapperAlgorithm.CURVE25519)
    kem_output, context = hpke.setup_base_s(public_key or key_package.init_key, _INFO)
    if metadata_first:
        sealed_metadata = context.seal(b"", metadata)
        sealed_welcome = context.seal(b"", welcome)
    else:
        sealed_welcome = context.seal(b"", welcome)
        sealed_metadata = context.seal(b"", metadata)
    return Wrapped(HPKECiphertext(kem_output, sealed_welcome).encode(), sealed_metadata,
                   WelcomeWrapperAlgorithm.CURVE25519, key_package.init_key)


def _x25519(key_package: KeyPackage, welcome: bytes, cursor: int) -> Wrapped:
    """The Welcome wrapped with X25519 for the key package's init key, as these cases are (docs/xmtp-facts.md
    §7.3; a key package offering an X-Wing key, 0xFF03, may also be wrapped for that one)."""
    return _sealed(key_package, welcome, WelcomeMetadata(cursor).encode())


_XWING = WelcomeWrapperAlgorithm.XWING_MLKEM_768_DRAFT_6


def _xwing(key_package: KeyPackage, welcome: bytes, cursor: int, *, sealed_for: bytes | None = None) -> Wrapped:
    """The Welcome wrapped with X-Wing for the key package's 0xFF03 key (libxmtp
    mls_ext_wrapper_encryption.rs@b649d1a; docs/xmtp-facts.md §7.3), or sealed for ``sealed_for`` while naming it."""
    public_key = xwing_key(key_package)
    data, metadata = wrap_welcome(sealed_for or public_key, welcome, cursor, _XWING)
    return Wrapped(data, metadata, _XWING, public_key)


Wrapping = Callable[[KeyPackage, bytes, int], Wrapped]


def _with(base: Wrapping, **changes) -> Wrapping:
    return lambda kp, welcome, cursor: dataclasses.replace(base(kp, welcome, cursor), **changes)


def _data(base: Wrapping, change: Callable[[bytes], bytes]) -> Wrapping:
    def wrapped(kp, welcome, cursor):
        w = base(kp, welcome, cursor)
        return dataclasses.replace(w, data=change(w.data))
    return wrapped


def _kem_output(change: Callable[[bytes], bytes]) -> Callable[[bytes], bytes]:
    """``data`` with its HPKECiphertext's kem_output changed."""
    def changed(data: bytes) -> bytes:
        outer = HPKECiphertext.decode(data)
        return HPKECiphertext(change(outer.kem_output), outer.ciphertext).encode()
    return changed


def _other_key(kp, welcome, cursor):
    other = _suite(WelcomeWrapperAlgorithm.CURVE25519)[0].kem.derive_key_pair(b"\x07" * 32)[1]
    return _sealed(kp, welcome, WelcomeMetadata(cursor).encode(), public_key=other)


def _xwing_other_key(kp, welcome, cursor):
    return _xwing(kp, welcome, cursor, sealed_for=OTHER_XWING_KEY)


def _xwing_kem_0x647a(kp, welcome, cursor):
    """An X-Wing wrapping whose HPKE suite_id names KEM 0x647A, the codepoint draft-06 requests, not libxmtp's 0x004D."""
    public_key = xwing_key(kp)
    kem_output, context = hpke_for(0x647A, 0x0001, 0x0003).setup_base_s(public_key, _INFO)
    return Wrapped(HPKECiphertext(kem_output, context.seal(b"", welcome)).encode(),
                   context.seal(b"", WelcomeMetadata(cursor).encode()), _XWING, public_key)


def _metadata(change: Callable[[Wrapped, Wrapped], bytes], base: Wrapping = _x25519) -> Wrapping:
    """A wrapping whose metadata is ``change(it, another wrapping of the same Welcome)``."""
    def wrapped(kp, welcome, cursor):
        w = base(kp, welcome, cursor)
        return dataclasses.replace(w, metadata=change(w, base(kp, welcome, cursor)))
    return wrapped


_WRAPPINGS: dict[str, Wrapping] = {
    "wrapped_welcome": _x25519,
    "cursor_zero": lambda kp, welcome, cursor: _x25519(kp, welcome, 0),
    "empty_metadata_not_opened": _with(_x25519, metadata=b""),
    "wrong_private_key_refused": _other_key,
    "tampered_ciphertext_refused": _data(_x25519, lambda d: flip(d, len(d) - 1)),
    "tampered_kem_output_refused": _data(_x25519, _kem_output(lambda k: flip(k, 3))),
    "tampered_metadata_refused": _metadata(lambda own, other: flip(own.metadata, 0)),
    "metadata_from_another_wrap_refused": _metadata(lambda own, other: other.metadata),
    "metadata_sealed_first_refused": lambda kp, w, c: _sealed(kp, w, WelcomeMetadata(c).encode(), metadata_first=True),
    "truncated_data_refused": _data(_x25519, lambda d: d[:20]),
    "trailing_bytes_in_data_refused": _data(_x25519, lambda d: d + b"\x00"),
    "metadata_not_protobuf_refused": lambda kp, w, c: _sealed(kp, w, b"\xff\xff\xff"),
    "metadata_not_protobuf_ignored_by_libxmtp": lambda kp, w, c: _sealed(kp, w, b"\xff\xff\xff"),
    "xwing_algorithm_refused": _with(_x25519, algorithm=_XWING),
    "symmetric_key_algorithm_refused": _with(_x25519, algorithm=WelcomeWrapperAlgorithm.SYMMETRIC_KEY),
}

_XWING_WRAPPINGS: dict[str, Wrapping] = {
    "xwing_wrapped_welcome": _xwing,
    "xwing_empty_metadata_not_opened": _with(_xwing, metadata=b""),
    "xwing_wrong_private_key_refused": _xwing_other_key,
    "xwing_tampered_mlkem_ciphertext_refused": _data(_xwing, _kem_output(lambda k: flip(k, 1))),
    "xwing_tampered_x25519_ciphertext_refused": _data(_xwing, _kem_output(lambda k: flip(k, 1088))),  # ct_X at 1088
    "xwing_tampered_metadata_refused": _metadata(lambda own, other: flip(own.metadata, 0), _xwing),
    "xwing_truncated_kem_output_refused": _data(_xwing, _kem_output(lambda k: k[:-1])),
    "xwing_wrapping_read_as_curve25519_refused": _with(_xwing, algorithm=WelcomeWrapperAlgorithm.CURVE25519),
    "xwing_codepoint_0x647a_refused": _xwing_kem_0x647a,
}
"""The X-Wing cases: their wrappings for the SDK's X-Wing key, played in ``POINTER_PROFILE``."""


def _sent(wrapping: Wrapping) -> Sends:
    return lambda kp, welcome, cursor: (wrapping(kp, welcome, cursor).message(kp),)


@dataclasses.dataclass(frozen=True)
class WelcomeWire:
    """The SDK gets the welcome messages ``sends`` makes of a Welcome, then a valid one; it joins ``joins`` and
    the probe's group."""

    spec: GroupSpec
    case_id: str
    sends: Sends
    joins: bool
    own_profile: bool = False  # X-Wing and pointers: judged in POINTER_PROFILE only

    def play(self, world: World) -> None:
        spec = dataclasses.replace(self.spec, profile=self.spec.profile or world.profile)
        group, welcome, cursor, key_package = world.build(spec)
        world.send_welcome_messages(self.sends(key_package, welcome, cursor))
        probe, probe_welcome, probe_cursor, probe_key_package = world.build(spec)
        world.send_welcome(probe_key_package, wrap(probe_key_package, probe_welcome, probe_cursor))
        with world.sdk_phase(self.case_id):
            joined = world.session.ask("clients.sync_welcomes", client=world.sdk_client(spec.profile))["group_ids"]
        expected = sorted([group.group_id.hex()] * self.joins + [probe.group_id.hex()])
        if sorted(joined) != expected:
            should = "both groups" if self.joins else "only the group of the valid Welcome that follows"
            raise WireFailure(f"{self.case_id}: the SDK should join {should}; it joined {len(joined)}",
                              expected=expected, actual=sorted(joined))
        if self.joins:
            with world.sdk_phase(self.case_id):
                epoch = group.observe()["epoch"]
            if epoch != group.epoch_group.epoch:
                raise WireFailure(f"{self.case_id}: the SDK joined at epoch {epoch}, not {group.epoch_group.epoch}",
                                  expected=group.epoch_group.epoch, actual=epoch)



def derive(case: DecisionCase) -> WelcomeWire | str:
    """The wire form of a welcome_wrapping case, or why it has none."""
    name = case.id.split("::")[1]
    joins = case.expected.result == Verdict.VALID
    sends = POINTER_SENDS.get(name) or (_sent(_XWING_WRAPPINGS[name]) if name in _XWING_WRAPPINGS else None)
    if sends is not None:
        return WelcomeWire(group_spec("welcomes", profile=POINTER_PROFILE), case.id, sends, joins, own_profile=True)
    if name == "pointer_wrapper_curve25519_refused":
        return "the node refuses a pointer message whose wrapper algorithm is not X-Wing (node-go service.go " \
               "validateSendWelcomeMessagesRequest): no SDK receives one"
    if name == "unspecified_algorithm_refused":
        return "the node stores an unset wrapper algorithm as Curve25519 (node-go WrapperAlgorithmFromProto): no " \
               "SDK receives UNSPECIFIED"
    if name not in _WRAPPINGS:
        return "an empty Welcome inside a valid wrapping: a join failure, not a wrapping"
    return WelcomeWire(group_spec("welcomes", profile=case.inputs.get("profile")), case.id, _sent(_WRAPPINGS[name]),
                       joins)


def _spec() -> GroupSpec:
    return group_spec("welcomes")


# ------------------------------------------------------------------ dm_welcomes

_INBOX = re.compile(rb"[0-9a-f]{64}")


@dataclasses.dataclass(frozen=True)
class DmWelcomeWire:
    """The case's DM extensions, its inboxes replaced by the wire's (the adder by the model's creator, the receiver
    by the SDK, any other by an outsider): the SDK joins the DM or not, then joins a valid group after it."""

    case_id: str
    profile: str
    inputs: dict
    joins: bool

    @property
    def spec(self) -> GroupSpec:
        return dataclasses.replace(_spec(), profile=self.profile)

    def _extensions(self, world: World, creator: str, sdk: str) -> tuple[Extension, ...]:
        names = {self.inputs["adder_inbox_id"]: creator, self.inputs["own_inbox_id"]: sdk}
        data = {k: bytes.fromhex(self.inputs[k]) for k in ("immutable_metadata", "mutable_metadata", "permissions")}
        for found in sorted({m for value in data.values() for m in _INBOX.findall(value)}):
            names.setdefault(found.decode(), world.user(f"outsider{len(names) % 5}").inbox_id)
        replaced = {k: _replace_all(v, names) for k, v in data.items()}
        extensions = (Extension(XmtpExtensionType.IMMUTABLE_METADATA, replaced["immutable_metadata"]),
                      Extension(XmtpExtensionType.MUTABLE_METADATA, replaced["mutable_metadata"]),
                      membership_extension(GroupMembership(members={creator: 0})),
                      Extension(XmtpExtensionType.MUTABLE_PERMISSIONS, replaced["permissions"]),
                      Extension(ExtensionType.required_capabilities, GROUP_REQUIRED_CAPABILITIES.encode()))
        try:
            validate_dm_welcome(extensions, sdk, creator, PROFILES[self.profile])
            judged = True
        except Rejected:
            judged = False
        if judged != self.joins:
            raise HarnessFault(f"{self.case_id}: with the wire's inboxes the model judges the DM otherwise")
        return extensions

    def play(self, world: World) -> None:
        group_id, welcome, cursor, key_package = world.build_raw(
            self.profile, lambda creator, sdk: self._extensions(world, creator, sdk))
        world.send_welcome(key_package, wrap(key_package, welcome, cursor))
        probe, probe_welcome, probe_cursor, probe_key_package = world.build(self.spec)
        world.send_welcome(probe_key_package, wrap(probe_key_package, probe_welcome, probe_cursor))
        with world.sdk_phase(self.case_id):
            joined = world.session.ask("clients.sync_welcomes", client=world.sdk_client(self.profile))["group_ids"]
        expected = sorted([group_id.hex()] * self.joins + [probe.group_id.hex()])
        if sorted(joined) != expected:
            should = "join the DM and the group after it" if self.joins else "join only the group after the DM"
            raise WireFailure(f"{self.case_id}: the SDK should {should}; it joined {len(joined)}",
                              expected=expected, actual=sorted(joined))


def _replace_all(data: bytes, names: dict[str, str]) -> bytes:
    for old, new in names.items():
        data = data.replace(old.encode(), new.encode())
    return data


def derive_dm(case: DecisionCase) -> DmWelcomeWire | str:
    """The wire form of a dm_welcomes case, or why it has none."""
    inputs = case.inputs
    if inputs["adder_inbox_id"] == inputs["own_inbox_id"]:
        return "a Welcome from another installation of the SDK's own inbox: not yet played on the wire"
    if case.id.endswith("/not_a_dm"):
        return "a Welcome whose metadata is not a DM's is a group's on the wire: the DM rules do not apply"
    return DmWelcomeWire(case.id, inputs["profile"], inputs, case.expected.result == Verdict.VALID)
