"""The steps of the RSSN composition route as pure functions on NumPy arrays.

Li et al., "Bridging Composite and Real: Towards End-to-end Deep Image
Matting", IJCV 130:246-266, 2022, Sec. 4 and Pipeline 1. Each function takes
arrays and returns arrays; nothing here reads or writes files. Randomness is
drawn elsewhere (:mod:`rssn._recipe`): a step that needs random numbers takes
them as arguments (a crop, a seed).

Images are ``uint8`` RGB ``(H, W, 3)`` in [0, 255]; alpha mattes are ``uint8``
``(H, W)`` with 0 = background, 255 = foreground.

pymatting and bm3d are imported inside the functions that use them: pymatting
compiles its kernels with numba at its first import (about 50 s with a cold
cache), and ``import rssn`` must stay fast.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import cv2
import numpy as np

__all__ = [
    "BLUR_KERNELS",
    "DENOISE_METHODS",
    "FG_METHODS",
    "FIT_MODES",
    "add_noise",
    "aperture_blur",
    "composite",
    "denoise",
    "estimate_sigma",
    "fit_background",
    "fit_crop",
    "foreground",
    "noise_field",
]

#: Kernel sizes of the averaging filter for the background (Pipeline 1: {20, 30, 40, 50, 60}).
BLUR_KERNELS: tuple[int, ...] = (20, 30, 40, 50, 60)

#: Foreground estimation methods: Germer et al. 2020 multi-level, Levin et al. 2008 closed form.
FG_METHODS: tuple[str, ...] = ("multilevel", "levin")

#: Denoisers: BM3D (the paper's; ``bm3d`` package, non-commercial licence) or OpenCV NLM.
DENOISE_METHODS: tuple[str, ...] = ("bm3d", "nlm")

#: How a background is fitted to the foreground's size.
FIT_MODES: tuple[str, ...] = ("cover", "stretch")

#: Where numba keeps pymatting's compiled kernels unless ``NUMBA_CACHE_DIR`` says otherwise.
NUMBA_CACHE_DEFAULT = Path.home() / ".cache" / "mattekit" / "numba"


def _check_rgb(image: np.ndarray, name: str = "image") -> np.ndarray:
    image = np.asarray(image)
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"{name} must be uint8 (H, W, 3), got {image.dtype} {image.shape}")
    return image


def _check_alpha(alpha: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    alpha = np.asarray(alpha)
    if alpha.dtype != np.uint8 or alpha.ndim != 2:
        raise ValueError(f"alpha must be uint8 (H, W), got {alpha.dtype} {alpha.shape}")
    if alpha.shape != shape:
        raise ValueError(f"alpha is {alpha.shape}, the image is {shape}")
    return alpha


def _rows(x: np.ndarray) -> np.ndarray:
    # (H, W, C) as (H, W * C): OpenCV then treats every value alike (no per-channel scalars)
    return np.ascontiguousarray(x).reshape(x.shape[0], -1)


def _to_uint8(x: np.ndarray) -> np.ndarray:
    """Round half to even and clip to [0, 255]: never truncate, never wrap.

    float32 arrays go through OpenCV's saturating conversion (``convertTo`` via
    ``cv2.add(x, 0, dtype=CV_8U)`` on a one-channel 2-D view): the same bytes as
    ``np.rint`` + ``np.clip`` for every finite float32 and for +-inf (checked over
    every float32 in [-4, 260) and the ties and extremes in
    ``tests/test_rssn_steps.py``), about 5x faster at 1080p. The 2-D view matters:
    on ``(H, W, 3)`` OpenCV broadcasts the scalar per channel and is slower than
    NumPy. NaN becomes 255 on this route (NumPy's cast of NaN is
    platform-defined, 0 on x86-64); the RSSN steps never make NaN, since they
    only add finite noise to ``uint8`` values. Other dtypes keep the NumPy route.
    """
    if x.dtype == np.float32 and x.ndim >= 1 and x.size:
        return cv2.add(_rows(x), 0, dtype=cv2.CV_8U).reshape(x.shape)
    x = np.rint(x)
    np.clip(x, 0, 255, out=x)
    return x.astype(np.uint8)


def import_pymatting():
    """Import pymatting with numba's compilation cache in a persistent, writable folder.

    ``NUMBA_CACHE_DIR`` is set to ``~/.cache/mattekit/numba`` unless already set,
    so the 50 s compilation happens once per machine, not once per process.
    """
    if "NUMBA_CACHE_DIR" not in os.environ:
        NUMBA_CACHE_DEFAULT.mkdir(parents=True, exist_ok=True)
        os.environ["NUMBA_CACHE_DIR"] = str(NUMBA_CACHE_DEFAULT)
    import pymatting

    return pymatting


def foreground(
    image: np.ndarray, alpha: np.ndarray, method: str = "multilevel"
) -> tuple[np.ndarray, np.ndarray]:
    """Foreground and background colours F, B of an image with a known alpha matte.

    Solves ``I = alpha * F + (1 - alpha) * B`` (Porter and Duff compositing) for
    F and B with a smoothness prior, as RSSN does for datasets that give the
    original image instead of the foreground (AM-2k, PM-10k, P3M, AIM-500).

    Parameters
    ----------
    image : ndarray of uint8, shape (H, W, 3)
        The original photograph.
    alpha : ndarray of uint8, shape (H, W)
        Its alpha matte.
    method : {"multilevel", "levin"}
        ``multilevel``: Germer et al., "Fast Multi-Level Foreground Estimation",
        ICPR 2020 (pymatting ``estimate_foreground_ml``): about 0.3 s at 1080p here,
        the default. ``levin``: the closed-form foreground of Levin, Lischinski
        and Weiss, "A Closed-Form Solution to Natural Image Matting", TPAMI 2008
        (pymatting ``estimate_foreground_cf``), the one the RSSN paper cites:
        about 35x slower and 3x the memory (see docs/rssn.md for the measured
        trade-off).

    Returns
    -------
    F, B : ndarray of uint8, shape (H, W, 3)
        Rounded and clipped to [0, 255]. Where ``alpha == 255``, F is the image
        exactly, and B where ``alpha == 0`` (the solvers' smoothness term moves
        them by a few levels there; we restore what the equation fixes).
    """
    return _estimate(image, alpha, method, with_background=True)


def _estimate(image, alpha, method: str, *, with_background: bool):
    """:func:`foreground`; without the background's conversion when it is not wanted."""
    image = _check_rgb(image)
    alpha = _check_alpha(alpha, image.shape[:2])
    if method not in FG_METHODS:
        raise ValueError(f"method must be one of {FG_METHODS}, got {method!r}")
    import_pymatting()
    from pymatting import estimate_foreground_cf, estimate_foreground_ml

    if method == "multilevel":
        # pymatting's multi-level solver runs in float32 and converts its inputs: give it
        # float32 at once (x / 255 in float32 is the float64 quotient rounded, for all x)
        img = image.astype(np.float32) / np.float32(255)
        a = alpha.astype(np.float32) / np.float32(255)
        F, B = estimate_foreground_ml(img, a, return_background=True)
    else:
        img = image.astype(np.float64) / 255.0
        a = alpha.astype(np.float64) / 255.0
        # atol: pymatting's conjugate gradient divides 0 by 0 on a channel that is
        # zero everywhere (its residual starts at exactly 0 and rtol * |b| = 0).
        F, B = estimate_foreground_cf(img, a, return_background=True, cg_kwargs={"atol": 1e-10})
    # Where alpha is 1 (0) the compositing equation fixes F (B) to the photo; the
    # solvers' smoothness term moves them by up to ~10 levels: put the photo back.
    F = _to_uint8(F * F.dtype.type(255))
    np.copyto(F, image, where=(alpha == 255)[..., None])
    if not with_background:
        return F, None
    B = _to_uint8(B * B.dtype.type(255))
    np.copyto(B, image, where=(alpha == 0)[..., None])
    return F, B


def estimate_sigma(image: np.ndarray) -> float:
    """Standard deviation of additive white Gaussian noise in an image, in 8-bit levels.

    Donoho's robust estimator: the median absolute value of the finest diagonal
    wavelet coefficients divided by 0.6745 (Donoho and Johnstone, "Ideal spatial
    adaptation by wavelet shrinkage", Biometrika 1994). The wavelet is Haar,
    orthonormal, so each coefficient ``(x00 - x01 - x10 + x11) / 2`` of white
    noise has the noise's standard deviation. Computed per channel and averaged.
    The RSSN paper does not say how it sets BM3D's noise level; this is our
    choice (see docs/rssn.md).

    Parameters
    ----------
    image : ndarray of uint8, shape (H, W, 3) or (H, W)

    Returns
    -------
    float
        Estimated sigma on the [0, 255] scale; 0 for an image smaller than 2x2.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> noisy = np.clip(128 + rng.normal(0, 10, (256, 256, 3)), 0, 255)
    >>> round(estimate_sigma(noisy.astype(np.uint8)))
    10
    """
    x = np.asarray(image, dtype=np.float32)
    if x.ndim == 2:
        x = x[..., None]
    h, w = (x.shape[0] // 2) * 2, (x.shape[1] // 2) * 2
    if h == 0 or w == 0:
        return 0.0
    x = x[:h, :w]
    hh = (x[0::2, 0::2] - x[0::2, 1::2] - x[1::2, 0::2] + x[1::2, 1::2]) / 2
    sigmas = [float(np.median(np.abs(hh[..., c]))) / 0.6745 for c in range(x.shape[2])]
    return float(np.mean(sigmas))


def denoise(image: np.ndarray, method: str = "bm3d", sigma: float | None = None) -> np.ndarray:
    """Remove sensor noise from an image (RSSN's "noise" discrepancy, Sec. 4).

    Parameters
    ----------
    image : ndarray of uint8, shape (H, W, 3)
    method : {"bm3d", "nlm"}
        ``bm3d``: Dabov et al., "Image Denoising by Sparse 3-D Transform-Domain
        Collaborative Filtering", TIP 2007, via the ``bm3d`` package (``bm3d_rgb``,
        default profile, one thread so that the result is the same on every call),
        as the paper does. That package is licensed for
        non-commercial use only. ``nlm``: OpenCV's non-local means (Buades et
        al., CVPR 2005), ``cv2.fastNlMeansDenoisingColored`` with filter
        strength ``h = hColor = sigma / 2``, templates 7x7, search window 21x21:
        a permissively licensed and much faster alternative (our choice; sigma / 2
        removed the most noise on real 128x128 photo crops with added noise of
        std 10, among 0.3-1.0 sigma).
    sigma : float, optional
        Noise standard deviation in 8-bit levels. ``None`` estimates it per
        image with :func:`estimate_sigma`. A sigma of 0 returns a copy.

    Returns
    -------
    ndarray of uint8, shape (H, W, 3)
        Rounded and clipped to [0, 255].
    """
    image = _check_rgb(image)
    if method not in DENOISE_METHODS:
        raise ValueError(f"method must be one of {DENOISE_METHODS}, got {method!r}")
    if sigma is None:
        sigma = estimate_sigma(image)
    sigma = float(sigma)
    if not math.isfinite(sigma) or sigma < 0:
        raise ValueError(f"sigma must be a finite number >= 0, got {sigma}")
    if sigma == 0:
        return image.copy()
    if method == "nlm":
        h = max(sigma / 2, 1.0)
        return cv2.fastNlMeansDenoisingColored(np.ascontiguousarray(image), None, h, h, 7, 21)
    import bm3d

    # One thread: with more, bm3d's results vary by a level from call to call (its
    # profiles say so), and "same seed, same bytes" would not hold. Parallelism
    # comes from the worker processes instead.
    profile = bm3d.BM3DProfile()
    profile.num_threads = 1
    out = bm3d.bm3d_rgb(image.astype(np.float64) / 255.0, sigma / 255.0, profile=profile)
    return _to_uint8(np.asarray(out) * 255.0)


def aperture_blur(background: np.ndarray, kernel: int) -> np.ndarray:
    """Blur a background with a ``kernel x kernel`` averaging filter (RSSN "sharpness").

    Pipeline 1 imitates a large aperture's shallow depth of field with OpenCV's
    normalized box filter ``cv2.blur``, the kernel drawn from
    :data:`BLUR_KERNELS`. Borders are reflected (OpenCV's default,
    ``BORDER_REFLECT_101``); even kernels are anchored at ``kernel // 2``.

    Parameters
    ----------
    background : ndarray of uint8, shape (H, W, 3)
    kernel : int
        Side of the square kernel in pixels, >= 1 (1 leaves the image unchanged).

    Returns
    -------
    ndarray of uint8, shape (H, W, 3)

    Examples
    --------
    >>> bg = np.zeros((5, 5, 3), np.uint8); bg[2, 2] = 255
    >>> int(aperture_blur(bg, 5)[2, 2, 0])  # 255 / 25 rounded
    10
    """
    background = _check_rgb(background, "background")
    if isinstance(kernel, bool) or int(kernel) != kernel or kernel < 1:
        raise ValueError(f"kernel must be a positive integer, got {kernel!r}")
    k = int(kernel)
    return cv2.blur(background, (k, k))


def fit_crop(
    bg_size: tuple[int, int],
    size: tuple[int, int],
    mode: str = "cover",
    position: tuple[float, float] = (0.5, 0.5),
) -> tuple[float | None, tuple[int, int, int, int]]:
    """Where a background is cut to fit a foreground: the scale and the crop.

    ``cover`` (our default): the background is scaled by
    ``s = max(W / bw, H / bh)`` so that it covers the foreground without
    distortion, and a ``W x H`` window is cut from it. The crop is returned in
    the *source* background's pixels: ``(W / s, H / s)`` rounded, at the
    position ``position = (fx, fy)`` in [0, 1) of the free range. Cutting first
    and resizing the cut is the same picture as resizing and then cutting, at a
    fraction of the cost for large backgrounds. ``stretch``: the whole
    background is resized to ``W x H`` out of aspect, as the GFM code does.

    Parameters
    ----------
    bg_size, size : (width, height)
        Of the background and of the foreground.
    mode : {"cover", "stretch"}
    position : (float, float)
        ``(fx, fy)`` in [0, 1): where the window lies along the free range.

    Returns
    -------
    scale : float or None
        ``s`` for ``cover``; ``None`` for ``stretch``.
    crop : (x, y, w, h)
        The window in source-background pixels.

    Examples
    --------
    >>> fit_crop((400, 200), (100, 100), "cover", (0.0, 0.0))
    (0.5, (0, 0, 200, 200))
    """
    bw, bh = (int(v) for v in bg_size)
    W, H = (int(v) for v in size)
    if min(bw, bh, W, H) < 1:
        raise ValueError(f"sizes must be positive, got background {bg_size} and target {size}")
    if mode == "stretch":
        return None, (0, 0, bw, bh)
    if mode != "cover":
        raise ValueError(f"mode must be one of {FIT_MODES}, got {mode!r}")
    s = max(W / bw, H / bh)
    cw = min(bw, max(1, round(W / s)))
    ch = min(bh, max(1, round(H / s)))
    fx, fy = position
    x = min(bw - cw, math.floor(fx * (bw - cw + 1)))
    y = min(bh - ch, math.floor(fy * (bh - ch + 1)))
    return s, (x, y, cw, ch)


def fit_background(
    background: np.ndarray, size: tuple[int, int], crop: tuple[int, int, int, int]
) -> np.ndarray:
    """Cut ``crop = (x, y, w, h)`` from a background and resize it to ``size = (W, H)``.

    Shrinking uses ``cv2.INTER_AREA`` (no aliasing), enlarging
    ``cv2.INTER_CUBIC``; a crop already of the right size is copied as is.
    The crop comes from :func:`fit_crop`.

    Returns
    -------
    ndarray of uint8, shape (H, W, 3)
    """
    background = _check_rgb(background, "background")
    x, y, w, h = (int(v) for v in crop)
    W, H = (int(v) for v in size)
    bh, bw = background.shape[:2]
    if x < 0 or y < 0 or w < 1 or h < 1 or x + w > bw or y + h > bh:
        raise ValueError(f"crop {crop} lies outside the {bw}x{bh} background")
    window = background[y : y + h, x : x + w]
    if (w, h) == (W, H):
        return window.copy()
    interp = cv2.INTER_AREA if W * H <= w * h else cv2.INTER_CUBIC
    return cv2.resize(np.ascontiguousarray(window), (W, H), interpolation=interp)


def composite(fg: np.ndarray, alpha: np.ndarray, bg: np.ndarray) -> np.ndarray:
    """The composite ``C = alpha * F + (1 - alpha) * B`` (Pipeline 1; Porter and Duff).

    Computed in float32 with ``alpha = a / 255``, rounded half to even and
    clipped: never truncated, never wrapped around.

    Examples
    --------
    >>> F = np.full((1, 1, 3), 200, np.uint8); B = np.full((1, 1, 3), 100, np.uint8)
    >>> int(composite(F, np.array([[128]], np.uint8), B)[0, 0, 0])  # 150.196...
    150
    """
    fg = _check_rgb(fg, "foreground")
    bg = _check_rgb(bg, "background")
    if fg.shape != bg.shape:
        raise ValueError(f"foreground is {fg.shape}, background is {bg.shape}")
    alpha = _check_alpha(alpha, fg.shape[:2])
    a = alpha.astype(np.float32)[..., None] * np.float32(1 / 255)
    # C = B + alpha (F - B) in float32. OpenCV does the uint8 -> float32 conversions
    # inside its arithmetic: F - B (exact) in one pass, and B + alpha (F - B) with the
    # rounding to uint8 in another (see _add_u8); the products are NumPy's.
    d = cv2.subtract(_rows(fg), _rows(bg), dtype=cv2.CV_32F).reshape(fg.shape)
    d *= a
    return _add_u8(bg, d)


def _add_u8(image: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``_to_uint8(image.astype(float32) + values)`` for ``uint8`` image, ``float32`` values.

    OpenCV's mixed-type ``add`` converts the ``uint8`` operand to float32, adds in
    float32 and rounds half to even with saturation, in one pass instead of
    NumPy's four (checked against the NumPy definition on every ``uint8`` value
    and on the ties around every half level in ``tests/test_rssn_steps.py``).
    """
    if values.dtype != np.float32 or image.shape != values.shape or not image.size:
        return _to_uint8(image.astype(np.float32) + values)
    return cv2.add(_rows(image), _rows(values), dtype=cv2.CV_8U).reshape(image.shape)


#: Side of the square tiles of :func:`noise_field`, in pixels.
NOISE_TILE = 64

# Second word of the Philox key of every noise field (b"RSSN"): keeps these streams
# apart from any other use of Philox keyed by the same seed.
_NOISE_KEY_TAG = 0x5253534E


def noise_field(
    shape: tuple[int, ...],
    std: float,
    seed: int,
    window: tuple[int, int, int, int] | None = None,
) -> np.ndarray:
    """Gaussian noise ``N(0, std^2)`` of ``shape`` (float32), or only a window of it.

    The field is cut into tiles of :data:`NOISE_TILE` x :data:`NOISE_TILE`
    pixels. Tile ``(ty, tx)`` (rows ``64 ty ..``, columns ``64 tx ..``) holds
    ``Generator(Philox(key=(seed, 0x5253534E), counter=(0, ty * 2**32 + tx, 0,
    0))).standard_normal((64, 64) + shape[2:], float32)``, times ``std``; the
    field is the mosaic of its tiles, cut to ``shape``. So the value at a pixel
    depends only on the seed and the pixel (not on the shape), each tile is an
    independent stream (Philox is counter-based: distinct counters never
    overlap), and a window is drawn from the tiles it touches alone. That is
    what lets a training crop pay for its own noise only (:func:`rssn.cook`
    with ``window=``), where one stream over the whole image (NumPy's normal
    sampler uses a variable number of raw draws per value) would have to be
    drawn whole and sliced. The same arguments give the same array on every
    machine: Philox's stream is fixed by its key and counter.

    Parameters
    ----------
    shape : (H, W) or (H, W, C)
    std : float
        Standard deviation (8-bit levels for images).
    seed : int
        In [0, 2**64).
    window : (x, y, w, h), optional
        Return ``field[y:y + h, x:x + w]`` without drawing the rest.

    Examples
    --------
    >>> full = noise_field((100, 150, 3), 10, seed=7)
    >>> part = noise_field((100, 150, 3), 10, seed=7, window=(30, 40, 70, 50))
    >>> bool((full[40:90, 30:100] == part).all())
    True
    """
    H, W = (int(v) for v in shape[:2])
    tail = tuple(int(v) for v in shape[2:])
    if min(H, W) < 0:
        raise ValueError(f"shape must be non-negative, got {shape}")
    seed = int(seed)
    if not 0 <= seed < 2**64:
        raise ValueError(f"seed must be in [0, 2**64), got {seed}")
    x0, y0, w, h = (0, 0, W, H) if window is None else (int(v) for v in window)
    if x0 < 0 or y0 < 0 or w < 0 or h < 0 or x0 + w > W or y0 + h > H:
        raise ValueError(f"window {window} lies outside the field {W}x{H}")
    out = np.empty((h, w, *tail), np.float32)
    if out.size == 0:
        return out
    t = NOISE_TILE
    tx0, tx1 = x0 // t, (x0 + w - 1) // t + 1
    key = np.array([seed, _NOISE_KEY_TAG], dtype=np.uint64)
    tiles = np.empty((tx1 - tx0, t, t, *tail), np.float32)
    # tiles (n, t, t, ...) -> one band of rows (t, n * t, ...)
    band_axes = (1, 0, 2, *tuple(range(3, tiles.ndim)))
    for ty in range(y0 // t, (y0 + h - 1) // t + 1):
        for i, tx in enumerate(range(tx0, tx1)):
            bits = np.random.Philox(key=key, counter=[0, (ty << 32) | tx, 0, 0])
            np.random.Generator(bits).standard_normal(dtype=np.float32, out=tiles[i])
        band = tiles.transpose(band_axes).reshape((t, (tx1 - tx0) * t, *tail))
        ya, yb = max(y0, ty * t), min(y0 + h, ty * t + t)
        out[ya - y0 : yb - y0] = band[ya - ty * t : yb - ty * t, x0 - tx0 * t : x0 - tx0 * t + w]
    out *= np.float32(std)
    return out


def add_noise(image: np.ndarray, std: float = 10.0, seed: int = 0) -> np.ndarray:
    """Add Gaussian noise to an image (Pipeline 1: std 10), rounded and clipped to [0, 255].

    ``image + noise_field(image.shape, std, seed)`` in float32, so a bright pixel
    pushed above 255 stays 255 instead of wrapping to a dark one (as adding in
    ``uint8`` would).

    Examples
    --------
    >>> white = np.full((64, 64, 3), 255, np.uint8)
    >>> int(add_noise(white, 10, seed=1).min()) > 200  # no wrap-around to black
    True
    """
    image = np.asarray(image)
    if image.dtype != np.uint8:
        raise ValueError(f"image must be uint8, got {image.dtype}")
    if not math.isfinite(std) or std < 0:
        raise ValueError(f"std must be a finite number >= 0, got {std}")
    return _add_u8(image, noise_field(image.shape, std, seed))
