"""Trimaps and related training targets for image matting, as pure NumPy functions.

Every function takes an alpha matte as a NumPy array and cites the paper and
equation it implements. Importing ``trimaps`` never imports torch.
"""

from trimaps import metrics as metrics
from trimaps.io import ImageError

__all__ = ["ImageError"]
