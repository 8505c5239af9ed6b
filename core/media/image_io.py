"""Single images through OpenImageIO: EXR (half/float, any channel set, layered names, data window
apart from display window, every header attribute), DPX, TIFF (8/16-bit, float), PNG, JPEG.

Pixels are float32 `(h, w, C)` covering the *data window*; integer files are decoded to float in
[0, 1] on read and encoded back only on write, so a read → write → read round trip is exact for
half, float, 8- and 16-bit files. Coordinates follow DESIGN.md: full-frame pixels, origin at the
top-left corner of the top-left pixel of the display window.
"""
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import OpenImageIO as oiio

from facegraft.core.checks import check_image
from facegraft.core.errors import MediaError
from facegraft.core.media.atomic import atomic_write_path
from facegraft.core.memory import array_bytes, require_memory

# Attributes OpenImageIO derives on read; writing them back would be wrong or refused.
_DERIVED = frozenset({"oiio:subimages", "oiio:RowsPerChunk", "oiio:ColorSpace", "oiio:BitsPerSample"})
NonFinite = Literal["error", "repair", "keep"]


@dataclass(frozen=True)
class Window:
    """A pixel rectangle: origin (x, y) and size, in full-frame pixels."""

    x: int
    y: int
    width: int
    height: int


@dataclass(frozen=True)
class Attribute:
    """One header attribute with its OpenImageIO type name (e.g. "string", "float", "matrix")."""

    name: str
    type: str
    value: Any


@dataclass(frozen=True)
class ImageData:
    """An image's pixels and everything its header said.

    `pixels`: (h, w, C) float32, the data window, unclipped; `channels`: C names (e.g. "R",
    "face.R", "matte.Y"); `pixel_types`: C storage types ("half", "float", "uint8", "uint16", ...).
    """

    pixels: np.ndarray
    channels: tuple[str, ...]
    pixel_types: tuple[str, ...]
    data_window: Window
    display_window: Window
    attributes: tuple[Attribute, ...] = ()
    path: Path | None = None

    @property
    def metadata(self) -> dict[str, Any]:
        return {a.name: a.value for a in self.attributes}

    def with_attributes(self, values: Mapping[str, Any]) -> "ImageData":
        """A copy with string/int/float attributes set (existing ones of the same name replaced)."""
        kept = [a for a in self.attributes if a.name not in values]
        added = [Attribute(k, _type_of(v), v) for k, v in values.items()]
        return replace(self, attributes=tuple(kept + added))

    def select(self, channels: Sequence[str]) -> "ImageData":
        """Only `channels`, in that order. Raises `MediaError` naming the file and missing channels."""
        missing = [c for c in channels if c not in self.channels]
        if missing:
            raise MediaError(f"{self.path}: has no channel {', '.join(missing)} (channels: "
                             f"{', '.join(self.channels)}); pick existing channels")
        index = [self.channels.index(c) for c in channels]
        return replace(self, pixels=np.ascontiguousarray(self.pixels[..., index]), channels=tuple(channels),
                       pixel_types=tuple(self.pixel_types[i] for i in index))

    def display_pixels(self) -> np.ndarray:
        """(H, W, C) float32 over the display window; zero where the data window does not reach."""
        dw, full = self.data_window, self.display_window
        if dw == full:
            return self.pixels
        require_memory(array_bytes((full.height, full.width, len(self.channels))),
                       what=f"{self.path}: its {full.width}x{full.height} display window",
                       fix="check the file's header (a window this large is likely damaged)")
        out = np.zeros((full.height, full.width, len(self.channels)), np.float32)
        x0, y0 = max(dw.x, full.x), max(dw.y, full.y)
        x1, y1 = min(dw.x + dw.width, full.x + full.width), min(dw.y + dw.height, full.y + full.height)
        if x1 > x0 and y1 > y0:
            out[y0 - full.y:y1 - full.y, x0 - full.x:x1 - full.x] = \
                self.pixels[y0 - dw.y:y1 - dw.y, x0 - dw.x:x1 - dw.x]
        return out


def new_image(pixels: np.ndarray, channels: Sequence[str], *, pixel_type: str = "half",
              attributes: Mapping[str, Any] | None = None) -> ImageData:
    """An `ImageData` for freshly made pixels whose data and display windows coincide."""
    check_image(pixels, channels=tuple(range(1, 65)), name="pixels")
    if pixels.shape[2] != len(channels):
        raise ValueError(f"{len(channels)} channel names for {pixels.shape[2]} channels")
    window = Window(0, 0, pixels.shape[1], pixels.shape[0])
    image = ImageData(pixels, tuple(channels), (pixel_type,) * len(channels), window, window)
    return image.with_attributes(attributes or {})


def read_image(path: str | Path, *, channels: Sequence[str] | None = None,
               nonfinite: NonFinite = "error", frame: int | None = None) -> ImageData:
    """Read one image file.

    Args:
        path: the file. channels: names to keep, in order (default: all). nonfinite: what to do
            with NaN/Inf pixels: raise, replace by 0 ("repair"), or keep. frame: for messages.
    Returns: ImageData; pixels float32 (h, w, C) over the data window.
    Raises: MediaError naming the file (and frame) when it is missing, unreadable, truncated,
        lacks a channel, or holds NaN/Inf with nonfinite="error".
    """
    path = Path(path)
    where = f"{path}" if frame is None else f"{path} (frame {frame})"
    if not path.is_file():
        raise MediaError(f"{where}: no such file; check the path and frame range")
    inp = oiio.ImageInput.open(str(path))
    if inp is None:
        raise MediaError(f"{where}: unreadable image ({_oiio_error()}); check or re-render the file")
    try:
        spec = inp.spec()
        require_memory(2 * array_bytes((spec.height, spec.width, spec.nchannels)),
                       what=f"{where}: a {spec.width}x{spec.height} image of {spec.nchannels} channels",
                       fix="check the file's header (an image this large is likely damaged)")
        pixels = inp.read_image(0, 0, 0, spec.nchannels, "float")
        error = inp.geterror() if pixels is None or inp.has_error else ""
    finally:
        inp.close()
    if pixels is None or error:
        raise MediaError(f"{where}: truncated or corrupt image ({error or _oiio_error()}); re-render the file")
    pixels = np.asarray(pixels, np.float32).reshape(spec.height, spec.width, spec.nchannels)
    channel_names = tuple(spec.channelnames) or tuple(f"c{i}" for i in range(spec.nchannels))
    formats = tuple(str(f) for f in spec.channelformats) or (str(spec.format),) * spec.nchannels
    attributes = tuple(Attribute(p.name, str(p.type), p.value) for p in spec.extra_attribs
                       if p.name not in _DERIVED)
    image = ImageData(pixels, channel_names, formats,
                      Window(spec.x, spec.y, spec.width, spec.height),
                      Window(spec.full_x, spec.full_y, spec.full_width, spec.full_height), attributes, path)
    if channels is not None:
        image = image.select(channels)
    return replace(image, pixels=check_finite(image.pixels, where=where, nonfinite=nonfinite))


def check_finite(pixels: np.ndarray, *, where: str, nonfinite: NonFinite = "error") -> np.ndarray:
    """Return `pixels`, or a repaired copy; raise `MediaError` with the NaN/Inf count when asked to."""
    if nonfinite == "keep":
        return pixels
    bad = ~np.isfinite(pixels)
    count = int(np.count_nonzero(bad))
    if count == 0:
        return pixels
    if nonfinite == "repair":
        return np.where(bad, np.float32(0.0), pixels)
    raise MediaError(f"{where}: {count} NaN/Inf pixel values; pass --repair-nonfinite to replace them with 0")


def write_image(path: str | Path, image: ImageData, *, pixel_type: str | None = None,
                compression: str | None = None) -> Path:
    """Write `image` atomically (temporary name, then rename).

    Args:
        path: destination; the format follows the suffix. pixel_type: one storage type for all
            channels (default: the image's own, per channel). compression: e.g. "zip", "piz",
            "dwaa" for EXR (default: the image's "compression" attribute, else the format's own).
    Raises: MediaError/OutputError naming the file when it cannot be written.
    """
    path = Path(path)
    out = oiio.ImageOutput.create(str(path))  # chosen by the suffix, before any folder or temporary is made
    if out is None:
        raise MediaError(f"{path}: no writer for this file type ({_oiio_error()}); use .exr, .dpx, .tif, .png or .jpg")
    h, w, c = image.pixels.shape
    types = (pixel_type,) * c if pixel_type else image.pixel_types
    spec = oiio.ImageSpec(w, h, c, types[0])
    if len(set(types)) > 1:
        spec.channelformats = tuple(oiio.TypeDesc(t) for t in types)
    spec.channelnames = image.channels
    dw, full = image.data_window, image.display_window
    spec.x, spec.y = dw.x, dw.y
    spec.full_x, spec.full_y, spec.full_width, spec.full_height = full.x, full.y, full.width, full.height
    for attribute in image.attributes:
        spec.attribute(attribute.name, oiio.TypeDesc(attribute.type), attribute.value)
    if compression:
        spec.attribute("compression", compression)
    with atomic_write_path(path) as tmp:
        try:
            ok = out.open(str(tmp), spec) and out.write_image(np.ascontiguousarray(image.pixels, np.float32))
            error = "" if ok else out.geterror()
        finally:
            out.close()
        if not ok:
            raise MediaError(f"{path}: write failed ({error}); check free space and permissions")
    return path


def _type_of(value: Any) -> str:
    if isinstance(value, bool | int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    raise TypeError(f"attribute values must be str, int or float, got {type(value).__name__}")


def _oiio_error() -> str:
    message = oiio.geterror().strip()
    return message.splitlines()[0] if message else "unknown error"
