"""One-line validators for the public boundaries of the core (STYLE.md §2).

A wrong shape coming from our own code is a bug, so these raise `ValueError`/`TypeError`; a user's
file with the wrong channels is reported by the reader as a `MediaError` instead.
"""
from collections.abc import Sequence

import numpy as np


def check_image(x: np.ndarray, *, channels: Sequence[int] = (1, 2, 3, 4), name: str = "image") -> None:
    """Require a float32 `(H, W, C)` array with `C` in `channels`."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(x).__name__}")
    if x.dtype != np.float32:
        raise TypeError(f"{name} must be float32 (H, W, C), got {x.dtype}; convert with .astype(np.float32)")
    if x.ndim != 3 or x.shape[2] not in channels:
        raise ValueError(f"{name} must have shape (H, W, C) with C in {tuple(channels)}, got {x.shape}")


def check_matte(m: np.ndarray, *, like: np.ndarray | None = None, name: str = "matte") -> None:
    """Require a float32 `(H, W)` array, of the same height and width as `like` when given."""
    if not isinstance(m, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(m).__name__}")
    if m.dtype != np.float32:
        raise TypeError(f"{name} must be float32 (H, W), got {m.dtype}")
    if m.ndim != 2:
        raise ValueError(f"{name} must have shape (H, W), got {m.shape}")
    if like is not None and m.shape != like.shape[:2]:
        raise ValueError(f"{name} shape {m.shape} does not match image shape {like.shape[:2]}")


def check_affine(m: np.ndarray, *, name: str = "matrix") -> None:
    """Require a finite `(2, 3)` affine matrix (frame → crop by convention)."""
    if not isinstance(m, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(m).__name__}")
    if m.shape != (2, 3):
        raise ValueError(f"{name} must have shape (2, 3), got {m.shape}")
    if not np.all(np.isfinite(m)):
        raise ValueError(f"{name} must be finite, got {m.tolist()}")
    if abs(np.linalg.det(m[:, :2])) < 1e-12:
        raise ValueError(f"{name} is singular: {m.tolist()}")
