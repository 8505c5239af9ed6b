"""The alignments file: everything extraction found on one plate, as versioned JSON (never pickle).

Layout (schema "FaceAlignments", version 2)::

    {"schema": "FaceAlignments", "version": 2,
     "header": {"source": "plate.####.exr", "width": 1920, "height": 1080,
                "frames": [1001, 1002, ...],          # every frame processed, ascending
                "detector": "hog", "landmarks": "dlib68", "identity": "dlib_resnet",
                "face_type": "full", "size": 256,
                "settings": {...}},                   # what else shaped the result (tracking,
                                                      # smoothing, identity threshold, reference)
     "frames": {"1001": [face, ...], "1002": [], ...}} # keyed by frame number; [] = no face

    face = {"face_id": 0,                      # identity, the same across frames
            "box": [x0, y0, x1, y1],           # detector box (tracked frames: the seed box)
            "score": 1.83,                     # detector score of the keyframe
            "detected": true,                  # false when the face was tracked, not detected
            "landmarks_raw": [[x, y] * 68],    # iBUG-68 order, as the landmark model placed them
            "landmarks": [[x, y] * 68],        # temporally smoothed; what crops are fitted to
            "frame_to_crop": [[a, b, c], [d, e, f]],  # FaceCrop of the smoothed landmarks
            "embedding": [128 floats],         # identity embedding (computed on the keyframe)
            "dense_raw": [[x, y] * 468],       # only from a dense landmark model ("mesh": MediaPipe's
            "dense": [[x, y] * 468]}           # 468 points), raw and smoothed like the 68; else absent

Versions: 1 had no dense points (`_upgrade_1_to_2` only bumps the version: absent = none).

Convention: full-frame pixels of the plate, x right, y down, origin at the top-left corner of the
top-left pixel (pixel i covers [i, i+1)); matrices are 2x3, frame → crop, for `size` px crops of
`face_type`. Later versions add an `_upgrade_<n>_to_<n+1>(d) -> d` step in `UPGRADES`; files of
every past version are kept in tests/data/ and must keep loading.
"""
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType

import numpy as np

from facegraft.core.align.geometry import FACE_TYPES, FaceCrop
from facegraft.core.errors import AlignmentsError
from facegraft.core.media.atomic import atomic_write_text

SCHEMA = "FaceAlignments"
VERSION = 2


def _upgrade_1_to_2(d: dict) -> dict:
    """v2 adds the optional per-face `dense_raw` / `dense` points: a v1 file has none."""
    return {**d, "version": 2}


# version n -> function turning a version-n dict into a version-(n+1) dict.
UPGRADES: Mapping[int, Callable[[dict], dict]] = MappingProxyType({1: _upgrade_1_to_2})


@dataclass(frozen=True, eq=False)
class FaceAlignment:
    """One face on one frame. Arrays are float64 (see the module docstring for conventions)."""

    face_id: int
    box: np.ndarray  # (4,)
    score: float
    detected: bool
    landmarks_raw: np.ndarray  # (68, 2)
    landmarks: np.ndarray  # (68, 2) smoothed
    frame_to_crop: np.ndarray  # (2, 3)
    embedding: np.ndarray  # (D,)
    dense_raw: np.ndarray | None = None  # (K, 2) dense model points (468 for the mesh), or None
    dense: np.ndarray | None = None  # (K, 2) smoothed

    def crop(self, *, size: int, face_type: str) -> FaceCrop:
        return FaceCrop.from_matrix(self.frame_to_crop, size=size, face_type=face_type)

    def to_json(self) -> dict:
        out = {"face_id": int(self.face_id), "box": _round(self.box, 3), "score": round(float(self.score), 6),
               "detected": bool(self.detected), "landmarks_raw": _round(self.landmarks_raw, 3),
               "landmarks": _round(self.landmarks, 3), "frame_to_crop": _round(self.frame_to_crop, 9),
               "embedding": _round(self.embedding, 6)}
        if self.dense_raw is not None and self.dense is not None:
            out["dense_raw"], out["dense"] = _round(self.dense_raw, 2), _round(self.dense, 2)
        return out

    @classmethod
    def from_json(cls, d: dict) -> "FaceAlignment":
        dense_raw = dense = None
        if "dense_raw" in d:
            dense_raw, dense = _array(d["dense_raw"], (-1, 2)), _array(d["dense"], (-1, 2))
            if dense_raw.shape != dense.shape:
                raise ValueError(f"dense_raw {dense_raw.shape} and dense {dense.shape} differ in shape")
        face = cls(int(d["face_id"]), _array(d["box"], (4,)), float(d["score"]), bool(d["detected"]),
                   _array(d["landmarks_raw"], (68, 2)), _array(d["landmarks"], (68, 2)),
                   _array(d["frame_to_crop"], (2, 3)), _array(d["embedding"], (-1,)), dense_raw, dense)
        return face



@dataclass(frozen=True)
class AlignmentsHeader:
    """What the alignments describe and how they were made (see the module docstring)."""

    source: str
    width: int
    height: int
    detector: str
    landmarks: str
    identity: str
    face_type: str
    size: int
    settings: dict = field(default_factory=dict)

    def to_json(self, frames: list[int]) -> dict:
        return {"source": self.source, "width": self.width, "height": self.height, "frames": frames,
                "detector": self.detector, "landmarks": self.landmarks, "identity": self.identity,
                "face_type": self.face_type, "size": self.size, "settings": self.settings}

    @classmethod
    def from_json(cls, d: dict) -> "AlignmentsHeader":
        return cls(str(d["source"]), int(d["width"]), int(d["height"]), str(d["detector"]), str(d["landmarks"]),
                   str(d["identity"]), str(d["face_type"]), int(d["size"]), dict(d.get("settings", {})))


@dataclass(frozen=True)
class Alignments:
    """The alignments of one plate: a header and, per processed frame, its faces (maybe none)."""

    header: AlignmentsHeader
    by_frame: Mapping[int, tuple[FaceAlignment, ...]]

    def __post_init__(self) -> None:
        ordered = {int(k): tuple(v) for k, v in sorted(self.by_frame.items())}
        object.__setattr__(self, "by_frame", MappingProxyType(ordered))

    @property
    def frames(self) -> list[int]:
        """Frames processed, ascending (with or without faces)."""
        return list(self.by_frame)

    def faces(self, frame: int) -> list[FaceAlignment]:
        """The faces of `frame` ([] when it has none). Raises KeyError if the frame was not processed."""
        return list(self.by_frame[frame])

    def face_ids(self) -> list[int]:
        return sorted({f.face_id for faces in self.by_frame.values() for f in faces})

    def with_frames(self, by_frame: Mapping[int, tuple[FaceAlignment, ...]]) -> "Alignments":
        return replace(self, by_frame=by_frame)

    def to_json(self) -> dict:
        return {"schema": SCHEMA, "version": VERSION, "header": self.header.to_json(self.frames),
                "frames": {str(n): [f.to_json() for f in faces] for n, faces in self.by_frame.items()}}

    @classmethod
    def from_json(cls, d: dict) -> "Alignments":
        """Rebuild from `to_json` output, checking every face (see `check_face`).

        Raises: AlignmentsError naming the frame of an implausible face; KeyError/TypeError/ValueError
        for a malformed document."""
        header = AlignmentsHeader.from_json(d["header"])
        if header.width < 1 or header.height < 1 or header.size < 8 or header.face_type not in FACE_TYPES:
            raise AlignmentsError(f"header: a {header.width}x{header.height} plate with {header.size}px "
                                  f"{header.face_type!r} crops is not possible; re-run facegraft extract")
        frames = {}
        for key, faces in d["frames"].items():
            try:
                frames[int(key)] = tuple(FaceAlignment.from_json(f) for f in faces)
            except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
                raise AlignmentsError(f"frame {key}: corrupt face ({type(exc).__name__}: {exc}); "
                                      f"re-run facegraft extract --force --frames {key}") from None
        if sorted(frames) != sorted(int(n) for n in d["header"]["frames"]):
            raise ValueError("header frame list and frame keys disagree")
        for number, faces in frames.items():
            for face in faces:
                check_face(face, header, number)
        return cls(header, frames)


def check_face(face: FaceAlignment, header: AlignmentsHeader, frame: int) -> None:
    """Refuse a face that cannot be on this plate: landmarks or box far outside the frame (more than
    a frame's size beyond an edge), landmarks collapsed to a point or a line, or a frame → crop
    matrix that is singular or does not bring the landmarks into the crop.

    Raises: AlignmentsError naming the frame and face.
    """
    w, h = header.width, header.height
    where, fix = f"frame {frame}, face {face.face_id}", f"re-run facegraft extract --force --frames {frame}"
    low, high = np.array([-w, -h], np.float64), np.array([2 * w, 2 * h], np.float64)
    for name, points in (("landmarks", face.landmarks), ("raw landmarks", face.landmarks_raw),
                         ("box", face.box.reshape(2, 2))):
        if np.any(points < low) or np.any(points > high):
            raise AlignmentsError(f"{where}: {name} lie far outside the {w}x{h} frame; {fix}")
    if face.face_id < 0:
        raise AlignmentsError(f"{where}: a face id must be 0 or more; {fix}")
    if np.ptp(face.landmarks, axis=0).min() < 1.0:
        raise AlignmentsError(f"{where}: landmarks collapse to a point or a line; {fix}")
    try:
        inside = face.crop(size=header.size, face_type=header.face_type).to_crop(face.landmarks)
    except ValueError as exc:
        raise AlignmentsError(f"{where}: frame_to_crop is not a face transform ({exc}); {fix}") from None
    if np.any(inside < -header.size) or np.any(inside > 2 * header.size):
        raise AlignmentsError(f"{where}: frame_to_crop does not bring the landmarks into the "
                              f"{header.size}px crop; {fix}")


def upgrade(data: dict, *, upgrades: Mapping[int, Callable[[dict], dict]] = UPGRADES,
            version: int = VERSION) -> dict:
    """Bring a loaded alignments dict up to `version`, one registered step at a time.

    Raises: AlignmentsError for another schema, a newer version, or a missing upgrade step.
    """
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise AlignmentsError(f"not a {SCHEMA} file (schema {data.get('schema') if isinstance(data, dict) else None!r})")
    found = data.get("version")
    if not isinstance(found, int) or found < 1 or found > version:
        raise AlignmentsError(f"{SCHEMA} version {found!r} is not readable by this facegraft "
                              f"(reads 1..{version}); update facegraft")
    while data["version"] < version:
        step = upgrades.get(data["version"])
        if step is None:
            raise AlignmentsError(f"no upgrade from {SCHEMA} v{data['version']}; update facegraft")
        data = step(data)
    return data


def load_alignments(path: str | Path) -> Alignments:
    """Read an alignments file (any past version, upgraded in memory).

    Raises: AlignmentsError naming the file when it is missing, not JSON, of another schema or
        version, or missing fields.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AlignmentsError(f"{path}: no such alignments file; run facegraft extract first") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AlignmentsError(f"{path}: corrupt alignments file ({exc}); re-run facegraft extract --force") from exc
    try:
        return Alignments.from_json(upgrade(data))
    except AlignmentsError as exc:
        raise AlignmentsError(f"{path}: {exc}") from exc
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
        raise AlignmentsError(f"{path}: corrupt alignments file ({type(exc).__name__}: {exc}); "
                              "re-run facegraft extract --force") from exc


def save_alignments(alignments: Alignments, path: str | Path) -> Path:
    """Write `alignments` to `path` atomically (temporary name, then rename). Returns the path."""
    path = Path(path)
    atomic_write_text(path, dumps(alignments))
    return path


def dumps(alignments: Alignments) -> str:
    """The file's text: compact, one frame per line, deterministic."""
    data = alignments.to_json()
    frames = data.pop("frames")
    lines = [json.dumps({k: v for k, v in data.items()}, separators=(",", ":"))[:-1] + ',"frames":{']
    items = [f"{json.dumps(k)}:{json.dumps(v, separators=(',', ':'))}" for k, v in frames.items()]
    lines.append(",\n".join(items))
    lines.append("}}\n")
    return "\n".join(lines)


def _round(values: np.ndarray, digits: int) -> list:
    return np.round(np.asarray(values, np.float64), digits).tolist()


def _array(values: list, shape: tuple[int, ...]) -> np.ndarray:
    out = np.asarray(values, np.float64)
    fits = out.ndim == len(shape) and all(want in (-1, got) for want, got in zip(shape, out.shape))
    if not fits:
        raise ValueError(f"expected an array of shape {shape}, got {out.shape}")
    if not np.all(np.isfinite(out)):
        raise ValueError("holds NaN or infinite numbers")
    return out
