"""Make the pictures of docs/bgcurate.md.

    python docs/figures_bgcurate.py     # docs/img/bgcurate/*.png (committed)

A small crawl is built in a temporary folder from ``skimage.data`` photos (never
from ../shared/testdata): clean photos, an exact copy, recompressed and shrunk
copies, two grayscale photos, a banner crop, a tiny file and a truncated one.
``bgcurate.curate`` runs on it (without a detector: no weights ship with the
project) and the report's contact sheets are copied here, reduced to a palette
so that each PNG stays small.
"""

from __future__ import annotations

import io
import json
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np
from PIL import Image
from skimage import data

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bgcurate import CurateConfig, ScanParams, curate  # noqa: E402

OUT = ROOT / "docs" / "img" / "bgcurate"


def save(path: Path, rgb: np.ndarray, quality: int | None = None) -> None:
    img = Image.fromarray(rgb)
    if quality is None:
        img.save(path)
    else:
        img.save(path, quality=quality)


def make_crawl(folder: Path) -> None:
    """A crawled-looking folder with one example of every case."""
    photos = {
        "hubble_deep_field.jpg": data.hubble_deep_field(),
        "retina.jpg": data.retina(),
        "astronaut.png": data.astronaut(),
        "immunohistochemistry.png": data.immunohistochemistry(),
        "motorcycle.jpg": data.stereo_motorcycle()[0],
        "coffee.jpg": data.coffee(),  # 400x600: below --min-short 480
        "rocket.jpg": data.rocket(),  # 427x640: below too
    }
    for name, rgb in photos.items():
        save(folder / name, rgb, 92 if name.endswith(".jpg") else None)
    sub = folder / "mirror_site"
    sub.mkdir()
    save(sub / "astronaut_copy.png", data.astronaut())  # exact copy
    retina = data.retina()
    small = cv2.resize(retina, (600, 600), interpolation=cv2.INTER_AREA)
    save(sub / "retina_600px.jpg", small, 70)  # shrunk + recompressed
    save(sub / "hubble_q40.jpg", data.hubble_deep_field(), 40)  # recompressed
    save(folder / "camera.png", data.camera())  # grayscale
    save(folder / "moon.jpg", np.repeat(data.moon()[..., None], 3, axis=2), 90)  # gray as RGB
    save(folder / "rocket_banner.jpg", data.rocket()[150:270], 90)  # 640x120: aspect 5.3
    save(folder / "cat_icon.png", cv2.resize(data.chelsea(), (45, 30)))  # tiny
    buf = io.BytesIO()
    Image.fromarray(data.coffee()).save(buf, format="JPEG", quality=90)
    (folder / "coffee_partial.jpg").write_bytes(buf.getvalue()[:20000])  # truncated


def palette_png(src: Path, dst: Path, width: int | None = None) -> None:
    img = Image.open(src).convert("RGB")
    if width is not None and img.width > width:
        img = img.crop((0, 0, width, img.height))
    img.quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(dst, optimize=True)
    print(f"{dst.relative_to(ROOT)}: {dst.stat().st_size // 1024} KiB")


def stack(paths: list[Path], dst: Path) -> None:
    sheets = [np.asarray(Image.open(p).convert("RGB")) for p in paths]
    width = max(s.shape[1] for s in sheets)
    padded = [
        np.pad(s, ((0, 8), (0, width - s.shape[1]), (0, 0)), constant_values=255) for s in sheets
    ]
    Image.fromarray(np.vstack(padded)).save(dst)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        crawl, out = Path(tmp) / "crawl", Path(tmp) / "curated"
        crawl.mkdir()
        make_crawl(crawl)
        config = CurateConfig(scan=ScanParams(resize_short=480), min_short=480)
        result = curate(crawl, out, config)
        report = out / "report"
        print(json.dumps(json.loads((report / "report.json").read_text())["stages"], indent=1))
        palette_png(report / "duplicates_001.png", OUT / "report_duplicates.png", width=600)
        rejected = sorted(report.glob("rejected_*.png"))
        combined = Path(tmp) / "rejected.png"
        stack(rejected, combined)
        palette_png(combined, OUT / "report_rejected.png")
        (OUT / "report_counts.json").write_text(
            json.dumps({"counts": result.counts, "groups": result.groups}, indent=1) + "\n"
        )


if __name__ == "__main__":
    main()
