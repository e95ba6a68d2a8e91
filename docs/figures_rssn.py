"""Make the pictures of docs/rssn.md: one foreground on one background through each RSSN step.

    python docs/figures_rssn.py            # docs/img/rssn/steps.jpg (committed; JPEG: small)
    python docs/figures_rssn.py --local    # also docs/_local/rssn/ from ../shared/testdata

The committed picture uses only what the project makes itself and what its
dependencies install: the procedural "hairy" matte of ``trimaps.sample_mattes``,
the colours of ``skimage.data.chelsea()`` as the foreground and
``skimage.data.coffee()`` as the background. Every panel is cooked by
``rssn.cook`` from a hand-made recipe, so the picture shows the code the
toolkit runs. ``--local`` renders a real alphamatting.com image with its
estimated foreground; those renders must not be committed (docs/_local is
gitignored).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import rssn  # noqa: E402
import trimaps  # noqa: E402
from trimaps.io import read_alpha, read_rgb, write_image  # noqa: E402

LABEL_H = 22


def panel(rgb: np.ndarray, label: str, width: int) -> np.ndarray:
    """An RGB (or gray) uint8 image scaled to ``width`` with a label bar on top."""
    if rgb.ndim == 2:
        rgb = np.repeat(rgb[..., None], 3, axis=2)
    h = round(rgb.shape[0] * width / rgb.shape[1])
    interp = cv2.INTER_AREA if width <= rgb.shape[1] else cv2.INTER_NEAREST
    small = cv2.resize(rgb, (width, h), interpolation=interp)
    bar = np.full((LABEL_H, width, 3), 40, np.uint8)
    cv2.putText(bar, label, (5, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255,) * 3, 1, cv2.LINE_AA)
    return np.vstack([bar, small])


def grid(panels: list[np.ndarray], cols: int, gap: int = 4) -> np.ndarray:
    h = max(p.shape[0] for p in panels)
    w = panels[0].shape[1]
    rows = -(-len(panels) // cols)
    out = np.full((rows * h + (rows - 1) * gap, cols * w + (cols - 1) * gap, 3), 255, np.uint8)
    for i, p in enumerate(panels):
        r, c = divmod(i, cols)
        out[r * (h + gap) : r * (h + gap) + p.shape[0], c * (w + gap) : c * (w + gap) + w] = p
    return out


def steps_figure(
    *,
    alpha: np.ndarray,
    background: np.ndarray,
    fg: np.ndarray | None = None,
    image: np.ndarray | None = None,
    fg_method: str | None = None,
    denoise_method: str = "bm3d",
    kernel: int = 40,
    width: int = 200,
    zoom: tuple[int, int, int] | None = None,
) -> np.ndarray:
    """Cook one composite step by step with hand-made recipes and lay the layers out.

    Row 1: F, alpha, B fitted (cover + crop), B denoised, B blurred.
    Row 2: the naive composite (GFM-style stretch, no RSSN step), the RSSN
    composite without noise, with noise (std 10), and zoomed details of the
    background before/after denoising and of the noisy composite.
    """
    H, W = alpha.shape
    bh, bw = background.shape[:2]
    base = rssn.draw_recipe(
        0,
        "figure",
        0,
        size=(W, H),
        bg="background",
        bg_size=(bw, bh),
        params=rssn.Params(
            denoise_p=0,
            blur_p=0,
            noise_p=0,
            denoise_method=denoise_method,
            fg_method=fg_method or "multilevel",
        ),
        estimate_foreground=image is not None,
    )
    # Centre the background window so the picture does not depend on the draw.
    _, centred = rssn.fit_crop((bw, bh), (W, H), "cover", (0.5, 0.5))
    base = dataclasses.replace(base, crop=centred)

    def cook(**changes) -> rssn.Composite:
        recipe = dataclasses.replace(base, **changes)
        return rssn.cook(recipe, alpha=alpha, background=background, fg=fg, image=image)

    plain = cook()
    denoised = cook(denoise=True)
    blurred = cook(denoise=True, blur_kernel=kernel)
    noisy = cook(denoise=True, blur_kernel=kernel, noise=True, noise_std=10.0)
    _, whole = rssn.fit_crop((bw, bh), (W, H), "stretch")
    naive = cook(fit="stretch", scale=None, crop=whole)

    panels = [
        panel(plain.fg, "F (foreground colours)", width),
        panel(alpha, "alpha", width),
        panel(plain.bg, "B: scale to cover, crop", width),
        panel(denoised.bg, f"B denoised ({denoise_method})", width),
        panel(blurred.bg, f"B blurred (box {kernel}x{kernel})", width),
        panel(naive.image, "naive: stretched B", width),
        panel(blurred.image, "RSSN composite", width),
        panel(noisy.image, "RSSN + noise (std 10)", width),
    ]
    if zoom is not None:
        x, y, s = zoom
        # Same aspect as the other panels, so the rows line up.
        detail = (slice(y, y + round(s * H / W)), slice(x, x + s))
        panels += [
            panel(plain.bg[detail], "B detail", width),
            panel(denoised.bg[detail], "B detail denoised", width),
        ]
    return grid(panels, cols=5)


def committed(out: Path) -> None:
    from skimage import data

    alpha = trimaps.sample_mattes((240, 320))["hairy.png"]
    fg = cv2.resize(data.chelsea(), (320, 240), interpolation=cv2.INTER_AREA)
    # coffee() is 600x400: a real photo whose sensor noise the BM3D panel removes.
    fig = steps_figure(alpha=alpha, fg=fg, background=data.coffee(), zoom=(20, 20, 64))
    write_image(out / "steps.jpg", fig)
    print("wrote", out / "steps.jpg")


def local(out: Path, testdata: Path) -> None:
    am = testdata / "matting" / "alphamatting"
    image = read_rgb(am / "input" / "GT04.png")
    alpha = read_alpha(am / "gt_alpha" / "GT04.png")
    # Keep BM3D affordable: a 360-px-wide crop of the photo, its matte and a background.
    y0, x0, h, w = 150, 220, 270, 360
    image = np.ascontiguousarray(image[y0 : y0 + h, x0 : x0 + w])
    alpha = np.ascontiguousarray(alpha[y0 : y0 + h, x0 : x0 + w])
    background = read_rgb(testdata / "backgrounds" / "clean" / "plasma_Path_2560x1600.jpg")
    fig = steps_figure(
        alpha=alpha,
        image=image,
        fg_method="multilevel",
        background=background,
        zoom=(10, 10, 64),
    )
    write_image(out / "steps_GT04.jpg", fig)
    print("wrote", out / "steps_GT04.jpg")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--local", action="store_true", help="also render ../shared/testdata")
    args = ap.parse_args()
    committed(ROOT / "docs" / "img" / "rssn")
    if args.local:
        local(ROOT / "docs" / "_local" / "rssn", ROOT.parent / "shared" / "testdata")


if __name__ == "__main__":
    main()
