"""ServedAdapter's clock: before every call the adapter can read the harness's clock, and it is told where
libfaketime is (interop/libxmtp/README.md "The harness's clock")."""

from __future__ import annotations

from conformance.adapter import Session, reference_subprocess_command
from interop.served_adapter import ServedAdapter, faketime_library


def test_the_harness_clock_is_written_before_each_call():
    served = ServedAdapter(reference_subprocess_command())
    session = Session(served, "served-reference")
    try:
        assert int(served.clock_file.read_text()) == session.network.clock.now_ns()  # written for hello
        session.network.clock.advance(30 * 86400 * 10**9)
        served.call("reset", {})
        assert int(served.clock_file.read_text()) == session.network.clock.now_ns()
    finally:
        session.close()
    assert not served.clock_file.exists()


def test_libfaketime_is_installed():
    """The ``libxmtp`` extra installs it (the README's test command); without it libxmtp keeps the wall clock."""
    library = faketime_library()
    assert library is not None and library.name == "libfaketime.so.1" and library.is_file()
