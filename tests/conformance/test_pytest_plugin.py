"""The pytest plugin as an implementer uses it: node ids that are check ids, a skip file, ini options, a
marker per area and ``--lf``."""

from __future__ import annotations

import sys

pytest_plugins = ["pytester"]

INBOX_ID = ["--xmtp-include", "xmtp/inbox_id::*"]


def test_items_are_named_by_their_check_ids(pytester):
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--xmtp-adapter", "reference", *INBOX_ID,
                                           "--collect-only", "-q")
    ids = [line for line in result.outlines if line.startswith("xmtp/")]
    assert ids and all(i.startswith("xmtp/inbox_id::") for i in ids)


def test_a_skip_file_and_ini_options(pytester):
    pytester.makeini("[pytest]\nxmtp_adapter = reference\nxmtp_skip_file = known.skip\n")
    pytester.path.joinpath("known.skip").write_text("xmtp/inbox_id::facts_sheet_vector # known\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *INBOX_ID, "-rs")
    outcomes = result.parseoutcomes()
    assert outcomes["skipped"] == 1 and outcomes["passed"] >= 1
    assert "skip file: known" in result.stdout.str()
    pytester.path.joinpath("known.skip").write_text("no-such-check # stale\n")
    stale = pytester.runpytest_subprocess("-p", "no:cacheprovider", *INBOX_ID)
    assert stale.ret == 4 and "matches no check" in stale.stderr.str()


def test_a_marker_per_area(pytester):
    both = [*INBOX_ID, "--xmtp-include", "rfc9420/tree-math*"]
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--xmtp-adapter", "reference", *both,
                                           "-m", "xmtp_area_rfc9420_tree_math", "--strict-markers", "--collect-only", "-q")
    ids = [line for line in result.outlines if "/" in line and not line.startswith(" ")]
    assert ids and all(i.startswith("rfc9420/tree-math") for i in ids)


def test_last_failed_reruns_only_the_failed_checks(pytester):
    """A mutant of the reference adapter fails some checks; ``--lf`` then runs only those."""
    adapter = f"{sys.executable} -m conformance.adapter.serve --mutant tree_hash_node_index"
    argv = ["--xmtp-adapter-cmd", adapter, "--xmtp-include", "rfc9420/tree-operations*",
            "--xmtp-include", "rfc9420/tree-math*"]
    first = pytester.runpytest_subprocess(*argv).parseoutcomes()
    assert first["failed"] >= 1 and first["passed"] >= 1
    again = pytester.runpytest_subprocess(*argv, "--lf").parseoutcomes()
    assert again["failed"] == first["failed"] and "passed" not in again
