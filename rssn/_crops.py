"""Training-time crops of matting papers as a drawn window plus a deterministic apply.

Two crops, each split as the rest of :mod:`rssn` is: a *window* drawn from one
``numpy.random.Generator`` (a small JSON-ready dict, recorded with the sample) and
:func:`apply_window`, which cuts, flips and resizes any array with it.

- :func:`gfm_window`: GFM (Li et al., "Bridging Composite and Real", IJCV 2022,
  Sec. 5.1 and the authors' ``MattingTransform``): a square of side drawn from
  {640, 960, 1280}, its top-left corner drawn from the unknown pixels of a trimap
  with probability 0.5 (else from every pixel), a horizontal flip with probability
  0.5, and a resize to 320 x 320.
- :func:`gca_window`: GCA-Matting (Li and Lu, "Natural Image Matting via Guided
  Contextual Attention", AAAI 2020, Sec. 4; the authors' ``RandomCrop``): a 512 x 512
  window centred on an unknown pixel; images with a side of 512 or less are first
  enlarged by ``1.1 * 512 / shorter side``.

Both papers crop the *composite*: GFM composes at full resolution (RSSN) and crops
afterwards; GCA-Matting crops F, alpha and B and then blends, which is the same
picture because the blend is per pixel. :class:`rssn.CompositeDataset` therefore
cooks the full-size RSSN composite (:func:`rssn.cook`, so the background blur sees
the pixels around the window and the noise field is the one ``rssn compose``
draws) and crops it last. Since the blend and the noise are per pixel, it asks
:func:`rssn.cook` for the crop's window only (``window=``): the background is still
fitted, denoised and blurred whole, and the result is the same bytes.
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["CROPS", "GCA_SIZE", "GFM_OUT", "GFM_SIZES", "apply_window", "gca_window", "gfm_window"]

#: GFM's crop sides (``CROP_SIZE`` in the authors' config) and output side (``RESIZE_SIZE``).
GFM_SIZES: tuple[int, ...] = (640, 960, 1280)
GFM_OUT = 320
#: GCA-Matting's crop side (``data.crop_size`` in its config).
GCA_SIZE = 512
#: Names accepted by ``CompositeDataset(crop=...)``.
CROPS = ("gfm", "gca")
#: GCA-Matting looks for unknown pixels on a 1/4 grid and falls back to a uniform
#: window when it finds fewer than this many.
GCA_MIN_UNKNOWN = 10


def gfm_window(
    unknown: np.ndarray,
    rng: np.random.Generator,
    *,
    sizes: tuple[int, ...] = GFM_SIZES,
    out: int = GFM_OUT,
    p_unknown: float = 0.5,
    p_flip: float = 0.5,
) -> dict:
    """Draw GFM's training crop for an image whose unknown region is ``unknown``.

    Draw order (always all of them, whatever the outcome): the side's index, the
    uniform deciding "corner from unknown pixels", the uniform deciding the flip,
    a uniform corner ``(y, x)``, and one uniform picking the unknown pixel.

    Parameters
    ----------
    unknown : ndarray of bool, shape (H, W)
        The unknown band of a trimap (GFM uses its trimap with kernel 25-35).
    rng : numpy.random.Generator
    sizes : tuple of int
        Candidate sides; GFM: 640, 960, 1280.
    out : int
        Side after the resize; GFM: 320.
    p_unknown, p_flip : float
        GFM: 0.5 each.

    Returns
    -------
    dict
        ``{"kind": "gfm", "x", "y", "size", "flip", "out", "from_unknown"}``: the
        square ``[y, y + size) x [x, x + size)`` of the input.

    Notes
    -----
    As in the authors' code, a side that is not smaller than the image's shorter
    side is replaced by ``out`` (320). For an image of 320 pixels or less on its
    shorter side (where their code fails) we take the whole shorter side: our
    choice. The corner is any pixel from which the square fits, i.e. rows
    ``0 .. H - size`` (their code stops one row and one column short).

    References
    ----------
    J. Li, J. Zhang, S. J. Maybank, D. Tao, IJCV 130:246-266, 2022, Sec. 5.1;
    code ``core/data.py: MattingTransform``.
    """
    unknown = np.asarray(unknown, dtype=bool)
    h, w = unknown.shape
    size = int(sizes[int(rng.integers(len(sizes)))])
    if size >= min(h, w):
        size = out if out < min(h, w) else min(h, w)
    u_unknown, u_flip = rng.random(2)
    y = int(rng.integers(h - size + 1))
    x = int(rng.integers(w - size + 1))
    u_pick = float(rng.random())
    from_unknown = False
    if u_unknown < p_unknown:
        ys, xs = np.nonzero(unknown[: h - size + 1, : w - size + 1])
        if ys.size:
            j = min(int(u_pick * ys.size), ys.size - 1)
            y, x, from_unknown = int(ys[j]), int(xs[j]), True
    return {
        "kind": "gfm",
        "x": x,
        "y": y,
        "size": size,
        "flip": bool(u_flip < p_flip),
        "out": int(out),
        "from_unknown": from_unknown,
    }


def gca_window(unknown: np.ndarray, rng: np.random.Generator, *, size: int = GCA_SIZE) -> dict:
    """Draw GCA-Matting's training crop: ``size`` x ``size`` centred on an unknown pixel.

    An image with a side of ``size`` pixels or less is first enlarged by
    ``1.1 * size / shorter side`` (repeated until both sides exceed ``size``), as
    the authors' code does. The candidate centres are the unknown pixels on the
    grid of every 4th row and column whose centred window fits in the image (the
    authors look for them on a nearest-neighbour 1/4 downscale of the trimap); with
    fewer than 10 candidates the window is drawn uniformly.

    Draw order: one uniform picking the candidate, then a uniform corner ``(y, x)``.

    Returns
    -------
    dict
        ``{"kind": "gca", "x", "y", "size", "flip": False, "out": size, "resize":
        [W', H'] or None, "from_unknown"}``: the window in the (possibly enlarged)
        image of size ``W' x H'``.

    References
    ----------
    Y. Li, H. Lu, AAAI 2020, Sec. 4; code ``dataloader/data_generator.py: RandomCrop``.
    """
    unknown = np.asarray(unknown, dtype=bool)
    h, w = unknown.shape
    resize = None
    if h < size + 1 or w < size + 1:
        ratio = 1.1 * size / min(h, w)
        while h < size + 1 or w < size + 1:
            w, h = int(w * ratio), int(h * ratio)
        resize = [w, h]
        unknown = cv2.resize(unknown.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST) > 0
    u_pick = float(rng.random())
    y = int(rng.integers(h - size + 1))
    x = int(rng.integers(w - size + 1))
    half = size // 2
    grid = unknown[half : h - size + half + 1 : 4, half : w - size + half + 1 : 4]
    ys, xs = np.nonzero(grid)
    from_unknown = ys.size >= GCA_MIN_UNKNOWN
    if from_unknown:
        j = min(int(u_pick * ys.size), ys.size - 1)
        y, x = int(ys[j]) * 4, int(xs[j]) * 4  # top-left of the window centred there
    return {
        "kind": "gca",
        "x": x,
        "y": y,
        "size": int(size),
        "flip": False,
        "out": int(size),
        "resize": resize,
        "from_unknown": bool(from_unknown),
    }


def apply_window(array: np.ndarray, window: dict, *, discrete: bool = False) -> np.ndarray:
    """Cut, flip and resize an array ``(H, W)`` or ``(H, W, C)`` with a drawn window.

    Images, alpha and continuous targets are resized with bilinear interpolation
    (GFM's ``cv2.INTER_LINEAR``); ``discrete=True`` (trimaps, segmentations) uses
    nearest neighbour so that no new label appears (our choice: GFM resizes its
    trimap bilinearly too). ``uint8`` in, ``uint8`` out; float32 likewise.
    """
    resize = window.get("resize")
    interp = cv2.INTER_NEAREST if discrete else cv2.INTER_LINEAR
    if resize is not None:
        array = cv2.resize(np.ascontiguousarray(array), tuple(resize), interpolation=interp)
    x, y, s = window["x"], window["y"], window["size"]
    out = array[y : y + s, x : x + s]
    if out.shape[0] != s or out.shape[1] != s:
        raise ValueError(f"window {window} does not fit an array of shape {array.shape}")
    if window.get("flip"):
        out = out[:, ::-1]
    if window["out"] != s:
        out = cv2.resize(
            np.ascontiguousarray(out), (window["out"], window["out"]), interpolation=interp
        )
    return np.ascontiguousarray(out)
