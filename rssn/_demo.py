"""The built-in sample of ``rssn demo``: made here, procedurally, in well under a second.

Three foregrounds in the Composition-1k layout (``fg/`` + ``alpha/``) whose
mattes are the project's procedural mattes (:mod:`trimaps._samples`: a
soft-edged disk, a hairy blob with sub-pixel strands, a semi-transparent flag)
and whose colours are smooth procedural textures, plus four procedural
landscape-like backgrounds (sky gradient, hills, grain). Nothing is copied from
elsewhere and nothing is downloaded; the same call writes the same bytes.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from trimaps._samples import hairy, soft_disk, veil
from trimaps.io import write_image

FG_SHAPE = (180, 240)  # (height, width)
BG_SHAPE = (300, 400)
SAMPLE_TYPES = {"disk": "SO", "hairy": "SO", "veil": "STM"}


def _smooth_noise(shape, rng, scale):
    h, w = shape
    small = rng.random((max(2, h // scale), max(2, w // scale))).astype(np.float32)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)


def _foreground_colours(shape, rng, base, accent):
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    t = (0.6 * yy / h + 0.4 * xx / w)[..., None]
    grain = _smooth_noise(shape, rng, 6)[..., None]
    rgb = (1 - t) * np.array(base, np.float32) + t * np.array(accent, np.float32)
    rgb = rgb * (0.8 + 0.4 * grain)
    return np.clip(np.rint(rgb), 0, 255).astype(np.uint8)


def _background(shape, rng, sky, ground):
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    horizon = h * (0.55 + 0.08 * np.sin(xx / w * rng.uniform(4, 9) + rng.uniform(0, 6)))
    t = (yy / h)[..., None]
    sky_rgb = (1 - t) * np.array(sky[0], np.float32) + t * np.array(sky[1], np.float32)
    shade = _smooth_noise(shape, rng, 40)[..., None]
    ground_rgb = np.array(ground, np.float32) * (0.6 + 0.6 * shade)
    img = np.where((yy >= horizon)[..., None], ground_rgb, sky_rgb)
    img += rng.normal(0, 3, img.shape).astype(np.float32)  # a little sensor grain
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def make_sample(root: str | Path) -> tuple[Path, Path]:
    """Write the sample under ``root``; return (foreground folder, background folder)."""
    root = Path(root)
    rng = np.random.default_rng(2022)
    mattes = {"disk": soft_disk(FG_SHAPE), "hairy": hairy(FG_SHAPE), "veil": veil(FG_SHAPE)}
    colours = {
        "disk": ((230, 120, 40), (120, 40, 160)),
        "hairy": ((90, 60, 35), (200, 160, 110)),
        "veil": ((240, 240, 250), (200, 30, 60)),
    }
    for name, alpha in mattes.items():
        base, accent = colours[name]
        write_image(
            root / "fg" / "fg" / f"{name}.png", _foreground_colours(FG_SHAPE, rng, base, accent)
        )
        write_image(root / "fg" / "alpha" / f"{name}.png", alpha)
    palettes = [
        (((110, 160, 230), (210, 225, 240)), (60, 110, 50)),
        (((250, 170, 90), (120, 60, 90)), (70, 50, 40)),
        (((40, 50, 90), (120, 130, 170)), (30, 40, 35)),
        (((180, 200, 210), (235, 235, 230)), (150, 140, 110)),
    ]
    for i, (sky, ground) in enumerate(palettes):
        write_image(root / "bg" / f"scene_{i}.jpg", _background(BG_SHAPE, rng, sky, ground))
    return root / "fg", root / "bg"
