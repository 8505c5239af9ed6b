"""Working encodings for color statistics: invertible on all real values (>1 and negative included).

Color transfer matches statistics in a space where they behave perceptually, then goes back exactly:

- `"oklab"`: scene-linear ACEScg (facegraft's default `scene_linear` role, AP1 primaries, D60) →
  linear Rec.709/D65 (Bradford) → OKLab's LMS → *signed* cube root → OKLab. The signed cube root is
  defined, smooth and strictly monotonic on all reals, so a linear 2.0 or a negative channel maps to
  a finite Lab value and back; nothing clamps (unlike OpenCV's 8-bit Lab).
- `"oklab_rec709"`: the same for a working space with Rec.709 primaries (linear sRGB).
- `"log"`: per channel `asinh(x / 2**-8)`, logarithmic above ~0.01, linear through zero, signed.
- `"linear"`: the working values themselves.

Arrays are `(..., 3)`; computation is float64 and the round trip is exact to float rounding.
"""
from typing import Literal

import numpy as np

Space = Literal["oklab", "oklab_rec709", "log", "linear"]
SPACES: tuple[str, ...] = ("oklab", "oklab_rec709", "log", "linear")

# ACEScg (AP1, D60) -> linear Rec.709 (D65), Bradford adaptation (the ACES reference matrix).
_AP1_TO_REC709 = np.array([[1.70505099, -0.62179212, -0.08325887],
                           [-0.13025642, 1.14080474, -0.01054832],
                           [-0.02400336, -0.12896898, 1.15297233]])
# OKLab (Ottosson 2020): linear sRGB -> LMS, and cube-rooted LMS -> Lab.
_REC709_TO_LMS = np.array([[0.4122214708, 0.5363325363, 0.0514459929],
                           [0.2119034982, 0.6806995451, 0.1073969566],
                           [0.0883024619, 0.2817188376, 0.6299787005]])
_LMS_TO_LAB = np.array([[0.2104542553, 0.7936177850, -0.0040720468],
                        [1.9779984951, -2.4285922050, 0.4505937099],
                        [0.0259040371, 0.7827717662, -0.8086757660]])
_M1 = {"oklab": _REC709_TO_LMS @ _AP1_TO_REC709, "oklab_rec709": _REC709_TO_LMS}
_M1_INV = {k: np.linalg.inv(v) for k, v in _M1.items()}
_LAB_TO_LMS = np.linalg.inv(_LMS_TO_LAB)
_LOG_SCALE = 2.0**-8


def check_space(space: str) -> None:
    """Raise ValueError for an unknown encoding name."""
    if space not in SPACES:
        raise ValueError(f"space must be one of {SPACES}, got {space!r}")


def encode(rgb: np.ndarray, space: Space, *, dtype: type = np.float64) -> np.ndarray:
    """Scene-linear working RGB `(..., 3)` → `space`, computed in `dtype` (float64 or float32 for speed).

    Raises: ValueError for an unknown space.
    """
    check_space(space)
    x: np.ndarray = np.asarray(rgb, dtype=dtype)
    if space == "linear":
        return x.copy()
    if space == "log":
        return np.arcsinh(x / x.dtype.type(_LOG_SCALE))
    lms = x @ _M1[space].T.astype(dtype)
    return np.cbrt(lms) @ _LMS_TO_LAB.T.astype(dtype)


def decode(values: np.ndarray, space: Space, *, dtype: type = np.float64) -> np.ndarray:
    """`space` `(..., 3)` → scene-linear working RGB in `dtype`; inverse of `encode` to float rounding."""
    check_space(space)
    y: np.ndarray = np.asarray(values, dtype=dtype)
    if space == "linear":
        return y.copy()
    if space == "log":
        return np.sinh(y) * y.dtype.type(_LOG_SCALE)
    lms = y @ _LAB_TO_LMS.T.astype(dtype)
    return (lms * lms * lms) @ _M1_INV[space].T.astype(dtype)


def affine_in_space(rgb: np.ndarray, matrix: np.ndarray, offset: np.ndarray, space: Space, *,
                    dtype: type = np.float32) -> np.ndarray:
    """`decode(encode(rgb) @ matrix.T + offset)` with the linear steps fused (one pass fewer per side).

    Args: rgb (N, 3) scene-linear working RGB; matrix (3, 3) and offset (3,) act in `space`.
    Returns: (N, 3) scene-linear working RGB in `dtype`.
    """
    check_space(space)
    if space in ("linear", "log"):
        return decode(encode(rgb, space, dtype=dtype) @ matrix.T.astype(dtype) + offset.astype(dtype), space,
                      dtype=dtype)
    # Lab = c @ L.T with c = cbrt(lms); (c @ L.T) @ A.T + o = c @ (L.T A.T) + o; back: lms' = (.. @ Linv.T)^3
    fused = (_LAB_TO_LMS @ matrix @ _LMS_TO_LAB).T.astype(dtype)
    shift: np.ndarray = (offset @ _LAB_TO_LMS.T).astype(dtype)
    c = np.cbrt(np.asarray(rgb, dtype=dtype) @ _M1[space].T.astype(dtype)) @ fused + shift
    return (c * c * c) @ _M1_INV[space].T.astype(dtype)
