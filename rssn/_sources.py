"""Where ``rssn compose`` finds its foregrounds and backgrounds (the I/O edge).

Foreground layouts, detected in this order under the ``--fg`` folder:

- Composition-1k: ``fg/`` + ``alpha/``, matched by file stem. F is given.
- AM-2k, AIM-500 (``original/`` + ``mask/``), P3M (``blurred_image/`` + ``mask/``),
  or ``image/`` + ``alpha/``: original photos and mattes, matched by file stem;
  F is estimated from the photo (``--fg-method``).
- A folder of RGBA PNGs: colour channels are F, the alpha channel is the matte.

Backgrounds: every JPEG/PNG/... file under ``--bg``, recursively; a background's
id is its path relative to ``--bg`` (POSIX separators), and the pool is sorted
by id.

Checks made before any work (sizes come from file headers, so they are cheap):
a foreground without a matte (or a matte without a foreground), sizes that
differ, 16-bit and palette PNGs, a colour matte, an RGBA file without
transparency. Decoding errors (a truncated file) surface when a file is read.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from trimaps._cliutil import UsageError
from trimaps.io import ImageError, list_images, read_alpha

__all__ = ["Background", "Foreground", "find_backgrounds", "find_foregrounds", "image_info"]

#: (colour folder, matte folder, what the colour folder holds), in detection order.
LAYOUTS: tuple[tuple[str, str, str], ...] = (
    ("fg", "alpha", "fg"),
    ("original", "mask", "image"),
    ("blurred_image", "mask", "image"),
    ("image", "alpha", "image"),
)


@dataclass(frozen=True)
class Foreground:
    """One foreground: its id (file stem) and where its colours and matte come from.

    ``fg`` is set for Composition-1k (the colours to composite), ``image`` for
    datasets of original photos (F is estimated), and ``rgba`` for an RGBA file
    holding both colours and matte; ``alpha`` is the matte file (the RGBA file
    itself for ``rgba``).
    """

    id: str
    alpha: Path
    fg: Path | None = None
    image: Path | None = None
    rgba: bool = False
    fg_type: str | None = None

    @property
    def colour(self) -> Path:
        """The file holding the colours (F, or the original photo)."""
        return self.fg if self.fg is not None else self.image  # type: ignore[return-value]


@dataclass(frozen=True)
class Background:
    id: str
    path: Path
    size: tuple[int, int]  # (width, height) after EXIF orientation


@dataclass(frozen=True)
class ImageInfo:
    size: tuple[int, int]  # (width, height) as read (after EXIF orientation for photos)
    mode: str  # Pillow mode
    png_bit_depth: int | None  # from the PNG header; None for other formats
    png_palette: bool


def image_info(path: Path, *, exif: bool = True) -> ImageInfo:
    """Size and pixel format from the file header, without decoding the pixels.

    Pillow opens a 16-bit RGB PNG as 8-bit ``RGB``, so the PNG header's bit
    depth and colour type are read directly (IHDR bytes 24 and 25).
    """
    try:
        with Image.open(path) as img:
            w, h = img.size
            mode = img.mode
            if exif:
                orientation = img.getexif().get(0x0112)
                if orientation in (5, 6, 7, 8):  # rotated by 90 degrees
                    w, h = h, w
            fmt = img.format
    except FileNotFoundError:
        raise ImageError(path, "no such file") from None
    except UnidentifiedImageError:
        raise ImageError(path, "not an image file Pillow can read") from None
    except OSError as exc:
        raise ImageError(path, f"cannot read ({exc})") from None
    depth, palette = None, False
    if fmt == "PNG":
        with open(path, "rb") as fh:
            head = fh.read(26)
        if len(head) == 26:
            depth, palette = head[24], head[25] == 3
    return ImageInfo((w, h), mode, depth, palette)


def _check_colour(path: Path, info: ImageInfo, what: str) -> None:
    if info.png_bit_depth == 16 or info.mode.startswith("I") or info.mode == "F":
        raise ImageError(path, f"16-bit image; the {what} must be 8-bit RGB")
    if info.png_palette or info.mode == "P":
        raise ImageError(path, f"palette PNG (256 colours at most); save the {what} as 8-bit RGB")


def _check_matte(path: Path, info: ImageInfo) -> None:
    if info.png_bit_depth == 16 or info.mode.startswith("I") or info.mode == "F":
        raise ImageError(path, "16-bit matte; an 8-bit matte is expected")
    if info.png_palette or info.mode == "P":
        raise ImageError(path, "palette PNG matte; save it as 8-bit grayscale")
    if info.mode not in ("L", "1", "LA"):
        # A 3-channel matte is read when its channels are equal (alphamatting.com stores
        # its ground truth so) and refused when they differ: decode this rare case now.
        read_alpha(path, allow_palette=False)


def _stems(files: list[Path], folder: Path) -> dict[str, Path]:
    out: dict[str, Path] = {}
    for f in files:
        if f.stem in out:
            raise UsageError(
                f"{f}: {out[f.stem].name} and {f.name} in {folder} share the id {f.stem}"
            )
        out[f.stem] = f
    return out


Problem = tuple[str | None, str]  # (foreground id or None, "path: cause")


def find_foregrounds(root: Path) -> tuple[list[Foreground], list[Problem], str]:
    """Detect the layout under ``root``; return foregrounds, problems, layout name.

    Each problem is ``(id, line)``: the foreground's id (None for a matte
    without a foreground) and one line naming the file and the cause; a
    foreground with a problem is left out of the list. Raises ``UsageError``
    when ``root`` holds no foreground at all.
    """
    root = Path(root)
    if not root.is_dir():
        raise ImageError(root, "no such folder" if not root.exists() else "not a folder")
    for colour_dir, matte_dir, kind in LAYOUTS:
        if (root / colour_dir).is_dir() and (root / matte_dir).is_dir():
            layout = f"{colour_dir}/ + {matte_dir}/"
            fgs, problems = _paired(root / colour_dir, root / matte_dir, kind)
            break
    else:
        layout = "RGBA PNGs"
        fgs, problems = _rgba(root)
    if not fgs and not problems:
        raise UsageError(
            f"{root}: no foregrounds found (expected fg/ + alpha/, original/ + mask/, "
            "blurred_image/ + mask/, image/ + alpha/, or RGBA PNG files)"
        )
    return fgs, problems, layout


def _paired(colour_dir: Path, matte_dir: Path, kind: str) -> tuple[list[Foreground], list[Problem]]:
    colours = _stems(list_images(colour_dir), colour_dir)
    mattes = _stems(list_images(matte_dir), matte_dir)
    problems: list[Problem] = []
    fgs: list[Foreground] = []
    for stem in sorted(set(mattes) - set(colours)):
        problems.append((None, f"{mattes[stem]}: matte without a {kind} in {colour_dir}"))
    for stem in sorted(colours):
        path = colours[stem]
        if stem not in mattes:
            problems.append((stem, f"{path}: no matte named {stem}.* in {matte_dir}"))
            continue
        try:
            info = image_info(path)
            _check_colour(path, info, "foreground" if kind == "fg" else "image")
            minfo = image_info(mattes[stem], exif=False)
            _check_matte(mattes[stem], minfo)
            if info.size != minfo.size:
                raise ImageError(
                    path,
                    f"size {info.size[0]}x{info.size[1]} differs from its matte "
                    f"{mattes[stem]} ({minfo.size[0]}x{minfo.size[1]})",
                )
        except ImageError as exc:
            problems.append((stem, str(exc)))
            continue
        if kind == "fg":
            fgs.append(Foreground(stem, mattes[stem], fg=path))
        else:
            fgs.append(Foreground(stem, mattes[stem], image=path))
    return fgs, problems


def _rgba(root: Path) -> tuple[list[Foreground], list[Problem]]:
    files = _stems(list_images(root), root)
    problems: list[Problem] = []
    fgs: list[Foreground] = []
    for stem, path in sorted(files.items()):
        try:
            info = image_info(path, exif=False)
            _check_colour(path, info, "RGBA foreground")
            if info.mode not in ("RGBA", "LA"):
                raise ImageError(
                    path,
                    f"{info.mode} image without an alpha channel; --fg needs fg/ + alpha/, "
                    "original/ + mask/, or RGBA PNGs",
                )
        except ImageError as exc:
            problems.append((stem, str(exc)))
            continue
        fgs.append(Foreground(stem, path, fg=path, rgba=True))
    return fgs, problems


def find_backgrounds(root: Path) -> tuple[list[Background], list[str]]:
    """Every image under ``root`` (recursively), sorted by id; problems as lines."""
    root = Path(root)
    files = list_images(root, recursive=True)
    if not files:
        raise UsageError(f"{root}: no background images (.jpg, .png, ...) in this folder tree")
    pool: list[Background] = []
    problems: list[str] = []
    for path in files:
        try:
            info = image_info(path)
            if info.png_bit_depth == 16 or info.mode.startswith("I") or info.mode == "F":
                raise ImageError(path, "16-bit image; backgrounds must be 8-bit")
        except ImageError as exc:
            problems.append(str(exc))
            continue
        pool.append(Background(path.relative_to(root).as_posix(), path, info.size))
    return pool, problems


def relative_or_absolute(path: Path) -> str:
    """An input path as written in the manifest: absolute, resolved."""
    return os.fspath(Path(path).resolve())
