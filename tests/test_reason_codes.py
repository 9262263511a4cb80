"""docs/reason-codes.md: every reason code of the model, namespaced, with its refusal class, listed once."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import spec_model
from spec_model.mls.reasons import REASON_CODES, RefusalClass, Reason, Rejected, class_of, reason_codes

DOC = Path(__file__).resolve().parents[1] / "docs" / "reason-codes.md"
ROW = re.compile(r"^\| `([a-z_]+\.[a-z0-9_]+)` \| ([a-z_]+) \|", re.M)

for module in pkgutil.walk_packages(spec_model.__path__, "spec_model."):
    importlib.import_module(module.name)


def test_the_page_lists_every_code_with_its_class_once():
    rows = ROW.findall(DOC.read_text())
    assert len(rows) == len({code for code, _ in rows})
    assert dict(rows) == {code: class_of(member).value for code, member in REASON_CODES.items()}


def test_every_code_is_in_its_enums_namespace():
    for code, member in REASON_CODES.items():
        assert member.value == code and code.count(".") == 1
        assert {m.value.split(".")[0] for m in type(member)} == {code.split(".")[0]}


def test_a_code_outside_its_namespace_or_defined_twice_is_refused():
    import enum
    with pytest.raises(ValueError, match="not in namespace"):
        reason_codes("example")(enum.StrEnum("Wrong", {"A": "other.a"}))
    with pytest.raises(ValueError, match="defined twice"):
        reason_codes("mls")(enum.StrEnum("Again", {"A": Reason.BAD_SIGNATURE.value}))
    with pytest.raises(ValueError, match="has no codes"):
        reason_codes("example2", missing=RefusalClass.NETWORK)(enum.StrEnum("Fine", {"A": "example2.a"}))


def test_a_refusal_is_classed_by_its_root_and_its_chain_reads_back_typed():
    from spec_model.xmtp.commit_validation import CommitReason
    from spec_model.xmtp.context import ClientReason
    from spec_model.xmtp.permissions import PermissionReason
    refusal = Rejected(ClientReason.INTENT_FAILED, "intent 1", cause=Rejected(
        CommitReason.INSUFFICIENT_PERMISSIONS, cause=Rejected(PermissionReason.SUPER_ADMIN_NOT_REMOVABLE, "alix")))
    assert refusal.root.reason is PermissionReason.SUPER_ADMIN_NOT_REMOVABLE
    assert refusal.refusal_class is RefusalClass.PERMISSION
    assert class_of(ClientReason.INTENT_FAILED) is RefusalClass.VALIDATION  # the root decides, not the outside
    again = Rejected.from_chain(refusal.chain())
    assert again.chain() == refusal.chain() and again.root.reason is PermissionReason.SUPER_ADMIN_NOT_REMOVABLE
    with pytest.raises(ValueError, match="unknown reason code"):
        Rejected.from_chain([{"reason": "insufficient_permissions", "detail": ""}])
