"""seed "The database is encrypted using the keys from the Signer interface": the model's derivation, and a
database opened with the wrong key refused and left intact."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from spec_model.mls.reasons import Rejected
from spec_model.xmtp.client import Client
from spec_model.xmtp.database_key import DATABASE_KEY_INFO, DATABASE_KEY_TEXT, database_key
from spec_model.xmtp.network import DeliveryService
from spec_model.xmtp.store import StoreReason
from spec_model.xmtp.wallet import Wallet, sign_erc191


def test_the_key_is_rfc5869_hkdf_sha256_of_the_wallets_signature():
    wallet = Wallet.from_key(bytes(31) + b"\x07")
    prk = hmac.new(bytes(32), sign_erc191(wallet.private_key, DATABASE_KEY_TEXT), hashlib.sha256).digest()
    okm = hmac.new(prk, DATABASE_KEY_INFO + b"\x01", hashlib.sha256).digest()
    assert database_key(wallet) == okm and len(okm) == 32


def test_a_wallet_always_derives_the_same_key_and_another_wallet_another():
    one, two = Wallet.from_key(bytes(31) + b"\x01"), Wallet.from_key(bytes(31) + b"\x02")
    assert database_key(one) == database_key(Wallet.from_key(one.private_key)) != database_key(two)


def test_the_signers_key_reopens_its_database_and_another_is_refused_leaving_it_intact(tmp_path):
    network = DeliveryService()
    alix, bo = Wallet.from_key(bytes(31) + b"\x03"), Wallet.from_key(bytes(31) + b"\x04")
    path = tmp_path / "alix.db3"
    client = Client.create(alix, str(path), database_key(alix), network)
    inbox, installation = client.inbox_id, client.installation_id
    client.close()
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    with pytest.raises(Rejected) as e:
        Client.create(alix, str(path), database_key(bo), network)
    assert e.value.reason is StoreReason.WRONG_KEY
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    reopened = Client.create(alix, str(path), database_key(alix), network)
    assert (reopened.inbox_id, reopened.installation_id) == (inbox, installation)
    reopened.close()
