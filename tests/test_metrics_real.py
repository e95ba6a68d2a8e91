"""trimaps.metrics on the real alphamatting.com mattes, against slow reference implementations.

The references below are written from the formulas (the DIM MATLAB files and
GFM's evaluate.py), independently of the package: loops over pixels and kernel
entries, explicit padding, scipy.ndimage.label / skimage.measure.label.
"""

from __future__ import annotations

import math
from fractions import Fraction

import cv2
import numpy as np
import pytest
import scipy.ndimage as ndi
from skimage.measure import label as sk_label
from skimage.measure import regionprops

from trimaps import metrics as M
from trimaps.io import read_alpha, read_trimap

# ----------------------------------------------------------------------------- references


def ref_sad(p, g, region):
    return (
        math.fsum(abs(int(a) - int(b)) / 255 for a, b in zip(p[region], g[region], strict=True))
        / 1000
    )


def ref_mse(p, g, region):
    vals = [((int(a) - int(b)) / 255) ** 2 for a, b in zip(p[region], g[region], strict=True)]
    return math.fsum(vals) / len(vals)


def ref_dim_kernel(sigma):
    """gaussgradient.m, entry by entry."""
    half = math.ceil(sigma * math.sqrt(-2 * math.log(math.sqrt(2 * math.pi) * sigma * 1e-2)))
    size = 2 * half + 1

    def gauss(x):
        return math.exp(-(x**2) / (2 * sigma**2)) / (sigma * math.sqrt(2 * math.pi))

    hx = np.zeros((size, size))
    for i in range(size):
        for j in range(size):
            u, v = i - half, j - half
            hx[i, j] = gauss(u) * (-v * gauss(v) / sigma**2)
    return hx / math.sqrt(sum(float(x) ** 2 for x in hx.ravel())), half


def ref_conv_replicate(img, h, half):
    """imfilter(img, h, 'replicate', 'conv'): out(y, x) = sum_uv h(u, v) img(y - u, x - v)."""
    padded = np.pad(img, half, mode="edge")
    H, W = img.shape
    out = np.zeros_like(img)
    for i in range(h.shape[0]):
        for j in range(h.shape[1]):
            u, v = i - half, j - half
            out += h[i, j] * padded[half - u : half - u + H, half - v : half - v + W]
    return out


def ref_mat2gray(a):
    a = a.astype(np.float64)
    lo, hi = a.min(), a.max()
    return np.clip(a, 0, 1) if hi == lo else (a - lo) / (hi - lo)


def ref_grad(p, g, region, sigma=1.4):
    hx, half = ref_dim_kernel(sigma)
    amps = []
    for a in (p, g):
        n = ref_mat2gray(a)
        gx = ref_conv_replicate(n, hx, half)
        gy = ref_conv_replicate(n, hx.T, half)
        amps.append(np.sqrt(gx**2 + gy**2))
    return math.fsum(((amps[0] - amps[1]) ** 2)[region]) / 1000


def ref_conn(p, g, region):
    """compute_connectivity_error.m with exact thresholds Fraction(a, 255) >= k / 10."""
    H, W = p.shape
    m = np.minimum(p, g).astype(int)
    level = np.full((H, W), -1.0)
    for k in range(1, 11):
        t = Fraction(k, 10)
        passes = np.array([Fraction(v, 255) >= t for v in range(256)])  # per 8-bit value
        inside = passes[m]
        labels, n = ndi.label(inside)  # default structure: 4-connectivity
        omega = np.zeros((H, W), bool)
        if n:
            sizes = np.bincount(labels.ravel())[1:]  # label 0 (background) excluded
            biggest = [lab + 1 for lab in range(n) if sizes[lab] == sizes.max()]
            # MATLAB bwconncomp order: the component met first in column-major order
            col_major = labels.T.ravel()
            first = {lab: int(np.nonzero(col_major == lab)[0][0]) for lab in biggest}
            omega = labels == min(biggest, key=first.get)
        for y in range(H):
            for x in range(W):
                if level[y, x] == -1 and not omega[y, x]:
                    level[y, x] = (k - 1) / 10
    level[level == -1] = 1.0
    total = []
    for y, x in zip(*np.nonzero(region), strict=True):
        phis = []
        for a in (p[y, x] / 255, g[y, x] / 255):
            d = a - level[y, x]
            phis.append(1 - d if d >= 0.15 else 1.0)
        total.append(abs(phis[0] - phis[1]))
    return math.fsum(total) / 1000


def ref_gfm_grad(p, g):
    """GFM: scipy's Gaussian derivative (radius 6, reflect borders), float32, / 10."""
    s = 1.4
    x = np.arange(-6, 7, dtype=np.float64)
    w = np.exp(-(x**2) / (2 * s * s))
    w /= w.sum()
    dw = -x / (s * s) * w
    mags = []
    for a in (p, g):
        padded = np.pad(a, 6, mode="symmetric")  # scipy 'reflect' = half-sample symmetric
        H, W = a.shape
        d0 = np.zeros_like(a)
        d1 = np.zeros_like(a)
        for i in range(13):
            for j in range(13):
                win = padded[12 - i : 12 - i + H, 12 - j : 12 - j + W]
                d0 += dw[i] * w[j] * win
                d1 += w[i] * dw[j] * win
        mags.append(np.sqrt(d0**2 + d1**2))
    return float(np.sum((mags[0] - mags[1]) ** 2)) / 10


def ref_gfm_conn(p, g):
    """GFM's compute_connectivity_loss_whole_image, step by step with skimage."""
    steps = np.arange(0, 1.1, 0.1)
    level = -np.ones(p.shape, np.float32)
    for i in range(1, steps.size):
        lab = sk_label((p >= steps[i]) & (g >= steps[i]), connectivity=1)
        props = regionprops(lab)
        if not props:
            continue
        biggest = props[int(np.argmax([r.area for r in props]))]
        omega = np.zeros(p.shape, bool)
        omega[biggest.coords[:, 0], biggest.coords[:, 1]] = True
        level[(level == -1) & ~omega] = steps[i - 1]
    level[level == -1] = 1
    phi = [1 - (a - level) * ((a - level) >= 0.15) for a in (p, g)]
    return float(np.sum(np.abs(phi[0] - phi[1]))) / 1000


# ----------------------------------------------------------------------------- data


def _load(alphamatting, name):
    gt = read_alpha(alphamatting / "gt_alpha" / f"{name}.png")
    trimap = read_trimap(alphamatting / "trimap" / f"{name}.png")
    return gt, trimap


def shifted(a):
    """3 px right and 2 px down, the vacated border repeating the edge."""
    return np.pad(a, ((2, 0), (3, 0)), mode="edge")[: a.shape[0], : a.shape[1]]


def blurred(a):
    return cv2.GaussianBlur(a, (0, 0), 2.5)


def quantised(a):
    """Eight levels: round(a / 255 * 7) / 7 * 255."""
    return np.round(np.round(a / 255 * 7) / 7 * 255).astype(np.uint8)


NAMES = ["GT02", "GT04", "GT08", "GT13", "GT16", "GT25", "GT27"]


# ----------------------------------------------------------------------------- tests


@pytest.mark.parametrize("name", NAMES)
def test_perfect_prediction_scores_zero_on_real_mattes(alphamatting, name):
    gt, trimap = _load(alphamatting, name)
    assert set(np.unique(trimap)) <= {0, 128, 255}
    assert np.count_nonzero(trimap == 128) > 1000
    out = M.evaluate(gt, gt, trimap)
    assert all(v == 0.0 for v in out.values()), out
    gfm = M.evaluate(gt, gt, trimap, convention="gfm")
    assert all(gfm[k] == 0.0 for k in ("SAD", "MSE", "MAD", "Grad", "Conn", "SAD-FG", "SAD-BG"))
    # GFM's *-TRAN paste the trimap's known regions over the prediction, so they
    # score the trimap itself where the hand-made trimap calls a soft pixel known.
    g = gt / 255
    known_error = math.fsum(1 - g[trimap == 255]) + math.fsum(g[trimap == 0])
    assert gfm["SAD-TRAN"] == pytest.approx(known_error / 1000, rel=1e-10, abs=1e-15)


@pytest.mark.parametrize("degrade", [shifted, blurred, quantised], ids=lambda f: f.__name__)
@pytest.mark.parametrize("name", ["GT04", "GT13", "GT25"])
def test_official_metrics_match_the_slow_reference(alphamatting, name, degrade):
    gt, trimap = _load(alphamatting, name)
    pred = degrade(gt)
    assert pred.dtype == np.uint8 and not np.array_equal(pred, gt)
    region = trimap == 128
    out = M.evaluate(pred, gt, trimap)
    assert out["SAD"] == pytest.approx(ref_sad(pred, gt, region), rel=1e-10)
    assert out["MSE"] == pytest.approx(ref_mse(pred, gt, region), rel=1e-10)
    assert out["Grad"] == pytest.approx(ref_grad(pred, gt, region), rel=1e-9)
    # Conn by pixel loops is slow at full size: check it on a 200 x 200 crop of the
    # unknown band, and the package's full-size value against the vectorised parts.
    ys, xs = np.nonzero(region)
    y0 = int(np.clip(np.median(ys) - 100, 0, gt.shape[0] - 200))
    x0 = int(np.clip(np.median(xs) - 100, 0, gt.shape[1] - 200))
    crop = np.s_[y0 : y0 + 200, x0 : x0 + 200]
    got = M.conn(pred[crop], gt[crop], region[crop])
    assert got == pytest.approx(ref_conn(pred[crop], gt[crop], region[crop]), rel=1e-10)
    assert got > 0.0
    assert all(v > 0.0 for v in out.values()), out


@pytest.mark.parametrize("name", ["GT02", "GT27"])
def test_gfm_metrics_match_the_reference_on_float_predictions(alphamatting, name):
    gt8, trimap = _load(alphamatting, name)
    gt = gt8 / 255.0
    pred = cv2.GaussianBlur(gt, (0, 0), 1.5)  # float prediction, as a network outputs
    out = M.evaluate(pred, gt, trimap, convention="gfm")
    diff = np.abs(pred - gt)
    assert out["SAD"] == pytest.approx(math.fsum(diff.ravel()) / 1000, rel=1e-10)
    assert out["MAD"] == pytest.approx(math.fsum(diff.ravel()) / gt.size, rel=1e-10)
    assert out["MSE"] == pytest.approx(math.fsum((diff**2).ravel()) / gt.size, rel=1e-10)
    assert out["SAD-FG"] == pytest.approx(math.fsum(diff[trimap == 255]) / 1000, rel=1e-10)
    assert out["SAD-BG"] == pytest.approx(math.fsum(diff[trimap == 0]) / 1000, rel=1e-10)
    tran = (
        math.fsum(diff[trimap == 128])
        + math.fsum(np.abs(1 - gt[trimap == 255]))
        + math.fsum(gt[trimap == 0])
    )
    assert out["SAD-TRAN"] == pytest.approx(tran / 1000, rel=1e-10)
    assert out["Grad"] == pytest.approx(ref_gfm_grad(pred, gt), rel=2e-5)
    assert out["Conn"] == pytest.approx(ref_gfm_conn(pred, gt), rel=1e-9)


def test_official_and_gfm_differ_as_documented(alphamatting):
    """Same 8-bit prediction, two conventions: whole image vs unknown band, Grad / 10."""
    gt, trimap = _load(alphamatting, "GT13")
    pred = blurred(gt)
    off = M.evaluate(pred, gt, trimap)
    gfm = M.evaluate(pred, gt, trimap, convention="gfm")
    # Whole-image SAD counts the known regions too; blurring touches them near the band.
    assert gfm["SAD"] == pytest.approx(off["SAD"] + gfm["SAD-FG"] + gfm["SAD-BG"], rel=1e-9)
    assert gfm["SAD"] > off["SAD"]
    # Without the trimap the official convention scores the whole image too.
    whole = M.evaluate(pred, gt)
    assert whole["SAD"] == pytest.approx(gfm["SAD"], rel=1e-9)


# Values printed by the Deep Image Matting MATLAB evaluation files (compute_*_loss.m,
# compute_connectivity_error.m with step 0.1, gaussgradient.m; Grad and Conn / 1000 as in
# the evaluation script), run under GNU Octave 7.3 with the image package 2.14 on
# 2026-11-22, for the predictions made by `quantised` and `shifted` above. MATLAB sums
# in single precision, hence rel=1e-5.
OCTAVE_DIM = {
    ("GT04", "quantised"): (3.891276121, 0.001031973399, 0.2541572154, 1.37172401),
    ("GT04", "shifted"): (21.03043175, 0.04058935121, 32.54941559, 21.71085548),
    ("GT13", "quantised"): (1.660494328, 0.000524842937, 0.1468265802, 0.1620062292),
    ("GT13", "shifted"): (24.39415359, 0.1128215492, 109.0109634, 24.90053177),
    ("GT25", "quantised"): (1.039772987, 0.000801074726, 0.091785267, 0.1543431431),
    ("GT25", "shifted"): (13.32937241, 0.1426657438, 41.09647751, 14.20862389),
}


@pytest.mark.parametrize(("name", "kind"), sorted(OCTAVE_DIM))
def test_official_values_match_the_matlab_code_run_in_octave(alphamatting, name, kind):
    gt, trimap = _load(alphamatting, name)
    pred = {"quantised": quantised, "shifted": shifted}[kind](gt)
    out = M.evaluate(pred, gt, trimap)
    expected = dict(zip(("SAD", "MSE", "Grad", "Conn"), OCTAVE_DIM[name, kind], strict=True))
    assert out == pytest.approx(expected, rel=1e-5)
