"""Publish an ``rssn compose`` output (and ``bgcurate`` backgrounds) as a Hub dataset.

A Hugging Face dataset is a schema (``datasets.Features`` with ``Image``
columns), Parquet shards that embed the image bytes, and a dataset card
(``README.md`` with YAML front matter). This module turns the folder written by
``rssn compose`` into exactly that, locally, so that ``datasets.load_dataset``
reads it and the Hub's dataset viewer can page through it; :func:`push` then
uploads the folder with ``huggingface_hub``.

Nothing here imports ``datasets``, ``pyarrow`` or ``huggingface_hub`` at module
import time: ``import rssn`` stays light.

Choices the issue leaves open (also in ``docs/publish.md``):

- **Row groups** hold at most 100 rows and at most 100 MB of image bytes
  (:data:`MAX_ROW_GROUP_BYTES`). The viewer refuses to read a row group whose
  in-memory size exceeds 286 MiB and recommends 100-300 MB; ``datasets`` itself
  writes 100 MB row groups. A 1440x1080 composite row (four PNGs) is about
  8.4 MB (benchmarks/bench_publish.py), so such a set gets 11 rows per group.
  Rows are packed greedily in manifest order, so the grouping is deterministic.
- **Shards** hold at most 500 MB (:data:`MAX_SHARD_BYTES`, as ``push_to_hub``),
  named ``<split>-NNNNN-of-MMMMM.parquet``.
- **Image bytes** are the files' bytes, unchanged (no re-encoding): a decoded
  image equals the file on disk. Image columns are stored uncompressed with
  PLAIN encoding (PNG/JPEG bytes do not compress further), the other columns
  with Snappy, as ``datasets`` does.
- **Splits** are by foreground, never by composite, so that no foreground is in
  two splits: ``none`` (all ``train``, the default), ``fg-hash:F`` (a foreground
  goes to ``test`` when the first 8 bytes of SHA-256 of its id, read as a
  fraction of 2**64, are below ``F``; stable when foregrounds are added), or
  ``field:NAME`` (a split named in each manifest row, or in its recipe).
- **Paths** never leave the machine: the background in the recipe is written
  relative to the background root of ``run.json`` (else by file name), and the
  card names source folders by their last component.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

from PIL import Image, UnidentifiedImageError

__all__ = [
    "BACKGROUNDS_CONFIG",
    "MAX_ROW_GROUP_BYTES",
    "MAX_ROW_GROUP_ROWS",
    "MAX_SHARD_BYTES",
    "RECIPE_COLUMNS",
    "BackgroundSet",
    "ComposeSet",
    "HubError",
    "HubFolder",
    "ManifestEntry",
    "PublishError",
    "SplitRule",
    "assign_splits",
    "background_dataset_dict",
    "background_features",
    "check_hub_folder",
    "composite_features",
    "dataset_card",
    "fg_hash_fraction",
    "plan_row_groups",
    "plan_shards",
    "push",
    "read_backgrounds",
    "read_card_yaml",
    "read_compose",
    "to_dataset_dict",
    "write_hub_folder",
]

#: Largest row group, in bytes of embedded files (viewer: at most 286 MiB per read).
MAX_ROW_GROUP_BYTES = 100_000_000
#: Most rows per row group (``datasets``' former default for image datasets).
MAX_ROW_GROUP_ROWS = 100
#: Largest Parquet shard, in bytes (``push_to_hub``'s default).
MAX_SHARD_BYTES = 500_000_000
#: Bytes a row takes besides its image files, at most (ids, file names, recipe JSON).
ROW_OVERHEAD_BYTES = 4096
#: Config name of the optional ``bgcurate`` backgrounds in the published repo.
BACKGROUNDS_CONFIG = "backgrounds"

#: Outputs every composite has, in column order.
REQUIRED_OUTPUTS = ("image", "alpha", "fg", "bg")
#: Recipe fields published as typed columns (the whole recipe is also kept as JSON).
RECIPE_COLUMNS: dict[str, str] = {
    "bg": "string",  # the background, relative to the background root
    "seed": "int64",
    "denoise": "bool",
    "denoise_method": "string",
    "denoise_sigma": "float32",  # null: estimated per image
    "denoise_at": "string",  # source: the background file denoised whole; fit: the window
    "blur_kernel": "int32",  # 0 = no aperture blur
    "noise": "bool",
    "noise_std": "float32",
    "noise_seed": "int64",
    "fit": "string",
    "scale": "float32",
    "fg_method": "string",  # null: the dataset gave the foreground
}
_SPLIT_NAME = re.compile(r"^\w+$")
_LOCAL_LAYOUT = {"README.md", "data", BACKGROUNDS_CONFIG}


class PublishError(ValueError):
    """A folder that cannot be published; ``str()`` is ``"<path>: <reason>"``."""

    def __init__(self, path: str | os.PathLike, reason: str):
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


# --------------------------------------------------------------------------------------
# Reading and validating the inputs
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ManifestEntry:
    """One manifest row of an ``rssn compose`` output, its files checked."""

    id: str
    fg_id: str
    k: int
    fg_type: str | None
    recipe: dict[str, Any]
    outputs: dict[str, Path]  # output name -> absolute path
    row: dict[str, Any]  # the manifest row as read
    line: int  # 1-based line in manifest.jsonl
    sha256: dict[str, str] = field(default_factory=dict)  # output name -> hash from compose

    @property
    def nbytes(self) -> int:
        return sum(p.stat().st_size for p in self.outputs.values())


@dataclass
class ComposeSet:
    """A validated ``rssn compose`` output folder."""

    root: Path
    run: dict[str, Any]
    composites: list[ManifestEntry]
    output_names: tuple[str, ...]  # image, alpha, fg, bg, then optional ones (trimap, ...)

    @property
    def extra_outputs(self) -> tuple[str, ...]:
        return self.output_names[len(REQUIRED_OUTPUTS) :]


@dataclass
class BackgroundSet:
    """The ``train/`` and ``val/`` folders written by ``bgcurate curate``."""

    root: Path
    splits: dict[str, list[Path]]  # "train" / "validation" -> image files


def _image_size(path: Path) -> tuple[int, int]:
    """Width and height from the file header; raises :class:`PublishError`."""
    try:
        with Image.open(path) as img:
            return img.size
    except (UnidentifiedImageError, OSError) as exc:
        reason = "not an image file Pillow can read"
        if not isinstance(exc, UnidentifiedImageError):
            reason = f"cannot be read ({exc})"
        raise PublishError(path, reason) from None


def _load_json(path: Path, what: str) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise PublishError(
            path, f"{what} is not valid JSON ({exc.msg}, line {exc.lineno})"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PublishError(path, f"{what} cannot be read ({exc})") from None
    if not isinstance(value, dict):
        raise PublishError(path, f"{what} must hold a JSON object")
    return value


def _ignored_name(name: str) -> bool:
    """Temporary and hidden files an interrupted writer may leave behind."""
    return name.startswith(".") or name.endswith((".tmp", ".part"))


def read_compose(out_dir: str | os.PathLike, *, check_images: bool = True) -> ComposeSet:
    """Read and validate the folder written by ``rssn compose``.

    Checks, in order: the folder holds ``manifest.jsonl`` and ``run.json``; every
    manifest line is a JSON object with ``id``, ``fg_id``, ``k``, ``recipe`` and
    ``outputs`` (``image``, ``alpha``, ``fg``, ``bg``, optional others such as
    ``trimap``), ``id == f"{fg_id}_{k}"``, ids are unique; each output path is
    relative, inside ``out_dir/<name>/`` and exists; every file in those folders
    is named by the manifest; optional outputs are in every row or in none;
    (``check_images``) the images of a row open and share one size; and a row
    equals what ``rssn compose`` recorded in ``.rssn/done/<id>.json`` when that
    record exists (its SHA-256 of each file is checked later, as the bytes are
    read for the Parquet shards).

    Parameters
    ----------
    out_dir : path
        The ``--out`` folder of ``rssn compose``.
    check_images : bool
        Open each file's header (cheap: no pixel decoding) to check sizes.

    Returns
    -------
    ComposeSet

    Raises
    ------
    PublishError
        The first problem found, naming the file (and manifest line) and the cause.
    """
    root = Path(out_dir)
    if not root.exists():
        raise PublishError(root, "no such folder")
    if not root.is_dir():
        raise PublishError(root, "not a folder")
    manifest = root / "manifest.jsonl"
    run_path = root / "run.json"
    if not manifest.is_file():
        raise PublishError(root, "not an rssn compose output (no manifest.jsonl)")
    if not run_path.is_file():
        raise PublishError(root, "not an rssn compose output (no run.json)")
    run = _load_json(run_path, "run.json")

    composites: list[ManifestEntry] = []
    seen: dict[str, int] = {}
    try:
        lines = manifest.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise PublishError(manifest, f"cannot be read ({exc})") from None
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        composites.append(_read_row(root, manifest, number, text, seen))
    if not composites:
        raise PublishError(manifest, "lists no composites")

    names = [set(c.outputs) for c in composites]
    optional = sorted(set().union(*names) - set(REQUIRED_OUTPUTS))
    for name in optional:
        missing = [c for c in composites if name not in c.outputs]
        if missing:
            c = missing[0]
            raise PublishError(
                manifest,
                f"line {c.line}: composite {c.id} has no {name!r} output but others do "
                f"({len(missing)} of {len(composites)} lack it)",
            )
    output_names = (*REQUIRED_OUTPUTS, *optional)

    listed = {p for c in composites for p in c.outputs.values()}
    for name in output_names:
        folder = root / name
        for path in sorted(folder.iterdir()) if folder.is_dir() else []:
            if _ignored_name(path.name):
                continue
            if path not in listed:
                rel = path.relative_to(root).as_posix()
                raise PublishError(
                    manifest,
                    f"manifest disagrees with the files: {rel} is not in the manifest "
                    "(an interrupted rssn compose? rerun it to finish the manifest)",
                )

    if check_images:
        for c in composites:
            sizes = {name: _image_size(path) for name, path in c.outputs.items()}
            if len(set(sizes.values())) > 1:
                shown = ", ".join(f"{n} {w}x{h}" for n, (w, h) in sizes.items())
                raise PublishError(
                    c.outputs["image"], f"composite {c.id}: outputs differ in size ({shown})"
                )
    composites = [_with_done_record(root, c) for c in composites]
    return ComposeSet(root=root, run=run, composites=composites, output_names=output_names)


def _with_done_record(root: Path, c: ManifestEntry) -> ManifestEntry:
    """Attach the SHA-256 that ``rssn compose`` recorded for each output, when it did.

    ``rssn compose`` keeps ``.rssn/done/<id>.json`` (the manifest row and the hash
    of each file it wrote); a row that differs from the manifest is an error, and
    the hashes are checked when the bytes are read for the Parquet shards.
    """
    done = root / ".rssn" / "done" / f"{c.id}.json"
    if not done.is_file():
        return c
    record = _load_json(done, "the done record of rssn compose")
    recorded = record.get("row")
    # fields added to the manifest afterwards (e.g. a split) are fine; changed ones are not
    if not isinstance(recorded, dict) or {k: c.row.get(k) for k in recorded} != recorded:
        raise PublishError(
            root / "manifest.jsonl",
            f"line {c.line}: composite {c.id} differs from what rssn compose recorded in "
            f".rssn/done/{c.id}.json",
        )
    hashes = record.get("sha256") or {}
    sha = {name: hashes[rel] for name, rel in c.row["outputs"].items() if rel in hashes}
    return replace(c, sha256=sha)


def _read_row(root: Path, manifest: Path, number: int, text: str, seen: dict[str, int]):
    where = f"line {number}"
    try:
        row = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PublishError(manifest, f"{where}: not valid JSON ({exc.msg})") from None
    if not isinstance(row, dict):
        raise PublishError(manifest, f"{where}: not a JSON object")
    for key in ("id", "fg_id", "k", "recipe", "outputs"):
        if key not in row:
            raise PublishError(manifest, f"{where}: no {key!r} field (not an rssn manifest?)")
    cid, fg_id, k = row["id"], row["fg_id"], row["k"]
    if not isinstance(fg_id, str) or not isinstance(k, int) or isinstance(k, bool) or k < 0:
        raise PublishError(manifest, f"{where}: fg_id must be a string and k an integer >= 0")
    if cid != f"{fg_id}_{k}":
        raise PublishError(manifest, f"{where}: id {cid!r} is not '{fg_id}_{k}' (fg_id_k)")
    if cid in seen:
        raise PublishError(manifest, f"{where}: id {cid!r} already on line {seen[cid]}")
    seen[cid] = number
    recipe, outputs = row["recipe"], row["outputs"]
    if not isinstance(recipe, dict):
        raise PublishError(manifest, f"{where}: recipe must be a JSON object")
    if not isinstance(outputs, dict):
        raise PublishError(manifest, f"{where}: outputs must be a JSON object")
    fg_type = row.get("fg_type")
    if fg_type is not None and not isinstance(fg_type, str):
        raise PublishError(manifest, f"{where}: fg_type must be a string or null")
    resolved: dict[str, Path] = {}
    for name in REQUIRED_OUTPUTS:
        if not outputs.get(name):
            raise PublishError(manifest, f"{where}: composite {cid} has no {name!r} output")
    for name, rel in outputs.items():
        if rel is None:
            continue
        if not isinstance(rel, str) or not _SPLIT_NAME.match(name):
            raise PublishError(manifest, f"{where}: outputs.{name} must be a relative path")
        pure = PurePosixPath(rel)
        if pure.is_absolute() or ".." in pure.parts or pure.parts[:1] != (name,):
            raise PublishError(
                manifest, f"{where}: outputs.{name} {rel!r} must be a path inside {name}/"
            )
        if pure.stem != cid:
            raise PublishError(
                manifest, f"{where}: outputs.{name} {rel!r} is not named after id {cid!r}"
            )
        path = root / pure
        if not path.is_file():
            raise PublishError(
                manifest, f"{where}: missing image: outputs.{name} {rel!r} does not exist"
            )
        resolved[name] = path
    return ManifestEntry(
        id=cid,
        fg_id=fg_id,
        k=k,
        fg_type=fg_type,
        recipe=recipe,
        outputs=resolved,
        row=row,
        line=number,
    )


def read_backgrounds(folder: str | os.PathLike, *, check_images: bool = True) -> BackgroundSet:
    """Read the ``train/`` and ``val/`` folders that ``bgcurate curate`` writes.

    Plain folders of images (searched recursively; ``val/`` becomes the
    ``validation`` split, the Hub's name for it). At least one must hold images.
    """
    from trimaps.io import IMAGE_SUFFIXES

    root = Path(folder)
    if not root.is_dir():
        raise PublishError(root, "no such folder" if not root.exists() else "not a folder")
    splits: dict[str, list[Path]] = {}
    for sub, split in (("train", "train"), ("val", "validation")):
        d = root / sub
        if d.is_dir():
            files = sorted(
                p
                for p in d.rglob("*")
                if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES and not _ignored_name(p.name)
            )
            if files:
                splits[split] = files
    if not splits:
        raise PublishError(root, "not a bgcurate output (no images in train/ or val/)")
    if check_images:
        for files in splits.values():
            for p in files:
                _image_size(p)
    return BackgroundSet(root=root, splits=splits)


# --------------------------------------------------------------------------------------
# Splits
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SplitRule:
    """How composites are assigned to splits; always per foreground.

    ``kind`` is ``"none"`` (all in ``train``), ``"fg-hash"`` (``value`` is the
    test fraction) or ``"field"`` (``value`` is the manifest/recipe field name).
    """

    kind: str = "none"
    value: float | str | None = None

    @classmethod
    def parse(cls, text: str) -> SplitRule:
        """Parse ``none``, ``fg-hash:0.1`` or ``field:split``."""
        text = text.strip()
        if text == "none":
            return cls()
        kind, sep, value = text.partition(":")
        if kind == "fg-hash" and sep:
            try:
                fraction = float(value)
            except ValueError:
                fraction = -1.0
            if not 0.0 < fraction < 1.0:
                raise ValueError(f"--split-by {text}: the test fraction must be in (0, 1)")
            return cls("fg-hash", fraction)
        if kind == "field" and sep and value:
            return cls("field", value)
        raise ValueError(f"--split-by {text!r}: expected none, fg-hash:FRACTION or field:NAME")

    def __str__(self) -> str:
        return self.kind if self.kind == "none" else f"{self.kind}:{self.value}"


def fg_hash_fraction(fg_id: str) -> float:
    """The foreground's position in [0, 1): first 8 bytes of SHA-256 of its id / 2**64."""
    digest = hashlib.sha256(fg_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


def assign_splits(compose: ComposeSet, rule: SplitRule) -> dict[str, list[ManifestEntry]]:
    """Composites per split, each list in manifest order; no foreground in two splits."""
    out: dict[str, list[ManifestEntry]] = {}
    of_fg: dict[str, str] = {}
    manifest = compose.root / "manifest.jsonl"
    for c in compose.composites:
        if rule.kind == "none":
            split = "train"
        elif rule.kind == "fg-hash":
            split = "test" if fg_hash_fraction(c.fg_id) < float(rule.value) else "train"
        else:
            name = str(rule.value)
            split = c.row.get(name, c.recipe.get(name))
            if not isinstance(split, str) or not _SPLIT_NAME.match(split):
                raise PublishError(
                    manifest,
                    f"line {c.line}: --split-by field:{name}: composite {c.id} has no usable "
                    f"{name!r} (found {split!r}; need a name like train or test)",
                )
        if of_fg.setdefault(c.fg_id, split) != split:
            raise PublishError(
                manifest,
                f"line {c.line}: foreground {c.fg_id} is in split {of_fg[c.fg_id]!r} and "
                f"{split!r}: a foreground must not leak between splits",
            )
        out.setdefault(split, []).append(c)
    order = {"train": 0, "validation": 1, "test": 2}
    return dict(sorted(out.items(), key=lambda kv: (order.get(kv[0], 3), kv[0])))


# --------------------------------------------------------------------------------------
# Schema and rows
# --------------------------------------------------------------------------------------


def _relative_to_root(value: Any, root: str | None) -> Any:
    """A background path as published: relative to the run's background root."""
    if not isinstance(value, str) or not os.path.isabs(value):
        return value  # already an id relative to the background folder
    p = Path(value)
    if root:
        try:
            return p.resolve().relative_to(Path(root).resolve()).as_posix()
        except ValueError:
            pass
    return p.name


def _run_get(run: dict[str, Any], *keys: str) -> Any:
    """A run.json entry, at the top level or under ``config`` (as ``rssn compose`` nests it)."""
    for d in (run, run.get("config")):
        if isinstance(d, dict):
            for key in keys:
                if d.get(key) is not None:
                    return d[key]
    return None


def _root(run: dict[str, Any], *keys: str) -> str | None:
    value = _run_get(run, *keys)
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    return value if isinstance(value, str) else None


def _bg_root(run: dict[str, Any]) -> str | None:
    return _root(run, "bg_root", "bg", "backgrounds")


def _published_recipe(recipe: dict[str, Any], bg_root: str | None) -> dict[str, Any]:
    out = dict(recipe)
    if "bg" in out:
        out["bg"] = _relative_to_root(out["bg"], bg_root)
    return out


def _recipe_columns(compose: ComposeSet) -> list[str]:
    """Typed recipe columns present in at least one recipe, in a fixed order."""
    present = {key for c in compose.composites for key in c.recipe}
    return [key for key in RECIPE_COLUMNS if key in present]


def composite_features(output_names: Sequence[str], recipe_columns: Sequence[str]):
    """The ``datasets.Features`` of a composite set.

    Columns: ``id``, ``fg_id``, ``k``, ``fg_type`` (SO/STM/NS or null), one
    ``Image`` column per output (``image``, ``alpha``, ``fg``, ``bg``, then
    ``trimap`` and any other optional output), the typed recipe fields
    (``bg`` as ``bg_id``; ``crop`` as four int32 ``[x, y, w, h]``), and
    ``recipe``: the whole recipe as JSON text, so a row can be cooked again with
    ``rssn.Recipe.from_dict`` (after joining ``bg`` to your background root).
    """
    import datasets

    cols: dict[str, Any] = {
        "id": datasets.Value("string"),
        "fg_id": datasets.Value("string"),
        "k": datasets.Value("int32"),
        "fg_type": datasets.Value("string"),
    }
    for name in output_names:
        cols[name] = datasets.Image()
    for key in recipe_columns:
        cols["bg_id" if key == "bg" else key] = datasets.Value(RECIPE_COLUMNS[key])
    cols["crop"] = datasets.List(datasets.Value("int32"), length=4)
    cols["recipe"] = datasets.Value("string")
    return datasets.Features(cols)


def background_features():
    """Features of the backgrounds config: ``id`` (path under the split folder) and ``image``."""
    import datasets

    return datasets.Features({"id": datasets.Value("string"), "image": datasets.Image()})


def _coerce(value: Any, dtype: str) -> Any:
    if value is None:
        return None
    if dtype == "bool":
        return bool(value)
    if dtype.startswith("int"):
        return int(value)
    if dtype.startswith("float"):
        return float(value)
    return str(value)


def _composite_example(
    c: ManifestEntry,
    output_names: Sequence[str],
    recipe_columns: Sequence[str],
    bg_root: str | None,
) -> dict[str, Any]:
    recipe = _published_recipe(c.recipe, bg_root)
    ex: dict[str, Any] = {"id": c.id, "fg_id": c.fg_id, "k": c.k, "fg_type": c.fg_type}
    for name in output_names:
        path = c.outputs[name]
        data = path.read_bytes()
        expected = c.sha256.get(name)
        if expected is not None and hashlib.sha256(data).hexdigest() != expected:
            raise PublishError(
                path, "changed since rssn compose wrote it (SHA-256 differs from .rssn/done)"
            )
        ex[name] = {"bytes": data, "path": f"{name}/{path.name}"}
    for key in recipe_columns:
        ex["bg_id" if key == "bg" else key] = _coerce(recipe.get(key), RECIPE_COLUMNS[key])
    crop = recipe.get("crop")
    ex["crop"] = [int(v) for v in crop] if isinstance(crop, list) and len(crop) == 4 else None
    ex["recipe"] = json.dumps(recipe, sort_keys=True, separators=(",", ":"))
    return ex


def _background_example(path: Path, split_root: Path) -> dict[str, Any]:
    rel = path.relative_to(split_root).as_posix()
    return {"id": rel, "image": {"bytes": path.read_bytes(), "path": path.name}}


def to_dataset_dict(out_dir: str | os.PathLike, *, split_by: str | SplitRule = "none"):
    """An ``rssn compose`` output as a ``datasets.DatasetDict``, one entry per split.

    The dataset is built in memory (every image's bytes); for large sets write
    with :func:`write_hub_folder` and ``datasets.load_dataset(local_dir)``,
    which memory-maps.

    Examples
    --------
    >>> dd = to_dataset_dict("out/", split_by="fg-hash:0.1")  # doctest: +SKIP
    >>> dd["train"][0]["alpha"]  # a PIL image  # doctest: +SKIP
    """
    import datasets

    compose = read_compose(out_dir)
    rule = split_by if isinstance(split_by, SplitRule) else SplitRule.parse(split_by)
    columns = _recipe_columns(compose)
    features = composite_features(compose.output_names, columns)
    bg_root = _bg_root(compose.run)
    out = {}
    for split, items in assign_splits(compose, rule).items():
        rows = [_composite_example(c, compose.output_names, columns, bg_root) for c in items]
        out[split] = datasets.Dataset.from_list(rows, features=features, split=split)
    return datasets.DatasetDict(out)


def background_dataset_dict(folder: str | os.PathLike):
    """The ``train/`` and ``val/`` of ``bgcurate curate`` as a ``datasets.DatasetDict``."""
    import datasets

    bgs = read_backgrounds(folder)
    features = background_features()
    out = {}
    for split, files in bgs.splits.items():
        split_root = bgs.root / ("train" if split == "train" else "val")
        rows = [_background_example(p, split_root) for p in files]
        out[split] = datasets.Dataset.from_list(rows, features=features, split=split)
    return datasets.DatasetDict(out)


# --------------------------------------------------------------------------------------
# Writing Parquet shards
# --------------------------------------------------------------------------------------


def plan_row_groups(
    sizes: Sequence[int],
    *,
    max_bytes: int = MAX_ROW_GROUP_BYTES,
    max_rows: int = MAX_ROW_GROUP_ROWS,
) -> list[range]:
    """Pack rows, in order, into groups of at most ``max_rows`` and ``max_bytes``.

    A row larger than ``max_bytes`` gets a group of its own.
    """
    groups: list[range] = []
    start, total = 0, 0
    for i, size in enumerate(sizes):
        if i > start and (total + size > max_bytes or i - start >= max_rows):
            groups.append(range(start, i))
            start, total = i, 0
        total += size
    if len(sizes) > start:
        groups.append(range(start, len(sizes)))
    return groups


def plan_shards(
    groups: Sequence[range], sizes: Sequence[int], *, max_bytes: int = MAX_SHARD_BYTES
) -> list[list[range]]:
    """Pack row groups, in order, into shards of at most ``max_bytes``."""
    shards: list[list[range]] = []
    current: list[range] = []
    total = 0
    for g in groups:
        size = sum(sizes[i] for i in g)
        if current and total + size > max_bytes:
            shards.append(current)
            current, total = [], 0
        current.append(g)
        total += size
    if current:
        shards.append(current)
    return shards


def _parquet_writer(path: Path, features):
    """A ``pyarrow`` writer set up as ``datasets`` writes Hub Parquet."""
    import pyarrow.parquet as pq

    schema = features.arrow_schema  # carries the ``huggingface`` features metadata
    image_cols = [name for name, f in features.items() if type(f).__name__ == "Image"]
    compression = {}
    encoding = {}
    dictionary = []
    for name in schema.names:
        leaves = [f"{name}.bytes", f"{name}.path"] if name in image_cols else [name]
        if name == "crop":
            leaves = ["crop.list.element"]
        for leaf in leaves:
            if name in image_cols:
                compression[leaf] = "none"
                encoding[leaf] = "PLAIN"
            else:
                compression[leaf] = "snappy"
                dictionary.append(leaf)
    kwargs: dict[str, Any] = dict(
        compression=compression,
        use_dictionary=dictionary,
        column_encoding=encoding,
        write_page_index=True,
    )
    try:  # content-defined chunking (pyarrow >= 21): Xet deduplicates re-uploads
        return pq.ParquetWriter(path, schema, use_content_defined_chunking=True, **kwargs)
    except TypeError:  # pragma: no cover - older pyarrow
        return pq.ParquetWriter(path, schema, **kwargs)


@dataclass
class SplitSummary:
    name: str
    num_examples: int
    num_bytes: int  # embedded file bytes (the in-memory size of the image columns)
    files: list[str]  # paths relative to the local folder
    row_groups: int


@dataclass
class HubFolder:
    """What :func:`write_hub_folder` wrote."""

    root: Path
    configs: dict[str, list[SplitSummary]] = field(default_factory=dict)

    def files(self) -> list[tuple[str, int]]:
        """Every file to upload, ``(path relative to root, size in bytes)``, sorted."""
        return sorted(
            (p.relative_to(self.root).as_posix(), p.stat().st_size)
            for p in self.root.rglob("*")
            if p.is_file()
        )


def _write_split(
    local: Path,
    config_dir: str,
    split: str,
    features,
    count: int,
    sizes: Sequence[int],
    example: Callable[[int], dict[str, Any]],
    *,
    max_row_group_bytes: int,
    max_row_group_rows: int,
    max_shard_bytes: int,
    advance: Callable[[int], None] | None,
) -> SplitSummary:
    import pyarrow as pa

    # planned on file bytes plus a bound on the rest of a row (ids, paths, recipe JSON)
    planned = [size + ROW_OVERHEAD_BYTES for size in sizes]
    groups = plan_row_groups(planned, max_bytes=max_row_group_bytes, max_rows=max_row_group_rows)
    shards = plan_shards(groups, planned, max_bytes=max_shard_bytes)
    schema = features.arrow_schema
    files = []
    for n, shard in enumerate(shards):
        rel = f"{config_dir}/{split}-{n:05d}-of-{len(shards):05d}.parquet"
        path = local / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        writer = _parquet_writer(path, features)
        try:
            for group in shard:
                rows = [features.encode_example(example(i)) for i in group]
                table = pa.Table.from_pylist(rows, schema=schema)
                writer.write_table(table, row_group_size=len(rows))
                if advance is not None:
                    advance(len(rows))
        finally:
            writer.close()
        files.append(rel)
    return SplitSummary(
        name=split, num_examples=count, num_bytes=sum(sizes), files=files, row_groups=len(groups)
    )


def write_hub_folder(
    out_dir: str | os.PathLike,
    local_dir: str | os.PathLike | None = None,
    *,
    split_by: str | SplitRule = "none",
    backgrounds: str | os.PathLike | None = None,
    license: str = "other",
    repo_id: str | None = None,
    max_row_group_bytes: int = MAX_ROW_GROUP_BYTES,
    max_row_group_rows: int = MAX_ROW_GROUP_ROWS,
    max_shard_bytes: int = MAX_SHARD_BYTES,
    progress: Callable[[str, int], Callable[[int], None]] | None = None,
) -> HubFolder:
    """Write an ``rssn compose`` output as a Hub dataset folder (Parquet + card).

    Layout: ``README.md`` (the card), ``data/<split>-NNNNN-of-MMMMM.parquet``
    (config ``default``) and, with ``backgrounds``, ``backgrounds/<split>-...``
    (config ``backgrounds``). Inputs are validated first (:func:`read_compose`,
    :func:`read_backgrounds`); the folder is written under a temporary name and
    renamed into place, replacing an earlier publish there, and then checked
    (:func:`check_hub_folder`).

    Parameters
    ----------
    out_dir : path
        The ``rssn compose`` output.
    local_dir : path, optional
        Where to write; default ``out_dir/hub``. An existing folder is replaced
        only if it looks like an earlier publish (README.md, data/, backgrounds/).
    split_by : str or SplitRule
        ``none``, ``fg-hash:FRACTION`` or ``field:NAME`` (see :class:`SplitRule`).
    backgrounds : path, optional
        A ``bgcurate curate`` output (``train/``, ``val/``) to add as a config.
    license : str
        The card's ``license`` field (a Hub license id; ``other`` until known).
    repo_id : str, optional
        Used in the card's loading example.
    progress : callable, optional
        ``progress(description, total)`` returns ``advance(n)``; for progress bars.
    """
    compose = read_compose(out_dir)
    bgs = read_backgrounds(backgrounds) if backgrounds is not None else None
    rule = split_by if isinstance(split_by, SplitRule) else SplitRule.parse(split_by)
    splits = assign_splits(compose, rule)

    local = Path(local_dir) if local_dir is not None else compose.root / "hub"
    _check_replaceable(local)
    local.parent.mkdir(parents=True, exist_ok=True)
    tmp = local.with_name(f".{local.name}.partial-{os.getpid()}")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    kwargs = dict(
        max_row_group_bytes=max_row_group_bytes,
        max_row_group_rows=max_row_group_rows,
        max_shard_bytes=max_shard_bytes,
    )
    try:
        folder = HubFolder(root=local)
        columns = _recipe_columns(compose)
        features = composite_features(compose.output_names, columns)
        bg_root = _bg_root(compose.run)
        folder.configs["default"] = []
        for split, items in splits.items():
            advance = progress(f"writing {split}", len(items)) if progress else None
            folder.configs["default"].append(
                _write_split(
                    tmp,
                    "data",
                    split,
                    features,
                    len(items),
                    [c.nbytes for c in items],
                    lambda i, items=items: _composite_example(
                        items[i], compose.output_names, columns, bg_root
                    ),
                    advance=advance,
                    **kwargs,
                )
            )
        if bgs is not None:
            bg_features = background_features()
            folder.configs[BACKGROUNDS_CONFIG] = []
            for split, files in bgs.splits.items():
                split_root = bgs.root / ("train" if split == "train" else "val")
                advance = progress(f"writing backgrounds {split}", len(files)) if progress else None
                folder.configs[BACKGROUNDS_CONFIG].append(
                    _write_split(
                        tmp,
                        BACKGROUNDS_CONFIG,
                        split,
                        bg_features,
                        len(files),
                        [p.stat().st_size for p in files],
                        lambda i, files=files, split_root=split_root: _background_example(
                            files[i], split_root
                        ),
                        advance=advance,
                        **kwargs,
                    )
                )
        card = dataset_card(
            compose,
            folder,
            features=features,
            background_features=background_features() if bgs is not None else None,
            rule=rule,
            license=license,
            repo_id=repo_id,
            backgrounds=bgs,
            root=tmp,
        )
        (tmp / "README.md").write_text(card, encoding="utf-8")
        check_hub_folder(tmp, max_row_group_bytes=max_row_group_bytes)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if local.exists():
        old = local.with_name(f".{local.name}.old-{os.getpid()}")
        local.rename(old)
        tmp.rename(local)
        shutil.rmtree(old, ignore_errors=True)
    else:
        tmp.rename(local)
    return folder


def _check_replaceable(local: Path) -> None:
    if not local.exists():
        return
    if not local.is_dir():
        raise PublishError(local, "--local exists and is not a folder")
    strangers = sorted(p.name for p in local.iterdir() if p.name not in _LOCAL_LAYOUT)
    if strangers:
        raise PublishError(
            local,
            f"--local exists and holds files rssn publish did not write ({strangers[0]}); "
            "choose another folder",
        )


# --------------------------------------------------------------------------------------
# The dataset card
# --------------------------------------------------------------------------------------


def _size_category(n: int) -> str:
    for limit, name in (
        (1_000, "n<1K"),
        (10_000, "1K<n<10K"),
        (100_000, "10K<n<100K"),
        (1_000_000, "100K<n<1M"),
    ):
        if n < limit:
            return name
    return "1M<n<10M"


def _flatten(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for k in sorted(value):
            _flatten(f"{prefix}.{k}" if prefix else str(k), value[k], out)
    else:
        out[prefix] = value


def _public(value: Any) -> Any:
    """Absolute paths are shown by their last component only."""
    if isinstance(value, str) and os.path.isabs(value):
        return f"{Path(value).name}/" if not Path(value).suffix else Path(value).name
    if isinstance(value, list):
        return [_public(v) for v in value]
    return value


def _info(features, summaries: list[SplitSummary], root: Path, config: str):
    import datasets

    splits = datasets.SplitDict()
    for s in summaries:
        splits.add(
            datasets.SplitInfo(name=s.name, num_bytes=s.num_bytes, num_examples=s.num_examples)
        )
    download = sum((root / f).stat().st_size for s in summaries for f in s.files)
    return datasets.DatasetInfo(
        features=features,
        config_name=config,
        splits=splits,
        download_size=download,
        dataset_size=sum(s.num_bytes for s in summaries),
    )


def dataset_card(
    compose: ComposeSet,
    folder: HubFolder,
    *,
    features,
    background_features=None,
    rule: SplitRule,
    license: str = "other",
    repo_id: str | None = None,
    backgrounds: BackgroundSet | None = None,
    root: Path | None = None,
) -> str:
    """The ``README.md`` of the published dataset: YAML front matter and prose.

    The front matter holds ``license``, ``configs`` (data files per split),
    ``dataset_info`` (features and split sizes, in the Hub's own format via
    ``datasets.info.DatasetInfosDict``), tags and size category. The prose
    states the RSSN parameters from ``run.json``, the toolkit version, the seed,
    the split rule and a sources table whose licenses the publisher completes.
    """
    from datasets.info import DatasetInfosDict
    from huggingface_hub import DatasetCardData

    from trimaps._cliutil import distribution_version

    root = root or folder.root
    run = compose.run
    n = len(compose.composites)
    configs = [
        {
            "config_name": name,
            "data_files": [
                {"split": s.name, "path": f"{'data' if name == 'default' else name}/{s.name}-*"}
                for s in summaries
            ],
            **({"default": True} if name == "default" else {}),
        }
        for name, summaries in folder.configs.items()
    ]
    card_data = DatasetCardData(
        license=license,
        pretty_name=f"RSSN composites ({compose.root.resolve().name})",
        task_categories=["image-segmentation"],
        tags=["image-matting", "alpha-matting", "rssn", "synthetic", "mattekit"],
        size_categories=[_size_category(n)],
        configs=configs,
    )
    infos = {"default": _info(features, folder.configs["default"], root, "default")}
    if BACKGROUNDS_CONFIG in folder.configs:
        infos[BACKGROUNDS_CONFIG] = _info(
            background_features, folder.configs[BACKGROUNDS_CONFIG], root, BACKGROUNDS_CONFIG
        )
    DatasetInfosDict(infos).to_dataset_card_data(card_data)

    flat: dict[str, Any] = {}
    _flatten("", run, flat)
    version = _run_get(run, "mattekit", "mattekit_version", "version") or "unknown"
    seed = _run_get(run, "seed")
    seed = "unknown" if seed is None else seed
    fg_shown = _public(_root(run, "fg_root", "fg") or "unknown")
    bg_shown = _public(_bg_root(run) or "unknown")
    load_from = repo_id or "path/to/this/folder"
    fg_types = Counter(c.fg_type or "unknown" for c in compose.composites)
    errors_path = compose.root / "errors.jsonl"
    failed = (
        sum(1 for line in errors_path.read_text(encoding="utf-8").splitlines() if line.strip())
        if errors_path.is_file()
        else 0
    )
    fg_count = len({c.fg_id for c in compose.composites})
    lines = [
        f"# {card_data.pretty_name}",
        "",
        f"{n} matting training composites of {fg_count} foregrounds, made with the RSSN route "
        "(resolution, sharpness, semantic, noise) of Li et al., *Bridging Composite and Real: "
        "Towards End-to-end Deep Image Matting*, IJCV 2022, by "
        f"[mattekit](https://github.com/mattekit/mattekit) {version} (`rssn compose`, seed "
        f"{seed}) and published with `rssn publish` (mattekit {distribution_version()}).",
        "",
        "## Structure",
        "",
        "| config | split | rows | Parquet files |",
        "|---|---|---|---|",
    ]
    for name, summaries in folder.configs.items():
        for s in summaries:
            lines.append(f"| {name} | {s.name} | {s.num_examples} | {len(s.files)} |")
    lines += [
        "",
        f"Split rule: `{rule}` (composites of one foreground are always in the same split).",
        "Foreground types: " + ", ".join(f"{k} {v}" for k, v in sorted(fg_types.items())) + ".",
        (
            f"{failed} input(s) failed in `rssn compose` (`--on-error skip`) and are not in "
            "the set."
            if failed
            else None
        ),
        "",
        "Each row of `default` is one composite: `image` = `alpha * fg + (1 - alpha) * bg` "
        "(then noise, if drawn), `alpha` the matte, `fg` and `bg` the foreground and background "
        "as composed"
        + (
            ", plus " + ", ".join(f"`{x}`" for x in compose.extra_outputs)
            if compose.extra_outputs
            else ""
        )
        + "; `id` = `<fg_id>_<k>`; the recipe that made it in typed columns (`bg_id` relative to "
        "the background folder, `denoise`, `blur_kernel` (0 = none), `noise`, `noise_std`, "
        "`noise_seed`, `crop` as [x, y, w, h], ...) and whole as JSON in `recipe`.",
    ]
    if backgrounds is not None:
        lines += [
            "",
            f"Config `{BACKGROUNDS_CONFIG}`: the curated background set (`bgcurate curate`), "
            "one row per image (`id` = path under its split folder).",
        ]
    lines += [
        "",
        "## How it was made",
        "",
        "`run.json` of the compose run (absolute paths shortened to their last folder):",
        "",
        "| parameter | value |",
        "|---|---|",
    ]
    for key, value in flat.items():
        shown = json.dumps(_public(value), ensure_ascii=False)
        lines.append(f"| `{key}` | `{shown}` |")
    lines += [
        "",
        "## Sources and licenses",
        "",
        "The composites are derived works of their foregrounds and backgrounds: their terms apply. "
        "**Complete this table and the `license` field above before making the dataset public.**",
        "",
        "| source | folder | license |",
        "|---|---|---|",
        f"| foregrounds | `{fg_shown}` | *to be completed* |",
        f"| backgrounds | `{bg_shown}` | *to be completed* |",
    ]
    if backgrounds is not None:
        lines.append(
            f"| curated backgrounds | `{backgrounds.root.resolve().name}/` | *to be completed* |"
        )
    lines += [
        "",
        "## Loading",
        "",
        "```python",
        "from datasets import load_dataset",
        "",
        f'ds = load_dataset("{load_from}")  # DatasetDict: '
        + ", ".join(s.name for s in folder.configs["default"]),
        'row = ds["train"][0]' if "train" in [s.name for s in folder.configs["default"]] else "",
        'image, alpha = row["image"], row["alpha"]  # PIL images',
        "```",
        "",
        "## Citation",
        "",
        "```bibtex",
        "@article{li2022bridging,",
        "  title   = {Bridging Composite and Real: Towards End-to-end Deep Image Matting},",
        "  author  = {Li, Jizhizi and Zhang, Jing and Maybank, Stephen J. and Tao, Dacheng},",
        "  journal = {International Journal of Computer Vision},",
        "  volume  = {130},",
        "  pages   = {246--266},",
        "  year    = {2022}",
        "}",
        "```",
        "",
    ]
    body = "\n".join(line for line in lines if line is not None)
    return f"---\n{card_data.to_yaml()}\n---\n\n{body}"


def read_card_yaml(path: str | os.PathLike) -> dict[str, Any]:
    """The YAML front matter of a dataset card, parsed."""
    import yaml

    text = Path(path).read_text(encoding="utf-8")
    match = re.match(r"^---\n(.*?)\n---\n", text, re.S)
    if not match:
        raise PublishError(path, "the dataset card has no YAML front matter")
    meta = yaml.safe_load(match.group(1))
    if not isinstance(meta, dict):
        raise PublishError(path, "the dataset card's front matter is not a mapping")
    return meta


def check_hub_folder(
    local_dir: str | os.PathLike, *, max_row_group_bytes: int = MAX_ROW_GROUP_BYTES
) -> dict[str, Any]:
    """Check a written folder: the card parses, and every config's data files
    exist with the row counts and features it states, in row groups of at most
    :data:`MAX_ROW_GROUP_ROWS` rows and ``max_row_group_bytes`` (unless one row).

    Returns the parsed front matter. Raises :class:`PublishError`.
    """
    import pyarrow.parquet as pq
    from datasets import Features

    local = Path(local_dir)
    meta = read_card_yaml(local / "README.md")
    infos = meta.get("dataset_info")
    infos = infos if isinstance(infos, list) else [infos]
    by_config = {(i or {}).get("config_name", "default"): i for i in infos}
    for config in meta.get("configs") or []:
        name = config["config_name"]
        info = by_config.get(name)
        if info is None:
            raise PublishError(local / "README.md", f"config {name!r} has no dataset_info")
        expected = {s["name"]: s["num_examples"] for s in info["splits"]}
        features = Features._from_yaml_list(info["features"])
        for entry in config["data_files"]:
            pattern = entry["path"]
            files = sorted(local.glob(pattern))
            if not files:
                raise PublishError(local, f"config {name!r}: no files match {pattern}")
            rows = 0
            for f in files:
                pf = pq.ParquetFile(f)
                got = Features.from_arrow_schema(pf.schema_arrow)
                if got != features:
                    raise PublishError(f, "features differ from the card's dataset_info")
                for g in range(pf.metadata.num_row_groups):
                    rg = pf.metadata.row_group(g)
                    if rg.num_rows > MAX_ROW_GROUP_ROWS:
                        raise PublishError(
                            f, f"row group {g} holds more than {MAX_ROW_GROUP_ROWS} rows"
                        )
                    if rg.num_rows > 1 and rg.total_byte_size > max_row_group_bytes:
                        raise PublishError(
                            f,
                            f"row group {g} holds {rg.total_byte_size} bytes (viewer limit)",
                        )
                rows += pf.metadata.num_rows
            if rows != expected.get(entry["split"]):
                raise PublishError(
                    local,
                    f"config {name!r} split {entry['split']!r}: {rows} rows in the files, "
                    f"{expected.get(entry['split'])} in the card",
                )
    return meta


# --------------------------------------------------------------------------------------
# Upload
# --------------------------------------------------------------------------------------


class HubError(RuntimeError):
    """The Hub could not be reached or refused the upload (the token is never shown)."""


def _scrub(text: str, token: str | None) -> str:
    return text.replace(token, "***") if token else text


def push(
    local_dir: str | os.PathLike,
    repo_id: str,
    *,
    private: bool = False,
    endpoint: str | None = None,
    token: str | None = None,
    commit_message: str | None = None,
) -> str:
    """Upload a folder written by :func:`write_hub_folder` to a Hub dataset repo.

    Checks the folder (:func:`check_hub_folder`), creates the repo if needed
    (``private`` applies only to a new repo), and commits the folder with
    ``HfApi.upload_folder``, deleting Parquet files from an earlier publish that
    the new one does not have (a stale shard would add rows). The token is the
    one the Hub client knows (``HF_TOKEN`` or ``hf auth login``) unless given;
    it is never printed. Returns the commit URL.

    Raises
    ------
    PublishError
        The folder is not a valid publish, or no token is available.
    HubError
        The Hub could not be reached or refused the request.
    """
    from huggingface_hub import HfApi, get_token
    from huggingface_hub.errors import HfHubHTTPError

    local = Path(local_dir)
    meta = check_hub_folder(local)
    token = token or get_token()
    if not token:
        raise PublishError(
            local, "no Hugging Face token: set HF_TOKEN or run `hf auth login`, then retry"
        )
    api = HfApi(endpoint=endpoint, token=token)
    n = sum(
        s["num_examples"]
        for info in (
            meta["dataset_info"]
            if isinstance(meta["dataset_info"], list)
            else [meta["dataset_info"]]
        )
        if info.get("config_name", "default") == "default"
        for s in info["splits"]
    )
    message = commit_message or f"Publish {n} RSSN composites (mattekit rssn publish)"
    try:
        api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        info = api.upload_folder(
            repo_id=repo_id,
            repo_type="dataset",
            folder_path=local,
            commit_message=message,
            delete_patterns=["data/*.parquet", f"{BACKGROUNDS_CONFIG}/*.parquet"],
        )
    except HfHubHTTPError as exc:
        status = exc.response.status_code if exc.response is not None else "?"
        first = _scrub(str(exc), token).splitlines()[0]
        raise HubError(
            f"the Hub refused the upload to {repo_id} (HTTP {status}): {first}"
        ) from None
    except (OSError, ConnectionError) as exc:
        raise HubError(
            f"could not reach the Hub at {api.endpoint}: {_scrub(str(exc), token)}"
        ) from None
    except Exception as exc:  # httpx transport errors are not OSErrors
        if type(exc).__module__.startswith(("httpx", "httpcore")):
            raise HubError(
                f"could not reach the Hub at {api.endpoint}: {_scrub(str(exc), token)}"
            ) from None
        raise
    return str(info.commit_url)


def iter_upload_files(local_dir: str | os.PathLike) -> Iterator[tuple[str, int]]:
    """``(path in repo, size)`` of every file an upload of ``local_dir`` sends."""
    local = Path(local_dir)
    for p in sorted(local.rglob("*")):
        if p.is_file():
            yield p.relative_to(local).as_posix(), p.stat().st_size


def human_bytes(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"  # pragma: no cover
