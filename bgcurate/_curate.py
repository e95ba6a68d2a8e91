"""The ``curate`` pipeline: folder in, ``train/`` + ``val/`` + report out, incrementally.

Stages (Li et al., IJCV 2022, Sec. 4.1, with the checks the paper leaves open):

1. scan: decode each new file once (EXIF orientation applied), reject unreadable,
   truncated, tiny, grayscale-only and extreme-aspect files, hash it (SHA-256 of
   the bytes, digest of the pixels, 64-bit pHash) and store a working copy resized
   to ``resize_short`` on the short side;
2. embed (with a detector): backbone embeddings of every scanned image;
3. dedup: exact, pHash and embedding pairs -> groups; the largest member is kept;
4. resolution: images whose short side is below ``min_short`` are rejected;
5. salient (with a detector): batched detection on the survivors, then the rule of
   :func:`bgcurate.salient_decision`;
6. split + write: each kept image goes to ``train/`` or ``val/`` by a hash of its
   bytes; outputs are hard links to (or copies of) the working copies.

Per-image results live in the SQLite index in the output folder; the decisions
of stages 3-6 are recomputed on every run from the stored results, so rerunning
on a grown folder processes only new files, a killed run resumes, and changing a
decision threshold costs no image work.

Why dedup runs before the resolution filter: a thumbnail of a kept photo is then
reported as its duplicate (the group shows the pair) rather than as merely
"low-resolution", and the largest member of each group is the one that survives.
"""

from __future__ import annotations

import filecmp
import hashlib
import json
import os
import shutil
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from bgcurate._dedup import (
    cosine_pairs,
    duplicate_groups,
    exact_pairs,
    hamming_pairs,
    keeper,
)
from bgcurate._index import INDEX_NAME, Index
from bgcurate._scan import ScanParams, scan_bytes, work_name
from bgcurate._split import split_of
from trimaps._cliutil import UsageError
from trimaps._engine import Engine, make_engine
from trimaps.io import IMAGE_SUFFIXES, atomic_write_bytes

__all__ = ["CurateConfig", "CurateResult", "curate"]

#: Final reasons, in the order the stages apply them.
REASONS = (
    "unreadable",
    "truncated",
    "tiny",
    "grayscale",
    "extreme-aspect",
    "duplicate",
    "low-resolution",
    "salient",
)


@dataclass(frozen=True)
class CurateConfig:
    """Everything ``curate`` needs besides the folders.

    Attributes
    ----------
    scan : ScanParams
        Per-image scan and working-copy settings. These shape the stored working copies:
        an output folder made with other values is refused.
    min_short : int
        Resolution filter: shorter side (after EXIF orientation) >= this (BG-20k: 1080).
    val_fraction : float
        Expected share of ``val`` (BG-20k: 5k of 20k = 0.25).
    phash_threshold : int
        Largest pHash Hamming distance (of 64 bits) counted as a near duplicate; negative
        disables the pHash stage.
    detector : str or None
        Ultralytics weights (path or name) for embeddings and salient detection; None runs
        neither. The library default is None; the command line's is ``yolo11n.pt``
        (``--no-detector`` for None).
    cosine_threshold : float
        Embedding cosine similarity at or above which two images are duplicates.
    deep_dedup : bool
        With a detector, also group images by embedding cosine (``cosine_threshold``).
    classes : str
        Salient classes: ``"all"`` or a comma list of class names and groups (people,
        animals, vehicles); see :func:`bgcurate.resolve_classes`.
    conf, area, centre, centre_area : float
        The salient rule, see :func:`bgcurate.salient_decision`.
    imgsz : int
        Detector / embedding input size (ultralytics ``imgsz``).
    batch : int
        Images per detector batch.
    workers : int
        Processes for the scan stage (1 = in this process); with ``engine="ray"`` and no
        ``address``, the CPUs of the local Ray instance.
    engine : {"local", "ray"}
        Where the scan runs (see :mod:`trimaps._engine`); the results are the same.
    address : str or None
        A Ray cluster to join (``"auto"``, ``"HOST:6379"``, ``"ray://HOST:10001"``).
    """

    scan: ScanParams = field(default_factory=ScanParams)
    min_short: int = 1080
    val_fraction: float = 0.25
    phash_threshold: int = 8
    detector: str | None = None
    cosine_threshold: float = 0.95
    deep_dedup: bool = True
    classes: str = "all"
    conf: float = 0.25
    area: float = 0.05
    centre: float = 0.5
    centre_area: float = 0.005
    imgsz: int = 640
    batch: int = 8
    workers: int = 1
    engine: str = "local"
    address: str | None = None

    def to_dict(self) -> dict:
        d = asdict(self)
        del d["engine"], d["address"]  # where the work runs does not change the result
        d["scan"] = self.scan.to_dict()
        return d


@dataclass
class CurateResult:
    """What a run did.

    Attributes
    ----------
    counts : dict
        Final number of source files per decision (``"kept"``) and per rejection reason.
    processed : dict
        Number of items each stage actually computed in this run (0 for a rerun on an
        unchanged folder): ``scan``, ``embed``, ``detect``.
    groups : list of list of str
        Duplicate groups (source paths relative to SRC); the first is the one kept.
    decisions : list of dict
        One row per source file: path, sha256, decision, reason, detail, split, output.
    """

    counts: dict = field(default_factory=dict)
    processed: dict = field(default_factory=dict)
    groups: list = field(default_factory=list)
    decisions: list = field(default_factory=list)
    train: int = 0
    val: int = 0


def list_sources(src: Path, exclude: Path | None = None) -> list[str]:
    """Image files under ``src`` (by suffix), as sorted POSIX paths relative to ``src``.

    Hidden folders and ``exclude`` (the output folder, when it lies inside ``src``) are
    skipped.
    """
    out = []
    excl = exclude.resolve() if exclude is not None else None
    for root, dirs, files in os.walk(src):
        rootp = Path(root)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and (rootp / d).resolve() != excl)
        for f in files:
            if Path(f).suffix.lower() in IMAGE_SUFFIXES and not f.startswith("."):
                out.append((rootp / f).relative_to(src).as_posix())
    return sorted(out)


def _check_folders(src: Path, out: Path) -> None:
    if not src.exists():
        raise UsageError(f"{src}: no such folder")
    if not src.is_dir():
        raise UsageError(f"{src}: not a folder")
    if not os.access(src, os.R_OK | os.X_OK):
        raise UsageError(f"{src}: folder cannot be read (permission denied)")
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out}: the output path is a file, not a folder")
    if out.resolve() == src.resolve():
        raise UsageError(f"{out}: the output folder is the source folder; choose another --out")
    if src.resolve().is_relative_to(out.resolve()):
        raise UsageError(f"{out}: the output folder contains the source folder {src}")
    if out.is_dir() and any(out.iterdir()) and not (out / INDEX_NAME).exists():
        raise UsageError(
            f"{out}: folder is not empty and holds no {INDEX_NAME}; "
            "choose an empty or new folder for --out (or one bgcurate made)"
        )


def _check_config(index: Index, out: Path, config: CurateConfig) -> None:
    stored = index.get_meta("scan")
    now = config.scan.to_dict()
    if stored is None:
        index.set_meta("scan", now)
        return
    diff = [f"{k}={stored.get(k)!r} (now {now[k]!r})" for k in now if stored.get(k) != now[k]]
    if diff:
        raise UsageError(
            f"{out}: this output folder was made with other settings: {', '.join(diff)}; "
            "use the same options or another --out"
        )


def _output_name(path: str, fmt: str) -> str:
    stem = path.rsplit(".", 1)[0] if "." in Path(path).name else path
    return stem.replace("/", "__") + "." + fmt


def _scan_many(
    jobs: Iterable[tuple[object, bytes]],
    params: ScanParams,
    workers: int,
    engine: str | Engine = "local",
    address: str | None = None,
):
    """Yield ``(key, record, work)`` for each ``(key, data)``, in order: :func:`scan_bytes`
    runs on ``engine`` (a name, with ``workers`` and ``address``, or an
    :class:`~trimaps._engine.Engine`); the bytes go to the workers, the results come back."""
    from collections import deque
    from contextlib import nullcontext
    from functools import partial

    from trimaps._engine import make_engine

    keys: deque = deque()

    def data():
        for key, content in jobs:
            keys.append(key)
            yield content

    if isinstance(engine, str):
        runner = make_engine(engine, workers=workers, address=address)
    else:
        runner = nullcontext(engine)  # the caller's engine: the caller closes it
    with runner as eng:
        for rec, work in eng.imap(partial(scan_bytes, params=params), data()):
            yield keys.popleft(), rec, work


def curate(
    src: str | os.PathLike,
    out: str | os.PathLike,
    config: CurateConfig = CurateConfig(),
    *,
    show_progress: bool = False,
    on_scanned: Callable[[str], None] | None = None,
    report: bool = True,
) -> CurateResult:
    """Curate the images under ``src`` into ``out/train`` and ``out/val``.

    Parameters
    ----------
    src, out : path-like
        Source folder (searched recursively) and output folder.
    config : CurateConfig
    show_progress : bool
        Show a progress bar per stage (stderr).
    on_scanned : callable, optional
        Called with the relative path after each newly scanned file is stored in the index
        (used by the tests to interrupt a run).
    report : bool
        Write ``out/report/`` (counts, contact sheets, HTML page).

    Raises
    ------
    UsageError
        Unusable folders, an output folder made with other scan settings, detector errors.
    """
    from trimaps._cliutil import progress

    src, out = Path(src), Path(out)
    _check_folders(src, out)
    sources = list_sources(src, exclude=out)
    detector = classes = None
    if config.detector is not None:  # bad weights fail before any image work or output
        from bgcurate._salient import load_detector, resolve_classes

        detector = load_detector(config.detector)
        classes = resolve_classes(config.classes, detector.names)
    out.mkdir(parents=True, exist_ok=True)
    result = CurateResult(processed={"scan": 0, "embed": 0, "detect": 0})
    cache = out / "cache"
    fmt = config.scan.fmt
    with (
        Index(out / INDEX_NAME) as index,
        progress(disable=not show_progress) as bar,
        make_engine(config.engine, workers=config.workers, address=config.address) as engine,
    ):
        _check_config(index, out, config)
        # ---- 1. scan ------------------------------------------------------------------------
        known = index.files()
        stored = index.scans()

        def have(sha: str) -> bool:
            """Content scanned, and its working copy still there (the cache may be deleted)."""
            rec = stored.get(sha)
            return rec is not None and (
                rec["reason"] is not None or (cache / work_name(sha, fmt)).exists()
            )

        wanted_set = set(sources)
        index.forget_files([p for p in known if p not in wanted_set])
        todo: list[tuple[str, os.stat_result]] = []
        for rel in sources:
            st = (src / rel).stat()
            prev = known.get(rel)
            if prev is not None and prev[0] == st.st_size and prev[1] == st.st_mtime_ns:
                if prev[2] is None or have(prev[2]):
                    continue
            todo.append((rel, st))
        task = bar.add_task("scan", total=len(todo))
        queued: set[str] = set()

        def jobs():
            for rel, st in todo:
                try:
                    data = (src / rel).read_bytes()
                except OSError as exc:
                    index.put_file(rel, st.st_size, st.st_mtime_ns, None, exc.strerror or str(exc))
                    bar.advance(task)
                    continue
                sha = hashlib.sha256(data).hexdigest()
                if have(sha) or sha in queued:  # a copy or a rename of known content
                    index.put_file(rel, st.st_size, st.st_mtime_ns, sha)
                    bar.advance(task)
                    continue
                queued.add(sha)
                yield (rel, st, sha), data

        for (rel, st, sha), rec, work in _scan_many(jobs(), config.scan, 1, engine):
            if work is not None:
                atomic_write_bytes(cache / work_name(sha, fmt), work)
            index.put_scan(sha, rec.to_dict())
            index.put_file(rel, st.st_size, st.st_mtime_ns, sha)
            result.processed["scan"] += 1
            bar.advance(task)
            if on_scanned is not None:
                on_scanned(rel)

        files = index.files()
        scans = index.scans()
        rows = [(p, files[p]) for p in sources]
        # ---- 2. embed -------------------------------------------------------------------------
        embeddings: dict[str, np.ndarray] = {}
        if detector is not None and config.deep_dedup:
            passed = sorted(
                {s for _, (_, _, s, _) in rows if s is not None and scans[s]["reason"] is None}
            )
            embeddings = _embed_stage(index, cache, passed, detector, config, bar, result, engine)

        # ---- 3. dedup -------------------------------------------------------------------------
        decision: dict[str, tuple[str, str | None, str]] = {}
        ok: list[str] = []  # paths that passed the scan, in path order
        for p, (_, _, sha, err) in rows:
            if sha is None:
                decision[p] = ("rejected", "unreadable", f"cannot read file ({err})")
                continue
            rec = scans[sha]
            if rec["reason"] is not None:
                decision[p] = ("rejected", rec["reason"], rec["detail"])
            else:
                ok.append(p)
        sha_of = {p: files[p][2] for p in ok}
        pixels = [scans[sha_of[p]]["width"] * scans[sha_of[p]]["height"] for p in ok]
        pair_sets = [exact_pairs([scans[sha_of[p]]["pixels"] for p in ok])]
        if config.phash_threshold >= 0:
            hashes = np.array([int(scans[sha_of[p]]["phash"], 16) for p in ok], dtype=np.uint64)
            pair_sets.append(hamming_pairs(hashes, config.phash_threshold))
        if embeddings:
            have = [k for k, p in enumerate(ok) if sha_of[p] in embeddings]
            if len(have) >= 2:
                mat = np.stack([embeddings[sha_of[ok[k]]] for k in have])
                local = cosine_pairs(mat, config.cosine_threshold)
                pair_sets.append(np.asarray(have, np.int64)[local].reshape(-1, 2))
        groups = duplicate_groups(len(ok), *pair_sets)
        for g in groups:
            best = keeper(g, pixels)
            result.groups.append([ok[best], *(ok[k] for k in g if k != best)])
            for k in g:
                if k != best:
                    decision[ok[k]] = ("rejected", "duplicate", f"duplicate of {ok[best]}")
        # ---- 4. resolution --------------------------------------------------------------------
        candidates = []
        for p in ok:
            if p in decision:
                continue
            rec = scans[sha_of[p]]
            w, h = rec["width"], rec["height"]
            if min(w, h) < config.min_short:
                decision[p] = (
                    "rejected",
                    "low-resolution",
                    f"{w}x{h}, short side < {config.min_short}",
                )
            else:
                candidates.append(p)
        # ---- 5. salient -----------------------------------------------------------------------
        dets: dict[str, list] | None = None
        if detector is not None:
            from bgcurate._salient import salient_hits

            shas = sorted({sha_of[p] for p in candidates})
            found = _detect_stage(index, cache, shas, detector, config, bar, result, engine)
            dets = {}
            for p in candidates:
                hits = salient_hits(
                    found[sha_of[p]],
                    classes=classes,
                    conf=config.conf,
                    area=config.area,
                    centre=config.centre,
                    centre_area=config.centre_area,
                )
                if hits:
                    decision[p] = ("rejected", "salient", hits[0][1])
                    dets[sha_of[p]] = [d for d, _ in hits[:5]]  # outlined in the report
        # ---- 6. split + write -----------------------------------------------------------------
        kept = [p for p in candidates if p not in decision]
        names = Counter(_output_name(p, fmt) for p in kept)
        final_rows = []
        wanted: set[str] = set()
        task = bar.add_task("write", total=len(kept))
        for p in sources:
            sha = files[p][2]
            if p in decision:
                d, reason, detail = decision[p]
                final_rows.append((p, sha, d, reason, detail, None, None))
                continue
            split = split_of(sha, config.val_fraction)
            name = _output_name(p, fmt)
            if names[name] > 1:
                name = name.rsplit(".", 1)[0] + f"_{sha[:8]}.{fmt}"
            rel_out = f"{split}/{name}"
            wanted.add(rel_out)
            _materialise(cache / work_name(sha, fmt), out / rel_out)
            final_rows.append((p, sha, "kept", None, "", split, rel_out))
            bar.advance(task)
        # train/ and val/ belong to bgcurate: anything not kept now goes, including files
        # linked by a run that was killed before it recorded its decisions
        for sub in ("train", "val"):
            # both folders exist after every run, empty or not, so scripts can rely on them
            (out / sub).mkdir(exist_ok=True)
            for f in (out / sub).glob("*"):
                if f"{sub}/{f.name}" not in wanted and f.is_file():
                    f.unlink()
        index.put_decisions(final_rows)
        result.decisions = index.decisions()
    result.counts = dict(Counter(d["reason"] or "kept" for d in result.decisions))
    result.train = sum(d["split"] == "train" for d in result.decisions)
    result.val = sum(d["split"] == "val" for d in result.decisions)
    summary = {
        "tool": "bgcurate",
        "src": str(src.resolve()),
        "config": config.to_dict(),
        "counts": result.counts,
        "processed": result.processed,
        "train": result.train,
        "val": result.val,
        "groups": result.groups,
    }
    atomic_write_bytes(out / "run.json", (json.dumps(summary, indent=2) + "\n").encode())
    if report:
        from bgcurate._report import write_report

        write_report(out, src, result, config, dets)
    return result


def _read_work(cache: Path, sha: str, fmt: str) -> np.ndarray:
    import cv2

    path = cache / work_name(sha, fmt)
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise UsageError(f"{path}: working copy missing or unreadable; delete it and rerun")
    return img  # BGR, as ultralytics expects


def _embed_stage(
    index, cache, shas, detector, config, bar, result, engine=None
) -> dict[str, np.ndarray]:
    model_id = f"{detector.id}@{config.imgsz}"
    have = index.embeddings(model_id)
    return _model_stage(
        "embed",
        have,
        index.put_embedding,
        model_id,
        index,
        cache,
        shas,
        detector,
        config,
        bar,
        result,
        engine,
    )


def _detect_stage(index, cache, shas, detector, config, bar, result, engine=None) -> dict:
    from bgcurate._salient import STORE_CONF

    floor = min(STORE_CONF, config.conf)
    model_id = f"{detector.id}@{config.imgsz}/conf>={floor:g}"
    have = index.detections(model_id)
    return _model_stage(
        "detect",
        have,
        index.put_detections,
        model_id,
        index,
        cache,
        shas,
        detector,
        config,
        bar,
        result,
        engine,
        floor,
    )


def _model_stage(
    what, have, put, model_id, index, cache, shas, detector, config, bar, result, engine, conf=None
) -> dict:
    """Run ``what`` (embed or detect) on the images not yet in ``have``, chunk by chunk,
    storing each chunk's results in the index in one transaction (a killed run keeps them)."""
    todo = [s for s in shas if s not in have]
    task = bar.add_task(what, total=len(todo))
    step = config.batch * 4
    chunks = [todo[a : a + step] for a in range(0, len(todo), step)]
    for chunk, outputs in zip(
        chunks, _infer(chunks, what, detector, config, cache, engine, conf), strict=True
    ):
        with index.transaction():
            for s, out in zip(chunk, outputs, strict=True):
                put(s, out, model_id)
                have[s] = out
        result.processed[what] += len(chunk)
        bar.advance(task, len(chunk))
    return {s: have[s] for s in shas}


def _infer(chunks, what, detector, config, cache, engine=None, conf=None):
    """Embeddings or detections of each chunk of working copies, in chunk order.

    The local engine runs the driver's detector in this process, in batches (torch uses
    the cores itself). On Ray each chunk is a task: the working copies' bytes go to a
    worker, which loads ``config.detector`` once per process and checks that it is the
    driver's model (same id: same file hash, or the same seeded YAML).
    """
    from bgcurate._salient import detect_images, embed_images

    fmt = config.scan.fmt
    if engine is None or engine.name == "local":
        for chunk in chunks:
            images = [_read_work(cache, s, fmt) for s in chunk]
            if what == "embed":
                yield embed_images(detector, images, imgsz=config.imgsz, batch=config.batch)
            else:
                yield detect_images(
                    detector, images, imgsz=config.imgsz, batch=config.batch, conf=conf
                )
        return
    spec = (what, config.detector, detector.id, config.imgsz, config.batch, conf)
    items = ((*spec, [_work_bytes(cache, s, fmt) for s in chunk]) for chunk in chunks)
    yield from engine.imap(_infer_chunk, items)


def _work_bytes(cache: Path, sha: str, fmt: str) -> bytes:
    path = cache / work_name(sha, fmt)
    try:
        return path.read_bytes()
    except OSError:
        raise UsageError(
            f"{path}: working copy missing or unreadable; delete it and rerun"
        ) from None


#: Detectors loaded in this (worker) process, by weights.
_WORKER_DETECTORS: dict = {}


def _infer_chunk(item) -> list:
    """In a worker: decode the chunk's working copies and run the detector on them."""
    import cv2

    from bgcurate._salient import detect_images, embed_images, load_detector

    what, weights, model_id, imgsz, batch, conf, blobs = item
    detector = _WORKER_DETECTORS.get(weights)
    if detector is None:
        detector = _WORKER_DETECTORS[weights] = load_detector(weights)
    if detector.id != model_id:
        raise UsageError(
            f"{weights}: other weights on this worker than on the driver (id {detector.id}, "
            f"driver {model_id}); put the same file at the same path on every node"
        )
    # cv2.imdecode gives the pixels cv2.imread gives on the driver (BGR, as ultralytics expects)
    images = [cv2.imdecode(np.frombuffer(b, np.uint8), cv2.IMREAD_COLOR) for b in blobs]
    if what == "embed":
        return embed_images(detector, images, imgsz=imgsz, batch=batch)
    return detect_images(detector, images, imgsz=imgsz, batch=batch, conf=conf)


def _materialise(work: Path, target: Path) -> None:
    """Put the working copy at ``target`` (hard link, else copy), atomically; skip if there."""
    if target.exists() and (
        os.path.samefile(work, target) or filecmp.cmp(work, target, shallow=False)
    ):
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        os.link(work, tmp)
    except OSError:
        shutil.copyfile(work, tmp)
    # a hard link shares the working copy's mode, a copy gets open()'s: both 0o666 & ~umask,
    # since atomic_write_bytes writes the working copies with it
    os.replace(tmp, target)
