"""``rssn compose`` end to end on the real mattes and backgrounds, and on bad input."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import subprocess_env, write_transition_crops
from PIL import Image
from typer.testing import CliRunner

import rssn
from rssn import Params, Recipe, cook
from rssn._compose import ComposeConfig, compose
from rssn.cli import app
from trimaps import preset_trimap, to_uint8
from trimaps._cliutil import UsageError
from trimaps.io import read_alpha, read_rgb, write_image

runner = CliRunner()
IDS = ("GT02", "GT16", "GT27")


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def read_any(path: Path) -> np.ndarray:
    data = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert data is not None, path
    return cv2.cvtColor(data, cv2.COLOR_BGR2RGB) if data.ndim == 3 else data


def tree_bytes(out: Path) -> dict[str, bytes]:
    """Every output file (not the cache, not the bookkeeping) by relative path."""
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.relative_to(out).parts[0] in ("image", "alpha", "fg", "bg", "trimap")
    }


@pytest.fixture(scope="module")
def photos(alphamatting, tmp_path_factory) -> Path:
    """An AM-2k-style folder (original/ + mask/) of three real photos and their true mattes."""
    root = tmp_path_factory.mktemp("am2k")
    (root / "original").mkdir()
    (root / "mask").mkdir()
    for i in IDS:
        (root / "original" / f"{i}.png").symlink_to(alphamatting / "input" / f"{i}.png")
        (root / "mask" / f"{i}.png").symlink_to(alphamatting / "gt_alpha" / f"{i}.png")
    return root


@pytest.fixture(scope="module")
def backgrounds(testdata) -> Path:
    return testdata / "backgrounds" / "clean"


@pytest.fixture(scope="module")
def small_set(alphamatting, tmp_path_factory) -> Path:
    """Composition-1k-style fg/ + alpha/ of 96x96 crops (F: the photo), for the slow steps."""
    return write_transition_crops(alphamatting, tmp_path_factory.mktemp("comp1k"), IDS)


@pytest.fixture(scope="module")
def small_bgs(backgrounds, tmp_path_factory) -> Path:
    """Four 160x120 real background crops in a folder tree."""
    root = tmp_path_factory.mktemp("bgs")
    for j, p in enumerate(sorted(backgrounds.glob("*.jpg"))[:4]):
        img = read_rgb(p)
        write_image(root / ("a" if j % 2 else "b") / f"{p.stem}.png", img[500:620, 700:860])
    return root


def test_compose_end_to_end_on_real_photos(photos, backgrounds, alphamatting, tmp_path):
    out = tmp_path / "out"
    result = run(
        "compose", "--fg", photos, "--bg", backgrounds, "--k", 2, "--out", out,
        "--seed", 3, "--denoise-p", 0, "--workers", 1, "--trimap", "gfm", "--quiet",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "6 composites" in result.output
    rows = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == [f"{i}_{k}" for i in IDS for k in range(2)]
    for r in rows:
        assert set(r) == {"id", "fg_id", "k", "fg_type", "inputs", "recipe", "outputs"}
        assert r["outputs"] == {
            kind: f"{kind}/{r['id']}.png" for kind in ("image", "alpha", "fg", "bg", "trimap")
        }
        assert r["inputs"]["image"] == str((photos / "original" / f"{r['fg_id']}.png").resolve())
        assert r["inputs"]["fg"] is None and Path(r["inputs"]["bg"]).is_file()
        recipe = Recipe.from_dict(r["recipe"])
        assert recipe.fg_method == "multilevel" and not recipe.denoise
        alpha = read_alpha(alphamatting / "gt_alpha" / f"{r['fg_id']}.png")
        saved_alpha = read_any(out / r["outputs"]["alpha"])
        assert np.array_equal(saved_alpha, alpha)  # alpha unchanged
        image = read_any(out / r["outputs"]["image"])
        assert image.shape == (*alpha.shape, 3)
        # the saved composite is the recipe cooked again from the row (as a dataloader does)
        again = cook(Recipe.from_dict(r["recipe"]), **rssn.read_inputs(r["inputs"]))
        assert np.array_equal(image, again.image)
        assert np.array_equal(read_any(out / r["outputs"]["fg"]), again.fg)
        rng = np.random.default_rng(np.random.SeedSequence((3, 0, 0)))  # gfm: fixed kernel 25
        assert np.array_equal(
            read_any(out / r["outputs"]["trimap"]), to_uint8(preset_trimap(alpha, "gfm", rng))
        )
    for i in IDS:  # the K backgrounds of a foreground are distinct
        assert len({r["recipe"]["bg"] for r in rows if r["fg_id"] == i}) == 2
    # 6 composites from a pool of 7: no background used twice in the run
    assert len({r["recipe"]["bg"] for r in rows}) == 6
    run_json = json.loads((out / "run.json").read_text())
    assert run_json["tool"] == "rssn compose" and run_json["config"]["k"] == 2
    assert run_json["config"]["params"]["blur_kernels"] == [20, 30, 40, 50, 60]
    assert not (out / "errors.jsonl").exists()


def test_workers_1_and_2_write_the_same_bytes(small_set, small_bgs, tmp_path):
    common = [
        "compose", "--fg", small_set, "--bg", small_bgs, "--k", 3, "--seed", 11,
        "--denoise-method", "nlm", "--denoise-p", 0.7, "--blur-p", 0.7, "--noise-p", 0.7,
        "--trimap", "p3m", "--quiet",
    ]  # fmt: skip
    one = run(*common, "--out", tmp_path / "one", "--workers", 1)
    two = run(*common, "--out", tmp_path / "two", "--workers", 2)
    assert one.exit_code == 0, one.output
    assert two.exit_code == 0, two.output
    a, b = tree_bytes(tmp_path / "one"), tree_bytes(tmp_path / "two")
    assert len(a) == 3 * 3 * 5
    assert a == b
    manifest = (tmp_path / "one" / "manifest.jsonl").read_bytes()
    assert manifest == (tmp_path / "two" / "manifest.jsonl").read_bytes()
    recipes = [json.loads(line)["recipe"] for line in manifest.decode().splitlines()]
    assert any(r["denoise"] for r in recipes) and any(r["noise"] for r in recipes)
    assert any(r["blur_kernel"] for r in recipes)


def test_the_cli_passes_denoise_at_and_cache_format(small_set, small_bgs, tmp_path):
    common = ["compose", "--fg", small_set, "--bg", small_bgs, "--k", 2, "--denoise-p", 1,
              "--denoise-method", "nlm", "--quiet"]  # fmt: skip
    fit = run(*common, "--out", tmp_path / "fit", "--denoise-at", "fit", "--cache-format", "npy")
    assert fit.exit_code == 0, fit.output
    config = json.loads((tmp_path / "fit" / "run.json").read_text())["config"]
    assert config["params"]["denoise_at"] == "fit"
    assert {p.suffix for p in (tmp_path / "fit" / "cache").rglob("*.*")} == {".npy"}
    # 3 foregrounds + one window per composite with fit; + one per background file with source
    assert "cache: 0 reused, 9 computed" in fit.output
    src = run(*common, "--out", tmp_path / "src")
    assert src.exit_code == 0, src.output
    rows = [json.loads(line) for line in (tmp_path / "src" / "manifest.jsonl").open()]
    assert all(r["recipe"]["denoise_at"] == "source" for r in rows)
    n_bg = len({r["recipe"]["bg"] for r in rows})
    assert len(list((tmp_path / "src" / "cache").rglob("*.png"))) == 3 + n_bg
    bad = run(*common, "--out", tmp_path / "bad", "--denoise-at", "later")
    assert bad.exit_code != 0 and "later" in bad.output


def test_rerun_reuses_the_cache_and_skips_complete_outputs(small_set, small_bgs, tmp_path):
    # bm3d_rgb costs ~4 s per call here even on 64x64 (fixed overhead): K = 1
    params = Params(denoise_p=1, denoise_method="bm3d", blur_p=0.5, noise_p=0.5)
    cache = tmp_path / "cache"
    cfg = ComposeConfig(
        small_set, small_bgs, tmp_path / "a", k=1, seed=5, params=params, cache=cache
    )
    first = compose(cfg)
    assert first.written == 3 and first.cache_computed == 3 + 3  # F and B of each composite
    again = compose(cfg)
    assert again.written == 0 and again.skipped == 3 and again.cache_computed == 0
    # a new output folder with the same cache: no BM3D at all, the same bytes
    other = compose(ComposeConfig(small_set, small_bgs, tmp_path / "b", 1, 5, params, cache=cache))
    assert other.written == 3 and other.cache_computed == 0 and other.cache_hits == 6
    assert tree_bytes(tmp_path / "a") == tree_bytes(tmp_path / "b")


def test_each_image_is_denoised_once_whatever_uses_it(small_set, small_bgs, tmp_path):
    params = Params(denoise_p=1, denoise_method="nlm")
    summary = compose(ComposeConfig(small_set, small_bgs, tmp_path / "a", k=3, params=params))
    rows = [json.loads(line) for line in (tmp_path / "a" / "manifest.jsonl").open()]
    used = {row["recipe"]["bg"] for row in rows}
    assert len(used) == len(list(small_bgs.rglob("*.png"))) < 9  # each serves several composites
    # each foreground once for its K composites, each background file once (denoise_at="source")
    assert summary.written == 9 and summary.cache_computed == 3 + len(used)
    # denoise_at="fit": each fitted window is its own image
    at_fit = Params(denoise_p=1, denoise_method="nlm", denoise_at="fit")
    summary = compose(ComposeConfig(small_set, small_bgs, tmp_path / "b", k=3, params=at_fit))
    assert summary.written == 9 and summary.cache_computed == 3 + 9


def test_an_npy_cache_gives_the_same_outputs_and_either_format_reads_it(
    small_set, small_bgs, tmp_path
):
    params = Params(denoise_p=1, denoise_method="nlm", noise_p=0.5)
    png = compose(ComposeConfig(small_set, small_bgs, tmp_path / "a", k=2, seed=3, params=params))
    npy_cfg = ComposeConfig(
        small_set, small_bgs, tmp_path / "b", k=2, seed=3, params=params, cache_format="npy"
    )
    npy = compose(npy_cfg)
    assert png.cache_computed == npy.cache_computed == 3 + 4  # 3 foregrounds, 4 backgrounds
    assert tree_bytes(tmp_path / "a") == tree_bytes(tmp_path / "b")
    entries = sorted((tmp_path / "b" / "cache").rglob("*.*"))
    assert len(entries) == 7 and all(p.suffix == ".npy" for p in entries)
    # the same entries, bit for bit, as the PNG cache holds
    for entry in entries:
        twin = tmp_path / "a" / entry.relative_to(tmp_path / "b").with_suffix(".png")
        np.testing.assert_array_equal(np.load(entry), read_any(twin))
    # a PNG-writing run on the npy cache finds every entry
    again = compose(
        ComposeConfig(
            small_set, small_bgs, tmp_path / "c", 2, 3, params, cache=tmp_path / "b" / "cache"
        )
    )
    assert again.cache_computed == 0 and again.cache_hits >= 7
    assert tree_bytes(tmp_path / "c") == tree_bytes(tmp_path / "a")
    # a truncated entry is recomputed, not served
    entries[0].write_bytes(entries[0].read_bytes()[:100])
    third = compose(
        ComposeConfig(
            small_set, small_bgs, tmp_path / "d", 2, 3, params, cache=tmp_path / "b" / "cache",
            cache_format="npy",
        )
    )  # fmt: skip
    assert third.cache_computed == 1 and tree_bytes(tmp_path / "d") == tree_bytes(tmp_path / "a")
    with pytest.raises(UsageError, match="--cache-format"):
        compose(ComposeConfig(small_set, small_bgs, tmp_path / "e", 1, cache_format="tiff"))


def test_foregrounds_are_estimated_once_and_cached(photos, small_bgs, tmp_path):
    params = Params(denoise_p=0)
    cfg = ComposeConfig(photos, small_bgs, tmp_path / "a", k=3, params=params)
    first = compose(cfg)
    assert first.cache_computed == 3  # one estimate per photo for its K = 3 composites
    second = compose(
        ComposeConfig(
            photos, small_bgs, tmp_path / "b", 3, 0, params, cache=tmp_path / "a" / "cache"
        )
    )
    assert second.cache_computed == 0 and second.cache_hits == 3


def test_resume_after_a_killed_run(photos, backgrounds, tmp_path):
    args = [
        sys.executable, "-m", "rssn", "compose", "--fg", str(photos), "--bg", str(backgrounds),
        "--k", "4", "--denoise-p", "0", "--workers", "1", "--quiet",
    ]  # fmt: skip
    out = tmp_path / "killed"
    proc = subprocess.Popen([*args, "--out", str(out)], env=subprocess_env())
    done = out / ".rssn" / "done"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if done.is_dir() and len(list(done.glob("*.json"))) >= 2:
            break
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    n_done = len(list(done.glob("*.json")))
    assert 2 <= n_done < 12, "the run should have been killed half way"
    # a finished output damaged after the fact is found and made again
    first = sorted(done.glob("*.json"))[0].stem
    damaged = out / "image" / f"{first}.png"
    damaged.write_bytes(damaged.read_bytes()[:100])
    resumed = subprocess.run(
        [*args, "--out", str(out)], env=subprocess_env(), capture_output=True, text=True
    )
    assert resumed.returncode == 0, resumed.stderr
    assert f"already complete {n_done - 1}" in " ".join(resumed.stdout.split())
    fresh = subprocess.run(
        [*args, "--out", str(tmp_path / "fresh")], env=subprocess_env(), capture_output=True
    )
    assert fresh.returncode == 0
    assert tree_bytes(out) == tree_bytes(tmp_path / "fresh")
    assert (out / "manifest.jsonl").read_bytes() == (
        tmp_path / "fresh" / "manifest.jsonl"
    ).read_bytes()
    assert not list(out.rglob("*.tmp"))  # the killed run's temporary files are not outputs


def test_rgba_foregrounds_and_jpeg_composites(small_set, small_bgs, tmp_path):
    rgba_dir = tmp_path / "rgba"
    rgba_dir.mkdir()
    for i in IDS:
        rgb = read_rgb(small_set / "fg" / f"{i}.png")
        a = read_alpha(small_set / "alpha" / f"{i}.png")
        Image.fromarray(np.dstack([rgb, a])).save(rgba_dir / f"{i}.png")
    out = tmp_path / "out"
    result = run(
        "compose", "--fg", rgba_dir, "--bg", small_bgs, "--k", 1, "--out", out,
        "--denoise-p", 0, "--jpeg", "--quiet", "--workers", 1,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    for i in IDS:
        assert (out / "image" / f"{i}_0.jpg").is_file()
        assert np.array_equal(
            read_any(out / "alpha" / f"{i}_0.png"), read_alpha(small_set / "alpha" / f"{i}.png")
        )
    for line in (out / "manifest.jsonl").read_text().splitlines():
        row = json.loads(line)
        assert row["inputs"]["fg"] == row["inputs"]["alpha"]  # one RGBA file
        again = cook(Recipe.from_dict(row["recipe"]), **rssn.read_inputs(row["inputs"]))
        assert np.array_equal(read_any(out / row["outputs"]["fg"]), again.fg)


def test_types_make_non_salient_foregrounds_blurred_and_unified_trimaps(
    small_set, small_bgs, tmp_path
):
    types = tmp_path / "types.json"
    types.write_text(json.dumps({"GT02": "NS", "GT16.png": "STM", "GT27": "SO"}))
    out = tmp_path / "out"
    result = run(
        "compose", "--fg", small_set, "--bg", small_bgs, "--k", 4, "--out", out,
        "--denoise-p", 0, "--blur-p", 0, "--types", types, "--trimap", "unified", "--quiet",
        "--workers", 1,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    for r in rows:
        assert r["fg_type"] == {"GT02": "NS", "GT16": "STM", "GT27": "SO"}[r["fg_id"]]
        assert (r["recipe"]["blur_kernel"] > 0) == (r["fg_id"] == "GT02")
    unimap_free = read_any(out / "trimap" / "GT02_0.png")
    assert np.all(unimap_free == 128)  # NS: AIM's unimap


# ---------------------------------------------------------------- bad input


def make_set(root: Path, n=2, size=(40, 30)) -> Path:
    w, h = size
    rng = np.random.default_rng(0)
    for j in range(n):
        write_image(root / "fg" / f"f{j}.png", rng.integers(0, 256, (h, w, 3), dtype=np.uint8))
        write_image(root / "alpha" / f"f{j}.png", rng.integers(0, 256, (h, w), dtype=np.uint8))
    return root


@pytest.fixture()
def fgset(tmp_path):
    return make_set(tmp_path / "set")


@pytest.fixture()
def bgset(tmp_path):
    rng = np.random.default_rng(1)
    for j in range(3):
        write_image(
            tmp_path / "bgs" / f"b{j}.jpg", rng.integers(0, 256, (50, 60, 3), dtype=np.uint8)
        )
    return tmp_path / "bgs"


def compose_cli(fg, bg, out, *extra):
    return run("compose", "--fg", fg, "--bg", bg, "--k", 2, "--out", out, "--denoise-p", 0,
               "--quiet", "--workers", 1, *extra)  # fmt: skip


def error_lines(result) -> list[str]:
    return [line for line in result.output.splitlines() if line.startswith("error:")]


def assert_one_error(result, *words):
    assert result.exit_code == 2, result.output
    lines = error_lines(result)
    assert len(lines) == 1, result.output
    for w in words:
        assert w in lines[0], (w, lines[0])
    assert "Traceback" not in result.output


def test_a_foreground_without_alpha(fgset, bgset, tmp_path):
    (fgset / "alpha" / "f1.png").unlink()
    result = compose_cli(fgset, bgset, tmp_path / "out")
    assert_one_error(result, "f1.png", "no matte")
    assert not (tmp_path / "out").exists()  # nothing started


def test_sizes_that_differ(fgset, bgset, tmp_path):
    write_image(fgset / "alpha" / "f0.png", np.zeros((31, 40), np.uint8))
    assert_one_error(compose_cli(fgset, bgset, tmp_path / "out"), "f0.png", "40x30", "differs")


def test_a_truncated_file(fgset, bgset, tmp_path):
    path = fgset / "fg" / "f0.png"
    path.write_bytes(path.read_bytes()[:-40])
    result = compose_cli(fgset, bgset, tmp_path / "out")
    assert result.exit_code == 2, result.output
    assert any("f0.png" in line and "truncated" in line for line in error_lines(result))


def test_an_unreadable_file(fgset, bgset, tmp_path):
    (fgset / "fg" / "f0.png").write_bytes(b"not a png at all")
    assert_one_error(compose_cli(fgset, bgset, tmp_path / "out"), "f0.png", "not an image")


def test_16_bit_pngs(fgset, bgset, tmp_path):
    cv2.imwrite(str(fgset / "alpha" / "f0.png"), np.zeros((30, 40), np.uint16))
    assert_one_error(compose_cli(fgset, bgset, tmp_path / "o1"), "f0.png", "16-bit")
    make_set(fgset)
    cv2.imwrite(str(fgset / "fg" / "f1.png"), np.zeros((30, 40, 3), np.uint16))
    assert_one_error(compose_cli(fgset, bgset, tmp_path / "o2"), "f1.png", "16-bit")


def test_a_palette_png_matte(fgset, bgset, tmp_path):
    Image.fromarray(np.zeros((30, 40), np.uint8)).convert("P").save(fgset / "alpha" / "f0.png")
    assert_one_error(compose_cli(fgset, bgset, tmp_path / "out"), "f0.png", "palette")


def test_a_three_channel_colour_matte(fgset, bgset, tmp_path):
    rng = np.random.default_rng(3)
    write_image(fgset / "alpha" / "f1.png", rng.integers(0, 256, (30, 40, 3), dtype=np.uint8))
    assert_one_error(compose_cli(fgset, bgset, tmp_path / "out"), "f1.png", "channels differ")


def test_an_empty_background_folder(fgset, tmp_path):
    (tmp_path / "empty").mkdir()
    assert_one_error(
        compose_cli(fgset, tmp_path / "empty", tmp_path / "out"), "empty", "no background"
    )


def test_too_few_backgrounds_for_k(fgset, bgset, tmp_path):
    result = run(
        "compose", "--fg", fgset, "--bg", bgset, "--k", 4, "--out", tmp_path / "o", "--quiet"
    )
    assert_one_error(result, "--k 4", "found 3")


def test_an_output_folder_with_other_parameters(fgset, bgset, tmp_path):
    out = tmp_path / "out"
    assert compose_cli(fgset, bgset, out).exit_code == 0
    before = tree_bytes(out)
    result = compose_cli(fgset, bgset, out, "--seed", 1)
    assert_one_error(result, "run.json", "other parameters", "seed 0 -> 1")
    assert tree_bytes(out) == before  # nothing overwritten
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    assert_one_error(compose_cli(fgset, bgset, tmp_path / "busy"), "busy", "not empty")


def test_on_error_skip_composes_the_rest_and_reports(fgset, bgset, tmp_path):
    (fgset / "fg" / "f0.png").write_bytes(b"broken")
    make_set(tmp_path / "more", n=3)
    (fgset / "fg" / "f2.png").write_bytes((tmp_path / "more" / "fg" / "f2.png").read_bytes())
    (fgset / "alpha" / "f2.png").write_bytes((tmp_path / "more" / "alpha" / "f2.png").read_bytes())
    out = tmp_path / "out"
    result = compose_cli(fgset, bgset, out, "--on-error", "skip")
    assert result.exit_code == 0, result.output
    assert "f0.png" in result.output
    ids = [json.loads(line)["id"] for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert ids == ["f1_0", "f1_1", "f2_0", "f2_1"]
    errors = [json.loads(line) for line in (out / "errors.jsonl").read_text().splitlines()]
    assert len(errors) == 1 and errors[0]["file"].endswith("f0.png")
    # the deal covers every foreground found, so f1 and f2 keep their backgrounds
    # when f0 is repaired and the run resumed
    write_image(fgset / "fg" / "f0.png", np.zeros((30, 40, 3), np.uint8))
    rerun = compose_cli(fgset, bgset, out, "--on-error", "skip")
    assert rerun.exit_code == 0, rerun.output
    assert "made 2, already complete 4" in " ".join(rerun.output.split())
    assert not (out / "errors.jsonl").exists()


def test_bm3d_missing_is_one_clear_line_not_a_traceback(fgset, bgset, tmp_path):
    # a Python where bm3d cannot be imported (sys.modules[name] = None blocks an import)
    code = (
        "import sys; sys.modules['bm3d'] = None; from rssn.cli import main; "
        f"sys.argv = ['rssn', 'compose', '--fg', {str(fgset)!r}, '--bg', {str(bgset)!r}, "
        f"'--k', '2', '--out', {str(tmp_path / 'out')!r}]; main()"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=subprocess_env(), capture_output=True, text=True
    )
    assert result.returncode == 2, result.stderr
    assert "pip install 'mattekit[bm3d]'" in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr


def test_demo_runs_and_is_reproducible(tmp_path):
    a = run("demo", "--out", tmp_path / "a")
    assert a.exit_code == 0, a.output
    assert "9 composites" in a.output
    b = run("demo", "--out", tmp_path / "b")
    assert b.exit_code == 0
    assert tree_bytes(tmp_path / "a" / "composites") == tree_bytes(tmp_path / "b" / "composites")
    assert len(tree_bytes(tmp_path / "a" / "composites")) == 9 * 5


def test_rssn_without_arguments_runs_the_demo(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "rssn"],
        cwd=tmp_path,
        env=subprocess_env(),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "rssn-demo" / "composites" / "manifest.jsonl").is_file()


def test_warm_fills_the_persistent_numba_cache(tmp_path):
    env = subprocess_env()
    env.setdefault("NUMBA_CACHE_DIR", str(Path.home() / ".cache" / "mattekit" / "numba"))
    result = subprocess.run(
        [sys.executable, "-m", "rssn", "warm"], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "pymatting ready" in result.stdout and env["NUMBA_CACHE_DIR"] in result.stdout
    assert any(Path(env["NUMBA_CACHE_DIR"]).rglob("*.nbi"))  # numba's index files


def test_exif_rotated_backgrounds_are_composited_upright(fgset, tmp_path):
    # a phone photo stored 60 wide x 50 high with EXIF orientation 6 (rotate 90): 50 x 60 upright
    bgs = tmp_path / "rotated"
    bgs.mkdir()
    rng = np.random.default_rng(5)
    for j in range(2):
        img = Image.fromarray(rng.integers(0, 256, (50, 60, 3), dtype=np.uint8))
        exif = Image.Exif()
        exif[0x0112] = 6
        img.save(bgs / f"r{j}.jpg", exif=exif.tobytes())
    out = tmp_path / "out"
    assert compose_cli(fgset, bgs, out).exit_code == 0
    rows = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert all(r["recipe"]["bg_size"] == [50, 60] for r in rows)


def test_an_output_folder_that_cannot_be_made(fgset, bgset, tmp_path):
    # its parent is a file: mkdir fails (as root too, unlike a read-only folder)
    (tmp_path / "afile").write_text("x")
    assert_one_error(compose_cli(fgset, bgset, tmp_path / "afile" / "out"), "afile", "cannot write")


def test_an_output_path_that_is_a_file(fgset, bgset, tmp_path):
    (tmp_path / "afile").write_text("x")
    assert_one_error(compose_cli(fgset, bgset, tmp_path / "afile"), "afile", "not a folder")


def test_an_output_folder_inside_the_backgrounds(fgset, bgset):
    assert_one_error(compose_cli(fgset, bgset, bgset / "out"), "inside --bg")
    assert not (bgset / "out").exists()


def test_the_progress_bar_counts_composites_as_their_records_appear(small_set, small_bgs, tmp_path):
    from rssn._compose import ComposeConfig, _cid, _done_path, _DoneCounter, plan

    out = tmp_path / "out"
    tasks, _, _ = plan(ComposeConfig(small_set, small_bgs, out, k=3))
    steps: list[int] = []
    counter = _DoneCounter(out, tasks, steps.append)
    counter.scan()  # no folder yet: nothing, no error
    first = tasks[0]
    for recipe, _ in first.items[:2]:
        _done_path(out, _cid(recipe)).parent.mkdir(parents=True, exist_ok=True)
        _done_path(out, _cid(recipe)).write_text("{}")
    (out / ".rssn" / "done" / ".GT02_2.json.abc.tmp").write_text("")  # a write in flight
    (out / ".rssn" / "done" / "other_0.json").write_text("{}")  # not this run's
    counter.scan()
    counter.scan()  # counted once
    assert steps == [2]
    counter.finish(first)  # the task's result: its third composite (failed or not) counts now
    for task in tasks[1:]:
        counter.finish(task)
    assert steps == [2, 1, 3, 3] and sum(steps) == 9


def test_compose_with_the_bar_shown_ends_at_the_total(small_set, small_bgs, tmp_path, capsys):
    summary = compose(
        ComposeConfig(small_set, small_bgs, tmp_path / "o", k=2, params=Params(denoise_p=0)),
        quiet=False,
    )
    assert summary.written == 6
    err = capsys.readouterr().err
    assert "composing" in err and "6/6" in err


def test_prefill_names_bad_inputs_before_any_work_or_skips_them(small_set, small_bgs, tmp_path):
    import shutil

    from rssn._compose import ComposeError
    from rssn._prefill import prefill

    fg = tmp_path / "fg"
    shutil.copytree(small_set, fg)
    stray = fg / "fg" / "stray.png"
    shutil.copyfile(next((fg / "fg").glob("*.png")), stray)  # a foreground without a matte
    params = Params(denoise_method="nlm")
    with pytest.raises(ComposeError) as err:
        prefill(fg, small_bgs, tmp_path / "cache", params)
    assert any(str(stray) in line and "no matte" in line for line in err.value.lines)
    assert not (tmp_path / "cache").exists()  # nothing done
    done = prefill(fg, small_bgs, tmp_path / "cache", params, on_error="skip")
    assert done.foregrounds == 3 and done.computed == 3 + 4
    assert len(done.errors) == 1 and str(stray) in done.errors[0]
    result = run("prefill", "--fg", fg, "--bg", small_bgs, "--cache", tmp_path / "c2",
                 "--denoise-method", "nlm", "-q")  # fmt: skip
    assert result.exit_code == 2 and "stray.png" in result.output
