"""The I/O edge of ``trimaps evaluate``: match folders by file stem, read, score, report.

The metrics themselves are the pure functions of :mod:`trimaps.metrics`.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
from rich.table import Table

from trimaps._cliutil import UsageError, console, err_console, progress
from trimaps._metrics import METRIC_NAMES, UNKNOWN, evaluate, summarize
from trimaps.io import ImageError, atomic_write_bytes, list_images, read_alpha, read_trimap


def _by_stem(folder: Path) -> dict[str, Path]:
    images = list_images(folder)
    found: dict[str, Path] = {}
    for path in images:
        if path.stem in found:
            raise UsageError(
                f"{folder}: two images are named {path.stem!r} "
                f"({found[path.stem].name}, {path.name}); names are matched by file stem"
            )
        found[path.stem] = path
    return found


def _few(names: list[str], n: int = 5) -> str:
    shown = ", ".join(names[:n])
    return shown + (f" and {len(names) - n} more" if len(names) > n else "")


def match_folders(
    pred_dir: Path, gt_dir: Path, trimap_dir: Path | None = None
) -> list[tuple[str, Path, Path, Path | None]]:
    """``(name, prediction, ground truth, trimap)`` for every ground-truth matte.

    Every ground-truth matte needs a prediction (a mean over a subset is not
    comparable) and, with ``trimap_dir``, a trimap; predictions without ground
    truth are reported on stderr and skipped.
    """
    preds = _by_stem(pred_dir)
    gts = _by_stem(gt_dir)
    trimaps = _by_stem(trimap_dir) if trimap_dir is not None else None
    if not preds:
        raise UsageError(f"{pred_dir}: no images (looked for .png, .jpg, .bmp, .tif, .webp)")
    if not gts:
        raise UsageError(f"{gt_dir}: no images (looked for .png, .jpg, .bmp, .tif, .webp)")
    common = sorted(set(preds) & set(gts))
    if not common:
        raise UsageError(
            f"no prediction in {pred_dir} has a ground truth of the same name in {gt_dir} "
            f"(predictions: {_few(sorted(preds), 3)}; ground truth: {_few(sorted(gts), 3)})"
        )
    missing = sorted(set(gts) - set(preds))
    if missing:
        raise UsageError(
            f"{pred_dir}: no prediction for {len(missing)} of {len(gts)} ground-truth mattes "
            f"in {gt_dir}: {_few(missing)}"
        )
    extra = sorted(set(preds) - set(gts))
    if extra:
        err_console.print(
            f"[yellow]warning:[/] {len(extra)} prediction(s) in {pred_dir} have no ground "
            f"truth and are not scored: {_few(extra)}",
            highlight=False,
        )
    rows = []
    for name in common:
        trimap = None
        if trimaps is not None:
            if name not in trimaps:
                raise UsageError(f"{trimap_dir}: no trimap named {name!r} (for {preds[name]})")
            trimap = trimaps[name]
        rows.append((name, preds[name], gts[name], trimap))
    return rows


def read_groups(path: Path) -> dict[str, str]:
    """Image name -> type label from JSON.

    Accepts ``{"name": "SO"}`` or AIM-500's ``{"name": {"type": "SO", "category": ...}}``;
    names may carry a suffix (matched by stem).
    """
    try:
        data = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"{path}: not a readable JSON file ({exc})") from None
    if not isinstance(data, dict):
        raise UsageError(f"{path}: expected a JSON object mapping image names to labels")
    groups = {}
    for name, value in data.items():
        if isinstance(value, dict) and "type" in value:
            value = value["type"]
        if not isinstance(value, str | int):
            raise UsageError(f"{path}: the label of {name!r} is not a string or a {{'type': ...}}")
        groups[Path(name).stem] = str(value)
    return groups


def score_one(
    name: str, pred_path: Path, gt_path: Path, trimap_path: Path | None, convention: str
) -> dict[str, float]:
    """Read one triple, check sizes, and :func:`trimaps.metrics.evaluate` it."""
    pred = read_alpha(pred_path)
    gt = read_alpha(gt_path)
    if pred.shape != gt.shape:
        raise ImageError(
            pred_path,
            f"size {pred.shape[1]}x{pred.shape[0]} differs from the ground truth "
            f"{gt_path} ({gt.shape[1]}x{gt.shape[0]})",
        )
    trimap = None
    if trimap_path is not None:
        trimap = read_trimap(trimap_path)
        if trimap.shape != gt.shape:
            raise ImageError(
                trimap_path,
                f"size {trimap.shape[1]}x{trimap.shape[0]} differs from the ground truth "
                f"{gt_path} ({gt.shape[1]}x{gt.shape[0]})",
            )
        if not np.any(trimap == UNKNOWN):
            other = np.unique(trimap[(trimap != 0) & (trimap != 255)])
            if other.size:
                raise ImageError(
                    trimap_path,
                    f"no pixel is {UNKNOWN} (unknown) but values {_few([str(v) for v in other])} "
                    f"are neither 0 nor 255; the evaluations count trimap == {UNKNOWN} as unknown",
                )
    try:
        return evaluate(pred, gt, trimap, convention=convention)  # type: ignore[arg-type]
    except ValueError as exc:  # pragma: no cover - inputs are checked above
        raise UsageError(f"{name}: {exc}") from None


def _fmt(metric: str, value: float) -> str:
    if math.isnan(value):
        return "nan"
    return f"{value:.6f}" if metric.startswith(("MSE", "MAD")) else f"{value:.3f}"


def _jsonable(value: float) -> float | None:
    return None if isinstance(value, float) and math.isnan(value) else value


def run_evaluate(
    pred_dir: Path,
    gt_dir: Path,
    trimap_dir: Path | None,
    convention: str,
    json_out: Path | None,
    groups_path: Path | None,
) -> dict:
    """Score a folder, print the table, write the JSON; return the JSON document."""
    rows = match_folders(pred_dir, gt_dir, trimap_dir)
    groups = read_groups(groups_path) if groups_path is not None else None
    if groups is not None:
        unlabelled = [name for name, *_ in rows if name not in groups]
        if unlabelled:
            raise UsageError(f"{groups_path}: no label for {len(unlabelled)} image(s): "
                             f"{_few(unlabelled)}")  # fmt: skip
    results: dict[str, dict[str, float]] = {}
    with progress(transient=True) as bar:
        task = bar.add_task("scoring", total=len(rows))
        for name, pred_path, gt_path, trimap_path in rows:
            results[name] = score_one(name, pred_path, gt_path, trimap_path, convention)
            bar.advance(task)
    summary = summarize(results, groups)
    metrics = [m for m in METRIC_NAMES[convention] if m in results[rows[0][0]]]

    region = (
        "trimap == 128"
        if convention == "official" and trimap_dir is not None
        else "whole image" + (" + trimap regions" if trimap_dir is not None else "")
    )
    table = Table(title=f"{convention} convention ({region}), {len(rows)} images")
    table.add_column("image")
    if groups is not None:
        table.add_column("type")
    for m in metrics:
        table.add_column(m, justify="right")
    for name in results:
        label = [groups[name]] if groups is not None else []
        table.add_row(name, *label, *(_fmt(m, results[name][m]) for m in metrics))
    table.add_section()
    for key, row in summary.items():
        label = [""] if groups is not None else []
        table.add_row(
            f"{key} ({row['count']})", *label, *(_fmt(m, row[m]) for m in metrics), style="bold"
        )
    console.print(table)

    doc = {
        "convention": convention,
        "pred_dir": str(pred_dir),
        "gt_dir": str(gt_dir),
        "trimap_dir": None if trimap_dir is None else str(trimap_dir),
        "metrics": metrics,
        "images": {
            name: {
                **({"type": groups[name]} if groups is not None else {}),
                **{m: _jsonable(v) for m, v in values.items()},
            }
            for name, values in results.items()
        },
        "summary": {k: {m: _jsonable(v) for m, v in row.items()} for k, row in summary.items()},
    }
    if json_out is not None:
        atomic_write_bytes(json_out, (json.dumps(doc, indent=2) + "\n").encode())
        err_console.print(f"wrote {json_out}", highlight=False)
    return doc
