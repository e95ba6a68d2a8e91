"""Duplicate search that scales: exact digests, pHash by multi-index hashing, cosine in chunks.

BG-20k removes duplicates "with a deep matching model" (Li et al., IJCV 2022,
Sec. 4.1) and does not say which. We find candidate pairs three ways and merge
them into groups (connected components of the "is a duplicate of" graph):

1. exact: equal digests of the decoded pixels;
2. near: 64-bit DCT perceptual hashes within a Hamming distance, found with
   multi-index hashing (Norouzi, Punjani & Fleet, CVPR 2012): never an n x n
   matrix, memory linear in n;
3. deep: cosine similarity of the detector-backbone embeddings at or above a
   threshold, computed block by block so that the similarity matrix never exists
   whole (peak memory = one block of rows against all n).

From each group the member with the most pixels is kept (ties: the first path).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

import numpy as np

__all__ = [
    "cosine_pairs",
    "duplicate_groups",
    "exact_pairs",
    "hamming",
    "hamming_pairs",
    "hamming_pairs_naive",
    "keeper",
]


def _popcount64(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.uint64)
    if hasattr(np, "bitwise_count"):  # NumPy >= 2.0
        return np.bitwise_count(x).astype(np.int64)
    table = np.array([bin(i).count("1") for i in range(256)], dtype=np.int64)
    return table[x.view(np.uint8).reshape(*x.shape, 8)].sum(axis=-1)


def hamming(a: np.ndarray | int, b: np.ndarray | int) -> np.ndarray:
    """Hamming distance between 64-bit hashes (broadcasting)."""
    return _popcount64(np.bitwise_xor(np.asarray(a, np.uint64), np.asarray(b, np.uint64)))


def _masks(bits: int, radius: int) -> np.ndarray:
    """All ``bits``-bit masks with at most ``radius`` bits set."""
    out = [0]
    for r in range(1, radius + 1):
        for combo in combinations(range(bits), r):
            out.append(sum(1 << b for b in combo))
    return np.array(out, dtype=np.int64)


def hamming_pairs(
    hashes: Sequence[int] | np.ndarray,
    threshold: int,
    *,
    parts: int = 4,
    max_candidates: int = 1 << 22,
):
    """All pairs ``i < j`` with ``hamming(h[i], h[j]) <= threshold``, by multi-index hashing.

    The 64 bits are cut into ``parts`` substrings of 64/parts bits. By the pigeonhole
    principle, two hashes within distance ``r`` agree to within ``floor(r / parts)`` on at
    least one substring (Norouzi et al., CVPR 2012, Sec. 3), so for each substring we
    look up, in a table of buckets, every key within that radius of each hash's key
    (vectorised over all hashes at once), then check the full distance of the candidates.
    Memory is O(n + candidates per lookup); time grows with the number of candidate pairs,
    about n^2 * masks / 2^(64/parts) for uniformly spread hashes.

    Parameters
    ----------
    hashes : sequence of int or uint64 array, shape (n,)
    threshold : int
        Largest Hamming distance counted as a near duplicate, 0..63.
    parts : int
        Number of substrings; 64 must be divisible by it.
    max_candidates : int
        Candidate pairs expanded at once (bounds the temporary memory, about 100 bytes
        each); hashes that pile up in one bucket are then handled slice by slice.

    Returns
    -------
    pairs : int64 array, shape (k, 2)
        Rows ``(i, j)`` with ``i < j``, sorted, each pair once.
    """
    h = np.asarray(hashes, dtype=np.uint64).ravel()
    n = len(h)
    if not 0 <= threshold < 64:
        raise ValueError(f"threshold must be in 0..63, not {threshold}")
    if 64 % parts:
        raise ValueError(f"64 must be divisible by parts, not {parts}")
    if n < 2:
        return np.empty((0, 2), np.int64)
    bits = 64 // parts
    radius = threshold // parts
    masks = _masks(bits, radius)
    found = []
    idx = np.arange(n, dtype=np.int64)
    for p in range(parts):
        keys = ((h >> np.uint64(bits * p)) & np.uint64((1 << bits) - 1)).astype(np.int64)
        order = np.argsort(keys, kind="stable")
        # bucket table over all 2^bits keys: O(1) lookups instead of a binary search
        counts = np.bincount(keys, minlength=1 << bits)
        starts = np.cumsum(counts) - counts
        for m in masks:
            q = keys ^ m
            lo = starts[q]
            cnt = counts[q]
            ends = np.cumsum(cnt)
            if ends[-1] == 0:
                continue
            # candidates are expanded for slices of queries holding <= max_candidates, so
            # memory stays bounded even when many hashes share a substring (flat skies)
            a = 0
            while a < n:
                base = int(ends[a - 1]) if a else 0
                b = max(a + 1, int(np.searchsorted(ends, base + max_candidates, side="right")))
                c = cnt[a:b]
                total = int(ends[b - 1]) - base
                if total:
                    i = np.repeat(idx[a:b], c)
                    start = np.repeat(lo[a:b] - (np.cumsum(c) - c), c)
                    j = order[start + np.arange(total)]
                    keep = i < j
                    i, j = i[keep], j[keep]
                    close = hamming(h[i], h[j]) <= threshold
                    if close.any():
                        found.append(i[close] * n + j[close])
                a = b
    if not found:
        return np.empty((0, 2), np.int64)
    code = np.unique(np.concatenate(found))
    return np.stack([code // n, code % n], axis=1)


def hamming_pairs_naive(hashes: Sequence[int] | np.ndarray, threshold: int, *, block: int = 2048):
    """The same pairs as :func:`hamming_pairs` by comparing every pair (blocks of rows).

    The baseline for the benchmark and the reference for the tests: O(n^2) time.
    """
    h = np.asarray(hashes, dtype=np.uint64).ravel()
    n = len(h)
    out = []
    for s in range(0, n, block):
        d = hamming(h[s : s + block, None], h[None, :])
        i, j = np.nonzero(d <= threshold)
        i = i + s
        keep = i < j
        out.append(np.stack([i[keep], j[keep]], axis=1))
    if not out:
        return np.empty((0, 2), np.int64)
    pairs = np.concatenate(out).astype(np.int64)
    return pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]


def cosine_pairs(
    embeddings: np.ndarray, threshold: float, *, block_bytes: int = 64 * 2**20
) -> np.ndarray:
    """All pairs ``i < j`` whose embeddings have cosine similarity ``>= threshold``.

    Rows are L2-normalised, then ``E[a:b] @ E[a:].T`` is computed for consecutive blocks
    of rows, so only the upper triangle is computed and the largest temporary is about
    ``block_bytes`` (default 64 MiB: 160 rows against 100k embeddings). Exact, not
    approximate: at 100k x 256 floats this is ~1.3 TFLOP, tens of seconds on 2 cores.

    Returns
    -------
    pairs : int64 array, shape (k, 2), sorted rows ``(i, j)``, ``i < j``.
    """
    e = np.asarray(embeddings, dtype=np.float32)
    if e.ndim != 2:
        raise ValueError(f"embeddings must be (n, d), got shape {e.shape}")
    n = len(e)
    if n < 2:
        return np.empty((0, 2), np.int64)
    norms = np.linalg.norm(e, axis=1, keepdims=True)
    e = e / np.maximum(norms, 1e-12)
    rows = max(1, block_bytes // (4 * n))
    out = []
    for a in range(0, n, rows):
        b = min(n, a + rows)
        sims = e[a:b] @ e[a:].T
        i, j = np.nonzero(sims >= np.float32(threshold))
        keep = j > i  # j is offset by a like i: the diagonal is i == j
        out.append(np.stack([i[keep] + a, j[keep] + a], axis=1))
    pairs = np.concatenate(out).astype(np.int64)
    return pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]


def exact_pairs(digests: Sequence[str]) -> np.ndarray:
    """Pairs ``(first, other)`` linking every item to the first item with the same digest."""
    first: dict[str, int] = {}
    out = []
    for k, d in enumerate(digests):
        if d in first:
            out.append((first[d], k))
        else:
            first[d] = k
    return np.array(out, dtype=np.int64).reshape(-1, 2)


def duplicate_groups(n: int, *pair_sets: np.ndarray) -> list[list[int]]:
    """Connected components of size >= 2 of the graph on ``n`` items with the given edges.

    Returns the groups as sorted lists of indices, ordered by their first member.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    pairs = [np.asarray(p, dtype=np.int64).reshape(-1, 2) for p in pair_sets]
    edges = np.concatenate(pairs) if pairs else np.empty((0, 2), np.int64)
    if n == 0 or len(edges) == 0:
        return []
    graph = coo_matrix((np.ones(len(edges), np.int8), (edges[:, 0], edges[:, 1])), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    order = np.argsort(labels, kind="stable")
    bounds = np.flatnonzero(np.diff(labels[order])) + 1
    groups = [sorted(g.tolist()) for g in np.split(order, bounds) if len(g) > 1]
    return sorted(groups)


def keeper(members: Sequence[int], pixels: Sequence[int]) -> int:
    """The member to keep: most pixels (``pixels[k]`` = width * height); ties: lowest index."""
    return min(members, key=lambda k: (-int(pixels[k]), k))
