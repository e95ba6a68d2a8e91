"""trimaps.io: atomic writes that leave nothing half-written and normal permissions."""

from __future__ import annotations

import os
import stat

import numpy as np
import pytest

from trimaps.io import atomic_write_bytes, read_rgb, write_image


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_written_files_get_the_permissions_of_a_plain_open(tmp_path, umask):
    old = os.umask(umask)
    try:
        path = atomic_write_bytes(tmp_path / "a.bin", b"data")
        with open(tmp_path / "plain.bin", "wb") as fh:
            fh.write(b"data")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask
    plain = stat.S_IMODE((tmp_path / "plain.bin").stat().st_mode)
    assert stat.S_IMODE(path.stat().st_mode) == plain


def test_write_image_round_trips_and_leaves_no_temporary_file(tmp_path):
    rgb = np.arange(4 * 5 * 3, dtype=np.uint8).reshape(4, 5, 3)
    path = write_image(tmp_path / "sub" / "x.png", rgb)
    np.testing.assert_array_equal(read_rgb(path), rgb)
    assert sorted(p.name for p in path.parent.iterdir()) == ["x.png"]


# Reading: OpenCV decodes the common files, Pillow the rest, with Pillow's pixels either way


def _photo() -> np.ndarray:
    import skimage.data

    return skimage.data.astronaut()[:96, :128]  # not square: orientations differ


def _save(path, image, **kw):
    from PIL import Image

    Image.fromarray(image).save(path, **kw)
    return path


def test_opencv_reads_real_photos_and_mattes_exactly_as_pillow(testdata):
    from trimaps.io import _decode_rgb_fast, _read_rgb_pillow, read_alpha

    files = sorted(p for p in testdata.rglob("*") if p.suffix.lower() in (".png", ".jpg"))
    assert len(files) >= 40
    fast = 0
    for path in files:
        fast += _decode_rgb_fast(path.read_bytes()) is not None
        assert np.array_equal(read_rgb(path), _read_rgb_pillow(path)), path
    assert fast >= 30  # the JPEG backgrounds and the 8-bit PNGs take the OpenCV route
    for path in sorted((testdata / "matting" / "alphamatting" / "gt_alpha").glob("*.png")):
        alpha = read_alpha(path)
        assert alpha.dtype == np.uint8 and alpha.ndim == 2
        assert np.array_equal(alpha, _read_rgb_pillow(path)[..., 0])


@pytest.mark.parametrize("orientation", range(1, 9))
def test_opencv_applies_every_exif_orientation_as_pillow_does(tmp_path, orientation):
    from PIL import Image

    from trimaps.io import _decode_rgb_fast, _read_rgb_pillow

    exif = Image.Exif()
    exif[0x0112] = orientation
    path = _save(tmp_path / "o.jpg", _photo(), quality=90, exif=exif.tobytes())
    assert _decode_rgb_fast(path.read_bytes()) is not None
    out = read_rgb(path)
    assert np.array_equal(out, _read_rgb_pillow(path))
    # orientations 5-8 swap the sides
    assert out.shape[:2] == ((96, 128) if orientation <= 4 else (128, 96))


@pytest.mark.parametrize(
    ("name", "make", "fast"),
    [
        ("gray.png", lambda p, img: _save(p, img[..., 0]), True),
        ("rgba.png", lambda p, img: _save(p, np.dstack([img, img[..., :1]])), True),
        ("gray.jpg", lambda p, img: _save(p, img[..., 0], quality=90), True),
        ("sub444.jpg", lambda p, img: _save(p, img, quality=95, subsampling=0), True),
        ("progressive.jpg", lambda p, img: _save(p, img, progressive=True), True),
        ("palette.png", lambda p, img: _save(p, img[..., 0] // 32 * 32, optimize=False)
         if False else __import__("PIL.Image").Image.fromarray(img).quantize(16).save(p) or p,
         False),
        ("cmyk.jpg", lambda p, img: __import__("PIL.Image").Image.fromarray(img).convert("CMYK")
         .save(p) or p, False),
        ("gray_alpha.png", lambda p, img: __import__("PIL.Image").Image.fromarray(img)
         .convert("LA").save(p) or p, False),
    ],
)  # fmt: skip
def test_pixels_are_pillows_whichever_decoder_reads_the_file(tmp_path, name, make, fast):
    from trimaps.io import _decode_rgb_fast, _read_rgb_pillow

    path = make(tmp_path / name, _photo())
    assert (_decode_rgb_fast(path.read_bytes()) is not None) == fast
    assert np.array_equal(read_rgb(path), _read_rgb_pillow(path))


def test_files_opencv_would_misread_go_to_pillow_and_its_errors(tmp_path):
    from trimaps.io import ImageError, _decode_rgb_fast

    img = _photo()
    png = _save(tmp_path / "a.png", img).read_bytes()
    jpg = _save(tmp_path / "a.jpg", img, quality=90).read_bytes()
    # truncated files: OpenCV would return a half-gray JPEG without a word
    for name, data in (("t.png", png[: len(png) // 2]), ("t.jpg", jpg[: len(jpg) // 2])):
        assert _decode_rgb_fast(data) is None
        (tmp_path / name).write_bytes(data)
        with pytest.raises(ImageError, match=r"truncated|cannot decode"):
            read_rgb(tmp_path / name)
    # 16-bit PNG: OpenCV would scale it down to 8 bits silently
    import cv2

    cv2.imwrite(str(tmp_path / "deep.png"), (img.astype(np.uint16) * 257)[..., ::-1])
    assert _decode_rgb_fast((tmp_path / "deep.png").read_bytes()) is None
    with pytest.raises(ImageError, match="16-bit"):
        read_rgb(tmp_path / "deep.png")
    # bytes after the end of the image: Pillow decides
    (tmp_path / "tail.png").write_bytes(png + b"junk")
    assert _decode_rgb_fast((tmp_path / "tail.png").read_bytes()) is None
    assert np.array_equal(read_rgb(tmp_path / "tail.png"), img)
    with pytest.raises(ImageError, match="no such file"):
        read_rgb(tmp_path / "missing.png")
