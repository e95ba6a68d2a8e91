"""bgcurate's report: contact sheets (pure drawing) and the report folder after a run."""

from __future__ import annotations

import json
import shutil
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bgcurate import CurateConfig, curate
from bgcurate._report import GREEN, RED, TILE_H, TILE_W, Tile, contact_sheet


def test_contact_sheet_layout_and_borders():
    img = np.zeros((100, 300, 3), np.uint8)
    tiles = [Tile(img, ["a.jpg", "kept"], border=GREEN)] + [
        Tile(img, [f"{k}.jpg", "duplicate"], border=RED) for k in range(6)
    ]
    sheet = contact_sheet(tiles, columns=6, title="groups")
    th = TILE_H + 34
    assert sheet.shape == (28 + 2 * th, 6 * TILE_W, 3) and sheet.dtype == np.uint8
    first = sheet[28 : 28 + TILE_H, :TILE_W].reshape(-1, 3)
    assert (first == GREEN).all(axis=1).sum() > 300  # a green frame around the kept one
    second = sheet[28 : 28 + TILE_H, TILE_W : 2 * TILE_W].reshape(-1, 3)
    assert (second == RED).all(axis=1).sum() > 300
    no_picture = contact_sheet([Tile(None, ["broken.jpg", "truncated"])])
    assert no_picture.shape == (th, 3 * TILE_W, 3)  # at least 3 tiles wide
    with pytest.raises(ValueError):
        contact_sheet([])


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs)["src"])


def test_report_after_a_run_shows_every_reason_and_group(testdata, tmp_path):
    src = tmp_path / "src"
    shutil.copytree(testdata / "backgrounds", src)
    (src / "cut.jpg").write_bytes((src / "clean" / "mate_Storm.jpg").read_bytes()[:30000])
    out = tmp_path / "out"
    result = curate(src, out, CurateConfig(min_short=1700))
    report = out / "report"
    data = json.loads((report / "report.json").read_text())
    assert data["counts"] == {"duplicate": 2, "kept": 3, "low-resolution": 4, "truncated": 1}
    stages = data["stages"]
    assert stages["files"] == 10 and stages["scan"]["rejected"] == {"truncated": 1}
    assert stages["dedup"] == {"groups": 2, "duplicates": 2}
    assert stages["salient"] == {"skipped": "--no-detector"}
    assert stages["kept"] == 3 == stages["train"] + stages["val"]
    assert data["groups"] == result.groups
    parser = _Links()
    parser.feed((report / "index.html").read_text())
    pngs = sorted(p.name for p in report.glob("*.png"))
    assert sorted(parser.images) == pngs
    assert pngs == [
        "duplicates_001.png",
        "rejected_duplicate_001.png",
        "rejected_low-resolution_001.png",
        "rejected_truncated_001.png",
    ]
    html = (report / "index.html").read_text()
    assert "salient</th><td>skipped (--no-detector)" in html
    sheet = np.asarray(Image.open(report / "duplicates_001.png"))
    assert sheet.shape[0] == 28 + 2 * (TILE_H + 34)  # one row per group
    # thumbnails are cached: the rerun draws the same sheets
    before = {p.name: p.read_bytes() for p in report.glob("*.png")}
    # 2 duplicates + 4 low-res + the truncated file, drawn as far as it decodes
    assert len(list((out / "cache" / "thumbs").glob("*.jpg"))) == 7
    curate(src, out, CurateConfig(min_short=1700))
    assert {p.name: p.read_bytes() for p in report.glob("*.png")} == before
    # a threshold change that removes a reason removes its sheets
    curate(src, out, CurateConfig(min_short=1080))
    assert not list(report.glob("rejected_low-resolution_*.png"))


def test_salient_sheet_outlines_the_boxes(testdata, tmp_path):
    out = tmp_path / "out"
    cfg = CurateConfig(detector="yolo11n.yaml", imgsz=320, deep_dedup=False, conf=0.0)
    curate(testdata / "salient", out, cfg)
    sheet = np.asarray(Image.open(out / "report" / "rejected_salient_001.png").convert("RGB"))
    assert (sheet.reshape(-1, 3) == (255, 200, 0)).all(axis=1).sum() > 100
    assert Path(out / "report" / "index.html").read_text().count("rejected: salient (4)") == 1
