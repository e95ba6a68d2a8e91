"""``rssn compose``: a folder of foregrounds x a folder of backgrounds -> an RSSN dataset.

The edge around :func:`rssn.cook`: finding inputs, dealing backgrounds, drawing
recipes, reading and writing files, the cache, the process pool, resuming.

Output folder ``OUT``::

    OUT/run.json              the run's configuration; another configuration is refused
    OUT/manifest.jsonl        one row per composite, sorted by (fg id, k)
    OUT/image/<id>.png|.jpg   the composite C          (<id> = <fg id>_<k>)
    OUT/alpha/<id>.png        the alpha matte, unchanged
    OUT/fg/<id>.png           F as composited (denoised; plus the noise field when noisy)
    OUT/bg/<id>.png           B as composited (fitted, denoised, blurred; plus the noise)
    OUT/trimap/<id>.png       with --trimap
    OUT/errors.jsonl          inputs that failed (with --on-error skip)
    OUT/cache/                foreground estimates and denoised images (or --cache DIR)
    OUT/.rssn/done/<id>.json  per composite: its manifest row and the SHA-256 of its files

Every file is written under a temporary name and renamed. A composite is complete
when its ``done`` record exists and every file it lists has the recorded hash
and recipe; a rerun skips complete composites and makes the others, so a killed
run resumes where it stopped. The manifest is assembled from the ``done``
records at the end of every run.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from rssn._cache import CACHE_FORMATS, DiskCache
from rssn._recipe import Params, Recipe, cook, deal_backgrounds, draw_recipe, stable_int
from rssn._sources import Background, Foreground, find_backgrounds, find_foregrounds
from trimaps._cliutil import UsageError, distribution_version
from trimaps.io import ImageError, atomic_write_bytes, open_image, read_alpha, read_rgb

__all__ = ["TRIMAP_KINDS", "ComposeConfig", "ComposeError", "Summary", "compose", "read_inputs"]

#: ``--trimap`` choices: the trimap presets of GFM, AIM, P3M, or AIM's unified map.
TRIMAP_KINDS = ("gfm", "aim", "p3m", "unified")

JPEG_QUALITY = 95


class ComposeError(UsageError):
    """Inputs that stop a run; ``lines`` holds one message per problem."""

    def __init__(self, lines: list[str]):
        self.lines = list(lines)
        more = f" (and {len(lines) - 1} more)" if len(lines) > 1 else ""
        super().__init__(f"{lines[0]}{more}")


@dataclass(frozen=True)
class ComposeConfig:
    fg_root: Path
    bg_root: Path
    out: Path
    k: int = 5
    seed: int = 0
    params: Params = field(default_factory=Params)
    jpeg: bool = False
    trimap: str | None = None
    types: Path | None = None
    cache: Path | None = None
    cache_format: str = "png"  # of new cache entries; not part of run.json (same pixels)
    workers: int = 1
    on_error: str = "fail"
    engine: str = "local"  # or "ray"; not part of run.json: a run may resume on another engine
    address: str | None = None  # a Ray cluster to join (with engine "ray")

    def run_dict(self) -> dict:
        """What run.json records; a rerun must match it exactly."""
        return {
            "seed": self.seed,
            "k": self.k,
            "params": self.params.to_dict(),
            "fg": os.fspath(Path(self.fg_root).resolve()),
            "bg": os.fspath(Path(self.bg_root).resolve()),
            "jpeg": self.jpeg,
            "trimap": self.trimap,
            "types": os.fspath(Path(self.types).resolve()) if self.types else None,
        }


@dataclass
class Summary:
    composites: int = 0  # in the manifest at the end
    written: int = 0  # made by this run
    skipped: int = 0  # already complete
    failed: int = 0
    cache_hits: int = 0
    cache_computed: int = 0
    seconds: float = 0.0
    errors: list[dict] = field(default_factory=list)
    layout: str = ""


# ---------------------------------------------------------------- one foreground


@dataclass(frozen=True)
class _Task:
    fg: Foreground
    items: tuple[tuple[Recipe, Background], ...]
    out: Path
    cache: Path
    jpeg: bool
    trimap: str | None
    cache_format: str = "png"


def _encode(image: np.ndarray, suffix: str) -> bytes:
    if image.ndim == 3:
        image = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    if suffix == ".png":
        ok, buf = cv2.imencode(".png", image)
    else:
        ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:  # pragma: no cover - OpenCV gives no reason
        raise OSError(f"OpenCV could not encode a {suffix} image")
    return buf.tobytes()


class _Encoder:
    """PNG/JPEG bytes of an array, reusing the result for the same array object.

    The alpha is the same array for the K composites of a foreground, and so is F
    whenever no noise was added (:func:`rssn.cook` returns its inputs unchanged
    then): encoding them once saves a third of the encoding time, which is most of
    the time of a run without denoising. Arrays are recognised by identity (a
    reference is kept, so an id cannot be reused while memoised), not by hashing
    megabytes of pixels per composite.
    """

    def __init__(self, size: int = 4):
        self.size = size
        self.memo: dict[tuple[int, str], tuple[np.ndarray, bytes]] = {}

    def __call__(self, image: np.ndarray, suffix: str) -> bytes:
        key = (id(image), suffix)
        hit = self.memo.get(key)
        if hit is not None and hit[0] is image:
            self.memo[key] = self.memo.pop(key)  # most recently used last
            return hit[1]
        if len(self.memo) >= self.size:
            self.memo.pop(next(iter(self.memo)))
        data = _encode(image, suffix)
        self.memo[key] = (image, data)
        return data


def _cid(recipe: Recipe) -> str:
    """The id of a composite: ``<fg id>_<k>``, the stem of its files and of its record."""
    return f"{recipe.fg_id}_{recipe.k}"


def _done_path(out: Path, cid: str) -> Path:
    return out / ".rssn" / "done" / f"{cid}.json"


def _sha256_file(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _is_complete(out: Path, cid: str, recipe: Recipe) -> bool:
    try:
        record = json.loads(_done_path(out, cid).read_text())
    except (OSError, ValueError):
        return False
    if record.get("row", {}).get("recipe") != recipe.to_dict():
        return False
    return all(_sha256_file(out / rel) == digest for rel, digest in record["sha256"].items())


def _read_foreground(fg: Foreground) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """(alpha, F or None, original image or None) as uint8 arrays."""
    if fg.rgba:
        img = open_image(fg.alpha, exif=False)
        rgba = np.asarray(img.convert("RGBA"))
        return np.ascontiguousarray(rgba[..., 3]), np.ascontiguousarray(rgba[..., :3]), None
    alpha = read_alpha(fg.alpha, allow_palette=False)
    colour = read_rgb(fg.colour)
    if colour.shape[:2] != alpha.shape:
        raise ImageError(
            fg.colour,
            f"size {colour.shape[1]}x{colour.shape[0]} differs from its matte "
            f"{fg.alpha} ({alpha.shape[1]}x{alpha.shape[0]})",
        )
    return (alpha, colour, None) if fg.fg is not None else (alpha, None, colour)


def read_inputs(inputs: dict) -> dict[str, np.ndarray | None]:
    """Read the inputs of a manifest row: the keyword arguments of :func:`rssn.cook`.

    ``inputs`` is a row's ``"inputs"`` (paths of ``fg``, ``alpha``, ``image``,
    ``bg``; ``fg == alpha`` for an RGBA file). Returns ``{"alpha", "background",
    "fg", "image"}`` read exactly as ``rssn compose`` reads them, so that::

        cook(Recipe.from_dict(row["recipe"]), **read_inputs(row["inputs"]))

    gives the composite ``rssn compose`` wrote, in a dataloader or on a Ray worker.
    Raises :class:`trimaps.ImageError` naming the file that cannot be read.
    """
    fg_path, alpha_path, image_path = inputs.get("fg"), inputs["alpha"], inputs.get("image")
    source = Foreground(
        id="",
        alpha=Path(alpha_path),
        fg=Path(fg_path) if fg_path else None,
        image=Path(image_path) if image_path else None,
        rgba=fg_path is not None and fg_path == alpha_path,
    )
    alpha, fg, image = _read_foreground(source)
    return {"alpha": alpha, "background": read_rgb(inputs["bg"]), "fg": fg, "image": image}


def _trimap(kind: str, alpha: np.ndarray, recipe: Recipe) -> np.ndarray:
    import trimaps

    if kind == "unified":
        rep = trimaps.unified(alpha, recipe.fg_type)
    else:
        rng = np.random.default_rng(
            np.random.SeedSequence((recipe.seed, stable_int(recipe.fg_id), recipe.k, 1))
        )
        rep = trimaps.preset_trimap(alpha, kind, rng)
    return trimaps.to_uint8(rep)


class _Memo:
    """An in-memory layer over the disk cache for the K composites of one foreground."""

    def __init__(self, disk: DiskCache):
        self.disk = disk
        self.memo: dict[str, np.ndarray] = {}

    def __call__(self, step, options, inputs, compute):
        key = DiskCache.key(step, options, inputs)
        if key not in self.memo:
            self.memo[key] = self.disk(step, options, inputs, compute)
        return self.memo[key]


def _compose_foreground(task: _Task) -> dict:
    """Make the composites of one foreground that are not complete yet."""
    disk = DiskCache(task.cache, task.cache_format)
    cache = _Memo(disk)
    result = {"written": 0, "skipped": 0, "errors": [], "hits": 0, "computed": 0}
    todo = []
    for recipe, bg in task.items:
        cid = _cid(recipe)
        if _is_complete(task.out, cid, recipe):
            result["skipped"] += 1
        else:
            todo.append((recipe, bg))
    if not todo:
        return result
    try:
        alpha, F, image = _read_foreground(task.fg)
    except ImageError as exc:
        result["errors"] += [
            {"id": _cid(r), "file": os.fspath(exc.path), "error": str(exc)} for r, _ in todo
        ]
        return result
    suffix = ".jpg" if task.jpeg else ".png"
    encode = _Encoder()
    for recipe, bg in todo:
        cid = _cid(recipe)
        try:
            background = read_rgb(bg.path)
            if background.shape[1::-1] != tuple(recipe.bg_size):
                raise ImageError(bg.path, "size changed since the run started")
            made = cook(recipe, alpha=alpha, background=background, fg=F, image=image, cache=cache)
            files = {
                f"image/{cid}{suffix}": _encode(made.image, suffix),
                f"alpha/{cid}.png": encode(made.alpha, ".png"),
                f"fg/{cid}.png": encode(made.fg, ".png"),
                f"bg/{cid}.png": _encode(made.bg, ".png"),
            }
            if task.trimap:
                files[f"trimap/{cid}.png"] = encode(_trimap(task.trimap, alpha, recipe), ".png")
        except ImageError as exc:
            result["errors"].append({"id": cid, "file": os.fspath(exc.path), "error": str(exc)})
            continue
        try:
            for rel, data in files.items():
                target = task.out / rel
                atomic_write_bytes(target, data)
        except OSError as exc:  # disk full, no permission: name the output file
            msg = f"{target}: cannot write ({exc.strerror or exc})"
            result["errors"].append({"id": cid, "file": os.fspath(target), "error": msg})
            continue
        row = {
            "id": cid,
            "fg_id": recipe.fg_id,
            "k": recipe.k,
            "fg_type": recipe.fg_type,
            "inputs": {
                "fg": os.fspath(Path(task.fg.fg).resolve()) if task.fg.fg else None,
                "alpha": os.fspath(Path(task.fg.alpha).resolve()),
                "image": os.fspath(Path(task.fg.image).resolve()) if task.fg.image else None,
                "bg": os.fspath(Path(bg.path).resolve()),
            },
            "recipe": recipe.to_dict(),
            "outputs": {rel.split("/")[0]: rel for rel in files},
        }
        digests = {rel: hashlib.sha256(data).hexdigest() for rel, data in files.items()}
        record = json.dumps({"row": row, "sha256": digests})
        atomic_write_bytes(_done_path(task.out, cid), record.encode())
        result["written"] += 1
    result["hits"], result["computed"] = disk.hits, disk.computed
    return result


def _worker_init() -> None:
    # The pool's processes are the parallelism: one thread each for OpenCV and numba
    # (pymatting's resize kernels are parallel), or 2 workers x 2 threads oversubscribe
    # the cores. Results do not depend on the number of threads.
    os.environ.setdefault("NUMBA_NUM_THREADS", "1")
    cv2.setNumThreads(1)
    # numba's compiled pymatting kernels live in a persistent cache (see rssn._steps)
    from rssn._steps import NUMBA_CACHE_DEFAULT

    if "NUMBA_CACHE_DIR" not in os.environ:
        NUMBA_CACHE_DEFAULT.mkdir(parents=True, exist_ok=True)
        os.environ["NUMBA_CACHE_DIR"] = os.fspath(NUMBA_CACHE_DEFAULT)


# ---------------------------------------------------------------- the run


def _match_types(cfg: ComposeConfig, fgs: list[Foreground]):
    from trimaps._generate import load_types

    entries = load_types(cfg.types)
    by_key: dict[str, Foreground] = {}
    for fg in fgs:
        for key in (fg.id, fg.colour.name, fg.alpha.name):
            by_key.setdefault(key, fg)
    types: dict[str, str] = {}
    problems: list[tuple[str | None, str]] = []
    for key, entry in entries.items():
        fg = by_key.get(key)
        if fg is None:
            continue  # an entry for a file not in this folder (or one with a problem)
        types[fg.id] = entry.type
    for fg in fgs:
        if fg.id not in types:
            problems.append((fg.id, f"{fg.colour}: no entry for {fg.id} in {cfg.types}"))
    return types, problems


def _check_out(cfg: ComposeConfig) -> None:
    out = Path(cfg.out)
    run_json = out / "run.json"
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out}: exists and is not a folder")
    if run_json.is_file():
        try:
            previous = json.loads(run_json.read_text())["config"]
        except (OSError, ValueError, KeyError, TypeError):
            raise UsageError(
                f"{run_json}: unreadable; not a folder written by rssn compose"
            ) from None
        current = cfg.run_dict()
        if previous != current:
            diffs = [
                f"{key} {previous.get(key)!r} -> {current.get(key)!r}"
                for key in sorted(set(previous) | set(current))
                if previous.get(key) != current.get(key)
            ]
            raise UsageError(
                f"{run_json}: this folder holds a run with other parameters "
                f"({'; '.join(diffs)}); use another --out, or delete it to start over"
            )
    elif out.is_dir() and any(out.iterdir()):
        raise UsageError(
            f"{out}: not empty and holds no run.json; choose an empty or new folder for --out"
        )


def _write_run_json(cfg: ComposeConfig, layout: str) -> None:
    data = {
        "tool": "rssn compose",
        "mattekit": distribution_version(),
        "layout": layout,
        "config": cfg.run_dict(),
    }
    atomic_write_bytes(Path(cfg.out) / "run.json", (json.dumps(data, indent=2) + "\n").encode())


def plan(cfg: ComposeConfig) -> tuple[list[_Task], list[tuple[str | None, str]], str]:
    """Find inputs, deal backgrounds and draw every recipe; no pixel is read."""
    if cfg.k < 1:
        raise UsageError(f"--k must be >= 1, got {cfg.k}")
    if cfg.seed < 0:
        raise UsageError(f"--seed must be >= 0, got {cfg.seed}")
    check_run_options(cfg.params, cfg.cache_format, cfg.on_error)
    if cfg.trimap is not None and cfg.trimap not in TRIMAP_KINDS:
        raise UsageError(f"--trimap must be one of {', '.join(TRIMAP_KINDS)}, got {cfg.trimap!r}")
    if cfg.trimap == "unified" and cfg.types is None:
        raise UsageError("--trimap unified needs --types FILE.json (file name -> SO/STM/NS)")
    out, bg_root = Path(cfg.out).resolve(), Path(cfg.bg_root).resolve()
    if out == bg_root or bg_root in out.parents:
        # the next run would find its own outputs among the backgrounds
        raise UsageError(f"{cfg.out}: the output folder lies inside --bg {cfg.bg_root}")
    if out == Path(cfg.fg_root).resolve():
        raise UsageError(f"{cfg.out}: the output folder is the --fg folder")
    fgs, problems, layout = find_foregrounds(cfg.fg_root)
    all_ids = sorted({fg.id for fg in fgs} | {i for i, _ in problems if i is not None})
    types: dict[str, str] = {}
    if cfg.types is not None:
        types, type_problems = _match_types(cfg, fgs)
        problems += type_problems
        bad = {i for i, _ in type_problems}
        fgs = [fg for fg in fgs if fg.id not in bad]
    pool, bg_problems = find_backgrounds(cfg.bg_root)
    problems += [(None, line) for line in bg_problems]
    if not pool:
        raise UsageError(f"{cfg.bg_root}: no readable background images")
    if cfg.k > len(pool):
        raise UsageError(
            f"{cfg.bg_root}: --k {cfg.k} needs at least {cfg.k} backgrounds "
            f"(distinct per foreground), found {len(pool)}"
        )
    deal = deal_backgrounds(cfg.seed, len(all_ids), cfg.k, len(pool))
    row_of = {fid: i for i, fid in enumerate(all_ids)}
    cache = Path(cfg.cache) if cfg.cache is not None else Path(cfg.out) / "cache"
    tasks = []
    for fg in sorted(fgs, key=lambda f: f.id):
        w, h = _size_of(fg)
        items = []
        for k in range(cfg.k):
            bg = pool[int(deal[row_of[fg.id], k])]
            recipe = draw_recipe(
                cfg.seed,
                fg.id,
                k,
                size=(w, h),
                bg=bg.id,
                bg_size=bg.size,
                params=cfg.params,
                fg_type=types.get(fg.id),
                estimate_foreground=fg.image is not None,
            )
            items.append((recipe, bg))
        tasks.append(
            _Task(fg, tuple(items), Path(cfg.out), cache, cfg.jpeg, cfg.trimap, cfg.cache_format)
        )
    return tasks, problems, layout


def _installed(module: str) -> bool:
    import importlib.util
    import sys

    if module in sys.modules:  # None there means "blocked", as Python's import system has it
        return sys.modules[module] is not None
    return importlib.util.find_spec(module) is not None


def check_run_options(
    params: Params, cache_format: str, on_error: str, *, denoise_off: str = "--denoise-p 0"
) -> None:
    """The options ``rssn compose`` and ``rssn prefill`` share, checked before any work.

    ``denoise_off`` names the command's option that turns denoising off.
    """
    if cache_format not in CACHE_FORMATS:
        raise UsageError(
            f"--cache-format must be one of {', '.join(CACHE_FORMATS)}, got {cache_format!r}"
        )
    if on_error not in ("fail", "skip"):
        raise UsageError(f"--on-error must be fail or skip, got {on_error!r}")
    if params.denoise_p > 0 and params.denoise_method == "bm3d" and not _installed("bm3d"):
        raise UsageError(
            "--denoise-method bm3d needs the bm3d package (non-commercial licence): "
            f"pip install 'mattekit[bm3d]', or use --denoise-method nlm, or {denoise_off}"
        )


def _size_of(fg: Foreground) -> tuple[int, int]:
    from rssn._sources import image_info

    return image_info(fg.alpha, exif=False).size


def _run_tasks(tasks: list[_Task], cfg: ComposeConfig) -> Iterator[tuple[_Task, dict]]:
    """Each task composed on the engine ``cfg.engine`` names, in completion order.

    ``local``: in this process or a spawn pool of ``cfg.workers``; ``ray``: one Ray task
    per foreground (see :mod:`trimaps._engine`). Workers write the files and the done
    records; the manifest is assembled from those in (fg id, k) order, so the bytes do
    not depend on the engine or on the order in which tasks finish.
    """
    from trimaps._engine import make_engine

    with make_engine(
        cfg.engine, workers=cfg.workers, address=cfg.address, initializer=_worker_init
    ) as engine:
        # Largest foregrounds first (longest-processing-time order), so that a worker
        # does not start a big one while the others run out of work.
        order = sorted(range(len(tasks)), key=lambda i: -_pixels(tasks[i]))
        for i, result in engine.imap_unordered(_compose_foreground, [tasks[i] for i in order]):
            yield tasks[order[i]], result


def _pixels(task: _Task) -> int:
    w, h = task.items[0][0].size if task.items else (0, 0)
    return w * h * len(task.items)


class _DoneCounter:
    """Advances the progress bar per composite, not per foreground task.

    A task makes the K composites of one foreground (minutes each with BM3D), and
    its result comes back only when all are done. Each composite's ``done`` record
    appears as soon as it is written, though, on every engine: a thread lists
    ``OUT/.rssn/done`` twice a second and counts the records of this run's
    composites it has not seen (so a resumed run shows what was already complete
    at once). When a task's result arrives, :meth:`finish` counts the rest of its
    composites (failed ones included), so the bar ends exactly at the total.
    The pause between listings is at least 20 times the last listing's duration,
    so that on a run of 100k composites the driver takes at most ~5% of a core
    from the workers.
    """

    def __init__(self, out: Path, tasks: list[_Task], advance, interval: float = 0.5):
        self.done_dir = out / ".rssn" / "done"
        self.expected = {_cid(r) for t in tasks for r, _ in t.items}
        self.seen: set[str] = set()
        self.advance = advance
        self.interval = interval
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    def scan(self) -> None:
        try:
            names = os.listdir(self.done_dir)
        except OSError:  # not made yet
            return
        new = 0
        with self.lock:
            for name in names:
                cid = name[:-5] if name.endswith(".json") else None
                if cid in self.expected and cid not in self.seen:
                    self.seen.add(cid)
                    new += 1
        if new:
            self.advance(new)

    def finish(self, task: _Task) -> None:
        with self.lock:
            rest = {_cid(r) for r, _ in task.items} - self.seen
            self.seen |= rest
        if rest:
            self.advance(len(rest))

    def _run(self) -> None:
        pause = self.interval
        while not self.stopping.wait(pause):
            t0 = time.perf_counter()
            self.scan()
            pause = max(self.interval, 20 * (time.perf_counter() - t0))

    def start(self) -> None:
        self.scan()
        self.thread = threading.Thread(target=self._run, name="rssn-progress", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        if self.thread is not None:
            self.thread.join()


def compose(cfg: ComposeConfig, *, quiet: bool = True, console=None) -> Summary:
    """Run ``rssn compose``; raise :class:`ComposeError` / ``UsageError`` on bad input."""
    from trimaps._cliutil import progress

    start = time.perf_counter()
    if cfg.engine != "local":  # workers elsewhere (another cwd, another node) need full paths
        cfg = _resolved(cfg)
    tasks, problems, layout = plan(cfg)
    summary = Summary(layout=layout)
    if problems and cfg.on_error == "fail":
        raise ComposeError([line for _, line in problems])
    _check_out(cfg)
    out = Path(cfg.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        _write_run_json(cfg, layout)
    except OSError as exc:
        raise UsageError(f"{out}: cannot write the output folder ({exc.strerror or exc})") from None
    summary.errors = [{"id": i, "file": line.split(": ")[0], "error": line} for i, line in problems]
    total = sum(len(t.items) for t in tasks)
    counter = None
    try:
        with progress(disable=quiet) as bar:
            job = bar.add_task("composing", total=total)
            counter = _DoneCounter(out, tasks, lambda n: bar.advance(job, n))
            if not quiet:
                counter.start()
            for task, result in _run_tasks(tasks, cfg):
                summary.written += result["written"]
                summary.skipped += result["skipped"]
                summary.cache_hits += result["hits"]
                summary.cache_computed += result["computed"]
                if result["errors"]:
                    summary.errors += result["errors"]
                    if cfg.on_error == "fail":
                        raise ComposeError([e["error"] for e in result["errors"]])
                counter.finish(task)
    finally:
        if counter is not None:
            counter.stop()
        summary.composites = _write_manifest(out, tasks)
        _write_errors(out, summary.errors)
        summary.failed = len(summary.errors)
        summary.seconds = time.perf_counter() - start
    return summary


def _resolved(cfg: ComposeConfig) -> ComposeConfig:
    from dataclasses import replace

    def full(p):
        return None if p is None else Path(p).resolve()

    return replace(
        cfg,
        fg_root=full(cfg.fg_root),
        bg_root=full(cfg.bg_root),
        out=full(cfg.out),
        types=full(cfg.types),
        cache=full(cfg.cache),
    )


def _write_manifest(out: Path, tasks: list[_Task]) -> int:
    """manifest.jsonl from the done records of complete composites, sorted by (fg id, k)."""
    tmp = out / ".manifest.jsonl.tmp"
    n = 0
    with open(tmp, "w", encoding="utf-8") as fh:
        for task in tasks:  # already sorted by fg id, then k
            for recipe, _ in task.items:
                try:
                    record = json.loads(_done_path(out, _cid(recipe)).read_text())
                except (OSError, ValueError):
                    continue
                if record["row"]["recipe"] != recipe.to_dict():
                    continue
                fh.write(json.dumps(record["row"]) + "\n")
                n += 1
    os.replace(tmp, out / "manifest.jsonl")
    return n


def _write_errors(out: Path, errors: list[dict]) -> None:
    path = out / "errors.jsonl"
    if not errors:
        path.unlink(missing_ok=True)
        return
    atomic_write_bytes(path, "".join(json.dumps(e) + "\n" for e in errors).encode())
