"""Each trimaps formula pinned on small arrays checked by hand."""

from __future__ import annotations

import numpy as np
import pytest

import trimaps
from trimaps import (
    PRESETS,
    collaborative_matting,
    draw_trimap_widths,
    duomap,
    erosion_trimap,
    from_uint8,
    fuse_unified,
    hard_fusion,
    object_size,
    optimal_trimap,
    preset_trimap,
    random_soft_segmentation,
    random_trimap,
    rosta,
    soft_fusion,
    to_uint8,
    trimap,
    unified,
    unimap,
)

# A 3x3 opaque square in a 7x7 matte. OpenCV's 3x3 ellipse is a cross
# [[0,1,0],[1,1,1],[0,1,0]], so by hand: erosion of the square keeps only its
# centre; dilation adds the four edge strips but not the corners (1,1), (1,5), ...
SQUARE = np.zeros((7, 7), np.uint8)
SQUARE[2:5, 2:5] = 255
SQUARE_TRIMAP_K3 = np.array(
    [
        [0, 0, 0, 0, 0, 0, 0],
        [0, 0, 128, 128, 128, 0, 0],
        [0, 128, 128, 128, 128, 128, 0],
        [0, 128, 128, 255, 128, 128, 0],
        [0, 128, 128, 128, 128, 128, 0],
        [0, 0, 128, 128, 128, 0, 0],
        [0, 0, 0, 0, 0, 0, 0],
    ],
    np.uint8,
)


def test_trimap_of_a_square_with_a_3x3_ellipse_by_hand():
    t = trimap(SQUARE, kernel=3)
    assert t.dtype == np.float32
    np.testing.assert_array_equal(to_uint8(t), SQUARE_TRIMAP_K3)


def test_trimap_float_input_decides_alpha_one_exactly():
    np.testing.assert_array_equal(trimap(SQUARE / 255.0, 3), trimap(SQUARE, 3))
    almost = SQUARE.astype(np.float32) / 255
    almost[3, 3] = 0.999  # not opaque: the centre is no longer definite foreground
    assert trimap(almost, 3)[3, 3] == 0.5
    u8 = SQUARE.copy()
    u8[3, 3] = 254
    assert trimap(u8, 3)[3, 3] == 0.5


def test_kernel_one_is_the_identity_so_the_trimap_is_the_optimal_one():
    a = np.array([[0, 1, 128, 254, 255]], np.uint8)
    np.testing.assert_array_equal(trimap(a, 1), [[0, 0.5, 0.5, 0.5, 1]])


def test_uint8_round_trip_values():
    np.testing.assert_array_equal(to_uint8(np.array([0, 0.5, 1], np.float32)), [0, 128, 255])
    np.testing.assert_array_equal(
        from_uint8(np.array([0, 1, 102, 128, 254, 255], np.uint8)), [0, 0.5, 0.5, 0.5, 0.5, 1]
    )
    with pytest.raises(ValueError):
        to_uint8(np.array([1.5]))
    with pytest.raises(TypeError):
        from_uint8(np.array([0.5]))


def test_presets_follow_the_papers_code():
    assert (PRESETS["gfm"].low, PRESETS["gfm"].high) == (25, 25)
    assert (PRESETS["aim"].low, PRESETS["aim"].high) == (30, 30)
    assert (PRESETS["p3m"].low, PRESETS["p3m"].high) == (15, 30)
    rng = np.random.default_rng(0)
    draws = {PRESETS["p3m"].draw(rng) for _ in range(3000)}
    assert draws == set(range(15, 31))  # random.randint(15, 30) is inclusive
    a = np.zeros((80, 80), np.uint8)
    a[20:60, 20:60] = 255
    a[30:50, 15:20] = 100
    np.testing.assert_array_equal(preset_trimap(a, "GFM"), trimap(a, 25))
    np.testing.assert_array_equal(preset_trimap(a, "aim"), trimap(a, 30))
    k = PRESETS["p3m"].draw(np.random.default_rng(5))
    np.testing.assert_array_equal(preset_trimap(a, "p3m", rng=5), trimap(a, k))
    with pytest.raises(ValueError, match="unknown preset"):
        preset_trimap(a, "dim")


def test_duomap_and_unimap_values():
    np.testing.assert_allclose(duomap(np.array([0, 0.5, 1])), [0, 0.5, 0.5])
    np.testing.assert_allclose(duomap(np.array([0.25])), [1.5 * 0.25 - 0.0625])
    u = unimap((2, 3))
    assert u.shape == (2, 3) and u.dtype == np.float32 and np.all(u == 0.5)


def test_unified_dispatches_on_the_aim_type():
    a = np.zeros((70, 70), np.uint8)
    a[20:50, 20:50] = 255
    a[35, 10:20] = 60
    np.testing.assert_array_equal(unified(a, "so"), trimap(a, 30))
    np.testing.assert_array_equal(unified(a, "STM"), duomap(trimap(a, 30)))
    np.testing.assert_array_equal(unified(a, "Ns"), np.full(a.shape, 0.5, np.float32))
    np.testing.assert_array_equal(unified(a, "so", kernel=5), trimap(a, 5))
    assert set(np.unique(unified(a, "stm"))) == {0.0, 0.5}
    with pytest.raises(ValueError, match="SO, STM, NS"):
        unified(a, "transparent")


def test_fuse_unified_eq2_by_hand():
    u = np.array([0, 0.5, 1, 0.25, 0.75], np.float32)
    m = np.full(5, 0.3, np.float32)
    # (1 - 2|U-.5|) M + 2|U-.5| U: U=.25 -> .5*.3 + .5*.25; U=.75 -> .5*.3 + .5*.75
    np.testing.assert_allclose(fuse_unified(u, m), [0, 0.3, 1, 0.275, 0.525], rtol=1e-6)
    with pytest.raises(ValueError, match="same shape"):
        fuse_unified(u, m[:3])


# 9x9 matte for RoSTa by hand, kernel 3 (a cross): an opaque 5x5 square at rows
# and columns 2..6 and one half-transparent pixel at (4, 1) left of it.
ROSTA_ALPHA = np.zeros((9, 9), np.uint8)
ROSTA_ALPHA[2:7, 2:7] = 255
ROSTA_ALPHA[4, 1] = 128


def test_rosta_ft_by_hand():
    r = rosta(ROSTA_ALPHA, "ft", kernel=3)
    f = np.zeros((9, 9), np.float32)
    f[3:6, 3:6] = 1  # the cross erodes the 5x5 square to its 3x3 interior
    np.testing.assert_array_equal(r.glance, f)
    transition = (ROSTA_ALPHA > 0) & (f == 0)  # I(alpha > 0) - F
    np.testing.assert_array_equal(r.transition, transition)
    assert r.transition.sum() == 16 + 1  # the square's border ring and the soft pixel
    assert r.focus[4, 1] == pytest.approx(128 / 255) and r.focus[2, 2] == 1
    assert r.focus[4, 4] == 0 and r.focus[0, 0] == 0


def test_rosta_bt_by_hand():
    r = rosta(ROSTA_ALPHA, "bt", kernel=3)
    b = r.glance
    assert b[4, 0] == 1 and b[3, 1] == 1  # neighbours of the soft pixel (4, 1)
    assert b[1, 1] == 0  # diagonal to the square's corner: the cross does not reach it
    assert b[1, 2] == 1 and b[0, 2] == 0
    np.testing.assert_array_equal(r.transition, (b == 1) & (ROSTA_ALPHA == 0))  # B - I(a > 0)
    assert r.focus[4, 1] == pytest.approx(1 - 128 / 255)  # B - alpha on the soft pixel
    assert r.focus[1, 2] == 1 and r.focus[4, 4] == 0 and r.focus[0, 0] == 0


def test_rosta_tt_is_the_trimap_and_alpha_on_its_band():
    r = rosta(SQUARE, "TT", kernel=3)
    np.testing.assert_array_equal(to_uint8(r.glance), SQUARE_TRIMAP_K3)
    np.testing.assert_array_equal(r.transition, SQUARE_TRIMAP_K3 == 128)
    np.testing.assert_array_equal(r.focus, np.where(SQUARE_TRIMAP_K3 == 128, SQUARE / 255, 0))


def test_rosta_default_kernels_are_the_papers():
    assert trimaps.ROSTA_KERNELS == {"tt": 25, "ft": 50, "bt": 50}
    a = np.zeros((160, 160), np.uint8)
    a[30:130, 30:130] = 255
    # F = erosion with a 50 px ellipse: 24-25 px removed from each side
    f = rosta(a, "ft").glance
    rows = np.flatnonzero(f.any(axis=1))
    assert rows[0] in (54, 55) and rows[-1] in (104, 105)
    b = rosta(a, "bt").glance
    rows = np.flatnonzero(b.any(axis=1))
    assert rows[0] in (5, 6) and rows[-1] in (153, 154)
    with pytest.raises(ValueError, match="TT, FT, BT"):
        rosta(a, "xt")


@pytest.mark.parametrize("variant", ["tt", "ft", "bt"])
def test_collaborative_matting_gives_alpha_back_from_the_targets(variant):
    r = rosta(ROSTA_ALPHA, variant, kernel=3)
    np.testing.assert_allclose(
        collaborative_matting(r.glance, r.focus, variant), ROSTA_ALPHA / 255, atol=1e-7
    )


def test_collaborative_matting_rules_by_hand():
    p = np.array([0.7, 0.7, 0.7], np.float32)
    np.testing.assert_allclose(collaborative_matting(np.array([0, 0.5, 1]), p, "tt"), [0, 0.7, 1])
    # soft TT glance values go to the nearest class
    np.testing.assert_allclose(
        collaborative_matting(np.array([0.2, 0.6, 0.9]), p, "tt"), [0, 0.7, 1]
    )
    np.testing.assert_allclose(
        collaborative_matting(np.array([0, 1, 0]), np.array([0.3, 0.5, 0.2]), "ft"), [0.3, 1, 0.2]
    )
    np.testing.assert_allclose(
        collaborative_matting(np.array([1, 1, 0]), np.array([0.3, 0, 0.2]), "bt"), [0.7, 1, 0]
    )


def test_optimal_trimap_eq2_and_tolerance():
    a = np.array([[0, 1, 2, 128, 253, 254, 255]], np.uint8)
    np.testing.assert_array_equal(optimal_trimap(a), [[0, 0.5, 0.5, 0.5, 0.5, 0.5, 1]])
    np.testing.assert_array_equal(optimal_trimap(a, tol=2 / 255), [[0, 0, 0, 0.5, 1, 1, 1]])
    np.testing.assert_array_equal(optimal_trimap(a / 255.0, tol=2 / 255), [[0, 0, 0, 0.5, 1, 1, 1]])
    np.testing.assert_array_equal(optimal_trimap(a / 255.0), optimal_trimap(a))
    with pytest.raises(ValueError, match="tol"):
        optimal_trimap(a, tol=0.5)


def test_erosion_trimap_generalises_trimap_and_optimal():
    a = np.zeros((40, 50), np.uint8)
    a[10:30, 10:35] = 255
    a[20, 5:10] = 90
    for k in (1, 3, 7, 12):
        np.testing.assert_array_equal(erosion_trimap(a, k, k), trimap(a, k))
    np.testing.assert_array_equal(erosion_trimap(a, 1, 1), optimal_trimap(a))
    # independent widths: a wider background width only moves the background edge
    t = erosion_trimap(a, 3, 15)
    np.testing.assert_array_equal(t == 1, trimap(a, 3) == 1)
    np.testing.assert_array_equal(t == 0, trimap(a, 15) == 0)


def test_gca_widths_are_drawn_from_1_to_29():
    a = np.zeros((10, 10), np.uint8)
    rng = np.random.default_rng(1)
    draws = np.array([draw_trimap_widths(a, rng) for _ in range(2000)])
    assert draws.min() == 1 and draws.max() == 29
    assert len(set(draws[:, 0])) == 29 and len(set(draws[:, 1])) == 29
    assert not np.array_equal(draws[:, 0], draws[:, 1])  # independent draws


def test_random_trimap_replays_its_draw():
    a = np.zeros((60, 60), np.uint8)
    a[15:45, 15:45] = 255
    fg_w, bg_w = draw_trimap_widths(a, np.random.default_rng(11))
    np.testing.assert_array_equal(random_trimap(a, rng=11), erosion_trimap(a, fg_w, bg_w))


def test_object_size_aware_widths_by_hand():
    a = np.zeros((100, 200), np.uint8)
    a[10:50, 20:110] = 255  # bounding box 40 x 90: sqrt(3600) = 60
    assert object_size(a) == 60
    assert object_size(np.zeros((5, 5), np.uint8)) == 0
    assert draw_trimap_widths(a, 0, relative=(0.1, 0.1)) == (6, 6)
    np.testing.assert_array_equal(
        random_trimap(a, rng=0, relative=(0.1, 0.1)), erosion_trimap(a, 6, 6)
    )
    assert draw_trimap_widths(np.zeros((5, 5), np.uint8), 0, relative=(0.1, 0.2)) == (1, 1)
    with pytest.raises(ValueError, match="greater"):
        draw_trimap_widths(a, 0, relative=(0.2, 0.1))


def test_sgm_soft_segmentation_replays_its_documented_draws():
    import cv2

    a = np.zeros((120, 120), np.uint8)
    a[30:90, 30:90] = 255
    a[60, 20:30] = 128
    rng = np.random.default_rng(3)
    fg_w, bg_w = int(rng.integers(1, 30)), int(rng.integers(1, 30))
    k_erode, k_dilate = int(rng.integers(1, 60)), int(rng.integers(1, 60))
    blur = int(rng.choice([21, 31, 41]))
    seg = (erosion_trimap(a, fg_w, bg_w) > 0).astype(np.uint8)
    ell = lambda k: cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))  # noqa: E731
    seg = cv2.dilate(cv2.erode(seg, ell(k_erode)), ell(k_dilate))
    expected = np.clip(cv2.GaussianBlur(seg.astype(np.float32), (blur, blur), 0), 0, 1)
    np.testing.assert_array_equal(random_soft_segmentation(a, rng=3, preset="sgm"), expected)


def test_bgm_soft_segmentation_replays_its_documented_draws():
    import cv2

    a = np.zeros((200, 200), np.uint8)
    a[40:160, 50:150] = 255
    for seed in range(6):
        rng = np.random.default_rng(seed)
        n_erode, n_dilate, n_holes = (
            int(rng.integers(10, 20)),
            int(rng.integers(15, 30)),
            int(rng.integers(0, 3)),
        )
        ell5 = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
        seg = cv2.erode((a > 127).astype(np.uint8), ell5, iterations=n_erode)
        seg = cv2.dilate(seg, ell5, iterations=n_dilate)
        out = random_soft_segmentation(a, rng=seed, preset="bgm")
        assert out.dtype == np.float32 and 0 <= out.min() and out.max() <= 1
        if n_holes == 0:
            # no hole: the map is the blurred opened mask; find the blur among 21/31/41
            blurs = [cv2.GaussianBlur(seg.astype(np.float32), (k, k), 0) for k in (21, 31, 41)]
            assert any(np.array_equal(out, np.clip(b, 0, 1)) for b in blurs)
        else:
            # holes only remove mass
            assert out.sum() < seg.sum()


def test_soft_and_hard_fusion_by_hand():
    f = np.array([0.2, 0.0, 1.0, 0.0], np.float32)
    u = np.array([0.5, 1.0, 0.0, 0.0], np.float32)
    a = np.array([0.4, 0.3, 0.9, 1.0], np.float32)
    np.testing.assert_allclose(soft_fusion(f, u, a), [0.4, 0.3, 1.0, 0.0], rtol=1e-6)
    with pytest.raises(ValueError, match="exceeds 1"):
        soft_fusion(np.array([0.7]), np.array([0.6]), np.array([0.5]))
    t = np.array([0, 0.5, 1], np.float32)
    np.testing.assert_allclose(hard_fusion(t, np.full(3, 0.3)), [0, 0.3, 1])
    np.testing.assert_allclose(
        hard_fusion(np.array([0, 102, 255], np.uint8), np.full(3, 0.3)), [0, 0.3, 1]
    )


@pytest.mark.parametrize(
    ("bad", "error", "match"),
    [
        (np.zeros((4, 4, 3), np.uint8), ValueError, "2-D"),
        (np.full((4, 4), 1.5), ValueError, r"\[0, 1\]"),
        (np.full((4, 4), np.nan), ValueError, "NaN"),
        (np.zeros((4, 4), np.uint16), TypeError, "uint8"),
        (np.zeros((0, 4), np.uint8), ValueError, "empty"),
    ],
)
def test_bad_alpha_is_refused_with_a_clear_message(bad, error, match):
    for func in (
        lambda x: trimap(x),
        lambda x: unified(x, "so"),
        lambda x: rosta(x, "ft"),
        lambda x: optimal_trimap(x),
        lambda x: random_trimap(x, 0),
        lambda x: random_soft_segmentation(x, 0),
    ):
        with pytest.raises(error, match=match):
            func(bad)


def test_bad_kernel_is_refused():
    with pytest.raises(ValueError, match="positive integer"):
        trimap(SQUARE, 0)
    with pytest.raises(ValueError, match="positive integer"):
        trimap(SQUARE, 2.5)
