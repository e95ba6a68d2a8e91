"""A content-keyed disk cache for the expensive RSSN steps (the I/O edge).

Foreground estimation and denoising cost 0.2 s to minutes per image; their
results are stored under ``<root>/<step>/<key[:2]>/<key>.<png|npy>`` where ``key``
is the SHA-256 of the step's name, its options (JSON, sorted keys) and the bytes,
shape and dtype of every input array. The same inputs and options find the same
file in any later run, whatever the file names, so a rerun does no BM3D and no
foreground estimation. Files are written atomically (temporary name, rename), so
concurrent workers and interrupted runs never leave a half-written entry; an
entry that cannot be decoded is recomputed. Both formats are lossless, so a
cached result is the computed array bit for bit:

- ``png`` (default): compact (a denoised 1080p image takes about 2 MB), but
  decoding it costs about 30 ms here;
- ``npy``: NumPy's raw array file, about 3x the disk (6 MB at 1080p) and read
  in about 1 ms. Worth it when a training loader serves the cache every epoch
  (``rssn compose --cache-format npy``; see docs/dataloader.md).

A cache may hold both; lookups find either, writes use the cache's format.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable, Sequence
from pathlib import Path

import cv2
import numpy as np

from trimaps.io import atomic_write_bytes, write_image

__all__ = ["CACHE_FORMATS", "DiskCache"]

#: Formats of cache entries: lossless PNG (compact) or raw ``.npy`` (fast to read).
CACHE_FORMATS = ("png", "npy")


class DiskCache:
    """``cache(step, options, inputs, compute) -> array``, as :func:`rssn.cook` takes.

    Parameters
    ----------
    root : path
        The cache folder.
    fmt : {"png", "npy"}
        Format of the entries this cache writes; lookups read either.

    Attributes ``hits`` and ``computed`` count lookups in this process.
    """

    def __init__(self, root: str | Path, fmt: str = "png"):
        if fmt not in CACHE_FORMATS:
            raise ValueError(f"cache format must be one of {CACHE_FORMATS}, got {fmt!r}")
        self.root = Path(root)
        self.fmt = fmt
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

    def path(self, step: str, key: str, fmt: str | None = None) -> Path:
        return self.root / step / key[:2] / f"{key}.{fmt or self.fmt}"

    def _load(self, step: str, key: str) -> np.ndarray | None:
        for fmt in (self.fmt, *(f for f in CACHE_FORMATS if f != self.fmt)):
            path = self.path(step, key, fmt)
            if not path.is_file():
                continue
            if fmt == "npy":
                try:
                    data = np.load(path, allow_pickle=False)
                except (OSError, ValueError, EOFError):  # truncated or foreign: recompute
                    continue
                if data.dtype == np.uint8 and data.ndim in (2, 3):
                    return data
                continue
            data = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
            if data is not None:
                return cv2.cvtColor(data, cv2.COLOR_BGR2RGB) if data.ndim == 3 else data
        return None

    def __call__(
        self,
        step: str,
        options: dict,
        inputs: Sequence[np.ndarray],
        compute: Callable[[], np.ndarray],
    ) -> np.ndarray:
        key = self.key(step, options, inputs)
        data = self._load(step, key)
        if data is not None:
            self.hits += 1
            return data
        result = compute()
        self.computed += 1
        try:
            self._store(step, key, result)
        except OSError:  # a full or read-only disk costs speed, not correctness
            pass
        return result

    def _store(self, step: str, key: str, data: np.ndarray) -> None:
        """Write an entry atomically in this cache's format."""
        if self.fmt == "npy":
            buf = io.BytesIO()
            np.save(buf, np.ascontiguousarray(data), allow_pickle=False)
            atomic_write_bytes(self.path(step, key), buf.getvalue())
        else:
            write_image(self.path(step, key), data)
