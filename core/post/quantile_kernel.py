"""The piecewise-linear quantile map of `color_stats.quantile_map`, one pass per value.

Compiled with numba (cached on disk); imported only when a histogram, IDT or sliced-OT color
transfer runs. Each value finds its segment through a uniform bucket grid over the knots (a
table lookup and a short forward scan; a binary search per value mispredicts its branches on
unsorted pixels), in float64.
"""
import numpy as np
from numba import njit

_BUCKETS = 4096


@njit(cache=True)
def map_values(x, source_q, target_q, out):  # pragma: no cover - compiled
    """out[i] = the map of x[i] (1-D arrays): linear between knots `source_q` → `target_q`
    (strictly increasing `source_q`), unit slope beyond the first and last knot."""
    last = source_q.shape[0] - 1
    low, high = source_q[0], source_q[last]
    scale = _BUCKETS / (high - low) if high > low else 0.0
    first = np.empty(_BUCKETS + 1, np.int64)  # first[b]: the segment holding bucket b's left edge
    j = 0
    for b in range(_BUCKETS + 1):
        edge = low + b / scale if scale > 0 else low
        while j < last - 1 and source_q[j + 1] <= edge:
            j += 1
        first[b] = j
    slope = np.empty(last)
    for k in range(last):
        slope[k] = (target_q[k + 1] - target_q[k]) / (source_q[k + 1] - source_q[k])
    for i in range(x.shape[0]):
        v = np.float64(x[i])
        if v < low:
            out[i] = target_q[0] + (v - low)
        elif v > high:
            out[i] = target_q[last] + (v - high)
        else:
            j = first[min(int((v - low) * scale), _BUCKETS)]
            while j < last - 1 and source_q[j + 1] <= v:
                j += 1
            out[i] = target_q[j] + (v - source_q[j]) * slope[j]
    return out
