"""The crop encoding's transfer function, on tensors: sRGB (IEC 61966-2-1) encode and decode, and
CIE Lab of crop-encoded pixels.

Networks see and draw faces sRGB OETF-encoded Rec.709 in [0, 1] (`ModelConfig.color_encoding`);
training's color statistics and the host export convert to and from linear light with these.
The curves work on any shape and dtype and are TorchScript-compatible. `srgb_to_lab`/`lab_to_srgb`
are the tree's one CIE Lab (training's color augmentation, the pair check's skin tone); scene-linear
plate work uses OKLab instead (`facegraft.core.color.perceptual`).
"""
import torch

# Linear Rec.709 -> CIE XYZ (D65), the D65 white, and the CIE Lab constants (CIE 15:2004, exact ratios).
REC709_TO_XYZ = ((0.4124564, 0.3575761, 0.1804375),
                 (0.2126729, 0.7151522, 0.0721750),
                 (0.0193339, 0.1191920, 0.9503041))
D65_WHITE = (0.95047, 1.0, 1.08883)
_LAB_EPS = 216 / 24389
_LAB_KAPPA = 24389 / 27


def srgb_oetf(x: torch.Tensor) -> torch.Tensor:
    """Linear → sRGB-encoded, for x >= 0 (values below are treated as 0 by the curve's linear part)."""
    return torch.where(x <= 0.0031308, x * 12.92, 1.055 * torch.clamp(x, min=0.0031308) ** (1.0 / 2.4) - 0.055)


def srgb_eotf(x: torch.Tensor) -> torch.Tensor:
    """sRGB-encoded → linear (inverse of `srgb_oetf`), for x in [0, 1]."""
    return torch.where(x <= 0.04045, x / 12.92, ((torch.clamp(x, min=0.04045) + 0.055) / 1.055) ** 2.4)


def srgb_to_lab(rgb: torch.Tensor, *, dim: int = -3) -> torch.Tensor:
    """sRGB-encoded Rec.709 in [0, 1] (clamped) → CIE Lab (D65), L in [0, 100]; channels along `dim`
    (-3 for (B, 3, H, W), -1 for (H, W, 3)). Same shape and dtype."""
    linear = srgb_eotf(rgb.clamp(0, 1)).movedim(dim, -1)
    xyz = linear @ torch.tensor(REC709_TO_XYZ, dtype=rgb.dtype, device=rgb.device).T
    t = xyz / torch.tensor(D65_WHITE, dtype=rgb.dtype, device=rgb.device)
    f = torch.where(t > _LAB_EPS, t.clamp_min(_LAB_EPS) ** (1 / 3), (_LAB_KAPPA * t + 16) / 116)
    lab = torch.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], -1)
    return lab.movedim(-1, dim)


def lab_to_srgb(lab: torch.Tensor, *, dim: int = -3) -> torch.Tensor:
    """Inverse of `srgb_to_lab`; the result is clipped to [0, 1] (the crop encoding's range)."""
    lab = lab.movedim(dim, -1)
    fy = (lab[..., 0] + 16) / 116
    f = torch.stack([fy + lab[..., 1] / 500, fy, fy - lab[..., 2] / 200], -1)
    t = torch.where(f ** 3 > _LAB_EPS, f ** 3, (116 * f - 16) / _LAB_KAPPA)
    xyz = t * torch.tensor(D65_WHITE, dtype=lab.dtype, device=lab.device)
    to_rgb = torch.linalg.inv(torch.tensor(REC709_TO_XYZ, dtype=torch.float64)).to(lab.dtype).to(lab.device)
    return srgb_oetf((xyz @ to_rgb.T).clamp_min(0)).clamp(0, 1).movedim(-1, dim)
