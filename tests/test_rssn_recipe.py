"""RSSN recipes: the draw (probabilities, kernels, seeds, dealing) and the deterministic cook."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rssn import (
    BLUR_KERNELS,
    Params,
    Recipe,
    add_noise,
    composite,
    cook,
    deal_backgrounds,
    denoise,
    draw_recipe,
    fit_background,
    stable_int,
)

SIZE = (48, 32)  # (width, height) of the test foregrounds
BG_SIZE = (80, 60)


def draw(fg_id="fg", k=0, seed=0, **kw):
    params = kw.pop("params", None)
    return draw_recipe(seed, fg_id, k, size=SIZE, bg="b.jpg", bg_size=BG_SIZE, params=params, **kw)


def many(n=4000, **kw):
    return [draw(f"fg{i // 5}", i % 5, **kw) for i in range(n)]


def test_stable_int_is_pinned():
    # changing this changes every published dataset: it must never move
    assert stable_int("GT02") == 14819045259100049711
    # sha256(b"") starts e3 b0 c4 42 98 fc 1c 14; read little-endian: 0x141cfc9842c4b0e3
    assert stable_int("") == 0x141CFC9842C4B0E3


def test_recipe_draw_is_pinned():
    r = draw_recipe(0, "GT02", 0, size=(800, 524), bg="a.jpg", bg_size=(3088, 2056))
    assert (r.denoise, r.blur_kernel, r.noise) == (True, 0, False)
    assert r.crop == (0, 6, 3088, 2023)
    assert r.noise_seed == 2302233915144132368


def test_probabilities_hold_over_many_draws():
    recipes = many()
    # 4000 Bernoulli(0.5) draws: std of the frequency 0.0079; tolerance 0.03 (~3.8 std)
    for field in ("denoise", "noise"):
        freq = np.mean([getattr(r, field) for r in recipes])
        assert abs(freq - 0.5) < 0.03, (field, freq)
    assert abs(np.mean([r.blur_kernel > 0 for r in recipes]) - 0.5) < 0.03
    # the three flips are independent: both denoise and noise about 1/4
    both = np.mean([r.denoise and r.noise for r in recipes])
    assert abs(both - 0.25) < 0.03


def test_probabilities_follow_params():
    params = Params(denoise_p=0.2, blur_p=0.9, noise_p=0.0)
    recipes = many(params=params)
    assert abs(np.mean([r.denoise for r in recipes]) - 0.2) < 0.03
    assert abs(np.mean([r.blur_kernel > 0 for r in recipes]) - 0.9) < 0.03
    assert not any(r.noise for r in recipes)
    always = many(n=500, params=Params(denoise_p=1, blur_p=1, noise_p=1))
    assert all(r.denoise and r.noise and r.blur_kernel for r in always)


def test_blur_kernels_only_from_the_set_and_uniform():
    kernels = Counter(r.blur_kernel for r in many() if r.blur_kernel)
    assert set(kernels) == set(BLUR_KERNELS)
    n = sum(kernels.values())  # about 2000: each kernel ~400 +- 18
    assert all(abs(c / n - 0.2) < 0.04 for c in kernels.values()), kernels
    custom = {r.blur_kernel for r in many(n=500, params=Params(blur_p=1, blur_kernels=(7, 9)))}
    assert custom == {7, 9}


def test_non_salient_foregrounds_are_always_blurred():
    recipes = many(n=1000, fg_type="NS")
    assert all(r.blur_kernel in BLUR_KERNELS for r in recipes)
    # the other draws do not change with the type
    plain = many(n=1000)
    assert [(r.denoise, r.noise, r.noise_seed) for r in recipes] == [
        (r.denoise, r.noise, r.noise_seed) for r in plain
    ]
    # an SO or STM foreground follows blur_p
    so = many(n=1000, fg_type="SO")
    assert [r.blur_kernel for r in so] == [r.blur_kernel for r in plain]
    with pytest.raises(ValueError):
        draw(fg_type="so")


def test_draw_depends_on_seed_fg_and_k_only():
    assert draw("a", 1, seed=3) == draw("a", 1, seed=3)
    seeds = {draw("a", 1, seed=s).noise_seed for s in range(5)}
    seeds |= {draw(f, 1).noise_seed for f in "bcde"}
    seeds |= {draw("a", k).noise_seed for k in range(2, 7)}
    assert len(seeds) == 5 + 4 + 5


def test_recipe_round_trips_through_json_and_is_frozen():
    r = draw("GT02", 3, params=Params(fit="stretch"), fg_type="STM", estimate_foreground=True)
    d = json.loads(json.dumps(r.to_dict()))
    assert Recipe.from_dict(d) == r
    assert d["blur_kernel"] in (0, *BLUR_KERNELS) and d["fit"] == "stretch"
    assert d["fg_method"] == "multilevel" and d["fg_type"] == "STM"
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.k = 4
    with pytest.raises(ValueError, match="unknown"):
        Recipe.from_dict({**d, "extra": 1})
    del d["crop"]
    with pytest.raises(ValueError, match="incomplete"):
        Recipe.from_dict(d)


def test_params_validate_and_round_trip():
    p = Params(noise_std=5, blur_kernels=[20, 40])
    assert p.blur_kernels == (20, 40)
    assert Params.from_dict(json.loads(json.dumps(p.to_dict()))) == p
    for bad in (
        {"denoise_p": 1.5},
        {"blur_kernels": ()},
        {"blur_kernels": (0,)},
        {"fit": "crop"},
        {"denoise_method": "x"},
        {"fg_method": "x"},
        {"noise_std": -1},
    ):
        with pytest.raises(ValueError):
            Params(**bad)


def test_params_have_one_spelling_in_json():
    # run.json compares configurations byte for byte: 1 and 1.0 must not differ
    ints = Params(denoise_p=1, blur_p=0, noise_p=1, noise_std=10, denoise_sigma=5)
    floats = Params(denoise_p=1.0, blur_p=0.0, noise_p=1.0, noise_std=10.0, denoise_sigma=5.0)
    assert json.dumps(ints.to_dict()) == json.dumps(floats.to_dict())
    assert json.dumps(ints.to_dict()) != json.dumps(Params().to_dict())


def test_deal_backgrounds_without_replacement():
    deal = deal_backgrounds(7, n_fg=4, k=5, n_bg=20)
    assert deal.shape == (4, 5)
    assert len(set(deal.ravel().tolist())) == 20  # a big enough pool: no repeats in the run
    small = deal_backgrounds(7, n_fg=10, k=5, n_bg=7)
    assert all(len(set(row)) == 5 for row in small.tolist())  # distinct per foreground
    counts = Counter(small.ravel().tolist())  # 50 slots over 7: each used 7 or 8 times
    assert set(counts.values()) <= {7, 8}
    assert np.array_equal(deal_backgrounds(7, 4, 5, 20), deal)
    assert not np.array_equal(deal_backgrounds(8, 4, 5, 20), deal)
    with pytest.raises(ValueError, match="K = 6"):
        deal_backgrounds(0, n_fg=1, k=6, n_bg=5)


# cook


@pytest.fixture()
def layers():
    rng = np.random.default_rng(4)
    W, H = SIZE
    fg = rng.integers(0, 256, (H, W, 3), dtype=np.uint8)
    alpha = rng.integers(0, 256, (H, W), dtype=np.uint8)
    alpha[:8] = 0
    alpha[-8:] = 255
    bw, bh = BG_SIZE
    yy, xx = np.mgrid[0:bh, 0:bw]
    background = np.stack([xx * 3, yy * 4, (xx + yy) * 2], axis=-1).clip(0, 255).astype(np.uint8)
    return fg, alpha, background


def test_cook_without_random_steps_is_the_plain_composite(layers):
    fg, alpha, background = layers
    r = draw(params=Params(denoise_p=0, blur_p=0, noise_p=0))
    out = cook(r, alpha=alpha, background=background, fg=fg)
    bg = fit_background(background, SIZE, r.crop)
    assert np.array_equal(out.bg, bg)
    assert np.array_equal(out.fg, fg)
    assert out.alpha is alpha or np.array_equal(out.alpha, alpha)
    assert np.array_equal(out.image, composite(fg, alpha, bg))


def test_cook_is_deterministic_and_replays_from_json(layers):
    fg, alpha, background = layers
    params = Params(denoise_p=1, blur_p=1, noise_p=1, denoise_method="nlm")
    r = draw(params=params)
    a = cook(r, alpha=alpha, background=background, fg=fg)
    b = cook(
        Recipe.from_dict(json.loads(json.dumps(r.to_dict()))),
        alpha=alpha,
        background=background,
        fg=fg,
    )
    for x, y in zip(a, b, strict=True):
        assert x.tobytes() == y.tobytes()


def test_noisy_layers_recompose_the_noisy_composite(layers):
    fg, alpha, background = layers
    fg = (fg // 2 + 64).astype(np.uint8)  # keep F + n and B + n mostly inside [0, 255]
    background = (background // 2 + 64).astype(np.uint8)
    r = draw(params=Params(denoise_p=0, blur_p=0, noise_p=1))
    out = cook(r, alpha=alpha, background=background, fg=fg)
    clean = cook(dataclasses.replace(r, noise=False), alpha=alpha, background=background, fg=fg)
    assert not np.array_equal(out.image, clean.image)
    assert np.array_equal(out.image, add_noise(clean.image, r.noise_std, r.noise_seed))
    assert abs((out.image.astype(float) - clean.image).std() - 10) < 1
    a = alpha.astype(np.float64)[..., None] / 255
    recomposed = a * out.fg + (1 - a) * out.bg
    # rounding F + n, B + n and C + n: at most 1.5 levels apart where nothing clipped
    inside = (out.fg > 0) & (out.fg < 255) & (out.bg > 0) & (out.bg < 255)
    assert np.abs(recomposed - out.image)[inside].max() <= 1.5
    assert np.abs(recomposed - out.image)[inside].mean() < 0.5


def test_cook_blurs_with_the_recipes_kernel(layers):
    fg, alpha, background = layers
    r = draw(params=Params(denoise_p=0, blur_p=1, noise_p=0, blur_kernels=(20,)))
    out = cook(r, alpha=alpha, background=background, fg=fg)
    import cv2

    assert np.array_equal(out.bg, cv2.blur(fit_background(background, SIZE, r.crop), (20, 20)))


def test_cook_checks_its_inputs(layers):
    fg, alpha, background = layers
    r = draw()
    with pytest.raises(ValueError, match="exactly one"):
        cook(r, alpha=alpha, background=background)
    with pytest.raises(ValueError, match="background is"):
        cook(r, alpha=alpha, background=background[:10], fg=fg)
    with pytest.raises(ValueError, match="alpha"):
        cook(r, alpha=alpha[:4], background=background, fg=fg)
    with pytest.raises(ValueError, match="fg_method"):
        cook(r, alpha=alpha, background=background, image=fg)


def test_cook_uses_the_cache_for_expensive_steps(layers):
    fg, alpha, background = layers
    calls = []

    def cache(step, options, inputs, compute):
        calls.append((step, options, [x.shape for x in inputs]))
        return compute()

    r = draw(params=Params(denoise_p=1, denoise_method="nlm"))
    cook(r, alpha=alpha, background=background, fg=fg, cache=cache)
    assert [c[0] for c in calls] == ["denoise", "denoise"]
    assert calls[0][1] == {"method": "nlm", "sigma": None}


def test_denoise_at_source_denoises_the_file_then_fits_and_fit_the_other_way(layers):
    fg, alpha, background = layers
    base = {"denoise_p": 1, "blur_p": 0, "noise_p": 0, "denoise_method": "nlm"}
    src = draw(params=Params(**base, denoise_sigma=20))
    assert src.denoise_at == "source"  # the default: as the GFM code
    out = cook(src, alpha=alpha, background=background, fg=fg)
    expected = fit_background(denoise(background, "nlm", 20), SIZE, src.crop)
    assert np.array_equal(out.bg, expected)
    assert np.array_equal(out.fg, denoise(fg, "nlm", 20))
    at_fit = draw(params=Params(**base, denoise_sigma=20, denoise_at="fit"))
    assert (at_fit.denoise_at, at_fit.crop) == ("fit", src.crop)  # no other draw changes
    out_fit = cook(at_fit, alpha=alpha, background=background, fg=fg)
    windowed = denoise(fit_background(background, SIZE, src.crop), "nlm", 20)
    assert np.array_equal(out_fit.bg, windowed) and not np.array_equal(out_fit.bg, out.bg)
    assert Recipe.from_dict(at_fit.to_dict()) == at_fit
    with pytest.raises(ValueError, match="denoise_at"):
        Params(denoise_at="later")


@settings(max_examples=60, deadline=None)
@given(
    W=st.integers(1, 40),
    H=st.integers(1, 40),
    bw=st.integers(1, 60),
    bh=st.integers(1, 60),
    seed=st.integers(0, 2**32),
    k=st.integers(0, 9),
    fit=st.sampled_from(["cover", "stretch"]),
)
def test_cook_shapes_dtypes_and_alpha_for_any_sizes(W, H, bw, bh, seed, k, fit):
    rng = np.random.default_rng(seed)
    fg = rng.integers(0, 256, (H, W, 3), dtype=np.uint8)
    alpha = rng.integers(0, 256, (H, W), dtype=np.uint8)
    background = rng.integers(0, 256, (bh, bw, 3), dtype=np.uint8)
    params = Params(denoise_p=0, blur_p=0.5, noise_p=0.5, fit=fit)
    r = draw_recipe(seed, "x", k, size=(W, H), bg="b", bg_size=(bw, bh), params=params)
    out = cook(r, alpha=alpha, background=background, fg=fg)
    for arr, shape in zip(out, [(H, W, 3), (H, W), (H, W, 3), (H, W, 3)], strict=True):
        assert arr.dtype == np.uint8 and arr.shape == shape
    assert np.array_equal(out.alpha, alpha)
    x, y, w, h = r.crop
    assert 0 <= x and 0 <= y and x + w <= bw and y + h <= bh


@settings(max_examples=40, deadline=None)
@given(
    W=st.integers(1, 48),
    H=st.integers(1, 48),
    seed=st.integers(0, 2**32),
    noise=st.booleans(),
    blur=st.booleans(),
    data=st.data(),
)
def test_cook_in_a_window_is_the_window_of_the_whole_cook(W, H, seed, noise, blur, data):
    rng = np.random.default_rng(seed)
    fg = rng.integers(0, 256, (H, W, 3), dtype=np.uint8)
    alpha = rng.integers(0, 256, (H, W), dtype=np.uint8)
    background = rng.integers(0, 256, (37, 53, 3), dtype=np.uint8)
    params = Params(denoise_p=0, blur_p=float(blur), noise_p=float(noise), blur_kernels=(5,))
    r = draw_recipe(seed, "x", 0, size=(W, H), bg="b", bg_size=(53, 37), params=params)
    assert r.noise == noise and bool(r.blur_kernel) == blur
    x = data.draw(st.integers(0, W - 1))
    y = data.draw(st.integers(0, H - 1))
    w = data.draw(st.integers(1, W - x))
    h = data.draw(st.integers(1, H - y))
    whole = cook(r, alpha=alpha, background=background, fg=fg)
    part = cook(r, alpha=alpha, background=background, fg=fg, window=(x, y, w, h))
    for a, b in zip(whole, part, strict=True):
        assert b.flags.c_contiguous and b.dtype == np.uint8
        assert b.tobytes() == np.ascontiguousarray(a[y : y + h, x : x + w]).tobytes()


def test_cook_in_a_window_with_every_step_and_the_cache(layers):
    fg, alpha, background = layers
    calls = []

    def cache(step, options, inputs, compute):
        calls.append([x.shape for x in inputs])
        return compute()

    r = draw(params=Params(denoise_p=1, blur_p=1, noise_p=1, denoise_method="nlm"))
    whole = cook(r, alpha=alpha, background=background, fg=fg)
    part = cook(r, alpha=alpha, background=background, fg=fg, cache=cache, window=(3, 5, 17, 9))
    # denoised whole, the background as the file (denoise_at="source"): same cache keys
    assert calls == [[(BG_SIZE[1], BG_SIZE[0], 3)], [(SIZE[1], SIZE[0], 3)]]
    for a, b in zip(whole, part, strict=True):
        assert b.shape[:2] == (9, 17)
        assert np.array_equal(b, a[5:14, 3:20])
    W, H = SIZE
    for bad in [(-1, 0, 2, 2), (0, 0, 0, 2), (W - 1, 0, 2, 1), (0, H, 1, 1)]:
        with pytest.raises(ValueError, match="window"):
            cook(r, alpha=alpha, background=background, fg=fg, window=bad)
