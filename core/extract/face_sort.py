"""Order and thin a face set: sort by blur, yaw or identity; drop near-duplicate faces.

All measures are computed from the stored crops (sRGB-encoded, [0, 1]) and crop landmarks.
"""
from collections.abc import Sequence

import cv2
import numpy as np

from facegraft.core.align.face_geometry import head_pose
from facegraft.core.faceset import FaceSet

SORT_KEYS = ("blur", "yaw", "identity")


def sharpness(crop: np.ndarray, mask: np.ndarray) -> float:
    """Variance of the Laplacian of the crop's luma inside the mask (higher = sharper)."""
    luma = crop @ np.array([0.2126, 0.7152, 0.0722], np.float32)
    lap = cv2.Laplacian(luma, cv2.CV_32F, ksize=3)
    weight = mask > 0.5
    return float(lap[weight].var()) if weight.any() else float(lap.var())


def thumbnail(crop: np.ndarray, *, side: int = 32) -> np.ndarray:
    """A small grey, zero-mean, unit-norm version of a crop for duplicate tests (side*side,)."""
    small = cv2.resize(crop @ np.array([0.2126, 0.7152, 0.0722], np.float32), (side, side),
                       interpolation=cv2.INTER_AREA).ravel()
    small = small - small.mean()
    return small / max(float(np.linalg.norm(small)), 1e-6)


def sort_order(faceset: FaceSet, *, by: str, embeddings: np.ndarray | None = None) -> list[int]:
    """Indices of `faceset.faces` in the wanted order: blur (sharpest first), yaw (left to right),
    identity (by distance to the set's mean embedding, closest first; needs `embeddings` (N, D))."""
    if by not in SORT_KEYS:
        raise ValueError(f"by must be one of {SORT_KEYS}, got {by!r}")
    n = len(faceset)
    if by == "yaw":
        size = (faceset.size, faceset.size)  # yaw in degrees, positive turning towards image right
        keys = [float(head_pose(f.landmarks, image_size=size)[0]) for f in faceset.faces]
    elif by == "blur":
        keys = []
        for i in range(n):
            crop, mask = faceset.load(i)
            keys.append(-sharpness(crop, mask))
    else:
        if embeddings is None or len(embeddings) != n:
            raise ValueError("sorting by identity needs one embedding per face")
        keys = list(np.linalg.norm(embeddings - embeddings.mean(0), axis=-1))
    return sorted(range(n), key=lambda i: (keys[i], faceset.faces[i].frame, faceset.faces[i].face_id))


def near_duplicates(faceset: FaceSet, order: Sequence[int], *, threshold: float = 0.01) -> list[int]:
    """Faces to drop: each face whose thumbnail differs from an already kept face of the same id by
    less than `threshold` (1 - correlation of grey 32x32 thumbnails), visiting faces in `order`."""
    kept: dict[int, list[np.ndarray]] = {}
    dropped = []
    for i in order:
        crop, _ = faceset.load(i)
        thumb = thumbnail(crop)
        pool = kept.setdefault(faceset.faces[i].face_id, [])
        if pool and min(1.0 - float(t @ thumb) for t in pool) < threshold:
            dropped.append(i)
        else:
            pool.append(thumb)
    return dropped
