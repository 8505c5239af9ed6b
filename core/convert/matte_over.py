"""Matting one placed face over the plate, one pass over its box.

Compiled with numba (cached on disk); imported when convert composites. Touches only pixels whose
matte is above 0, with the arithmetic of the numpy formulas in `composite.composite` (float32, same
order of operations), so results are the same to the bit.
"""
import numpy as np
from numba import njit


@njit(cache=True)
def matte_over(window, index, face, matte):  # pragma: no cover - compiled
    """window[y, x, index[k]] = r + (face[y, x, k] - r) * m where m = matte[y, x] > 0 (r: the plate value)."""
    h, w = matte.shape
    for y in range(h):
        for x in range(w):
            m = matte[y, x]
            if m > 0:
                for k in range(3):
                    r = window[y, x, index[k]]
                    window[y, x, index[k]] = r + (face[y, x, k] - r) * m


@njit(cache=True)
def layers_over(layers, face, matte):  # pragma: no cover - compiled
    """Premultiplied face RGB, alpha and matte (5 channels) of one more face over `layers` (h, w, 5)."""
    h, w = matte.shape
    for y in range(h):
        for x in range(w):
            m = matte[y, x]
            if m > 0:
                keep = np.float32(1) - m  # float32, as numpy computes it (1 - m would be float64 here)
                for k in range(3):
                    layers[y, x, k] = face[y, x, k] * m + layers[y, x, k] * keep
                alpha = m + layers[y, x, 3] * keep
                layers[y, x, 3] = alpha
                layers[y, x, 4] = alpha
