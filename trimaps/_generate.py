"""What ``trimaps generate`` computes for one matte, and how it reads ``--types``.

Kept apart from the command so that it can be tested without a terminal.

Types file (``--types types.json``): a JSON object mapping the file names in the
alpha folder to AIM's image types. A value is either the type, or an object with
the type and the image size ``[width, height]`` the entry was made for::

    {
      "GT02.png": "SO",
      "GT16.png": {"type": "STM", "size": [800, 536]},
      "smoke.png": {"type": "NS"}
    }

Types are ``SO``, ``STM`` or ``NS`` (any case). A key may also be a file name
without its suffix (``"GT02"``), as AIM's own type file writes them. Every alpha
file needs exactly one entry and every entry one file. When a size is given, an
alpha of another size is refused: the entry was made for a different picture.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from trimaps._cliutil import UsageError
from trimaps._optimal import optimal_trimap
from trimaps._random import random_soft_segmentation
from trimaps._rosta import rosta
from trimaps._trimap import to_uint8, trimap
from trimaps._unified import duomap, unified, unimap

#: Every kind ``generate`` writes, with its one-line description (shown in --help).
KINDS: dict[str, str] = {
    "trimap": "trimap by erosion/dilation, 0/128/255 (kernel 25, GFM)",
    "duomap": "AIM duomap 1.5T - T^2 of the trimap, 0/128 (kernel 30, AIM)",
    "unimap": "AIM unimap, 128 everywhere",
    "unified": "AIM type per file from --types: SO trimap, STM duomap, NS unimap (kernel 30)",
    "tt": "GFM RoSTa TT glance target: trimap 0/128/255 (kernel 25)",
    "ft": "GFM RoSTa FT glance target: foreground F = erosion of alpha=1, 0/255 (kernel 50)",
    "bt": "GFM RoSTa BT glance target: B = dilation of alpha>0, 0/255 (kernel 50)",
    "optimal": "AdaMatting optimal trimap: 0 where alpha=0, 255 where alpha=1, else 128 (--tol)",
    "soft": "random soft segmentation 0-255, seeded per file name (--seed, --preset sgm|bgm)",
}

#: Default kernel diameter of each kind (pixels); ``None``: the kind has no kernel.
DEFAULT_KERNELS: dict[str, int | None] = {
    "trimap": 25,
    "duomap": 30,
    "unimap": None,
    "unified": 30,
    "tt": 25,
    "ft": 50,
    "bt": 50,
    "optimal": None,
    "soft": None,
}

AIM_TYPES = ("SO", "STM", "NS")


@dataclass(frozen=True)
class TypeEntry:
    """One ``--types`` entry: AIM image type and, optionally, the (width, height) it expects."""

    type: str
    size: tuple[int, int] | None = None


def load_types(path: str | os.PathLike) -> dict[str, TypeEntry]:
    """Read a types file (see the module docstring); raise ``UsageError`` naming it."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{path}: no such types file")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read ({exc})") from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise UsageError(f"{path}: expected a JSON object mapping file names to types")
    entries: dict[str, TypeEntry] = {}
    for name, value in data.items():
        where = f"{path}: entry {name!r}"
        size = None
        if isinstance(value, dict):
            unknown = set(value) - {"type", "size"}
            if unknown:
                raise UsageError(f"{where}: unknown field(s) {sorted(unknown)}")
            if "type" not in value:
                raise UsageError(f"{where}: missing 'type'")
            size = value.get("size")
            value = value["type"]
            if size is not None:
                ok = (
                    isinstance(size, list)
                    and len(size) == 2
                    and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in size)
                )
                if not ok:
                    raise UsageError(f"{where}: size must be [width, height] in pixels")
                size = (size[0], size[1])
        if not isinstance(value, str) or value.upper() not in AIM_TYPES:
            raise UsageError(f"{where}: type must be SO, STM or NS, got {value!r}")
        entries[name] = TypeEntry(value.upper(), size)
    return entries


def match_types(
    files: list[Path], entries: dict[str, TypeEntry], types_path
) -> dict[Path, TypeEntry]:
    """Pair each alpha file with its entry (by file name, else by name without suffix).

    Raises ``UsageError`` listing the files without an entry and the entries
    without a file; nothing is written in that case.
    """
    by_name = {f.name: f for f in files}
    stems: dict[str, list[Path]] = {}
    for f in files:
        stems.setdefault(f.stem, []).append(f)
    matched: dict[Path, TypeEntry] = {}
    orphans = []
    for key, entry in entries.items():
        if key in by_name:
            target = by_name[key]
        elif len(stems.get(key, [])) == 1:
            target = stems[key][0]
        else:
            orphans.append(key)
            continue
        if target in matched:
            raise UsageError(f"{types_path}: two entries name {target.name}")
        matched[target] = entry
    missing = [f for f in files if f not in matched]
    if orphans:
        shown = ", ".join(orphans[:5]) + (" ..." if len(orphans) > 5 else "")
        folder = files[0].parent if files else "the alpha folder"
        raise UsageError(
            f"{types_path}: {len(orphans)} entr{'y' if len(orphans) == 1 else 'ies'} "
            f"with no alpha file in {folder}: {shown}"
        )
    if missing:
        shown = ", ".join(f.name for f in missing[:5]) + (" ..." if len(missing) > 5 else "")
        raise UsageError(
            f"{missing[0]}: no entry in {types_path} "
            f"({len(missing)} file{'s' if len(missing) > 1 else ''} without one: {shown})"
        )
    return matched


def file_rng(seed: int, name: str) -> np.random.Generator:
    """A generator for one file, from the global seed and the file name only.

    The same (seed, name) gives the same stream whatever order or process the
    files are handled in.
    """
    digest = int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "little")
    return np.random.default_rng(np.random.SeedSequence([int(seed), digest]))


def render(
    alpha: np.ndarray,
    kind: str,
    *,
    kernel: int | None = None,
    tol: float = 0.0,
    rng: np.random.Generator | None = None,
    aim_type: str | None = None,
    preset: str = "sgm",
) -> np.ndarray:
    """The ``uint8`` image ``generate`` writes for one matte and one kind."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    k = DEFAULT_KERNELS[kind] if kernel is None else kernel
    if kind == "trimap":
        rep = trimap(alpha, k)
    elif kind == "duomap":
        rep = duomap(trimap(alpha, k))
    elif kind == "unimap":
        rep = unimap(alpha.shape)
    elif kind == "unified":
        if aim_type is None:
            raise ValueError("kind 'unified' needs an AIM type (SO, STM or NS)")
        rep = unified(alpha, aim_type, kernel=k)
    elif kind in ("tt", "ft", "bt"):
        rep = rosta(alpha, kind, kernel=k).glance
    elif kind == "optimal":
        rep = optimal_trimap(alpha, tol=tol)
    else:
        rep = random_soft_segmentation(alpha, rng, preset=preset)
    return to_uint8(rep)
