"""Known-good and known-bad "swaps" made from a real plate, to calibrate the eval's verdict.

Not a test module. Every control is the plate with its face region changed in one known way:
- `plate`: unchanged (positive: passes everything);
- `resampled`: the face cut into a 256 px crop and warped back, as convert does (positive);
- `blurred`: the face blurred (negative for detail);
- `noisy`: fine noise over the face, an untrained network's texture (negative for detail);
- `frozen`: one frame's face pasted, aligned, over every frame (negative for expression);
- `color_shifted`: the face darker and redder in linear light (negative for color);
- `hard_seam`: the face 12 % brighter, pasted with a hard-edged matte (negative for the seam);
- `jittered`: the face displaced by a random few pixels on every frame (negative for temporal).
The face region is a feathered hull of the plate's own landmarks (dlib HOG + 68 points).
Pixels are the clip's sRGB-encoded [0, 1] floats; color changes are made in linear light.
"""
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from facegraft.core.align.geometry import FaceCrop
from facegraft.core.color import SRGB_ENCODED
from facegraft.core.align.face_geometry import interocular
from facegraft.core.masks.landmark import hull_mask
from facegraft.core.media.source import Frame, Source, SourceInfo, open_source

CONTROLS = ("plate", "resampled", "blurred", "noisy", "frozen", "color_shifted", "hard_seam", "jittered")


class ArraySource(Source):
    """An in-memory sequence of sRGB-encoded frames, {number: (H, W, C) float32} with `channels`
    (R, G, B and, for a swap, its compositing matte in matte.A, as convert writes it)."""

    def __init__(self, name: str, frames: dict[int, np.ndarray],
                 channels: tuple[str, ...] = ("R", "G", "B")) -> None:
        first = next(iter(frames.values()))
        numbers = tuple(sorted(frames))
        super().__init__(SourceInfo(name, "sequence", numbers, (), first.shape[1], first.shape[0], channels,
                                    "float", SRGB_ENCODED, Fraction(30)))
        self._pixels = frames

    def iter_frames(self, frames: Iterable[int] | None = None, *, channels: Sequence[str] | None = None,
                    workers: int = 2, ahead: int = 4) -> Iterator[Frame]:
        for number in self.check_frames(self.info.frames if frames is None else frames):
            yield Frame(number, self._pixels[number], self.info.channels, self.info.colorspace, Path(self.info.path))


@dataclass(frozen=True)
class Plate:
    """Frames of a real clip and the dlib landmarks of its face on each ((68, 2) frame px)."""

    source: ArraySource
    landmarks: dict[int, np.ndarray]


def load_plate(clip: Path, frames: Sequence[int], landmarks_of: Callable[[np.ndarray], np.ndarray | None]) -> Plate:
    """Read `frames` of `clip`; `landmarks_of(image uint8)` places the face's 68 points."""
    pixels, points = {}, {}
    for frame in open_source(clip).iter_frames(frames):
        rgb = np.ascontiguousarray(frame.pixels[..., :3], np.float32)
        found = landmarks_of((np.clip(rgb, 0, 1) * 255 + 0.5).astype(np.uint8))
        if found is None:
            raise AssertionError(f"{clip} frame {frame.number}: no face for the control")
        pixels[frame.number], points[frame.number] = rgb, found
    return Plate(ArraySource(str(clip), pixels), points)


def face_matte(landmarks: np.ndarray, shape: tuple[int, int], *, grow: float = 0.08) -> np.ndarray:
    """(H, W) float32: the landmarks' hull grown by `grow` interoculars and feathered as much."""
    iod = float(interocular(landmarks))
    centre = landmarks.mean(axis=0)
    points = centre + (landmarks - centre) * (1 + grow)
    return cv2.GaussianBlur(hull_mask(points, shape), (0, 0), max(1.0, grow * iod))


def _over(face: np.ndarray, plate: np.ndarray, matte: np.ndarray) -> np.ndarray:
    return (face * matte[..., None] + plate * (1 - matte[..., None])).astype(np.float32)


def _linear(x: np.ndarray) -> np.ndarray:
    return np.where(x <= 0.04045, x / 12.92, ((np.clip(x, 0.04045, None) + 0.055) / 1.055) ** 2.4)


def _encoded(x: np.ndarray) -> np.ndarray:
    return np.where(x <= 0.0031308, x * 12.92, 1.055 * np.clip(x, 0.0031308, None) ** (1 / 2.4) - 0.055)


def make_control(plate: Plate, kind: str, *, seed: int = 0) -> ArraySource:
    """The control `kind` (one of CONTROLS) of `plate` as a new in-memory source."""
    rng = np.random.default_rng(seed)
    numbers = plate.source.frames
    frozen_at = numbers[len(numbers) // 2]
    frozen_pixels = plate.source.read(frozen_at).pixels
    out = {}
    for number in numbers:
        rgb = plate.source.read(number).pixels
        points = plate.landmarks[number]
        matte = face_matte(points, rgb.shape[:2])
        iod = float(interocular(points))
        if kind == "plate":
            face = rgb
        elif kind == "resampled":
            crop = FaceCrop.from_landmarks(points, size=256, face_type="full")
            face = cv2.warpAffine(crop.cut(rgb), crop.paste_matrix(), rgb.shape[1::-1], flags=cv2.INTER_LINEAR,
                                  borderMode=cv2.BORDER_REPLICATE)
        elif kind == "blurred":
            face = cv2.GaussianBlur(rgb, (0, 0), iod / 25)
        elif kind == "noisy":
            face = rgb + rng.normal(0.0, 0.1, rgb.shape).astype(np.float32)
        elif kind == "frozen":
            here = FaceCrop.from_landmarks(points, size=256, face_type="full")
            there = FaceCrop.from_landmarks(plate.landmarks[frozen_at], size=256, face_type="full")
            face = cv2.warpAffine(there.cut(frozen_pixels), here.paste_matrix(), rgb.shape[1::-1],
                                  flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        elif kind == "color_shifted":
            face = _encoded(_linear(rgb) * np.array([0.85, 0.68, 0.62], np.float32)).astype(np.float32)
        elif kind == "hard_seam":
            face = _encoded(_linear(rgb) * np.float32(1.12)).astype(np.float32)
            matte = (matte > 0.5).astype(np.float32)
        elif kind == "jittered":
            dx, dy = rng.uniform(-1, 1, 2) * iod * 0.06
            face = cv2.warpAffine(rgb, np.array([[1, 0, dx], [0, 1, dy]], np.float64), rgb.shape[1::-1],
                                  flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        else:
            raise ValueError(f"unknown control {kind!r}; known: {CONTROLS}")
        out[number] = np.dstack([_over(face, rgb, matte), matte])
    return ArraySource(f"{plate.source.info.path} [{kind}]", out, ("R", "G", "B", "matte.A"))
