"""The "DF" layout: a shared encoder and bottleneck, one decoder per identity."""
import torch

from facegraft.core.models.config import ModelConfig
from facegraft.core.models.layers import Bottleneck, Decoder, Encoder
from facegraft.core.models.network import SwapNetwork, faces_and_masks
from facegraft.core.models.registry import register_architecture


class DF(SwapNetwork):
    """encoder → bottleneck (shared) → decoder_a | decoder_b. See `SwapNetwork` for tensor contracts."""

    PER_PAIR_PARTS = ("bottleneck",)

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        lowest = config.resolution // 16
        self.encoder = Encoder(config.encoder_width)
        channels = config.decoder_width * 8
        self.bottleneck = Bottleneck(self.encoder.out_channels * lowest * lowest, config.bottleneck_dims,
                                     lowest, channels)
        self.decoder_a = Decoder(channels, config.decoder_width, config.decoder_depth)
        self.decoder_b = Decoder(channels, config.decoder_width, config.decoder_depth)

    def forward(self, a: torch.Tensor, b: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        code = self.bottleneck(self.encoder(torch.cat([a, b])))
        code_a, code_b = code[: a.shape[0]], code[a.shape[0]:]
        learn = self.config.learn_mask
        return (*faces_and_masks(self.decoder_a(code_a), learn_mask=learn),
                *faces_and_masks(self.decoder_b(code_b), learn_mask=learn))

    def swap(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        code = self.bottleneck(self.encoder(x))
        return faces_and_masks(self.decoder_a(code), learn_mask=self.config.learn_mask)


@register_architecture("df")
def build_df(config: ModelConfig) -> DF:
    """The DF layout for `config`."""
    return DF(config)
