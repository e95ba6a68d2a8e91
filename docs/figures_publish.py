"""Picture for docs/publish.md: rows of a published composite set, read back with datasets.

    python docs/figures_publish.py

Composes a small set with ``rssn compose`` (the project's procedural mattes,
``trimaps.sample_mattes``, with foreground colours and backgrounds from
``skimage.data``; OpenCV denoising for speed), publishes it with
``rssn.publish.write_hub_folder`` into a temporary folder, loads it with
``datasets.load_dataset`` and draws the first rows the way the Hub's viewer
lays them out: one column per feature.
Writes docs/img/publish/rows.png.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import cv2
import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from skimage import data

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import trimaps  # noqa: E402
from rssn import publish  # noqa: E402
from trimaps.io import write_image  # noqa: E402

OUT = ROOT / "docs" / "img" / "publish"
SIZE = (320, 240)  # (width, height) of the procedural mattes


def _fit(img: np.ndarray) -> np.ndarray:
    """Scale to cover SIZE, then centre-crop (no distortion)."""
    h, w = img.shape[:2]
    s = max(SIZE[0] / w, SIZE[1] / h)
    img = cv2.resize(img, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
    y = (img.shape[0] - SIZE[1]) // 2
    x = (img.shape[1] - SIZE[0]) // 2
    return img[y : y + SIZE[1], x : x + SIZE[0]]


def compose_sample(root: Path) -> Path:
    """Run ``rssn compose`` on three foregrounds and four backgrounds; return its output."""
    mattes = trimaps.sample_mattes(shape=(SIZE[1], SIZE[0]))
    colours = {"disk": data.coffee(), "hairy": data.chelsea(), "veil": data.astronaut()}
    backgrounds = {
        "motorcycle": data.stereo_motorcycle()[0],
        "rocket": data.rocket(),
        "coins": cv2.cvtColor(data.coins(), cv2.COLOR_GRAY2RGB),
        "hubble": data.hubble_deep_field(),
    }
    for name, alpha in mattes.items():  # Composition-1k layout: fg/ + alpha/
        stem = Path(name).stem
        write_image(root / "comp1k" / "fg" / f"{stem}.png", _fit(colours[stem]))
        write_image(root / "comp1k" / "alpha" / f"{stem}.png", alpha)
    for name, img in backgrounds.items():
        write_image(root / "bg" / f"{name}.jpg", img)
    (root / "types.json").write_text(json.dumps({"disk": "SO", "hairy": "SO", "veil": "STM"}))
    out = root / "out"
    cmd = [
        sys.executable, "-m", "rssn", "compose", "--fg", root / "comp1k", "--bg", root / "bg",
        "--k", "2", "--out", out, "--seed", "1", "--denoise-method", "nlm",
        "--trimap", "gfm", "--types", root / "types.json", "--workers", "1", "--quiet",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([str(c) for c in cmd], check=True, env=env)
    return out


def draw_rows(ds, path: Path, picks: tuple[int, ...] = (0, 1, 2, 4)) -> None:
    n = len(picks)
    images = ["image", "alpha", "fg", "bg", "trimap"]
    text_cols = ["fg_type", "bg_id", "denoise", "blur_kernel", "noise"]
    fig, axes = plt.subplots(
        n + 1,
        len(images) + 2,
        figsize=(11.5, 1.45 * (n + 1)),
        gridspec_kw={
            "height_ratios": [0.35] + [1] * n,
            "width_ratios": [0.8] + [1] * len(images) + [1.5],
        },
    )
    headers = ["id\nstring"] + [f"{c}\nimage" for c in images] + ["recipe columns"]
    for ax, h in zip(axes[0], headers, strict=True):
        ax.axis("off")
        ax.text(0.5, 0.2, h, ha="center", va="bottom", fontsize=9, weight="bold")
    for r, i in enumerate(picks):
        row = ds[i]
        ax = axes[r + 1][0]
        ax.axis("off")
        ax.text(0.5, 0.5, row["id"], ha="center", va="center", fontsize=9, family="monospace")
        for c, name in enumerate(images):
            ax = axes[r + 1][c + 1]
            im = np.asarray(row[name])
            ax.imshow(im, cmap="gray" if im.ndim == 2 else None, vmin=0, vmax=255)
            ax.set_xticks([])
            ax.set_yticks([])
        ax = axes[r + 1][-1]
        ax.axis("off")
        lines = "\n".join(f"{c}: {row[c]}" for c in text_cols)
        ax.text(0.02, 0.5, lines, ha="left", va="center", fontsize=7.5, family="monospace")
    fig.suptitle(
        f"load_dataset(<published folder>)['train'], rows {', '.join(map(str, picks))}",
        fontsize=10,
        y=0.995,
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=68)
    plt.close(fig)


def main() -> None:
    import datasets

    with tempfile.TemporaryDirectory() as tmp:
        out = compose_sample(Path(tmp))
        local = Path(tmp) / "hub"
        publish.write_hub_folder(out, local)
        ds = datasets.load_dataset(str(local), split="train", cache_dir=str(Path(tmp) / "cache"))
        draw_rows(ds, OUT / "rows.png")
    print(f"wrote {OUT / 'rows.png'} ({(OUT / 'rows.png').stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
