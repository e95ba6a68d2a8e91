"""RSSN composition for matting training data (Li et al., IJCV 2022, Sec. 4).

The route "resolution, sharpness, semantic, noise" of "Bridging Composite and
Real: Towards End-to-end Deep Image Matting" as pure functions on NumPy arrays,
with its randomness drawn as a serialisable :class:`Recipe`:

- steps: :func:`foreground`, :func:`denoise`, :func:`estimate_sigma`,
  :func:`aperture_blur` (:data:`BLUR_KERNELS`), :func:`fit_crop`,
  :func:`fit_background`, :func:`composite`, :func:`add_noise`, :func:`noise_field`;
- recipes: :class:`Params`, :class:`Recipe`, :func:`draw_recipe`,
  :func:`deal_backgrounds`, :func:`cook` (the one apply used everywhere),
  :class:`Composite`, :func:`stable_int`;
- training: :class:`CompositeDataset` (on-the-fly composites for a torch
  ``DataLoader``, without importing torch), :class:`EpochSampler`, :func:`collate`,
  and the papers' crops :func:`gfm_window`, :func:`gca_window`, :func:`apply_window`.
- at the edges: :func:`read_inputs` (a manifest row's inputs as ``cook``'s
  arguments), :class:`DiskCache` (the content-keyed cache ``cook`` accepts),
  :class:`ComposeConfig` and :func:`compose_folder` (``rssn compose`` as a function),
  :func:`prefill` (``rssn prefill``: every foreground estimate and denoised image of
  two folders, cached once, so that every training epoch is served).

Importing ``rssn`` never imports torch, ultralytics, pymatting or bm3d: the
functions that need pymatting (numba compiles it at first import) or bm3d
import them when called. The command-line edge (``ComposeConfig``,
``compose_folder``, ``read_inputs``) is loaded at first use.
"""

from rssn._cache import DiskCache
from rssn._crops import apply_window, gca_window, gfm_window
from rssn._dataset import TARGETS, CompositeDataset, EpochSampler, collate
from rssn._recipe import (
    Composite,
    Params,
    Recipe,
    cook,
    deal_backgrounds,
    draw_recipe,
    stable_int,
)
from rssn._steps import (
    BLUR_KERNELS,
    DENOISE_METHODS,
    FG_METHODS,
    FIT_MODES,
    add_noise,
    aperture_blur,
    composite,
    denoise,
    estimate_sigma,
    fit_background,
    fit_crop,
    foreground,
    noise_field,
)

__all__ = [
    "BLUR_KERNELS",
    "DENOISE_METHODS",
    "FG_METHODS",
    "FIT_MODES",
    "TARGETS",
    "ComposeConfig",
    "Composite",
    "CompositeDataset",
    "DiskCache",
    "EpochSampler",
    "Params",
    "Recipe",
    "add_noise",
    "aperture_blur",
    "apply_window",
    "collate",
    "compose_folder",
    "composite",
    "cook",
    "deal_backgrounds",
    "denoise",
    "draw_recipe",
    "estimate_sigma",
    "fit_background",
    "fit_crop",
    "foreground",
    "gca_window",
    "gfm_window",
    "noise_field",
    "prefill",
    "read_inputs",
    "stable_int",
]


_LAZY = {
    "ComposeConfig": ("_compose", "ComposeConfig"),
    "compose_folder": ("_compose", "compose"),
    "read_inputs": ("_compose", "read_inputs"),
    "prefill": ("_prefill", "prefill"),
}


def __getattr__(name: str):
    # the command-line edge pulls typer and rich (error reporting); load it only when asked
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(f"rssn.{module}"), attr)
    raise AttributeError(f"module 'rssn' has no attribute {name!r}")
