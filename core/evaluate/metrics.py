"""Swap quality measures as pure functions of arrays: identity, expression agreement over a shot,
temporal stability.

Identity embeddings are dlib's 128-D face descriptors: the same person is closer than 0.6
(`SAME_PERSON`), two frames of one person ≈ 0.1 apart, different people ≈ 0.8.
"""
from dataclasses import dataclass

import numpy as np

from facegraft.core.align.face_geometry import interocular

SAME_PERSON = 0.6


def identity_distances(embeddings: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Euclidean distances of embeddings (N, D) (or (D,)) to `reference` (D,) or per-row (N, D).

    Returns: (N,) float64 (NaN where an embedding row is NaN: no face measured).
    Raises: ValueError if the widths differ.
    """
    e = np.atleast_2d(np.asarray(embeddings, np.float64))
    r = np.asarray(reference, np.float64)
    if e.shape[-1] != r.shape[-1]:
        raise ValueError(f"embeddings of width {e.shape[-1]} against a reference of width {r.shape[-1]}")
    return np.linalg.norm(e - r, axis=-1)


def mean_identity(embeddings: np.ndarray) -> np.ndarray:
    """The mean embedding (D,) of (N, D) embeddings, NaN rows ignored. Raises ValueError if none is finite."""
    e = np.atleast_2d(np.asarray(embeddings, np.float64))
    finite = np.all(np.isfinite(e), axis=1)
    if not finite.any():
        raise ValueError("no finite embedding to average")
    return e[finite].mean(axis=0)


def landmark_jitter(landmarks: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Motion the swap adds to the face, per frame step.

    For consecutive frames t-1, t: mean over the 68 points of |(s_t - s_{t-1}) - (p_t - p_{t-1})|,
    over the reference's interocular at t. A swap that follows the plate exactly scores 0; a
    static plate with a trembling swap scores the tremble.

    Args: landmarks (T, 68, 2) of the swapped faces, reference (T, 68, 2) of the plate's, in frame
        pixels, consecutive frames (NaN where a frame has no face).
    Returns: (T - 1,) float64 (NaN where either frame lacks a face); empty for T < 2.
    Raises: ValueError for mismatched shapes.
    """
    s, p = np.asarray(landmarks, np.float64), np.asarray(reference, np.float64)
    if s.shape != p.shape or s.ndim != 3 or s.shape[1:] != (68, 2):
        raise ValueError(f"need two (T, 68, 2) arrays of one shape, got {s.shape} and {p.shape}")
    if len(s) < 2:
        return np.zeros(0)
    extra = np.diff(s, axis=0) - np.diff(p, axis=0)
    return np.linalg.norm(extra, axis=-1).mean(axis=-1) / np.maximum(interocular(p[1:]), 1e-9)


def frame_change(previous: np.ndarray, current: np.ndarray, matte: np.ndarray) -> float:
    """Mean absolute change of RGB from `previous` to `current` weighted by `matte`.

    Args: previous, current: (H, W, C>=3) float32, one encoding (eval uses sRGB-encoded [0, 1]).
        matte: (H, W) float in [0, 1], where to look.
    Returns: float (NaN when the matte is empty).
    """
    weight = np.asarray(matte, np.float64)
    total = weight.sum()
    if total <= 0:
        return float("nan")
    diff = np.abs(current[..., :3] - previous[..., :3]).mean(axis=-1, dtype=np.float64)
    return float((diff * weight).sum() / total)


def flicker_ratio(swap_change: np.ndarray, plate_change: np.ndarray, *, floor: float = 1e-3) -> np.ndarray:
    """Per frame step, the swap's frame-to-frame change inside the matte over the plate's there.

    1 means the swapped face changes as much as the original did; > 1 is added flicker.
    `floor` keeps a frozen plate from dividing by zero (change in encoded units).
    Returns: (T - 1,) float64.
    """
    return np.asarray(swap_change, np.float64) / np.maximum(np.asarray(plate_change, np.float64), floor)


def nan_mean(values: np.ndarray) -> float:
    """Mean of the finite values (NaN when there is none)."""
    v = np.asarray(values, np.float64)
    v = v[np.isfinite(v)]
    return float(v.mean()) if v.size else float("nan")


def nan_median(values: np.ndarray) -> float:
    """Median of the finite values (NaN when there is none)."""
    v = np.asarray(values, np.float64)
    v = v[np.isfinite(v)]
    return float(np.median(v)) if v.size else float("nan")


def robust_range(values: np.ndarray) -> float:
    """Spread of the finite values: 95th minus 5th percentile (NaN when there is none)."""
    v = np.asarray(values, np.float64)
    v = v[np.isfinite(v)]
    return float(np.percentile(v, 95) - np.percentile(v, 5)) if v.size else float("nan")


@dataclass(frozen=True)
class SeriesAgreement:
    """How a swap's per-frame series (e.g. mouth opening) follows the plate's over a shot.

    correlation: Pearson r over frames where both are measured (NaN when either is constant);
    mean_abs_diff: mean |swap - plate|; range_ratio: `robust_range` of swap over plate's;
    plate_range: the plate's own `robust_range` (a plate that barely moves cannot show correlation);
    frames: frames where both are measured.
    """

    correlation: float
    mean_abs_diff: float
    range_ratio: float
    plate_range: float
    frames: int


def series_agreement(swap: np.ndarray, plate: np.ndarray) -> SeriesAgreement:
    """Agreement of `swap` (T,) with `plate` (T,) (NaN where a frame was not measured)."""
    s, p = np.asarray(swap, np.float64), np.asarray(plate, np.float64)
    if s.shape != p.shape:
        raise ValueError(f"series of shapes {s.shape} and {p.shape}")
    both = np.isfinite(s) & np.isfinite(p)
    s, p = s[both], p[both]
    plate_range, swap_range = robust_range(p), robust_range(s)
    correlation = float("nan")
    if len(s) >= 3 and np.ptp(s) > 1e-9 and np.ptp(p) > 1e-9:
        correlation = float(np.corrcoef(s, p)[0, 1])
    return SeriesAgreement(correlation=correlation,
                           mean_abs_diff=float(np.mean(np.abs(s - p))) if len(s) else float("nan"),
                           range_ratio=swap_range / plate_range if plate_range > 0 else float("nan"),
                           plate_range=plate_range, frames=int(len(s)))
