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
