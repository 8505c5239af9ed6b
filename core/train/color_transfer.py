"""Training-time color statistics transfer (Reinhard, in CIE Lab: `core.models.encoding`) on (B, 3, H, W) tensors.

Input and output RGB are in the crop encoding: sRGB OETF-encoded Rec.709 (D65), [0, 1]. Statistics
are weighted by the masks (never by multiplying zeros into the mean).
"""
import torch

from facegraft.core.models.encoding import lab_to_srgb, srgb_to_lab


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
    src_mean, src_std = _masked_stats(srgb_to_lab(images[0]), source_mask)
    ref_mean, ref_std = _masked_stats(srgb_to_lab(reference), reference_mask)
    scale = ref_std / src_std
    return [lab_to_srgb((srgb_to_lab(x) - src_mean) * scale + ref_mean) for x in images]
