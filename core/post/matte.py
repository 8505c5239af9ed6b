"""Matte operations for compositing a replaced face: grow/shrink, feather, combine, smooth in time.

Mattes are float32 `(H, W)` arrays in [0, 1], in plate pixels (full frame or crop; the functions do
not care which, but every size is in pixels of the matte given). All functions return new arrays.
"""
from collections.abc import Sequence
from typing import Literal

import cv2
import numpy as np

from facegraft.core.checks import check_matte
from facegraft.core.post.filters import gaussian_blur

_SQUARE = np.ones((3, 3), np.uint8)
_CROSS = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))


# Mattes of at most this many pixels (a 512 px face box) are filtered whole, without a box search.
_WHOLE_PIXELS = 512 * 512


def bounding_box(mask: np.ndarray, *, margin: int) -> tuple[slice, slice] | None:
    """Row and column slices of the True pixels of a 2-D bool `mask`, grown by `margin` and clipped to
    the array; None when nothing is True. Ops whose effect reaches at most `margin` pixels run on this
    box only, so their cost follows the face, not the frame."""
    x, y, w, h = cv2.boundingRect(np.ascontiguousarray(mask).view(np.uint8))  # non-zero pixels
    if w == 0:
        return None
    rows, cols = mask.shape
    return (slice(max(y - margin, 0), min(y + h + margin, rows)), slice(max(x - margin, 0), min(x + w + margin, cols)))


def grow_matte(matte: np.ndarray, *, pixels: int) -> np.ndarray:
    """Dilate (`pixels` > 0) or erode (`pixels` < 0) a soft matte by `abs(pixels)` pixels.

    Grey-level morphology with an octagonal structuring element of radius `abs(pixels)` (alternating
    3x3 square and 3x3 cross steps), which is within 8% of a disk and costs O(H*W*N) instead of
    O(H*W*N^2). Soft edges keep their profile and move outwards (or inwards) as a whole.

    Args:
        matte: (H, W) float32 in [0, 1].
        pixels: signed distance in matte pixels; 0 returns a copy.
    Returns: (H, W) float32 in [0, 1].
    Raises: TypeError/ValueError for a matte that is not float32 (H, W); TypeError if `pixels` is not an int.
    """
    check_matte(matte)
    if not isinstance(pixels, (int, np.integer)) or isinstance(pixels, bool):
        raise TypeError(f"pixels must be an int, got {type(pixels).__name__}")
    steps = abs(int(pixels))
    box = bounding_box(matte > 0, margin=steps + 1)  # zeros around the box stay zero (exact)
    if steps == 0 or box is None:
        return matte.copy()
    filt = cv2.dilate if pixels > 0 else cv2.erode
    part = np.ascontiguousarray(matte[box])
    for i in range(steps):  # OpenCV's grey-level max/min, the edge pixel repeated beyond the box
        part = filt(part, _SQUARE if i % 2 == 0 else _CROSS, borderType=cv2.BORDER_REPLICATE)
    out = np.zeros_like(matte)
    out[box] = part
    return out


def feather_gaussian(matte: np.ndarray, *, sigma: float) -> np.ndarray:
    """Blur a matte with a gaussian of standard deviation `sigma` matte pixels (edges: nearest).

    Args:
        matte: (H, W) float32 in [0, 1].
        sigma: gaussian sigma in pixels, >= 0 (0 returns a copy).
    Returns: (H, W) float32 in [0, 1].
    Raises: ValueError if sigma < 0; TypeError/ValueError for a bad matte.
    """
    check_matte(matte)
    if not sigma >= 0:
        raise ValueError(f"sigma must be >= 0 pixels, got {sigma}")
    if sigma == 0:
        return matte.copy()
    if matte.size <= _WHOLE_PIXELS:  # the box search would cost more than it saves
        whole = gaussian_blur(matte, sigma=float(sigma), border="nearest")
        return cv2.min(whole, 1.0, dst=whole)
    box = bounding_box(matte > 0, margin=int(4.0 * sigma + 0.5) + 1)  # the kernel's reach (exact)
    if box is None:
        return matte.copy()
    part = gaussian_blur(matte[box], sigma=float(sigma), border="nearest")
    cv2.min(part, 1.0, dst=part)  # weights summing to 1 + rounding; a blur of values >= 0 stays >= 0
    rows, cols = box
    # the frame of zeros around the box, in one pass
    return cv2.copyMakeBorder(part, rows.start, matte.shape[0] - rows.stop, cols.start, matte.shape[1] - cols.stop,
                              cv2.BORDER_CONSTANT, value=0)


def feather_distance(matte: np.ndarray, *, pixels: float, threshold: float = 0.5) -> np.ndarray:
    """Feather inwards with a linear ramp over `pixels` from the edge of `matte > threshold`.

    The ramp is 0 on the first outside pixel and reaches 1 `pixels` pixel-centres inside the edge
    (exact Euclidean distance, OpenCV's `distanceTransform`); the result is the minimum of that
    ramp and the matte, so soft parts of the matte stay soft and nothing grows outwards.

    Args:
        matte: (H, W) float32 in [0, 1].
        pixels: ramp width in matte pixels, > 0.
        threshold: matte level that defines inside.
    Returns: (H, W) float32 in [0, 1], zero wherever `matte <= threshold`.
    Raises: ValueError if pixels <= 0; TypeError/ValueError for a bad matte.
    """
    check_matte(matte)
    if not pixels > 0:
        raise ValueError(f"pixels must be > 0, got {pixels}")
    inside = matte > threshold
    out = np.zeros_like(matte)
    box = bounding_box(inside, margin=1)  # the ring of outside pixels holds the nearest ones (exact)
    if box is None:
        return out
    distance = cv2.distanceTransform(inside[box].astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    ramp = np.clip((distance - 0.5) / float(pixels), 0.0, 1.0).astype(np.float32)
    out[box] = np.minimum(matte[box], ramp) * inside[box]
    return out


def combine_mattes(mattes: Sequence[np.ndarray], *, mode: Literal["product", "max", "min"] = "product") -> np.ndarray:
    """Combine mattes of one size: `product` (intersection, soft), `max` (union) or `min`.

    Args:
        mattes: one or more (H, W) float32 in [0, 1], same shape.
        mode: how they combine.
    Returns: (H, W) float32 in [0, 1].
    Raises: ValueError for an empty list, mismatched shapes or an unknown mode.
    """
    if len(mattes) == 0:
        raise ValueError("combine_mattes needs at least one matte")
    for m in mattes:
        check_matte(m, like=mattes[0][..., None])
    ops = {"product": np.multiply, "max": np.maximum, "min": np.minimum}
    if mode not in ops:
        raise ValueError(f"mode must be one of {tuple(ops)}, got {mode!r}")
    out = mattes[0].copy()
    for m in mattes[1:]:
        ops[mode](out, m, out=out)
    return out


def smooth_matte_sequence(mattes: Sequence[np.ndarray], *, weights: Sequence[float] | None = None,
                          mode: Literal["mean", "median"] = "mean") -> np.ndarray:
    """Temporal smoothing: the weighted mean (or median) of a window of mattes, for its centre frame.

    The caller passes the mattes of frames `n-k .. n+k` (clamped at the ends of the shot) and gets the
    smoothed matte for frame `n`; no state is kept between calls.

    Args:
        mattes: window of (H, W) float32 in [0, 1], same shape, in frame order.
        weights: one non-negative weight per matte (default: a triangle peaking at the centre);
            ignored for `median`.
        mode: `mean` (weighted) or `median` (per pixel, robust to one bad frame).
    Returns: (H, W) float32 in [0, 1].
    Raises: ValueError for an empty window, mismatched shapes, bad weights or an unknown mode.
    """
    if len(mattes) == 0:
        raise ValueError("smooth_matte_sequence needs at least one matte")
    for m in mattes:
        check_matte(m, like=mattes[0][..., None])
    stack = np.stack(mattes, axis=0)
    if mode == "median":
        return np.median(stack, axis=0).astype(np.float32)
    if mode != "mean":
        raise ValueError(f"mode must be 'mean' or 'median', got {mode!r}")
    n = len(mattes)
    if weights is None:
        w = (n + 1) / 2 - np.abs(np.arange(n) - (n - 1) / 2)
    else:
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != (n,) or np.any(w < 0) or w.sum() <= 0:
            raise ValueError(f"weights must be {n} non-negative numbers with a positive sum, got {weights}")
    w = (w / w.sum()).astype(np.float32)
    return np.clip(np.tensordot(w, stack, axes=1), 0.0, 1.0).astype(np.float32)
