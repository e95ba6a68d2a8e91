"""Time trimaps.metrics on an 800 x 600 matte, against baselines measured in the same run.

    python benchmarks/bench_metrics.py [--repeat 7]

Baselines: a plain NumPy SAD (the floor: one pass over the pixels), and a
typical Python port of the DIM evaluation (non-separable 9 x 9
scipy.ndimage.convolve for Grad, skimage.measure.label + regionprops per
threshold for Conn), written here in that style. The matte is alphamatting.com
GT13 from ../shared/testdata resized to 800 x 600 when present, otherwise a
procedural matte from skimage.data.horse(); the prediction is its Gaussian blur.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from trimaps import metrics as M  # noqa: E402


def load_matte() -> tuple[np.ndarray, np.ndarray, str]:
    data = Path(os.environ.get("MATTEKIT_TESTDATA", ROOT.parent / "shared" / "testdata"))
    am = data / "matting" / "alphamatting"
    if (am / "gt_alpha" / "GT13.png").exists():
        from trimaps.io import read_alpha, read_trimap

        gt = cv2.resize(read_alpha(am / "gt_alpha" / "GT13.png"), (800, 600), cv2.INTER_AREA)
        tri = read_trimap(am / "trimap" / "GT13.png")
        tri = cv2.resize(tri, (800, 600), interpolation=cv2.INTER_NEAREST)
        return gt, tri, "alphamatting GT13 resized to 800x600"
    from skimage.data import horse

    mask = (~horse()).astype(np.float32)
    mask = cv2.resize(mask, (800, 600), interpolation=cv2.INTER_LINEAR)
    gt = np.clip(cv2.GaussianBlur(mask, (0, 0), 3.0) * 255, 0, 255).astype(np.uint8)
    k = np.ones((25, 25), np.uint8)
    tri = np.full(gt.shape, 128, np.uint8)
    tri[cv2.erode(gt, k) == 255] = 255
    tri[cv2.dilate(gt, k) == 0] = 0
    return gt, tri, "procedural matte from skimage.data.horse() at 800x600"


def port_style(pred: np.ndarray, gt: np.ndarray, trimap: np.ndarray) -> dict[str, float]:
    """The usual Python port: 2-D kernels with scipy.ndimage.convolve, skimage labelling."""
    import scipy.ndimage as ndi
    from skimage.measure import label, regionprops

    region = trimap == 128
    p, g = pred / 255.0, gt / 255.0
    h = M.gauss_gradient_kernel(1.4)

    def amp(a):
        a = (a - a.min()) / (a.max() - a.min())
        return np.hypot(ndi.convolve(a, h, mode="nearest"), ndi.convolve(a, h.T, mode="nearest"))

    grad = float(np.sum(((amp(p) - amp(g)) ** 2)[region])) / 1000
    level = -np.ones(p.shape)
    steps = np.arange(0, 1.1, 0.1)
    for i in range(1, 11):
        lab = label((p >= steps[i]) & (g >= steps[i]), connectivity=1)
        props = regionprops(lab)
        omega = np.zeros(p.shape, bool)
        if props:
            big = props[int(np.argmax([r.area for r in props]))]
            omega[big.coords[:, 0], big.coords[:, 1]] = True
        level[(level == -1) & ~omega] = steps[i - 1]
    level[level == -1] = 1
    phi = [1 - (a - level) * ((a - level) >= 0.15) for a in (p, g)]
    conn = float(np.sum(np.abs(phi[0] - phi[1])[region])) / 1000
    sad = float(np.sum(np.abs(p - g)[region])) / 1000
    mse = float(np.mean(((p - g) ** 2)[region]))
    return {"SAD": sad, "MSE": mse, "Grad": grad, "Conn": conn}


def timeit(fn, repeat: int) -> float:
    fn()  # warm up (imports, allocations)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    gt, tri, source = load_matte()
    pred = cv2.GaussianBlur(gt, (0, 0), 2.0)
    print(f"matte: {source}; unknown pixels: {np.count_nonzero(tri == 128)}")
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, NumPy {np.__version__}, OpenCV {cv2.__version__}"
    )
    print(f"load average: {os.getloadavg()[0]:.2f} (other jobs share the CPU)\n")

    region = tri == 128
    pf, gf = pred.astype(np.float64), gt.astype(np.float64)
    rows = [
        ("baseline: plain NumPy SAD", lambda: float(np.abs(pf - gf)[region].sum()) / 255e3),
        ("baseline: port-style SAD+MSE+Grad+Conn", lambda: port_style(pred, gt, tri)),
        ("sad", lambda: M.sad(pred, gt, region)),
        ("mse", lambda: M.mse(pred, gt, region)),
        ("grad", lambda: M.grad(pred, gt, region)),
        ("conn", lambda: M.conn(pred, gt, region)),
        ("evaluate (official)", lambda: M.evaluate(pred, gt, tri)),
        ("evaluate (gfm, with trimap)", lambda: M.evaluate(pred, gt, tri, convention="gfm")),
    ]
    times = {name: timeit(fn, args.repeat) for name, fn in rows}
    floor = times["baseline: plain NumPy SAD"]
    port = times["baseline: port-style SAD+MSE+Grad+Conn"]
    print(f"{'call':40s} {'median ms':>10s} {'x plain SAD':>12s} {'x port-style':>13s}")
    for name, t in times.items():
        print(f"{name:40s} {t * 1e3:10.1f} {t / floor:12.1f} {t / port:13.2f}")
    off = M.evaluate(pred, gt, tri)
    ref = port_style(pred, gt, tri)
    print("\nofficial:   " + ", ".join(f"{k} {v:.4f}" for k, v in off.items()))
    print("port-style: " + ", ".join(f"{k} {v:.4f}" for k, v in ref.items()))


if __name__ == "__main__":
    main()
