"""The "LIAE" layout: a shared encoder, two intermediate codes (AB and B), one decoder.

A face's code is cat(inter_ab(e), inter_ab(e)) for A, cat(inter_b(e), inter_ab(e)) for B; the
swap decodes a B face with A's recipe, cat(inter_ab(e), inter_ab(e)).
"""
import torch

from facegraft.core.models.config import ModelConfig
from facegraft.core.models.layers import Bottleneck, Decoder, Encoder
from facegraft.core.models.network import SwapNetwork, faces_and_masks
from facegraft.core.models.registry import register_architecture


class LIAE(SwapNetwork):
    """encoder → inter_ab, inter_b → one decoder. See `SwapNetwork` for tensor contracts."""

    PER_PAIR_PARTS = ("inter_ab", "inter_b")

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        lowest = config.resolution // 16
        self.encoder = Encoder(config.encoder_width)
        features = self.encoder.out_channels * lowest * lowest
        channels = config.decoder_width * 4
        self.inter_ab = Bottleneck(features, config.bottleneck_dims, lowest, channels)
        self.inter_b = Bottleneck(features, config.bottleneck_dims, lowest, channels)
        self.decoder = Decoder(channels * 2, config.decoder_width, config.decoder_depth)

    def forward(self, a: torch.Tensor, b: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        n = a.shape[0]
        e = self.encoder(torch.cat([a, b]))
        ab = self.inter_ab(e)
        code_a = torch.cat([ab[:n], ab[:n]], 1)
        code_b = torch.cat([self.inter_b(e[n:]), ab[n:]], 1)
        faces, masks = faces_and_masks(self.decoder(torch.cat([code_a, code_b])),
                                       learn_mask=self.config.learn_mask)
        return faces[:n], masks[:n], faces[n:], masks[n:]

    def swap(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        ab = self.inter_ab(self.encoder(x))
        return faces_and_masks(self.decoder(torch.cat([ab, ab], 1)), learn_mask=self.config.learn_mask)


@register_architecture("liae")
def build_liae(config: ModelConfig) -> LIAE:
    """The LIAE layout for `config`."""
    return LIAE(config)
