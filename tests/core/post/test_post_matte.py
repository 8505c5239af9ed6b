"""core/post/matte.py: grow/shrink, feathering, combining and temporal smoothing of mattes."""
import numpy as np
import pytest

from facegraft.core.post.matte import (combine_mattes, feather_distance, feather_gaussian, grow_matte,
                                       smooth_matte_sequence)


def square(size=64, lo=20, hi=44):
    m = np.zeros((size, size), np.float32)
    m[lo:hi, lo:hi] = 1.0
    return m


def disk(size=101, r=30.0):
    yy, xx = np.mgrid[:size, :size]
    return ((yy - 50) ** 2 + (xx - 50) ** 2 <= r * r).astype(np.float32)


@pytest.mark.parametrize("n", [1, 4, 7])
def test_grow_and_shrink_move_the_edge_by_n(n):
    m = disk()
    grown = grow_matte(m, pixels=n)
    shrunk = grow_matte(m, pixels=-n)
    assert grown.dtype == np.float32 and grown.shape == m.shape
    # a square's sides move by exactly n pixels
    sq = square(size=101, lo=30, hi=70)
    assert grow_matte(sq, pixels=n)[50].sum() == 40 + 2 * n
    assert grow_matte(sq, pixels=-n)[50].sum() == 40 - 2 * n
    # the area grows like a disk of radius r + n, within the octagon's 8%
    expect = np.pi * (30 + n) ** 2
    assert abs(grown.sum() - expect) / expect < 0.08
    assert np.all(grown >= m) and np.all(shrunk <= m)


def test_grow_zero_copies_and_keeps_soft_values():
    m = square() * np.float32(0.6)
    out = grow_matte(m, pixels=0)
    np.testing.assert_array_equal(out, m)
    assert out is not m
    assert grow_matte(m, pixels=3).max() == pytest.approx(0.6)
    with pytest.raises(TypeError):
        grow_matte(m, pixels=2.5)


def test_feather_gaussian():
    m = square()
    out = feather_gaussian(m, sigma=3.0)
    assert out.min() >= 0 and out.max() <= 1
    assert out.sum() == pytest.approx(m.sum(), rel=1e-4)  # mass preserved away from the border
    assert 0.4 < out[20, 32] < 0.6  # half-height at the old edge
    np.testing.assert_array_equal(feather_gaussian(m, sigma=0), m)
    with pytest.raises(ValueError):
        feather_gaussian(m, sigma=-1)


def test_feather_distance_linear_ramp():
    m = square(lo=10, hi=54)
    out = feather_distance(m, pixels=8)
    row = out[32]
    # distance to the nearest outside pixel centre: 1 on the edge pixel, k+1 at k pixels in
    np.testing.assert_allclose(row[10:18], (np.arange(8) + 0.5) / 8, atol=1e-6)
    assert row[18] == 1.0 and row[9] == 0.0
    assert np.all(out <= m)
    with pytest.raises(ValueError):
        feather_distance(m, pixels=0)


def test_combine_mattes():
    a, b = square(lo=10, hi=40), square(lo=20, hi=50) * np.float32(0.5)
    np.testing.assert_array_equal(combine_mattes([a, b], mode="product"), a * b)
    np.testing.assert_array_equal(combine_mattes([a, b], mode="max"), np.maximum(a, b))
    np.testing.assert_array_equal(combine_mattes([a, b], mode="min"), np.minimum(a, b))
    with pytest.raises(ValueError):
        combine_mattes([])
    with pytest.raises(ValueError):
        combine_mattes([a, a[:10]])
    with pytest.raises(ValueError):
        combine_mattes([a, b], mode="screen")


def test_temporal_smoothing():
    frames = [square() * np.float32(v) for v in (0.0, 1.0, 0.5)]
    mean = smooth_matte_sequence(frames)  # triangle weights 1, 2, 1
    assert mean[30, 30] == pytest.approx((0 + 2 + 0.5) / 4)
    median = smooth_matte_sequence(frames, mode="median")
    assert median[30, 30] == pytest.approx(0.5)
    flat = smooth_matte_sequence(frames, weights=[1, 1, 1])
    assert flat[30, 30] == pytest.approx(0.5)
    with pytest.raises(ValueError):
        smooth_matte_sequence(frames, weights=[1, 1])
    with pytest.raises(ValueError):
        smooth_matte_sequence([])


def test_bad_mattes():
    with pytest.raises(TypeError):
        grow_matte(square().astype(np.float64), pixels=1)
    with pytest.raises(ValueError):
        feather_gaussian(np.zeros((4, 4, 1), np.float32), sigma=1)


def test_working_on_the_matte_box_only_is_exact():
    from scipy import ndimage

    rng = np.random.default_rng(0)
    m = np.zeros((90, 120), np.float32)
    m[3:30, 70:118] = rng.random((27, 48), dtype=np.float32)  # near the top and right edges
    ref_blur = np.clip(ndimage.gaussian_filter(m, sigma=2.5, mode="nearest", truncate=4.0), 0, 1)
    np.testing.assert_allclose(feather_gaussian(m, sigma=2.5), ref_blur, atol=5e-7)  # OpenCV vs scipy: float32 sums
    ref = m
    for i in range(5):
        ref = ndimage.maximum_filter(ref, size=3, mode="nearest") if i % 2 == 0 else \
            ndimage.maximum_filter(ref, footprint=ndimage.generate_binary_structure(2, 1), mode="nearest")
    np.testing.assert_array_equal(grow_matte(m, pixels=5), ref)
    inside = m > 0.5
    ramp = np.clip((ndimage.distance_transform_edt(inside) - 0.5) / 6, 0, 1)
    np.testing.assert_allclose(feather_distance(m, pixels=6), np.minimum(m, ramp) * inside, atol=1e-6)  # float32 distances
