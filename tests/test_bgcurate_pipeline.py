"""``bgcurate curate`` end to end on the real backgrounds: outputs, split, reruns, resume."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import subprocess_env
from PIL import Image
from typer.testing import CliRunner

from bgcurate import CurateConfig, curate, split_of
from bgcurate.cli import app

runner = CliRunner()
NO_DETECTOR = CurateConfig(detector=None)


@pytest.fixture(scope="module")
def backgrounds(testdata) -> Path:
    root = testdata / "backgrounds"
    assert len(list((root / "clean").glob("*.jpg"))) == 7
    return root


@pytest.fixture
def src(tmp_path, backgrounds) -> Path:
    """A writable copy of backgrounds/clean (the tests add files to it)."""
    folder = tmp_path / "src"
    shutil.copytree(backgrounds / "clean", folder)
    return folder


def outputs(out: Path) -> dict[str, bytes]:
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for sub in ("train", "val")
        for p in sorted((out / sub).glob("*"))
    }


def test_clean_photos_are_kept_resized_and_split_by_content(src, tmp_path):
    out = tmp_path / "out"
    result = curate(src, out, NO_DETECTOR)
    assert result.counts == {"kept": 7}
    assert result.processed["scan"] == 7
    files = outputs(out)
    assert len(files) == 7
    for d in result.decisions:
        assert d["decision"] == "kept"
        assert d["split"] == split_of(d["sha256"])
        with Image.open(out / d["output"]) as img:
            assert img.format == "JPEG"
            size = img.size
        assert min(size) == 1080
        with Image.open(src / d["path"]) as img:
            w0, h0 = img.size
        assert abs(max(size) - max(w0, h0) * 1080 / min(w0, h0)) <= 0.5
    assert (out / "report" / "report.json").is_file()
    umask = os.umask(0)
    os.umask(umask)
    for f in [*(out / "train").glob("*"), out / "run.json", out / "report" / "index.html"]:
        assert f.stat().st_mode & 0o777 == 0o666 & ~umask, f  # not mkstemp's 0600


def test_train_and_val_both_exist_when_one_is_empty(backgrounds, tmp_path):
    src = tmp_path / "one"
    src.mkdir()
    shutil.copy(backgrounds / "clean" / "mate_Storm.jpg", src)
    out = tmp_path / "out"
    result = curate(src, out, NO_DETECTOR)
    assert (result.train, result.val) in ((1, 0), (0, 1))
    assert sorted(p.name for p in out.iterdir() if p.name in ("train", "val")) == ["train", "val"]
    assert len(outputs(out)) == 1


def test_rerun_processes_only_new_images_and_keeps_outputs(src, tmp_path, backgrounds):
    out = tmp_path / "out"
    moved = tmp_path / "later"
    moved.mkdir()
    for p in sorted(src.glob("*.jpg"))[4:]:
        shutil.move(p, moved / p.name)
    first = curate(src, out, NO_DETECTOR)
    assert first.processed["scan"] == 4 and first.counts == {"kept": 4}
    before = outputs(out)
    sub = src / "more"
    shutil.copytree(moved, sub)  # grows, in a sub-folder
    second = curate(src, out, NO_DETECTOR)
    assert second.processed["scan"] == 3
    assert second.counts == {"kept": 7}
    after = outputs(out)
    assert {k: v for k, v in after.items() if k in before} == before  # nothing moved
    (out / "train" / "stray.jpg").write_bytes(b"left by a killed run")
    third = curate(src, out, NO_DETECTOR)
    assert third.processed["scan"] == 0 and outputs(out) == after
    # a removed source file leaves the outputs too
    victim = sorted(sub.glob("*.jpg"))[0]
    victim.unlink()
    fourth = curate(src, out, NO_DETECTOR)
    assert fourth.processed["scan"] == 0 and fourth.counts == {"kept": 6}
    assert len(outputs(out)) == 6
    assert not any(victim.stem in k for k in outputs(out))


def test_an_interrupted_run_resumes_where_it_stopped(src, tmp_path):
    ref = curate(src, tmp_path / "ref", NO_DETECTOR, report=False)
    out = tmp_path / "out"
    seen = []

    def stop_after_three(rel):
        seen.append(rel)
        if len(seen) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        curate(src, out, NO_DETECTOR, on_scanned=stop_after_three)
    resumed = curate(src, out, NO_DETECTOR)
    assert resumed.processed["scan"] == 4
    assert outputs(out) == outputs(tmp_path / "ref")
    assert [d["output"] for d in resumed.decisions] == [d["output"] for d in ref.decisions]


def test_a_killed_process_resumes(src, tmp_path):
    """SIGKILL the command while it scans; the rerun scans only what was not committed."""
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "bgcurate", "curate", str(src), "--out", str(out)]
    proc = subprocess.Popen(
        [*cmd, "--no-detector", "-q"],
        env=subprocess_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    db = out / "bgcurate.sqlite"
    done = 0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if db.exists():
            try:
                with sqlite3.connect(db) as con:
                    done = con.execute("SELECT COUNT(*) FROM content").fetchone()[0]
            except sqlite3.OperationalError:  # tables not created yet
                done = 0
            if done >= 1:
                break
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert 1 <= done < 7, f"the run was not caught mid-scan ({done} scanned)"
    resumed = curate(src, out, NO_DETECTOR)
    assert resumed.processed["scan"] <= 7 - done
    assert resumed.counts == {"kept": 7}
    ref = tmp_path / "ref"
    curate(src, ref, NO_DETECTOR, report=False)
    assert outputs(out) == outputs(ref)  # the same bytes as a run never killed


def test_exact_and_reencoded_copies_and_near_duplicates_are_grouped(src, tmp_path, backgrounds):
    for p in sorted((backgrounds / "near_duplicates").glob("*.jpg")):
        shutil.copy(p, src / p.name)
    names = sorted(p.name for p in src.glob("*.jpg") if "screenshot" not in p.name)
    shutil.copy(src / names[0], src / "copy_of_first.jpg")  # exact copy
    rgb = np.asarray(Image.open(src / names[1]))
    Image.fromarray(rgb).save(src / "reencoded_second.png")  # same pixels, other container
    Image.fromarray(rgb).save(src / "recompressed_second.jpg", quality=60)
    half = Image.fromarray(rgb).resize((rgb.shape[1] // 2, rgb.shape[0] // 2), Image.LANCZOS)
    half.save(src / "half_second.jpg", quality=85)
    result = curate(src, tmp_path / "out", NO_DETECTOR)
    groups = {frozenset(g): g[0] for g in result.groups}
    # the original (largest) is kept from each group; the previews group with their originals
    assert groups == {
        frozenset({names[0], "copy_of_first.jpg"}): names[0],
        frozenset(
            {names[1], "reencoded_second.png", "recompressed_second.jpg", "half_second.jpg"}
        ): names[1],
        frozenset(
            {"plasma_Path_2560x1600.jpg", "plasma_Path_screenshot_400x250.jpg"}
        ): "plasma_Path_2560x1600.jpg",
        frozenset(
            {"plasma_summer_1am_2560x1600.jpg", "plasma_summer_1am_screenshot_400x250.jpg"}
        ): "plasma_summer_1am_2560x1600.jpg",
    }
    assert result.counts == {"kept": 7, "duplicate": 6}
    by = {d["path"]: d for d in result.decisions}
    # an exact copy ties on size: the first path wins
    assert by["copy_of_first.jpg"]["detail"] == f"duplicate of {names[0]}"


def test_no_false_duplicates_among_clean_photos(backgrounds, tmp_path):
    result = curate(backgrounds / "clean", tmp_path / "out", NO_DETECTOR, report=False)
    assert result.groups == []


def test_low_resolution_is_rejected_and_threshold_changes_need_no_rescan(src, tmp_path):
    out = tmp_path / "out"
    first = curate(src, out, CurateConfig(min_short=1700))
    assert first.counts == {"kept": 3, "low-resolution": 4}  # mate_Storm 1280, 3 plasma 1600
    low = {d["path"] for d in first.decisions if d["reason"] == "low-resolution"}
    assert "mate_Storm.jpg" in low
    second = curate(src, out, CurateConfig(min_short=1080))
    assert second.processed["scan"] == 0 and second.counts == {"kept": 7}
    assert len(outputs(out)) == 7


def test_output_folder_with_other_settings_or_other_files_is_refused(src, tmp_path):
    out = tmp_path / "out"
    curate(src, out, NO_DETECTOR, report=False)
    res = runner.invoke(
        app, ["curate", str(src), "--out", str(out), "--no-detector", "--resize-short", "720"]
    )
    assert res.exit_code == 2
    assert "resize_short=1080 (now 720)" in res.output
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    res = runner.invoke(app, ["curate", str(src), "--out", str(other), "--no-detector"])
    assert res.exit_code == 2 and "not empty" in res.output
    res = runner.invoke(app, ["curate", str(tmp_path / "nope"), "--out", str(out)])
    assert res.exit_code == 2 and "no such folder" in res.output
    res = runner.invoke(app, ["curate", str(src), "--out", str(src), "--no-detector"])
    assert res.exit_code == 2 and "is the source folder" in res.output


def test_cli_curate_reports_counts(src, tmp_path):
    (src / "broken.jpg").write_bytes((src / "mate_Storm.jpg").read_bytes()[:5000])
    (src / "notes").mkdir()
    (src / "notes" / "garbage.png").write_bytes(b"\x89PNG garbage")
    out = tmp_path / "out"
    res = runner.invoke(app, ["curate", str(src), "--out", str(out), "--no-detector", "-q"])
    assert res.exit_code == 0, res.output
    assert "9 files: kept 7, truncated 1, unreadable 1" in res.output
    assert "salient stage skipped (--no-detector)" in res.output
    assert (out / "train").is_dir()


def test_two_scan_processes_give_the_same_bytes(src, tmp_path):
    one = curate(src, tmp_path / "one", NO_DETECTOR, report=False)
    two = curate(src, tmp_path / "two", CurateConfig(workers=2), report=False)
    assert outputs(tmp_path / "one") == outputs(tmp_path / "two")
    assert one.decisions == two.decisions


def test_output_folder_inside_the_source_is_not_scanned(src):
    out = src / "curated"
    first = curate(src, out, NO_DETECTOR, report=False)
    second = curate(src, out, NO_DETECTOR, report=False)
    assert first.counts == second.counts == {"kept": 7}
    assert second.processed["scan"] == 0
    assert not any(d["path"].startswith("curated/") for d in second.decisions)


def test_a_deleted_cache_is_rebuilt_from_the_sources(src, tmp_path):
    out = tmp_path / "out"
    shutil.copy(src / "mate_Storm.jpg", src / "storm_again.jpg")  # two files, one content
    first = curate(src, out, NO_DETECTOR, report=False)
    assert first.processed["scan"] == 7  # the copy is not scanned twice
    before = outputs(out)
    shutil.rmtree(out / "cache")
    second = curate(src, out, NO_DETECTOR, report=False)
    assert second.processed["scan"] == 7
    assert outputs(out) == before
