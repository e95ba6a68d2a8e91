"""The classic trimap from an alpha matte, and the presets of GFM, AIM and P3M."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trimaps._alpha import check_alpha, check_kernel, dilate, erode, nonzero, opaque

#: Trimap values: definite background, unknown (transition), definite foreground.
BACKGROUND, UNKNOWN, FOREGROUND = 0.0, 0.5, 1.0


def trimap(alpha: np.ndarray, kernel: int = 25) -> np.ndarray:
    """Trimap of an alpha matte by erosion and dilation with an elliptical kernel.

    Definite foreground is the erosion of ``alpha == 1``; definite background is
    the complement of the dilation of ``alpha > 0``; every other pixel is unknown.
    Hence every pixel with ``0 < alpha < 1`` is unknown, and so are pixels within
    about ``(kernel - 1) / 2`` pixels of one.

    Parameters
    ----------
    alpha : ndarray, shape (H, W)
        ``uint8`` in [0, 255] or float in [0, 1]. ``alpha == 1`` means exactly 255
        for ``uint8`` and exactly 1.0 for floats; ``alpha > 0`` means not 0.
    kernel : int
        Diameter in pixels of the structuring element
        ``cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (kernel, kernel))``, applied
        once for the erosion and once for the dilation. 25 is GFM's value; see
        :data:`PRESETS` for AIM and P3M.

    Returns
    -------
    ndarray of float32, shape (H, W)
        0 background, 0.5 unknown, 1 foreground. :func:`to_uint8` gives the
        {0, 128, 255} form stored in files.

    References
    ----------
    J. Li, J. Zhang, S. J. Maybank, D. Tao. "Bridging Composite and Real: Towards
    End-to-end Deep Image Matting." IJCV 130:246-266, 2022, Sec. 3.4 (GFM-TT
    trimap, kernel size 25); the same construction is used by AIM (IJCAI 2021)
    and P3M (ACM MM 2021).

    Examples
    --------
    >>> a = np.zeros((7, 7), np.uint8); a[2:5, 2:5] = 255
    >>> to_uint8(trimap(a, kernel=3))[3]
    array([  0, 128, 128, 255, 128, 128,   0], dtype=uint8)
    """
    alpha = check_alpha(alpha)
    k = check_kernel(kernel)
    fg = erode(opaque(alpha), k)
    not_bg = dilate(nonzero(alpha), k)
    # fg is inside alpha == 1, which is inside alpha > 0, which is inside not_bg:
    # background 0, unknown 0.5 (not_bg - fg), foreground 1 (0.5 + 0.5).
    out = not_bg.astype(np.float32) * np.float32(0.5)
    out += fg.astype(np.float32) * np.float32(0.5)
    return out


def to_uint8(representation: np.ndarray) -> np.ndarray:
    """A map in [0, 1] (trimap, duomap, unimap, soft map) as ``uint8`` in [0, 255].

    Values are scaled by 255 and rounded half to even, so the trimap values
    {0, 0.5, 1} become {0, 128, 255}, the convention of trimap files.
    """
    rep = np.asarray(representation, dtype=np.float32)
    if rep.size and (np.isnan(rep).any() or rep.min() < 0 or rep.max() > 1):
        raise ValueError("values must lie in [0, 1]")
    return np.rint(rep * np.float32(255)).astype(np.uint8)


def from_uint8(trimap_u8: np.ndarray) -> np.ndarray:
    """A stored ``uint8`` trimap as float32 {0, 0.5, 1}.

    0 is background, 255 foreground and every other value unknown, so hand-made
    trimaps whose unknown value is not 128 (e.g. 102) read correctly.
    """
    t = np.asarray(trimap_u8)
    if t.dtype != np.uint8:
        raise TypeError(f"expected a uint8 trimap, got dtype {t.dtype}")
    out = np.full(t.shape, UNKNOWN, np.float32)
    out[t == 0] = BACKGROUND
    out[t == 255] = FOREGROUND
    return out


@dataclass(frozen=True)
class Preset:
    """Kernel sizes a paper uses for training trimaps (diameter of the ellipse, pixels).

    ``low == high`` is a fixed kernel; otherwise each call draws an integer
    uniformly from ``low`` to ``high`` inclusive.
    """

    low: int
    high: int
    source: str

    def draw(self, rng: np.random.Generator) -> int:
        if self.low == self.high:
            return self.low
        return int(rng.integers(self.low, self.high + 1))


#: Trimap presets named after their sources (kernel diameter of one erosion/dilation).
PRESETS: dict[str, Preset] = {
    "gfm": Preset(
        25,
        25,
        "GFM (Li et al., IJCV 2022), Sec. 3.4: trimap by erosion and dilation with kernel "
        "size 25 (code: kernel_size_tt = 25)",
    ),
    "aim": Preset(
        30,
        30,
        "AIM (Li, Zhang, Tao, IJCAI 2021): unified semantic representations from "
        "trimaps with kernel size 30 (code: core/process_data.py)",
    ),
    "p3m": Preset(
        15,
        30,
        "P3M (Li et al., ACM MM 2021): kernel size random.randint(15, 30), drawn anew "
        "for every training sample (code: core/data.py)",
    ),
}


def preset_trimap(
    alpha: np.ndarray,
    preset: str,
    rng: int | np.random.Generator | None = None,
) -> np.ndarray:
    """:func:`trimap` with a kernel chosen as one of the :data:`PRESETS` does.

    Parameters
    ----------
    alpha : ndarray, shape (H, W)
        ``uint8`` in [0, 255] or float in [0, 1].
    preset : {"gfm", "aim", "p3m"}
        GFM: kernel 25. AIM: kernel 30. P3M: kernel drawn uniformly from 15 to 30
        inclusive (``random.randint(15, 30)`` in the authors' loader).
    rng : int, numpy.random.Generator or None
        Seed or generator for P3M's random kernel (ignored by fixed presets).

    Returns
    -------
    ndarray of float32, shape (H, W)
        0 background, 0.5 unknown, 1 foreground.

    References
    ----------
    GFM: J. Li et al., IJCV 2022, Sec. 3.4. AIM: J. Li, J. Zhang, D. Tao, "Deep
    Automatic Natural Image Matting", IJCAI 2021, Sec. 3.1. P3M: J. Li, S. Ma,
    J. Zhang, D. Tao, "Privacy-Preserving Portrait Matting", ACM MM 2021.
    """
    key = str(preset).lower()
    if key not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; choose one of {sorted(PRESETS)}")
    kernel = PRESETS[key].draw(np.random.default_rng(rng))
    return trimap(alpha, kernel)
