"""Make the pictures of docs/trimaps.md.

    python docs/figures_trimaps.py            # docs/img/trimaps/*.png (committed)
    python docs/figures_trimaps.py --local    # also docs/_local/trimaps/ from ../shared/testdata

The committed pictures use only the project's own procedural mattes
(``trimaps.sample_mattes``); ``--local`` renders the real alphamatting.com
ground-truth mattes, which must not be committed (docs/_local is gitignored).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import trimaps  # noqa: E402
from trimaps.io import list_images, read_alpha, write_image  # noqa: E402

LABEL_H = 22


def panel(image: np.ndarray, label: str, width: int) -> np.ndarray:
    """A gray map in [0, 1] (or uint8) scaled to ``width`` with a label bar on top."""
    img = image if image.dtype == np.uint8 else trimaps.to_uint8(np.clip(image, 0, 1))
    h = round(img.shape[0] * width / img.shape[1])
    small = cv2.resize(img, (width, h), interpolation=cv2.INTER_AREA)
    bar = np.full((LABEL_H, width), 40, np.uint8)
    cv2.putText(bar, label, (5, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.45, 255, 1, cv2.LINE_AA)
    return np.vstack([bar, small])


def grid(panels: list[np.ndarray], cols: int, gap: int = 4) -> np.ndarray:
    h, w = panels[0].shape
    rows = -(-len(panels) // cols)
    out = np.full((rows * h + (rows - 1) * gap, cols * w + (cols - 1) * gap), 255, np.uint8)
    for i, p in enumerate(panels):
        r, c = divmod(i, cols)
        out[r * (h + gap) : r * (h + gap) + h, c * (w + gap) : c * (w + gap) + w] = p
    return out


def overview(alpha: np.ndarray, width: int = 260) -> np.ndarray:
    """Every representation of one matte, side by side."""
    tt, ft, bt = (trimaps.rosta(alpha, v) for v in ("tt", "ft", "bt"))
    items = [
        (alpha, "alpha"),
        (trimaps.trimap(alpha, 25), "trimap k=25 (GFM)"),
        (trimaps.unified(alpha, "stm"), "duomap 1.5T-T^2 (AIM)"),
        (trimaps.unified(alpha, "ns"), "unimap 0.5 (AIM)"),
        (trimaps.optimal_trimap(alpha), "optimal (AdaMatting)"),
        (ft.glance, "FT glance F (GFM)"),
        (ft.focus, "FT focus alpha-F"),
        (bt.glance, "BT glance B (GFM)"),
        (bt.focus, "BT focus B-alpha"),
        (tt.focus, "TT focus: alpha on band"),
        (trimaps.random_trimap(alpha, rng=1), "random trimap (GCA)"),
        (trimaps.random_trimap(alpha, rng=1, relative=(0.05, 0.15)), "random, 5-15% of object"),
        (trimaps.random_soft_segmentation(alpha, rng=1), "soft segmentation (SGM)"),
        (trimaps.random_soft_segmentation(alpha, rng=1, preset="bgm"), "soft segmentation (BGM)"),
        (trimaps.preset_trimap(alpha, "p3m", rng=1), "P3M preset (k 15-30)"),
        (trimaps.preset_trimap(alpha, "aim"), "AIM preset (k 30)"),
    ]
    return grid([panel(img, label, width) for img, label in items], cols=4)


def random_draws(alpha: np.ndarray, width: int = 200) -> np.ndarray:
    """Four seeds of each random representation: reproducible, different per seed."""
    panels = [
        panel(trimaps.random_trimap(alpha, rng=s), f"random_trimap rng={s}", width)
        for s in range(4)
    ]
    panels += [
        panel(trimaps.random_soft_segmentation(alpha, rng=s), f"sgm rng={s}", width)
        for s in range(4)
    ]
    panels += [
        panel(trimaps.random_soft_segmentation(alpha, rng=s, preset="bgm"), f"bgm rng={s}", width)
        for s in range(4)
    ]
    return grid(panels, cols=4)


def fusion(alpha: np.ndarray, width: int = 260) -> np.ndarray:
    """AIM's Eq. 2 and the semantic-guided fusions on a deliberately blurry 'prediction'."""
    a = alpha.astype(np.float32) / 255
    blurry = np.clip(cv2.GaussianBlur(a, (0, 0), 6), 0, 1)  # stands in for a matting output
    u = trimaps.unified(alpha, "so")
    fg, unk = (u == 1).astype(np.float32), (u == 0.5).astype(np.float32)
    items = [
        (alpha, "ground truth"),
        (blurry, "blurry prediction M"),
        (trimaps.fuse_unified(u, blurry), "AIM Eq. 2 with U = trimap"),
        (trimaps.soft_fusion(fg, unk, blurry), "soft fusion F + U*alpha"),
    ]
    return grid([panel(img, label, width) for img, label in items], cols=4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--local", action="store_true", help="also render ../shared/testdata")
    args = parser.parse_args()
    out = ROOT / "docs" / "img" / "trimaps"
    samples = trimaps.sample_mattes((360, 480))
    figures = {
        "overview_hairy.png": overview(samples["hairy.png"]),
        "overview_veil.png": overview(samples["veil.png"]),
        "random_hairy.png": random_draws(samples["hairy.png"]),
        "fusion_hairy.png": fusion(samples["hairy.png"]),
        "samples.png": grid([panel(a, n, 240) for n, a in samples.items()], cols=3),
    }
    for name, image in figures.items():
        path = write_image(out / name, image)
        kib = path.stat().st_size // 1024
        print(f"{path.relative_to(ROOT)}  {image.shape[1]}x{image.shape[0]}  {kib} KiB")
    if args.local:
        src = ROOT.parent / "shared" / "testdata" / "matting" / "alphamatting" / "gt_alpha"
        local = ROOT / "docs" / "_local" / "trimaps"
        for p in list_images(src):
            path = write_image(local / f"overview_{p.stem}.png", overview(read_alpha(p)))
            print(f"{path.relative_to(ROOT)} (local, not committed)")


if __name__ == "__main__":
    main()
