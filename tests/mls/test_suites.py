"""RFC 9420 §5.1.2: signing and verifying with labels, and the memory of successful verifications."""

from __future__ import annotations

import pytest

from spec_model.mls import suites
from spec_model.mls.suites import InvalidSignatureError, remember_verifications, suite


@pytest.fixture
def remembering():
    before = remember_verifications(16)
    yield
    remember_verifications(before)


@pytest.mark.parametrize("cipher_suite", [1, 2, 7])
def test_a_remembered_verification_never_vouches_for_other_inputs(cipher_suite, remembering):
    cs = suite(cipher_suite)
    priv, pub = cs.generate_signature_key_pair()
    _, other_pub = cs.generate_signature_key_pair()
    signature = cs.sign_with_label(priv, b"LeafNodeTBS", b"content")
    cs.verify_with_label(pub, b"LeafNodeTBS", b"content", signature)
    cs.verify_with_label(pub, b"LeafNodeTBS", b"content", signature)  # remembered
    for key, label, content, sig in [(other_pub, b"LeafNodeTBS", b"content", signature),
                                     (pub, b"GroupInfoTBS", b"content", signature),
                                     (pub, b"LeafNodeTBS", b"contents", signature),
                                     (pub, b"LeafNodeTBS", b"content", signature[:-1] + bytes([signature[-1] ^ 1]))]:
        with pytest.raises(InvalidSignatureError):
            cs.verify_with_label(key, label, content, sig)


def test_the_memory_is_bounded_and_can_be_switched_off(remembering):
    cs = suite(1)
    priv, pub = cs.generate_signature_key_pair()
    for n in range(20):
        cs.verify_with_label(pub, b"L", bytes([n]), cs.sign_with_label(priv, b"L", bytes([n])))
    assert len(suites._verified) == 16
    large = b"x" * 5000  # a large commit's content is checked once per member: not remembered
    before = suites._verified.keys()
    cs.verify_with_label(pub, b"L", large, cs.sign_with_label(priv, b"L", large))
    assert suites._verified.keys() == before
    remember_verifications(0)
    cs.verify_with_label(pub, b"L", b"x", cs.sign_with_label(priv, b"L", b"x"))
    assert len(suites._verified) == 0


@pytest.mark.parametrize("cipher_suite", [1, 4, 7])
def test_a_signature_the_model_makes_is_remembered_under_its_key_only(cipher_suite, remembering, monkeypatch):
    cs = suite(cipher_suite)
    priv, pub = cs.generate_signature_key_pair()
    _, other_pub = cs.generate_signature_key_pair()
    signature = cs.sign_with_label(priv, b"KeyPackageTBS", b"content")
    checked, verify_once = [], suites._verify_once
    monkeypatch.setattr(suites, "_verify_once", lambda *args: checked.append(args) or verify_once(*args))
    cs.verify_with_label(pub, b"KeyPackageTBS", b"content", signature)
    assert checked == []  # RFC 8032 / FIPS 186-5: what the signer's key signed verifies under it
    with pytest.raises(InvalidSignatureError):
        cs.verify_with_label(other_pub, b"KeyPackageTBS", b"content", signature)
    assert len(checked) == 1


@pytest.mark.parametrize("size", [100, 40_000])
def test_content_in_pieces_verifies_as_their_concatenation(size):
    """RFC 9420 §5.1.2: content given in pieces is the content they join to, short or as long as a large commit's;
    a changed byte in any piece fails."""
    cs = suite(1)
    priv, pub = cs.generate_signature_key_pair()
    content = (bytes(range(256)) * (size // 256 + 1))[:size]
    signature = cs.sign_with_label(priv, b"FramedContentTBS", content)
    pieces = (content[:3], content[3:size // 2], content[size // 2:])
    cs.verify_with_label(pub, b"FramedContentTBS", pieces, signature)
    for i in range(3):
        changed = list(pieces)
        changed[i] = bytes([changed[i][0] ^ 1]) + changed[i][1:]
        with pytest.raises(InvalidSignatureError):
            cs.verify_with_label(pub, b"FramedContentTBS", tuple(changed), signature)
    with pytest.raises(InvalidSignatureError):
        cs.verify_with_label(pub, b"FramedContentTBS", pieces[:2], signature)
