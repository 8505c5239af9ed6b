"""Putting swapped faces back into a plate frame, in scene-linear light.

Per face: the swapped crop (network encoding) goes back to the plate's color space, its matte is
built in crop space, both are warped into a region of interest (ROI) of the plate through the
face's `FaceCrop`, then eroded/feathered, color matched, sharpened, grained and blended there, in
plate pixels. Pixels where the final matte is 0 are never written: they stay bit-identical.

Convention: full-frame pixels of the display window, origin at the top-left corner of the
top-left pixel; the plate array covers the data window, whose origin is `data_origin`.
"""
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import cv2
import numpy as np

from facegraft.core.align.geometry import FaceCrop
from facegraft.core.color.perceptual import WorkingSpace
from facegraft.core.convert.settings import ConvertSettings
from facegraft.core.masks.landmark import landmark_mask
from facegraft.core.post.color_stats import ColorStats, color_stats
from facegraft.core.post.color_transfer import color_transfer
from facegraft.core.post.grain import MIN_GRAIN_PIXELS, grain_pixels, match_grain
from facegraft.core.post.matte import combine_mattes, feather_distance, feather_gaussian, grow_matte
from facegraft.core.post.poisson import PoissonSolver
from facegraft.core.post.sharpen import unsharp_mask

log = logging.getLogger(__name__)

# Downsample a crop before warping it back when it holds this many crop pixels per plate pixel or more.
ANTIALIAS_SCALE = 1.25
# Color matching measures at least this many plate pixels inside the matte; fewer give wild statistics.
MIN_COLOR_PIXELS = 16


@dataclass(frozen=True)
class SwappedFace:
    """One face of a frame after the network: crop geometry, landmarks, network output, plate crop.

    crop: geometry at the network's resolution S. landmarks: (68, 2) frame pixels.
    face: (S, S, 3) float32, the swapped face back in the plate's color space, unclipped.
    learned_mask: (S, S) float32 in [0, 1]. plate: (S, S, 3) float32, the plate's crop, plate space.
    segment_mask: (S, S) float32 in [0, 1], the mask model's visible face of the plate's crop, or None.
    """

    face_id: int
    crop: FaceCrop
    landmarks: np.ndarray
    face: np.ndarray
    learned_mask: np.ndarray
    plate: np.ndarray
    segment_mask: np.ndarray | None = None


@dataclass(frozen=True)
class Placed:
    """A face warped into the plate: `box` = (x0, y0, x1, y1) in data-window array pixels."""

    box: tuple[int, int, int, int]
    face: np.ndarray  # (h, w, 3) float32, plate color space
    matte: np.ndarray  # (h, w) float32 in [0, 1], final (eroded, feathered)


def resized_crop(crop: FaceCrop, size: int) -> FaceCrop:
    """The same crop sampled at `size` pixels (the similarity scales about the crop's corner)."""
    return FaceCrop.from_matrix(crop.frame_to_crop * (size / crop.size), size=size, face_type=crop.face_type)


def smooth_masks_over_time(faces_by_frame: Mapping[int, Sequence[SwappedFace]], frame: int,
                           radius: int) -> list[SwappedFace]:
    """The faces of `frame` with each learned mask averaged over frames `frame ± radius`.

    A neighbour's mask (same face id) is warped from its crop into this frame's crop before
    averaging, with triangle weights (radius + 1 - distance). Frames missing from
    `faces_by_frame` (outside the plate or the alignments) are left out, so the result does not
    depend on how a plate is cut into farm chunks.
    """
    out = []
    for face in faces_by_frame[frame]:
        total = np.zeros_like(face.learned_mask)
        weights = 0.0
        for other in range(frame - radius, frame + radius + 1):
            for neighbour in faces_by_frame.get(other, ()):
                if neighbour.face_id != face.face_id:
                    continue
                weight = radius + 1 - abs(other - frame)
                to_here = _compose(face.crop.opencv_matrix(), neighbour.crop.paste_matrix())
                total += weight * cv2.warpAffine(neighbour.learned_mask, to_here, (face.crop.size, face.crop.size),
                                                 flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
                weights += weight
        out.append(replace(face, learned_mask=(total / weights).astype(np.float32)))
    return out


def _compose(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The (2, 3) affine `a ∘ b` (apply b, then a)."""
    return (np.vstack([a, [0.0, 0.0, 1.0]]) @ np.vstack([b, [0.0, 0.0, 1.0]]))[:2]


def crop_mask(swapped: SwappedFace, source: str) -> np.ndarray:
    """The face's mask in crop space from the learned mask, the landmark hull, or both; times the
    segmentation when the face has one ("segment": the segmentation alone)."""
    segment = swapped.segment_mask
    if source == "segment":
        if segment is None:
            raise ValueError("mask 'segment' needs faces with a segment_mask (run convert with a mask model)")
        return segment
    base = _source_mask(swapped, source)
    return base if segment is None else base * segment


def _source_mask(swapped: SwappedFace, source: str) -> np.ndarray:
    if source == "learned":
        return swapped.learned_mask
    hull = landmark_mask(swapped.crop.to_crop(swapped.landmarks), size=swapped.crop.size)
    if source == "landmarks":
        return hull
    return combine_mattes([swapped.learned_mask, hull], mode="product" if source == "product" else "max")


def roi_box(crop: FaceCrop, shape: tuple[int, int], data_origin: tuple[int, int], margin: int) -> tuple[int, int, int, int] | None:
    """Bounding box of the crop's footprint in the data-window array, grown by `margin`, clipped."""
    s = crop.size
    corners = crop.to_frame(np.array([[0, 0], [s, 0], [0, s], [s, s]], np.float64)) - np.array(data_origin)
    x0, y0 = np.floor(corners.min(0)).astype(int) - margin
    x1, y1 = np.ceil(corners.max(0)).astype(int) + margin
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, shape[1]), min(y1, shape[0])
    return (int(x0), int(y0), int(x1), int(y1)) if x1 > x0 and y1 > y0 else None


def warp_to_plate(crop: FaceCrop, image: np.ndarray, box: tuple[int, int, int, int],
                  data_origin: tuple[int, int], *, border: int) -> np.ndarray:
    """Warp a crop-space image (S, S, C) into the plate box (h, w, C), bilinear, area-filtered first
    when the crop is denser than the plate (no aliasing on small faces)."""
    if crop.scale >= ANTIALIAS_SCALE:
        size = max(8, int(round(crop.size / crop.scale)))
        image = cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA)
        crop = resized_crop(crop, size)
    paste = crop.paste_matrix()
    paste[:, 2] -= np.array([box[0] + data_origin[0], box[1] + data_origin[1]], np.float64)
    out = cv2.warpAffine(image, paste, (box[2] - box[0], box[3] - box[1]), flags=cv2.INTER_LINEAR,
                         borderMode=border, borderValue=0)
    return out.reshape(box[3] - box[1], box[2] - box[0], -1).astype(np.float32, copy=False)


def place_face(swapped: SwappedFace, plate: np.ndarray, rgb: tuple[int, int, int], *, data_origin: tuple[int, int],
               settings: ConvertSettings, working: WorkingSpace, frame_seed: int,
               color_stats: tuple[ColorStats, ColorStats] | None = None, where: str = "",
               poisson: PoissonSolver | None = None) -> Placed | None:
    """Warp one swapped face into the plate and apply the post-processing chain there.

    A post op that cannot work on this face (too few pixels for grain or color statistics, a
    Poisson region with no plate pixel around it) is skipped with one warning naming `where` and
    the face; the face is still placed.

    Args:
        plate: (H, W, C) float32 data-window pixels in the plate's color space, unclipped; `rgb`
            the indices of its R, G, B channels.
        working: the plate's working space (color statistics are taken through it).
        color_stats: (face, plate) statistics to match instead of measuring this frame's (see
            `window_color_stats`).
        where: the frame, for warnings (e.g. "shot.1001.exr").
        poisson: the solver to blend with (it keeps its buffers between frames); default a new one.
    Returns: the placed face, or None when it falls outside the data window.
    """
    margin = abs(settings.erode) + int(np.ceil(settings.feather)) + 2
    box = roi_box(swapped.crop, plate.shape[:2], data_origin, margin)
    if box is None:
        return None
    face = warp_to_plate(swapped.crop, swapped.face, box, data_origin, border=cv2.BORDER_REPLICATE)
    matte = warp_to_plate(swapped.crop, crop_mask(swapped, settings.mask), box, data_origin,
                          border=cv2.BORDER_CONSTANT)[..., 0]
    matte = np.clip(matte, 0.0, 1.0)
    if settings.erode:
        matte = grow_matte(matte, pixels=-settings.erode)
    if settings.feather > 0:
        matte = (feather_gaussian(matte, sigma=settings.feather / 2) if settings.feather_mode == "gaussian"
                 else feather_distance(matte, pixels=settings.feather))
    plate_rgb = plate[box[1]:box[3], box[0]:box[2]][..., list(rgb)]
    skip = skipped_ops(matte, settings, has_stats=color_stats is not None)
    for op, why in skip.items():
        log.warning("%sface %d: %s skipped, %s", f"{where} " if where else "", swapped.face_id, op, why)
    face = _post(face, plate_rgb, matte, settings, working, frame_seed, color_stats, skip=set(skip),
                 poisson=poisson or PoissonSolver())
    return Placed(box, face, matte)


def skipped_ops(matte: np.ndarray, settings: ConvertSettings, *, has_stats: bool) -> dict[str, str]:
    """The post ops of `settings` that cannot run on this face's matte, each with the reason."""
    inside = int(np.count_nonzero(matte > 0.5))
    if inside == 0:
        return {}  # nothing of the face shows: _post returns it as is
    skip = {}
    if settings.color_match != "off" and not has_stats and inside < MIN_COLOR_PIXELS:
        skip["color match"] = f"{inside} px inside the matte, {MIN_COLOR_PIXELS} needed"
    if settings.grain == "match" and (measured := grain_pixels(matte, threshold=0.5)) < MIN_GRAIN_PIXELS:
        skip["grain"] = f"{measured} px to measure inside the matte, {MIN_GRAIN_PIXELS} needed"
    if settings.blend == "poisson" and inside == matte.size:
        skip["poisson blend"] = "the matte leaves no plate pixel around the face to blend to"
    return skip


def _post(face: np.ndarray, plate: np.ndarray, matte: np.ndarray, settings: ConvertSettings, working: WorkingSpace,
          seed: int, stats: tuple[ColorStats, ColorStats] | None, *, skip: set[str],
          poisson: PoissonSolver) -> np.ndarray:
    """Color match, sharpen, grain and Poisson blend, all inside the matte, float, unclipped; the ops
    named in `skip` are left out."""
    if not (matte > 0.5).any():
        return face
    if settings.color_match != "off" and "color match" not in skip:
        face_stats, plate_stats = stats if stats else (None, None)
        face = color_transfer(face, plate, matte, method=settings.color_match, working=working,
                              amount=settings.color_amount, seed=settings.seed, face_stats=face_stats,
                              plate_stats=plate_stats, apply_to="matte")
    if settings.sharpen > 0:
        face = unsharp_mask(face, amount=settings.sharpen)
    if settings.grain == "match" and "grain" not in skip:
        face, _ = match_grain(face, plate, matte, seed=seed)
    if settings.blend == "poisson" and "poisson blend" not in skip:
        face = poisson.blend(face, plate, matte, mode="normal")
    return face


def window_color_stats(faces_by_frame: Mapping[int, Sequence[SwappedFace]], frame: int, face_id: int,
                       radius: int, *, working: WorkingSpace) -> tuple[ColorStats, ColorStats] | None:
    """Face and plate color statistics of face `face_id`, averaged over frames `frame ± radius`.

    Measured in crop space (the swapped face and the plate's crop inside the learned mask, both in
    the plate's working space `working`), with triangle weights; the same for any cut of the plate
    into chunks. For the linear color methods. None when no frame of the window measures the face.
    """
    sums: list[list] = [[np.zeros(3), np.zeros((3, 3))], [np.zeros(3), np.zeros((3, 3))]]
    total = 0.0
    for other in range(frame - radius, frame + radius + 1):
        for face in faces_by_frame.get(other, ()):
            if face.face_id != face_id or not (face.learned_mask > 0.5).any():
                continue
            weight = radius + 1 - abs(other - frame)
            for acc, image in zip(sums, (face.face, face.plate)):
                stats = color_stats(image, face.learned_mask, working=working)
                acc[0] += weight * stats.mean_array
                acc[1] += weight * stats.cov_array
            total += weight
    if total == 0:
        return None
    face_stats, plate_stats = (ColorStats.from_arrays(mean / total, cov / total, "oklab", working.name)
                               for mean, cov in sums)
    return face_stats, plate_stats


def composite(out: np.ndarray, rgb: tuple[int, int, int], placed: list[Placed], *,
              layers: np.ndarray | None, layers_origin: tuple[int, int] = (0, 0)) -> None:
    """Matte each placed face over `out`'s RGB, in place, touching only pixels where its matte is above 0.

    Args:
        out: (H, W, C) float32 data-window pixels, the plate's values on entry. rgb: indices of
            R, G, B in it. layers: (h, w, 5) float32, zero on entry, filled in place with the face
            RGBA (premultiplied) and the matte; it covers `out[y:y + h, x:x + w]` with
            `layers_origin` = (x, y) and must hold every placed box. None writes no layers.
    """
    from facegraft.core.convert.matte_over import layers_over, matte_over  # numba: loaded when convert composites

    index = np.array(rgb, np.int64)
    for p in placed:
        x0, y0, x1, y1 = p.box
        face = np.ascontiguousarray(p.face, np.float32)
        matte = np.ascontiguousarray(p.matte, np.float32)
        matte_over(out[y0:y1, x0:x1], index, face, matte)
        if layers is not None:
            lx, ly = layers_origin
            layers_over(layers[y0 - ly:y1 - ly, x0 - lx:x1 - lx], face, matte)
