"""Run a node headless over a frame range of EXR (or any image) sequences.

Frame nodes: every input plane is read per frame through its `Binding`, `process` runs, and the
result replaces the bound channels of the pass-through input's file (or the first input's, for a
matte node), which is written with all its other channels, pixel types and header kept, plus a
`facegraft/node` attribute. Outside the node's matte the written pixels equal the input's.
Frames already written with the same node, version, parameters and inputs are skipped unless `force`.
Sequence nodes (Convert) get the patterns and run their own pass.
"""
import inspect
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from facegraft.core.errors import MediaError, OutputError
from facegraft.core.media.atomic import prepare_output
from facegraft.core.media.image_io import ImageData, recorded_attribute, write_image
from facegraft.core.media.pipeline import BackgroundWriter, prefetch_map
from facegraft.core.media.sequence import SequencePattern, is_sequence_pattern
from facegraft.core.media.source import Source, open_source
from facegraft.nodes.binding import Binding, resolve_channels
from facegraft.nodes.registry import NodeEntry
from facegraft.nodes.schema import ParameterError

NODE_ATTRIBUTE = "facegraft/node"
Progress = Callable[[int, int, int], None]  # (done, total, frame number)


@dataclass(frozen=True)
class RunReport:
    written: tuple[int, ...]
    skipped: tuple[int, ...]


def run_node(entry: NodeEntry, bindings: Sequence[Binding], output: str, params: Mapping[str, Any], *,
             frames: Sequence[int] | None = None, force: bool = False, workers: int = 2,
             progress: Progress | None = None) -> RunReport:
    """Run `entry`'s node on `frames` (default: every frame of the base input) and write `output`.

    Args:
        entry: the node. bindings: one per input plane. output: a sequence pattern (or one file
            for single-image inputs). params: parameter values (validated here against the schema).
    Raises: ParameterError (missing/unknown binding, required parameter), SequencePatternError
        (frames outside an input), MediaError (channels, unreadable files), OutputError
        (unwritable folder, output naming an input).
    """
    spec = entry.spec
    by_plane = {b.plane: b for b in bindings}
    missing = [p.name for p in spec.inputs if p.name not in by_plane]
    unknown = sorted(set(by_plane) - {p.name for p in spec.inputs})
    if missing or unknown or len(by_plane) != len(bindings):
        raise ParameterError(f"node {spec.name}: bind each input ({', '.join(p.name for p in spec.inputs)}) once "
                             f"with --input NAME=PATTERN[:LAYER]; missing: {', '.join(missing) or 'none'}"
                             + (f", unknown: {', '.join(unknown)}" if unknown else ""))
    params = spec.validate(params)
    spec.require(params)
    process = entry.load()
    if spec.kind == "sequence":
        written = process(**{b.plane: b.pattern for b in bindings}, output=output, frames=frames, force=force,
                          progress=progress, **params)
        return RunReport(tuple(written), ())
    return _run_frames(entry, process, by_plane, output, params, frames, force, workers, progress)


def _run_frames(entry: NodeEntry, process: Callable[..., np.ndarray], by_plane: dict[str, Binding], output: str,
                params: Mapping[str, Any], frames: Sequence[int] | None, force: bool, workers: int,
                progress: Progress | None) -> RunReport:
    spec = entry.spec
    base = spec.passthrough or spec.inputs[0].name
    sources = {b.pattern: open_source(b.pattern) for b in by_plane.values()}
    base_source = sources[by_plane[base].pattern]
    wanted = sorted(set(frames)) if frames is not None else base_source.frames
    for source in sources.values():
        if source.info.kind == "sequence":
            source.check_frames(wanted)
    out_path = _output_paths(output, wanted)
    prepare_output(output, inputs=list(sources), frames=wanted if is_sequence_pattern(output) else None)
    stamp = json.dumps({"node": spec.name, "version": spec.version, "params": dict(params),
                        "inputs": sorted(b.text() for b in by_plane.values())}, sort_keys=True)
    todo = [f for f in wanted if force or not _already_written(out_path(f), stamp)]
    wants_frame = "frame" in inspect.signature(process).parameters

    def load(frame: int) -> tuple[int, dict[str, ImageData]]:
        return frame, {pattern: _read(src, frame) for pattern, src in sources.items()}

    written = []
    with BackgroundWriter(workers=workers) as writer:
        for done, (frame, images) in enumerate(prefetch_map(load, todo, workers=workers), 1):
            planes, channels = {}, {}
            for plane in spec.inputs:
                binding = by_plane[plane.name]
                image = images[binding.pattern]
                where = f"{image.path} (frame {frame})"
                channels[plane.name] = resolve_channels(binding, plane, image.channels, where=where)
                pixels = image.select(channels[plane.name]).pixels
                planes[plane.name] = pixels[..., 0] if plane.kind == "a" else pixels
            extra = {"frame": frame} if wants_frame else {}
            result = process(**planes, **params, **extra)
            image = _merge(images[by_plane[base].pattern], channels[base], result, spec.name, frame)
            writer.submit(write_image, out_path(frame), image.with_attributes({NODE_ATTRIBUTE: stamp}))
            written.append(frame)
            if progress is not None:
                progress(done, len(todo), frame)
    return RunReport(tuple(written), tuple(sorted(set(wanted) - set(todo))))


def _output_paths(output: str, frames: Sequence[int]) -> Callable[[int], Path]:
    if is_sequence_pattern(output):
        return SequencePattern.parse(output).path
    if len(frames) != 1:
        raise OutputError(f"{output}: {len(frames)} frames need a sequence pattern; name the output like out.####.exr")
    return lambda frame: Path(output)


def _read(source: Source, frame: int) -> ImageData:
    """The whole file of `frame` over its display window (single images: the one file, any frame)."""
    number = frame if source.info.kind == "sequence" else source.frames[0]
    if source.info.kind == "video":
        raise MediaError(f"{source.info.path}: nodes read image sequences; convert the video first "
                         "(facegraft media convert IN OUT.####.exr)")
    image = source.read(number).image
    assert image is not None
    if image.data_window != image.display_window:
        image = replace(image, pixels=image.display_pixels(), data_window=image.display_window)
    return image


def _merge(image: ImageData, channels: tuple[str, ...], result: np.ndarray, node: str, frame: int) -> ImageData:
    """`image` with `channels` replaced by `result` ((H, W, C) or (H, W) float32)."""
    if result.ndim == 2:
        result = result[..., None]
    if result.dtype != np.float32 or result.shape != (*image.pixels.shape[:2], len(channels)):
        raise ValueError(f"node {node} returned {result.dtype} {result.shape} on frame {frame}, expected "
                         f"float32 {(*image.pixels.shape[:2], len(channels))}")
    pixels = image.pixels.copy()
    for i, name in enumerate(channels):
        pixels[..., image.channels.index(name)] = result[..., i]
    return replace(image, pixels=pixels)


def _already_written(path: Path, stamp: str) -> bool:
    return recorded_attribute(path, NODE_ATTRIBUTE) == stamp
