"""``rssn prefill``: every expensive result a run or a training loader may need, cached once.

``rssn compose`` caches what its own recipes use. A training loader
(:class:`rssn.CompositeDataset`) draws new recipes every epoch: other backgrounds
for each foreground, other coin flips. With ``denoise_at="source"`` (the default)
the denoised versions it can ever need are one per foreground and one per
background *file*; this command makes all of them (and the foreground estimates
of original photos), so that no epoch has to skip denoising or run BM3D in a
training step. The entries are the ones :func:`rssn.cook` looks up
(:func:`rssn._recipe.cached_foreground` and :func:`~rssn._recipe.cached_denoise`,
the same functions), so a later ``rssn compose`` finds them too.

Each image is one job on the process pool; a job whose entries exist costs a
read and a hash. An interrupted run resumes by running it again.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from rssn._cache import DiskCache
from rssn._compose import ComposeError, _read_foreground, _worker_init, check_run_options
from rssn._recipe import Params, cached_denoise, cached_foreground
from rssn._sources import Background, Foreground, find_backgrounds, find_foregrounds
from trimaps._cliutil import UsageError
from trimaps.io import ImageError, read_rgb

__all__ = ["PrefillSummary", "prefill"]


@dataclass
class PrefillSummary:
    foregrounds: int = 0
    backgrounds: int = 0
    computed: int = 0
    reused: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Job:
    source: Foreground | Background
    cache: Path
    fmt: str
    params: Params


def _prefill_one(job: _Job) -> tuple[int, int, str | None]:
    """(computed, reused, error line) for one foreground or background."""
    disk = DiskCache(job.cache, job.fmt)
    p = job.params
    try:
        if isinstance(job.source, Foreground):
            alpha, F, image = _read_foreground(job.source)
            if F is None:
                F = cached_foreground(image, alpha, p.fg_method, disk)
            if p.denoise_p > 0:
                cached_denoise(F, p.denoise_method, p.denoise_sigma, disk)
        else:
            cached_denoise(read_rgb(job.source.path), p.denoise_method, p.denoise_sigma, disk)
    except ImageError as exc:
        return disk.computed, disk.hits, str(exc)
    return disk.computed, disk.hits, None


def prefill(
    fg_root: str | os.PathLike,
    bg_root: str | os.PathLike | None,
    cache: str | os.PathLike,
    params: Params | None = None,
    *,
    workers: int = 1,
    cache_format: str = "png",
    on_error: str = "fail",
    quiet: bool = True,
    engine: str = "local",
    address: str | None = None,
) -> PrefillSummary:
    """Fill ``cache`` with the foreground estimates and denoised images of every input.

    Foregrounds: F is estimated (original photos) with ``params.fg_method``, and
    denoised when ``params.denoise_p > 0``. Backgrounds (``bg_root``, optional):
    each file is denoised whole, which is what ``denoise_at="source"`` looks up;
    with ``denoise_at="fit"`` the denoised windows depend on the recipes, so only
    ``rssn compose`` can make them and backgrounds are refused here.

    ``engine="ray"`` runs one Ray task per image (``address``: a cluster to
    join, as ``rssn compose --engine ray``); the cache folder must then be one
    that every node sees.

    Raises :class:`ComposeError` listing bad inputs (with ``on_error="fail"``,
    before any work) and ``UsageError`` for bad arguments.
    """
    from trimaps._cliutil import progress
    from trimaps._engine import make_engine

    params = params or Params()
    start = time.perf_counter()
    check_run_options(params, cache_format, on_error, denoise_off="--no-denoise")
    if bg_root is not None and params.denoise_p > 0 and params.denoise_at == "fit":
        raise UsageError(
            "--denoise-at fit denoises each composite's fitted window, which depends on its "
            "recipe: `rssn compose` makes those; prefill denoises background files "
            "(--denoise-at source)"
        )
    if engine != "local":  # Ray workers may run in another folder, or on another node
        fg_root = Path(fg_root).resolve()
        bg_root = Path(bg_root).resolve() if bg_root is not None else None
    fgs, problems, _ = find_foregrounds(fg_root)
    lines = [line for _, line in problems]
    bgs: list[Background] = []
    if bg_root is not None and params.denoise_p > 0:
        bgs, bg_problems = find_backgrounds(bg_root)
        lines += bg_problems
        if not bgs and not bg_problems:
            raise UsageError(f"{bg_root}: no background images")
    if lines and on_error == "fail":
        raise ComposeError(lines)
    summary = PrefillSummary(foregrounds=len(fgs), backgrounds=len(bgs), errors=list(lines))
    jobs = [_Job(s, Path(cache).resolve(), cache_format, params) for s in [*fgs, *bgs]]
    with (
        make_engine(engine, workers=workers, address=address, initializer=_worker_init) as run,
        progress(disable=quiet) as bar,
    ):
        task = bar.add_task("prefilling the cache", total=len(jobs))
        for _, (computed, reused, error) in run.imap_unordered(_prefill_one, jobs):
            summary.computed += computed
            summary.reused += reused
            if error is not None:
                summary.errors.append(error)
                if on_error == "fail":
                    raise ComposeError([error])
            bar.advance(task)
    summary.seconds = time.perf_counter() - start
    return summary
