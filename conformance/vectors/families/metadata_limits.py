"""Limits on a group's mutable metadata and membership (facts §3.2, §3.3, §4.4 step 3; seed "Group sizes").

Three checks, named by ``inputs.check``:

* ``attribute``: ``{key, value}``, an attribute of the 0xFF00 map; the limited keys (group_name 100,
  description 1000, group_image_url_square 2048, app_data 8192) count UTF-8 **bytes**, every other key is
  unlimited. Valid outputs: ``{bytes}``, the value's UTF-8 length.
* ``disappearing_settings``: ``{attributes}``, the disappearing keys of a 0xFF00 map; both set means both
  must be decimal i64 (Rust ``str::parse::<i64>``: optional sign, ASCII digits, no spaces). Valid outputs:
  ``{disappearing: {from_ns, in_ns}}``, or ``{disappearing: null}`` when either key is unset.
* ``group_size``: ``{members, profile}``, the number of inboxes in 0xFF01 (all distinct); the seed allows
  1 to 400, libxmtp at most 250 (and the model requires at least one member in both). Valid outputs:
  ``{max_group_size}``.

Questions: ``decide`` with the case's ``inputs``; the answer is ``{result: valid, reason: null, outputs}``
(the outputs above) or ``{result: invalid, reason}``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from spec_model.xmtp.extensions import (
    APP_DATA, ATTRIBUTE_LIMITS, COMMIT_LOG_SIGNER, DESCRIPTION, GROUP_IMAGE_URL_SQUARE, GROUP_NAME,
    GROUP_PINNED_FRAME_URL, MESSAGE_DISAPPEAR_FROM_NS, MESSAGE_DISAPPEAR_IN_NS, MINIMUM_SUPPORTED_PROTOCOL_VERSION,
    ExtensionReason, GroupMembership, GroupMutableMetadataV1, check_attribute, check_group_size,
    disappearing_settings,
)
from spec_model.xmtp.profiles import PROFILES

from .. import case_id
from ..family import Exchange, decision_exchanges
from ..formats import DecisionCase, Expected
from ..questions import answer_decision

FORMAT = "decision"
AREA = "group metadata limits"
FAMILY = "metadata_limits"
ATTRIBUTE_RULE = "libxmtp common/mls.rs MAX_GROUP_*_LENGTH; validated_commit.rs (facts §4.4 step 3)"
DISAPPEARING_RULE = "libxmtp group_mutable_metadata.rs conversation_message_disappearing_settings (facts §3.2)"
SIZE_RULE = {"seed": "seed \"Group sizes\": anywhere from 1 person to 400",
             "libxmtp": "libxmtp common/mls.rs MAX_GROUP_SIZE = 250"}


def decide(inputs: dict[str, Any]) -> dict[str, Any]:
    """Run the check ``inputs`` names with the model: its outputs, or ``Rejected``."""
    check = inputs["check"]
    if check == "attribute":
        check_attribute(inputs["key"], inputs["value"])
        return {"bytes": len(inputs["value"].encode())}
    if check == "disappearing_settings":
        settings = disappearing_settings(GroupMutableMetadataV1(attributes=dict(inputs["attributes"])))
        return {"disappearing": None if settings is None else {"from_ns": settings[0], "in_ns": settings[1]}}
    if check == "group_size":
        profile = PROFILES[inputs["profile"]]
        check_group_size(GroupMembership(members={f"{i:064x}": 0 for i in range(inputs["members"])}), profile)
        return {"max_group_size": profile.max_group_size}
    raise ValueError(f"unknown check {check!r}")


def answer(question: dict) -> dict:
    """``decide``: the outputs of the check ``inputs`` names, or the reason it refuses."""
    return answer_decision(decide, question["inputs"])


def _case(name: str, description: str, rule: str, tags: list[str], inputs: dict[str, Any],
          intended: ExtensionReason | None) -> DecisionCase:
    decided = answer({"ask": "decide", "inputs": inputs})
    expected = Expected(result=decided["result"], reason=decided["reason"])
    if expected.reason != intended:
        raise ValueError(f"{name}: built to be {intended or 'valid'}, the model says {expected.reason or 'valid'}")
    return DecisionCase(id=case_id(FAMILY, name), description=description, rule=rule, tags=tags, inputs=inputs,
                        expected=expected, outputs=decided.get("outputs", {}))


def _attribute(name: str, key: str, value: str, what: str) -> DecisionCase:
    size, limit = len(value.encode()), ATTRIBUTE_LIMITS.get(key)
    over = limit is not None and size > limit
    bound = f"its limit is {limit} bytes" if limit else "it has no limit"
    verdict = "refused: too many characters" if over else "accepted"
    return _case(name, f"Given {key} = {what} ({len(value)} characters, {size} UTF-8 bytes), When the attribute is "
                 f"checked, Then it is {verdict} ({bound})", ATTRIBUTE_RULE, ["metadata", "attribute_limits"],
                 {"check": "attribute", "key": key, "value": value},
                 ExtensionReason.TOO_MANY_CHARACTERS if over else None)


def _disappearing(name: str, attributes: dict[str, str], what: str, valid: bool) -> DecisionCase:
    then = "read as decimal i64 values" if valid else "refused: not a decimal i64"
    if valid and len(attributes) < 2:
        then = "not set (no disappearing messages)"
    return _case(name, f"Given {what}, When the disappearing settings are read, Then they are {then}",
                 DISAPPEARING_RULE, ["metadata", "disappearing"], {"check": "disappearing_settings",
                                                                   "attributes": attributes},
                 None if valid else ExtensionReason.INVALID_DISAPPEARING_SETTING)


def _size(members: int, profile: str) -> DecisionCase:
    limit = PROFILES[profile].max_group_size
    valid = 1 <= members <= limit
    return _case(f"group_size_{members}_{profile}",
                 f"Given a membership of {members} inboxes in the {profile} profile (1 to {limit} allowed), When "
                 f"its size is checked, Then it is {'accepted' if valid else 'refused'}", SIZE_RULE[profile],
                 [profile, "group_size"], {"check": "group_size", "members": members, "profile": profile},
                 None if valid else ExtensionReason.GROUP_SIZE)


def cases() -> list[DecisionCase]:
    generated = []
    for key, limit in ATTRIBUTE_LIMITS.items():
        generated += [
            _attribute(f"{key}_at_limit", key, "a" * limit, f"{limit} ASCII characters"),
            _attribute(f"{key}_one_byte_over", key, "a" * (limit + 1), f"{limit + 1} ASCII characters"),
        ]
    generated += [
        _attribute("group_name_two_byte_characters_at_limit", GROUP_NAME, "é" * 50, "50 × 'é' (2 bytes each)"),
        _attribute("group_name_two_byte_characters_one_byte_over", GROUP_NAME, "é" * 50 + "a", "50 × 'é' and 'a'"),
        _attribute("group_name_three_byte_characters_over", GROUP_NAME, "€" * 34,
                   "34 × '€' (3 bytes each: 34 characters but 102 bytes)"),
        _attribute("group_name_four_byte_characters_at_limit", GROUP_NAME, "🎉" * 25,
                   "25 × '🎉' (4 bytes, 2 UTF-16 units each)"),
        _attribute("group_name_four_byte_characters_over", GROUP_NAME, "🎉" * 26,
                   "26 × '🎉' (26 characters, 52 UTF-16 units, 104 bytes)"),
        _attribute("description_multi_byte_at_limit", DESCRIPTION, "ü" * 300 + "€" * 100 + "a" * 100,
                   "300 × 'ü', 100 × '€' and 100 × 'a' (1000 bytes)"),
        _attribute("group_image_url_multi_byte_one_byte_over", GROUP_IMAGE_URL_SQUARE,
                   "https://example.com/" + "ß" * 1014 + "a", "a URL whose path is 1014 × 'ß' and 'a' (2049 bytes)"),
        _attribute("app_data_multi_byte_one_byte_over", APP_DATA, "🎉" * 2048 + "a", "2048 × '🎉' and 'a'"),
        _attribute("empty_group_name", GROUP_NAME, "", "the empty string"),
        _attribute("unlimited_pinned_frame_url", GROUP_PINNED_FRAME_URL, "a" * 8193,
                   "8193 ASCII characters (seed's pinned frame key)"),
        _attribute("unlimited_disappear_from_ns", MESSAGE_DISAPPEAR_FROM_NS, "1" * 200, "200 digits"),
        _attribute("unlimited_minimum_supported_protocol_version", MINIMUM_SUPPORTED_PROTOCOL_VERSION,
                   "1.0." + "9" * 300, "a 304-character version"),
        _attribute("unlimited_commit_log_signer", COMMIT_LOG_SIGNER, "ab" * 1100, "2200 hex characters"),
        _attribute("unlimited_custom_key", "custom_key", "x" * 9000, "9000 characters under a key libxmtp "
                   "does not define"),
    ]
    both = lambda from_ns, in_ns: {MESSAGE_DISAPPEAR_FROM_NS: from_ns, MESSAGE_DISAPPEAR_IN_NS: in_ns}  # noqa: E731
    generated += [
        _disappearing("disappearing_typical", both("1750000000000000000", "86400000000000"),
                      "from_ns '1750000000000000000' and in_ns '86400000000000'", True),
        _disappearing("disappearing_zero", both("0", "0"), "both '0'", True),
        _disappearing("disappearing_signs_and_leading_zeros", both("+5", "-007"),
                      "from_ns '+5' and in_ns '-007'", True),
        _disappearing("disappearing_i64_extremes", both("9223372036854775807", "-9223372036854775808"),
                      "from_ns i64::MAX and in_ns i64::MIN", True),
        _disappearing("disappearing_unset", {}, "neither key set", True),
        _disappearing("disappearing_only_from_set", {MESSAGE_DISAPPEAR_FROM_NS: "5"},
                      "only message_disappear_from_ns set", True),
        _disappearing("disappearing_only_in_set_not_parsed", {MESSAGE_DISAPPEAR_IN_NS: "soon"},
                      "only message_disappear_in_ns set, to 'soon' (not parsed without from_ns)", True),
        _disappearing("disappearing_above_i64_max", both("9223372036854775808", "1"),
                      "from_ns i64::MAX + 1", False),
        _disappearing("disappearing_below_i64_min", both("0", "-9223372036854775809"), "in_ns i64::MIN - 1", False),
        _disappearing("disappearing_empty", both("", "1"), "from_ns ''", False),
        _disappearing("disappearing_decimal_point", both("1", "1.5"), "in_ns '1.5'", False),
        _disappearing("disappearing_exponent", both("1e9", "1"), "from_ns '1e9'", False),
        _disappearing("disappearing_hex", both("0x10", "1"), "from_ns '0x10'", False),
        _disappearing("disappearing_spaces", both(" 5", "1"), "from_ns ' 5' (a leading space)", False),
        _disappearing("disappearing_sign_only", both("-", "1"), "from_ns '-'", False),
        _disappearing("disappearing_non_ascii_digits", both("١٢٣", "1"),
                      "from_ns '١٢٣' (Arabic-Indic digits, which Rust's parse refuses)", False),
    ]
    generated += [_size(n, "libxmtp") for n in (0, 1, 250, 251)]
    generated += [_size(n, "seed") for n in (0, 1, 250, 251, 400, 401)]
    return generated

# ------------------------------------------------------------------ the questions and answers, typed (``family.py``)

class Inputs(Exchange):
    """One of three checks (``check``); each uses the fields its description names."""

    check: Literal["attribute", "disappearing_settings", "group_size"]
    key: str | None = Field(None, description="attribute: the metadata key")
    value: str | None = Field(None, description="attribute: its new value")
    attributes: dict[str, str] | None = Field(None, description="disappearing_settings: the group's attributes")
    members: int | None = Field(None, description="group_size: the number of member inboxes")
    profile: Literal["seed", "libxmtp"] | None = Field(None, description="group_size: the profile")


class Disappearing(Exchange):
    from_ns: int
    in_ns: int


class Outputs(Exchange):
    bytes: int | None = Field(None, description="attribute: the value's length in UTF-8 bytes")
    disappearing: Disappearing | None = Field(None, description="disappearing_settings: the settings, or null")
    max_group_size: int | None = Field(None, description="group_size: the most member inboxes the profile allows")


EXCHANGES = decision_exchanges(Inputs, Outputs)
