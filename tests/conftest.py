"""Shared fixtures. Real test data lives in ``../shared/testdata`` beside the checkout.

Tests that need it skip with a reason when it is absent, unless
``REQUIRE_TESTDATA=1`` is set (as ``.ci/run`` does), in which case they fail.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TESTDATA = Path(os.environ.get("MATTEKIT_TESTDATA", ROOT.parent / "shared" / "testdata"))


def _testdata_root() -> Path:
    if TESTDATA.is_dir():
        return TESTDATA
    reason = (
        f"real test data not found at {TESTDATA} (set MATTEKIT_TESTDATA or check out ../shared)"
    )
    if os.environ.get("REQUIRE_TESTDATA") == "1":
        pytest.fail(f"REQUIRE_TESTDATA=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def testdata() -> Path:
    """Root of ``../shared/testdata``."""
    return _testdata_root()


@pytest.fixture(scope="session")
def alphamatting(testdata: Path) -> Path:
    """``matting/alphamatting``: seven real photos, ground-truth alphas and trimaps."""
    return testdata / "matting" / "alphamatting"


@pytest.fixture(scope="session")
def gt_alpha_paths(alphamatting: Path) -> list[Path]:
    paths = sorted((alphamatting / "gt_alpha").glob("*.png"))
    assert len(paths) == 7, f"expected 7 ground-truth mattes in {alphamatting}, found {len(paths)}"
    return paths


def subprocess_env() -> dict[str, str]:
    """Environment for running ``python -m <tool>`` from this checkout."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("COLUMNS", "120")
    return env


def write_transition_crops(alphamatting: Path, root: Path, ids, size: int = 96) -> Path:
    """Composition-1k-style ``fg/`` + ``alpha/`` of real ``size``-px crops around each matte's
    transition band (F: the photo), small enough for the slow RSSN steps in tests."""
    import numpy as np

    from trimaps.io import read_alpha, read_rgb, write_image

    half = size // 2
    for i in ids:
        a = read_alpha(alphamatting / "gt_alpha" / f"{i}.png")
        rows, cols = np.nonzero((a > 0) & (a < 255))
        y, x = max(int(np.median(rows)) - half, 0), max(int(np.median(cols)) - half, 0)
        img = read_rgb(alphamatting / "input" / f"{i}.png")
        write_image(root / "fg" / f"{i}.png", img[y : y + size, x : x + size])
        write_image(root / "alpha" / f"{i}.png", a[y : y + size, x : x + size])
    return root
