"""``rssn publish``: a composed set as a Hub dataset, loaded back with ``datasets``.

No network: ``datasets.load_dataset`` reads the local folder, and the upload goes
to ``FakeHub``, a local HTTP server speaking the Hub API (tests/publish_support.py).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from conftest import subprocess_env
from PIL import Image
from publish_support import FakeHub
from typer.testing import CliRunner

import rssn
from rssn import publish as pub
from rssn.cli import app as rssn_app
from trimaps.io import read_alpha, read_rgb, write_image

TOKEN = "hf_TestTokenThatMustNeverBePrinted42"
FGS = ("GT02", "GT08")  # fg-hash fractions 0.185 and 0.523: with 0.3, GT02 -> test


@pytest.fixture(scope="module")
def composed(tmp_path_factory, alphamatting, testdata) -> Path:
    """A real `rssn compose` output: 2 foregrounds x K=2, denoising off, GFM trimaps.

    The foregrounds are 160x120 crops around the transition band of the real
    alphamatting.com photos and mattes (Composition-1k layout, F = the photo), on
    the real backgrounds in backgrounds/clean/.
    """
    root = tmp_path_factory.mktemp("compose")
    for i in FGS:
        a = read_alpha(alphamatting / "gt_alpha" / f"{i}.png")
        rows, cols = np.nonzero((a > 0) & (a < 255))
        y, x = max(int(np.median(rows)) - 60, 0), max(int(np.median(cols)) - 80, 0)
        img = read_rgb(alphamatting / "input" / f"{i}.png")
        write_image(root / "comp1k" / "fg" / f"{i}.png", img[y : y + 120, x : x + 160])
        write_image(root / "comp1k" / "alpha" / f"{i}.png", a[y : y + 120, x : x + 160])
    (root / "types.json").write_text(json.dumps({"GT02": "SO", "GT08": "STM"}))
    out = root / "out"
    result = CliRunner().invoke(
        rssn_app,
        [
            "compose", "--fg", str(root / "comp1k"),
            "--bg", str(testdata / "backgrounds" / "clean"), "--k", "2", "--out", str(out),
            "--seed", "7", "--denoise-p", "0", "--workers", "1",
            "--trimap", "gfm", "--types", str(root / "types.json"), "--quiet",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture
def fresh(composed, tmp_path) -> Path:
    """A copy of the composed set that a test may damage."""
    out = tmp_path / "out"
    shutil.copytree(composed, out, ignore=shutil.ignore_patterns("hub"))
    return out


@pytest.fixture(scope="module")
def published(composed, tmp_path_factory):
    local = tmp_path_factory.mktemp("hub") / "hub"
    folder = pub.write_hub_folder(composed, local, split_by="fg-hash:0.3")
    return composed, local, folder


def _manifest(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]


def _load(local: Path, tmp_path: Path, config: str | None = None):
    import datasets

    return datasets.load_dataset(str(local), config, cache_dir=str(tmp_path / "cache"))


# -- loading what was written ---------------------------------------------------------


def test_load_dataset_reads_every_split_with_the_features_and_the_files_bytes(published, tmp_path):
    out, local, _ = published
    dd = _load(local, tmp_path)
    assert sorted(dd) == ["test", "train"]
    assert dd["test"]["fg_id"] == ["GT02", "GT02"]  # fg-hash 0.185 < 0.3
    assert dd["train"]["id"] == ["GT08_0", "GT08_1"]
    expected = pub.composite_features(
        ("image", "alpha", "fg", "bg", "trimap"), list(pub.RECIPE_COLUMNS)
    )
    rows = {r["id"]: r for r in _manifest(out)}
    for split in dd.values():
        assert split.features == expected
        for ex in split:
            row = rows[ex["id"]]
            for name in ("image", "alpha", "fg", "bg", "trimap"):
                on_disk = np.asarray(Image.open(out / row["outputs"][name]))
                decoded = np.asarray(ex[name])
                assert decoded.dtype == np.uint8 and decoded.shape == on_disk.shape, name
                np.testing.assert_array_equal(decoded, on_disk, err_msg=f"{ex['id']} {name}")
            recipe = row["recipe"]
            assert ex["bg_id"] == recipe["bg"]  # relative to the background folder
            assert ex["blur_kernel"] == recipe["blur_kernel"]
            assert ex["noise"] is recipe["noise"] and ex["denoise"] is recipe["denoise"]
            assert ex["noise_seed"] == recipe["noise_seed"] and ex["seed"] == 7
            assert ex["crop"] == recipe["crop"] and ex["fg_type"] == row["fg_type"]
            assert ex["fg_method"] is None and ex["denoise"] is False  # F given; --denoise-p 0
            assert ex["fg_type"] == {"GT02": "SO", "GT08": "STM"}[ex["fg_id"]]
            assert json.loads(ex["recipe"]) == recipe
            assert rssn.Recipe.from_dict(json.loads(ex["recipe"])).to_dict() == recipe


def test_to_dataset_dict_equals_what_load_dataset_reads(published, tmp_path):
    out, local, _ = published
    loaded = _load(local, tmp_path)
    built = pub.to_dataset_dict(out, split_by="fg-hash:0.3")
    assert sorted(built) == sorted(loaded)
    for split in built:
        assert built[split].features == loaded[split].features
        a = built[split].cast_column(
            "image", built[split].features["image"].__class__(decode=False)
        )
        b = loaded[split].cast_column(
            "image", loaded[split].features["image"].__class__(decode=False)
        )
        assert a["image"] == b["image"]
        assert a["recipe"] == b["recipe"]


def test_card_yaml_parses_and_matches_the_data(published):
    out, local, _ = published
    text = (local / "README.md").read_text()
    meta = pub.read_card_yaml(local / "README.md")
    assert meta["license"] == "other"
    assert meta["configs"] == [
        {
            "config_name": "default",
            "data_files": [
                {"split": "train", "path": "data/train-*"},
                {"split": "test", "path": "data/test-*"},
            ],
            "default": True,
        }
    ]
    import datasets

    info = meta["dataset_info"]
    assert datasets.Features._from_yaml_list(info["features"]) == pub.composite_features(
        ("image", "alpha", "fg", "bg", "trimap"), list(pub.RECIPE_COLUMNS)
    )
    assert {s["name"]: s["num_examples"] for s in info["splits"]} == {"train": 2, "test": 2}
    files = sorted(p.relative_to(local).as_posix() for p in local.rglob("*.parquet"))
    assert files == [
        "data/test-00000-of-00001.parquet",
        "data/train-00000-of-00001.parquet",
    ]
    assert info["download_size"] == sum((local / f).stat().st_size for f in files)
    sizes = sum((out / p).stat().st_size for r in _manifest(out) for p in r["outputs"].values())
    assert info["dataset_size"] == sizes
    # prose: parameters of run.json, version, seed, split rule, sources to complete
    assert "| `config.seed` | `7` |" in text
    assert "| `config.params.blur_kernels` | `[20, 30, 40, 50, 60]` |" in text
    assert "seed 7" in text and "| foregrounds | `comp1k/` |" in text
    assert "mattekit) 0.1.0" in text and "`fg-hash:0.3`" in text
    assert text.count("*to be completed*") == 2
    # no absolute path of this machine leaks into the card or the rows
    assert str(out.parent) not in text and "/work/" not in text
    assert meta["size_categories"] == ["n<1K"]


def test_row_groups_stay_small_enough_for_the_viewer(published, tmp_path):
    out, local, _ = published
    for f in local.rglob("*.parquet"):
        md = pq.ParquetFile(f).metadata
        for g in range(md.num_row_groups):
            assert md.row_group(g).num_rows <= pub.MAX_ROW_GROUP_ROWS
            assert md.row_group(g).total_byte_size <= pub.MAX_ROW_GROUP_BYTES
    # a byte limit of about 1.5 rows forces one row per group and still loads
    row_bytes = [
        sum((out / p).stat().st_size for p in r["outputs"].values()) for r in _manifest(out)
    ]
    small = pub.write_hub_folder(
        out,
        tmp_path / "small",
        split_by="none",
        max_row_group_bytes=int(max(row_bytes) * 1.5),
        max_shard_bytes=int(max(row_bytes) * 2.5),
    )
    (train,) = small.configs["default"]
    assert train.num_examples == 4 and train.row_groups == 4
    assert len(train.files) == 2  # two groups per shard
    for f in train.files:
        md = pq.ParquetFile(tmp_path / "small" / f).metadata
        assert [md.row_group(g).num_rows for g in range(md.num_row_groups)] == [1, 1]
    assert _load(tmp_path / "small", tmp_path)["train"]["id"] == [
        "GT02_0",
        "GT02_1",
        "GT08_0",
        "GT08_1",
    ]


def test_row_group_and_shard_planning_on_hand_checked_sizes():
    assert pub.plan_row_groups([40, 40, 40, 10], max_bytes=100, max_rows=10) == [
        range(0, 2),
        range(2, 4),
    ]
    # a row above the limit stands alone; the row limit also cuts
    assert pub.plan_row_groups([150, 10, 10, 10], max_bytes=100, max_rows=2) == [
        range(0, 1),
        range(1, 3),
        range(3, 4),
    ]
    assert pub.plan_row_groups([], max_bytes=100) == []
    groups = [range(0, 2), range(2, 4), range(4, 5)]
    assert pub.plan_shards(groups, [30, 30, 30, 30, 50], max_bytes=100) == [
        [range(0, 2)],
        [range(2, 4)],
        [range(4, 5)],
    ]
    assert pub.plan_shards(groups, [10] * 5, max_bytes=100) == [groups]


def test_backgrounds_of_bgcurate_are_a_second_config(composed, tmp_path, testdata):
    bg = tmp_path / "bg"
    clean = sorted((testdata / "backgrounds" / "clean").glob("*.jpg"))
    for sub, srcs in (("train", clean[:2]), ("val", clean[2:3])):
        (bg / sub).mkdir(parents=True)
        for src in srcs:  # small re-encodes: the test must not copy big files around
            Image.open(src).reduce(16).save(bg / sub / src.name, quality=90)
    local = tmp_path / "hub"
    pub.write_hub_folder(composed, local, backgrounds=bg)
    meta = pub.read_card_yaml(local / "README.md")
    assert [c["config_name"] for c in meta["configs"]] == ["default", "backgrounds"]
    assert meta["configs"][1]["data_files"] == [
        {"split": "train", "path": "backgrounds/train-*"},
        {"split": "validation", "path": "backgrounds/validation-*"},
    ]
    dd = _load(local, tmp_path, "backgrounds")
    assert sorted(dd) == ["train", "validation"]
    assert dd["validation"]["id"] == [clean[2].name]
    for split, sub in (("train", "train"), ("validation", "val")):
        for ex in dd[split]:
            np.testing.assert_array_equal(
                np.asarray(ex["image"]), np.asarray(Image.open(bg / sub / ex["id"]))
            )
    assert list(_load(local, tmp_path)) == ["train"]  # the default config is the composites


# -- splits -----------------------------------------------------------------------------


def test_split_rules_keep_each_foreground_in_one_split(fresh):
    compose = pub.read_compose(fresh)
    by_hash = pub.assign_splits(compose, pub.SplitRule.parse("fg-hash:0.3"))
    assert {s: [c.id for c in cs] for s, cs in by_hash.items()} == {
        "train": ["GT08_0", "GT08_1"],
        "test": ["GT02_0", "GT02_1"],
    }
    # sha256(b"GT02") starts 2f51180326d3a7cd: 0x2f51180326d3a7cd / 2**64 = 0.18483...
    assert pub.fg_hash_fraction("GT02") == 0x2F51180326D3A7CD / 2**64
    assert list(pub.assign_splits(compose, pub.SplitRule())) == ["train"]
    # an existing split field in the manifest rows
    rows = _manifest(fresh)
    for r in rows:
        r["split"] = "validation" if r["fg_id"] == "GT08" else "train"
    (fresh / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    by_field = pub.assign_splits(pub.read_compose(fresh), pub.SplitRule.parse("field:split"))
    assert {s: len(cs) for s, cs in by_field.items()} == {"train": 2, "validation": 2}
    rows[1]["split"] = "test"  # GT02_1 apart from GT02_0: a leak
    (fresh / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(pub.PublishError, match="foreground GT02 is in split 'train' and 'test'"):
        pub.assign_splits(pub.read_compose(fresh), pub.SplitRule.parse("field:split"))
    with pytest.raises(pub.PublishError, match="no usable 'fold'"):
        pub.assign_splits(pub.read_compose(fresh), pub.SplitRule.parse("field:fold"))


@pytest.mark.parametrize("text", ["fg-hash", "fg-hash:0", "fg-hash:1.5", "fg-hash:x", "random"])
def test_bad_split_rules_are_refused(text):
    with pytest.raises(ValueError, match="--split-by"):
        pub.SplitRule.parse(text)


# -- bad inputs -------------------------------------------------------------------------


def _rewrite(out: Path, edit) -> None:
    rows = _manifest(out)
    edit(rows)
    (out / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


def _break_extra_file(out):
    shutil.copy(out / "alpha" / "GT02_0.png", out / "alpha" / "GT99_0.png")
    return "manifest.jsonl: manifest disagrees with the files: alpha/GT99_0.png is not in"


def _break_missing_image(out):
    (out / "fg" / "GT08_1.png").unlink()
    return "line 4: missing image: outputs.fg 'fg/GT08_1.png' does not exist"


def _break_dropped_row(out):
    _rewrite(out, lambda rows: rows.pop(2))
    return "manifest disagrees with the files: image/GT08_0.png is not in the manifest"


def _break_id(out):
    _rewrite(out, lambda rows: rows[1].update(k=5))
    return "line 2: id 'GT02_1' is not 'GT02_5'"


def _break_duplicate(out):
    _rewrite(out, lambda rows: rows.append(dict(rows[0])))
    return "line 5: id 'GT02_0' already on line 1"


def _break_escape(out):
    _rewrite(out, lambda rows: rows[0]["outputs"].update(bg="../../etc/GT02_0.png"))
    return "line 1: outputs.bg '../../etc/GT02_0.png' must be a path inside bg/"


def _break_partial_trimap(out):
    _rewrite(out, lambda rows: rows[3]["outputs"].pop("trimap"))
    (out / "trimap" / "GT08_1.png").unlink()
    return "line 4: composite GT08_1 has no 'trimap' output but others do (1 of 4 lack it)"


def _break_json(out):
    with (out / "manifest.jsonl").open("a") as fh:
        fh.write("{not json\n")
    return "line 5: not valid JSON"


def _break_no_manifest(out):
    (out / "manifest.jsonl").unlink()
    return "not an rssn compose output (no manifest.jsonl)"


def _break_other_manifest(out):
    (out / "manifest.jsonl").write_text('{"file": "a.png", "label": 3}\n')
    return "line 1: no 'id' field (not an rssn manifest?)"


def _break_truncated(out):
    path = out / "image" / "GT08_0.png"
    path.write_bytes(path.read_bytes()[:20])
    return "image/GT08_0.png: cannot be read"


def _break_size(out):
    Image.open(out / "bg" / "GT02_1.png").resize((10, 10)).save(out / "bg" / "GT02_1.png")
    return (
        "composite GT02_1: outputs differ in size "
        "(image 160x120, alpha 160x120, fg 160x120, bg 10x10"
    )


def _break_changed_pixels(out):
    path = out / "bg" / "GT02_1.png"
    bg = read_rgb(path).copy()
    bg[0, 0] ^= 1
    write_image(path, bg)  # still a valid PNG of the right size
    return "bg/GT02_1.png: changed since rssn compose wrote it (SHA-256 differs from .rssn/done)"


def _break_edited_recipe(out):
    _rewrite(out, lambda rows: rows[2]["recipe"].update(blur_kernel=60))
    return "line 3: composite GT08_0 differs from what rssn compose recorded"


BREAKS = [
    _break_changed_pixels,
    _break_edited_recipe,
    _break_extra_file,
    _break_missing_image,
    _break_dropped_row,
    _break_id,
    _break_duplicate,
    _break_escape,
    _break_partial_trimap,
    _break_json,
    _break_no_manifest,
    _break_other_manifest,
    _break_truncated,
    _break_size,
]


@pytest.mark.parametrize("damage", BREAKS, ids=lambda f: f.__name__[7:])
def test_bad_folders_are_refused_with_the_file_and_the_cause(fresh, damage, tmp_path):
    expected = damage(fresh)
    local = tmp_path / "hub"
    with pytest.raises(pub.PublishError) as info:
        pub.write_hub_folder(fresh, local)
    assert expected in str(info.value)
    assert not local.exists() and not list(tmp_path.glob(".hub*"))


def test_a_folder_of_images_is_not_a_compose_output(tmp_path, testdata):
    shutil.copytree(testdata / "matting" / "tiny", tmp_path / "tiny")
    with pytest.raises(pub.PublishError, match=r"tiny: not an rssn compose output"):
        pub.read_compose(tmp_path / "tiny")
    with pytest.raises(pub.PublishError, match="no such folder"):
        pub.read_compose(tmp_path / "nope")


def test_local_folder_with_foreign_files_is_not_replaced(composed, tmp_path):
    local = tmp_path / "mine"
    local.mkdir()
    (local / "thesis.tex").write_text("precious")
    with pytest.raises(pub.PublishError, match=r"holds files rssn publish did not write \(thesis"):
        pub.write_hub_folder(composed, local)
    assert (local / "thesis.tex").read_text() == "precious"


# -- pushing to a Hub (a local server speaking the Hub API) -----------------------------


@pytest.fixture
def hub(monkeypatch):
    # upload_folder streams through Xet when hf_xet is installed; the Xet storage protocol
    # is out of reach of a test server, so the test takes the client's HTTP/LFS path.
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_DISABLE_XET", True)
    with FakeHub(TOKEN) as server:
        yield server


def _local_files(local: Path) -> dict[str, bytes]:
    return {
        p.relative_to(local).as_posix(): p.read_bytes() for p in local.rglob("*") if p.is_file()
    }


def test_push_uploads_exactly_the_local_folder_and_removes_stale_shards(composed, tmp_path, hub):
    local = tmp_path / "hub"
    rows = [json.loads(x) for x in (composed / "manifest.jsonl").read_text().splitlines()]
    one_row = max(sum((composed / p).stat().st_size for p in r["outputs"].values()) for r in rows)
    pub.write_hub_folder(composed, local, max_row_group_bytes=one_row, max_shard_bytes=one_row)
    first = _local_files(local)
    assert len([p for p in first if p.startswith("data/train-")]) == 4
    url = pub.push(local, "alice/rssn-tiny", private=True, endpoint=hub.url, token=TOKEN)
    assert url.startswith(f"{hub.url}/datasets/alice/rssn-tiny/commit/")
    repo = hub.repos["alice/rssn-tiny"]
    assert repo["private"] is True
    assert repo["files"] == first
    # the Parquet shards went through the LFS batch API and a PUT each, checked by sha256
    shards = {hashlib.sha256(b).hexdigest() for p, b in first.items() if p.endswith(".parquet")}
    assert set(hub.lfs) == shards and len(shards) == 4

    # republish with other shards: the old ones must go, or the dataset would gain rows
    pub.write_hub_folder(composed, local, split_by="fg-hash:0.3")
    second = _local_files(local)
    pub.push(local, "alice/rssn-tiny", endpoint=hub.url, token=TOKEN)
    assert repo["files"] == second
    assert sorted(hub.commits[-1]["deleted"]) == sorted(p for p in first if p not in second)
    assert ("POST", "/api/repos/create") in hub.requests


def test_push_with_a_refused_token_says_so_without_showing_it(published, hub):
    _, local, _ = published
    with pytest.raises(pub.HubError, match=r"refused the upload to alice/x \(HTTP 401\)") as info:
        pub.push(local, "alice/x", endpoint=hub.url, token="hf_wrongWrongWrong")
    assert "hf_wrongWrongWrong" not in str(info.value)
    assert hub.repos == {} and hub.lfs == {}


def test_push_to_an_unreachable_hub_is_one_clear_error(published, hub):
    _, local, _ = published
    with pytest.raises(pub.HubError, match=r"could not reach the Hub at http://127\.0\.0\.1:9"):
        pub.push(local, "alice/x", endpoint="http://127.0.0.1:9", token=TOKEN)


# -- the command line -------------------------------------------------------------------


def _run(args, *, env_extra=None, tmp_path):
    env = subprocess_env()
    for key in [k for k in env if k.startswith("HF_")]:
        del env[key]
    env["HF_HOME"] = str(tmp_path / "hf_home")  # no stored login
    env["HF_HUB_DISABLE_XET"] = "1"
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-m", "rssn", "publish", *map(str, args)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_cli_publishes_to_the_hub_and_never_prints_the_token(fresh, tmp_path):
    with FakeHub(TOKEN) as hub:
        result = _run(
            [fresh, "--repo-id", "bob/comp", "--split-by", "fg-hash:0.3", "--private"],
            env_extra={"HF_TOKEN": TOKEN, "HF_ENDPOINT": hub.url},
            tmp_path=tmp_path,
        )
        assert result.returncode == 0, result.stderr
        assert TOKEN not in result.stdout + result.stderr
        assert "published: " in result.stdout
        repo = hub.repos["bob/comp"]
        assert repo["private"] is True
        assert repo["files"] == _local_files(fresh / "hub")  # default --local OUT_DIR/hub
        assert sorted(repo["files"]) == [
            "README.md",
            "data/test-00000-of-00001.parquet",
            "data/train-00000-of-00001.parquet",
        ]


def test_cli_dry_run_lists_the_upload_and_touches_no_network(fresh, tmp_path):
    with FakeHub(TOKEN) as hub:
        result = _run(
            [fresh, "--repo-id", "bob/comp", "--dry-run", "--local", tmp_path / "here"],
            env_extra={"HF_TOKEN": TOKEN, "HF_ENDPOINT": hub.url},
            tmp_path=tmp_path,
        )
        assert result.returncode == 0, result.stderr
        assert hub.requests == []
    out = result.stdout
    assert "would upload 2 files to datasets/bob/comp" in out
    assert "data/train-00000-of-00001.parquet" in out and "README.md" in out
    assert "Hub token: found" in out and TOKEN not in out + result.stderr
    assert "nothing uploaded (--dry-run)" in out
    assert (tmp_path / "here" / "README.md").is_file()


def test_cli_without_a_token_refuses_before_uploading(fresh, tmp_path):
    with FakeHub(TOKEN) as hub:
        result = _run(
            [fresh, "--repo-id", "bob/comp"], env_extra={"HF_ENDPOINT": hub.url}, tmp_path=tmp_path
        )
        assert hub.requests == []
    assert result.returncode == 2
    assert "no Hugging Face token: set HF_TOKEN" in result.stderr


@pytest.mark.parametrize("damage", [_break_missing_image, _break_extra_file, _break_no_manifest])
def test_cli_bad_input_is_one_line_exit_2_and_nothing_uploaded(fresh, tmp_path, damage):
    expected = damage(fresh)
    with FakeHub(TOKEN) as hub:
        result = _run(
            [fresh, "--repo-id", "bob/comp"],
            env_extra={"HF_TOKEN": TOKEN, "HF_ENDPOINT": hub.url},
            tmp_path=tmp_path,
        )
        assert hub.requests == []
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert expected in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr
    assert not (fresh / "hub").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--split-by", "half"], "expected none, fg-hash:FRACTION or field:NAME"),
        (["--repo-id", "noslash"], "--repo-id noslash: expected namespace/name"),
    ],
)
def test_cli_bad_options(composed, tmp_path, args, message):
    result = _run([composed, *args], tmp_path=tmp_path)
    assert result.returncode == 2
    assert message in " ".join(result.stderr.split())


def test_import_rssn_does_not_import_datasets_or_the_hub_client():
    code = (
        "import sys, rssn, rssn.cli; "
        "print(','.join(m for m in ('datasets', 'pyarrow', 'huggingface_hub') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=subprocess_env(), capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


def test_absolute_background_paths_are_published_relative_to_the_background_root(fresh):
    run = json.loads((fresh / "run.json").read_text())
    bg_root = Path(run["config"]["bg"])

    def absolute(rows):
        rows[0]["recipe"]["bg"] = str(bg_root / "sub" / "x.jpg")
        rows[1]["recipe"]["bg"] = "/elsewhere/y.jpg"

    shutil.rmtree(fresh / ".rssn")  # no done records: a manifest edited by another tool
    _rewrite(fresh, absolute)
    dd = pub.to_dataset_dict(fresh)
    assert dd["train"]["bg_id"][:3] == ["sub/x.jpg", "y.jpg", _manifest(fresh)[2]["recipe"]["bg"]]
    assert json.loads(dd["train"]["recipe"][0])["bg"] == "sub/x.jpg"


def test_the_training_example_of_the_docs_runs_on_a_published_folder(published, tmp_path):
    _, local, _ = published
    doc = (Path(__file__).resolve().parents[1] / "docs" / "publish.md").read_text()
    start = doc.index("<!-- training example")
    code = doc[
        doc.index("```python\n", start) + 10 : doc.index("```\n", doc.index("```python", start))
    ]
    assert code.count('"me/rssn-comp1k"') == 2
    code = code.replace('"me/rssn-comp1k"', f'"{local}", cache_dir="{tmp_path}"')
    scope: dict = {}
    exec(compile(code, "docs/publish.md", "exec"), scope)
    batch = scope["batch"]
    assert batch["image"].shape == (2, 3, 120, 160) and batch["alpha"].shape == (2, 1, 120, 160)
    assert 0.0 <= float(batch["alpha"].min()) and float(batch["alpha"].max()) <= 1.0
    assert scope["recipe"]["fg_id"] == "GT08"  # train holds GT08 under fg-hash:0.3


def test_the_published_recipe_cooks_the_published_composite_again(published, tmp_path, testdata):
    """A row's recipe, with the inputs it names, gives back its image, fg and bg exactly."""
    out, local, _ = published
    dd = _load(local, tmp_path)
    rows = {r["id"]: r for r in _manifest(out)}
    for split in dd.values():
        for ex in split:
            recipe = rssn.Recipe.from_dict(json.loads(ex["recipe"]))
            inputs = rows[ex["id"]]["inputs"]
            cooked = rssn.cook(
                recipe,
                alpha=read_alpha(inputs["alpha"]),
                fg=read_rgb(inputs["fg"]),
                background=read_rgb(testdata / "backgrounds" / "clean" / ex["bg_id"]),
            )
            np.testing.assert_array_equal(cooked.image, np.asarray(ex["image"]))
            np.testing.assert_array_equal(cooked.fg, np.asarray(ex["fg"]))
            np.testing.assert_array_equal(cooked.bg, np.asarray(ex["bg"]))
            np.testing.assert_array_equal(cooked.alpha, np.asarray(ex["alpha"]))


def test_jpeg_composites_are_published_as_their_jpeg_bytes(composed, tmp_path, testdata):
    out = tmp_path / "jpeg"
    result = CliRunner().invoke(
        rssn_app,
        [
            "compose", "--fg", str(composed.parent / "comp1k"),
            "--bg", str(testdata / "backgrounds" / "clean"), "--k", "1", "--out", str(out),
            "--denoise-p", "0", "--jpeg", "--workers", "1", "--quiet",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    pub.write_hub_folder(out, tmp_path / "hub")
    ds = _load(tmp_path / "hub", tmp_path)["train"]
    assert "trimap" not in ds.features  # composed without --trimap
    raw = ds.cast_column("image", ds.features["image"].__class__(decode=False))
    for ex, enc in zip(ds, raw, strict=True):
        assert enc["image"]["bytes"] == (out / "image" / f"{ex['id']}.jpg").read_bytes()
        assert ex["image"].format == "JPEG"


def test_cli_publishes_backgrounds_as_a_second_config(composed, tmp_path, testdata):
    bg = tmp_path / "bg"
    for sub, src in (("train", "mate_Storm.jpg"), ("val", "life_by_Aitzol_Berasategi.jpg")):
        (bg / sub).mkdir(parents=True)
        Image.open(testdata / "backgrounds" / "clean" / src).reduce(16).save(bg / sub / src)
    local = tmp_path / "hub"
    result = _run([composed, "--local", local, "--backgrounds", bg], tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "backgrounds │ validation │    1" in result.stdout
    assert "would upload 4 files to (no --repo-id given)" in result.stdout
    assert sorted(p.relative_to(local).as_posix() for p in local.rglob("*.parquet")) == [
        "backgrounds/train-00000-of-00001.parquet",
        "backgrounds/validation-00000-of-00001.parquet",
        "data/train-00000-of-00001.parquet",
    ]


def test_the_card_counts_inputs_that_compose_skipped(fresh, tmp_path):
    (fresh / "errors.jsonl").write_text('{"fg": "GT99", "error": "x"}\n{"fg": "GT98"}\n')
    pub.write_hub_folder(fresh, tmp_path / "hub")
    text = (tmp_path / "hub" / "README.md").read_text()
    assert "2 input(s) failed in `rssn compose` (`--on-error skip`)" in text
    (fresh / "errors.jsonl").unlink()
    pub.write_hub_folder(fresh, tmp_path / "hub3")
    assert "failed in `rssn compose`" not in (tmp_path / "hub3" / "README.md").read_text()


def test_cli_without_the_datasets_extra_says_what_to_install(composed):
    code = (
        "import sys; sys.modules['datasets'] = None; "  # as if the extra were not installed
        f"sys.argv = ['rssn', 'publish', {str(composed)!r}]; "
        "from rssn.cli import main; main()"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=subprocess_env(), capture_output=True, text=True
    )
    assert result.returncode == 2
    assert 'rssn publish needs datasets: pip install "mattekit[datasets]"' in result.stderr
    assert "Traceback" not in result.stderr


def test_the_card_reads_back_through_huggingface_hub_and_datasets(published):
    from datasets.info import DatasetInfosDict
    from huggingface_hub import DatasetCard

    _, local, _ = published
    card = DatasetCard.load(local / "README.md")  # a local path: no network
    assert card.data.license == "other" and card.data.size_categories == ["n<1K"]
    infos = DatasetInfosDict.from_dataset_card_data(card.data)
    assert infos["default"].features == pub.composite_features(
        ("image", "alpha", "fg", "bg", "trimap"), list(pub.RECIPE_COLUMNS)
    )
    assert {k: v.num_examples for k, v in infos["default"].splits.items()} == {
        "train": 2,
        "test": 2,
    }
    assert "## Sources and licenses" in card.text and "*to be completed*" in card.text
