"""RFC 9180: HPKE against the official test vectors, plus round trips and rejections."""

from __future__ import annotations

import hmac
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from cryptography.hazmat.primitives.asymmetric import ec

from spec_model.mls import hpke
from spec_model.mls.hpke import DecryptError, MessageLimitReachedError, Mode, hpke_for

VECTORS = json.loads((Path(__file__).parents[2] / "vectors/rfc9180/test-vectors.json").read_text())


def _case_id(case: dict) -> str:
    return f"mode{case['mode']}-kem{case['kem_id']}-kdf{case['kdf_id']}-aead{case['aead_id']}"


def _h(case: dict, field: str) -> bytes:
    return bytes.fromhex(case[field])


X25519 = (0x20, 1, 1)  # (KEM, KDF, AEAD) ids
P256 = (0x10, 1, 1)

vector_cases = pytest.mark.parametrize("case", VECTORS, ids=[_case_id(c) for c in VECTORS])


def _suite(case: dict) -> hpke.Hpke:
    return hpke_for(case["kem_id"], case["kdf_id"], case["aead_id"])


def _setup_sender(case: dict) -> tuple[bytes, hpke.Context]:
    """The vector's Setup<MODE>S, made deterministic with ikmE."""
    suite, h = _suite(case), lambda f: _h(case, f)
    pkR, info, ikm_e = h("pkRm"), h("info"), h("ikmE")
    match case["mode"]:
        case Mode.BASE:
            return suite.setup_base_s(pkR, info, ikm_e)
        case Mode.PSK:
            return suite.setup_psk_s(pkR, info, h("psk"), h("psk_id"), ikm_e)
        case Mode.AUTH:
            return suite.setup_auth_s(pkR, info, h("skSm"), ikm_e)
        case Mode.AUTH_PSK:
            return suite.setup_auth_psk_s(pkR, info, h("psk"), h("psk_id"), h("skSm"), ikm_e)


def _setup_recipient(case: dict) -> hpke.Context:
    """The vector's Setup<MODE>R."""
    suite, h = _suite(case), lambda f: _h(case, f)
    enc, skR, info = h("enc"), h("skRm"), h("info")
    match case["mode"]:
        case Mode.BASE:
            return suite.setup_base_r(enc, skR, info)
        case Mode.PSK:
            return suite.setup_psk_r(enc, skR, info, h("psk"), h("psk_id"))
        case Mode.AUTH:
            return suite.setup_auth_r(enc, skR, info, h("pkSm"))
        case Mode.AUTH_PSK:
            return suite.setup_auth_psk_r(enc, skR, info, h("psk"), h("psk_id"), h("pkSm"))


# --------------------------------------------------------------------------- official vectors


def test_vector_file_has_all_cases():
    assert len(VECTORS) == 128
    assert len({_case_id(c) for c in VECTORS}) == 128


@vector_cases
def test_derive_key_pair(case):
    kem = _suite(case).kem
    roles = ("R", "E", "S") if case["mode"] in (Mode.AUTH, Mode.AUTH_PSK) else ("R", "E")
    for role in roles:
        sk, pk = kem.derive_key_pair(_h(case, f"ikm{role}"))
        assert sk.hex() == case[f"sk{role}m"], role
        assert pk.hex() == case[f"pk{role}m"], role
        assert kem.public_key(sk) == pk


@vector_cases
def test_kem_shared_secret(case):
    kem, h = _suite(case).kem, lambda f: _h(case, f)
    if case["mode"] in (Mode.AUTH, Mode.AUTH_PSK):
        assert kem.auth_encap(h("pkRm"), h("skSm"), h("ikmE")) == (h("shared_secret"), h("enc"))
        assert kem.auth_decap(h("enc"), h("skRm"), h("pkSm")) == h("shared_secret")
    else:
        assert kem.encap(h("pkRm"), h("ikmE")) == (h("shared_secret"), h("enc"))
        assert kem.decap(h("enc"), h("skRm")) == h("shared_secret")


@vector_cases
def test_setup_key_schedule(case):
    enc, sender = _setup_sender(case)
    recipient = _setup_recipient(case)
    assert enc.hex() == case["enc"]
    for ctx in (sender, recipient):
        assert ctx.key.hex() == case["key"]
        assert ctx.base_nonce.hex() == case["base_nonce"]
        assert ctx.exporter_secret.hex() == case["exporter_secret"]
        assert ctx.seq == 0


@vector_cases
def test_encryptions(case):
    _, sender = _setup_sender(case)
    recipient = _setup_recipient(case)
    for seq, e in enumerate(case["encryptions"]):
        aad, pt = bytes.fromhex(e["aad"]), bytes.fromhex(e["pt"])
        assert sender.compute_nonce(seq).hex() == e["nonce"], seq
        assert sender.seal(aad, pt).hex() == e["ct"], seq
        assert recipient.open(aad, bytes.fromhex(e["ct"])) == pt, seq
    assert sender.seq == recipient.seq == len(case["encryptions"])


@vector_cases
def test_exports(case):
    _, sender = _setup_sender(case)
    recipient = _setup_recipient(case)
    for e in case["exports"]:
        for ctx in (sender, recipient):
            assert ctx.export(bytes.fromhex(e["exporter_context"]), e["L"]).hex() == e["exported_value"]


# --------------------------------------------------------------------------- suites without vectors

ALL_KEMS = [0x10, 0x11, 0x12, 0x20, 0x21]
MLS_SUITES = [  # RFC 9420 §17.1: (KEM, KDF, AEAD) of cipher suites 1..7
    (0x20, 1, 1), (0x10, 1, 1), (0x20, 1, 3), (0x21, 3, 2), (0x12, 3, 2), (0x21, 3, 3), (0x11, 2, 2),
]


@pytest.mark.parametrize("kem_id", ALL_KEMS, ids=lambda k: f"kem{k}")
def test_kem_sizes_and_determinism(kem_id):
    kem = hpke_for(kem_id, 1, 1).kem
    ikm = bytes(range(kem.Nsk))
    sk, pk = kem.derive_key_pair(ikm)
    assert (sk, pk) == kem.derive_key_pair(ikm)
    assert (sk, pk) != kem.derive_key_pair(ikm[:-1] + b"\xff")
    assert len(sk) == kem.Nsk and len(pk) == kem.Npk == kem.Nenc
    assert kem.public_key(sk) == pk
    sk2, pk2 = kem.generate_key_pair()
    assert len(sk2) == kem.Nsk and kem.public_key(sk2) == pk2 and sk2 != sk
    assert kem.group.load_private(sk2)[1] == pk2  # computed again, not from the key cache
    shared_secret, enc = kem.encap(pk)
    assert len(shared_secret) == kem.Nsecret and len(enc) == kem.Nenc
    assert kem.decap(enc, sk) == shared_secret
    assert kem.encap(pk, b"e" * 32) == kem.encap(pk, b"e" * 32)


@pytest.mark.parametrize("kem_id", [0x10, 0x20, 0x21], ids=lambda k: f"kem{k}")
def test_cached_decap_answers_as_computed_and_keeps_no_error(kem_id):
    """RFC 9180 §4.1: Decap is remembered by its inputs; a refused ``enc`` is refused again, never remembered;
    switched off (as benchmarks do), nothing is remembered."""
    kem = hpke_for(kem_id, 1, 1).kem
    sk, pk = kem.derive_key_pair(b"cached" * 11)
    shared_secret, enc = kem.encap(pk)
    assert kem.decap(enc, sk) == kem.decap(enc, sk) == kem._decap(enc, sk) == shared_secret
    assert (kem.kem_id, enc, sk) in hpke._decapsulations
    for _ in range(2):
        with pytest.raises(DecryptError):
            kem.decap(enc[:-1], sk)
    assert (kem.kem_id, enc[:-1], sk) not in hpke._decapsulations
    hpke.remember_decapsulations(False)
    try:
        assert kem.decap(enc, sk) == shared_secret and len(hpke._decapsulations) == 0
    finally:
        hpke.remember_decapsulations(True)


def test_p384_sizes():
    kem = hpke_for(0x11, 2, 2).kem
    assert (kem.kem_id, kem.Nsecret, kem.Nenc, kem.Npk, kem.Nsk) == (0x11, 48, 97, 97, 48)
    assert kem.kdf.Nh == 48 and kem.kdf.kdf_id == 2


@pytest.mark.parametrize("suite_ids", MLS_SUITES, ids=lambda s: "kem{}-kdf{}-aead{}".format(*s))
def test_round_trip_all_modes(suite_ids):
    suite = hpke_for(*suite_ids)
    skR, pkR = suite.kem.derive_key_pair(b"recipient" * 4)
    skS, pkS = suite.kem.derive_key_pair(b"sender" * 6)
    info, psk, psk_id = b"info", b"p" * 32, b"psk id"
    pairs = [
        (suite.setup_base_s(pkR, info), lambda enc: suite.setup_base_r(enc, skR, info)),
        (suite.setup_psk_s(pkR, info, psk, psk_id), lambda enc: suite.setup_psk_r(enc, skR, info, psk, psk_id)),
        (suite.setup_auth_s(pkR, info, skS), lambda enc: suite.setup_auth_r(enc, skR, info, pkS)),
        (suite.setup_auth_psk_s(pkR, info, psk, psk_id, skS),
         lambda enc: suite.setup_auth_psk_r(enc, skR, info, psk, psk_id, pkS)),
    ]
    keys = set()
    for (enc, sender), recipient_for in pairs:
        recipient = recipient_for(enc)
        for i in range(3):
            assert recipient.open(b"aad%d" % i, sender.seal(b"aad%d" % i, b"message %d" % i)) == b"message %d" % i
        assert sender.export(b"ctx", 42) == recipient.export(b"ctx", 42)
        assert len(sender.key) == suite.aead.Nk and len(sender.exporter_secret) == suite.kdf.Nh
        keys.add(sender.key)
    assert len(keys) == 4  # the four modes give four different keys
    enc, ct = suite.seal_base(pkR, info, b"aad", b"single shot")
    assert suite.open_base(enc, skR, info, b"aad", ct) == b"single shot"
    assert suite.seal_base(pkR, info, b"aad", b"x", b"i" * 32) == suite.seal_base(pkR, info, b"aad", b"x", b"i" * 32)


def test_hpke_for_is_cached_and_checks_ids():
    assert hpke_for(0x20, 1, 1) is hpke_for(0x20, 1, 1)
    for ids in [(0x13, 1, 1), (0x20, 4, 1), (0x20, 1, 4)]:
        with pytest.raises(ValueError, match="unsupported HPKE"):
            hpke_for(*ids)


# --------------------------------------------------------------------------- DeriveKeyPair rejection sampling


def test_derive_key_pair_rejection_loop():
    """RFC 9180 §7.1.3: a candidate >= order is rejected and the next counter is tried; after 256, an error."""
    p256 = hpke_for(*P256).kem

    def candidates(ikm: bytes) -> tuple[bytes, bytes]:
        dkp_prk = p256.kdf.labeled_extract(p256.suite_id, b"", b"dkp_prk", ikm)
        return tuple(p256.kdf.labeled_expand(p256.suite_id, dkp_prk, b"candidate", bytes((c,)), 32) for c in (0, 1))

    # An ikm whose counter-1 candidate is smaller than its counter-0 one; then, on a
    # group whose order is the counter-0 candidate, that candidate is rejected.
    ikm, (first, second) = next((ikm, c) for ikm in (b"%d" % i for i in range(100))
                                if (c := candidates(ikm))[1] < c[0])
    assert p256.derive_key_pair(ikm)[0] == first
    order = int.from_bytes(first, "big")
    smaller = hpke.Kem(0x10, p256.name, hpke._WeierstrassGroup("P-256", p256.group.curve, 32, order, 0xFF), p256.kdf)
    assert smaller.derive_key_pair(ikm)[0] == second
    impossible = hpke.Kem(0x10, p256.name, hpke._WeierstrassGroup("P-256", p256.group.curve, 32, 1, 0xFF), p256.kdf)
    with pytest.raises(ValueError, match="DeriveKeyPairError"):
        impossible.derive_key_pair(ikm)


@pytest.mark.parametrize("kem_id", [0x10, 0x11, 0x12], ids=lambda k: f"kem{k}")
def test_curve_order_constants(kem_id):
    """RFC 9180 §7.1.3 orders, checked against OpenSSL: (order-1)*G = -G, and order*G is refused."""
    kem = hpke_for(kem_id, 1, 1).kem
    n, size = kem.group.order, kem.Nsk
    g = kem.public_key((1).to_bytes(size, "big"))
    minus_g = kem.public_key((n - 1).to_bytes(size, "big"))
    assert minus_g[: 1 + size] == g[: 1 + size] and minus_g != g  # same x, opposite y
    with pytest.raises(ValueError):
        ec.derive_private_key(n, kem.group.curve)


def test_p521_bitmask():
    """RFC 9180 §7.1.3: P-521 keeps only the low bit of the first candidate byte."""
    kem = hpke_for(0x12, 3, 1).kem
    for i in range(8):
        sk, _ = kem.derive_key_pair(bytes([i]) * 66)
        assert sk[0] <= 0x01


# --------------------------------------------------------------------------- rejections

def _keys(suite):
    skR, pkR = suite.kem.derive_key_pair(b"R" * 32)
    skS, pkS = suite.kem.derive_key_pair(b"S" * 32)
    return skR, pkR, skS, pkS


@pytest.mark.parametrize("suite_ids", [X25519, P256, (0x21, 3, 3)], ids=["x25519", "p256", "x448"])
def test_tampering_raises_decrypt_error(suite_ids):
    suite = hpke_for(*suite_ids)
    skR, pkR, _, _ = _keys(suite)
    enc, ct = suite.seal_base(pkR, b"info", b"aad", b"plaintext")
    flipped_ct = ct[:-1] + bytes((ct[-1] ^ 1,))
    flipped_enc = enc[:-1] + bytes((enc[-1] ^ 1,))
    with pytest.raises(DecryptError, match="did not verify"):
        suite.open_base(enc, skR, b"info", b"aad", flipped_ct)
    with pytest.raises(DecryptError, match="did not verify"):
        suite.open_base(enc, skR, b"info", b"aaD", ct)
    with pytest.raises(DecryptError, match="did not verify"):
        suite.open_base(enc, skR, b"inf0", b"aad", ct)
    with pytest.raises(DecryptError, match="did not verify"):
        suite.open_base(enc, skR, b"info", b"aad", ct[:5])
    with pytest.raises(DecryptError):  # another point gives the wrong key, or no point at all
        suite.open_base(flipped_enc, skR, b"info", b"aad", ct)
    assert suite.open_base(enc, skR, b"info", b"aad", ct) == b"plaintext"


def test_failed_open_keeps_sequence_number():
    suite = hpke_for(*X25519)
    skR, pkR, _, _ = _keys(suite)
    enc, sender = suite.setup_base_s(pkR, b"")
    recipient = suite.setup_base_r(enc, skR, b"")
    ct0, ct1 = sender.seal(b"", b"zero"), sender.seal(b"", b"one")
    with pytest.raises(DecryptError):
        recipient.open(b"", ct1)  # out of order: nonce for seq 0 does not match
    assert recipient.seq == 0
    assert recipient.open(b"", ct0) == b"zero"
    assert recipient.open(b"", ct1) == b"one"


@pytest.mark.parametrize("suite_ids", [X25519, P256, (0x21, 3, 3), (0x12, 3, 2)],
                         ids=["x25519", "p256", "x448", "p521"])
def test_wrong_length_public_keys(suite_ids):
    suite = hpke_for(*suite_ids)
    skR, pkR, skS, pkS = _keys(suite)
    enc, _ = suite.setup_auth_s(pkR, b"", skS)
    for bad in (b"", pkR[:-1], pkR + b"\x00"):
        with pytest.raises(ValueError, match="invalid pkR"):
            suite.setup_base_s(bad, b"")
        with pytest.raises(ValueError, match="invalid pkR"):
            suite.setup_auth_s(bad, b"", skS)
        with pytest.raises(DecryptError, match="invalid enc"):
            suite.setup_base_r(bad, skR, b"")
        with pytest.raises(DecryptError, match="invalid pkS"):
            suite.setup_auth_r(enc, skR, b"", bad)


@pytest.mark.parametrize("suite_ids", [X25519, P256], ids=["x25519", "p256"])
def test_wrong_private_keys_are_local_errors(suite_ids):
    suite = hpke_for(*suite_ids)
    skR, pkR, skS, _ = _keys(suite)
    enc, _ = suite.setup_base_s(pkR, b"")
    for bad in (b"", skR[:-1], skR + b"\x00"):
        with pytest.raises(ValueError, match="private key"):
            suite.setup_base_r(enc, bad, b"")
        with pytest.raises(ValueError, match="private key"):
            suite.setup_auth_s(pkR, b"", bad)
        with pytest.raises(ValueError, match="private key"):
            suite.kem.public_key(bad)


def test_p256_private_key_range():
    kem = hpke_for(*P256).kem
    order = kem.group.order
    for scalar in (0, order, order + 1, 2**256 - 1):
        with pytest.raises(ValueError, match=r"not in \[1, order-1\]"):
            kem.public_key(scalar.to_bytes(32, "big"))
    assert len(kem.public_key((order - 1).to_bytes(32, "big"))) == 65


def _p256_points_off_canonical_range():
    """An on-curve point (x, y) with small x, encoded with x + p (coordinate out of range)."""
    p = 2**256 - 2**224 + 2**192 + 2**96 - 1
    b = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B
    for x in range(1, 100):
        rhs = (x**3 - 3 * x + b) % p
        y = pow(rhs, (p + 1) // 4, p)
        if y * y % p == rhs:
            return (b"\x04" + x.to_bytes(32, "big") + y.to_bytes(32, "big"),
                    b"\x04" + (x + p).to_bytes(32, "big") + y.to_bytes(32, "big"))
    raise AssertionError("no small-x point found")


def test_p256_public_key_validation():
    suite = hpke_for(*P256)
    skR, pkR, _, _ = _keys(suite)
    canonical, out_of_range = _p256_points_off_canonical_range()
    assert suite.kem.encap(canonical)  # sanity: the canonical encoding is a valid key
    not_on_curve = pkR[:-1] + bytes((pkR[-1] ^ 1,))
    compressed_prefix = b"\x02" + pkR[1:]  # right length, wrong format
    infinity = b"\x00" * 65
    for bad in (not_on_curve, compressed_prefix, infinity, out_of_range, pkR[:33]):
        with pytest.raises(DecryptError, match="invalid enc"):
            suite.setup_base_r(bad, skR, b"")
        with pytest.raises(ValueError, match="invalid pkR"):
            suite.setup_base_s(bad, b"")


# RFC 7748 small-order points: DH with them gives the all-zero shared secret.
X25519_SMALL_ORDER = [
    bytes(32),
    (1).to_bytes(32, "little"),
    bytes.fromhex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"),
    bytes.fromhex("5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157"),
    (2**255 - 19 - 1).to_bytes(32, "little"),
]
X448_SMALL_ORDER = [bytes(56), (1).to_bytes(56, "little"), (2**448 - 2**224 - 2).to_bytes(56, "little")]


@pytest.mark.parametrize(("suite_ids", "point"),
                         [(X25519, p) for p in X25519_SMALL_ORDER] + [((0x21, 3, 3), p) for p in X448_SMALL_ORDER],
                         ids=[f"x25519-{i}" for i in range(len(X25519_SMALL_ORDER))]
                         + [f"x448-{i}" for i in range(len(X448_SMALL_ORDER))])
def test_all_zero_shared_secret_rejected(suite_ids, point):
    suite = hpke_for(*suite_ids)
    skR, pkR, skS, _ = _keys(suite)
    enc, _ = suite.setup_auth_s(pkR, b"", skS)
    with pytest.raises(DecryptError, match="all zero"):
        suite.setup_base_r(point, skR, b"")
    with pytest.raises(DecryptError, match="all zero"):
        suite.setup_auth_r(enc, skR, b"", point)
    with pytest.raises(ValueError, match="all zero"):
        suite.setup_base_s(point, b"")


# --------------------------------------------------------------------------- key schedule and context rules


def test_psk_input_rules():
    suite = hpke_for(*X25519)
    skR, pkR, skS, pkS = _keys(suite)
    shared_secret = bytes(32)
    with pytest.raises(ValueError, match="inconsistent"):
        suite.setup_psk_s(pkR, b"", b"psk" * 11, b"")
    with pytest.raises(ValueError, match="inconsistent"):
        suite.setup_psk_s(pkR, b"", b"", b"id")
    with pytest.raises(ValueError, match="missing required PSK"):
        suite.setup_psk_s(pkR, b"", b"", b"")
    with pytest.raises(ValueError, match="missing required PSK"):
        suite.setup_auth_psk_r(b"\x09" + bytes(31), skR, b"", b"", b"", pkS)
    for mode in (Mode.BASE, Mode.AUTH):
        with pytest.raises(ValueError, match="not needed"):
            suite.key_schedule("S", mode, shared_secret, b"", b"psk", b"id")


def test_roles_are_enforced():
    suite = hpke_for(*X25519)
    skR, pkR, _, _ = _keys(suite)
    enc, sender = suite.setup_base_s(pkR, b"")
    recipient = suite.setup_base_r(enc, skR, b"")
    with pytest.raises(ValueError, match="sender context"):
        sender.open(b"", sender.seal(b"", b"x"))
    with pytest.raises(ValueError, match="recipient context"):
        recipient.seal(b"", b"x")


def test_sequence_number_overflow():
    suite = hpke_for(*X25519)
    key, nonce = bytes(16), bytes(12)
    last = (1 << 96) - 1
    sender = hpke.Context(suite, "S", key, nonce, bytes(32), seq=last - 1)
    recipient = hpke.Context(suite, "R", key, nonce, bytes(32), seq=last - 1)
    assert recipient.open(b"", sender.seal(b"", b"final")) == b"final"
    assert sender.seq == last
    assert sender.compute_nonce(last) == b"\xff" * 12
    with pytest.raises(MessageLimitReachedError):
        sender.seal(b"", b"too many")
    with pytest.raises(MessageLimitReachedError):
        recipient.open(b"", suite.aead.seal(key, b"\xff" * 12, b"", b"too many"))


def test_export_length_limit_and_export_only():
    suite = hpke_for(0x20, 1, 0xFFFF)
    skR, pkR, _, _ = _keys(suite)
    enc, sender = suite.setup_base_s(pkR, b"")
    recipient = suite.setup_base_r(enc, skR, b"")
    assert sender.key == sender.base_nonce == b""
    assert len(sender.export(b"", 255 * 32)) == 255 * 32
    assert sender.export(b"", 0) == b""
    with pytest.raises(ValueError, match="at most 255"):
        sender.export(b"", 255 * 32 + 1)
    with pytest.raises(ValueError, match="export-only"):
        sender.seal(b"", b"x")
    with pytest.raises(ValueError, match="export-only"):
        recipient.open(b"", b"x" * 16)


def test_aead_argument_lengths():
    aead = hpke_for(*X25519).aead
    with pytest.raises(ValueError, match="16-byte key and a 12-byte nonce"):
        aead.seal(bytes(32), bytes(12), b"", b"")
    with pytest.raises(ValueError, match="16-byte key and a 12-byte nonce"):
        aead.open(bytes(16), bytes(8), b"", bytes(16))


def test_hkdf_rfc5869_case_1():
    """RFC 5869 Appendix A.1 (HKDF-SHA256), the KDF under HPKE."""
    kdf = hpke_for(*X25519).kdf
    prk = kdf.extract(bytes.fromhex("000102030405060708090a0b0c"), b"\x0b" * 22)
    assert prk.hex() == "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5"
    okm = kdf.expand(prk, bytes.fromhex("f0f1f2f3f4f5f6f7f8f9"), 42)
    assert okm.hex() == ("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
                         "34007208d5b887185865")


def test_hmac_rfc4231_case_6():
    """RFC 4231 §4.7: a key longer than the block size is hashed first (HMAC-SHA-256 and HMAC-SHA-512)."""
    key, data = b"\xaa" * 131, b"Test Using Larger Than Block-Size Key - Hash Key First"
    assert hpke_for(0x20, 1, 1).kdf.hmac(key, data).hex() == (
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    assert hpke_for(0x21, 3, 2).kdf.hmac(key, data).hex() == (
        "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
        "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598")


@given(kdf_id=st.sampled_from([1, 2, 3]), key=st.binary(max_size=200), message=st.binary(max_size=300))
def test_hmac_is_the_standard_librarys(kdf_id, key, message):
    """RFC 2104 §2: ``Kdf.hmac`` gives what Python's ``hmac`` gives, for keys shorter and longer than a block."""
    kdf = hpke_for(0x20, kdf_id, 1).kdf
    assert kdf.hmac(key, message) == hmac.digest(key, message, kdf.hash_name)
