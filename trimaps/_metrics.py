"""Matting metrics (SAD, MSE, MAD, Grad, Conn) exactly as the published evaluations compute them.

Two conventions are implemented, by name:

``"official"`` (default)
    The Deep Image Matting MATLAB evaluation (Xu et al., CVPR 2017; files
    ``compute_sad_loss.m``, ``compute_mse_loss.m``, ``compute_gradient_loss.m``,
    ``compute_connectivity_error.m``, ``gaussgradient.m``), which DIM, IndexNet,
    GCA-Matting, MatteFormer and ViTMatte name as the source of their published
    Composition-1k numbers. 8-bit mattes; pixels counted where the trimap is 128.
``"gfm"``
    The evaluation code shipped with GFM (Li et al., IJCV 2022), AIM (Li et al.,
    IJCAI 2021) and P3M (Li et al., ACM MM 2021): float mattes in [0, 1], the
    whole image, Grad from :func:`scipy.ndimage.gaussian_filter` divided by 10,
    plus MAD and the region variants SAD-TRAN, SAD-FG and SAD-BG.

Everything here is a pure function of NumPy arrays. See ``docs/metrics.md`` for
every difference between these and the Python ports in circulation.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Literal

import cv2
import numpy as np

__all__ = [
    "CONVENTIONS",
    "METRIC_NAMES",
    "UNKNOWN",
    "conn",
    "connectivity_levels",
    "evaluate",
    "gauss_gradient",
    "gauss_gradient_kernel",
    "grad",
    "mad",
    "mse",
    "sad",
    "summarize",
    "unknown_region",
]

Convention = Literal["official", "gfm"]

#: The conventions :func:`evaluate` and the metric functions accept.
CONVENTIONS: tuple[str, ...] = ("official", "gfm")

#: Trimap value of the unknown region in the official evaluation (``trimap == 128``).
UNKNOWN = 128

# Both evaluations divide SAD, Grad (official) and Conn by 1000 "due to the large
# images used in our experiment" (compute_sad_loss.m); GFM divides its Grad by 10.
_SCALE = 1000.0
_GFM_GRAD_SCALE = 10.0
# compute_connectivity_error.m: thresholds 0:0.1:1 and phi's cut-off 0.15.
_CONN_STEPS = 10
_PHI_CUTOFF = 0.15
# Integer thresholds for 8-bit mattes: a / 255 >= k / 10  <=>  a >= ceil(25.5 k).
# Exact, so 153 (= 0.6) passes 0.6 as it does in MATLAB's single precision.
_CONN_THRESHOLDS_U8 = tuple((255 * k + 9) // 10 for k in range(1, _CONN_STEPS + 1))
# GFM/AIM/P3M use np.arange(0, 1.1, 0.1): 0.30000000000000004, 0.6000000000000001, ...
_GFM_THRESHOLDS = np.arange(0.0, 1.1, 0.1)


# ----------------------------------------------------------------------------- inputs


def _check_convention(convention: str) -> str:
    if convention not in CONVENTIONS:
        raise ValueError(f"unknown convention {convention!r}; use one of {', '.join(CONVENTIONS)}")
    return convention


def _as_array(name: str, a: object) -> np.ndarray:
    arr = np.asarray(a)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D matte (H, W), got shape {arr.shape}")
    return arr


def _as_uint8_matte(name: str, a: object) -> np.ndarray:
    """An 8-bit matte for the official convention, refusing floats instead of guessing."""
    arr = _as_array(name, a)
    if arr.dtype == np.uint8:
        return arr
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(
            f"{name} has dtype {arr.dtype}; the official convention scores 8-bit mattes "
            "(uint8, 0-255) as saved to PNG. Quantise first, e.g. "
            "np.round(alpha * 255).astype(np.uint8), or use convention='gfm' for float mattes"
        )
    if arr.size and (arr.min() < 0 or arr.max() > 255):
        raise ValueError(f"{name} has values outside 0-255 ({arr.min()}..{arr.max()})")
    return arr.astype(np.uint8)


def _as_unit_matte(name: str, a: object) -> np.ndarray:
    """A float64 matte in [0, 1] for the GFM convention (uint8 input is divided by 255)."""
    arr = _as_array(name, a)
    if arr.dtype == np.uint8:
        return arr / 255.0
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.floating):
        raise ValueError(
            f"{name} has dtype {arr.dtype}; the gfm convention takes float mattes in [0, 1] "
            "or uint8 mattes (divided by 255)"
        )
    arr = arr.astype(np.float64)
    if arr.size and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    if arr.size and (arr.min() < 0.0 or arr.max() > 1.0):
        raise ValueError(
            f"{name} has values outside [0, 1] ({arr.min():.4g}..{arr.max():.4g}); "
            "float mattes must be in [0, 1]"
        )
    return arr


def _pair(pred: object, gt: object, convention: str) -> tuple[np.ndarray, np.ndarray]:
    convert = _as_uint8_matte if _check_convention(convention) == "official" else _as_unit_matte
    p = convert("pred", pred)
    g = convert("gt", gt)
    if p.shape != g.shape:
        raise ValueError(f"pred has shape {p.shape} but gt has shape {g.shape}")
    return p, g


def _as_region(region: object, shape: tuple[int, ...]) -> np.ndarray | None:
    if region is None:
        return None
    r = np.asarray(region)
    if r.dtype != bool:
        raise ValueError(
            f"region must be a boolean mask, got dtype {r.dtype}; "
            "use unknown_region(trimap) for the trimap's unknown pixels"
        )
    if r.shape != shape:
        raise ValueError(f"region has shape {r.shape} but the mattes have shape {shape}")
    return r


def _unit(p: np.ndarray) -> np.ndarray:
    """uint8 -> float64 in [0, 1]; float mattes (gfm) pass through."""
    return p / 255.0 if p.dtype == np.uint8 else p


def _sum(values: np.ndarray, region: np.ndarray | None) -> float:
    return float(values.sum() if region is None else values[region].sum())


def _mean(values: np.ndarray, region: np.ndarray | None) -> float:
    n = values.size if region is None else int(np.count_nonzero(region))
    if n == 0:
        return math.nan  # MATLAB's 0/0 for a trimap without unknown pixels
    return _sum(values, region) / n


def unknown_region(trimap: object) -> np.ndarray:
    """The pixels the official evaluation scores: ``trimap == 128``.

    Parameters
    ----------
    trimap : (H, W) array
        0 background, 128 unknown, 255 foreground (other values are neither).

    Returns
    -------
    (H, W) bool array
    """
    t = _as_array("trimap", trimap)
    return t == UNKNOWN


# ----------------------------------------------------------------------------- SAD, MSE, MAD


def sad(pred, gt, region=None, *, convention: Convention = "official") -> float:
    """Sum of absolute differences, in thousands.

    ``SAD = sum_region |pred - gt| / 1000`` with mattes in [0, 1] (8-bit values
    divided by 255), as ``compute_sad_loss.m``; GFM's ``calculate_sad_mse_mad_whole_img``
    computes the same sum over the whole image.

    Parameters
    ----------
    pred, gt : (H, W) array
        ``uint8`` mattes (official), or float mattes in [0, 1] / ``uint8`` (gfm).
    region : (H, W) bool array, optional
        Pixels counted; ``None`` counts the whole image. Use
        :func:`unknown_region` for the official trimap region.
    convention : {"official", "gfm"}
        Only changes which input types are accepted.

    Returns
    -------
    float

    References
    ----------
    Xu, Price, Cohen, Huang, "Deep Image Matting", CVPR 2017, Sec. 5 and the
    released ``compute_sad_loss.m``.
    """
    p, g = _pair(pred, gt, convention)
    r = _as_region(region, p.shape)
    return _sum(np.abs(_unit(p) - _unit(g)), r) / _SCALE


def mse(pred, gt, region=None, *, convention: Convention = "official") -> float:
    """Mean squared error over the region (not scaled; papers often print it x 1000).

    ``MSE = mean_region ((pred - gt) / 255)^2``, as ``compute_mse_loss.m`` (which
    divides by the number of unknown pixels). NaN for an empty region.

    Parameters
    ----------
    pred, gt, region, convention
        As :func:`sad`.

    Returns
    -------
    float

    References
    ----------
    Xu et al., "Deep Image Matting", CVPR 2017; ``compute_mse_loss.m``.
    """
    p, g = _pair(pred, gt, convention)
    r = _as_region(region, p.shape)
    return _mean(np.square(_unit(p) - _unit(g)), r)


def mad(pred, gt, region=None, *, convention: Convention = "official") -> float:
    """Mean absolute difference over the region (GFM/AIM/P3M's MAD); NaN for an empty region.

    Parameters
    ----------
    pred, gt, region, convention
        As :func:`sad`.

    Returns
    -------
    float

    References
    ----------
    Li, Zhang, Maybank, Tao, "Bridging Composite and Real: Towards End-to-end
    Deep Image Matting", IJCV 2022, Sec. 6 (MAD), and GFM's ``core/evaluate.py``.
    """
    p, g = _pair(pred, gt, convention)
    r = _as_region(region, p.shape)
    return _mean(np.abs(_unit(p) - _unit(g)), r)


# ----------------------------------------------------------------------------- Grad


def gauss_gradient_kernel(sigma: float = 1.4) -> np.ndarray:
    """The x-derivative-of-Gaussian kernel of ``gaussgradient.m`` (Guanglei Xiong).

    ``halfsize = ceil(sigma * sqrt(-2 log(sqrt(2 pi) sigma 0.01)))`` (4 for
    sigma = 1.4, a 9 x 9 kernel); entry ``(i, j)`` is ``G(i) * G'(j)`` for the
    row offset ``i`` and column offset ``j``, with ``G`` the normalised Gaussian
    and ``G'(x) = -x G(x) / sigma^2``; the kernel is divided by its L2 norm.
    The y kernel is its transpose.

    Parameters
    ----------
    sigma : float
        Standard deviation in pixels (the evaluation uses 1.4).

    Returns
    -------
    (2 h + 1, 2 h + 1) float64 array
    """
    _, g, dg = _gauss_1d(sigma)
    h = np.outer(g, dg)
    return h / math.sqrt(float(np.sum(h * h)))


def _gauss_1d(sigma: float) -> tuple[int, np.ndarray, np.ndarray]:
    sigma = float(sigma)
    if not 0.0 < sigma < 1.0 / (0.01 * math.sqrt(2.0 * math.pi)):
        raise ValueError(f"sigma must be in (0, 39.9), got {sigma}")
    half = math.ceil(sigma * math.sqrt(-2.0 * math.log(math.sqrt(2.0 * math.pi) * sigma * 0.01)))
    x = np.arange(-half, half + 1, dtype=np.float64)
    g = np.exp(-(x**2) / (2.0 * sigma**2)) / (sigma * math.sqrt(2.0 * math.pi))
    dg = -x * g / sigma**2
    return half, g, dg


def gauss_gradient(image, sigma: float = 1.4) -> tuple[np.ndarray, np.ndarray]:
    """``[gx, gy] = gaussgradient(image, sigma)``: derivative-of-Gaussian filtering.

    MATLAB's ``imfilter(image, h, 'replicate', 'conv')``: a true convolution
    (the kernel is flipped, so ``gx > 0`` where the image brightens to the
    right) with replicated borders. The kernel of :func:`gauss_gradient_kernel`
    is separable, so it is applied as two 1-D passes.

    Parameters
    ----------
    image : (H, W) array
        Any real dtype; computed in float64.
    sigma : float

    Returns
    -------
    gx, gy : (H, W) float64 arrays
    """
    img = np.ascontiguousarray(_as_array("image", image), dtype=np.float64)
    _, g, dg = _gauss_1d(sigma)
    # The outer product's L2 norm is the product of the factors' norms.
    g_n = g / np.linalg.norm(g)
    dg_n = dg / np.linalg.norm(dg)
    # cv2 filters by correlation: flip the kernels to convolve, as imfilter(..., 'conv').
    g_f, dg_f = g_n[::-1].copy(), dg_n[::-1].copy()
    gx = cv2.sepFilter2D(img, cv2.CV_64F, dg_f, g_f, borderType=cv2.BORDER_REPLICATE)
    gy = cv2.sepFilter2D(img, cv2.CV_64F, g_f, dg_f, borderType=cv2.BORDER_REPLICATE)
    return gx, gy


def _mat2gray(a: np.ndarray) -> np.ndarray:
    """MATLAB ``mat2gray``: min-max to [0, 1]; a constant image is clipped to [0, 1] as is."""
    a = a.astype(np.float64)
    lo, hi = float(a.min()), float(a.max())
    if hi == lo:
        return np.clip(a, 0.0, 1.0)
    return (a - lo) / (hi - lo)


def _gradient_magnitude_official(a: np.ndarray, sigma: float) -> np.ndarray:
    gx, gy = gauss_gradient(_mat2gray(a), sigma)
    return np.sqrt(gx * gx + gy * gy)


def _gradient_magnitude_gfm(a: np.ndarray, sigma: float) -> np.ndarray:
    from scipy.ndimage import gaussian_filter

    # GFM's compute_gradient_whole_image: scipy's Gaussian derivative (truncate 4,
    # 'reflect' borders, unit-sum smoothing weights), float32 output.
    d0 = gaussian_filter(a, sigma=sigma, order=(1, 0), output=np.float32)
    d1 = gaussian_filter(a, sigma=sigma, order=(0, 1), output=np.float32)
    return np.sqrt(d0**2 + d1**2)


def grad(
    pred, gt, region=None, *, convention: Convention = "official", sigma: float = 1.4
) -> float:
    """Gradient error: squared difference of Gaussian-gradient magnitudes, summed.

    official (``compute_gradient_loss.m``, divided by 1000 in the evaluation
    script): both mattes min-max normalised per image (``mat2gray``), gradients
    by :func:`gauss_gradient` (sigma 1.4), ``sum_region (|grad pred| - |grad gt|)^2 / 1000``.

    gfm (GFM/AIM/P3M ``compute_gradient_whole_image``): mattes in [0, 1], no
    normalisation, :func:`scipy.ndimage.gaussian_filter` first derivatives
    (reflect borders, float32), the sum divided by 10.

    Parameters
    ----------
    pred, gt, region, convention
        As :func:`sad`. Gradients are always computed on the whole image; the
        region only selects the pixels summed.
    sigma : float

    Returns
    -------
    float

    References
    ----------
    Rhemann et al., "A Perceptually Motivated Online Benchmark for Image
    Matting", CVPR 2009 (gradient and connectivity errors); Xu et al., CVPR 2017,
    ``compute_gradient_loss.m`` and ``gaussgradient.m``.
    """
    p, g = _pair(pred, gt, convention)
    r = _as_region(region, p.shape)
    if convention == "official":
        diff = _gradient_magnitude_official(p, sigma) - _gradient_magnitude_official(g, sigma)
        return _sum(diff * diff, r) / _SCALE
    diff = _gradient_magnitude_gfm(p, sigma) - _gradient_magnitude_gfm(g, sigma)
    return _sum(np.square(diff), r) / _GFM_GRAD_SCALE


# ----------------------------------------------------------------------------- Conn


def _largest_component(mask: np.ndarray, *, column_major: bool) -> np.ndarray | None:
    """The largest 4-connected component of ``mask`` (never the background), or None.

    Ties go to the component met first in MATLAB's column-major scan
    (``bwconncomp`` + ``max``) or, for GFM's skimage ``regionprops``, row-major.
    """
    n, labels, stats, _ = cv2.connectedComponentsWithStats(
        mask.view(np.uint8), connectivity=4, ltype=cv2.CV_32S
    )
    if n <= 1:
        return None
    areas = stats[1:, cv2.CC_STAT_AREA]
    best = np.flatnonzero(areas == areas.max()) + 1
    if len(best) == 1:
        return labels == best[0]
    scan = labels.T.ravel() if column_major else labels.ravel()
    first = [int(np.argmax(scan == lab)) for lab in best]
    return labels == best[int(np.argmin(first))]


def connectivity_levels(pred, gt, *, convention: Convention = "official") -> np.ndarray:
    """Each pixel's level ``l`` in the connectivity error.

    For thresholds ``t_k = k / 10`` (k = 1..10), ``Omega_k`` is the largest
    4-connected component of ``(pred >= t_k) & (gt >= t_k)`` (the background is
    never a component). A pixel's level is ``t_{k-1}`` for the first ``k`` at
    which it is outside ``Omega_k`` (so a pixel that drops out and later
    rejoins keeps the earlier level, as ``compute_connectivity_error.m``), and
    1 if it is never outside.

    official: 8-bit mattes compared exactly (``a >= t`` as ``10 a >= 255 k``,
    which is what MATLAB's single-precision ``a / 255 >= t`` gives), an empty
    intersection gives an empty ``Omega_k``, ties go to the first component in
    column-major order. gfm: GFM's thresholds ``np.arange(0, 1.1, 0.1)`` on
    floats, a threshold with an empty intersection is skipped, levels stored as
    float32, ties in row-major order.

    Parameters
    ----------
    pred, gt : (H, W) array
        As :func:`sad`.
    convention : {"official", "gfm"}

    Returns
    -------
    (H, W) float64 array of levels in {0, 0.1, ..., 1}
    """
    p, g = _pair(pred, gt, convention)
    level = np.full(p.shape, -1, dtype=np.int8)
    official = convention == "official"
    for k in range(1, _CONN_STEPS + 1):
        if official:
            both = np.minimum(p, g) >= _CONN_THRESHOLDS_U8[k - 1]
        else:
            t = _GFM_THRESHOLDS[k]
            both = (p >= t) & (g >= t)
        omega = _largest_component(both, column_major=official)
        if omega is None:
            if not official:
                continue  # GFM's evaluate.py skips a threshold with no component
            left = level < 0
        else:
            left = (level < 0) & ~omega
        level[left] = k - 1
        if official and not np.any(level < 0):
            break
    never_left = level < 0
    if official:
        out = level.astype(np.float64) / _CONN_STEPS
    else:
        out = _GFM_THRESHOLDS.astype(np.float32)[np.maximum(level, 0)].astype(np.float64)
    out[never_left] = 1.0
    return out


def _phi(a: np.ndarray, level: np.ndarray) -> np.ndarray:
    # Rhemann et al. 2009: phi = 1 - d * [d >= 0.15], d = alpha - l.
    d = a - level
    return 1.0 - d * (d >= _PHI_CUTOFF)


def conn(pred, gt, region=None, *, convention: Convention = "official") -> float:
    """Connectivity error: ``sum_region |phi(pred) - phi(gt)| / 1000``.

    ``phi(a) = 1 - d [d >= 0.15]`` with ``d = a - l`` and ``l`` the level of
    :func:`connectivity_levels` (``compute_connectivity_error.m``, divided by
    1000 in the evaluation script; GFM divides by 1000 as well).

    Parameters
    ----------
    pred, gt, region, convention
        As :func:`sad`. Components are found on the whole image; the region
        only selects the pixels summed.

    Returns
    -------
    float

    References
    ----------
    Rhemann et al., CVPR 2009, Sec. 4 (connectivity); Xu et al., CVPR 2017,
    ``compute_connectivity_error.m``.
    """
    p, g = _pair(pred, gt, convention)
    r = _as_region(region, p.shape)
    level = connectivity_levels(p, g, convention=convention)
    diff = np.abs(_phi(_unit(p), level) - _phi(_unit(g), level))
    return _sum(diff, r) / _SCALE


# ----------------------------------------------------------------------------- evaluate


#: Metric names :func:`evaluate` returns, per convention (gfm's last five need a trimap).
METRIC_NAMES: dict[str, tuple[str, ...]] = {
    "official": ("SAD", "MSE", "Grad", "Conn"),
    "gfm": ("SAD", "MSE", "MAD", "Grad", "Conn", "SAD-TRAN", "MSE-TRAN", "MAD-TRAN",
            "SAD-FG", "SAD-BG"),
}  # fmt: skip


def evaluate(pred, gt, trimap=None, *, convention: Convention = "official") -> dict[str, float]:
    """All metrics of one convention for one image.

    official: ``SAD``, ``MSE``, ``Grad``, ``Conn`` over ``trimap == 128`` (the
    whole image when ``trimap`` is None, as the DIM script does for trimap-free
    tests with an all-128 trimap).

    gfm: ``SAD``, ``MSE``, ``MAD``, ``Grad``, ``Conn`` over the whole image and,
    with a trimap, GFM's region variants: ``SAD-TRAN``, ``MSE-TRAN``,
    ``MAD-TRAN`` (the prediction is first set to 1 where the trimap is 255 and 0
    where it is 0, then summed over the whole image; MSE/MAD divide by the
    number of 128 pixels), ``SAD-FG`` and ``SAD-BG`` (SAD of the raw prediction
    where the trimap is 255 / 0).

    Parameters
    ----------
    pred, gt : (H, W) array
        ``uint8`` (official); float in [0, 1] or ``uint8`` (gfm).
    trimap : (H, W) integer array, optional
        0 background, 128 unknown, 255 foreground.
    convention : {"official", "gfm"}

    Returns
    -------
    dict
        Metric name -> value, in the order of ``METRIC_NAMES[convention]``.

    References
    ----------
    Xu et al., CVPR 2017 (official); Li et al., IJCV 2022 (GFM), Li et al.,
    IJCAI 2021 (AIM), Li et al., ACM MM 2021 (P3M).
    """
    p, g = _pair(pred, gt, convention)
    t = None
    if trimap is not None:
        t = _as_array("trimap", trimap)
        if t.shape != p.shape:
            raise ValueError(f"trimap has shape {t.shape} but the mattes have shape {p.shape}")
    if convention == "official":
        r = None if t is None else t == UNKNOWN
        return {
            "SAD": sad(p, g, r),
            "MSE": mse(p, g, r),
            "Grad": grad(p, g, r),
            "Conn": conn(p, g, r),
        }
    out = {
        "SAD": sad(p, g, convention="gfm"),
        "MSE": mse(p, g, convention="gfm"),
        "MAD": mad(p, g, convention="gfm"),
        "Grad": grad(p, g, convention="gfm"),
        "Conn": conn(p, g, convention="gfm"),
    }
    if t is not None:
        out.update(_gfm_trimap_metrics(p, g, t))
    return out


def _gfm_trimap_metrics(p: np.ndarray, g: np.ndarray, t: np.ndarray) -> dict[str, float]:
    fg, bg = t == 255, t == 0
    # calculate_sad_mse_mad: known regions of the prediction are replaced by the
    # trimap, then the whole image is summed; MSE and MAD divide by the 128 count
    # (or, if there is none, by the count of pixels that are neither 0 nor 255).
    filled = np.where(fg, 1.0, np.where(bg, 0.0, p))
    err = filled - g
    n = int(np.count_nonzero(t == UNKNOWN)) or int(t.size - np.count_nonzero(fg | bg))
    abs_sum = float(np.abs(err).sum())
    raw = np.abs(p - g)
    return {
        "SAD-TRAN": abs_sum / _SCALE,
        "MSE-TRAN": float(np.square(err).sum()) / n if n else math.nan,
        "MAD-TRAN": abs_sum / n if n else math.nan,
        "SAD-FG": float(raw[fg].sum()) / _SCALE,
        "SAD-BG": float(raw[bg].sum()) / _SCALE,
    }


def summarize(
    results: Mapping[str, Mapping[str, float]],
    groups: Mapping[str, str] | None = None,
) -> dict[str, dict[str, float]]:
    """Means over images, overall and per group label (AIM-500 reports SAD per SO/STM/NS).

    Parameters
    ----------
    results : mapping
        Image name -> metrics, as :func:`evaluate` returns.
    groups : mapping, optional
        Image name -> label (e.g. ``"SO"``, ``"STM"``, ``"NS"``). Every image in
        ``results`` needs a label.

    Returns
    -------
    dict
        ``{"mean": {"count": n, metric: mean, ...}, label: {...}, ...}``; labels
        in sorted order. A NaN value (empty region) makes its mean NaN.
    """
    if not results:
        raise ValueError("no results to summarize")
    names = list(results)
    metrics = list(results[names[0]])

    def mean_of(members: list[str]) -> dict[str, float]:
        row: dict[str, float] = {"count": len(members)}
        for m in metrics:
            row[m] = float(np.mean([results[n][m] for n in members]))
        return row

    out = {"mean": mean_of(names)}
    if groups is not None:
        missing = [n for n in names if n not in groups]
        if missing:
            raise ValueError(
                f"no group label for {len(missing)} image(s): {', '.join(missing[:5])}"
            )
        for label in sorted({str(groups[n]) for n in names}):
            if label == "mean":
                raise ValueError("'mean' cannot be a group label")
            out[label] = mean_of([n for n in names if str(groups[n]) == label])
    return out
