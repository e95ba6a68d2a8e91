"""Samples per second per worker of rssn.CompositeDataset at 512 x 512 from 1080p inputs.

    python benchmarks/bench_dataloader.py [--quick] [--passes 3]

Measured in the same run against a plain reference loop, the floor every
on-the-fly dataset pays: read F, alpha and B (OpenCV), resize B to F's size, blend
in float32, cut a random 512 x 512 window. The dataset does the whole RSSN route
(:func:`rssn.cook`: background window, blur p 0.5, denoise p 0.5, noise p 0.5) plus
the crop, with the denoised images served from the cache of ``rssn compose``
(filled first, with OpenCV non-local means so that filling takes seconds, not
hours of BM3D: serving costs the same whichever denoiser made the entry). The
cache is timed in both entry formats: ``npy`` (``rssn compose --cache-format
npy``, the target row) and PNG (the default, compact, slower to decode).

Inputs are made here, at 1920 x 1080: ``skimage.data`` photos as foreground colours
and backgrounds, the project's procedural mattes (:func:`trimaps.sample_mattes`).
One process is timed (samples per second per worker); with ``--loader`` a torch
DataLoader with 2 workers is timed too.
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import rssn
import trimaps
from rssn._cache import DiskCache
from rssn._compose import ComposeConfig, compose
from trimaps.io import write_image

SIZE = (1920, 1080)  # (width, height)
CROP = 512


def _photo(name: str) -> np.ndarray:
    import skimage.data

    img = getattr(skimage.data, name)()
    if img.ndim == 2:
        img = np.dstack([img] * 3)
    img = np.ascontiguousarray(img[..., :3])
    return cv2.resize(img, SIZE, interpolation=cv2.INTER_CUBIC)


def make_inputs(root: Path, n_fg: int, n_bg: int) -> tuple[Path, Path]:
    fg_names = ["astronaut", "chelsea", "coffee", "rocket"][:n_fg]
    bg_names = ["coffee", "rocket", "astronaut", "chelsea", "immunohistochemistry", "retina"]
    mattes = list(trimaps.sample_mattes((SIZE[1], SIZE[0])).values())
    for i, name in enumerate(fg_names):
        write_image(root / "fg" / "fg" / f"{name}.png", _photo(name))
        write_image(root / "fg" / "alpha" / f"{name}.png", mattes[i % len(mattes)])
    for name in bg_names[:n_bg]:
        write_image(root / "bg" / f"{name}.jpg", _photo(name)[::-1])  # upside down: not F
    return root / "fg", root / "bg"


def reference_loop(fg_root: Path, bg_root: Path, pairs, rng) -> None:
    """Read, blend, crop: the least any on-the-fly composition does."""
    for fg_name, bg_name in pairs:
        fg = cv2.imread(str(fg_root / "fg" / f"{fg_name}.png"), cv2.IMREAD_COLOR)
        alpha = cv2.imread(str(fg_root / "alpha" / f"{fg_name}.png"), cv2.IMREAD_GRAYSCALE)
        bg = cv2.imread(str(bg_root / bg_name), cv2.IMREAD_COLOR)
        h, w = alpha.shape
        bg = cv2.resize(bg, (w, h), interpolation=cv2.INTER_AREA)
        a = alpha.astype(np.float32)[..., None] / 255
        comp = (a * fg + (1 - a) * bg).astype(np.uint8)
        y, x = int(rng.integers(h - CROP + 1)), int(rng.integers(w - CROP + 1))
        for arr in (comp, alpha, fg, bg):
            np.ascontiguousarray(arr[y : y + CROP, x : x + CROP])


def interleaved(funcs: dict, passes: int, n: int) -> dict[str, float]:
    """Median samples per second of each function over ``passes`` rounds of ``n`` samples.

    Each round runs every function once, in turn, so that load from other processes on a
    shared machine falls on all of them alike; one warm-up round first.
    """
    rates: dict[str, list[float]] = {name: [] for name in funcs}
    for round_ in range(passes + 1):
        for name, func in funcs.items():
            t0 = time.perf_counter()
            func()
            if round_:
                rates[name].append(n / (time.perf_counter() - t0))
    return {name: statistics.median(r) for name, r in rates.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 foregrounds, K=2, 1 pass")
    parser.add_argument("--passes", type=int, default=5)
    parser.add_argument("--loader", action="store_true", help="also time a 2-worker DataLoader")
    args = parser.parse_args()
    n_fg, k, passes = (2, 2, 1) if args.quick else (4, 4, args.passes)
    params = rssn.Params(denoise_method="nlm")  # p = 0.5 for denoise, blur and noise

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        fg_root, bg_root = make_inputs(tmp, n_fg, 6)
        t0 = time.perf_counter()
        summary = compose(
            ComposeConfig(fg_root, bg_root, tmp / "out", k=k, seed=0, params=params, workers=2)
        )
        fill = time.perf_counter() - t0
        png_cache = tmp / "out" / "cache"
        # the same entries as raw arrays: what `rssn compose --cache-format npy` writes
        cache = tmp / "npy_cache"
        png, npy = DiskCache(png_cache), DiskCache(cache, "npy")
        for entry in png_cache.glob("*/*/*.png"):  # <step>/<key[:2]>/<key>.png
            step, key = entry.parent.parent.name, entry.stem
            npy._store(step, key, png._load(step, key))
        # later epochs deal other backgrounds: complete the npy cache for all of them
        t0 = time.perf_counter()
        pre = rssn.prefill(fg_root, bg_root, cache, params, workers=2, cache_format="npy")
        print(
            f"inputs: {n_fg} foregrounds {SIZE[0]}x{SIZE[1]} x K={k}, 6 backgrounds; "
            f"cache filled by rssn compose in {fill:.1f} s ({summary.cache_computed} entries), "
            f"completed by rssn.prefill in {time.perf_counter() - t0:.1f} s "
            f"({pre.computed} more entries)"
        )

        def dataset(p=params, cache=cache, **kw):
            return rssn.CompositeDataset(fg_root, bg_root, k=k, seed=0, params=p, cache=cache, **kw)

        gca = dataset(crop="gca")
        n = len(gca)
        denoised = sum(gca.recipe(i).denoise for i in range(n))
        pairs = [(gca.recipe(i).fg_id, gca.recipe(i).bg) for i in range(n)]
        floor_name = "reference loop: read, blend, 512 crop (floor)"
        funcs = {
            floor_name: lambda: reference_loop(fg_root, bg_root, pairs, np.random.default_rng(0))
        }

        def run(ds):
            def go():
                for i in range(len(ds)):
                    item = ds[i]
                    assert not item["recipe"]["denoise_skipped"]

            return go

        off = rssn.Params(denoise_p=0, blur_p=0, noise_p=0)
        only_noise = rssn.Params(denoise_p=0, blur_p=0, noise_p=1)
        cases = [
            ("CompositeDataset gca, RSSN steps off (p = 0)", dataset(off, crop="gca")),
            ("CompositeDataset gca, noise always (p = 1)", dataset(only_noise, crop="gca")),
            ("CompositeDataset gca, paper's p = 0.5 (TARGET ROW)", gca),
            ("  the same, cache in PNG (the default format)", dataset(crop="gca", cache=png_cache)),
            ("  the same (npy) at epoch 1, after rssn.prefill", dataset(crop="gca", epoch=1)),
            ("  + targets trimap, rosta_tt", dataset(crop="gca", targets=("trimap", "rosta_tt"))),
            ("CompositeDataset gfm (-> 320), p = 0.5", dataset(crop="gfm")),
            ("CompositeDataset no crop (1080p out), p = 0.5", dataset()),
        ]
        funcs.update({name: run(ds) for name, ds in cases})
        if args.loader:
            from torch.utils.data import DataLoader

            dl = DataLoader(
                gca, batch_size=4, num_workers=2, collate_fn=rssn.collate, persistent_workers=True
            )

            def loop():
                for _ in dl:
                    pass

            funcs["DataLoader, 2 persistent workers, gca (total)"] = loop
        rates = interleaved(funcs, passes, n)
        floor = rates[floor_name]
        rows = list(rates.items())
        print(
            f"{n} samples per pass, {denoised} with denoised F and B from the cache (npy unless "
            "said); "
            f"median of {passes} interleaved round(s); 1 process unless noted"
        )
        print(f"{'what':<52} {'samples/s':>10} {'floor / this':>13}")
        for name, rate in rows:
            print(f"{name:<52} {rate:>10.1f} {floor / rate:>12.2f}x")


if __name__ == "__main__":
    main()
