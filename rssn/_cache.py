"""A content-keyed disk cache for the expensive RSSN steps (the I/O edge).

Foreground estimation and denoising cost 0.2 s to minutes per image; their
results are stored under ``<root>/<step>/<key[:2]>/<key>.png`` where ``key`` is
the SHA-256 of the step's name, its options (JSON, sorted keys) and the bytes,
shape and dtype of every input array. The same inputs and options find the same
file in any later run, whatever the file names, so a rerun does no BM3D and no
foreground estimation. Files are written atomically (temporary name, rename), so
concurrent workers and interrupted runs never leave a half-written entry; an
entry that cannot be decoded is recomputed. PNG is lossless, so a cached result
is the computed array bit for bit.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path

import cv2
import numpy as np

from trimaps.io import write_image

__all__ = ["DiskCache"]


class DiskCache:
    """``cache(step, options, inputs, compute) -> array``, as :func:`rssn.cook` takes.

    Attributes ``hits`` and ``computed`` count lookups in this process.
    """

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.hits = 0
        self.computed = 0

    @staticmethod
    def key(step: str, options: dict, inputs: Sequence[np.ndarray]) -> str:
        h = hashlib.sha256()
        h.update(step.encode())
        h.update(json.dumps(options, sort_keys=True).encode())
        for arr in inputs:
            arr = np.ascontiguousarray(arr)
            h.update(f"|{arr.dtype.str}{arr.shape}|".encode())
            h.update(memoryview(arr).cast("B"))
        return h.hexdigest()

    def path(self, step: str, key: str) -> Path:
        return self.root / step / key[:2] / f"{key}.png"

    def __call__(
        self,
        step: str,
        options: dict,
        inputs: Sequence[np.ndarray],
        compute: Callable[[], np.ndarray],
    ) -> np.ndarray:
        path = self.path(step, self.key(step, options, inputs))
        if path.is_file():
            data = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
            if data is not None:
                self.hits += 1
                return cv2.cvtColor(data, cv2.COLOR_BGR2RGB) if data.ndim == 3 else data
        result = compute()
        self.computed += 1
        try:
            write_image(path, result)
        except OSError:  # a full or read-only disk costs speed, not correctness
            pass
        return result
