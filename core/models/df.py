"""The "DF" layout: a shared encoder and bottleneck, one decoder per identity."""
import torch

from facegraft.core.models.config import ModelConfig
from facegraft.core.models.expression import EMBEDDING_DIMS, ExpressionEmbedding, ExpressionHead, conditioning
from facegraft.core.models.layers import Bottleneck, Decoder, Encoder
from facegraft.core.models.network import Reconstruction, SwapNetwork, faces_and_masks
from facegraft.core.models.registry import register_architecture


class DF(SwapNetwork):
    """encoder → bottleneck (shared) → decoder_a | decoder_b; with `config.expression`, an expression
    head on the encoder's features and the expression joined to the bottleneck's code. See
    `SwapNetwork` for tensor contracts."""

    PER_PAIR_PARTS = ("bottleneck",)

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        lowest = config.resolution // 16
        self.encoder = Encoder(config.encoder_width)
        features = self.encoder.out_channels * lowest * lowest
        channels = config.decoder_width * 8
        self.bottleneck = Bottleneck(features, config.bottleneck_dims, lowest, channels,
                                     extra_features=EMBEDDING_DIMS if config.expression else 0)
        if config.expression:
            self.expression_head = ExpressionHead(features)
            self.expression_embedding = ExpressionEmbedding()
        self.decoder_a = Decoder(channels, config.decoder_width, config.decoder_depth)
        self.decoder_b = Decoder(channels, config.decoder_width, config.decoder_depth)

    def _code(self, x: torch.Tensor, measured: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The decoders' input for faces `x` and the predicted expression (None when unconditioned)."""
        features = self.encoder(x)
        if not self.config.expression:
            return self.bottleneck(features), None
        predicted = self.expression_head(features)
        embedded = self.expression_embedding(conditioning(measured, predicted))
        return self.bottleneck(features, embedded), predicted

    def forward(self, a: torch.Tensor, b: torch.Tensor, expression_a: torch.Tensor | None = None,
                expression_b: torch.Tensor | None = None) -> Reconstruction:
        measured = None if expression_a is None or expression_b is None else torch.cat([expression_a, expression_b])
        code, predicted = self._code(torch.cat([a, b]), measured)
        n = a.shape[0]
        learn = self.config.learn_mask
        return Reconstruction(*faces_and_masks(self.decoder_a(code[:n]), learn_mask=learn),
                              *faces_and_masks(self.decoder_b(code[n:]), learn_mask=learn),
                              *((None, None) if predicted is None else (predicted[:n], predicted[n:])))

    def swap(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        code, _ = self._code(x, None)
        return faces_and_masks(self.decoder_a(code), learn_mask=self.config.learn_mask)


@register_architecture("df")
def build_df(config: ModelConfig) -> DF:
    """The DF layout for `config`."""
    return DF(config)
