"""Mixed groups and XIP-74 welcome pointers (test_mixed_libxmtp.py's clients and fixtures): libxmtp sends them
when more than two added installations offer them (libxmtp crates/xmtp_mls/src/groups/mls_sync.rs
``send_welcomes``@b649d1a, the same in 1.9.1), and the model's installations, which offer them in the libxmtp
profile, join from them. The other direction is ``test_model_creates_group_with_libxmtp_members``."""

from __future__ import annotations

from .test_mixed_libxmtp import MODEL, XWING, mixed, session  # noqa: F401 (fixtures)


def test_libxmtp_sends_welcome_pointers_the_model_reads(mixed):
    mixed.create("x1", ["x2", "m1", "m2"], name="pointers from libxmtp")
    mixed.join("x2", "m1", "m2")
    for name in ("x2", *MODEL):  # three added installations offer pointers, more than two
        assert mixed.welcome_algorithm(name) == ("welcome_pointer", XWING)
    state = mixed.assert_converged()
    assert state["epoch"] == 1
