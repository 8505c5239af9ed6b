"""MediaPipe face mesh (Apache-2.0): 468 dense landmarks per face, and the iBUG-68 points made from them.

The network (`face_landmark.tflite`, the plain mesh of mediapipe 0.10.21; the attention variant
needs an op LiteRT lacks) takes a 192 x 192 RGB crop scaled to [0, 1] and returns 468 points
(x, y in crop px with the origin at the crop's top-left corner, z relative depth) and a
face-presence logit. As in MediaPipe's graphs, the crop is a square region of interest (ROI)
1.5 times the face's extent, rotated so the eyes are level:
- from a detector box: centred on the box, side 1.5 x its longer side, not rotated;
- from landmarks: the eye line (mesh points 33 → 263) gives the rotation; the points' bounding box
  in that rotated frame gives the centre and, times 1.5, the side.
Each face is placed from its box first, then again from its own previous points (rotation-
normalised: the crop every result comes from), repeated while the crop turns by `_SETTLED` or
more, at most `refine` times: this is what makes tilted faces and loose boxes (a tracker's prediction, another
detector's box, a detector roll that under-reads a strong tilt) land on the face.

Convention: full-frame pixels, x right, y down, origin at the top-left corner of the top-left
pixel (pixel i covers [i, i+1)); boxes (x0, y0, x1, y1).
"""
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from facegraft.core.align.geometry import FaceCrop
from facegraft.core.detect.mesh_topology import MESH_POINTS, mesh_to_ibug68
from facegraft.core.detect.model_files import MP_FACE_LANDMARK, mediapipe_model_path
from facegraft.core.detect.tflite_model import TfliteModel
from facegraft.core.detect.types import (DenseLandmarks, Detection, FaceDetector, boxes_array, check_detection_image,
                                        rolls_array)

MESH_INPUT = 192
ROI_SCALE = 1.5
EYE_LINE = (33, 263)  # outer corners of the subject's right eye (image left) and left eye
_SETTLED = np.radians(2.0)  # refinement stops once the crop's rotation changes less than this


def roi_crop(center: np.ndarray, side: float, angle: float, *, size: int = MESH_INPUT) -> FaceCrop:
    """The square ROI centred on `center` (2,) frame px, `side` frame px wide, rotated by `angle`
    (radians, the face's eye line against the x axis, y down), as a `size` px FaceCrop."""
    scale = size / max(side, 1e-6)
    c, s = np.cos(angle) * scale, np.sin(angle) * scale
    linear = np.array([[c, s], [-s, c]])  # rotate by -angle, then scale
    matrix = np.hstack([linear, (np.array([size / 2, size / 2]) - linear @ np.asarray(center, np.float64))[:, None]])
    return FaceCrop.from_matrix(matrix, size=size, face_type="full")


def roi_from_box(box: np.ndarray, roll: float = 0.0) -> FaceCrop:
    """The first-pass ROI of a detector box (4,): centred, 1.5 x its longer side, rotated by `roll`
    (radians, the detector's eye-line angle)."""
    box = np.asarray(box, np.float64)
    return roi_crop((box[:2] + box[2:]) / 2, ROI_SCALE * float(max(box[2] - box[0], box[3] - box[1])), roll)


def roi_from_mesh(points: np.ndarray) -> FaceCrop:
    """The rotation-normalised ROI of mesh points (468, 2) frame px (see the module docstring)."""
    points = np.asarray(points, np.float64)
    eye = points[EYE_LINE[1]] - points[EYE_LINE[0]]
    angle = float(np.arctan2(eye[1], eye[0]))
    c, s = np.cos(angle), np.sin(angle)
    to_level = np.array([[c, s], [-s, c]])  # rotate by -angle: the eye line becomes horizontal
    level = points @ to_level.T
    lo, hi = level.min(0), level.max(0)
    center = to_level.T @ ((lo + hi) / 2)
    return roi_crop(center, ROI_SCALE * float(max(hi - lo)), angle)


def roi_angle(roi: FaceCrop) -> float:
    """The rotation (radians, the eye line's angle in the frame) of a ROI made by `roi_crop`."""
    m = roi.frame_to_crop
    return float(np.arctan2(m[0, 1], m[0, 0]))


def _wrap(angle: float) -> float:
    return float((angle + np.pi) % (2 * np.pi) - np.pi)


@dataclass
class FaceMeshLandmarks:
    """The face mesh as a `LandmarkModel` (68 iBUG points) that also gives its dense points (`place`).

    refine: at most this many extra passes from the previous pass's points (an upright face needs
    one; a face tilted 40-60 degrees past its first crop two or three).
    """

    refine: int = 2
    threads: int = 1
    name: str = "mesh"
    dense_points: int = MESH_POINTS
    _model: Any = field(default=None, init=False, repr=False)  # a TfliteModel, loaded in __post_init__

    def __post_init__(self) -> None:
        if self.refine < 0:
            raise ValueError(f"refine must be >= 0, got {self.refine}")
        self._model = TfliteModel(mediapipe_model_path(MP_FACE_LANDMARK), threads=self.threads)

    def __call__(self, image: np.ndarray, boxes: np.ndarray) -> np.ndarray:
        """image (H, W, 3) uint8 sRGB, boxes (N, 4) frame px → (N, 68, 2) float64 frame px."""
        return self.place(image, boxes).points68

    def place(self, image: np.ndarray, boxes: np.ndarray, *, rolls: np.ndarray | None = None) -> DenseLandmarks:
        """The mesh of the face in each box: 68 points, 468 points and presence (see DenseLandmarks).

        Args: image (H, W, 3) uint8 sRGB; boxes (N, 4) frame px; rolls (N,) radians, the faces'
            eye-line angles (`Detection.roll`; None: upright): the first crop is rotated by them.
        """
        check_detection_image(image)
        boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
        rolls = np.zeros(len(boxes)) if rolls is None else np.asarray(rolls, np.float64).reshape(len(boxes))
        dense = np.empty((len(boxes), MESH_POINTS, 2))
        presence = np.empty(len(boxes))
        for i, (box, roll) in enumerate(zip(boxes, rolls)):
            dense[i], presence[i] = self._place_one(image, box, float(roll))
        return DenseLandmarks(mesh_to_ibug68(dense), dense, presence)

    def presence(self, image: np.ndarray, boxes: np.ndarray, *, rolls: np.ndarray | None = None,
                 accept: float = 0.5) -> np.ndarray:
        """Face-presence probability (N,) of each box, as `place` would give, but a face is accepted
        as soon as one pass reaches `accept` (an upright face costs one pass instead of two)."""
        check_detection_image(image)
        boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
        rolls = np.zeros(len(boxes)) if rolls is None else np.asarray(rolls, np.float64).reshape(len(boxes))
        return np.array([self._place_one(image, b, float(r), accept=accept)[1] for b, r in zip(boxes, rolls)])

    def _place_one(self, image: np.ndarray, box: np.ndarray, roll: float, *,
                   accept: float | None = None) -> tuple[np.ndarray, float]:
        dense, presence = self._run(image, roi_from_box(box, roll))
        angle = roll
        for _ in range(self.refine):  # the last pass always runs on a crop made from mesh points
            if accept is not None and presence >= accept:
                break
            roi = roi_from_mesh(dense)
            turned, angle = abs(_wrap(roi_angle(roi) - angle)), roi_angle(roi)
            dense, presence = self._run(image, roi)
            if turned < _SETTLED:
                break
        return dense, presence

    def _run(self, image: np.ndarray, roi: FaceCrop) -> tuple[np.ndarray, float]:
        crop = cv2.warpAffine(image, roi.opencv_matrix(), (MESH_INPUT, MESH_INPUT), flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_REPLICATE)
        tensor = (crop.astype(np.float32) * np.float32(1.0 / 255.0))[None]
        raw, logit = self._model.run(tensor)
        points = roi.to_frame(raw.reshape(MESH_POINTS, 3)[:, :2].astype(np.float64))
        presence = 1.0 / (1.0 + np.exp(-float(np.clip(logit.reshape(-1)[0], -100.0, 100.0))))
        return points, presence


@dataclass
class MeshCheckedDetector:
    """A detector whose candidates must also look like a face to the mesh (a second stage).

    Run `detector` at a low score threshold (many candidates, high recall), place the mesh on
    each candidate, and keep those whose face-presence probability reaches `min_presence` (in the
    first pass, or after the mesh re-crops a face the detector's roll under-read).
    """

    detector: FaceDetector
    mesh: FaceMeshLandmarks
    min_presence: float = 0.5
    name: str = "blazeface"

    def __call__(self, image: np.ndarray) -> list[Detection]:
        """image (H, W, 3) uint8 sRGB → detections, best first (as `detector` ordered them)."""
        found = self.detector(image)
        if not found:
            return []
        presence = self.mesh.presence(image, boxes_array(found), rolls=rolls_array(found), accept=self.min_presence)
        return [d for d, p in zip(found, presence) if p >= self.min_presence]
