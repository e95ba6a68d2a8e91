"""trimaps.io: atomic writes that leave nothing half-written and normal permissions."""

from __future__ import annotations

import os
import stat

import numpy as np
import pytest

from trimaps.io import atomic_write_bytes, read_rgb, write_image


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_written_files_get_the_permissions_of_a_plain_open(tmp_path, umask):
    old = os.umask(umask)
    try:
        path = atomic_write_bytes(tmp_path / "a.bin", b"data")
        with open(tmp_path / "plain.bin", "wb") as fh:
            fh.write(b"data")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask
    plain = stat.S_IMODE((tmp_path / "plain.bin").stat().st_mode)
    assert stat.S_IMODE(path.stat().st_mode) == plain


def test_write_image_round_trips_and_leaves_no_temporary_file(tmp_path):
    rgb = np.arange(4 * 5 * 3, dtype=np.uint8).reshape(4, 5, 3)
    path = write_image(tmp_path / "sub" / "x.png", rgb)
    np.testing.assert_array_equal(read_rgb(path), rgb)
    assert sorted(p.name for p in path.parent.iterdir()) == ["x.png"]
