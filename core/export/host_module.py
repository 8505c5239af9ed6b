"""`HostSwap`: the swap path as one tensor in, one tensor out, for compositing hosts.

Contract (Nuke Inference / CatFileCreator):
    in:  (1, C, H, W), C >= 3, channels 0..2 linear Rec.709 RGB (sRGB primaries, D65), unclipped;
         an aligned face crop (the convert step's crop, or a Nuke Transform from its matrix).
         A plate in another working space (e.g. ACEScg) needs an OCIOColorSpace node to
         "Linear Rec.709 (sRGB)" before, and the inverse after.
    out: (1, 4, H, W): RGB = decoder A's face, linear Rec.709; channel 3 = the face mask in [0, 1].
Inside, RGB is clipped to >= 0, sRGB OETF-encoded and clipped to [0, 1] (the crop encoding the
network was trained on), resized to the model resolution S and back when H, W differ from S.
New tensors follow the input's device; the computation runs in the module's dtype (follows
`.half()` / `.to()`), the output has the input's dtype.
"""
import torch
from torch import nn
from torch.nn import functional as F

from facegraft.core.models.encoding import srgb_eotf, srgb_oetf
from facegraft.core.models.network import SwapNetwork


class SwapOnly(nn.Module):
    """`network.swap` as `forward`, in the crop encoding: (B, 3, S, S) → ((B, 3, S, S), (B, 1, S, S))."""

    def __init__(self, network: SwapNetwork) -> None:
        super().__init__()
        self.network = network

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.network.swap(x)


class HostSwap(nn.Module):
    """See the module docstring. `swap` may be a traced `SwapOnly` (TorchScript) or eager."""

    def __init__(self, swap: nn.Module, resolution: int) -> None:
        super().__init__()
        self.swap = swap
        self.resolution = resolution
        self.register_buffer("dtype_probe", torch.zeros(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[2], x.shape[3]
        s = self.resolution
        crop = srgb_oetf(torch.clamp(x[:, :3].to(self.dtype_probe.dtype), min=0.0)).clamp(0.0, 1.0)
        resized = h != s or w != s
        if resized:
            crop = F.interpolate(crop, size=[s, s], mode="bilinear", align_corners=False)
        faces, masks = self.swap(crop)
        out = torch.cat([srgb_eotf(faces.clamp(0.0, 1.0)), masks], 1)
        if resized:
            out = F.interpolate(out, size=[h, w], mode="bilinear", align_corners=False)
        return out.to(x.dtype)
