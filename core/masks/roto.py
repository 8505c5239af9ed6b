"""Compositor mattes (roto) as segmentation labels: plate-space alpha → each face's crop space.

A roto sequence is rendered from Nuke or Blender for some frames of the plate: EXR or PNG, the
face matte in the alpha channel or in a named layer (1 = visible face, 0 = background and
whatever covers the face). `roto_labels` reads the frames the sequence holds, checks each is the
plate's size, and resamples it into the crop of every face of that frame with the face set's
stored frame → crop transform.

Convention: full-frame pixels of the display window, origin at the top-left corner of the
top-left pixel; crops as in `facegraft.core.faceset`.
"""
from collections.abc import Sequence

import numpy as np

from facegraft.core.align.geometry import FaceCrop
from facegraft.core.errors import FacegraftError, MediaError
from facegraft.core.faceset import FaceSet
from facegraft.core.media.source import Source, open_source

_ALPHA_NAMES = ("A", "alpha", "Y", "y")


def split_matte_argument(text: str) -> tuple[str, str | None]:
    """`PATTERN[:LAYER]` → (pattern, layer or None). A colon followed by a path separator (or
    nothing) belongs to the path (C:\\...)."""
    head, sep, tail = text.rpartition(":")
    if not sep or not tail or "/" in tail or "\\" in tail or len(head) <= 1:
        return text, None
    return head, tail


def alpha_channel(channels: Sequence[str], layer: str | None, *, where: str) -> str:
    """The channel holding the matte: without `layer` the alpha (A, else Y, else a file's only
    channel); with `layer` the channel of that name, else `LAYER.A`/`.alpha`/`.Y`.

    Raises: MediaError naming `where` and the channels found.
    """
    if layer is None:
        candidates = list(_ALPHA_NAMES) + (list(channels) if len(channels) == 1 else [])
    else:
        candidates = [layer] + [f"{layer}.{name}" for name in _ALPHA_NAMES]
    for name in candidates:
        if name in channels:
            return name
    wanted = "alpha channel (A)" if layer is None else f"layer {layer!r} ({layer}.A or a channel {layer})"
    raise MediaError(f"{where}: has no {wanted}, only {', '.join(channels)}; render the roto with alpha, or name its "
                     "layer as --matte PATTERN:LAYER")


def roto_labels(faceset: FaceSet, pattern: str, *, layer: str | None = None,
                plate_size: tuple[int, int] | None = None) -> dict[int, np.ndarray]:
    """The roto matte of every face of `faceset` whose frame the roto sequence holds.

    Args:
        faceset: the face set (its records give frame, frame → crop transform and source plate).
        pattern: roto sequence (`roto.####.exr`, `roto.%04d.png`, ...) or one image for a one-frame set.
        layer: the layer or channel holding the matte (None: alpha).
        plate_size: (width, height) the mattes must have; None reads it from the face set's plate.
    Returns: {face index in `faceset`: (S, S) float32 matte in [0, 1]} (crop space).
    Raises: MediaError / SequencePatternError (one line, naming the file or frame) for a pattern that
        matches nothing, a frame of the wrong size, no alpha or layer, or roto frames with no face.
    """
    source = open_source(pattern)
    by_frame: dict[int, list[int]] = {}
    for index, record in enumerate(faceset.faces):
        by_frame.setdefault(record.frame, []).append(index)
    frames = list(source.frames) if source.info.kind != "image" else _single_frame(faceset, pattern)
    strays = [f for f in frames if f not in by_frame]
    if strays:
        raise MediaError(f"{pattern}: roto frame {strays[0]}{' and others' if len(strays) > 1 else ''} has no face in "
                         f"{faceset.path} (its frames: {_frame_span(by_frame)}); extract that frame or remove the "
                         "roto frame")
    alpha_channel(source.info.channels, layer, where=f"{_where(source, frames[0], pattern)}")
    if plate_size is None:
        plate_size = _plate_size(faceset, frames, by_frame)
    out: dict[int, np.ndarray] = {}
    for number in frames:
        matte = _read_matte(source, number, layer, plate_size, pattern)
        for index in by_frame[number]:
            record = faceset.faces[index]
            crop = FaceCrop.from_matrix(record.frame_to_crop, size=faceset.size, face_type=faceset.face_type)
            out[index] = np.clip(crop.cut(matte[..., None], border="zero")[..., 0], 0.0, 1.0)
    return out


def _single_frame(faceset: FaceSet, pattern: str) -> list[int]:
    frames = sorted({r.frame for r in faceset.faces})
    if len(frames) != 1:
        raise MediaError(f"{pattern}: one image, but {faceset.path} holds {len(frames)} frames; render the roto as a "
                         "sequence (roto.####.exr) numbered like the plate")
    return frames


def _frame_span(by_frame: dict[int, list[int]]) -> str:
    frames = sorted(by_frame)
    return f"{frames[0]}-{frames[-1]}" if frames else "none"


def _plate_size(faceset: FaceSet, frames: Sequence[int], by_frame: dict[int, list[int]]) -> tuple[int, int]:
    source_path = faceset.faces[by_frame[frames[0]][0]].source
    try:
        plate: Source = open_source(source_path)
    except FacegraftError as exc:
        raise MediaError(f"{faceset.path}: its plate {source_path} cannot be opened to check the roto's size "
                         f"({exc}); restore the plate") from None
    return plate.width, plate.height


def _where(source: Source, number: int, pattern: str) -> str:
    return f"{source.frame_path(number) if source.info.kind != 'image' else pattern} (frame {number})"


def _read_matte(source: Source, number: int, layer: str | None, plate_size: tuple[int, int], pattern: str) -> np.ndarray:
    """(H, W) float32 matte of one roto frame over its display window, clipped to [0, 1]."""
    where = _where(source, number, pattern)
    if (source.width, source.height) != plate_size:
        raise MediaError(f"{where}: is {source.width}x{source.height}, the plate is {plate_size[0]}x{plate_size[1]}; "
                         "render the roto at the plate's format")
    channel = alpha_channel(source.info.channels, layer, where=where)
    frame = source.read(source.frames[0] if source.info.kind == "image" else number)
    pixels = frame.pixels[..., frame.channels.index(channel)]
    if not np.isfinite(pixels).all():
        raise MediaError(f"{where}: the matte holds NaN/Inf; fix the roto render")
    return np.clip(pixels, 0.0, 1.0).astype(np.float32)
