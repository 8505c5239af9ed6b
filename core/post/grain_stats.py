"""One pass over a grain residual for `estimate_grain`: clipped lag-1 products and channel moments.

Compiled with numba (cached on disk); imported only when grain is estimated. The sums are float64.
"""
import numpy as np
from numba import njit


@njit(cache=True)
def residual_moments(residual, inside, limit):  # pragma: no cover - compiled
    """For `residual` (h, w, 3) float32 clipped to ±`limit` (3,) and the pixels where `inside` (h, w):

    Returns (num (3,), den (3,), sums (3,), products (3, 3), count): num = Σ r_p r_q and den = Σ r_p²
    over right and down neighbour pairs with both pixels inside; sums and products of the clipped
    values over the inside pixels (for their covariance).
    """
    h, w, _ = residual.shape
    num = np.zeros(3)
    den = np.zeros(3)
    sums = np.zeros(3)
    products = np.zeros((3, 3))
    count = 0
    here = np.zeros(3)
    for y in range(h):
        for x in range(w):
            if not inside[y, x]:
                continue
            count += 1
            for c in range(3):
                here[c] = min(max(residual[y, x, c], -limit[c]), limit[c])
            for c in range(3):
                sums[c] += here[c]
                for d in range(3):
                    products[c, d] += here[c] * here[d]
            if x + 1 < w and inside[y, x + 1]:
                for c in range(3):
                    right = min(max(residual[y, x + 1, c], -limit[c]), limit[c])
                    num[c] += here[c] * right
                    den[c] += here[c] * here[c]
            if y + 1 < h and inside[y + 1, x]:
                for c in range(3):
                    down = min(max(residual[y + 1, x, c], -limit[c]), limit[c])
                    num[c] += here[c] * down
                    den[c] += here[c] * here[c]
    return num, den, sums, products, count
