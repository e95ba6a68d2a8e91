"""AIM's unified semantic representations (Li, Zhang, Tao, IJCAI 2021, Eqs. 1-2).

AIM sorts images into three types and gives each its own semantic target:

- SO (salient opaque foreground, e.g. a person or an animal): the trimap ``T``;
- STM (salient transparent/meticulous foreground, e.g. glass, a net, a plant):
  the duomap ``1.5 T - T**2``, which is 0 on background and 0.5 elsewhere,
  because such a foreground has no reliably opaque interior;
- NS (non-salient foreground, e.g. smoke or a spider web over a scene): the
  unimap, 0.5 everywhere, because nothing in the image is definitely known.
"""

from __future__ import annotations

import numpy as np

from trimaps._alpha import check_alpha
from trimaps._trimap import PRESETS, trimap

#: The three image types of AIM and the name of their representation.
TYPES = {"so": "trimap", "stm": "duomap", "ns": "unimap"}

_AIM_KERNEL = PRESETS["aim"].low


def duomap(t: np.ndarray) -> np.ndarray:
    """AIM's duomap ``1.5 T - T**2`` of a trimap (Eq. 1, STM case).

    Parameters
    ----------
    t : ndarray
        A trimap with values in [0, 1] (0 background, 0.5 unknown, 1 foreground).

    Returns
    -------
    ndarray of float32
        ``1.5 t - t**2``: {0, 0.5, 1} maps to {0, 0.5, 0.5}.

    References
    ----------
    J. Li, J. Zhang, D. Tao. "Deep Automatic Natural Image Matting." IJCAI 2021, Eq. 1.
    """
    t = np.asarray(t, dtype=np.float32)
    return np.float32(1.5) * t - t * t


def unimap(shape: tuple[int, int]) -> np.ndarray:
    """AIM's unimap: 0.5 everywhere (Eq. 1, NS case), float32 of the given shape.

    References
    ----------
    J. Li, J. Zhang, D. Tao. "Deep Automatic Natural Image Matting." IJCAI 2021, Eq. 1.
    """
    return np.full(tuple(shape), 0.5, dtype=np.float32)


def unified(alpha: np.ndarray, kind: str, kernel: int = _AIM_KERNEL) -> np.ndarray:
    """AIM's unified semantic representation of an alpha matte (Eq. 1).

    Parameters
    ----------
    alpha : ndarray, shape (H, W)
        ``uint8`` in [0, 255] or float in [0, 1].
    kind : {"so", "stm", "ns"}
        The image type (case-insensitive): salient opaque -> trimap ``T``; salient
        transparent/meticulous -> duomap ``1.5 T - T**2``; non-salient -> unimap 0.5.
    kernel : int
        Kernel diameter of the underlying :func:`trimap`; 30 as in AIM's code.

    Returns
    -------
    ndarray of float32, shape (H, W)
        Values in {0, 0.5, 1} (SO), {0, 0.5} (STM) or {0.5} (NS).

    References
    ----------
    J. Li, J. Zhang, D. Tao. "Deep Automatic Natural Image Matting." IJCAI 2021,
    Sec. 3.1, Eq. 1.
    """
    key = str(kind).lower()
    if key not in TYPES:
        raise ValueError(f"unknown image type {kind!r}; choose one of SO, STM, NS")
    alpha = check_alpha(alpha)
    if key == "ns":
        return unimap(alpha.shape)
    t = trimap(alpha, kernel)
    return t if key == "so" else duomap(t)


def fuse_unified(u: np.ndarray, m: np.ndarray) -> np.ndarray:
    """AIM's fusion of a semantic prediction ``U`` and a matting prediction ``M`` (Eq. 2).

    ``alpha = (1 - 2|U - 0.5|) M + 2|U - 0.5| U``: where ``U`` is 0 or 1 the
    semantic branch decides; where it is 0.5 the matting branch does; values in
    between blend the two linearly.

    Parameters
    ----------
    u : ndarray
        Semantic prediction in [0, 1] (a trimap, duomap or unimap, or a soft one).
    m : ndarray
        Matting prediction in [0, 1], same shape.

    Returns
    -------
    ndarray of float32
        The fused alpha matte in [0, 1].

    References
    ----------
    J. Li, J. Zhang, D. Tao. "Deep Automatic Natural Image Matting." IJCAI 2021, Eq. 2.
    """
    u = np.asarray(u, dtype=np.float32)
    m = np.asarray(m, dtype=np.float32)
    if u.shape != m.shape:
        raise ValueError(f"U and M must have the same shape, got {u.shape} and {m.shape}")
    w = np.float32(2) * np.abs(u - np.float32(0.5))
    return (np.float32(1) - w) * m + w * u
