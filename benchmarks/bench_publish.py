"""Time and memory of ``rssn publish`` against baselines measured in the same run.

    python benchmarks/bench_publish.py            # 48 composites at 1080x1440
    python benchmarks/bench_publish.py --quick    # 8 composites at 270x360, a smoke check

A compose-like folder is synthesised first (not timed): per composite four
PNGs (image, fg, bg from skimage.data photos with a little Gaussian noise, so
the files weigh what photo PNGs weigh, and a procedural alpha). Each mode then
runs in a fresh process, which reports its wall time and peak RSS:

- ``floor``: read every output file's bytes once (what any publisher must do);
- ``publish``: ``rssn.publish.write_hub_folder`` (validation, streamed Parquet
  row groups, card, check);
- ``in-memory``: ``rssn.publish.to_dataset_dict`` then ``Dataset.to_parquet``
  per split, i.e. building the whole ``datasets`` table in memory first, the
  way ``DatasetDict.push_to_hub`` is usually fed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def synthesise(out: Path, rows: int, size: tuple[int, int]) -> int:
    """Write a folder laid out as ``rssn compose`` writes it; returns its output bytes."""
    import cv2
    from skimage import data

    from trimaps.io import write_image

    w, h = size
    photos = [data.astronaut(), data.coffee(), data.chelsea(), data.stereo_motorcycle()[0]]
    photos = [cv2.resize(p, (w, h), interpolation=cv2.INTER_CUBIC) for p in photos]
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:h, 0:w]
    lines = []
    for n in range(rows):
        fg_id, k = f"fg{n // 4:04d}", n % 4
        cid = f"{fg_id}_{k}"
        r = np.hypot((xx - w / 2) / (0.3 * w), (yy - h / 2) / (0.35 * h))
        alpha = np.clip((1.1 - r) * 255 / 0.2, 0, 255).astype(np.uint8)
        fg = photos[n % 4]
        bg = photos[(n + 1) % 4]
        noisy = [np.clip(x + rng.normal(0, 3, x.shape), 0, 255).astype(np.uint8) for x in (fg, bg)]
        a = alpha[..., None] / 255.0
        image = np.clip(np.rint(a * noisy[0] + (1 - a) * noisy[1]), 0, 255).astype(np.uint8)
        outputs = {}
        for name, arr in (("image", image), ("alpha", alpha), ("fg", noisy[0]), ("bg", noisy[1])):
            write_image(out / name / f"{cid}.png", arr)
            outputs[name] = f"{name}/{cid}.png"
        recipe = {"seed": 0, "fg_id": fg_id, "k": k, "bg": f"bg{n}.jpg", "blur_kernel": 0}
        row = {"id": cid, "fg_id": fg_id, "k": k, "fg_type": None, "inputs": {}}
        lines.append(json.dumps({**row, "recipe": recipe, "outputs": outputs}))
    (out / "manifest.jsonl").write_text("\n".join(lines) + "\n")
    (out / "run.json").write_text(json.dumps({"tool": "rssn compose", "config": {"seed": 0}}))
    return sum(
        p.stat().st_size for d in ("image", "alpha", "fg", "bg") for p in (out / d).iterdir()
    )


def child(mode: str, folder: Path, work: Path) -> None:
    # imports are paid before the clock starts, in every mode (also for peak RSS)
    import datasets  # noqa: F401
    import huggingface_hub  # noqa: F401
    import pyarrow.parquet  # noqa: F401

    from rssn import publish

    t0 = time.perf_counter()
    if mode == "floor":
        total = 0
        for d in ("image", "alpha", "fg", "bg"):
            for p in sorted((folder / d).iterdir()):
                total += len(p.read_bytes())
    elif mode == "publish":
        publish.write_hub_folder(folder, work / "hub")
    elif mode == "in-memory":
        dd = publish.to_dataset_dict(folder)
        for split, ds in dd.items():
            ds.to_parquet(str(work / f"{split}.parquet"))
    else:
        raise SystemExit(f"unknown mode {mode}")
    seconds = time.perf_counter() - t0
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "rss_mib": rss_mib}))


def run_mode(mode: str, folder: Path, repeat: int) -> dict:
    results = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as work:
            out = subprocess.run(
                [sys.executable, __file__, "--child", mode, str(folder), work],
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ, "HF_DATASETS_CACHE": work},
            )
            results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    results.sort(key=lambda r: r["seconds"])
    return results[len(results) // 2]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="a smoke check: 8 small composites")
    ap.add_argument("--rows", type=int, default=None)
    ap.add_argument("--repeat", type=int, default=None)
    ap.add_argument("--child", nargs=3, metavar=("MODE", "FOLDER", "WORK"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        mode, folder, work = args.child
        child(mode, Path(folder), Path(work))
        return
    rows = args.rows or (8 if args.quick else 48)
    size = (360, 270) if args.quick else (1440, 1080)
    repeat = args.repeat or (1 if args.quick else 3)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "out"
        nbytes = synthesise(folder, rows, size)
        print(
            f"{rows} composites at {size[0]}x{size[1]}, {nbytes / 1e6:.0f} MB of PNG; "
            f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}; "
            f"median of {repeat} fresh processes"
        )
        res = {m: run_mode(m, folder, repeat) for m in ("floor", "publish", "in-memory")}
    floor = res["floor"]["seconds"]
    print(f"{'mode':<10} {'s':>7} {'comp/s':>8} {'MB/s':>7} {'x floor':>8} {'peak RSS MiB':>13}")
    for mode, r in res.items():
        s = r["seconds"]
        print(
            f"{mode:<10} {s:7.2f} {rows / s:8.1f} {nbytes / 1e6 / s:7.0f} "
            f"{s / floor:8.1f} {r['rss_mib']:13.0f}"
        )


if __name__ == "__main__":
    main()
