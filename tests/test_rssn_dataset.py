"""rssn.CompositeDataset: real DataLoaders over the real mattes and backgrounds."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch  # in the test extra (through ultralytics): the real DataLoader, never skipped
from torch.utils.data import DataLoader, DistributedSampler

import rssn
from rssn import CompositeDataset, EpochSampler, Params
from rssn._crops import apply_window
from trimaps.io import ImageError, read_alpha, read_rgb, write_image

IDS = ("GT02", "GT13", "GT25")
ARRAYS = ("image", "alpha", "fg", "bg", "trimap")


@pytest.fixture(scope="module")
def fgset(alphamatting, tmp_path_factory) -> Path:
    """Composition-1k layout over real photos and their ground-truth mattes (F = photo)."""
    root = tmp_path_factory.mktemp("fgset")
    for sub in ("fg", "alpha"):
        (root / sub).mkdir()
    for i in IDS:
        (root / "fg" / f"{i}.png").symlink_to(alphamatting / "input" / f"{i}.png")
        (root / "alpha" / f"{i}.png").symlink_to(alphamatting / "gt_alpha" / f"{i}.png")
    return root


@pytest.fixture(scope="module")
def bgset(testdata, tmp_path_factory) -> Path:
    """The real clean backgrounds, shrunk to 960 px wide so the loaders stay quick."""
    root = tmp_path_factory.mktemp("bgset")
    for path in sorted((testdata / "backgrounds" / "clean").glob("*.jpg")):
        img = read_rgb(path)
        h, w = img.shape[:2]
        small = cv2.resize(img, (960, round(h * 960 / w)), interpolation=cv2.INTER_AREA)
        write_image(root / path.name, small)
    return root


NO_DENOISE = Params(denoise_p=0.0)


def make(fgset, bgset, **kw) -> CompositeDataset:
    kw.setdefault("k", 2)
    kw.setdefault("params", NO_DENOISE)
    return CompositeDataset(fgset, bgset, **kw)


def batches(loader) -> list[dict]:
    return [{k: v.clone() if hasattr(v, "clone") else v for k, v in b.items()} for b in loader]


def assert_same(a: list[dict], b: list[dict]) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert x.keys() == y.keys()
        for key in set(ARRAYS) & set(x):
            assert torch.equal(x[key], y[key]), key
        assert x["recipe"] == y["recipe"]
        assert x["crop"] == y["crop"]


def differ(a: list[dict], b: list[dict]) -> bool:
    return any(not torch.equal(x["image"], y["image"]) for x, y in zip(a, b, strict=True))


def loader(ds, workers, **kw):
    return DataLoader(
        ds, batch_size=2, num_workers=workers, collate_fn=rssn.collate, shuffle=False, **kw
    )


# ------------------------------------------------------------ DataLoader reproducibility


def test_same_batches_across_runs_and_worker_counts(fgset, bgset):
    ds = make(fgset, bgset, crop="gfm", targets=("trimap",))
    assert len(ds) == len(IDS) * 2
    two = batches(loader(ds, 2))
    again = batches(loader(make(fgset, bgset, crop="gfm", targets=("trimap",)), 2))
    zero = batches(loader(ds, 0))
    assert_same(two, again)
    assert_same(two, zero)
    b = two[0]
    assert b["image"].shape == (2, 320, 320, 3) and b["image"].dtype == torch.uint8
    assert b["trimap"].shape == (2, 320, 320)
    assert set(np.unique(b["trimap"].numpy())) <= {0, 128, 255}
    assert [r["fg_id"] for r in b["recipe"]] == ["GT02", "GT02"]
    assert [r["k"] for r in b["recipe"]] == [0, 1]


def test_set_epoch_draws_new_samples_and_reaches_persistent_workers(fgset, bgset):
    ds = make(fgset, bgset, crop="gca")
    dl = loader(ds, 2, persistent_workers=True, multiprocessing_context="spawn")
    e0 = batches(dl)
    ds.set_epoch(1)
    e1 = batches(dl)  # the same (persistent) worker processes
    ds.set_epoch(0)
    e0_again = batches(dl)
    assert differ(e0, e1)
    assert_same(e0, e0_again)
    fresh1 = batches(loader(make(fgset, bgset, crop="gca", epoch=1), 0))
    assert_same(e1, fresh1)
    assert [r["k"] for b in e1 for r in b["recipe"]] == [2, 3] * len(IDS)
    assert all(b["image"].shape[1:] == (512, 512, 3) for b in e1)


def test_epoch_sampler_carries_the_epoch_with_each_index(fgset, bgset):
    ds = make(fgset, bgset, crop="gfm")
    sampler = EpochSampler(range(len(ds)))
    dl = DataLoader(
        ds,
        batch_size=2,
        sampler=sampler,
        num_workers=2,
        persistent_workers=True,
        collate_fn=rssn.collate,
    )
    e0 = batches(dl)
    sampler.set_epoch(3)
    e3 = batches(dl)
    assert ds.epoch == 0  # the dataset's own epoch is not used
    assert all(e == 3 for b in e3 for e in b["epoch"].tolist())
    want = [ds[(3, i)] for i in range(len(ds))]
    got = [{k: b[k][j] for k in ARRAYS[:4]} for b in e3 for j in range(2)]
    for w, g in zip(want, got, strict=True):
        for key in ARRAYS[:4]:
            assert np.array_equal(w[key], g[key].numpy()), key
    assert differ(e0, e3)


def test_distributed_sampler_ranks_split_one_epoch(fgset, bgset):
    ds = make(fgset, bgset)
    seen = []
    for rank in range(2):
        inner = DistributedSampler(ds, num_replicas=2, rank=rank, shuffle=True, seed=7)
        sampler = EpochSampler(inner)
        sampler.set_epoch(5)
        assert inner.epoch == 5  # forwarded: DistributedSampler reshuffles per epoch
        keys = list(sampler)
        assert all(e == 5 for e, _ in keys)
        seen += [i for _, i in keys]
    assert sorted(seen) == list(range(len(ds)))


# ------------------------------------------------------------ the same route as rssn compose


def test_items_are_what_the_recipe_cooks(fgset, bgset):
    """Epoch 0 is compose's run: the same deal, the same recipes, the same cook."""
    ds = make(fgset, bgset, k=2, seed=11)
    bgs = sorted(p.name for p in bgset.glob("*.jpg"))
    deal = rssn.deal_backgrounds(11, len(IDS), 2, len(bgs))
    for index in (0, 3, 5):
        i, k = divmod(index, 2)
        bg = bgset / bgs[deal[i, k]]
        alpha = read_alpha(fgset / "alpha" / f"{IDS[i]}.png")
        h, w = alpha.shape
        background = read_rgb(bg)
        recipe = rssn.draw_recipe(
            11,
            IDS[i],
            k,
            size=(w, h),
            bg=bg.name,
            bg_size=background.shape[1::-1],
            params=NO_DENOISE,
        )
        want = rssn.cook(
            recipe, alpha=alpha, background=background, fg=read_rgb(fgset / "fg" / f"{IDS[i]}.png")
        )
        item = ds[index]
        assert item["recipe"] == {**recipe.to_dict(), "denoise_skipped": False}
        for name in ("image", "alpha", "fg", "bg"):
            assert np.array_equal(item[name], getattr(want, name)), name


def test_later_epochs_continue_the_background_deal(fgset, bgset):
    ds = make(fgset, bgset, k=2, seed=3)
    n_bg = len(list(bgset.glob("*.jpg")))
    used = [ds.recipe(i, epoch).bg for epoch in range(7) for i in range(len(ds))]
    counts = {b: used.count(b) for b in set(used)}
    assert len(counts) == n_bg and max(counts.values()) - min(counts.values()) == 0  # 42 = 6 * 7
    for epoch in range(3):  # the k backgrounds of one foreground within an epoch are distinct
        for i in range(len(IDS)):
            assert ds.recipe(2 * i, epoch).bg != ds.recipe(2 * i + 1, epoch).bg


# ------------------------------------------------------------ denoising from the cache


@pytest.fixture()
def tiny(testdata, tmp_path) -> tuple[Path, Path]:
    """One real 64x64 crop (matte and photo) and three real 96x64 backgrounds."""
    am = testdata / "matting" / "alphamatting"
    fg = tmp_path / "fg"
    write_image(fg / "fg" / "GT04.png", read_rgb(am / "input" / "GT04.png")[200:264, 300:364])
    write_image(
        fg / "alpha" / "GT04.png", read_alpha(am / "gt_alpha" / "GT04.png")[200:264, 300:364]
    )
    bg = tmp_path / "bg"
    for p in sorted((testdata / "backgrounds" / "clean").glob("*.jpg"))[:3]:
        write_image(bg / p.name, cv2.resize(read_rgb(p), (96, 64), interpolation=cv2.INTER_AREA))
    return fg, bg


DENOISE = Params(denoise_p=1.0, denoise_method="nlm", denoise_sigma=10.0, blur_p=0.0, noise_p=0.0)


def test_missing_denoised_images_are_skipped_with_one_warning(tiny):
    fg, bg = tiny
    ds = CompositeDataset(fg, bg, k=3, params=DENOISE, on_missing_denoise="skip")
    rssn._dataset._warned.clear()
    with pytest.warns(RuntimeWarning, match="denoised images missing") as record:
        items = [ds[i] for i in range(3)]
    assert len([w for w in record if "denoised" in str(w.message)]) == 1
    plain = CompositeDataset(fg, bg, k=3, params=Params(denoise_p=0.0, blur_p=0.0, noise_p=0.0))
    for i, item in enumerate(items):
        assert ds.recipe(i).denoise  # drawn with denoising (p = 1) ...
        assert item["recipe"]["denoise"] is False and item["recipe"]["denoise_skipped"] is True
        assert np.array_equal(item["image"], plain[i]["image"])  # ... and made without it


def test_compute_fills_the_cache_and_skip_then_serves_it(tiny, tmp_path):
    fg, bg = tiny
    cache = tmp_path / "cache"
    rssn._dataset._warned.clear()
    computing = CompositeDataset(
        fg, bg, k=2, params=DENOISE, cache=cache, on_missing_denoise="compute"
    )
    with pytest.warns(RuntimeWarning, match="computing"):
        made = [computing[i] for i in range(2)]
    assert len(list(cache.rglob("*.png"))) == 3  # F once, two background files
    served = CompositeDataset(fg, bg, k=2, params=DENOISE, cache=cache, on_missing_denoise="skip")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = [served[i] for i in range(2)]
    for a, b in zip(made, again, strict=True):
        assert b["recipe"]["denoise"] is True and b["recipe"]["denoise_skipped"] is False
        assert np.array_equal(a["image"], b["image"])
    # and it is the denoised composite, not the plain one
    plain = CompositeDataset(fg, bg, k=2, params=Params(denoise_p=0.0, blur_p=0.0, noise_p=0.0))
    assert not np.array_equal(plain[0]["fg"], made[0]["fg"])


# ------------------------------------------------------------ bad input at construction


def copy_set(fgset, bgset, tmp_path) -> tuple[Path, Path]:
    fg = tmp_path / "fg"
    for sub in ("fg", "alpha"):
        (fg / sub).mkdir(parents=True)
        for i in IDS[:2]:
            (fg / sub / f"{i}.png").write_bytes((fgset / sub / f"{i}.png").read_bytes())
    bg = tmp_path / "bg"
    bg.mkdir()
    for p in sorted(bgset.glob("*.jpg"))[:3]:
        (bg / p.name).write_bytes(p.read_bytes())
    return fg, bg


def expect_error(fg, bg, path: Path, *words, **kw):
    with pytest.raises(ImageError) as info:
        CompositeDataset(fg, bg, k=2, **kw)
    message = str(info.value)
    assert message.startswith(str(path)), message
    for word in words:
        assert word in message, message


def test_a_foreground_without_a_matte(fgset, bgset, tmp_path):
    fg, bg = copy_set(fgset, bgset, tmp_path)
    (fg / "alpha" / "GT13.png").unlink()
    expect_error(fg, bg, fg / "fg" / "GT13.png", "no matte")


def test_a_matte_of_another_size(fgset, bgset, tmp_path):
    fg, bg = copy_set(fgset, bgset, tmp_path)
    write_image(fg / "alpha" / "GT13.png", np.zeros((10, 20), np.uint8))
    expect_error(fg, bg, fg / "fg" / "GT13.png", "differs", "20x10")


def test_a_truncated_foreground_and_background(fgset, bgset, tmp_path):
    fg, bg = copy_set(fgset, bgset, tmp_path)
    path = fg / "fg" / "GT02.png"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    expect_error(fg, bg, path, "truncated")
    fg, bg = copy_set(fgset, bgset, tmp_path / "again")
    jpg = sorted(bg.glob("*.jpg"))[1]
    jpg.write_bytes(jpg.read_bytes()[:5000])
    expect_error(fg, bg, jpg, "truncated")


def test_a_16_bit_matte_and_a_file_that_is_not_an_image(fgset, bgset, tmp_path):
    fg, bg = copy_set(fgset, bgset, tmp_path)
    h, w = read_alpha(fg / "alpha" / "GT02.png").shape
    cv2.imwrite(str(fg / "alpha" / "GT02.png"), np.zeros((h, w), np.uint16))
    expect_error(fg, bg, fg / "alpha" / "GT02.png", "16-bit")
    fg, bg = copy_set(fgset, bgset, tmp_path / "again")
    (bg / "notes.jpg").write_text("not a picture")
    expect_error(fg, bg, bg / "notes.jpg", "not an image")


def test_too_few_backgrounds_for_k(fgset, bgset, tmp_path):
    fg, bg = copy_set(fgset, bgset, tmp_path)
    with pytest.raises(ImageError, match="k = 4 distinct backgrounds"):
        CompositeDataset(fg, bg, k=4)


def test_bad_options_are_refused():
    with pytest.raises(ValueError, match="crop"):
        CompositeDataset("x", "y", crop="dim")
    with pytest.raises(ValueError, match="target"):
        CompositeDataset("x", "y", targets=("alpha_plus",))
    with pytest.raises(ValueError, match="on_missing_denoise"):
        CompositeDataset("x", "y", on_missing_denoise="later")


# ------------------------------------------------------------ identical to rssn compose


def run_compose(fg, bg, out, **kw):
    from rssn._compose import ComposeConfig, compose

    return compose(ComposeConfig(fg_root=fg, bg_root=bg, out=out, **kw))


@pytest.fixture(scope="module")
def composed(fgset, bgset, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("composed") / "out"
    run_compose(fgset, bgset, out, k=2, seed=5, params=NO_DENOISE, trimap="p3m")
    return out


def test_on_the_fly_items_are_the_files_rssn_compose_wrote(fgset, bgset, composed):
    ds = make(fgset, bgset, k=2, seed=5, trimap="p3m", targets=("trimap",))
    rows = [json.loads(line) for line in (composed / "manifest.jsonl").read_text().splitlines()]
    assert len(rows) == len(ds)
    for index, row in enumerate(rows):
        item = ds[index]
        assert {**row["recipe"], "denoise_skipped": False} == item["recipe"]
        for name in ("image", "fg", "bg"):
            assert np.array_equal(item[name], read_rgb(composed / row["outputs"][name])), name
        for name in ("alpha", "trimap"):
            assert np.array_equal(item[name], read_alpha(composed / row["outputs"][name])), name


def test_a_composed_folder_reads_as_the_same_items_with_the_same_crops(fgset, bgset, composed):
    on_the_fly = make(fgset, bgset, k=2, seed=5, crop="gca", targets=("rosta_tt",))
    read = CompositeDataset(composed, crop="gca", targets=("rosta_tt",), seed=5)
    assert len(read) == len(on_the_fly) and read.k == 2
    for index in range(len(read)):
        a, b = on_the_fly[index], read[index]
        assert a["crop"] == b["crop"] and a["recipe"] == b["recipe"]
        for name in ("image", "alpha", "fg", "bg", "tt_glance", "tt_focus"):
            assert np.array_equal(a[name], b[name]), name
    read.set_epoch(1)  # a composed folder has fixed composites; the crop is drawn anew
    assert read[0]["crop"] != on_the_fly[0]["crop"]
    assert read[0]["recipe"] == on_the_fly[0]["recipe"]


def test_denoising_is_served_from_the_compose_cache(tiny, tmp_path):
    fg, bg = tiny
    out = tmp_path / "out"
    run_compose(fg, bg, out, k=3, seed=2, params=DENOISE)
    rssn._dataset._warned.clear()
    ds = CompositeDataset(fg, bg, k=3, seed=2, params=DENOISE, cache=out / "cache")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing missing, nothing computed
        items = [ds[i] for i in range(3)]
    for i, item in enumerate(items):
        assert item["recipe"]["denoise"] and not item["recipe"]["denoise_skipped"]
        assert np.array_equal(item["image"], read_rgb(out / "image" / f"GT04_{i}.png"))
        assert np.array_equal(item["fg"], read_rgb(out / "fg" / f"GT04_{i}.png"))


def test_an_npy_cache_serves_the_same_items_and_computed_entries_follow_cache_format(
    tiny, tmp_path
):
    fg, bg = tiny
    out = tmp_path / "out"
    run_compose(fg, bg, out, k=3, seed=2, params=DENOISE, cache_format="npy")
    assert {p.suffix for p in (out / "cache").rglob("*.*")} == {".npy"}
    rssn._dataset._warned.clear()
    ds = CompositeDataset(fg, bg, k=3, seed=2, params=DENOISE, cache=out / "cache", crop="gca")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every denoised image is served
        items = [ds[i] for i in range(3)]
    for i, item in enumerate(items):
        assert item["recipe"]["denoise"] and not item["recipe"]["denoise_skipped"]
        window = item["crop"]
        whole = read_rgb(out / "image" / f"GT04_{i}.png")
        assert np.array_equal(item["image"], apply_window(whole, window))
    computing = CompositeDataset(
        fg, bg, k=1, params=DENOISE, cache=tmp_path / "c", cache_format="npy",
        on_missing_denoise="compute",
    )  # fmt: skip
    with pytest.warns(RuntimeWarning, match="computing"):
        computing[0]
    assert {p.suffix for p in (tmp_path / "c").rglob("*.*")} == {".npy"}
    with pytest.raises(ValueError, match="cache_format"):
        CompositeDataset(fg, bg, k=1, cache_format="zip")


def test_prefill_serves_denoising_to_every_epoch_and_to_compose(tiny, tmp_path):
    from typer.testing import CliRunner

    from rssn._prefill import prefill
    from rssn.cli import app
    from trimaps._cliutil import UsageError

    fg, bg = tiny
    cache = tmp_path / "cache"
    done = prefill(fg, bg, cache, DENOISE, workers=2, cache_format="npy")
    assert (done.foregrounds, done.backgrounds, done.computed) == (1, 3, 1 + 3)
    rssn._dataset._warned.clear()
    ds = CompositeDataset(fg, bg, k=2, seed=4, params=DENOISE, cache=cache)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing missing in any epoch
        for epoch in range(4):
            for i in range(len(ds)):
                recipe = ds[(epoch, i)]["recipe"]
                assert recipe["denoise"] and not recipe["denoise_skipped"]
    # without the prefill, later epochs would have to skip: the backgrounds change
    later = {ds.recipe(i, e).bg for i in range(2) for e in (1, 2, 3)}
    assert later - {ds.recipe(i, 0).bg for i in range(2)}
    summary = run_compose(fg, bg, tmp_path / "out", k=2, params=DENOISE, cache=cache)
    assert summary.cache_computed == 0 and summary.written == 2
    # a rerun resumes: nothing left to compute; the CLI says what it found
    result = CliRunner().invoke(
        app, ["prefill", "--fg", str(fg), "--bg", str(bg), "--cache", str(cache),
              "--denoise-method", "nlm", "--denoise-sigma", "10", "-q"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "0 results computed, 4 already there" in result.output
    with pytest.raises(UsageError, match="denoise-at fit"):
        prefill(fg, bg, cache, Params(denoise_method="nlm", denoise_at="fit"))


def test_collate_says_what_to_do_with_items_of_different_sizes(fgset, bgset):
    ds = make(fgset, bgset)  # no crop: the foregrounds differ in size
    with pytest.raises(ValueError, match="crop="):
        rssn.collate([ds[0], ds[2]])


def test_the_drop_in_example_of_the_docs_runs(fgset, bgset, tmp_path, capsys):
    """docs/dataloader.md's example, with its paths pointed at the real test data."""
    import re

    from conftest import ROOT

    text = (ROOT / "docs" / "dataloader.md").read_text()
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    assert len(code.strip().splitlines()) < 20  # the "under 20 lines"
    for old, new in {
        '"Combined_Dataset/Training_set"': repr(str(fgset)),
        '"BG-20k/train"': repr(str(bgset)),
        '"composed/cache"': repr(str(tmp_path / "cache")),
        "k=5, seed=0,": "k=2, seed=0, params=rssn.Params(denoise_p=0),",
        "range(100)": "range(2)",
        "num_workers=4": "num_workers=2",
    }.items():
        assert old in code, old
        code = code.replace(old, new)
    code += "\n        print(epoch, tuple(image.shape), tuple(alpha.shape))\n"
    exec(compile(code, "docs/dataloader.md", "exec"), {})
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["0 (6, 3, 512, 512) (6, 1, 512, 512)", "1 (6, 3, 512, 512) (6, 1, 512, 512)"]


# ------------------------------------------------------------ AIM types, estimated foregrounds


def test_types_reach_the_recipe_and_the_unified_target(fgset, bgset, tmp_path):
    types = {"GT02": "NS", "GT13": "SO", "GT25": "STM"}
    ds = make(fgset, bgset, k=2, types=types, targets=("unified",), crop="gca")
    for index in range(len(ds)):
        item = ds[index]
        kind = types[item["recipe"]["fg_id"]]
        assert item["recipe"]["fg_type"] == kind
        values = set(np.unique(item["unified"]).tolist())
        if kind == "NS":  # AIM: non-salient -> unimap 0.5, and always the blurred background
            assert values == {128} and item["recipe"]["blur_kernel"] > 0
        elif kind == "STM":  # duomap 1.5 T - T^2: {0, 0.5}
            assert values <= {0, 128}
        else:
            assert values <= {0, 128, 255}
    path = tmp_path / "types.json"
    path.write_text(json.dumps(types))
    from_file = make(fgset, bgset, k=2, types=path)
    assert [from_file.recipe(i).fg_type for i in range(6)] == ["NS"] * 2 + ["SO"] * 2 + ["STM"] * 2
    with pytest.raises(ValueError, match="unified target needs"):
        make(fgset, bgset, k=2, types={"GT02": "SO"}, targets=("unified",))


def test_estimated_foregrounds_come_from_the_compose_cache(alphamatting, bgset, tmp_path):
    """original/ + mask/ (AM-2k layout): F is estimated once by rssn compose, then served."""
    photos = tmp_path / "photos"
    (photos / "original").mkdir(parents=True)
    (photos / "mask").mkdir()
    (photos / "original" / "GT02.png").symlink_to(alphamatting / "input" / "GT02.png")
    (photos / "mask" / "GT02.png").symlink_to(alphamatting / "gt_alpha" / "GT02.png")
    out = tmp_path / "out"
    run_compose(photos, bgset, out, k=2, seed=1, params=NO_DENOISE)
    rssn._dataset._warned.clear()
    ds = CompositeDataset(photos, bgset, k=2, seed=1, params=NO_DENOISE, cache=out / "cache")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no foreground estimation here
        items = [ds[i] for i in range(2)]
    for k, item in enumerate(items):
        assert item["recipe"]["fg_method"] == "multilevel"
        assert np.array_equal(item["fg"], read_rgb(out / "fg" / f"GT02_{k}.png"))
        assert np.array_equal(item["image"], read_rgb(out / "image" / f"GT02_{k}.png"))


def test_indices_as_python_sequences_have_them(fgset, bgset):
    ds = make(fgset, bgset)
    assert ds[-1]["index"] == len(ds) - 1 and ds[-1]["recipe"] == ds[len(ds) - 1]["recipe"]
    assert ds[(2, 1)]["recipe"]["k"] == 2 * 2 + 1 and ds[(2, 1)]["epoch"] == 2
    for bad in (len(ds), -len(ds) - 1):
        with pytest.raises(IndexError):
            ds[bad]
    with pytest.raises(IndexError, match="epoch"):
        ds[(-1, 0)]


def test_the_gca_crop_is_centred_on_the_unknown_band_of_the_samples_random_trimap(fgset, bgset):
    ds = make(fgset, bgset, crop="gca", targets=("random_trimap", "trimap"))
    for index in range(len(ds)):
        item = ds[index]
        assert item["crop"]["from_unknown"] and item["crop"]["resize"] is None
        assert item["random_trimap"][256, 256] == 128  # the centre is unknown in that trimap
        assert set(np.unique(item["random_trimap"]).tolist()) <= {0, 128, 255}


@pytest.mark.parametrize("crop", ["gfm", "gca"])
def test_a_crop_cooked_in_its_window_is_the_crop_of_the_full_composite(fgset, bgset, crop):
    # cook(window=) blends and adds noise inside the crop only: the bytes must be those of
    # cropping the full-size composite, noise and blur included.
    steps = Params(denoise_p=0.0, blur_p=1.0, noise_p=1.0)
    cropped = make(fgset, bgset, crop=crop, params=steps, seed=3)
    full = make(fgset, bgset, params=steps, seed=3)
    plain = 0
    for index in range(len(cropped)):
        item, whole = cropped[index], full[index]
        assert item["recipe"] == whole["recipe"] and item["recipe"]["noise"]
        plain += item["crop"].get("resize") is None
        for name in ("image", "alpha", "fg", "bg"):
            want = rssn._crops.apply_window(whole[name], item["crop"])
            assert item[name].tobytes() == want.tobytes(), (index, name)
    assert plain > 0  # the window path ran
