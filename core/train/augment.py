"""Batched, seeded augmentation of (B, C, S, S) planes on the CPU or GPU.

Geometry is a sampling grid for `torch.nn.functional.grid_sample` (normalised coordinates,
align_corners=False: -1 and 1 are the outer edges of the border pixels). Every random draw comes
from the `torch.Generator` passed in, so a batch is a pure function of its seed.
"""
import math

import torch
from torch.nn import functional as F

from facegraft.core.train.settings import AugmentSettings


def affine_grids(n: int, size: int, settings: AugmentSettings, gen: torch.Generator) -> torch.Tensor:
    """Random similarity (+ optional horizontal flip) sampling grids, (n, S, S, 2) float32."""
    def uniform(amount: float) -> torch.Tensor:
        return (torch.rand(n, generator=gen) * 2 - 1) * amount

    angle = uniform(math.radians(settings.rotation_degrees))
    scale = 1.0 + uniform(settings.scale)
    tx, ty = uniform(2 * settings.translation), uniform(2 * settings.translation)
    flip = torch.where(torch.rand(n, generator=gen) < 0.5, -1.0, 1.0) if settings.flip else torch.ones(n)
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos * flip, -sin, tx], 1), torch.stack([sin * flip, cos, ty], 1)], 1)
    return F.affine_grid(theta, [n, 1, size, size], align_corners=False)


def warp_offsets(n: int, size: int, settings: AugmentSettings, gen: torch.Generator) -> torch.Tensor:
    """Smooth random displacement (n, S, S, 2) in normalised units; borders stay fixed."""
    cells = settings.warp_cells
    std = 0.24 * 2.0 / (cells - 1) * settings.warp
    coarse = torch.randn(n, 2, cells, cells, generator=gen) * std
    coarse[:, :, [0, -1], :] = 0
    coarse[:, :, :, [0, -1]] = 0
    dense = F.interpolate(coarse, size=(size, size), mode="bicubic", align_corners=True)
    return dense.permute(0, 2, 3, 1)


def sample(planes: torch.Tensor, grid: torch.Tensor) -> torch.Tensor:
    """Bilinear resampling of (B, C, S, S) at `grid` (B, S, S, 2); edges repeat."""
    return F.grid_sample(planes, grid, mode="bilinear", padding_mode="border", align_corners=False)


def jitter_color(images: list[torch.Tensor], amount: float, gen: torch.Generator) -> list[torch.Tensor]:
    """The same random brightness, contrast and saturation change per sample applied to each
    (B, 3, S, S) image of `images` (crop encoding); results clipped to [0, 1]."""
    n = images[0].shape[0]
    def draw() -> torch.Tensor:
        return (1.0 + (torch.rand(n, 1, 1, 1, generator=gen) * 2 - 1) * amount).to(images[0].dtype)

    brightness, contrast, saturation = draw(), draw(), draw()
    out = []
    for x in images:
        luma = (0.2126 * x[:, 0:1] + 0.7152 * x[:, 1:2] + 0.0722 * x[:, 2:3])
        x = luma + (x - luma) * saturation
        mean = x.mean(dim=(1, 2, 3), keepdim=True)
        x = (mean + (x - mean) * contrast) * brightness
        out.append(x.clamp(0, 1))
    return out
