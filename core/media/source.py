"""One way to read frames, whatever the source: a video file, a frame-sequence pattern, or one image.

Every read knows its color space, decided by the first of these rules that says something
(`SourceInfo.colorspace_rule` names it; `facegraft info` shows it):
1. "option": the `colorspace` argument (a command's --colorspace);
2. "facegraft/colorspace": the attribute facegraft writes into its own files;
3. "oiio:ColorSpace": what the file states (Nuke, OIIO tools and most pipelines write it; OIIO 3
   reads it as a color interop ID such as `lin_ap0_scene`, which OCIO 2.5+ configs resolve);
4. "chromaticities": an EXR's primaries and white point matched to a standard linear space
   (AP0, AP1, Rec.709, P3-D65, Rec.2020), when the config has that space;
5. "OCIO file rules": the config's file rules for the path, when a rule other than the
   catch-all default matches;
6. "default": float formats (EXR, HDR, PFM, float TIFF) are `scene_linear`, integer formats (PNG,
   JPEG, 8/16-bit TIFF, DPX) and video are sRGB-encoded Rec.709 (`default_colorspace`).
Rules 4 and 5 and the check that the name exists need the OCIO config: pass `color` to
`open_source` (commands do); without it they are skipped and a wrong name fails at conversion.
"""
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np
import OpenImageIO as oiio

from facegraft.core.color import SCENE_LINEAR, SRGB_ENCODED, ColorManager
from facegraft.core.errors import ColorConfigError, FrameMismatchError, MediaError, SequencePatternError
from facegraft.core.media.image_io import ImageData, NonFinite, check_finite, read_image
from facegraft.core.media.pipeline import prefetch_iter, prefetch_map
from facegraft.core.media.sequence import SequencePattern, find_gaps, is_sequence_pattern
from facegraft.core.media.video import is_video_path, probe_video, read_video

COLORSPACE_ATTRIBUTE = "facegraft/colorspace"
_FLOAT_TYPES = frozenset({"half", "float", "double"})
# EXR `chromaticities` (red, green, blue, white xy) of standard linear spaces → color interop ID.
_PRIMARIES = {
    "lin_ap0_scene": (0.7347, 0.2653, 0.0, 1.0, 0.0001, -0.077, 0.32168, 0.33767),
    "lin_ap1_scene": (0.713, 0.293, 0.165, 0.83, 0.128, 0.044, 0.32168, 0.33767),
    "lin_rec709_scene": (0.64, 0.33, 0.3, 0.6, 0.15, 0.06, 0.3127, 0.329),
    "lin_p3d65_scene": (0.68, 0.32, 0.265, 0.69, 0.15, 0.06, 0.3127, 0.329),
    "lin_rec2020_scene": (0.708, 0.292, 0.17, 0.797, 0.131, 0.046, 0.3127, 0.329),
}


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
    colorspace_rule: str = "default"  # which rule of the module docstring decided `colorspace`


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
                nonfinite: NonFinite = "error", color: ColorManager | None = None) -> Source:
    """Open a video file, a sequence pattern (frames discovered on disk) or a single image.

    Args:
        path: `clip.mp4`, `plate.####.exr` (any of the four spellings) or `still.png`.
        colorspace: the source's color space; None decides it by the rules of the module docstring.
        nonfinite: NaN/Inf handling for every frame read ("error", "repair" or "keep").
        color: the OCIO config, for the rules that need it and to check the name decided.
    Raises: MediaError when nothing is there or the first frame cannot be read;
        SequencePatternError for a pattern that matches no frame; ColorConfigError (naming the
        file, the rule and near matches) when `color` is given and does not know the space.
    """
    text = os.fspath(path)
    if is_sequence_pattern(text) and not Path(text).is_file():
        pattern = SequencePattern.parse(text)
        frames = pattern.discover()
        if not frames:
            raise SequencePatternError(f"{text}: no frames found ({pattern.path(1001).name} and the like); "
                                       "check the folder and the pattern's padding")
        header = _read_header(pattern.path(frames[0]), frames[0])
        info = _info_from_header(text, "sequence", frames, header, colorspace, color)
    elif is_video_path(text):
        video = probe_video(text)
        frames = list(range(1, video.frame_count + 1))
        name, rule = choose_colorspace(text, option=colorspace, attributes={}, pixel_type="uint8", video=True,
                                       color=color)
        info = SourceInfo(text, "video", tuple(frames), (), video.width, video.height, ("R", "G", "B"),
                          "uint8", name, video.fps, {"codec": video.codec}, rule)
    else:
        header = _read_header(Path(text), None)
        info = _info_from_header(text, "image", [1], header, colorspace, color)
    return Source(info, nonfinite=nonfinite)


def choose_colorspace(path: str, *, option: str | None, attributes: dict, pixel_type: str, video: bool,
                      color: ColorManager | None) -> tuple[str, str]:
    """(color space, rule) of a source by the rules of the module docstring; with `color`, the
    space's canonical name in that config.

    Raises: ColorConfigError naming `path` and the rule when `color` is given and lacks the space.
    """
    candidates = [("option", option), ("facegraft/colorspace", attributes.get(COLORSPACE_ATTRIBUTE)),
                  ("oiio:ColorSpace", attributes.get("oiio:ColorSpace")),
                  ("chromaticities", _primaries_space(attributes.get("chromaticities"), color)),
                  ("OCIO file rules", color.file_rule(path) if color is not None else None)]
    rule, name = next(((r, str(n)) for r, n in candidates if n), ("default", default_colorspace(pixel_type,
                                                                                              video=video)))
    if color is not None:
        try:
            name = color.resolve(name)
        except ColorConfigError:
            raise ColorConfigError(f"{path}: color space {name!r} (from {rule}) is not in the OCIO config "
                                   f"{color.source}; pass --colorspace, or {color.near_matches(name)}") from None
    return name, rule


def _primaries_space(chromaticities: object, color: ColorManager | None) -> str | None:
    """The interop ID of the standard linear space with these EXR chromaticities, if the config has it."""
    if color is None or chromaticities is None:
        return None
    values = np.asarray(chromaticities, np.float64).ravel()
    if values.shape != (8,):
        return None
    for interop, primaries in _PRIMARIES.items():
        if np.allclose(values, primaries, atol=2e-3) and color.config.getColorSpace(interop) is not None:
            return interop
    return None


def _read_header(path: Path, frame: int | None) -> tuple["oiio.ImageSpec", tuple[str, ...]]:
    """The first part's header and the channel names of every part (as `read_image` flattens them)."""
    where = str(path) if frame is None else f"{path} (frame {frame})"
    if path.is_dir():
        raise MediaError(f"{where}: is a folder; name a file, or a sequence in it like {path / 'name.####.exr'}")
    if not path.is_file():
        raise MediaError(f"{where}: no such file; check the path")
    inp = oiio.ImageInput.open(str(path))
    if inp is None:
        raise MediaError(f"{where}: unreadable image ({oiio.geterror().strip() or 'unknown format'}); check the file")
    spec = inp.spec()
    channels = tuple(spec.channelnames)
    if inp.format_name() == "openexr":
        part = 1
        while inp.seek_subimage(part, 0):
            channels += tuple(inp.spec().channelnames)
            part += 1
    inp.close()
    return spec, channels


def _info_from_header(text: str, kind: str, frames: list[int], header: tuple["oiio.ImageSpec", tuple[str, ...]],
                      colorspace: str | None, color: ColorManager | None) -> SourceInfo:
    spec, channels = header
    attributes = {p.name: p.value for p in spec.extra_attribs}
    pixel_type = str(spec.format)
    name, rule = choose_colorspace(text, option=colorspace, attributes=attributes, pixel_type=pixel_type,
                                   video=False, color=color)
    return SourceInfo(text, kind, tuple(frames), tuple(find_gaps(frames)), spec.full_width, spec.full_height,
                      channels, pixel_type, name, None, attributes, rule)
