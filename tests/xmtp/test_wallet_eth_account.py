"""ERC-191 wallets (spec_model/xmtp/wallet.py, libsecp256k1 through coincurve) against eth-account: the same
addresses, byte-identical signatures, the same recovered signers."""

from __future__ import annotations

import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from spec_model.xmtp.wallet import SECP256K1_N, address_of, recover_erc191, sign_erc191

_LIMIT = sys.getrecursionlimit()
from eth_account import Account  # noqa: E402
from eth_account.messages import encode_defunct  # noqa: E402

sys.setrecursionlimit(_LIMIT)  # eth-account imports py_ecc, which raises it to 100 000 (tests/xmtp/test_proto.py)


@given(st.integers(1, SECP256K1_N - 1), st.text(max_size=300))
@settings(max_examples=25)
def test_addresses_signatures_and_recovery_match_eth_account(key, text):
    private_key = key.to_bytes(32, "big")
    account = Account.from_key(private_key)
    assert address_of(private_key) == account.address.lower()
    signature = sign_erc191(private_key, text)
    assert signature == bytes(Account.sign_message(encode_defunct(text=text), private_key=private_key).signature)
    assert recover_erc191(text, signature) == account.address.lower()
    other = recover_erc191(text + ".", signature)
    assert other == Account.recover_message(encode_defunct(text=text + "."), signature=signature).lower()
