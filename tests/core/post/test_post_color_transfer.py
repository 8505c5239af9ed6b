"""core/post/color_transfer.py: every method moves masked statistics to the plate's, on HDR floats."""
import numpy as np
import pytest

from functools import partial

from facegraft.core.color.perceptual import ACESCG
from facegraft.core.post.color_stats import color_stats as stats_in, smooth_stats
from facegraft.core.post.color_transfer import METHODS, color_transfer as transfer

# ACEScg pixels under the built-in config (other working spaces: test_post_working_space.py)
color_transfer = partial(transfer, working=ACESCG)
color_stats = partial(stats_in, working=ACESCG)

H = W = 48


def scene(seed=0):
    """Face: cool, dim, low contrast. Plate: warm, bright (values up to ~2), higher contrast."""
    rng = np.random.default_rng(seed)
    face = (rng.random((H, W, 3), dtype=np.float32) * [0.3, 0.25, 0.2] + [0.1, 0.12, 0.3]).astype(np.float32)
    plate = (rng.random((H, W, 3), dtype=np.float32) * [1.2, 0.5, 0.3] + [0.6, 0.3, 0.05]).astype(np.float32)
    matte = np.zeros((H, W), np.float32)
    matte[8:40, 10:38] = 1.0
    matte[6:8, 10:38] = 0.3  # soft edge below the threshold: not measured
    return face, plate, matte


@pytest.mark.parametrize("method", METHODS)
def test_moves_masked_statistics_toward_plate(method):
    face, plate, matte = scene()
    out = color_transfer(face, plate, matte, method=method)
    assert out.shape == face.shape and out.dtype == np.float32
    f, o, p = (color_stats(x, matte, space="linear") for x in (face, out, plate))
    before = np.abs(f.mean_array - p.mean_array).max()
    after = np.abs(o.mean_array - p.mean_array).max()
    assert after < 0.1 * before
    if method != "avg":  # avg only shifts; all others also scale the spread
        std_before = np.abs(np.sqrt(np.diag(f.cov_array)) - np.sqrt(np.diag(p.cov_array))).max()
        std_after = np.abs(np.sqrt(np.diag(o.cov_array)) - np.sqrt(np.diag(p.cov_array))).max()
        assert std_after < 0.6 * std_before


@pytest.mark.parametrize("method", ("lct", "mkl"))
def test_linear_methods_match_covariance_exactly(method):
    face, plate, matte = scene(1)
    out = color_transfer(face, plate, matte, method=method, space="linear")
    o, p = (color_stats(x, matte, space="linear") for x in (out, plate))
    np.testing.assert_allclose(o.mean_array, p.mean_array, atol=1e-5)
    np.testing.assert_allclose(o.cov_array, p.cov_array, atol=1e-5)


@pytest.mark.parametrize("method", METHODS)
def test_outside_pixels_do_not_change_the_result_inside(method):
    face, plate, matte = scene(2)
    a = color_transfer(face, plate, matte, method=method, seed=3)
    plate2, face2 = plate.copy(), face.copy()
    outside = matte <= 0.5
    plate2[outside] = 50.0
    face2[outside] = -3.0
    b = color_transfer(face2, plate2, matte, method=method, seed=3)
    np.testing.assert_array_equal(a[~outside], b[~outside])


@pytest.mark.parametrize("method", METHODS)
def test_amount_zero_returns_face_and_half_is_between(method):
    face, plate, matte = scene()
    out = color_transfer(face, plate, matte, method=method, amount=0.0)
    np.testing.assert_array_equal(out, face)
    assert out is not face
    full = color_transfer(face, plate, matte, method=method)
    half = color_transfer(face, plate, matte, method=method, amount=0.5)
    np.testing.assert_allclose(half, 0.5 * (face + full), atol=1e-5)


@pytest.mark.parametrize("method", ("idt", "sot"))
def test_deterministic_with_seed(method):
    face, plate, matte = scene()
    a = color_transfer(face, plate, matte, method=method, seed=7)
    b = color_transfer(face, plate, matte, method=method, seed=7)
    c = color_transfer(face, plate, matte, method=method, seed=8)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("space", ("oklab", "log"))
def test_values_above_one_survive(method, space):
    face, plate, matte = scene()
    plate = plate * 3.0  # highlights to ~5.4
    face[20, 20] = 4.0  # an HDR highlight on the face
    out = color_transfer(face, plate, matte, method=method, space=space)
    assert np.all(np.isfinite(out))
    assert out[..., :3].max() > 2.0
    assert out[20, 20].max() > 2.0  # the highlight stays a highlight (its hue may follow the plate)


@pytest.mark.parametrize("method", ("rct", "lct", "mkl", "histogram"))
def test_exposure_change_is_undone_exactly_above_one(method):
    # OKLab of 0.5 * x is a uniform scale of OKLab(x): these methods must recover the plate exactly,
    # highlights up to ~5 included (an 8-bit Lab would clamp everything above 1).
    _, plate, matte = scene(4)
    plate = plate * 3.0
    face = plate * np.float32(0.5)
    out = color_transfer(face, plate, matte, method=method)
    inside = matte > 0.5
    assert plate[inside].max() > 4.0
    np.testing.assert_allclose(out[inside], plate[inside], rtol=2e-3, atol=2e-3)


def test_identity_when_face_equals_plate():
    face, _, matte = scene()
    for method in ("avg", "rct", "lct", "mkl"):
        out = color_transfer(face, face, matte, method=method)
        np.testing.assert_allclose(out, face, rtol=1e-4, atol=1e-5)


def test_alpha_copied_and_apply_to_matte():
    face, plate, matte = scene()
    face4 = np.concatenate([face, np.full((H, W, 1), 0.25, np.float32)], axis=-1)
    out = color_transfer(face4, plate, matte, method="rct")
    assert out.shape == (H, W, 4)
    np.testing.assert_array_equal(out[..., 3], face4[..., 3])
    only = color_transfer(face, plate, matte, method="rct", apply_to="matte")
    full = color_transfer(face, plate, matte, method="rct")
    np.testing.assert_array_equal(only[matte == 0], face[matte == 0])
    np.testing.assert_allclose(only[matte > 0], full[matte > 0], atol=1e-6)


def test_precomputed_smoothed_stats():
    face, plate, matte = scene()
    fs = color_stats(face, matte)
    ps = color_stats(plate, matte)
    direct = color_transfer(face, plate, matte, method="mkl")
    given = color_transfer(face, plate, matte, method="mkl", face_stats=fs, plate_stats=ps)
    np.testing.assert_allclose(given, direct, atol=1e-6)
    ps2 = smooth_stats(ps, color_stats(plate * 1.1, matte), alpha=0.5)
    smoothed = color_transfer(face, plate, matte, method="mkl", face_stats=fs, plate_stats=ps2)
    assert smoothed.mean() > direct.mean()
    with pytest.raises(ValueError, match="precomputed"):
        color_transfer(face, plate, matte, method="idt", plate_stats=ps)
    with pytest.raises(ValueError, match="space"):
        color_transfer(face, plate, matte, method="rct", space="linear", plate_stats=ps)


def test_errors():
    face, plate, matte = scene()
    with pytest.raises(ValueError, match="method"):
        color_transfer(face, plate, matte, method="lab")
    with pytest.raises(ValueError, match="amount"):
        color_transfer(face, plate, matte, method="rct", amount=1.5)
    with pytest.raises(TypeError):
        color_transfer(face.astype(np.float64), plate, matte, method="rct")
    with pytest.raises(TypeError):
        color_transfer((face * 255).astype(np.uint8), plate, matte, method="rct")
    with pytest.raises(ValueError):
        color_transfer(face, plate[:20], matte, method="rct")
    with pytest.raises(ValueError):
        color_transfer(face, plate, matte[:20], method="rct")
    with pytest.raises(ValueError, match="no pixels"):
        color_transfer(face, plate, np.zeros_like(matte), method="rct")


@pytest.mark.parametrize("method", ["rct", "mkl"])
def test_a_face_of_many_pixels_is_measured_on_a_thinned_grid_without_visible_change(method):
    """Over STATS_SAMPLES pixels, statistics come from every k-th one: the match differs from the one
    with statistics of all pixels by sampling noise (mean 3e-5, at most 0.4 % on the noisiest pixels),
    a hundred times less than the match moves the face."""
    from facegraft.core.post.color_transfer import STATS_SAMPLES

    size = 640  # 409,600 pixels inside a full matte
    assert size * size > STATS_SAMPLES
    rng = np.random.default_rng(5)
    yy, xx = np.mgrid[:size, :size].astype(np.float32) / size
    shade = (0.4 + 0.3 * np.sin(9 * xx) * np.cos(7 * yy))[..., None]
    face = (shade * np.array([0.9, 0.6, 0.4], np.float32) + rng.normal(0, 0.05, (size, size, 3))).astype(np.float32)
    plate = (shade[::-1] * np.array([0.3, 0.5, 1.1], np.float32) + 0.2).astype(np.float32)
    matte = np.ones((size, size), np.float32)
    thinned = transfer(face, plate, matte, method=method, working=ACESCG)
    full = transfer(face, plate, matte, method=method, working=ACESCG, face_stats=stats_in(face, matte, working=ACESCG),
                    plate_stats=stats_in(plate, matte, working=ACESCG))
    difference = np.abs(thinned - full)
    assert 0 < difference.max() < 5e-3 and difference.mean() < 1e-4  # thinned, and by sampling noise only
    assert np.abs(full - face).mean() > 0.1
