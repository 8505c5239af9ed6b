"""Helpers for the convert tests: synthetic alignments and a stand-in network."""
from dataclasses import dataclass

import numpy as np

from facegraft.core.align.geometry import FaceCrop
from facegraft.core.align.mean_face import MEAN_FACE_68
from facegraft.core.alignments.format import Alignments, AlignmentsHeader, FaceAlignment
from facegraft.core.color import SRGB_ENCODED


def mean_face_landmarks(center=(240.0, 215.0), scale=150.0, angle=0.08):
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return MEAN_FACE_68 @ rotation.T * scale + np.array(center)


def synthetic_alignments(frames, *, width=480, height=480, size=256, face_type="full", faces_per_frame=1):
    header = AlignmentsHeader(source="plate", width=width, height=height, detector="test", landmarks="test",
                              identity="test", face_type=face_type, size=size)
    by_frame = {}
    for f in frames:
        faces = []
        for k in range(faces_per_frame):
            pts = mean_face_landmarks(center=(240.0 + 3 * (f % 3) + 150 * k, 215.0), scale=150.0 / (1 + k))
            crop = FaceCrop.from_landmarks(pts, size=size, face_type=face_type)
            box = np.array([*pts.min(0), *pts.max(0)])
            faces.append(FaceAlignment(k, box, 1.0, True, pts, pts, crop.frame_to_crop, np.zeros(128)))
        by_frame[f] = tuple(faces)
    return Alignments(header, by_frame)


@dataclass(frozen=True)
class FakeSwapper:
    """A stand-in network: `identity` returns the crop itself; else an inverted, tinted crop."""

    resolution: int = 64
    face_type: str = "full"
    color_encoding: str = SRGB_ENCODED
    model_id: str = "fake"
    identity: bool = False
    nan: bool = False
    content_mask: bool = False  # a mask that changes with the crop's pixels (else all ones)

    def __call__(self, crops):
        faces = crops.copy() if self.identity else (1.0 - crops) * np.float32(0.8)
        if self.nan:
            faces[:] = np.nan
        masks = np.clip(crops[..., 0] * 3.0, 0.0, 1.0) if self.content_mask else np.ones(crops.shape[:3])
        return faces.astype(np.float32), masks.astype(np.float32)
