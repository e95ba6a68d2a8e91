"""Random trimaps and random soft segmentations for training.

Each random function draws its parameters first (from one ``rng``) and then
applies a deterministic function to them, so a draw can be recorded and replayed:
:func:`draw_trimap_widths` + :func:`erosion_trimap` is :func:`random_trimap`.
"""

from __future__ import annotations

import cv2
import numpy as np

from trimaps._alpha import (
    as_float,
    check_alpha,
    check_kernel,
    dilate,
    ellipse,
    erode,
    nonzero,
    opaque,
    transparent,
)
from trimaps._trimap import trimap

#: GCA-Matting's range of erosion widths (kernel diameters, pixels), inclusive.
GCA_WIDTHS = (1, 29)
#: Blur kernel sizes of Background Matting's soft segmentation.
BGM_BLUR_SIZES = (21, 31, 41)
#: Hole sizes (square side, pixels) of Background Matting's soft segmentation.
BGM_HOLE_SIZES = (15, 25, 35, 45)


def _range(pair, name: str, *, integer: bool) -> tuple:
    try:
        lo, hi = pair
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a (low, high) pair, got {pair!r}") from None
    if integer:
        lo, hi = check_kernel(lo, name), check_kernel(hi, name)
    elif not (np.isfinite(lo) and np.isfinite(hi)) or lo < 0:
        raise ValueError(f"{name} must be finite and non-negative, got {pair!r}")
    if lo > hi:
        raise ValueError(f"{name}: low {lo} is greater than high {hi}")
    return lo, hi


def object_size(alpha: np.ndarray) -> float:
    """Geometric mean ``sqrt(h * w)`` of the bounding box of ``alpha > 0`` (0 if empty)."""
    alpha = check_alpha(alpha)
    mask = nonzero(alpha).astype(bool)
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return 0.0
    h = rows[-1] - rows[0] + 1
    w = cols[-1] - cols[0] + 1
    return float(np.sqrt(float(h) * float(w)))


def draw_trimap_widths(
    alpha: np.ndarray,
    rng: int | np.random.Generator | None = None,
    *,
    widths: tuple[int, int] = GCA_WIDTHS,
    relative: tuple[float, float] | None = None,
) -> tuple[int, int]:
    """Draw the foreground and background erosion widths of :func:`random_trimap`.

    Returns ``(fg_width, bg_width)``, drawn independently in that order. See
    :func:`random_trimap` for the parameters.
    """
    rng = np.random.default_rng(rng)
    if relative is None:
        lo, hi = _range(widths, "widths", integer=True)
        # GCA-Matting: np.random.randint(1, 30) for each, i.e. 1..29 inclusive.
        return int(rng.integers(lo, hi + 1)), int(rng.integers(lo, hi + 1))
    lo, hi = _range(relative, "relative", integer=False)
    size = object_size(alpha)
    fractions = rng.uniform(lo, hi, size=2)
    fg, bg = (max(1, round(float(f) * size)) for f in fractions)
    return int(fg), int(bg)


def erosion_trimap(alpha: np.ndarray, fg_width: int, bg_width: int) -> np.ndarray:
    """Trimap from separate erosions of the foreground and the background.

    Definite foreground is ``alpha == 1`` eroded with an ellipse of diameter
    ``fg_width``; definite background is ``alpha == 0`` eroded with an ellipse of
    diameter ``bg_width``; the rest is unknown. With equal widths ``k`` this is
    :func:`trimaps.trimap` with ``kernel=k``.

    Returns
    -------
    ndarray of float32, shape (H, W)
        0 background, 0.5 unknown, 1 foreground.

    References
    ----------
    Y. Li, H. Lu. "Natural Image Matting via Guided Contextual Attention." AAAI 2020
    (GCA-Matting), training data generation (code: ``GenTrimap``).
    """
    labels = erosion_trimap_u8(alpha, fg_width, bg_width)
    out = np.full(labels.shape, 0.5, np.float32)
    np.copyto(out, np.float32(1), where=labels == 255)
    np.copyto(out, np.float32(0), where=labels == 0)
    return out


def erosion_trimap_u8(alpha: np.ndarray, fg_width: int, bg_width: int) -> np.ndarray:
    """:func:`erosion_trimap` as stored: ``uint8`` 0 / 128 / 255.

    The same as ``to_uint8(erosion_trimap(alpha, fg_width, bg_width))`` without the
    float32 map in between (a training loader makes one per sample).
    """
    alpha = check_alpha(alpha)
    fg = erode(opaque(alpha), check_kernel(fg_width, "fg_width"))
    bg = erode(transparent(alpha), check_kernel(bg_width, "bg_width"))
    out = np.full(alpha.shape, 128, np.uint8)
    np.copyto(out, np.uint8(255), where=fg.view(bool))
    np.copyto(out, np.uint8(0), where=bg.view(bool))
    return out


def random_trimap(
    alpha: np.ndarray,
    rng: int | np.random.Generator | None = None,
    *,
    widths: tuple[int, int] = GCA_WIDTHS,
    relative: tuple[float, float] | None = None,
) -> np.ndarray:
    """A random training trimap with independent foreground and background widths.

    GCA-Matting's recipe: draw a foreground width and a background width
    independently and uniformly from 1 to 29 pixels, erode ``alpha == 1`` and
    ``alpha == 0`` with ellipses of those diameters, and call the rest unknown.
    A width is the diameter of ``cv2.getStructuringElement(MORPH_ELLIPSE, (w, w))``
    used once, as in GCA-Matting's code; width 1 does not erode at all.

    Parameters
    ----------
    alpha : ndarray, shape (H, W)
        ``uint8`` in [0, 255] or float in [0, 1] (``alpha == 1`` is exact: 255 or 1.0).
    rng : int, numpy.random.Generator or None
        Seed or generator; the same seed gives the same trimap.
    widths : (int, int)
        Inclusive range of the widths in pixels; ``(1, 29)`` is GCA-Matting's.
    relative : (float, float), optional
        Object-size-aware widths instead of pixel widths: each width is
        ``max(1, round(f * s))`` with ``f`` drawn uniformly from ``relative`` and
        ``s = sqrt(h * w)`` the geometric mean of the sides of the bounding box of
        ``alpha > 0``. E.g. ``(0.02, 0.1)`` gives bands of 2-10 % of the object's
        size, whatever the image resolution or how much of it the object fills.
        Our own rule (the papers use pixel widths); an empty matte gives width 1.

    Returns
    -------
    ndarray of float32, shape (H, W)
        0 background, 0.5 unknown, 1 foreground.

    References
    ----------
    Y. Li, H. Lu. "Natural Image Matting via Guided Contextual Attention." AAAI 2020,
    Sec. 4 (training), code ``dataloader/data_generator.py: GenTrimap``.
    """
    alpha = check_alpha(alpha)
    fg_w, bg_w = draw_trimap_widths(alpha, rng, widths=widths, relative=relative)
    return erosion_trimap(alpha, fg_w, bg_w)


def random_trimap_u8(
    alpha: np.ndarray,
    rng: int | np.random.Generator | None = None,
    *,
    widths: tuple[int, int] = GCA_WIDTHS,
    relative: tuple[float, float] | None = None,
) -> np.ndarray:
    """:func:`random_trimap` as stored, ``uint8`` 0 / 128 / 255 (the same draws)."""
    alpha = check_alpha(alpha)
    fg_w, bg_w = draw_trimap_widths(alpha, rng, widths=widths, relative=relative)
    return erosion_trimap_u8(alpha, fg_w, bg_w)


def _blur(mask01: np.ndarray, ksize: int) -> np.ndarray:
    # sigma 0: OpenCV derives it from the kernel size, as both reference codes do.
    out = cv2.GaussianBlur(mask01.astype(np.float32), (ksize, ksize), 0)
    return np.clip(out, 0, 1, out=out)  # the float kernel may sum to 1 + 1e-7


def random_soft_segmentation(
    alpha: np.ndarray,
    rng: int | np.random.Generator | None = None,
    preset: str = "sgm",
) -> np.ndarray:
    """A random coarse, blurred segmentation of the foreground, as a guidance input.

    Parameters
    ----------
    alpha : ndarray, shape (H, W)
        ``uint8`` in [0, 255] or float in [0, 1].
    rng : int, numpy.random.Generator or None
        Seed or generator; the same seed gives the same map.
    preset : {"sgm", "bgm"}
        ``"sgm"``, the semantic-guided matting recipe: a :func:`random_trimap`
        (GCA widths 1-29); its foreground + unknown region as the initial
        segmentation; erosion with an ellipse of random diameter 1-59, then
        dilation with another of random diameter 1-59; Gaussian blur with a kernel
        of 21, 31 or 41 pixels (the blur size is our choice, borrowed from
        Background Matting, because the recipe does not fix one).

        ``"bgm"``, Background Matting's recipe: ``alpha > 0.5``; 10-19 iterations
        of erosion and then 15-29 iterations of dilation with a 5x5 ellipse; 0-2
        square holes of side 15, 25, 35 or 45 cut around random pixels of the
        unknown band of a trimap (kernel 25); Gaussian blur of 21, 31 or 41. Where
        no unknown pixel can hold a hole, none is cut (the authors' code would cut
        it in the image corner).

    Returns
    -------
    ndarray of float32, shape (H, W)
        The soft segmentation in [0, 1].

    Notes
    -----
    Draw order ("sgm"): foreground width, background width, erosion diameter,
    dilation diameter, blur size. ("bgm"): erosion iterations, dilation
    iterations, number of holes, then per hole its size and centre, blur size.
    Background Matting's code compares an 8-bit matte with 0.5, i.e. uses
    ``alpha > 0``; we follow its evident intent, ``alpha > 0.5`` on [0, 1].

    References
    ----------
    Semantic-guided matting: Y. Zhou, L. Zhou, T. L. Lam, Y. Xu. "Semantic-guided
    Automatic Natural Image Matting with Trimap Generation Network and Light-weight
    Non-local Attention." arXiv:2103.17020, 2021.
    Background Matting: S. Sengupta, V. Jayaram, B. Curless, S. Seitz,
    I. Kemelmacher-Shlizerman. "Background Matting: The World is Your Green
    Screen." CVPR 2020 (code: ``data_loader.py: create_seg``).
    """
    alpha = check_alpha(alpha)
    key = str(preset).lower()
    rng = np.random.default_rng(rng)
    if key == "sgm":
        t = random_trimap(alpha, rng)
        seg = (t > 0).view(np.uint8)
        seg = erode(seg, int(rng.integers(1, 60)))
        seg = dilate(seg, int(rng.integers(1, 60)))
        return _blur(seg, int(rng.choice(BGM_BLUR_SIZES)))
    if key == "bgm":
        seg = (as_float(alpha) > 0.5).view(np.uint8)
        seg = cv2.erode(seg, ellipse(5), iterations=int(rng.integers(10, 20)))
        seg = cv2.dilate(seg, ellipse(5), iterations=int(rng.integers(15, 30)))
        n_holes = int(rng.integers(0, 3))
        if n_holes:
            unknown = np.argwhere(trimap(alpha, 25) == np.float32(0.5))
            h, w = alpha.shape
            for _ in range(n_holes):
                side = int(rng.choice(BGM_HOLE_SIZES))
                half = side // 2
                fits = unknown[
                    (unknown[:, 0] >= half)
                    & (unknown[:, 0] + side - half <= h)
                    & (unknown[:, 1] >= half)
                    & (unknown[:, 1] + side - half <= w)
                ]
                if len(fits) == 0:
                    continue
                cy, cx = fits[int(rng.integers(len(fits)))]
                seg[cy - half : cy - half + side, cx - half : cx - half + side] = 0
        return _blur(seg, int(rng.choice(BGM_BLUR_SIZES)))
    raise ValueError(f"unknown preset {preset!r}; choose 'sgm' or 'bgm'")
