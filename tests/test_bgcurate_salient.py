"""bgcurate's salient stage: the decision rule on recorded detections, and the ultralytics
plumbing end to end with an untrained YOLO11n built from its YAML (no weights exist here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import subprocess_env
from typer.testing import CliRunner

from bgcurate import CurateConfig, curate, resolve_classes, salient_decision, scan_bytes
from bgcurate.cli import app

runner = CliRunner()

# Detections in the format detect_images records (normalised xyxy boxes), written by hand
# to resemble a COCO detector's output on the kinds of photo in testdata/salient and
# backgrounds/clean: they pin the rule, not a model.
DOGS = [  # two dogs at a window, large
    {"name": "dog", "cls": 16, "conf": 0.91, "box": [0.10, 0.35, 0.55, 0.95]},
    {"name": "dog", "cls": 16, "conf": 0.62, "box": [0.50, 0.40, 0.90, 0.97]},
]
BOWL = [  # a bowl, small, in the middle
    {"name": "bowl", "cls": 45, "conf": 0.48, "box": [0.45, 0.46, 0.53, 0.55]},
]
CORNER_CAR = [  # a small car far off in a corner of a landscape
    {"name": "car", "cls": 2, "conf": 0.70, "box": [0.02, 0.80, 0.08, 0.86]},
]
FAINT = [  # a low-confidence guess over a whole cloudy sky
    {"name": "kite", "cls": 33, "conf": 0.07, "box": [0.0, 0.0, 1.0, 0.5]},
]


def test_area_rule_hand_checked():
    # dog 1 box: 0.45 x 0.60 = 27% of the image
    assert salient_decision(DOGS) == "dog 0.91 covers 27% of the image"
    assert salient_decision(DOGS, area=0.27) is not None
    # above 27%: dog 1 no longer covers enough, dog 2 (0.40 x 0.57 = 22.8%) neither; dog 1's
    # centre (0.325, 0.65) is inside the middle half, so the centre rule still rejects
    assert salient_decision(DOGS, area=0.28) == "dog 0.91 near the centre, covers 27.0%"
    assert salient_decision(DOGS, area=0.28, centre=0.3) is None  # |0.325 - .5| > 0.15
    assert salient_decision(DOGS, conf=0.92) is None
    assert salient_decision(DOGS, conf=0.62) is not None and salient_decision(DOGS, conf=0.63)


@pytest.mark.parametrize(
    ("conf", "expected"), [(0.25, True), (0.48, True), (0.49, False), (0.9, False)]
)
def test_centre_rule_at_each_confidence(conf, expected):
    # bowl: 0.08 x 0.09 = 0.72% of the image, centre (0.49, 0.505)
    assert (salient_decision(BOWL, conf=conf) is not None) is expected


@pytest.mark.parametrize(
    ("centre_area", "centre", "expected"),
    [
        (0.005, 0.5, "bowl 0.48 near the centre, covers 0.7%"),
        (0.0071, 0.5, "bowl 0.48 near the centre, covers 0.7%"),
        (0.0073, 0.5, None),
        (0.005, 0.021, "bowl 0.48 near the centre, covers 0.7%"),  # |0.49 - .5| = 0.01
        (0.005, 0.019, None),
        (0.005, 0.0, None),  # centre test off
    ],
)
def test_centre_rule_at_each_size_and_window(centre_area, centre, expected):
    assert salient_decision(BOWL, centre_area=centre_area, centre=centre) == expected


def test_small_objects_away_from_the_centre_and_faint_guesses_are_kept():
    assert salient_decision(CORNER_CAR) is None  # 0.36% in a corner
    assert salient_decision(CORNER_CAR, area=0.003) == "car 0.7 covers 0% of the image"
    assert salient_decision(FAINT) is None  # 50% but conf 0.07 < 0.25
    assert salient_decision(FAINT, conf=0.05) == "kite 0.07 covers 50% of the image"
    assert salient_decision([]) is None


def test_class_set_filters_detections():
    assert salient_decision(DOGS, classes={"person", "car"}) is None
    assert salient_decision(DOGS + CORNER_CAR, classes={"car"}, area=0.003) is not None
    coco = ["person", "bicycle", "car", "dog", "bowl", "kite"]
    assert resolve_classes("all", coco) is None
    assert resolve_classes("people, animals,bowl", coco) == {"person", "dog", "bowl"}
    with pytest.raises(ValueError, match="'sofa' is neither a class"):
        resolve_classes("sofa", coco)


def test_boxes_outside_the_image_are_clipped():
    det = [{"name": "dog", "cls": 16, "conf": 0.9, "box": [-0.5, -0.5, 0.5, 0.5]}]
    assert salient_decision(det, area=0.26) is None  # 0.5 x 0.5 inside = 25%
    assert salient_decision(det, area=0.25, centre=0) == "dog 0.9 covers 25% of the image"


# --- the plumbing, with a real (untrained) ultralytics model ------------------------------
@pytest.fixture(scope="module")
def salient_dir(testdata) -> Path:
    folder = testdata / "salient"
    assert len(list(folder.glob("*.jpg"))) == 4
    return folder


@pytest.fixture(scope="module")
def detector():
    from bgcurate._salient import load_detector

    return load_detector("yolo11n.yaml")


def test_loading_a_detector_leaves_pillow_alone(detector):
    # ultralytics patches PIL.Image.open on import (an offline pip install of pi-heif on
    # unidentified files); load_detector undoes it so the scan still says "unreadable"
    from PIL import Image

    assert Image.open.__module__ == "PIL.Image"
    assert scan_bytes(b"not an image" * 8)[0].reason == "unreadable"


def test_untrained_detector_records_and_embeddings(detector, salient_dir):
    from bgcurate._salient import detect_images, embed_images, load_detector

    images = [cv2.imread(str(p)) for p in sorted(salient_dir.glob("*.jpg"))[:2]]
    vecs = embed_images(detector, images, imgsz=320, batch=2)
    assert [v.shape for v in vecs] == [(256,), (256,)] and vecs[0].dtype == np.float32
    again = embed_images(load_detector("yolo11n.yaml"), images, imgsz=320, batch=2)
    np.testing.assert_allclose(again[0], vecs[0], rtol=1e-4, atol=1e-12)  # seeded weights
    # an untrained head scores every box ~2e-4: at conf 0 it still returns boxes
    dets = detect_images(detector, images, imgsz=320, batch=2, conf=0.0)
    assert len(dets) == 2 and all(len(d) > 0 for d in dets)
    for d in dets[0]:
        assert set(d) == {"name", "cls", "conf", "box"}
        assert 0 <= d["box"][0] <= d["box"][2] <= 1 and 0 <= d["box"][1] <= d["box"][3] <= 1
    assert detect_images(detector, images, imgsz=320, conf=0.05) == [[], []]


def test_curate_with_a_detector_end_to_end(salient_dir, tmp_path):
    out = tmp_path / "out"
    cfg = CurateConfig(detector="yolo11n.yaml", imgsz=320, batch=4, deep_dedup=False)
    first = curate(salient_dir, out, cfg)
    assert first.processed == {"scan": 4, "embed": 0, "detect": 4}
    assert first.counts == {"kept": 4}  # untrained: nothing reaches conf 0.25
    again = curate(salient_dir, out, cfg)
    assert again.processed == {"scan": 0, "embed": 0, "detect": 0}
    # conf 0 admits the untrained model's boxes: every photo is rejected, with the reason
    zero = curate(salient_dir, out, CurateConfig(**{**cfg.__dict__, "conf": 0.0}))
    assert zero.processed["detect"] == 4  # stored detections were cut at 0.05: rerun
    assert zero.counts == {"salient": 4}
    assert all("covers" in d["detail"] for d in zero.decisions)
    assert not list((out / "train").glob("*")) and not list((out / "val").glob("*"))


def test_deep_dedup_plumbing_groups_and_keeps_the_largest(salient_dir, tmp_path):
    # an untrained backbone maps every photo to nearly the same vector (cosine > 0.99):
    # at 0.9 all four are one group, and the largest photo (2560x3837) is the one kept
    cfg = CurateConfig(detector="yolo11n.yaml", imgsz=320, cosine_threshold=0.9)
    res = curate(salient_dir, tmp_path / "out", cfg)
    assert res.processed["embed"] == 4
    assert len(res.groups) == 1 and res.groups[0][0] == "Wine_by_Jakub_Mede_interior.jpg"
    assert res.counts == {"kept": 1, "duplicate": 3}


def test_detector_errors_are_one_clear_line(salient_dir, tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_text("garbage")
    cases = [
        (str(tmp_path / "nope.pt"), "detector weights file not found"),
        (str(bad), "not ultralytics weights"),
        ("yolo11n-cls.yaml", "a classify model, not a detector"),
        (str(tmp_path), "is a folder, not detector weights"),
    ]
    for weights, message in cases:
        out = tmp_path / "out"
        res = runner.invoke(
            app, ["curate", str(salient_dir), "--out", str(out), "--detector", weights]
        )
        assert res.exit_code == 2, res.output
        assert message in res.output and weights in res.output
        assert not out.exists()  # refused before any work


def test_named_weights_without_internet_say_so(salient_dir, tmp_path):
    # proxies that refuse every connection make the machine offline for this process
    env = subprocess_env()
    for var in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "https_proxy", "http_proxy"):
        env[var] = "http://127.0.0.1:9"
    res = subprocess.run(
        [sys.executable, "-m", "bgcurate", "curate", str(salient_dir), "--out", "o", "-q"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 2
    assert "yolo11n.pt: not found locally and cannot be downloaded: no internet access" in (
        res.stderr
    )
    assert "Traceback" not in res.stderr
