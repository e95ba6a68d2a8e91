"""Speed of trimaps on a 1080x1440 matte, against a SciPy baseline measured in the same run.

    python benchmarks/bench_trimaps.py [--repeat 5]

The baseline is the obvious pure-SciPy trimap (``scipy.ndimage.binary_erosion`` /
``binary_dilation`` with the same elliptical element), which gives the same trimap
(checked here); ``trimaps.trimap`` uses OpenCV's morphology. Also times the other
representations and the whole per-file work of ``trimaps generate`` (read, compute,
write PNG). Takes well under a minute on 2 cores.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
from scipy import ndimage

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import trimaps
from trimaps._generate import file_rng, render
from trimaps.io import read_alpha, write_image


def scipy_trimap(alpha: np.ndarray, kernel: int) -> np.ndarray:
    se = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (kernel, kernel)).astype(bool)
    # border_value=1 for the erosion: OpenCV's default does not erode from outside the image
    fg = ndimage.binary_erosion(alpha == 255, se, border_value=1)
    not_bg = ndimage.binary_dilation(alpha > 0, se)
    return (0.5 * not_bg + 0.5 * fg).astype(np.float32)


def timeit(func, repeat: int) -> float:
    func()  # warm-up
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        func()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    alpha = trimaps.sample_mattes((1080, 1440))["hairy.png"]
    k = 25
    assert np.array_equal(scipy_trimap(alpha, k), trimaps.trimap(alpha, k))

    rows = []
    base = timeit(lambda: scipy_trimap(alpha, k), args.repeat)
    rows.append(("trimap k=25, SciPy baseline", base))
    rows.append(("trimap k=25 (trimaps)", timeit(lambda: trimaps.trimap(alpha, k), args.repeat)))
    rows.append(("trimap k=50", timeit(lambda: trimaps.trimap(alpha, 50), args.repeat)))
    rows.append(("unified stm", timeit(lambda: trimaps.unified(alpha, "stm"), args.repeat)))
    for v in ("tt", "ft", "bt"):
        rows.append((f"rosta {v}", timeit(lambda v=v: trimaps.rosta(alpha, v), args.repeat)))
    rows.append(("optimal_trimap", timeit(lambda: trimaps.optimal_trimap(alpha), args.repeat)))
    rows.append(("random_trimap", timeit(lambda: trimaps.random_trimap(alpha, 1), args.repeat)))
    for p in ("sgm", "bgm"):
        rows.append(
            (
                f"random_soft_segmentation {p}",
                timeit(lambda p=p: trimaps.random_soft_segmentation(alpha, 1, p), args.repeat),
            )
        )
    with tempfile.TemporaryDirectory() as tmp:
        src = write_image(Path(tmp) / "a.png", alpha)

        def one_file(kind: str) -> None:
            a = read_alpha(src)
            write_image(Path(tmp) / f"out_{kind}.png", render(a, kind, rng=file_rng(0, "a.png")))

        for kind in ("trimap", "soft"):
            rows.append(
                (
                    f"generate, one file, --kind {kind}",
                    timeit(lambda k=kind: one_file(k), args.repeat),
                )
            )

    print(f"1080x1440 hairy matte, median of {args.repeat}, cv2 threads {cv2.getNumThreads()}")
    print(f"{'step':<40} {'ms':>8} {'vs SciPy':>9}")
    for name, t in rows:
        print(f"{name:<40} {t * 1000:8.1f} {base / t:8.1f}x")


if __name__ == "__main__":
    main()
