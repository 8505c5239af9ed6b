"""OKLab, the core's one perceptual space, reached from any color space of an OCIO config.

Path: pixels in their own color space (a plate's working space) → OCIO → the config's
`scene_linear` role → a fixed 3x3 matrix to OKLab's LMS → signed cube root → OKLab (Ottosson 2020).
The LMS matrix depends on the primaries of the config's scene-linear space, which OCIO reports by
converting it to the `aces_interchange` role (ACES2065-1: AP0, D60; every OCIO 2.2+ config defines
it) and on to linear Rec.709/D65 (Bradford, the ACES reference matrix). When those primaries are
ACEScg (the built-in config's scene_linear), Rec.709 or ACES2065-1 to 1e-4, the exact reference
matrix is used, so an ACEScg plate under the built-in config needs no OCIO call at all.

The signed cube root is smooth and strictly monotonic on all reals: a linear 2.0 or a negative
channel maps to a finite Lab value and back; nothing clamps (unlike OpenCV's 8-bit Lab). The result
does not depend on the working space: an ACEScg, ACES2065-1 or sRGB-encoded file showing the same
light gives the same OKLab.

`DELTA_E_SCALE` turns OKLab distances into roughly CIELAB-sized units (L in 0..100): 1 is a barely
visible difference on a flat patch, 2-3 a visible one on skin.
"""
from dataclasses import dataclass, field

import numpy as np

from facegraft.core.color.ocio import SCENE_LINEAR, ColorManager
from facegraft.core.errors import ColorConfigError

INTERCHANGE_ROLE = "aces_interchange"
DELTA_E_SCALE = 100.0
# ACES2065-1 (AP0, D60) -> linear Rec.709 (D65), Bradford.
AP0_TO_REC709 = np.array([[2.52168619, -1.13413099, -0.38755520],
                          [-0.27647991, 1.37271909, -0.09623917],
                          [-0.01537806, -0.15297534, 1.16835340]])
# ACEScg (AP1, D60) -> linear Rec.709 (D65), Bradford (the ACES reference matrix).
AP1_TO_REC709 = np.array([[1.70505099, -0.62179212, -0.08325887],
                          [-0.13025642, 1.14080474, -0.01054832],
                          [-0.02400336, -0.12896898, 1.15297233]])
# OKLab: linear Rec.709 -> LMS, and cube-rooted LMS -> Lab.
REC709_TO_LMS = np.array([[0.4122214708, 0.5363325363, 0.0514459929],
                          [0.2119034982, 0.6806995451, 0.1073969566],
                          [0.0883024619, 0.2817188376, 0.6299787005]])
LMS_TO_LAB = np.array([[0.2104542553, 0.7936177850, -0.0040720468],
                       [1.9779984951, -2.4285922050, 0.4505937099],
                       [0.0259040371, 0.7827717662, -0.8086757660]])
LAB_TO_LMS = np.linalg.inv(LMS_TO_LAB)
# Primaries snapped to their reference matrices (scene-linear RGB -> linear Rec.709).
_KNOWN_PRIMARIES = (AP1_TO_REC709, np.eye(3), AP0_TO_REC709)
_SNAP_TOLERANCE = 1e-4


def _frozen(matrix: np.ndarray) -> np.ndarray:
    out = np.array(matrix, dtype=np.float64)
    out.flags.writeable = False
    return out


@dataclass(frozen=True, eq=False)
class WorkingSpace:
    """A plate's working color space and the way from it to OKLab.

    name: the working space (canonical name in `color`'s config). linear: the config's
    scene-linear space. to_lms: (3, 3) float64, scene-linear RGB → OKLab LMS. color: the config
    that converts working ↔ scene-linear, or None when the two are the same space (no OCIO step).
    Build it with `from_config` at the edge (one per plate) and pass it down.
    """

    name: str
    linear: str
    to_lms: np.ndarray = field(repr=False)
    color: ColorManager | None = field(default=None, repr=False)

    @classmethod
    def from_config(cls, color: ColorManager, colorspace: str) -> "WorkingSpace":
        """The working space `colorspace` (name, alias or role) of `color`'s config.

        Raises: ColorConfigError for an unknown space, a config without a `scene_linear` or
            `aces_interchange` role, or a scene_linear that is not linear.
        """
        name = color.resolve(colorspace)
        if not color.config.hasRole(SCENE_LINEAR):
            raise ColorConfigError(f"OCIO config {color.source} defines no {SCENE_LINEAR!r} role; "
                                   "add one (or unset $OCIO for the built-in config)")
        linear = color.resolve(SCENE_LINEAR)
        to_lms = _frozen(REC709_TO_LMS @ _linear_to_rec709(color, linear))
        return cls(name, linear, to_lms, None if name == linear else color)

    def to_linear(self, rgb: np.ndarray, *, dtype: type = np.float32) -> np.ndarray:
        """(N, 3) RGB in the working space → (N, 3) scene-linear RGB in `dtype`. Without an OCIO
        step this is `rgb` itself when it already has `dtype`: do not write into the result."""
        if self.color is None:
            return np.asarray(rgb, dtype=dtype)
        return self._convert(rgb, self.name, self.linear).astype(dtype, copy=False)

    def from_linear(self, rgb: np.ndarray, *, dtype: type = np.float32) -> np.ndarray:
        """(N, 3) scene-linear RGB → (N, 3) working-space RGB in `dtype`; inverse of `to_linear`
        (and, like it, possibly `rgb` itself)."""
        if self.color is None:
            return np.asarray(rgb, dtype=dtype)
        return self._convert(rgb, self.linear, self.name).astype(dtype, copy=False)

    def _convert(self, rgb: np.ndarray, src: str, dst: str) -> np.ndarray:
        assert self.color is not None
        flat = np.ascontiguousarray(rgb, dtype=np.float32).reshape(-1, 1, 3)
        return self.color.convert(flat, src, dst).reshape(-1, 3)


# The built-in config's working space: ACEScg, which is its scene_linear role.
ACESCG = WorkingSpace("ACEScg", "ACEScg", _frozen(REC709_TO_LMS @ AP1_TO_REC709))


def _linear_to_rec709(color: ColorManager, linear: str) -> np.ndarray:
    """(3, 3) matrix from the config's scene-linear space `linear` to linear Rec.709, via OCIO's
    `aces_interchange`; snapped to the reference matrix of known primaries."""
    if not color.config.hasRole(INTERCHANGE_ROLE):
        raise ColorConfigError(f"OCIO config {color.source} defines no {INTERCHANGE_ROLE!r} role; "
                               "use an OCIO 2.2+ config (or unset $OCIO for the built-in one)")
    probe = np.array([[[1, 0, 0], [0, 1, 0], [0, 0, 1], [0.5, 0.25, 2.0]]], np.float32)
    ap0 = color.convert(probe, linear, INTERCHANGE_ROLE)[0].astype(np.float64)
    matrix = ap0[:3].T
    if not np.allclose(ap0[3], matrix @ probe[0, 3], rtol=1e-4, atol=1e-5):
        raise ColorConfigError(f"OCIO config {color.source}: its scene_linear space {linear!r} is not linear; "
                               "fix the role (or unset $OCIO for the built-in config)")
    to_rec709 = AP0_TO_REC709 @ matrix
    for known in _KNOWN_PRIMARIES:
        if np.allclose(to_rec709, known, atol=_SNAP_TOLERANCE):
            return known
    return to_rec709


def _apply_matrix(values: np.ndarray, matrix: np.ndarray, dtype: type) -> np.ndarray:
    """(N, 3) values @ matrix.T, computed in `dtype`."""
    return np.asarray(values, dtype) @ np.ascontiguousarray(matrix.T, dtype=dtype)


def _times(values: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """(N, 3) float32 values @ matrix.T with a C-ordered float32 right factor (the fastest BLAS call)."""
    return values @ np.ascontiguousarray(matrix.T, dtype=np.float32)


def linear_to_oklab(rgb: np.ndarray, to_lms: np.ndarray, *, dtype: type = np.float64) -> np.ndarray:
    """(N, 3) scene-linear RGB → (N, 3) OKLab in `dtype`, with `to_lms` (3, 3) for its primaries."""
    cone = _apply_matrix(np.asarray(rgb, dtype), to_lms, dtype)
    np.cbrt(cone, out=cone)
    return _apply_matrix(cone, LMS_TO_LAB, dtype)


def oklab_to_linear(lab: np.ndarray, to_lms: np.ndarray, *, dtype: type = np.float64) -> np.ndarray:
    """(N, 3) OKLab → (N, 3) scene-linear RGB in `dtype`; inverse of `linear_to_oklab` to float rounding."""
    cone = _apply_matrix(np.asarray(lab, dtype), LAB_TO_LMS, dtype)
    return _apply_matrix(cone * cone * cone, np.linalg.inv(to_lms), dtype)


def oklab_affine(rgb: np.ndarray, matrix: np.ndarray, offset: np.ndarray, to_lms: np.ndarray, *,
                 out: np.ndarray | None = None) -> np.ndarray:
    """`oklab_to_linear(linear_to_oklab(rgb) @ matrix.T + offset)` in float32, with the linear steps fused
    and the temporaries reused (on this kind of machine fresh memory costs more than the arithmetic).

    Args: rgb (N, 3) float32 scene-linear; matrix (3, 3) and offset (3,) act on OKLab; to_lms as above;
        out: optional C-contiguous (N, 3) float32 array to write the result into (may not be `rgb`).
    Returns: (N, 3) float32 scene-linear RGB (`out` when given).
    """
    # Lab = c @ L.T with c = cbrt(lms); (c @ L.T) @ A.T + o = c @ (L.T A.T) + o; back: lms' = (.. @ Linv.T)^3
    cone = _times(np.asarray(rgb, np.float32), to_lms)
    np.cbrt(cone, out=cone)
    moved = _times(cone, LAB_TO_LMS @ matrix @ LMS_TO_LAB)
    moved += (LAB_TO_LMS @ offset).astype(np.float32)
    np.multiply(moved, moved, out=cone)
    cone *= moved
    return np.matmul(cone, np.ascontiguousarray(np.linalg.inv(to_lms).T, dtype=np.float32), out=out)


def to_oklab(pixels: np.ndarray, colorspace: str, color: ColorManager) -> np.ndarray:
    """OKLab of RGB pixels in `colorspace`.

    Args:
        pixels: (..., C >= 3) float, RGB first, unclipped, in `colorspace` (name, alias or role).
        colorspace: the pixels' color space in `color`'s config.
        color: the config to convert with.
    Returns: (..., 3) float32 OKLab (L ≈ 0..1 for diffuse light, a/b ≈ -0.4..0.4).
    Raises: ColorConfigError when the config has no `scene_linear`/`aces_interchange` role or the
        space is unknown.
    """
    working = WorkingSpace.from_config(color, colorspace)
    rgb = np.asarray(pixels, np.float32)[..., :3]
    linear = working.to_linear(rgb.reshape(-1, 3))
    return linear_to_oklab(linear, working.to_lms, dtype=np.float32).reshape(rgb.shape)
