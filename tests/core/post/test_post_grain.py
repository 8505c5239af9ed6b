"""core/post/grain.py: grain measured back within 20% of a known synthetic sigma, seeded synthesis."""
import numpy as np
import pytest

from facegraft.core.post.grain import GrainEstimate, add_grain, estimate_grain, make_grain, match_grain

H = W = 160


def smooth_plate():
    yy, xx = np.mgrid[:H, :W] / H
    return np.stack([0.2 + 0.5 * xx, 0.3 + 0.2 * yy**2, 2.0 + 0.3 * np.sin(6 * xx)], -1).astype(np.float32)


def face_matte():
    m = np.zeros((H, W), np.float32)
    m[20:140, 30:130] = 1.0
    return m


@pytest.mark.parametrize("grain_size", [0.0, 0.8, 1.6])
def test_estimate_recovers_known_sigma_and_size(grain_size):
    sigma = (0.01, 0.04, 0.12)
    noise = make_grain((H, W), sigma=sigma, grain_size=grain_size, seed=1)
    est = estimate_grain(smooth_plate() + noise, face_matte())
    assert isinstance(est, GrainEstimate)
    np.testing.assert_allclose(est.sigma, sigma, rtol=0.2)
    assert est.grain_size == pytest.approx(grain_size, abs=0.3)


def test_estimate_ignores_outside_and_correlation():
    corr = np.array([[1.0, 0.8, 0.5], [0.8, 1.0, 0.6], [0.5, 0.6, 1.0]])
    noise = make_grain((H, W), sigma=(0.05, 0.05, 0.05), correlation=corr, seed=2)
    plate = smooth_plate() + noise
    plate[face_matte() == 0] += make_grain((H, W), sigma=(1, 1, 1), seed=3)[face_matte() == 0]
    est = estimate_grain(plate, face_matte())
    np.testing.assert_allclose(est.sigma, 0.05, rtol=0.2)
    np.testing.assert_allclose(np.array(est.correlation), corr, atol=0.1)


def test_make_grain_is_seeded():
    a = make_grain((32, 32), sigma=(0.1, 0.1, 0.1), grain_size=1.0, seed=5)
    b = make_grain((32, 32), sigma=(0.1, 0.1, 0.1), grain_size=1.0, seed=5)
    c = make_grain((32, 32), sigma=(0.1, 0.1, 0.1), grain_size=1.0, seed=6)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert a.dtype == np.float32 and a.shape == (32, 32, 3)
    with pytest.raises(ValueError):
        make_grain((8, 8), sigma=(-1, 0, 0))


def test_match_grain_adds_plate_grain_inside_matte_only():
    sigma = (0.03, 0.03, 0.06)
    plate = smooth_plate() + make_grain((H, W), sigma=sigma, grain_size=0.8, seed=1)
    face = smooth_plate() * np.float32(1.1)  # clean, generated
    matte = face_matte()
    out, est = match_grain(face, plate, matte, seed=9)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out[matte == 0], face[matte == 0])
    measured = estimate_grain(out, matte)
    np.testing.assert_allclose(measured.sigma, sigma, rtol=0.2)
    again, _ = match_grain(face, plate, matte, seed=9)
    np.testing.assert_array_equal(out, again)
    np.testing.assert_array_equal(add_grain(face, matte, est, amount=0.0), face)


def test_errors():
    with pytest.raises(ValueError, match="64 pixels"):
        estimate_grain(smooth_plate(), np.zeros((H, W), np.float32))
    with pytest.raises(TypeError):
        estimate_grain(smooth_plate().astype(np.float64), face_matte())
    with pytest.raises(ValueError):
        estimate_grain(smooth_plate(), face_matte()[:10])


@pytest.mark.parametrize("grain_size", [0.0, 0.4, 1.0, 2.3, 3.0])
def test_filter_response_equals_the_filtered_impulse(grain_size):
    """The separable closed form equals filtering a unit impulse in 2-D with scipy (the definition)."""
    from scipy import ndimage

    from facegraft.core.post.grain import _RESIDUAL_SIGMA, _filter_response

    def blur(x, sigma):
        return x if sigma <= 0 else ndimage.gaussian_filter(x, sigma=sigma, mode="wrap", truncate=4.0)

    impulse = np.zeros((65, 65))
    impulse[32, 32] = 1.0
    grain = blur(impulse, grain_size)
    norm = np.sqrt((grain**2).sum())
    grain /= norm
    residual = grain - blur(grain, _RESIDUAL_SIGMA)
    var = (residual**2).sum()
    rho = ((residual[:, 1:] * residual[:, :-1]).sum() + (residual[1:] * residual[:-1]).sum()) / 2 / var
    np.testing.assert_allclose(_filter_response(grain_size), (norm, var, rho), rtol=1e-12)
