"""Extraction over a source: read frames, find and track faces, finalize, resume, report bad frames.

Frames the previous alignments already hold are not recomputed, unless `recompute` (`--force`):
then the wanted frames are computed again and the previous frames outside them are kept. While it
runs, the alignments found so far are handed to `save` every `save_seconds`, so a killed run
resumes from its last save. Tracking restarts at keyframes (multiples of
`redetect_every`), so each run of frames to compute starts reading at the keyframe before it
(pre-roll, not stored): chunks of a farm job then produce exactly what one run would.
Unreadable frames are skipped and reported; they are not stored, so a later run retries them.
"""
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facegraft.core.align.geometry import check_face_type
from facegraft.core.alignments.format import Alignments, AlignmentsHeader, FaceAlignment
from facegraft.core.color import ColorManager
from facegraft.core.detect.prepare import detection_image
from facegraft.core.detect.types import FaceDetector, IdentityModel, LandmarkModel, boxes_array
from facegraft.core.errors import AlignmentsError, FrameMismatchError, MediaError, NoFaceError
from facegraft.core.extract.finalize import IdentitySettings, finalize
from facegraft.core.extract.smoothing import SmoothingSettings
from facegraft.core.extract.tracking import FaceTracker, RawFace, TrackingSettings
from facegraft.core.media.sequence import format_frame_range
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
        except FrameMismatchError:
            raise  # not a damaged file: the wrong frame, which must not be skipped silently
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
                       recompute: bool = False, previous_name: str = "the existing alignments",
                       save: Callable[[Alignments], object] | None = None, save_seconds: float = 30.0,
                       progress: Callable[[Iterable[Frame], int], Iterable[Frame]] = lambda it, n: it,
                       ) -> ExtractResult:
    """Find, track, identify and align the faces of `source` over `frames`.

    Args:
        source: the plate (video, sequence or image). frames: frame numbers (default: all).
        models: loaded backends. settings: options (recorded in the header). color: for the
            conversion to the detectors' sRGB encoding.
        previous: alignments of this plate from an earlier run: its frames are kept, not recomputed.
        recompute: compute the wanted frames again even where `previous` holds them (`--force`);
            its other frames are kept. previous_name: the previous file, for messages.
        save: called with the alignments so far (finalized) every `save_seconds` while frames are
            computed (a killed run then resumes from there); the caller saves the result itself.
        progress: wraps the frame iterator (e.g. a progress bar); receives the number of frames.
    Returns: ExtractResult (alignments over previous + new frames).
    Raises: AlignmentsError if `previous` was made from another plate or with other settings
        (with `recompute`, only when it holds frames outside `frames`, which would be lost);
        SequencePatternError for frames the source lacks; FrameMismatchError for a frame of
        another size or channel set.
    Convention: full-frame plate pixels, top-left origin, pixel i covers [i, i+1).
    """
    header = AlignmentsHeader(str(source.info.path), source.width, source.height, models.detector.name,
                              models.landmarks.name, models.identity.name, settings.face_type, settings.size,
                              settings.header_settings())
    wanted = source.check_frames(source.frames if frames is None else frames)
    known = _kept_frames(previous, header, wanted, recompute=recompute, name=previous_name)
    todo = [n for n in wanted if n not in known]
    plan = plan_frames(todo, source.frames, redetect_every=settings.tracking.redetect_every)
    tracker = FaceTracker(models.detector, models.landmarks, models.identity, settings.tracking)
    failed: list[tuple[int, str]] = []
    wanted_todo = set(todo)
    last_save = time.monotonic()
    for frame in progress(_read(source, plan, failed), len(plan)):
        image = detection_image(frame.pixels, colorspace=frame.colorspace, color=color)
        faces = tracker.process(frame.number, image)
        if frame.number in wanted_todo:
            known[frame.number] = tuple(_to_face(f) for f in faces)
            if save is not None and time.monotonic() - last_save >= save_seconds:
                save(finalize(Alignments(header, known), identity=settings.identity, smoothing=settings.smoothing))
                last_save = time.monotonic()
    unreadable = tuple(n for n, _ in failed if n in wanted_todo)
    reason = next((why for n, why in failed if n in wanted_todo), "")
    computed = tuple(n for n in todo if n in known)
    alignments = finalize(Alignments(header, known), identity=settings.identity, smoothing=settings.smoothing)
    return ExtractResult(alignments, computed, unreadable, reason, tracker.detections)


def _kept_frames(previous: Alignments | None, header: AlignmentsHeader, wanted: Sequence[int], *, recompute: bool,
                 name: str) -> dict[int, tuple[FaceAlignment, ...]]:
    """The frames of `previous` this run keeps (see `extract_alignments`)."""
    if previous is None:
        return {}
    if previous.header != header:
        diff = ", ".join(k for k, v in vars(header).items() if vars(previous.header)[k] != v)
        outside = sorted(set(previous.frames) - set(wanted))
        if not recompute:
            raise AlignmentsError(f"{name}: made with other options than this run (differs in {diff}); "
                                  "pass --force to recompute them, or use the same options")
        if outside:
            raise AlignmentsError(f"{name}: made with other options than this run (differs in {diff}) and holds "
                                  f"frames {format_frame_range(outside)} outside --frames, which --force would lose; "
                                  "recompute every frame (--force without --frames) or write to another -o")
        return {}
    kept = dict(previous.by_frame)
    if recompute:
        for n in wanted:
            kept.pop(n, None)
    return kept


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
