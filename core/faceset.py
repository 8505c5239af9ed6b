"""Face sets: the aligned crops (+ masks) that extraction writes and training reads.

On disk, a face set is a folder:

    faceset.json       index: {"schema": "FaceSet", "version": 1, "size": S, "face_type": "full",
                       "color_encoding": "sRGB Encoded Rec.709 (sRGB)", "faces": [record, ...]}
    faces/F_I.png      one 16-bit RGBA PNG per face (F = frame number, 6 digits; I = face id):
                       RGB = the aligned crop in `color_encoding`, clipped to [0, 1];
                       A = the face mask in [0, 1].

A record holds: "file" (relative to the folder), "source" (plate path or pattern), "frame",
"face_id", "frame_to_crop" (2x3, full-frame pixels → crop pixels, top-left origin, pixel i covers
[i, i+1)), and "landmarks" (68x2, crop pixels, iBUG-68 order).

The crop encoding is the network's input encoding: display-referred sRGB-encoded Rec.709, [0, 1].
Values a scene-linear plate holds above the encoding's 1.0 are clipped in the crop (the composite
keeps the plate's own values outside the matte).
"""
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from facegraft.core.checks import check_affine
from facegraft.core.color import SRGB_ENCODED
from facegraft.core.errors import MediaError
from facegraft.core.media.atomic import atomic_write_path, atomic_write_text, remove_stale_temporaries

SCHEMA = "FaceSet"
VERSION = 1
INDEX_NAME = "faceset.json"
FACES_DIR = "faces"
_U16 = 65535.0
MAX_FACE_SIZE = 4096  # the largest crop `extract --size` writes


@dataclass(frozen=True)
class FaceRecord:
    """One face of a face set. Arrays are float64; see the module docstring for conventions."""

    file: str
    source: str
    frame: int
    face_id: int
    frame_to_crop: np.ndarray  # (2, 3)
    landmarks: np.ndarray  # (68, 2) crop pixels

    def to_json(self) -> dict:
        return {"file": self.file, "source": self.source, "frame": self.frame, "face_id": self.face_id,
                "frame_to_crop": np.round(self.frame_to_crop, 9).tolist(),
                "landmarks": np.round(self.landmarks, 4).tolist()}

    @classmethod
    def from_json(cls, d: dict) -> "FaceRecord":
        return cls(d["file"], d["source"], int(d["frame"]), int(d["face_id"]),
                   np.asarray(d["frame_to_crop"], np.float64), np.asarray(d["landmarks"], np.float64))


@dataclass(frozen=True)
class FaceSet:
    """A face set folder and its index. Pixels are loaded on demand."""

    path: Path
    size: int
    face_type: str
    color_encoding: str
    faces: tuple[FaceRecord, ...] = field(default=())

    def __len__(self) -> int:
        return len(self.faces)

    def load(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """Face `index` as (crop (S, S, 3) float32 in `color_encoding`, mask (S, S) float32 in [0, 1])."""
        record = self.faces[index]
        path = self.path / record.file
        rgba = cv2.imread(str(path), cv2.IMREAD_UNCHANGED) if path.is_file() else None  # no OpenCV warning
        if rgba is None or rgba.shape != (self.size, self.size, 4) or rgba.dtype != np.uint16:
            raise MediaError(f"{path}: missing or not a {self.size}x{self.size} 16-bit RGBA face crop; "
                             "re-run extraction with --faces-out, or remove the face from faceset.json")
        pixels = rgba.astype(np.float32) * np.float32(1.0 / _U16)
        return np.ascontiguousarray(pixels[..., 2::-1]), np.ascontiguousarray(pixels[..., 3])

    def with_faces(self, faces: Sequence[FaceRecord]) -> "FaceSet":
        return FaceSet(self.path, self.size, self.face_type, self.color_encoding, tuple(faces))

    def to_json(self) -> dict:
        return {"schema": SCHEMA, "version": VERSION, "size": self.size, "face_type": self.face_type,
                "color_encoding": self.color_encoding, "faces": [f.to_json() for f in self.faces]}


def face_file_name(frame: int, face_id: int) -> str:
    return f"{FACES_DIR}/{frame:06d}_{face_id}.png"


def load_faceset(path: str | Path) -> FaceSet:
    """Read a face set's index. Raises `MediaError` naming the folder when it is missing or corrupt."""
    path = Path(path)
    index = path / INDEX_NAME
    if path.exists() and not path.is_dir():
        raise MediaError(f"{path}: is a file, not a face set folder; pass the folder extract --faces-out wrote")
    try:
        data = json.loads(index.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MediaError(f"{path}: not a face set (no {INDEX_NAME}); make one with facegraft extract --faces-out") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise MediaError(f"{index}: corrupt face set index ({exc}); re-run extraction with --faces-out") from exc
    if not isinstance(data, dict) or data.get("schema") != SCHEMA or data.get("version") != VERSION:
        found = (data.get("schema"), data.get("version")) if isinstance(data, dict) else (type(data).__name__, None)
        raise MediaError(f"{index}: not a {SCHEMA} v{VERSION} index (found {found[0]!r} v{found[1]!r})")
    try:
        faces = tuple(FaceRecord.from_json(d) for d in data["faces"])
        faceset = FaceSet(path, int(data["size"]), str(data["face_type"]), str(data["color_encoding"]), faces)
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
        raise MediaError(f"{index}: corrupt face set index ({exc!r}); re-run extraction with --faces-out") from exc
    if not 8 <= faceset.size <= MAX_FACE_SIZE:
        raise MediaError(f"{index}: face size {faceset.size} is not in 8..{MAX_FACE_SIZE}; re-run extraction with "
                         "--faces-out")
    for record in faceset.faces:
        _check_record(record, faceset.size, index)
    return faceset


def _check_record(record: FaceRecord, size: int, index: Path) -> None:
    """Refuse a face whose matrix is not a finite, invertible (2, 3) transform or whose landmarks lie
    far outside its crop (MediaError naming the index and the face)."""
    where = f"{index}: face {record.file}"
    try:
        check_affine(record.frame_to_crop)
    except ValueError as exc:
        raise MediaError(f"{where}: frame_to_crop is not a face transform ({exc}); re-run extraction with "
                         "--faces-out") from None
    points = record.landmarks
    if (points.shape != (68, 2) or not np.all(np.isfinite(points)) or np.any(points < -size)
            or np.any(points > 2 * size) or np.ptp(points, axis=0).min() < 1.0):
        raise MediaError(f"{where}: landmarks are not 68 points on its {size}px crop; re-run extraction with "
                         "--faces-out")


class FaceSetWriter:
    """Adds faces to a face set folder; `save()` writes the index atomically.

    Opening an existing face set of the same size, face type and encoding continues it: faces
    already present (same frame and face id) are replaced when added again.
    """

    def __init__(self, path: str | Path, *, size: int, face_type: str,
                 color_encoding: str = SRGB_ENCODED) -> None:
        self.path = Path(path)
        (self.path / FACES_DIR).mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(self.path)
        remove_stale_temporaries(self.path / FACES_DIR)
        existing: tuple[FaceRecord, ...] = ()
        if (self.path / INDEX_NAME).exists():
            old = load_faceset(self.path)
            if (old.size, old.face_type, old.color_encoding) != (size, face_type, color_encoding):
                raise MediaError(f"{self.path}: holds {old.size}px {old.face_type} faces in {old.color_encoding}, "
                                 f"not {size}px {face_type}; use another --faces-out folder")
            existing = old.faces
        self._faces = {(f.frame, f.face_id): f for f in existing}
        self.faceset = FaceSet(self.path, size, face_type, color_encoding)

    def add(self, *, crop: np.ndarray, mask: np.ndarray, source: str, frame: int, face_id: int,
            frame_to_crop: np.ndarray, landmarks: np.ndarray) -> FaceRecord:
        """Write one face. `crop` (S, S, 3) float32 in the set's encoding; `mask` (S, S) float32 in [0, 1]."""
        size = self.faceset.size
        if crop.shape != (size, size, 3) or mask.shape != (size, size):
            raise ValueError(f"crop {crop.shape} / mask {mask.shape} do not match face set size {size}")
        check_affine(np.asarray(frame_to_crop, np.float64))
        rgba = np.concatenate([crop[..., ::-1], mask[..., None]], axis=2)
        rgba16 = np.round(np.clip(rgba, 0.0, 1.0) * _U16).astype(np.uint16)
        record = FaceRecord(face_file_name(frame, face_id), source, frame, face_id,
                            np.asarray(frame_to_crop, np.float64), np.asarray(landmarks, np.float64))
        with atomic_write_path(self.path / record.file) as tmp:
            if not cv2.imwrite(str(tmp), rgba16):
                raise MediaError(f"{self.path / record.file}: could not write face crop")
        self._faces[(frame, face_id)] = record
        return record

    def save(self) -> FaceSet:
        """Write faceset.json (faces sorted by frame, face id) and return the face set."""
        faces = tuple(self._faces[k] for k in sorted(self._faces))
        result = self.faceset.with_faces(faces)
        atomic_write_text(self.path / INDEX_NAME, json.dumps(result.to_json(), indent=1))
        return result
