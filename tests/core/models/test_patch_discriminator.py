"""The patch discriminator: its logit grid, the square each logit sees, spectral normalisation."""
import pytest
import torch

from facegraft.core.models.patch_discriminator import (PatchDiscriminator, patch_grid, receptive_field,
                                                       stages_for)


@pytest.mark.parametrize(("size", "stages", "field"), [(64, 1, 16), (128, 2, 34), (256, 3, 70), (512, 4, 142)])
def test_grid_and_receptive_field_scale_with_the_crop(size, stages, field) -> None:
    assert stages_for(size) == stages and receptive_field(stages) == field
    assert patch_grid(size, stages) == 30  # a 30x30 grid of patches from 64 px up, as pix2pix's at 256


@pytest.mark.parametrize("size", [64, 128])
def test_output_shape(size) -> None:
    d = PatchDiscriminator(size, width=8)
    out = d(torch.rand(3, 3, size, size))
    assert out.shape == (3, 1, 30, 30) and out.dtype == torch.float32


@pytest.mark.parametrize(("size", "stages"), [(64, 1), (64, 2)])
def test_a_logit_sees_exactly_its_receptive_field(size, stages) -> None:
    """The gradient of one interior logit w.r.t. the input is non-zero on a square of
    `receptive_field(stages)` px and zero outside it (the formula agrees with the network)."""
    torch.manual_seed(0)
    d = PatchDiscriminator(size, width=8, stages=stages)
    x = torch.rand(1, 3, size, size, requires_grad=True)
    out = d(x)
    g = out.shape[-1] // 2
    out[0, 0, g, g].backward()
    rows = torch.nonzero(x.grad.abs().sum(dim=(0, 1)).sum(dim=1))
    cols = torch.nonzero(x.grad.abs().sum(dim=(0, 1)).sum(dim=0))
    assert int(rows.max() - rows.min()) + 1 == receptive_field(stages)
    assert int(cols.max() - cols.min()) + 1 == receptive_field(stages)


def test_spectral_norm_keeps_each_layer_near_one() -> None:
    torch.manual_seed(0)
    d = PatchDiscriminator(64, width=8)
    for _ in range(30):  # power iterations run in train-mode forwards
        d(torch.rand(2, 3, 64, 64))
    convs = [*d.body, d.out]
    for conv in convs:
        sigma = torch.linalg.matrix_norm(conv.weight.detach().flatten(1), ord=2)
        raw = torch.linalg.matrix_norm(conv.parametrizations.weight.original.detach().flatten(1), ord=2)
        assert float(sigma) == pytest.approx(1.0, rel=0.05)
        assert abs(float(raw) - 1.0) > 0.05  # the control: the unnormalised weight is not at 1


def test_too_many_stages_for_the_crop() -> None:
    with pytest.raises(ValueError, match="too small"):
        PatchDiscriminator(32, stages=4)
