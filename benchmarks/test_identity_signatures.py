"""The identity signatures an XMTP client makes and checks (docs/xmtp-facts.md §2, §8): Ed25519ph by installation
keys (RFC 8032 §5.1, ``spec_model/xmtp/ed25519ph.py``) and ERC-191 by wallets (``spec_model/xmtp/wallet.py``).

Run with ``.venv/bin/pytest benchmarks/test_identity_signatures.py --benchmark-enable``. Every round signs or
checks a message not seen before (the model remembers verifications and recoveries), so each median is the
cost of one operation.
"""

from __future__ import annotations

import itertools

from spec_model.xmtp import ed25519ph
from spec_model.xmtp.ed25519ph import IDENTITY_UPDATE_CONTEXT
from spec_model.xmtp.wallet import Wallet, recover_erc191, sign_erc191

SEED = bytes(range(32))
WALLET = Wallet.from_key(bytes(range(1, 33)))


def test_ed25519ph_sign(benchmark):
    texts = (b"identity update %d" % i for i in itertools.count())
    benchmark(lambda: ed25519ph.sign(SEED, next(texts), IDENTITY_UPDATE_CONTEXT))


def test_ed25519ph_verify(benchmark):
    public = ed25519ph.public_key(SEED)
    signed = ((text, ed25519ph.sign(SEED, text, IDENTITY_UPDATE_CONTEXT))
              for text in (b"identity update %d" % i for i in itertools.count()))
    benchmark.pedantic(lambda text, signature: ed25519ph.verify(public, text, signature, IDENTITY_UPDATE_CONTEXT),
                       setup=lambda: (next(signed), {}), rounds=200)


def test_erc191_sign(benchmark):
    texts = (f"identity update {i}" for i in itertools.count())
    benchmark(lambda: sign_erc191(WALLET.private_key, next(texts)))


def test_erc191_recover(benchmark):
    signed = ((text, WALLET.sign(text)) for text in (f"identity update {i}" for i in itertools.count()))
    result = benchmark.pedantic(recover_erc191, setup=lambda: (next(signed), {}), rounds=200)
    assert result == WALLET.address
