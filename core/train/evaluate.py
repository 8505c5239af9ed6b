"""Held-out quality and preview grids. Tensors (B, C, S, S) in the crop encoding, [0, 1]."""
from pathlib import Path

import cv2
import numpy as np
import torch

from facegraft.core.media.atomic import atomic_write_path
from facegraft.core.models.network import SwapNetwork
from facegraft.core.train.losses import ssim_map


def _rgb(planes: torch.Tensor, device: torch.device) -> torch.Tensor:
    return planes[:, :3].float().to(device)


def masked_ssim(x: torch.Tensor, y: torch.Tensor, mask: torch.Tensor, *, window_size: int = 11) -> torch.Tensor:
    """Mask-weighted mean of the SSIM map of the unmasked images: (B,) float.

    Args: x, y (B, C, S, S) in [0, 1]; mask (B, 1, S, S) in [0, 1], the weight of each pixel's SSIM.
    The SSIM map is computed on the images as they are (never multiplied by the mask: matching
    zeros outside a mask would score as perfect) and averaged over the mask only.
    """
    ssim = ssim_map(x, y, window_size=window_size).mean(dim=1, keepdim=True)
    k = window_size // 2
    weight = mask[..., k:mask.shape[-2] - k, k:mask.shape[-1] - k]
    return (ssim * weight).sum(dim=(1, 2, 3)) / weight.sum(dim=(1, 2, 3)).clamp_min(1e-6)


@torch.no_grad()
def holdout_quality(network: SwapNetwork, holdout_a: torch.Tensor, holdout_b: torch.Tensor) -> dict[str, float]:
    """Face-region SSIM and PSNR (dB, peak 1) of A→A and B→B reconstructions of held-out planes
    (N, 6, S, S): SSIM is `masked_ssim`, PSNR uses the mask-weighted mean squared error; both are
    averaged over faces."""
    was_training = network.training
    network.eval()
    device = next(network.parameters()).device
    a, b = _rgb(holdout_a, device), _rgb(holdout_b, device)
    fa, _, fb, _, *_ = network(a, b)
    network.train(was_training)
    out = {}
    for side, x, y, planes in (("a", fa.float(), a, holdout_a), ("b", fb.float(), b, holdout_b)):
        m = planes[:, 3:4].float().to(device)
        mse = (((x - y) ** 2) * m).sum(dim=(1, 2, 3)) / (m.sum(dim=(1, 2, 3)) * 3).clamp_min(1e-6)
        out[f"ssim_{side}"] = float(masked_ssim(x, y, m).mean())
        out[f"psnr_{side}"] = float((10 * torch.log10(1.0 / mse.clamp_min(1e-10))).mean())
    return out


@torch.no_grad()
def preview_grid(network: SwapNetwork, faces_a: torch.Tensor, faces_b: torch.Tensor) -> np.ndarray:
    """Rows of [A, A→A, B, B→B, B→A] for planes (N, 6, S, S): (N*S, 5*S, 3) uint8 sRGB-encoded RGB.

    Each output face is shown over its input through the predicted mask, as convert would place it.
    """
    was_training = network.training
    network.eval()
    device = next(network.parameters()).device
    n = min(len(faces_a), len(faces_b))
    a, b = _rgb(faces_a[:n], device), _rgb(faces_b[:n], device)
    fa, ma, fb, mb, *_ = network(a, b)
    swapped, ms = network.swap(b)
    network.train(was_training)

    def over(face: torch.Tensor, mask: torch.Tensor, plate: torch.Tensor) -> torch.Tensor:
        return face.float() * mask.float() + plate * (1 - mask.float())

    columns = [a, over(fa, ma, a), b, over(fb, mb, b), over(swapped, ms, b)]
    grid = torch.cat([torch.cat(list(c), dim=1) for c in columns], dim=2)  # (3, n*S, 5*S)
    return (grid.clamp(0, 1) * 255 + 0.5).to(torch.uint8).permute(1, 2, 0).cpu().numpy()


def write_preview(path: Path, grid_rgb: np.ndarray) -> None:
    """Write an RGB uint8 grid as PNG atomically."""
    with atomic_write_path(path) as tmp:
        cv2.imwrite(str(tmp), np.ascontiguousarray(grid_rgb[..., ::-1]))
