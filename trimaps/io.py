"""Reading and writing mattes and images, with errors that name the file.

Every reader raises :class:`ImageError` (a ``ValueError``) whose message starts
with the path and says what is wrong, so that a command-line tool can print one
line and a training script sees which file to fix. Writers are atomic: the data
goes to a temporary file in the destination folder and is renamed into place,
so an interrupted run never leaves a half-written image behind.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

__all__ = [
    "IMAGE_SUFFIXES",
    "ImageError",
    "atomic_write_bytes",
    "list_images",
    "open_image",
    "read_alpha",
    "read_rgb",
    "read_trimap",
    "write_image",
]

#: File name suffixes treated as images when scanning folders.
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")

# Decompression-bomb protection stays on, but real datasets hold 8k photos.
Image.MAX_IMAGE_PIXELS = 20000 * 20000


class ImageError(ValueError):
    """An input image that cannot be used; ``str()`` is ``"<path>: <reason>"``."""

    def __init__(self, path: str | os.PathLike, reason: str):
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


def list_images(folder: str | os.PathLike, *, recursive: bool = False) -> list[Path]:
    """Image files in ``folder`` (by suffix, case-insensitive), sorted by path.

    Raises :class:`ImageError` when ``folder`` does not exist or is not a folder.
    """
    folder = Path(folder)
    if not folder.exists():
        raise ImageError(folder, "no such folder")
    if not folder.is_dir():
        raise ImageError(folder, "not a folder")
    pattern = "**/*" if recursive else "*"
    return sorted(
        p for p in folder.glob(pattern) if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
    )


def open_image(
    path: str | os.PathLike, *, exif: bool = True, data: bytes | None = None
) -> Image.Image:
    """Open and fully decode an image with Pillow.

    The whole file is decoded here, so a truncated file fails now (not later
    inside NumPy). With ``exif=True`` the EXIF orientation is applied. ``data``:
    the file's bytes when the caller has read them already (``path`` then only
    names the file in errors).
    """
    path = Path(path)
    if data is None:
        if not path.exists():
            raise ImageError(path, "no such file")
        if path.is_dir():
            raise ImageError(path, "is a folder, not an image")
    try:
        img = Image.open(path if data is None else io.BytesIO(data))
        img.load()
    except UnidentifiedImageError:
        raise ImageError(path, "not an image file Pillow can read") from None
    except OSError as exc:
        msg = str(exc)
        if "truncated" in msg:
            raise ImageError(path, "truncated image file (download or copy incomplete?)") from None
        raise ImageError(path, f"cannot decode image ({msg})") from None
    except Image.DecompressionBombError as exc:
        raise ImageError(path, f"image too large ({exc})") from None
    if exif:
        try:
            img = ImageOps.exif_transpose(img)
        except Exception as exc:  # a broken EXIF block should not lose the image
            raise ImageError(path, f"unreadable EXIF orientation ({exc})") from None
    return img


def _is_gray_palette(img: Image.Image) -> bool:
    palette = np.asarray(img.getpalette() or [], dtype=np.uint8).reshape(-1, 3)
    return bool(len(palette)) and bool(np.all(palette == palette[:, :1]))


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"
# JPEG start-of-frame markers (SOF0-SOF15 less DHT C4, JPG C8 and DAC CC)
_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _png_header(data: bytes, *, complete: bool = True) -> tuple[int, int, int, int] | None:
    """(width, height, bit depth, colour type) of a PNG, else None.

    With ``complete``, None also for a PNG that does not end with its IEND chunk
    (truncated, or bytes after the end: Pillow judges those).
    """
    if len(data) < 33 or not data.startswith(_PNG_SIGNATURE) or data[12:16] != b"IHDR":
        return None
    if complete and (len(data) < 45 or not data.endswith(_PNG_END)):
        return None
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    return width, height, data[24], data[25]


def _jpeg_header(data: bytes) -> tuple[int, int, int, int] | None:
    """(width, height, precision, components) of a complete JPEG, else None."""
    if len(data) < 4 or not data.startswith(b"\xff\xd8") or not data.endswith(b"\xff\xd9"):
        return None
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        if marker in _JPEG_SOF:
            precision, height = data[i + 4], int.from_bytes(data[i + 5 : i + 7], "big")
            width, components = int.from_bytes(data[i + 7 : i + 9], "big"), data[i + 9]
            return width, height, precision, components
        if marker == 0xDA or length < 2:  # scan data before any frame header
            return None
        i += 2 + length
    return None


def _decode_rgb_fast(data: bytes) -> np.ndarray | None:
    """OpenCV's decode of the files where it gives Pillow's pixels exactly, else None.

    8-bit gray, RGB and RGBA PNGs without an EXIF block, and 8-bit gray or YCbCr
    JPEGs, complete (ending with IEND / EOI). OpenCV applies a JPEG's EXIF
    orientation as ``ImageOps.exif_transpose`` does; both decode JPEG with
    libjpeg-turbo's exact integer IDCT and fancy upsampling. About 1.3-2x faster
    than Pillow on 1080p files; ``tests/test_io.py`` checks the pixels against
    Pillow's on real photos and on every orientation. Everything else (16-bit,
    palette, CMYK, gray + alpha, truncated, huge) is left to Pillow and its errors.
    """
    png = _png_header(data)
    if png is not None:
        w, h, depth, colour = png
        if depth != 8 or colour not in (0, 2, 6) or w * h > Image.MAX_IMAGE_PIXELS:
            return None
        if data.find(b"eXIf") >= 0:  # Pillow would apply the orientation
            return None
        flags = cv2.IMREAD_UNCHANGED
    else:
        jpeg = _jpeg_header(data)
        if jpeg is None:
            return None
        w, h, precision, components = jpeg
        if precision != 8 or components not in (1, 3) or w * h > Image.MAX_IMAGE_PIXELS:
            return None
        flags = cv2.IMREAD_COLOR  # applies the EXIF orientation
    img = cv2.imdecode(np.frombuffer(data, np.uint8), flags)
    if img is None or img.dtype != np.uint8:
        return None
    if img.ndim == 2:
        return cv2.cvtColor(img, cv2.COLOR_GRAY2RGB)
    if img.shape[2] == 4:
        return cv2.cvtColor(img, cv2.COLOR_BGRA2RGB)
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def _read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:  # missing, a folder, unreadable: open_image says which
        return None


def read_rgb(path: str | os.PathLike) -> np.ndarray:
    """Read a colour image as ``uint8`` RGB, shape ``(H, W, 3)``.

    Gray, palette and RGBA files are converted (RGBA drops its alpha); 16-bit
    files are refused rather than silently rescaled. The EXIF orientation is
    applied. Common files (8-bit PNG and JPEG) are decoded by OpenCV, the rest
    by Pillow; the pixels are Pillow's either way.
    """
    data = _read_bytes(Path(path))
    if data is not None:
        fast = _decode_rgb_fast(data)
        if fast is not None:
            return fast
        png = _png_header(data, complete=False)
        if png is not None and png[2] == 16:
            # Pillow opens a 16-bit RGB(A) PNG as 8-bit RGB without a word
            raise ImageError(path, "16-bit PNG; 8-bit RGB is expected")
    return _read_rgb_pillow(path, data)


def _read_rgb_pillow(path: str | os.PathLike, data: bytes | None = None) -> np.ndarray:
    img = open_image(path, data=data)
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        raise ImageError(path, f"{img.mode} image (16-bit or float); 8-bit RGB is expected")
    if img.mode != "RGB":
        img = img.convert("RGB")
    return np.asarray(img)


def read_alpha(
    path: str | os.PathLike,
    *,
    allow_rgb: bool = True,
    allow_palette: bool = True,
) -> np.ndarray:
    """Read an 8-bit alpha matte as ``uint8``, shape ``(H, W)``, 0 = background.

    Parameters
    ----------
    path : path-like
        A single-channel PNG/JPEG/..., or (``allow_rgb``) a 3-channel file whose
        channels are equal, as the alphamatting.com ground truth is stored.
    allow_rgb : bool
        Accept 3-channel files with equal channels. Channels that differ are
        always an error: such a file is a photo, not a matte.
    allow_palette : bool
        Accept palette files whose palette is gray.

    Raises
    ------
    ImageError
        For a missing, unreadable or truncated file, a 16-bit matte, a colour
        palette, unequal colour channels, or an RGBA file whose colour is not
        gray.
    """
    data = _read_bytes(Path(path))
    png = _png_header(data) if data is not None else None
    if png is not None and png[2:] == (8, 0) and png[0] * png[1] <= Image.MAX_IMAGE_PIXELS:
        # 8-bit gray PNG, the usual matte: OpenCV decodes it faster, same pixels
        matte = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
        if matte is not None and matte.dtype == np.uint8 and matte.ndim == 2:
            return matte
    img = open_image(path, exif=False, data=data)
    mode = img.mode
    if mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        raise ImageError(path, f"{mode} matte (16-bit or float); an 8-bit matte is expected")
    if mode == "L":
        return np.asarray(img)
    if mode == "P":
        if not allow_palette:
            raise ImageError(path, "palette PNG; save the matte as 8-bit grayscale")
        if not _is_gray_palette(img):
            raise ImageError(path, "palette PNG with colours; a matte must be gray")
        return np.asarray(img.convert("L"))
    if mode in ("1", "LA"):
        return np.asarray(img.convert("L"))
    if mode in ("RGB", "RGBA"):
        if not allow_rgb:
            raise ImageError(path, f"{len(mode)}-channel matte; a single-channel matte is expected")
        rgb = np.asarray(img)[..., :3]
        if not (
            np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 0], rgb[..., 2])
        ):
            raise ImageError(path, "colour image where a matte was expected (channels differ)")
        return np.ascontiguousarray(rgb[..., 0])
    raise ImageError(path, f"unsupported image mode {mode!r} for a matte")


def read_trimap(path: str | os.PathLike) -> np.ndarray:
    """Read a trimap as ``uint8`` ``(H, W)``: 0 background, 255 foreground, else unknown.

    Palette, RGB and RGBA files (the colour channels must be equal) are accepted,
    because hand-made trimaps come in all of these.
    """
    return read_alpha(path, allow_rgb=True, allow_palette=True)


def _file_mode() -> int:
    """The mode ``open()`` would give a new file: 0o666 less the process umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file and an atomic rename.

    The file gets the permissions a plain ``open()`` would give it (``mkstemp``
    alone makes it readable by its owner only, which breaks shared datasets).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, _file_mode())
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_image(path: str | os.PathLike, image: np.ndarray, *, jpeg_quality: int = 95) -> Path:
    """Write a ``uint8`` gray ``(H, W)`` or RGB ``(H, W, 3)`` image atomically.

    The format follows the suffix (``.png`` or ``.jpg``/``.jpeg``). OpenCV
    encodes: with no compression flag its PNG writer is several times faster
    than Pillow's default, which matters over tens of thousands of files.
    """
    path = Path(path)
    image = np.asarray(image)
    if image.dtype != np.uint8:
        raise TypeError(f"{path}: write_image expects uint8, got {image.dtype}")
    if image.ndim == 3 and image.shape[2] == 3:
        image = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    elif image.ndim != 2:
        raise ValueError(f"{path}: expected (H, W) or (H, W, 3), got shape {image.shape}")
    suffix = path.suffix.lower()
    if suffix == ".png":
        ok, buf = cv2.imencode(".png", image)
    elif suffix in (".jpg", ".jpeg"):
        ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(jpeg_quality)])
    else:
        raise ValueError(f"{path}: unsupported output format {suffix!r} (use .png or .jpg)")
    if not ok:  # pragma: no cover - OpenCV reports no reason
        raise OSError(f"{path}: OpenCV could not encode the image")
    return atomic_write_bytes(path, buf.tobytes())
