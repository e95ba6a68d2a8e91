"""GFM's RoSTa targets and collaborative matting (Li et al., IJCV 2022, Secs. 3.4-3.5).

GFM splits matting into a glance decoder (semantics) and a focus decoder (details),
and tries three Representations of Semantic and Transition Areas (RoSTa):

- TT: the glance decoder predicts a trimap (kernel 25); the focus decoder predicts
  alpha in its unknown band; the merge takes the focus prediction there.
- FT: the glance decoder predicts a foreground segmentation ``F``, the erosion of
  ``alpha == 1`` with kernel 50; the transition area is ``I(alpha > 0) - F``; the
  merge adds the two predictions.
- BT: the glance decoder predicts a segmentation ``B`` made by dilating
  ``alpha > 0`` with kernel 50 (its complement is the definite background); the
  transition area is ``B - I(alpha > 0)``; the merge subtracts the focus
  prediction from the glance prediction.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from trimaps._alpha import as_float, check_alpha, check_kernel, dilate, erode, nonzero, opaque
from trimaps._trimap import trimap

#: Kernel diameters of the paper: 25 for the TT trimap, 50 for FT's erosion and BT's dilation.
ROSTA_KERNELS = {"tt": 25, "ft": 50, "bt": 50}


class RoSTa(NamedTuple):
    """Training targets of one RoSTa variant (all float32 or bool, shape (H, W)).

    Attributes
    ----------
    glance : ndarray of float32
        The glance decoder's target: a trimap {0, 0.5, 1} (TT) or a binary
        segmentation {0, 1} (``F`` for FT, ``B`` for BT).
    focus : ndarray of float32
        The focus decoder's target, such that :func:`collaborative_matting`
        of ``glance`` and ``focus`` gives back alpha exactly: alpha on the unknown
        band and 0 elsewhere (TT); ``alpha - F`` (FT); ``B - alpha`` (BT).
    transition : ndarray of bool
        The transition area as the paper's text defines it: the unknown band (TT),
        ``I(alpha > 0) - F`` (FT), ``B - I(alpha > 0)`` (BT).
    """

    glance: np.ndarray
    focus: np.ndarray
    transition: np.ndarray


def rosta(alpha: np.ndarray, variant: str, kernel: int | None = None) -> RoSTa:
    """The glance and focus targets of GFM's RoSTa variant TT, FT or BT.

    Parameters
    ----------
    alpha : ndarray, shape (H, W)
        ``uint8`` in [0, 255] or float in [0, 1] (see :func:`trimaps.trimap` for
        how ``alpha == 1`` is decided).
    variant : {"tt", "ft", "bt"}
        Case-insensitive.
    kernel : int, optional
        Kernel diameter of the elliptical structuring element; defaults to the
        paper's 25 (TT) and 50 (FT, BT).

    Returns
    -------
    RoSTa
        ``(glance, focus, transition)``.

    Notes
    -----
    This follows the paper's text (Sec. 3.4): FT's ``F`` is the erosion of
    ``alpha == 1`` and BT's ``B`` the dilation of ``alpha > 0``, both with kernel 50.
    The authors' released code is not consistent with it: its loader computes the
    eroded and dilated maps, but its training loop supervises the glance decoder of
    FT and BT with the alpha matte itself, and one revision draws one kernel in
    25-35 for all three maps. We do not copy that.

    For BT the paper calls ``B - I(alpha > 0)`` the transition area, and that is
    what ``transition`` holds. Subtracting the focus prediction from ``B`` can only
    give alpha back if the focus target is ``B - alpha`` (as the authors' code
    computes it, ``dilation - mask``): 1 on that band and ``1 - alpha`` on the
    partly transparent pixels inside ``alpha > 0``. ``focus`` holds that target.

    References
    ----------
    J. Li, J. Zhang, S. J. Maybank, D. Tao. "Bridging Composite and Real: Towards
    End-to-end Deep Image Matting." IJCV 130:246-266, 2022, Sec. 3.4 (RoSTa) and
    Sec. 3.5 (collaborative matting).
    """
    key = str(variant).lower()
    if key not in ROSTA_KERNELS:
        raise ValueError(f"unknown RoSTa variant {variant!r}; choose one of TT, FT, BT")
    alpha = check_alpha(alpha)
    k = ROSTA_KERNELS[key] if kernel is None else check_kernel(kernel)
    a = as_float(alpha)
    if key == "tt":
        t = trimap(alpha, k)
        transition = t == np.float32(0.5)
        return RoSTa(t, np.where(transition, a, np.float32(0)), transition)
    inside = nonzero(alpha).astype(bool)
    if key == "ft":
        f = erode(opaque(alpha), k).astype(bool)
        transition = inside & ~f
        # alpha - F: alpha is 1 on F, so this is alpha on the transition area, 0 elsewhere.
        return RoSTa(f.astype(np.float32), np.where(transition, a, np.float32(0)), transition)
    b = dilate(nonzero(alpha), k).astype(bool)
    transition = b & ~inside
    focus = b.astype(np.float32) - a  # B - alpha >= 0 because alpha > 0 only inside B
    return RoSTa(b.astype(np.float32), focus, transition)


def collaborative_matting(glance: np.ndarray, focus: np.ndarray, variant: str) -> np.ndarray:
    """GFM's collaborative matting: merge glance and focus predictions into alpha.

    Parameters
    ----------
    glance : ndarray, shape (H, W)
        The glance prediction as a map: for TT a trimap, each value taken as the
        nearest of 0 (background), 0.5 (unknown) and 1 (foreground); for FT and BT
        a segmentation, foreground where ``glance >= 0.5`` (the argmax of two classes).
    focus : ndarray, shape (H, W)
        The focus prediction in [0, 1].
    variant : {"tt", "ft", "bt"}

    Returns
    -------
    ndarray of float32
        TT: ``F_g + U_g * focus`` (the focus prediction replaces the unknown band);
        FT: ``min(G + focus, 1)``; BT: ``max(G - focus, 0)``, with ``G`` the binary
        glance prediction. Merging the targets of :func:`rosta` gives alpha back.

    References
    ----------
    J. Li et al. "Bridging Composite and Real: Towards End-to-end Deep Image
    Matting." IJCV 2022, Sec. 3.5 (collaborative matting: replace for TT, add for
    FT, subtract for BT).
    """
    key = str(variant).lower()
    if key not in ROSTA_KERNELS:
        raise ValueError(f"unknown RoSTa variant {variant!r}; choose one of TT, FT, BT")
    g = np.asarray(glance, dtype=np.float32)
    p = np.asarray(focus, dtype=np.float32)
    if g.shape != p.shape:
        raise ValueError(f"glance and focus must have the same shape, got {g.shape}, {p.shape}")
    if key == "tt":
        cls = np.rint(np.clip(g, 0, 1) * 2)  # 0 background, 1 unknown, 2 foreground
        return np.where(cls == 2, np.float32(1), np.where(cls == 1, p, np.float32(0)))
    seg = (g >= 0.5).astype(np.float32)
    if key == "ft":
        return np.minimum(seg + p, np.float32(1))
    return np.maximum(seg - p, np.float32(0))
