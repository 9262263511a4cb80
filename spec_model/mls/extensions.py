"""RFC 9420 §13: the extensions RFC 9420 defines, and which types count as "default".

Extension payloads are TLS structures carried in ``Extension.extension_data``
(§7.2); this module names the registered types (§17.3) and decodes the
payloads the group logic reads.
"""

from __future__ import annotations

import enum

from .codec import OPAQUE, U16, Annotated, Struct, Vector
from .group_context import Extension
from .leaf_node import Capabilities, Credential

__all__ = [
    "ExtensionType", "DEFAULT_EXTENSION_TYPES", "DEFAULT_PROPOSAL_TYPES", "RequiredCapabilities",
    "ExternalSender", "EXTERNAL_SENDERS", "ExternalPub", "find_extension", "supports_required",
]


class ExtensionType(enum.IntEnum):
    """RFC 9420 §17.3: the MLS Extension Types registry entries of the RFC."""

    application_id = 0x0001
    ratchet_tree = 0x0002
    required_capabilities = 0x0003
    external_pub = 0x0004
    external_senders = 0x0005


DEFAULT_EXTENSION_TYPES = frozenset(ExtensionType)
"""RFC 9420 §7.2: the default extension types, assumed supported by every client."""

DEFAULT_PROPOSAL_TYPES = frozenset(range(1, 8))
"""RFC 9420 §7.2, §17.4: the default proposal types (add … group_context_extensions)."""


class RequiredCapabilities(Struct):
    """RFC 9420 §11.1: ``RequiredCapabilities``, what every member must support."""

    extension_types: Annotated[tuple[int, ...], Vector(U16)]
    proposal_types: Annotated[tuple[int, ...], Vector(U16)]
    credential_types: Annotated[tuple[int, ...], Vector(U16)]


class ExternalSender(Struct):
    """RFC 9420 §12.1.8.1: ``ExternalSender``, allowed to send external proposals."""

    signature_key: Annotated[bytes, OPAQUE]
    credential: Annotated[Credential, Credential]


EXTERNAL_SENDERS = Vector(ExternalSender)
"""RFC 9420 §12.1.8.1: ``ExternalSender external_senders<V>``."""


class ExternalPub(Struct):
    """RFC 9420 §12.4.3.2: ``ExternalPub``, the GroupInfo extension enabling external commits."""

    external_pub: Annotated[bytes, OPAQUE]


def find_extension(extensions: tuple[Extension, ...], extension_type: int) -> bytes | None:
    """RFC 9420 §13.4: the data of the extension of ``extension_type``, or ``None`` (at most one of each type)."""
    for ext in extensions:
        if ext.extension_type == extension_type:
            return ext.extension_data
    return None


def supports_required(capabilities: Capabilities, required: RequiredCapabilities) -> bool:
    """RFC 9420 §11.1: ``capabilities`` list every required extension, proposal and credential type.

    Default extension and proposal types need not be listed; credential types must be (§11.1).
    """
    return not (set(required.extension_types) - set(capabilities.extensions) - DEFAULT_EXTENSION_TYPES
                or set(required.proposal_types) - set(capabilities.proposals) - DEFAULT_PROPOSAL_TYPES
                or set(required.credential_types) - set(capabilities.credentials))
