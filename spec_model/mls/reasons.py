"""Why the MLS model refuses something: one typed ``Reason`` per check.

Validation is a sequence of plain checks, each raising ``Rejected(Reason.X)``
with the RFC 9420 rule it enforces. Vectors and reports carry the reason's
value, never English text. A rejected message leaves the group exactly as it
was: the group object applies a change only after every check has passed.
"""

from __future__ import annotations

import enum

__all__ = ["Reason", "Rejected"]


class Reason(enum.StrEnum):
    """RFC 9420 §6–§12: Reason codes for rejected MLS input; each member's comment names its rule."""

    # Framing and content validation (§6.3, §6.1, §6.2)
    WRONG_GROUP = "wrong_group"                        # §6.3: group_id matches the group
    WRONG_EPOCH = "wrong_epoch"                        # §6.3: epoch matches (or is a kept past epoch)
    UNKNOWN_SENDER = "unknown_sender"                  # §6.3: sender leaf is a non-blank leaf of the tree
    UNSUPPORTED_SENDER = "unsupported_sender"          # §6.1, §12.1.8: sender type allowed for this content
    SENDER_NOT_MEMBER = "sender_not_member"            # §6.3.2: only members send PrivateMessages
    BAD_SIGNATURE = "bad_signature"                    # §6.1: FramedContent signature verifies
    BAD_MEMBERSHIP_TAG = "bad_membership_tag"          # §6.2: membership tag verifies
    DECRYPT_FAILED = "decrypt_failed"                  # §6.3.1, §7.6, §12.4.3.1: AEAD or HPKE opens
    SENDER_DATA_DECRYPT_FAILED = "sender_data_decrypt_failed"  # §6.3.2: sender data opens
    MALFORMED_CONTENT = "malformed_content"            # §6.3.1: decrypted content parses
    NONZERO_PADDING = "nonzero_padding"                # §6.3.1: padding is all zeros
    GENERATION_UNAVAILABLE = "generation_unavailable"  # §9.1: key for the generation can be derived
    APPLICATION_NOT_PRIVATE = "application_not_private"  # §6.2: application data only in PrivateMessage
    INACTIVE = "inactive"                              # §12.4.2, §11.2: a removed or reinitialized member sends nothing
    OWN_COMMIT = "own_commit"                          # §12.4.2: a member's own commit is merged, not processed
    # Proposals and proposal lists (§12.1, §12.2)
    UNKNOWN_PROPOSAL_REF = "unknown_proposal_ref"      # §12.4: every reference names a cached proposal
    INVALID_PROPOSAL = "invalid_proposal"              # §12.1.x: an individual proposal is invalid
    UPDATE_BY_COMMITTER = "update_by_committer"        # §12.2: no Update from the committer
    REMOVES_COMMITTER = "removes_committer"            # §12.2: no Remove of the committer
    DUPLICATE_UPDATE_OR_REMOVE = "duplicate_update_or_remove"  # §12.2: one Update/Remove per leaf
    DUPLICATE_ADD = "duplicate_add"                    # §12.2: no two Adds of the same client
    ADD_OF_MEMBER = "add_of_member"                    # §12.2: no Add of a client already in the group
    DUPLICATE_PSK = "duplicate_psk"                    # §12.2: no PreSharedKeyID twice
    MULTIPLE_GROUP_CONTEXT_EXTENSIONS = "multiple_group_context_extensions"  # §12.2
    REINIT_NOT_ALONE = "reinit_not_alone"              # §12.2: ReInit only on its own
    EXTERNAL_INIT_IN_MEMBER_COMMIT = "external_init_in_member_commit"  # §12.2
    INVALID_EXTERNAL_COMMIT = "invalid_external_commit"  # §12.2: external commit proposal rules
    UNSUPPORTED_PROPOSAL = "unsupported_proposal"      # §12.2: proposal type supported by all members
    UNSUPPORTED_EXTENSION = "unsupported_extension"    # §12.1.7, §7.2: extension supported by all members
    PSK_NOT_FOUND = "psk_not_found"                    # §12.4.2: every PSK is available
    # Commits and TreeKEM (§12.4, §7)
    PATH_REQUIRED = "path_required"                    # §12.4: path present when required
    INVALID_LEAF_NODE = "invalid_leaf_node"            # §7.3: leaf node validation
    INVALID_PATH = "invalid_path"                      # §7.6, §12.4.2: UpdatePath well-formed and consistent
    BAD_PARENT_HASH = "bad_parent_hash"                # §7.9.2: parent-hash chain verifies
    DUPLICATE_KEY = "duplicate_key"                    # §7.3, §12.4.2: encryption/signature keys unique
    BAD_CONFIRMATION_TAG = "bad_confirmation_tag"      # §12.4.2: confirmation tag verifies
    # Joining (§12.4.3)
    NOT_FOR_US = "not_for_us"                          # §12.4.3.1: the Welcome names our key package
    WELCOME_MISMATCH = "welcome_mismatch"              # §12.4.3.1: suite/version match the key package
    BAD_GROUP_INFO = "bad_group_info"                  # §12.4.3.1: GroupInfo signature, tree hash
    MISSING_RATCHET_TREE = "missing_ratchet_tree"      # §12.4.3.1: the tree is available
    INVALID_TREE = "invalid_tree"                      # §12.4.3.1: the tree validates
    BAD_RESUMPTION = "bad_resumption"                  # §11.2, §11.3: a reinit or branch Welcome matches its old group
    NO_EXTERNAL_PUB = "no_external_pub"                # §12.4.3.2: an external join needs the external_pub extension
    # Key packages (§10.1)
    INVALID_KEY_PACKAGE = "invalid_key_package"        # §10.1: key package validation


class Rejected(Exception):
    """RFC 9420 §6–§12: Input refused by a validation rule; ``reason`` is the typed code, ``detail`` for humans.

    ``reason`` is a ``Reason`` here; the XMTP layer raises the same exception
    with reason enums of its own (``spec_model.xmtp``), each a ``StrEnum``. A
    refusal caused by another carries it as ``cause`` (e.g. a commit refused for
    insufficient permissions carries the permission rule's own refusal), so no
    one needs to read the reason back out of ``detail``.
    """

    def __init__(self, reason: enum.StrEnum, detail: str = "", *, cause: Rejected | None = None):
        super().__init__(f"{reason.value}: {detail}" if detail else reason.value)
        self.reason = reason
        self.detail = detail
        self.cause = cause
