"""Deliberately broken variants of the reference adapter: proof that the suite catches real bugs.

Each ``Mutant`` breaks one rule of the model by replacing one function (or constant) in the
``reference-subprocess`` adapter's process (``python -m conformance.adapter.serve --mutant NAME``);
the harness's own model is never touched. ``xmtp-conformance mutants`` runs the suite against each,
stopping at the first failure, and prints which check caught it under which rule. A mutant the
suite does not catch is a hole in the suite.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import hashlib
import importlib
import re
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, TextIO

from spec_model.mls.reasons import Rejected
from spec_model.xmtp.consent import ConsentState
from spec_model.mls.hpke import hpke_for
from spec_model.xmtp.key_package import KeyPackageReason
from spec_model.xmtp.welcome_pointer import WelcomePointerReason

__all__ = ["Mutant", "MUTANTS", "run_mutants", "catch"]

_CHACHA20_POLY1305 = hpke_for(0x0020, 0x0001, 0x0003).aead  # a welcome pointee's AEAD (RFC 8439)


@dataclasses.dataclass(frozen=True)
class Mutant:
    name: str
    area: str
    """The area (``runner/areas.py``) whose checks catch it: ``catch`` runs them first."""
    description: str
    patch: Callable[[], None]
    checks: tuple[str, ...] = ()
    """Run only the checks matching these globs (none: the whole suite). The wire mutants break a client's
    own processing only, which nothing but the clients' checks can see; they run against the wire checks. A rule
    no vector file exercises (the out-of-order window) runs against the groups shared with the model."""

    def apply(self) -> None:
        self.patch()


def _replace(targets: list[str], make: Callable[[Any], Any]) -> Callable[[], None]:
    """A patch setting each ``module:attribute`` of ``targets`` to ``make(original)`` (the first target's
    original), so that names imported into other modules are replaced too."""
    def patch() -> None:
        module, _, name = targets[0].partition(":")
        original = getattr(importlib.import_module(module), name)
        replacement = make(original)
        for target in targets:
            module, _, name = target.partition(":")
            setattr(importlib.import_module(module), name, replacement)
    return patch


def _method(target: str, make: Callable[[Any], Any]) -> Callable[[], None]:
    """A patch replacing ``module:Class.method`` with ``make(original)``."""
    def patch() -> None:
        module, _, path = target.partition(":")
        cls_name, _, method = path.partition(".")
        cls = getattr(importlib.import_module(module), cls_name)
        setattr(cls, method, make(getattr(cls, method)))
    return patch


def _to(replacement: Any) -> Callable[[Any], Any]:
    """A ``make`` ignoring the original: the target becomes ``replacement``."""
    return lambda original: replacement


def _allow(*args, **kwargs) -> None:
    return None


def _ignoring(reason: str) -> Callable[[Any], Any]:
    """A ``make``: the original check, with its refusals for ``reason`` swallowed."""
    def make(original):
        def tolerant(*args, **kwargs):
            try:
                return original(*args, **kwargs)
            except Rejected as e:
                if e.reason != reason:
                    raise
        return tolerant
    return make


# ------------------------------------------------------------------ the bugs, where a lambda would be too long

def _in_receive(replacements: dict[str, Callable[[Any], Any]]) -> Callable[[], None]:
    """A patch breaking only what a client does with a commit it receives (``receive.py``): while its commit
    validation runs, each ``module:name`` of ``replacements`` is ``make(original)``; the vector answers, which
    call the same rules directly, are untouched."""
    def patch() -> None:
        receive = importlib.import_module("spec_model.xmtp.receive")
        original_validate = receive.validate_commit
        targets = []
        for target, make in replacements.items():
            module, _, name = target.partition(":")
            module = importlib.import_module(module)
            targets.append((module, name, getattr(module, name), make(getattr(module, name))))

        def validate_commit(*args, **kwargs):
            for module, name, _, replacement in targets:
                setattr(module, name, replacement)
            try:
                return original_validate(*args, **kwargs)
            finally:
                for module, name, original, _ in targets:
                    setattr(module, name, original)
        receive.validate_commit = validate_commit
    return patch


def _promoted(condition: Callable[[Any], bool]) -> Callable[[Any], Any]:
    """A ``make`` for a rule whose first ``Actor`` argument is the actor: one meeting ``condition`` counts as a
    super admin."""
    def make(original):
        def promoted(*args, **kwargs):
            args = list(args)
            i = next(i for i, value in enumerate(args) if hasattr(value, "is_super_admin"))  # the actor
            if condition(args[i]):
                args[i] = dataclasses.replace(args[i], is_super_admin=True)
            return original(*args, **kwargs)
        return promoted
    return make


def _proposers_ignored(original):
    """``_check_policies`` that checks every change against the committer, never a proposal's sender (libxmtp
    before extract_expected_diff_with_proposers)."""
    def _check_policies(staged, *args, **kwargs):
        staged = dataclasses.replace(staged, proposals=tuple(dataclasses.replace(p, sender=None)
                                                             for p in staged.proposals))
        return original(staged, *args, **kwargs)
    return _check_policies


def _any_as_all(original):
    """``allows`` evaluating an any-of composition like an all-of."""
    from spec_model.xmtp.permissions import AllOf, AnyOf

    def allows(policy, actor, profile=None):
        if isinstance(policy, AnyOf):
            policy = AllOf(policy.policies)
        return original(policy, actor, *([profile] if profile is not None else []))
    return allows


def _libxmtp_permissions_rule(original):
    """``check`` that follows libxmtp for update_permissions in every profile: the seed's policy is ignored."""
    from spec_model.xmtp.profiles import LIBXMTP

    def check(policies, permission, actor, **options):
        if permission == "update_permissions_policy":
            options["profile"] = LIBXMTP
        return original(policies, permission, actor, **options)
    return check


def _stops_on_refusal(original):
    """``receive._validator`` whose refusal breaks the sync instead of skipping the commit: the group is stuck."""
    def _validator(ctx, results):
        policy = original(ctx, results)

        def stuck(staged):
            try:
                policy(staged)
            except Rejected as e:
                raise RuntimeError(f"cannot go on after a refused commit: {e}") from None
        return stuck
    return _validator


def _metadata_failures_ignored(original):
    """``unwrap_welcome`` that reads a Welcome whose metadata does not open as if it had none (cursor 0)."""
    def unwrap_welcome(private_key, data, welcome_metadata, algorithm=1, *profile):
        try:
            return original(private_key, data, welcome_metadata, algorithm, *profile)
        except Rejected:
            return original(private_key, data, b"", algorithm, *profile)
    return unwrap_welcome


def _any_algorithm_as_x25519(original):
    """``unwrap_welcome`` that opens every Welcome with X25519, whatever algorithm it is labelled with."""
    return lambda private_key, data, welcome_metadata, algorithm=1, *profile: original(
        private_key, data, welcome_metadata, 1, *profile)


def _pointee_metadata_failures_ignored(original):
    """``open_pointee`` that joins from a pointee whose metadata opens to no WelcomeMetadata, at cursor 0, as
    libxmtp does for a wrapped Welcome's metadata (but not for a pointee's)."""
    def open_pointee(pointer, pointee):
        try:
            return original(pointer, pointee)
        except Rejected as e:
            if e.reason is not WelcomePointerReason.MALFORMED_METADATA:
                raise
            empty = _CHACHA20_POLY1305.seal(pointer.encryption_key, pointer.welcome_metadata_nonce, b"", b"")
            return original(pointer, dataclasses.replace(pointee, v1=dataclasses.replace(pointee.v1,
                                                                                         welcome_metadata=empty)))
    return open_pointee


def _no_pointers(original):
    """``open_pointer`` of a client without XIP-74: it reads no welcome pointer."""
    def open_pointer(private_key, message):
        raise Rejected(WelcomePointerReason.UNSUPPORTED_WRAPPER_ALGORITHM, "this client reads no welcome pointer")
    return open_pointer


def _expired_taken(original):
    """``validate_xmtp_key_package`` that takes an expired key package as if it were still valid."""
    def validate_xmtp_key_package(key_package, now_s, lookup):
        try:
            return original(key_package, now_s, lookup)
        except Rejected as e:
            if e.reason is not KeyPackageReason.EXPIRED:
                raise
            return original(key_package, key_package.leaf_node.source.lifetime.not_after - 1, lookup)
    return validate_xmtp_key_package


def _ratchet_step_of_next_generation(self) -> None:
    """``SenderRatchet._skip`` deriving ratchet_secret_[j+1] with generation j+1 in its context, not j."""
    j = self._generation
    self._secret = self._cs.derive_tree_secret(self._secret, b"secret", j + 1, self._cs.Nh)
    self._generation = j + 1


def _reuse_guard_at_the_end(nonce: bytes, reuse_guard: bytes) -> bytes:
    """``framing._guarded`` XORing the reuse guard into the last four bytes of the nonce, not the first."""
    return nonce[:-4] + bytes(a ^ b for a, b in zip(nonce[-4:], reuse_guard))


def _relabelled(field: str, label: bytes) -> Callable[[Any], Any]:
    """A ``make`` for the key schedule's (field, label) table: ``field`` derived with ``label``."""
    return lambda original: tuple((name, label if name == field else old) for name, old in original)


def _unframed_interim_hash(cs, confirmed: bytes, confirmation_tag: bytes) -> bytes:
    """``interim_transcript_hash`` over the bare tag instead of InterimTranscriptHashInput (an opaque<V>)."""
    return cs.hash(confirmed + confirmation_tag)


def _stays_active_when_removed(original):
    """``Group._process_commit`` that leaves the group active after a commit removing this member."""
    def _process_commit(self, *args, **kwargs):
        processed = original(self, *args, **kwargs)
        if processed.removed_self:
            self.active = True
        return processed
    return _process_commit


def _one_installation_more(original):
    """``identity._apply_action`` whose installation limit is checked before the add: an 11th gets in."""
    def _apply_action(state, body, signatures, timestamp_ns, max_installations):
        limit = None if max_installations is None else max_installations + 1
        return original(state, body, signatures, timestamp_ns, limit)
    return _apply_action


def _admins_remove_super_admins(original):
    """``check_remove_member`` whose super-admin protection does not hold against admins."""
    def check_remove_member(policies, actor, removed, **options):
        if actor.is_admin:
            removed = dataclasses.replace(removed, is_super_admin=False)
        return original(policies, actor, removed, **options)
    return check_remove_member


def _admins_update_permissions(original):
    """``check`` that accepts an admin where changing permissions needs a super admin."""
    def check(policies, permission, actor, **options):
        if permission == "update_permissions_policy" and actor.is_admin:
            actor = dataclasses.replace(actor, is_super_admin=True)
        return original(policies, permission, actor, **options)
    return check


def _dm_members_may_add(original):
    """The permission table with a DM preset whose add_member_policy is Allow."""
    from spec_model.xmtp.permissions import Option, Permission, Preset
    add = original[Permission.ADD_MEMBER]
    return {**original, Permission.ADD_MEMBER: dataclasses.replace(add, presets={**add.presets, Preset.DM: Option.ALLOW})}


def _counting_characters(original):
    """``check_attribute`` measuring a value in characters rather than UTF-8 bytes."""
    return lambda key, value: original(key, "x" * len(value))  # a stand-in with one byte per character


def _welcome_info_without_prefix(original) -> bytes:
    """The welcome-wrapping HPKE info with libxmtp's bare label, without OpenMLS's "MLS 1.0 " prefix."""
    from spec_model.mls.codec import opaque
    from spec_model.xmtp.welcome_wrap import WELCOME_LABEL
    return opaque(WELCOME_LABEL.removeprefix(b"MLS 1.0 ")) + opaque(b"")


def _big_endian_counter(base: bytes, index: int) -> bytes:
    """``history_archive._nonce`` counting in big-endian (as TLS and HPKE sequence numbers do), not little-endian."""
    return ((int.from_bytes(base, "big") + index) % (1 << 96)).to_bytes(len(base), "big")


_MUTANTS = [
    # ---- MLS (RFC 9420)
    Mutant("tree_hash_node_index", "rfc9420/tree-validation",
           "hashes a leaf with its node index 2i instead of its leaf index i (RFC 9420 §7.8 LeafNodeHashInput)",
           _replace(["spec_model.mls.ratchet_tree:LeafNodeHashInput"],
                    lambda original: lambda leaf_index, leaf_node: original(2 * leaf_index, leaf_node))),
    Mutant("remove_without_truncation", "rfc9420/tree-operations",
           "never truncates the tree after a Remove blanks its right half (RFC 9420 §12.1.3)",
           _method("spec_model.mls.ratchet_tree:RatchetTree._is_blank_right_half", _to(lambda self: False))),
    Mutant("encrypt_with_label_unprefixed", "rfc9420/crypto-basics",
           'EncryptWithLabel puts the bare label in EncryptContext, without "MLS 1.0 " (RFC 9420 §5.1.3)',
           _replace(["spec_model.mls.suites:_EncryptContext"], lambda original: lambda label, context: original(
               label.removeprefix(b"MLS 1.0 "), context))),
    Mutant("ratchet_generation_off_by_one", "rfc9420/secret-tree",
           "ratchet_secret_[j+1] derived with generation j+1 instead of j (RFC 9420 §9.1 DeriveTreeSecret)",
           _method("spec_model.mls.secret_tree:SenderRatchet._skip", _to(_ratchet_step_of_next_generation))),
    Mutant("out_of_order_window_off_by_one", "interop",
           "a receiver keeps keys for 4 earlier generations, not out_of_order_tolerance = 5 (libxmtp/OpenMLS "
           "SenderRatchetConfiguration; RFC 9420 §9.2)",
           _method("spec_model.mls.secret_tree:SenderRatchet._window_start",
                   lambda original: lambda self: original(self) + 1), checks=("interop/*",)),
    Mutant("reuse_guard_last_bytes", "rfc9420/message-protection",
           "the reuse guard is XORed into the last four bytes of the nonce, not the first (RFC 9420 §6.3.1)",
           _replace(["spec_model.mls.framing:_guarded"], _to(_reuse_guard_at_the_end))),
    Mutant("authenticator_label_typo", "rfc9420/key-schedule",
           'epoch_authenticator = DeriveSecret(epoch_secret, "authenticator"), not "authentication" (RFC 9420 §8)',
           _replace(["spec_model.mls.key_schedule:_EPOCH_DERIVED"],
                    _relabelled("epoch_authenticator", b"authenticator"))),
    Mutant("interim_hash_bare_tag", "rfc9420/transcript-hashes",
           "the interim transcript hash covers the bare confirmation tag, not InterimTranscriptHashInput "
           "(RFC 9420 §8.2)",
           _replace(["spec_model.mls.transcript:interim_transcript_hash",
                     "spec_model.mls.group:interim_transcript_hash"], _to(_unframed_interim_hash))),
    Mutant("welcome_secret_without_psk", "rfc9420/passive-client-welcome",
           "a joiner derives welcome_secret without the Welcome's PSKs (RFC 9420 §8, §12.4.3.1)",
           _replace(["spec_model.mls.key_schedule:welcome_secret", "spec_model.mls.group:welcome_secret"],
                    lambda original: lambda cs, joiner_secret, psk_secret: original(cs, joiner_secret, None))),
    Mutant("forgets_past_epochs", "interop",
           "keeps no past epochs: late messages of the previous epochs cannot be read (libxmtp MAX_PAST_EPOCHS 3)",
           _method("spec_model.mls.group:Group.__init__", lambda original: lambda self, cs, own_leaf, signature_priv,
                   state, config, psks: original(self, cs, own_leaf, signature_priv, state,
                                                 dataclasses.replace(config, max_past_epochs=0), psks))),
    Mutant("proposal_ref_as_key_package_ref", "rfc9420/passive-client-handling-commit",
           'proposal references hashed with the "MLS 1.0 KeyPackage Reference" label (RFC 9420 §5.2)',
           _method("spec_model.mls.suites:CipherSuite.make_proposal_ref",
                   _to(lambda self, content: self.make_key_package_ref(content)))),
    Mutant("removed_member_stays_active", "interop",
           "a member removed by a commit stays active and keeps processing the group (RFC 9420 §12.4.2)",
           _method("spec_model.mls.group:Group._process_commit", _stays_active_when_removed)),
    # ---- XMTP identity, credentials and key packages
    Mutant("inbox_id_hex_nonce", "xmtp/inbox_id",
           "the inbox id hashes the nonce in hex instead of decimal (XIP-46 Inbox IDs, facts §8)",
           _replace(["spec_model.xmtp.identity:inbox_id"],
                    lambda original: lambda identifier, nonce: original(identifier, f"{nonce:x}"))),
    Mutant("signature_text_utc_offset", "xmtp/identity_signature_text",
           'the signature text writes "Current time" with "+00:00" instead of "Z" (libxmtp unsigned_actions.rs)',
           _replace(["spec_model.xmtp.identity:_pretty_timestamp"],
                    lambda original: lambda timestamp_ns: original(timestamp_ns).replace("Z", "+00:00"))),
    Mutant("eleven_installations", "xmtp/identity_updates",
           "an inbox accepts an 11th installation (libxmtp MAX_INSTALLATIONS_PER_INBOX 10)",
           _replace(["spec_model.xmtp.identity:_apply_action"], _one_installation_more)),
    Mutant("replayed_identity_update", "xmtp/identity_updates",
           'signatures of earlier updates may be used again (XIP-46 "seen_signatures")',
           _replace(["spec_model.xmtp.identity:_check_replay"], _to(_allow))),
    Mutant("ed25519ph_public_context", "xmtp/identity_updates",
           'installation keys sign identity updates under "PUBLIC SIGNATURE CONTEXT", not "IDENTITY UPDATE '
           'SIGNATURE" (libxmtp xmtp_id constants.rs, facts §2)',
           _replace(["spec_model.xmtp.ed25519ph:IDENTITY_UPDATE_CONTEXT"], _to(b"PUBLIC SIGNATURE CONTEXT"))),
    Mutant("inbox_id_case_insensitive", "xmtp/credentials",
           "an MlsCredential naming an uppercase inbox id is accepted (facts §2: 64 lowercase hex)",
           _replace(["spec_model.xmtp.credential:_INBOX_ID"],
                    lambda original: re.compile(original.pattern, re.IGNORECASE))),
    Mutant("key_package_not_rotated", "xmtp/scenarios",
           'the key package a Welcome used is never replaced (seed: "XMTP will rotate the key package when a new '
           'welcome message is received"; libxmtp queue_key_package_rotation)',
           _method("spec_model.xmtp.context:ClientContext.rotate_key_package", _to(_allow))),
    Mutant("welcomed_groups_allowed", "xmtp/scenarios",
           "every group joined from a Welcome is Allowed, not only those we created (facts §10 consent on welcome)",
           _replace(["spec_model.xmtp.consent:on_welcome", "spec_model.xmtp.conversations:on_welcome"],
                    _to(lambda created_by_us: ConsentState.ALLOWED))),
    Mutant("accepts_expired_key_package", "xmtp/key_packages",
           "key packages past not_after are accepted (OpenMLS lifetime.rs, libxmtp verified_key_package_v2.rs)",
           _replace(["spec_model.xmtp.key_package:_check_lifetime"], _ignoring("key_package.expired"))),
    # ---- XMTP groups
    Mutant("skip_remove_member_policy", "xmtp/permissions",
           "never checks remove_member_policy (XIP-47): anyone removes members",
           _replace(["spec_model.xmtp.permissions:check_remove_member",
                     "spec_model.xmtp.commit_validation:check_remove_member"], _to(_allow))),
    Mutant("admin_removes_super_admin", "xmtp/permissions",
           'admins may remove super admins (XIP-47 "Admins can not remove super admins from a group")',
           _replace(["spec_model.xmtp.permissions:check_remove_member",
                     "spec_model.xmtp.commit_validation:check_remove_member"], _admins_remove_super_admins)),
    Mutant("admins_update_permissions", "xmtp/permissions",
           'admins may change the permission policies (XIP-47 Threat Model: "only super admins")',
           _replace(["spec_model.xmtp.permissions:check", "spec_model.xmtp.commit_validation:check"],
                    _admins_update_permissions)),
    Mutant("dm_preset_allows_adding", "xmtp/permissions",
           "the DM preset's add_member_policy is Allow, not Deny (libxmtp PolicySet::new_dm, facts §4.3)",
           _replace(["spec_model.xmtp.permissions:PERMISSIONS"], _dm_members_may_add)),
    Mutant("skips_metadata_limits", "xmtp/commit_validation",
           "commit validation skips step 3: metadata values over their byte limit are accepted (facts §4.4)",
           _replace(["spec_model.xmtp.commit_validation:check_attribute"], _to(_allow))),
    Mutant("skips_credential_inbox_check", "xmtp/commit_validation",
           "commit validation step 11 does not compare a leaf's credential with the inbox the identity log "
           "expects (facts §4.4)",
           _replace(["spec_model.xmtp.commit_validation:_check_credential"],
                    lambda original: lambda leaf, expected_inbox, *rest: original(leaf, None, *rest))),
    Mutant("metadata_limit_in_characters", "xmtp/metadata_limits",
           "metadata limits count characters instead of UTF-8 bytes (libxmtp common/mls.rs, facts §4.4 step 3)",
           _replace(["spec_model.xmtp.extensions:check_attribute",
                     "spec_model.xmtp.commit_validation:check_attribute"], _counting_characters)),
    Mutant("message_id_separator", "xmtp/messages",
           "message ids joined with ',' instead of the tab separator (libxmtp calculate_message_id)",
           _replace(["spec_model.xmtp.content:message_id"], _to(lambda group_id, key, content: (
               hashlib.sha256(group_id + b"," + key.encode() + b"," + content).digest())))),
    Mutant("transcript_without_metadata", "xmtp/scenarios",
           "GroupUpdated transcripts leave out metadata_field_changes (facts §6, transcript_messages.proto)",
           _method("spec_model.xmtp.commit_validation:ValidatedCommit.group_updated", lambda original: lambda self: (
               dataclasses.replace(original(self), metadata_field_changes=())))),
    Mutant("never_marks_failed", "xmtp/delivery_status",
           "a failed publish is retried forever: MAX_INTENT_PUBLISH_ATTEMPTS never reached (facts §5)",
           _replace(["spec_model.xmtp.delivery:after_failed_attempt"], _to(lambda attempts: (attempts + 1, False)))),
    Mutant("build_failures_not_counted", "xmtp/delivery_status",
           "only failed sends count toward MAX_INTENT_PUBLISH_ATTEMPTS, failed builds do not (facts §5)",
           _replace(["spec_model.xmtp.delivery:_FINAL"],
                    lambda original: {event: final for event, final in original.items() if event != "build_failed"})),
    Mutant("welcome_wrap_unprefixed_label", "xmtp/welcome_wrapping",
           'welcomes are wrapped with HPKE info "MLS_WELCOME", without OpenMLS\'s "MLS 1.0 " prefix (facts §7.3)',
           _replace(["spec_model.xmtp.welcome_wrap:_INFO"], _welcome_info_without_prefix)),
    Mutant("archive_nonce_big_endian", "xmtp/history_archives",
           "history archive record nonces count up in big-endian instead of little-endian (facts §9)",
           _replace(["spec_model.xmtp.history_archive:_nonce"], _to(_big_endian_counter))),
    # ---- a client's own processing of what it receives (only the wire checks see it)
    *[Mutant(name, f"wire/{family}", description, patch, checks=("wire/*",))
      for name, family, description, patch in [
        ("client_skips_permission_checks", "permissions",
         "a client applies received commits without checking their permissions (facts §4.4 step 12)",
         _in_receive({"spec_model.xmtp.commit_validation:_check_policies": _to(_allow)})),
        ("client_skips_metadata_limits", "metadata_limits",
         "a client applies received metadata values over their byte limits (facts §4.4 step 3)",
         _in_receive({"spec_model.xmtp.commit_validation:check_attribute": _to(_allow)})),
        ("client_skips_credential_checks", "commit_validation",
         "a client does not check that received leaves belong to their inbox (facts §4.4 step 11)",
         _in_receive({"spec_model.xmtp.commit_validation:_check_credential": _to(_allow)})),
        ("client_admins_are_super_admins", "permissions",
         "a client treats admins as super admins in received commits (XIP-47)",
         _in_receive({"spec_model.xmtp.commit_validation:check": _promoted(lambda a: a.is_admin),
                      "spec_model.xmtp.commit_validation:check_remove_member": _promoted(lambda a: a.is_admin),
                      "spec_model.xmtp.commit_validation:check_add_super_admin": _promoted(lambda a: a.is_admin),
                      "spec_model.xmtp.commit_validation:check_remove_super_admin": _promoted(lambda a: a.is_admin)})),
        ("client_creator_keeps_super_admin_rights", "permissions",
         "a client lets a creator no longer super admin act as one (XIP-47: the creator is a super admin only "
         "while listed)",
         _in_receive({"spec_model.xmtp.commit_validation:check": _promoted(lambda a: a.is_creator),
                      "spec_model.xmtp.commit_validation:check_add_super_admin": _promoted(lambda a: a.is_creator),
                      "spec_model.xmtp.commit_validation:check_remove_super_admin":
                          _promoted(lambda a: a.is_creator)})),
        ("client_ignores_super_admin_rules", "permissions",
         "a client applies any change of the super admin list (XIP-47: only super admins, one must remain)",
         _in_receive({"spec_model.xmtp.commit_validation:check_add_super_admin": _to(_allow),
                      "spec_model.xmtp.commit_validation:check_remove_super_admin": _to(_allow)})),
        ("client_last_super_admin_may_leave", "permissions",
         "a client accepts a commit leaving no super admin (XIP-47 facts §4.4 step 12f)",
         _in_receive({"spec_model.xmtp.commit_validation:check_remove_super_admin":
                      lambda original: lambda actor, super_admins_left: original(actor, super_admins_left=1)})),
        ("client_checks_committer_not_proposer", "commit_validation",
         "a client checks an added or removed inbox against the committer, not the proposal's sender "
         "(libxmtp validated_commit.rs extract_expected_diff_with_proposers)",
         _in_receive({"spec_model.xmtp.commit_validation:_check_policies": _proposers_ignored})),
        ("client_any_of_as_all_of", "permissions",
         "a client evaluates an any-of policy as all-of (XIP-47 composition, libxmtp AnyCondition)",
         _in_receive({"spec_model.xmtp.permissions:allows": _any_as_all})),
        ("client_seed_ignores_permissions_policy", "permissions",
         "a seed client ignores update_permissions_policy as libxmtp does (XIP-47 Threat Model)",
         _in_receive({"spec_model.xmtp.commit_validation:check": _libxmtp_permissions_rule})),
        ("client_ignores_welcome_metadata", "welcome_wrapping",
         "a client joins from a Welcome whose sealed metadata does not open (docs/xmtp-facts.md §7.3)",
         _replace(["spec_model.xmtp.conversations:unwrap_welcome"], _metadata_failures_ignored)),
        ("client_ignores_wrapper_algorithm", "welcome_wrapping",
         "a client opens every Welcome with X25519, whatever wrapper algorithm it names (docs/xmtp-facts.md §7.3)",
         _replace(["spec_model.xmtp.conversations:unwrap_welcome"], _any_algorithm_as_x25519)),
        ("client_ignores_pointee_metadata", "welcome_wrapping",
         "a client joins from a welcome pointer whose pointee metadata is no WelcomeMetadata (libxmtp "
         "decrypted_welcome.rs refuses it)",
         _replace(["spec_model.xmtp.conversations:open_pointee"], _pointee_metadata_failures_ignored)),
        ("client_reads_no_pointers", "welcome_wrapping",
         "a client whose key packages offer welcome pointers (0xFF04) but who reads none (XIP-74)",
         _replace(["spec_model.xmtp.conversations:open_pointer"], _no_pointers)),
        ("client_adds_expired_key_packages", "key_packages",
         "a client adding members uses key packages past not_after (OpenMLS lifetime.rs, libxmtp "
         "verified_key_package_v2.rs)",
         _replace(["spec_model.xmtp.intents:validate_xmtp_key_package"], _expired_taken)),
        ("client_joins_any_dm", "dm_welcomes",
         "a client joins every DM it is welcomed to, without libxmtp's validate_dm_group (docs/xmtp-facts.md §4.4)",
         _replace(["spec_model.xmtp.conversations:validate_dm_welcome"], _to(_allow))),
        ("client_stuck_after_refused_commit", "commit_validation",
         "a client that refuses a commit stops processing the group (facts §5: skipped, the cursor moves on)",
         _replace(["spec_model.xmtp.receive:_validator"], _stops_on_refusal)),
    ]],
]

MUTANTS: dict[str, Mutant] = {m.name: m for m in _MUTANTS}


def catch(name: str) -> tuple[str, str | None, str, float]:
    """Run the suite against one mutant, stopping at the first failed check: (name, check id or None, rule and
    what differed, seconds). The checks of the mutant's own area run first, then every other selected one, so
    the whole suite still stands behind a "not caught". Only a failure catches a mutant: checks that errored on
    it (a crash) are named in the rule column, and do not count."""
    from .adapter import connect, reference_subprocess_command
    from .runner import RunOptions, collect, execute
    from .runner.checks import Status
    from .runner.differential import DifferentialOptions
    started = time.perf_counter()
    session = connect(command=reference_subprocess_command(name))
    session.label = f"mutant {name}"
    with tempfile.TemporaryDirectory() as counterexamples:  # a mutant's counterexample is not kept
        options = RunOptions(stop_on=frozenset({Status.FAILED}), include=list(MUTANTS[name].checks),
                             differential=DifferentialOptions(counterexamples=Path(counterexamples)))
        try:
            checks = sorted(collect(options), key=lambda check: check.area != MUTANTS[name].area)
            report, _ = execute(session, checks, options, None)
        finally:
            session.close()
    caught = next((c for c in report.checks if c.status is Status.FAILED), None)
    crashed = [c for c in report.checks if c.status is Status.ERRORED]
    detail = f"{caught.rule} -- {caught.message[:160]}" if caught else ""
    if crashed:
        detail += f"{'; ' if detail else ''}{len(crashed)} check(s) errored, not counted (first: {crashed[0].id}: " \
                  f"{crashed[0].message[:120]})"
    return name, caught.id if caught else None, detail, time.perf_counter() - started


def run_mutants(mutants: list[Mutant], out: TextIO, *, workers: int = 2) -> int:
    """Every mutant, ``workers`` at a time; a table of what caught each. 1 if any survived."""
    with concurrent.futures.ProcessPoolExecutor(max_workers=workers) as pool:
        outcomes = list(pool.map(catch, [m.name for m in mutants]))
    survived = 0
    print(f"{'mutant':34} {'area':20} {'caught by':52} seconds", file=out)
    for (name, caught_by, rule, seconds), mutant in zip(outcomes, mutants):
        survived += caught_by is None
        print(f"{name:34} {mutant.area:20} {caught_by or 'NOT CAUGHT':52} {seconds:7.1f}", file=out)
        if rule:
            print(f"{'':34}   rule: {rule}", file=out)
    print(f"\n{len(mutants) - survived} of {len(mutants)} mutants caught", file=out)
    return 1 if survived else 0
