"""The Ray engine against the local one, and a projection to 20k backgrounds / 100k composites.

    python benchmarks/bench_ray.py            # full: ~4 min on 2 cores
    python benchmarks/bench_ray.py --quick    # smoke check: ~1.5 min

Measured in one run, on this machine:

1. Task overhead: 1-ms no-op items through the local engine (in process, and a spawn
   pool of 2) and through Ray tasks on a started local Ray instance (2 CPUs): the cost per
   item the engine itself adds.
2. ``rssn compose`` on the real alphamatting photos (AM-2k layout: foregrounds estimated)
   and the real clean backgrounds, denoising off so the run is about the engine and the
   I/O (BM3D enters the projection from its own measurement), with ``--engine local`` at
   1 and 2 processes and ``--engine ray`` on a local Ray instance of 1 and 2 CPUs (the
   instance started beforehand and timed on its own). Each run writes to a fresh folder
   with a fresh cache. Byte equality of the outputs is checked along the way.
3. ``bgcurate``'s scan of one 2560x1600 JPEG, the per-image stage that Ray runs.
4. (full only) BM3D (``rssn.denoise``, one thread) on a real 540x720 crop, in CPU time,
   scaled by the pixel count to 1080x1440 and compared with /work/shared/MEASUREMENTS.md.

CPU times (``time.process_time`` inside each task) stay meaningful when other jobs share
the cores; wall times and scaling do not, so the load average is printed with them.

The projection at the end is a calculation from these per-item costs, printed with its
assumptions (see docs/scale.md).
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("NUMBA_CACHE_DIR", str(Path.home() / ".cache" / "mattekit" / "numba"))

from rssn import Params  # noqa: E402
from rssn._compose import ComposeConfig, _worker_init, compose  # noqa: E402
from trimaps._engine import LocalEngine, RayEngine, make_engine, ray_runtime_env  # noqa: E402

TESTDATA = Path(os.environ.get("MATTEKIT_TESTDATA", ROOT.parent / "shared" / "testdata"))

#: BM3D on one 1080x1440 RGB image, one thread (rssn runs bm3d on one thread), from
#: /work/shared/MEASUREMENTS.md; the full run re-measures it on a crop.
BM3D_1080P_S = 134.0
#: YOLO11n/YOLOv8n at 640, batch 8, on the 2 cores (MEASUREMENTS.md): images per second.
YOLO_IMAGES_PER_S = 15.0


def sleep_1ms(x: int) -> int:
    time.sleep(0.001)
    return x


def photo_set(root: Path, copies: int) -> Path:
    """AM-2k layout (original/ + mask/) of the seven real alphamatting photos, each under
    ``copies`` names (other names, other recipes: more work without more test data)."""
    am = TESTDATA / "matting" / "alphamatting"
    (root / "original").mkdir(parents=True)
    (root / "mask").mkdir()
    for p in sorted((am / "input").glob("*.png")):
        for c in range(copies):
            name = f"{p.stem}c{c}.png"
            (root / "original" / name).symlink_to(p)
            (root / "mask" / name).symlink_to(am / "gt_alpha" / p.name)
    return root


def tree_digest(out: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(out.rglob("*")):
        rel = p.relative_to(out)
        if p.is_file() and rel.parts[0] in ("image", "alpha", "fg", "bg", "manifest.jsonl"):
            h.update(rel.as_posix().encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def start_ray(cpus: int) -> float:
    import ray

    t0 = time.perf_counter()
    ray.init(
        num_cpus=cpus,
        include_dashboard=False,
        log_to_driver=False,
        logging_level=logging.WARNING,
        runtime_env=ray_runtime_env(),
    )
    return time.perf_counter() - t0


def task_overhead(n: int) -> dict[str, float]:
    """Seconds per 1-ms item, by engine (Ray instance already started, 2 CPUs)."""
    res = {}
    items = list(range(n))
    for name, make in [
        ("local, in process", lambda: LocalEngine(1)),
        ("local, spawn pool of 2", lambda: LocalEngine(2)),
        ("ray, 2 CPUs", lambda: RayEngine()),
    ]:
        with make() as engine:
            engine.map(sleep_1ms, range(4))  # pool / workers up
            t0 = time.perf_counter()
            assert engine.map(sleep_1ms, items) == items
            res[name] = (time.perf_counter() - t0) / n
    return res


def timed_task(task) -> dict:
    """``_compose_foreground`` plus when it ran and the CPU time it took (in its worker)."""
    from rssn._compose import _compose_foreground

    t0, c0 = time.time(), time.process_time()
    result = _compose_foreground(task)
    result["timing"] = (t0, time.time(), time.process_time() - c0)
    return result


def compose_run(
    fg: Path, bg: Path, k: int, engine: str, workers: int, tmp: Path, n_fg: int
) -> dict:
    """Wall time, CPU-seconds per composite in the workers, tasks in parallel, digest."""
    import rssn._compose

    out = tmp / f"{engine}{workers}"
    cfg = ComposeConfig(
        fg, bg, out, k=k, seed=1, params=Params(denoise_p=0.0), workers=workers, engine=engine
    )
    timings = []
    real_run = rssn._compose._run_tasks

    def run_tasks(tasks, cfg):  # rssn._compose._run_tasks with timed_task
        with make_engine(
            cfg.engine, workers=cfg.workers, address=cfg.address, initializer=_worker_init
        ) as engine:
            for i, result in engine.imap_unordered(timed_task, tasks):
                timings.append(result["timing"])
                yield tasks[i], result

    rssn._compose._run_tasks = run_tasks
    try:
        t0 = time.perf_counter()
        summary = compose(cfg)
        dt = time.perf_counter() - t0
    finally:
        rssn._compose._run_tasks = real_run
    assert summary.written == summary.composites == n_fg * k, summary
    span = max(t[1] for t in timings) - min(t[0] for t in timings)
    return {
        "wall": dt,
        "span": span,
        "cpu": sum(t[2] for t in timings) / summary.composites,
        "parallel": sum(t[1] - t[0] for t in timings) / span,
        "digest": tree_digest(out),
    }


def scan_cost(repeats: int) -> float:
    import cv2
    from PIL import Image
    from skimage import data

    from bgcurate import ScanParams
    from bgcurate._scan import scan_bytes

    img = cv2.resize(data.astronaut(), (2560, 1600), interpolation=cv2.INTER_CUBIC)
    img = np.clip(img + np.random.default_rng(0).normal(0, 6, img.shape), 0, 255)
    import io

    buf = io.BytesIO()
    Image.fromarray(img.astype(np.uint8)).save(buf, format="JPEG", quality=92)
    jpeg = buf.getvalue()
    scan_bytes(jpeg, ScanParams())
    t0 = time.perf_counter()
    for _ in range(repeats):
        scan_bytes(jpeg, ScanParams())
    return (time.perf_counter() - t0) / repeats


def bm3d_1080p() -> float:
    """CPU-seconds of BM3D on 1080x1440, scaled by pixels from a real 540x720 crop."""
    from rssn import denoise
    from trimaps.io import read_rgb

    photo = read_rgb(TESTDATA / "backgrounds" / "clean" / "mate_Storm.jpg")
    crop = photo[200:740, 300:1020]
    t0 = time.process_time()
    denoise(crop, "bm3d", sigma=10)
    return (time.process_time() - t0) * (1080 * 1440) / (540 * 720)


def projection(c0: float, ray_extra: float, bm3d: float, scan: float, k: int = 5) -> list[str]:
    """Node-hours for 100k composites and 20k backgrounds; see docs/scale.md."""
    # Expected BM3D calls per composite at p = 0.5: B when its composite is denoised, and F
    # once per foreground when any of its K composites is (the cache shares it).
    calls = 0.5 + (1 - 0.5**k) / k
    per_composite = c0 + ray_extra + calls * bm3d  # CPU-seconds on one core
    lines = [
        f"per composite: {c0:.2f} s without BM3D + {ray_extra * 1e3:.1f} ms Ray (a task / K) "
        f"+ {calls:.3f} BM3D calls x {bm3d:.0f} s = {per_composite:.0f} CPU-s",
        "node: 32 cores, 128 GiB; BM3D needs ~2 GiB per 1080p worker -> 32 workers "
        "(memory allows 64)",
    ]
    cpu_s = 100_000 * per_composite
    lines.append(
        f"100k composites: {cpu_s / 3600:,.0f} CPU-hours -> "
        + ", ".join(
            f"{n} node{'s' * (n > 1)} {cpu_s / (32 * n) / 3600:,.1f} h" for n in (1, 10, 50, 100)
        )
    )
    nodes_no_bm3d = 100_000 * (c0 + ray_extra) / 32 / 3600
    lines.append(f"  (with --denoise-p 0: {nodes_no_bm3d:.2f} h on one node)")
    # per background: the scan, then embeddings and detection at 15 images/s each on the
    # 2 cores of this machine (0.13 CPU-s each), all of them Ray tasks
    yolo = 2 / YOLO_IMAGES_PER_S
    per_bg = scan + 2 * yolo
    bg_cpu = 20_000 * per_bg
    lines.append(
        f"20k backgrounds: scan {scan:.2f} + embed {yolo:.2f} + detect {yolo:.2f} = "
        f"{per_bg:.2f} CPU-s each, {bg_cpu / 3600:.1f} CPU-hours -> "
        + ", ".join(f"{n} node{'s' * (n > 1)} {bg_cpu / (32 * n) / 60:.1f} min" for n in (1, 10))
    )
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="smoke check: fewer items, no BM3D")
    args = ap.parse_args()
    if not TESTDATA.is_dir():
        sys.exit(f"real test data not found at {TESTDATA} (set MATTEKIT_TESTDATA)")
    import ray

    k = 2 if args.quick else 4
    n_noop = 200 if args.quick else 1000
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"machine: {os.cpu_count()} cores, no GPU; ray {ray.__version__}; load average {load}")
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        copies = 1 if args.quick else 4
        fg = photo_set(tmp / "fg", copies)
        bg = TESTDATA / "backgrounds" / "clean"
        n_fg = 7 * copies
        n = n_fg * k

        startup2 = start_ray(2)
        over = task_overhead(n_noop)
        ray.shutdown()
        print(f"\n1. engine overhead per item (1-ms no-op items, {n_noop} of them)")
        base = over["local, in process"]
        for name, s in over.items():
            print(f"   {name:24s} {s * 1e3:6.2f} ms/item   ({s / base:.2f}x in process)")
        print(f"   ray.init of a local instance (2 CPUs), once per run: {startup2:.1f} s")

        print(
            f"\n2. rssn compose, {n_fg} foregrounds (7 real photos x {copies} names) x K={k} "
            f"= {n} composites, denoising off"
        )
        runs = {}
        for workers in (1, 2):
            runs[("local", workers)] = compose_run(fg, bg, k, "local", workers, tmp, n_fg)
        for workers in (1, 2):
            start = start_ray(workers)
            runs[("ray", workers)] = compose_run(fg, bg, k, "ray", workers, tmp, n_fg)
            ray.shutdown()
            cpus = f"{workers} CPU{'s' * (workers > 1)}"
            print(f"   (ray.init with {cpus}: {start:.1f} s, not counted)")
        assert len({r["digest"] for r in runs.values()}) == 1, "engines wrote different bytes"
        print("   outputs and manifest byte-identical across the four runs")
        t_local1 = runs[("local", 1)]["wall"]
        print(
            "   engine    wall     composites/s  vs local x1  task span  composites/s"
            "  CPU/composite  tasks in parallel"
        )
        for (engine, workers), r in runs.items():
            print(
                f"   {engine:5s} x{workers} {r['wall']:6.2f} s  {n / r['wall']:6.2f}"
                f"        {t_local1 / r['wall']:5.2f}x      {r['span']:6.2f} s  "
                f"{n / r['span']:6.2f}        {r['cpu']:.3f} s        {r['parallel']:.2f}"
            )
        scaling = runs[("ray", 1)]["wall"] / runs[("ray", 2)]["wall"]
        span_scaling = runs[("ray", 1)]["span"] / runs[("ray", 2)]["span"]
        print(f"   ray scaling 1 -> 2 CPUs (task span, start-up excluded): {span_scaling:.2f}x")
        extra = (runs[("ray", 2)]["wall"] - runs[("local", 2)]["wall"]) / n
        print(f"   ray scaling 1 -> 2 CPUs (wall): {scaling:.2f}x")
        print(f"   ray vs local at 2 workers (wall): {extra * 1e3:+.0f} ms per composite")
        c0 = runs[("local", 1)]["cpu"]  # CPU-seconds per composite, BM3D aside

        scan = scan_cost(2 if args.quick else 5)
        print(f"\n3. bgcurate scan of one 2560x1600 JPEG: {scan:.2f} s")

        if args.quick:
            bm3d = BM3D_1080P_S
            print(f"\n4. BM3D at 1080x1440, one thread: {bm3d:.0f} s (MEASUREMENTS.md; --quick)")
        else:
            bm3d = bm3d_1080p()
            print(
                f"\n4. BM3D at 1080x1440, one thread: {bm3d:.0f} CPU-s, scaled from a 540x720 crop "
                f"(MEASUREMENTS.md: {BM3D_1080P_S:.0f} s)"
            )

        print("\nprojection (calculation; assumptions in docs/scale.md)")
        # a task holds one of the 2 CPUs for 2 x (seconds per item) of which 1 ms is work;
        # one task per foreground makes K = 5 composites
        task_cost = 2 * over["ray, 2 CPUs"] - 0.001
        print(f"   Ray's cost per task (from 1.): {task_cost * 1e3:.1f} ms of a CPU")
        for line in projection(c0, max(task_cost, 0.0) / 5, bm3d, scan):
            print("   " + line)


if __name__ == "__main__":
    main()
