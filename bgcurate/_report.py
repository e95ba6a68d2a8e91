"""The report for the manual double-check BG-20k describes (Li et al., IJCV 2022, Sec. 4.1).

``OUT/report/`` holds ``report.json`` (counts per stage and reason, duplicate
groups), contact sheets (PNG) of the rejected images per reason and of the
duplicate groups, and ``index.html`` showing all of it. Thumbnails are cached
in ``OUT/cache/thumbs`` so that a rerun redraws the sheets quickly.

Drawing is a pure function (:func:`contact_sheet`: tiles in, image out); reading
thumbnails and writing files happen in :func:`write_report`.
"""

from __future__ import annotations

import html
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from trimaps.io import atomic_write_bytes, write_image

__all__ = ["Tile", "contact_sheet", "write_report"]

TILE_W, TILE_H, CAPTION_H = 200, 150, 34
COLUMNS = 6
ROWS_PER_SHEET = 6
#: At most this many images per reason are drawn (the HTML says how many were left out).
MAX_PER_REASON = 360
GREEN, RED, GRAY = (40, 170, 60), (210, 40, 40), (128, 128, 128)


@dataclass
class Tile:
    """One picture on a contact sheet: an RGB thumbnail (or None), captions and a border."""

    image: np.ndarray | None
    lines: Sequence[str]
    border: tuple[int, int, int] | None = None
    boxes: Sequence[Sequence[float]] = ()  # normalised xyxy boxes to outline


def _ascii(text: str, width: int) -> str:
    text = text.encode("ascii", "replace").decode()
    max_chars = width // 6
    return text if len(text) <= max_chars else text[: max_chars - 2] + ".."


def _render_tile(tile: Tile) -> np.ndarray:
    canvas = np.full((TILE_H + CAPTION_H, TILE_W, 3), 255, np.uint8)
    if tile.image is None:
        canvas[:TILE_H] = 225
        cv2.putText(canvas, "no picture", (50, TILE_H // 2), cv2.FONT_HERSHEY_SIMPLEX, 0.5, GRAY)
    else:
        img = tile.image
        h, w = img.shape[:2]
        s = min((TILE_W - 8) / w, (TILE_H - 8) / h)
        nw, nh = max(1, round(w * s)), max(1, round(h * s))
        small = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_AREA)
        x0, y0 = (TILE_W - nw) // 2, (TILE_H - nh) // 2
        canvas[y0 : y0 + nh, x0 : x0 + nw] = small
        for x1, y1, x2, y2 in tile.boxes:
            p1 = (x0 + round(x1 * nw), y0 + round(y1 * nh))
            p2 = (x0 + round(x2 * nw) - 1, y0 + round(y2 * nh) - 1)
            cv2.rectangle(canvas, p1, p2, (255, 200, 0), 2)
        if tile.border is not None:
            cv2.rectangle(canvas, (x0 - 3, y0 - 3), (x0 + nw + 2, y0 + nh + 2), tile.border, 3)
    for k, line in enumerate(tile.lines[:2]):
        cv2.putText(
            canvas,
            _ascii(line, TILE_W),
            (4, TILE_H + 13 + 15 * k),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.36,
            (20, 20, 20),
            1,
            cv2.LINE_AA,
        )
    return canvas


def contact_sheet(tiles: Sequence[Tile], *, columns: int = COLUMNS, title: str = "") -> np.ndarray:
    """Lay ``tiles`` out in a grid (row-major) under an optional title; RGB ``uint8``.

    Each tile is a thumbnail fitted into 200x150 px with up to two caption lines; a
    border colour marks kept (green) and rejected (red) members of a duplicate group.
    """
    if not tiles:
        raise ValueError("contact_sheet needs at least one tile")
    rendered = [_render_tile(t) for t in tiles]
    rows = -(-len(rendered) // columns)
    cols = max(min(columns, len(rendered)), 3)  # room for the title
    th, tw = rendered[0].shape[:2]
    top = 28 if title else 0
    sheet = np.full((top + rows * th, cols * tw, 3), 255, np.uint8)
    if title:
        cv2.putText(
            sheet,
            _ascii(title, cols * tw),
            (6, 20),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.55,
            (0, 0, 0),
            1,
            cv2.LINE_AA,
        )
    for k, r in enumerate(rendered):
        y, x = top + (k // columns) * th, (k % columns) * tw
        sheet[y : y + th, x : x + tw] = r
    return sheet


def _thumbnail(out: Path, src: Path, path: str, sha: str | None, fmt: str) -> np.ndarray | None:
    """RGB thumbnail (longest side 256) of a source file, cached by content hash."""
    from bgcurate._scan import work_name

    if sha is None:
        return None
    cached = out / "cache" / "thumbs" / f"{sha}.jpg"
    if cached.exists():
        img = cv2.imread(str(cached), cv2.IMREAD_COLOR)
        if img is not None:
            return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    work = out / "cache" / work_name(sha, fmt)
    rgb = None
    if work.exists():
        bgr = cv2.imread(str(work), cv2.IMREAD_COLOR)
        rgb = None if bgr is None else cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    if rgb is None:  # rejected at the scan: no working copy; try the source itself
        from PIL import Image, ImageFile, ImageOps

        before = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = True  # show what a truncated file still holds
        try:
            with Image.open(src / path) as im:
                im.draft("RGB", (512, 512))  # JPEG: decode at a reduced scale
                rgb = np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
        except Exception:  # unreadable: the tile says "no picture"
            return None
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = before
    h, w = rgb.shape[:2]
    s = min(1.0, 256 / max(h, w))
    thumb = cv2.resize(rgb, (max(1, round(w * s)), max(1, round(h * s))), cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(thumb, cv2.COLOR_RGB2BGR), [1, 85])
    if not ok:  # pragma: no cover
        return thumb
    atomic_write_bytes(cached, buf.tobytes())
    # draw the decoded JPEG, so that a rerun (which reads the cache) draws the same bytes
    return cv2.cvtColor(cv2.imdecode(buf, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def _blank() -> Tile:
    return Tile(np.full((1, 1, 3), 255, np.uint8), [])


def _pages(items: list, size: int) -> list[list]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def stage_counts(result, config) -> dict:
    """Counts per stage, in pipeline order."""
    from bgcurate._scan import SCAN_REASONS

    c = Counter(d["reason"] or "kept" for d in result.decisions)
    total = len(result.decisions)
    scan_rejected = {r: c[r] for r in SCAN_REASONS if c[r]}
    passed = total - sum(scan_rejected.values())
    return {
        "files": total,
        "scan": {"passed": passed, "rejected": scan_rejected},
        "dedup": {"groups": len(result.groups), "duplicates": c["duplicate"]},
        "resolution": {"min_short": config.min_short, "rejected": c["low-resolution"]},
        "salient": (
            {"skipped": "--no-detector"}
            if config.detector is None
            else {"detector": config.detector, "rejected": c["salient"]}
        ),
        "kept": c["kept"],
        "train": result.train,
        "val": result.val,
    }


def write_report(out: Path, src: Path, result, config, detections: dict | None = None) -> Path:
    """Write ``out/report/`` (JSON, contact sheets, HTML); return the folder.

    Parameters
    ----------
    detections : dict, optional
        ``{sha256: detections}``: the detections that made the salient rule reject an image,
        outlined on its tile.
    """
    from bgcurate._curate import REASONS

    folder = out / "report"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    fmt = config.scan.fmt
    by_path = {d["path"]: d for d in result.decisions}
    counts = Counter(d["reason"] or "kept" for d in result.decisions)
    sheets: dict[str, list[str]] = {}
    shown: dict[str, int] = {}
    for reason in REASONS:
        rows = [d for d in result.decisions if d["reason"] == reason][:MAX_PER_REASON]
        if not rows:
            continue
        shown[reason] = len(rows)
        tiles = []
        for d in rows:
            boxes = []
            if reason == "salient" and detections and d["sha256"] in detections:
                boxes = [x["box"] for x in detections[d["sha256"]]]
            tiles.append(
                Tile(
                    _thumbnail(out, src, d["path"], d["sha256"], fmt),
                    [d["path"], d["detail"]],
                    boxes=boxes,
                )
            )
        for k, page in enumerate(_pages(tiles, COLUMNS * ROWS_PER_SHEET), start=1):
            name = f"rejected_{reason}_{k:03d}.png"
            title = f"rejected: {reason} ({counts[reason]} files), sheet {k}"
            write_image(folder / name, contact_sheet(page, title=title))
            sheets.setdefault(reason, []).append(name)
    # duplicate groups: one row per group, the kept member first (green)
    group_sheets = []
    for k, page in enumerate(_pages(result.groups, ROWS_PER_SHEET), start=1):
        rows = []
        for g in page:
            members = g[:COLUMNS]
            for j, p in enumerate(members):
                label = "kept" if j == 0 else "duplicate"
                if j == COLUMNS - 1 and len(g) > COLUMNS:
                    label += f" (+{len(g) - COLUMNS} more)"
                thumb = _thumbnail(out, src, p, by_path[p]["sha256"], fmt)
                rows.append(Tile(thumb, [p, label], border=GREEN if j == 0 else RED))
            rows.extend(_blank() for _ in range(COLUMNS - len(members)))
        name = f"duplicates_{k:03d}.png"
        write_image(folder / name, contact_sheet(rows, title=f"duplicate groups, sheet {k}"))
        group_sheets.append(name)
    stages = stage_counts(result, config)
    data = {
        "counts": dict(sorted(counts.items())),
        "stages": stages,
        "groups": result.groups,
        "sheets": {**sheets, "duplicates": group_sheets},
        "detector": config.detector,
        "processed": result.processed,
    }
    atomic_write_bytes(folder / "report.json", (json.dumps(data, indent=2) + "\n").encode())
    atomic_write_bytes(
        folder / "index.html", _html(stages, counts, sheets, shown, group_sheets, result).encode()
    )
    return folder


def _html(stages, counts, sheets, shown, group_sheets, result) -> str:
    e = html.escape
    rows = []
    scan = stages["scan"]
    rows.append(("scan", f"{stages['files']} files, {scan['passed']} passed"))
    for r, n in scan["rejected"].items():
        rows.append(("", f"rejected {r}: {n}"))
    rows.append(
        (
            "dedup",
            f"{stages['dedup']['groups']} groups, {stages['dedup']['duplicates']} "
            "duplicates rejected (the largest member of each group is kept)",
        )
    )
    res = stages["resolution"]
    rows.append(("resolution", f"short side < {res['min_short']}: {res['rejected']} rejected"))
    sal = stages["salient"]
    rows.append(
        (
            "salient",
            "skipped (--no-detector)"
            if "skipped" in sal
            else f"{sal['rejected']} rejected by {sal['detector']}",
        )
    )
    rows.append(("kept", f"{stages['kept']} (train {stages['train']}, val {stages['val']})"))
    table = "\n".join(f"<tr><th>{e(a)}</th><td>{e(b)}</td></tr>" for a, b in rows)
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>bgcurate report</title>",
        "<style>body{font-family:sans-serif;margin:2em}th{text-align:left;padding-right:1em}"
        "img{max-width:100%;border:1px solid #ccc;margin:.5em 0}</style></head><body>",
        "<h1>bgcurate report</h1>",
        f"<table>{table}</table>",
        "<p>Check the sheets by eye, as BG-20k's authors did after their automatic "
        "filters. Green: kept member of a duplicate group; red: rejected.</p>",
    ]
    for reason, names in sheets.items():
        more = counts[reason] - shown[reason]
        note = f" (first {shown[reason]} shown)" if more > 0 else ""
        parts.append(f"<h2 id='{e(reason)}'>rejected: {e(reason)} ({counts[reason]}){note}</h2>")
        parts += [f"<a href='{e(n)}'><img src='{e(n)}' alt='{e(n)}'></a>" for n in names]
    if group_sheets:
        parts.append(f"<h2 id='duplicates'>duplicate groups ({len(result.groups)})</h2>")
        parts += [f"<a href='{e(n)}'><img src='{e(n)}' alt='{e(n)}'></a>" for n in group_sheets]
    parts.append("</body></html>\n")
    return "\n".join(parts)
