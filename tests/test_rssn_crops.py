"""The training crops of GFM and GCA-Matting, on hand-checked masks."""

from __future__ import annotations

import numpy as np
import pytest

from rssn import apply_window, gca_window, gfm_window


def rng(seed=0):
    return np.random.default_rng(seed)


def one_pixel(shape, y, x):
    m = np.zeros(shape, bool)
    m[y, x] = True
    return m


# ------------------------------------------------------------ GFM


def test_gfm_corner_is_the_unknown_pixel_when_drawn_from_it():
    w = gfm_window(one_pixel((600, 800), 100, 150), rng(), p_unknown=1.0, p_flip=1.0)
    # every side in {640, 960, 1280} is >= the shorter side 600: GFM falls back to 320
    assert w == {
        "kind": "gfm",
        "x": 150,
        "y": 100,
        "size": 320,
        "flip": True,
        "out": 320,
        "from_unknown": True,
    }


def test_gfm_sides_probabilities_and_corner_range():
    sides, flips, from_unknown = [], 0, 0
    r = rng(1)
    everywhere = np.ones((1300, 1300), bool)
    for _ in range(1500):
        w = gfm_window(everywhere, r)
        sides.append(w["size"])
        flips += w["flip"]
        from_unknown += w["from_unknown"]
        assert 0 <= w["y"] <= 1300 - w["size"] and 0 <= w["x"] <= 1300 - w["size"]
        assert w["out"] == 320
    assert set(sides) == {640, 960, 1280}
    for s in (640, 960, 1280):
        assert abs(sides.count(s) / 1500 - 1 / 3) < 0.04
    assert abs(flips / 1500 - 0.5) < 0.04  # horizontal flip with p 0.5
    assert abs(from_unknown / 1500 - 0.5) < 0.04  # corner from unknown pixels with p 0.5


def test_gfm_unknown_pixel_where_no_square_fits_falls_back_to_uniform():
    w = gfm_window(one_pixel((600, 800), 590, 790), rng(), p_unknown=1.0)
    assert not w["from_unknown"]
    assert 0 <= w["y"] <= 280 and 0 <= w["x"] <= 480


def test_gfm_on_an_image_smaller_than_320_takes_its_shorter_side():
    w = gfm_window(np.ones((200, 300), bool), rng())
    assert w["size"] == 200 and w["out"] == 320 and w["y"] == 0


# ------------------------------------------------------------ GCA


def test_gca_window_is_centred_on_an_unknown_pixel_of_the_stride_4_grid():
    unknown = np.zeros((1000, 1000), bool)
    unknown[500:520, 300:320] = True  # 5 x 5 = 25 grid candidates
    for seed in range(20):
        w = gca_window(unknown, rng(seed))
        assert w["from_unknown"] and w["size"] == 512 and w["resize"] is None
        cy, cx = w["y"] + 256, w["x"] + 256
        assert unknown[cy, cx] and cy % 4 == 0 and cx % 4 == 0
        assert cy in range(500, 520, 4) and cx in range(300, 320, 4)


def test_gca_fewer_than_10_candidates_gives_a_uniform_window():
    unknown = np.zeros((1000, 1000), bool)
    unknown[500:502, 300:302] = True  # one grid candidate
    w = gca_window(unknown, rng())
    assert not w["from_unknown"]
    assert 0 <= w["y"] <= 488 and 0 <= w["x"] <= 488


def test_gca_enlarges_small_images_by_1_1_times_512_over_the_shorter_side():
    w = gca_window(np.ones((300, 400), bool), rng())
    # ratio 1.1 * 512 / 300 = 1.8773: int(400 * r) = 750, int(300 * r) = 563
    assert w["resize"] == [750, 563]
    assert 0 <= w["y"] <= 563 - 512 and 0 <= w["x"] <= 750 - 512


# ------------------------------------------------------------ apply


def test_apply_window_cuts_flips_and_resizes():
    a = np.arange(36, dtype=np.uint8).reshape(6, 6)
    w = {"x": 1, "y": 2, "size": 3, "flip": True, "out": 3}
    assert apply_window(a, w).tolist() == [[15, 14, 13], [21, 20, 19], [27, 26, 25]]
    up = apply_window(a, {**w, "out": 6}, discrete=True)
    assert up.shape == (6, 6) and set(np.unique(up)) == {13, 14, 15, 19, 20, 21, 25, 26, 27}
    assert up[0, :2].tolist() == [15, 15]
    rgb = np.dstack([a, a, a])
    assert apply_window(rgb, w).shape == (3, 3, 3)
    with pytest.raises(ValueError, match="does not fit"):
        apply_window(a, {"x": 4, "y": 0, "size": 3, "out": 3})
