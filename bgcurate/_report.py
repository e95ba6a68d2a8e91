"""The report for the manual double-check BG-20k describes (Li et al., IJCV 2022, Sec. 4.1)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from trimaps.io import atomic_write_bytes

__all__ = ["write_report"]


def write_report(out: Path, src: Path, result, config) -> Path:
    """Write ``out/report/report.json`` (counts per stage and reason); return the folder."""
    folder = out / "report"
    counts = Counter(d["reason"] or "kept" for d in result.decisions)
    data = {
        "counts": dict(sorted(counts.items())),
        "groups": result.groups,
        "detector": config.detector,
    }
    atomic_write_bytes(folder / "report.json", (json.dumps(data, indent=2) + "\n").encode())
    return folder
