"""Placing a swapped face with torch on the network's device (`convert --device cuda`): the warp back
into the plate, the matte (grow/erode, gaussian feather) and the linear color match run there; the
face's box and its matte come back for the matte-over into the frame (one compiled pass on the CPU,
where the frame was read and is written from).

The arithmetic is `composite.place_face`'s for the settings `supports` accepts (the area pre-filter
as exact INTER_AREA weights); results agree with it to float32 rounding and float32 (not float64)
sums in the color statistics: 1e-4 in tests/core/convert/test_device_place.py, which runs both on
the CPU. The network's output comes back to the host for its OCIO conversion (S x S pixels) and goes
up again here; the frame's pixels go up only for the color statistics. Other settings (Poisson,
sharpen, grain, the distance feather, non-linear color methods, color statistics of a plate space
that is not the config's scene-linear one) keep the CPU path.
Tensors here are (C, H, W) float32; boxes and coordinates as in `composite`.
"""
import logging

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from facegraft.core.align.geometry import FaceCrop
from facegraft.core.color.perceptual import LAB_TO_LMS, LMS_TO_LAB, WorkingSpace
from facegraft.core.convert.composite import (ANTIALIAS_SCALE, Placed, SwappedFace, skipped_ops,
                                              crop_mask, resized_crop, roi_box)
from facegraft.core.convert.settings import ConvertSettings
from facegraft.core.post.color_stats import ColorStats
from facegraft.core.post.color_transfer import STATS_SAMPLES, linear_matrix

log = logging.getLogger(__name__)

_METHODS = ("off", "avg", "rct", "lct", "mkl")


def supports(settings: ConvertSettings, working: WorkingSpace) -> bool:
    """Whether `place_face_on_device` does all that `settings` asks for plates in `working`."""
    return (settings.blend == "alpha" and settings.sharpen == 0 and settings.grain == "off"
            and (settings.feather == 0 or settings.feather_mode == "gaussian") and settings.color_match in _METHODS
            and (settings.color_match == "off" or working.color is None))


def place_face_on_device(swapped: SwappedFace, plate: np.ndarray, rgb: tuple[int, int, int], *,
                         data_origin: tuple[int, int], settings: ConvertSettings, working: WorkingSpace,
                         device: torch.device, color_stats: tuple[ColorStats, ColorStats] | None = None,
                         where: str = "") -> Placed | None:
    """`composite.place_face` on `device` for settings `supports` accepts (ValueError otherwise)."""
    if not supports(settings, working):
        raise ValueError("these convert settings need the CPU path (composite.place_face)")
    margin = abs(settings.erode) + int(np.ceil(settings.feather)) + 2
    box = roi_box(swapped.crop, plate.shape[:2], data_origin, margin)
    if box is None:
        return None
    face = _warp(_upload(swapped.face, device), swapped.crop, box, data_origin, border="border")
    matte = _warp(_upload(crop_mask(swapped, settings.mask)[..., None], device), swapped.crop, box, data_origin,
                  border="zeros").clamp_(0.0, 1.0)
    if settings.erode:
        matte = _grow(matte, -settings.erode)
    if settings.feather > 0:
        matte = _gaussian(matte, settings.feather / 2).clamp_(max=1.0)
    matte_np = matte[0].cpu().numpy()
    skip = skipped_ops(matte_np, settings, has_stats=color_stats is not None)
    for op, why in skip.items():
        log.warning("%sface %d: %s skipped, %s", f"{where} " if where else "", swapped.face_id, op, why)
    if settings.color_match != "off" and "color match" not in skip and (matte_np > 0.5).any():
        region = plate[box[1]:box[3], box[0]:box[2]][..., list(rgb)]
        face = _match_color(face, _upload(region, device), matte[0], settings, working, color_stats)
    return Placed(box, face.permute(1, 2, 0).contiguous().cpu().numpy(), matte_np)


def _upload(image: np.ndarray, device: torch.device) -> torch.Tensor:
    """(H, W, C) numpy → (C, H, W) float32 on `device` (page-locked first on CUDA: an asynchronous copy)."""
    host = torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1), np.float32))
    if device.type == "cuda":
        host = host.pin_memory()
    return host.to(device, non_blocking=True)


def _area_matrix(source: int, size: int) -> np.ndarray:
    """(size, source) weights of OpenCV's INTER_AREA downscale along one axis: each output pixel
    averages the source pixels it covers, by the length of their overlap."""
    scale = source / size
    start = np.arange(size)[:, None] * scale
    j = np.arange(source)[None, :]
    overlap = np.minimum(start + scale, j + 1) - np.maximum(start, j)
    return np.maximum(overlap, 0.0) / scale


def _warp(image: torch.Tensor, crop: FaceCrop, box: tuple[int, int, int, int], data_origin: tuple[int, int], *,
          border: str) -> torch.Tensor:
    """`composite.warp_to_plate` with torch: (C, S, S) → (C, h, w), bilinear; area-filtered first when the
    crop is denser than the plate; `border` "border" (edge repeated) or "zeros"."""
    if crop.scale >= ANTIALIAS_SCALE:
        size = max(8, int(round(crop.size / crop.scale)))
        area = torch.from_numpy(_area_matrix(crop.size, size).astype(np.float32)).to(image.device)
        image = area @ image @ area.T
        crop = resized_crop(crop, size)
    paste = crop.paste_matrix()  # crop pixel centres → frame pixel centres (OpenCV's convention)
    paste[:, 2] -= np.array([box[0] + data_origin[0], box[1] + data_origin[1]], np.float64)
    back = np.linalg.inv(np.vstack([paste, [0.0, 0.0, 1.0]]))[:2]  # box pixel → crop pixel
    side = image.shape[-1]
    # grid_sample with align_corners=True puts -1 and +1 on the centres of the first and last pixel
    to_unit = np.array([[2 / (side - 1), 0, -1], [0, 2 / (side - 1), -1]]) @ np.vstack([back, [0, 0, 1]])
    h, w = box[3] - box[1], box[2] - box[0]
    ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float32, device=image.device),
                            torch.arange(w, dtype=torch.float32, device=image.device), indexing="ij")
    m = torch.from_numpy(to_unit.astype(np.float32)).to(image.device)
    grid = torch.stack([m[0, 0] * xs + m[0, 1] * ys + m[0, 2], m[1, 0] * xs + m[1, 1] * ys + m[1, 2]], dim=-1)
    return F.grid_sample(image[None], grid[None], mode="bilinear", padding_mode=border, align_corners=True)[0]


def _grow(matte: torch.Tensor, pixels: int) -> torch.Tensor:
    """`post.matte.grow_matte` on a (1, h, w) matte: alternating 3x3 square and cross max (dilate,
    pixels > 0) or min (erode) steps, the edge pixel repeated beyond the array."""
    sign = 1.0 if pixels > 0 else -1.0
    x = sign * matte[None]
    for i in range(abs(pixels)):
        padded = F.pad(x, (1, 1, 1, 1), mode="replicate")
        if i % 2 == 0:
            x = F.max_pool2d(padded, 3, stride=1)
        else:
            x = torch.maximum(torch.maximum(padded[..., 1:-1, 1:-1], padded[..., :-2, 1:-1]),
                              torch.maximum(torch.maximum(padded[..., 2:, 1:-1], padded[..., 1:-1, :-2]),
                                            padded[..., 1:-1, 2:]))
    return sign * x[0]


def _gaussian(matte: torch.Tensor, sigma: float) -> torch.Tensor:
    """`post.filters.gaussian_blur` (OpenCV's kernel, truncated at 4 sigma, edge repeated) of a (1, h, w) matte."""
    size = 2 * int(4.0 * sigma + 0.5) + 1
    kernel = torch.from_numpy(cv2.getGaussianKernel(size, sigma, cv2.CV_32F)[:, 0].copy()).to(matte.device)
    r = size // 2
    x = F.pad(matte[None], (r, r, r, r), mode="replicate")
    x = F.conv2d(x, kernel.view(1, 1, 1, size))
    return F.conv2d(x, kernel.view(1, 1, size, 1))[0]


def _cbrt(x: torch.Tensor) -> torch.Tensor:
    return torch.sign(x) * x.abs().pow(1.0 / 3.0)


def _times(x: torch.Tensor, matrix: np.ndarray) -> torch.Tensor:
    """(3, N) → matrix @ x, in float32 on x's device."""
    return torch.from_numpy(np.asarray(matrix, np.float32)).to(x.device) @ x


def _match_color(face: torch.Tensor, plate: torch.Tensor, matte: torch.Tensor, settings: ConvertSettings,
                 working: WorkingSpace, stats: tuple[ColorStats, ColorStats] | None) -> torch.Tensor:
    """`post.color_transfer` of a linear method in OKLab, `apply_to="matte"`, for a working space that
    is the config's scene-linear one: (3, h, w) face and plate, (h, w) matte."""
    flat_face, flat_plate = face.reshape(3, -1), plate.reshape(3, -1)
    if stats is None:
        index = torch.nonzero(matte.reshape(-1) > 0.5)[:, 0]
        index = index[::-(-len(index) // STATS_SAMPLES)]  # every k-th in scan order, as `masked_samples`
        weights = matte.reshape(-1)[index].double()
        source, target = (_mean_cov(_oklab(x[:, index], working), weights) for x in (flat_face, flat_plate))
    else:
        source, target = ((s.mean_array, s.cov_array) for s in stats)
    matrix = linear_matrix(settings.color_match, source[1], target[1])
    offset = target[0] - source[0] @ matrix.T
    cone = _cbrt(_times(flat_face, working.to_lms))
    moved = _times(cone, LAB_TO_LMS @ matrix @ LMS_TO_LAB) + torch.from_numpy(
        (LAB_TO_LMS @ offset).astype(np.float32)).to(face.device)[:, None]
    rgb = _times(moved * moved * moved, np.linalg.inv(working.to_lms))
    if settings.color_amount != 1:
        rgb = flat_face + settings.color_amount * (rgb - flat_face)
    return torch.where(matte.reshape(1, -1) > 0, rgb, flat_face).reshape(face.shape)


def _oklab(rgb: torch.Tensor, working: WorkingSpace) -> torch.Tensor:
    """(3, N) scene-linear RGB → (3, N) OKLab, float32."""
    return _times(_cbrt(_times(rgb, working.to_lms)), LMS_TO_LAB)


def _mean_cov(samples: torch.Tensor, weights: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Weighted mean (3,) and covariance (3, 3), float64 numpy, of (3, N) samples."""
    w = weights / weights.sum()
    x = samples.double()
    mean = x @ w
    centred = (x - mean[:, None]) * w.sqrt()
    return mean.cpu().numpy(), (centred @ centred.T).cpu().numpy()
