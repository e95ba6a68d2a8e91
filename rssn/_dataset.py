"""``rssn.CompositeDataset``: RSSN composites made on the fly for a training loop.

A map-style dataset (``__len__`` and ``__getitem__``, no torch import) that a
``torch.utils.data.DataLoader`` drives with any ``num_workers``. Item ``i`` is
composite ``k = i mod K`` of the ``i // K``-th foreground (sorted by id), made by
the same :func:`rssn.draw_recipe`, :func:`rssn.deal_backgrounds` and
:func:`rssn.cook` as ``rssn compose``; so at epoch 0 item ``(fg, k)`` is, byte for
byte, the composite ``rssn compose`` writes as ``<fg>_<k>``.

Epochs: epoch ``e`` draws composite ``e * K + k`` of each foreground (a new
recipe: background, blur, noise, crop), with backgrounds dealt on from where
epoch ``e - 1`` stopped. A sample therefore depends on ``(seed, epoch, index)``
only, through ``numpy.random.SeedSequence``, never on worker scheduling.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from rssn._cache import CACHE_FORMATS, DiskCache
from rssn._compose import _read_foreground, _trimap
from rssn._crops import CROPS, apply_window, gca_window, gfm_window
from rssn._recipe import Params, Recipe, cook, deal_backgrounds, draw_recipe, stable_int
from rssn._sources import Background, Foreground, find_backgrounds, find_foregrounds, image_info
from trimaps._cliutil import UsageError
from trimaps._random import random_trimap_u8
from trimaps.io import ImageError, read_alpha, read_rgb

__all__ = ["TARGETS", "CompositeDataset", "EpochSampler", "collate"]

log = logging.getLogger("rssn")

#: Extra training targets an item can carry, made by the ``trimaps`` package.
TARGETS = (
    "trimap",  # the trimap preset of ``trimap=`` (GFM 25, AIM 30, P3M 15-30), uint8 0/128/255
    "unified",  # AIM's unified semantic representation (needs fg types), uint8
    "rosta_tt",  # GFM's RoSTa glance / focus targets, float32: <v>_glance, <v>_focus
    "rosta_ft",
    "rosta_bt",
    "random_trimap",  # GCA-Matting's random-width trimap, uint8 0/128/255
    "soft_segmentation",  # semantic-guided matting's random soft segmentation, float32
)
_DISCRETE = {"trimap", "unified", "random_trimap"}

# Sub-streams of SeedSequence((seed, stable_int(fg_id), k, stream)): 1 is the trimap of
# ``rssn compose --trimap`` (P3M's random kernel), 2 the crop, 3 the other random targets.
_CROP_STREAM, _TARGET_STREAM = 2, 3

_warned: set[str] = set()


def _warn_once(key: str, message: str) -> None:
    """Say something once per process (so once per DataLoader worker)."""
    if key in _warned:
        return
    _warned.add(key)
    warnings.warn(message, RuntimeWarning, stacklevel=3)
    log.warning(message)


# ------------------------------------------------------------------ inputs
# The readers and checks of ``rssn compose`` (rssn._sources), plus one check it leaves to
# reading time: a file cut short. A dataset must fail at construction, not mid-epoch.


def _check_complete(path: Path) -> None:
    """Refuse a PNG or JPEG file cut short (an interrupted copy keeps a valid header).

    Reads the last kilobyte only: a PNG must end with its IEND chunk, a JPEG must
    hold its end-of-image marker there.
    """
    suffix = path.suffix.lower()
    if suffix not in (".png", ".jpg", ".jpeg"):
        return
    try:
        with open(path, "rb") as fh:
            head = fh.read(4)
            fh.seek(max(0, os.fstat(fh.fileno()).st_size - 1024))
            tail = fh.read()
    except OSError as exc:
        raise ImageError(path, f"cannot read ({exc})") from None
    if head.startswith(b"\x89PNG") and not tail.endswith(b"IEND\xaeB`\x82"):
        raise ImageError(path, "truncated PNG file (no IEND chunk at its end)")
    if head.startswith(b"\xff\xd8") and b"\xff\xd9" not in tail:
        raise ImageError(path, "truncated JPEG file (no end-of-image marker)")


def _refuse(problems: list[str]) -> None:
    """Raise the first problem as the ImageError it was (path first), counting the others."""
    if not problems:
        return
    path, _, reason = problems[0].partition(": ")
    more = f" (and {len(problems) - 1} more problem(s) in the inputs)" if len(problems) > 1 else ""
    raise ImageError(path, reason + more)


def _types_from_file(path: Path, fgs: list[Foreground]) -> dict[str, str]:
    """AIM types from the JSON file ``rssn compose --types`` reads, matched as it does."""
    from types import SimpleNamespace

    from rssn._compose import _match_types

    types, problems = _match_types(SimpleNamespace(types=path), fgs)
    _refuse([line for _, line in problems])
    return types


def _find_inputs(fg_root: Path, bg_root: Path) -> tuple[list[Foreground], list[Background]]:
    try:
        fgs, problems, _ = find_foregrounds(fg_root)
        pool, bg_problems = find_backgrounds(bg_root)
    except UsageError as exc:  # a folder without foregrounds or backgrounds
        raise ImageError(*str(exc).split(": ", 1)) from None
    _refuse([line for _, line in problems] + bg_problems)
    for fg in fgs:
        for path in {fg.alpha, fg.colour}:
            _check_complete(path)
    for bg in pool:
        _check_complete(bg.path)
    return fgs, pool


# ------------------------------------------------------------------ the cache policy


class _Missing(Exception):
    """A denoised image is not in the cache and the dataset was told to skip."""


class _ServeCache:
    """Serve ``cook``'s expensive steps from the compose cache; decide what a miss does.

    A missing foreground estimate is computed and stored (it is needed, and cheap
    next to BM3D). A missing denoised image is computed and stored with
    ``on_missing_denoise="compute"``, or makes :meth:`CompositeDataset.__getitem__`
    cook the sample without denoising (``"skip"``). Either way it is said once.
    """

    def __init__(self, disk, on_missing_denoise: str, where: str):
        self.disk = disk
        self.on_missing = on_missing_denoise
        self.where = where

    def __call__(self, step, options, inputs, compute):
        def on_miss():
            if step == "denoise" and self.on_missing == "skip":
                _warn_once(
                    "denoise-skip",
                    f"rssn.CompositeDataset: denoised images missing from {self.where}; "
                    "samples whose recipe denoises are made without denoising "
                    "(on_missing_denoise='skip'; their recipe says denoise=False, "
                    "denoise_skipped=True). Fill the cache with `rssn compose`, or pass "
                    "on_missing_denoise='compute'.",
                )
                raise _Missing(step)
            _warn_once(
                f"compute-{step}",
                f"rssn.CompositeDataset: {step} results missing from {self.where}; computing "
                "them inside the data workers (slow: BM3D takes seconds to minutes per image).",
            )
            return compute()

        if self.disk is None:
            return on_miss()
        return self.disk(step, options, inputs, on_miss)


# ------------------------------------------------------------------ epochs


class _Epoch:
    """The current epoch, shared with DataLoader workers when it can be.

    A ``multiprocessing`` shared integer travels to worker processes when they
    are started (fork or spawn), so :meth:`CompositeDataset.set_epoch` in the main
    process is seen by persistent workers too. Pickled any other way (Ray, a
    file), the value is copied.
    """

    def __init__(self, value: int = 0):
        self._shared = multiprocessing.get_context("spawn").RawValue("q", int(value))

    def get(self) -> int:
        return int(self._shared.value)

    def set(self, value: int) -> None:
        self._shared.value = int(value)

    def __getstate__(self):
        from multiprocessing.context import get_spawning_popen

        if get_spawning_popen() is not None:  # a worker being started: share
            return {"shared": self._shared}
        return {"value": self.get()}

    def __setstate__(self, state):
        if "shared" in state:
            self._shared = state["shared"]
        else:
            self.__init__(state["value"])


class EpochSampler:
    """Wrap a sampler so that each index it yields carries the epoch: ``(epoch, index)``.

    The epoch then travels with the index to whichever worker makes the sample, so
    nothing depends on when workers were started: this works with any
    ``num_workers``, ``persistent_workers=True`` and prefetching. ``set_epoch(n)``
    is forwarded to the wrapped sampler when it has one (``DistributedSampler``
    reshuffles with it).

    Parameters
    ----------
    sampler : iterable of int
        E.g. ``range(len(ds))``, ``torch.utils.data.RandomSampler(ds)`` or
        ``DistributedSampler(ds, num_replicas, rank, seed=...)``.
    epoch : int
        The first epoch.

    Examples
    --------
    >>> s = EpochSampler(range(3)); s.set_epoch(2); list(s)
    [(2, 0), (2, 1), (2, 2)]
    """

    def __init__(self, sampler: Iterable[int], epoch: int = 0):
        self.sampler = sampler
        self.epoch = int(epoch)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)
        if hasattr(self.sampler, "set_epoch"):
            self.sampler.set_epoch(epoch)

    def __iter__(self) -> Iterator[tuple[int, int]]:
        e = self.epoch
        return ((e, int(i)) for i in self.sampler)

    def __len__(self) -> int:
        return len(self.sampler)  # type: ignore[arg-type]


def _plain_cut(window: dict) -> tuple[int, int, int, int] | None:
    """``(x, y, w, h)`` when a crop window is a plain window of the full-size composite.

    GFM's windows and GCA-Matting's (unless the image is first enlarged) are: then
    :func:`rssn.cook` blends and adds noise inside the window only, the same bytes as
    cutting the full composite (the flip and resize follow). Otherwise None.
    """
    if window.get("resize") is not None:
        return None
    return (window["x"], window["y"], window["size"], window["size"])


def collate(batch: list[dict]) -> dict:
    """Batch items of :class:`CompositeDataset` for a ``DataLoader`` (``collate_fn=``).

    Arrays are stacked into torch tensors (``uint8`` images stay ``uint8``, shape
    ``(B, H, W, 3)``); the recipe and crop dicts become lists. PyTorch's default
    collate cannot batch them: a recipe holds ``None`` values. torch is imported
    here, when called, never by ``import rssn``.
    """
    import torch

    out: dict[str, Any] = {}
    for key in batch[0]:
        values = [item[key] for item in batch]
        if isinstance(values[0], np.ndarray):
            shapes = {v.shape for v in values}
            if len(shapes) > 1:
                raise ValueError(
                    f"rssn.collate: {key!r} arrays of different shapes {sorted(shapes)} cannot "
                    "be stacked; give CompositeDataset a crop= (or use batch_size=1)"
                )
            out[key] = torch.from_numpy(np.stack(values))
        elif isinstance(values[0], int | float) and not isinstance(values[0], bool):
            out[key] = torch.tensor(values)
        else:
            out[key] = values
    return out


# ------------------------------------------------------------------ the dataset


@dataclass(frozen=True)
class _Precomposed:
    root: Path
    rows: tuple[dict, ...]
    k: int
    seed: int


def _load_precomposed(root: Path) -> _Precomposed:
    run_json, manifest = root / "run.json", root / "manifest.jsonl"
    try:
        config = json.loads(run_json.read_text())["config"]
        k, seed = int(config["k"]), int(config["seed"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ImageError(run_json, f"unreadable run.json of rssn compose ({exc})") from None
    rows = []
    for n, line in enumerate(manifest.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            Recipe.from_dict(row["recipe"])
            outputs = row["outputs"]
        except (ValueError, KeyError, TypeError) as exc:
            raise ImageError(manifest, f"line {n}: not a manifest row ({exc})") from None
        for name in ("image", "alpha", "fg", "bg"):
            if name not in outputs:
                raise ImageError(manifest, f"line {n}: no {name} output")
            if not (root / outputs[name]).is_file():
                raise ImageError(root / outputs[name], f"listed in {manifest} but missing")
        rows.append(row)
    if not rows:
        raise ImageError(manifest, "no composites in the manifest")
    return _Precomposed(root, tuple(rows), k, seed)


class CompositeDataset:
    """RSSN composites made on the fly, for ``torch.utils.data.DataLoader``.

    Parameters
    ----------
    fg : path
        A folder of foregrounds in a layout ``rssn compose`` reads (``fg/`` +
        ``alpha/``; ``original/`` + ``mask/``; ``blurred_image/`` + ``mask/``;
        ``image/`` + ``alpha/``; RGBA PNGs), or a folder written by ``rssn compose``
        (``run.json`` + ``manifest.jsonl``): its composites are then read, not made,
        and only the crop and the targets are drawn here.
    bg : path or None
        A folder of backgrounds (recursively); ``None`` for a composed folder.
    k : int
        Composites per foreground per epoch (``len = n_fg * k``).
    seed : int
        The run's seed, as ``rssn compose --seed``.
    params : Params, optional
        RSSN probabilities and methods (the paper's by default).
    crop : {None, "gfm", "gca"}
        GFM's crop (640/960/1280, corner from unknown pixels with p 0.5, flip 0.5,
        resize to 320) or GCA-Matting's 512 crop centred on an unknown pixel
        (:mod:`rssn._crops`), applied to the full-size composite. The window is
        drawn from the full-size alpha before cooking; when it is a plain window
        (always for GFM, for GCA-Matting unless the image must first be enlarged),
        :func:`rssn.cook` blends and adds noise only inside it (``window=``), the
        same bytes as cropping the full composite, faster.
    targets : sequence of str
        Any of :data:`TARGETS`, made from the full-size alpha by ``trimaps`` and
        cropped with the same window. The trimap a crop is centred on is the
        sample's ``trimap`` (GFM) or ``random_trimap`` (GCA-Matting) target, as in
        the papers' code.
    trimap : {"gfm", "aim", "p3m"}
        Preset of the ``trimap`` target and of the unknown region GFM's crop draws
        from (kernel 25 / 30 / 15-30), as ``rssn compose --trimap``.
    types : dict or path, optional
        Foreground id -> AIM type ("SO", "STM", "NS"), or the JSON file of
        ``rssn compose --types``: recorded in recipes (NS always gets the blurred
        background) and needed by the ``unified`` target.
    cache : path, optional
        The cache folder of ``rssn compose`` (``OUT/cache``, or its ``--cache``);
        defaults to ``<fg>/cache`` for a composed folder. Entries in either
        format are read (see :class:`rssn.DiskCache`).
    cache_format : {"png", "npy"}
        Format of the entries this dataset writes when it computes a missing one.
        A cache of ``npy`` entries (``rssn compose --cache-format npy``) is served
        about 30x faster than PNG: it is what keeps a training step near the
        read-blend-crop floor (docs/dataloader.md).
    on_missing_denoise : {"skip", "compute"}
        What a recipe that denoises does when the denoised image is not cached:
        made without denoising (default; the item's recipe says so) or denoised
        in the worker and stored.
    epoch : int
        The first epoch (see :meth:`set_epoch`).

    Raises
    ------
    trimaps.ImageError
        At construction, for any input file that cannot be used (the message
        starts with the file), so that a bad file never crashes a worker mid-epoch.

    Notes
    -----
    Item ``i`` (or ``(epoch, i)``) is a dict of NumPy arrays ``image``, ``alpha``,
    ``fg``, ``bg`` (``uint8``), the requested targets, ``recipe`` (the
    :class:`~rssn.Recipe` as a dict, plus ``denoise_skipped``), ``crop`` (the drawn
    window or None), ``epoch`` and ``index``. Batch with :func:`collate`.
    """

    def __init__(
        self,
        fg: str | os.PathLike,
        bg: str | os.PathLike | None = None,
        k: int = 5,
        seed: int = 0,
        params: Params | None = None,
        *,
        crop: str | None = None,
        targets: Sequence[str] = (),
        trimap: str = "gfm",
        types: dict[str, str] | str | os.PathLike | None = None,
        cache: str | os.PathLike | None = None,
        cache_format: str = "png",
        on_missing_denoise: str = "skip",
        epoch: int = 0,
    ):
        import trimaps

        if crop is not None and crop not in CROPS:
            raise ValueError(f"crop must be None or one of {CROPS}, got {crop!r}")
        targets = tuple(targets)
        unknown = [t for t in targets if t not in TARGETS]
        if unknown:
            raise ValueError(f"unknown target(s) {unknown}; choose from {TARGETS}")
        if trimap not in trimaps.PRESETS:
            raise ValueError(f"trimap must be one of {sorted(trimaps.PRESETS)}, got {trimap!r}")
        if on_missing_denoise not in ("skip", "compute"):
            raise ValueError(
                f"on_missing_denoise must be 'skip' or 'compute', got {on_missing_denoise!r}"
            )
        if cache_format not in CACHE_FORMATS:
            raise ValueError(f"cache_format must be one of {CACHE_FORMATS}, got {cache_format!r}")
        self.cache_format = cache_format
        if int(seed) < 0 or int(epoch) < 0:
            raise ValueError(f"seed and epoch must be >= 0, got {seed}, {epoch}")
        self.crop, self.targets, self.trimap = crop, targets, trimap
        self.seed = int(seed)
        self.params = params or Params()
        self.types = dict(types) if isinstance(types, dict) else {}
        self._epoch = _Epoch(epoch)
        self.on_missing_denoise = on_missing_denoise
        root = Path(fg)
        if (root / "manifest.jsonl").is_file() and (root / "run.json").is_file():
            self.composed = _load_precomposed(root)
            self.k = self.composed.k
            self.foregrounds: list[Foreground] = []
            self.backgrounds: list[Background] = []
            self._len = len(self.composed.rows)
            cache_root = Path(cache) if cache is not None else root / "cache"
        else:
            self.composed = None
            if bg is None:
                raise ValueError(f"{root}: not a folder written by rssn compose, so give bg=")
            if int(k) < 1:
                raise ValueError(f"k must be >= 1, got {k}")
            self.k = int(k)
            self.foregrounds, self.backgrounds = _find_inputs(root, Path(bg))
            if isinstance(types, str | os.PathLike):
                self.types = _types_from_file(Path(types), self.foregrounds)
            if self.k > len(self.backgrounds):
                raise ImageError(
                    Path(bg),
                    f"k = {self.k} distinct backgrounds per foreground need at least {self.k} "
                    f"backgrounds, found {len(self.backgrounds)}",
                )
            self._bg_by_id = {b.id: b for b in self.backgrounds}
            self._sizes = [image_info(f.alpha, exif=False).size for f in self.foregrounds]
            self._len = len(self.foregrounds) * self.k
            cache_root = Path(cache) if cache is not None else None
        if "unified" in targets:
            if self.composed is not None:
                missing = [r["fg_id"] for r in self.composed.rows if not r["recipe"]["fg_type"]]
            else:
                missing = [f.id for f in self.foregrounds if f.id not in self.types]
            if missing:
                raise ValueError(
                    "the unified target needs the AIM type (types=) of every foreground; "
                    f"missing for {sorted(set(missing))[:3]}"
                )
        self.cache_root = cache_root
        self._deals: dict[int, np.ndarray] = {}

    # -- epochs

    @property
    def epoch(self) -> int:
        return self._epoch.get()

    def set_epoch(self, epoch: int) -> None:
        """Draw the composites of epoch ``epoch`` from now on.

        Seen by DataLoader workers started before the call too (persistent
        workers): the epoch lives in shared memory. Call it before iterating the
        loader for that epoch. :class:`EpochSampler` is the alternative that does
        not rely on shared memory (the epoch travels with each index).
        """
        if int(epoch) < 0:
            raise ValueError(f"epoch must be >= 0, got {epoch}")
        self._epoch.set(epoch)

    def __len__(self) -> int:
        return self._len

    # -- one item

    def _deal(self, epoch: int) -> np.ndarray:
        """Background indices of epoch ``epoch``, shape (n_fg, k).

        The deal of :func:`rssn.deal_backgrounds` continued: epoch ``e`` takes rows
        ``e * n_fg ..`` of the deal of ``(e + 1) * n_fg`` foregrounds, so epoch 0 is
        exactly the deal of ``rssn compose`` and every background is used as evenly.
        """
        if epoch not in self._deals:
            n = len(self.foregrounds)
            deal = deal_backgrounds(self.seed, n * (epoch + 1), self.k, len(self.backgrounds))
            if len(self._deals) > 4:
                self._deals.clear()
            self._deals[epoch] = deal[epoch * n :]
        return self._deals[epoch]

    def recipe(self, index: int, epoch: int | None = None) -> Recipe:
        """The recipe of item ``index`` at ``epoch`` (default: the current one)."""
        epoch = self.epoch if epoch is None else int(epoch)
        if self.composed is not None:
            return Recipe.from_dict(self.composed.rows[index]["recipe"])
        i, kk = divmod(index, self.k)
        fgd = self.foregrounds[i]
        bgd = self.backgrounds[int(self._deal(epoch)[i, kk])]
        return draw_recipe(
            self.seed,
            fgd.id,
            epoch * self.k + kk,
            size=self._sizes[i],
            bg=bgd.id,
            bg_size=bgd.size,
            params=self.params,
            fg_type=self.types.get(fgd.id),
            estimate_foreground=fgd.image is not None,
        )

    def _index(self, key) -> tuple[int, int]:
        if isinstance(key, tuple):
            epoch, index = (int(v) for v in key)
        else:
            epoch, index = self.epoch, int(key)
        if -self._len <= index < 0:
            index += self._len
        if not 0 <= index < self._len:
            raise IndexError(f"index {index} out of range for {self._len} items")
        if epoch < 0:
            raise IndexError(f"epoch must be >= 0, got {epoch}")
        return epoch, index

    def __getitem__(self, key) -> dict[str, Any]:
        epoch, index = self._index(key)
        recipe = self.recipe(index, epoch)
        skipped = False
        window = trimap_map = cut = None
        if self.composed is not None:
            made = self._read_composed(index)
            k_drawn = epoch * self.k + recipe.k  # the crop changes with the epoch
            alpha = made[1]
            if self.crop is not None:
                rng = self._rng(recipe.fg_id, k_drawn, _CROP_STREAM)
                window, trimap_map = self._window(alpha, recipe, rng)
        else:
            k_drawn = recipe.k
            inputs = self._read_inputs(index, recipe)
            alpha = inputs["alpha"]
            if self.crop is not None:
                rng = self._rng(recipe.fg_id, k_drawn, _CROP_STREAM)
                window, trimap_map = self._window(alpha, recipe, rng)
                cut = _plain_cut(window)
            made, recipe, skipped = self._cook(recipe, inputs, cut)
        item: dict[str, Any] = {
            "image": made[0],
            "alpha": made[1],
            "fg": made[2],
            "bg": made[3],
        }
        if window is not None:
            # The trimap a crop is centred on is the one the sample carries as a target.
            if self.crop == "gca" and "random_trimap" in self.targets:
                item["random_trimap"] = trimap_map
            if self.crop == "gfm" and "trimap" in self.targets:
                item["trimap"] = trimap_map
        item.update(self._targets(alpha, recipe, k_drawn, skip=set(item)))
        if window is not None:
            # cook() already cut the composite's layers to the window: flip and resize them.
            local = {**window, "x": 0, "y": 0}
            for name in list(item):
                discrete = name in _DISCRETE or name.endswith("_glance")
                cooked = cut is not None and name in ("image", "alpha", "fg", "bg")
                item[name] = apply_window(
                    item[name], local if cooked else window, discrete=discrete
                )
        item["recipe"] = {**recipe.to_dict(), "denoise_skipped": skipped}
        item["crop"] = window
        item["epoch"] = epoch
        item["index"] = index
        return item

    def _read_inputs(self, index: int, recipe: Recipe) -> dict[str, Any]:
        fgd = self.foregrounds[index // self.k]
        bgd = self._bg_by_id[recipe.bg]
        alpha, F, image = _read_foreground(fgd)
        background = read_rgb(bgd.path)
        if background.shape[1::-1] != tuple(recipe.bg_size):
            raise ImageError(bgd.path, "size changed since the dataset was made")
        return {"alpha": alpha, "background": background, "fg": F, "image": image}

    def _cook(self, recipe: Recipe, inputs: dict[str, Any], cut):
        disk = None if self.cache_root is None else DiskCache(self.cache_root, self.cache_format)
        where = str(self.cache_root) if self.cache_root is not None else "the cache (cache=None)"
        serve = _ServeCache(disk, self.on_missing_denoise, where)
        try:
            made = cook(recipe, **inputs, cache=serve, window=cut)
            return made, recipe, False
        except _Missing:
            plain = replace(recipe, denoise=False)
            made = cook(plain, **inputs, cache=serve, window=cut)
            return made, plain, True

    def _read_composed(self, index: int):
        root, row = self.composed.root, self.composed.rows[index]
        out = row["outputs"]
        return (
            read_rgb(root / out["image"]),
            read_alpha(root / out["alpha"]),
            read_rgb(root / out["fg"]),
            read_rgb(root / out["bg"]),
        )

    def _rng(self, fg_id: str, k: int, stream: int) -> np.random.Generator:
        return np.random.default_rng(
            np.random.SeedSequence((self.seed, stable_int(fg_id), int(k), stream))
        )

    def _preset_trimap(self, alpha: np.ndarray, recipe: Recipe) -> np.ndarray:
        """The trimap ``rssn compose --trimap <preset>`` writes for this recipe."""
        return _trimap(self.trimap, alpha, recipe)

    def _targets(
        self, alpha: np.ndarray, recipe: Recipe, k_drawn: int, skip: set[str]
    ) -> dict[str, np.ndarray]:
        import trimaps

        out: dict[str, np.ndarray] = {}
        rng = self._rng(recipe.fg_id, k_drawn, _TARGET_STREAM)
        for name in self.targets:
            if name in skip:
                continue
            if name == "trimap":
                out["trimap"] = self._preset_trimap(alpha, recipe)
            elif name == "unified":
                out["unified"] = _trimap("unified", alpha, recipe)
            elif name.startswith("rosta_"):
                v = name[len("rosta_") :]
                r = trimaps.rosta(alpha, v)
                out[f"{v}_glance"], out[f"{v}_focus"] = r.glance, r.focus
            elif name == "random_trimap":
                out[name] = random_trimap_u8(alpha, rng)
            elif name == "soft_segmentation":
                out[name] = trimaps.random_soft_segmentation(alpha, rng)
        return out

    def _window(
        self, alpha: np.ndarray, recipe: Recipe, rng: np.random.Generator
    ) -> tuple[dict, np.ndarray]:
        """Draw the crop around the unknown band of the paper's trimap; return both (uint8)."""

        if self.crop == "gfm":
            t = self._preset_trimap(alpha, recipe)
            return gfm_window(t == 128, rng), t
        # GCA-Matting crops around the unknown band of its random trimap (GenTrimap), the
        # trimap it then feeds the network.
        t = random_trimap_u8(alpha, rng)
        return gca_window(t == 128, rng), t
