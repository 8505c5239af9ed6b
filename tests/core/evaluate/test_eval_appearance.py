"""Detail, skin color and seam measures on synthetic faces with known answers."""
import cv2
import numpy as np
import pytest

from facegraft.core.align.mean_face import MEAN_FACE_68
from facegraft.core.evaluate.appearance import band_energy, face_regions, seam_ratio, skin_delta_e


def landmarks(scale=100.0, centre=(160.0, 160.0)):
    return np.array(MEAN_FACE_68) * scale + np.asarray(centre)


def textured(shape=(320, 320), seed=0):
    """A smooth gradient with fine noise: the noise is the 'detail'."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[: shape[0], : shape[1]] / shape[0]
    return (0.5 + 0.2 * x + rng.normal(0, 0.03, shape)).astype(np.float32)


def test_regions_nest_and_scale():
    pts = landmarks()
    matte = np.zeros((320, 320), np.float32)
    cv2.circle(matte, (160, 170), 110, 1.0, -1)
    r = face_regions(pts, matte)
    assert r.inner.any() and r.skin.sum() < r.inner.sum() and not (r.skin & ~r.inner).any()
    assert r.scale == 1.0  # interocular 100 px: measured as is
    assert face_regions(landmarks(scale=250.0, centre=(400, 400)), np.ones((800, 800), np.float32)).scale == \
        pytest.approx(0.4)
    # the ring follows the matte's edge, not its inside
    assert not r.ring[170, 160] and r.ring[170, 160 + 110]


def test_band_energy_falls_with_blur_and_ignores_outside():
    light = textured()
    mask = np.zeros(light.shape, bool)
    mask[80:240, 80:240] = True
    sharp = band_energy(light, mask)
    blurred = band_energy(cv2.GaussianBlur(light, (0, 0), 2.0), mask)
    assert blurred < 0.1 * sharp
    outside = light.copy()
    outside[:40] = np.random.default_rng(5).normal(0.5, 0.3, outside[:40].shape)  # noise outside the mask
    assert band_energy(outside, mask) == pytest.approx(sharp, rel=1e-3)
    assert np.isnan(band_energy(light, np.zeros_like(mask)))
    # the same picture twice the size, measured at half scale, keeps its energy roughly
    big = cv2.resize(light, (640, 640), interpolation=cv2.INTER_NEAREST)
    big_mask = cv2.resize(mask.astype(np.uint8), (640, 640), interpolation=cv2.INTER_NEAREST).astype(bool)
    assert band_energy(big, big_mask, scale=0.5) == pytest.approx(sharp, rel=0.25)


def test_skin_delta_e_known_shift():
    lab = np.zeros((10, 10, 3), np.float32)
    lab[..., 0] = 0.6
    skin = np.ones((10, 10), bool)
    shifted = lab + np.array([0.03, 0.0, 0.04], np.float32)
    assert skin_delta_e(shifted, lab, skin) == pytest.approx(5.0, rel=1e-4)  # |(3, 0, 4)| in OKLab x 100
    assert skin_delta_e(lab, lab, skin) == 0.0 and np.isnan(skin_delta_e(lab, lab, ~skin))


def test_seam_ratio_sees_a_hard_step_not_a_feathered_match():
    light = textured(seed=1)
    matte = np.zeros(light.shape, np.float32)
    cv2.circle(matte, (160, 160), 90, 1.0, -1)
    soft = cv2.GaussianBlur(matte, (0, 0), 6)
    pts = landmarks()
    brighter = light + 0.05
    hard_paste = brighter * matte + light * (1 - matte)
    soft_paste = brighter * soft + light * (1 - soft)
    ring_hard = face_regions(pts, matte).ring
    ring_soft = face_regions(pts, soft).ring
    assert seam_ratio(light, light, ring_hard) == pytest.approx(1.0)
    assert seam_ratio(hard_paste, light, ring_hard) > 3.0
    assert seam_ratio(soft_paste, light, ring_soft) < 1.3
    assert np.isnan(seam_ratio(light, light, np.zeros_like(ring_hard)))
