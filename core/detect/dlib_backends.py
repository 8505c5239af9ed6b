"""dlib backends (offline): HOG and CNN (mmod) detectors, the 68-point predictor, the identity ResNet.

dlib works on integer pixels: a rectangle (l, t, r, b) covers pixels l..r, t..b inclusive, i.e. the
box [l, r + 1) x [t, b + 1) in our convention; a landmark at integer pixel (x, y) means that
pixel's center (x + 0.5, y + 0.5). Landmarks from dlib are therefore quantised to whole pixels.
The 68-point model was trained on iBUG 300-W, whose licence excludes commercial use.
"""
from dataclasses import dataclass, field
from typing import Any

import dlib
import numpy as np

from facegraft.core.detect.model_files import DLIB_68, DLIB_FACE_RECOGNITION, DLIB_MMOD, dlib_model_path
from facegraft.core.detect.types import Detection, check_detection_image


def box_from_rect(rect: "dlib.rectangle") -> tuple[float, float, float, float]:
    """dlib's inclusive integer rectangle as (x0, y0, x1, y1) corners in our convention."""
    return (float(rect.left()), float(rect.top()), float(rect.right() + 1), float(rect.bottom() + 1))


def rect_from_box(box: np.ndarray) -> "dlib.rectangle":
    """(x0, y0, x1, y1) corners → dlib's inclusive integer rectangle (rounded)."""
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    return dlib.rectangle(x0, y0, max(x0, x1 - 1), max(y0, y1 - 1))


def shape_from_points(points: np.ndarray) -> "dlib.full_object_detection":
    """(68, 2) frame px → a dlib shape (pixel indices), with the points' bounding rectangle."""
    index = np.floor(points).astype(np.int64)
    lo, hi = index.min(0), index.max(0)
    rect = dlib.rectangle(int(lo[0]), int(lo[1]), int(hi[0]), int(hi[1]))
    return dlib.full_object_detection(rect, [dlib.point(int(x), int(y)) for x, y in index])


@dataclass
class HogDetector:
    """dlib's HOG + linear SVM frontal detector. `upsample`: image doublings (finds faces < 80 px)."""

    upsample: int = 0
    threshold: float = 0.0
    name: str = "hog"
    _model: Any = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self._model = dlib.get_frontal_face_detector()

    def __call__(self, image: np.ndarray) -> list[Detection]:
        check_detection_image(image)
        rects, scores, _ = self._model.run(image, self.upsample, self.threshold)
        found = [Detection(box_from_rect(r), float(s)) for r, s in zip(rects, scores)]
        return sorted(found, key=lambda d: -d.score)


@dataclass
class MmodDetector:
    """dlib's CNN (max-margin object detector) face model: slower (seconds per frame on CPU), finds
    more (tilted, small, partly turned faces)."""

    upsample: int = 0
    name: str = "mmod"
    _model: Any = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self._model = dlib.cnn_face_detection_model_v1(str(dlib_model_path(DLIB_MMOD)))

    def __call__(self, image: np.ndarray) -> list[Detection]:
        check_detection_image(image)
        found = [Detection(box_from_rect(d.rect), float(d.confidence)) for d in self._model(image, self.upsample)]
        return sorted(found, key=lambda d: -d.score)


@dataclass
class DlibLandmarks:
    """dlib's 68-point shape predictor (ensemble of regression trees, ~2 ms per face)."""

    name: str = "dlib68"
    _model: Any = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self._model = dlib.shape_predictor(str(dlib_model_path(DLIB_68)))

    def __call__(self, image: np.ndarray, boxes: np.ndarray) -> np.ndarray:
        check_detection_image(image)
        boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
        out = np.empty((len(boxes), 68, 2), np.float64)
        for i, box in enumerate(boxes):
            shape = self._model(image, rect_from_box(box))
            out[i] = [(p.x + 0.5, p.y + 0.5) for p in shape.parts()]
        return out


@dataclass
class DlibIdentity:
    """dlib's face recognition ResNet: 128-D embeddings; same person below 0.6 (~60 ms per face)."""

    name: str = "dlib_resnet"
    dimensions: int = 128
    same_person_distance: float = 0.6
    _model: Any = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self._model = dlib.face_recognition_model_v1(str(dlib_model_path(DLIB_FACE_RECOGNITION)))

    def __call__(self, image: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
        check_detection_image(image)
        landmarks = np.asarray(landmarks, np.float64).reshape(-1, 68, 2)
        out = np.empty((len(landmarks), self.dimensions), np.float64)
        for i, points in enumerate(landmarks):
            out[i] = np.array(self._model.compute_face_descriptor(image, shape_from_points(points)))
        return out
