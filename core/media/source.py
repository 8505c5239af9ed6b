"""One way to read frames, whatever the source: a video file, a frame-sequence pattern, or one image.

Every read knows its color space: the `colorspace` argument when given, else the
`facegraft/colorspace` attribute we write into our own files, else a documented default per
file type (`default_colorspace`): float formats (EXR, HDR, PFM, float TIFF) are `scene_linear`,
integer formats (PNG, JPEG, 8/16-bit TIFF, DPX) and video are sRGB-encoded Rec.709.
"""
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np
import OpenImageIO as oiio

from facegraft.core.color import SCENE_LINEAR, SRGB_ENCODED
from facegraft.core.errors import FrameMismatchError, MediaError, SequencePatternError
from facegraft.core.media.image_io import ImageData, NonFinite, check_finite, read_image
from facegraft.core.media.pipeline import prefetch_iter, prefetch_map
from facegraft.core.media.sequence import SequencePattern, find_gaps, is_sequence_pattern
from facegraft.core.media.video import is_video_path, probe_video, read_video

COLORSPACE_ATTRIBUTE = "facegraft/colorspace"
_FLOAT_TYPES = frozenset({"half", "float", "double"})


@dataclass(frozen=True)
class Frame:
    """One frame. `pixels`: (H, W, C) float32 over the display window, in `colorspace`, unclipped.

    `image` is the file as read (data window, pixel types, header) for sequences and single
    images, so a writer can reproduce untouched pixels exactly; None for video.
    """

    number: int
    pixels: np.ndarray
    channels: tuple[str, ...]
    colorspace: str
    path: Path
    image: ImageData | None = None


@dataclass(frozen=True)
class SourceInfo:
    """What a source holds. `frames` are the frame numbers present; `gaps` the missing ones between."""

    path: str
    kind: str  # "video", "sequence" or "image"
    frames: tuple[int, ...]
    gaps: tuple[int, ...]
    width: int
    height: int
    channels: tuple[str, ...]
    pixel_type: str
    colorspace: str
    fps: Fraction | None = None
    attributes: dict = field(default_factory=dict)


def default_colorspace(pixel_type: str, *, video: bool = False) -> str:
    """The documented color space of a file that states none."""
    return SRGB_ENCODED if video or pixel_type not in _FLOAT_TYPES else SCENE_LINEAR


class Source:
    """Frames of a video, sequence or single image, with a bounded read-ahead."""

    def __init__(self, info: SourceInfo, *, nonfinite: NonFinite = "error") -> None:
        self.info = info
        self.nonfinite = nonfinite

    @property
    def frames(self) -> list[int]:
        return list(self.info.frames)

    @property
    def colorspace(self) -> str:
        return self.info.colorspace

    @property
    def width(self) -> int:
        return self.info.width

    @property
    def height(self) -> int:
        return self.info.height

    def frame_path(self, number: int) -> Path:
        if self.info.kind == "sequence":
            return SequencePattern.parse(self.info.path).path(number)
        return Path(self.info.path)

    def check_frames(self, frames: Iterable[int]) -> list[int]:
        """`frames`, sorted, or a `SequencePatternError` naming the ones the source lacks."""
        wanted = sorted(set(frames))
        missing = sorted(set(wanted) - set(self.info.frames))
        if missing:
            shown = ", ".join(map(str, missing[:5])) + (" ..." if len(missing) > 5 else "")
            raise SequencePatternError(f"{self.info.path}: frames {shown} are not in the source "
                                       f"(it has {len(self.info.frames)} frames); fix --frames or render the missing frames")
        return wanted

    def require_complete(self) -> None:
        """Raise `SequencePatternError` naming the gaps when frames are missing between first and last."""
        if self.info.gaps:
            shown = ", ".join(map(str, self.info.gaps[:5])) + (" ..." if len(self.info.gaps) > 5 else "")
            raise SequencePatternError(f"{self.info.path}: frames {shown} are missing; render them, or pass "
                                       "--frames to name only the frames present")

    def read(self, number: int, *, channels: Sequence[str] | None = None) -> Frame:
        """One frame (random access; for a video this decodes from the start)."""
        return next(self.iter_frames([number], channels=channels, workers=0))

    def iter_frames(self, frames: Iterable[int] | None = None, *, channels: Sequence[str] | None = None,
                    workers: int = 2, ahead: int = 4) -> Iterator[Frame]:
        """Yield frames in ascending order, reading up to `ahead` frames in `workers` threads.

        Raises: SequencePatternError for frames the source lacks; MediaError for unreadable ones.
        """
        wanted = self.check_frames(self.info.frames if frames is None else frames)
        if self.info.kind == "video":
            yield from self._iter_video(wanted, channels, ahead if workers else 0)
        else:
            yield from prefetch_map(lambda n: self._read_file(n, channels), wanted, workers=workers, ahead=ahead)

    def _read_file(self, number: int, channels: Sequence[str] | None) -> Frame:
        path = self.frame_path(number)
        image = read_image(path, channels=channels, nonfinite=self.nonfinite,
                           frame=number if self.info.kind == "sequence" else None)
        self._check_like_first(image, number, channels)
        return Frame(number, image.display_pixels(), image.channels, self.info.colorspace, path, image)

    def _check_like_first(self, image: ImageData, number: int, channels: Sequence[str] | None) -> None:
        """A sequence keeps its first frame's resolution and channel set: raise FrameMismatchError."""
        size = (image.display_window.width, image.display_window.height)
        where = f"{image.path} (frame {number})"
        if size != (self.info.width, self.info.height):
            raise FrameMismatchError(f"{where}: is {size[0]}x{size[1]}, the sequence is {self.info.width}x"
                                     f"{self.info.height} (its first frame); re-render it at the sequence's size")
        if channels is None and image.channels != self.info.channels:
            raise FrameMismatchError(f"{where}: has channels {', '.join(image.channels)}, the sequence has "
                                     f"{', '.join(self.info.channels)} (its first frame); re-render it with "
                                     "those channels")

    def _iter_video(self, wanted: list[int], channels: Sequence[str] | None, ahead: int) -> Iterator[Frame]:
        if channels is not None and tuple(channels) != ("R", "G", "B"):
            raise MediaError(f"{self.info.path}: a video has channels R, G, B only, not {', '.join(channels)}")
        path = Path(self.info.path)
        decoded = read_video(path, wanted)
        for number, pixels in prefetch_iter(decoded, ahead=ahead) if ahead else decoded:
            pixels = check_finite(pixels, where=f"{path} (frame {number})", nonfinite=self.nonfinite)
            yield Frame(number, pixels, ("R", "G", "B"), self.info.colorspace, path)


def open_source(path: str | os.PathLike[str], *, colorspace: str | None = None,
                nonfinite: NonFinite = "error") -> Source:
    """Open a video file, a sequence pattern (frames discovered on disk) or a single image.

    Args:
        path: `clip.mp4`, `plate.####.exr` (any of the four spellings) or `still.png`.
        colorspace: the source's color space; None takes it from the file or the default per type.
        nonfinite: NaN/Inf handling for every frame read ("error", "repair" or "keep").
    Raises: MediaError when nothing is there or the first frame cannot be read;
        SequencePatternError for a pattern that matches no frame.
    """
    text = os.fspath(path)
    if is_sequence_pattern(text) and not Path(text).is_file():
        pattern = SequencePattern.parse(text)
        frames = pattern.discover()
        if not frames:
            raise SequencePatternError(f"{text}: no frames found ({pattern.path(1001).name} and the like); "
                                       "check the folder and the pattern's padding")
        header = _read_header(pattern.path(frames[0]), frames[0])
        info = _info_from_header(text, "sequence", frames, header, colorspace)
    elif is_video_path(text):
        video = probe_video(text)
        frames = list(range(1, video.frame_count + 1))
        info = SourceInfo(text, "video", tuple(frames), (), video.width, video.height, ("R", "G", "B"),
                          "uint8", colorspace or SRGB_ENCODED, video.fps, {"codec": video.codec})
    else:
        header = _read_header(Path(text), None)
        info = _info_from_header(text, "image", [1], header, colorspace)
    return Source(info, nonfinite=nonfinite)


def _read_header(path: Path, frame: int | None) -> "oiio.ImageSpec":
    where = str(path) if frame is None else f"{path} (frame {frame})"
    if path.is_dir():
        raise MediaError(f"{where}: is a folder; name a file, or a sequence in it like {path / 'name.####.exr'}")
    if not path.is_file():
        raise MediaError(f"{where}: no such file; check the path")
    inp = oiio.ImageInput.open(str(path))
    if inp is None:
        raise MediaError(f"{where}: unreadable image ({oiio.geterror().strip() or 'unknown format'}); check the file")
    spec = inp.spec()
    inp.close()
    return spec


def _info_from_header(text: str, kind: str, frames: list[int], spec: "oiio.ImageSpec",
                      colorspace: str | None) -> SourceInfo:
    attributes = {p.name: p.value for p in spec.extra_attribs}
    pixel_type = str(spec.format)
    stated = attributes.get(COLORSPACE_ATTRIBUTE)
    return SourceInfo(text, kind, tuple(frames), tuple(find_gaps(frames)), spec.full_width, spec.full_height,
                      tuple(spec.channelnames), pixel_type, colorspace or stated or default_colorspace(pixel_type),
                      None, attributes)
