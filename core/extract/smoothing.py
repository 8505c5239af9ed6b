"""Temporal smoothing of landmark tracks: a zero-phase One-Euro filter.

The One-Euro filter (Casiez, Roussel, Vogel, CHI 2012) is a first-order low-pass whose cutoff
rises with the signal's speed: `cutoff = min_cutoff + beta * |speed|`. Slow, jittery points are
smoothed hard; fast motion passes nearly unfiltered. A causal filter still lags a little on
motion, so we run it forwards and backwards over the whole track and average the two passes
(their lags cancel): extraction is offline, so the future frames are known.

Units are scale-free: points are divided by the track's median outer-eye-corner distance (IOD),
so speeds are in IOD per frame, and cutoffs are in cycles per frame (0.5 is the Nyquist limit).
"""
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from facegraft.core.align.face_geometry import interocular


@dataclass(frozen=True)
class SmoothingSettings:
    """One-Euro parameters. min_cutoff: cycles/frame at rest (lower = smoother); beta: cutoff
    increase per IOD/frame of speed (higher = less lag on motion); d_cutoff: speed estimate's cutoff."""

    min_cutoff: float = 0.04
    beta: float = 8.0
    d_cutoff: float = 0.15
    enabled: bool = True

    def to_json(self) -> dict:
        return {"min_cutoff": self.min_cutoff, "beta": self.beta, "d_cutoff": self.d_cutoff, "enabled": self.enabled}

    @classmethod
    def from_json(cls, d: dict) -> "SmoothingSettings":
        return cls(float(d["min_cutoff"]), float(d["beta"]), float(d["d_cutoff"]), bool(d["enabled"]))


SMOOTHING_PRESETS = MappingProxyType({
    "none": SmoothingSettings(enabled=False),
    "low": SmoothingSettings(min_cutoff=0.08, beta=8.0),
    "medium": SmoothingSettings(min_cutoff=0.04, beta=8.0),
    "high": SmoothingSettings(min_cutoff=0.02, beta=8.0),
})


def _alpha(cutoff: np.ndarray | float) -> np.ndarray:
    tau = 1.0 / (2.0 * np.pi * np.asarray(cutoff, np.float64))
    return 1.0 / (1.0 + tau)  # sampling period: one frame


def one_euro(points: np.ndarray, *, min_cutoff: float, beta: float, d_cutoff: float) -> np.ndarray:
    """Causal One-Euro filter along axis 0.

    Args:
        points: (T, K, 2) float, K points over T consecutive frames (any units; speeds per frame).
        min_cutoff, beta, d_cutoff: see SmoothingSettings (speed is the norm of each point's 2D velocity).
    Returns: (T, K, 2) float64, a new array; the first frame is unchanged.
    """
    points = np.asarray(points, np.float64)
    out = np.empty_like(points)
    if len(points) == 0:
        return out
    out[0] = points[0]
    speed = np.zeros(points.shape[1])
    a_d = _alpha(d_cutoff)
    for t in range(1, len(points)):
        raw_speed = np.linalg.norm(points[t] - out[t - 1], axis=-1)
        speed = a_d * raw_speed + (1 - a_d) * speed
        a = _alpha(min_cutoff + beta * speed)[:, None]
        out[t] = a * points[t] + (1 - a) * out[t - 1]
    return out


def track_iod(landmarks: np.ndarray) -> float:
    """The median outer-eye-corner distance (points 36, 45) of a (T, 68, 2) track, frame px."""
    return float(np.median(interocular(landmarks)))


def smooth_track(landmarks: np.ndarray, settings: SmoothingSettings, *, iod: float | None = None) -> np.ndarray:
    """Zero-phase One-Euro smoothing of one face's landmarks over consecutive frames.

    Args:
        landmarks: (T, K, 2) float, frame px, consecutive frames of one face: the 68 iBUG points,
            or any other K points (a dense mesh) when `iod` is given.
        settings: filter parameters; `enabled=False` returns a copy.
        iod: the track's eye distance in px (None: `track_iod` of the 68 points); the same value
            for a face's 68 and dense points smooths them alike.
    Returns: (T, K, 2) float64 frame px (Convention: full-frame pixels, top-left origin).
    """
    landmarks = np.asarray(landmarks, np.float64)
    if landmarks.ndim != 3 or landmarks.shape[2] != 2 or (iod is None and landmarks.shape[1] != 68):
        raise ValueError(f"landmarks must be (T, 68, 2), or (T, K, 2) with iod given; got {landmarks.shape}")
    if not settings.enabled or len(landmarks) < 3:
        return landmarks.copy()
    unit = max(track_iod(landmarks) if iod is None else float(iod), 1e-6)
    x = landmarks / unit
    kw = dict(min_cutoff=settings.min_cutoff, beta=settings.beta, d_cutoff=settings.d_cutoff)
    forward = one_euro(x, **kw)
    backward = one_euro(x[::-1], **kw)[::-1]
    return (forward + backward) * (0.5 * unit)

