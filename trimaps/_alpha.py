"""Checking alpha mattes and the morphology every representation shares.

An alpha matte comes in one of two forms:

- ``uint8`` in [0, 255], as stored in PNG files: 255 is opaque, 0 transparent;
- floating point in [0, 1] (float16/32/64), as a network or a loader produces it:
  1.0 is opaque, 0.0 transparent. ``bool`` masks are accepted as {0, 1}.

"Opaque" (``alpha == 1``) is exact in both forms: ``alpha == 255`` for ``uint8`` and
``alpha == 1.0`` for floats (a float matte made by ``u8 / 255`` keeps 1.0 exactly).
"Not transparent" is ``alpha > 0`` in both forms.
"""

from __future__ import annotations

import cv2
import numpy as np

_FLOATS = (np.float16, np.float32, np.float64)


def check_alpha(alpha: np.ndarray, name: str = "alpha") -> np.ndarray:
    """Return ``alpha`` as an array after checking shape, dtype and range.

    Raises ``TypeError`` for an unsupported dtype and ``ValueError`` for a
    wrong shape, NaN or a value outside the dtype's range.
    """
    alpha = np.asarray(alpha)
    if alpha.ndim != 2:
        raise ValueError(f"{name} must be a 2-D (H, W) array, got shape {alpha.shape}")
    if alpha.shape[0] == 0 or alpha.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {alpha.shape})")
    if alpha.dtype == np.uint8 or alpha.dtype == np.bool_:
        return alpha
    if alpha.dtype.type in _FLOATS:
        if np.isnan(alpha).any():
            raise ValueError(f"{name} contains NaN")
        lo, hi = alpha.min(), alpha.max()
        if lo < 0 or hi > 1:
            raise ValueError(f"float {name} must lie in [0, 1], found [{lo:g}, {hi:g}]")
        return alpha
    raise TypeError(f"{name} must be uint8 in [0, 255] or float in [0, 1], got dtype {alpha.dtype}")


def opaque(alpha: np.ndarray) -> np.ndarray:
    """``alpha == 1`` as ``uint8`` {0, 1} (``== 255`` for ``uint8``, ``== 1.0`` for floats)."""
    if alpha.dtype == np.uint8:
        return (alpha == 255).view(np.uint8)
    if alpha.dtype == np.bool_:
        return alpha.view(np.uint8)
    return (alpha == 1).view(np.uint8)


def nonzero(alpha: np.ndarray) -> np.ndarray:
    """``alpha > 0`` as ``uint8`` {0, 1}."""
    if alpha.dtype == np.bool_:
        return alpha.view(np.uint8)
    return (alpha > 0).view(np.uint8)


def transparent(alpha: np.ndarray) -> np.ndarray:
    """``alpha == 0`` as ``uint8`` {0, 1}."""
    return (nonzero(alpha) == 0).view(np.uint8)


def as_float(alpha: np.ndarray) -> np.ndarray:
    """The matte as ``float32`` in [0, 1]."""
    if alpha.dtype == np.uint8:
        return alpha.astype(np.float32) / np.float32(255)
    return alpha.astype(np.float32, copy=False)


def check_kernel(kernel: int, name: str = "kernel") -> int:
    k = int(kernel)
    if k != kernel or k < 1:
        raise ValueError(f"{name} must be a positive integer (pixels), got {kernel!r}")
    return k


def ellipse(size: int) -> np.ndarray:
    """The elliptical structuring element ``cv2.getStructuringElement(MORPH_ELLIPSE, (k, k))``.

    This is the element the reference implementations (GFM, AIM, P3M, GCA-Matting)
    use; ``size`` is its diameter in pixels, so one erosion with it removes about
    ``(size - 1) / 2`` pixels from each side of a region. ``size = 1`` is the identity.
    """
    k = check_kernel(size, "kernel size")
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))


def erode(mask: np.ndarray, size: int, iterations: int = 1) -> np.ndarray:
    """Binary erosion of a ``uint8`` {0, 1} mask with :func:`ellipse`.

    OpenCV's default border applies: pixels outside the image do not erode the
    mask (a foreground touching the frame stays foreground), as in the authors' code.
    """
    if size == 1 or iterations == 0:
        return mask.copy()
    return cv2.erode(mask, ellipse(size), iterations=iterations)


def dilate(mask: np.ndarray, size: int, iterations: int = 1) -> np.ndarray:
    """Binary dilation of a ``uint8`` {0, 1} mask with :func:`ellipse` (see :func:`erode`)."""
    if size == 1 or iterations == 0:
        return mask.copy()
    return cv2.dilate(mask, ellipse(size), iterations=iterations)
