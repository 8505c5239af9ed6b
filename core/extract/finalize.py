"""From raw detections to final alignments: pick the person, give face ids, smooth, fit crops.

`finalize` is a pure function of the raw per-face data (box, score, raw landmarks, embedding) and
the settings recorded in the header, applied to the whole plate at once: one run, a resumed run
and merged farm shards therefore end with identical files.
"""
from dataclasses import dataclass

import numpy as np

from facegraft.core.align.geometry import FaceCrop
from facegraft.core.alignments.format import Alignments, FaceAlignment
from facegraft.core.extract.identity import cluster_identities, match_reference
from facegraft.core.extract.smoothing import SmoothingSettings, smooth_track, track_iod


@dataclass(frozen=True)
class IdentitySettings:
    """cluster_distance: largest embedding distance joining a face to an identity (no reference).
    reference: embedding (D,) of the wanted person, or None; reference_distance: keep faces closer
    than this to it (dlib's same-person threshold, 0.6). reference_name: where it came from."""

    cluster_distance: float = 0.5
    reference: tuple[float, ...] | None = None
    reference_distance: float = 0.6
    reference_name: str | None = None

    def to_json(self) -> dict:
        return {"cluster_distance": self.cluster_distance, "reference_distance": self.reference_distance,
                "reference_name": self.reference_name,
                "reference": None if self.reference is None else [round(float(v), 6) for v in self.reference]}

    @classmethod
    def from_json(cls, d: dict) -> "IdentitySettings":
        ref = d.get("reference")
        return cls(float(d["cluster_distance"]), None if ref is None else tuple(float(v) for v in ref),
                   float(d["reference_distance"]), d.get("reference_name"))


def assign_identities(alignments: Alignments, settings: IdentitySettings) -> dict[int, list[tuple[int, FaceAlignment]]]:
    """Per frame, the (face id, face) pairs kept: the reference person only (id 0), or every face
    with clustered ids."""
    frames = alignments.frames
    embeddings = [np.array([f.embedding for f in alignments.faces(n)]) for n in frames]
    if settings.reference is not None:
        chosen = match_reference(embeddings, np.array(settings.reference), max_distance=settings.reference_distance)
        return {n: ([] if c is None else [(0, alignments.faces(n)[c])]) for n, c in zip(frames, chosen)}
    boxes = [np.array([f.box for f in alignments.faces(n)]).reshape(-1, 4) for n in frames]
    follows = [i > 0 and n == frames[i - 1] + 1 for i, n in enumerate(frames)]
    ids = cluster_identities(embeddings, max_distance=settings.cluster_distance, boxes=boxes, follows=follows)
    return {n: list(zip(i, alignments.faces(n))) for n, i in zip(frames, ids)}


def _runs(frames: list[int]) -> list[list[int]]:
    runs: list[list[int]] = []
    for n in frames:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return runs


def finalize(alignments: Alignments, *, identity: IdentitySettings, smoothing: SmoothingSettings) -> Alignments:
    """Face ids, smoothed landmarks and crop matrices for every face, from the raw fields.

    Args:
        alignments: faces with raw fields filled (face_id, landmarks, frame_to_crop are recomputed).
        identity, smoothing: settings (also recorded in the header by the caller).
    Returns: new Alignments; faces within a frame ordered by face id.
    """
    header = alignments.header
    kept = assign_identities(alignments, identity)
    smoothed: dict[tuple[int, int], np.ndarray] = {}
    smoothed_dense: dict[tuple[int, int], np.ndarray] = {}
    for face_id in sorted({i for pairs in kept.values() for i, _ in pairs}):
        present = [n for n in alignments.frames if any(i == face_id for i, _ in kept[n])]
        for run in _runs(present):
            faces = [next(f for i, f in kept[n] if i == face_id) for n in run]
            raw = np.array([f.landmarks_raw for f in faces])
            iod = track_iod(raw)
            for n, pts in zip(run, smooth_track(raw, smoothing, iod=iod)):
                smoothed[(n, face_id)] = np.round(pts, 3)
            if all(f.dense_raw is not None for f in faces) and len({f.dense_raw.shape for f in faces}) == 1:
                dense = smooth_track(np.array([f.dense_raw for f in faces]), smoothing, iod=iod)
                for n, pts in zip(run, dense):
                    smoothed_dense[(n, face_id)] = np.round(pts, 2)
    by_frame = {}
    for n in alignments.frames:
        faces = []
        for face_id, face in sorted(kept[n], key=lambda p: p[0]):
            pts = smoothed[(n, face_id)]
            crop = FaceCrop.from_landmarks(pts, size=header.size, face_type=header.face_type)
            dense = smoothed_dense.get((n, face_id))
            faces.append(FaceAlignment(face_id, face.box, face.score, face.detected, face.landmarks_raw, pts,
                                       crop.frame_to_crop, face.embedding, None if dense is None else face.dense_raw,
                                       dense))
        by_frame[n] = tuple(faces)
    return alignments.with_frames(by_frame)


def refinalize(alignments: Alignments) -> Alignments:
    """`finalize` with the settings recorded in the alignments' header (used by merge)."""
    settings = alignments.header.settings
    return finalize(alignments, identity=IdentitySettings.from_json(settings["identity"]),
                    smoothing=SmoothingSettings.from_json(settings["smoothing"]))
