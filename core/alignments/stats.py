"""Figures about an alignments file: faces per frame, frames without faces, landmark jitter."""
from dataclasses import dataclass

import numpy as np

from facegraft.core.align.face_geometry import interocular
from facegraft.core.alignments.format import Alignments


def jitter(landmarks: np.ndarray) -> float:
    """RMS of the landmarks' second differences over time, divided by the face size.

    Face size is the median outer-eye-corner distance (points 36-45, "IOD"); a jitter of 0.005 is
    about 1 px on a face whose eyes are 200 px apart. Real motion counts too: compare raw with
    smoothed on the same frames, or use a near-static clip.
    Args: landmarks (T, 68, 2) frame px of one face over consecutive frames.
    Returns: the figure (unitless); NaN when T < 3.
    """
    landmarks = np.asarray(landmarks, np.float64)
    if len(landmarks) < 3:
        return float("nan")
    second = landmarks[2:] - 2 * landmarks[1:-1] + landmarks[:-2]
    iod = float(np.median(interocular(landmarks)))
    return float(np.sqrt((second ** 2).sum(-1).mean()) / max(iod, 1e-6))


def face_tracks(alignments: Alignments, face_id: int) -> list[list[int]]:
    """Runs of consecutive frames holding face `face_id`."""
    runs: list[list[int]] = []
    for n in alignments.frames:
        if any(f.face_id == face_id for f in alignments.faces(n)):
            if runs and runs[-1][-1] == n - 1:
                runs[-1].append(n)
            else:
                runs.append([n])
    return runs


def track_landmarks(alignments: Alignments, face_id: int, frames: list[int], *, smoothed: bool) -> np.ndarray:
    """(T, 68, 2) landmarks of `face_id` over `frames` (each must hold that face)."""
    out = []
    for n in frames:
        face = next(f for f in alignments.faces(n) if f.face_id == face_id)
        out.append(face.landmarks if smoothed else face.landmarks_raw)
    return np.array(out)


@dataclass(frozen=True)
class JitterFigure:
    face_id: int
    frames: int
    raw: float
    smoothed: float


def jitter_figures(alignments: Alignments) -> list[JitterFigure]:
    """Per face id: jitter of raw and smoothed landmarks (frame-weighted over its runs of >= 3 frames)."""
    figures = []
    for face_id in alignments.face_ids():
        runs = [r for r in face_tracks(alignments, face_id) if len(r) >= 3]
        if not runs:
            continue
        weights = np.array([len(r) - 2 for r in runs], np.float64)
        raw = [jitter(track_landmarks(alignments, face_id, r, smoothed=False)) ** 2 for r in runs]
        smooth = [jitter(track_landmarks(alignments, face_id, r, smoothed=True)) ** 2 for r in runs]
        figures.append(JitterFigure(face_id, int(sum(len(r) for r in runs)),
                                    float(np.sqrt(np.average(raw, weights=weights))),
                                    float(np.sqrt(np.average(smooth, weights=weights)))))
    return figures


@dataclass(frozen=True)
class AlignmentsSummary:
    frames: int
    frames_without_faces: list[int]
    faces_per_frame: dict[int, int]  # number of faces -> number of frames
    faces_per_id: dict[int, int]
    detected_frames: int
    jitter: list[JitterFigure]


def summarize(alignments: Alignments) -> AlignmentsSummary:
    """Counts and jitter for `facegraft alignments info`."""
    per_frame: dict[int, int] = {}
    per_id: dict[int, int] = {}
    detected = 0
    for n in alignments.frames:
        faces = alignments.faces(n)
        per_frame[len(faces)] = per_frame.get(len(faces), 0) + 1
        detected += any(f.detected for f in faces)
        for f in faces:
            per_id[f.face_id] = per_id.get(f.face_id, 0) + 1
    return AlignmentsSummary(len(alignments.frames), [n for n in alignments.frames if not alignments.faces(n)],
                             dict(sorted(per_frame.items())), dict(sorted(per_id.items())), detected,
                             jitter_figures(alignments))
