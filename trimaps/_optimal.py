"""AdaMatting's optimal trimap (Cai et al., ICCV 2019, Eq. 2)."""

from __future__ import annotations

import numpy as np

from trimaps._alpha import check_alpha


def optimal_trimap(alpha: np.ndarray, tol: float = 0.0) -> np.ndarray:
    """The "optimal" trimap: background where alpha = 0, foreground where alpha = 1.

    Every pixel whose alpha is neither 0 nor 1 is unknown, and nothing else is:
    the unknown region is as small as the matte allows. AdaMatting trains its
    trimap-adaptation branch towards this map.

    Parameters
    ----------
    alpha : ndarray, shape (H, W)
        ``uint8`` in [0, 255] or float in [0, 1].
    tol : float
        Tolerance on the [0, 1] scale, in [0, 0.5): pixels with ``alpha <= tol``
        are background and pixels with ``alpha >= 1 - tol`` foreground. 0 (the
        paper's definition) is exact. For 8-bit mattes, whose near-0 and near-255
        values are often compression or annotation noise, ``tol = n / 255`` treats
        the ``n`` levels next to each end as definite.

    Returns
    -------
    ndarray of float32, shape (H, W)
        0 background, 0.5 unknown, 1 foreground.

    References
    ----------
    S. Cai, X. Zhang, H. Fan, H. Huang, J. Liu, J. Liu, J. Liu, J. Wang, J. Sun.
    "Disentangled Image Matting." ICCV 2019, Eq. 2.
    """
    alpha = check_alpha(alpha)
    tol = float(tol)
    if not 0 <= tol < 0.5:
        raise ValueError(f"tol must lie in [0, 0.5), got {tol}")
    if tol == 0:
        if alpha.dtype == np.uint8:
            bg, fg = alpha == 0, alpha == 255
        else:
            bg, fg = alpha == 0, alpha == 1
    else:
        a = alpha.astype(np.float64)
        if alpha.dtype == np.uint8:
            a /= 255
        # So that tol = n / 255 includes level n despite float rounding (levels are
        # 1/255 apart, far more than eps).
        eps = 1e-6
        bg, fg = a <= tol + eps, a >= 1 - tol - eps
    out = np.full(alpha.shape, 0.5, np.float32)
    out[bg] = 0
    out[fg] = 1
    return out
