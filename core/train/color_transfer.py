"""Training-time color statistics transfer (Reinhard, in CIE Lab) on (B, 3, H, W) tensors.

Input and output RGB are in the crop encoding: sRGB OETF-encoded Rec.709 (D65), [0, 1]. Statistics
are weighted by the masks (never by multiplying zeros into the mean).
"""
import torch

from facegraft.core.models.encoding import srgb_eotf, srgb_oetf

_RGB_TO_XYZ = torch.tensor([[0.4124564, 0.3575761, 0.1804375],
                            [0.2126729, 0.7151522, 0.0721750],
                            [0.0193339, 0.1191920, 0.9503041]], dtype=torch.float64)
_WHITE = torch.tensor([0.95047, 1.0, 1.08883], dtype=torch.float64)
_EPS = 216 / 24389
_KAPPA = 24389 / 27


def rgb_to_lab(rgb: torch.Tensor) -> torch.Tensor:
    """(B, 3, H, W) sRGB-encoded [0, 1] → CIE Lab (D65), L in [0, 100]."""
    m = _RGB_TO_XYZ.to(rgb.dtype).to(rgb.device)
    xyz = torch.einsum("ij,bjhw->bihw", m, srgb_eotf(rgb.clamp(0, 1)))
    t = xyz / _WHITE.to(rgb.dtype).to(rgb.device).view(1, 3, 1, 1)
    f = torch.where(t > _EPS, t.clamp_min(_EPS) ** (1 / 3), (_KAPPA * t + 16) / 116)
    return torch.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])], 1)


def lab_to_rgb(lab: torch.Tensor) -> torch.Tensor:
    """Inverse of `rgb_to_lab`; the result is clipped to [0, 1] (the crop encoding's range)."""
    fy = (lab[:, 0] + 16) / 116
    f = torch.stack([fy + lab[:, 1] / 500, fy, fy - lab[:, 2] / 200], 1)
    t = torch.where(f ** 3 > _EPS, f ** 3, (116 * f - 16) / _KAPPA)
    xyz = t * _WHITE.to(lab.dtype).to(lab.device).view(1, 3, 1, 1)
    m = torch.linalg.inv(_RGB_TO_XYZ).to(lab.dtype).to(lab.device)
    return srgb_oetf(torch.einsum("ij,bjhw->bihw", m, xyz).clamp_min(0)).clamp(0, 1)


def _masked_stats(x: torch.Tensor, w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    total = w.sum(dim=(2, 3), keepdim=True).clamp_min(1e-6)
    mean = (x * w).sum(dim=(2, 3), keepdim=True) / total
    var = (((x - mean) ** 2) * w).sum(dim=(2, 3), keepdim=True) / total
    return mean, var.clamp_min(1e-6).sqrt()


def match_color_stats(images: list[torch.Tensor], source_mask: torch.Tensor, reference: torch.Tensor,
                      reference_mask: torch.Tensor) -> list[torch.Tensor]:
    """Give each `images[k]` (B, 3, H, W) the Lab mean/std of `reference` (B, 3, H, W).

    The source statistics come from `images[0]` weighted by `source_mask` (B, 1, H, W); the same
    per-sample transfer is applied to every image in `images` (e.g. warped input and clean target).
    Returns new tensors, sRGB-encoded, [0, 1].
    """
    src_mean, src_std = _masked_stats(rgb_to_lab(images[0]), source_mask)
    ref_mean, ref_std = _masked_stats(rgb_to_lab(reference), reference_mask)
    scale = ref_std / src_std
    return [lab_to_rgb((rgb_to_lab(x) - src_mean) * scale + ref_mean) for x in images]
