"""A pix2pix-style PatchGAN discriminator with spectral normalisation, scaled to the crop size.

Training-only: it is never part of a model folder's `model.safetensors` (convert and exports do
not see it); `core.train.adversarial` owns it during training and checkpoints it beside the
optimiser state.

Layout (pix2pix's `NLayerDiscriminator`, batch norm replaced by spectral norm for stability, as
in SN-GAN): `stages` 4x4 stride-2 convolutions (widths w, 2w, 4w, ... capped at 8w), one 4x4
stride-1 convolution, and a 4x4 stride-1 convolution to one logit per patch; leaky ReLU 0.2.
With padding 1 an S-px crop gives an (S / 2^stages - 2)^2 grid of logits, and each logit sees a
`receptive_field(stages)`-px square: 16 px for 1 stage, 34 for 2, 70 for 3 (pix2pix's "70x70"),
142 for 4. `stages_for(S)` keeps that square near 70/256 of the crop (a 30x30 grid from 64 px up).
"""
import math

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils.parametrizations import spectral_norm

NEGATIVE_SLOPE = 0.2
KERNEL = 4


def stages_for(resolution: int) -> int:
    """Strided stages for an S-px crop: log2(S / 32), at least 1 (64 px: 1, 128: 2, 256: 3, 512: 4)."""
    return max(1, round(math.log2(resolution / 32)))


def receptive_field(stages: int) -> int:
    """Side in px of the input square one output logit depends on (kernel 4; `stages` stride-2
    convolutions, then two stride-1 ones)."""
    field, jump = 1, 1
    for stride in [2] * stages + [1, 1]:
        field += (KERNEL - 1) * jump
        jump *= stride
    return field


def patch_grid(resolution: int, stages: int) -> int:
    """Side of the logit grid for an S-px input: S / 2^stages - 2."""
    return resolution // 2 ** stages - 2


class PatchDiscriminator(nn.Module):
    """(B, 3, S, S) images in the crop encoding, [0, 1] (face-masked) → (B, 1, G, G) logits, one per
    overlapping patch (`patch_grid`); a positive logit means "looks like a real target crop"."""

    def __init__(self, resolution: int, *, width: int = 16, stages: int | None = None) -> None:
        super().__init__()
        self.resolution = resolution
        self.stages = stages_for(resolution) if stages is None else stages
        if patch_grid(resolution, self.stages) < 1:
            raise ValueError(f"{resolution}px is too small for {self.stages} discriminator stages")
        layers: list[nn.Module] = []
        cin = 3
        for i in range(self.stages):
            cout = width * min(2 ** i, 8)
            layers.append(spectral_norm(nn.Conv2d(cin, cout, KERNEL, stride=2, padding=1)))
            cin = cout
        cout = width * min(2 ** self.stages, 8)
        layers.append(spectral_norm(nn.Conv2d(cin, cout, KERNEL, stride=1, padding=1)))
        self.body = nn.ModuleList(layers)
        self.out = spectral_norm(nn.Conv2d(cout, 1, KERNEL, stride=1, padding=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for conv in self.body:
            x = F.leaky_relu(conv(x), NEGATIVE_SLOPE)
        return self.out(x)
