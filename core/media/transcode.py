"""Sequence or video → frame sequence, with color conversion, channel and pixel-type choice.

The plumbing behind `facegraft media convert`: reads with a bounded read-ahead, converts, and
writes atomically behind, skipping frames already written unless `force`.
"""
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facegraft.core.color import ColorManager
from facegraft.core.errors import MediaError
from facegraft.core.media.atomic import prepare_output
from facegraft.core.media.image_io import ImageData, new_image, write_image
from facegraft.core.media.pipeline import BackgroundWriter
from facegraft.core.media.sequence import SequencePattern
from facegraft.core.media.source import COLORSPACE_ATTRIBUTE, Frame, Source


EXR_COMPRESSIONS = ("none", "rle", "zips", "zip", "piz", "pxr24", "b44", "b44a", "dwaa", "dwab", "htj2k")
# Storage types a format holds as asked (OpenImageIO would silently store others as something else).
FORMAT_PIXEL_TYPES = {".exr": ("half", "float"), ".png": ("uint8", "uint16"), ".jpg": ("uint8",),
                      ".jpeg": ("uint8",), ".dpx": ("uint8", "uint16"), ".tif": ("uint8", "uint16", "half", "float"),
                      ".tiff": ("uint8", "uint16", "half", "float")}


@dataclass(frozen=True)
class TranscodeSettings:
    """What `transcode` does to each frame.

    to_colorspace: None keeps the source's. channels: names to keep (None: all). pixel_type: None
    keeps the source's per-channel types for files, "half" for video. frame_offset: added to each
    source frame number to get the output frame number. workers: I/O threads (0: no overlap).
    """

    to_colorspace: str | None = None
    channels: tuple[str, ...] | None = None
    pixel_type: str | None = None
    compression: str | None = None
    frame_offset: int = 0
    force: bool = False
    workers: int = 2


@dataclass(frozen=True)
class TranscodeReport:
    written: tuple[int, ...]
    skipped: tuple[int, ...]


def transcode(source: Source, output: str, frames: Iterable[int], settings: TranscodeSettings, *,
              color: ColorManager, progress: Callable[[Iterator[Frame], int], Iterator[Frame]] = lambda it, n: it,
              ) -> TranscodeReport:
    """Convert `frames` of `source` into the sequence `output` (a pattern).

    Raises: OutputError if `output` names an input or its folder is not writable;
        ColorConfigError for an unknown space; MediaError/SequencePatternError for bad input frames.
    """
    pattern = SequencePattern.parse(output)
    check_output_format(pattern.suffix, settings, output=output)
    wanted = source.check_frames(frames)
    prepare_output(output, inputs=[source.info.path], frames=[f + settings.frame_offset for f in wanted])
    src_space = color.resolve(source.colorspace)
    dst_space = color.resolve(settings.to_colorspace) if settings.to_colorspace else src_space
    todo = [f for f in wanted if settings.force or not pattern.path(f + settings.frame_offset).is_file()]
    skipped = tuple(sorted(set(wanted) - set(todo)))
    if not todo:
        return TranscodeReport((), skipped)
    with BackgroundWriter(workers=settings.workers) as writer:
        frames_in = source.iter_frames(todo, channels=settings.channels, workers=settings.workers)
        for frame in progress(frames_in, len(todo)):
            image = _converted(frame, src_space, dst_space, settings, color)
            writer.submit(write_image, pattern.path(frame.number + settings.frame_offset), image,
                          compression=settings.compression)
    return TranscodeReport(tuple(todo), skipped)


def check_output_format(suffix: str, settings: TranscodeSettings, *, output: str) -> None:
    """Refuse a pixel type or compression the output format would not store as asked (MediaError)."""
    suffix = suffix.lower()
    types = FORMAT_PIXEL_TYPES.get(suffix)
    if settings.pixel_type and types is not None and settings.pixel_type not in types:
        raise MediaError(f"{output}: {suffix} files hold {', '.join(types)} pixels, not {settings.pixel_type}; "
                         "pick one of those or another file type")
    if settings.compression and suffix == ".exr" and settings.compression.split(":")[0] not in EXR_COMPRESSIONS:
        raise MediaError(f"{output}: unknown EXR compression {settings.compression!r}; use one of "
                         f"{', '.join(EXR_COMPRESSIONS)}")


def _converted(frame: Frame, src: str, dst: str, settings: TranscodeSettings, color: ColorManager) -> ImageData:
    if frame.image is None:  # video: new float pixels
        image = new_image(frame.pixels, frame.channels, pixel_type=settings.pixel_type or "half")
    else:
        image = frame.image
        if settings.pixel_type:
            image = ImageData(image.pixels, image.channels, (settings.pixel_type,) * len(image.channels),
                              image.data_window, image.display_window, image.attributes, image.path)
    if src != dst:
        rgb = _rgb_indices(image, frame.path)
        pixels = image.pixels.copy()
        pixels[..., rgb] = color.convert(np.ascontiguousarray(pixels[..., rgb]), src, dst)
        image = ImageData(pixels, image.channels, image.pixel_types, image.data_window, image.display_window,
                          image.attributes, image.path)
    return image.with_attributes({COLORSPACE_ATTRIBUTE: dst})


def _rgb_indices(image: ImageData, path: Path) -> list[int]:
    try:
        return [image.channels.index(c) for c in ("R", "G", "B")]
    except ValueError:
        raise MediaError(f"{path}: color conversion needs R, G and B channels, found "
                         f"{', '.join(image.channels)}; pick them with --channels") from None
