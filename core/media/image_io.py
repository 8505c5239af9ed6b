"""Single images through OpenImageIO: EXR (half/float, any channel set, layered names, data window
apart from display window, every header attribute), DPX, TIFF (8/16-bit, float), PNG, JPEG.

Pixels are float32 `(h, w, C)` covering the *data window*; integer files are decoded to float in
[0, 1] on read and encoded back only on write, so a read → write → read round trip is exact for
half, float, 8- and 16-bit files. A multi-part EXR (e.g. convert's output: the plate's channels in a
full-frame part, the face/matte layers in a part whose data window is the face's box) is read as one
image: every further part is placed into the first part's data window, zero where its own data
window does not reach, its channels after the first part's. Coordinates follow DESIGN.md: full-frame pixels, origin at the
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
# Attributes that describe one part of a multi-part file; a flattened read drops them.
_PART_ATTRIBUTES = frozenset({"name", "oiio:subimagename", "type", "chunkCount", "view"})
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
        parts = _read_parts(inp, where, every=inp.format_name() == "openexr")
    finally:
        inp.close()
    spec, pixels = parts[0]
    channel_names, formats = _channels_of(spec)
    attributes = tuple(Attribute(p.name, str(p.type), p.value) for p in spec.extra_attribs
                       if p.name not in _DERIVED and (len(parts) == 1 or p.name not in _PART_ATTRIBUTES))
    if len(parts) > 1:
        pixels, channel_names, formats = _flatten_parts(parts, where)
    image = ImageData(pixels, channel_names, formats,
                      Window(spec.x, spec.y, spec.width, spec.height),
                      Window(spec.full_x, spec.full_y, spec.full_width, spec.full_height), attributes, path)
    if channels is not None:
        image = image.select(channels)
    return replace(image, pixels=check_finite(image.pixels, where=where, nonfinite=nonfinite))


def _read_parts(inp: "oiio.ImageInput", where: str, *,
                every: bool) -> list[tuple["oiio.ImageSpec", np.ndarray]]:
    """(spec, (h, w, C) float32 pixels) of every part of an open EXR (`every`), else of its first image
    (the pages of a TIFF are other images, not layers)."""
    parts: list[tuple["oiio.ImageSpec", np.ndarray]] = []
    while (every or not parts) and inp.seek_subimage(len(parts), 0):
        spec = inp.spec()
        require_memory(2 * array_bytes((spec.height, spec.width, spec.nchannels)),
                       what=f"{where}: a {spec.width}x{spec.height} image of {spec.nchannels} channels",
                       fix="check the file's header (an image this large is likely damaged)")
        pixels = inp.read_image(len(parts), 0, 0, spec.nchannels, "float")
        error = inp.geterror() if pixels is None or inp.has_error else ""
        if pixels is None or error:
            raise MediaError(f"{where}: truncated or corrupt image ({error or _oiio_error()}); re-render the file")
        parts.append((spec, np.asarray(pixels, np.float32).reshape(spec.height, spec.width, spec.nchannels)))
    if not parts:
        raise MediaError(f"{where}: unreadable image ({_oiio_error()}); check or re-render the file")
    return parts


def _channels_of(spec: "oiio.ImageSpec") -> tuple[tuple[str, ...], tuple[str, ...]]:
    names = tuple(spec.channelnames) or tuple(f"c{i}" for i in range(spec.nchannels))
    formats = tuple(str(f) for f in spec.channelformats) or (str(spec.format),) * spec.nchannels
    return names, formats


def _flatten_parts(parts: list[tuple["oiio.ImageSpec", np.ndarray]],
                   where: str) -> tuple[np.ndarray, tuple[str, ...], tuple[str, ...]]:
    """All parts' channels over the first part's data window (zero where a part does not reach)."""
    first = parts[0][0]
    h, w = first.height, first.width
    names, formats = _channels_of(first)
    total = sum(spec.nchannels for spec, _ in parts)
    out = np.zeros((h, w, total), np.float32)
    out[..., :first.nchannels] = parts[0][1]
    at = first.nchannels
    for spec, pixels in parts[1:]:
        part_names, part_formats = _channels_of(spec)
        repeated = sorted(set(part_names) & set(names))
        if repeated:
            raise MediaError(f"{where}: channel {repeated[0]} is in two parts of this multi-part file; "
                             "re-render it with one name per channel")
        x0, y0 = max(spec.x, first.x), max(spec.y, first.y)
        x1, y1 = min(spec.x + spec.width, first.x + w), min(spec.y + spec.height, first.y + h)
        if x1 > x0 and y1 > y0:
            out[y0 - first.y:y1 - first.y, x0 - first.x:x1 - first.x, at:at + spec.nchannels] = \
                pixels[y0 - spec.y:y1 - spec.y, x0 - spec.x:x1 - spec.x]
        names, formats, at = names + part_names, formats + part_formats, at + spec.nchannels
    return out, names, formats


def recorded_attribute(path: str | Path, attribute: str) -> str | None:
    """The string `attribute` in the header of the finished file `path` ("" when absent), or None when
    there is no such file or it cannot be read (what resuming verbs render again)."""
    path = Path(path)
    if not path.is_file():
        return None
    inp = oiio.ImageInput.open(str(path))
    if inp is None:
        return None
    try:
        return inp.spec().get_string_attribute(attribute)
    finally:
        inp.close()


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
                compression: str | None = None, parts: Sequence[ImageData] = ()) -> Path:
    """Write `image` atomically (temporary name, then rename).

    Args:
        path: destination; the format follows the suffix. pixel_type: one storage type for all
            channels (default: the image's own, per channel). compression: e.g. "zip", "piz",
            "dwaa" for EXR (default: the image's "compression" attribute, else the format's own).
        parts: further parts of a multi-part EXR, each with its own channels (distinct from the
            image's) and data window (e.g. a layer around a face; its display window should be the
            image's). `read_image` reads such a file back as one image.
    Raises: MediaError/OutputError naming the file when it cannot be written (or `parts` are given
        for a format without multi-part support).
    """
    path = Path(path)
    out = oiio.ImageOutput.create(str(path))  # chosen by the suffix, before any folder or temporary is made
    if out is None:
        raise MediaError(f"{path}: no writer for this file type ({_oiio_error()}); use .exr, .dpx, .tif, .png or .jpg")
    if parts and not out.supports("multiimage"):
        raise MediaError(f"{path}: this file type holds one image; write layers to .exr")
    images = [image, *parts]
    specs = [_spec_for(part, pixel_type, compression) for part in images]
    names: list[str] = []
    for i, spec in enumerate(specs if parts else ()):
        name = "rgba" if i == 0 else _part_name(images[i].channels)
        names.append(name if name not in names else f"{name}{i}")  # OpenEXR wants unique part names
        spec.attribute("name", names[-1])
    with atomic_write_path(path) as tmp:
        try:
            ok = out.open(str(tmp), specs) if parts else out.open(str(tmp), specs[0])
            for i, part in enumerate(images):
                if i:
                    ok = ok and out.open(str(tmp), specs[i], "AppendSubimage")
                ok = ok and out.write_image(np.ascontiguousarray(part.pixels, np.float32))
            error = "" if ok else out.geterror()
        finally:
            out.close()
        if not ok:
            raise MediaError(f"{path}: write failed ({error}); check free space and permissions")
    return path


def _spec_for(image: ImageData, pixel_type: str | None, compression: str | None) -> "oiio.ImageSpec":
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
    return spec


def _part_name(channels: Sequence[str]) -> str:
    """A part's name: the layer prefix its channels share ("face.R", "matte.A" → "face_matte")."""
    layers = dict.fromkeys(c.split(".")[0] if "." in c else "rgba" for c in channels)
    return "_".join(layers)


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
