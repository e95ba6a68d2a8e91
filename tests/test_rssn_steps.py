"""RSSN steps (Li et al., IJCV 2022, Pipeline 1) pinned on small hand-checked arrays."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rssn
from rssn import (
    BLUR_KERNELS,
    add_noise,
    aperture_blur,
    composite,
    denoise,
    estimate_sigma,
    fit_background,
    fit_crop,
    noise_field,
)


def rgb(value, shape=(4, 4)):
    return np.full((*shape, 3), value, np.uint8)


# composite: C = alpha F + (1 - alpha) B, float, rounded, clipped


def test_composite_hand_values():
    F, B = rgb(200, (1, 4)), rgb(100, (1, 4))
    alpha = np.array([[0, 128, 255, 51]], np.uint8)
    # 100 + a/255 * 100: 100, 150.196 -> 150, 200, 120
    assert composite(F, alpha, B)[0, :, 0].tolist() == [100, 150, 200, 120]


def test_composite_rounds_instead_of_truncating():
    # 1 * 128/255 = 0.502: rounds to 1, a uint8 cast would give 0
    assert composite(rgb(1, (1, 1)), np.array([[128]], np.uint8), rgb(0, (1, 1)))[0, 0, 0] == 1
    # 255 * 127/255 + 0 = 127 exactly
    assert composite(rgb(255, (1, 1)), np.array([[127]], np.uint8), rgb(0, (1, 1)))[0, 0, 0] == 127


def test_composite_endpoints_are_exact_and_never_wrap():
    rng = np.random.default_rng(0)
    F = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
    B = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
    assert np.array_equal(composite(F, np.full((16, 16), 255, np.uint8), B), F)
    assert np.array_equal(composite(F, np.zeros((16, 16), np.uint8), B), B)
    white = rgb(255, (16, 16))
    a = rng.integers(0, 256, (16, 16), dtype=np.uint8)
    assert np.all(composite(white, a, white) == 255)


def test_composite_refuses_mismatched_shapes():
    with pytest.raises(ValueError, match="alpha"):
        composite(rgb(0), np.zeros((3, 4), np.uint8), rgb(0))
    with pytest.raises(ValueError, match="background"):
        composite(rgb(0), np.zeros((4, 4), np.uint8), rgb(0, (4, 5)))


# add_noise: Gaussian, std 10, clipped, never wraps


def test_noise_never_wraps():
    white, black = rgb(255, (64, 64)), rgb(0, (64, 64))
    noisy_white = add_noise(white, 10, seed=3)
    noisy_black = add_noise(black, 10, seed=3)
    # about half the pixels would overflow; they stay at 255 instead of wrapping to ~0-40
    assert noisy_white.min() > 200 and (noisy_white == 255).mean() > 0.4
    assert noisy_black.max() < 60 and (noisy_black == 0).mean() > 0.4
    # the naive uint8 sum does wrap: the test would catch an implementation doing that
    wrapped = (white.astype(np.int64) + np.rint(noise_field(white.shape, 10, 3))) % 256
    assert wrapped.min() < 50


def test_noise_statistics_and_seed():
    gray = rgb(128, (256, 256))
    noisy = add_noise(gray, 10, seed=1).astype(np.float64) - 128
    # 196608 samples: std of the mean 0.023, of the std 0.016
    assert abs(noisy.mean()) < 0.1
    assert abs(noisy.std() - 10) < 0.1
    assert np.array_equal(add_noise(gray, 10, seed=1), add_noise(gray, 10, seed=1))
    assert not np.array_equal(add_noise(gray, 10, seed=1), add_noise(gray, 10, seed=2))
    # all three channels get noise (cv2.randn on a 3-channel array would fill one)
    assert all(noisy[..., c].std() > 9.5 for c in range(3))


def test_noise_field_is_a_mosaic_of_philox_tiles():
    # the definition, spelled out once: tile (ty, tx) is its own Philox stream
    field = noise_field((130, 200, 3), 10, seed=11)
    for ty, tx in [(0, 0), (0, 3), (2, 1)]:
        bits = np.random.Philox(key=[11, 0x5253534E], counter=[0, (ty << 32) | tx, 0, 0])
        tile = np.random.Generator(bits).standard_normal((64, 64, 3), dtype=np.float32) * 10
        ys, xs = slice(64 * ty, min(130, 64 * ty + 64)), slice(64 * tx, min(200, 64 * tx + 64))
        assert np.array_equal(field[ys, xs], tile[: ys.stop - ys.start, : xs.stop - xs.start])
    # a pixel's value depends on the seed and the pixel, not on the shape
    assert np.array_equal(noise_field((50, 70, 3), 10, 11), field[:50, :70])
    assert noise_field((5, 6), 10, 11).shape == (5, 6)  # gray images too


@settings(max_examples=60, deadline=None)
@given(
    H=st.integers(1, 200),
    W=st.integers(1, 200),
    seed=st.integers(0, 2**64 - 1),
    data=st.data(),
)
def test_noise_field_window_is_the_window_of_the_field(H, W, seed, data):
    x, y = data.draw(st.integers(0, W - 1)), data.draw(st.integers(0, H - 1))
    w, h = data.draw(st.integers(1, W - x)), data.draw(st.integers(1, H - y))
    part = noise_field((H, W, 3), 10, seed, window=(x, y, w, h))
    assert np.array_equal(part, noise_field((H, W, 3), 10, seed)[y : y + h, x : x + w])


def test_noise_field_tiles_are_independent_and_gaussian():
    field = noise_field((512, 512, 3), 1.0, seed=3).astype(np.float64)
    # 786432 values: the std of the mean is 0.0011, of the std 0.0008
    assert abs(field.mean()) < 0.006 and abs(field.std() - 1) < 0.005
    # excess kurtosis of a Gaussian is 0 (std of the estimate ~0.006 here)
    assert abs((field**4).mean() / field.var() ** 2 - 3) < 0.04

    # neighbours across a tile seam are as uncorrelated as neighbours inside a tile
    # (pooled over the 7 vertical and 7 horizontal seams: 21504 pairs, std of r 0.0068)
    def pairs(offset):
        cols = np.arange(offset, 511, 64)
        left = np.concatenate([field[:, cols].ravel(), field[cols].ravel()])
        right = np.concatenate([field[:, cols + 1].ravel(), field[cols + 1].ravel()])
        return np.corrcoef(left, right)[0, 1]

    assert abs(pairs(63)) < 0.03 and abs(pairs(31)) < 0.03
    # no two tiles repeat one another (a stream reused across tiles would)
    tiles = field.reshape(8, 64, 8, 64, 3).transpose(0, 2, 1, 3, 4).reshape(64, -1)
    assert len({t.tobytes() for t in tiles}) == 64


def test_noise_field_rejects_bad_arguments():
    with pytest.raises(ValueError, match="seed"):
        noise_field((4, 4, 3), 10, seed=-1)
    with pytest.raises(ValueError, match="window"):
        noise_field((4, 4, 3), 10, seed=1, window=(2, 2, 3, 1))


def test_noise_std_zero_is_identity():
    img = np.arange(48, dtype=np.uint8).reshape(4, 4, 3)
    assert np.array_equal(add_noise(img, 0, seed=5), img)


# aperture_blur: cv2.blur, kernel from {20, ..., 60}


def test_blur_kernels_are_the_papers():
    assert BLUR_KERNELS == (20, 30, 40, 50, 60)


def test_blur_impulse_odd_kernel():
    bg = rgb(0, (9, 9))
    bg[4, 4] = 255
    out = aperture_blur(bg, 5)
    # 255 / 25 = 10.2 -> 10 inside the 5x5 box around the impulse, 0 outside
    expected = np.zeros((9, 9), np.uint8)
    expected[2:7, 2:7] = 10
    assert np.array_equal(out[..., 0], expected)


def test_blur_step_even_kernel():
    bg = rgb(0, (40, 64))
    bg[:, 32:] = 200
    out = aperture_blur(bg, 20)[..., 0]
    # kernel 20 anchored at 10: column x averages columns x-10 .. x+9
    assert np.all(out[:, 22] == 0)  # columns 12..31, all 0
    assert np.all(out[:, 31] == 90)  # 9 of 20 columns are 200
    assert np.all(out[:, 41] == 190)  # 19 of 20
    assert np.all(out[:, 42] == 200)


def test_blur_refuses_bad_kernels():
    for bad in (0, -3, 2.5, True):
        with pytest.raises(ValueError):
            aperture_blur(rgb(0), bad)


# fitting the background


def test_fit_crop_cover_hand_values():
    assert fit_crop((400, 200), (100, 100), "cover", (0.0, 0.0)) == (0.5, (0, 0, 200, 200))
    # the free range is 0..200 (201 positions)
    assert fit_crop((400, 200), (100, 100), "cover", (0.999, 0.5))[1] == (200, 0, 200, 200)
    assert fit_crop((400, 200), (100, 100), "cover", (0.5, 0.5))[1] == (100, 0, 200, 200)
    # a small background is enlarged: scale 2, a 50x40 window of the 60x40 background
    assert fit_crop((60, 40), (100, 80), "cover", (0.0, 0.0)) == (2.0, (0, 0, 50, 40))


def test_fit_crop_stretch_takes_the_whole_background():
    assert fit_crop((400, 200), (100, 100), "stretch", (0.3, 0.7)) == (None, (0, 0, 400, 200))


@settings(max_examples=200, deadline=None)
@given(
    bw=st.integers(1, 4000),
    bh=st.integers(1, 4000),
    W=st.integers(1, 2000),
    H=st.integers(1, 2000),
    fx=st.floats(0, 1, exclude_max=True),
    fy=st.floats(0, 1, exclude_max=True),
)
def test_fit_crop_cover_keeps_aspect_and_stays_inside(bw, bh, W, H, fx, fy):
    s, (x, y, w, h) = fit_crop((bw, bh), (W, H), "cover", (fx, fy))
    assert 0 <= x and 0 <= y and x + w <= bw and y + h <= bh and w >= 1 and h >= 1
    assert w == bw or h == bh  # covers: one side is used in full
    # the window is (W / s, H / s) rounded (at least 1 px): the foreground's aspect
    assert abs(w - W / s) <= 0.5 + 1e-9 or w == 1
    assert abs(h - H / s) <= 0.5 + 1e-9 or h == 1
    if min(w, h) >= 10:
        assert abs((w / h) / (W / H) - 1) <= 1 / min(w, h)


def test_fit_background_cuts_then_resizes():
    bg = np.zeros((50, 120, 3), np.uint8)
    bg[:] = (2 * np.arange(120, dtype=np.uint8))[None, :, None]
    out = fit_background(bg, (50, 25), (10, 0, 100, 50))
    assert out.shape == (25, 50, 3)
    # INTER_AREA halves: column j averages source columns 10+2j and 11+2j -> 21 + 4j
    assert np.array_equal(out[0, :, 0], 21 + 4 * np.arange(50))
    same = fit_background(bg, (100, 50), (10, 0, 100, 50))
    assert np.array_equal(same, bg[:, 10:110])
    with pytest.raises(ValueError, match="outside"):
        fit_background(bg, (50, 25), (30, 0, 100, 50))


# noise level and denoising


def test_estimate_sigma_on_known_noise():
    rng = np.random.default_rng(0)
    smooth = np.linspace(40, 200, 256)[None, :, None] * np.ones((256, 1, 3))
    for sigma in (3, 10, 20):
        noisy = np.clip(np.rint(smooth + rng.normal(0, sigma, smooth.shape)), 0, 255)
        assert abs(estimate_sigma(noisy.astype(np.uint8)) - sigma) < 0.1 * sigma + 0.3
    assert estimate_sigma(smooth.astype(np.uint8)) < 0.5


@pytest.mark.parametrize("method", ["nlm", "bm3d"])
def test_denoise_removes_noise(method):
    rng = np.random.default_rng(1)
    clean = np.zeros((64, 64, 3), np.float64)
    clean[:, 32:] = 160
    clean[:, :32] = 80
    noisy = np.clip(np.rint(clean + rng.normal(0, 10, clean.shape)), 0, 255).astype(np.uint8)
    out = denoise(noisy, method)  # sigma estimated
    assert out.dtype == np.uint8 and out.shape == noisy.shape
    err_before = np.abs(noisy - clean).mean()
    err_after = np.abs(out - clean).mean()
    assert err_after < 0.4 * err_before, (err_before, err_after)
    # the same bytes on every call (multi-threaded BM3D differs by a level now and then)
    first = denoise(noisy, method, sigma=10)
    assert all(np.array_equal(first, denoise(noisy, method, sigma=10)) for _ in range(3))


def test_denoise_sigma_zero_is_identity_and_bad_values_fail():
    img = np.arange(48, dtype=np.uint8).reshape(4, 4, 3)
    assert np.array_equal(denoise(img, "bm3d", sigma=0), img)
    with pytest.raises(ValueError):
        denoise(img, "bm3d", sigma=-1)
    with pytest.raises(ValueError):
        denoise(img, "wiener")


def test_public_names():
    for name in rssn.__all__:
        assert hasattr(rssn, name), name


def _rint_clip(x):
    """The definition _to_uint8 must keep: NumPy round half to even, clip, cast."""
    y = np.rint(x.astype(np.float32))
    np.clip(y, 0, 255, out=y)
    return y.astype(np.uint8)


def _check_to_uint8(values: np.ndarray) -> None:
    from rssn._steps import _to_uint8

    values = values.astype(np.float32).ravel()
    n = values.size - values.size % 3
    # odd widths so that OpenCV's vector loop and its scalar tail both see every value
    for width in (1, 7, 61):
        rows = n // (3 * width)
        arr = values[: rows * width * 3].reshape(rows, width, 3)
        np.testing.assert_array_equal(_to_uint8(arr), _rint_clip(arr))
        # a strided view, and the 2-D (alpha-like) shape
        np.testing.assert_array_equal(_to_uint8(arr[:, ::2]), _rint_clip(arr[:, ::2]))
        np.testing.assert_array_equal(_to_uint8(arr[..., 0]), _rint_clip(arr[..., 0]))


def test_to_uint8_ties_round_half_to_even_exactly_as_numpy():
    k = np.arange(-300, 600, dtype=np.float32)
    ties = k + np.float32(0.5)
    near = np.concatenate(
        [ties, np.nextafter(ties, np.float32(np.inf)), np.nextafter(ties, np.float32(-np.inf))]
    )
    _check_to_uint8(np.concatenate([near, k, np.nextafter(k, np.float32(0))]))
    from rssn._steps import _to_uint8

    got = _to_uint8(np.array([[0.5, 1.5, 2.5, 254.5, 255.5, -0.5]], np.float32))
    assert got.tolist() == [[0, 2, 2, 254, 255, 0]]  # hand-checked: half to even, then clip


def test_to_uint8_extremes_and_random_bit_patterns():
    f32 = np.finfo(np.float32)
    special = np.array(
        [
            0.0,
            -0.0,
            np.inf,
            -np.inf,
            f32.max,
            -f32.max,
            f32.tiny,
            -f32.tiny,
            3e9,
            -3e9,
            2.0**31,
            -(2.0**31),
            1e30,
            -1e30,
            255.49999,
            255.50001,
            256.0,
            -1.0,
        ],
        np.float32,
    )
    rng = np.random.default_rng(5)
    bits = rng.integers(0, 2**32, 600_000, dtype=np.uint64).astype(np.uint32).view(np.float32)
    bits = bits[np.isfinite(bits)]
    uniform = rng.uniform(-300, 600, 600_000).astype(np.float32)
    # every float32 in [254, 256) and around zero, where clipping and rounding meet
    lo = np.arange(np.float32(254).view(np.int32), np.float32(256).view(np.int32), dtype=np.int32)
    near0 = np.arange(
        np.float32(2**-4).view(np.int32), np.float32(1).view(np.int32), 7, dtype=np.int32
    ).view(np.float32)
    _check_to_uint8(
        np.concatenate([np.tile(special, 64), bits, uniform, lo.view(np.float32), near0, -near0])
    )


def test_uint8_plus_float32_in_one_opencv_pass_is_the_numpy_definition():
    from rssn._steps import _add_u8

    # every uint8 value against every tie around a half level it can reach, and the
    # float32 neighbours of those ties, and values that saturate either way
    u = np.arange(256, dtype=np.float32)
    half = np.arange(-300, 300, dtype=np.float32) + np.float32(0.5)
    targets = np.concatenate(
        [half, np.nextafter(half, np.float32(np.inf)), np.nextafter(half, np.float32(-np.inf))]
    )
    n = (targets[None, :] - u[:, None]).astype(np.float32)  # u + n lands on the ties
    n = np.concatenate([n, np.full((256, 3), [1e9, -1e9, 0.25], np.float32)], axis=1)
    image = np.repeat(np.arange(256, dtype=np.uint8)[:, None], n.shape[1], axis=1)
    for shape in [(256, n.shape[1]), (256, n.shape[1] // 3, 3)]:
        img, noise = image[:, : np.prod(shape[1:])].reshape(shape), n[:, : np.prod(shape[1:])]
        noise = noise.reshape(shape)
        np.testing.assert_array_equal(_add_u8(img, noise), _rint_clip(img + noise))
    # hand-checked: 10 + 0.5 -> 10, 11 + 0.5 -> 12 (half to even), 250 + 9 -> 255
    got = _add_u8(np.array([[10, 11, 250, 3]], np.uint8), np.array([[0.5, 0.5, 9, -7]], np.float32))
    assert got.tolist() == [[10, 12, 255, 0]]


def test_composite_matches_its_float32_definition_on_random_layers():
    rng = np.random.default_rng(5)
    F, B = (rng.integers(0, 256, (67, 91, 3), dtype=np.uint8) for _ in range(2))
    A = rng.integers(0, 256, (67, 91), dtype=np.uint8)
    A[:3] = 128  # 128 / 255 makes many products land near ties
    a = A.astype(np.float32)[..., None] * np.float32(1 / 255)
    b = B.astype(np.float32)
    expected = _rint_clip(b + a * (F.astype(np.float32) - b))
    np.testing.assert_array_equal(composite(F, A, B), expected)


def test_to_uint8_nan_is_255_on_the_float32_route():
    from rssn._steps import _to_uint8

    # Documented: NumPy's cast of NaN is platform-defined; the OpenCV route saturates to 255.
    x = np.full((4, 9, 3), np.nan, np.float32)
    assert (_to_uint8(x) == 255).all()
    assert _to_uint8(np.zeros((0, 3), np.float32)).shape == (0, 3)
    assert _to_uint8(np.array([[1.5, 300.0]])).tolist() == [[2, 255]]  # float64: NumPy route
