"""How a node's result goes back over its pass-through input, leaving pixels outside the matte untouched.

Both functions return new arrays whose pixels where `matte <= 0` are the pass-through input's,
bit for bit (`np.where`, not arithmetic, so -0.0, NaN payloads and denormals survive).
"""
import numpy as np

from facegraft.core.checks import check_image, check_matte


def matte_over(face: np.ndarray, plate: np.ndarray, matte: np.ndarray) -> np.ndarray:
    """`plate + matte * (face - plate)` inside the matte, `plate` exactly outside.

    Args:
        face: (H, W, C) float32, same space and size as `plate`.
        plate: (H, W, C) float32. matte: (H, W) float32 in [0, 1].
    Returns: (H, W, C) float32.
    Raises: ValueError/TypeError for arrays that disagree.
    """
    check_image(face, name="face")
    check_image(plate, name="plate")
    check_matte(matte, like=plate)
    if face.shape != plate.shape:
        raise ValueError(f"face shape {face.shape} does not match plate shape {plate.shape}")
    m = matte[..., None]
    mixed = plate + m * (face - plate)
    return np.where(m > 0, mixed, plate).astype(np.float32, copy=False)


def keep_outside(result: np.ndarray, source: np.ndarray, matte: np.ndarray) -> np.ndarray:
    """`result` where `matte > 0`, `source` elsewhere. Shapes as in `matte_over`."""
    check_image(result, name="result")
    check_image(source, name="source")
    check_matte(matte, like=source)
    if result.shape != source.shape:
        raise ValueError(f"result shape {result.shape} does not match source shape {source.shape}")
    return np.where(matte[..., None] > 0, result, source).astype(np.float32, copy=False)


def matte_box(matte: np.ndarray, *, margin: int) -> tuple[slice, slice] | None:
    """The rows/columns slice around `matte > 0`, grown by `margin` pixels and clipped to the frame.

    Nodes compute inside this box only (a face is a small part of a plate); `margin` must cover
    every pixel a result inside the matte depends on (e.g. a blur's kernel radius), so the result
    equals the full-frame computation. None when the matte is empty.
    """
    check_matte(matte)
    rows = np.flatnonzero(matte.max(axis=1) > 0)
    if rows.size == 0:
        return None
    cols = np.flatnonzero(matte.max(axis=0) > 0)
    h, w = matte.shape
    return (slice(max(0, rows[0] - margin), min(h, rows[-1] + 1 + margin)),
            slice(max(0, cols[0] - margin), min(w, cols[-1] + 1 + margin)))


def paste(base: np.ndarray, box: tuple[slice, slice], part: np.ndarray) -> np.ndarray:
    """A copy of `base` with `part` written over `box`."""
    out = base.copy()
    out[box] = part
    return out
