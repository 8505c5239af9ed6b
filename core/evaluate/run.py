"""Evaluate a swapped sequence against its plate: per-frame measures and a summary.

For each frame the plate's face is found (the alignments' face when given, else the largest),
and the 68 landmarks are placed with the *same* detector box on the plate and on the swapped
frame, so a swap that changed nothing measures exactly zero. Identity B of a frame is the plate
face's embedding; identity A is one embedding given by the caller (mean over A's faces).
Images are compared in the detection encoding (8-bit sRGB, read as [0, 1]).
The matte is the swapped file's `matte.A` layer when present, else the plate landmarks' hull.
"""
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field

import cv2
import numpy as np

from facegraft.core.alignments.format import Alignments
from facegraft.core.color import ColorManager
from facegraft.core.detect.prepare import detection_image
from facegraft.core.errors import MediaError
from facegraft.core.evaluate.face_geometry import angle_difference, head_pose, landmark_error
from facegraft.core.evaluate.identity import FaceProbe
from facegraft.core.evaluate.metrics import (SAME_PERSON, flicker_ratio, frame_change, identity_distances,
                                             landmark_jitter, nan_mean)
from facegraft.core.media.source import Frame, Source

MATTE_CHANNEL = "matte.A"
_NAN3 = (float("nan"),) * 3


@dataclass(frozen=True)
class EvalSettings:
    """face_id: the alignments' identity to follow (None: the first). same_person: dlib's
    threshold. contact_frames: frames kept (downsized) for the contact sheet; thumb: their height."""

    face_id: int | None = None
    same_person: float = SAME_PERSON
    contact_frames: int = 6
    thumb: int = 160


@dataclass(frozen=True)
class FrameEval:
    """One frame's measures (NaN where no face was found). pose_diff: |Δ yaw, pitch, roll| degrees;
    jitter / flicker: against the previous evaluated frame (NaN on the first)."""

    frame: int
    face: bool
    dist_a: float = float("nan")
    dist_b: float = float("nan")
    landmark_error: float = float("nan")
    pose_plate: tuple[float, float, float] = _NAN3
    pose_diff: tuple[float, float, float] = _NAN3
    swap_detected: bool = False
    jitter: float = float("nan")
    swap_change: float = float("nan")
    plate_change: float = float("nan")
    flicker: float = float("nan")


@dataclass(frozen=True)
class EvalSummary:
    frames: int
    faces: int
    closer_to_a: float  # share of measured frames closer to A than to B
    under_threshold_a: float  # share of measured frames under `same_person` to A
    dist_a: float
    dist_b: float
    landmark_error: float
    pose_diff: tuple[float, float, float]
    jitter: float
    flicker: float
    swap_detected: float
    reconstruction: dict[str, float] | None = None


@dataclass(frozen=True)
class Evaluation:
    per_frame: tuple[FrameEval, ...]
    summary: EvalSummary
    contact: tuple[tuple[int, np.ndarray], ...] = field(default=(), repr=False)  # (frame, (h, 3w, 3) uint8 RGB)

    def to_json(self) -> dict:
        """Plain JSON data (NaN, 'not measured', becomes null)."""
        return _json_safe({"schema": "FacegraftEval", "version": 1, "summary": asdict(self.summary),
                           "frames": [asdict(f) for f in self.per_frame]})


def _json_safe(value: object) -> object:
    if isinstance(value, float):
        return None if not np.isfinite(value) else value
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


@dataclass(frozen=True)
class _Measured:
    row: FrameEval
    plate_pts: np.ndarray | None
    swap_pts: np.ndarray | None
    plate_img: np.ndarray
    swap_img: np.ndarray
    matte: np.ndarray


def evaluate_swap(swapped: Source, plate: Source, identity_a: np.ndarray, *, probe: FaceProbe, color: ColorManager,
                  alignments: Alignments | None = None, frames: Sequence[int] | None = None,
                  settings: EvalSettings = EvalSettings(),
                  progress: Callable[[Iterator[tuple[Frame, Frame]], int], Iterable[tuple[Frame, Frame]]] =
                  lambda it, n: it) -> Evaluation:
    """Measure `swapped` against `plate` frame by frame (see the module docstring).

    Args:
        swapped: the converted sequence (composite in R, G, B; optional matte.A layer).
        plate: the original plate B (same size and frame numbers). identity_a: (D,) embedding of A.
        probe: the backends. color: converts both to the detection encoding.
        alignments: the plate's alignments (choose the face; frames default to theirs).
        frames: frames to evaluate (default: those both sources have, within the alignments).
        progress: wraps the (swapped, plate) frame pairs (e.g. a progress bar); gets their count.
    Returns: Evaluation. Raises: MediaError when the two sources differ in size or share no frame.
    """
    if (swapped.width, swapped.height) != (plate.width, plate.height):
        raise MediaError(f"{swapped.info.path} is {swapped.width}x{swapped.height} but the plate {plate.info.path} "
                         f"is {plate.width}x{plate.height}; evaluate a swap against its own plate")
    wanted = sorted(set(swapped.frames) & set(plate.frames) & set(alignments.frames if alignments else plate.frames))
    if frames is not None:
        wanted = sorted(set(wanted) & set(frames))
    if not wanted:
        raise MediaError(f"{swapped.info.path} and {plate.info.path} share no frame to evaluate; check --frames")
    keep = set(wanted[int(i)] for i in np.linspace(0, len(wanted) - 1, min(settings.contact_frames, len(wanted))))
    rows, contact, prev = [], [], None
    pairs = zip(swapped.iter_frames(wanted), plate.iter_frames(wanted))
    for swap_frame, plate_frame in progress(pairs, len(wanted)):
        m = _measure(swap_frame, plate_frame, identity_a, probe, color, alignments, settings)
        row = _with_previous(m, prev) if prev is not None and prev.row.frame == m.row.frame - 1 else m.row
        rows.append(row)
        if m.row.frame in keep:
            contact.append((m.row.frame, _contact_row(m, settings.thumb)))
        prev = m
    return Evaluation(tuple(rows), summarise(rows, same_person=settings.same_person), tuple(contact))


def _rgb(frame: Frame) -> np.ndarray:
    try:
        idx = [frame.channels.index(c) for c in ("R", "G", "B")]
    except ValueError:
        raise MediaError(f"{frame.path} (frame {frame.number}): needs R, G and B channels") from None
    return np.ascontiguousarray(frame.pixels[..., idx])


def _plate_face(image: np.ndarray, probe: FaceProbe, alignments: Alignments | None, number: int,
                face_id: int | None) -> np.ndarray | None:
    if alignments is None:
        return probe.find(image)
    faces = [f for f in alignments.faces(number) if face_id is None or f.face_id == face_id]
    if not faces:
        return None
    found = probe.find(image, near=faces[0].landmarks.mean(axis=0))
    return found if found is not None else faces[0].box  # tracked faces the detector misses


def _measure(swap_frame: Frame, plate_frame: Frame, identity_a: np.ndarray, probe: FaceProbe, color: ColorManager,
             alignments: Alignments | None, settings: EvalSettings) -> _Measured:
    plate_img = detection_image(_rgb(plate_frame), colorspace=plate_frame.colorspace, color=color)
    swap_img = detection_image(_rgb(swap_frame), colorspace=swap_frame.colorspace, color=color)
    number = plate_frame.number
    face_id = settings.face_id if settings.face_id is not None else (
        alignments.face_ids()[0] if alignments is not None and alignments.face_ids() else None)
    box = _plate_face(plate_img, probe, alignments, number, face_id)
    matte_layer = swap_frame.pixels[..., swap_frame.channels.index(MATTE_CHANNEL)] \
        if MATTE_CHANNEL in swap_frame.channels else None
    if box is None:
        matte = np.clip(matte_layer, 0, 1) if matte_layer is not None else np.zeros(plate_img.shape[:2], np.float32)
        return _Measured(FrameEval(number, False), None, None, plate_img, swap_img, matte)
    plate_pts, swap_pts = probe.landmarks(plate_img, box), probe.landmarks(swap_img, box)
    emb_b, emb_s = probe.embedding(plate_img, plate_pts), probe.embedding(swap_img, swap_pts)
    size = (plate_img.shape[1], plate_img.shape[0])
    pose_p, pose_s = head_pose(plate_pts, image_size=size), head_pose(swap_pts, image_size=size)
    centre = (box[:2] + box[2:]) / 2
    row = FrameEval(number, True, float(identity_distances(emb_s, identity_a)[0]),
                    float(identity_distances(emb_s, emb_b)[0]), float(landmark_error(swap_pts, plate_pts)),
                    tuple(float(v) for v in pose_p), tuple(float(v) for v in angle_difference(pose_s, pose_p)),
                    probe.find(swap_img, near=centre) is not None)
    matte = np.clip(matte_layer, 0, 1) if matte_layer is not None else hull_matte(plate_pts, plate_img.shape[:2])
    return _Measured(row, plate_pts, swap_pts, plate_img, swap_img, matte.astype(np.float32))


def hull_matte(landmarks: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """(H, W) float32 matte: 1 inside the convex hull of `landmarks` (68, 2) frame px, else 0."""
    matte = np.zeros(shape, np.float32)
    hull = cv2.convexHull(np.round((np.asarray(landmarks) - 0.5) * 16).astype(np.int32))
    cv2.fillConvexPoly(matte, hull, 1.0, lineType=cv2.LINE_AA, shift=4)
    return matte


def _with_previous(m: _Measured, prev: _Measured) -> FrameEval:
    row = m.row
    matte = np.maximum(m.matte, prev.matte)
    swap_change = frame_change(prev.swap_img / 255.0, m.swap_img / 255.0, matte)
    plate_change = frame_change(prev.plate_img / 255.0, m.plate_img / 255.0, matte)
    jitter = float("nan")
    if m.swap_pts is not None and prev.swap_pts is not None:
        jitter = float(landmark_jitter(np.stack([prev.swap_pts, m.swap_pts]),
                                       np.stack([prev.plate_pts, m.plate_pts]))[0])
    flicker = float(flicker_ratio(np.array([swap_change]), np.array([plate_change]))[0])
    return FrameEval(**{**asdict(row), "jitter": jitter, "swap_change": swap_change, "plate_change": plate_change,
                        "flicker": flicker if np.isfinite(swap_change) else float("nan"),
                        "pose_plate": row.pose_plate, "pose_diff": row.pose_diff})


def _contact_row(m: _Measured, height: int) -> np.ndarray:
    h, w = m.plate_img.shape[:2]
    width = max(1, round(w * height / h))
    matte = (np.clip(m.matte, 0, 1) * 255 + 0.5).astype(np.uint8)
    tiles = [m.plate_img, m.swap_img, np.repeat(matte[..., None], 3, axis=2)]
    return np.concatenate([cv2.resize(t, (width, height), interpolation=cv2.INTER_AREA) for t in tiles], axis=1)


def summarise(rows: Sequence[FrameEval], *, same_person: float = SAME_PERSON,
              reconstruction: dict[str, float] | None = None) -> EvalSummary:
    """The summary of per-frame measures (means over frames with a face; shares of those)."""
    measured = [r for r in rows if r.face]
    dist_a = np.array([r.dist_a for r in measured])
    dist_b = np.array([r.dist_b for r in measured])
    n = max(len(measured), 1)
    pose = np.array([r.pose_diff for r in measured]).reshape(-1, 3)
    return EvalSummary(
        frames=len(rows), faces=len(measured), closer_to_a=float(np.sum(dist_a < dist_b) / n),
        under_threshold_a=float(np.sum(dist_a < same_person) / n), dist_a=nan_mean(dist_a), dist_b=nan_mean(dist_b),
        landmark_error=nan_mean([r.landmark_error for r in measured]),
        pose_diff=tuple(nan_mean(pose[:, i]) for i in range(3)),
        jitter=nan_mean([r.jitter for r in rows]), flicker=nan_mean([r.flicker for r in rows]),
        swap_detected=float(sum(r.swap_detected for r in measured) / n), reconstruction=reconstruction)
