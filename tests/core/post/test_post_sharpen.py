"""core/post/sharpen.py: unsharp mask on unclipped floats."""
import numpy as np
import pytest

from facegraft.core.post.sharpen import unsharp_mask


def step():
    img = np.full((32, 32, 3), 0.5, np.float32)
    img[:, 16:] = 4.0  # HDR step
    return img


def test_unsharp_overshoots_an_hdr_step_without_clipping():
    img = step()
    out = unsharp_mask(img, amount=1.0, radius=2.0)
    assert out.dtype == np.float32 and out.shape == img.shape
    assert out[:, 16].min() > 4.0 and out[:, 15].max() < 0.5  # overshoot both sides, no clamp
    np.testing.assert_allclose(out[:, :8], img[:, :8], atol=1e-6)  # flat areas untouched


def test_amount_zero_and_matte_and_alpha():
    img = np.concatenate([step(), np.full((32, 32, 1), 0.3, np.float32)], axis=-1)
    np.testing.assert_array_equal(unsharp_mask(img, amount=0.0), img)
    matte = np.zeros((32, 32), np.float32)
    matte[:16] = 1.0
    out = unsharp_mask(img, amount=1.0, radius=1.0, matte=matte)
    np.testing.assert_array_equal(out[16:], img[16:])
    assert not np.array_equal(out[:16], img[:16])
    np.testing.assert_array_equal(out[..., 3], img[..., 3])


def test_errors():
    with pytest.raises(ValueError):
        unsharp_mask(step(), radius=0)
    with pytest.raises(TypeError):
        unsharp_mask(step().astype(np.float64))
    with pytest.raises(ValueError):
        unsharp_mask(step()[..., :2])
    with pytest.raises(ValueError):
        unsharp_mask(step(), matte=np.ones((8, 8), np.float32))


def test_matte_box_restriction_is_exact():
    rng = np.random.default_rng(0)
    img = (rng.random((64, 80, 3)) * 3).astype(np.float32)
    matte = np.zeros((64, 80), np.float32)
    matte[40:60, 5:30] = 0.8
    full = unsharp_mask(img, amount=0.7, radius=1.5)
    expect = img + (full - img) * matte[..., None]
    np.testing.assert_allclose(unsharp_mask(img, amount=0.7, radius=1.5, matte=matte), expect, atol=1e-5)
