"""The "DF" layout: a shared encoder and bottleneck, one decoder per identity.

"df-ud" is DeepFaceLab's "-ud" variant of it: the encoder's features are pixel-normalised before
the dense code ("u"), and the decoders run at half the output size, ending in a sub-pixel (pixel
shuffle) 2x output ("d"): the dense map is S/32 instead of S/16. Resolution must then be a
multiple of 32.
"""
import torch

from facegraft.core.models.config import ModelConfig
from facegraft.core.models.layers import Bottleneck, Decoder, Encoder, check_ud_resolution
from facegraft.core.models.network import SwapNetwork, faces_and_masks
from facegraft.core.models.registry import register_architecture


class DF(SwapNetwork):
    """encoder → bottleneck (shared) → decoder_a | decoder_b. See `SwapNetwork` for tensor contracts."""

    PER_PAIR_PARTS = ("bottleneck",)

    def __init__(self, config: ModelConfig, *, ud: bool = False) -> None:
        super().__init__()
        self.config = config
        check_ud_resolution(config, ud)
        lowest = config.resolution // 16
        self.encoder = Encoder(config.encoder_width)
        channels = config.decoder_width * 8
        self.bottleneck = Bottleneck(self.encoder.out_channels * lowest * lowest, config.bottleneck_dims,
                                     lowest // 2 if ud else lowest, channels, normalize=ud)
        self.decoder_a = Decoder(channels, config.decoder_width, config.decoder_depth, subpixel=ud)
        self.decoder_b = Decoder(channels, config.decoder_width, config.decoder_depth, subpixel=ud)

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


@register_architecture("df-ud")
def build_df_ud(config: ModelConfig) -> DF:
    """The DF layout with DeepFaceLab's "-ud" options (see the module docstring)."""
    return DF(config, ud=True)
