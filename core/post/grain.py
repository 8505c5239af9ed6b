"""Estimate a plate's grain inside the face region and add matching, seeded grain to the new face.

Grain model: per-pixel RGB noise `n = sigma * C * g`, where `g` is white gaussian noise blurred by a
gaussian of `grain_size` pixels and rescaled to unit variance, and `C` the channel correlation
(Cholesky factor). The noise is additive and independent of the signal level (a first-order model;
film and sensor noise grow with exposure, which a later version may add).

Estimation: the residual `r = x - gaussian(x, 1.5 px)` removes most image content; its robust
standard deviation (1.4826 * MAD, over pixels with matte > threshold) relates to `sigma` by a factor
that depends on `grain_size`, and `grain_size` comes from the lag-1 autocorrelation of `r`. Both
factors are computed numerically from the discrete filters, so a synthetic grain made by
`add_grain` is measured back without bias (up to the image content left in the residual).
"""
from dataclasses import dataclass

import cv2
import numpy as np

from facegraft.core.checks import check_image, check_matte
from facegraft.core.post.filters import gaussian_blur
from facegraft.core.post.matte import bounding_box

_RESIDUAL_SIGMA = 1.5
MIN_GRAIN_PIXELS = 64  # pixels `estimate_grain` must measure for stable sigma/size/correlation
# Pixels an estimate's box reaches beyond the measured region: the residual blur's kernel plus the
# 2-pixel erosion, so measuring on the box equals measuring on the whole frame.
_ESTIMATE_MARGIN = int(4.0 * _RESIDUAL_SIGMA + 0.5) + 3
_CROSS = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))
_SIZES = np.linspace(0.0, 3.0, 31)


@dataclass(frozen=True)
class GrainEstimate:
    """Measured grain: `sigma` (3,) per RGB channel in scene-linear units, `grain_size` (gaussian
    sigma in pixels of the grain's spatial correlation; 0 = white), `correlation` (3, 3) between
    channels, and `pixels` used."""

    sigma: tuple[float, ...]
    grain_size: float
    correlation: tuple[tuple[float, ...], ...]
    pixels: int


def _kernel(size: float) -> np.ndarray:
    """The 1-D gaussian of the grain filter (scipy.ndimage's: truncated at 4 sigma, sums to 1); [1] for 0."""
    if size <= 0:
        return np.ones(1)
    radius = int(4.0 * size + 0.5)
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    phi = np.exp(-0.5 / size**2 * x**2)
    return phi / phi.sum()


def _filter_response(size: float) -> tuple[float, float, float]:
    """For unit-variance grain of `size`: (norm of the grain filter, residual variance, residual lag-1 rho).

    Exact on the separable kernels: the grain of a unit impulse is outer(a, a) / |a|², its residual
    outer(a, a) - outer(b, b) with b = a blurred by the residual's gaussian (no edge reaches them).
    """
    a = _kernel(size)
    norm = float(a @ a)  # the 2-D filter's L2 norm: sqrt(sum (a_i a_j)^2) = |a|^2
    a = a / np.sqrt(norm)
    b = np.convolve(a, _kernel(_RESIDUAL_SIGMA))
    pad = (len(b) - len(a)) // 2
    a = np.pad(a, pad)
    residual = np.outer(a, a) - np.outer(b, b)
    var = float((residual**2).sum())
    lag = float((residual[:, 1:] * residual[:, :-1]).sum() + (residual[1:] * residual[:-1]).sum()) / 2
    return norm, var, lag / var


def _rho_table() -> np.ndarray:
    table = np.array([_filter_response(float(s))[2] for s in _SIZES])
    table.flags.writeable = False
    return table


_RHO = _rho_table()  # read-only: lag-1 correlation of the residual for each grain size in _SIZES


def _correlation(cov: np.ndarray) -> np.ndarray:
    """(3, 3) Pearson correlation from a (3, 3) (co)variance; a channel without variance correlates
    with nothing."""
    std = np.sqrt(np.maximum(np.diag(cov), 0.0))
    scale = np.where(std > 0, std, np.inf)
    corr = cov / scale[:, None] / scale[None, :]
    np.fill_diagonal(corr, 1.0)
    return corr


def _residual(image: np.ndarray) -> np.ndarray:
    rgb = np.ascontiguousarray(image[..., :3], np.float32)
    return rgb - gaussian_blur(rgb, sigma=_RESIDUAL_SIGMA, border="nearest")


def _upper_median(rows: np.ndarray) -> np.ndarray:
    """Per row of (K, N), the element of rank N // 2 (the median, or for even N the upper of the two
    middle values): one selection instead of numpy's two, the same to a sample's spacing."""
    half = rows.shape[1] // 2
    return np.partition(rows, half, axis=1)[:, half].astype(np.float64)


def grain_pixels(matte: np.ndarray, *, threshold: float = 0.5) -> int:
    """How many pixels `estimate_grain` would measure in `matte` (H, W): those with matte > threshold,
    two pixels in from the region's and the image's edge. At least `MIN_GRAIN_PIXELS` are needed."""
    return int(np.count_nonzero(_measured_region(matte, threshold)))


def _measured_region(matte: np.ndarray, threshold: float) -> np.ndarray:
    # two pixels in from the edge of the image and of the region: the blur there sees outside pixels
    return cv2.erode((matte > threshold).astype(np.uint8), _CROSS, iterations=2, borderType=cv2.BORDER_CONSTANT,
                     borderValue=0).astype(bool)


def estimate_grain(plate: np.ndarray, matte: np.ndarray, *, threshold: float = 0.5) -> GrainEstimate:
    """Measure the grain of `plate` over the pixels where `matte > threshold`.

    Args:
        plate: (H, W, 3|4) float32, scene-linear working space, unclipped.
        matte: (H, W) float32 in [0, 1], the face region (eroded a little avoids the face edge).
        threshold: matte level that selects the pixels measured.
    Returns: GrainEstimate (sigma per channel in the plate's units).
    Raises: TypeError/ValueError for bad arrays; ValueError if fewer than `MIN_GRAIN_PIXELS` pixels
        are measured (check `grain_pixels` first on faces that may be small).
    """
    check_image(plate, channels=(3, 4), name="plate")
    check_matte(matte, like=plate)
    box = bounding_box(matte > threshold, margin=_ESTIMATE_MARGIN)  # all that the statistics below see
    if box is not None:
        plate, matte = plate[box], matte[box]
    inside = _measured_region(matte, threshold)
    index = np.flatnonzero(inside)  # then np.take: several times faster than a boolean mask
    count = len(index)
    if count < MIN_GRAIN_PIXELS:
        raise ValueError(f"estimate_grain needs at least {MIN_GRAIN_PIXELS} pixels with matte > {threshold}, "
                         f"got {count}; check grain_pixels first")
    residual = _residual(plate)
    # (3, N): each channel's median on a contiguous row
    samples = np.ascontiguousarray(np.take(residual.reshape(-1, 3), index, axis=0).T)
    centre = _upper_median(samples)
    samples -= centre[:, None].astype(np.float32)
    sigma_r = 1.4826 * _upper_median(np.abs(samples, out=samples))
    from facegraft.core.post.grain_stats import residual_moments  # numba: loaded when grain is measured

    num, den, sums, products, n = residual_moments(residual, inside, (4 * sigma_r).astype(np.float32))
    rho = np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)
    size = float(np.interp(np.mean(rho), _RHO, _SIZES))  # rho rises with size
    factor = np.sqrt(_filter_response(size)[1])
    sigma = sigma_r / factor
    corr = _correlation(products - np.outer(sums, sums) / n)
    return GrainEstimate(sigma=tuple(float(s) for s in sigma), grain_size=size,
                         correlation=tuple(tuple(float(v) for v in row) for row in corr), pixels=count)


def make_grain(shape: tuple[int, int], *, sigma: tuple[float, float, float], grain_size: float = 0.0,
               correlation: np.ndarray | tuple | None = None, seed: int = 0) -> np.ndarray:
    """Seeded synthetic grain, `(H, W, 3)` float32, zero mean, std `sigma` per channel.

    Args:
        shape: (H, W).
        sigma: per-channel standard deviation, scene-linear units, >= 0.
        grain_size: gaussian sigma in pixels of the spatial correlation, >= 0 (0 = white).
        correlation: (3, 3) channel correlation, default identity.
        seed: seed of `numpy.random.default_rng`; the same seed gives the same grain.
    Returns: (H, W, 3) float32.
    Raises: ValueError for negative sigma/grain_size or a correlation that is not positive semi-definite.
    """
    sig = np.asarray(sigma, dtype=np.float64)
    if sig.shape != (3,) or np.any(sig < 0) or grain_size < 0:
        raise ValueError(f"sigma must be 3 values >= 0 and grain_size >= 0, got {sigma}, {grain_size}")
    corr = np.eye(3) if correlation is None else np.asarray(correlation, dtype=np.float64)
    try:
        chol = np.linalg.cholesky(corr + 1e-9 * np.eye(3))
    except np.linalg.LinAlgError as exc:
        raise ValueError(f"correlation must be positive semi-definite, got {corr.tolist()}") from exc
    rng = np.random.default_rng(seed)
    white = rng.standard_normal((shape[0], shape[1], 3), dtype=np.float32)
    grain = white if grain_size <= 0 else gaussian_blur(white, sigma=float(grain_size), border="reflect")
    mix = chol * sig[:, None] / _filter_response(float(grain_size))[0]  # row c: how channel c mixes the 3 unit noises
    return cv2.transform(grain, mix).reshape(grain.shape)  # per pixel: mix @ rgb


def add_grain(face: np.ndarray, matte: np.ndarray, grain: GrainEstimate, *, amount: float = 1.0,
              face_grain: GrainEstimate | None = None, seed: int = 0) -> np.ndarray:
    """Add grain matching `grain` to `face`, weighted by `matte` (outside the matte: `face` unchanged).

    Args:
        face: (H, W, 3|4) float32, scene-linear working space, unclipped; alpha copied.
        matte: (H, W) float32 in [0, 1].
        grain: the plate's grain (from `estimate_grain`).
        amount: scales sigma (0 returns a copy).
        face_grain: grain the face already has; only the missing variance is added,
            sqrt(max(plate^2 - face^2, 0)) per channel.
        seed: seed of the generator (deterministic); the grain is made over the bounding box of
            `matte > 0`, so it follows the matte's footprint, not the image size.
    Returns: (H, W, C) float32 like `face`.
    Raises: TypeError/ValueError for bad arrays.
    """
    check_image(face, channels=(3, 4), name="face")
    check_matte(matte, like=face)
    out = face.copy()
    sigma = np.asarray(grain.sigma, dtype=np.float64) * float(amount)
    if face_grain is not None:
        sigma = np.sqrt(np.maximum(sigma**2 - np.asarray(face_grain.sigma) ** 2, 0.0))
    box = bounding_box(matte > 0, margin=0)
    if not np.any(sigma > 0) or box is None:
        return out
    rows, cols = box  # grain is made for the matte's box only (seeded: same box, same grain)
    noise = make_grain((rows.stop - rows.start, cols.stop - cols.start), sigma=tuple(sigma),
                       grain_size=grain.grain_size, correlation=np.asarray(grain.correlation), seed=seed)
    noise *= matte[box][..., None]
    out[box][..., :3] += noise
    return out


def match_grain(face: np.ndarray, plate: np.ndarray, matte: np.ndarray, *, amount: float = 1.0,
                threshold: float = 0.5, seed: int = 0) -> tuple[np.ndarray, GrainEstimate]:
    """Estimate the plate's grain and the face's own, then add the difference to the face in the matte.

    Args:
        face: (H, W, 3|4) float32, scene-linear, frame-aligned with `plate`.
        plate: (H, W, 3|4) float32, same space and size.
        matte: (H, W) float32 in [0, 1].
        amount: scales the plate's sigma. threshold: matte level measured. seed: generator seed.
    Returns: (grained face (H, W, C) float32, the plate's GrainEstimate).
    Raises: TypeError/ValueError for bad arrays or too small a region.
    """
    check_image(face, channels=(3, 4), name="face")
    plate_grain = estimate_grain(plate, matte, threshold=threshold)
    face_grain = estimate_grain(face, matte, threshold=threshold)
    return add_grain(face, matte, plate_grain, amount=amount, face_grain=face_grain, seed=seed), plate_grain
