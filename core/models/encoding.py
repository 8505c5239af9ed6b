"""The crop encoding's transfer function, on tensors: sRGB (IEC 61966-2-1) encode and decode.

Networks see and draw faces sRGB OETF-encoded Rec.709 in [0, 1] (`ModelConfig.color_encoding`);
training's color statistics and the host export convert to and from linear light with these.
Both work on any shape and dtype and are TorchScript-compatible.
"""
import torch


def srgb_oetf(x: torch.Tensor) -> torch.Tensor:
    """Linear → sRGB-encoded, for x >= 0 (values below are treated as 0 by the curve's linear part)."""
    return torch.where(x <= 0.0031308, x * 12.92, 1.055 * torch.clamp(x, min=0.0031308) ** (1.0 / 2.4) - 0.055)


def srgb_eotf(x: torch.Tensor) -> torch.Tensor:
    """sRGB-encoded → linear (inverse of `srgb_oetf`), for x in [0, 1]."""
    return torch.where(x <= 0.04045, x / 12.92, ((torch.clamp(x, min=0.04045) + 0.055) / 1.055) ** 2.4)
