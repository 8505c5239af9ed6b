"""The contracts of the detection stages: what each backend takes and returns.

Convention: full-frame pixels, x right, y down, origin at the top-left corner of the top-left
pixel (pixel i covers [i, i+1)). Boxes are (x0, y0, x1, y1) float64 corners in that system.
Backends see `image`: (H, W, 3) uint8, RGB, sRGB-encoded (display-referred), made by
`prepare.detection_image` from the plate.
"""
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np


@dataclass(frozen=True)
class Detection:
    """One face found by a detector: `box` (4,) float64 corners (Convention above), a `score`
    (backend-specific: dlib HOG margin, mmod / S3FD confidence, BlazeFace probability; higher is
    surer) and `roll`: the in-plane angle of the eye line in radians (atan2 of the vector from the
    image-left eye to the image-right eye, y down; 0 when the detector does not measure it)."""

    box: tuple[float, float, float, float]
    score: float
    roll: float = 0.0

    @property
    def width(self) -> float:
        return self.box[2] - self.box[0]


@runtime_checkable
class FaceDetector(Protocol):
    """Finds faces in a frame."""

    name: str

    def __call__(self, image: np.ndarray) -> list[Detection]:
        """image (H, W, 3) uint8 sRGB → detections, best first. Never raises for 'no face'."""
        ...


@runtime_checkable
class LandmarkModel(Protocol):
    """Places the 68 iBUG points of the face in each box."""

    name: str

    def __call__(self, image: np.ndarray, boxes: np.ndarray) -> np.ndarray:
        """image (H, W, 3) uint8 sRGB, boxes (N, 4) frame px → (N, 68, 2) float64 frame px."""
        ...


@dataclass(frozen=True, eq=False)
class DenseLandmarks:
    """What a dense landmark model places on N faces (frame px, Convention above).

    points68: (N, 68, 2) float64 iBUG-68 points; dense: (N, K, 2) float64 model points (K =
    `dense_points`, 468 for the face mesh); presence: (N,) float64 face-presence probability.
    """

    points68: np.ndarray
    dense: np.ndarray
    presence: np.ndarray


@runtime_checkable
class DenseLandmarkModel(LandmarkModel, Protocol):
    """A landmark model that also gives its own dense points (and is a `LandmarkModel`)."""

    dense_points: int

    def place(self, image: np.ndarray, boxes: np.ndarray, *, rolls: np.ndarray | None = None) -> DenseLandmarks:
        """image (H, W, 3) uint8 sRGB, boxes (N, 4) frame px, rolls (N,) radians (see `Detection.roll`;
        None: upright) → the faces' 68 and dense points."""
        ...


@runtime_checkable
class IdentityModel(Protocol):
    """Turns a face into an identity embedding; same person ⇔ small Euclidean distance."""

    name: str
    dimensions: int
    same_person_distance: float

    def __call__(self, image: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
        """image (H, W, 3) uint8 sRGB, landmarks (N, 68, 2) frame px → (N, D) float64."""
        ...


def check_detection_image(image: np.ndarray) -> None:
    """Require what backends see: (H, W, 3) uint8 sRGB (`prepare.detection_image`). Raises ValueError."""
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"image must be (H, W, 3) uint8 sRGB, got {getattr(image, 'shape', type(image))}")


def box_ious(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Intersection over union of one (4,) box with each of (N, 4) boxes (x0, y0, x1, y1): (N,)."""
    w = np.clip(np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0]), 0.0, None)
    h = np.clip(np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1]), 0.0, None)
    inter = w * h
    union = (box[2] - box[0]) * (box[3] - box[1]) + (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]) - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


def boxes_array(detections: list[Detection]) -> np.ndarray:
    """(N, 4) float64 boxes of `detections`."""
    return np.array([d.box for d in detections], np.float64).reshape(-1, 4)


def rolls_array(detections: list[Detection]) -> np.ndarray:
    """(N,) float64 rolls (radians) of `detections`."""
    return np.array([d.roll for d in detections], np.float64).reshape(-1)


def place_landmarks(model: LandmarkModel, image: np.ndarray, boxes: np.ndarray, *,
                    rolls: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """The 68 points of the faces in `boxes`, and their dense points and presence when `model` has them.

    Args: image (H, W, 3) uint8 sRGB; boxes (N, 4) frame px; rolls (N,) radians or None (used
        only by dense models: a 68-point model gets the boxes alone).
    Returns: (points68 (N, 68, 2), dense (N, K, 2) or None, presence (N,) or None), float64 frame px.
    """
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    if isinstance(model, DenseLandmarkModel):
        placed = model.place(image, boxes, rolls=rolls)
        return placed.points68, placed.dense, placed.presence
    return model(image, boxes), None, None
