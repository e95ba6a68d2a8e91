"""The ``trimaps`` command."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer

from trimaps._cliutil import guard, version_callback

app = typer.Typer(
    name="trimaps",
    help="Trimaps and matting targets from alpha mattes.",
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
