"""Losses: known values, masking, gradients (float64 gradcheck)."""
import pytest
import torch

from facegraft.core.train.losses import (LossSettings, dssim, gaussian_window, laplacian_l1, multiscale_dssim,
                                         reconstruction_loss, ssim_map, two_kernel_dssim, two_kernel_windows,
                                         weighted_pixel_loss)


def test_gaussian_window_normalised() -> None:
    w = gaussian_window(11, 1.5)
    assert w.shape == (11,) and torch.isclose(w.sum(), torch.tensor(1.0)) and torch.argmax(w) == 5


def test_ssim_identical_is_one() -> None:
    x = torch.rand(2, 3, 32, 32)
    assert torch.allclose(ssim_map(x, x), torch.ones(1), atol=1e-5)
    assert float(dssim(x, x)) == pytest.approx(0.0, abs=1e-6)


def test_ssim_known_value_constant_images() -> None:
    # Constant images: variances vanish, SSIM = (2 mx my + C1) / (mx^2 + my^2 + C1).
    x, y = torch.full((1, 1, 16, 16), 0.5, dtype=torch.float64), torch.full((1, 1, 16, 16), 0.25, dtype=torch.float64)
    c1 = 0.01 ** 2
    expected = (2 * 0.5 * 0.25 + c1) / (0.25 + 0.0625 + c1)
    assert torch.allclose(ssim_map(x, y), torch.tensor(expected, dtype=torch.float64))


def test_ssim_shape_and_errors() -> None:
    assert ssim_map(torch.rand(2, 3, 20, 24), torch.rand(2, 3, 20, 24)).shape == (2, 3, 10, 14)
    with pytest.raises(ValueError):
        ssim_map(torch.rand(1, 3, 20, 20), torch.rand(1, 3, 20, 21))
    with pytest.raises(ValueError, match="smaller"):
        multiscale_dssim(torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 8))


def test_dssim_orders_noise() -> None:
    torch.manual_seed(0)
    x = torch.rand(1, 3, 64, 64)
    small, large = x + 0.02 * torch.randn_like(x), x + 0.2 * torch.randn_like(x)
    assert float(dssim(x, small)) < float(dssim(x, large))
    assert float(multiscale_dssim(x, small)) < float(multiscale_dssim(x, large))


def test_weighted_pixel_loss_known_values() -> None:
    x, y = torch.zeros(1, 3, 4, 4), torch.full((1, 3, 4, 4), 0.5)
    w = torch.zeros(1, 1, 4, 4)
    w[..., :2, :] = 1
    assert float(weighted_pixel_loss(x, y, w, kind="l1")) == pytest.approx(0.5)
    assert float(weighted_pixel_loss(x, y, w, kind="mse")) == pytest.approx(0.25)


def test_reconstruction_loss_ignores_outside_mask() -> None:
    torch.manual_seed(0)
    targets = torch.rand(2, 3, 32, 32)
    tmask = torch.zeros(2, 1, 32, 32)
    tmask[..., 8:24, 8:24] = 1
    faces = targets.clone()
    faces[..., :4, :] = 0  # wrong only outside the mask
    regions = torch.zeros(2, 2, 32, 32)
    out = reconstruction_loss(faces, tmask, targets, tmask, regions, settings=LossSettings())
    assert float(out["total"]) == pytest.approx(0.0, abs=1e-5)
    unmasked = reconstruction_loss(faces, tmask, targets, tmask, regions, settings=LossSettings(masked=False))
    assert float(unmasked["pixel"]) > 0.01


def test_eye_mouth_weights_raise_the_loss_there() -> None:
    targets = torch.zeros(1, 3, 16, 16)
    faces = targets.clone()
    faces[..., :8, :] = 0.5
    regions = torch.zeros(1, 2, 16, 16)
    regions[:, 0, :8, :] = 1  # eyes region where the error is
    ones = torch.ones(1, 1, 16, 16)
    plain = reconstruction_loss(faces, ones, targets, ones, regions, settings=LossSettings(eyes_weight=1.0))
    weighted = reconstruction_loss(faces, ones, targets, ones, regions, settings=LossSettings(eyes_weight=3.0))
    assert float(weighted["pixel"]) > float(plain["pixel"])


def test_loss_settings_validation() -> None:
    with pytest.raises(ValueError):
        LossSettings(pixel="huber")


def test_gradcheck_float64() -> None:
    torch.manual_seed(0)
    x = torch.rand(1, 2, 12, 12, dtype=torch.float64, requires_grad=True)
    y = torch.rand(1, 2, 12, 12, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda a: dssim(a, y, window_size=5), (x,))
    w = torch.rand(1, 1, 12, 12, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda a: weighted_pixel_loss(a, y, w, kind="mse"), (x,))
    f = torch.rand(1, 3, 16, 16, dtype=torch.float64, requires_grad=True)
    m = torch.rand(1, 1, 16, 16, dtype=torch.float64, requires_grad=True)
    t, tm, r = (torch.rand(1, 3, 16, 16, dtype=torch.float64), torch.rand(1, 1, 16, 16, dtype=torch.float64),
                torch.rand(1, 2, 16, 16, dtype=torch.float64))
    settings = LossSettings(pixel="mse")
    assert torch.autograd.gradcheck(lambda a, b: reconstruction_loss(a, b, t, tm, r, settings=settings)["total"],
                                    (f, m))


def test_two_kernel_windows_follow_resolution() -> None:
    assert two_kernel_windows(128) == (11, 5)
    assert two_kernel_windows(256) == (23, 11)
    assert two_kernel_windows(32) == (3, 3)
    x = torch.rand(1, 3, 128, 128)
    assert float(two_kernel_dssim(x, x)) == pytest.approx(0.0, abs=1e-6)
    assert float(two_kernel_dssim(x, x + 0.1 * torch.randn_like(x))) > 0.02


def test_region_weights_on_the_structural_term() -> None:
    """An error only inside the eyes counts for more when the SSIM map is weighted there too."""
    torch.manual_seed(0)
    targets = torch.rand(1, 3, 32, 32)
    faces = targets.clone()
    faces[..., 8:16, 8:24] = torch.rand(1, 3, 8, 16)
    regions = torch.zeros(1, 2, 32, 32)
    regions[:, 0, 8:16, 8:24] = 1
    ones = torch.ones(1, 1, 32, 32)
    common = dict(eyes_weight=10.0, multiscale_from=512)
    plain = reconstruction_loss(faces, ones, targets, ones, regions, settings=LossSettings(**common))
    prio = reconstruction_loss(faces, ones, targets, ones, regions,
                               settings=LossSettings(regions_structural=True, **common))
    assert float(prio["dssim"]) > 2 * float(plain["dssim"])
    assert float(prio["pixel"]) == pytest.approx(float(plain["pixel"]))


def test_pixel_priority_adds_to_the_face_loss() -> None:
    """Weight on the eyes adds to the loss there; an error elsewhere keeps its own weight."""
    targets = torch.zeros(1, 3, 16, 16)
    faces = targets.clone()
    faces[..., 8:, :] = 0.5  # error outside the eyes only
    regions = torch.zeros(1, 2, 16, 16)
    regions[:, 0, :8, :] = 1
    ones = torch.ones(1, 1, 16, 16)
    low = reconstruction_loss(faces, ones, targets, ones, regions, settings=LossSettings(eyes_weight=1.0))
    high = reconstruction_loss(faces, ones, targets, ones, regions, settings=LossSettings(eyes_weight=30.0))
    assert float(high["pixel"]) == pytest.approx(float(low["pixel"]))


def test_laplacian_l1_sees_lost_detail() -> None:
    torch.manual_seed(0)
    sharp = torch.rand(2, 3, 32, 32)
    blurred = torch.nn.functional.avg_pool2d(sharp, 3, stride=1, padding=1, count_include_pad=False)
    brighter = sharp + 0.05
    assert float(laplacian_l1(sharp, sharp)) == pytest.approx(0.0, abs=1e-7)
    assert float(laplacian_l1(blurred, sharp)) > 5 * float(laplacian_l1(brighter, sharp))  # detail, not offset
    out = reconstruction_loss(blurred, torch.ones(2, 1, 32, 32), sharp, torch.ones(2, 1, 32, 32),
                              torch.zeros(2, 2, 32, 32), settings=LossSettings(laplacian_weight=2.0))
    assert float(out["laplacian"]) > 0
    assert float(out["total"]) == pytest.approx(float(out["dssim"] + out["pixel"] + out["mask"] + 2 * out["laplacian"]),
                                                rel=1e-5)
    with pytest.raises(ValueError):
        LossSettings(structural="ms-ssim")


def test_gradcheck_new_terms_float64() -> None:
    torch.manual_seed(1)
    x = torch.rand(1, 2, 16, 16, dtype=torch.float64, requires_grad=True)
    y = torch.rand(1, 2, 16, 16, dtype=torch.float64)
    w = torch.rand(1, 1, 16, 16, dtype=torch.float64) + 0.5
    assert torch.autograd.gradcheck(lambda a: laplacian_l1(a, y, levels=2, weights=w), (x,))
    assert torch.autograd.gradcheck(lambda a: dssim(a, y, window_size=5, weights=w), (x,))
