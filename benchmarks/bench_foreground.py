"""Foreground estimation for RSSN: speed and quality of ``multilevel`` against ``levin``.

    python benchmarks/bench_foreground.py            # the seven alphamatting.com images
    python benchmarks/bench_foreground.py --quick    # two images, one repeat

``rssn.foreground`` estimates F (and B) from an original image and its alpha
matte, for datasets that give no foreground colours (AM-2k, P3M, AIM-500). The
RSSN paper cites Levin et al.'s closed form; Germer et al.'s multi-level
method is our default. Both run on the real photos and ground-truth mattes of
``../shared/testdata/matting/alphamatting`` (800 px on the long side), each
method in a fresh process so its peak RSS is its own. Reported per method:

- seconds per image (median over images of the best of ``--repeat`` runs),
  with the ratio to ``multilevel`` measured in the same run;
- the recomposition error on the transition band: the mean of
  ``|alpha F + (1 - alpha) B - I|`` over pixels with ``0 < alpha < 1``, in
  8-bit levels (how well F and B explain the photo where it matters);
- the error against a known foreground: the 32x32 ``matting/tiny`` fixture,
  whose exact F is given, mean ``|F - F_true|`` where ``alpha > 0``, solved
  in linear light as the fixture was made;
- peak RSS of the worker process.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TESTDATA = Path(os.environ.get("MATTEKIT_TESTDATA", ROOT.parent / "shared" / "testdata"))


def _srgb_decode(x):
    return np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4)


def _srgb_encode(x):
    x = np.clip(x, 0, 1)
    return np.where(x <= 0.0031308, 12.92 * x, 1.055 * x ** (1 / 2.4) - 0.055)


def _u8(x):
    return np.clip(np.rint(x * 255), 0, 255).astype(np.uint8)


def _band_error(image, alpha, F, B) -> float:
    a = alpha.astype(np.float64)[..., None] / 255
    recomposed = a * F + (1 - a) * B
    band = (alpha > 0) & (alpha < 255)
    return float(np.abs(recomposed - image)[band].mean())


def _worker(method: str, names: list[str], repeat: int, queue) -> None:
    os.environ.setdefault("NUMBA_CACHE_DIR", str(Path.home() / ".cache/mattekit/numba"))
    t0 = time.perf_counter()
    import rssn
    from rssn._steps import import_pymatting
    from trimaps.io import read_alpha, read_rgb

    import_pymatting()
    import_s = time.perf_counter() - t0
    am = TESTDATA / "matting" / "alphamatting"
    rows = []
    for name in names:
        image = read_rgb(am / "input" / f"{name}.png")
        alpha = read_alpha(am / "gt_alpha" / f"{name}.png", allow_rgb=True)
        best = float("inf")
        for _ in range(repeat):
            t = time.perf_counter()
            F, B = rssn.foreground(image, alpha, method)
            best = min(best, time.perf_counter() - t)
        rows.append((name, image.shape[1], image.shape[0], best, _band_error(image, alpha, F, B)))
    tiny = TESTDATA / "matting" / "tiny"
    image = read_rgb(tiny / "test.png")
    alpha = read_alpha(tiny / "test_alpha.png", allow_rgb=True)
    F_true = read_rgb(tiny / "test_foreground.png").astype(np.float64)
    # The fixture was composed in linear light (see tests/test_rssn_real.py): solve there.
    a_lin = _srgb_decode(alpha / 255.0)
    F_lin, _ = rssn.foreground(_u8(_srgb_decode(image / 255.0)), _u8(a_lin), method)
    F = _srgb_encode(F_lin / 255.0) * 255
    tiny_err = float(np.abs(F - F_true)[a_lin > 0].mean())
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put({"rows": rows, "tiny": tiny_err, "rss": rss_mib, "import_s": import_s})


def run(method: str, names: list[str], repeat: int) -> dict:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_worker, args=(method, names, repeat, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="two images, one repeat")
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    am = TESTDATA / "matting" / "alphamatting" / "input"
    if not am.is_dir():
        sys.exit(f"error: {am} not found (set MATTEKIT_TESTDATA)")
    names = sorted(p.stem for p in am.glob("*.png"))
    repeat = args.repeat
    if args.quick:
        names, repeat = names[:2], 1

    results = {m: run(m, names, repeat) for m in ("multilevel", "levin")}
    base = statistics.median(r[3] for r in results["multilevel"]["rows"])
    print(f"{len(names)} alphamatting.com images, best of {repeat}; {os.cpu_count()} cores")
    print(
        "| method | s / image (median) | vs multilevel | band error (levels) "
        "| tiny: mean abs F error | peak RSS (MiB) |"
    )
    print("|---|---|---|---|---|---|")
    for method, r in results.items():
        secs = statistics.median(row[3] for row in r["rows"])
        band = statistics.mean(row[4] for row in r["rows"])
        print(
            f"| {method} | {secs:.2f} | {secs / base:.1f}x | {band:.2f} "
            f"| {r['tiny']:.2f} | {r['rss']:.0f} |"
        )
    print()
    print("| image | size | multilevel s | levin s | multilevel band err | levin band err |")
    print("|---|---|---|---|---|---|")
    for ml, cf in zip(results["multilevel"]["rows"], results["levin"]["rows"], strict=True):
        print(
            f"| {ml[0]} | {ml[1]}x{ml[2]} | {ml[3]:.2f} | {cf[3]:.2f} | {ml[4]:.2f} | {cf[4]:.2f} |"
        )


if __name__ == "__main__":
    main()
