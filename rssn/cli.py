"""The ``rssn`` command: RSSN composition (Li et al., IJCV 2022, Sec. 4)."""

from __future__ import annotations

import os
from enum import Enum
from pathlib import Path

import typer
from rich.markup import escape

from rssn._cache import CACHE_FORMATS
from rssn._recipe import DENOISE_AT
from rssn._steps import DENOISE_METHODS, FG_METHODS, FIT_MODES
from trimaps._cliutil import (
    EXIT_BAD_INPUT,
    EngineName,
    UsageError,
    console,
    err_console,
    guard,
    version_callback,
)

app = typer.Typer(
    name="rssn",
    help=(
        "Compose matting training data with the RSSN route (resolution, sharpness, "
        "semantic, noise) of Li et al., 'Bridging Composite and Real', IJCV 2022.\n\n"
        "[bold]rssn demo[/] (or [bold]rssn[/] alone) composes a small built-in sample; "
        "[bold]rssn compose --fg FG --bg BG --k 5 --out OUT[/] makes a dataset. "
        "See [bold]rssn compose --help[/]."
    ),
    rich_markup_mode="rich",
    add_completion=False,
)


@app.callback(invoke_without_command=True)
def _root(
    ctx: typer.Context,
    version: bool = typer.Option(
        False,
        "--version",
        callback=version_callback("rssn"),
        is_eager=True,
        help="Show the version and exit.",
    ),
) -> None:
    """RSSN composition."""
    if ctx.invoked_subcommand is None:
        demo(out=Path("rssn-demo"), seed=0, workers=1)


def _choices(name: str, values: tuple[str, ...]) -> type[Enum]:
    """A typer choice type whose values are the library's own tuple of names."""
    return Enum(name, [(v, v) for v in values], type=str)


FgMethod = _choices("FgMethod", FG_METHODS)
DenoiseMethod = _choices("DenoiseMethod", DENOISE_METHODS)
Fit = _choices("Fit", FIT_MODES)
DenoiseAt = _choices("DenoiseAt", DENOISE_AT)
CacheFormat = _choices("CacheFormat", CACHE_FORMATS)


class OnError(str, Enum):
    fail = "fail"
    skip = "skip"


class TrimapKind(str, Enum):
    gfm = "gfm"
    aim = "aim"
    p3m = "p3m"
    unified = "unified"


def _parse_kernels(text: str) -> tuple[int, ...]:
    try:
        kernels = tuple(int(v) for v in text.replace(" ", "").split(",") if v)
    except ValueError:
        raise UsageError(f"--blur-kernels must be comma-separated integers, got {text!r}") from None
    if not kernels or min(kernels) < 1:
        raise UsageError(f"--blur-kernels must be positive integers, got {text!r}")
    return kernels


def _print_errors(lines: list[str]) -> None:
    for line in lines:
        err_console.print(f"[bold red]error:[/] {escape(line)}", highlight=False, soft_wrap=True)


def _run_compose(cfg, quiet: bool) -> None:
    from rssn._compose import ComposeError, compose

    try:
        summary = compose(cfg, quiet=quiet)
    except ComposeError as exc:
        _print_errors(exc.lines)
        if len(exc.lines) > 0 and cfg.on_error == "fail":
            err_console.print(
                "nothing more was composed; fix the input(s) or pass --on-error skip",
                highlight=False,
                markup=False,
            )
        raise typer.Exit(EXIT_BAD_INPUT) from None
    out = cfg.out
    console.print(
        f"{summary.composites} composites in {out}/ (made {summary.written}, already complete "
        f"{summary.skipped}, failed {summary.failed}) in {summary.seconds:.1f} s; "
        f"cache: {summary.cache_hits} reused, {summary.cache_computed} computed; "
        f"manifest: {out / 'manifest.jsonl'}",
        highlight=False,
        markup=False,
    )
    if summary.errors:
        _print_errors([e["error"] for e in summary.errors])
        err_console.print(
            f"{len(summary.errors)} input problem(s) skipped; report: {out / 'errors.jsonl'}",
            highlight=False,
            markup=False,
        )


@app.command(
    help=(
        "Composite every foreground in FG on K backgrounds from BG with the RSSN route: "
        "F and B denoised (p 0.5, BM3D), B blurred with an averaging kernel from "
        "{20,30,40,50,60} (p 0.5), Gaussian noise of std 10 on the composite (p 0.5). "
        "Backgrounds cover the foreground without distortion (random window).\n\n"
        "FG layouts: Composition-1k fg/ + alpha/; AM-2k / AIM-500 original/ + mask/; "
        "P3M blurred_image/ + mask/; or RGBA PNGs. Original photos get their foreground "
        "estimated (--fg-method). BG: a folder tree of JPEG/PNG files.\n\n"
        "Writes OUT/image, alpha, fg, bg (and trimap) as <fg-stem>_<k>.png, OUT/manifest.jsonl "
        "(inputs, recipe and outputs of each composite) and OUT/run.json. Same seed, same "
        "bytes, whatever --workers. A rerun skips complete composites (resume) and reuses "
        "the cache (no BM3D, no foreground estimation again).\n\n"
        "Example: rssn compose --fg Composition-1k/train --bg BG-20k/train --k 5 --out rssn-out"
    )
)
@guard
def compose(
    fg: Path = typer.Option(..., "--fg", help="Foreground folder (see the layouts above)."),
    bg: Path = typer.Option(..., "--bg", help="Background folder (searched recursively)."),
    out: str = typer.Option(
        ..., "--out", "-o", help="Output folder: a path or a file:// URL (shared, with Ray)."
    ),
    k: int = typer.Option(
        5, "--k", min=1, help="Composites (distinct backgrounds) per foreground."
    ),
    seed: int = typer.Option(0, "--seed", min=0, help="Seed of the whole run."),
    workers: int = typer.Option(
        os.cpu_count() or 1,
        "--workers",
        "-j",
        min=1,
        help="Processes (default: all cores); with --engine ray and no --address, the CPUs "
        "of the local Ray instance.",
    ),
    engine: EngineName = typer.Option(
        EngineName.local,
        "--engine",
        help="local: this machine; ray: Ray tasks (pip install 'mattekit[ray]'), the same "
        "bytes. See docs/scale.md.",
    ),
    address: str | None = typer.Option(
        None,
        "--address",
        help="Ray cluster to join with --engine ray: auto, HOST:6379 or ray://HOST:10001 "
        "(default: start a local Ray instance).",
    ),
    denoise_p: float = typer.Option(0.5, "--denoise-p", min=0, max=1, help="P(denoise F and B)."),
    blur_p: float = typer.Option(0.5, "--blur-p", min=0, max=1, help="P(blur B)."),
    noise_p: float = typer.Option(0.5, "--noise-p", min=0, max=1, help="P(Gaussian noise)."),
    blur_kernels: str = typer.Option(
        "20,30,40,50,60", "--blur-kernels", help="Averaging kernel sizes, comma-separated."
    ),
    noise_std: float = typer.Option(10.0, "--noise-std", min=0, help="Noise std, 8-bit levels."),
    fg_method: FgMethod = typer.Option(
        FgMethod.multilevel,
        "--fg-method",
        help="Foreground estimation for original photos: multilevel (fast) or levin "
        "(closed form, ~35x slower).",
    ),
    denoise_method: DenoiseMethod = typer.Option(
        DenoiseMethod.bm3d,
        "--denoise-method",
        help="bm3d (the paper's; non-commercial licence, slow) or nlm (OpenCV, permissive).",
    ),
    denoise_sigma: float | None = typer.Option(
        None, "--denoise-sigma", min=0, help="Noise level for the denoiser (default: estimated)."
    ),
    denoise_at: DenoiseAt = typer.Option(
        DenoiseAt.source,
        "--denoise-at",
        help="source: denoise each background file once, whole, then fit (as GFM; one cached "
        "result serves every window); fit: denoise the fitted window of each composite.",
    ),
    fit: Fit = typer.Option(
        Fit.cover, "--fit", help="cover: no distortion, random window; stretch: GFM's resize."
    ),
    jpeg: bool = typer.Option(False, "--jpeg", help="Write the composites as JPEG (q 95)."),
    trimap: TrimapKind | None = typer.Option(
        None,
        "--trimap",
        help="Also write trimaps: gfm (kernel 25), aim (30), p3m (15-30), or unified "
        "(AIM types from --types).",
    ),
    types: Path | None = typer.Option(
        None,
        "--types",
        help="JSON mapping foreground names to AIM types SO/STM/NS (NS: always blurred).",
    ),
    cache: Path | None = typer.Option(None, "--cache", help="Cache folder (default OUT/cache)."),
    cache_format: CacheFormat = typer.Option(
        CacheFormat.png,
        "--cache-format",
        help="png: compact; npy: raw arrays, ~3x the disk, read ~30x faster "
        "(for a training loader serving the cache every epoch).",
    ),
    on_error: OnError = typer.Option(
        OnError.fail,
        "--on-error",
        help="fail: stop at bad input (before any work when inputs are inconsistent); "
        "skip: leave it out and list it in OUT/errors.jsonl.",
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    from rssn._compose import ComposeConfig
    from rssn._recipe import Params
    from trimaps._engine import local_path

    if address is not None and engine is not EngineName.ray:
        raise UsageError("--address names a Ray cluster; it needs --engine ray")
    try:
        params = Params(
            denoise_p=denoise_p,
            blur_p=blur_p,
            noise_p=noise_p,
            blur_kernels=_parse_kernels(blur_kernels),
            noise_std=noise_std,
            fit=fit.value,
            denoise_method=denoise_method.value,
            denoise_sigma=denoise_sigma,
            denoise_at=denoise_at.value,
            fg_method=fg_method.value,
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    cfg = ComposeConfig(
        fg_root=fg,
        bg_root=bg,
        out=local_path(out),
        k=k,
        seed=seed,
        params=params,
        jpeg=jpeg,
        trimap=trimap.value if trimap else None,
        types=types,
        cache=cache,
        cache_format=cache_format.value,
        workers=workers,
        on_error=on_error.value,
        engine=engine.value,
        address=address,
    )
    _run_compose(cfg, quiet)


@app.command(
    help=(
        "Make a small built-in sample (three procedural mattes with procedural colours, "
        "four procedural backgrounds) and compose it with K = 3, denoising with OpenCV "
        "non-local means. Takes a few seconds. Example: rssn demo --out rssn-demo"
    )
)
@guard
def demo(
    out: Path = typer.Option(Path("rssn-demo"), "--out", "-o", help="Output folder."),
    seed: int = typer.Option(0, "--seed", min=0, help="Seed of the run."),
    workers: int = typer.Option(1, "--workers", "-j", min=1, help="Processes."),
) -> None:
    import json

    from rssn._compose import ComposeConfig
    from rssn._demo import SAMPLE_TYPES, make_sample
    from rssn._recipe import Params
    from trimaps.io import atomic_write_bytes

    fg_dir, bg_dir = make_sample(out / "sample")
    types_path = out / "sample" / "types.json"
    atomic_write_bytes(types_path, (json.dumps(SAMPLE_TYPES, indent=2) + "\n").encode())
    console.print(
        f"sample: {fg_dir}/ (fg/ + alpha/: {', '.join(SAMPLE_TYPES)}), {bg_dir}/ (4 scenes)",
        highlight=False,
        markup=False,
    )
    cfg = ComposeConfig(
        fg_root=fg_dir,
        bg_root=bg_dir,
        out=out / "composites",
        k=3,
        seed=seed,
        params=Params(denoise_method="nlm"),
        trimap="unified",
        types=types_path,
        workers=workers,
    )
    _run_compose(cfg, quiet=True)


@app.command(
    help=(
        "Compile pymatting's numba kernels into the persistent cache (NUMBA_CACHE_DIR, "
        "default ~/.cache/mattekit/numba) and report the time. The first time takes about a "
        "minute; afterwards every process loads them in about a second. Run it once after "
        "installing, so that the first rssn compose on original photos starts at once."
    )
)
@guard
def warm() -> None:
    import time

    from rssn._steps import import_pymatting

    t0 = time.perf_counter()
    import_pymatting()
    console.print(
        f"pymatting ready in {time.perf_counter() - t0:.1f} s "
        f"(numba cache: {os.environ['NUMBA_CACHE_DIR']})",
        highlight=False,
        markup=False,
    )


@app.command(
    help=(
        "Fill a cache with every foreground estimate and denoised image that compositions "
        "of these inputs can use: each foreground's F (estimated for original photos) "
        "denoised, and each background file denoised whole (--denoise-at source, the "
        "default). rssn compose and rssn.CompositeDataset then find them, so no training "
        "epoch skips denoising or runs BM3D in a data worker. Rerun to resume.\n\n"
        "Example: rssn prefill --fg Composition-1k/train --bg BG-20k/train "
        "--cache rssn-cache --cache-format npy"
    )
)
@guard
def prefill(
    fg: Path = typer.Option(..., "--fg", help="Foreground folder (the layouts of compose)."),
    bg: Path | None = typer.Option(
        None, "--bg", help="Background folder (recursive); omit to do foregrounds only."
    ),
    cache: Path = typer.Option(..., "--cache", help="Cache folder (e.g. OUT/cache of compose)."),
    cache_format: CacheFormat = typer.Option(
        CacheFormat.png, "--cache-format", help="png (compact) or npy (read ~30x faster)."
    ),
    workers: int = typer.Option(
        os.cpu_count() or 1, "--workers", "-j", min=1, help="Processes (default: all cores)."
    ),
    denoise_method: DenoiseMethod = typer.Option(
        DenoiseMethod.bm3d, "--denoise-method", help="bm3d or nlm, as the runs that will read it."
    ),
    denoise_sigma: float | None = typer.Option(
        None, "--denoise-sigma", min=0, help="Noise level for the denoiser (default: estimated)."
    ),
    fg_method: FgMethod = typer.Option(
        FgMethod.multilevel, "--fg-method", help="Foreground estimation for original photos."
    ),
    no_denoise: bool = typer.Option(
        False, "--no-denoise", help="Only estimate foregrounds (runs with --denoise-p 0)."
    ),
    engine: EngineName = typer.Option(
        EngineName.local, "--engine", help="local: this machine; ray: one Ray task per image."
    ),
    address: str | None = typer.Option(
        None, "--address", help="Ray cluster to join with --engine ray (default: a local one)."
    ),
    on_error: OnError = typer.Option(
        OnError.fail, "--on-error", help="fail: stop at bad input; skip: leave it out."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    from rssn._compose import ComposeError
    from rssn._prefill import prefill as run_prefill
    from rssn._recipe import Params

    if address is not None and engine is not EngineName.ray:
        raise UsageError("--address names a Ray cluster; it needs --engine ray")
    params = Params(
        denoise_p=0.0 if no_denoise else 0.5,
        denoise_method=denoise_method.value,
        denoise_sigma=denoise_sigma,
        fg_method=fg_method.value,
    )
    try:
        summary = run_prefill(
            fg, bg, cache, params, workers=workers, cache_format=cache_format.value,
            on_error=on_error.value, quiet=quiet, engine=engine.value, address=address,
        )  # fmt: skip
    except ComposeError as exc:
        _print_errors(exc.lines)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    console.print(
        f"{cache}: {summary.foregrounds} foregrounds, {summary.backgrounds} backgrounds; "
        f"{summary.computed} results computed, {summary.reused} already there, in "
        f"{summary.seconds:.1f} s",
        highlight=False,
        markup=False,
    )
    if summary.errors:
        _print_errors(summary.errors)


def main() -> None:
    app()


# `rssn publish` (issue 7) lives in rssn/_publish_cli.py.
from rssn._publish_cli import register as _register_publish  # noqa: E402

_register_publish(app)
