"""bgcurate's split rule and duplicate index on synthetic hashes and embeddings."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from bgcurate import (
    cosine_pairs,
    duplicate_groups,
    exact_pairs,
    hamming,
    hamming_pairs,
    hamming_pairs_naive,
    keeper,
    split_of,
)


def sha(i: int) -> str:
    return hashlib.sha256(str(i).encode()).hexdigest()


def test_split_hand_checked_values():
    # first 16 hex digits / 2^64 against the val fraction
    assert split_of("3fffffffffffffff" + "0" * 48) == "val"  # 0.2499999...
    assert split_of("4000000000000000" + "0" * 48) == "train"  # exactly 0.25
    assert split_of("4000000000000000" + "0" * 48, 0.2500001) == "val"
    assert split_of("f" * 64, 1.0) == "val" and split_of("0" * 64, 0.0) == "train"
    with pytest.raises(ValueError):
        split_of("0" * 64, 1.5)


def test_split_is_75_25_and_stable_when_images_are_added():
    first = {sha(i): split_of(sha(i)) for i in range(20000)}
    share = sum(v == "val" for v in first.values()) / len(first)
    assert abs(share - 0.25) < 0.01  # binomial sd 0.003
    grown = {sha(i): split_of(sha(i)) for i in range(30000)}
    assert all(grown[k] == v for k, v in first.items())


def random_hashes(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 2**64, n, dtype=np.uint64, endpoint=False)


def flip(h: np.ndarray, rng: np.random.Generator, max_bits: int) -> np.ndarray:
    out = h.copy()
    for k in range(len(out)):
        for b in rng.choice(64, rng.integers(0, max_bits + 1), replace=False):
            out[k] ^= np.uint64(1) << np.uint64(b)
    return out


def test_hamming_hand_checked():
    assert hamming(0b1011, 0b0001) == 2
    assert hamming(np.uint64(2**64 - 1), 0) == 64
    np.testing.assert_array_equal(hamming(np.array([0, 1, 3], np.uint64), 1), [1, 0, 1])


@pytest.mark.parametrize("threshold", [0, 3, 8, 10, 13])
def test_multi_index_hashing_finds_exactly_the_naive_pairs(threshold):
    rng = np.random.default_rng(threshold)
    base = random_hashes(3000, threshold)
    h = np.concatenate([base, flip(base[:300], rng, 14)])
    got = hamming_pairs(h, threshold)
    want = hamming_pairs_naive(h, threshold)
    np.testing.assert_array_equal(got, want)
    assert len(want) >= 20  # planted pairs within the threshold exist


def test_multi_index_hashing_on_clustered_hashes():
    # real pHashes are not uniform: many share whole 16-bit substrings
    h = random_hashes(2000, 1) & np.uint64(0xFFFF00000000FFFF)
    got = hamming_pairs(h, 6)
    np.testing.assert_array_equal(got, hamming_pairs_naive(h, 6))


def test_cosine_pairs_in_blocks_match_the_full_matrix():
    rng = np.random.default_rng(0)
    e = rng.normal(size=(500, 32)).astype(np.float32)
    e[400:] = e[:100] * 3 + 0.1 * rng.normal(size=(100, 32))  # scaled + noise
    full = (e / np.linalg.norm(e, axis=1, keepdims=True)) @ (
        e / np.linalg.norm(e, axis=1, keepdims=True)
    ).T
    i, j = np.nonzero(np.triu(full >= 0.9, k=1))
    want = np.stack([i, j], axis=1)
    for block in (4 * 500 * 7, 64 * 2**20):  # 7 rows per block, then all at once
        np.testing.assert_array_equal(cosine_pairs(e, 0.9, block_bytes=block), want)
    assert len(want) >= 100


def test_groups_are_connected_components_and_the_largest_is_kept():
    assert duplicate_groups(7, np.array([[0, 3], [3, 5]]), np.array([[1, 6]])) == [
        [0, 3, 5],
        [1, 6],
    ]
    assert duplicate_groups(3) == []
    pairs = exact_pairs(["a", "b", "a", "c", "b", "a"])
    np.testing.assert_array_equal(pairs, [[0, 2], [1, 4], [0, 5]])
    pixels = [100, 400, 400, 50]
    assert keeper([0, 1, 2, 3], pixels) == 1  # tie between 1 and 2: the lower index
    assert keeper([0, 3], pixels) == 0


def test_multi_index_hashing_in_small_slices_gives_the_same_pairs():
    # a pile-up: 400 hashes equal on their low 48 bits (flat, near-uniform pictures)
    h = random_hashes(1500, 3)
    h[:400] = (h[:400] & np.uint64(0xFFFF000000000000)) | np.uint64(0x0000123456789ABC)
    want = hamming_pairs_naive(h, 9)
    for limit in (1, 7, 1000, 1 << 22):
        np.testing.assert_array_equal(hamming_pairs(h, 9, max_candidates=limit), want)
    assert len(want) > 1000
