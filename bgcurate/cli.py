"""The ``bgcurate`` command: BG-20k-style background curation (Li et al., IJCV 2022, Sec. 4.1)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer

from trimaps._cliutil import EngineName, UsageError, console, err_console, guard, version_callback

app = typer.Typer(
    name="bgcurate",
    help="Build a clean, high-resolution background set in the way BG-20k was built "
    "(Li et al., IJCV 2022, Sec. 4.1).",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def _root(
    version: bool = typer.Option(
        False,
        "--version",
        callback=version_callback("bgcurate"),
        is_eager=True,
        help="Show the version and exit.",
    ),
) -> None:
    """Background curation."""


class Fmt(str, Enum):
    jpg = "jpg"
    png = "png"


@app.command(
    help=(
        "Curate the photos under SRC (searched recursively) into DIR/train and DIR/val: "
        "reject unreadable, truncated, tiny, grayscale and extreme-aspect files, remove "
        "exact and near duplicates (keeping the largest), keep images whose short side is "
        "at least --min-short, resized to --resize-short, reject images with salient "
        "objects found by the YOLO --detector, and split 75/25 by a hash of each file. "
        "DIR/report/index.html shows what was rejected and why. Rerunning on a grown "
        "folder only processes the new files; a killed run resumes.\n\n"
        "Example: bgcurate curate crawl/ --out backgrounds/ --detector yolo11n.pt"
    )
)
@guard
def curate(
    src: Path = typer.Argument(..., help="Folder of photos (searched recursively)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output folder (new, or made by bgcurate)."),
    detector: str = typer.Option(
        "yolo11n.pt",
        "--detector",
        help="Ultralytics detection weights (path or name) for salient objects and "
        "deep-embedding duplicates. Names are fetched by ultralytics when online.",
    ),
    no_detector: bool = typer.Option(
        False, "--no-detector", help="Skip the detector: no salient stage, pHash dedup only."
    ),
    min_short: int = typer.Option(1080, "--min-short", min=1, help="Keep short side >= this."),
    resize_short: int = typer.Option(
        1080, "--resize-short", min=1, help="Resize to this short side (never upscales)."
    ),
    fmt: Fmt = typer.Option(Fmt.jpg, "--format", help="Output encoding."),
    quality: int = typer.Option(95, "--quality", min=1, max=100, help="JPEG quality."),
    val_fraction: float = typer.Option(
        0.25, "--val-fraction", min=0.0, max=1.0, help="Expected share of val (BG-20k: 0.25)."
    ),
    phash_threshold: int = typer.Option(
        8,
        "--phash-threshold",
        min=-1,
        max=63,
        help="pHash Hamming distance for near duplicates (of 64 bits; -1 disables).",
    ),
    cosine_threshold: float = typer.Option(
        0.95, "--cosine-threshold", min=-1.0, max=1.0, help="Embedding cosine for duplicates."
    ),
    deep_dedup: bool = typer.Option(
        True,
        "--deep-dedup/--no-deep-dedup",
        help="With a detector, also find duplicates by embedding cosine.",
    ),
    classes: str = typer.Option(
        "all",
        "--classes",
        help="Salient classes: 'all' detector classes, or a comma list of class names and "
        "groups people, animals, vehicles (e.g. 'people,animals,car').",
    ),
    conf: float = typer.Option(0.25, "--conf", min=0.0, max=1.0, help="Detection confidence."),
    area: float = typer.Option(
        0.05, "--area", min=0.0, max=1.0, help="Reject when a box covers >= this image fraction."
    ),
    centre: float = typer.Option(
        0.5, "--centre", min=0.0, max=1.0, help="Central window (fraction of each side) ..."
    ),
    centre_area: float = typer.Option(
        0.005,
        "--centre-area",
        min=0.0,
        max=1.0,
        help="... where a box of >= this fraction whose centre lies inside also rejects.",
    ),
    imgsz: int = typer.Option(640, "--imgsz", min=32, help="Detector input size."),
    batch: int = typer.Option(8, "--batch", min=1, help="Images per detector batch."),
    workers: int = typer.Option(
        1,
        "--workers",
        min=1,
        help="Processes for the scan stage; with --engine ray and no --address, the CPUs of "
        "the local Ray instance.",
    ),
    engine: EngineName = typer.Option(
        EngineName.local,
        "--engine",
        help="Where the scan runs: local, or ray (pip install 'mattekit[ray]'); the same "
        "results. See docs/scale.md.",
    ),
    address: str | None = typer.Option(
        None,
        "--address",
        help="Ray cluster to join with --engine ray: auto, HOST:6379 or ray://HOST:10001.",
    ),
    tiny: int = typer.Option(64, "--tiny", min=1, help="Reject short side < this as tiny."),
    max_aspect: float = typer.Option(
        3.0, "--max-aspect", min=1.0, help="Reject long/short > this."
    ),
    gray_tol: float = typer.Option(
        6.0, "--gray-tol", min=0.0, help="Reject as grayscale when chroma p99 <= this."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
) -> None:
    from bgcurate._curate import CurateConfig
    from bgcurate._curate import curate as run
    from bgcurate._scan import ScanParams

    if address is not None and engine is not EngineName.ray:
        raise UsageError("--address names a Ray cluster; it needs --engine ray")
    try:
        scan = ScanParams(
            resize_short=resize_short,
            fmt=fmt.value,
            quality=quality,
            tiny=tiny,
            max_aspect=max_aspect,
            gray_tol=gray_tol,
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    config = CurateConfig(
        scan=scan,
        min_short=min_short,
        val_fraction=val_fraction,
        phash_threshold=phash_threshold,
        detector=None if no_detector else detector,
        cosine_threshold=cosine_threshold,
        deep_dedup=deep_dedup,
        classes=classes,
        conf=conf,
        area=area,
        centre=centre,
        centre_area=centre_area,
        imgsz=imgsz,
        batch=batch,
        workers=workers,
        engine=engine.value,
        address=address,
    )
    if config.detector is not None and config.detector.lower().endswith((".yaml", ".yml")):
        err_console.print(
            f"warning: {config.detector} builds an untrained model: its detections and "
            "embeddings are meaningless (use it to test the plumbing only)",
            highlight=False,
            markup=False,
        )
    result = run(src, out, config, show_progress=not quiet)
    counts = ", ".join(f"{k} {v}" for k, v in sorted(result.counts.items()))
    console.print(f"{len(result.decisions)} files: {counts}", highlight=False, markup=False)
    report = out / "report" / "index.html"
    console.print(
        f"train {result.train}, val {result.val} in {out}/; report: {report}",
        highlight=False,
        markup=False,
    )
    if no_detector:
        console.print("salient stage skipped (--no-detector)", highlight=False, markup=False)


def main() -> None:
    app()
