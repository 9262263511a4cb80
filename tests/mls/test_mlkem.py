"""ML-KEM-768 encapsulation (spec_model/mls/mlkem.py) against NIST's known answers, OpenSSL's decapsulation and
FIPS 203's own algorithms.

``acvp/ml_kem_768_encapsulation.json`` is a sample of NIST's ACVP encapsulation tests (provenance in
``acvp/README.md``). The NTT is a matrix product in the model; here it is checked against FIPS 203 Algorithms 9
and 10 written out as butterflies, and SampleNTT against Algorithm 7 read byte by byte.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric.mlkem import MLKEM768PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from spec_model.mls import mlkem
from spec_model.mls.mlkem import N, Q

ACVP = json.loads((Path(__file__).parent / "acvp" / "ml_kem_768_encapsulation.json").read_text())
ZETAS = [pow(17, int(f"{i:07b}"[::-1], 2), Q) for i in range(128)]  # FIPS 203 Appendix A: ζ^BitRev7(i)


@pytest.mark.parametrize("case", ACVP["tests"], ids=lambda case: f"tcId{case['tcId']}")
def test_acvp_encapsulation(case):
    shared_key, ciphertext = mlkem.encaps_internal(bytes.fromhex(case["ek"]), bytes.fromhex(case["m"]))
    assert shared_key.hex().upper() == case["k"] and ciphertext.hex().upper() == case["c"]


@given(st.binary(min_size=64, max_size=64), st.binary(min_size=32, max_size=32))
def test_openssl_decapsulates_what_the_model_encapsulates(seed, m):
    private = MLKEM768PrivateKey.from_seed_bytes(seed)
    shared_key, ciphertext = mlkem.encaps_internal(private.public_key().public_bytes_raw(), m)
    assert len(ciphertext) == mlkem.CIPHERTEXT_SIZE and private.decapsulate(ciphertext) == shared_key


def _algorithm_9(f: list[int]) -> list[int]:
    """FIPS 203 Algorithm 9 NTT(f), line by line."""
    f, i, length = list(f), 1, 128
    while length >= 2:
        for start in range(0, N, 2 * length):
            zeta, i = ZETAS[i], i + 1
            for j in range(start, start + length):
                t = zeta * f[j + length] % Q
                f[j + length], f[j] = (f[j] - t) % Q, (f[j] + t) % Q
        length //= 2
    return f


def _algorithm_10(f: list[int]) -> list[int]:
    """FIPS 203 Algorithm 10 NTT⁻¹(f̂), line by line."""
    f, i, length = list(f), 127, 2
    while length <= 128:
        for start in range(0, N, 2 * length):
            zeta, i = ZETAS[i], i - 1
            for j in range(start, start + length):
                t = f[j]
                f[j], f[j + length] = (t + f[j + length]) % Q, zeta * (f[j + length] - t) % Q
        length *= 2
    return [a * 3303 % Q for a in f]


@given(st.lists(st.integers(0, Q - 1), min_size=N, max_size=N))
def test_ntt_matrices_are_algorithms_9_and_10(coefficients):
    f = np.array(coefficients)
    assert mlkem.ntt(f).tolist() == _algorithm_9(coefficients)
    assert mlkem.ntt_inverse(f).tolist() == _algorithm_10(coefficients)
    assert mlkem.ntt_inverse(mlkem.ntt(f)).tolist() == coefficients


def _algorithm_7(seed: bytes) -> list[int]:
    """FIPS 203 Algorithm 7 SampleNTT(B), three XOF bytes at a time."""
    stream, a, j = hashlib.shake_128(seed).digest(3 * 1024), [], 0
    while len(a) < N:
        c0, c1, c2 = stream[j:j + 3]
        a += [d for d in (c0 + 256 * (c1 % 16), c1 // 16 + 16 * c2) if d < Q][:N - len(a)]
        j += 3
    return a


@pytest.mark.parametrize("first_read", [840, 3, 300])  # 3 and 300 bytes: the longer reads Algorithm 7 may need
def test_sample_ntt_is_algorithm_7(first_read):
    seeds = [bytes(range(32)) + bytes((j, i)) for i in range(3) for j in range(3)]
    sampled = mlkem._sample_ntt(seeds, first_read)
    assert sampled.tolist() == [_algorithm_7(seed) for seed in seeds]


def test_wrong_lengths_and_modulus_check():
    ek = MLKEM768PrivateKey.from_seed_bytes(bytes(64)).public_key().public_bytes_raw()
    for bad_ek, m in ((ek[:-1], bytes(32)), (ek + b"\x00", bytes(32)), (ek, bytes(31))):
        with pytest.raises(ValueError, match="must be 1184 and 32 bytes"):
            mlkem.encaps_internal(bad_ek, m)
    over_q = bytes([0x01, ek[1] & 0xF0 | 0x0D]) + ek[2:]  # the first 12-bit coefficient is 0xD01 = 3329 = q
    with pytest.raises(ValueError, match="modulus check"):
        mlkem.encaps_internal(over_q, bytes(32))
