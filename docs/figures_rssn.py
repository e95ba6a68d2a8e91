"""Make the pictures of docs/rssn.md.

    python docs/figures_rssn.py            # docs/img/rssn/*.png (committed)
    python docs/figures_rssn.py --local    # also docs/_local/rssn/ from ../shared/testdata

The committed pictures use only what the project makes itself and ``skimage.data``:
the project's procedural hairy matte with the fur of ``skimage.data.chelsea()`` as
its colours, on ``skimage.data.grass()`` (tinted) with simulated sensor noise
(std 6) so that the denoising step has something to remove. ``--local`` renders a
real alphamatting.com photo on a real background, which must not be committed
(docs/_local is git-ignored).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import rssn  # noqa: E402
from trimaps._samples import hairy  # noqa: E402
from trimaps.io import write_image  # noqa: E402

LABEL_H = 22
PANEL_W = 200


def panel(image: np.ndarray, label: str, width: int = PANEL_W) -> np.ndarray:
    if image.ndim == 2:
        image = np.dstack([image] * 3)
    h = round(image.shape[0] * width / image.shape[1])
    small = cv2.resize(image, (width, h), interpolation=cv2.INTER_AREA)
    bar = np.full((LABEL_H, width, 3), 40, np.uint8)
    cv2.putText(
        bar, label, (5, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255), 1, cv2.LINE_AA
    )
    return np.vstack([bar, small])


def zoom(image: np.ndarray, box: tuple[int, int, int, int], label: str) -> np.ndarray:
    x, y, w, h = box
    crop = image[y : y + h, x : x + w]
    big = cv2.resize(crop, (PANEL_W, round(h * PANEL_W / w)), interpolation=cv2.INTER_NEAREST)
    return panel(big, label)


def grid(panels: list[np.ndarray], cols: int, gap: int = 4) -> np.ndarray:
    h = max(p.shape[0] for p in panels)
    w = panels[0].shape[1]
    rows = -(-len(panels) // cols)
    out = np.full((rows * h + (rows - 1) * gap, cols * w + (cols - 1) * gap, 3), 255, np.uint8)
    for i, p in enumerate(panels):
        r, c = divmod(i, cols)
        out[r * (h + gap) : r * (h + gap) + p.shape[0], c * (w + gap) : c * (w + gap) + w] = p
    return out


def sample() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(F, alpha, background) from skimage.data and the project's procedural matte."""
    from skimage import data

    cat = data.chelsea()  # 300 x 451 RGB
    h, w = 300, 400
    fg = np.ascontiguousarray(cat[:h, 25 : 25 + w])
    alpha = hairy((h, w), strands=110, seed=3)
    grass = data.grass().astype(np.float32) / 255  # 512 x 512 gray
    tint = np.array([0.45, 0.75, 0.35], np.float32)
    bg = grass[..., None] * tint * 255 + np.array([30, 40, 20], np.float32)
    bg = cv2.resize(bg, (900, 512), interpolation=cv2.INTER_CUBIC)  # wider than the foreground
    rng = np.random.default_rng(0)
    bg = bg + rng.normal(0, 6, bg.shape)  # simulated sensor noise for the denoising step
    return fg, alpha, np.clip(np.rint(bg), 0, 255).astype(np.uint8)


def steps_figure() -> np.ndarray:
    fg, alpha, background = sample()
    h, w = alpha.shape
    bh, bw = background.shape[:2]
    base = rssn.Params(denoise_p=0, blur_p=0, noise_p=0, denoise_method="bm3d")
    recipe = rssn.draw_recipe(
        1, "chelsea", 0, size=(w, h), bg="grass", bg_size=(bw, bh), params=base
    )
    fitted = rssn.fit_background(background, (w, h), recipe.crop)
    stretched = rssn.fit_background(background, (w, h), (0, 0, bw, bh))
    naive = rssn.composite(fg, alpha, stretched)
    f_dn = rssn.denoise(fg, "bm3d")
    # denoise_at="source" (the default): the background file is denoised whole, then fitted
    b_dn = rssn.fit_background(rssn.denoise(background, "bm3d"), (w, h), recipe.crop)
    b_blur = rssn.aperture_blur(b_dn, 30)
    comp = rssn.composite(f_dn, alpha, b_blur)
    noisy = rssn.add_noise(comp, 10, seed=recipe.noise_seed)
    box = (w // 2 - 60, h // 2 - 105, 120, 80)  # strands over the background
    panels = [
        panel(fg, "F: foreground colours"),
        panel(alpha, "alpha: procedural hairy matte"),
        panel(naive, "GFM stretch, no RSSN step"),
        panel(fitted, f"B: cover fit, crop {recipe.crop[:2]}"),
        panel(b_dn, "B: file denoised (BM3D), then fit"),
        panel(b_blur, "B blurred: 30x30 average"),
        panel(comp, "C = aF + (1-a)B"),
        panel(noisy, "C + Gaussian noise, std 10"),
        zoom(noisy, box, "zoom: strands, blur, noise"),
    ]
    return grid(panels, 3)


def local_figures(out: Path) -> None:
    from trimaps.io import read_alpha, read_rgb

    testdata = ROOT.parent / "shared" / "testdata"
    image = read_rgb(testdata / "matting" / "alphamatting" / "input" / "GT04.png")
    alpha = read_alpha(testdata / "matting" / "alphamatting" / "gt_alpha" / "GT04.png")
    bg = read_rgb(testdata / "backgrounds" / "clean" / "plasma_Path_2560x1600.jpg")
    h, w = alpha.shape
    rows = []
    for method in ("multilevel", "levin"):
        F, _ = rssn.foreground(image, alpha, method)
        params = rssn.Params(denoise_p=0, blur_p=1, noise_p=1)
        r = rssn.draw_recipe(
            0, "GT04", 0, size=(w, h), bg="Path", bg_size=bg.shape[1::-1], params=params
        )
        c = rssn.cook(r, alpha=alpha, background=bg, fg=F)
        rows += [panel(F, f"F ({method})"), panel(c.image, f"RSSN composite ({method} F)")]
    out.mkdir(parents=True, exist_ok=True)
    write_image(out / "real_GT04.png", grid(rows, 2))


def save_small_png(path: Path, image: np.ndarray) -> None:
    """A 256-colour PNG (median cut, Floyd-Steinberg): about 4x smaller, noise still visible."""
    from PIL import Image

    Image.fromarray(image).quantize(256, dither=Image.Dither.FLOYDSTEINBERG).save(
        path, optimize=True
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--local", action="store_true", help="also render real test data")
    args = parser.parse_args()
    out = ROOT / "docs" / "img" / "rssn"
    out.mkdir(parents=True, exist_ok=True)
    path = out / "steps.png"
    cv2.imwrite(
        str(path), cv2.cvtColor(steps_figure(), cv2.COLOR_RGB2BGR), [cv2.IMWRITE_PNG_COMPRESSION, 9]
    )
    print(f"{path} ({path.stat().st_size // 1024} KiB)")
    if args.local:
        local_figures(ROOT / "docs" / "_local" / "rssn")
        print(ROOT / "docs" / "_local" / "rssn" / "real_GT04.png")


if __name__ == "__main__":
    main()
