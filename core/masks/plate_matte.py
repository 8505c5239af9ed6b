"""Face mattes of a plate for the comp: the mask model's visible face of every aligned face,
warped back to plate pixels, grown/shrunk and feathered (the FaceMatte node, `facegraft mask matte`).

Output: one single-channel EXR per frame, channel `A`, half float, over the plate's display
window: 1 = visible face (hair, hands, glasses in front of it are 0), the union of all faces.
Frames already written with the same options are skipped unless `force`.

Convention: full-frame pixels of the display window, origin at the top-left corner of the
top-left pixel; crops as `FaceCrop` defines them.
"""
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from facegraft.core.alignments.format import Alignments
from facegraft.core.color import SRGB_ENCODED, ColorManager
from facegraft.core.convert.composite import resized_crop, roi_box, warp_to_plate
from facegraft.core.convert.run import plate_frames, rgb_indices
from facegraft.core.errors import OutputError
from facegraft.core.masks.segment import MaskModel, SegmentMasker
from facegraft.core.media.atomic import prepare_output
from facegraft.core.media.image_io import new_image, recorded_attribute, write_image
from facegraft.core.media.pipeline import BackgroundWriter
from facegraft.core.media.sequence import SequencePattern
from facegraft.core.media.source import Frame, Source
from facegraft.core.post.matte import feather_distance, feather_gaussian, grow_matte

OPTIONS_ATTRIBUTE = "facegraft/face_matte"


@dataclass(frozen=True)
class MatteSettings:
    """grow: dilate (> 0) or erode (< 0) in plate px. feather: soft edge width in plate px; mode
    "gaussian" (sigma = feather / 2) or "distance" (linear ramp inwards). face_ids: None = all."""

    grow: int = 0
    feather: float = 2.0
    mode: str = "gaussian"
    face_ids: tuple[int, ...] | None = None
    force: bool = False
    workers: int = 2


def frame_matte(pixels: np.ndarray, faces: Sequence, masker: SegmentMasker, *, size: int, face_type: str,
                color: ColorManager, plate_space: str, settings: MatteSettings) -> np.ndarray:
    """The face matte of one frame.

    Args:
        pixels: (H, W, 3) float32 plate RGB over the display window, `plate_space`, unclipped.
        faces: the frame's `FaceAlignment`s. size, face_type: the alignments' crop geometry.
    Returns: (H, W) float32 in [0, 1].
    """
    h, w = pixels.shape[:2]
    out = np.zeros((h, w), np.float32)
    chosen = [f for f in faces if settings.face_ids is None or f.face_id in settings.face_ids]
    if not chosen:
        return out
    resolution = max(masker.model.config.resolution, 8)
    crops = [resized_crop(f.crop(size=size, face_type=face_type), resolution) for f in chosen]
    encoded = np.stack([np.clip(color.convert(c.cut(pixels), plate_space, SRGB_ENCODED), 0, 1) for c in crops])
    landmarks = np.stack([c.to_crop(f.landmarks) for c, f in zip(crops, chosen)])
    masks = masker.many(encoded.astype(np.float32), landmarks)
    margin = abs(settings.grow) + int(np.ceil(settings.feather)) + 2
    for crop, mask in zip(crops, masks):
        box = roi_box(crop, (h, w), (0, 0), margin)
        if box is None:
            continue
        placed = np.clip(warp_to_plate(crop, mask[..., None], box, (0, 0), border=cv2.BORDER_CONSTANT)[..., 0], 0, 1)
        region = out[box[1]:box[3], box[0]:box[2]]
        np.maximum(region, placed, out=region)
    if settings.grow:
        out = grow_matte(out, pixels=settings.grow)
    if settings.feather > 0:
        out = (feather_gaussian(out, sigma=settings.feather / 2) if settings.mode == "gaussian"
               else feather_distance(out, pixels=settings.feather))
    return np.clip(out, 0, 1).astype(np.float32)


def write_face_mattes(source: Source, alignments: Alignments, model: MaskModel, output: str, frames: Sequence[int],
                      settings: MatteSettings, *, color: ColorManager, alignments_path: str = "alignments",
                      progress: Callable[[int, int, int], None] | None = None) -> tuple[int, ...]:
    """Write the face matte of `frames` of `source` to the sequence `output`; return the frames written.

    Raises: AlignmentsError (another plate's alignments, frames not extracted), OutputError
        (output names the plate, frames written with other options), MediaError for bad frames.
    """
    wanted = plate_frames(source, alignments, frames, alignments_path=alignments_path)
    header = alignments.header
    pattern = SequencePattern.parse(output)
    prepare_output(output, inputs=[source.info.path, alignments_path], frames=wanted)
    options = json.dumps({"model": model.model_id, "grow": settings.grow, "feather": settings.feather,
                          "mode": settings.mode, "face_ids": settings.face_ids}, sort_keys=True)
    todo = [f for f in wanted if settings.force or not _already_written(pattern.path(f), options)]
    plate_space = color.resolve(source.colorspace)
    masker = SegmentMasker(model)
    written = []
    with BackgroundWriter(workers=settings.workers) as writer:
        for done, frame in enumerate(_frames(source, todo, settings.workers), 1):
            rgb = rgb_indices(frame)
            matte = frame_matte(frame.pixels[..., list(rgb)], alignments.faces(frame.number), masker,
                                size=header.size, face_type=header.face_type, color=color, plate_space=plate_space,
                                settings=settings)
            image = new_image(matte[..., None], ("A",), pixel_type="half",
                              attributes={OPTIONS_ATTRIBUTE: options, "facegraft/model": model.model_id})
            writer.submit(write_image, pattern.path(frame.number), image)
            written.append(frame.number)
            if progress is not None:
                progress(done, len(todo), frame.number)
    return tuple(written)


def _frames(source: Source, frames: Sequence[int], workers: int) -> Iterator[Frame]:
    return source.iter_frames(frames, workers=workers) if frames else iter(())


def _already_written(path, options: str) -> bool:  # type: ignore[no-untyped-def]
    recorded = recorded_attribute(path, OPTIONS_ATTRIBUTE)
    if recorded is not None and recorded != options:
        raise OutputError(f"{path}: was written with other face matte options; pass --force to redo it, or write "
                          "to another output")
    return recorded is not None
