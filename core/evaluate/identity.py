"""Measure one face on one frame, and the identity embedding of a person from their footage.

`FaceProbe` runs the extraction backends (detector, 68 landmarks, dlib 128-D identity) on the
8-bit sRGB detection image of a frame (`facegraft.core.detect.prepare.detection_image`).
Convention: full-frame pixels, top-left origin, pixel i covers [i, i+1); boxes (x0, y0, x1, y1).
"""
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facegraft.core.alignments.format import Alignments, load_alignments
from facegraft.core.color import ColorManager
from facegraft.core.detect.prepare import detection_image
from facegraft.core.detect.types import boxes_array
from facegraft.core.errors import NoFaceError
from facegraft.core.evaluate.metrics import mean_identity
from facegraft.core.extract.pipeline import ExtractModels
from facegraft.core.faceset import INDEX_NAME, load_faceset
from facegraft.core.media.source import open_source


@dataclass(frozen=True)
class FaceProbe:
    """The backends eval and the pair check measure faces with."""

    models: ExtractModels

    def find(self, image: np.ndarray, *, near: np.ndarray | None = None) -> np.ndarray | None:
        """The detector box (4,) of the face nearest the point `near` (x, y) — or of the largest
        face when `near` is None; None when the detector finds nothing (near it).

        Args: image: (H, W, 3) uint8 sRGB detection image.
        """
        found = self.models.detector(image)
        if not found:
            return None
        boxes = boxes_array(found)
        if near is None:
            return boxes[int(np.argmax((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])))]
        inside = [(b[0] <= near[0] <= b[2]) and (b[1] <= near[1] <= b[3]) for b in boxes]
        centres = (boxes[:, :2] + boxes[:, 2:]) / 2
        order = np.argsort(np.linalg.norm(centres - near, axis=1))
        best = next((int(i) for i in order if inside[int(i)]), None)
        return None if best is None else boxes[best]

    def landmarks(self, image: np.ndarray, box: np.ndarray) -> np.ndarray:
        """(68, 2) float64 frame px of the face in `box` (4,)."""
        return self.models.landmarks(image, np.asarray(box, np.float64).reshape(1, 4))[0]

    def embedding(self, image: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
        """(D,) float64 identity embedding of the face with `landmarks` (68, 2)."""
        return self.models.identity(image, np.asarray(landmarks, np.float64).reshape(1, 68, 2))[0]


def identity_of(path: str | Path, *, probe: FaceProbe, color: ColorManager, samples: int = 16,
                face_id: int | None = None, colorspace: str | None = None) -> np.ndarray:
    """The mean identity embedding (D,) of the person in `path`.

    Args:
        path: an alignments file (*.json: its stored embeddings), a face set folder (embeds the
            crops with their landmarks), or a video / sequence / image (the largest face of up to
            `samples` evenly spaced frames).
        face_id: with alignments, only this identity (default: every face).
    Returns: (D,) float64.
    Raises: NoFaceError naming `path` when no face is found; MediaError/AlignmentsError for bad files.
    """
    path = Path(path)
    if path.suffix.lower() == ".json" and path.is_file():
        embeddings = _alignment_embeddings(load_alignments(path), face_id)
    elif path.is_dir() and (path / INDEX_NAME).is_file():
        embeddings = _faceset_embeddings(path, probe, samples)
    else:
        embeddings = _media_embeddings(path, probe, color, samples, colorspace)
    if not embeddings:
        raise NoFaceError(f"{path}: no face found to take the identity from; check the file, or pass an "
                          "alignments file or a face set of that person")
    return mean_identity(np.array(embeddings))


def _alignment_embeddings(alignments: Alignments, face_id: int | None) -> list[np.ndarray]:
    return [f.embedding for n in alignments.frames for f in alignments.faces(n)
            if face_id is None or f.face_id == face_id]


def _spread(items: Sequence[int], count: int) -> list[int]:
    if len(items) <= count:
        return list(items)
    return [items[int(i)] for i in np.linspace(0, len(items) - 1, count).round().astype(int)]


def _faceset_embeddings(path: Path, probe: FaceProbe, samples: int) -> list[np.ndarray]:
    faceset = load_faceset(path)
    out = []
    for index in _spread(list(range(len(faceset))), samples):
        crop, _ = faceset.load(index)
        image = (np.clip(crop, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
        out.append(probe.embedding(image, faceset.faces[index].landmarks))
    return out


def _media_embeddings(path: Path, probe: FaceProbe, color: ColorManager, samples: int,
                      colorspace: str | None) -> list[np.ndarray]:
    source = open_source(path, colorspace=colorspace)
    out = []
    for frame in source.iter_frames(_spread(source.frames, samples)):
        image = detection_image(frame.pixels, colorspace=frame.colorspace, color=color)
        box = probe.find(image)
        if box is not None:
            out.append(probe.embedding(image, probe.landmarks(image, box)))
    return out
