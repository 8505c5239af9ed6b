"""Match the colors of a generated face to the plate, from masked statistics, on unclipped values.

Methods (all learn a map from face-region pixels to plate-region pixels, then apply it to every
pixel of `face`; compositing happens elsewhere):

- `avg`: shift the mean.                   - `rct`: Reinhard, per-axis mean and std.
- `lct`: linear covariance match (Cholesky factors).
- `mkl`: Monge–Kantorovich linear map (the optimal-transport map between two gaussians).
- `histogram`: per-axis quantile matching.
- `idt`: iterative distribution transfer (Pitié 2005): random rotations + 1-D quantile matching.
- `sot`: sliced optimal transport: each step averages the 1-D matches of several random bases.

Statistics come from pixels with `matte > threshold`, weighted by the matte, in encoding `space`
of the plate's working space (see `color_spaces`: through OCIO to the config's scene-linear space,
then by default OKLab with a signed cube root, so 2.0 and -0.1 survive). Random
choices use `numpy.random.default_rng(seed)` only: same inputs and seed, same output.
"""
from typing import Literal

import numpy as np

from facegraft.core.checks import check_image, check_matte
from facegraft.core.color.perceptual import WorkingSpace
from facegraft.core.post.color_spaces import Space, affine_in_space, check_space, decode, encode
from facegraft.core.post.color_stats import (ColorStats, masked_samples, quantile_map, weighted_mean_cov,
                                             weighted_quantiles)

Method = Literal["avg", "rct", "lct", "mkl", "histogram", "idt", "sot"]
LINEAR_METHODS = ("avg", "rct", "lct", "mkl")
METHODS: tuple[str, ...] = (*LINEAR_METHODS, "histogram", "idt", "sot")
_EPS = 1e-10
_LEVELS = np.linspace(0.0, 1.0, 257)
_MAX_SAMPLES = 20_000  # per image, for idt/sot (a seeded subsample); histogram uses every pixel of the face
# Statistics read at most this many pixels per image (every k-th in scan order beyond: a 4K close-up's
# face has over a million).
STATS_SAMPLES = 1 << 18


def color_transfer(face: np.ndarray, plate: np.ndarray, matte: np.ndarray, *, method: Method,
                   working: WorkingSpace, amount: float = 1.0, seed: int = 0, space: Space = "oklab",
                   threshold: float = 0.5, iterations: int | None = None, face_stats: ColorStats | None = None,
                   plate_stats: ColorStats | None = None,
                   apply_to: Literal["image", "matte"] = "image") -> np.ndarray:
    """Recolor `face` so its statistics inside `matte` match the plate's inside `matte`.

    Args:
        face: (H, W, 3|4) float32 in the plate's working space `working`, unclipped; aligned with
            `plate` (both frames, or both crops). Alpha is copied.
        plate: (H, W, 3|4) float32, same space and size.
        matte: (H, W) float32 in [0, 1]: pixels with matte > threshold are measured, weighted by it.
        method: one of METHODS.
        working: the working space of `face` and `plate` (`WorkingSpace.from_config`; `ACESCG` for
            ACEScg pixels under the built-in config).
        amount: 0 returns `face` unchanged, 1 the full match; blended in the working space.
        seed: seed for `idt`/`sot` rotations and subsampling.
        space: encoding the statistics are matched in (`oklab`, `log`, `linear`), derived from `working`.
        threshold: matte level that selects the measured pixels.
        iterations: `idt`/`sot` steps (default 10 / 8).
        face_stats, plate_stats: precomputed (e.g. `smooth_stats`-smoothed) statistics in `space` of
            `working`, used instead of measuring; linear methods only.
        apply_to: `image` recolors every pixel; `matte` only those with matte > 0 (others are
            copied from `face`), which is all a composite through this matte (or a smaller one)
            uses, and much faster on a full frame.
    Returns: (H, W, C) float32 like `face`, working space, unclipped.
    Raises: TypeError/ValueError for bad arrays, an unknown method/space, an empty selection, or
        stats given to a non-linear method.
    """
    check_image(face, channels=(3, 4), name="face")
    check_image(plate, channels=(3, 4), name="plate")
    check_matte(matte, like=face)
    if plate.shape[:2] != face.shape[:2]:
        raise ValueError(f"plate shape {plate.shape[:2]} does not match face shape {face.shape[:2]}")
    if apply_to not in ("image", "matte"):
        raise ValueError(f"apply_to must be 'image' or 'matte', got {apply_to!r}")
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    check_space(space)
    if not 0 <= amount <= 1:
        raise ValueError(f"amount must be in [0, 1], got {amount}")
    if (face_stats or plate_stats) and method not in LINEAR_METHODS:
        raise ValueError(f"precomputed statistics work with {LINEAR_METHODS}, not {method!r}")
    for stats in (face_stats, plate_stats):
        if stats is not None and (stats.space, stats.working) != (space, working.name):
            raise ValueError(f"statistics are in space {stats.space!r} of {stats.working!r}, expected {space!r} "
                             f"of {working.name!r}")
    out = face.copy()
    if amount == 0:
        return out
    face_s, face_w = masked_samples(face, matte, threshold=threshold, name="face", max_samples=STATS_SAMPLES)
    plate_s, plate_w = masked_samples(plate, matte, threshold=threshold, name="plate", max_samples=STATS_SAMPLES)
    where = matte > 0
    face_rgb = face[..., :3][where] if apply_to == "matte" else face[..., :3].reshape(-1, 3)

    def enc(x: np.ndarray, dtype: type = np.float64) -> np.ndarray:
        return encode(x, space, working=working, dtype=dtype)

    if method in LINEAR_METHODS:
        # samples encoded in float32 (as `color_stats` does), statistics accumulated in float64
        src = face_stats or ColorStats.from_arrays(*weighted_mean_cov(enc(face_s, np.float32), face_w), space,
                                                   working.name)
        dst = plate_stats or ColorStats.from_arrays(*weighted_mean_cov(enc(plate_s, np.float32), plate_w), space,
                                                    working.name)
        matrix = linear_matrix(method, src.cov_array, dst.cov_array)
        offset = dst.mean_array - src.mean_array @ matrix.T
        if apply_to == "image" and amount == 1 and face.shape[-1] == 3:  # straight into the output
            affine_in_space(face_rgb, matrix, offset, space, working=working, out=out.reshape(-1, 3))
            return out
        rgb = affine_in_space(face_rgb, matrix, offset, space, working=working)
    else:
        pixels = enc(face_rgb, np.float32)
        if method == "histogram":  # the face's samples are among its pixels: encoded once, all of them
            weights = matte[where] if apply_to == "matte" else matte.reshape(-1)
            measured = weights > threshold
            mapped = _match_channels(pixels, pixels[measured], weights[measured].astype(np.float64),
                                     enc(plate_s, np.float32), plate_w)
        else:
            rng = np.random.default_rng(seed)
            fs, fw = _subsample(enc(face_s), face_w, rng)
            ps, pw = _subsample(enc(plate_s), plate_w, rng)
            bases = 1 if method == "idt" else 4
            steps = iterations if iterations is not None else (10 if method == "idt" else 8)
            mapped = _iterative(pixels, fs, fw, ps, pw, rng, steps=steps, bases=bases)
        rgb = decode(mapped, space, working=working, dtype=np.float32)
    if amount != 1:
        rgb = face_rgb + np.float32(amount) * (rgb - face_rgb)
    if apply_to == "image":
        out[..., :3] = rgb.reshape(face.shape[:2] + (3,))
    else:
        out[..., :3][where] = rgb
    return out


def _sqrtm(cov: np.ndarray, inverse: bool = False) -> np.ndarray:
    values, vectors = np.linalg.eigh(cov)
    values = np.maximum(values, _EPS)
    return (vectors * (values ** (-0.5 if inverse else 0.5))) @ vectors.T


def linear_matrix(method: str, src_cov: np.ndarray, dst_cov: np.ndarray) -> np.ndarray:
    """(3, 3) matrix A with `y = A (x - mean_src) + mean_dst`."""
    if method == "avg":
        return np.eye(3)
    if method == "rct":
        return np.diag(np.sqrt(np.maximum(np.diag(dst_cov), _EPS) / np.maximum(np.diag(src_cov), _EPS)))
    reg = _EPS * np.eye(3)
    if method == "lct":
        return np.linalg.cholesky(dst_cov + reg) @ np.linalg.inv(np.linalg.cholesky(src_cov + reg))
    src_half, src_inv_half = _sqrtm(src_cov + reg), _sqrtm(src_cov + reg, inverse=True)
    return src_inv_half @ _sqrtm(src_half @ (dst_cov + reg) @ src_half) @ src_inv_half


def _subsample(samples: np.ndarray, weights: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    if len(samples) <= _MAX_SAMPLES:
        return samples, weights
    pick = np.sort(rng.choice(len(samples), size=_MAX_SAMPLES, replace=False))
    return samples[pick], weights[pick]


def _axis_map(src: np.ndarray, src_w: np.ndarray, dst: np.ndarray, dst_w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Quantiles of `src` (made strictly increasing) and of `dst` at the same levels."""
    src_q = weighted_quantiles(src, src_w, _LEVELS)
    span = max(float(src_q[-1] - src_q[0]), 1.0)
    src_q = np.maximum.accumulate(src_q + np.arange(len(src_q)) * span * 1e-9)
    return src_q, weighted_quantiles(dst, dst_w, _LEVELS)


def _match_channels(pixels: np.ndarray, fs: np.ndarray, fw: np.ndarray, ps: np.ndarray,
                    pw: np.ndarray) -> np.ndarray:
    """One quantile-matching pass along each channel of `space`; returns the moved pixels (N, 3)."""
    planar, fs, ps = (np.ascontiguousarray(a.T) for a in (pixels, fs, ps))  # channel rows: contiguous sorts
    for c in range(3):
        src_q, dst_q = _axis_map(fs[c], fw, ps[c], pw)
        planar[c] = quantile_map(planar[c], src_q, dst_q)
    return planar.T


def _random_basis(rng: np.random.Generator) -> np.ndarray:
    q, r = np.linalg.qr(rng.standard_normal((3, 3)))
    return q * np.sign(np.diag(r))


def _iterative(pixels: np.ndarray, fs: np.ndarray, fw: np.ndarray, ps: np.ndarray, pw: np.ndarray,
               rng: np.random.Generator, *, steps: int, bases: int) -> np.ndarray:
    """IDT (`bases=1`) or sliced OT (`bases>1`: the mean move of several random bases per step)."""
    if steps < 1:
        raise ValueError(f"iterations must be >= 1, got {steps}")
    pixels = pixels.copy()
    for _ in range(steps):
        basis_list = [_random_basis(rng) for _ in range(bases)]
        move_s = np.zeros_like(fs)
        move_p = np.zeros_like(pixels)
        for basis in basis_list:
            for axis in basis:
                src_q, dst_q = _axis_map(fs @ axis, fw, ps @ axis, pw)
                proj_s, proj_p = fs @ axis, pixels @ axis
                move_s += np.outer(quantile_map(proj_s, src_q, dst_q) - proj_s, axis)
                move_p += np.outer(quantile_map(proj_p, src_q, dst_q) - proj_p, axis)
        fs = fs + move_s / bases
        pixels += move_p / bases
    return pixels
