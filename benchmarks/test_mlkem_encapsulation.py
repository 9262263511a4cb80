"""ML-KEM-768 encapsulation from a given m (FIPS 203 Algorithm 17, ``spec_model/mls/mlkem.py``), the part of every
X-Wing welcome wrap (draft-connolly-cfrg-xwing-kem-06 §5.4.1) the model computes itself, beside OpenSSL's
encapsulation (which draws its own m) and the whole X-Wing ``EncapsulateDerand``.

Run with ``.venv/bin/pytest benchmarks/test_mlkem_encapsulation.py --benchmark-enable
--benchmark-timer time.process_time`` (CPU time; the machine is usually shared). Each round encapsulates to a
fresh key with a fresh m, as a sender wrapping welcomes for many installations does.
"""

from __future__ import annotations

import random

from cryptography.hazmat.primitives.asymmetric.mlkem import MLKEM768PrivateKey

from spec_model.mls import mlkem, xwing

ROUNDS = 500


def _keys(seed: int):
    """Endless (ML-KEM-768 private key, m, X-Wing public key, eseed) from a seeded generator."""
    rng = random.Random(seed)
    while True:
        yield (MLKEM768PrivateKey.from_seed_bytes(rng.randbytes(64)), rng.randbytes(32),
               xwing.derive_key_pair(rng.randbytes(32))[1], rng.randbytes(xwing.ESEED_SIZE))


def test_mlkem768_encaps_internal(benchmark):
    keys = _keys(1)

    def setup():
        private, m, _, _ = next(keys)
        return (private.public_key().public_bytes_raw(), m), {}

    shared_key, ciphertext = benchmark.pedantic(mlkem.encaps_internal, setup=setup, rounds=ROUNDS)
    assert len(shared_key) == 32 and len(ciphertext) == mlkem.CIPHERTEXT_SIZE


def test_openssl_mlkem768_encapsulate(benchmark):
    """The reference point: OpenSSL's encapsulation, with a random m the caller cannot give."""
    keys = _keys(2)
    benchmark.pedantic(lambda public: public.encapsulate(), setup=lambda: ((next(keys)[0].public_key(),), {}),
                       rounds=ROUNDS)


def test_xwing_encapsulate_derand(benchmark):
    keys = _keys(3)

    def setup():
        _, _, public, eseed = next(keys)
        return (public, eseed), {}

    shared, ciphertext = benchmark.pedantic(xwing.encapsulate_derand, setup=setup, rounds=ROUNDS)
    assert len(shared) == xwing.SHARED_SECRET_SIZE and len(ciphertext) == xwing.CIPHERTEXT_SIZE
