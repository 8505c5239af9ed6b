"""A perceptual space reached from any color space of the config: OKLab through ACES2065-1.

Pixels go through OCIO from their own color space to the config's `aces_interchange` role
(ACES2065-1: scene-linear, AP0 primaries, D60 — a role every OCIO 2.2+ config defines), then by a
fixed matrix to linear Rec.709/D65 (Bradford adaptation, the ACES reference matrix) and into
OKLab (Ottosson 2020; signed cube root, so values above 1 and negatives stay finite). The result
does not depend on the plate's working space: an ACEScg, ACES2065-1 or sRGB-encoded file showing
the same light gives the same OKLab.

`DELTA_E_SCALE` turns OKLab distances into roughly CIELAB-sized units (L in 0..100): 1 is a barely
visible difference on a flat patch, 2-3 a visible one on skin.
"""
import numpy as np

from facegraft.core.color.ocio import ColorManager
from facegraft.core.errors import ColorConfigError

INTERCHANGE_ROLE = "aces_interchange"
DELTA_E_SCALE = 100.0
# ACES2065-1 (AP0, D60) -> linear Rec.709 (D65), Bradford.
AP0_TO_REC709 = np.array([[2.52168619, -1.13413099, -0.38755520],
                          [-0.27647991, 1.37271909, -0.09623917],
                          [-0.01537806, -0.15297534, 1.16835340]])
_REC709_TO_LMS = np.array([[0.4122214708, 0.5363325363, 0.0514459929],
                           [0.2119034982, 0.6806995451, 0.1073969566],
                           [0.0883024619, 0.2817188376, 0.6299787005]])
_LMS_TO_LAB = np.array([[0.2104542553, 0.7936177850, -0.0040720468],
                        [1.9779984951, -2.4285922050, 0.4505937099],
                        [0.0259040371, 0.7827717662, -0.8086757660]])


def to_oklab(pixels: np.ndarray, colorspace: str, color: ColorManager) -> np.ndarray:
    """OKLab of RGB pixels in `colorspace`.

    Args:
        pixels: (..., C >= 3) float, RGB first, unclipped, in `colorspace` (name, alias or role).
        colorspace: the pixels' color space in `color`'s config.
        color: the config to convert with.
    Returns: (..., 3) float32 OKLab (L ≈ 0..1 for diffuse light, a/b ≈ -0.4..0.4).
    Raises: ColorConfigError when the config has no `aces_interchange` role or the space is unknown.
    """
    if not color.config.hasRole(INTERCHANGE_ROLE):
        raise ColorConfigError(f"OCIO config {color.source} defines no {INTERCHANGE_ROLE!r} role; "
                               "use an OCIO 2.2+ config (or unset $OCIO for the built-in one)")
    rgb = np.asarray(pixels, np.float32)[..., :3]
    shape = rgb.shape
    flat = np.ascontiguousarray(rgb.reshape(-1, 1, 3))
    aces = color.convert(flat, colorspace, INTERCHANGE_ROLE).reshape(-1, 3)
    cone = np.cbrt(_apply_matrix(aces, _AP0_TO_LMS))
    return _apply_matrix(cone, _LMS_TO_LAB).reshape(shape)


_AP0_TO_LMS = _REC709_TO_LMS @ AP0_TO_REC709


def _apply_matrix(values: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """(N, 3) float32 @ matrix.T, as three fused passes per output channel (several times faster
    than a float (N, 3) @ (3, 3) product, which takes no BLAS path)."""
    out = np.empty_like(values, dtype=np.float32)
    m = matrix.astype(np.float32)
    for i in range(3):
        np.multiply(values[:, 0], m[i, 0], out=out[:, i])
        out[:, i] += values[:, 1] * m[i, 1]
        out[:, i] += values[:, 2] * m[i, 2]
    return out
