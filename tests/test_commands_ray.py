"""``rssn compose`` and ``bgcurate curate`` with ``--engine ray`` on a local Ray instance
(2 CPUs, no network), on the real mattes and backgrounds."""

from __future__ import annotations

import functools
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import ray
from conftest import subprocess_env, write_transition_crops
from ray import cloudpickle
from typer.testing import CliRunner

import bgcurate._curate
import rssn._compose
from bgcurate import CurateConfig, curate
from bgcurate._scan import ScanParams
from bgcurate.cli import app as bgcurate_app
from rssn import Params
from rssn._compose import ComposeConfig, compose
from rssn.cli import app
from trimaps._engine import ray_runtime_env
from trimaps.io import read_rgb, write_image

# the fault-injection wrappers below must reach the workers, which cannot import this module
cloudpickle.register_pickle_by_value(sys.modules[__name__])

runner = CliRunner()
IDS = ("GT02", "GT16")


@pytest.fixture(scope="module")
def cluster():
    ray.init(
        num_cpus=2, include_dashboard=False, log_to_driver=False, runtime_env=ray_runtime_env()
    )
    yield ray.get_runtime_context().gcs_address
    ray.shutdown()


@pytest.fixture(scope="module")
def small_set(alphamatting, tmp_path_factory) -> Path:
    """fg/ + alpha/ of two real 96x96 crops around the mattes' transition bands."""
    return write_transition_crops(alphamatting, tmp_path_factory.mktemp("comp1k"), IDS)


@pytest.fixture(scope="module")
def small_bgs(testdata, tmp_path_factory) -> Path:
    """Four 160x120 crops of the real clean backgrounds."""
    root = tmp_path_factory.mktemp("bgs")
    for p in sorted((testdata / "backgrounds" / "clean").glob("*.jpg"))[:4]:
        write_image(root / f"{p.stem}.png", read_rgb(p)[500:620, 700:860])
    return root


# NLM, not BM3D: the same code path in a fraction of the time (BM3D costs seconds even on
# 96x96 crops).
PARAMS = Params(denoise_p=1.0, denoise_method="nlm", blur_p=0.5, noise_p=0.5)
CLI = ["--k", 2, "--seed", 7, "--denoise-p", 1, "--denoise-method", "nlm", "--trimap", "p3m"]


def run(*args):
    return runner.invoke(app, ["compose", *(str(a) for a in args), "--quiet"])


def outputs(out: Path) -> dict[str, bytes]:
    """What a run leaves for its users: the files, the manifest and run.json."""
    files = {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.relative_to(out).parts[0] in ("image", "alpha", "fg", "bg", "trimap")
    }
    files["manifest.jsonl"] = (out / "manifest.jsonl").read_bytes()
    files["run.json"] = (out / "run.json").read_bytes()
    return files


@pytest.fixture(scope="module")
def local_reference(small_set, small_bgs, tmp_path_factory) -> dict[str, bytes]:
    out = tmp_path_factory.mktemp("local") / "out"
    result = run("--fg", small_set, "--bg", small_bgs, "--out", out, *CLI, "--workers", 1)
    assert result.exit_code == 0, result.output
    return outputs(out)


def test_ray_writes_the_bytes_and_manifest_of_the_local_engine(
    cluster, small_set, small_bgs, local_reference, tmp_path
):
    out = tmp_path / "ray"
    args = ["--fg", small_set, "--bg", small_bgs, "--out", f"file://{out}", *CLI]
    result = run(*args, "--engine", "ray", "--workers", 2)
    assert result.exit_code == 0, result.output
    assert "4 composites" in result.output
    got = outputs(out)
    assert len(got) == 2 * 2 * 5 + 2
    assert got == local_reference
    rows = [json.loads(line) for line in got["manifest.jsonl"].decode().splitlines()]
    assert [r["id"] for r in rows] == ["GT02_0", "GT02_1", "GT16_0", "GT16_1"]
    # the cache in OUT is shared by the workers: a rerun on Ray denoises nothing again
    again = compose(
        ComposeConfig(small_set, small_bgs, out, k=2, seed=7, params=PARAMS, trimap="p3m",
                      engine="ray")
    )  # fmt: skip
    assert (again.written, again.skipped, again.cache_computed) == (0, 4, 0)


def _kill_worker_once(marker_dir: str, task) -> dict:
    """GT02: the worker dies after writing its composites; GT16: before doing anything."""
    from rssn._compose import _compose_foreground

    attempts = Path(marker_dir) / f"{task.fg.id}.attempts"
    with open(attempts, "a") as fh:
        fh.write("x")
    first = attempts.read_text() == "x"
    if first and task.fg.id == "GT16":
        os._exit(1)
    result = _compose_foreground(task)
    if first:
        os._exit(1)  # the result is lost with the worker, the files are not
    return result


def test_a_worker_killed_mid_task_is_retried_and_nothing_is_missing(
    cluster, small_set, small_bgs, local_reference, tmp_path, monkeypatch
):
    markers = tmp_path / "markers"
    markers.mkdir()
    monkeypatch.setattr(
        rssn._compose, "_compose_foreground", functools.partial(_kill_worker_once, str(markers))
    )
    out = tmp_path / "out"
    summary = compose(
        ComposeConfig(small_set, small_bgs, out, k=2, seed=7, params=PARAMS, trimap="p3m",
                      engine="ray", workers=2)
    )  # fmt: skip
    assert {p.name: p.read_text() for p in markers.iterdir()} == {
        "GT02.attempts": "xx",
        "GT16.attempts": "xx",
    }
    # GT02's retry found its composites complete and computed nothing; GT16 was made whole
    assert (summary.written, summary.skipped, summary.composites) == (2, 2, 4)
    assert summary.cache_computed == 1 + 2  # GT16's F and its two backgrounds, once
    assert outputs(out) == local_reference
    assert not list(out.rglob("*.tmp"))


@pytest.fixture(scope="module")
def photo_set(alphamatting, tmp_path_factory) -> Path:
    """fg/ + alpha/ of two whole real photos (about 800x550) and their true mattes."""
    root = tmp_path_factory.mktemp("photos")
    (root / "fg").mkdir()
    (root / "alpha").mkdir()
    for i in IDS:
        (root / "fg" / f"{i}.png").symlink_to(alphamatting / "input" / f"{i}.png")
        (root / "alpha" / f"{i}.png").symlink_to(alphamatting / "gt_alpha" / f"{i}.png")
    return root


def test_a_rerun_after_the_driver_is_killed_resumes(cluster, photo_set, testdata, tmp_path):
    # whole photos denoised with NLM: each composite takes a good fraction of a second,
    # so the driver can be killed half way
    out = tmp_path / "out"
    bgs = testdata / "backgrounds" / "clean"
    args = [
        sys.executable, "-m", "rssn", "compose", "--fg", str(photo_set), "--bg", str(bgs),
        "--out", str(out), "--k", "2", "--seed", "3", "--denoise-p", "1",
        "--denoise-method", "nlm", "--quiet", "--engine", "ray",
    ]  # fmt: skip
    # a second driver joins the test's cluster, so killing it leaves no Ray process behind
    proc = subprocess.Popen([*args, "--address", cluster], env=subprocess_env())
    done = out / ".rssn" / "done"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and proc.poll() is None:
        if done.is_dir() and any(done.glob("*.json")):
            break
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    n_done = len(list(done.glob("*.json")))
    assert 1 <= n_done < 4, "the driver should have been killed half way"
    cached = set((out / "cache").rglob("*.png"))
    params = Params(denoise_p=1.0, denoise_method="nlm")
    resumed = compose(ComposeConfig(photo_set, bgs, out, k=2, seed=3, params=params, engine="ray"))
    assert resumed.skipped == n_done and resumed.written == 4 - n_done
    assert resumed.composites == 4 and not resumed.errors
    # what the killed run had denoised is reused, not computed again
    assert resumed.cache_computed == len(set((out / "cache").rglob("*.png")) - cached)
    rows = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == ["GT02_0", "GT02_1", "GT16_0", "GT16_1"]
    assert not list(out.rglob("*.tmp"))
    # and the result is the one a local run makes in one go
    local = tmp_path / "local"
    compose(ComposeConfig(photo_set, bgs, local, k=2, seed=3, params=params))
    assert outputs(out) == outputs(local)


# ---------------------------------------------------------------- bgcurate curate


@pytest.fixture(scope="module")
def crawl(testdata, tmp_path_factory) -> Path:
    """Four clean photos, one exact copy and two real near-duplicate previews."""
    root = tmp_path_factory.mktemp("crawl")
    bg = testdata / "backgrounds"
    for p in [*sorted((bg / "clean").glob("plasma_*.jpg")), bg / "clean" / "mate_Storm.jpg"]:
        (root / p.name).symlink_to(p)
    (root / "copy").mkdir()
    (root / "copy" / "storm.jpg").symlink_to(bg / "clean" / "mate_Storm.jpg")
    for p in sorted((bg / "near_duplicates").glob("*.jpg")):
        (root / p.name).symlink_to(p)
    return root


def curated(out: Path) -> dict[str, bytes]:
    files = {
        p.relative_to(out).as_posix(): p.read_bytes()
        for sub in ("train", "val")
        for p in sorted((out / sub).glob("*"))
    }
    files["run.json"] = (out / "run.json").read_bytes()
    return files


CURATE = ["--no-detector", "--resize-short", 320, "--min-short", 320, "--quiet", "--workers", 2]


def test_curate_on_ray_gives_the_decisions_and_files_of_the_local_engine(cluster, crawl, tmp_path):
    runs = {}
    for engine in ("local", "ray"):
        out = tmp_path / engine
        result = runner.invoke(
            bgcurate_app, ["curate", str(crawl), "--out", str(out), "--engine", engine,
                           *map(str, CURATE)]
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert "7 files: duplicate 3, kept 4" in result.output
        runs[engine] = curated(out)
    assert runs["ray"] == runs["local"]
    assert len(runs["local"]) == 4 + 1  # 4 distinct photos kept, and run.json
    summary = json.loads(runs["ray"]["run.json"])
    assert summary["counts"] == {"kept": 4, "duplicate": 3}
    assert "engine" not in summary["config"]


def _kill_scan_once(marker_dir: str, data: bytes, *, params):
    import hashlib

    from bgcurate._scan import scan_bytes

    attempts = Path(marker_dir) / hashlib.sha256(data).hexdigest()
    with open(attempts, "a") as fh:
        fh.write("x")
    if attempts.read_text() == "x":
        os._exit(1)
    return scan_bytes(data, params)


def test_a_scan_worker_killed_mid_item_is_retried(cluster, crawl, tmp_path, monkeypatch):
    config = CurateConfig(scan=ScanParams(resize_short=320), detector=None, min_short=320)
    local = curate(crawl, tmp_path / "local", config, report=False)
    markers = tmp_path / "markers"
    markers.mkdir()
    monkeypatch.setattr(
        bgcurate._curate, "scan_bytes", functools.partial(_kill_scan_once, str(markers))
    )
    killed = curate(crawl, tmp_path / "ray", replace(config, engine="ray"), report=False)
    # one killed attempt per distinct content (6: the copy has the bytes of mate_Storm),
    # then every scan completed; the copy is scanned again only when it was read while
    # the original was still in flight
    attempts = [len(p.read_text()) for p in markers.iterdir()]
    assert len(attempts) == 6 and min(attempts) >= 2
    assert killed.processed["scan"] in (6, 7)
    assert sum(attempts) == killed.processed["scan"] + 6
    assert killed.decisions == local.decisions
    ray_files, local_files = curated(tmp_path / "ray"), curated(tmp_path / "local")
    del ray_files["run.json"], local_files["run.json"]  # run.json counts the scans made
    assert ray_files == local_files


def test_embeddings_and_detection_on_ray_match_the_local_engine(cluster, crawl, tmp_path):
    from bgcurate._index import INDEX_NAME, Index

    # an untrained YOLO11n built from its YAML (seeded: every process gets the same weights);
    # conf 0 so that there are detections to compare
    config = CurateConfig(
        scan=ScanParams(resize_short=320), detector="yolo11n.yaml", imgsz=320, batch=2,
        min_short=320, conf=0.0, cosine_threshold=0.99,
    )  # fmt: skip
    local = curate(crawl, tmp_path / "local", config, report=False)
    on_ray = curate(crawl, tmp_path / "ray", replace(config, engine="ray"), report=False)
    assert on_ray.processed == local.processed
    assert on_ray.processed["embed"] > 0 and on_ray.processed["detect"] > 0
    assert on_ray.decisions == local.decisions
    with Index(tmp_path / "local" / INDEX_NAME) as a, Index(tmp_path / "ray" / INDEX_NAME) as b:
        model = "yaml:yolo11n.yaml@320"
        ea, eb = a.embeddings(model), b.embeddings(model)
        assert sorted(ea) == sorted(eb) and len(ea) == local.processed["embed"]
        for sha in ea:  # torch threads differ between driver and worker: float rounding only
            np.testing.assert_allclose(eb[sha], ea[sha], rtol=1e-4, atol=1e-5)
        da, db = a.detections(model + "/conf>=0"), b.detections(model + "/conf>=0")
        assert sorted(da) == sorted(db) and any(da.values())
        for sha in da:
            assert [d["cls"] for d in db[sha]] == [d["cls"] for d in da[sha]]
            conf_a, conf_b = ([d["conf"] for d in x[sha]] for x in (da, db))
            assert np.allclose(conf_b, conf_a, atol=2e-4)


def test_prefill_on_ray_fills_the_local_engines_cache(cluster, small_set, small_bgs, tmp_path):
    from rssn._prefill import prefill

    local = prefill(small_set, small_bgs, tmp_path / "local", PARAMS, workers=1)
    on_ray = prefill(small_set, small_bgs, tmp_path / "ray", PARAMS, engine="ray", workers=2)
    assert local.computed == on_ray.computed == 2 + 4  # 2 foregrounds, 4 background files
    entries = {
        p.relative_to(tmp_path / "local"): p.read_bytes()
        for p in sorted((tmp_path / "local").rglob("*.png"))
    }
    assert len(entries) == 6
    assert entries == {
        p.relative_to(tmp_path / "ray"): p.read_bytes()
        for p in sorted((tmp_path / "ray").rglob("*.png"))
    }
    # and the CLI: a rerun on Ray finds everything
    result = runner.invoke(
        app, ["prefill", "--fg", str(small_set), "--bg", str(small_bgs), "--cache",
              str(tmp_path / "ray"), "--denoise-method", "nlm", "--engine", "ray", "-q"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "0 results computed, 6 already there" in result.output
