"""Matting metrics: SAD, MSE, MAD, Grad and Conn, as the published evaluations compute them.

``convention="official"`` (default) follows the Deep Image Matting MATLAB
evaluation; ``convention="gfm"`` follows the GFM/AIM/P3M evaluation code. See
``docs/metrics.md``.

>>> import numpy as np
>>> from trimaps.metrics import evaluate
>>> gt = np.zeros((4, 4), np.uint8); gt[:, 2:] = 255
>>> trimap = np.full((4, 4), 128, np.uint8)
>>> evaluate(gt, gt, trimap)
{'SAD': 0.0, 'MSE': 0.0, 'Grad': 0.0, 'Conn': 0.0}
"""

from trimaps._metrics import (
    CONVENTIONS,
    METRIC_NAMES,
    UNKNOWN,
    conn,
    connectivity_levels,
    evaluate,
    gauss_gradient,
    gauss_gradient_kernel,
    grad,
    mad,
    mse,
    sad,
    summarize,
    unknown_region,
)

__all__ = [
    "CONVENTIONS",
    "METRIC_NAMES",
    "UNKNOWN",
    "conn",
    "connectivity_levels",
    "evaluate",
    "gauss_gradient",
    "gauss_gradient_kernel",
    "grad",
    "mad",
    "mse",
    "sad",
    "summarize",
    "unknown_region",
]
