"""Unsharp mask for the generated face, on unclipped scene-linear values."""
import numpy as np
from scipy import ndimage

from facegraft.core.checks import check_image, check_matte
from facegraft.core.post.matte import bounding_box


def unsharp_mask(face: np.ndarray, *, amount: float = 0.5, radius: float = 1.0,
                 matte: np.ndarray | None = None) -> np.ndarray:
    """Sharpen `face` as `face + amount * (face - gaussian(face, radius))`, per RGB channel.

    Works directly on scene-linear values, so highlights above 1 are neither clipped nor
    re-encoded; overshoot (ringing) scales with the local contrast. Channels after the third
    (alpha) are copied unchanged.

    Args:
        face: (H, W, 3|4) float32, scene-linear working space, unclipped.
        amount: strength; 0 returns a copy of `face`. Negative values soften.
        radius: gaussian sigma of the blur in pixels, > 0.
        matte: optional (H, W) float32 in [0, 1]; the result is blended in by it (outside = face).
    Returns: (H, W, C) float32 like `face`, unclipped.
    Raises: TypeError/ValueError for bad arrays; ValueError if radius <= 0.
    """
    check_image(face, channels=(3, 4), name="face")
    if matte is not None:
        check_matte(matte, like=face)
    if not radius > 0:
        raise ValueError(f"radius must be > 0 pixels, got {radius}")
    out = face.copy()
    box = (slice(None), slice(None)) if matte is None else bounding_box(matte > 0, margin=0)
    if amount == 0 or box is None:
        return out
    reach = int(4.0 * radius + 0.5) + 1
    h, w = face.shape[:2]
    rows, cols = box
    outer = (slice(max((rows.start or 0) - reach, 0), min((rows.stop or h) + reach, h)),
             slice(max((cols.start or 0) - reach, 0), min((cols.stop or w) + reach, w)))
    rgb = face[outer][..., :3]  # what the matte's pixels see through the kernel; exact there
    blurred = ndimage.gaussian_filter(rgb, sigma=(float(radius), float(radius), 0.0), mode="nearest")
    detail = (rgb - blurred) * np.float32(amount)
    if matte is not None:
        detail *= matte[outer][..., None]
    out[outer][..., :3] += detail
    return out
