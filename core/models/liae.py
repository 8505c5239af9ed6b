"""The "LIAE" layout: a shared encoder, two intermediate codes (AB and B), one decoder.

A face's code is cat(inter_ab(e), inter_ab(e)) for A, cat(inter_b(e), inter_ab(e)) for B; the
swap decodes a B face with A's recipe, cat(inter_ab(e), inter_ab(e)). With `config.expression`,
the expression (see `core.models.expression`) joins both intermediate codes.
"""
import torch

from facegraft.core.models.config import ModelConfig
from facegraft.core.models.expression import EMBEDDING_DIMS, ExpressionEmbedding, ExpressionHead, conditioning
from facegraft.core.models.layers import Bottleneck, Decoder, Encoder
from facegraft.core.models.network import Reconstruction, SwapNetwork, faces_and_masks
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
        extra = EMBEDDING_DIMS if config.expression else 0
        self.inter_ab = Bottleneck(features, config.bottleneck_dims, lowest, channels, extra_features=extra)
        self.inter_b = Bottleneck(features, config.bottleneck_dims, lowest, channels, extra_features=extra)
        if config.expression:
            self.expression_head = ExpressionHead(features)
            self.expression_embedding = ExpressionEmbedding()
        self.decoder = Decoder(channels * 2, config.decoder_width, config.decoder_depth)

    def _features(self, x: torch.Tensor, measured: torch.Tensor | None
                  ) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
        """Encoder features, the embedded expression fed to the codes and the predicted one (None, None
        when unconditioned)."""
        features = self.encoder(x)
        if not self.config.expression:
            return features, None, None
        predicted = self.expression_head(features)
        return features, self.expression_embedding(conditioning(measured, predicted)), predicted

    def forward(self, a: torch.Tensor, b: torch.Tensor, expression_a: torch.Tensor | None = None,
                expression_b: torch.Tensor | None = None) -> Reconstruction:
        n = a.shape[0]
        measured = None if expression_a is None or expression_b is None else torch.cat([expression_a, expression_b])
        e, embedded, predicted = self._features(torch.cat([a, b]), measured)
        ab = self.inter_ab(e, embedded)
        code_a = torch.cat([ab[:n], ab[:n]], 1)
        code_b = torch.cat([self.inter_b(e[n:], None if embedded is None else embedded[n:]), ab[n:]], 1)
        faces, masks = faces_and_masks(self.decoder(torch.cat([code_a, code_b])),
                                       learn_mask=self.config.learn_mask)
        return Reconstruction(faces[:n], masks[:n], faces[n:], masks[n:],
                              *((None, None) if predicted is None else (predicted[:n], predicted[n:])))

    def swap(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        e, embedded, _ = self._features(x, None)
        ab = self.inter_ab(e, embedded)
        return faces_and_masks(self.decoder(torch.cat([ab, ab], 1)), learn_mask=self.config.learn_mask)


@register_architecture("liae")
def build_liae(config: ModelConfig) -> LIAE:
    """The LIAE layout for `config`."""
    return LIAE(config)
