"""Trimaps and related training targets for image matting, as pure NumPy functions.

Every function takes an alpha matte as a NumPy array (``uint8`` in [0, 255] or
float in [0, 1]) and cites the paper and equation it implements. Importing
``trimaps`` never imports torch.

- :func:`trimap`, :data:`PRESETS`, :func:`preset_trimap`, :func:`to_uint8`,
  :func:`from_uint8`: the classic trimap (GFM, AIM, P3M).
- :func:`unified`, :func:`duomap`, :func:`unimap`, :func:`fuse_unified`: AIM's
  unified semantic representations (IJCAI 2021, Eqs. 1-2).
- :func:`rosta`, :func:`collaborative_matting`: GFM's RoSTa (IJCV 2022, Secs. 3.4-3.5).
- :func:`optimal_trimap`: AdaMatting (ICCV 2019, Eq. 2).
- :func:`random_trimap`, :func:`random_soft_segmentation`: training-time randomness
  (GCA-Matting, semantic-guided matting, Background Matting).
- :func:`soft_fusion`, :func:`hard_fusion`: semantic-guided matting's fusions.
"""

from trimaps import metrics as metrics
from trimaps._fusion import hard_fusion, soft_fusion
from trimaps._optimal import optimal_trimap
from trimaps._random import (
    draw_trimap_widths,
    erosion_trimap,
    object_size,
    random_soft_segmentation,
    random_trimap,
)
from trimaps._rosta import ROSTA_KERNELS, RoSTa, collaborative_matting, rosta
from trimaps._samples import sample_mattes
from trimaps._trimap import PRESETS, Preset, from_uint8, preset_trimap, to_uint8, trimap
from trimaps._unified import duomap, fuse_unified, unified, unimap
from trimaps.io import ImageError

__all__ = [
    "PRESETS",
    "ROSTA_KERNELS",
    "ImageError",
    "Preset",
    "RoSTa",
    "collaborative_matting",
    "draw_trimap_widths",
    "duomap",
    "erosion_trimap",
    "from_uint8",
    "fuse_unified",
    "hard_fusion",
    "object_size",
    "optimal_trimap",
    "preset_trimap",
    "random_soft_segmentation",
    "random_trimap",
    "rosta",
    "sample_mattes",
    "soft_fusion",
    "to_uint8",
    "trimap",
    "unified",
    "unimap",
]
