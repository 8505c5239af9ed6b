"""Lab conversion and masked color-statistics transfer."""
import pytest
import torch

from facegraft.core.models.encoding import lab_to_srgb as lab_to_rgb, srgb_eotf, srgb_oetf, srgb_to_lab as rgb_to_lab
from facegraft.core.train.color_transfer import _masked_stats, match_color_stats


def test_srgb_round_trip_and_known_values() -> None:
    x = torch.linspace(0, 1, 101, dtype=torch.float64)
    assert torch.allclose(srgb_oetf(srgb_eotf(x)), x, atol=1e-12)
    assert float(srgb_eotf(torch.tensor(0.5, dtype=torch.float64))) == pytest.approx(0.214041, abs=1e-6)


def test_lab_known_values() -> None:
    white = torch.ones(1, 3, 1, 1, dtype=torch.float64)
    assert torch.allclose(rgb_to_lab(white).flatten(), torch.tensor([100.0, 0, 0], dtype=torch.float64), atol=1e-3)
    red = torch.tensor([1.0, 0, 0], dtype=torch.float64).view(1, 3, 1, 1)
    expected = torch.tensor([53.24, 80.09, 67.20], dtype=torch.float64)
    assert torch.allclose(rgb_to_lab(red).flatten(), expected, atol=0.05)


def test_lab_round_trip() -> None:
    torch.manual_seed(0)
    x = torch.rand(2, 3, 8, 8, dtype=torch.float64)
    assert torch.allclose(lab_to_rgb(rgb_to_lab(x)), x, atol=1e-6)
    last = x.permute(0, 2, 3, 1)  # channels last: the same numbers
    assert torch.allclose(rgb_to_lab(last, dim=-1), rgb_to_lab(x).permute(0, 2, 3, 1), atol=1e-12)


def test_lab_agrees_with_opencv() -> None:
    """An independent reference: OpenCV's float sRGB -> Lab (it tabulates the sRGB curve: within 0.3)."""
    import cv2
    import numpy as np

    rgb = np.random.default_rng(1).random((16, 16, 3), dtype=np.float32)
    ours = rgb_to_lab(torch.from_numpy(rgb), dim=-1).numpy()
    assert np.abs(ours - cv2.cvtColor(rgb, cv2.COLOR_RGB2Lab)).max() < 0.5
    assert np.abs(ours - cv2.cvtColor(rgb, cv2.COLOR_LRGB2Lab)).max() > 5  # control: no sRGB decode is far off


def test_transfer_matches_masked_statistics() -> None:
    torch.manual_seed(0)
    src = torch.rand(2, 3, 16, 16) * 0.3 + 0.1
    ref = torch.rand(2, 3, 16, 16) * 0.3 + 0.5
    mask = torch.zeros(2, 1, 16, 16)
    mask[..., 4:12, 4:12] = 1
    out, twin = match_color_stats([src, src.clone()], mask, ref, mask)
    assert torch.equal(out, twin)
    got_mean, got_std = _masked_stats(rgb_to_lab(out), mask)
    ref_mean, ref_std = _masked_stats(rgb_to_lab(ref), mask)
    assert torch.allclose(got_mean, ref_mean, atol=0.5)
    assert torch.allclose(got_std, ref_std, atol=0.5)
    assert float(out.min()) >= 0 and float(out.max()) <= 1
