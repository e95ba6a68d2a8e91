"""RSSN steps on real pictures from ../shared/testdata."""

from __future__ import annotations

import numpy as np
import pytest

from rssn import Params, cook, denoise, draw_recipe, estimate_sigma, foreground
from trimaps.io import read_alpha, read_rgb

# Mean absolute recomposition error |alpha F + (1 - alpha) B - I| on the transition
# band 0 < alpha < 1, in 8-bit levels, for the multi-level estimate (measured 0.6-1.9;
# GT25, a see-through mesh whose holes are a few pixels wide, 7.5: the smoothness
# prior cannot follow colours that change within a hole).
BAND_ERROR = {"GT25": 8.5}
BAND_ERROR_DEFAULT = 2.5


def band_error(image, alpha, F, B):
    a = alpha.astype(np.float64)[..., None] / 255
    err = np.abs(a * F + (1 - a) * B - image)
    band = (alpha > 0) & (alpha < 255)
    return float(err[band].mean())


def test_multilevel_foreground_recomposes_the_photo_on_the_band(alphamatting, gt_alpha_paths):
    for path in gt_alpha_paths:
        image = read_rgb(alphamatting / "input" / path.name)
        alpha = read_alpha(path)
        F, B = foreground(image, alpha, "multilevel")
        err = band_error(image, alpha, F, B)
        assert err <= BAND_ERROR.get(path.stem, BAND_ERROR_DEFAULT), (path.stem, err)
        # where alpha = 1 the foreground is the photo, where alpha = 0 the background
        assert np.array_equal(F[alpha == 255], image[alpha == 255])
        assert np.array_equal(B[alpha == 0], image[alpha == 0])


def test_levin_foreground_recomposes_the_photo_on_the_band(alphamatting):
    # the closed form costs ~2 s and 1.4 GiB on the full picture: a 200x200 window with hair
    image = read_rgb(alphamatting / "input" / "GT04.png")
    alpha = read_alpha(alphamatting / "gt_alpha" / "GT04.png")
    band_rows, band_cols = np.nonzero((alpha > 0) & (alpha < 255))
    y, x = int(np.median(band_rows)) - 100, int(np.median(band_cols)) - 100
    y, x = max(y, 0), max(x, 0)
    image, alpha = image[y : y + 200, x : x + 200], alpha[y : y + 200, x : x + 200]
    assert ((alpha > 0) & (alpha < 255)).mean() > 0.05
    F, B = foreground(image, alpha, "levin")
    assert band_error(image, alpha, F, B) <= 2.5
    Fm, Bm = foreground(image, alpha, "multilevel")
    assert band_error(image, alpha, Fm, Bm) <= 2.5


def _srgb_decode(c):
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _srgb_encode(c):
    return np.where(c <= 0.0031308, c * 12.92, 1.055 * np.power(c, 1 / 2.4) - 0.055)


@pytest.mark.parametrize("method", ["multilevel", "levin"])
def test_tiny_fixture_recovers_its_known_foreground(testdata, method):
    tiny = testdata / "matting" / "tiny"
    image = read_rgb(tiny / "test.png")
    alpha = read_alpha(tiny / "test_alpha.png")
    known_F = read_rgb(tiny / "test_foreground.png")
    known_B = read_rgb(tiny / "test_background.png")
    # The fixture was made in GIMP in linear light: image, foreground, background and
    # alpha are sRGB-encoded and I_lin = a_lin F_lin + (1 - a_lin) B_lin holds to 2 levels
    # (the 8-bit sRGB composite formula is off by up to 90 levels). Solve in linear light.
    a_lin = _srgb_decode(alpha / 255.0)[..., None]
    model = _srgb_encode(
        a_lin * _srgb_decode(known_F / 255.0) + (1 - a_lin) * _srgb_decode(known_B / 255.0)
    )
    assert np.abs(model * 255 - image).max() < 2.0

    def u8(x):
        return np.clip(np.rint(x * 255), 0, 255).astype(np.uint8)

    F_lin, B_lin = foreground(u8(_srgb_decode(image / 255.0)), u8(a_lin[..., 0]), method)
    F = _srgb_encode(F_lin / 255.0) * 255
    B = _srgb_encode(B_lin / 255.0) * 255
    seen = a_lin[..., 0] > 0  # F is defined where the foreground shows
    err_F = np.abs(F - known_F).max(axis=-1)[seen]
    err_B = np.abs(B - known_B).max(axis=-1)[a_lin[..., 0] < 1]
    # measured: mean 0.43 (multilevel) / 0.24 (levin); the worst pixel (12.7) has alpha 1/255
    assert err_F.mean() < 1.0, err_F.mean()
    assert err_B.mean() < 1.0, err_B.mean()


def test_denoise_a_real_background_crop_with_added_noise(testdata):
    bg = read_rgb(testdata / "backgrounds" / "clean" / "life_by_Aitzol_Berasategi.jpg")
    crop = bg[1000:1128, 1500:1628]
    assert estimate_sigma(crop) < 4  # a clean photo
    rng = np.random.default_rng(0)
    noisy = np.clip(np.rint(crop + rng.normal(0, 10, crop.shape)), 0, 255).astype(np.uint8)
    assert abs(estimate_sigma(noisy) - 10) < 2.5
    # measured: mean error 8.0 before, 3.6 after BM3D, 5.9 after NLM
    for method, gain in (("bm3d", 0.6), ("nlm", 0.85)):
        out = denoise(noisy, method)
        err_before = np.abs(noisy.astype(float) - crop).mean()
        err_after = np.abs(out.astype(float) - crop).mean()
        assert err_after < gain * err_before, (method, err_before, err_after)


def test_cook_on_a_real_photo_background(alphamatting, testdata):
    image = read_rgb(alphamatting / "input" / "GT16.png")
    alpha = read_alpha(alphamatting / "gt_alpha" / "GT16.png")
    background = read_rgb(testdata / "backgrounds" / "clean" / "mate_Storm.jpg")
    h, w = alpha.shape
    bh, bw = background.shape[:2]
    params = Params(denoise_p=0, blur_p=1, noise_p=1)
    r = draw_recipe(
        1,
        "GT16",
        0,
        size=(w, h),
        bg="mate_Storm.jpg",
        bg_size=(bw, bh),
        params=params,
        estimate_foreground=True,
    )
    out = cook(r, alpha=alpha, background=background, image=image)
    assert out.image.shape == image.shape and out.image.dtype == np.uint8
    assert np.array_equal(out.alpha, alpha)
    opaque = alpha == 255
    # where alpha = 1 the composite is the photo plus the noise field
    diff = out.image[opaque].astype(float) - image[opaque]
    assert abs(diff.mean()) < 0.5 and 8 < diff.std() < 11
