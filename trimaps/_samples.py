"""Procedural alpha mattes made by the project, for the demo, the docs and tests.

Each matte is drawn on a 4x supersampled canvas and area-averaged down, so edges
and thin strands get genuine fractional alpha, as a real matte has. They are
deterministic: the same call gives the same bytes.
"""

from __future__ import annotations

import cv2
import numpy as np

_SS = 4  # supersampling factor


def _downsample(canvas: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    h, w = shape
    small = cv2.resize(canvas, (w, h), interpolation=cv2.INTER_AREA)
    return np.clip(np.rint(small * 255), 0, 255).astype(np.uint8)


def soft_disk(shape: tuple[int, int] = (240, 320), edge: float = 8.0) -> np.ndarray:
    """An opaque disk whose rim fades linearly to 0 over ``edge`` pixels (``uint8``)."""
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r = np.hypot(yy - h / 2, xx - w / 2)
    radius = 0.3 * min(h, w)
    a = np.clip((radius + edge / 2 - r) / edge, 0, 1)
    return np.rint(a * 255).astype(np.uint8)


def hairy(shape: tuple[int, int] = (240, 320), strands: int = 90, seed: int = 7) -> np.ndarray:
    """An opaque blob with thin, partly transparent curved strands around it (``uint8``)."""
    h, w = shape
    rng = np.random.default_rng(seed)
    big = np.zeros((h * _SS, w * _SS), np.float32)
    cy, cx = h * _SS * 0.55, w * _SS * 0.5
    ry, rx = h * _SS * 0.22, w * _SS * 0.16
    cv2.ellipse(big, (int(cx), int(cy)), (int(rx), int(ry)), 0, 0, 360, 1.0, -1, cv2.LINE_AA)
    for _ in range(strands):
        theta = rng.uniform(-np.pi, 0.15 * np.pi)  # mostly the upper half, like hair
        length = rng.uniform(0.25, 0.6) * min(h, w) * _SS
        curl = rng.uniform(-1.2, 1.2)
        opacity = rng.uniform(0.35, 1.0)
        thickness = int(rng.integers(1, 4))  # 1-3 supersampled px: sub-pixel strands
        t = np.linspace(0, 1, 24)
        ang = theta + curl * t * t
        start_y = cy + ry * 0.9 * np.sin(theta)
        start_x = cx + rx * 0.9 * np.cos(theta)
        ys = start_y + np.cumsum(np.sin(ang)) * length / len(t)
        xs = start_x + np.cumsum(np.cos(ang)) * length / len(t)
        pts = np.stack([xs, ys], axis=1).round().astype(np.int32)
        layer = np.zeros_like(big)
        cv2.polylines(layer, [pts], False, opacity, thickness, cv2.LINE_AA)
        big = np.maximum(big, layer)
    return _downsample(big, shape)


def veil(shape: tuple[int, int] = (240, 320)) -> np.ndarray:
    """An opaque pole with a semi-transparent flag whose opacity varies (``uint8``)."""
    h, w = shape
    big = np.zeros((h * _SS, w * _SS), np.float32)
    H, W = h * _SS, w * _SS
    cv2.rectangle(big, (int(W * 0.2), int(H * 0.1)), (int(W * 0.24), int(H * 0.95)), 1.0, -1)
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    x0, x1 = W * 0.24, W * 0.85
    wave = H * 0.04 * np.sin((xx - x0) / (x1 - x0) * 2 * np.pi)
    top, bottom = H * 0.15 + wave, H * 0.55 + wave
    inside = (xx >= x0) & (xx <= x1) & (yy >= top) & (yy <= bottom)
    # opacity from 0.8 at the pole to 0.25 at the free end, with soft folds
    opacity = 0.8 - 0.55 * (xx - x0) / (x1 - x0) + 0.08 * np.sin((yy - top) / H * 40)
    flag = np.where(inside, np.clip(opacity, 0.05, 0.95), 0).astype(np.float32)
    big = np.maximum(big, flag)
    return _downsample(big, shape)


def sample_mattes(shape: tuple[int, int] = (240, 320)) -> dict[str, np.ndarray]:
    """The built-in sample: ``{"disk.png", "hairy.png", "veil.png"}`` -> ``uint8`` matte.

    A soft-edged disk (SO type in AIM's terms), a hairy blob whose strands are
    thinner than a pixel (SO), and a semi-transparent flag on a pole (STM).
    """
    return {"disk.png": soft_disk(shape), "hairy.png": hairy(shape), "veil.png": veil(shape)}


#: AIM image types of the built-in sample (for ``--types`` in the demo).
SAMPLE_TYPES = {"disk.png": "SO", "hairy.png": "SO", "veil.png": "STM"}
