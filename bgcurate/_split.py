"""Deterministic train/val split by a hash of the content.

BG-20k splits its 20,000 backgrounds 15,000 / 5,000 (Li et al., IJCV 2022,
Sec. 4.1), i.e. 75/25, without saying how. Here an image goes to ``val`` when
the first 64 bits of the SHA-256 of its file bytes, read as an integer, fall
below ``val_fraction * 2**64``. The choice depends on the image alone: it
does not change when other images are added, removed or reordered, and it is
the same on every machine and with any number of workers. The proportion is
75/25 in expectation (a binomial draw, so small sets deviate).
"""

from __future__ import annotations

__all__ = ["split_of"]


def split_of(sha256: str, val_fraction: float = 0.25) -> str:
    """``"val"`` or ``"train"`` for the content with this hex SHA-256.

    Parameters
    ----------
    sha256 : str
        Hex digest (at least 16 hex digits are used).
    val_fraction : float
        Expected fraction of images in ``val``, in [0, 1].

    Examples
    --------
    >>> split_of("0" * 64), split_of("f" * 64)
    ('val', 'train')
    """
    if not 0.0 <= val_fraction <= 1.0:
        raise ValueError(f"val_fraction must be in [0, 1], not {val_fraction}")
    # integers, not floats: x / 2**64 would round 0x3fff...f up to exactly 0.25
    return "val" if int(sha256[:16], 16) < int(val_fraction * 2**64) else "train"
