"""Reading and writing mattes and images, with errors that name the file.

Every reader raises :class:`ImageError` (a ``ValueError``) whose message starts
with the path and says what is wrong, so that a command-line tool can print one
line and a training script sees which file to fix. Writers are atomic: the data
goes to a temporary file in the destination folder and is renamed into place,
so an interrupted run never leaves a half-written image behind.
"""

from __future__ import annotations

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


def open_image(path: str | os.PathLike, *, exif: bool = True) -> Image.Image:
    """Open and fully decode an image with Pillow.

    The whole file is decoded here, so a truncated file fails now (not later
    inside NumPy). With ``exif=True`` the EXIF orientation is applied.
    """
    path = Path(path)
    if not path.exists():
        raise ImageError(path, "no such file")
    if path.is_dir():
        raise ImageError(path, "is a folder, not an image")
    try:
        img = Image.open(path)
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


def read_rgb(path: str | os.PathLike) -> np.ndarray:
    """Read a colour image as ``uint8`` RGB, shape ``(H, W, 3)``.

    Gray, palette and RGBA files are converted (RGBA drops its alpha); 16-bit
    files are refused rather than silently rescaled.
    """
    img = open_image(path)
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
    img = open_image(path, exif=False)
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
