"""Curate a clean, high-resolution background set (BG-20k style; Li et al., IJCV 2022, Sec. 4.1).

The per-image stages are functions over one image returning a serialisable record
(:func:`scan_bytes`, :func:`scan_file`); the pipeline (:func:`curate`) keeps their
results in an SQLite index (:class:`Index`) and recomputes the decisions each run.
"""

from bgcurate._curate import CurateConfig, CurateResult, curate
from bgcurate._dedup import (
    cosine_pairs,
    duplicate_groups,
    exact_pairs,
    hamming,
    hamming_pairs,
    hamming_pairs_naive,
    keeper,
)
from bgcurate._index import Index
from bgcurate._salient import (
    detect_images,
    embed_images,
    load_detector,
    resolve_classes,
    salient_decision,
    salient_hits,
)
from bgcurate._scan import ScanParams, ScanRecord, phash, resize_short, scan_bytes, scan_file
from bgcurate._split import split_of

__all__ = [
    "CurateConfig",
    "CurateResult",
    "Index",
    "ScanParams",
    "ScanRecord",
    "cosine_pairs",
    "curate",
    "detect_images",
    "duplicate_groups",
    "embed_images",
    "exact_pairs",
    "hamming",
    "hamming_pairs",
    "hamming_pairs_naive",
    "keeper",
    "load_detector",
    "phash",
    "resize_short",
    "resolve_classes",
    "salient_decision",
    "salient_hits",
    "scan_bytes",
    "scan_file",
    "split_of",
]
