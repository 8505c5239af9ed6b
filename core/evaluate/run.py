"""Evaluate a swapped sequence against its plate: per-frame measures, a summary and a verdict.

Per frame, the plate's face is found (the alignments' face when given, else the largest) and
measured with the probe's own detector and landmarks (`identity.measuring_probe`: another landmark
model than extraction's, so a model's bias cannot grade itself). The swapped frame gets its *own* detection
near that face: a swap without a detectable face is a failed frame (it counts against identity and
expression), never a skipped one. Nothing of the plate's landmarks is reused on the swap, so a blur
or a wrong face cannot borrow the plate's expression.

Measures per frame: identity distance of the swap to A and to B (the plate face); mouth opening
(inner lips / mouth width) and eye opening (eye aspect ratio) of swap and plate; landmark error per
region; head-pose difference; detail (band-pass energy inside the face, `appearance`); skin ΔE and
seam in OKLab computed through OCIO from each file's own color space; landmark jitter and flicker
against the previous frame. The summary reduces them over the shot and `criteria.judge` turns it
into pass/fail per criterion and the verdict.

The matte is the swapped file's `matte.A` layer when present, else a soft hull of the plate's
landmarks. Detection images are 8-bit sRGB (`detect.prepare.detection_image`).
"""
from collections.abc import Callable, Iterable, Iterator, MutableMapping, Sequence
from dataclasses import asdict, dataclass, field

import cv2
import numpy as np

from facegraft.core.alignments.format import Alignments
from facegraft.core.color import ColorManager
from facegraft.core.color.perceptual import to_oklab
from facegraft.core.detect.prepare import detection_image
from facegraft.core.errors import MediaError
from facegraft.core.evaluate.appearance import band_energy, face_regions, seam_ratio, skin_delta_e
from facegraft.core.evaluate.criteria import Criterion, Thresholds, judge
from facegraft.core.align.face_geometry import (REGIONS, angle_difference, eye_opening, head_pose, interocular,
                                                   landmark_error, mouth_opening, region_errors)
from facegraft.core.evaluate.identity import FaceProbe, FoundFace, ReferenceFaces
from facegraft.core.evaluate.metrics import (SAME_PERSON, SeriesAgreement, flicker_ratio, frame_change,
                                             identity_distances, landmark_jitter, mean_identity, nan_mean,
                                             nan_median, series_agreement)
from facegraft.core.masks.landmark import hull_mask
from facegraft.core.media.source import Frame, Source

MATTE_CHANNEL = "matte.A"
_NAN3 = (float("nan"),) * 3
_NAN = float("nan")


@dataclass(frozen=True)
class EvalSettings:
    """face_id: the alignments' identity to follow (None: the first). contact_frames: frames kept
    (downsized) for the contact sheet; worst_frames: the worst frames shown per failing measure;
    thumb: their height. thresholds: the verdict's marks."""

    face_id: int | None = None
    contact_frames: int = 6
    worst_frames: int = 3
    thumb: int = 160
    thresholds: Thresholds = field(default_factory=Thresholds)


@dataclass(frozen=True)
class FrameEval:
    """One frame's measures (NaN where not measured). face: the plate shows the face;
    swap_detected: the swap's own detection found it (False on a failed frame). pose_diff:
    |Δ yaw, pitch, roll| degrees. region_errors: landmark error per region over the interocular.
    mouth_*: inner-lip gap / mouth width; eyes_*: eye aspect ratio. detail_*: band-pass energy of
    OKLab L inside the face; detail_ratio = swap / plate; skin_detail_*: the same on the skin only
    (compared with A's own skin whatever the expression, and where noise shows most). delta_e:
    skin ΔE (OKLab × 100); seam: gradient energy across the matte edge, swap / plate. jitter /
    flicker: against the previous evaluated frame (NaN on the first)."""

    frame: int
    face: bool
    swap_detected: bool = False
    dist_a: float = _NAN
    dist_b: float = _NAN
    landmark_error: float = _NAN
    region_errors: dict[str, float] = field(default_factory=dict)
    pose_plate: tuple[float, float, float] = _NAN3
    pose_diff: tuple[float, float, float] = _NAN3
    mouth_plate: float = _NAN
    mouth_swap: float = _NAN
    eyes_plate: float = _NAN
    eyes_swap: float = _NAN
    detail_plate: float = _NAN
    detail_swap: float = _NAN
    detail_ratio: float = _NAN
    skin_detail_plate: float = _NAN
    skin_detail_swap: float = _NAN
    delta_e: float = _NAN
    seam: float = _NAN
    jitter: float = _NAN
    swap_change: float = _NAN
    plate_change: float = _NAN
    flicker: float = _NAN


@dataclass(frozen=True)
class EvalSummary:
    """Shot-level measures. Shares are over frames whose plate shows the face (`faces`); a failed
    frame (no face found on the swap) counts as not closer to A, not under the threshold, not
    detected. a_to_b: identity distance between A and the plate's person (under the same-person
    threshold the two cannot be told apart, and "closer to A than to B" means nothing).
    mouth / eyes: agreement of the swap's series with the plate's. detail_ratio_plate: median over
    frames of the swap's detail over the plate's at the same place; detail_ratio_a: median of the
    swap's skin detail over A's own skin at the same scale; detail_ratio: the higher of the two —
    the detail achievable from A's footage on this plate (NaN ratios are ignored). detail_excess:
    the swap's skin detail over the sharper of the plate's skin and A's (noise is energy too)."""

    frames: int
    faces: int
    a_to_b: float
    swap_detected: float
    closer_to_a: float
    under_threshold_a: float
    dist_a: float
    dist_b: float
    landmark_error: float
    region_errors: dict[str, float]
    pose_diff: tuple[float, float, float]
    mouth: SeriesAgreement
    eyes: SeriesAgreement
    detail_ratio: float
    detail_ratio_plate: float
    detail_ratio_a: float
    detail_excess: float
    delta_e: float
    seam: float
    jitter: float
    flicker: float
    reconstruction: dict[str, float] | None = None
    criteria: tuple[Criterion, ...] = ()
    verdict: str = "not judged"


@dataclass(frozen=True)
class Evaluation:
    per_frame: tuple[FrameEval, ...]
    summary: EvalSummary
    contact: tuple[tuple[int, np.ndarray], ...] = field(default=(), repr=False)  # (frame, (h, 3w, 3) uint8 RGB)
    worst: tuple[tuple[int, str, np.ndarray], ...] = field(default=(), repr=False)  # (frame, why, row)

    def to_json(self) -> dict:
        """Plain JSON data (NaN, 'not measured', becomes null)."""
        return _json_safe({"schema": "FacegraftEval", "version": 2, "summary": asdict(self.summary),
                           "frames": [asdict(f) for f in self.per_frame],
                           "worst": [{"frame": n, "why": why} for n, why, _ in self.worst]})


def _json_safe(value: object) -> object:
    if isinstance(value, (float, np.floating)):
        return None if not np.isfinite(value) else float(value)
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.bool_):
        return bool(value)
    return value


@dataclass(frozen=True)
class _Measured:
    row: FrameEval
    plate_face: FoundFace | None
    swap_face: FoundFace | None
    plate_img: np.ndarray
    swap_img: np.ndarray
    matte: np.ndarray


PlateCache = MutableMapping[int, "PlateFace | None"]


def evaluate_swap(swapped: Source, plate: Source, identity_a: np.ndarray, *, probe: FaceProbe, color: ColorManager,
                  alignments: Alignments | None = None, frames: Sequence[int] | None = None,
                  reference_a: ReferenceFaces | None = None, settings: EvalSettings = EvalSettings(),
                  plate_cache: PlateCache | None = None,
                  progress: Callable[[Iterator[tuple[Frame, Frame]], int], Iterable[tuple[Frame, Frame]]] =
                  lambda it, n: it) -> Evaluation:
    """Measure `swapped` against `plate` frame by frame and judge it (see the module docstring).

    Args:
        swapped: the converted sequence (composite in R, G, B; optional matte.A layer).
        plate: the original plate B (same size and frame numbers). identity_a: (D,) embedding of A.
        probe: the measuring backends. color: converts both to detection and OKLab encodings.
        alignments: the plate's alignments (choose the face; frames default to theirs).
        frames: frames to evaluate (default: those both sources have, within the alignments).
        reference_a: A's own faces, for the detail A's footage allows at the plate's scale.
        plate_cache: frame → the plate's face as measured; filled here and reused when given again
            (several swaps of one plate measure the plate once).
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
    cache: PlateCache = {} if plate_cache is None else plate_cache
    rows, contact, prev, ious = [], [], None, []
    pairs = zip(swapped.iter_frames(wanted), plate.iter_frames(wanted))
    for swap_frame, plate_frame in progress(pairs, len(wanted)):
        m = _measure(swap_frame, plate_frame, identity_a, probe, color, alignments, settings, cache)
        row = _with_previous(m, prev) if prev is not None and prev.row.frame == m.row.frame - 1 else m.row
        rows.append(row)
        if m.plate_face is not None:
            ious.append(float(interocular(m.plate_face.landmarks)))
        if m.row.frame in keep:
            contact.append((m.row.frame, _contact_row(m, settings.thumb)))
        prev = m
    detail_a = reference_a.detail_energy(nan_median(ious)) if reference_a is not None and ious else _NAN
    plate_faces = [cache[n].face.embedding for n in wanted if cache.get(n) is not None]
    a_to_b = float(identity_distances(mean_identity(np.array(plate_faces)), identity_a)[0]) if plate_faces else _NAN
    summary = summarise(rows, same_person=settings.thresholds.same_person, detail_a=detail_a, a_to_b=a_to_b)
    summary = with_verdict(summary, settings.thresholds)
    worst = _worst_frames(rows, settings.worst_frames)
    worst_rows = _rows_for(worst, swapped, plate, probe, color, alignments, settings, cache, identity_a)
    return Evaluation(tuple(rows), summary, tuple(contact), worst_rows)


def with_verdict(summary: EvalSummary, thresholds: Thresholds) -> EvalSummary:
    """`summary` with its criteria and verdict filled in by `criteria.judge`."""
    from dataclasses import replace

    criteria = judge(summary, thresholds)
    verdict = "usable" if all(c.passed for c in criteria) else "not usable"
    return replace(summary, criteria=criteria, verdict=verdict)


def _rgb(frame: Frame) -> np.ndarray:
    try:
        idx = [frame.channels.index(c) for c in ("R", "G", "B")]
    except ValueError:
        raise MediaError(f"{frame.path} (frame {frame.number}): needs R, G and B channels") from None
    return np.ascontiguousarray(frame.pixels[..., idx])


def _expanded(box: np.ndarray, shape: tuple[int, int], factor: float) -> tuple[int, int, int, int]:
    """Integer (x0, y0, x1, y1) of `box` grown by `factor` of its size on each side, inside `shape`."""
    x0, y0, x1, y1 = (float(v) for v in box)
    w, h = x1 - x0, y1 - y0
    return (max(0, int(np.floor(x0 - factor * w))), max(0, int(np.floor(y0 - factor * h))),
            min(shape[1], int(np.ceil(x1 + factor * w))), min(shape[0], int(np.ceil(y1 + factor * h))))


@dataclass(frozen=True)
class PlateFace:
    """The plate's face on one frame as measured, and the pixels (x0, y0, x1, y1) the detector
    searched: the swap's face is searched in the same pixels, so an unchanged swap measures alike."""

    face: FoundFace
    search: tuple[int, int, int, int]


def _plate_face(image: np.ndarray, probe: FaceProbe, alignments: Alignments | None, number: int,
                face_id: int | None) -> PlateFace | None:
    if alignments is None:
        found = probe.find(image)
        box = None if found is None else np.array(found.box)
    else:
        faces = [f for f in alignments.faces(number) if face_id is None or f.face_id == face_id]
        box = faces[0].box if faces else None
    if box is None:
        return None
    search = _expanded(box, image.shape[:2], 0.5)
    found = probe.measure(image, near=(np.asarray(box[:2]) + box[2:]) / 2, search=search)
    return PlateFace(found if found is not None else probe.measure_in_box(image, box), search)  # tracked, missed


def _measure(swap_frame: Frame, plate_frame: Frame, identity_a: np.ndarray, probe: FaceProbe, color: ColorManager,
             alignments: Alignments | None, settings: EvalSettings, cache: PlateCache) -> _Measured:
    plate_rgb, swap_rgb = _rgb(plate_frame), _rgb(swap_frame)
    plate_img = detection_image(plate_rgb, colorspace=plate_frame.colorspace, color=color)
    swap_img = detection_image(swap_rgb, colorspace=swap_frame.colorspace, color=color)
    number = plate_frame.number
    face_id = settings.face_id if settings.face_id is not None else (
        alignments.face_ids()[0] if alignments is not None and alignments.face_ids() else None)
    if number not in cache:
        cache[number] = _plate_face(plate_img, probe, alignments, number, face_id)
    plate = cache[number]
    matte_layer = swap_frame.pixels[..., swap_frame.channels.index(MATTE_CHANNEL)] \
        if MATTE_CHANNEL in swap_frame.channels else None
    if plate is None:
        matte = np.clip(matte_layer, 0, 1) if matte_layer is not None else np.zeros(plate_img.shape[:2], np.float32)
        return _Measured(FrameEval(number, False), None, None, plate_img, swap_img, matte.astype(np.float32))
    plate_face = plate.face
    plate_pts = plate_face.landmarks
    centre = (plate_face.box[:2] + plate_face.box[2:]) / 2
    swap_face = probe.measure(swap_img, near=centre, search=plate.search)
    matte = np.clip(matte_layer, 0, 1) if matte_layer is not None else hull_mask(plate_pts, plate_img.shape[:2])
    matte = matte.astype(np.float32)
    size = (plate_img.shape[1], plate_img.shape[0])
    pose_p = head_pose(plate_pts, image_size=size)
    values: dict = {"pose_plate": tuple(float(v) for v in pose_p), "mouth_plate": float(mouth_opening(plate_pts)),
                    "eyes_plate": float(eye_opening(plate_pts))}
    values.update(_appearance(swap_rgb, swap_frame.colorspace, plate_rgb, plate_frame.colorspace, plate_pts,
                              matte, color))
    if swap_face is not None:
        swap_pts = swap_face.landmarks
        values.update(
            swap_detected=True, dist_a=float(identity_distances(swap_face.embedding, identity_a)[0]),
            dist_b=float(identity_distances(swap_face.embedding, plate_face.embedding)[0]),
            landmark_error=float(landmark_error(swap_pts, plate_pts)),
            region_errors={k: float(v) for k, v in region_errors(swap_pts, plate_pts).items()},
            pose_diff=tuple(float(v) for v in angle_difference(head_pose(swap_pts, image_size=size), pose_p)),
            mouth_swap=float(mouth_opening(swap_pts)), eyes_swap=float(eye_opening(swap_pts)))
    return _Measured(FrameEval(number, True, **values), plate_face, swap_face, plate_img, swap_img, matte)


def _appearance(swap_rgb: np.ndarray, swap_space: str, plate_rgb: np.ndarray, plate_space: str,
                plate_pts: np.ndarray, matte: np.ndarray, color: ColorManager) -> dict[str, float]:
    """Detail, skin ΔE and seam on the face's box (OKLab through OCIO from each file's own space)."""
    iod = float(interocular(plate_pts))
    lo = np.floor(plate_pts.min(axis=0) - iod)
    hi = np.ceil(plate_pts.max(axis=0) + iod)
    ys, xs = np.nonzero(matte > 0.01)
    if len(xs):
        lo = np.minimum(lo, [xs.min() - 2, ys.min() - 2])
        hi = np.maximum(hi, [xs.max() + 3, ys.max() + 3])
    h, w = matte.shape
    x0, y0 = int(max(0, lo[0])), int(max(0, lo[1]))
    x1, y1 = int(min(w, hi[0])), int(min(h, hi[1]))
    if x1 - x0 < 4 or y1 - y0 < 4:
        return {}
    regions = face_regions(plate_pts - [x0, y0], matte[y0:y1, x0:x1])
    plate_lab = to_oklab(plate_rgb[y0:y1, x0:x1], plate_space, color)
    swap_lab = to_oklab(swap_rgb[y0:y1, x0:x1], swap_space, color)
    detail_plate = band_energy(plate_lab[..., 0], regions.inner, scale=regions.scale)
    detail_swap = band_energy(swap_lab[..., 0], regions.inner, scale=regions.scale)
    return {"detail_plate": detail_plate, "detail_swap": detail_swap,
            "detail_ratio": detail_swap / detail_plate if detail_plate > 0 else _NAN,
            "skin_detail_plate": band_energy(plate_lab[..., 0], regions.skin, scale=regions.scale),
            "skin_detail_swap": band_energy(swap_lab[..., 0], regions.skin, scale=regions.scale),
            "delta_e": skin_delta_e(swap_lab, plate_lab, regions.skin),
            "seam": seam_ratio(swap_lab[..., 0], plate_lab[..., 0], regions.ring)}


def _with_previous(m: _Measured, prev: _Measured) -> FrameEval:
    row = m.row
    matte = np.maximum(m.matte, prev.matte)
    ys, xs = np.nonzero(matte > 0)
    box = (slice(ys.min(), ys.max() + 1), slice(xs.min(), xs.max() + 1)) if len(xs) else (slice(0, 0),) * 2

    def change(before: np.ndarray, after: np.ndarray) -> float:
        return frame_change(before[box].astype(np.float32) / 255.0, after[box].astype(np.float32) / 255.0,
                            matte[box])

    swap_change, plate_change = change(prev.swap_img, m.swap_img), change(prev.plate_img, m.plate_img)
    jitter = _NAN
    if m.swap_face is not None and prev.swap_face is not None and m.plate_face and prev.plate_face:
        jitter = float(landmark_jitter(np.stack([prev.swap_face.landmarks, m.swap_face.landmarks]),
                                       np.stack([prev.plate_face.landmarks, m.plate_face.landmarks]))[0])
    flicker = float(flicker_ratio(np.array([swap_change]), np.array([plate_change]))[0])
    return FrameEval(**{**asdict(row), "jitter": jitter, "swap_change": swap_change, "plate_change": plate_change,
                        "flicker": flicker if np.isfinite(swap_change) else _NAN,
                        "pose_plate": row.pose_plate, "pose_diff": row.pose_diff})


def _contact_row(m: _Measured, height: int) -> np.ndarray:
    h, w = m.plate_img.shape[:2]
    if m.plate_face is not None:  # zoom on the face: what is judged is there
        x0, y0, x1, y1 = _expanded(m.plate_face.box, (h, w), 0.35)
        side = max(x1 - x0, y1 - y0)
        x0, y0 = max(0, min(x0, w - side)), max(0, min(y0, h - side))
        x1, y1 = min(w, x0 + side), min(h, y0 + side)
    else:
        x0, y0, x1, y1 = 0, 0, w, h
    width = max(1, round((x1 - x0) * height / max(1, y1 - y0)))
    matte = (np.clip(m.matte, 0, 1) * 255 + 0.5).astype(np.uint8)
    tiles = [m.plate_img, m.swap_img, np.repeat(matte[..., None], 3, axis=2)]
    tiles = [t[y0:y1, x0:x1] for t in tiles]
    interpolation = cv2.INTER_AREA if height < y1 - y0 else cv2.INTER_CUBIC
    return np.concatenate([cv2.resize(t, (width, height), interpolation=interpolation) for t in tiles], axis=1)


def _worst_frames(rows: Sequence[FrameEval], count: int) -> list[tuple[int, str]]:
    """Up to `count` frames per measure that judged worst: failed detection, mouth gap, detail, ΔE."""
    faced = [r for r in rows if r.face]
    picks: list[tuple[int, str]] = []

    def add(key: Callable[[FrameEval], float], why: Callable[[FrameEval], str], pool: Sequence[FrameEval]) -> None:
        scored = [(key(r), r) for r in pool]
        scored = [(k, r) for k, r in scored if np.isfinite(k)]
        for _, r in sorted(scored, key=lambda kr: -kr[0])[:count]:
            if r.frame not in {n for n, _ in picks}:
                picks.append((r.frame, why(r)))

    add(lambda r: 1.0, lambda r: "no face found on the swap", [r for r in faced if not r.swap_detected][:count])
    add(lambda r: abs(r.mouth_swap - r.mouth_plate),
        lambda r: f"mouth opening {r.mouth_swap:.2f} vs plate {r.mouth_plate:.2f}", faced)
    add(lambda r: -r.detail_ratio, lambda r: f"detail {r.detail_ratio:.2f} of the plate's", faced)
    add(lambda r: r.delta_e, lambda r: f"skin ΔE {r.delta_e:.1f}", faced)
    return picks


def _rows_for(worst: Sequence[tuple[int, str]], swapped: Source, plate: Source, probe: FaceProbe,
              color: ColorManager, alignments: Alignments | None, settings: EvalSettings, cache: PlateCache,
              identity_a: np.ndarray) -> tuple[tuple[int, str, np.ndarray], ...]:
    if not worst:
        return ()
    numbers = sorted({n for n, _ in worst})
    images = {}
    for swap_frame, plate_frame in zip(swapped.iter_frames(numbers), plate.iter_frames(numbers)):
        m = _measure(swap_frame, plate_frame, identity_a, probe, color, alignments, settings, cache)
        images[plate_frame.number] = _contact_row(m, settings.thumb)
    return tuple((n, why, images[n]) for n, why in worst)


def summarise(rows: Sequence[FrameEval], *, same_person: float = SAME_PERSON, detail_a: float = _NAN,
              a_to_b: float = _NAN, reconstruction: dict[str, float] | None = None) -> EvalSummary:
    """The summary of per-frame measures (see `EvalSummary`); `detail_a`: the band-pass energy of
    A's own skin at the plate's face scale (NaN: unknown, judge against the plate alone); `a_to_b`:
    identity distance between A and the plate's person."""
    measured = [r for r in rows if r.face]
    n = max(len(measured), 1)
    dist_a = np.array([r.dist_a for r in measured], np.float64)
    dist_b = np.array([r.dist_b for r in measured], np.float64)
    pose = np.array([r.pose_diff for r in measured], np.float64).reshape(-1, 3)

    def column(name: str) -> np.ndarray:
        return np.array([getattr(r, name) for r in measured], np.float64)

    ratio_plate = nan_median(column("detail_ratio"))
    skin_swap = column("skin_detail_swap")
    ratio_a = nan_median(skin_swap / detail_a) if detail_a > 0 else _NAN
    with np.errstate(divide="ignore", invalid="ignore"):
        skin_plate = nan_median(skin_swap / column("skin_detail_plate"))
    excess = [v for v in (skin_plate, ratio_a) if np.isfinite(v)]
    return EvalSummary(
        frames=len(rows), faces=len(measured), a_to_b=a_to_b,
        swap_detected=float(sum(r.swap_detected for r in measured) / n),
        closer_to_a=float(np.sum(dist_a < dist_b) / n), under_threshold_a=float(np.sum(dist_a < same_person) / n),
        dist_a=nan_median(dist_a), dist_b=nan_median(dist_b), landmark_error=nan_mean(column("landmark_error")),
        region_errors={k: nan_mean([r.region_errors.get(k, _NAN) for r in measured]) for k in REGIONS},
        pose_diff=tuple(nan_mean(pose[:, i]) for i in range(3)),
        mouth=series_agreement(column("mouth_swap"), column("mouth_plate")),
        eyes=series_agreement(column("eyes_swap"), column("eyes_plate")),
        detail_ratio=float(np.nanmax([ratio_plate, ratio_a])) if np.isfinite([ratio_plate, ratio_a]).any() else _NAN,
        detail_ratio_plate=ratio_plate, detail_ratio_a=ratio_a, detail_excess=min(excess) if excess else _NAN,
        delta_e=nan_mean(column("delta_e")), seam=nan_median(column("seam")),
        jitter=nan_median([r.jitter for r in rows]), flicker=nan_median([r.flicker for r in rows]),
        reconstruction=reconstruction)
