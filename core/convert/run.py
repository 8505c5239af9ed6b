"""The convert pass over a plate: read → crop → swap (batched across frames) → place → write.

Reading runs ahead in threads, the network and compositing run here, writing runs behind in
threads. Frames already written with the same options are skipped unless `settings.force`.
"""
import json
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from threadpoolctl import threadpool_limits

from facegraft.core.alignments.format import Alignments
from facegraft.core.color import ColorManager
from facegraft.core.color.perceptual import WorkingSpace
from facegraft.core.convert.composite import (Placed, SwappedFace, composite, place_face, resized_crop,
                                              smooth_masks_over_time, window_color_stats)
from facegraft.core.convert.settings import ConvertSettings
from facegraft.core.convert.swapper import FaceSwapper
from facegraft.core.errors import AlignmentsError, MediaError, ModelMismatchError, NotConvergedError, OutputError
from facegraft.core.media.atomic import prepare_output
from facegraft.core.media.image_io import ImageData, Window, recorded_attribute, write_image
from facegraft.core.media.pipeline import BackgroundWriter
from facegraft.core.media.sequence import SequencePattern
from facegraft.core.media.source import COLORSPACE_ATTRIBUTE, Frame, Source
from facegraft.core.post.color_stats import ColorStats
from facegraft.core.post.poisson import PoissonSolver

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

# Layers a compositor can re-comp from: the swapped face (premultiplied) and the final matte. With
# outputs="all" they are the second part of a multi-part EXR whose data window is the faces' box.
LAYERS = ("face.R", "face.G", "face.B", "face.A", "matte.A")
OPTIONS_ATTRIBUTE = "facegraft/options"


@dataclass(frozen=True)
class ConvertReport:
    written: tuple[int, ...]
    skipped: tuple[int, ...]
    nonfinite: tuple[int, ...]  # frames where the network gave NaN/Inf: passed through unchanged
    faces: int  # faces replaced


def plate_frames(source: Source, alignments: Alignments, frames: Sequence[int], *, alignments_path: str) -> list[int]:
    """Refuse alignments made on another plate or lacking some of `frames`. Returns the frames, sorted."""
    header = alignments.header
    if (header.width, header.height) != (source.width, source.height):
        raise AlignmentsError(f"{alignments_path}: made on a {header.width}x{header.height} plate, this plate is "
                              f"{source.width}x{source.height}; extract this plate first")
    wanted = source.check_frames(frames)
    missing = sorted(set(wanted) - set(alignments.frames))
    if missing:
        raise AlignmentsError(f"{alignments_path}: frames {missing[0]}{'...' if len(missing) > 1 else ''} were not "
                              f"extracted; run facegraft extract on them or pass --frames within the alignments")
    return wanted


def check_inputs(source: Source, alignments: Alignments, swapper: FaceSwapper, frames: Sequence[int],
                 settings: ConvertSettings, *, alignments_path: str) -> list[int]:
    """Refuse a model, alignments and plate that do not belong together. Returns the frames, sorted."""
    header = alignments.header
    if header.face_type != swapper.face_type:
        raise ModelMismatchError(f"model {swapper.model_id} was trained on {swapper.face_type!r} faces, the "
                                 f"alignments hold {header.face_type!r}; extract with --face-type {swapper.face_type}")
    wanted = plate_frames(source, alignments, frames, alignments_path=alignments_path)
    if settings.face_ids is not None:
        unknown = sorted(set(settings.face_ids) - set(alignments.face_ids()))
        if unknown:
            raise AlignmentsError(f"{alignments_path}: no face id {unknown[0]} (face ids: "
                                  f"{', '.join(map(str, alignments.face_ids())) or 'none'}); pick one of those")
    return wanted


def options_text(settings: ConvertSettings, model_id: str) -> str:
    """The options a frame was made with, as recorded in its header (what resume compares)."""
    options = asdict(replace(settings, force=False, workers=0, batch=1))
    return json.dumps({"model": model_id, **options}, sort_keys=True)


def convert_plate(source: Source, alignments: Alignments, swapper: FaceSwapper, output: str, frames: Sequence[int],
                  settings: ConvertSettings, *, color: ColorManager, alignments_path: str = "alignments",
                  progress: Callable[[Iterator[Frame], int], Iterator[Frame]] = lambda it, n: it,
                  segmenter: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None) -> ConvertReport:
    """Swap the faces of `frames` of `source` and write them to the sequence `output`.

    `segmenter` (e.g. `SegmentMasker.many`): (N, S, S, 3) plate crops in the network's encoding and
    (N, 68, 2) crop-pixel landmarks → (N, S, S) visible-face masks, used as `settings.mask` says
    (see `crop_mask`).

    Raises: OutputError (output names the plate, unwritable, or frames written with other options),
        AlignmentsError / ModelMismatchError for inputs that disagree, MediaError for bad frames.
    """
    pattern = SequencePattern.parse(output)
    wanted = check_inputs(source, alignments, swapper, frames, settings, alignments_path=alignments_path)
    prepare_output(output, inputs=[source.info.path, alignments_path], frames=wanted)
    options = options_text(settings, swapper.model_id)
    todo = [f for f in wanted if settings.force or not _already_written(pattern.path(f), options)]
    plate_space = color.resolve(source.colorspace)
    working = WorkingSpace.from_config(color, plate_space)
    radius = max(settings.matte_smoothing, settings.color_smoothing)
    needed = _with_neighbours(todo, radius, available=set(alignments.frames) & set(source.frames))
    remaining = set(todo)
    pending: dict[int, tuple[Frame, list[SwappedFace]]] = {}  # swapped frames still needed
    written, nonfinite, faces_done = [], [], 0
    poisson = PoissonSolver()  # buffers reused across frames; cold starts keep frames chunk-independent
    device = placement_device(swapper, settings, working)
    # numpy's BLAS on one thread: its (N, 3) color products gain nothing from more, and its spinning
    # threads fight the reader and writer threads for the cores (10-100x slower products under load)
    with threadpool_limits(limits=1, user_api="blas"), BackgroundWriter(workers=settings.workers) as writer:
        frames_in = progress(source.iter_frames(needed, workers=settings.workers), len(needed))
        while group := list(islice(frames_in, settings.batch)):
            swapped_group = _swap_group(group, alignments, swapper, settings, plate_space, color, segmenter)
            for frame, faces in zip(group, swapped_group):
                if any(not np.isfinite(s.face).all() for s in faces):
                    log.warning("frame %d: the model returned NaN/Inf; the frame passes through unchanged",
                                frame.number)
                    nonfinite.append(frame.number)
                    faces = []
                pending[frame.number] = (frame, faces)
            last = group[-1].number
            ready = sorted(n for n in remaining if n in pending and (n + radius <= last or last == needed[-1]))
            window = {n: f for n, (_, f) in pending.items()}
            for number in ready:
                frame, faces = pending[number]
                if settings.matte_smoothing:
                    faces = smooth_masks_over_time(window, number, settings.matte_smoothing)
                stats = {s.face_id: window_color_stats(window, number, s.face_id, settings.color_smoothing,
                                                       working=working)
                         for s in faces} if settings.color_smoothing else {}
                image, parts = _converted_frame(frame, faces, settings, working, swapper, options, stats,
                                                poisson, device)
                writer.submit(write_image, pattern.path(number), image, parts=parts)
                written.append(number)
                faces_done += len(faces)
                remaining.discard(number)
            oldest_needed = min(remaining, default=last + 1) - radius
            for number in [n for n in pending if n < oldest_needed]:
                del pending[number]
    return ConvertReport(tuple(written), tuple(sorted(set(wanted) - set(todo))),
                         tuple(n for n in nonfinite if n in set(todo)), faces_done)


def placement_device(swapper: FaceSwapper, settings: ConvertSettings, working: WorkingSpace) -> "torch.device | None":
    """The torch device that places the faces (`device_place`): the network's, when it is not the CPU
    (there numpy and OpenCV are faster) and the settings need nothing only the CPU path does. None: the CPU."""
    device = getattr(swapper, "device", None)
    if device is None or device.type == "cpu":
        return None
    from facegraft.core.convert.device_place import supports

    return device if supports(settings, working) else None


def _with_neighbours(frames: Sequence[int], radius: int, *, available: set[int]) -> list[int]:
    """`frames` plus the available frames within `radius` of them (temporal smoothing reads those)."""
    near = {g for f in frames for g in range(f - radius, f + radius + 1)} & available
    return sorted(near | set(frames))


def _already_written(path: Path, options: str) -> bool:
    recorded = recorded_attribute(path, OPTIONS_ATTRIBUTE)
    if recorded is not None and recorded != options:
        raise OutputError(f"{path}: was written with other convert options; pass --force to redo it, "
                          "or write to another output")
    return recorded is not None


def _swap_group(group: list[Frame], alignments: Alignments, swapper: FaceSwapper, settings: ConvertSettings,
                plate_space: str, color: ColorManager,
                segmenter: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None) -> list[list[SwappedFace]]:
    """Cut every wanted face of the group's frames, run the network once, regroup by frame."""
    header, size = alignments.header, swapper.resolution
    jobs, crops = [], []
    for i, frame in enumerate(group):
        rgb = rgb_indices(frame)
        for face in alignments.faces(frame.number):
            if settings.face_ids is not None and face.face_id not in settings.face_ids:
                continue
            crop = resized_crop(face.crop(size=header.size, face_type=header.face_type), size)
            cut = crop.cut(frame.pixels if frame.pixels.shape[2] <= 4 else frame.pixels[..., list(rgb)])
            plate_crop = np.ascontiguousarray(cut[..., list(rgb)])
            jobs.append((i, face, crop, plate_crop))
            crops.append(np.clip(color.convert(plate_crop, plate_space, swapper.color_encoding), 0.0, 1.0))
    out: list[list[SwappedFace]] = [[] for _ in group]
    if not crops:
        return out
    faces, masks = swapper(np.stack(crops))
    segments = ([None] * len(crops) if segmenter is None else
                segmenter(np.stack(crops), np.stack([crop.to_crop(face.landmarks) for _, face, crop, _ in jobs])))
    for (i, face, crop, plate_crop), swapped, mask, segment in zip(jobs, faces, masks, segments):
        swapped = color.convert(np.ascontiguousarray(swapped), swapper.color_encoding, plate_space)
        out[i].append(SwappedFace(face.face_id, crop, face.landmarks, swapped, mask, plate_crop, segment))
    return out


def _converted_frame(frame: Frame, faces: list[SwappedFace], settings: ConvertSettings, working: WorkingSpace,
                     swapper: FaceSwapper, options: str,
                     stats: dict[int, tuple[ColorStats, ColorStats] | None],
                     poisson: PoissonSolver, device: "torch.device | None" = None
                     ) -> tuple[ImageData, tuple[ImageData, ...]]:
    """The converted frame: the composite (plate channels, plate data window) and the layer part
    (face RGBA premultiplied + matte, data window = the faces' box), or the layers alone. `device`:
    place the faces with torch there (`placement_device`)."""
    image = frame.image
    if image is None:
        raise MediaError(f"{frame.path}: convert needs an image sequence plate; convert the video to EXR first "
                         "with facegraft media convert")
    rgb = rgb_indices(frame)
    origin = (image.data_window.x - image.display_window.x, image.data_window.y - image.display_window.y)
    try:
        if device is not None:  # the network's device does the warp, matte and color math (device_place)
            from facegraft.core.convert.device_place import place_face_on_device

            placed = [p for p in (place_face_on_device(s, image.pixels, rgb, data_origin=origin, settings=settings,
                                                       working=working, device=device,
                                                       color_stats=stats.get(s.face_id), where=f"{frame.path}:")
                                  for s in faces) if p]
        else:
            placed = [p for p in (place_face(s, image.pixels, rgb, data_origin=origin, settings=settings,
                                             working=working, frame_seed=settings.seed * 1_000_003 + frame.number,
                                             color_stats=stats.get(s.face_id), where=f"{frame.path}:",
                                             poisson=poisson)
                                  for s in faces) if p]
    except NotConvergedError as error:
        raise NotConvergedError(f"{frame.path} (frame {frame.number}): {error}; convert it with --blend alpha") from None
    out = image.pixels  # composited in place: a frame is converted once, and its pixels are not read after
    layer_box = _layer_box(placed, out.shape[:2])
    layers = None if settings.outputs == "composite" else \
        np.zeros((layer_box[3] - layer_box[1], layer_box[2] - layer_box[0], len(LAYERS)), np.float32)
    composite(out, rgb, placed, layers=layers, layers_origin=layer_box[:2])
    matrices = [{"face_id": s.face_id, "frame_to_crop": np.round(s.crop.frame_to_crop, 9).tolist(),
                 "size": s.crop.size, "face_type": s.crop.face_type} for s in faces]
    attributes = {"facegraft/synthetic": int(bool(placed)), "facegraft/model": swapper.model_id,
                  OPTIONS_ATTRIBUTE: options, "facegraft/frame_to_crop": json.dumps(matrices),
                  COLORSPACE_ATTRIBUTE: working.name}
    beauty = ImageData(out, image.channels, image.pixel_types, image.data_window, image.display_window,
                       image.attributes, image.path).with_attributes(attributes)
    if layers is None:
        return beauty, ()
    dw = image.data_window
    window = Window(dw.x + layer_box[0], dw.y + layer_box[1], layers.shape[1], layers.shape[0])
    # the same header as the composite (its DateTime too: a part without one gets the time of writing,
    # and frames would differ from one run to the next)
    layer_image = ImageData(layers, LAYERS, ("half",) * len(LAYERS), window, image.display_window,
                            beauty.attributes)
    if settings.outputs == "flat":  # one part: the layers spread over the composite's data window
        full = np.zeros(out.shape[:2] + (len(LAYERS),), np.float32)
        full[layer_box[1]:layer_box[3], layer_box[0]:layer_box[2]] = layers
        return replace(beauty, pixels=np.concatenate([out, full], axis=2), channels=image.channels + LAYERS,
                       pixel_types=image.pixel_types + ("half",) * len(LAYERS)), ()
    return (layer_image, ()) if settings.outputs == "layers" else (beauty, (layer_image,))


def _layer_box(placed: list[Placed], shape: tuple[int, int]) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) in data-window array pixels holding every placed face; one pixel when none."""
    if not placed:
        return (0, 0, 1, 1)
    boxes = np.array([p.box for p in placed])
    return (int(boxes[:, 0].min()), int(boxes[:, 1].min()), int(boxes[:, 2].max()), int(boxes[:, 3].max()))


def rgb_indices(frame: Frame) -> tuple[int, int, int]:
    """Indices of R, G, B in the frame's channels; MediaError naming the frame when one is missing."""
    try:
        return tuple(frame.channels.index(c) for c in ("R", "G", "B"))  # type: ignore[return-value]
    except ValueError:
        raise MediaError(f"{frame.path} (frame {frame.number}): the plate needs R, G and B channels, found "
                         f"{', '.join(frame.channels)}") from None
