"""Salient objects and deep embeddings with an ultralytics YOLO detector.

BG-20k removes "images with salient objects" found by YOLO and a second
detector, then checks by hand (Li et al., IJCV 2022, Sec. 4.1); it gives no
rule. Ours, a pure function over recorded detections
(:func:`salient_decision`): an image is rejected when a detection of a chosen
class has confidence >= ``conf`` and either covers >= ``area`` of the image or
has its centre inside the central window (``centre`` of each side) while
covering >= ``centre_area``. The report's contact sheets stand in for the
manual check.

The embeddings for duplicate search come from the same model: ultralytics'
``YOLO.embed`` global-average-pools the features of the layer before the
detection head (256 values for YOLO11n).

ultralytics (and torch) are imported only when a detector is loaded.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from trimaps._cliutil import UsageError

__all__ = [
    "CLASS_GROUPS",
    "Detector",
    "detect_images",
    "embed_images",
    "load_detector",
    "resolve_classes",
    "salient_decision",
    "salient_hits",
]

#: Named class groups of the COCO label set (the 80 classes every YOLO COCO model uses).
CLASS_GROUPS: dict[str, tuple[str, ...]] = {
    "people": ("person",),
    "vehicles": (
        "bicycle",
        "car",
        "motorcycle",
        "airplane",
        "bus",
        "train",
        "truck",
        "boat",
    ),
    "animals": (
        "bird",
        "cat",
        "dog",
        "horse",
        "sheep",
        "cow",
        "elephant",
        "bear",
        "zebra",
        "giraffe",
    ),
}

#: Detections at or above this confidence are stored (so that ``conf`` can be raised later
#: without running the detector again).
STORE_CONF = 0.05


def salient_decision(
    detections: Iterable[Mapping],
    *,
    classes: Iterable[str] | None = None,
    conf: float = 0.25,
    area: float = 0.05,
    centre: float = 0.5,
    centre_area: float = 0.005,
) -> str | None:
    """Why an image holds a salient object, or None when it does not.

    Parameters
    ----------
    detections : iterable of mappings
        Each with ``name`` (class name), ``conf`` (0..1) and ``box`` = ``[x1, y1, x2, y2]``
        normalised to the image size (0..1), as :func:`detect_images` records them.
    classes : iterable of str or None
        Class names that count; None counts every class.
    conf : float
        Confidence threshold (default 0.25, ultralytics' own default for ``predict``).
    area : float
        A box covering at least this fraction of the image rejects it (default 0.05: about
        a 240x240 px object in a 1080x1620 image).
    centre : float
        Size of the central window as a fraction of each side (default 0.5: the middle
        half in x and in y); 0 disables the centre test.
    centre_area : float
        A box whose centre is in the central window and which covers at least this
        fraction rejects the image (default 0.005: about 100x100 px at 1080x1620, an
        object small but where the eye goes).

    Returns
    -------
    str or None
        E.g. ``"dog 0.91 covers 12% of the image"`` for the most confident detection
        that triggers the rule; None when none does.
    """
    hits = salient_hits(
        detections, classes=classes, conf=conf, area=area, centre=centre, centre_area=centre_area
    )
    return hits[0][1] if hits else None


def salient_hits(
    detections: Iterable[Mapping],
    *,
    classes: Iterable[str] | None = None,
    conf: float = 0.25,
    area: float = 0.05,
    centre: float = 0.5,
    centre_area: float = 0.005,
) -> list[tuple[Mapping, str]]:
    """Every detection that triggers the rule of :func:`salient_decision`, with its reason,
    most confident first."""
    wanted = None if classes is None else frozenset(classes)
    dets = sorted(detections, key=lambda d: (-float(d["conf"]), str(d["name"]), list(d["box"])))
    hits = []
    for d in dets:
        c = float(d["conf"])
        if c < conf or (wanted is not None and d["name"] not in wanted):
            continue
        x1, y1, x2, y2 = (float(v) for v in d["box"])
        a = max(0.0, min(x2, 1.0) - max(x1, 0.0)) * max(0.0, min(y2, 1.0) - max(y1, 0.0))
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
        half = centre / 2
        if a >= area:
            hits.append((d, f"{d['name']} {c:.3g} covers {a:.0%} of the image"))
        elif centre > 0 and abs(cx - 0.5) <= half and abs(cy - 0.5) <= half and a >= centre_area:
            hits.append((d, f"{d['name']} {c:.3g} near the centre, covers {a:.1%}"))
    return hits


def resolve_classes(spec: str, names: Sequence[str]) -> frozenset[str] | None:
    """Turn ``"all"`` or ``"people,animals,car"`` into a set of the detector's class names.

    Raises :class:`UsageError` naming an unknown class or group.
    """
    spec = spec.strip()
    if spec.lower() == "all":
        return None
    known = set(names)
    out: set[str] = set()
    for item in (s.strip() for s in spec.split(",")):
        if not item:
            continue
        if item.lower() in CLASS_GROUPS:
            group = [n for n in CLASS_GROUPS[item.lower()] if n in known]
            if not group:
                raise UsageError(f"--classes {item}: the detector has none of {CLASS_GROUPS[item]}")
            out.update(group)
        elif item in known:
            out.add(item)
        else:
            raise UsageError(
                f"--classes: {item!r} is neither a class of the detector nor a group "
                f"({', '.join(CLASS_GROUPS)}); classes: {', '.join(sorted(known))}"
            )
    if not out:
        raise UsageError("--classes names no class")
    return frozenset(out)


class Detector:
    """A loaded ultralytics detection model and a stable id for what it computes.

    ``id`` is the SHA-256 of the weights file (first 16 hex digits), or for a model
    YAML ``yaml:<name>`` (built untrained, with torch seeded to 0 so that every
    process gets the same weights).
    """

    def __init__(
        self,
        model,
        model_id: str,
        names: list[str],
        untrained: bool,
        threads: tuple[int, int | None] = (1, None),
    ):
        self.model = model
        self.id = model_id
        self.names = names
        self.untrained = untrained
        # (cv2, torch) thread counts to set after each call; torch None = ultralytics' choice
        self._threads = threads


def load_detector(weights: str) -> Detector:
    """Load ultralytics weights (a path or a name) and check that they are a detector.

    Raises :class:`UsageError` with one clear line: missing file, no internet to fetch a
    named model, not a model file, or a model of another task (classify, segment...).
    """
    import cv2

    path = Path(weights)
    is_yaml = path.suffix.lower() in (".yaml", ".yml")
    looks_like_path = os.sep in weights or "/" in weights or path.exists()
    if looks_like_path and not path.exists():
        raise UsageError(f"{weights}: detector weights file not found")
    if looks_like_path and path.is_dir():
        raise UsageError(f"{weights}: is a folder, not detector weights")
    cv2_threads = cv2.getNumThreads()
    pil_open = Image.open
    try:
        import torch
        from ultralytics import YOLO
    except ImportError as exc:
        raise UsageError(
            f"the detector needs ultralytics ({exc}); pip install 'mattekit[ultralytics]' "
            "or pass --no-detector"
        ) from None
    finally:
        # importing ultralytics replaces PIL.Image.open process-wide with a wrapper that, on
        # a file Pillow cannot identify, tries to pip-install pi-heif (and raises
        # ModuleNotFoundError offline): undo it, our scan must see UnidentifiedImageError
        Image.open = pil_open
    torch_threads = torch.get_num_threads()  # put back after the import only
    try:
        if is_yaml:
            torch.manual_seed(0)
        model = YOLO(weights, verbose=False)
    except ConnectionError:
        raise UsageError(
            f"{weights}: not found locally and cannot be downloaded: no internet access "
            "(ultralytics fetches named weights on first use). Pass --detector PATH to "
            "local weights, or --no-detector"
        ) from None
    except FileNotFoundError:
        raise UsageError(f"{weights}: detector weights file not found") from None
    except Exception as exc:
        raise UsageError(
            f"{weights}: not ultralytics weights ({type(exc).__name__}: {exc})"
        ) from None
    finally:
        _restore_threads(cv2_threads, torch_threads)
    task = getattr(model, "task", None)
    if task != "detect":
        raise UsageError(f"{weights}: a {task or 'non-YOLO'} model, not a detector")
    names_map = model.names
    names = [names_map[k] for k in sorted(names_map)]
    if is_yaml:
        model_id = f"yaml:{path.name}"
    else:
        resolved = Path(getattr(model, "ckpt_path", None) or weights)
        if resolved.is_file():
            model_id = _file_sha(resolved)[:16]
        else:  # pragma: no cover - a hub or exported model without a local file
            model_id = f"name:{weights}"
    # torch: ultralytics drops to one thread at the first predict on a 2-core machine; on
    # this machine that was faster than two (benchmarks/bench_bgcurate.py), so it stays
    return Detector(model, model_id, names, is_yaml, (cv2_threads, None))


def _file_sha(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _restore_threads(cv2_threads: int, torch_threads: int | None) -> None:
    # importing ultralytics sets cv2.setNumThreads(0) (see MEASUREMENTS.md): put OpenCV's
    # count back for the scan and the report; torch's only when asked to
    import cv2

    cv2.setNumThreads(cv2_threads)
    if torch_threads is not None:
        import torch

        torch.set_num_threads(torch_threads)


def embed_images(
    detector: Detector, images: Sequence[np.ndarray], *, imgsz: int = 640, batch: int = 8
) -> list[np.ndarray]:
    """Backbone embeddings (``YOLO.embed``) of BGR ``uint8`` images, as float32 vectors."""
    if not images:
        return []
    try:
        out = detector.model.embed(list(images), imgsz=imgsz, batch=batch, verbose=False)
    finally:
        _restore_threads(*detector._threads)
    return [np.asarray(e.detach().cpu().numpy(), dtype=np.float32).ravel() for e in out]


def detect_images(
    detector: Detector,
    images: Sequence[np.ndarray],
    *,
    imgsz: int = 640,
    batch: int = 8,
    conf: float = STORE_CONF,
) -> list[list[dict]]:
    """Detections on BGR ``uint8`` images as JSON-ready records.

    Each record: ``{"name", "cls", "conf", "box": [x1, y1, x2, y2]}`` with the box
    normalised to the image (0..1), rounded to 4 decimals; sorted by confidence.
    """
    if not images:
        return []
    try:
        results = detector.model.predict(
            list(images), imgsz=imgsz, batch=batch, conf=conf, verbose=False
        )
    finally:
        _restore_threads(*detector._threads)
    out = []
    for r in results:
        boxes = r.boxes
        xyxyn = boxes.xyxyn.cpu().numpy()
        confs = boxes.conf.cpu().numpy()
        cls = boxes.cls.cpu().numpy().astype(int)
        recs = [
            {
                "name": detector.names[c],
                "cls": int(c),
                "conf": round(float(p), 4),
                "box": [round(float(v), 4) for v in b],
            }
            for b, p, c in zip(xyxyn, confs, cls, strict=True)
        ]
        recs.sort(key=lambda d: (-d["conf"], d["cls"], d["box"]))
        out.append(recs)
    return out
