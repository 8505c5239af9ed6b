"""What the detection backends see: a display-referred 8-bit encoding of the plate.

Detectors and landmark models were trained on sRGB-encoded photos, so a scene-linear plate is
converted to sRGB Encoded Rec.709 with OCIO, clipped to [0, 1] and quantised. Coordinates are
unchanged: the image has the plate's size and pixel grid.
"""
import numpy as np

from facegraft.core.checks import check_image
from facegraft.core.color import SRGB_ENCODED, ColorManager


def detection_image(pixels: np.ndarray, *, colorspace: str, color: ColorManager) -> np.ndarray:
    """The plate as detectors want it.

    Args:
        pixels: (H, W, C) float32, C >= 3 (RGB first), in `colorspace`, unclipped.
        colorspace: the pixels' color space (name, alias or role of `color`'s config).
        color: the color manager to convert with.
    Returns: (H, W, 3) uint8, RGB, sRGB-encoded, contiguous (a new array).
    Raises: ColorConfigError for an unknown color space; TypeError/ValueError for bad pixels.
    """
    check_image(pixels, channels=(3, 4, 5, 6, 7, 8), name="pixels")
    rgb = np.ascontiguousarray(pixels[..., :3])
    if color.resolve(colorspace) != color.resolve(SRGB_ENCODED):
        rgb = color.convert(rgb, colorspace, SRGB_ENCODED)
    return np.ascontiguousarray((np.clip(np.nan_to_num(rgb), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8))
