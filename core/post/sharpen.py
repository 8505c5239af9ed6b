"""Unsharp mask for the generated face, on unclipped scene-linear values."""
import cv2
import numpy as np

from facegraft.core.checks import check_image, check_matte
from facegraft.core.post.filters import gaussian_blur
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
    box = (slice(None), slice(None)) if matte is None else bounding_box(matte > 0, margin=0)
    if amount == 0 or box is None:
        return face.copy()
    if matte is None and face.shape[2] == 3:  # the whole image: one blur, one weighted sum
        blurred = gaussian_blur(face, sigma=float(radius), border="nearest")
        return cv2.addWeighted(face, 1.0 + float(amount), blurred, -float(amount), 0.0, dst=blurred)
    out = face.copy()
    reach = int(4.0 * radius + 0.5) + 1
    h, w = face.shape[:2]
    rows, cols = box
    outer = (slice(max((rows.start or 0) - reach, 0), min((rows.stop or h) + reach, h)),
             slice(max((cols.start or 0) - reach, 0), min((cols.stop or w) + reach, w)))
    rgb = np.ascontiguousarray(face[outer][..., :3])  # what the matte's pixels see through the kernel
    detail = rgb - gaussian_blur(rgb, sigma=float(radius), border="nearest")
    detail *= np.float32(amount)
    if matte is not None:
        detail *= matte[outer][..., None]
    out[outer][..., :3] += detail
    return out
