"""Pictures for docs/metrics.md, from a procedural matte built on skimage.data.horse().

    python docs/figures_metrics.py

Writes docs/img/metrics/grad_conn.png: the ground truth and a degraded
prediction, their Gaussian-gradient magnitudes (official gaussgradient after
mat2gray), the Grad error map, the connectivity levels l and the Conn error map.

    python docs/figures_metrics.py --ports

also prints the table of docs/metrics.md that compares the official Grad and
Conn with the GCA-Matting-style Python port on ../shared/testdata (read locally,
nothing is written).
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from skimage.data import horse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from trimaps import metrics as M  # noqa: E402

OUT = ROOT / "docs" / "img" / "metrics"


def procedural_matte() -> np.ndarray:
    """Horse silhouette with soft edges and a semi-transparent mane of thin strands."""
    body = (~horse()).astype(np.float32)  # 328 x 400, 1 inside the horse
    alpha = cv2.GaussianBlur(body, (0, 0), 1.2)
    strands = np.zeros_like(alpha)
    rng = np.random.default_rng(7)
    for _ in range(40):  # thin strands hanging from the neck, 1-2 px wide
        x0 = int(rng.integers(235, 300))
        y0 = int(rng.integers(40, 90))
        x1 = x0 + int(rng.integers(-40, 10))
        y1 = y0 - int(rng.integers(25, 45))
        cv2.line(strands, (x0, y0), (x1, y1), float(rng.uniform(0.4, 0.9)), 1, cv2.LINE_AA)
    alpha = np.maximum(alpha, strands)
    return np.round(np.clip(alpha, 0, 1) * 255).astype(np.uint8)


def degraded(gt: np.ndarray) -> np.ndarray:
    """Blurred prediction whose strands are broken (disconnected) half way up."""
    pred = cv2.GaussianBlur(gt, (0, 0), 1.8)
    band = np.zeros(gt.shape, bool)
    band[50:60, 200:320] = True
    cut = band & (cv2.GaussianBlur(gt, (0, 0), 4.0) < 160)  # strands only, not the neck
    pred[cut] = pred[cut] // 4
    return pred


def _port_conn(pred, gt, trimap, *, background_counts):
    """GCA-Matting utils/evaluate.py's Conn, rewritten: np.arange thresholds, skimage labels."""
    from skimage.measure import label

    p, g = pred / 255.0, gt / 255.0
    steps = np.arange(0, 1.1, 0.1)
    level = -np.ones(p.shape)
    for i in range(1, 11):
        lab = label((p >= steps[i]) & (g >= steps[i]), connectivity=1)
        counts = np.bincount(lab.ravel())
        if background_counts:  # argmax over all labels, the background's 0 included
            best = int(np.argmax(counts))
        else:
            best = int(np.argmax(counts[1:])) + 1 if len(counts) > 1 else -1
        level[(level == -1) & (lab != best)] = steps[i - 1]
    level[level == -1] = 1
    phi = [1 - (a - level) * ((a - level) >= 0.15) for a in (p, g)]
    return float(np.abs(phi[0] - phi[1])[trimap == 128].sum()) / 1000


def _port_grad(pred, gt, trimap):
    """GCA-Matting's Grad: the DIM kernel, but / 255 instead of mat2gray."""
    import scipy.ndimage as ndi

    h = M.gauss_gradient_kernel(1.4)

    def amp(a):
        return np.hypot(ndi.convolve(a, h, mode="nearest"), ndi.convolve(a, h.T, mode="nearest"))

    return float(((amp(pred / 255.0) - amp(gt / 255.0)) ** 2)[trimap == 128].sum()) / 1000


def compare_ports() -> None:
    import os

    from trimaps.io import read_alpha, read_trimap

    data = Path(os.environ.get("MATTEKIT_TESTDATA", ROOT.parent / "shared" / "testdata"))
    am = data / "matting" / "alphamatting"
    names = sorted(p.stem for p in (am / "gt_alpha").glob("*.png"))
    if not names:
        raise SystemExit(f"no test data in {am}")
    cols = ["Grad", "Grad /255", "Conn", "Conn bg+arange", "Conn arange"]
    for kind in ("blurred", "blurred x 0.9"):
        sums = np.zeros(len(cols))
        for name in names:
            gt = read_alpha(am / "gt_alpha" / f"{name}.png")
            tri = read_trimap(am / "trimap" / f"{name}.png")
            pred = cv2.GaussianBlur(gt, (0, 0), 2.0)
            if kind != "blurred":
                pred = (pred * 0.9).astype(np.uint8)
            off = M.evaluate(pred, gt, tri)
            sums += [
                off["Grad"],
                _port_grad(pred, gt, tri),
                off["Conn"],
                _port_conn(pred, gt, tri, background_counts=True),
                _port_conn(pred, gt, tri, background_counts=False),
            ]
        means = sums / len(names)
        print(f"| {kind} (mean of {len(names)}) | " + " | ".join(f"{v:.2f}" for v in means) + " |")


def main() -> None:
    if "--ports" in sys.argv[1:]:
        compare_ports()
        return
    gt = procedural_matte()
    pred = degraded(gt)
    k = np.ones((15, 15), np.uint8)
    trimap = np.full(gt.shape, 128, np.uint8)
    trimap[cv2.erode(gt, k) == 255] = 255
    trimap[cv2.dilate(gt, k) == 0] = 0
    region = M.unknown_region(trimap)
    scores = M.evaluate(pred, gt, trimap)

    def amp(a):
        n = (a - a.min()) / float(a.max() - a.min())
        gx, gy = M.gauss_gradient(n)
        return np.hypot(gx, gy)

    a_gt, a_pred = amp(gt.astype(float)), amp(pred.astype(float))
    grad_map = (a_pred - a_gt) ** 2 * region
    level = M.connectivity_levels(pred, gt)

    def phi(a):
        d = a / 255 - level
        return 1 - d * (d >= 0.15)

    conn_map = np.abs(phi(pred) - phi(gt)) * region

    fig, axes = plt.subplots(2, 4, figsize=(12, 6.0), dpi=80)
    panels = [
        (gt, "ground truth", "gray"),
        (pred, "prediction (blurred, strands cut)", "gray"),
        (np.where(trimap == 128, 0.5, trimap / 255), "trimap (128 = scored)", "gray"),
        (level, "Conn level l (0, 0.1, ..., 1)", "viridis"),
        (a_gt, "|gaussgradient(mat2gray(gt))|", "magma"),
        (a_pred, "|gaussgradient(mat2gray(pred))|", "magma"),
        (grad_map, f"Grad error map: Grad = {scores['Grad']:.3f}", "magma"),
        (conn_map, f"|phi(pred) - phi(gt)|: Conn = {scores['Conn']:.3f}", "magma"),
    ]
    for ax, (img, title, cmap) in zip(axes.ravel(), panels, strict=True):
        ax.imshow(img, cmap=cmap, interpolation="nearest")
        ax.set_title(title, fontsize=9)
        ax.axis("off")
    fig.suptitle(
        f"official convention: SAD {scores['SAD']:.3f}, MSE {scores['MSE']:.5f}, "
        f"Grad {scores['Grad']:.3f}, Conn {scores['Conn']:.3f}",
        fontsize=10,
    )
    fig.tight_layout(h_pad=1.5)
    OUT.mkdir(parents=True, exist_ok=True)
    fig.savefig(OUT / "grad_conn.png")
    print(f"wrote {OUT / 'grad_conn.png'}")


if __name__ == "__main__":
    main()
