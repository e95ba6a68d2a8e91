"""The index: per-image results in one SQLite file in the output folder.

Two tables keep the expensive per-image work so that a rerun on a grown folder
only processes new files and a killed run resumes where it stopped:

- ``files``: one row per source file (path relative to the source folder, size,
  modification time, SHA-256 of the bytes). An unchanged file is not read again.
- ``content``: one row per distinct file content (keyed by SHA-256): the scan
  record, the deep embedding (float32 blob) and the detections (JSON), each
  tagged with the model that made it.

Decisions (duplicate, resolution, salient, split) are cheap and are recomputed
from these rows on every run, so changing a threshold needs no recomputation;
they are stored too (``decisions``) for the report and for tools that read the
index. Every row is committed as soon as it is computed (WAL journal).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

__all__ = ["INDEX_NAME", "Index"]

#: File name of the index inside the output folder.
INDEX_NAME = "bgcurate.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    sha256 TEXT,
    error TEXT
);
CREATE TABLE IF NOT EXISTS content (
    sha256 TEXT PRIMARY KEY,
    scan TEXT NOT NULL,
    embedding BLOB,
    embed_model TEXT,
    detections TEXT,
    detect_model TEXT
);
CREATE TABLE IF NOT EXISTS decisions (
    path TEXT PRIMARY KEY,
    sha256 TEXT,
    decision TEXT NOT NULL,
    reason TEXT,
    detail TEXT,
    split TEXT,
    output TEXT
);
"""


class Index:
    """The SQLite index of one output folder (see the module docstring).

    Parameters
    ----------
    path : path-like
        The SQLite file (created with its tables if missing).
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, isolation_level=None)  # autocommit
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(_SCHEMA)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- meta -----------------------------------------------------------------------------
    def get_meta(self, key: str) -> object | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else json.loads(row[0])

    def set_meta(self, key: str, value: object) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
            (key, json.dumps(value, sort_keys=True)),
        )

    # --- files ----------------------------------------------------------------------------
    def files(self) -> dict[str, tuple[int, int, str | None, str | None]]:
        """``{path: (size, mtime_ns, sha256, error)}`` for every known source file."""
        rows = self.db.execute("SELECT path, size, mtime_ns, sha256, error FROM files")
        return {p: (s, m, h, e) for p, s, m, h, e in rows}

    def put_file(
        self, path: str, size: int, mtime_ns: int, sha256: str | None, error: str | None = None
    ) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO files (path, size, mtime_ns, sha256, error) "
            "VALUES (?, ?, ?, ?, ?)",
            (path, size, mtime_ns, sha256, error),
        )

    def forget_files(self, paths: Iterable[str]) -> None:
        self.db.executemany("DELETE FROM files WHERE path = ?", [(p,) for p in paths])

    # --- content --------------------------------------------------------------------------
    def has_content(self, sha256: str) -> bool:
        q = "SELECT 1 FROM content WHERE sha256 = ?"
        return self.db.execute(q, (sha256,)).fetchone() is not None

    def put_scan(self, sha256: str, record: dict) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO content (sha256, scan) VALUES (?, ?)",
            (sha256, json.dumps(record, sort_keys=True)),
        )

    def scans(self) -> dict[str, dict]:
        """``{sha256: scan record dict}`` for every known content."""
        rows = self.db.execute("SELECT sha256, scan FROM content")
        return {h: json.loads(s) for h, s in rows}

    def put_embedding(self, sha256: str, vector: np.ndarray, model: str) -> None:
        blob = np.ascontiguousarray(vector, dtype=np.float32).tobytes()
        self.db.execute(
            "UPDATE content SET embedding = ?, embed_model = ? WHERE sha256 = ?",
            (blob, model, sha256),
        )

    def embeddings(self, model: str) -> dict[str, np.ndarray]:
        """``{sha256: float32 vector}`` for the contents embedded by ``model``."""
        rows = self.db.execute(
            "SELECT sha256, embedding FROM content WHERE embed_model = ? AND embedding IS NOT NULL",
            (model,),
        )
        return {h: np.frombuffer(b, dtype=np.float32) for h, b in rows}

    def put_detections(self, sha256: str, detections: list[dict], model: str) -> None:
        self.db.execute(
            "UPDATE content SET detections = ?, detect_model = ? WHERE sha256 = ?",
            (json.dumps(detections), model, sha256),
        )

    def detections(self, model: str) -> dict[str, list[dict]]:
        """``{sha256: detections}`` for the contents run through detector ``model``."""
        rows = self.db.execute(
            "SELECT sha256, detections FROM content WHERE detect_model = ? "
            "AND detections IS NOT NULL",
            (model,),
        )
        return {h: json.loads(d) for h, d in rows}

    # --- decisions ------------------------------------------------------------------------
    def put_decisions(self, rows: Iterable[tuple]) -> None:
        """Replace all decisions by ``rows`` of (path, sha256, decision, reason, detail,
        split, output)."""
        with self.transaction():
            self.db.execute("DELETE FROM decisions")
            self.db.executemany(
                "INSERT INTO decisions (path, sha256, decision, reason, detail, split, output) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                list(rows),
            )

    def decisions(self) -> list[dict]:
        cur = self.db.execute(
            "SELECT path, sha256, decision, reason, detail, split, output FROM decisions "
            "ORDER BY path"
        )
        cols = [c[0] for c in cur.description]
        return [dict(zip(cols, row, strict=True)) for row in cur]

    def transaction(self) -> _Transaction:
        return _Transaction(self.db)


class _Transaction:
    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN")

    def __exit__(self, exc_type, *rest) -> None:
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")


def iter_chunks(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
