"""Speed of bgcurate per stage, and duplicate search at 10k / 100k, against naive baselines.

    python benchmarks/bench_bgcurate.py            # full: ~5 min on 2 cores
    python benchmarks/bench_bgcurate.py --quick    # smoke check: ~1 min

Per-image stages run on synthetic 2560x1600 JPEG photos made from ``skimage.data``
pictures (upscaled, with added grain so JPEG has detail to code):

- scan (decode + EXIF + checks + hashes + INTER_AREA resize to 1080 + JPEG encode), one
  process and two (``workers=2``); baseline: the obvious Pillow script (decode, LANCZOS
  resize to 1080, save), measured in the same run;
- embed and detect with YOLO11n at imgsz 640, batch 8 (an untrained model from the YAML:
  the same architecture and cost as the trained one), with torch at the one thread that
  ultralytics leaves on a 2-core machine and at two threads.

Duplicate search on synthetic data with planted near duplicates: pHash pairs within
Hamming 8 by multi-index hashing vs comparing every pair (blocks of rows), and embedding
pairs at cosine >= 0.95 computed in row blocks vs the full n x n matrix (where it fits).
Peak memory is measured with tracemalloc (NumPy reports its buffers to it).
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
import tracemalloc
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bgcurate import ScanParams, cosine_pairs, hamming_pairs, hamming_pairs_naive
from bgcurate._curate import _scan_many


def photos(n: int, seed: int = 0) -> list[bytes]:
    from skimage import data

    sources = [data.astronaut(), data.coffee(), data.chelsea(), data.rocket(), data.retina()]
    rng = np.random.default_rng(seed)
    out = []
    for k in range(n):
        img = cv2.resize(sources[k % len(sources)], (2560, 1600), interpolation=cv2.INTER_CUBIC)
        grain = rng.normal(0, 6, img.shape).astype(np.float32)
        img = np.clip(img + grain, 0, 255).astype(np.uint8)
        buf = io.BytesIO()
        Image.fromarray(img).save(buf, format="JPEG", quality=92)
        out.append(buf.getvalue())
    return out


def pillow_baseline(data: bytes) -> bytes:
    img = Image.open(io.BytesIO(data)).convert("RGB")
    w, h = img.size
    img = img.resize((round(w * 1080 / h), 1080), Image.LANCZOS)
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=95)
    return buf.getvalue()


def rate(func, n: int) -> float:
    t0 = time.perf_counter()
    func()
    return n / (time.perf_counter() - t0)


def peak(func):
    tracemalloc.start()
    t0 = time.perf_counter()
    out = func()
    dt = time.perf_counter() - t0
    _, top = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return out, dt, top / 2**20


def planted_hashes(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    h = rng.integers(0, 2**64, n, dtype=np.uint64, endpoint=False)
    m = n // 100  # 1% near duplicates of the first 1%, 1-6 bits flipped
    flips = np.zeros(m, np.uint64)
    for k in range(m):
        for b in rng.choice(64, rng.integers(1, 7), replace=False):
            flips[k] |= np.uint64(1) << np.uint64(b)
    h[-m:] = h[:m] ^ flips
    return h


def planted_embeddings(n: int, d: int = 256, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    e = rng.normal(size=(n, d)).astype(np.float32)
    m = n // 100
    e[-m:] = e[:m] + 0.1 * rng.normal(size=(m, d)).astype(np.float32)
    return e


def bench_stages(n_scan: int, n_det: int) -> None:
    print(f"## per-image stages ({os.cpu_count()} cores)")
    files = photos(max(n_scan, n_det))
    params = ScanParams()
    jobs = list(enumerate(files[:n_scan]))
    base = rate(lambda: [pillow_baseline(d) for _, d in jobs], n_scan)
    one = rate(lambda: list(_scan_many(jobs, params, 1)), n_scan)
    two = rate(lambda: list(_scan_many(jobs, params, 2)), n_scan)
    print(f"scan 2560x1600 JPEG -> 1080p JPEG, Pillow LANCZOS baseline: {base:6.1f} images/s")
    print(f"scan, 1 process:  {one:6.1f} images/s ({one / base:.2f}x baseline)")
    print(f"scan, 2 processes: {two:6.1f} images/s ({two / base:.2f}x baseline; pool start incl.)")

    import torch

    from bgcurate._salient import detect_images, embed_images, load_detector

    det = load_detector("yolo11n.yaml")
    work = []
    for d in files[:n_det]:
        rec_img = cv2.imdecode(np.frombuffer(d, np.uint8), cv2.IMREAD_COLOR)
        work.append(cv2.resize(rec_img, (1728, 1080), interpolation=cv2.INTER_AREA))
    embed_images(det, work[:2], imgsz=640, batch=2)  # warm-up
    for threads in (1, 2):
        det._threads = (det._threads[0], threads)
        torch.set_num_threads(threads)
        e = rate(lambda: embed_images(det, work, imgsz=640, batch=8), n_det)
        torch.set_num_threads(threads)
        p = rate(lambda: detect_images(det, work, imgsz=640, batch=8), n_det)
        print(
            f"YOLO11n imgsz 640 batch 8, torch {threads} thread(s): embed {e:5.1f} images/s, "
            f"detect {p:5.1f} images/s"
        )


def bench_dedup(sizes: list[int], naive_max: int, full_matrix_max: int) -> None:
    print("## duplicate search")
    for n in sizes:
        h = planted_hashes(n)
        pairs, dt, mem = peak(lambda h=h: hamming_pairs(h, 8))
        line = f"pHash n={n:>6}: multi-index {dt:6.2f} s, peak {mem:6.1f} MiB, {len(pairs)} pairs"
        if n <= naive_max:
            ref, dtn, memn = peak(lambda h=h: hamming_pairs_naive(h, 8))
            assert np.array_equal(ref, pairs)
            line += f" | all pairs {dtn:6.2f} s, peak {memn:6.1f} MiB ({dtn / dt:.0f}x slower)"
        else:
            line += " | all pairs: skipped (use a full run)"
        print(line)
    for n in sizes:
        e = planted_embeddings(n)
        pairs, dt, mem = peak(lambda e=e: cosine_pairs(e, 0.95))
        line = (
            f"cosine n={n:>6} d=256: row blocks {dt:6.2f} s, peak {mem:6.1f} MiB "
            f"(embeddings {e.nbytes / 2**20:.0f} MiB), {len(pairs)} pairs"
        )
        if n <= full_matrix_max:

            def full(e=e):
                u = e / np.linalg.norm(e, axis=1, keepdims=True)
                s = u @ u.T
                i, j = np.nonzero(np.triu(s >= np.float32(0.95), k=1))
                return np.stack([i, j], axis=1)

            ref, dtf, memf = peak(full)
            assert np.array_equal(ref, pairs)
            line += f" | full matrix {dtf:6.2f} s, peak {memf:7.1f} MiB"
        else:
            line += f" | full matrix would need {n * n * 4 / 2**30:.0f} GiB: not run"
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke check")
    args = parser.parse_args()
    if args.quick:
        bench_stages(n_scan=4, n_det=8)
        bench_dedup([10_000], naive_max=10_000, full_matrix_max=10_000)
    else:
        bench_stages(n_scan=24, n_det=32)
        bench_dedup([10_000, 100_000], naive_max=100_000, full_matrix_max=10_000)


if __name__ == "__main__":
    main()
