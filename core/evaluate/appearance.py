"""What a face looks like, measured on pixels: detail, skin color, and the seam at the matte's edge.

Images here are OKLab `(H, W, 3)` float32 (`facegraft.core.color.perceptual.to_oklab`), so
lightness L is perceptual and color distances do not depend on the plate's working space.
Regions come from the plate face's 68 landmarks and the swap's matte, in frame pixels
(x right, y down, origin at the top-left corner of the top-left pixel).

- Detail: band-pass energy of L (difference of Gaussians, sigmas `DETAIL_SIGMAS` pixels) inside
  the face, measured at a face scale capped at `DETAIL_IOD` pixels between the outer eye corners
  (bigger faces are area-downscaled first), so grain and sensor noise of large plates do not
  count as facial detail, and the same face at any plate size measures alike.
- Skin color: ΔE (OKLab × 100) between the median colors of swap and plate over the skin (the
  face inside the matte minus eyes, brows and mouth).
- Seam: mean squared gradient of L where the matte goes from 0 to 1 (its transition, at least the
  pixels either side of its 0.5 edge) and the plate is smooth, swap over plate: 1 where the edge
  adds nothing, > 1 for a visible seam (a hard edge between mismatched colors concentrates there).
"""
from dataclasses import dataclass

import cv2
import numpy as np

from facegraft.core.align.face_geometry import REGIONS, interocular
from facegraft.core.color.perceptual import DELTA_E_SCALE
from facegraft.core.masks.landmark import hull_mask

DETAIL_SIGMAS = (0.5, 2.0)
DETAIL_IOD = 100.0
_FEATURES = ("eyes", "brows", "mouth")


@dataclass(frozen=True)
class FaceRegions:
    """Boolean (H, W) masks of one face on the frame's pixel grid.

    inner: face hull ∩ matte > 0.5, eroded by interocular/16 (where detail is measured).
    skin: inner minus dilated eyes, brows and mouth. ring: the matte's transition (0.02 < matte
    < 0.98) and its 0.5 edge, grown by one pixel: where a seam would show. scale: the factor that
    brings this face to `DETAIL_IOD` (≤ 1).
    """

    inner: np.ndarray
    skin: np.ndarray
    ring: np.ndarray
    scale: float


def _disk(radius: int) -> np.ndarray:
    r = max(1, int(round(radius)))
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))


def face_regions(landmarks: np.ndarray, matte: np.ndarray) -> FaceRegions:
    """The measuring regions of the face with `landmarks` (68, 2) frame px under `matte` (H, W) in [0, 1]."""
    shape = matte.shape[:2]
    iod = float(interocular(landmarks))
    hull = (hull_mask(landmarks, shape) >= 0.5).astype(np.uint8)
    solid = (np.asarray(matte) > 0.5).astype(np.uint8)
    inner = cv2.erode(hull & solid, _disk(iod / 16))
    eyes, brows, mouth = (list(REGIONS[name]) for name in _FEATURES)
    parts = (eyes[:6], eyes[6:], brows[:5], brows[5:], mouth)  # each eye and brow its own hull
    features = np.max([hull_mask(landmarks[p], shape) for p in parts], axis=0) >= 0.5
    features = cv2.dilate(features.astype(np.uint8), _disk(iod / 12))
    skin = inner & (1 - features)
    m = np.asarray(matte, np.float32)
    edge = cv2.dilate(solid, _disk(1)) & (1 - cv2.erode(solid, _disk(1)))
    ring = cv2.dilate(((m > 0.02) & (m < 0.98)).astype(np.uint8) | edge, _disk(1))
    return FaceRegions(inner.astype(bool), skin.astype(bool), ring.astype(bool),
                       min(1.0, DETAIL_IOD / max(iod, 1e-6)))


def band_energy(lightness: np.ndarray, mask: np.ndarray, *, scale: float = 1.0) -> float:
    """Mean squared band-pass (DoG `DETAIL_SIGMAS`) response of `lightness` (H, W) over `mask` (H, W)
    bool, after resizing both by `scale` (area filter when < 1). NaN when the mask is empty."""
    light = np.asarray(lightness, np.float32)
    weight = np.asarray(mask, np.float32)
    if scale != 1.0:
        size = (max(1, round(light.shape[1] * scale)), max(1, round(light.shape[0] * scale)))
        interpolation = cv2.INTER_AREA if scale < 1.0 else cv2.INTER_CUBIC
        light = cv2.resize(light, size, interpolation=interpolation)
        weight = cv2.resize(weight, size, interpolation=cv2.INTER_AREA)
    weight = weight >= 0.999  # only pixels whole inside the region
    if not weight.any():
        return float("nan")
    fine = cv2.GaussianBlur(light, (0, 0), DETAIL_SIGMAS[0], borderType=cv2.BORDER_REFLECT)
    coarse = cv2.GaussianBlur(light, (0, 0), DETAIL_SIGMAS[1], borderType=cv2.BORDER_REFLECT)
    band = (fine - coarse)[weight]
    return float(np.mean(band.astype(np.float64) ** 2))


def skin_delta_e(swap_lab: np.ndarray, plate_lab: np.ndarray, skin: np.ndarray) -> float:
    """ΔE (OKLab × `DELTA_E_SCALE`) between the per-channel median colors of the two images
    (H, W, 3) over `skin` (H, W) bool; NaN when the mask is empty."""
    if not np.any(skin):
        return float("nan")
    a = np.median(np.asarray(swap_lab)[skin], axis=0)
    b = np.median(np.asarray(plate_lab)[skin], axis=0)
    return float(np.linalg.norm(a.astype(np.float64) - b) * DELTA_E_SCALE)


def _gradient_squared(lightness: np.ndarray) -> np.ndarray:
    light = np.asarray(lightness, np.float32)
    gx = cv2.Sobel(light, cv2.CV_32F, 1, 0, ksize=3, scale=0.125, borderType=cv2.BORDER_REFLECT)
    gy = cv2.Sobel(light, cv2.CV_32F, 0, 1, ksize=3, scale=0.125, borderType=cv2.BORDER_REFLECT)
    return gx * gx + gy * gy


def seam_ratio(swap_lightness: np.ndarray, plate_lightness: np.ndarray, ring: np.ndarray, *,
               floor: float = 1e-7) -> float:
    """Seam visibility across the matte edge: the swap's mean squared gradient of lightness (H, W)
    over the plate's, on the pixels of `ring` (H, W) bool where the plate itself is smooth (its
    gradient at most the ring's median): a seam shows where the plate has no edge of its own,
    and natural contours near the edge would otherwise drown it. 1 where the composite adds no
    edge; NaN when the ring is empty."""
    if not np.any(ring):
        return float("nan")
    plate = _gradient_squared(plate_lightness)[ring]
    swap = _gradient_squared(swap_lightness)[ring]
    smooth = plate <= np.median(plate)
    return float(swap[smooth].astype(np.float64).mean() / max(float(plate[smooth].astype(np.float64).mean()), floor))
