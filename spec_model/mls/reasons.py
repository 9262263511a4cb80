"""Why the model refuses something: namespaced reason codes, one typed ``Reason`` per MLS check.

Validation is a sequence of plain checks, each raising ``Rejected(Reason.X)``
with the RFC 9420 rule it enforces. Vectors and reports carry the reason's
value, never English text. A rejected message leaves the group exactly as it
was: the group object applies a change only after every check has passed.

Every reason enum of the model is one namespace (``reason_codes``): its values are
``<namespace>.<code>`` (``mls.bad_signature``, ``commit.insufficient_permissions``),
unique across the model, and each code has a ``RefusalClass``. docs/reason-codes.md
lists them all.
"""

from __future__ import annotations

import enum

__all__ = ["RefusalClass", "REASON_CODES", "reason_codes", "class_of", "Reason", "Rejected"]


class RefusalClass(enum.StrEnum):
    """docs/reason-codes.md "Refusal classes": the kind of rule that refused, which implementations that name
    their errors differently can still agree on (a refusal is classed by the root of its cause chain)."""

    PERMISSION = "permission"  # XIP-47: the group's policy or the actor's role forbids the change
    MEMBERSHIP = "membership"  # the actor is not, or no longer, a member of the group
    VALIDATION = "validation"  # the input breaks a rule of its format or protocol
    NETWORK = "network"        # the delivery service could not be reached or did not answer
    NOT_FOUND = "not_found"    # the call names something that does not exist (a group, an address, a row)


REASON_CODES: dict[str, enum.StrEnum] = {}
"""Every reason code of the model by value (``mls.bad_signature`` -> ``Reason.BAD_SIGNATURE``)."""
_CLASSES: dict[str, RefusalClass] = {}


def reason_codes(namespace: str, default: RefusalClass = RefusalClass.VALIDATION, **classes: RefusalClass):
    """docs/reason-codes.md: register a namespace's reason enum. Every value must read ``<namespace>.<code>``
    and be new; each code is of class ``default`` unless ``classes`` names it (``inactive=MEMBERSHIP``)."""
    def register(codes: type[enum.StrEnum]) -> type[enum.StrEnum]:
        for member in codes:
            prefix, _, code = member.value.partition(".")
            if prefix != namespace or not code:
                raise ValueError(f"{codes.__name__}.{member.name} = {member.value!r} is not in namespace {namespace!r}")
            if member.value in REASON_CODES:
                raise ValueError(f"reason code {member.value!r} is defined twice")
        unknown = classes.keys() - {member.value.partition(".")[2] for member in codes}
        if unknown:
            raise ValueError(f"{codes.__name__} has no codes {sorted(unknown)}")
        for member in codes:
            REASON_CODES[member.value] = member
            _CLASSES[member.value] = classes.get(member.value.partition(".")[2], default)
        return codes
    return register


def class_of(reason: enum.StrEnum) -> RefusalClass:
    """docs/reason-codes.md: the refusal class of a registered reason code."""
    return _CLASSES[reason.value]


@reason_codes("mls", inactive=RefusalClass.MEMBERSHIP, sender_not_member=RefusalClass.MEMBERSHIP,
              unknown_sender=RefusalClass.MEMBERSHIP, psk_not_found=RefusalClass.NOT_FOUND)
class Reason(enum.StrEnum):
    """RFC 9420 §6–§12: Reason codes for rejected MLS input; each member's comment names its rule."""

    # Framing and content validation (§6.3, §6.1, §6.2)
    WRONG_GROUP = "mls.wrong_group"                        # §6.3: group_id matches the group
    WRONG_EPOCH = "mls.wrong_epoch"                        # §6.3: epoch matches (or is a kept past epoch)
    UNKNOWN_SENDER = "mls.unknown_sender"                  # §6.3: sender leaf is a non-blank leaf of the tree
    UNSUPPORTED_SENDER = "mls.unsupported_sender"          # §6.1, §12.1.8: sender type allowed for this content
    SENDER_NOT_MEMBER = "mls.sender_not_member"            # §6.3.2: only members send PrivateMessages
    BAD_SIGNATURE = "mls.bad_signature"                    # §6.1: FramedContent signature verifies
    BAD_MEMBERSHIP_TAG = "mls.bad_membership_tag"          # §6.2: membership tag verifies
    DECRYPT_FAILED = "mls.decrypt_failed"                  # §6.3.1, §7.6, §12.4.3.1: AEAD or HPKE opens
    SENDER_DATA_DECRYPT_FAILED = "mls.sender_data_decrypt_failed"  # §6.3.2: sender data opens
    MALFORMED_CONTENT = "mls.malformed_content"            # §6.3.1: decrypted content parses
    NONZERO_PADDING = "mls.nonzero_padding"                # §6.3.1: padding is all zeros
    GENERATION_UNAVAILABLE = "mls.generation_unavailable"  # §9.1: key for the generation can be derived
    APPLICATION_NOT_PRIVATE = "mls.application_not_private"  # §6.2: application data only in PrivateMessage
    INACTIVE = "mls.inactive"                              # §12.4.2, §11.2: a removed or reinitialized member sends nothing
    OWN_COMMIT = "mls.own_commit"                          # §12.4.2: a member's own commit is merged, not processed
    # Proposals and proposal lists (§12.1, §12.2)
    UNKNOWN_PROPOSAL_REF = "mls.unknown_proposal_ref"      # §12.4: every reference names a cached proposal
    INVALID_PROPOSAL = "mls.invalid_proposal"              # §12.1.x: an individual proposal is invalid
    UPDATE_BY_COMMITTER = "mls.update_by_committer"        # §12.2: no Update from the committer
    REMOVES_COMMITTER = "mls.removes_committer"            # §12.2: no Remove of the committer
    DUPLICATE_UPDATE_OR_REMOVE = "mls.duplicate_update_or_remove"  # §12.2: one Update/Remove per leaf
    DUPLICATE_ADD = "mls.duplicate_add"                    # §12.2: no two Adds of the same client
    ADD_OF_MEMBER = "mls.add_of_member"                    # §12.2: no Add of a client already in the group
    DUPLICATE_PSK = "mls.duplicate_psk"                    # §12.2: no PreSharedKeyID twice
    MULTIPLE_GROUP_CONTEXT_EXTENSIONS = "mls.multiple_group_context_extensions"  # §12.2
    REINIT_NOT_ALONE = "mls.reinit_not_alone"              # §12.2: ReInit only on its own
    EXTERNAL_INIT_IN_MEMBER_COMMIT = "mls.external_init_in_member_commit"  # §12.2
    INVALID_EXTERNAL_COMMIT = "mls.invalid_external_commit"  # §12.2: external commit proposal rules
    UNSUPPORTED_PROPOSAL = "mls.unsupported_proposal"      # §12.2: proposal type supported by all members
    UNSUPPORTED_EXTENSION = "mls.unsupported_extension"    # §12.1.7, §7.2: extension supported by all members
    PSK_NOT_FOUND = "mls.psk_not_found"                    # §12.4.2: every PSK is available
    # Commits and TreeKEM (§12.4, §7)
    PATH_REQUIRED = "mls.path_required"                    # §12.4: path present when required
    INVALID_LEAF_NODE = "mls.invalid_leaf_node"            # §7.3: leaf node validation
    INVALID_PATH = "mls.invalid_path"                      # §7.6, §12.4.2: UpdatePath well-formed and consistent
    BAD_PARENT_HASH = "mls.bad_parent_hash"                # §7.9.2: parent-hash chain verifies
    DUPLICATE_KEY = "mls.duplicate_key"                    # §7.3, §12.4.2: encryption/signature keys unique
    BAD_CONFIRMATION_TAG = "mls.bad_confirmation_tag"      # §12.4.2: confirmation tag verifies
    # Joining (§12.4.3)
    NOT_FOR_US = "mls.not_for_us"                          # §12.4.3.1: the Welcome names our key package
    WELCOME_MISMATCH = "mls.welcome_mismatch"              # §12.4.3.1: suite/version match the key package
    BAD_GROUP_INFO = "mls.bad_group_info"                  # §12.4.3.1: GroupInfo signature, tree hash
    MISSING_RATCHET_TREE = "mls.missing_ratchet_tree"      # §12.4.3.1: the tree is available
    INVALID_TREE = "mls.invalid_tree"                      # §12.4.3.1: the tree validates
    BAD_RESUMPTION = "mls.bad_resumption"                  # §11.2, §11.3: a reinit or branch Welcome matches its old group
    NO_EXTERNAL_PUB = "mls.no_external_pub"                # §12.4.3.2: an external join needs the external_pub extension
    # Key packages (§10.1)
    INVALID_KEY_PACKAGE = "mls.invalid_key_package"        # §10.1: key package validation


class Rejected(Exception):
    """RFC 9420 §6–§12: Input refused by a validation rule; ``reason`` is the typed code, ``detail`` for humans.

    ``reason`` is a ``Reason`` here; the XMTP layer raises the same exception
    with reason enums of its own (``spec_model.xmtp``), each a ``StrEnum``. A
    refusal caused by another carries it as ``cause`` (e.g. a commit refused for
    insufficient permissions carries the permission rule's own refusal), so no
    one needs to read the reason back out of ``detail``.
    """

    def __init__(self, reason: enum.StrEnum, detail: str = "", *, cause: Rejected | None = None):
        super().__init__((f"{reason.value}: {detail}" if detail else reason.value)
                         + (f" (because {cause})" if cause is not None else ""))
        self.reason = reason
        self.detail = detail
        self.cause = cause

    @property
    def root(self) -> Rejected:
        """docs/reason-codes.md: the refusal at the end of the cause chain: the rule that refused first."""
        return self if self.cause is None else self.cause.root

    @property
    def refusal_class(self) -> RefusalClass:
        """docs/reason-codes.md: the class of the root's reason code."""
        return class_of(self.root.reason)

    def chain(self) -> list[dict[str, str]]:
        """docs/reason-codes.md: this refusal and its causes, outermost first, as ``{"reason": code, "detail": text}`` records (how a
        refusal is stored, e.g. a failed intent's)."""
        return [{"reason": self.reason.value, "detail": self.detail}] + (self.cause.chain() if self.cause else [])

    @classmethod
    def from_chain(cls, records: list[dict[str, str]]) -> Rejected:
        """docs/reason-codes.md: the refusal ``chain`` gave; ``ValueError`` for an empty chain or a code the model does not define."""
        if not records:
            raise ValueError("an empty refusal chain")
        unknown = [r.get("reason") for r in records if r.get("reason") not in REASON_CODES]
        if unknown:
            raise ValueError(f"unknown reason code {unknown[0]!r}")
        cause = cls.from_chain(records[1:]) if len(records) > 1 else None
        return cls(REASON_CODES[records[0]["reason"]], records[0].get("detail", ""), cause=cause)
