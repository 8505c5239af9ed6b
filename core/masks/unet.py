"""A small U-Net that segments the visible face of an aligned crop (face minus whatever covers it).

Input (B, 4, R, R) float32: the crop in the face set's encoding (sRGB-encoded Rec.709, [0, 1]),
then the face's landmark hull (the prior, [0, 1]), resized to the network's working resolution R
(a multiple of 2 ** (len(channels) - 1)); output (B, 1, R, R) logits (sigmoid → probability that
the pixel is visible face). The prior says where the face is; the pixels say what covers it and
where its edge really runs. With the default widths it holds about 0.23 M parameters.
"""
import torch
from torch import nn
from torch.nn import functional as F

DEFAULT_CHANNELS = (16, 32, 48, 64)


def _block(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True),
                         nn.Conv2d(c_out, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True))


IN_CHANNELS = 4  # R, G, B, hull prior


class SegmentUNet(nn.Module):
    """Encoder of `channels` widths (each level halves the size), a bottleneck, a mirrored decoder
    with skip connections, and a 1x1 head giving one logit per pixel."""

    def __init__(self, channels: tuple[int, ...] = DEFAULT_CHANNELS) -> None:
        super().__init__()
        if len(channels) < 2 or min(channels) < 1:
            raise ValueError(f"channels must hold at least two positive widths, got {channels}")
        self.channels = tuple(channels)
        self.down = nn.ModuleList()
        c_in = IN_CHANNELS
        for c in channels[:-1]:
            self.down.append(_block(c_in, c))
            c_in = c
        self.bottom = _block(c_in, channels[-1])
        self.up = nn.ModuleList()
        c_below = channels[-1]
        for c in reversed(channels[:-1]):
            self.up.append(_block(c_below + c, c))
            c_below = c
        self.head = nn.Conv2d(channels[0], 1, 1)

    @property
    def multiple(self) -> int:
        """Input sides must be a multiple of this."""
        return 2 ** (len(self.channels) - 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 4, R, R) float in [0, 1] (RGB, prior) → (B, 1, R, R) logits."""
        if x.ndim != 4 or x.shape[1] != IN_CHANNELS or x.shape[2] % self.multiple or x.shape[3] % self.multiple:
            raise ValueError(f"input must be (B, {IN_CHANNELS}, R, R) with R a multiple of {self.multiple}, "
                             f"got {tuple(x.shape)}")
        skips = []
        h = x * 2.0 - 1.0
        for block in self.down:
            h = block(h)
            skips.append(h)
            h = F.max_pool2d(h, 2)
        h = self.bottom(h)
        for block, skip in zip(self.up, reversed(skips)):
            h = F.interpolate(h, scale_factor=2.0, mode="bilinear", align_corners=False)
            h = block(torch.cat([h, skip], dim=1))
        return self.head(h)
