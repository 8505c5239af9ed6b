"""A shot with known occluders for the segmentation tests (not a test module).

Real talking-head frames (../shared/data/faces) cut into 64 px face sets by the training tests'
builder; occluders come from `facegraft.core.masks.occluders` with fixed seeds, so every truth
mask (the landmark hull minus what covers it) is known exactly.
"""
import sys
from pathlib import Path

import cv2
import numpy as np

from facegraft.core.align.geometry import FaceCrop
from facegraft.core.alignments.format import Alignments, AlignmentsHeader, FaceAlignment
from facegraft.core.faceset import FaceSet, FaceSetWriter
from facegraft.core.masks.landmark import face_outline, hull_mask, landmark_mask
from facegraft.core.masks.occluders import FILLS, fill_texture, occlude, shape_alpha
from facegraft.core.media.image_io import new_image, write_image
from facegraft.core.media.video import read_video

sys.path.insert(0, str(Path(__file__).parents[1] / "train"))
from faceset_builder import build_faceset  # noqa: E402,F401

SIZE = 64  # face crop side in the tests
COLORED = ("flat", "gradient", "noise", "stripes")  # occluder fills that are not skin or other crops' pixels
RESOLUTION = 64  # the mask model's working side in the tests
STEPS = 400  # training steps of the session's mask model: one to four minutes on one core, by the machine's load


def iou(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a > 0.5, b > 0.5
    return float((a & b).sum() / max(1, (a | b).sum()))


def hull(faceset: FaceSet, index: int) -> np.ndarray:
    return landmark_mask(faceset.faces[index].landmarks, size=faceset.size)


def occluded_faces(faceset: FaceSet, indices, donors, *, seed: int, count: int = 2, fills=FILLS):
    """[(image, truth, hull)] for the faces `indices`, each with `count` occluders (fixed seed)."""
    rng = np.random.default_rng(seed)
    out = []
    for i in indices:
        crop, _ = faceset.load(i)
        face = hull(faceset, i)
        image, truth, _ = occlude(crop, face, rng, count=count, donors=donors, fills=fills)
        out.append((image, truth, face))
    return out


def bar_alpha(size: int) -> np.ndarray:
    """A microphone-like bar across the lower left of a crop: the shot's persistent occluder."""
    alpha = np.zeros((size, size), np.float32)
    s = size / 64
    cv2.line(alpha, (int(4 * s * 16), int(62 * s * 16)), (int(30 * s * 16), int(36 * s * 16)), 1.0,
             max(1, int(round(9 * s))), cv2.LINE_AA, shift=4)
    return alpha


def barred_faceset(faceset: FaceSet, out: Path) -> FaceSet:
    """`faceset` with the bar pasted over every face, as if it stood in the shot: skin-toned (an arm
    resting on the cheek), so the synthetic training alone does not tell it from the face."""
    writer = FaceSetWriter(out, size=faceset.size, face_type=faceset.face_type)
    alpha = bar_alpha(faceset.size)[..., None]
    first, _ = faceset.load(0)
    tone = (first[hull(faceset, 0) > 0.5].mean(0) * 0.9).astype(np.float32)
    for i, record in enumerate(faceset.faces):
        crop, mask = faceset.load(i)
        writer.add(crop=crop * (1 - alpha) + tone * alpha, mask=mask, source=record.source,
                   frame=record.frame, face_id=record.face_id, frame_to_crop=record.frame_to_crop,
                   landmarks=record.landmarks)
    return writer.save()


def plate_matte_of(faceset: FaceSet, index: int, crop_matte: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """A crop-space matte warped into the plate (H, W): what a compositor's roto would hold."""
    crop = FaceCrop.from_matrix(faceset.faces[index].frame_to_crop, size=faceset.size, face_type=faceset.face_type)
    return cv2.warpAffine(crop_matte, crop.paste_matrix(), (shape[1], shape[0]), flags=cv2.INTER_LINEAR)


def write_roto(path_pattern: str, frame: int, matte: np.ndarray, *, alpha: bool = True) -> Path:
    """The roto of one frame as a 16-bit PNG: RGBA (matte in A) or RGB only (alpha=False)."""
    path = Path(path_pattern.replace("####", f"{frame:04d}"))
    path.parent.mkdir(parents=True, exist_ok=True)
    channels = 4 if alpha else 3
    pixels = np.repeat(matte[..., None], channels, axis=2).astype(np.float32)
    write_image(path, new_image(pixels, ("R", "G", "B", "A")[:channels], pixel_type="uint16"))
    return path


def occluded_plate(faceset: FaceSet, indices, folder: Path, donors, *, seed: int):
    """Plate frames of the face set's clip with occluders pasted over each face (in plate space).

    Returns: (EXR pattern, Alignments, {frame: (plate (H, W, 3), occluder alpha (H, W), face hull (H, W))}),
    pixels sRGB-encoded (read the plate with that color space); the hull is cut to the crop's
    footprint (a mask model sees only the crop).
    """
    source = faceset.faces[indices[0]].source
    frames = {faceset.faces[i].frame: i for i in indices}
    rng = np.random.default_rng(seed)
    truth, by_frame = {}, {}
    height = width = 0
    for number, pixels in read_video(Path(source), frames=sorted(frames)):
        height, width = pixels.shape[:2]
        index = frames[number]
        record = faceset.faces[index]
        crop = FaceCrop.from_matrix(record.frame_to_crop, size=faceset.size, face_type=faceset.face_type)
        side = faceset.size  # occluders drawn at the crop's resolution, as the mask model sees them
        alpha_crop = np.zeros((side, side), np.float32)
        texture_crop = np.zeros((side, side, 3), np.float32)
        for _ in range(2):
            a = shape_alpha(rng, side, ("polygon", "ellipse", "strokes", "hand")[int(rng.integers(4))])
            t = fill_texture(rng, side, COLORED[int(rng.integers(len(COLORED)))],
                             skin=np.array([0.6, 0.45, 0.4]), donors=donors)
            texture_crop = texture_crop * (1 - a[..., None]) + t * a[..., None]
            alpha_crop = 1 - (1 - alpha_crop) * (1 - a)
        paste = crop.paste_matrix()
        alpha = cv2.warpAffine(alpha_crop, paste, (width, height), flags=cv2.INTER_LINEAR)
        texture = cv2.warpAffine(texture_crop, paste, (width, height), flags=cv2.INTER_LINEAR)
        plate = (pixels * (1 - alpha[..., None]) + texture * alpha[..., None]).astype(np.float32)
        write_image(folder / f"plate.{number:04d}.exr", new_image(plate, ("R", "G", "B"), pixel_type="float"))
        landmarks = crop.to_frame(record.landmarks)
        footprint = cv2.warpAffine(np.ones((faceset.size, faceset.size), np.float32), crop.paste_matrix(),
                                   (width, height), flags=cv2.INTER_NEAREST)
        face = hull_mask(face_outline(landmarks), (height, width)) * footprint  # the hull within the crop
        truth[number] = (plate, alpha, face)
        box = np.array([*landmarks.min(0), *landmarks.max(0)])
        by_frame[number] = (FaceAlignment(0, box, 1.0, True, landmarks, landmarks, record.frame_to_crop,
                                          np.zeros(128)),)
    header = AlignmentsHeader(source=str(folder / "plate.####.exr"), width=width, height=height, detector="test",
                              landmarks="test", identity="test", face_type=faceset.face_type, size=faceset.size)
    return str(folder / "plate.####.exr"), Alignments(header, by_frame), truth
