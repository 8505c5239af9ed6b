"""Augmentation: identity settings, clean targets, determinism."""
import torch

from facegraft.core.train.augment import AugmentSettings, affine_grids, jitter_color, sample, warp_offsets

OFF = AugmentSettings(rotation_degrees=0, scale=0, translation=0, flip=False, warp=0, color=0, color_transfer=0)


def test_identity_grid_reproduces_input() -> None:
    x = torch.rand(2, 6, 32, 32)
    grid = affine_grids(2, 32, OFF, torch.Generator().manual_seed(0))
    assert torch.allclose(sample(x, grid), x, atol=1e-5)


def test_flip_only() -> None:
    x = torch.rand(64, 1, 8, 8)
    settings = AugmentSettings(rotation_degrees=0, scale=0, translation=0, flip=True)
    out = sample(x, affine_grids(64, 8, settings, torch.Generator().manual_seed(1)))
    flipped = [torch.allclose(o, xi.flip(-1), atol=1e-5) for o, xi in zip(out, x)]
    kept = [torch.allclose(o, xi, atol=1e-5) for o, xi in zip(out, x)]
    assert all(f or k for f, k in zip(flipped, kept)) and any(flipped) and any(kept)


def test_warp_is_smooth_and_fixed_at_borders() -> None:
    offsets = warp_offsets(4, 32, AugmentSettings(), torch.Generator().manual_seed(0))
    assert offsets.shape == (4, 32, 32, 2)
    assert float(offsets[:, 0].abs().max()) < 1e-6 and float(offsets[:, :, -1].abs().max()) < 1e-6
    assert float(offsets.abs().max()) > 0.01
    assert float((offsets[:, 1:] - offsets[:, :-1]).abs().max()) < 2 / 32  # under a pixel per pixel: no folds


def test_seeded_draws_repeat() -> None:
    a = affine_grids(3, 16, AugmentSettings(), torch.Generator().manual_seed(5))
    b = affine_grids(3, 16, AugmentSettings(), torch.Generator().manual_seed(5))
    c = affine_grids(3, 16, AugmentSettings(), torch.Generator().manual_seed(6))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_color_jitter_same_change_for_each_image() -> None:
    x = torch.rand(3, 3, 8, 8) * 0.5 + 0.25
    out, twin = jitter_color([x, x.clone()], 0.2, torch.Generator().manual_seed(0))
    assert torch.equal(out, twin) and not torch.allclose(out, x)
    assert float(out.min()) >= 0 and float(out.max()) <= 1
