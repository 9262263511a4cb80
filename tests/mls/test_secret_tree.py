"""RFC 9420 §9: secret tree derivation, sender ratchets, reordering limits and erasure."""

from __future__ import annotations

import pytest

from spec_model.mls.secret_tree import (
    MAX_GENERATION, RatchetKind, SecretTree, SecretTreeError, SecretTreeErrorReason as Reason,
    SenderRatchet, SenderRatchetConfiguration, sender_data_key_nonce,
)
from spec_model.mls.suites import suite

CS = suite(1)
SECRET = bytes(range(32))


def chain(secret: bytes, n: int) -> list[tuple[bytes, bytes]]:
    """Oracle: the first ``n`` (key, nonce) pairs of a ratchet, straight from §9.1."""
    out = []
    for j in range(n):
        out.append((CS.derive_tree_secret(secret, b"key", j, CS.Nk),
                    CS.derive_tree_secret(secret, b"nonce", j, CS.Nn)))
        secret = CS.derive_tree_secret(secret, b"secret", j, CS.Nh)
    return out


EXPECTED = chain(SECRET, 12)


def fresh(**limits: int) -> SenderRatchet:
    return SenderRatchet(CS, SECRET, SenderRatchetConfiguration(**limits))


def reason(excinfo: pytest.ExceptionInfo) -> Reason:
    return excinfo.value.reason


# --------------------------------------------------------------- sending


def test_next_key_walks_the_ratchet_in_order() -> None:
    r = fresh()
    for g in range(5):
        assert r.next_key() == (g, *EXPECTED[g])
    assert r.generation == 5
    assert r.retained_generations == ()


def test_key_sent_cannot_be_requested_again() -> None:
    r = fresh()
    r.next_key()
    with pytest.raises(SecretTreeError) as e:
        r.key_for(0)
    assert reason(e) is Reason.GENERATION_USED


# --------------------------------------------------------------- receiving


def test_key_for_in_order_matches_rfc_chain() -> None:
    r = fresh()
    assert [r.key_for(g) for g in range(6)] == EXPECTED[:6]


def test_out_of_order_within_tolerance() -> None:
    r = fresh()
    assert r.key_for(7) == EXPECTED[7]
    assert r.retained_generations == (2, 3, 4, 5, 6)
    assert r.key_for(3) == EXPECTED[3]
    assert r.key_for(6) == EXPECTED[6]
    assert r.retained_generations == (2, 4, 5)  # used keys are erased
    assert r.key_for(8) == EXPECTED[8]  # continues after the newest
    assert r.retained_generations == (4, 5)  # 2 slid out of the window [3, 8)


@pytest.mark.parametrize("g", [3, 7])
def test_reused_generation_rejected(g: int) -> None:
    r = fresh()
    r.key_for(7)
    r.key_for(3)
    with pytest.raises(SecretTreeError, match="already used") as e:
        r.key_for(g)
    assert reason(e) is Reason.GENERATION_USED


def test_tolerance_of_five_enforced() -> None:
    r = fresh()
    r.key_for(10)
    assert r.retained_generations == (5, 6, 7, 8, 9)
    with pytest.raises(SecretTreeError, match="out-of-order window") as e:
        r.key_for(4)
    assert reason(e) is Reason.GENERATION_TOO_OLD
    assert r.key_for(5) == EXPECTED[5]


def test_window_slides_and_erases_old_keys() -> None:
    r = fresh()
    r.key_for(10)
    r.key_for(11)
    assert r.retained_generations == (6, 7, 8, 9)
    with pytest.raises(SecretTreeError) as e:
        r.key_for(5)
    assert reason(e) is Reason.GENERATION_TOO_OLD


def test_zero_tolerance_keeps_nothing() -> None:
    r = fresh(out_of_order_tolerance=0)
    r.key_for(1)
    assert r.retained_generations == ()
    with pytest.raises(SecretTreeError) as e:
        r.key_for(0)
    assert reason(e) is Reason.GENERATION_TOO_OLD


def test_forward_limit_of_1000_enforced() -> None:
    r = fresh()
    with pytest.raises(SecretTreeError, match="maximum forward distance") as e:
        r.key_for(1001)
    assert reason(e) is Reason.GENERATION_TOO_FAR
    assert r.generation == 0 and r.key_for(0) == EXPECTED[0]  # rejection changed nothing
    far = r.key_for(1001)  # 1000 ahead of the next unused generation 1
    assert far == chain(SECRET, 1002)[1001]
    assert r.retained_generations == (996, 997, 998, 999, 1000)


def test_custom_forward_limit() -> None:
    r = fresh(maximum_forward_distance=3)
    with pytest.raises(SecretTreeError):
        r.key_for(4)
    assert r.key_for(3) == EXPECTED[3]


def test_ratchet_exhausts_at_uint32() -> None:
    r = fresh()
    r._generation = MAX_GENERATION  # pretend 2^32 - 1 messages went by
    assert r.next_key()[0] == MAX_GENERATION
    with pytest.raises(SecretTreeError) as e:
        r.next_key()
    assert reason(e) is Reason.RATCHET_EXHAUSTED


def test_configuration_defaults_are_xmtp() -> None:
    c = SenderRatchetConfiguration()
    assert (c.out_of_order_tolerance, c.maximum_forward_distance) == (5, 1000)
    with pytest.raises(ValueError):
        SenderRatchetConfiguration(out_of_order_tolerance=-1)


# --------------------------------------------------------------- the tree


def node_secret(path: str) -> bytes:
    """Oracle: the tree secret reached from the root by 'l'/'r' steps (§9)."""
    secret = SECRET
    for step in path:
        secret = CS.expand_with_label(secret, b"tree", b"left" if step == "l" else b"right", CS.Nh)
    return secret


def test_tree_erases_path_and_keeps_copath() -> None:
    # RFC 9420 §9.2 example: four leaves A B C D, nodes 0..6, root G = 3.
    tree = SecretTree(CS, SECRET, 4)
    assert tree.held_nodes == {3}
    tree.application_ratchet(3)  # D: consumes G, F and D; keeps E and C
    assert tree.held_nodes == {1, 4}
    tree.handshake_ratchet(3)  # already seeded: nothing new is derived
    assert tree.held_nodes == {1, 4}
    tree.ratchet(0, RatchetKind.HANDSHAKE)
    assert tree.held_nodes == {2, 4}
    tree.ratchet(1, RatchetKind.HANDSHAKE)
    tree.ratchet(2, RatchetKind.HANDSHAKE)
    assert tree.held_nodes == frozenset()


@pytest.mark.parametrize("leaf, path", [(0, "ll"), (1, "lr"), (2, "rl"), (3, "rr")])
def test_leaf_ratchets_follow_rfc_derivation(leaf: int, path: str) -> None:
    tree = SecretTree(CS, SECRET, 4)
    leaf_secret = node_secret(path)
    for kind in RatchetKind:
        root = CS.expand_with_label(leaf_secret, kind.value, b"", CS.Nh)
        assert tree.ratchet(leaf, kind).next_key() == (0, *chain(root, 1)[0])


def test_handshake_and_application_ratchets_are_independent() -> None:
    tree = SecretTree(CS, SECRET, 2)
    hs, app = tree.handshake_ratchet(1), tree.application_ratchet(1)
    assert hs is not app and hs.key_for(0) != app.key_for(0)
    app.key_for(4)
    assert hs.generation == 1


def test_single_leaf_tree_uses_encryption_secret_as_leaf() -> None:
    tree = SecretTree(CS, SECRET, 1)
    root = CS.expand_with_label(SECRET, b"application", b"", CS.Nh)
    assert tree.application_ratchet(0).key_for(0) == chain(root, 1)[0]
    assert tree.held_nodes == frozenset()


def test_unknown_leaf_and_bad_width() -> None:
    tree = SecretTree(CS, SECRET, 4)
    with pytest.raises(SecretTreeError) as e:
        tree.application_ratchet(4)
    assert reason(e) is Reason.UNKNOWN_LEAF
    with pytest.raises(ValueError):
        SecretTree(CS, SECRET, 3)


def test_tree_passes_configuration_to_ratchets() -> None:
    tree = SecretTree(CS, SECRET, 2, SenderRatchetConfiguration(maximum_forward_distance=2))
    with pytest.raises(SecretTreeError):
        tree.application_ratchet(0).key_for(3)


# --------------------------------------------------------------- sender data


def test_sender_data_sample_is_first_nh_bytes() -> None:
    secret = bytes(32)
    long_ct = bytes(range(100))
    assert sender_data_key_nonce(CS, secret, long_ct) == sender_data_key_nonce(CS, secret, long_ct[:32])
    assert sender_data_key_nonce(CS, secret, long_ct) != sender_data_key_nonce(CS, secret, long_ct[:31])
    key, nonce = sender_data_key_nonce(CS, secret, b"short")
    assert (len(key), len(nonce)) == (CS.Nk, CS.Nn)
    assert key == CS.expand_with_label(secret, b"key", b"short", CS.Nk)


def test_copies_are_independent_both_ways() -> None:
    cs = suite(3)
    tree = SecretTree(cs, b"\x07" * cs.Nh, 4)
    tree.application_ratchet(1).next_key()
    twin = tree.copy()
    from_twin = twin.application_ratchet(1).next_key()
    assert from_twin[0] == 1 and tree.application_ratchet(1).generation == 1  # the original did not move
    assert tree.application_ratchet(1).next_key() == from_twin  # same secrets, separate state
    original = tree.copy()
    tree.handshake_ratchet(2).next_key()
    assert original.handshake_ratchet(2).generation == 0 and twin.handshake_ratchet(2).generation == 0
