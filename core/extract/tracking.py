"""Landmark tracking: run the detector only on keyframes and follow faces by their landmarks.

On a keyframe (every frame whose number is a multiple of `redetect_every`, the first frame, a frame
after a gap, or any frame while no face is tracked) the detector finds the faces, the landmark
model places their points and the identity model embeds them; the tracker forgets everything
before. In between, each face's box is predicted from its previous landmarks (the detector's box
expressed in the face's aligned frame at the keyframe, carried along by the new alignment) and
only the landmark model runs. A face is lost when its landmarks stop looking like a face (fit
residual) or its box jumps (IoU with the predicted box); then the frame is re-detected.

Because the tracker's state depends only on the frames since the last keyframe, a farm chunk that
starts tracking at the keyframe before its first frame produces exactly what a single run does.

Convention: full-frame pixels, top-left origin, pixel i covers [i, i+1).
"""
from dataclasses import dataclass, field

import cv2
import numpy as np

from facegraft.core.align.geometry import FaceCrop
from facegraft.core.detect.types import (FaceDetector, IdentityModel, LandmarkModel, box_ious, boxes_array,
                                        place_landmarks, rolls_array)

MIN_PRESENCE = 0.5  # a dense model's face-presence probability below this loses the track
_TRACK_SIZE = 256
_TRACK_FACE_TYPE = "full"


@dataclass(frozen=True)
class TrackingSettings:
    """redetect_every: keyframe period in frames (1 = detect on every frame). max_residual: fit
    residual (mean-face units) above which a face is lost. min_iou: overlap between the predicted
    and the tracked box below which a face has drifted. box_deadband: the seed box is kept while
    it overlaps the face's new box more than this (steadier landmarks). verify: confirm each
    tracked face is there: by a dense model's face-presence score (>= MIN_PRESENCE), else by running
    the detector on a small window around it (face scaled to ~100 px)."""

    redetect_every: int = 10
    max_residual: float = 0.15
    min_iou: float = 0.6
    box_deadband: float = 0.9
    verify: bool = True

    def __post_init__(self) -> None:
        if self.redetect_every < 1:
            raise ValueError(f"redetect_every must be >= 1, got {self.redetect_every}")

    def to_json(self) -> dict:
        return {"redetect_every": self.redetect_every, "max_residual": self.max_residual, "min_iou": self.min_iou,
                "box_deadband": self.box_deadband, "verify": self.verify}

    @classmethod
    def from_json(cls, d: dict) -> "TrackingSettings":
        return cls(int(d["redetect_every"]), float(d["max_residual"]), float(d["min_iou"]), float(d["box_deadband"]),
                   bool(d["verify"]))


@dataclass(frozen=True, eq=False)
class RawFace:
    """A face as found on one frame, before identity and smoothing.

    box: (x0, y0, x1, y1) frame px; score: detector score of the keyframe it was found on;
    landmarks: (68, 2) float64 frame px; embedding: (D,) identity embedding, computed on the
    keyframe; detected: True on keyframes, False when tracked; dense: (K, 2) float64 frame px of a
    dense landmark model (the face mesh's 468), None for a 68-point model.
    """

    box: tuple[float, float, float, float]
    score: float
    landmarks: np.ndarray
    embedding: np.ndarray
    detected: bool
    dense: np.ndarray | None = None


@dataclass
class _Track:
    box: np.ndarray  # (4,) the box the landmark model is seeded with
    box_in_crop: np.ndarray  # (4,) the keyframe's detector box in the face's aligned crop
    score: float
    embedding: np.ndarray
    roll: float  # eye-line angle of the last landmarks (radians): a dense model's crop is rotated by it


def eye_roll(landmarks: np.ndarray) -> float:
    """The eye line's angle (radians, y down) of 68 points: outer eye corner 36 → 45 (`Detection.roll`)."""
    eyes = landmarks[45] - landmarks[36]
    return float(np.arctan2(eyes[1], eyes[0]))


def _track_crop(landmarks: np.ndarray) -> FaceCrop:
    return FaceCrop.from_landmarks(landmarks, size=_TRACK_SIZE, face_type=_TRACK_FACE_TYPE)


def _box_to_crop(crop: FaceCrop, box: np.ndarray) -> np.ndarray:
    center = crop.to_crop(np.array([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2]))
    half = np.array([box[2] - box[0], box[3] - box[1]]) * crop.scale / 2
    return np.concatenate([center - half, center + half])


def _box_to_frame(crop: FaceCrop, box_in_crop: np.ndarray) -> np.ndarray:
    center = crop.to_frame((box_in_crop[:2] + box_in_crop[2:]) / 2)
    half = (box_in_crop[2:] - box_in_crop[:2]) / crop.scale / 2
    return np.concatenate([center - half, center + half])


@dataclass
class FaceTracker:
    """Finds the faces of consecutive frames (call `process` in frame order)."""

    detector: FaceDetector
    landmarks: LandmarkModel
    identity: IdentityModel
    settings: TrackingSettings = TrackingSettings()
    detections: int = 0
    _tracks: list[_Track] = field(default_factory=list)
    _last_frame: int | None = None

    def process(self, frame: int, image: np.ndarray) -> list[RawFace]:
        """The faces of `frame`, sorted left to right.

        Args:
            frame: the frame number. image: (H, W, 3) uint8 sRGB (see `detect.prepare`).
        Returns: the frame's faces; an empty list when there is none.
        """
        keyframe = (not self._tracks or self._last_frame is None or frame != self._last_frame + 1
                    or frame % self.settings.redetect_every == 0)
        faces = None if keyframe else self._follow(image)
        if faces is None:
            faces = self._detect(image)
        self._last_frame = frame
        return faces

    def _detect(self, image: np.ndarray) -> list[RawFace]:
        self.detections += 1
        found = self.detector(image)
        boxes = boxes_array(found)
        points, dense, _ = place_landmarks(self.landmarks, image, boxes, rolls=rolls_array(found))
        embeddings = self.identity(image, points) if len(boxes) else np.empty((0, self.identity.dimensions))
        tracks, faces = [], []
        for i, (det, box, pts, emb) in enumerate(zip(found, boxes, points, embeddings)):
            tracks.append(_Track(box, _box_to_crop(_track_crop(pts), box), det.score, emb, eye_roll(pts)))
            faces.append(RawFace(det.box, det.score, pts, emb, True, None if dense is None else dense[i]))
        order = np.argsort([f.box[0] for f in faces], kind="stable")
        self._tracks = [tracks[i] for i in order]
        return [faces[i] for i in order]

    def _follow(self, image: np.ndarray) -> list[RawFace] | None:
        height, width = image.shape[:2]
        boxes = np.array([t.box for t in self._tracks])
        points, dense, presence = place_landmarks(self.landmarks, image, boxes,
                                                  rolls=np.array([t.roll for t in self._tracks]))
        faces = []
        for i, (track, pts) in enumerate(zip(self._tracks, points)):
            face_dense = None if dense is None else dense[i]
            crop = _track_crop(pts)
            new_box = _box_to_frame(crop, track.box_in_crop)
            overlap = float(box_ious(np.asarray(track.box), np.asarray(new_box).reshape(1, 4))[0])
            if (crop.fit_residual(pts) > self.settings.max_residual or overlap < self.settings.min_iou
                    or _outside_fraction(new_box, width, height) > 0.5
                    or (self.settings.verify and not self._confirm(image, new_box, presence, i))):
                return None
            if overlap < self.settings.box_deadband:  # the face moved: re-seed from where it is now
                track.box = new_box
                again, again_dense, _ = place_landmarks(self.landmarks, image, new_box[None],
                                                        rolls=np.array([track.roll]))
                pts, face_dense = again[0], None if again_dense is None else again_dense[0]
            track.roll = eye_roll(pts)
            x0, y0, x1, y1 = (float(v) for v in track.box)
            faces.append(RawFace((x0, y0, x1, y1), track.score, pts, track.embedding, False, face_dense))
        return faces

    def _confirm(self, image: np.ndarray, box: np.ndarray, presence: np.ndarray | None, index: int) -> bool:
        """Is the tracked face still there? A dense model's own face-presence score says so (as in
        MediaPipe's tracking); otherwise the detector must find it in a window around the box."""
        if presence is not None:
            return bool(presence[index] >= MIN_PRESENCE)
        found = np.asarray(window_detect(self.detector, image, box), np.float64).reshape(-1, 4)
        return bool(np.any(box_ious(np.asarray(box, np.float64), found) > 0.3))


def window_detect(detector: FaceDetector, image: np.ndarray, box: np.ndarray, *, face_px: float = 100.0,
                  margin: float = 1.8) -> list[np.ndarray]:
    """Run `detector` on a window `margin` times the box's size around it, scaled so the box is
    `face_px` wide; returns the boxes found, in frame px."""
    height, width = image.shape[:2]
    side = max(box[2] - box[0], box[3] - box[1])
    center = (box[:2] + box[2:]) / 2
    x0, y0 = (max(0, int(np.floor(c - margin * side / 2))) for c in center)
    x1 = min(width, int(np.ceil(center[0] + margin * side / 2)))
    y1 = min(height, int(np.ceil(center[1] + margin * side / 2)))
    if x1 - x0 < 8 or y1 - y0 < 8:
        return []
    scale = face_px / max(side, 1e-6)
    size = (max(1, round((x1 - x0) * scale)), max(1, round((y1 - y0) * scale)))
    window = cv2.resize(image[y0:y1, x0:x1], size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    sx, sy = (x1 - x0) / size[0], (y1 - y0) / size[1]
    return [np.array(d.box) * [sx, sy, sx, sy] + [x0, y0, x0, y0] for d in detector(np.ascontiguousarray(window))]


def _outside_fraction(box: np.ndarray, width: int, height: int) -> float:
    area = (box[2] - box[0]) * (box[3] - box[1])
    if area <= 0:
        return 1.0
    w = max(0.0, min(box[2], width) - max(box[0], 0.0))
    h = max(0.0, min(box[3], height) - max(box[1], 0.0))
    return 1.0 - w * h / area
