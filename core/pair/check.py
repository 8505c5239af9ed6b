"""Compare two face collections before training: does A show every pose and expression B needs?

A swap only holds where the source footage (A) covers what the target (B) does. From the 68
landmarks of each face this measures head pose (yaw, pitch: `facegraft.core.align.face_geometry`),
mouth opening and eye opening; from face sets also the skin tone (mean CIE Lab of the masked
crop, sRGB-encoded crops). A B face is *covered* when some A face is within `pose_tolerance`
degrees in both yaw and pitch (with `mirrored`, A's faces also count flipped left-right, yaw
negated, as training's flip augmentation shows them to the network), B's mouth is not opened wider than A ever does (+ margin), and B's
eyes are not closed further than A's ever are (- margin).

Resemblance (rough guides, not identity): face shape is the mean landmark layout of each set after
a similarity fit to the mean face (distance in interocular units: < 0.04 alike, > 0.08 unlike);
skin tone is ΔE76 between the sets' mean Lab (< 8 alike, > 20 unlike).
Pose comes from a generic 3D face, so two different people's neutral poses can differ by a few
degrees of pitch (face proportions): `pose_tolerance` absorbs most of that.
"""
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from facegraft.core.align.geometry import apply_affine, umeyama_similarity
from facegraft.core.align.mean_face import MEAN_FACE_68
from facegraft.core.alignments.format import load_alignments
from facegraft.core.errors import NoFaceError
from facegraft.core.align.face_geometry import eye_opening, head_poses, mouth_opening
from facegraft.core.faceset import load_faceset
from facegraft.core.models.encoding import srgb_to_lab


@dataclass(frozen=True)
class FaceSamples:
    """The faces of one collection: `frames` (N,), `landmarks` (N, 68, 2) in pixels of images of
    `image_size` (width, height), and `skin_lab` (N, 3) CIE Lab or None when pixels are unknown."""

    name: str
    frames: tuple[int, ...]
    landmarks: np.ndarray
    image_size: tuple[int, int]
    skin_lab: np.ndarray | None = None


@dataclass(frozen=True)
class PairSettings:
    pose_tolerance: float = 10.0  # degrees, yaw and pitch
    mirrored: bool = True  # A's faces also count flipped (training flips them)
    mouth_margin: float = 0.14  # mouth-width units (inner-lip gap / mouth width)
    eye_margin: float = 0.04  # eye aspect ratio units


@dataclass(frozen=True)
class Ranges:
    """min/max per measure of one collection: yaw, pitch (degrees), mouth, eyes."""

    yaw: tuple[float, float]
    pitch: tuple[float, float]
    mouth: tuple[float, float]
    eyes: tuple[float, float]


@dataclass(frozen=True)
class PairReport:
    faces_a: int
    faces_b: int
    ranges_a: Ranges
    ranges_b: Ranges
    covered: float  # share of B's faces covered by A
    uncovered: tuple[tuple[int, str], ...]  # (B frame, why)
    shape_distance: float
    skin_delta_e: float | None
    verdict: str
    notes: tuple[str, ...] = field(default=())

    def to_json(self) -> dict:
        from dataclasses import asdict

        return {"schema": "FacegraftPairCheck", "version": 1, **asdict(self)}


def load_samples(path: str | Path, *, name: str, max_skin: int = 64) -> FaceSamples:
    """Faces of a face set folder or an alignments file (*.json).

    Raises: NoFaceError naming `path` when it holds no face; MediaError/AlignmentsError when unreadable.
    """
    path = Path(path)
    if path.is_dir():
        faceset = load_faceset(path)
        if not len(faceset):
            raise NoFaceError(f"{path}: face set {name} holds no face; extract faces first")
        landmarks = np.array([f.landmarks for f in faceset.faces], np.float64)
        picks = np.unique(np.linspace(0, len(faceset) - 1, min(max_skin, len(faceset))).round().astype(int))
        lab = np.array([_skin_lab(*faceset.load(int(i))) for i in picks])
        return FaceSamples(name, tuple(f.frame for f in faceset.faces), landmarks, (faceset.size, faceset.size), lab)
    alignments = load_alignments(path)
    faces = [(n, f) for n in alignments.frames for f in alignments.faces(n)]
    if not faces:
        raise NoFaceError(f"{path}: alignments {name} hold no face; check the clip and extraction options")
    return FaceSamples(name, tuple(n for n, _ in faces), np.array([f.landmarks for _, f in faces]),
                       (alignments.header.width, alignments.header.height))


def _skin_lab(crop: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean CIE Lab (3,) of an sRGB-encoded [0, 1] crop (S, S, 3) where mask > 0.5."""
    lab = srgb_to_lab(torch.from_numpy(np.ascontiguousarray(crop[..., :3], np.float32)), dim=-1).numpy()
    inside = mask > 0.5
    return lab[inside].mean(axis=0) if inside.any() else lab.reshape(-1, 3).mean(axis=0)


def _measures(samples: FaceSamples) -> dict[str, np.ndarray]:
    poses = head_poses(samples.landmarks, image_size=samples.image_size)
    return {"yaw": poses[:, 0], "pitch": poses[:, 1], "mouth": mouth_opening(samples.landmarks),
            "eyes": eye_opening(samples.landmarks)}


def _ranges(m: dict[str, np.ndarray]) -> Ranges:
    def span(values: np.ndarray) -> tuple[float, float]:
        return float(np.nanmin(values)), float(np.nanmax(values))

    return Ranges(span(m["yaw"]), span(m["pitch"]), span(m["mouth"]), span(m["eyes"]))


def mean_shape(landmarks: np.ndarray) -> np.ndarray:
    """(68, 2) mean layout of faces (N, 68, 2) after a similarity fit of each onto the mean face."""
    fitted = [apply_affine(umeyama_similarity(p, MEAN_FACE_68), p) for p in np.asarray(landmarks, np.float64)]
    return np.mean(fitted, axis=0)


def check_pair(a: FaceSamples, b: FaceSamples, *, settings: PairSettings = PairSettings()) -> PairReport:
    """Compare A (the face to put in) with B (the plate's face); see the module docstring."""
    ma, mb = _measures(a), _measures(b)
    uncovered = []
    for j, frame in enumerate(b.frames):
        why = _why_uncovered(ma, {k: v[j] for k, v in mb.items()}, settings)
        if why:
            uncovered.append((frame, why))
    covered = 1.0 - len(uncovered) / max(len(b.frames), 1)
    shape = float(np.linalg.norm(mean_shape(a.landmarks) - mean_shape(b.landmarks), axis=1).mean())
    skin = None
    if a.skin_lab is not None and b.skin_lab is not None:
        skin = float(np.linalg.norm(a.skin_lab.mean(axis=0) - b.skin_lab.mean(axis=0)))
    verdict, notes = _verdict(covered, uncovered, shape, skin, len(a.frames))
    return PairReport(len(a.frames), len(b.frames), _ranges(ma), _ranges(mb), covered, tuple(uncovered), shape, skin,
                      verdict, tuple(notes))


def _why_uncovered(ma: dict[str, np.ndarray], one: dict[str, float], s: PairSettings) -> str:
    reasons = []
    pitch_ok = np.abs(ma["pitch"] - one["pitch"]) <= s.pose_tolerance
    close = pitch_ok & (np.abs(ma["yaw"] - one["yaw"]) <= s.pose_tolerance)
    if s.mirrored:
        close |= pitch_ok & (np.abs(ma["yaw"] + one["yaw"]) <= s.pose_tolerance)
    if not close.any():
        reasons.append(f"head pose yaw {one['yaw']:+.0f}° pitch {one['pitch']:+.0f}° never shown by A")
    if one["mouth"] > np.nanmax(ma["mouth"]) + s.mouth_margin:
        reasons.append(f"mouth open {one['mouth']:.2f} (A at most {np.nanmax(ma['mouth']):.2f})")
    if one["eyes"] < np.nanmin(ma["eyes"]) - s.eye_margin:
        reasons.append(f"eyes closed to {one['eyes']:.2f} (A at least {np.nanmin(ma['eyes']):.2f})")
    return "; ".join(reasons)


def _verdict(covered: float, uncovered: Sequence[tuple[int, str]], shape: float, skin: float | None,
             faces_a: int) -> tuple[str, list[str]]:
    notes = []
    if faces_a < 50:
        notes.append(f"A has only {faces_a} faces; a few hundred varied frames train a far better likeness")
    if shape > 0.08:
        notes.append(f"face shapes differ a lot ({shape:.3f}): the swap keeps B's outline, so A will look off")
    elif shape > 0.04:
        notes.append(f"face shapes differ somewhat ({shape:.3f})")
    if skin is not None and skin > 20:
        notes.append(f"skin tones differ strongly (ΔE {skin:.0f}): rely on color matching in convert")
    elif skin is not None and skin > 8:
        notes.append(f"skin tones differ (ΔE {skin:.0f}); convert's color matching should cope")
    kinds = {"pose": sum("pose" in w for _, w in uncovered), "mouth": sum("mouth" in w for _, w in uncovered),
             "eyes": sum("eyes" in w for _, w in uncovered)}
    missing = ", ".join(f"{k} ({n} frames)" for k, n in kinds.items() if n)
    if covered >= 0.9:
        verdict = f"good pair: A covers {covered:.0%} of B's frames"
    elif covered >= 0.6:
        verdict = f"usable pair: A covers {covered:.0%} of B's frames; expect weak frames where A lacks {missing}"
    else:
        verdict = (f"poor pair: A covers only {covered:.0%} of B's frames (missing {missing}); "
                   "add source footage with those poses and expressions before training")
    return verdict, notes
