"""``xmtp-conformance vectors verify``, run in-process through ``main``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conformance.cli import main
from conformance.rfc9420 import FILES, FORMATS, format_of, load, vendored_path


def verify(*args: str) -> int:
    return main(["vectors", "verify", *args])


def header_and_total(out: str) -> tuple[list[str], list[str]]:
    """The table's column names and its ``total`` row, split on whitespace."""
    lines = out.splitlines()
    header = next(line for line in lines if line.startswith("file")).split()
    total = next(line for line in lines if line.startswith("total")).split()
    return header, total


def test_all_vendored_files_pass(capsys: pytest.CaptureFixture[str]) -> None:
    assert verify() == 0
    out = capsys.readouterr().out
    for name in FILES:
        assert f"{name}.json" in out
    header, total = header_and_total(out)
    assert header == ["file", "1", "2", "3", "4", "5", "6", "7", "-", "passed", "failed", "seconds"]
    n_cases = sum(len(load(name)) for name in FILES)
    assert total[header.index("passed")] == str(n_cases)
    assert total[header.index("failed")] == "0"
    assert f"all {n_cases} cases passed" in out
    assert max(len(line) for line in out.splitlines()) <= 100


def test_explicit_path_with_another_name_and_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    copy = tmp_path / "my-vectors.json"
    shutil.copy(vendored_path("key-schedule"), copy)
    assert verify(str(copy), "--format", "key-schedule") == 0
    out = capsys.readouterr().out
    assert "my-vectors.json" in out
    header, total = header_and_total(out)
    assert total[header.index("passed")] == "7"


@pytest.mark.parametrize("name, fmt", [
    ("psk-secret.json", "psk-secret"),
    ("psk_secret.json", "psk-secret"),
    ("passive-client-random.json", "passive-client"),
    ("passive-client-welcome.json", "passive-client"),
    ("TreeKEM.json", "treekem"),
    ("secret-tree.json", "secret-tree"),
    ("treekem-old.json", None),
    ("vectors.json", None),
])
def test_format_from_file_name(name: str, fmt: str | None) -> None:
    assert format_of(Path("/some/dir") / name) == fmt


def test_every_vendored_file_name_is_recognised() -> None:
    for name, fmt in FILES.items():
        assert format_of(vendored_path(name)) == fmt
    assert set(FILES.values()) == set(FORMATS)


def test_format_recognised_from_a_copy_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    copy = tmp_path / "psk-secret.json"
    shutil.copy(vendored_path("psk_secret"), copy)
    assert verify(str(copy), "--suite", "2") == 0
    header, total = header_and_total(capsys.readouterr().out)
    assert header[1:3] == ["2", "passed"]
    assert total[header.index("passed")] == "11"


def test_unknown_file_name_without_format_is_a_usage_error(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    copy = tmp_path / "vectors-from-somewhere.json"
    shutil.copy(vendored_path("welcome"), copy)
    assert verify(str(copy)) == 2
    err = capsys.readouterr().err
    assert "vectors-from-somewhere.json" in err
    assert "--format" in err


def test_missing_or_unreadable_files_are_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert verify(str(tmp_path / "treekem.json")) == 2
    assert "no such file" in capsys.readouterr().err
    broken = tmp_path / "welcome.json"
    broken.write_text("[{")
    assert verify(str(broken)) == 2
    assert "not JSON" in capsys.readouterr().err
    not_a_list = tmp_path / "messages.json"
    not_a_list.write_text('{"cipher_suite": 1}')
    assert verify(str(not_a_list)) == 2
    assert "not a JSON array" in capsys.readouterr().err
    assert verify("--format", "no-such-format") == 2
    assert "unknown format" in capsys.readouterr().err


def _flip_hex(value: str) -> str:
    return ("1" if value[0] == "0" else "0") + value[1:]


def test_corrupted_expected_output_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cases = load("key-schedule")
    index = 2
    cases[index]["epochs"][1]["exporter"]["secret"] = _flip_hex(cases[index]["epochs"][1]["exporter"]["secret"])
    corrupted = tmp_path / "key-schedule.json"
    corrupted.write_text(json.dumps(cases))
    assert verify(str(corrupted)) == 1
    out = capsys.readouterr().out
    suite = cases[index]["cipher_suite"]
    assert f"key-schedule.json case {index} (suite {suite}): Mismatch: epochs[1].exporter.secret" in out
    header, total = header_and_total(out)
    row = next(line for line in out.splitlines() if line.startswith("key-schedule.json")).split()
    assert row[header.index(str(suite))] == "0/1"
    assert total[header.index("failed")] == "1"
    assert "FAILED: 1 of 7 cases" in out


def test_corrupted_case_among_several_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cases = load("treekem")
    entry = cases[0]["update_paths"][0]
    receiver = next(j for j, secret in enumerate(entry["path_secrets"]) if secret is not None)
    entry["path_secrets"][receiver] = _flip_hex(entry["path_secrets"][receiver])
    corrupted = tmp_path / "treekem.json"
    corrupted.write_text(json.dumps(cases[:2]))
    assert verify(str(corrupted), "crypto-basics.json") == 1
    out = capsys.readouterr().out
    assert f"treekem.json case 0 (suite 1): Mismatch: update_paths[0].path_secrets[{receiver}]" in out
    assert "crypto-basics.json" in out


def test_suite_filter(capsys: pytest.CaptureFixture[str]) -> None:
    assert verify("crypto-basics", "welcome.json", "--suite", "1", "3", "--suite", "7") == 0
    header, total = header_and_total(capsys.readouterr().out)
    assert header == ["file", "1", "3", "7", "passed", "failed", "seconds"]
    assert total[header.index("passed")] == "6"


def test_suite_filter_that_selects_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    assert verify("tree-math", "--suite", "1") == 2
    assert "no case selected" in capsys.readouterr().err


def test_format_without_files_selects_vendored_files_of_that_format(capsys: pytest.CaptureFixture[str]) -> None:
    assert verify("--format", "psk_secret", "--suite", "4") == 0
    out = capsys.readouterr().out
    assert "psk_secret.json" in out and "treekem.json" not in out


# ---------------------------------------------------------------- a passive-client file made here


def _passive_client_scenario() -> dict:
    """A passive-client case whose proposals and commits are PrivateMessages and PublicMessages,
    committed by reference and by value (the official files hold only PublicMessages)."""
    import random

    from spec_model.mls.group import Group
    from spec_model.mls.key_package import generate_key_package
    from spec_model.mls.leaf_node import Credential
    from spec_model.mls.message import MLSMessage
    from spec_model.mls.proposals import Add, Remove
    from spec_model.mls.suites import suite

    cs = suite(1)
    rng = random.Random(9420).randbytes

    def bundle(name: str):
        signature_priv, _ = cs.generate_signature_key_pair(rng)
        return generate_key_package(cs, Credential.basic(name.encode()), signature_priv, rng=rng)

    a, b, c, passive = bundle("a"), bundle("b"), bundle("c"), bundle("passive")
    alice = Group.create(cs, b"passive scenario", a.key_package.leaf_node, a.encryption_priv, a.signature_priv,
                         rng=rng)
    pending = alice.commit((Add(b.key_package), Add(passive.key_package)), rng=rng)
    alice.merge_pending_commit()
    bob = Group.join(pending.welcome.body, b.key_package, b.init_priv, b.encryption_priv, b.signature_priv)
    case = {
        "cipher_suite": cs.id, "external_psks": [],
        "key_package": MLSMessage(passive.key_package).encode().hex(),
        "signature_priv": passive.signature_priv.hex(), "encryption_priv": passive.encryption_priv.hex(),
        "init_priv": passive.init_priv.hex(), "welcome": pending.welcome.encode().hex(), "ratchet_tree": None,
        "initial_epoch_authenticator": alice.epoch_authenticator.hex(), "epochs": [],
    }

    def epoch(sent: list[MLSMessage], committer: Group, others: list[Group], **commit_args) -> None:
        pending = committer.commit(rng=rng, **commit_args)
        committer.merge_pending_commit()
        for group in others:
            group.process(pending.message)
        case["epochs"].append({"proposals": [p.encode().hex() for p in sent],
                               "commit": pending.message.encode().hex(),
                               "epoch_authenticator": committer.epoch_authenticator.hex()})

    update, _ = bob.update_proposal(private=True, rng=rng)  # private proposal, private commit by reference
    alice.process(update)
    epoch([update], alice, [bob], private=True)
    add = alice.propose(Add(c.key_package), private=True, rng=rng)  # private proposal, public commit
    bob.process(add)
    epoch([add], bob, [alice])
    epoch([], alice, [bob], proposals=(Remove(1),), private=True)  # by value, private
    return case


def test_passive_client_with_private_messages(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = _passive_client_scenario()
    from spec_model.mls.message import MLSMessage
    wire_formats = {MLSMessage.decode(bytes.fromhex(m)).wire_format.name
                    for e in case["epochs"] for m in [*e["proposals"], e["commit"]]}
    assert wire_formats == {"mls_public_message", "mls_private_message"}
    made = tmp_path / "passive-client-private.json"
    made.write_text(json.dumps([case]))
    assert verify(str(made)) == 0
    assert "passive-client-private.json" in capsys.readouterr().out

    case["epochs"][1]["epoch_authenticator"] = _flip_hex(case["epochs"][1]["epoch_authenticator"])
    made.write_text(json.dumps([case]))
    assert verify(str(made)) == 1
    assert "case 0 (suite 1): Mismatch: epochs[1].epoch_authenticator" in capsys.readouterr().out


def test_json_nested_too_deeply_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    deep = tmp_path / "tree-math.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    assert main(["vectors", "verify", str(deep)]) == 2
    assert "nests JSON deeper" in capsys.readouterr().err
