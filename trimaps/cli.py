"""The ``trimaps`` command."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer
from rich.markup import escape

from trimaps._cliutil import (
    EXIT_BAD_INPUT,
    UsageError,
    console,
    err_console,
    guard,
    progress,
    version_callback,
)
from trimaps.io import ImageError

app = typer.Typer(
    name="trimaps",
    help=(
        "Trimaps and matting targets from alpha mattes.\n\n"
        "[bold]trimaps demo[/] makes a small sample and runs every kind on it; "
        "[bold]trimaps generate ALPHA_DIR --out DIR --kind KIND[/] writes one 8-bit PNG per "
        "matte. Kinds: trimap, duomap, unimap, unified (AIM types from --types), tt, ft, bt "
        "(GFM RoSTa), optimal (AdaMatting), soft (random soft segmentation). "
        "See [bold]trimaps generate --help[/]."
    ),
    rich_markup_mode="rich",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def _root(
    version: bool = typer.Option(
        False,
        "--version",
        callback=version_callback("trimaps"),
        is_eager=True,
        help="Show the version and exit.",
    ),
) -> None:
    """Trimaps and matting targets."""


class Kind(str, Enum):
    trimap = "trimap"
    duomap = "duomap"
    unimap = "unimap"
    unified = "unified"
    tt = "tt"
    ft = "ft"
    bt = "bt"
    optimal = "optimal"
    soft = "soft"


class SoftPreset(str, Enum):
    sgm = "sgm"
    bgm = "bgm"


def _kinds_help() -> str:
    from trimaps._generate import KINDS

    return "\n\n".join(f"[bold]{k}[/]: {v}" for k, v in KINDS.items())


@app.command(
    help=(
        "Write one 8-bit PNG per alpha matte in ALPHA_DIR into --out, with the same file "
        "name (suffix .png). Mattes are 8-bit gray PNG/JPEG files (3-channel files with "
        "equal channels are read as one channel).\n\n"
        "Kinds:\n\n" + _kinds_help() + "\n\n"
        "--types FILE.json maps file names to AIM types, e.g. "
        '{"a.png": "SO", "b.png": {"type": "STM", "size": [800, 536]}} '
        "(size is \\[width, height]; a matte of another size is an error). With --types the "
        "kind defaults to unified; every file needs an entry and every entry a file.\n\n"
        "Errors name the file and the cause; a file that fails is not written, the others "
        "are, and the exit code is 2.\n\n"
        "Example: trimaps generate alphas/ --out trimaps/ --kind trimap --kernel 25"
    )
)
@guard
def generate(
    alpha_dir: Path = typer.Argument(..., help="Folder of alpha mattes (8-bit)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output folder (created if needed)."),
    kind: Kind | None = typer.Option(
        None,
        "--kind",
        "-k",
        case_sensitive=False,
        help="What to write (see the list above). Default: trimap, or unified with --types.",
    ),
    kernel: int | None = typer.Option(
        None,
        "--kernel",
        min=1,
        help="Kernel diameter in pixels (default per kind: trimap/tt 25, duomap/unified 30, "
        "ft/bt 50).",
    ),
    types: Path | None = typer.Option(
        None, "--types", help="JSON file mapping file names to AIM types SO/STM/NS."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed for kind 'soft' (mixed with each file name)."),
    tol: int = typer.Option(
        0,
        "--tol",
        min=0,
        max=127,
        help="Kind 'optimal': 8-bit levels next to 0 and 255 that count as definite.",
    ),
    preset: SoftPreset = typer.Option(
        SoftPreset.sgm,
        "--preset",
        help="Kind 'soft': sgm (semantic-guided matting) or bgm (Background Matting).",
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    written, failures = _generate_folder(
        alpha_dir,
        out,
        kind=kind.value if kind else None,
        kernel=kernel,
        types=types,
        seed=seed,
        tol=tol,
        preset=preset.value,
        quiet=quiet,
    )
    err_console.print(f"wrote {len(written)} file(s) to {out}", highlight=False, markup=False)
    if failures:
        for message in failures:
            err_console.print(
                f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True
            )
        raise typer.Exit(EXIT_BAD_INPUT)


def _generate_folder(
    alpha_dir: Path,
    out: Path,
    *,
    kind: str | None,
    kernel: int | None = None,
    types: Path | None = None,
    seed: int = 0,
    tol: int = 0,
    preset: str = "sgm",
    quiet: bool = False,
    label: str | None = None,
) -> tuple[list[Path], list[str]]:
    """Run ``generate`` on a folder; return the files written and one message per failure."""
    from trimaps._generate import DEFAULT_KERNELS, file_rng, load_types, match_types, render
    from trimaps.io import list_images, read_alpha, write_image

    files = list_images(alpha_dir)  # ImageError for a missing folder
    if not files:
        raise UsageError(f"{alpha_dir}: no image files (.png, .jpg, ...) in this folder")
    if kind is None:
        kind = "unified" if types is not None else "trimap"
    if kind == "unified" and types is None:
        raise UsageError("--kind unified needs --types FILE.json (file name -> SO/STM/NS)")
    if types is not None and kind != "unified":
        raise UsageError(
            f"--types chooses the representation per file; it goes with --kind unified, not {kind}"
        )
    if kernel is not None and DEFAULT_KERNELS[kind] is None:
        raise UsageError(f"--kernel does not apply to --kind {kind} (it has no kernel)")
    if tol and kind != "optimal":
        raise UsageError(f"--tol applies to --kind optimal only, not {kind}")
    if out.resolve() == alpha_dir.resolve():
        raise UsageError(f"{out}: the output folder is the alpha folder; choose another --out")
    targets: dict[str, Path] = {}
    for f in files:
        name = f.with_suffix(".png").name
        if name in targets:
            raise UsageError(
                f"{f}: {targets[name].name} and {f.name} would both be written as {name}"
            )
        targets[name] = f
    matched = match_types(files, load_types(types), types) if types is not None else {}

    written: list[Path] = []
    failures: list[str] = []
    with progress(disable=quiet) as bar:
        task = bar.add_task(label or kind, total=len(files))
        for f in files:
            try:
                alpha = read_alpha(f)
                entry = matched.get(f)
                if entry is not None and entry.size is not None:
                    w, h = entry.size
                    if alpha.shape != (h, w):
                        raise ImageError(
                            f,
                            f"size {alpha.shape[1]}x{alpha.shape[0]} differs from "
                            f"{w}x{h} recorded for it in {types}",
                        )
                image = render(
                    alpha,
                    kind,
                    kernel=kernel,
                    tol=tol / 255,
                    rng=file_rng(seed, f.name),
                    aim_type=entry.type if entry is not None else None,
                    preset=preset,
                )
                target = out / f.with_suffix(".png").name
                try:
                    written.append(write_image(target, image))
                except OSError as exc:  # disk full, no permission: name the output file
                    raise ImageError(target, f"cannot write ({exc.strerror or exc})") from None
            except ImageError as exc:
                failures.append(str(exc))
            bar.advance(task)
    return written, failures


@app.command(
    help=(
        "Make a small built-in sample of alpha mattes (a soft-edged disk, a hairy blob with "
        "sub-pixel strands, a semi-transparent flag) and run generate for every kind on it. "
        "Takes a few seconds. Example: trimaps demo --out trimaps-demo"
    )
)
@guard
def demo(
    out: Path = typer.Option(Path("trimaps-demo"), "--out", "-o", help="Output folder."),
    seed: int = typer.Option(0, "--seed", help="Seed for the random soft segmentations."),
) -> None:
    import json

    from trimaps._generate import KINDS
    from trimaps._samples import SAMPLE_TYPES, sample_mattes
    from trimaps.io import atomic_write_bytes, write_image

    alpha_dir = out / "alpha"
    for name, alpha in sample_mattes().items():
        write_image(alpha_dir / name, alpha)
    types_path = out / "types.json"
    atomic_write_bytes(types_path, (json.dumps(SAMPLE_TYPES, indent=2) + "\n").encode())
    console.print(
        f"sample mattes: {alpha_dir}/ ({', '.join(SAMPLE_TYPES)})", highlight=False, markup=False
    )
    console.print(f"AIM types:     {types_path}", highlight=False, markup=False)
    failed = False
    for kind in KINDS:
        written, failures = _generate_folder(
            alpha_dir,
            out / kind,
            kind=kind,
            types=types_path if kind == "unified" else None,
            seed=seed,
            quiet=True,
        )
        console.print(
            f"{kind + ':':<14} {len(written)} files in {out / kind}/", highlight=False, markup=False
        )
        for message in failures:
            failed = True
            err_console.print(
                f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True
            )
    if failed:
        raise typer.Exit(EXIT_BAD_INPUT)


class _Convention(str, Enum):
    official = "official"
    gfm = "gfm"


@app.command()
@guard
def evaluate(
    pred_dir: Path = typer.Argument(
        ..., help="Folder of predicted mattes (8-bit PNG/JPEG), matched to GT_DIR by file stem."
    ),
    gt_dir: Path = typer.Argument(
        ..., help="Folder of ground-truth mattes (gray, or 3 equal channels)."
    ),
    trimap: Path | None = typer.Option(
        None,
        "--trimap",
        help="Folder of trimaps (0/128/255), same names. official: score the 128 pixels "
        "(without it, the whole image). gfm: adds SAD-TRAN, SAD-FG, SAD-BG.",
    ),
    convention: _Convention = typer.Option(
        _Convention.official,
        "--convention",
        help="official: the Deep Image Matting MATLAB evaluation (SAD, MSE, Grad, Conn). "
        "gfm: the GFM/AIM/P3M evaluation (whole image, MAD, Grad / 10).",
    ),
    json_out: Path | None = typer.Option(
        None, "--json", help="Also write per-image values and means to this JSON file."
    ),
    groups: Path | None = typer.Option(
        None,
        "--groups",
        help='JSON mapping image name to a type label ({"name": "SO"} or AIM-500\'s '
        '{"name": {"type": "SO"}}); means are also reported per label.',
    ),
) -> None:
    """Score predicted alpha mattes against ground truth, as matting papers report them.

    Prints a table per image and the mean. Example:
    trimaps evaluate pred/ Composition-1k/alpha --trimap Composition-1k/trimaps
    """
    from trimaps._metrics_cli import run_evaluate

    run_evaluate(pred_dir, gt_dir, trimap, convention.value, json_out, groups)


def main() -> None:
    app()
