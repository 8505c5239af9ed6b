"""Write the aligned faces of a plate into a face set (crops + masks + index) for training.

Each crop is cut from the plate's own pixels (resampled in the plate's color space, scene-linear
for EXR plates), then converted to the face set's encoding (sRGB Encoded Rec.709, clipped to
[0, 1]; see `facegraft.core.faceset`). The mask comes from a `Masker` (default: the face oval of
the mesh points when the alignments hold them, else the 68-point hull).
"""
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

from facegraft.core.alignments.format import Alignments
from facegraft.core.color import SRGB_ENCODED, ColorManager
from facegraft.core.faceset import FaceSet, FaceSetWriter
from facegraft.core.masks.dense import DenseMasker
from facegraft.core.masks.landmark import Masker
from facegraft.core.media.source import Frame, Source
from facegraft.core.memory import array_bytes, require_memory


def write_faceset(source: Source, alignments: Alignments, out: str | Path, *, color: ColorManager,
                  frames: Sequence[int] | None = None, face_ids: Sequence[int] | None = None,
                  masker: Masker = DenseMasker(),
                  progress: Callable[[Iterable[Frame], int], Iterable[Frame]] = lambda it, n: it) -> FaceSet:
    """Cut every face of `frames` (default: all with faces) into the face set folder `out`.

    Args:
        source: the plate the alignments were made from. alignments: its alignments.
        out: face set folder (created or continued). color: converts crops to the set's encoding.
        face_ids: keep only these identities (default: all). masker: makes each crop's mask; a
            `DenseMasker` also gets the face's mesh points (when the alignments hold them).
    Returns: the saved FaceSet.
    Raises: MediaError when a frame cannot be read or the folder holds another size/face type.
    """
    header = alignments.header
    require_memory(12 * array_bytes((header.size, header.size, 4)), what=f"{out}: {header.size}px face crops",
                   fix="extract with a smaller --size")
    writer = FaceSetWriter(out, size=header.size, face_type=header.face_type, color_encoding=SRGB_ENCODED)
    wanted = [n for n in (alignments.frames if frames is None else frames)
              if alignments.faces(n) and (face_ids is None or any(f.face_id in face_ids for f in alignments.faces(n)))]
    for frame in progress(source.iter_frames(wanted), len(wanted)):
        pixels = frame.pixels if frame.pixels.shape[2] >= 3 else np.repeat(frame.pixels[..., :1], 3, axis=2)
        rgb = np.ascontiguousarray(pixels[..., :3])
        for face in alignments.faces(frame.number):
            if face_ids is not None and face.face_id not in face_ids:
                continue
            crop = face.crop(size=header.size, face_type=header.face_type)
            cut = crop.cut(rgb)
            encoded = np.clip(color.convert(cut, frame.colorspace, SRGB_ENCODED), 0.0, 1.0)
            points = crop.to_crop(face.landmarks)
            if isinstance(masker, DenseMasker):
                mask = masker(encoded, points, None if face.dense is None else crop.to_crop(face.dense))
            else:
                mask = masker(encoded, points)
            writer.add(crop=encoded, mask=mask, source=header.source, frame=frame.number,
                       face_id=face.face_id, frame_to_crop=crop.frame_to_crop, landmarks=points)
    return writer.save()
