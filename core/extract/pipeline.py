"""Extraction over a source: read frames, find and track faces, finalize, resume, report bad frames.

Frames the previous alignments already hold are not recomputed (unless the caller passes no
previous alignments, as `--force` does). Tracking restarts at keyframes (multiples of
`redetect_every`), so each run of frames to compute starts reading at the keyframe before it
(pre-roll, not stored): chunks of a farm job then produce exactly what one run would.
Unreadable frames are skipped and reported; they are not stored, so a later run retries them.
"""
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facegraft.core.align.geometry import check_face_type
from facegraft.core.alignments.format import Alignments, AlignmentsHeader, FaceAlignment
from facegraft.core.color import ColorManager
from facegraft.core.detect.prepare import detection_image
from facegraft.core.detect.types import FaceDetector, IdentityModel, LandmarkModel, boxes_array
from facegraft.core.errors import AlignmentsError, MediaError, NoFaceError
from facegraft.core.extract.finalize import IdentitySettings, finalize
from facegraft.core.extract.smoothing import SmoothingSettings
from facegraft.core.extract.tracking import FaceTracker, RawFace, TrackingSettings
from facegraft.core.media.source import Frame, Source, open_source


@dataclass(frozen=True)
class ExtractModels:
    """The loaded backends (built at the edge from a `BackendRegistry`)."""

    detector: FaceDetector
    landmarks: LandmarkModel
    identity: IdentityModel


@dataclass(frozen=True)
class ExtractSettings:
    """Everything that shapes an extraction's result (recorded in the alignments header)."""

    face_type: str = "full"
    size: int = 256
    upsample: int = 0
    tracking: TrackingSettings = TrackingSettings()
    smoothing: SmoothingSettings = SmoothingSettings()
    identity: IdentitySettings = IdentitySettings()

    def __post_init__(self) -> None:
        check_face_type(self.face_type)
        if self.size < 8:
            raise ValueError(f"size must be >= 8, got {self.size}")

    def header_settings(self) -> dict:
        return {"upsample": self.upsample, "tracking": self.tracking.to_json(),
                "smoothing": self.smoothing.to_json(), "identity": self.identity.to_json()}


@dataclass(frozen=True)
class ExtractResult:
    """alignments: the plate's alignments (previous frames included). computed: frames found this
    run. unreadable: frames skipped because they could not be read (with the reason of the first)."""

    alignments: Alignments
    computed: tuple[int, ...]
    unreadable: tuple[int, ...] = ()
    unreadable_reason: str = ""
    detections: int = 0


def plan_frames(wanted: Sequence[int], available: Sequence[int], *, redetect_every: int) -> list[int]:
    """The frames to read: `wanted`, each consecutive run preceded by its pre-roll from the keyframe
    (the largest multiple of `redetect_every` <= its first frame) over frames the source has."""
    have = set(available)
    wanted_set = set(wanted)
    plan = set(wanted_set)
    for start in (n for n in wanted_set if n - 1 not in wanted_set):
        n = start
        while n % redetect_every != 0 and n - 1 in have:
            n -= 1
            plan.add(n)
    return sorted(plan)


def _read(source: Source, frames: list[int], failed: list[tuple[int, str]]) -> Iterator[Frame]:
    if source.info.kind == "video":
        done: set[int] = set()
        try:
            for frame in source.iter_frames(frames):
                done.add(frame.number)
                yield frame
        except MediaError as exc:
            failed.extend((n, str(exc)) for n in frames if n not in done)
        return
    for n in frames:
        try:
            frame = source.read(n)
        except MediaError as exc:
            failed.append((n, str(exc)))
            continue
        yield frame


def _to_face(raw: RawFace) -> FaceAlignment:
    """A raw face as it will be stored (rounded like the file), before finalize fills the rest."""
    face = FaceAlignment(-1, np.array(raw.box), raw.score, raw.detected, raw.landmarks, raw.landmarks,
                         np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]), raw.embedding, raw.dense, raw.dense)
    return FaceAlignment.from_json(face.to_json())


def extract_alignments(source: Source, *, models: ExtractModels, settings: ExtractSettings, color: ColorManager,
                       frames: Sequence[int] | None = None, previous: Alignments | None = None,
                       progress: Callable[[Iterable[Frame], int], Iterable[Frame]] = lambda it, n: it,
                       ) -> ExtractResult:
    """Find, track, identify and align the faces of `source` over `frames`.

    Args:
        source: the plate (video, sequence or image). frames: frame numbers (default: all).
        models: loaded backends. settings: options (recorded in the header). color: for the
            conversion to the detectors' sRGB encoding.
        previous: alignments of this plate from an earlier run: its frames are kept, not recomputed.
        progress: wraps the frame iterator (e.g. a progress bar); receives the number of frames.
    Returns: ExtractResult (alignments over previous + new frames).
    Raises: AlignmentsError if `previous` was made from another plate or with other settings;
        SequencePatternError for frames the source lacks.
    Convention: full-frame plate pixels, top-left origin, pixel i covers [i, i+1).
    """
    header = AlignmentsHeader(str(source.info.path), source.width, source.height, models.detector.name,
                              models.landmarks.name, models.identity.name, settings.face_type, settings.size,
                              settings.header_settings())
    wanted = source.check_frames(source.frames if frames is None else frames)
    known: dict[int, tuple[FaceAlignment, ...]] = {}
    if previous is not None:
        if previous.header != header:
            diff = [k for k, v in vars(header).items() if vars(previous.header)[k] != v]
            raise AlignmentsError(f"the existing alignments differ from this run in {', '.join(diff)}; "
                                  "pass --force to recompute them, or use the same options")
        known = dict(previous.by_frame)
    todo = [n for n in wanted if n not in known]
    plan = plan_frames(todo, source.frames, redetect_every=settings.tracking.redetect_every)
    tracker = FaceTracker(models.detector, models.landmarks, models.identity, settings.tracking)
    failed: list[tuple[int, str]] = []
    wanted_todo = set(todo)
    for frame in progress(_read(source, plan, failed), len(plan)):
        image = detection_image(frame.pixels, colorspace=frame.colorspace, color=color)
        faces = tracker.process(frame.number, image)
        if frame.number in wanted_todo:
            known[frame.number] = tuple(_to_face(f) for f in faces)
    unreadable = tuple(n for n, _ in failed if n in wanted_todo)
    reason = next((why for n, why in failed if n in wanted_todo), "")
    computed = tuple(n for n in todo if n in known)
    alignments = finalize(Alignments(header, known), identity=settings.identity, smoothing=settings.smoothing)
    return ExtractResult(alignments, computed, unreadable, reason, tracker.detections)


def embed_reference(path: str | Path, *, models: ExtractModels, color: ColorManager,
                    colorspace: str | None = None) -> np.ndarray:
    """The identity embedding of the largest face in a reference image.

    Returns: (D,) float64. Raises: NoFaceError naming the image when it shows no face;
        MediaError when it cannot be read.
    """
    source = open_source(path, colorspace=colorspace)
    frame = source.read(source.frames[0])
    image = detection_image(frame.pixels, colorspace=frame.colorspace, color=color)
    found = models.detector(image)
    if not found:
        raise NoFaceError(f"{path}: no face found in the --reference image; use a frontal, well-lit photo "
                          "of the person (face at least 80 px wide)")
    boxes = boxes_array(found)
    largest = int(np.argmax((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])))
    points = models.landmarks(image, boxes[largest:largest + 1])
    return models.identity(image, points)[0]


def require_faces(alignments: Alignments, *, where: str) -> None:
    """Raise NoFaceError when no processed frame holds a face."""
    if not any(alignments.faces(n) for n in alignments.frames):
        raise NoFaceError(f"{where}: no face found in {len(alignments.frames)} frames; try --upsample 1 for small "
                          "faces, --detector mmod for turned faces, or check --reference and --frames")
