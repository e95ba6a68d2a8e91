"""Fusing a predicted trimap with a predicted alpha (semantic-guided matting).

A trimap-predicting network followed by a matting network leaves two
predictions: per-pixel trimap probabilities ``(B_p, U_p, F_p)`` (summing to 1)
and an alpha ``alpha_p``. The soft fusion weights alpha by the unknown
probability; the hard fusion overwrites alpha where the trimap is decided.
"""

from __future__ import annotations

import numpy as np


def _as_float(name: str, x: np.ndarray) -> np.ndarray:
    x = np.asarray(x)
    if x.dtype == np.uint8:
        return x.astype(np.float32) / np.float32(255)
    x = x.astype(np.float32, copy=False)
    if x.size and (np.isnan(x).any() or x.min() < 0 or x.max() > 1):
        raise ValueError(f"{name} must lie in [0, 1]")
    return x


def soft_fusion(fg_prob: np.ndarray, unknown_prob: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Probability-based fusion ``alpha_r = F_p + U_p * alpha_p``.

    Parameters
    ----------
    fg_prob : ndarray, shape (H, W)
        ``F_p``, the predicted probability of definite foreground, in [0, 1].
    unknown_prob : ndarray, shape (H, W)
        ``U_p``, the predicted probability of the unknown class, in [0, 1].
        ``F_p + U_p`` must not exceed 1 (the background takes the rest).
    alpha : ndarray, shape (H, W)
        ``alpha_p``, the matting network's prediction in [0, 1] (float, or
        ``uint8`` in [0, 255]).

    Returns
    -------
    ndarray of float32
        ``alpha_r`` in [0, 1]: the expected alpha when the pixel is foreground
        with probability ``F_p`` (alpha 1), unknown with ``U_p`` (alpha
        ``alpha_p``) and background otherwise (alpha 0).

    References
    ----------
    Y. Zhou, L. Zhou, T. L. Lam, Y. Xu. "Semantic-guided Automatic Natural Image
    Matting with Trimap Generation Network and Light-weight Non-local Attention."
    arXiv:2103.17020, 2021 (soft fusion). The same probabilistic fusion appears in
    Q. Chen et al., "Semantic Human Matting", ACM MM 2018.
    """
    f = _as_float("fg_prob", fg_prob)
    u = _as_float("unknown_prob", unknown_prob)
    a = _as_float("alpha", alpha)
    if not f.shape == u.shape == a.shape:
        raise ValueError(f"shapes differ: {f.shape}, {u.shape}, {a.shape}")
    if f.size and float((f + u).max()) > 1 + 1e-5:
        raise ValueError("fg_prob + unknown_prob exceeds 1; pass class probabilities")
    return np.minimum(f + u * a, np.float32(1))


def hard_fusion(trimap: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Reset alpha to 1 on the predicted foreground and to 0 on the predicted background.

    Parameters
    ----------
    trimap : ndarray, shape (H, W)
        The predicted trimap, float {0, 0.5, 1} (values taken as the nearest of
        the three) or ``uint8`` {0, 128, 255} (0 background, 255 foreground, else
        unknown), e.g. the argmax of the trimap network's three classes.
    alpha : ndarray, shape (H, W)
        The matting network's prediction in [0, 1] (or ``uint8``).

    Returns
    -------
    ndarray of float32
        ``alpha`` with foreground pixels set to 1 and background pixels to 0.

    References
    ----------
    Y. Zhou, L. Zhou, T. L. Lam, Y. Xu. "Semantic-guided Automatic Natural Image
    Matting with Trimap Generation Network and Light-weight Non-local Attention."
    arXiv:2103.17020, 2021 (hard fusion).
    """
    t = np.asarray(trimap)
    a = _as_float("alpha", alpha).copy()
    if t.shape != a.shape:
        raise ValueError(f"shapes differ: {t.shape}, {a.shape}")
    if t.dtype == np.uint8:
        fg, bg = t == 255, t == 0
    else:
        cls = np.rint(np.clip(_as_float("trimap", t), 0, 1) * 2)
        fg, bg = cls == 2, cls == 0
    a[fg] = 1
    a[bg] = 0
    return a
