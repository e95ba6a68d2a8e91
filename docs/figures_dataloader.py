"""Make the picture of docs/dataloader.md: one batch of a real DataLoader over CompositeDataset.

    python docs/figures_dataloader.py     # docs/img/dataloader/batch.png (committed)

Inputs are the built-in sample of ``rssn demo`` (:func:`rssn._demo.make_sample`:
procedural mattes, colours and landscapes made by the project) with foreground
colours replaced by ``skimage.data`` photos, so the crops show real texture. The
loader runs 2 workers with GFM's crop and the GFM trimap target; each column is
one sample, labelled with its recipe (foreground, k, blur kernel, noise, flip).
"""

from __future__ import annotations

import io
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import rssn  # noqa: E402
from rssn._demo import make_sample  # noqa: E402
from trimaps.io import atomic_write_bytes, read_alpha, write_image  # noqa: E402

OUT = ROOT / "docs" / "img" / "dataloader" / "batch.png"
CELL = 150
LABEL_H = 18


def label(img: np.ndarray, text: str) -> np.ndarray:
    if img.ndim == 2:
        img = np.dstack([img] * 3)
    img = cv2.resize(img, (CELL, CELL), interpolation=cv2.INTER_AREA)
    bar = np.full((LABEL_H, CELL, 3), 40, np.uint8)
    cv2.putText(bar, text, (4, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.36, (255, 255, 255), 1, cv2.LINE_AA)
    return np.vstack([bar, img])


def main() -> None:
    import skimage.data
    import torch
    from torch.utils.data import DataLoader, RandomSampler

    with tempfile.TemporaryDirectory() as tmp:
        fg_root, bg_root = make_sample(Path(tmp))
        photos = {
            "disk": skimage.data.coffee(),
            "hairy": skimage.data.chelsea(),
            "veil": skimage.data.astronaut(),
        }
        for name, photo in photos.items():
            h, w = read_alpha(fg_root / "alpha" / f"{name}.png").shape
            write_image(fg_root / "fg" / f"{name}.png", cv2.resize(photo, (w, h)))
        ds = rssn.CompositeDataset(
            fg_root,
            bg_root,
            k=4,
            seed=0,
            crop="gfm",
            targets=("trimap",),
            params=rssn.Params(denoise_p=0.0),
        )
        sampler = rssn.EpochSampler(RandomSampler(ds, generator=torch.Generator().manual_seed(0)))
        loader = DataLoader(
            ds, batch_size=6, sampler=sampler, num_workers=2, collate_fn=rssn.collate
        )
        batch = next(iter(loader))

    columns = []
    for j, recipe in enumerate(batch["recipe"]):
        crop = batch["crop"][j]
        noise = "noise" if recipe["noise"] else "clean"
        blur = f"blur {recipe['blur_kernel']}" if recipe["blur_kernel"] else "sharp"
        flip = " flip" if crop["flip"] else ""
        cells = [
            label(batch["image"][j].numpy(), f"{recipe['fg_id']} k={recipe['k']}{flip}"),
            label(batch["alpha"][j].numpy(), "alpha"),
            label(batch["trimap"][j].numpy(), "trimap (GFM, 25)"),
            label(batch["bg"][j].numpy(), f"B: {blur}, {noise}"),
        ]
        columns.append(np.vstack(cells))
    gap = np.full((columns[0].shape[0], 4, 3), 255, np.uint8)
    picture = np.hstack([c for col in columns for c in (col, gap)][:-1])
    # 256 colours keep the PNG small (the committed pictures stay under 300 KB)
    buf = io.BytesIO()
    Image.fromarray(picture).quantize(256, dither=Image.Dither.NONE).save(buf, "PNG", optimize=True)
    atomic_write_bytes(OUT, buf.getvalue())
    print(f"{OUT.relative_to(ROOT)}: {OUT.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
