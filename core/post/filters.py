"""Separable image filters shared by the post ops, through OpenCV (several times faster than
`scipy.ndimage` on float32 images, and multi-threaded).

Images are float32 `(H, W)` or `(H, W, C)` with C ≤ 4 (OpenCV's limit for these filters); sizes are
in pixels of the image given. Results are new float32 arrays.
"""
from typing import Literal

import cv2
import numpy as np

_BORDERS = {"nearest": cv2.BORDER_REPLICATE, "reflect": cv2.BORDER_REFLECT_101}


def gaussian_blur(image: np.ndarray, *, sigma: float, border: Literal["nearest", "reflect"] = "nearest") -> np.ndarray:
    """Gaussian blur of standard deviation `sigma` pixels, truncated at 4 sigma like
    `scipy.ndimage.gaussian_filter(..., truncate=4.0)` (equal to it within float32 rounding).

    Args:
        image: (H, W) or (H, W, C ≤ 4) float32. sigma: > 0 pixels.
        border: "nearest" repeats the edge pixel (scipy's "nearest"); "reflect" mirrors without
            repeating it.
    Returns: float32, the shape of `image`.
    Raises: ValueError if sigma <= 0 or the image has more than 4 channels.
    """
    if not sigma > 0:
        raise ValueError(f"sigma must be > 0 pixels, got {sigma}")
    if image.ndim == 3 and image.shape[2] > 4:
        raise ValueError(f"gaussian_blur takes at most 4 channels, got {image.shape[2]}")
    size = 2 * int(4.0 * sigma + 0.5) + 1
    out = cv2.GaussianBlur(np.asarray(image, np.float32), (size, size), float(sigma),  # strided views work
                           borderType=_BORDERS[border])
    return out.reshape(image.shape)
