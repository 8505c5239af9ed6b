"""The review video: plate | swap side by side, H.264 (PyAV), display-referred sRGB.

Frames are converted from their color space to sRGB Encoded Rec.709 with OCIO, clipped to
[0, 1] and quantised to 8 bits; the width and height are rounded down to even numbers (4:2:0).
"""
from collections.abc import Callable, Iterable, Iterator, Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from facegraft.core.color import SRGB_ENCODED, ColorManager
from facegraft.core.errors import MediaError
from facegraft.core.media.atomic import atomic_write_path
from facegraft.core.media.source import Frame, Source


def display_rgb(frame: Frame, *, color: ColorManager) -> np.ndarray:
    """(H, W, 3) uint8 sRGB-encoded RGB of a frame's R, G, B channels."""
    try:
        rgb = frame.pixels[..., [frame.channels.index(c) for c in ("R", "G", "B")]]
    except ValueError:
        raise MediaError(f"{frame.path} (frame {frame.number}): needs R, G and B channels for the review") from None
    rgb = np.ascontiguousarray(rgb, np.float32)
    if color.resolve(frame.colorspace) != color.resolve(SRGB_ENCODED):
        rgb = color.convert(rgb, frame.colorspace, SRGB_ENCODED)
    return (np.clip(np.nan_to_num(rgb), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def write_review(plate: Source, swapped: Source, path: str | Path, *, frames: Sequence[int], color: ColorManager,
                 fps: float = 24.0, crf: int = 20,
                 progress: Callable[[Iterator[tuple[Frame, Frame]], int], Iterable[tuple[Frame, Frame]]] =
                 lambda it, n: it) -> Path:
    """Write `frames` of plate and swap side by side to an H.264 mp4 at `path` (atomically).

    Raises: MediaError when a frame is unreadable or the two differ in size; OutputError when the
        folder cannot be written.
    """
    if (plate.width, plate.height) != (swapped.width, swapped.height):
        raise MediaError(f"{swapped.info.path}: {swapped.width}x{swapped.height}, but the plate is "
                         f"{plate.width}x{plate.height}")
    width, height = 2 * plate.width, plate.height - plate.height % 2  # side by side: always even wide
    rate = Fraction(fps).limit_denominator(1001)
    with atomic_write_path(path) as tmp:
        with av.open(str(tmp), mode="w") as container:
            stream = container.add_stream("libx264", rate=rate)
            stream.width, stream.height = width, height
            stream.pix_fmt = "yuv420p"
            stream.options = {"crf": str(crf), "preset": "fast"}
            pairs = zip(plate.iter_frames(frames), swapped.iter_frames(frames))
            for plate_frame, swap_frame in progress(pairs, len(frames)):
                side = np.concatenate([display_rgb(plate_frame, color=color), display_rgb(swap_frame, color=color)],
                                      axis=1)[:height]
                for packet in stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(side), format="rgb24")):
                    container.mux(packet)
            for packet in stream.encode():
                container.mux(packet)
    return Path(path)
