"""Face-set pixels for training: crops, masks and eye/mouth maps as one in-memory tensor.

Layout of `FaceData.planes`: (N, 6, S, S) float16, channels RGB (crop encoding, [0, 1]), mask,
eyes, mouth ([0, 1]). `FaceData.weights` are the drawing probabilities of the training faces when
sampling is balanced over pose and expression (`sampling`), else None (uniform).
`FaceData.expression` holds each face's expression code (`face_geometry.expression_code`, centred
per identity by `identity_expression`) for expression-conditioned models. The last
`holdout` faces (in face-set order: by frame) are a held-out block kept apart for previews and
quality measurements; faces within `gap` frames before that block are dropped as well, so no
trained frame is a near-duplicate of a held-out one (neighbouring video frames are almost the
same image, and would make held-out scores read like training scores).
On small sets each of the two takes at most a fifth of the faces, so most of a short clip still
trains; the counts used are reported with the held-out scores.
"""
from dataclasses import dataclass

import cv2
import numpy as np
import torch

from facegraft.core.align.face_geometry import EXPRESSION_MEASURES, EXPRESSION_PER_IDENTITY, expression_code
from facegraft.core.faceset import FaceSet
from facegraft.core.masks.landmark import hull_mask
from facegraft.core.memory import array_bytes, require_memory
from facegraft.core.train.errors import TrainingError
from facegraft.core.train.sampling import balanced_weights, face_factors
from facegraft.core.train.settings import SamplingSettings

MIN_TRAIN_FACES = 8
EYES = (tuple(range(36, 42)), tuple(range(42, 48)))
MOUTH = (tuple(range(48, 60)),)


@dataclass(frozen=True)
class FaceData:
    """Training and held-out planes of one identity (see the module docstring)."""

    train: torch.Tensor  # (N, 6, S, S) float16
    holdout: torch.Tensor  # (H, 6, S, S) float16
    size: int
    name: str
    weights: torch.Tensor | None = None  # (N,) float64 drawing probabilities of `train`; None: uniform
    expression: torch.Tensor | None = None  # (N, E) float32 expression codes of `train` (NaN: unknown)


def region_maps(landmarks: np.ndarray, size: int) -> np.ndarray:
    """Eye and mouth maps (2, S, S) float32 in [0, 1] from 68 landmarks in crop pixels.

    Convention: crop pixels, origin at the top-left corner of the top-left pixel; each convex hull
    is grown by S/32 pixels and softened with a Gaussian of the same size.
    """
    maps = np.zeros((2, size, size), np.float32)
    if landmarks.shape != (68, 2) or not np.all(np.isfinite(landmarks)):
        return maps
    grow = max(1, size // 32)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
    for plane, groups in zip(maps, (EYES, MOUTH)):
        hulls = np.max([hull_mask(landmarks[list(group)], (size, size)) for group in groups], axis=0)
        plane[:] = cv2.GaussianBlur(cv2.dilate(hulls, kernel), (0, 0), grow)
    return np.clip(maps, 0.0, 1.0)


def split_indices(frames: list[int], *, holdout: int, gap: int) -> tuple[list[int], list[int]]:
    """Indices (train, held out) of faces with frame numbers `frames` (ascending): the last
    min(`holdout`, N/5) faces are held out; training keeps the faces more than `gap` frames before
    them, dropping at most N/5 faces for the gap."""
    if holdout < 0 or gap < 0:
        raise ValueError(f"holdout and gap must be >= 0, got {holdout} and {gap}")
    n = len(frames)
    cut = n - min(holdout, n // 5)
    if cut == n:
        return list(range(n)), []
    near = sum(1 for i in range(cut) if frames[i] >= frames[cut] - gap)
    return list(range(cut - min(near, n // 5))), list(range(cut, n))


def identity_expression(codes: np.ndarray) -> np.ndarray:
    """Expression codes (N, E) of one identity's faces with the `EXPRESSION_PER_IDENTITY` measures
    centred on their median over these faces: (N, E) float32, NaN kept."""
    out = codes.copy()
    for column, centred in enumerate(EXPRESSION_PER_IDENTITY):
        known = codes[:, column][np.isfinite(codes[:, column])]
        if centred and len(known):
            out[:, column] -= np.median(known)
    return out


def load_face_data(faceset: FaceSet, *, holdout: int, gap: int, name: str,
                   sampling: SamplingSettings = SamplingSettings()) -> FaceData:
    """Load `faceset` into memory, split into training faces and a held-out block (see the module),
    with balanced drawing probabilities when `sampling.balanced`.

    Raises: TrainingError when fewer than MIN_TRAIN_FACES faces remain for training;
    MediaError (from the face set) for an unreadable crop.
    """
    train, held = split_indices([r.frame for r in faceset.faces], holdout=holdout, gap=gap)
    if len(train) < MIN_TRAIN_FACES:
        raise TrainingError(f"{faceset.path}: face set {name} has {len(faceset)} faces; with {holdout} held out "
                            f"and a gap of {gap} frames before them, {len(train)} remain to train on (at least "
                            f"{MIN_TRAIN_FACES} needed): extract more frames, or lower --holdout / --holdout-gap")
    tensor = torch.from_numpy(face_planes(faceset, train + held))
    landmarks = np.stack([faceset.faces[i].landmarks for i in train]).astype(np.float64)
    codes = torch.from_numpy(identity_expression(expression_code(landmarks)))
    weights = None
    if sampling.balanced:
        weights = torch.from_numpy(balanced_weights(face_factors(landmarks, size=faceset.size), sampling))
    return FaceData(tensor[: len(train)], tensor[len(train):], faceset.size, name, weights, codes)


def pool_face_data(parts: list[FaceData], *, name: str) -> FaceData:
    """Many identities as one pool (pretraining): every identity is drawn equally often, and within
    one its own weights (balanced or uniform) apply. Raises ValueError for an empty list or mixed sizes."""
    if not parts or len({p.size for p in parts}) != 1:
        raise ValueError("pool_face_data needs face data of one crop size")
    def own(p: FaceData) -> torch.Tensor:
        return p.weights if p.weights is not None else torch.full((len(p.train),), 1.0 / len(p.train),
                                                                  dtype=torch.float64)

    def codes(p: FaceData) -> torch.Tensor:
        return p.expression if p.expression is not None else torch.full((len(p.train), len(EXPRESSION_MEASURES)),
                                                                         float("nan"))

    weights = [own(p) / len(parts) for p in parts]
    return FaceData(torch.cat([p.train for p in parts]), torch.cat([p.holdout for p in parts]), parts[0].size,
                    name, torch.cat(weights), torch.cat([codes(p) for p in parts]))


def face_planes(faceset: FaceSet, indices: list[int]) -> np.ndarray:
    """The planes (N, 6, S, S) float16 (see the module docstring) of the faces at `indices`."""
    s = faceset.size
    n = len(indices)
    require_memory(array_bytes((n, 6, s, s), np.float16), what=f"{faceset.path}: {n} faces of {s}px in memory",
                   fix="train on fewer faces (facegraft faces sort --dedupe) or a smaller resolution")
    planes = np.empty((n, 6, s, s), np.float16)
    for row, i in enumerate(indices):
        crop, mask = faceset.load(i)
        planes[row, :3] = crop.transpose(2, 0, 1)
        planes[row, 3] = mask
        planes[row, 4:] = region_maps(faceset.faces[i].landmarks, s)
    return planes


def check_pair(a: FaceSet, b: FaceSet) -> None:
    """Both face sets must share crop size, face type and color encoding (else TrainingError)."""
    for label, x, y in (("crop size", a.size, b.size), ("face type", a.face_type, b.face_type),
                        ("color encoding", a.color_encoding, b.color_encoding)):
        if x != y:
            raise TrainingError(f"face sets differ in {label}: {a.path} has {x!r}, {b.path} has {y!r}; "
                                "extract both with the same settings")
