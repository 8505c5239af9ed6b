"""faceswap's "original" model, ported as the baseline every recipe is measured against.

The layout of faceswap's `plugins/train/model/original.py` (64 px): a shared encoder of four 5x5
stride-2 convolutions (128, 256, 512, 1024 channels), a dense 1024 code, a dense 4x4x1024 map
and one pixel-shuffle upscale to 512; one decoder per identity with three pixel-shuffle upscales
(256, 128, 64) and a 5x5 output convolution to RGB, sigmoid. Leaky ReLU 0.1 throughout. It has
no learned mask (faceswap masks with landmark hulls), so the swap's mask is 1 and convert uses
its landmark matte. The widths are the peer's and do not follow `ModelConfig`'s width fields;
the resolution may differ from 64 (the dense layers scale with it).
"""
import torch
from torch import nn

from facegraft.core.errors import ModelMismatchError
from facegraft.core.models.config import ModelConfig
from facegraft.core.models.network import Reconstruction, SwapNetwork, faces_and_masks
from facegraft.core.models.registry import register_architecture


def _down(cin: int, cout: int) -> nn.Module:
    return nn.Sequential(nn.Conv2d(cin, cout, 5, 2, 2), nn.LeakyReLU(0.1))


def _up(cin: int, cout: int) -> nn.Module:
    return nn.Sequential(nn.Conv2d(cin, cout * 4, 3, 1, 1), nn.LeakyReLU(0.1), nn.PixelShuffle(2))


class Original(SwapNetwork):
    """encoder (shared) → decoder_a | decoder_b. See `SwapNetwork` for tensor contracts."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        lowest = config.resolution // 16
        self.encoder = nn.Sequential(_down(3, 128), _down(128, 256), _down(256, 512), _down(512, 1024), nn.Flatten(),
                                     nn.Linear(lowest * lowest * 1024, 1024), nn.Linear(1024, lowest * lowest * 1024),
                                     nn.Unflatten(1, (1024, lowest, lowest)), _up(1024, 512))
        self.decoder_a, self.decoder_b = (
            nn.Sequential(_up(512, 256), _up(256, 128), _up(128, 64), nn.Conv2d(64, 4, 5, 1, 2)) for _ in range(2))

    def forward(self, a: torch.Tensor, b: torch.Tensor, expression_a: torch.Tensor | None = None,
                expression_b: torch.Tensor | None = None) -> Reconstruction:
        code = self.encoder(torch.cat([a, b]))
        n = a.shape[0]
        return Reconstruction(*faces_and_masks(self.decoder_a(code[:n]), learn_mask=False),
                              *faces_and_masks(self.decoder_b(code[n:]), learn_mask=False))

    def swap(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return faces_and_masks(self.decoder_a(self.encoder(x)), learn_mask=False)


@register_architecture("original")
def build_original(config: ModelConfig) -> Original:
    """faceswap's original layout (the config's widths are ignored; see the module docstring).
    Raises ModelMismatchError for `config.expression`: the peer has no expression conditioning."""
    if config.expression:
        raise ModelMismatchError("the original (faceswap) layout has no expression conditioning; "
                                 "train it with --no-expression, or pick df or liae")
    return Original(config)
