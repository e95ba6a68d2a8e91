"""bgcurate's per-image scan: rejections with reasons, EXIF orientation, resize, pHash."""

from __future__ import annotations

import io

import cv2
import imagehash
import numpy as np
import pytest
from PIL import Image

from bgcurate import ScanParams, phash, resize_short, scan_bytes, scan_file
from bgcurate._scan import work_name


def jpeg_bytes(rgb: np.ndarray, *, quality: int = 95, exif: Image.Exif | None = None) -> bytes:
    buf = io.BytesIO()
    kwargs = {"exif": exif} if exif is not None else {}
    Image.fromarray(rgb).save(buf, format="JPEG", quality=quality, **kwargs)
    return buf.getvalue()


def png_bytes(img: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG")
    return buf.getvalue()


def colourful(h: int, w: int, seed: int = 0) -> np.ndarray:
    """A smooth colour picture (gradients + blobs), so JPEG keeps it colourful."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.stack(
        [255 * x / w, 255 * y / h, 128 + 100 * np.sin(x / 37.0 + rng.uniform(0, 6))], axis=2
    )
    return np.clip(img, 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def clean_photos(testdata):
    paths = sorted((testdata / "backgrounds" / "clean").glob("*.jpg"))
    assert len(paths) == 7, paths
    return paths


def test_clean_photo_passes_and_is_resized_to_1080_short(clean_photos):
    p = clean_photos[0]  # aitzgorri, 3088x2056
    rec, work = scan_bytes(p.read_bytes())
    assert rec.reason is None, rec.detail
    assert (rec.width, rec.height) == Image.open(p).size
    assert rec.work_height == 1080
    assert rec.work_width == round(rec.width * 1080 / rec.height)
    out = cv2.imdecode(np.frombuffer(work, np.uint8), cv2.IMREAD_COLOR)
    assert out.shape == (rec.work_height, rec.work_width, 3)


def test_resize_short_is_area_average_and_never_upscales():
    img = np.arange(4 * 6, dtype=np.uint8).reshape(4, 6) * 10
    half = resize_short(img, 2)
    assert half.shape == (2, 3)
    # INTER_AREA at an integer factor is the mean of each 2x2 block
    expected = img.reshape(2, 2, 3, 2).mean(axis=(1, 3))
    np.testing.assert_allclose(half, np.round(expected), atol=0.5)
    assert resize_short(img, 4) is img and resize_short(img, 10) is img
    tall = np.zeros((3000, 2000, 3), np.uint8)
    assert resize_short(tall, 1080).shape == (1620, 1080, 3)


def test_truncated_and_unreadable_files_are_rejected_with_the_reason(clean_photos):
    data = clean_photos[2].read_bytes()
    rec, work = scan_bytes(data[: len(data) // 2])
    assert (rec.reason, work) == ("truncated", None)
    assert "truncated" in rec.detail
    rec, work = scan_bytes(b"this is not an image at all" * 10)
    assert (rec.reason, work) == ("unreadable", None)
    assert rec.sha256 and len(rec.sha256) == 64


def test_tiny_extreme_aspect_and_grayscale_are_rejected():
    rec, _ = scan_bytes(png_bytes(colourful(40, 80)))
    assert rec.reason == "tiny" and "40" in rec.detail
    rec, _ = scan_bytes(png_bytes(colourful(200, 1000)))
    assert rec.reason == "extreme-aspect" and "5.00" in rec.detail
    rec, _ = scan_bytes(png_bytes(colourful(200, 1000)), ScanParams(max_aspect=6))
    assert rec.reason is None
    gray = cv2.cvtColor(colourful(300, 400), cv2.COLOR_RGB2GRAY)
    rec, _ = scan_bytes(png_bytes(gray))  # an L-mode file
    assert rec.reason == "grayscale" and rec.detail == "gray L file"
    # a gray photo stored as a colour JPEG: the chroma is JPEG noise only
    rec, _ = scan_bytes(jpeg_bytes(np.repeat(gray[..., None], 3, axis=2), quality=80))
    assert rec.reason == "grayscale", rec
    assert rec.chroma <= 6
    rec, _ = scan_bytes(jpeg_bytes(colourful(300, 400), quality=80))
    assert rec.reason is None and rec.chroma > 50


def test_exif_orientation_is_applied():
    rgb = colourful(300, 500)
    exif = Image.Exif()
    exif[0x0112] = 6  # stored rotated: display by rotating 90 degrees clockwise
    rec, work = scan_bytes(jpeg_bytes(rgb, exif=exif), ScanParams(resize_short=300))
    assert (rec.width, rec.height) == (300, 500)
    out = cv2.cvtColor(
        cv2.imdecode(np.frombuffer(work, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB
    )
    expected = np.rot90(rgb, k=-1)  # clockwise
    assert out.shape == expected.shape
    assert np.abs(out.astype(int) - expected).mean() < 3
    assert np.abs(out.astype(int) - np.rot90(rgb, k=1)).mean() > 30


def test_phash_matches_imagehash_to_a_few_bits(clean_photos):
    for p in clean_photos:
        rgb = np.asarray(Image.open(p).convert("RGB"))
        mine = phash(rgb)
        theirs = int(str(imagehash.phash(Image.fromarray(rgb))), 16)
        assert bin(mine ^ theirs).count("1") <= 4, p.name


def test_phash_on_a_hand_checked_image():
    # left half dark, right half bright: the low horizontal frequencies carry the energy
    img = np.zeros((64, 64), np.uint8)
    img[:, 32:] = 255
    small = cv2.resize(img, (32, 32), interpolation=cv2.INTER_AREA).astype(np.float32)
    low = cv2.dct(small)[:8, :8].ravel()
    expected = int("".join("1" if v > np.median(low) else "0" for v in low), 2)
    assert phash(img) == expected
    assert phash(np.repeat(img[..., None], 3, axis=2)) == expected


def test_scan_file_writes_the_working_copy_and_returns_a_plain_dict(tmp_path, clean_photos):
    rec = scan_file(clean_photos[2], tmp_path / "cache")
    assert isinstance(rec, dict) and rec["reason"] is None
    assert (tmp_path / "cache" / work_name(rec["sha256"], "jpg")).is_file()
    missing = scan_file(tmp_path / "nope.jpg", tmp_path / "cache")
    assert missing["reason"] == "unreadable" and "No such file" in missing["detail"]


def test_real_previews_hash_like_their_originals_and_clean_photos_stay_far_apart(testdata):
    root = testdata / "backgrounds"
    hashes = {
        p.name: int(scan_bytes(p.read_bytes())[0].phash, 16) for p in sorted(root.rglob("*.jpg"))
    }
    for stem in ("plasma_Path", "plasma_summer_1am"):
        original = hashes[f"{stem}_2560x1600.jpg"]
        assert bin(original ^ hashes[f"{stem}_screenshot_400x250.jpg"]).count("1") == 0
    clean = [v for k, v in hashes.items() if "screenshot" not in k]
    closest = min(bin(a ^ b).count("1") for k, a in enumerate(clean) for b in clean[k + 1 :])
    assert closest >= 16  # twice the default threshold of 8 (measured: 20)
