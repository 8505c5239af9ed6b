"""Masked color statistics, their smoothing over frames, and weighted 1-D quantile maps.

Masked means: only pixels with `matte > threshold` take part, each weighted by its matte value.
Pixels outside never count (no zeros standing in for them), so changing them changes nothing.
"""
from dataclasses import dataclass

import numpy as np

from facegraft.core.checks import check_image, check_matte
from facegraft.core.color.perceptual import WorkingSpace
from facegraft.core.post.color_spaces import Space, check_space, encode


@dataclass(frozen=True)
class ColorStats:
    """Weighted mean (3,) and covariance (3, 3) of a face region, in encoding `space` of the
    working space named `working`."""

    mean: tuple[float, ...]
    cov: tuple[tuple[float, ...], ...]
    space: str
    working: str

    @property
    def mean_array(self) -> np.ndarray:
        return np.asarray(self.mean, dtype=np.float64)

    @property
    def cov_array(self) -> np.ndarray:
        return np.asarray(self.cov, dtype=np.float64)

    @staticmethod
    def from_arrays(mean: np.ndarray, cov: np.ndarray, space: str, working: str) -> "ColorStats":
        return ColorStats(mean=tuple(float(v) for v in mean),
                          cov=tuple(tuple(float(v) for v in row) for row in cov), space=space, working=working)


def masked_samples(image: np.ndarray, matte: np.ndarray, *, threshold: float, name: str,
                   max_samples: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """RGB of the pixels with `matte > threshold` (float32 (N, 3)) and their weights (float64 (N,)).

    With `max_samples`, a larger selection is thinned to every k-th pixel in scan order (k the
    smallest step that keeps at most `max_samples`): deterministic, and for statistics of a face of
    a million pixels indistinguishable from all of them.
    Raises: ValueError if no pixel is selected.
    """
    index = np.flatnonzero(matte > threshold)  # then np.take: several times faster than a boolean mask
    if len(index) == 0:
        raise ValueError(f"matte selects no pixels of {name} (none above {threshold}); "
                         "pass a matte that covers the face")
    if max_samples is not None and len(index) > max_samples:
        index = index[::-(-len(index) // max_samples)]
    rgb = np.take(image.reshape(-1, image.shape[-1]), index, axis=0)[:, :3]
    return np.ascontiguousarray(rgb), np.take(matte.reshape(-1), index).astype(np.float64)


def weighted_mean_cov(samples: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted mean (3,) and covariance (3, 3), float64, of samples (N, 3) (float32 or float64) with
    weights (N,); accumulated in float64."""
    w = weights / weights.sum()
    centred = np.ascontiguousarray(samples.T, dtype=np.float64)  # (3, N): products on contiguous rows
    mean = centred @ w
    centred -= mean[:, None]  # in place: every large temporary costs fresh pages here
    centred *= np.sqrt(w, out=w)  # sum_n w_n c_n c_n^T as a product of sqrt(w)-scaled rows
    return mean, centred @ centred.T


def color_stats(image: np.ndarray, matte: np.ndarray, *, working: WorkingSpace, space: Space = "oklab",
                threshold: float = 0.5) -> ColorStats:
    """Masked, matte-weighted color statistics of `image` in encoding `space`.

    Args:
        image: (H, W, 3|4) float32 in the plate's working space `working`, unclipped (alpha ignored).
        working: the working space of `image` (the encodings start from its scene-linear form).
        matte: (H, W) float32 in [0, 1]; only pixels with matte > threshold count, weighted by it.
        space: encoding the statistics are taken in (see `color_spaces`).
        threshold: matte level that selects pixels.
    Returns: ColorStats.
    Raises: TypeError/ValueError for bad arrays, an unknown space or an empty selection.
    """
    check_image(image, channels=(3, 4))
    check_matte(matte, like=image)
    check_space(space)
    samples, weights = masked_samples(image, matte, threshold=threshold, name="image")
    mean, cov = weighted_mean_cov(encode(samples, space, working=working, dtype=np.float32), weights)
    return ColorStats.from_arrays(mean, cov, space, working.name)


def smooth_stats(previous: ColorStats | None, current: ColorStats, *, alpha: float = 0.3) -> ColorStats:
    """Exponential moving average of statistics over frames: the state is the returned value.

    `alpha` is the weight of the current frame (1 = no smoothing). A convex mix of covariances stays
    positive semi-definite. Pass `None` as `previous` on the first frame of a shot.

    Raises: ValueError if alpha is outside (0, 1] or the spaces (encoding or working) differ.
    """
    if not 0 < alpha <= 1:
        raise ValueError(f"alpha must be in (0, 1], got {alpha}")
    if previous is None:
        return current
    if (previous.space, previous.working) != (current.space, current.working):
        raise ValueError(f"cannot smooth statistics of space {previous.space!r} of {previous.working!r} with "
                         f"{current.space!r} of {current.working!r}")
    mean = (1 - alpha) * previous.mean_array + alpha * current.mean_array
    cov = (1 - alpha) * previous.cov_array + alpha * current.cov_array
    return ColorStats.from_arrays(mean, cov, current.space, current.working)


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Quantiles at `levels` (in [0, 1]) of 1-D `values` with non-negative `weights` (midpoint rule)."""
    order = np.argsort(values)  # ties in any order: equal values give the same quantiles
    w = weights[order]
    cdf = np.cumsum(w)
    total = cdf[-1]
    cdf -= 0.5 * w
    cdf /= total
    return np.interp(levels, cdf, values[order])


def quantile_map(x: np.ndarray, source_q: np.ndarray, target_q: np.ndarray) -> np.ndarray:
    """Monotone map sending quantiles `source_q` (strictly increasing) to `target_q`, extended by a
    unit-slope shift; float64, the shape of `x`.

    Beyond the measured range values move by the end offsets instead of clamping, so HDR values
    outside the measured range keep their distance from it. Inside it this is `np.interp`.
    """
    from facegraft.core.post.quantile_kernel import map_values  # numba: loaded when a quantile map runs

    x = np.asarray(x)
    flat = np.ascontiguousarray(x).reshape(-1)
    out = np.empty(flat.shape, np.float64)
    map_values(flat, np.ascontiguousarray(source_q, np.float64), np.ascontiguousarray(target_q, np.float64), out)
    return out.reshape(x.shape)
