"""Reconstruction losses on (B, C, H, W) tensors in the crop encoding ([0, 1]).

Structural (DSSIM: multi-scale or two window sizes at high resolution) + pixel (L1 or MSE) + mask
(MSE) + optional Laplacian-pyramid L1 (detail), restricted to the target's face mask and weighted
up on eyes and mouth by per-pixel weight maps. All functions are differentiable and work in float32
and float64.
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


def _weighted_mean(values: torch.Tensor, weights: torch.Tensor | None) -> torch.Tensor:
    """Mean of (B, C, h, w) `values`, weighted by (B, 1, H, W) `weights` centre-cropped to h x w."""
    if weights is None:
        return values.mean()
    dy, dx = (weights.shape[-2] - values.shape[-2]) // 2, (weights.shape[-1] - values.shape[-1]) // 2
    w = weights[..., dy: dy + values.shape[-2], dx: dx + values.shape[-1]]
    return (values * w).sum() / (w.sum() * values.shape[1]).clamp_min(1e-8)


def dssim(x: torch.Tensor, y: torch.Tensor, *, window_size: int = 11, sigma: float = 1.5,
          weights: torch.Tensor | None = None) -> torch.Tensor:
    """Structural dissimilarity (1 - mean SSIM) / 2, a scalar in [0, 1]; the mean is weighted by
    `weights` (B, 1, H, W) >= 0 when given (centre-cropped to the SSIM map's 'valid' size)."""
    return (1.0 - _weighted_mean(ssim_map(x, y, window_size=window_size, sigma=sigma), weights)) / 2.0


def two_kernel_windows(resolution: int) -> tuple[int, int]:
    """DeepFaceLab's two SSIM window sizes for `resolution` px: odd sizes near res/11.6 and res/23.2
    (at least 3). Each is used with a Gaussian sigma of 1.5 * size / 11 (DeepFaceLab keeps 1.5,
    which makes the larger window nearly the same filter as the smaller one)."""
    def odd(v: float) -> int:
        return max(3, 2 * int(round((v - 1) / 2)) + 1)  # the nearest odd size
    return odd(resolution / 11.6), odd(resolution / 23.2)


def two_kernel_dssim(x: torch.Tensor, y: torch.Tensor, *, weights: torch.Tensor | None = None) -> torch.Tensor:
    """Mean of `dssim` at the two `two_kernel_windows` of the image size."""
    sizes = two_kernel_windows(x.shape[-1])
    return sum(dssim(x, y, window_size=k, sigma=1.5 * k / 11, weights=weights) for k in sizes) / len(sizes)


def laplacian_l1(x: torch.Tensor, y: torch.Tensor, *, levels: int = 3,
                 weights: torch.Tensor | None = None) -> torch.Tensor:
    """Mean L1 between the `levels` finest Laplacian-pyramid bands of (B, C, H, W) `x` and `y`
    (band = image - upsampled 2x average-pooled image), weighted by `weights` (B, 1, H, W) pooled
    alongside. The sum over levels of each band's weighted mean."""
    total = x.new_zeros(())
    for _ in range(levels):
        if min(x.shape[-2:]) < 2:
            break
        x_low, y_low = F.avg_pool2d(x, 2), F.avg_pool2d(y, 2)
        band_x = x - F.interpolate(x_low, size=x.shape[-2:], mode="bilinear", align_corners=False)
        band_y = y - F.interpolate(y_low, size=y.shape[-2:], mode="bilinear", align_corners=False)
        total = total + _weighted_mean((band_x - band_y).abs(), weights)
        x, y = x_low, y_low
        weights = None if weights is None else F.avg_pool2d(weights, 2)
    return total


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


def weighted_pixel_loss(x: torch.Tensor, y: torch.Tensor, weights: torch.Tensor, *, kind: str,
                        area: torch.Tensor | None = None) -> torch.Tensor:
    """Sum of |x-y| ("l1") or (x-y)^2 ("mse") weighted by `weights` (B, 1, H, W) >= 0, over the
    sum of `area` (B, 1, H, W; default `weights`) times the channels: with the face mask as area,
    extra weight on eyes and mouth adds to the face's loss instead of diluting it."""
    diff = (x - y).abs() if kind == "l1" else (x - y) ** 2
    norm = weights if area is None else area
    return (diff * weights).sum() / (norm.sum() * x.shape[1]).clamp_min(1e-8)


def reconstruction_loss(faces: torch.Tensor, masks: torch.Tensor, targets: torch.Tensor,
                        target_masks: torch.Tensor, regions: torch.Tensor, *,
                        settings: LossSettings) -> dict[str, torch.Tensor]:
    """The training loss of one identity.

    Args:
        faces: (B, 3, S, S) predicted, [0, 1]. masks: (B, 1, S, S) predicted mask, [0, 1].
        targets: (B, 3, S, S) clean target crops, [0, 1]. target_masks: (B, 1, S, S) in [0, 1].
        regions: (B, 2, S, S) eye and mouth maps in [0, 1] (landmark hulls).
        settings: term weights.
    Returns: dict with "total", "dssim", "pixel", "mask", "laplacian" scalars (the total is the
    weighted sum; "laplacian" is 0 when its weight is 0).
    """
    if settings.masked:
        m = target_masks
        faces_m, targets_m = faces * m, targets * m
    else:
        m = torch.ones_like(target_masks)
        faces_m, targets_m = faces, targets
    priority = (1.0 + (settings.eyes_weight - 1.0) * regions[:, 0:1] + (settings.mouth_weight - 1.0) * regions[:, 1:2])
    region_weights = priority if settings.regions_structural else None
    if faces.shape[-1] < settings.multiscale_from:
        structural = dssim(faces_m, targets_m, weights=region_weights)
    elif settings.structural == "two_kernel":
        structural = two_kernel_dssim(faces_m, targets_m, weights=region_weights)
    else:
        structural = multiscale_dssim(faces_m, targets_m)
    pixel = weighted_pixel_loss(faces, targets, m * priority, kind=settings.pixel, area=m)
    mask = F.mse_loss(masks, target_masks)
    total = settings.dssim_weight * structural + settings.pixel_weight * pixel + settings.mask_weight * mask
    laplacian = torch.zeros_like(total)
    if settings.laplacian_weight > 0:
        laplacian = laplacian_l1(faces_m, targets_m, levels=settings.laplacian_levels, weights=priority)
        total = total + settings.laplacian_weight * laplacian
    return {"total": total, "dssim": structural, "pixel": pixel, "mask": mask, "laplacian": laplacian}


def expression_loss(predicted: torch.Tensor, measured: torch.Tensor) -> torch.Tensor:
    """Mean squared error of the expression head's codes (B, E) against the measured ones (B, E),
    over the finite measured entries (0 when there are none)."""
    known = torch.isfinite(measured)
    if not bool(known.any()):
        return predicted.sum() * 0.0  # keeps the head in the graph
    return ((predicted.float() - torch.where(known, measured, 0.0)) ** 2)[known].mean()
