"""`SwapNetwork`: the interface every layout implements.

Tensors are (B, C, S, S) float in the crop encoding (sRGB-encoded Rec.709, [0, 1]) at the
model's resolution S. Outputs: faces (B, 3, S, S) and masks (B, 1, S, S), both in [0, 1].
"""
from typing import NamedTuple

import torch
from torch import nn

from facegraft.core.models.config import ModelConfig


class Reconstruction(NamedTuple):
    """`SwapNetwork.forward`'s result: faces (B, 3, S, S) and masks (B, 1, S, S) in [0, 1] of each
    identity, and the expression codes (B, E) its head predicted (None without `config.expression`)."""

    faces_a: torch.Tensor
    masks_a: torch.Tensor
    faces_b: torch.Tensor
    masks_b: torch.Tensor
    expression_a: torch.Tensor | None = None
    expression_b: torch.Tensor | None = None


def faces_and_masks(logits: torch.Tensor, *, learn_mask: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """Split decoder logits (B, 4, S, S) into faces (B, 3, S, S) and masks (B, 1, S, S) in [0, 1]."""
    faces = torch.sigmoid(logits[:, :3])
    masks = torch.sigmoid(logits[:, 3:4]) if learn_mask else torch.ones_like(logits[:, 3:4])
    return faces, masks


class SwapNetwork(nn.Module):
    """Base of the layouts. `forward` reconstructs both identities in one pass (one DDP call)."""

    config: ModelConfig
    # Submodules re-initialised when a pair starts from a pretrained base (`train.base`).
    PER_PAIR_PARTS: tuple[str, ...] = ()

    def forward(self, a: torch.Tensor, b: torch.Tensor, expression_a: torch.Tensor | None = None,
                expression_b: torch.Tensor | None = None) -> Reconstruction:
        """A faces through decoder A, B faces through decoder B.

        Args: a (Ba, 3, S, S), b (Bb, 3, S, S): crop encoding, [0, 1]. expression_a, expression_b:
            the faces' measured expression codes (B, E) (`face_geometry.expression_code`; NaN rows
            unknown), fed to an expression-conditioned code in place of the head's prediction;
            ignored by a network without `config.expression`.
        """
        raise NotImplementedError

    def swap(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Decoder A on the code of B faces: x (B, 3, S, S) → (faces (B, 3, S, S), masks (B, 1, S, S))."""
        raise NotImplementedError
