"""`trimaps evaluate` end to end on the real alphamatting.com mattes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import subprocess_env

from trimaps import metrics as M
from trimaps.io import read_alpha, read_trimap, write_image


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", "trimaps", "evaluate", *map(str, args)],
        env=subprocess_env(),
        capture_output=True,
        text=True,
    )


def degrade(gt, i):
    """A different, known degradation per image: blur, quantise, shift."""
    if i % 3 == 0:
        return cv2.GaussianBlur(gt, (0, 0), 2.0)
    if i % 3 == 1:
        return (gt // 32 * 32).astype(np.uint8)
    return np.roll(gt, 3, axis=1)


@pytest.fixture(scope="module")
def predictions(alphamatting, tmp_path_factory):
    out = tmp_path_factory.mktemp("pred")
    for i, path in enumerate(sorted((alphamatting / "gt_alpha").glob("*.png"))):
        write_image(out / path.name, degrade(read_alpha(path), i))
    return out


def test_evaluate_prints_a_table_and_writes_json_matching_the_library(
    alphamatting, predictions, tmp_path
):
    json_out = tmp_path / "scores.json"
    res = run(predictions, alphamatting / "gt_alpha", "--trimap", alphamatting / "trimap",
              "--json", json_out)  # fmt: skip
    assert res.returncode == 0, res.stderr
    names = [p.stem for p in sorted((alphamatting / "gt_alpha").glob("*.png"))]
    for name in names:
        assert name in res.stdout
    assert "mean (7)" in res.stdout and "Conn" in res.stdout
    doc = json.loads(json_out.read_text())
    assert doc["convention"] == "official" and doc["metrics"] == ["SAD", "MSE", "Grad", "Conn"]
    for name in names:
        expected = M.evaluate(
            read_alpha(predictions / f"{name}.png"),
            read_alpha(alphamatting / "gt_alpha" / f"{name}.png"),
            read_trimap(alphamatting / "trimap" / f"{name}.png"),
        )
        assert doc["images"][name] == pytest.approx(expected, rel=1e-12)
        assert all(v > 0 for v in expected.values())
    mean = doc["summary"]["mean"]
    assert mean["count"] == 7
    assert mean["SAD"] == pytest.approx(np.mean([doc["images"][n]["SAD"] for n in names]))


def test_evaluate_gfm_convention_groups_by_type(alphamatting, predictions, tmp_path):
    labels = ["SO", "STM", "NS", "SO", "STM", "NS", "SO"]
    names = sorted(p.name for p in (alphamatting / "gt_alpha").glob("*.png"))
    groups = tmp_path / "types.json"
    groups.write_text(
        json.dumps({n: {"type": t, "category": "x"} for n, t in zip(names, labels, strict=True)})
    )
    json_out = tmp_path / "gfm.json"
    res = run(predictions, alphamatting / "gt_alpha", "--trimap", alphamatting / "trimap",
              "--convention", "gfm", "--groups", groups, "--json", json_out)  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert "SAD-TRAN" in res.stdout and "STM (2)" in res.stdout
    doc = json.loads(json_out.read_text())
    assert doc["metrics"] == list(M.METRIC_NAMES["gfm"])
    so = [Path(n).stem for n, t in zip(names, labels, strict=True) if t == "SO"]
    assert doc["summary"]["SO"]["count"] == 3
    assert doc["summary"]["SO"]["SAD"] == pytest.approx(
        np.mean([doc["images"][n]["SAD"] for n in so])
    )
    assert doc["images"][so[0]]["type"] == "SO"


@pytest.fixture()
def small(alphamatting, tmp_path):
    """Two 120 x 100 crops of real mattes and trimaps, with predictions."""
    gt_dir, pred_dir, tri_dir = tmp_path / "gt", tmp_path / "pred", tmp_path / "tri"
    for name in ("GT02", "GT13"):
        gt = read_alpha(alphamatting / "gt_alpha" / f"{name}.png")[200:300, 300:420]
        tri = read_trimap(alphamatting / "trimap" / f"{name}.png")[200:300, 300:420]
        write_image(gt_dir / f"{name}.png", gt)
        write_image(tri_dir / f"{name}.png", tri)
        write_image(pred_dir / f"{name}.png", cv2.GaussianBlur(gt, (0, 0), 1.5))
    return gt_dir, pred_dir, tri_dir


def assert_one_line_error(res, *fragments):
    assert res.returncode == 2, (res.stdout, res.stderr)
    lines = [ln for ln in res.stderr.strip().splitlines() if ln.strip()]
    assert lines and lines[0].startswith("error:"), res.stderr
    text = " ".join(res.stderr.split())
    for fragment in fragments:
        assert fragment in text, (fragment, res.stderr)


def test_error_missing_folder(small, tmp_path):
    gt_dir, _, _ = small
    assert_one_line_error(run(tmp_path / "nope", gt_dir), "nope", "no such folder")


def test_error_no_matching_names(small, tmp_path):
    gt_dir, _, _ = small
    other = tmp_path / "other"
    write_image(other / "unrelated.png", np.zeros((100, 120), np.uint8))
    assert_one_line_error(run(other, gt_dir), "has a ground truth of the same name")


def test_error_missing_prediction(small):
    gt_dir, pred_dir, _ = small
    (pred_dir / "GT13.png").unlink()
    assert_one_line_error(run(pred_dir, gt_dir), "no prediction for 1 of 2", "GT13")


def test_warning_for_predictions_without_ground_truth(small):
    gt_dir, pred_dir, _ = small
    write_image(pred_dir / "extra.png", np.zeros((100, 120), np.uint8))
    res = run(pred_dir, gt_dir)
    assert res.returncode == 0, res.stderr
    assert "extra" in res.stderr and "not scored" in res.stderr
    assert "mean (2)" in res.stdout


def test_error_size_mismatch(small):
    gt_dir, pred_dir, _ = small
    write_image(pred_dir / "GT02.png", np.zeros((90, 120), np.uint8))
    assert_one_line_error(run(pred_dir, gt_dir), "GT02.png", "size 120x90 differs")


def test_error_missing_trimap(small):
    gt_dir, pred_dir, tri_dir = small
    (tri_dir / "GT02.png").unlink()
    assert_one_line_error(run(pred_dir, gt_dir, "--trimap", tri_dir), "no trimap named 'GT02'")


def test_error_trimap_without_128(small):
    gt_dir, pred_dir, tri_dir = small
    tri = read_trimap(tri_dir / "GT13.png").copy()
    tri[tri == 128] = 102  # e.g. the lemur trimap's unknown value
    write_image(tri_dir / "GT13.png", tri)
    assert_one_line_error(run(pred_dir, gt_dir, "--trimap", tri_dir), "GT13.png", "no pixel is 128")


def test_error_unreadable_prediction_and_bad_convention(small):
    gt_dir, pred_dir, _ = small
    (pred_dir / "GT02.png").write_bytes(b"not a png")
    assert_one_line_error(run(pred_dir, gt_dir), "GT02.png", "not an image")
    res = run(pred_dir, gt_dir, "--convention", "matlab")
    assert res.returncode == 2 and "official" in res.stderr


def test_whole_image_without_trimap_matches_library(small, tmp_path):
    gt_dir, pred_dir, _ = small
    out = tmp_path / "s.json"
    res = run(pred_dir, gt_dir, "--json", out)
    assert res.returncode == 0, res.stderr
    doc = json.loads(out.read_text())
    gt = read_alpha(gt_dir / "GT02.png")
    pred = read_alpha(pred_dir / "GT02.png")
    assert doc["images"]["GT02"] == pytest.approx(M.evaluate(pred, gt), rel=1e-12)
