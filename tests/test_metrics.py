"""trimaps.metrics on tiny arrays whose values are worked out by hand (see each comment)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from trimaps import metrics as M

# ----------------------------------------------------------------------------- SAD, MSE, MAD

PRED = np.array([[255, 0], [128, 64]], np.uint8)
GT = np.array([[0, 0], [128, 0]], np.uint8)


def test_sad_is_sum_of_absolute_differences_over_255_over_1000():
    assert M.sad(PRED, GT) == pytest.approx((255 + 64) / 255 / 1000, rel=1e-12)
    region = np.array([[True, True], [True, False]])
    assert M.sad(PRED, GT, region) == pytest.approx(1 / 1000, rel=1e-12)


def test_mse_and_mad_are_means_over_the_region():
    assert M.mse(PRED, GT) == pytest.approx((1 + (64 / 255) ** 2) / 4, rel=1e-12)
    assert M.mad(PRED, GT) == pytest.approx((1 + 64 / 255) / 4, rel=1e-12)
    region = np.array([[True, True], [True, False]])
    assert M.mse(PRED, GT, region) == pytest.approx(1 / 3, rel=1e-12)
    assert M.mad(PRED, GT, region) == pytest.approx(1 / 3, rel=1e-12)


def test_empty_region_gives_nan_means_and_zero_sums():
    empty = np.zeros((2, 2), bool)
    assert math.isnan(M.mse(PRED, GT, empty))
    assert math.isnan(M.mad(PRED, GT, empty))
    assert M.sad(PRED, GT, empty) == 0.0


def test_official_evaluate_counts_only_trimap_128():
    trimap = np.array([[128, 0], [255, 128]], np.uint8)
    out = M.evaluate(PRED, GT, trimap)
    assert list(out) == ["SAD", "MSE", "Grad", "Conn"]
    assert out["SAD"] == pytest.approx((255 + 64) / 255 / 1000, rel=1e-12)
    assert out["MSE"] == pytest.approx((1 + (64 / 255) ** 2) / 2, rel=1e-12)
    np.testing.assert_array_equal(M.unknown_region(trimap), trimap == 128)


# ----------------------------------------------------------------------------- Grad


def test_gaussgradient_kernel_size_and_values():
    # sigma 1.4: ceil(1.4 * sqrt(-2 ln(sqrt(2 pi) * 1.4 * 0.01))) = ceil(3.6237) = 4 -> 9 x 9
    h = M.gauss_gradient_kernel(1.4)
    assert h.shape == (9, 9)
    # sigma 1.0: ceil(2.7152) = 3 -> 7 x 7
    assert M.gauss_gradient_kernel(1.0).shape == (7, 7)
    assert np.sum(h * h) == pytest.approx(1.0, rel=1e-12)  # divided by its L2 norm
    # entry (i, j) = G(row offset) * G'(column offset), G'(x) = -x G(x) / sigma^2
    assert h[4, 5] < 0 and h[4, 5] == pytest.approx(-h[4, 3], rel=1e-12)
    assert h[3, 5] / h[4, 5] == pytest.approx(math.exp(-1 / (2 * 1.4**2)), rel=1e-12)
    assert h[4, 6] / h[4, 5] == pytest.approx(2 * math.exp(-3 / (2 * 1.4**2)), rel=1e-12)
    np.testing.assert_array_equal(h[:, 4], 0.0)


def test_grad_of_a_single_bright_pixel_is_twice_the_unit_kernel_energy():
    # The impulse response of each unit-L2 kernel fits in the 9 x 9 image, so
    # sum(gx^2 + gy^2) = 1 + 1, and Grad = 2 / 1000. mat2gray makes the value of
    # the bright pixel irrelevant (a /255 port would give (128/255)^2 * 0.002).
    for value in (255, 128, 7):
        gt = np.zeros((9, 9), np.uint8)
        gt[4, 4] = value
        assert M.grad(np.zeros((9, 9), np.uint8), gt) == pytest.approx(0.002, rel=1e-12)
    region = np.zeros((9, 9), bool)
    region[4, :] = True  # gx(r, c) = hx[r, c] and gy(r, c) = hx[c, r] for the centred impulse
    gt = np.zeros((9, 9), np.uint8)
    gt[4, 4] = 255
    h = M.gauss_gradient_kernel(1.4)
    expected = np.sum(h[4, :] ** 2 + h.T[4, :] ** 2) / 1000
    assert M.grad(np.zeros((9, 9), np.uint8), gt, region) == pytest.approx(expected, rel=1e-12)


def test_gaussgradient_convolves_with_replicated_borders():
    ramp = np.tile(np.arange(12, dtype=np.float64), (7, 1))  # brighter to the right
    gx, gy = M.gauss_gradient(ramp)
    assert np.all(gx[:, 4:8] > 0)  # convolution, not correlation: positive slope
    np.testing.assert_allclose(gy, 0.0, atol=1e-12)
    # Interior value: sum_j (-j) * hx[4 + i, 4 + j] * ... = sum over kernel of h * (-offset)
    h = M.gauss_gradient_kernel()
    offsets = np.arange(-4, 5)
    assert gx[3, 6] == pytest.approx(float(np.sum(h * -offsets[None, :])), rel=1e-12)
    # Replicated borders: a constant image has no gradient anywhere, edges included.
    gx, gy = M.gauss_gradient(np.full((5, 6), 0.7))
    np.testing.assert_allclose(gx, 0.0, atol=1e-14)
    np.testing.assert_allclose(gy, 0.0, atol=1e-14)


def test_gfm_grad_uses_scipy_gaussian_derivative_divided_by_10():
    # Impulse far from the border: sum of squared magnitudes = 2 * sum(w^2) * sum(w'^2)
    # with scipy's weights: radius round(4 * 1.4) = 6, w = exp(-x^2/2s^2) / sum, w' = -x/s^2 w.
    s = 1.4
    x = np.arange(-6, 7, dtype=np.float64)
    w = np.exp(-(x**2) / (2 * s * s))
    w /= w.sum()
    dw = -x / (s * s) * w
    gt = np.zeros((15, 15))
    gt[7, 7] = 1.0
    expected = 2 * np.sum(w**2) * np.sum(dw**2) / 10
    got = M.grad(np.zeros((15, 15)), gt, convention="gfm")
    assert got == pytest.approx(expected, rel=1e-6)  # float32 filtering, as GFM's code


# ----------------------------------------------------------------------------- Conn

# Three foreground pixels on the top row of a 3 x 3 image, six background pixels.
CONN_GT = np.array([[153, 255, 204], [0, 0, 0], [0, 0, 0]], np.uint8)
CONN_PRED = np.array([[255, 255, 230], [0, 0, 0], [0, 0, 0]], np.uint8)


def test_conn_levels_when_pixels_leave_the_component_at_intermediate_thresholds():
    # min(pred, gt) per pixel: 153 (>= t up to 0.6), 255 (always), 204 (up to 0.8).
    # t <= 0.6: the three form the component; t = 0.7, 0.8: pixel (0,0) is out, so
    # its level is 0.6; t = 0.9: pixel (0,2) is out, level 0.8; (0,1) never leaves: 1.
    # Background pixels leave at t = 0.1: level 0.
    levels = M.connectivity_levels(CONN_PRED, CONN_GT)
    np.testing.assert_allclose(levels, [[0.6, 1.0, 0.8], [0, 0, 0], [0, 0, 0]], atol=1e-15)
    # phi = 1 - d [d >= 0.15], d = alpha - l.
    # (0,0): gt d = 0 -> 1, pred d = 1 - 0.6 = 0.4 -> 0.6: |diff| = 0.4
    # (0,2): gt d = 0 -> 1, pred d = 230/255 - 0.8 = 0.102 < 0.15 -> 1: 0
    assert M.conn(CONN_PRED, CONN_GT) == pytest.approx(0.4 / 1000, rel=1e-12)


def test_conn_never_takes_the_background_as_the_largest_component():
    # The background (6 pixels) outnumbers the foreground (3). A port that lets the
    # background win (np.argmax(np.bincount(labels)) with label 0 counted) gives every
    # foreground pixel level 0: (0,0) |0.4 - 0| + (0,2) |0.2 - 0.098| = 0.502 / 1000.
    wrong = (abs((1 - 0.6) - 0) + abs((1 - 0.8) - (1 - 230 / 255))) / 1000
    got = M.conn(CONN_PRED, CONN_GT)
    assert got == pytest.approx(0.4 / 1000, rel=1e-12)
    assert abs(got - wrong) > 1e-4


def test_conn_level_is_fixed_when_a_pixel_first_leaves_even_if_it_rejoins():
    # A = [255 255 255] | bridge 26 | B = [255 255 51 51]; pixel 0 predicted 240.
    # t = 0.1: one component. t = 0.2: the bridge breaks, B (4) beats A (3): A leaves,
    # level 0.1. t = 0.3: B shrinks to 2 and A is the largest again, but A keeps 0.1.
    gt = np.array([[255, 255, 255, 26, 255, 255, 51, 51]], np.uint8)
    pred = gt.copy()
    pred[0, 0] = 240
    np.testing.assert_allclose(
        M.connectivity_levels(pred, gt), [[0.1, 0.1, 0.1, 0.1, 0.2, 0.2, 0.2, 0.2]], atol=1e-15
    )
    expected = abs((1 - (240 / 255 - 0.1)) - (1 - (1 - 0.1))) / 1000
    assert M.conn(pred, gt) == pytest.approx(expected, rel=1e-12)
    # A "last threshold inside" rule would give level 0.9 and Conn 0.
    assert expected > 5e-5


def test_conn_ties_follow_matlab_column_major_order_and_gfm_row_major():
    # Two single-pixel components of equal size: (0,2) [gt 255, pred 204] and
    # (2,0) [gt 255, pred 230]. MATLAB's bwconncomp meets (2,0) first (column-major):
    # (0,2) leaves at t = 0.1 (level 0): |0 - (1 - 0.8)| = 0.2; (2,0) keeps the component
    # until t = 1.0, level 0.9, d < 0.15 for both: 0.
    gt = np.zeros((3, 3), np.uint8)
    pred = np.zeros((3, 3), np.uint8)
    gt[0, 2], pred[0, 2] = 255, 204
    gt[2, 0], pred[2, 0] = 255, 230
    assert M.conn(pred, gt) == pytest.approx(0.2 / 1000, rel=1e-12)
    # skimage (GFM) meets (0,2) first: (2,0) leaves at 0.1: |0 - (1 - 230/255)|; (0,2)
    # leaves at 0.9 with level 0.8: |0.8 - 1|.
    expected_gfm = ((1 - 230 / 255) + 0.2) / 1000
    assert M.conn(pred, gt, convention="gfm") == pytest.approx(expected_gfm, rel=1e-6)


def test_conn_threshold_comparison_is_exact_for_153():
    # 153/255 = 0.6 exactly; MATLAB (single precision) keeps it at t = 0.6, while
    # np.arange(0, 1.1, 0.1)[6] = 0.6000000000000001 drops it (GCA, GFM ports).
    gt = np.array([[153, 153, 255]], np.uint8)
    pred = np.array([[153, 255, 255]], np.uint8)
    np.testing.assert_allclose(M.connectivity_levels(pred, gt), [[0.6, 0.6, 1.0]], atol=1e-15)
    levels_gfm = M.connectivity_levels(pred, gt, convention="gfm")
    np.testing.assert_allclose(levels_gfm, [[0.5, 0.5, 1.0]], atol=1e-7)


def test_conn_with_an_empty_intersection_official_vs_gfm():
    # Nothing is >= 0.1 in both: official: every pixel leaves at t = 0.1 (level 0),
    # gt d = 1 -> phi 0, pred d = 0 -> phi 1: Conn = 4 / 1000. GFM skips such
    # thresholds, so every level stays 1 and both phi are 1.
    gt = np.full((2, 2), 255, np.uint8)
    pred = np.zeros((2, 2), np.uint8)
    assert M.conn(pred, gt) == pytest.approx(4 / 1000, rel=1e-12)
    assert M.conn(pred, gt, convention="gfm") == 0.0


def test_perfect_prediction_scores_zero():
    for conv in M.CONVENTIONS:
        out = M.evaluate(CONN_GT, CONN_GT, np.full((3, 3), 128, np.uint8), convention=conv)
        assert all(v == 0.0 for v in out.values()), out


# ----------------------------------------------------------------------------- gfm region variants


def test_gfm_whole_image_and_trimap_variants():
    pred = np.array([[0.5, 0.2], [0.9, 0.3]])
    gt = np.array([[1.0, 0.0], [1.0, 0.5]])
    trimap = np.array([[255, 0], [128, 128]], np.uint8)
    out = M.evaluate(pred, gt, trimap, convention="gfm")
    assert list(out) == list(M.METRIC_NAMES["gfm"])
    assert out["SAD"] == pytest.approx(1.0 / 1000)
    assert out["MSE"] == pytest.approx((0.25 + 0.04 + 0.01 + 0.04) / 4)
    assert out["MAD"] == pytest.approx(1.0 / 4)
    # Known regions replaced by the trimap: errors 0, 0, 0.1, 0.2.
    assert out["SAD-TRAN"] == pytest.approx(0.3 / 1000)
    assert out["MSE-TRAN"] == pytest.approx((0.01 + 0.04) / 2)
    assert out["MAD-TRAN"] == pytest.approx(0.3 / 2)
    assert out["SAD-FG"] == pytest.approx(0.5 / 1000)
    assert out["SAD-BG"] == pytest.approx(0.2 / 1000)
    without = M.evaluate(pred, gt, convention="gfm")
    assert list(without) == ["SAD", "MSE", "MAD", "Grad", "Conn"]


def test_gfm_accepts_uint8_as_divided_by_255():
    a = np.array([[0, 51], [255, 102]], np.uint8)
    b = np.zeros((2, 2), np.uint8)
    assert M.sad(a, b, convention="gfm") == pytest.approx(M.sad(a / 255, b / 255, convention="gfm"))


# ----------------------------------------------------------------------------- summaries


def test_summarize_overall_and_per_type():
    results = {
        "a": {"SAD": 1.0, "MSE": 2.0},
        "b": {"SAD": 3.0, "MSE": 4.0},
        "c": {"SAD": 5.0, "MSE": 6.0},
    }
    out = M.summarize(results, {"a": "SO", "b": "SO", "c": "NS"})
    assert out["mean"] == {"count": 3, "SAD": 3.0, "MSE": 4.0}
    assert out["SO"] == {"count": 2, "SAD": 2.0, "MSE": 3.0}
    assert out["NS"] == {"count": 1, "SAD": 5.0, "MSE": 6.0}
    with pytest.raises(ValueError, match="no group label"):
        M.summarize(results, {"a": "SO"})


# ----------------------------------------------------------------------------- bad input


def test_bad_inputs_raise_clear_errors():
    u8 = np.zeros((3, 3), np.uint8)
    with pytest.raises(ValueError, match="8-bit mattes"):
        M.sad(u8.astype(float), u8)
    with pytest.raises(ValueError, match="shape"):
        M.sad(u8, np.zeros((3, 4), np.uint8))
    with pytest.raises(ValueError, match="2-D"):
        M.sad(np.zeros((3, 3, 3), np.uint8), u8)
    with pytest.raises(ValueError, match=r"outside \[0, 1\]"):
        M.sad(np.full((3, 3), 2.0), u8 / 255, convention="gfm")
    with pytest.raises(ValueError, match="outside 0-255"):
        M.sad(np.full((3, 3), 300), u8)
    with pytest.raises(ValueError, match="boolean mask"):
        M.sad(u8, u8, np.ones((3, 3), np.uint8))
    with pytest.raises(ValueError, match="unknown convention"):
        M.evaluate(u8, u8, convention="matlab")
    with pytest.raises(ValueError, match="trimap has shape"):
        M.evaluate(u8, u8, np.zeros((2, 2), np.uint8))


# ----------------------------------------------------------------------------- invariants

mattes = arrays(np.uint8, st.tuples(st.integers(1, 12), st.integers(1, 12)))


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_metrics_are_symmetric_nonnegative_and_zero_on_equality(data):
    p = data.draw(mattes)
    g = data.draw(arrays(np.uint8, p.shape))
    for conv in M.CONVENTIONS:
        ab = M.evaluate(p, g, convention=conv)
        ba = M.evaluate(g, p, convention=conv)
        assert ab.keys() == ba.keys()
        for k in ab:
            assert ab[k] >= 0.0
            assert ab[k] == pytest.approx(ba[k], rel=1e-9, abs=1e-12)
        assert all(v == 0.0 for v in M.evaluate(p, p, convention=conv).values())
