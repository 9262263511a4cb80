"""Importing the wallet module (eth-account, which imports py_ecc) leaves the interpreter's recursion limit alone."""

from __future__ import annotations

import subprocess
import sys


def test_importing_eth_account_through_the_wallet_keeps_the_recursion_limit() -> None:
    code = ("import sys; before = sys.getrecursionlimit(); import spec_model.xmtp.wallet, py_ecc; "
            "print(before, sys.getrecursionlimit())")
    before, after = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                                   text=True).stdout.split()
    assert after == before
