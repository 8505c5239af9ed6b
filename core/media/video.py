"""Streamed video decoding (mp4/mov/mkv; H.264 and whatever FFmpeg in PyAV decodes).

Frames are decoded one at a time, never a whole clip. Frame numbers start at 1, like Nuke's Read
of a movie and FFmpeg's image2 muxer. Pixels are float32 `(H, W, 3)` RGB in [0, 1], in the
clip's display encoding (sRGB-encoded Rec.709 by default: see `facegraft.core.media.source`).
"""
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from facegraft.core.errors import MediaError

VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".mkv", ".avi", ".m4v", ".webm", ".mxf"})
FIRST_VIDEO_FRAME = 1


def is_video_path(path: str | Path) -> bool:
    """True when the file name has a video container suffix."""
    return Path(path).suffix.lower() in VIDEO_SUFFIXES


@dataclass(frozen=True)
class VideoInfo:
    """What a clip's header says. `frame_count` may be an estimate when the container has no count."""

    path: Path
    width: int
    height: int
    frame_count: int
    fps: Fraction
    codec: str


def probe_video(path: str | Path) -> VideoInfo:
    """Read a clip's header. Raises `MediaError` naming the file when it cannot be opened."""
    path = Path(path)
    with _open(path) as container:
        stream = container.streams.video[0]
        fps = stream.average_rate or stream.guessed_rate or Fraction(0)
        count = stream.frames
        if not count and stream.duration is not None and stream.time_base:
            count = int(round(float(stream.duration * stream.time_base) * float(fps)))
        return VideoInfo(path, stream.codec_context.width, stream.codec_context.height,
                         int(count), Fraction(fps), stream.codec_context.name)


def read_video(path: str | Path, frames: Iterable[int] | None = None) -> Iterator[tuple[int, np.ndarray]]:
    """Yield `(frame_number, pixels)` in stream order, decoding one frame at a time.

    Args:
        path: the clip.
        frames: frame numbers wanted (1-based); None yields every frame. Decoding stops after the
            last wanted frame.
    Yields: frame number and float32 `(H, W, 3)` RGB in [0, 1], display-encoded.
    Raises: MediaError if the file cannot be opened or a wanted frame is past the clip's end.
    """
    path = Path(path)
    wanted = None if frames is None else set(frames)
    last = None if wanted is None else max(wanted, default=FIRST_VIDEO_FRAME - 1)
    number = FIRST_VIDEO_FRAME - 1
    with _open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        try:
            for frame in container.decode(stream):
                number += 1
                if last is not None and number > last:
                    return
                if wanted is None or number in wanted:
                    rgb = frame.to_ndarray(format="rgb24")
                    yield number, rgb.astype(np.float32) * np.float32(1.0 / 255.0)
        except av.FFmpegError as exc:
            raise MediaError(f"{path}: video decode failed after frame {number} ({exc}); "
                             "re-encode the clip or pass --frames inside the readable part") from exc
    if last is not None and number < last:
        missing = sorted(f for f in wanted if f > number)
        raise MediaError(f"{path}: has {number} frames, asked for frame {missing[0]}"
                         f"{' and later' if len(missing) > 1 else ''}; pass --frames within 1-{number}")


def _open(path: Path) -> "av.container.InputContainer":
    if not path.is_file():
        raise MediaError(f"{path}: no such video file; check the path")
    try:
        container = av.open(str(path))
    except av.FFmpegError as exc:
        raise MediaError(f"{path}: not a readable video ({exc}); check the file") from exc
    if not container.streams.video:
        container.close()
        raise MediaError(f"{path}: has no video stream")
    return container
