"""Invariants of every representation on the real alphamatting.com ground-truth mattes."""

from __future__ import annotations

import numpy as np
import pytest

from trimaps import (
    PRESETS,
    collaborative_matting,
    fuse_unified,
    optimal_trimap,
    preset_trimap,
    random_soft_segmentation,
    random_trimap,
    rosta,
    trimap,
    unified,
)
from trimaps.io import read_alpha


@pytest.fixture(scope="module")
def gt_alphas(gt_alpha_paths):
    alphas = {p.name: read_alpha(p) for p in gt_alpha_paths}  # 3-channel files: one channel
    for name, a in alphas.items():
        assert a.ndim == 2 and a.dtype == np.uint8, name
        assert ((a > 0) & (a < 255)).any(), f"{name} has no soft pixel: the tests would be vacuous"
    return alphas


@pytest.mark.parametrize("kernel", [1, 10, 25, 30])
def test_trimap_band_covers_every_soft_pixel_and_foreground_is_opaque(gt_alphas, kernel):
    for name, a in gt_alphas.items():
        t = trimap(a, kernel)
        soft = (a > 0) & (a < 255)
        assert np.all(t[soft] == 0.5), f"{name}: soft pixel outside the unknown band"
        assert np.all(a[t == 1] == 255), f"{name}: definite foreground with alpha < 1"
        assert np.all(a[t == 0] == 0), f"{name}: definite background with alpha > 0"
        if kernel > 1:
            assert (t == 0.5).sum() > soft.sum(), f"{name}: the band did not grow"


def test_presets_and_random_trimaps_keep_the_invariants(gt_alphas):
    for name, a in gt_alphas.items():
        soft = (a > 0) & (a < 255)
        maps = [preset_trimap(a, p, rng=1) for p in PRESETS]
        maps += [random_trimap(a, rng=s) for s in range(3)]
        maps += [random_trimap(a, rng=9, relative=(0.01, 0.08))]
        for t in maps:
            assert np.all(t[soft] == 0.5), name
            assert np.all(a[t == 1] == 255), name
            assert np.all(a[t == 0] == 0), name


def test_optimal_trimap_has_no_unknown_pixel_where_alpha_is_0_or_1(gt_alphas):
    for name, a in gt_alphas.items():
        t = optimal_trimap(a)
        unknown = t == 0.5
        assert not unknown[(a == 0) | (a == 255)].any(), name
        np.testing.assert_array_equal(unknown, (a > 0) & (a < 255), err_msg=name)
        assert np.all(t[a == 0] == 0) and np.all(t[a == 255] == 1), name


def test_unified_ns_is_one_half_everywhere_and_so_fuses_back_to_alpha(gt_alphas):
    for name, a in gt_alphas.items():
        ns = unified(a, "ns")
        assert ns.shape == a.shape and np.all(ns == 0.5), name
        so = unified(a, "so")
        np.testing.assert_array_equal(so, trimap(a, 30), err_msg=name)
        assert set(np.unique(unified(a, "stm"))) <= {0.0, 0.5}, name
        # Eq. 2 with a perfect matting branch M = alpha returns alpha for each type
        # (U is 0 or 1 only where alpha is, and 0.5 defers to M)
        for kind in ("so", "stm", "ns"):
            fused = fuse_unified(unified(a, kind), a / 255)
            np.testing.assert_allclose(fused, a / 255, atol=1e-6, err_msg=f"{name} {kind}")


@pytest.mark.parametrize("variant", ["tt", "ft", "bt"])
def test_rosta_targets_merge_back_to_the_real_alpha(gt_alphas, variant):
    for name, a in gt_alphas.items():
        r = rosta(a, variant)
        merged = collaborative_matting(r.glance, r.focus, variant)
        np.testing.assert_allclose(merged, a / 255, atol=1e-6, err_msg=f"{name} {variant}")
        soft = (a > 0) & (a < 255)
        if variant in ("tt", "ft"):
            assert r.transition[soft].all(), f"{name}: soft pixel outside the {variant} transition"
        else:
            assert not r.transition[a > 0].any(), name  # B - I(alpha > 0) lies outside alpha > 0


def test_soft_segmentations_cover_the_object(gt_alphas):
    checked = 0
    for name, a in gt_alphas.items():
        # the opaque core and the far background (GT27's yarn has neither at these sizes)
        core, far = trimap(a, 25) == 1, trimap(a, 81) == 0
        for preset in ("sgm", "bgm"):
            s = random_soft_segmentation(a, rng=4, preset=preset)
            assert s.shape == a.shape and 0 <= s.min() and s.max() <= 1
            if core.any() and far.any():
                # a coarse segmentation, not a blank or a copy of the matte
                assert s[core].mean() > 0.5, f"{name} {preset}"
                assert s[far].mean() < 0.5, f"{name} {preset}"
                assert not np.array_equal(s > 0.5, a > 127), f"{name} {preset}"
                checked += 1
    assert checked >= 10


def test_the_uint8_erosion_trimap_is_the_stored_float_one(gt_alphas):
    from trimaps import erosion_trimap, to_uint8
    from trimaps._random import erosion_trimap_u8, random_trimap_u8

    for alpha in gt_alphas.values():
        for fg_w, bg_w in [(1, 1), (1, 29), (15, 4), (29, 29)]:
            u8 = erosion_trimap_u8(alpha, fg_w, bg_w)
            np.testing.assert_array_equal(u8, to_uint8(erosion_trimap(alpha, fg_w, bg_w)))
            assert 128 in u8 and set(np.unique(u8).tolist()) <= {0, 128, 255}
        for seed in range(3):
            np.testing.assert_array_equal(
                random_trimap_u8(alpha, seed), to_uint8(random_trimap(alpha, seed))
            )
