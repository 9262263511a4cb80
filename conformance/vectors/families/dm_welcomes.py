"""Whether a member accepts the DM a Welcome brings it (libxmtp groups/mod.rs ``validate_dm_group``, facts §4.4).

Each case is one Welcome's group-context extensions and who reads it: ``inputs`` holds ``profile``,
``own_inbox_id`` (the receiver), ``adder_inbox_id`` (the inbox that added it), and the ``extension_data``
(hex) of ``immutable_metadata`` (0xF000: TLS ``opaque<V>`` around ``GroupMetadataV1``),
``mutable_metadata`` (0xFF00) and ``permissions`` (0xFF02), as in ``group_context_extensions``.

The rule (``spec_model.xmtp.commit_validation.validate_dm_welcome``): a DM with both members set; the
receiver is one of them, and when someone else added it the members are {adder, receiver}; no admins or
super admins; the five membership, admin and permissions policies are the DM preset's. Metadata policies
are not compared (libxmtp: they do not affect membership), so a DM made by either profile, or before a
metadata key existed, is accepted. The libxmtp profile returns early for a Welcome from oneself and refuses
the policies only when all five differ (``&&``); the seed profile requires each.

Questions: ``decide`` with the case's ``inputs``; the answer is ``{result: valid, reason: null, outputs: {}}``
or ``{result: invalid, reason}`` (``invalid_dm``).
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any, Literal

from pydantic import Field

from spec_model.mls.group_context import Extension
from spec_model.xmtp.commit_validation import validate_dm_welcome
from spec_model.xmtp.extensions import (
    APP_DATA, XmtpExtensionType, GroupMutableMetadataV1, Inboxes, Metadata, new_dm_metadata,
    new_dm_mutable_metadata, new_group_metadata,
)
from spec_model.xmtp.permissions import Option, Preset, preset_policies
from spec_model.xmtp.profiles import LIBXMTP, PROFILES, SEED, Profile

from .. import case_id
from ..family import Exchange, Hex, decision_exchanges
from ..formats import DecisionCase, Expected, Verdict
from ..questions import answer_decision

FORMAT = "decision"
AREA = "DM welcomes"
FAMILY = "dm_welcomes"
RULE = "libxmtp crates/xmtp_mls/src/groups/mod.rs validate_dm_group@b649d1a (facts §4.4)"

ALIX, BO, CARO = (hashlib.sha256(name.encode()).hexdigest() for name in ("alix", "bo", "caro"))


def decide(inputs: dict[str, Any]) -> dict[str, Any]:
    """Run ``validate_dm_welcome`` on the extensions ``inputs`` gives: ``{}``, or ``Rejected``."""
    extensions = [Extension(XmtpExtensionType.IMMUTABLE_METADATA, bytes.fromhex(inputs["immutable_metadata"])),
                  Extension(XmtpExtensionType.MUTABLE_METADATA, bytes.fromhex(inputs["mutable_metadata"])),
                  Extension(XmtpExtensionType.MUTABLE_PERMISSIONS, bytes.fromhex(inputs["permissions"]))]
    validate_dm_welcome(extensions, inputs["own_inbox_id"], inputs["adder_inbox_id"], PROFILES[inputs["profile"]])
    return {}


def answer(question: dict) -> dict:
    """``decide``: accepted, or the reason the Welcome's DM is refused."""
    return answer_decision(decide, question["inputs"])


def _inputs(profile: str, *, own: str, adder: str, metadata, mutable: GroupMutableMetadataV1, policies,
            maker: Profile) -> dict[str, Any]:
    return {"profile": profile, "own_inbox_id": own, "adder_inbox_id": adder,
            "immutable_metadata": Metadata(metadata.encode()).encode().hex(),
            "mutable_metadata": mutable.encode().hex(), "permissions": policies.to_proto(maker).encode().hex()}


def cases() -> list[DecisionCase]:
    out = []
    for profile in PROFILES:
        dm = new_dm_metadata(ALIX, BO)
        rows = []  # name, description, adder, own, metadata, mutable, policies, the profile that made it
        for maker in (SEED, LIBXMTP):
            rows.append((f"made_by_{maker.name}", f"alix's DM with bo made by a {maker.name} client (its metadata "
                         "policies are that profile's)", ALIX, BO, dm, new_dm_mutable_metadata(profile=maker),
                         preset_policies(Preset.DM, maker), maker))
        old = preset_policies(Preset.DM, LIBXMTP)
        old = dataclasses.replace(old, update_metadata={k: p for k, p in old.update_metadata.items() if k != APP_DATA})
        rows.append(("made_before_app_data", "alix's DM with bo made before the app_data key existed (libxmtp "
                     "before v1.7.0: no app_data policy)", ALIX, BO, dm, new_dm_mutable_metadata(profile=LIBXMTP),
                     old, LIBXMTP))
        admins = dataclasses.replace(new_dm_mutable_metadata(profile=LIBXMTP), admin_list=Inboxes((ALIX,)))
        rows.append(("from_peer_with_admin", "alix's DM with bo listing alix as admin, from alix", ALIX, BO, dm, admins,
                     preset_policies(Preset.DM, LIBXMTP), LIBXMTP))
        rows.append(("from_self_with_admin", "alix's DM with bo listing alix as admin, read by alix's other "
                     "installation (alix added it)", ALIX, ALIX, dm, admins, preset_policies(Preset.DM, LIBXMTP),
                     LIBXMTP))
        rows.append(("from_self_not_a_member", "a DM between bo and caro that alix added alix to", ALIX, ALIX,
                     new_dm_metadata(BO, CARO), new_dm_mutable_metadata(profile=LIBXMTP),
                     preset_policies(Preset.DM, LIBXMTP), LIBXMTP))
        rows.append(("not_between_adder_and_us", "a DM between alix and caro that alix added bo to", ALIX, BO,
                     new_dm_metadata(ALIX, CARO), new_dm_mutable_metadata(profile=LIBXMTP),
                     preset_policies(Preset.DM, LIBXMTP), LIBXMTP))
        rows.append(("not_a_dm", "alix's group (not a DM) with bo", ALIX, BO, new_group_metadata(ALIX),
                     new_dm_mutable_metadata(profile=LIBXMTP), preset_policies(Preset.DM, LIBXMTP), LIBXMTP))
        one = dataclasses.replace(preset_policies(Preset.DM, LIBXMTP), add_member=Option.ALLOW)
        rows.append(("add_member_allowed", "alix's DM with bo whose add_member_policy is Allow (the other four are "
                     "the DM preset's)", ALIX, BO, dm, new_dm_mutable_metadata(profile=LIBXMTP), one, LIBXMTP))
        five = dataclasses.replace(preset_policies(Preset.ALL_MEMBERS, LIBXMTP),
                                   update_metadata=preset_policies(Preset.DM, LIBXMTP).update_metadata)
        rows.append(("all_five_differ", "alix's DM with bo whose five membership, admin and permissions policies "
                     "are All Members'", ALIX, BO, dm, new_dm_mutable_metadata(profile=LIBXMTP), five, LIBXMTP))
        for name, what, adder, own, metadata, mutable, policies, maker in rows:
            inputs = _inputs(profile, own=own, adder=adder, metadata=metadata, mutable=mutable, policies=policies,
                             maker=maker)
            decided = answer({"ask": "decide", "inputs": inputs})
            verdict = "accepted" if decided["result"] == Verdict.VALID else f"refused ({decided['reason']})"
            out.append(DecisionCase(
                id=case_id(FAMILY, f"{profile}/{name}"),
                description=f"Given {what}, When a {profile} client processes the Welcome, Then the DM is {verdict}",
                rule=RULE, tags=[profile, "dm"], inputs=inputs,
                expected=Expected(result=decided["result"], reason=decided["reason"]), outputs={}))
    return out

# ------------------------------------------------------------------ the questions and answers, typed (``family.py``)

class Inputs(Exchange):
    profile: Literal["seed", "libxmtp"]
    own_inbox_id: str = Field(description="the receiving installation's inbox id")
    adder_inbox_id: str = Field(description="the inbox id of the member that sent the Welcome")
    immutable_metadata: Hex = Field(description="the 0xF000 extension's value (GroupMetadataV1)")
    mutable_metadata: Hex = Field(description="the 0xFF00 extension's value (GroupMutableMetadataV1)")
    permissions: Hex = Field(description="the 0xFF02 extension's value (GroupMutablePermissionsV1)")


class Outputs(Exchange):
    """Nothing: a DM Welcome is accepted or refused."""


EXCHANGES = decision_exchanges(Inputs, Outputs)
