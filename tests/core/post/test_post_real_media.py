"""core/post on real talking-head frames (../shared/data/faces): color match + Poisson + grain, end to end."""
import numpy as np
import pytest

from facegraft.core.color import SCENE_LINEAR, SRGB_ENCODED, ColorManager
from facegraft.core.media.video import read_video
from facegraft.core.color.perceptual import ACESCG
from facegraft.core.post import color_stats, color_transfer, estimate_grain, feather_gaussian, poisson_blend


def first_frame_linear(path) -> np.ndarray:
    _, pixels = next(read_video(path, frames=[1]))
    return ColorManager().convert(np.ascontiguousarray(pixels), SRGB_ENCODED, SCENE_LINEAR).astype(np.float32)


@pytest.fixture(scope="module")
def pair(clips):
    plate = first_frame_linear(clips / "d18.mp4")  # 480x480, one man
    face = first_frame_linear(clips / "d19.mp4")  # 480x480, another man
    yy, xx = np.mgrid[:480, :480]
    matte = ((((yy - 230) / 120.0) ** 2 + ((xx - 240) / 90.0) ** 2) < 1).astype(np.float32)
    return face, plate, matte


@pytest.mark.parametrize("method", ("rct", "mkl", "idt"))
def test_color_match_then_poisson_on_real_frames(pair, method):
    face, plate, matte = pair
    matched = color_transfer(face, plate, matte, method=method, working=ACESCG, seed=1)
    f, m, p = (color_stats(x, matte, working=ACESCG) for x in (face, matched, plate))
    assert np.abs(m.mean_array - p.mean_array).max() < 0.25 * np.abs(f.mean_array - p.mean_array).max()
    blended = poisson_blend(matched, plate, matte)
    outside = matte <= 0.5
    np.testing.assert_array_equal(blended[outside], plate[outside])
    assert np.all(np.isfinite(blended))
    soft = feather_gaussian(matte, sigma=4.0)
    assert soft.shape == matte.shape


def test_grain_estimate_on_real_frame_is_small_and_finite(pair):
    _, plate, matte = pair
    est = estimate_grain(plate, matte)
    assert all(0 < s < 0.05 for s in est.sigma)  # compressed video: little noise, but some
    assert 0 <= est.grain_size <= 3
