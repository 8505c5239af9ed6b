"""Reconstruction losses on (B, C, H, W) tensors in the crop encoding ([0, 1]).

Structural (DSSIM, multi-scale at high resolution) + pixel (L1 or MSE) + mask (MSE), restricted
to the target's face mask and weighted up on eyes and mouth by per-pixel weight maps.
All functions are differentiable and work in float32 and float64.
"""
import torch
from torch.nn import functional as F

from facegraft.core.train.settings import LossSettings

_C1 = 0.01 ** 2
_C2 = 0.03 ** 2


def gaussian_window(size: int, sigma: float, *, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Normalised 1-D Gaussian of `size` taps, shape (size,)."""
    x = torch.arange(size, dtype=dtype) - (size - 1) / 2
    w = torch.exp(-(x * x) / (2 * sigma * sigma))
    return w / w.sum()


def _blur(x: torch.Tensor, window: torch.Tensor) -> torch.Tensor:
    """Separable depthwise 'valid' Gaussian blur of (B, C, H, W)."""
    c = x.shape[1]
    k = window.to(x.dtype)
    x = F.conv2d(x, k.view(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)
    return F.conv2d(x, k.view(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)


def ssim_map(x: torch.Tensor, y: torch.Tensor, *, window_size: int = 11, sigma: float = 1.5) -> torch.Tensor:
    """Per-pixel SSIM of (B, C, H, W) images in [0, 1]; returns (B, C, H-k+1, W-k+1)."""
    if x.shape != y.shape or x.ndim != 4:
        raise ValueError(f"x and y must be (B, C, H, W) of one shape, got {tuple(x.shape)} and {tuple(y.shape)}")
    window = gaussian_window(window_size, sigma, dtype=x.dtype).to(x.device)
    mx, my = _blur(x, window), _blur(y, window)
    sxx = _blur(x * x, window) - mx * mx
    syy = _blur(y * y, window) - my * my
    sxy = _blur(x * y, window) - mx * my
    return ((2 * mx * my + _C1) * (2 * sxy + _C2)) / ((mx * mx + my * my + _C1) * (sxx + syy + _C2))


def dssim(x: torch.Tensor, y: torch.Tensor, *, window_size: int = 11) -> torch.Tensor:
    """Structural dissimilarity (1 - mean SSIM) / 2, a scalar in [0, 1]."""
    return (1.0 - ssim_map(x, y, window_size=window_size).mean()) / 2.0


def multiscale_dssim(x: torch.Tensor, y: torch.Tensor, *, window_size: int = 11, scales: int = 3) -> torch.Tensor:
    """DSSIM averaged over `scales` 2x average-pooled scales (fewer when the image gets too small)."""
    total, used = x.new_zeros(()), 0
    for _ in range(scales):
        if min(x.shape[-2:]) < window_size:
            break
        total = total + dssim(x, y, window_size=window_size)
        used += 1
        x, y = F.avg_pool2d(x, 2), F.avg_pool2d(y, 2)
    if used == 0:
        raise ValueError(f"images {tuple(x.shape[-2:])} are smaller than the SSIM window {window_size}")
    return total / used


def weighted_pixel_loss(x: torch.Tensor, y: torch.Tensor, weights: torch.Tensor, *, kind: str) -> torch.Tensor:
    """Mean of |x-y| ("l1") or (x-y)^2 ("mse") weighted by `weights` (B, 1, H, W) >= 0."""
    diff = (x - y).abs() if kind == "l1" else (x - y) ** 2
    return (diff * weights).sum() / (weights.sum() * x.shape[1]).clamp_min(1e-8)


def reconstruction_loss(faces: torch.Tensor, masks: torch.Tensor, targets: torch.Tensor,
                        target_masks: torch.Tensor, regions: torch.Tensor, *,
                        settings: LossSettings) -> dict[str, torch.Tensor]:
    """The training loss of one identity.

    Args:
        faces: (B, 3, S, S) predicted, [0, 1]. masks: (B, 1, S, S) predicted mask, [0, 1].
        targets: (B, 3, S, S) clean target crops, [0, 1]. target_masks: (B, 1, S, S) in [0, 1].
        regions: (B, 2, S, S) eye and mouth maps in [0, 1] (landmark hulls).
        settings: term weights.
    Returns: dict with "total", "dssim", "pixel", "mask" scalars (the total is the weighted sum).
    """
    if settings.masked:
        m = target_masks
        faces_m, targets_m = faces * m, targets * m
    else:
        m = torch.ones_like(target_masks)
        faces_m, targets_m = faces, targets
    structural = (multiscale_dssim(faces_m, targets_m) if faces.shape[-1] >= settings.multiscale_from
                  else dssim(faces_m, targets_m))
    weights = m * (1.0 + (settings.eyes_weight - 1.0) * regions[:, 0:1]
                   + (settings.mouth_weight - 1.0) * regions[:, 1:2])
    pixel = weighted_pixel_loss(faces, targets, weights, kind=settings.pixel)
    mask = F.mse_loss(masks, target_masks)
    total = settings.dssim_weight * structural + settings.pixel_weight * pixel + settings.mask_weight * mask
    return {"total": total, "dssim": structural, "pixel": pixel, "mask": mask}
