"""Speed and memory of ``rssn compose`` against an authors'-style loop and the I/O floor.

    python benchmarks/bench_rssn.py            # 28 foregrounds x K=5 at 1080 px, ~6 minutes
    python benchmarks/bench_rssn.py --quick    # 2 x K=2, no cold numba, no BM3D: a smoke check
    python benchmarks/bench_rssn.py --fg-methods   # multilevel vs levin on the real mattes

Inputs: the seven alphamatting.com photos and true mattes of ../shared/testdata,
each with its three mirror images (28 foregrounds, so that the run is long enough
for worker start-up and the last tasks not to dominate), in an AM-2k-style
``original/`` + ``mask/`` folder resized to 1080 px high (so F must be estimated)
and in a Composition-1k ``fg/`` + ``alpha/`` copy (F given); the real backgrounds
of ``backgrounds/clean`` (1920-3264 px). Every configuration runs in a fresh child
process; its wall time, the time of its work (after imports) and its peak RSS
(largest process, from ``wait4``) are reported. Measured in the same run:

- ``naive``: the way the authors' scripts work, on 35 composites (the 7 photos
  x K = 5; its rate is what counts): per composite, read the photo and matte,
  estimate the foreground again (pymatting multi-level), read the background,
  stretch it with ``skimage.transform.resize``, blur / noise as drawn, blend in
  float64, write four PNGs with Pillow; one process.
- ``compose``: ``rssn compose`` with 1 and 2 workers, fresh output and cache;
  then 2 workers into a fresh output with the foreground estimates cached; then
  the same photos in a Composition-1k layout (``fg/`` + ``alpha/``, F given).
- ``floor``: only decoding the inputs (photo or cached F, matte, background)
  and encoding the outputs (four PNGs, or a JPEG composite), 2 processes: what
  any tool must pay.
- denoising on (NLM, p 0.5): a cold cache, then a warm cache into a new folder.
- the numba compilation of pymatting: import with an empty cache vs a warm one.
- one BM3D call at 270x360 (the default profile), to place BM3D's cost.

Ratios are composites per second against ``naive`` and against ``floor``.
Outputs go to benchmarks/_out/rssn (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "benchmarks" / "_out" / "rssn"
TESTDATA = Path(os.environ.get("MATTEKIT_TESTDATA", ROOT.parent / "shared" / "testdata"))


# ---------------------------------------------------------------- inputs


#: Mirror images that make more foregrounds of the same photos (o: as it is).
FLIPS = {"o": (), "h": (1,), "v": (0,), "r": (0, 1)}


def prepare(n_fg: int, height: int, flips: int) -> tuple[Path, Path]:
    import cv2
    import numpy as np

    from trimaps.io import read_alpha, read_rgb, write_image

    am = TESTDATA / "matting" / "alphamatting"
    if not am.is_dir():
        sys.exit(f"real test data not found at {TESTDATA}")
    root = OUT / f"inputs_{n_fg}x{flips}_{height}"
    fg_root = root / "fg"
    if not (fg_root / "mask").is_dir() or len(list((fg_root / "mask").iterdir())) != n_fg * flips:
        shutil.rmtree(root, ignore_errors=True)
        for p in sorted((am / "input").glob("*.png"))[:n_fg]:
            img, a = read_rgb(p), read_alpha(am / "gt_alpha" / p.name)
            w = round(img.shape[1] * height / img.shape[0])
            img = cv2.resize(img, (w, height), interpolation=cv2.INTER_CUBIC)
            a = cv2.resize(a, (w, height), interpolation=cv2.INTER_CUBIC)
            for tag, axes in list(FLIPS.items())[:flips]:
                name = f"{p.stem}{tag}.png"
                write_image(fg_root / "original" / name, np.flip(img, axes) if axes else img)
                write_image(fg_root / "mask" / name, np.flip(a, axes) if axes else a)
    # the same photos in a Composition-1k layout (fg/ + alpha/): F is given, as the photo
    comp1k = root / "comp1k"
    if not (comp1k / "alpha").is_dir():
        for name in ("fg", "alpha"):
            src = fg_root / ("original" if name == "fg" else "mask")
            (comp1k / name).mkdir(parents=True, exist_ok=True)
            for f in src.glob("*.png"):
                shutil.copyfile(f, comp1k / name / f.name)
    return fg_root, TESTDATA / "backgrounds" / "clean"


# ---------------------------------------------------------------- the children


def child_naive(fg_root: Path, bg_root: Path, out: Path, k: int, limit: int) -> int:
    """The authors' way: everything again for every composite, one process.

    Stops after ``limit`` composites (it is 10-20x slower than the rest; its rate
    per composite is what the table compares).
    """
    import random

    import cv2
    import numpy as np
    from PIL import Image
    from skimage.transform import resize

    from rssn._steps import import_pymatting

    import_pymatting()
    from pymatting import estimate_foreground_ml

    rng = random.Random(0)
    noise_rng = np.random.default_rng(0)
    bgs = sorted(bg_root.glob("*.jpg"))
    n = 0
    # the photos as they are first (every photo once), then their mirror images
    order = sorted((fg_root / "original").glob("*.png"), key=lambda p: (p.stem[-1] != "o", p.name))
    for path in order:
        if n >= limit:
            break
        for j in range(k):
            image = np.asarray(Image.open(path).convert("RGB")) / 255.0
            alpha = np.asarray(Image.open(fg_root / "mask" / path.name).convert("L")) / 255.0
            fg = estimate_foreground_ml(image, alpha)
            bg = np.asarray(Image.open(rng.choice(bgs)).convert("RGB"))
            h, w = alpha.shape
            bg = resize(bg, (h, w), preserve_range=True)  # out of aspect, as GFM does
            if rng.random() < 0.5:
                ks = rng.choice([20, 30, 40, 50, 60])
                bg = cv2.blur(bg, (ks, ks))
            a = alpha[..., None]
            comp = fg * 255 * a + bg * (1 - a)
            if rng.random() < 0.5:
                comp = comp + noise_rng.normal(0, 10, comp.shape)
            stem = f"{path.stem}_{j}"
            for name, arr in (
                ("image", comp),
                ("fg", fg * 255),
                ("bg", bg),
                ("alpha", alpha * 255),
            ):
                (out / name).mkdir(parents=True, exist_ok=True)
                Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8)).save(
                    out / name / f"{stem}.png"
                )
            n += 1
    return n


def child_compose(
    fg_root: Path, bg_root: Path, out: Path, k: int, workers: int, extra: dict
) -> int:
    from rssn import Params
    from rssn._compose import ComposeConfig, compose

    params = Params(**{"denoise_p": 0.0, **extra.get("params", {})})
    cfg = ComposeConfig(
        fg_root,
        bg_root,
        out,
        k=k,
        params=params,
        workers=workers,
        jpeg=extra.get("jpeg", False),
        cache=Path(extra["cache"]) if extra.get("cache") else None,
    )
    summary = compose(cfg)
    return summary.written


def _floor_one(job) -> None:
    import cv2

    colour, matte, bg, out, stem, jpeg, size = job
    img = cv2.imread(colour, cv2.IMREAD_COLOR)
    a = cv2.imread(matte, cv2.IMREAD_GRAYSCALE)
    b = cv2.imread(bg, cv2.IMREAD_COLOR)
    w, h = size
    crop = b[:h, :w] if b.shape[0] >= h and b.shape[1] >= w else cv2.resize(b, (w, h))
    ext = ".jpg" if jpeg else ".png"
    for name, arr, e in (
        ("image", img, ext),
        ("alpha", a, ".png"),
        ("fg", img, ".png"),
        ("bg", crop, ".png"),
    ):
        _, buf = cv2.imencode(e, arr)
        Path(out, name).mkdir(parents=True, exist_ok=True)
        Path(out, name, stem + e).write_bytes(buf.tobytes())


def child_floor(fg_root: Path, bg_root: Path, out: Path, k: int, workers: int, extra: dict) -> int:
    """Decode the inputs and encode the outputs, nothing else (F taken as already cached)."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    from PIL import Image

    bgs = sorted(bg_root.glob("*.jpg"))
    jobs = []
    i = 0
    for path in sorted((fg_root / "original").glob("*.png")):
        size = Image.open(path).size
        for j in range(k):
            jobs.append((str(path), str(fg_root / "mask" / path.name), str(bgs[i % len(bgs)]),
                         str(out), f"{path.stem}_{j}", extra.get("jpeg", False), size))  # fmt: skip
            i += 1
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        list(pool.map(_floor_one, jobs))
    return len(jobs)


def child_import_pymatting(cache_dir: str) -> int:
    os.environ["NUMBA_CACHE_DIR"] = cache_dir
    import pymatting  # noqa: F401

    return 0


def child_bm3d() -> int:
    import numpy as np

    from rssn import denoise

    rng = np.random.default_rng(0)
    img = np.clip(128 + rng.normal(0, 10, (270, 360, 3)), 0, 255).astype(np.uint8)
    denoise(img, "bm3d", sigma=10)
    return 1


def fg_methods() -> None:
    """Multi-level vs closed-form foreground on the seven real mattes: time and error."""
    import numpy as np

    from rssn import foreground
    from rssn._steps import import_pymatting
    from trimaps.io import read_alpha, read_rgb

    import_pymatting()
    am = TESTDATA / "matting" / "alphamatting"
    print("| image | size | multilevel s | levin s | multilevel band error | levin band error |")
    print("|---|---|---|---|---|---|")
    totals = {"multilevel": [], "levin": []}
    for p in sorted((am / "input").glob("*.png")):
        image, alpha = read_rgb(p), read_alpha(am / "gt_alpha" / p.name)
        band = (alpha > 0) & (alpha < 255)
        a = alpha.astype(np.float64)[..., None] / 255
        cells = []
        for method in ("multilevel", "levin"):
            t0 = time.perf_counter()
            F, B = foreground(image, alpha, method)
            dt = time.perf_counter() - t0
            err = float(np.abs(a * F + (1 - a) * B - image)[band].mean())
            totals[method].append((dt, err))
            cells.append((dt, err))
        (tm, em), (tl, el) = cells
        print(f"| {p.stem} | {image.shape[1]}x{image.shape[0]} | {tm:.2f} | {tl:.2f} | "
              f"{em:.2f} | {el:.2f} |")  # fmt: skip
    for method, vals in totals.items():
        ts, es = zip(*vals, strict=True)
        print(f"{method}: total {sum(ts):.1f} s, mean band error {np.mean(es):.2f} levels")


def child_main(spec: dict) -> None:
    t0 = time.perf_counter()
    kind = spec["kind"]
    a = [Path(spec["fg"]), Path(spec["bg"]), Path(spec["out"]), spec["k"]] if "fg" in spec else []
    if kind == "naive":
        n = child_naive(*a, spec.get("limit", 10**9))
    elif kind == "compose":
        n = child_compose(*a, spec["workers"], spec.get("extra", {}))
    elif kind == "floor":
        n = child_floor(*a, spec["workers"], spec.get("extra", {}))
    elif kind == "import":
        n = child_import_pymatting(spec["cache_dir"])
    elif kind == "bm3d":
        n = child_bm3d()
    else:
        raise SystemExit(f"unknown child {kind}")
    print(json.dumps({"n": n, "work": time.perf_counter() - t0}))


# ---------------------------------------------------------------- the parent


def measure(spec: dict) -> dict:
    """Run one configuration in a fresh process: wall time, work time, peak RSS (MiB)."""
    if "out" in spec:
        shutil.rmtree(spec["out"], ignore_errors=True)
    env = dict(os.environ)
    env.setdefault("NUMBA_CACHE_DIR", str(Path.home() / ".cache" / "mattekit" / "numba"))
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child", json.dumps(spec)],
        stdout=subprocess.PIPE,
        env=env,
        text=True,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    out = proc.stdout.read()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{spec['kind']} failed with exit code {proc.returncode}")
    result = json.loads(out.strip().splitlines()[-1])
    # ru_maxrss (KiB on Linux): the largest of the child and its waited-for descendants
    result.update(wall=wall, rss=usage.ru_maxrss / 1024)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 foregrounds x K=2, no cold numba")
    parser.add_argument("--n-fg", type=int, default=7, help="photos (at most the 7 real ones)")
    parser.add_argument(
        "--flips", type=int, default=4, choices=(1, 2, 3, 4),
        help="foregrounds per photo: it and its mirror images (h, v, both)",
    )  # fmt: skip
    parser.add_argument("--naive", type=int, default=35, help="composites of the naive loop")
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--height", type=int, default=1080)
    parser.add_argument(
        "--fg-methods", action="store_true", help="only compare multilevel and levin foregrounds"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(json.loads(args.child))
        return
    if args.fg_methods:
        fg_methods()
        return
    n_fg, flips, k = (2, 1, 2) if args.quick else (args.n_fg, args.flips, args.k)
    fg_root, bg_root = prepare(n_fg, args.height, flips)
    common = {"fg": str(fg_root), "bg": str(bg_root), "k": k}
    rows: list[tuple[str, dict]] = []

    def run(name, **spec):
        r = measure(spec)
        rows.append((name, r))
        n = r["n"] or 1
        print(
            f"  {name:<44} {r['work']:7.2f} s  {n / r['work']:6.2f}/s  {r['rss']:6.0f} MiB",
            flush=True,
        )
        return r

    print(
        f"{n_fg} photos x {flips} (mirror images) = {n_fg * flips} foregrounds x K={k} at "
        f"{args.height} px high, {os.cpu_count()} cores"
    )
    naive = run("naive authors'-style loop, 1 process", kind="naive", out=str(OUT / "naive"),
                limit=args.naive, **common)  # fmt: skip
    c1 = run("rssn compose, 1 worker", kind="compose", workers=1, out=str(OUT / "c1"), **common)
    fg_cache = str(OUT / "fg_cache")
    shutil.rmtree(fg_cache, ignore_errors=True)
    c2 = run("rssn compose, 2 workers", kind="compose", workers=2, out=str(OUT / "c2"),
             extra={"cache": fg_cache}, **common)  # fmt: skip
    c2w = run("rssn compose, 2 workers, F cached", kind="compose", workers=2,
              out=str(OUT / "c2w"), extra={"cache": fg_cache}, **common)  # fmt: skip
    c1k = run("rssn compose, 2 workers, Composition-1k layout", kind="compose", workers=2,
              out=str(OUT / "c1k"), **{**common, "fg": str(fg_root.parent / "comp1k")})  # fmt: skip
    floor = run(
        "floor: decode + encode PNG, 2 processes",
        kind="floor",
        workers=2,
        out=str(OUT / "floor"),
        **common,
    )
    cj = run("rssn compose --jpeg, 2 workers, Composition-1k layout", kind="compose", workers=2,
             out=str(OUT / "cj"), extra={"jpeg": True},
             **{**common, "fg": str(fg_root.parent / "comp1k")})  # fmt: skip
    fj = run("floor: decode + encode JPEG composite", kind="floor", workers=2, out=str(OUT / "fj"),
             extra={"jpeg": True}, **common)  # fmt: skip
    cache = str(OUT / "nlm_cache")
    shutil.rmtree(cache, ignore_errors=True)
    nlm = {"params": {"denoise_p": 0.5, "denoise_method": "nlm"}, "cache": cache}
    cold = run("compose, NLM p 0.5, cold cache, 2 workers", kind="compose", workers=2,
               out=str(OUT / "nlm1"), extra=nlm, **common)  # fmt: skip
    warm = run("compose, NLM p 0.5, warm cache, 2 workers", kind="compose", workers=2,
               out=str(OUT / "nlm2"), extra=nlm, **common)  # fmt: skip
    with tempfile.TemporaryDirectory() as empty:
        if not args.quick:
            run("import pymatting, empty numba cache", kind="import", cache_dir=empty)
        warm_dir = os.environ.get("NUMBA_CACHE_DIR", str(Path.home() / ".cache/mattekit/numba"))
        run("import pymatting, warm numba cache", kind="import", cache_dir=warm_dir)
    if not args.quick:
        run("one BM3D call, 270x360, default profile", kind="bm3d")

    def rate(r):
        return r["n"] / r["work"]

    print()
    print(
        "| configuration | composites | work s | wall s | composites/s | vs naive | vs floor "
        "| peak RSS MiB |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, r in rows:
        if r["n"] > 1:
            ratio_naive = f"{rate(r) / rate(naive):.1f}x"
            ref = fj if "JPEG" in name or "jpeg" in name else floor
            ratio_floor = f"{rate(r) / rate(ref):.2f}x"
            print(f"| {name} | {r['n']} | {r['work']:.2f} | {r['wall']:.2f} | {rate(r):.2f} | "
                  f"{ratio_naive} | {ratio_floor} | {r['rss']:.0f} |")  # fmt: skip
        else:
            print(
                f"| {name} | - | {r['work']:.2f} | {r['wall']:.2f} | - | - | - | {r['rss']:.0f} |"
            )
    summary = {
        "speedup_vs_naive_2_workers": rate(c2) / rate(naive),
        "floor_over_compose_png": rate(floor) / rate(c2),
        "floor_over_compose_png_f_cached": rate(floor) / rate(c2w),
        "floor_over_compose_png_comp1k": rate(floor) / rate(c1k),
        "floor_over_compose_jpeg": rate(fj) / rate(cj),
        "nlm_cold_over_warm": warm["work"] and cold["work"] / warm["work"],
        "compose_1_vs_2_workers": rate(c2) / rate(c1),
    }
    print()
    for key, v in summary.items():
        print(f"{key}: {v:.2f}")
    (OUT / "results.json").write_text(json.dumps({"rows": rows, "summary": summary}, indent=2))


if __name__ == "__main__":
    main()
