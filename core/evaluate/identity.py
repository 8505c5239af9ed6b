"""Measure faces on frames, and what A's own footage looks like (identity, detail).

`FaceProbe` runs a detector, a 68-point landmark model and an identity model on the 8-bit sRGB
detection image of a frame (`facegraft.core.detect.prepare.detection_image`). `identity_of` is the
mean embedding of a person; `reference_faces` keeps a few of A's faces (OKLab lightness around the
face and its landmarks) to tell how much detail A's footage holds at a given face scale.
Convention: full-frame pixels, top-left origin, pixel i covers [i, i+1); boxes (x0, y0, x1, y1).
"""
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facegraft.core.alignments.format import Alignments, load_alignments
from facegraft.core.color import ColorManager
from facegraft.core.color.perceptual import to_oklab
from facegraft.core.detect.prepare import detection_image
from facegraft.core.detect.types import Detection, boxes_array, place_landmarks
from facegraft.core.errors import FacegraftError, NoFaceError
from facegraft.core.evaluate.appearance import DETAIL_IOD, band_energy, face_regions
from facegraft.core.align.face_geometry import interocular
from facegraft.core.evaluate.metrics import mean_identity, nan_median
from facegraft.core.extract.pipeline import ExtractModels
from facegraft.core.faceset import INDEX_NAME, load_faceset
from facegraft.core.media.source import open_source


@dataclass(frozen=True)
class FoundFace:
    """One face as the probe measured it: box (4,), landmarks (68, 2) frame px, embedding (D,)."""

    box: np.ndarray
    landmarks: np.ndarray
    embedding: np.ndarray


@dataclass(frozen=True)
class FaceProbe:
    """The backends eval and the pair check measure faces with."""

    models: ExtractModels

    def find(self, image: np.ndarray, *, near: np.ndarray | None = None,
             search: tuple[int, int, int, int] | None = None) -> Detection | None:
        """The detection (frame px box, roll) of the face containing the point `near` (x, y) — the
        closest such — or of the largest face when `near` is None; None when nothing is found there.

        Args: image: (H, W, 3) uint8 sRGB detection image. search: (x0, y0, x1, y1) integer pixels
            to run the detector on (default: the whole image).
        """
        x0, y0 = (search[0], search[1]) if search is not None else (0, 0)
        view = image if search is None else np.ascontiguousarray(image[search[1]:search[3], search[0]:search[2]])
        found = self.models.detector(view) if min(view.shape[:2]) > 0 else []
        if not found:
            return None
        boxes = boxes_array(found) + np.array([x0, y0, x0, y0], np.float64)
        if near is None:
            best: int | None = int(np.argmax((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])))
        else:
            inside = [(b[0] <= near[0] <= b[2]) and (b[1] <= near[1] <= b[3]) for b in boxes]
            order = np.argsort(np.linalg.norm((boxes[:, :2] + boxes[:, 2:]) / 2 - near, axis=1))
            best = next((int(i) for i in order if inside[int(i)]), None)
        if best is None:
            return None
        return Detection(tuple(float(v) for v in boxes[best]), found[best].score, found[best].roll)

    def landmarks(self, image: np.ndarray, box: np.ndarray, *, roll: float = 0.0) -> np.ndarray:
        """(68, 2) float64 frame px of the face in `box` (4,); `roll` (radians) turns a dense model's crop."""
        boxes = np.asarray(box, np.float64).reshape(1, 4)
        return place_landmarks(self.models.landmarks, image, boxes, rolls=np.array([roll]))[0][0]

    def embedding(self, image: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
        """(D,) float64 identity embedding of the face with `landmarks` (68, 2)."""
        return self.models.identity(image, np.asarray(landmarks, np.float64).reshape(1, 68, 2))[0]

    def measure(self, image: np.ndarray, *, near: np.ndarray | None = None,
                search: tuple[int, int, int, int] | None = None) -> FoundFace | None:
        """Detect (see `find`), place the landmarks and embed: None when no face is found."""
        found = self.find(image, near=near, search=search)
        return None if found is None else self.measure_in_box(image, np.array(found.box), roll=found.roll)

    def measure_in_box(self, image: np.ndarray, box: np.ndarray, *, roll: float = 0.0) -> FoundFace:
        """Landmarks and embedding of the face in a known `box` (4,)."""
        box = np.asarray(box, np.float64)
        points = self.landmarks(image, box, roll=roll)
        return FoundFace(box, points, self.embedding(image, points))


def measuring_probe(extraction_landmarks: str | None = None) -> FaceProbe:
    """The probe that measures faces extracted with the landmark model `extraction_landmarks`
    (default: what new projects extract with): another landmark model (`detect.measuring`), so a
    model's bias cannot grade itself — the MediaPipe mesh after BlazeFace for dlib68 extractions,
    dlib68 after HOG for mesh ones — and dlib's 128-D identity model.

    Raises: FacegraftError when no other landmark model loads (see `measuring_landmarks`).
    """
    from facegraft.core.detect.measuring import measuring_landmarks
    from facegraft.core.detect.registry import DEFAULT_LANDMARKS, default_registry

    registry = default_registry()
    landmarks = measuring_landmarks(extraction_landmarks or DEFAULT_LANDMARKS, registry=registry)
    detector = "blazeface" if landmarks == "mesh" else "hog"
    return FaceProbe(ExtractModels(registry.detector(detector), registry.landmarks(landmarks),
                                   registry.identity("dlib_resnet")))


@dataclass(frozen=True)
class ReferenceFace:
    """One of A's faces: OKLab lightness (h, w) float32 around it, landmarks (68, 2) in its pixels."""

    lightness: np.ndarray
    landmarks: np.ndarray


@dataclass(frozen=True)
class ReferenceFaces:
    """A few of A's own faces, to measure the detail A's footage holds at a face scale."""

    faces: tuple[ReferenceFace, ...]

    def detail_energy(self, interocular_px: float) -> float:
        """Median band-pass energy (`appearance.band_energy`) of A's skin (the face minus eyes,
        brows and mouth, so expression matters little), the faces resized so that their
        interocular is `interocular_px` (capped at `DETAIL_IOD`, as plate faces are measured)."""
        target = min(float(interocular_px), DETAIL_IOD)
        values = []
        for face in self.faces:
            matte = np.ones(face.lightness.shape, np.float32)
            regions = face_regions(face.landmarks, matte)
            scale = target / max(float(interocular(face.landmarks)), 1e-6)
            values.append(band_energy(face.lightness, regions.skin, scale=scale))
        return nan_median(values)


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
        embeddings = [probe.embedding(_to_uint8(crop), points) for crop, points in _faceset_faces(path, samples)]
    else:
        embeddings = [face.embedding for _, face, _ in _media_faces(path, probe, color, samples, colorspace)]
    if not embeddings:
        raise NoFaceError(f"{path}: no face found to take the identity from; check the file, or pass an "
                          "alignments file or a face set of that person")
    return mean_identity(np.array(embeddings))


def reference_faces(path: str | Path, *, probe: FaceProbe, color: ColorManager, samples: int = 8,
                    face_id: int | None = None, colorspace: str | None = None) -> ReferenceFaces | None:
    """Up to `samples` of A's faces from `path` (alignments file — read from the footage it names —,
    face set or media, as `identity_of`); None when none can be read (the eval then judges detail
    against the plate alone)."""
    path = Path(path)
    faces = []
    try:
        if path.suffix.lower() == ".json" and path.is_file():
            faces = list(_alignment_faces(load_alignments(path), color, samples, face_id, colorspace))
        elif path.is_dir() and (path / INDEX_NAME).is_file():
            faceset = load_faceset(path)
            faces = [ReferenceFace(to_oklab(crop, faceset.color_encoding, color)[..., 0], points)
                     for crop, points in _faceset_faces(path, samples)]
        else:
            faces = [_cut(to_oklab(rgb, space, color)[..., 0], face.landmarks)
                     for (rgb, space), face, _ in _media_faces(path, probe, color, samples, colorspace)]
    except FacegraftError:
        return None
    faces = [f for f in faces if f is not None]
    return ReferenceFaces(tuple(faces)) if faces else None


def _cut(lightness: np.ndarray, landmarks: np.ndarray) -> ReferenceFace | None:
    """`lightness` (H, W) of a frame cut around the face: the landmarks' extent + one interocular."""
    iod = float(interocular(landmarks))
    h, w = lightness.shape
    x0, y0 = (int(max(0, v)) for v in np.floor(landmarks.min(axis=0) - iod))
    x1, y1 = int(min(w, np.ceil(landmarks[:, 0].max() + iod))), int(min(h, np.ceil(landmarks[:, 1].max() + iod)))
    if x1 - x0 < 8 or y1 - y0 < 8:
        return None
    return ReferenceFace(np.ascontiguousarray(lightness[y0:y1, x0:x1], np.float32), landmarks - [x0, y0])


def _to_uint8(crop: np.ndarray) -> np.ndarray:
    return (np.clip(crop, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def _alignment_embeddings(alignments: Alignments, face_id: int | None) -> list[np.ndarray]:
    return [f.embedding for n in alignments.frames for f in alignments.faces(n)
            if face_id is None or f.face_id == face_id]


def _spread(items: Sequence[int], count: int) -> list[int]:
    if len(items) <= count:
        return list(items)
    return [items[int(i)] for i in np.linspace(0, len(items) - 1, count).round().astype(int)]


def _faceset_faces(path: Path, samples: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(crop (S, S, 3) in the set's color encoding, landmarks (68, 2) crop px) of spread faces."""
    faceset = load_faceset(path)
    for index in _spread(list(range(len(faceset))), samples):
        crop, _ = faceset.load(index)
        yield crop, faceset.faces[index].landmarks


def _media_faces(path: Path, probe: FaceProbe, color: ColorManager, samples: int,
                 colorspace: str | None) -> Iterator[tuple[tuple[np.ndarray, str], FoundFace, int]]:
    """((rgb, its color space), the largest face, frame number) of up to `samples` spread frames."""
    source = open_source(path, colorspace=colorspace)
    for frame in source.iter_frames(_spread(source.frames, samples)):
        rgb = np.ascontiguousarray(frame.pixels[..., :3]) if frame.pixels.shape[2] >= 3 else \
            np.repeat(frame.pixels[..., :1], 3, axis=2)
        face = probe.measure(detection_image(rgb, colorspace=frame.colorspace, color=color))
        if face is not None:
            yield (rgb, frame.colorspace), face, frame.number


def _alignment_faces(alignments: Alignments, color: ColorManager, samples: int, face_id: int | None,
                     colorspace: str | None) -> Iterator[ReferenceFace | None]:
    """A's faces cut from the footage the alignments name, with their stored landmarks."""
    frames = [n for n in alignments.frames
              if any(face_id is None or f.face_id == face_id for f in alignments.faces(n))]
    source = open_source(alignments.header.source, colorspace=colorspace)
    for frame in source.iter_frames(_spread([n for n in frames if n in set(source.frames)], samples)):
        face = next(f for f in alignments.faces(frame.number) if face_id is None or f.face_id == face_id)
        lightness = to_oklab(frame.pixels[..., :3], frame.colorspace, color)[..., 0]
        yield _cut(lightness, face.landmarks)
