"""Face masks drawn from the 468 mesh points: the face oval (brow to chin, forehead included),
lips, open mouth, eyes — finer than the 68-point hull, which has no forehead line of its own.

Convention: crop pixels, origin at the top-left corner of the top-left pixel (pixel i covers
[i, i+1)); a mask is (S, S) float32 in [0, 1], 1 inside.
"""
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from facegraft.core.detect.mesh_topology import FACE_OVAL, LEFT_EYE, LIPS_INNER, LIPS_OUTER, MESH_POINTS, RIGHT_EYE
from facegraft.core.masks.landmark import fill_polygons, landmark_mask

DENSE_REGIONS = {"face": (FACE_OVAL,), "lips": (LIPS_OUTER,), "mouth": (LIPS_INNER,), "eyes": (RIGHT_EYE, LEFT_EYE)}


def dense_mask(dense_crop: np.ndarray, *, size: int, include: Sequence[str] = ("face",),
               exclude: Sequence[str] = ()) -> np.ndarray:
    """The union of the `include` regions minus the `exclude` regions, antialiased.

    Args:
        dense_crop: (468, 2) float mesh points, crop pixels (Convention above).
        size: crop side S. include, exclude: names of DENSE_REGIONS (face, lips, mouth, eyes).
    Returns: (S, S) float32 in [0, 1].
    Raises: ValueError for a wrong shape, non-finite points, an unknown region or a size < 1.
    """
    points = np.asarray(dense_crop, np.float64)
    if points.shape != (MESH_POINTS, 2) or not np.all(np.isfinite(points)):
        raise ValueError(f"dense_crop must be finite ({MESH_POINTS}, 2) crop pixels, got shape {points.shape}")
    if size < 1:
        raise ValueError(f"size must be >= 1, got {size}")
    unknown = [r for r in (*include, *exclude) if r not in DENSE_REGIONS]
    if unknown:
        raise ValueError(f"unknown mask regions {unknown}; known: {', '.join(DENSE_REGIONS)}")
    mask = _draw(points, include, size)
    if exclude:
        mask = np.minimum(mask, 1.0 - _draw(points, exclude, size))
    return mask.astype(np.float32)


def _draw(points: np.ndarray, regions: Sequence[str], size: int) -> np.ndarray:
    return fill_polygons((size, size), [points[list(loop)] for r in regions for loop in DENSE_REGIONS[r]])


@dataclass(frozen=True)
class DenseMasker:
    """A `Masker` that draws `dense_mask` when the face has mesh points, else the 68-point hull.

    include, exclude: regions (see DENSE_REGIONS); forehead: the 68-point fallback's brow raise.
    """

    include: tuple[str, ...] = ("face",)
    exclude: tuple[str, ...] = ()
    forehead: float = 0.4
    name: str = "mesh"

    def __call__(self, crop: np.ndarray, landmarks_crop: np.ndarray,
                 dense_crop: np.ndarray | None = None) -> np.ndarray:
        """crop (S, S, 3) float32; landmarks_crop (68, 2), dense_crop (468, 2) or None, crop px → (S, S) float32."""
        if dense_crop is None:
            return landmark_mask(landmarks_crop, size=crop.shape[0], forehead=self.forehead)
        return dense_mask(dense_crop, size=crop.shape[0], include=self.include, exclude=self.exclude)
