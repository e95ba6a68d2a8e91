"""Picture for docs/publish.md: rows of a published composite set, read back with datasets.

    python docs/figures_publish.py

Builds a small composite set from the project's procedural mattes
(``trimaps.sample_mattes``) with foreground colours and backgrounds from
``skimage.data``, publishes it with ``rssn.publish.write_hub_folder`` into a
temporary folder, loads it with ``datasets.load_dataset`` and draws the first
rows the way the Hub's viewer lays them out: one column per feature.
Writes docs/img/publish/rows.png.
"""

from __future__ import annotations

import json
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


def compose_sample(out: Path) -> Path:
    """A small set laid out as ``rssn compose`` writes it (plain blend, no RSSN steps)."""
    mattes = trimaps.sample_mattes(shape=(SIZE[1], SIZE[0]))
    colours = {"disk": data.coffee(), "hairy": data.chelsea(), "veil": data.astronaut()}
    types = {"disk": "SO", "hairy": "SO", "veil": "STM"}
    backgrounds = {
        "motorcycle.png": data.stereo_motorcycle()[0],
        "rocket.png": data.rocket(),
        "coins.png": cv2.cvtColor(data.coins(), cv2.COLOR_GRAY2RGB),
    }
    rows = []
    bg_names = sorted(backgrounds)
    for n, (stem, alpha) in enumerate(sorted((Path(k).stem, v) for k, v in mattes.items())):
        fg = _fit(colours[stem])
        for k in range(2):
            bg_name = bg_names[(n + k) % len(bg_names)]
            bg = _fit(backgrounds[bg_name])
            kernel = 0 if k == 0 else 20
            if kernel:  # RSSN's aperture blur on the background
                bg = cv2.blur(bg, (kernel, kernel))
            a = alpha[..., None].astype(np.float32) / 255
            image = np.clip(np.rint(a * fg + (1 - a) * bg), 0, 255).astype(np.uint8)
            trimap = trimaps.to_uint8(trimaps.trimap(alpha, kernel=15))
            cid = f"{stem}_{k}"
            outputs = {}
            for name, arr in (
                ("image", image),
                ("alpha", alpha),
                ("fg", fg),
                ("bg", bg),
                ("trimap", trimap),
            ):
                write_image(out / name / f"{cid}.png", arr)
                outputs[name] = f"{name}/{cid}.png"
            recipe = {
                "seed": 0,
                "fg_id": stem,
                "k": k,
                "size": list(SIZE),
                "bg": bg_name,
                "bg_size": [backgrounds[bg_name].shape[1], backgrounds[bg_name].shape[0]],
                "fit": "cover",
                "scale": None,
                "crop": [0, 0, SIZE[0], SIZE[1]],
                "denoise": False,
                "denoise_method": "nlm",
                "denoise_sigma": None,
                "blur_kernel": kernel,
                "noise": False,
                "noise_std": 10.0,
                "noise_seed": 100 * n + k,
                "fg_method": None,
                "fg_type": types[stem],
            }
            rows.append(
                {
                    "id": cid,
                    "fg_id": stem,
                    "k": k,
                    "fg_type": types[stem],
                    "inputs": {},
                    "recipe": recipe,
                    "outputs": outputs,
                }
            )
    (out / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    run = {"tool": "rssn compose", "mattekit": "0.1.0", "config": {"seed": 0, "k": 2}}
    (out / "run.json").write_text(json.dumps(run))
    return out


def draw_rows(ds, path: Path, n: int = 4) -> None:
    images = ["image", "alpha", "fg", "bg", "trimap"]
    text_cols = ["fg_type", "bg_id", "blur_kernel", "denoise", "noise"]
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
    for r in range(n):
        row = ds[r]
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
    fig.suptitle("load_dataset(<published folder>)['train']: the first rows", fontsize=10, y=0.995)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=72)
    plt.close(fig)


def main() -> None:
    import datasets

    with tempfile.TemporaryDirectory() as tmp:
        out = compose_sample(Path(tmp) / "out")
        local = Path(tmp) / "hub"
        publish.write_hub_folder(out, local)
        ds = datasets.load_dataset(str(local), split="train", cache_dir=str(Path(tmp) / "cache"))
        draw_rows(ds, OUT / "rows.png")
    print(f"wrote {OUT / 'rows.png'} ({(OUT / 'rows.png').stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
