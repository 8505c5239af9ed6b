"""Building blocks shared by the layouts. Tensors are (B, C, H, W) float; any memory format."""
import torch
from torch import nn
from torch.nn import functional as F

NEGATIVE_SLOPE = 0.1


class Down(nn.Module):
    """Strided 5x5 convolution + leaky ReLU: (B, Cin, H, W) → (B, Cout, H/2, W/2)."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 5, stride=2, padding=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.leaky_relu(self.conv(x), NEGATIVE_SLOPE)


class Up(nn.Module):
    """3x3 convolution to 4*Cout + leaky ReLU + pixel shuffle: (B, Cin, H, W) → (B, Cout, 2H, 2W)."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout * 4, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.pixel_shuffle(F.leaky_relu(self.conv(x), NEGATIVE_SLOPE), 2)


class Residual(nn.Module):
    """Two 3x3 convolutions with a skip: (B, C, H, W) → (B, C, H, W)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv2(F.leaky_relu(self.conv1(x), NEGATIVE_SLOPE))
        return F.leaky_relu(x + y, NEGATIVE_SLOPE)


class Encoder(nn.Module):
    """Four `Down` stages, widths w, 2w, 4w, 8w: (B, 3, S, S) → (B, 8w * (S/16)^2) flattened."""

    def __init__(self, width: int) -> None:
        super().__init__()
        widths = (3, width, width * 2, width * 4, width * 8)
        self.stages = nn.Sequential(*(Down(a, b) for a, b in zip(widths[:-1], widths[1:])))
        self.out_channels = widths[-1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.flatten(self.stages(x), 1)


class Bottleneck(nn.Module):
    """Dense code and back, then one `Up`: (B, Fin) → (B, Cout, S/8, S/8). With `extra_features`
    > 0, `extra` (B, extra_features) joins the dense code before it is expanded (conditioning)."""

    def __init__(self, in_features: int, dims: int, lowest: int, channels: int, *, extra_features: int = 0) -> None:
        super().__init__()
        self.lowest, self.channels = lowest, channels
        self.dense1 = nn.Linear(in_features, dims)
        self.dense2 = nn.Linear(dims + extra_features, lowest * lowest * channels)
        self.up = Up(channels, channels)

    def forward(self, x: torch.Tensor, extra: torch.Tensor | None = None) -> torch.Tensor:
        code = self.dense1(x)
        if extra is not None:
            code = torch.cat([code, extra.to(code.dtype)], 1)
        return self.up(self.dense2(code).view(-1, self.channels, self.lowest, self.lowest))


class Decoder(nn.Module):
    """Three `Up` stages (widths 4w, 2w, w), `depth` residual blocks after each, and a 3x3 output conv.

    (B, Cin, S/8, S/8) → (B, 4, S, S) logits: RGB in channels 0..2, mask in channel 3.
    """

    def __init__(self, cin: int, width: int, depth: int) -> None:
        super().__init__()
        blocks: list[nn.Module] = []
        for cout in (width * 4, width * 2, width):
            blocks.append(Up(cin, cout))
            blocks.extend(Residual(cout) for _ in range(depth))
            cin = cout
        self.blocks = nn.Sequential(*blocks)
        self.out = nn.Conv2d(cin, 4, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.blocks(x))
