"""RSSN randomness as a recipe: draw it first, cook it deterministically.

Pipeline 1 of Li et al., IJCV 2022 (Sec. 4) makes three coin flips per
composite: denoise F and B (p = 0.5, BM3D), blur B with an averaging kernel
drawn from {20, 30, 40, 50, 60} (p = 0.5), add Gaussian noise of std 10 to the
composite (p = 0.5). Here those draws, the background window and the noise seed
form a :class:`Recipe`, a small serialisable record. :func:`draw_recipe` makes
it from ``np.random.SeedSequence((seed, stable_int(fg_id), k))`` alone, so a
composite does not depend on which process or in which order it is made;
:func:`cook` applies it and is the one code path used by ``rssn compose``, the
dataloader and the Ray route. Cooking a recipe twice gives the same bytes.

Choices the paper leaves open (see docs/rssn.md):

- Backgrounds are *dealt*, not drawn per composite: :func:`deal_backgrounds`
  shuffles the pool once per run with ``SeedSequence((seed, stable_int("rssn/backgrounds")))``
  and hands out consecutive entries to composite ``(i, k)`` of the ``i``-th foreground
  (in sorted id order): slot ``i * K + k`` takes ``perm[slot mod N]``. So no
  background repeats across the run while ``N >= n_fg * K``, and the ``K``
  backgrounds of one foreground are always distinct when ``K <= N``.
- The noise is one field ``n ~ N(0, std^2)`` per composite; it is added to the
  composite *and* to the saved F and B, so ``alpha F' + (1 - alpha) B'``
  recomposes the saved composite (up to rounding, wherever nothing clips): a
  composition loss on the saved layers stays consistent. The GFM code also adds
  the field to all three, but wraps around in ``uint8``; we round and clip.
- AIM's type-wise rule (Li, Zhang and Tao, "Deep Automatic Natural Image
  Matting", IJCAI 2021): a non-salient (NS) foreground always gets the blurred
  background; the kernel is still drawn.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any, NamedTuple

import numpy as np

from rssn._steps import (
    BLUR_KERNELS,
    DENOISE_METHODS,
    FG_METHODS,
    FIT_MODES,
    _add_u8,
    _estimate,
    aperture_blur,
    composite,
    denoise,
    fit_background,
    fit_crop,
    noise_field,
)

__all__ = [
    "Composite",
    "Params",
    "Recipe",
    "cook",
    "deal_backgrounds",
    "draw_recipe",
    "stable_int",
]

AIM_TYPES = ("SO", "STM", "NS")
#: Where the background is denoised: the whole file before fitting, or the fitted window.
DENOISE_AT = ("source", "fit")


def stable_int(text: str) -> int:
    """A 64-bit integer from a string, the same on every machine and Python run.

    The first 8 bytes (little-endian) of its SHA-256. Python's ``hash()`` is
    salted per process, so it cannot seed anything reproducible.

    Examples
    --------
    >>> stable_int("GT02") == stable_int("GT02")
    True
    """
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "little")


def _check_p(name: str, p: float) -> None:
    if isinstance(p, bool) or not isinstance(p, int | float) or not 0 <= p <= 1:
        raise ValueError(f"{name} must be a probability in [0, 1], got {p!r}")


@dataclass(frozen=True)
class Params:
    """The parameters of an RSSN run (defaults: the paper's, Pipeline 1).

    Attributes
    ----------
    denoise_p, blur_p, noise_p : float
        Probability of denoising F and B, of blurring B, of adding noise to the
        composite (0.5 each in the paper; 0 turns a step off, 1 always on).
    blur_kernels : tuple of int
        Kernel sizes for :func:`~rssn.aperture_blur`, drawn uniformly (paper:
        20, 30, 40, 50, 60).
    noise_std : float
        Standard deviation of the Gaussian noise in 8-bit levels (paper: 10).
    fit : {"cover", "stretch"}
        ``cover`` (default, ours): scale the background to cover without
        distortion and cut a random window; ``stretch``: GFM's resize out of aspect.
    denoise_method : {"bm3d", "nlm"}
        BM3D as in the paper (non-commercial licence) or OpenCV non-local means.
    denoise_sigma : float or None
        Noise level for the denoiser in 8-bit levels; ``None`` estimates it per image.
    denoise_at : {"source", "fit"}
        ``source`` (default, as the GFM code does): the background *file* is
        denoised whole, once, and then fitted, so one cached result serves every
        window of every epoch; ``fit``: the fitted window is denoised (one BM3D
        per composite, at the composite's size).
    fg_method : {"multilevel", "levin"}
        Foreground estimation for datasets that give the original image.
    """

    denoise_p: float = 0.5
    blur_p: float = 0.5
    noise_p: float = 0.5
    blur_kernels: tuple[int, ...] = BLUR_KERNELS
    noise_std: float = 10.0
    fit: str = "cover"
    denoise_method: str = "bm3d"
    denoise_sigma: float | None = None
    fg_method: str = "multilevel"
    denoise_at: str = "source"

    def __post_init__(self):
        for name in ("denoise_p", "blur_p", "noise_p"):
            _check_p(name, getattr(self, name))
            # 1 and 1.0 are one configuration: store floats so run.json has one spelling
            object.__setattr__(self, name, float(getattr(self, name)))
        kernels = tuple(self.blur_kernels)
        if not kernels or any(
            isinstance(k, bool) or not isinstance(k, int) or k < 1 for k in kernels
        ):
            raise ValueError(f"blur_kernels must be positive integers, got {self.blur_kernels!r}")
        object.__setattr__(self, "blur_kernels", kernels)
        if not math.isfinite(self.noise_std) or self.noise_std < 0:
            raise ValueError(f"noise_std must be >= 0, got {self.noise_std!r}")
        if self.fit not in FIT_MODES:
            raise ValueError(f"fit must be one of {FIT_MODES}, got {self.fit!r}")
        if self.denoise_method not in DENOISE_METHODS:
            raise ValueError(
                f"denoise_method must be one of {DENOISE_METHODS}, got {self.denoise_method!r}"
            )
        if self.denoise_sigma is not None and not (
            math.isfinite(self.denoise_sigma) and self.denoise_sigma >= 0
        ):
            raise ValueError(f"denoise_sigma must be >= 0 or None, got {self.denoise_sigma!r}")
        if self.fg_method not in FG_METHODS:
            raise ValueError(f"fg_method must be one of {FG_METHODS}, got {self.fg_method!r}")
        if self.denoise_at not in DENOISE_AT:
            raise ValueError(f"denoise_at must be one of {DENOISE_AT}, got {self.denoise_at!r}")
        object.__setattr__(self, "noise_std", float(self.noise_std))
        if self.denoise_sigma is not None:
            object.__setattr__(self, "denoise_sigma", float(self.denoise_sigma))

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["blur_kernels"] = list(self.blur_kernels)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Params:
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown Params field(s) {sorted(unknown)}")
        d = dict(d)
        if "blur_kernels" in d:
            d["blur_kernels"] = tuple(d["blur_kernels"])
        return cls(**d)


@dataclass(frozen=True)
class Recipe:
    """Everything random about one RSSN composite, drawn by :func:`draw_recipe`.

    Attributes
    ----------
    seed, fg_id, k : int, str, int
        The run's seed, the foreground's id (file stem) and the composite's index.
    size : (int, int)
        ``(width, height)`` of the foreground (and of the composite).
    bg : str
        The background's id (its path relative to the background folder).
    bg_size : (int, int)
        ``(width, height)`` of that background file.
    fit, scale, crop : str, float or None, (x, y, w, h)
        How the background is fitted (:func:`~rssn.fit_crop`): the window in
        source-background pixels, resized to ``size``.
    denoise, denoise_method, denoise_sigma : bool, str, float or None
        Whether F and B are denoised, how, and at which noise level (None: estimated).
    blur_kernel : int
        Averaging kernel applied to B; 0 = no blur.
    noise, noise_std, noise_seed : bool, float, int
        Whether Gaussian noise is added, its std, and the seed of its field.
    fg_method : str or None
        How F is estimated from the original image; None when the dataset gives F.
    fg_type : str or None
        AIM type of the foreground (SO, STM, NS) when known.
    denoise_at : {"source", "fit"}
        Whether B is denoised as the whole background file before fitting, or as
        the fitted window (see :class:`Params`).
    """

    seed: int
    fg_id: str
    k: int
    size: tuple[int, int]
    bg: str
    bg_size: tuple[int, int]
    fit: str
    scale: float | None
    crop: tuple[int, int, int, int]
    denoise: bool
    denoise_method: str
    denoise_sigma: float | None
    blur_kernel: int
    noise: bool
    noise_std: float
    noise_seed: int
    fg_method: str | None = None
    fg_type: str | None = None
    denoise_at: str = "source"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (tuples become lists)."""
        d = asdict(self)
        for key in ("size", "bg_size", "crop"):
            d[key] = list(d[key])
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Recipe:
        """The inverse of :meth:`to_dict`; unknown or missing fields are an error."""
        names = [f.name for f in fields(cls)]
        unknown = set(d) - set(names)
        if unknown:
            raise ValueError(f"unknown Recipe field(s) {sorted(unknown)}")
        d = dict(d)
        for key in ("size", "bg_size", "crop"):
            if key in d:
                d[key] = tuple(int(v) for v in d[key])
        try:
            return cls(**d)
        except TypeError as exc:
            raise ValueError(f"incomplete recipe: {exc}") from None


def deal_backgrounds(seed: int, n_fg: int, k: int, n_bg: int) -> np.ndarray:
    """Background indices for every composite of a run, shape ``(n_fg, k)``.

    The pool of ``n_bg`` backgrounds is shuffled once with
    ``SeedSequence((seed, stable_int("rssn/backgrounds")))`` and dealt out in
    order: composite ``(i, j)`` gets ``perm[(i * k + j) mod n_bg]``. Row ``i``
    belongs to the ``i``-th foreground in sorted id order. No background repeats
    across the run while ``n_bg >= n_fg * k``; the ``k`` backgrounds of a
    foreground are distinct whenever ``k <= n_bg`` (required).

    Examples
    --------
    >>> deal = deal_backgrounds(0, n_fg=3, k=2, n_bg=6)
    >>> sorted(deal.ravel().tolist())
    [0, 1, 2, 3, 4, 5]
    """
    if n_bg < 1:
        raise ValueError("the background pool is empty")
    if k < 1 or n_fg < 0:
        raise ValueError(f"need k >= 1 and n_fg >= 0, got k={k}, n_fg={n_fg}")
    if k > n_bg:
        raise ValueError(f"K = {k} distinct backgrounds per foreground need a pool of >= {k}")
    rng = np.random.default_rng(np.random.SeedSequence((int(seed), stable_int("rssn/backgrounds"))))
    perm = rng.permutation(n_bg)
    slots = np.arange(n_fg * k, dtype=np.int64).reshape(n_fg, k)
    return perm[slots % n_bg]


def draw_recipe(
    seed: int,
    fg_id: str,
    k: int,
    *,
    size: tuple[int, int],
    bg: str,
    bg_size: tuple[int, int],
    params: Params | None = None,
    fg_type: str | None = None,
    estimate_foreground: bool = False,
) -> Recipe:
    """Draw the recipe of composite ``k`` of foreground ``fg_id`` (Pipeline 1's coin flips).

    The generator is ``np.random.default_rng(np.random.SeedSequence((seed,
    stable_int(fg_id), k)))``. It always draws, in this order: three uniforms
    ``u`` (denoise, blur, noise), the blur kernel's index, the window position
    ``(fx, fy)``, and the noise seed; a step happens when its ``u < p``. Drawing
    everything whatever the outcome keeps each draw independent of the
    parameters of the others. An NS foreground (AIM) is always blurred.

    Parameters
    ----------
    seed : int
        The run's seed (>= 0).
    fg_id : str
        The foreground's id, e.g. its file stem.
    k : int
        Index of the composite for this foreground (0 .. K-1).
    size : (int, int)
        ``(width, height)`` of the foreground.
    bg, bg_size : str, (int, int)
        The background dealt to this composite (:func:`deal_backgrounds`) and its size.
    params : Params, optional
        Probabilities, kernels, noise std, fit, methods; the paper's by default.
    fg_type : {"SO", "STM", "NS"} or None
    estimate_foreground : bool
        True when F must be estimated from an original image (records ``params.fg_method``).
    """
    params = params or Params()
    if fg_type is not None and fg_type not in AIM_TYPES:
        raise ValueError(f"fg_type must be one of {AIM_TYPES} or None, got {fg_type!r}")
    if int(seed) < 0 or int(k) < 0:
        raise ValueError(f"seed and k must be >= 0, got seed={seed}, k={k}")
    ss = np.random.SeedSequence((int(seed), stable_int(fg_id), int(k)))
    rng = np.random.default_rng(ss)
    u_denoise, u_blur, u_noise = rng.random(3)
    kernel = params.blur_kernels[int(rng.integers(len(params.blur_kernels)))]
    fx, fy = rng.random(2)
    noise_seed = int(rng.integers(0, 2**63 - 1))

    blur = bool(u_blur < params.blur_p) or fg_type == "NS"
    scale, crop = fit_crop(bg_size, size, params.fit, (float(fx), float(fy)))
    return Recipe(
        seed=int(seed),
        fg_id=str(fg_id),
        k=int(k),
        size=(int(size[0]), int(size[1])),
        bg=str(bg),
        bg_size=(int(bg_size[0]), int(bg_size[1])),
        fit=params.fit,
        scale=scale,
        crop=crop,
        denoise=bool(u_denoise < params.denoise_p),
        denoise_method=params.denoise_method,
        denoise_sigma=params.denoise_sigma,
        blur_kernel=int(kernel) if blur else 0,
        noise=bool(u_noise < params.noise_p),
        noise_std=float(params.noise_std),
        noise_seed=noise_seed,
        fg_method=params.fg_method if estimate_foreground else None,
        fg_type=fg_type,
        denoise_at=params.denoise_at,
    )


class Composite(NamedTuple):
    """What :func:`cook` makes: four ``uint8`` arrays of the foreground's size."""

    image: np.ndarray  # (H, W, 3) the composite C
    alpha: np.ndarray  # (H, W) the alpha matte, unchanged
    fg: np.ndarray  # (H, W, 3) F as composited (denoised, plus the noise field when noisy)
    bg: np.ndarray  # (H, W, 3) B as composited (fitted, denoised, blurred, plus noise)


#: A cache for expensive steps: ``cache(step, options, inputs, compute) -> array``.
#: ``step`` names the computation, ``options`` its parameters, ``inputs`` the arrays
#: it reads; it returns a stored result for the same triple or ``compute()``.
Cache = Callable[[str, dict, Sequence[np.ndarray], Callable[[], np.ndarray]], np.ndarray]


def _no_cache(step, options, inputs, compute):
    return compute()


def cached_foreground(
    image: np.ndarray, alpha: np.ndarray, method: str, cache: Cache
) -> np.ndarray:
    """F estimated from ``image`` and ``alpha`` through ``cache`` (step ``foreground``)."""
    return cache(
        "foreground",
        {"method": method},
        (image, alpha),
        lambda: _estimate(image, alpha, method, with_background=False)[0],
    )


def cached_denoise(image: np.ndarray, method: str, sigma: float | None, cache: Cache) -> np.ndarray:
    """``denoise(image, method, sigma)`` through ``cache`` (step ``denoise``)."""
    return cache(
        "denoise",
        {"method": method, "sigma": sigma},
        (image,),
        lambda: denoise(image, method, sigma),
    )


def cook(
    recipe: Recipe,
    *,
    alpha: np.ndarray,
    background: np.ndarray,
    fg: np.ndarray | None = None,
    image: np.ndarray | None = None,
    cache: Cache | None = None,
    window: tuple[int, int, int, int] | None = None,
) -> Composite:
    """Apply a recipe: the one deterministic RSSN composition (Pipeline 1).

    1. F is ``fg`` as given (Composition-1k) or estimated from ``image`` and
       ``alpha`` with ``recipe.fg_method`` (:func:`~rssn.foreground`).
    2. B is ``background`` cut to ``recipe.crop`` and resized to the
       foreground's size (:func:`~rssn.fit_background`).
    3. If ``recipe.denoise``: F and B are denoised (:func:`~rssn.denoise`); B as
       the whole background before step 2 (``denoise_at="source"``) or as the
       fitted window after it (``"fit"``).
    4. If ``recipe.blur_kernel``: B is blurred (:func:`~rssn.aperture_blur`).
    5. ``C = alpha F + (1 - alpha) B`` (:func:`~rssn.composite`).
    6. If ``recipe.noise``: one field ``n`` (:func:`~rssn.noise_field`) is added to
       C, F and B, each rounded and clipped, so the saved layers recompose C.

    Parameters
    ----------
    recipe : Recipe
    alpha : ndarray of uint8, shape (H, W)
    background : ndarray of uint8, shape (bh, bw, 3)
        The background file ``recipe.bg`` as read (its size must be ``recipe.bg_size``).
    fg, image : ndarray of uint8, shape (H, W, 3)
        Exactly one: the foreground colours, or the original image.
    cache : callable, optional
        Stores foreground estimates and denoised images (see :data:`Cache`);
        results are the same with or without it.
    window : (x, y, w, h), optional
        Return only this window of the composite (columns ``x .. x + w - 1``,
        rows ``y .. y + h - 1``). Steps 1-4 still run on the whole image (the
        blur needs the pixels around the window, and the cache keys are those
        of the whole image); steps 5 and 6 run inside the window only, and only
        the window of the noise field is drawn (its tiles are independent
        streams, :func:`~rssn.noise_field`). The result is exactly the same
        slice of the arrays ``cook`` returns without a window, at a fraction of
        the blend, noise and rounding cost when the window is small (a training
        crop).

    Returns
    -------
    Composite
        ``(image, alpha, fg, bg)``, all ``uint8``, of the foreground's size or of
        the window's.
    """
    cache = cache or _no_cache
    W, H = recipe.size
    alpha = np.asarray(alpha)
    if alpha.dtype != np.uint8 or alpha.shape != (H, W):
        raise ValueError(f"alpha must be uint8 {(H, W)}, got {alpha.dtype} {alpha.shape}")
    bh, bw = background.shape[:2]
    if (bw, bh) != tuple(recipe.bg_size):
        raise ValueError(f"background is {bw}x{bh}, the recipe was drawn for {recipe.bg_size}")
    if (fg is None) == (image is None):
        raise ValueError("give exactly one of fg (foreground colours) and image (original)")
    if fg is None:
        if recipe.fg_method is None:
            raise ValueError("the recipe has no fg_method, so it needs fg, not image")
        fg = cached_foreground(image, alpha, recipe.fg_method, cache)
    if fg.shape != (H, W, 3):
        raise ValueError(f"foreground is {fg.shape}, the recipe is for {(H, W, 3)}")
    if window is not None:
        wx, wy, ww, wh = (int(v) for v in window)
        if wx < 0 or wy < 0 or ww < 1 or wh < 1 or wx + ww > W or wy + wh > H:
            raise ValueError(f"window {tuple(window)} lies outside the {W}x{H} composite")
        rows, cols = slice(wy, wy + wh), slice(wx, wx + ww)

    method, sigma = recipe.denoise_method, recipe.denoise_sigma
    if recipe.denoise and recipe.denoise_at == "source":
        background = cached_denoise(background, method, sigma, cache)
    bg = fit_background(background, recipe.size, recipe.crop)
    if recipe.denoise:
        fg = cached_denoise(fg, method, sigma, cache)
        if recipe.denoise_at == "fit":
            bg = cached_denoise(bg, method, sigma, cache)
    if recipe.blur_kernel:
        bg = aperture_blur(bg, recipe.blur_kernel)
    if window is not None:
        # Per pixel from here on: the window of the result is the result of the window.
        alpha = np.ascontiguousarray(alpha[rows, cols])
        fg = np.ascontiguousarray(fg[rows, cols])
        bg = np.ascontiguousarray(bg[rows, cols])
    comp = composite(fg, alpha, bg)
    if recipe.noise:
        n = noise_field((H, W, 3), recipe.noise_std, recipe.noise_seed, window=window)
        # exactly add_noise(comp, noise_std, noise_seed), without drawing the field twice
        comp, fg, bg = _add_u8(comp, n), _add_u8(fg, n), _add_u8(bg, n)
    return Composite(comp, alpha, fg, bg)
