"""``trimaps generate`` and ``trimaps demo`` end to end, on the real mattes and on bad input."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import subprocess_env
from PIL import Image
from typer.testing import CliRunner

from trimaps import duomap, optimal_trimap, random_soft_segmentation, rosta, to_uint8, trimap
from trimaps._generate import KINDS, file_rng
from trimaps.cli import app
from trimaps.io import read_alpha

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def gen(*args):
    """``trimaps generate ARGS``."""
    return run("generate", *args)


def read_u8(path: Path) -> np.ndarray:
    img = Image.open(path)
    assert img.mode == "L", f"{path} is {img.mode}, expected 8-bit gray"
    return np.asarray(img)


@pytest.fixture(scope="module")
def gt(gt_alpha_paths):
    return {p.name: read_alpha(p) for p in gt_alpha_paths}


def expected(kind: str, name: str, a: np.ndarray) -> np.ndarray:
    if kind == "trimap":
        return to_uint8(trimap(a, 25))
    if kind == "duomap":
        return to_uint8(duomap(trimap(a, 30)))
    if kind == "unimap":
        return np.full(a.shape, 128, np.uint8)
    if kind in ("tt", "ft", "bt"):
        return to_uint8(rosta(a, kind).glance)
    if kind == "optimal":
        return to_uint8(optimal_trimap(a))
    if kind == "soft":
        return to_uint8(random_soft_segmentation(a, file_rng(0, name)))
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", [k for k in KINDS if k != "unified"])
def test_generate_every_kind_on_the_real_mattes(tmp_path, gt_alpha_paths, gt, kind):
    out = tmp_path / kind
    result = gen(gt_alpha_paths[0].parent, "--out", out, "--kind", kind, "--quiet")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == sorted(gt)
    for name, a in gt.items():
        np.testing.assert_array_equal(read_u8(out / name), expected(kind, name, a), err_msg=name)


def test_generate_unified_with_types_and_sizes(tmp_path, gt_alpha_paths, gt):
    kinds = ["SO", "STM", "NS"]
    types = {}
    for i, (name, a) in enumerate(sorted(gt.items())):
        h, w = a.shape
        types[name if i % 2 else Path(name).stem] = (
            {"type": kinds[i % 3], "size": [w, h]} if i % 3 else kinds[i % 3].lower()
        )
    types_path = tmp_path / "types.json"
    types_path.write_text(json.dumps(types))
    out = tmp_path / "unified"
    result = gen(gt_alpha_paths[0].parent, "--out", out, "--types", types_path)  # kind defaults
    assert result.exit_code == 0, result.output
    for i, (name, a) in enumerate(sorted(gt.items())):
        got = read_u8(out / name)
        t = trimap(a, 30)
        want = [to_uint8(t), to_uint8(duomap(t)), np.full(a.shape, 128, np.uint8)][i % 3]
        np.testing.assert_array_equal(got, want, err_msg=name)


def test_generate_through_python_m_with_a_kernel(tmp_path, gt_alpha_paths, gt):
    out = tmp_path / "out"
    args = ["generate", gt_alpha_paths[0].parent, "--out", out]
    args += ["--kind", "trimap", "--kernel", "11"]
    proc = subprocess.run(
        [sys.executable, "-m", "trimaps", *map(str, args)],
        env=subprocess_env(),
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert f"wrote {len(gt)} file(s)" in proc.stderr
    for name, a in gt.items():
        np.testing.assert_array_equal(read_u8(out / name), to_uint8(trimap(a, 11)))


def test_soft_is_byte_reproducible_and_seeded(tmp_path, gt_alpha_paths):
    src = gt_alpha_paths[0].parent
    for sub, seed in (("a", 5), ("b", 5), ("c", 6)):
        assert gen(src, "--out", tmp_path / sub, "--kind", "soft", "--seed", seed).exit_code == 0
    for p in gt_alpha_paths:
        a, b, c = ((tmp_path / s / p.name).read_bytes() for s in "abc")
        assert a == b
        assert a != c
    # per-file seeds do not depend on the other files: one file alone gives the same bytes
    single = tmp_path / "single"
    single.mkdir()
    shutil.copy(gt_alpha_paths[3], single)
    assert gen(single, "--out", tmp_path / "d", "--kind", "soft", "--seed", 5).exit_code == 0
    name = gt_alpha_paths[3].name
    assert (tmp_path / "d" / name).read_bytes() == (tmp_path / "a" / name).read_bytes()


def test_optimal_tolerance_option(tmp_path):
    src = tmp_path / "alpha"
    src.mkdir()
    Image.fromarray(np.array([[0, 2, 3, 128, 252, 253, 255]], np.uint8)).save(src / "x.png")
    assert gen(src, "--out", tmp_path / "o", "--kind", "optimal", "--tol", 2).exit_code == 0
    np.testing.assert_array_equal(
        read_u8(tmp_path / "o" / "x.png"), [[0, 0, 128, 128, 128, 255, 255]]
    )


# ---------------------------------------------------------------- errors


def test_missing_directory(tmp_path):
    result = gen(tmp_path / "nope", "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert "nope" in result.stderr and "no such folder" in result.stderr
    assert not (tmp_path / "out").exists()


def test_unreadable_png_is_reported_and_not_written(tmp_path, gt_alpha_paths):
    src = tmp_path / "alpha"
    src.mkdir()
    for p in gt_alpha_paths[:2]:
        shutil.copy(p, src)
    (src / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really a png")
    truncated = gt_alpha_paths[2].read_bytes()
    (src / "truncated.png").write_bytes(truncated[: len(truncated) // 2])
    out = tmp_path / "out"
    result = gen(src, "--out", out, "--kind", "trimap")
    assert result.exit_code == 2
    assert "broken.png" in result.stderr and "truncated.png" in result.stderr
    assert "truncated" in result.stderr.split("truncated.png", 1)[1].splitlines()[0]
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in gt_alpha_paths[:2])


def test_size_differing_from_its_types_entry(tmp_path, gt_alpha_paths, gt):
    types = {}
    for name, a in gt.items():
        h, w = a.shape
        types[name] = {"type": "SO", "size": [w, h]}
    wrong = gt_alpha_paths[1].name
    w, h = types[wrong]["size"]
    types[wrong]["size"] = [h, w]  # rows and columns swapped: a different picture
    types_path = tmp_path / "types.json"
    types_path.write_text(json.dumps(types))
    out = tmp_path / "out"
    result = gen(gt_alpha_paths[0].parent, "--out", out, "--types", types_path)
    assert result.exit_code == 2
    line = next(line for line in result.stderr.splitlines() if wrong in line)
    assert f"size {w}x{h} differs from {h}x{w}" in line and "types.json" in line
    assert not (out / wrong).exists()
    assert len(list(out.iterdir())) == len(gt) - 1


def test_name_mismatches_write_nothing(tmp_path, gt_alpha_paths, gt):
    src = gt_alpha_paths[0].parent
    extra = {**{n: "SO" for n in gt}, "GT99.png": "NS"}
    (tmp_path / "extra.json").write_text(json.dumps(extra))
    result = gen(src, "--out", tmp_path / "o1", "--types", tmp_path / "extra.json")
    assert result.exit_code == 2
    assert "extra.json" in result.stderr and "GT99.png" in result.stderr
    assert "no alpha file" in result.stderr
    assert not (tmp_path / "o1").exists()

    missing = {n: "SO" for n in sorted(gt)[1:]}
    (tmp_path / "missing.json").write_text(json.dumps(missing))
    result = gen(src, "--out", tmp_path / "o2", "--types", tmp_path / "missing.json")
    assert result.exit_code == 2
    assert sorted(gt)[0] in result.stderr and "no entry in" in result.stderr
    assert not (tmp_path / "o2").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ('["GT02.png"]', "expected a JSON object"),
        ('{"GT02.png": "opaque"}', "type must be SO, STM or NS"),
        ('{"GT02.png": {"type": "SO", "size": [800]}}', "size must be [width, height]"),
        ('{"GT02.png": {"size": [800, 524]}}', "missing 'type'"),
    ],
)
def test_bad_types_file(tmp_path, gt_alpha_paths, content, message):
    path = tmp_path / "types.json"
    path.write_text(content)
    result = gen(gt_alpha_paths[0].parent, "--out", tmp_path / "out", "--types", path)
    assert result.exit_code == 2
    assert "types.json" in result.stderr and message in result.stderr
    assert not (tmp_path / "out").exists()


def test_option_conflicts(tmp_path, gt_alpha_paths):
    src = gt_alpha_paths[0].parent
    (tmp_path / "t.json").write_text("{}")
    r = gen(src, "--out", tmp_path / "o", "--kind", "unified")
    assert r.exit_code == 2 and "needs --types" in r.stderr
    r = gen(src, "--out", tmp_path / "o", "--kind", "trimap", "--types", tmp_path / "t.json")
    assert r.exit_code == 2 and "--kind unified" in r.stderr
    r = gen(src, "--out", tmp_path / "o", "--kind", "optimal", "--kernel", 5)
    assert r.exit_code == 2 and "--kernel does not apply to --kind optimal" in r.stderr
    r = gen(src, "--out", tmp_path / "o", "--kind", "trimap", "--tol", 3)
    assert r.exit_code == 2 and "--tol applies to --kind optimal only" in r.stderr
    copy = tmp_path / "alpha"
    copy.mkdir()
    shutil.copy(gt_alpha_paths[0], copy)
    r = gen(copy, "--out", copy)
    assert r.exit_code == 2 and "output folder is the alpha folder" in r.stderr
    r = gen(tmp_path / "t.json", "--out", tmp_path / "o")
    assert r.exit_code == 2 and "not a folder" in r.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    r = gen(empty, "--out", tmp_path / "o")
    assert r.exit_code == 2 and "no image files" in r.stderr
    assert not (tmp_path / "o").exists()


# ---------------------------------------------------------------- help and demo


def test_help_documents_every_kind():
    top = run("--help")
    assert top.exit_code == 0
    sub = run("generate", "--help")
    assert sub.exit_code == 0
    for kind in KINDS:
        assert kind in top.output
        assert f"{kind}:" in sub.output
    assert "[width, height]" in sub.output


def test_demo_writes_every_kind(tmp_path):
    out = tmp_path / "demo"
    proc = subprocess.run(
        [sys.executable, "-m", "trimaps", "demo", "--out", str(out)],
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    names = sorted(p.name for p in (out / "alpha").iterdir())
    assert names == ["disk.png", "hairy.png", "veil.png"]
    for kind in KINDS:
        assert f"{kind}:" in proc.stdout
        assert sorted(p.name for p in (out / kind).iterdir()) == names
    for name in names:
        a = read_u8(out / "alpha" / name)
        assert ((a > 0) & (a < 255)).any() and (a == 255).any() and (a == 0).any()
        np.testing.assert_array_equal(read_u8(out / "trimap" / name), to_uint8(trimap(a, 25)))
    # the veil is STM: its unified representation is the duomap
    veil = read_u8(out / "alpha" / "veil.png")
    np.testing.assert_array_equal(
        read_u8(out / "unified" / "veil.png"), to_uint8(duomap(trimap(veil, 30)))
    )
