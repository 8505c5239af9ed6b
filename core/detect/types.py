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
    """One face found by a detector: `box` (4,) float64 corners (Convention above) and a `score`
    (backend-specific: dlib HOG margin, mmod / S3FD confidence; higher is surer)."""

    box: tuple[float, float, float, float]
    score: float

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


@runtime_checkable
class IdentityModel(Protocol):
    """Turns a face into an identity embedding; same person ⇔ small Euclidean distance."""

    name: str
    dimensions: int
    same_person_distance: float

    def __call__(self, image: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
        """image (H, W, 3) uint8 sRGB, landmarks (N, 68, 2) frame px → (N, D) float64."""
        ...


def boxes_array(detections: list[Detection]) -> np.ndarray:
    """(N, 4) float64 boxes of `detections`."""
    return np.array([d.box for d in detections], np.float64).reshape(-1, 4)
