"""Color statistics and transfers in the plate's own working space (through OCIO to scene_linear, then OKLab).

The same light matched in any working space gives the same light back: a plate in ACES2065-1,
linear Rec.709 or sRGB-encoded Rec.709 is matched as its ACEScg twin is, under the built-in config
and under a $OCIO config (written here) whose scene_linear is linear Rec.709. ACEScg plates under
the built-in config give exactly what they gave before (reference values from main b1e87e5).
"""
from pathlib import Path

import numpy as np
import pytest

from facegraft.core.color import ColorManager
from facegraft.core.color.perceptual import ACESCG, REC709_TO_LMS, WorkingSpace
from facegraft.core.errors import ColorConfigError
from facegraft.core.post.color_stats import color_stats
from facegraft.core.post.color_transfer import METHODS, color_transfer

GOLDEN = Path(__file__).parents[2] / "data" / "color_transfer_acescg_b1e87e5.npz"
ACES = "ACES2065-1"
LIN709 = "Linear Rec.709 (sRGB)"
SRGB = "sRGB Encoded Rec.709 (sRGB)"
MATCHED = ("avg", "rct", "lct", "mkl", "histogram")


@pytest.fixture(scope="module")
def builtin():
    return ColorManager()


@pytest.fixture
def env_config(tmp_path, monkeypatch, builtin):
    """A $OCIO config file whose scene_linear role is linear Rec.709 (the built-in's is ACEScg)."""
    import PyOpenColorIO as ocio

    config = ocio.Config.CreateFromStream(builtin.config.serialize())
    config.setRole("scene_linear", LIN709)
    path = tmp_path / "rec709_linear.ocio"
    path.write_text(config.serialize())
    monkeypatch.setenv("OCIO", str(path))
    return ColorManager.from_environment()


def scene(seed=0, size=32, hdr=True):
    """ACEScg face (cool) and plate (warm), smooth gradients plus noise; a soft-edged matte."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size] / size
    base = (0.5 + 0.4 * np.sin(3 * xx) * np.cos(2 * yy))[..., None]
    top = 2.0 if hdr else 0.8
    face = (base * [0.3, 0.35, 0.5] + 0.05 + rng.normal(0, 0.02, (size, size, 3))).astype(np.float32)
    plate = (base * [top, 0.6, 0.3] + 0.1 + rng.normal(0, 0.04, (size, size, 3))).astype(np.float32)
    if not hdr:
        face, plate = np.clip(face, 0.0, 0.9), np.clip(plate, 0.0, 0.9)
    matte = np.zeros((size, size), np.float32)
    matte[4:-4, 5:-5] = 1.0
    matte[3, 5:-5] = 0.4
    return face, plate, matte


def convert(color, pixels, src, dst):
    return color.convert(np.ascontiguousarray(pixels), src, dst)


def test_acescg_plates_give_the_results_of_before(builtin):
    """Equal to float32 rounding: samples are now encoded in float32 (statistics still accumulate in
    float64) and the products are ordered for speed; idt/sot/linear-space results are bit-identical."""
    golden = np.load(GOLDEN)
    face, plate, matte = golden["face"], golden["plate"], golden["matte"]
    working = WorkingSpace.from_config(builtin, "ACEScg")
    assert working.color is None and np.array_equal(working.to_lms, ACESCG.to_lms)  # no OCIO step
    for space in ("oklab", "log", "linear"):
        for method in METHODS:
            got = color_transfer(face, plate, matte, method=method, working=working, space=space, seed=5)
            np.testing.assert_allclose(got, golden[f"{method}_{space}"], rtol=0, atol=3e-5,
                                       err_msg=f"{method} {space}")
        stats = color_stats(face, matte, working=working, space=space)
        np.testing.assert_allclose(stats.mean_array, golden[f"stats_mean_{space}"], rtol=0, atol=1e-6)
        np.testing.assert_allclose(stats.cov_array, golden[f"stats_cov_{space}"], rtol=0, atol=1e-6)
    got = color_transfer(face, plate, matte, method="rct", working=working, amount=0.5, apply_to="matte")
    np.testing.assert_allclose(got, golden["rct_oklab_matte_half"], rtol=0, atol=3e-5)
    # the reference is not trivially met: a transfer moves these pixels by far more than the tolerance
    assert np.abs(golden["rct_oklab"] - face).max() > 0.1


@pytest.mark.parametrize("plate_space", (ACES, LIN709, SRGB))
@pytest.mark.parametrize("method", MATCHED)
def test_same_light_same_match_in_any_working_space(builtin, plate_space, method):
    face, plate, matte = scene(1, hdr=plate_space != SRGB)  # an sRGB-encoded file holds 0..1
    reference = color_transfer(face, plate, matte, method=method, working=ACESCG)
    face_p, plate_p = (convert(builtin, x, "ACEScg", plate_space) for x in (face, plate))
    working = WorkingSpace.from_config(builtin, plate_space)
    got = color_transfer(face_p, plate_p, matte, method=method, working=working)
    back = convert(builtin, got, plate_space, "ACEScg")
    np.testing.assert_allclose(back, reference, atol=2e-3 if plate_space == SRGB else 3e-4)
    # negative control: the old behaviour (the plate's values taken as ACEScg) is visibly off
    wrong = convert(builtin, color_transfer(face_p, plate_p, matte, method=method, working=ACESCG),
                    plate_space, "ACEScg")
    assert np.abs(wrong - reference).max() > 20 * np.abs(back - reference).max()


@pytest.mark.parametrize("plate_space", ("ACEScg", ACES, LIN709, SRGB))
def test_ocio_config_from_environment_with_another_scene_linear(builtin, env_config, plate_space):
    working = WorkingSpace.from_config(env_config, plate_space)
    assert working.linear == LIN709
    assert np.array_equal(working.to_lms, REC709_TO_LMS)  # known primaries snap to the exact matrix
    face, plate, matte = scene(2, hdr=plate_space != SRGB)
    reference = color_transfer(face, plate, matte, method="mkl", working=ACESCG)
    face_p, plate_p = (convert(builtin, x, "ACEScg", plate_space) for x in (face, plate))
    got = color_transfer(face_p, plate_p, matte, method="mkl", working=working)
    np.testing.assert_allclose(convert(builtin, got, plate_space, "ACEScg"), reference,
                               atol=2e-3 if plate_space == SRGB else 3e-4)
    stats = color_stats(face_p, matte, working=working)
    np.testing.assert_allclose(stats.mean_array, color_stats(face, matte, working=ACESCG).mean_array, atol=2e-4)
    assert stats.working == working.name == plate_space


def test_statistics_of_another_working_space_are_refused(builtin):
    face, plate, matte = scene(3)
    aces = WorkingSpace.from_config(builtin, ACES)
    stats = color_stats(face, matte, working=aces)
    with pytest.raises(ValueError, match="ACES2065-1"):
        color_transfer(face, plate, matte, method="rct", working=ACESCG, face_stats=stats)


def test_a_scene_linear_role_that_is_not_linear_is_one_line(builtin, tmp_path):
    import PyOpenColorIO as ocio

    config = ocio.Config.CreateFromStream(builtin.config.serialize())
    config.setRole("scene_linear", SRGB)
    path = tmp_path / "bad_role.ocio"
    path.write_text(config.serialize())
    with pytest.raises(ColorConfigError, match="bad_role.ocio.*not linear"):
        WorkingSpace.from_config(ColorManager(path), "ACEScg")
    with pytest.raises(ColorConfigError, match="unknown color space 'ACEScgg'"):
        WorkingSpace.from_config(builtin, "ACEScgg")
