"""Face masks drawn from the 68 landmarks, and the `Masker` interface a learned mask can fill.

Convention: crop pixels, origin at the top-left corner of the top-left pixel (pixel i covers
[i, i+1)); a mask is (S, S) float32 in [0, 1], 1 on the face.
"""
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import cv2
import numpy as np

JAW = tuple(range(0, 17))
BROWS = tuple(range(17, 27))
_SUBPIXEL_BITS = 4


@runtime_checkable
class Masker(Protocol):
    """Makes the face mask of an aligned crop. A learned segmentation model implements this too."""

    name: str

    def __call__(self, crop: np.ndarray, landmarks_crop: np.ndarray) -> np.ndarray:
        """crop (S, S, 3) float32 sRGB-encoded [0, 1]; landmarks_crop (68, 2) crop px → (S, S) float32 [0, 1]."""
        ...


def fill_polygons(shape: tuple[int, int], polygons: Sequence[np.ndarray], *, antialias: bool = True) -> np.ndarray:
    """`polygons` (each (K, 2) px, Convention above) filled on an (H, W) float32 canvas in [0, 1]:
    edge pixels get their covered fraction (antialias) or 0/1 (pixel centers inside)."""
    canvas = np.zeros(shape, np.uint8)
    # OpenCV draws with pixel centers at integers: shift by -0.5, in fixed point.
    fixed = [np.round((np.asarray(p, np.float64) - 0.5) * (1 << _SUBPIXEL_BITS)).astype(np.int32) for p in polygons]
    cv2.fillPoly(canvas, fixed, 255, lineType=cv2.LINE_AA if antialias else cv2.LINE_8, shift=_SUBPIXEL_BITS)
    return canvas.astype(np.float32) * np.float32(1.0 / 255.0)


def hull_mask(points: np.ndarray, shape: tuple[int, int], *, antialias: bool = True) -> np.ndarray:
    """The convex hull of `points` (K, 2) px filled on an (H, W) float32 canvas (see `fill_polygons`)."""
    hull = cv2.convexHull(np.asarray(points, np.float32)).reshape(-1, 2)
    return fill_polygons(shape, [hull], antialias=antialias)


def face_outline(landmarks_crop: np.ndarray, *, forehead: float = 0.4) -> np.ndarray:
    """The polygon of the face: jaw line plus the brows raised towards the hairline.

    Args:
        landmarks_crop: (68, 2) float, iBUG-68 order, crop pixels (Convention above).
        forehead: how far the brows are raised, as a fraction of the eyes-to-chin distance.
    Returns: (27, 2) float64 outline points (jaw, then the raised brows right to left).
    Raises: ValueError for a wrong shape or non-finite points.
    """
    points = np.asarray(landmarks_crop, np.float64)
    if points.shape != (68, 2) or not np.all(np.isfinite(points)):
        raise ValueError(f"landmarks_crop must be finite (68, 2) crop pixels, got shape {points.shape}")
    chin = points[8]
    eyes = points[36:48].mean(0)
    up = eyes - chin
    raised = points[list(BROWS)] + forehead * up
    return np.concatenate([points[list(JAW)], raised[::-1]])


def landmark_mask(landmarks_crop: np.ndarray, *, size: int, forehead: float = 0.4) -> np.ndarray:
    """The convex hull of the face outline (jaw + raised brows), antialiased.

    Args:
        landmarks_crop: (68, 2) float, iBUG-68 order, crop pixels (Convention above).
        size: crop side S. forehead: brow raise as a fraction of the eyes-to-chin distance.
    Returns: (S, S) float32 in [0, 1], 1 inside the face.
    Raises: ValueError for a wrong shape, non-finite points or a size < 1.
    """
    if size < 1:
        raise ValueError(f"size must be >= 1, got {size}")
    return hull_mask(face_outline(landmarks_crop, forehead=forehead), (size, size))


@dataclass(frozen=True)
class LandmarkMasker:
    """`Masker` that draws `landmark_mask`; ignores the crop's pixels."""

    forehead: float = 0.4
    name: str = "landmarks"

    def __call__(self, crop: np.ndarray, landmarks_crop: np.ndarray) -> np.ndarray:
        return landmark_mask(landmarks_crop, size=crop.shape[0], forehead=self.forehead)
