"""X-Wing draft-06 (spec_model/mls/xwing.py) and welcome wrapping with it (facts §7.3, wrapper algorithm 2).

Known answers from three independent places: the draft's own test vectors, a libxmtp fixture made with
hpke-rs and libcrux (KEM 0x004D), and @hpke/hybridkem-x-wing under Node. The Node cross-check needs its
pinned packages installed once: ``npm ci --prefix tests/xmtp/xwing``.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from spec_model.mls import xwing
from spec_model.mls.codec import opaque
from spec_model.mls.group import Group
from spec_model.mls.group_context import Extension
from spec_model.mls.hpke import DecryptError, hpke_for
from spec_model.mls.message import MLSMessage
from spec_model.mls.reasons import Rejected
from spec_model.mls.suites import HPKECiphertext, suite
from spec_model.xmtp import api
from spec_model.xmtp.credential import Installation
from spec_model.xmtp.extensions import XmtpExtensionType
from spec_model.xmtp.groups import XMTP_GROUP_CONFIG
from spec_model.xmtp.key_package import CIPHER_SUITE, WelcomeWrapperEncryption, build_key_package
from spec_model.xmtp.welcome_wrap import (
    WelcomeMetadata, WelcomeWrapperAlgorithm, WelcomeWrapReason, unwrap_welcome, welcome_recipient,
    wrap_welcome,
)

from tests.xmtp.clients import Net
from tests.xmtp.test_welcome_wrap import _flip, _refused

XWING_DIR = Path(__file__).parent / "xwing"
XWING = WelcomeWrapperAlgorithm.XWING_MLKEM_768_DRAFT_6
CURVE = WelcomeWrapperAlgorithm.CURVE25519
HPKE = hpke_for(0x004D, 0x0001, 0x0003)  # libxmtp's X-Wing suite (facts §7.3)
INFO = opaque(b"MLS 1.0 MLS_WELCOME") + opaque(b"")
SK, PK = xwing.derive_key_pair(b"recipient" * 4)
WELCOME = b"\x00\x01\x00\x03" + bytes(range(200))  # stands in for a TLS MLSMessage(Welcome)


def seeded(seed: int):
    return random.Random(seed).randbytes


# ------------------------------------------------------------------ X-Wing draft-06 as a KEM

# draft-connolly-cfrg-xwing-kem-06, spec/test-vectors.json (git tag draft-connolly-cfrg-xwing-kem-06 of
# github.com/dconnolly/draft-connolly-cfrg-xwing-kem): seed, eseed, ss in full; pk and ct as SHA-256 digests.
DRAFT_06_VECTORS = [
    ("7f9c2ba4e88f827d616045507605853ed73b8093f6efbc88eb1a6eacfa66ef26",
     "3cb1eea988004b93103cfb0aeefd2a686e01fa4a58e8a3639ca8a1e3f9ae57e2"
     "35b8cc873c23dc62b8d260169afa2f75ab916a58d974918835d25e6a435085b2",
     "d2df0522128f09dd8e2c92b1e905c793d8f57a54c3da25861f10bf4ca613e384",
     "2e816deebcd76c5c80d0cd2d174478871658e8e2ff42bc9d4a6e486372e856bb",
     "17cd532d657e44c897ca6583e548a5424fc70bf54f99515a4d2bcf99e3469f33"),
    ("badfd6dfaac359a5efbb7bcc4b59d538df9a04302e10c8bc1cbf1a0b3a5120ea",
     "17cda7cfad765f5623474d368ccca8af0007cd9f5e4c849f167a580b14aabdef"
     "aee7eef47cb0fca9767be1fda69419dfb927e9df07348b196691abaeb580b32d",
     "f2e86241c64d60f6649fbc6c5b7d17180b780a3f34355e64a85749949c45f150",
     "c42ba5f8430d7d2c83739338203819f090e8303ce9c8b02107c272bfa5376916",
     "1661ea86d608a1924ba30840cb0a65f13ae051e3aec9cf0f064efc0bc92f2154"),
    ("ef58538b8d23f87732ea63b02b4fa0f4873360e2841928cd60dd4cee8cc0d4c9",
     "22a96188d032675c8ac850933c7aff1533b94c834adbb69c6115bad4692d8619"
     "f90b0cdf8a7b9c264029ac185b70b83f2801f2f4b3f70c593ea3aeeb613a7f1b",
     "953f7f4e8c5b5049bdc771d1dffada0dd961477d1a2ae0988baa7ea6898d893f",
     "6b080d6b84f095342092fa7a22423e58bd681397ad0ef00eac92bd254db4fa95",
     "d3ca5578500344b5896cffc4fd740c9311946b82951df155e6fd86a7966b43c6"),
]


@pytest.mark.parametrize("seed, eseed, ss, pk_digest, ct_digest", DRAFT_06_VECTORS)
def test_draft_06_vectors(seed, eseed, ss, pk_digest, ct_digest):
    sk, pk = xwing.generate_key_pair_derand(bytes.fromhex(seed))
    assert sk == bytes.fromhex(seed) and hashlib.sha256(pk).hexdigest() == pk_digest
    shared, ct = xwing.encapsulate_derand(pk, bytes.fromhex(eseed))
    assert shared.hex() == ss and hashlib.sha256(ct).hexdigest() == ct_digest
    assert xwing.decapsulate(ct, sk) == shared


def test_label_and_sizes():
    assert xwing.XWING_LABEL.hex() == "5c2e2f2f5e5c"
    for kem_id in (0x004D, 0x647A):
        kem = hpke_for(kem_id, 0x0001, 0x0003).kem
        assert (kem.kem_id, kem.Nsecret, kem.Nenc, kem.Npk, kem.Nsk) == (kem_id, 32, 1120, 1216, 32)
    sk, pk = xwing.generate_key_pair()
    shared, ct = xwing.encapsulate(pk)
    assert (len(sk), len(pk), len(ct), len(shared)) == (32, 1216, 1120, 32)
    assert xwing.decapsulate(ct, sk) == shared
    assert pk[1184:] == xwing.expand_decapsulation_key(sk)[1].public_key().public_bytes_raw()


def test_derive_key_pair_is_shake256_of_ikm():
    for ikm in (b"", b"\x07" * 32, bytes(range(100))):
        assert xwing.derive_key_pair(ikm) == xwing.generate_key_pair_derand(hashlib.shake_256(ikm).digest(32))
        assert HPKE.kem.derive_key_pair(ikm) == xwing.derive_key_pair(ikm)
        assert HPKE.kem.public_key(xwing.derive_key_pair(ikm)[0]) == xwing.derive_key_pair(ikm)[1]


def test_encapsulation_key_check():
    bad = bytes([0xFF, PK[1] | 0x0F]) + PK[2:]  # the first 12-bit coefficient is 4095 >= q
    with pytest.raises(ValueError, match="modulus check"):
        xwing.encapsulate(bad)
    with pytest.raises(Rejected) as e:
        wrap_welcome(bad, WELCOME, 1, XWING)
    assert e.value.reason == WelcomeWrapReason.INVALID_RECIPIENT_KEY


def test_wrong_lengths():
    for pk in (PK[:-1], PK + b"\x00", PK[1184:]):
        with pytest.raises(Rejected) as e:
            wrap_welcome(pk, WELCOME, 1, XWING)
        assert e.value.reason == WelcomeWrapReason.INVALID_RECIPIENT_KEY
    _, ct = xwing.encapsulate(PK)
    for enc in (ct[:-1], ct + b"\x00", ct[1088:]):
        with pytest.raises(DecryptError):
            HPKE.kem.decap(enc, SK)
    with pytest.raises(ValueError):
        xwing.decapsulate(ct, SK + b"\x00")  # a local argument: not a DecryptError
    with pytest.raises(ValueError):
        xwing.encapsulate_derand(PK, bytes(63))


def test_not_an_authenticated_kem():
    with pytest.raises(ValueError, match="not an authenticated KEM"):
        HPKE.setup_auth_s(PK, INFO, SK)
    with pytest.raises(ValueError, match="not an authenticated KEM"):
        HPKE.kem.auth_decap(bytes(1120), SK, PK)


# ------------------------------------------------------------------ a libxmtp fixture

# libxmtp crates/xmtp_mls_common/src/mls_ext/payload_encryption/fixtures/legacy_xwing/ (public test keys; libxmtp is MIT-licensed):
# hpke-rs 0.6.1 (XMTP fork) with libcrux-kem 0.0.9, XWingDraft06Obsolete = KEM 0x004D, HKDF-SHA256,
# ChaCha20-Poly1305, info = EncryptContext{"MLS 1.0 MLS_WELCOME", ""}, key pair DeriveKeyPair([7; 32]).
LIBXMTP_PRIVATE_KEY = "d7b4cf68d3f1b711924ccded71a241faf8162f7ef6ce748370a10e86b94befc1"
LIBXMTP_PUBLIC_KEY_SHA256 = "b001bc3f5685c183b3acd0fe6925cfe8ef296cad77fb7ed45712979b02a39623"
LIBXMTP_WRAPPED_PAYLOAD = (
    "4460091d7e3ddfd3142a8ad23ab7919e372ea812f1269efead948a4648405fdfdf2f02601a1067c33ca168f4e87e1deb388889a5"
    "02136196611c8c483e9e868e5f9f60401c60bee9ebcf7c776749d64d89e52b6323068790fb788266fe77280d1736bd7e688d1f36"
    "529270cef758b3bb15756fe0658e838490cc320575d95763f5a05a7b074b70ab8fac3ef09c49bc5b217703e31dd0624a6c0fca9e"
    "05b490590caa0f5d0caa9ffad939ba03119ddf6aff30ea1c9d63a995095f7a83f0cc1830e99add5a2f078f684124b5d1498edaa5"
    "2780ee1daa584a4c4715d702afae8b41e6b7fe59e2ed5a26cc3ea9c4b9434f3ef6a25c26e50d603aef840b247e6ec90adde77692"
    "8adbf6e76f88d7174303c3b477b637a766c31cda9726c957f1ca1708bf8e9ca831846c38bac7f564a078f27d8d18ccea6c805fdb"
    "6d43425b04c482b6e7fb1758dfdfc7fe90b7da06e664267a30795ce43b9b83d25588dae9e80a9264cebd6e7b6023f3dba2e77a9b"
    "3e092ea8c080cbeb0ddd9b74187fe9773f3a20a116564da1c52c229e6e171df24367610378a8982c13f76500710f1854ad7c1e91"
    "48b7316b10d020aa97a5fbfff21c0fc3e7fe0a7c3e343f68c0b27af0824ca2b195e04fe5413d2d34520fdf082932e98b42c52ba7"
    "922d3a1b8d209be3098107ba671a33b7a47a122a88c9f55620391f2f3fa80d649cd39bebc0e0d7547d462482f2a60870d2d69d0b"
    "2c18b24d487190ca93b0cb057a4fa7ed7f04c6458ff0501e6d3c907c3d881a0349fb009fd41ff40420d6c98e494a4c600e9ea2d7"
    "5afcfde8801bc04076d4d2427a06f0a2c48f01b2a2c5a974d47594f0310c7d7d02c03b91174ede67e2748da91694f360ab8062ab"
    "e6129efb5f1fdef267676e5b96808ee6afde89c7ed94c3f409866994e346005536f0db3d31bdb3a7386a2487160533722ef15bf5"
    "be5cad1c301f148e00b1e90724933d9de73475dceae9ba9f264d30427f5b095c016d8d310cc7c611ffc63a6dc535027ae209a4ad"
    "01b4fe8c5a76a65e476a6369386007e85409402c57175fc86c5a8b3795126798efa5fcfe35abfa2f2b25b1e79c54975be751c62a"
    "03e2c8f488d162ecc7d3ad276856fdaa5c7f73ac7fdb4b4a299b73b61ac02a7a76c6a2642834647cb6b6b05b4a56e6b0d9d558b8"
    "fa7fae860cba42ec34af1a05e4ef0bbd36ab7bdc657af0ca6e073411de69c03ea7a8944f11b51912fb6ee762316b8471f358b59d"
    "f727e3dcc2d127fa083c5c7f68d06b5053872a55b2aafd3cd3a85c791e119763b11204fc415d210fbd41915979eb6d1b0d847b2b"
    "58c5e6b3eca37193d0889c6e5213a917c347a714f67fd5a09eae166ee937d1dbc7098878c42128b4348c71e39fc61cc14eb02ede"
    "8fb321466e54a708cd425b8d1577cd154df72e71ea0adc209e13b232b1957206002dc48c329d5cecab199ab295c9a323ac1969f1"
    "0d0066c4a35f3c988e5c911c1e01b95741bcebd01b4372a13d3a85ce0ac97aae3845b6439e5aab5bc9863cc405d2bbf0b9ed1c5e"
    "231d577ef60c1865870825b1e7a16cc962a6420e2eec7a3d8b486e53113437640c6ffd2eb2a9df9d594762af39605435ce0bac2d"
    "06d77e3f516b28fa65f535863c3add9802cd924103b123094d7576278defb4df0f22")
LIBXMTP_SECONDARY_CIPHERTEXT = "71602124b33a560cc4cbcafd9fd149ebd18ac274dec88781e6cea541cb0936b5fd1d83ee5e8c475acd4d"


def test_libxmtp_fixture():
    sk, pk = xwing.derive_key_pair(bytes([7] * 32))
    assert sk.hex() == LIBXMTP_PRIVATE_KEY and hashlib.sha256(pk).hexdigest() == LIBXMTP_PUBLIC_KEY_SHA256
    data, second = bytes.fromhex(LIBXMTP_WRAPPED_PAYLOAD), bytes.fromhex(LIBXMTP_SECONDARY_CIPHERTEXT)
    assert unwrap_welcome(sk, data, b"", XWING) == (b"persisted Welcome compatibility fixture", 0)
    wrapped = HPKECiphertext.decode(data)
    context = HPKE.setup_base_r(wrapped.kem_output, sk, INFO)
    assert context.open(b"", wrapped.ciphertext) == b"persisted Welcome compatibility fixture"
    assert context.open(b"", second) == b"persisted Welcome metadata"  # the fixture's, not a WelcomeMetadata
    _refused(WelcomeWrapReason.MALFORMED_METADATA, sk, data, second, XWING)
    _refused(WelcomeWrapReason.DECRYPT_FAILED, sk, data, b"", CURVE)
    with pytest.raises(DecryptError):  # the HPKE suite_id names the KEM: 0x647A derives other keys
        hpke_for(0x647A, 0x0001, 0x0003).setup_base_r(wrapped.kem_output, sk, INFO).open(b"", wrapped.ciphertext)


# ------------------------------------------------------------------ welcome wrapping with X-Wing

def test_round_trip_and_layout():
    data, metadata = wrap_welcome(PK, WELCOME, 123456789, XWING)
    assert unwrap_welcome(SK, data, metadata, XWING) == (WELCOME, 123456789)
    assert unwrap_welcome(SK, data, b"", XWING) == (WELCOME, 0)
    wrapped = HPKECiphertext.decode(data)
    assert len(wrapped.kem_output) == 1120 and len(wrapped.ciphertext) == len(WELCOME) + 16
    context = HPKE.setup_base_r(wrapped.kem_output, SK, INFO)
    assert context.open(b"", wrapped.ciphertext) == WELCOME
    assert WelcomeMetadata.decode(context.open(b"", metadata)) == WelcomeMetadata(123456789)


def test_deterministic_with_rng():
    assert wrap_welcome(PK, WELCOME, 7, XWING, rng=seeded(1)) == wrap_welcome(PK, WELCOME, 7, XWING, rng=seeded(1))
    assert wrap_welcome(PK, WELCOME, 7, XWING, rng=seeded(1)) != wrap_welcome(PK, WELCOME, 7, XWING, rng=seeded(2))
    eseed = seeded(1)(64)
    kem_output = HPKECiphertext.decode(wrap_welcome(PK, WELCOME, 7, XWING, rng=seeded(1))[0]).kem_output
    assert kem_output == xwing.encapsulate_derand(PK, eseed)[1]  # rng gives EncapsulateDerand's eseed


def test_wrong_key_refused():
    data, metadata = wrap_welcome(PK, WELCOME, 5, XWING)
    other_sk, _ = xwing.derive_key_pair(b"someone else")
    _refused(WelcomeWrapReason.DECRYPT_FAILED, other_sk, data, metadata, XWING)


@pytest.mark.parametrize("where", [3, 1000, 1090, 1121, 1130, -1])  # ct_M, ct_M, ct_X, ct_X, ciphertext, tag
def test_tampered_data_refused(where):
    data, metadata = wrap_welcome(PK, WELCOME, 5, XWING)
    _refused(WelcomeWrapReason.DECRYPT_FAILED, SK, _flip(data, where % len(data)), metadata, XWING)


def test_tampered_metadata_refused():
    data, metadata = wrap_welcome(PK, WELCOME, 5, XWING)
    _refused(WelcomeWrapReason.DECRYPT_FAILED, SK, data, _flip(metadata, 0), XWING)


def test_algorithms_do_not_mix():
    curve_sk, curve_pk = hpke_for(0x0020, 0x0001, 0x0003).kem.derive_key_pair(b"x25519" * 6)
    data, metadata = wrap_welcome(PK, WELCOME, 5, XWING)
    _refused(WelcomeWrapReason.DECRYPT_FAILED, curve_sk, data, metadata, CURVE)  # a 1120-byte enc is no X25519 key
    data, metadata = wrap_welcome(curve_pk, WELCOME, 5)
    _refused(WelcomeWrapReason.DECRYPT_FAILED, SK, data, metadata, XWING)  # a 32-byte enc is no X-Wing ciphertext
    with pytest.raises(Rejected) as e:
        wrap_welcome(curve_pk, WELCOME, 5, XWING)
    assert e.value.reason == WelcomeWrapReason.INVALID_RECIPIENT_KEY


# ------------------------------------------------------------------ which key a Welcome is wrapped to

def _key_package(extension_data: bytes | None = None):
    """A key package of a fresh installation, with 0xFF03 holding ``extension_data`` when given."""
    bundle = build_key_package(Installation.generate(seeded(3)), "ab" * 32, 1_800_000_000, seeded(4))
    kp = bundle.key_package
    if extension_data is not None:
        kp = kp.replace(extensions=kp.extensions + (Extension(XmtpExtensionType.WELCOME_WRAPPER, extension_data),))
    return kp


def test_recipient_without_0xff03_is_the_init_key():
    kp = _key_package()
    assert welcome_recipient(kp) == (kp.init_key, CURVE)


@pytest.mark.parametrize("algorithm, expected", [
    (XWING, XWING), (CURVE, CURVE), (WelcomeWrapperAlgorithm.UNSPECIFIED, CURVE), (99, CURVE),
])
def test_recipient_with_0xff03_is_its_key(algorithm, expected):
    key = PK if expected == XWING else hpke_for(0x0020, 0x0001, 0x0003).kem.derive_key_pair(b"k" * 32)[1]
    kp = _key_package(WelcomeWrapperEncryption(key, algorithm).encode())
    assert welcome_recipient(kp) == (key, expected)


@pytest.mark.parametrize("extension_data, reason", [
    (WelcomeWrapperEncryption(PK, WelcomeWrapperAlgorithm.SYMMETRIC_KEY).encode(),
     WelcomeWrapReason.UNSUPPORTED_ALGORITHM),
    (b"\x0a\xff", WelcomeWrapReason.MALFORMED_WRAPPER_EXTENSION),
    (WelcomeWrapperEncryption(PK[:32], XWING).encode(), WelcomeWrapReason.INVALID_RECIPIENT_KEY),
    (WelcomeWrapperEncryption(PK, CURVE).encode(), WelcomeWrapReason.INVALID_RECIPIENT_KEY),
])
def test_unusable_0xff03_refused(extension_data, reason):
    with pytest.raises(Rejected) as e:
        welcome_recipient(_key_package(extension_data))
    assert e.value.reason == reason


def test_client_wraps_welcomes_with_xwing_when_the_key_package_asks(tmp_path):
    net = Net(tmp_path)
    alix, bo = net.user("alix"), net.user("bo", 2)
    xwing_sk, xwing_pk = xwing.derive_key_pair(b"bo's first installation")
    bundle = build_key_package(bo.c.installation, bo.inbox_id, net.clock.now_ns() // 10**9, net.rng,
                               wrapper_public_key=xwing_pk)  # libxmtp HEAD's key package, 0xFF03 included
    net.network.upload_key_package(api.UploadKeyPackageRequest(
        api.KeyPackageUpload(bundle.key_package.encode()), is_inbox_id_credential=True))
    group = alix.c.conversations.create_group([bo.address])

    received = {}
    for client in bo.clients:
        page = net.network.query_welcome_messages(api.QueryWelcomeMessagesRequest(
            client.installation_id, api.PagingInfo(api.SortDirection.ASCENDING, 10, 0)))
        [received[client.installation_id]] = [m.v1 for m in page.messages]
    first, second = received[bo.clients[0].installation_id], received[bo.clients[1].installation_id]
    assert (first.wrapper_algorithm, first.hpke_public_key) == (XWING, xwing_pk)
    assert second.wrapper_algorithm == CURVE and len(second.hpke_public_key) == 32  # no 0xFF03: the init key
    data, cursor = unwrap_welcome(xwing_sk, first.data, first.welcome_metadata, first.wrapper_algorithm)
    joined = Group.join(MLSMessage.decode(data).body, bundle.key_package, bundle.init_priv,
                        bundle.encryption_priv, bundle.signature_priv, config=XMTP_GROUP_CONFIG)
    assert joined.group_id == group.group_id and cursor > 0
    assert [c.group_id for c in bo.clients[1].conversations.sync()] == [group.group_id]


def test_client_refuses_to_add_a_key_package_with_an_unusable_0xff03(tmp_path):
    net = Net(tmp_path)
    alix, bo = net.user("alix"), net.user("bo")
    bundle = build_key_package(bo.c.installation, bo.inbox_id, net.clock.now_ns() // 10**9, net.rng,
                               wrapper_public_key=PK)
    kp = bundle.key_package
    extensions = tuple(Extension(e.extension_type, WelcomeWrapperEncryption(PK, 3).encode())
                       if e.extension_type == XmtpExtensionType.WELCOME_WRAPPER else e for e in kp.extensions)
    kp = kp.replace(extensions=extensions).signed(suite(CIPHER_SUITE), bundle.signature_priv)
    net.network.upload_key_package(api.UploadKeyPackageRequest(api.KeyPackageUpload(kp.encode()), True))
    group = alix.c.conversations.create_group([])
    with pytest.raises(Rejected) as e:
        group.add_members([bo.address])
    assert e.value.root.reason == "welcome_wrap.unsupported_algorithm"  # the typed cause, not the text


# ------------------------------------------------------------------ @hpke/hybridkem-x-wing cross-check

def _run_js(cases: list[dict]) -> list[dict]:
    if shutil.which("node") is None:
        pytest.fail("node (>= 20) is needed for the @hpke/hybridkem-x-wing cross-check")
    if not (XWING_DIR / "node_modules" / "@hpke" / "hybridkem-x-wing").is_dir():
        pytest.fail("@hpke/hybridkem-x-wing is not installed: run `npm ci --prefix tests/xmtp/xwing`")
    done = subprocess.run(["node", str(XWING_DIR / "xwing.mjs")], input=json.dumps(cases),
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_js_derives_the_same_key_pairs():
    ikms = [bytes([7] * 32), b"", b"recipient" * 4] + [seeded(i)(32) for i in range(8)]
    results = _run_js([{"op": "derive", "ikm": ikm.hex()} for ikm in ikms])
    for ikm, js in zip(ikms, results):
        sk, pk = xwing.derive_key_pair(ikm)
        assert (js["private_key"], js["public_key"]) == (sk.hex(), pk.hex())


def test_known_answers_against_js():
    cases = [(seeded(10 + i)(32), seeded(20 + i)(64), seeded(30 + i)(i * 97), i * 1_000_003) for i in range(6)]
    asked = []
    for ikm, eseed, welcome, cursor in cases:
        asked.append({"op": "wrap", "public_key": xwing.derive_key_pair(ikm)[1].hex(), "welcome": welcome.hex(),
                      "metadata": WelcomeMetadata(cursor).encode().hex(), "eseed": eseed.hex()})
    for (ikm, eseed, welcome, cursor), js in zip(cases, _run_js(asked)):
        data, metadata = wrap_welcome(xwing.derive_key_pair(ikm)[1], welcome, cursor, XWING, rng=lambda n: eseed[:n])
        assert (js["data"], js["welcome_metadata"]) == (data.hex(), metadata.hex())  # byte for byte


def test_js_wraps_and_the_model_unwraps():
    cases = [(seeded(40 + i)(32), seeded(50 + i)(i * 300), i * 7) for i in range(6)]
    results = _run_js([{"op": "wrap", "public_key": xwing.derive_key_pair(ikm)[1].hex(), "welcome": welcome.hex(),
                        "metadata": WelcomeMetadata(cursor).encode().hex()} for ikm, welcome, cursor in cases])
    for (ikm, welcome, cursor), js in zip(cases, results):
        sk = xwing.derive_key_pair(ikm)[0]
        data, metadata = bytes.fromhex(js["data"]), bytes.fromhex(js["welcome_metadata"])
        assert unwrap_welcome(sk, data, metadata, XWING) == (welcome, cursor)
        _refused(WelcomeWrapReason.DECRYPT_FAILED, sk, _flip(data, 1100), metadata, XWING)


def test_model_wraps_and_js_unwraps():
    ikms = [seeded(60 + i)(32) for i in range(6)]
    keys = _run_js([{"op": "derive", "ikm": ikm.hex()} for ikm in ikms])  # keys JS generated
    asked, expected = [], []
    for i, key in enumerate(keys):
        welcome, cursor = seeded(70 + i)(i * 250), 2**63 + i
        data, metadata = wrap_welcome(bytes.fromhex(key["public_key"]), welcome, cursor, XWING)
        asked.append({"op": "unwrap", "private_key": key["private_key"], "data": data.hex(),
                      "welcome_metadata": metadata.hex()})
        asked.append({"op": "unwrap", "private_key": key["private_key"], "data": _flip(data, 5).hex(),
                      "welcome_metadata": metadata.hex()})
        expected.append((welcome, cursor))
    results = _run_js(asked)
    for (welcome, cursor), opened, tampered in zip(expected, results[0::2], results[1::2]):
        assert bytes.fromhex(opened["welcome"]) == welcome
        assert WelcomeMetadata.decode(bytes.fromhex(opened["metadata"])).message_cursor == cursor
        assert tampered == {"error": "OpenError"}


def test_js_at_the_codepoint_draft_06_requests_is_not_libxmtps():
    [js] = _run_js([{"op": "wrap", "public_key": PK.hex(), "welcome": WELCOME.hex(),
                     "metadata": WelcomeMetadata(9).encode().hex(), "kem_id": 0x647A}])
    data, metadata = bytes.fromhex(js["data"]), bytes.fromhex(js["welcome_metadata"])
    _refused(WelcomeWrapReason.DECRYPT_FAILED, SK, data, metadata, XWING)  # libxmtp's 0x004D
    wrapped = HPKECiphertext.decode(data)
    context = hpke_for(0x647A, 0x0001, 0x0003).setup_base_r(wrapped.kem_output, SK, INFO)
    assert context.open(b"", wrapped.ciphertext) == WELCOME
