"""Expression conditioning (`ModelConfig.expression`): the code carries the face's expression
explicitly, so the swap opens, widens and smiles A's mouth (and shuts A's eyes) as the plate does.

Without it, an expression must travel through the shared code as a by-product of reconstruction;
in a short run it does not, and decoder A paints A's most common mouth whatever the plate does.
With it, an `ExpressionHead` reads the expression code (`face_geometry.expression_code`: mouth
opening, mouth width, smile and eye opening, normalised; (B, E), E = `EXPRESSION_DIMS`) from the
encoder's features of any face, and the dense code is built from the features and that
expression (`Bottleneck(extra_features=...)`). In training the measured code of each target face
is fed in (teacher forcing: the decoder learns what an open mouth looks like for its identity from
a clean signal) and the head learns to predict it (loss term `LossSettings.expression_weight`); in
a swap the head's prediction on the plate's face is fed in, so the conditioning needs nothing but
the crop (convert, farm and host exports unchanged).
"""
import torch
from torch import nn
from torch.nn import functional as F

from facegraft.core.align.face_geometry import EXPRESSION_MEASURES
from facegraft.core.models.layers import NEGATIVE_SLOPE

EXPRESSION_DIMS = len(EXPRESSION_MEASURES)  # face_geometry.expression_code
EMBEDDING_DIMS = 32  # the expression's width next to the dense code
_HIDDEN = 64


class ExpressionHead(nn.Module):
    """Encoder features (B, F) → predicted expression code (B, EXPRESSION_DIMS)."""

    def __init__(self, in_features: int) -> None:
        super().__init__()
        self.hidden = nn.Linear(in_features, _HIDDEN)
        self.out = nn.Linear(_HIDDEN, EXPRESSION_DIMS)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.out(F.leaky_relu(self.hidden(features), NEGATIVE_SLOPE))


class ExpressionEmbedding(nn.Module):
    """Expression code (B, EXPRESSION_DIMS) → (B, EMBEDDING_DIMS) features joined to the dense code."""

    def __init__(self) -> None:
        super().__init__()
        self.dense = nn.Linear(EXPRESSION_DIMS, EMBEDDING_DIMS)

    def forward(self, code: torch.Tensor) -> torch.Tensor:
        return F.leaky_relu(self.dense(code), NEGATIVE_SLOPE)


def conditioning(measured: torch.Tensor | None, predicted: torch.Tensor) -> torch.Tensor:
    """The expression fed to the code: the `measured` code (B, EXPRESSION_DIMS) where it is finite (training),
    else the head's `predicted` one (swaps; faces without landmarks)."""
    if measured is None:
        return predicted
    measured = measured.to(predicted.dtype)
    return torch.where(torch.isfinite(measured), measured, predicted)
