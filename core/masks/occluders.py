"""Synthetic occluders with known alpha, pasted over aligned face crops to teach segmentation.

Everything works on one aligned crop: (S, S, 3) float32 in the face set's encoding (sRGB-encoded,
[0, 1]) and a face label (S, S) float32 in [0, 1]. An occluder is a shape (polygon, ellipse,
hair-like strokes, a hand-like palm with fingers) with a soft alpha, filled with a flat color, a
gradient, noise, stripes, a skin-like tone, or pixels of another face crop (hair, background,
clothes cut from other frames). Pasting it multiplies the label by (1 - alpha): what covers the
face is not face. `swap_background` replaces what lies outside the face so the network cannot
learn the shot's background. All randomness comes from the `numpy.random.Generator` passed in.

Convention: crop pixels, origin at the top-left corner of the top-left pixel.
"""
from collections.abc import Sequence

import cv2
import numpy as np

from facegraft.core.masks.landmark import fill_polygons

SHAPES = ("polygon", "ellipse", "strokes", "hand")
FILLS = ("flat", "gradient", "noise", "stripes", "skin", "donor")


def shape_alpha(rng: np.random.Generator, size: int, kind: str) -> np.ndarray:
    """A random occluder shape of `kind` (see SHAPES) on an (S, S) float32 canvas in [0, 1], soft-edged."""
    s = float(size)
    canvas = np.zeros((size, size), np.float32)
    if kind == "polygon":
        center = rng.uniform(0.1, 0.9, 2) * s
        radius = rng.uniform(0.12, 0.35) * s
        angles = np.sort(rng.uniform(0, 2 * np.pi, rng.integers(3, 9)))
        radii = radius * rng.uniform(0.5, 1.3, angles.size)
        points = center + np.stack([np.cos(angles), np.sin(angles)], 1) * radii[:, None]
        canvas = fill_polygons((size, size), [points])
    elif kind == "ellipse":
        middle = [int(v) for v in rng.uniform(0.1, 0.9, 2) * s * 16]
        axes = [int(v) for v in rng.uniform(0.06, 0.3, 2) * s * 16]
        cv2.ellipse(canvas, middle, axes, float(rng.uniform(0, 180)), 0, 360, 1.0, -1, cv2.LINE_AA, shift=4)
    elif kind == "strokes":  # hair: a bundle of curved strands from one side
        start = rng.uniform(0, s, 2)
        direction = rng.uniform(0, 2 * np.pi)
        for _ in range(int(rng.integers(3, 14))):
            p = start + rng.normal(0, 0.06 * s, 2)
            angle = direction + rng.normal(0, 0.3)
            strand = [p]
            for _ in range(12):
                angle += rng.normal(0, 0.25)
                p = p + 0.06 * s * np.array([np.cos(angle), np.sin(angle)])
                strand.append(p)
            width = max(1, int(round(rng.uniform(0.006, 0.03) * s)))
            cv2.polylines(canvas, [np.round(np.array(strand) * 16).astype(np.int32)], False, 1.0, width,
                          cv2.LINE_AA, shift=4)
    elif kind == "hand":  # a palm from outside the crop with four fingers
        angle = rng.uniform(0, 2 * np.pi)
        reach = rng.uniform(0.15, 0.45) * s
        outward = np.array([np.cos(angle), np.sin(angle)])
        palm = s / 2 + outward * (0.55 * s)
        tip_dir = -outward
        side = np.array([-tip_dir[1], tip_dir[0]])
        palm_width = rng.uniform(0.14, 0.24) * s
        cv2.ellipse(canvas, tuple(int(v) for v in palm * 16), (int(palm_width * 16), int(palm_width * 1.3 * 16)),
                    float(np.degrees(angle)) + 90, 0, 360, 1.0, -1, cv2.LINE_AA, shift=4)
        for k in range(4):
            base = palm + side * palm_width * (k - 1.5) * 0.55 + tip_dir * palm_width * 0.6
            tip = base + tip_dir * reach * rng.uniform(0.7, 1.1) + side * rng.normal(0, 0.03 * s)
            thick = max(1, int(round(palm_width * 0.32)))
            cv2.line(canvas, tuple(int(v) for v in base * 16), tuple(int(v) for v in tip * 16), 1.0, thick,
                     cv2.LINE_AA, shift=4)
    else:
        raise ValueError(f"unknown occluder shape {kind!r}; known: {', '.join(SHAPES)}")
    sigma = rng.uniform(0.0, 0.012) * s
    if sigma > 0.3:
        canvas = cv2.GaussianBlur(canvas, (0, 0), sigma)
    return np.clip(canvas, 0.0, 1.0)


def fill_texture(rng: np.random.Generator, size: int, kind: str, *, skin: np.ndarray,
                 donors: Sequence[np.ndarray] = ()) -> np.ndarray:
    """A random (S, S, 3) float32 texture in [0, 1] of `kind` (see FILLS). `skin` (3,) is the face's
    mean color (the "skin" fill varies it, like a hand); "donor" shifts and flips another crop."""
    if kind == "donor" and donors:
        donor = donors[int(rng.integers(len(donors)))]
        shift = rng.integers(size // 3, size, 2) * rng.choice([-1, 1], 2)
        out = np.roll(donor, tuple(int(v) for v in shift), axis=(0, 1))
        return np.ascontiguousarray(out[:, ::-1] if rng.random() < 0.5 else out, np.float32)
    if kind == "skin":
        tone = np.clip(skin * rng.uniform(0.7, 1.3) + rng.normal(0, 0.05, 3), 0, 1)
        shade = _smooth_noise(rng, size, 4) * rng.uniform(0.1, 0.3)
        return np.clip(tone[None, None, :] * (1 - shade[..., None] + 0.15), 0, 1).astype(np.float32)
    color = rng.uniform(0, 1, 3)
    if kind == "gradient":
        other = rng.uniform(0, 1, 3)
        t = np.linspace(0, 1, size, dtype=np.float32)
        ramp = t[None, :] if rng.random() < 0.5 else t[:, None]
        return (color * (1 - ramp[..., None]) + other * ramp[..., None]).astype(np.float32) * np.ones((size, size, 1), np.float32)
    if kind == "noise":
        noise = np.stack([_smooth_noise(rng, size, int(rng.choice([2, 4, 8, 16]))) for _ in range(3)], -1)
        return np.clip(color * 0.5 + noise * rng.uniform(0.3, 1.0), 0, 1).astype(np.float32)
    if kind == "stripes":
        other = rng.uniform(0, 1, 3)
        y, x = np.mgrid[0:size, 0:size].astype(np.float32)
        angle = rng.uniform(0, np.pi)
        period = rng.uniform(0.03, 0.2) * size
        wave = 0.5 + 0.5 * np.sin((x * np.cos(angle) + y * np.sin(angle)) * 2 * np.pi / period)
        return (color * wave[..., None] + other * (1 - wave[..., None])).astype(np.float32)
    return np.broadcast_to(color.astype(np.float32), (size, size, 3)).copy()


def _smooth_noise(rng: np.random.Generator, size: int, cells: int) -> np.ndarray:
    """(S, S) float32 value noise in [0, 1] with about `cells` features across."""
    grid = rng.uniform(0, 1, (cells + 1, cells + 1)).astype(np.float32)
    return cv2.resize(grid, (size, size), interpolation=cv2.INTER_CUBIC).clip(0, 1)


def occlude(crop: np.ndarray, label: np.ndarray, rng: np.random.Generator, *, count: int,
            donors: Sequence[np.ndarray] = (), shapes: Sequence[str] = SHAPES,
            fills: Sequence[str] = FILLS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Paste `count` random occluders over `crop`.

    Args:
        crop: (S, S, 3) float32 in [0, 1]. label: (S, S) float32 face label in [0, 1].
        donors: other crops (S, S, 3) whose pixels may fill an occluder.
        shapes, fills: the kinds drawn from (see SHAPES, FILLS).
    Returns: (image (S, S, 3), label (S, S) = label * (1 - alpha), alpha (S, S) of all occluders), float32.
    """
    size = crop.shape[0]
    image = crop.astype(np.float32, copy=True)
    total = np.zeros((size, size), np.float32)
    weight = label > 0.5
    skin = image[weight].mean(0) if weight.any() else image.reshape(-1, 3).mean(0)
    for _ in range(count):
        alpha = shape_alpha(rng, size, shapes[int(rng.integers(len(shapes)))])
        kind = fills[int(rng.integers(len(fills)))]
        texture = fill_texture(rng, size, kind, skin=skin, donors=donors)
        image = image * (1 - alpha[..., None]) + texture * alpha[..., None]
        total = 1 - (1 - total) * (1 - alpha)
    return image.astype(np.float32), (label * (1 - total)).astype(np.float32), total


def swap_background(crop: np.ndarray, label: np.ndarray, rng: np.random.Generator, *,
                    donors: Sequence[np.ndarray] = ()) -> np.ndarray:
    """`crop` with everything outside the (slightly grown, softened) face label replaced by a random
    texture or another crop; the label is unchanged. Returns (S, S, 3) float32."""
    size = crop.shape[0]
    keep = cv2.GaussianBlur(cv2.dilate((label > 0.5).astype(np.float32), np.ones((3, 3), np.uint8)), (0, 0),
                            max(0.5, size / 96))[..., None]
    kind = ("donor", "noise", "gradient", "flat", "stripes")[int(rng.integers(5))]
    texture = fill_texture(rng, size, kind, skin=crop.reshape(-1, 3).mean(0), donors=donors)
    return (crop * keep + texture * (1 - keep)).astype(np.float32)
