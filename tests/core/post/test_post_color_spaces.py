"""core/post/color_spaces.py and color_stats.py: invertible encodings, masked stats, smoothing."""
import numpy as np
import pytest

from functools import partial

from facegraft.core.color.perceptual import ACESCG
from facegraft.core.post import color_spaces
from facegraft.core.post.color_spaces import SPACES
from facegraft.core.post.color_stats import ColorStats, quantile_map, smooth_stats, weighted_quantiles
from facegraft.core.post.color_stats import color_stats as stats_in

# ACEScg pixels under the built-in config (other working spaces: test_post_working_space.py)
encode = partial(color_spaces.encode, working=ACESCG)
decode = partial(color_spaces.decode, working=ACESCG)
color_stats = partial(stats_in, working=ACESCG)


@pytest.mark.parametrize("space", SPACES)
def test_round_trip_exact_on_hdr_and_negative(space):
    rgb = np.array([[0.18, 0.18, 0.18], [2.0, 2.0, 2.0], [16.0, 0.5, 0.01], [-0.05, 0.2, 1.5], [0, 0, 0]])
    back = decode(encode(rgb, space), space)
    np.testing.assert_allclose(back, rgb, rtol=1e-12, atol=1e-14)
    assert np.all(np.isfinite(encode(rgb, space)))


def test_oklab_is_monotonic_in_exposure_above_one():
    grey = np.array([[v, v, v] for v in (0.5, 1.0, 2.0, 4.0, 8.0)])
    lightness = encode(grey, "oklab")[:, 0]
    assert np.all(np.diff(lightness) > 0)  # no clamp at 1.0 (an 8-bit Lab gives L=100 for all)
    assert lightness[2] == pytest.approx(2 ** (1 / 3) * lightness[1], rel=1e-6)


def test_oklab_white_point():
    # ACEScg (1,1,1) is white: a and b ~ 0 after the D60 -> D65 Bradford matrix
    lab = encode(np.array([[1.0, 1.0, 1.0]]), "oklab")[0]
    assert lab[0] == pytest.approx(1.0, abs=1e-3)
    assert abs(lab[1]) < 1e-3 and abs(lab[2]) < 1e-3


def test_float32_path_close_to_float64():
    rng = np.random.default_rng(0)
    rgb = rng.uniform(-0.1, 4.0, (1000, 3))
    y64 = encode(rgb, "oklab")
    y32 = encode(rgb.astype(np.float32), "oklab", dtype=np.float32)
    assert y32.dtype == np.float32
    np.testing.assert_allclose(y32, y64, rtol=1e-5, atol=1e-6)


def test_unknown_space():
    with pytest.raises(ValueError, match="space"):
        encode(np.zeros((1, 3)), "lab8")


def test_color_stats_ignores_pixels_outside_matte():
    rng = np.random.default_rng(1)
    image = rng.random((32, 32, 3), dtype=np.float32)
    matte = np.zeros((32, 32), np.float32)
    matte[8:24, 8:24] = 1.0
    a = color_stats(image, matte, space="linear")
    changed = image.copy()
    changed[matte <= 0.5] = 100.0
    b = color_stats(changed, matte, space="linear")
    assert a == b
    np.testing.assert_allclose(a.mean_array, image[8:24, 8:24].reshape(-1, 3).mean(0), rtol=1e-6)


def test_color_stats_weighted_by_matte():
    image = np.zeros((1, 4, 3), np.float32)
    image[0, :2] = 1.0
    matte = np.array([[1.0, 1.0, 0.6, 0.6]], np.float32)  # weights: ones 2, zeros 1.2
    stats = color_stats(image, matte, space="linear")
    assert stats.mean[0] == pytest.approx(2 / 3.2)


def test_color_stats_empty_matte():
    with pytest.raises(ValueError, match="no pixels"):
        color_stats(np.zeros((4, 4, 3), np.float32), np.zeros((4, 4), np.float32))


def test_smooth_stats_ema():
    a = ColorStats.from_arrays(np.zeros(3), np.eye(3), "oklab", "ACEScg")
    b = ColorStats.from_arrays(np.ones(3), 3 * np.eye(3), "oklab", "ACEScg")
    assert smooth_stats(None, b) == b
    s = smooth_stats(a, b, alpha=0.25)
    np.testing.assert_allclose(s.mean_array, [0.25] * 3)
    np.testing.assert_allclose(s.cov_array, 1.5 * np.eye(3))
    assert a.mean == (0.0, 0.0, 0.0)  # inputs untouched (frozen)
    with pytest.raises(ValueError):
        smooth_stats(a, b, alpha=0.0)
    with pytest.raises(ValueError):
        smooth_stats(a, ColorStats.from_arrays(np.ones(3), np.eye(3), "linear", "ACEScg"))
    with pytest.raises(ValueError, match="ACES2065-1"):
        smooth_stats(a, ColorStats.from_arrays(np.ones(3), np.eye(3), "oklab", "ACES2065-1"))


def test_quantile_map_extends_without_clamping():
    src = np.array([0.0, 1.0])
    dst = np.array([10.0, 12.0])
    y = quantile_map(np.array([-1.0, 0.5, 3.0]), src, dst)
    np.testing.assert_allclose(y, [9.0, 11.0, 14.0])
    q = weighted_quantiles(np.array([3.0, 1.0, 2.0]), np.ones(3), np.array([0.0, 0.5, 1.0]))
    np.testing.assert_allclose(q, [1.0, 2.0, 3.0])


@pytest.mark.parametrize("space", SPACES)
def test_fused_affine_equals_encode_affine_decode(space):
    from facegraft.core.post.color_spaces import affine_in_space

    rng = np.random.default_rng(3)
    rgb = rng.uniform(-0.05, 3.0, (500, 3))
    matrix = np.eye(3) + 0.1 * rng.standard_normal((3, 3))
    offset = 0.05 * rng.standard_normal(3)
    expect = decode(encode(rgb, space) @ matrix.T + offset, space)
    got = affine_in_space(rgb, matrix, offset, space, working=ACESCG, dtype=np.float64)
    np.testing.assert_allclose(got, expect, rtol=1e-10, atol=1e-12)
    got32 = affine_in_space(rgb.astype(np.float32), matrix, offset, space, working=ACESCG)
    assert got32.dtype == np.float32
    np.testing.assert_allclose(got32, expect, rtol=1e-4, atol=1e-5)
