"""Encodings for color statistics, derived from the plate's working space; invertible on all real values.

Color transfer matches statistics in a space where they behave perceptually, then goes back exactly.
Every encoding starts from the plate's working space (a `WorkingSpace`, passed in), goes through
OCIO to the config's scene-linear space (no OCIO call when the two are the same, as for ACEScg
plates under the built-in config), then:

- `"oklab"`: OKLab (`facegraft.core.color.perceptual`, signed cube root: 2.0 and -0.1 survive).
- `"log"`: per channel `asinh(x / 2**-8)`, logarithmic above ~0.01, linear through zero, signed.
- `"linear"`: the scene-linear values themselves.

Arrays are `(N, 3)`; the round trip is exact to float rounding (and to OCIO's float32 processing
for a working space other than the scene-linear one).
"""
from typing import Literal

import numpy as np

from facegraft.core.color.perceptual import WorkingSpace, linear_to_oklab, oklab_affine, oklab_to_linear

Space = Literal["oklab", "log", "linear"]
SPACES: tuple[str, ...] = ("oklab", "log", "linear")
_LOG_SCALE = 2.0**-8


def check_space(space: str) -> None:
    """Raise ValueError for an unknown encoding name."""
    if space not in SPACES:
        raise ValueError(f"space must be one of {SPACES}, got {space!r}")


def encode(rgb: np.ndarray, space: Space, *, working: WorkingSpace, dtype: type = np.float64) -> np.ndarray:
    """Working-space RGB `(N, 3)` → `space`, computed in `dtype` (float64, or float32 for speed).

    Raises: ValueError for an unknown space.
    """
    check_space(space)
    linear = working.to_linear(rgb, dtype=dtype)
    if space == "linear":
        return linear.copy() if linear is rgb else linear
    if space == "log":
        return np.arcsinh(linear / linear.dtype.type(_LOG_SCALE))
    return linear_to_oklab(linear, working.to_lms, dtype=dtype)


def decode(values: np.ndarray, space: Space, *, working: WorkingSpace, dtype: type = np.float64) -> np.ndarray:
    """`space` `(N, 3)` → working-space RGB in `dtype`; inverse of `encode` to float rounding."""
    check_space(space)
    y: np.ndarray = np.asarray(values, dtype=dtype)
    if space == "linear":
        linear = y
    elif space == "log":
        linear = np.sinh(y) * y.dtype.type(_LOG_SCALE)
    else:
        linear = oklab_to_linear(y, working.to_lms, dtype=dtype)
    back = working.from_linear(linear, dtype=dtype)
    return back.copy() if back is values else back


def affine_in_space(rgb: np.ndarray, matrix: np.ndarray, offset: np.ndarray, space: Space, *,
                    working: WorkingSpace, dtype: type = np.float32, out: np.ndarray | None = None) -> np.ndarray:
    """`decode(encode(rgb) @ matrix.T + offset)` with the linear steps fused (one pass fewer per side).

    Args: rgb (N, 3) working-space RGB; matrix (3, 3) and offset (3,) act in `space`; out: optional
        C-contiguous (N, 3) array of `dtype` the result is written into (not `rgb`).
    Returns: (N, 3) working-space RGB in `dtype` (`out` when given).
    """
    check_space(space)
    if space == "oklab" and dtype == np.float32:
        if working.color is None:  # the working space is the scene-linear one: write straight into `out`
            return oklab_affine(np.asarray(rgb, np.float32), matrix, offset, working.to_lms, out=out)
        linear = oklab_affine(working.to_linear(rgb, dtype=dtype), matrix, offset, working.to_lms)
        return _into(working.from_linear(linear, dtype=dtype), out)
    moved = encode(rgb, space, working=working, dtype=dtype) @ matrix.T.astype(dtype) + offset.astype(dtype)
    return _into(decode(moved, space, working=working, dtype=dtype), out)


def _into(values: np.ndarray, out: np.ndarray | None) -> np.ndarray:
    if out is None:
        return values
    out[...] = values
    return out
