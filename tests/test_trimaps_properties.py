"""Property tests (hypothesis): shapes, dtypes, value ranges, invariants, reproducibility."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from trimaps import (
    collaborative_matting,
    duomap,
    fuse_unified,
    optimal_trimap,
    random_soft_segmentation,
    random_trimap,
    rosta,
    to_uint8,
    trimap,
    unified,
)

shapes = st.tuples(st.integers(1, 24), st.integers(1, 24))
# Mattes with plenty of exact 0 and 255 next to soft values.
levels = st.sampled_from([0, 0, 0, 255, 255, 255, 1, 128, 254]) | st.integers(0, 255)
mattes = shapes.flatmap(lambda s: arrays(np.uint8, s, elements=levels))
kernels = st.integers(1, 11)
seeds = st.integers(0, 2**32 - 1)

SETTINGS = settings(max_examples=60, deadline=None)


def _trimap_invariants(t: np.ndarray, a: np.ndarray) -> None:
    assert t.dtype == np.float32 and t.shape == a.shape
    assert set(np.unique(t)) <= {0.0, 0.5, 1.0}
    assert np.all(a[t == 1] == 255), "definite foreground must be opaque"
    assert np.all(a[t == 0] == 0), "definite background must be transparent"
    assert np.all(t[(a > 0) & (a < 255)] == 0.5), "partly transparent pixels must be unknown"


@SETTINGS
@given(mattes, kernels)
def test_trimap_invariants_and_dtype_equivalence(a, k):
    t = trimap(a, k)
    _trimap_invariants(t, a)
    np.testing.assert_array_equal(trimap(a.astype(np.float64) / 255, k), t)
    np.testing.assert_array_equal(trimap(a.astype(np.float32) / np.float32(255), k), t)
    # a larger kernel never shrinks the unknown band
    assert np.all((trimap(a, k + 2) == 0.5)[t == 0.5])


@SETTINGS
@given(mattes, kernels, st.sampled_from(["so", "stm", "ns"]))
def test_unified_ranges(a, k, kind):
    u = unified(a, kind, kernel=k)
    assert u.dtype == np.float32 and u.shape == a.shape
    allowed = {"so": {0.0, 0.5, 1.0}, "stm": {0.0, 0.5}, "ns": {0.5}}[kind]
    assert set(np.unique(u)) <= allowed
    np.testing.assert_array_equal(to_uint8(u) == 128, u == 0.5)


@SETTINGS
@given(arrays(np.float32, st.integers(1, 50), elements=st.floats(0, 1, width=32)))
def test_duomap_range(t):
    d = duomap(t)
    assert np.all(d >= 0) and np.all(d <= 0.5625 + 1e-6)  # max of 1.5t - t^2 at t = 0.75


@SETTINGS
@given(
    shapes.flatmap(
        lambda s: st.tuples(
            arrays(np.float32, s, elements=st.floats(0, 1, width=32)),
            arrays(np.float32, s, elements=st.floats(0, 1, width=32)),
        )
    )
)
def test_fuse_unified_stays_in_range_and_defers_where_it_should(um):
    u, m = um
    out = fuse_unified(u, m)
    assert out.dtype == np.float32 and out.shape == u.shape
    assert np.all(out >= -1e-6) and np.all(out <= 1 + 1e-6)
    decided = (u == 0) | (u == 1)
    np.testing.assert_array_equal(out[decided], u[decided])
    np.testing.assert_allclose(out[u == 0.5], m[u == 0.5])


@SETTINGS
@given(mattes, st.integers(0, 20))
def test_optimal_trimap_unknown_iff_soft(a, tol_levels):
    t = optimal_trimap(a, tol=tol_levels / 255)
    assert set(np.unique(t)) <= {0.0, 0.5, 1.0}
    np.testing.assert_array_equal(t == 0.5, (a > tol_levels) & (a < 255 - tol_levels))


@SETTINGS
@given(mattes, st.sampled_from(["tt", "ft", "bt"]), kernels)
def test_rosta_targets_merge_back_to_alpha(a, variant, k):
    r = rosta(a, variant, kernel=k)
    assert r.glance.dtype == np.float32 and r.focus.dtype == np.float32
    assert r.transition.dtype == bool
    assert np.all(r.focus >= 0) and np.all(r.focus <= 1)
    merged = collaborative_matting(r.glance, r.focus, variant)
    np.testing.assert_allclose(merged, a / 255, atol=1e-6)


@SETTINGS
@given(mattes, seeds)
def test_random_trimap_is_reproducible_and_valid(a, seed):
    t = random_trimap(a, rng=seed)
    _trimap_invariants(t, a)
    np.testing.assert_array_equal(random_trimap(a, rng=np.random.default_rng(seed)), t)
    tr = random_trimap(a, rng=seed, relative=(0.0, 0.3))
    _trimap_invariants(tr, a)


@SETTINGS
@given(mattes, seeds, st.sampled_from(["sgm", "bgm"]))
def test_random_soft_segmentation_is_reproducible_and_in_range(a, seed, preset):
    s = random_soft_segmentation(a, rng=seed, preset=preset)
    assert s.dtype == np.float32 and s.shape == a.shape
    assert np.all(s >= 0) and np.all(s <= 1)
    np.testing.assert_array_equal(random_soft_segmentation(a, seed, preset), s)
