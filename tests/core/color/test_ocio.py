import numpy as np
import pytest

from facegraft.core.color import DEFAULT_CONFIG, SCENE_LINEAR, SRGB_ENCODED, ColorManager
from facegraft.core.errors import ColorConfigError


@pytest.fixture(scope="module")
def color():
    return ColorManager()


def test_default_config_is_the_ocio_24_studio_config(color):
    assert "ocio-v2.4" in DEFAULT_CONFIG
    assert color.config.getMajorVersion() == 2 and color.config.getMinorVersion() <= 4
    assert color.resolve(SCENE_LINEAR) == "ACEScg"


def test_known_value_linear_to_srgb(color):
    gray = np.full((1, 1, 3), 0.18, np.float32)
    out = color.convert(gray, "Linear Rec.709 (sRGB)", SRGB_ENCODED)
    expected = 1.055 * 0.18 ** (1 / 2.4) - 0.055  # the sRGB OETF
    assert out == pytest.approx(np.full((1, 1, 3), expected), abs=1e-4)


def test_round_trip_keeps_unclipped_values_and_alpha(color):
    pixels = np.random.default_rng(0).uniform(-0.5, 8.0, (32, 32, 4)).astype(np.float32)
    there = color.convert(pixels, "ACEScg", "ACEScct")
    back = color.convert(there, "ACEScct", "ACEScg")
    assert np.allclose(back, pixels, rtol=1e-4, atol=1e-4)
    assert np.array_equal(there[..., 3], pixels[..., 3])
    assert not np.shares_memory(there, pixels)
    assert there[..., :3].max() > 0.6  # a log encoding: 8.0 linear maps above 1/2, not clamped


def test_unknown_colorspace(color):
    with pytest.raises(ColorConfigError, match="unknown color space 'Nope'"):
        color.convert(np.zeros((1, 1, 3), np.float32), "Nope", "ACEScg")


def test_ocio_environment_variable_names_a_config_file(tmp_path, color):
    path = color.export(tmp_path / "studio.ocio")
    from_env = ColorManager.from_environment({"OCIO": str(path)})
    assert from_env.source == str(path)
    gray = np.full((2, 2, 3), 0.18, np.float32)
    assert np.allclose(from_env.convert(gray, "ACEScg", SRGB_ENCODED), color.convert(gray, "ACEScg", SRGB_ENCODED))


def test_bad_config(tmp_path):
    bad = tmp_path / "bad.ocio"
    bad.write_text("ocio_profile_version: 2\nthis is: [not a config\n")
    with pytest.raises(ColorConfigError, match="bad.ocio.*cannot be loaded"):
        ColorManager.from_environment({"OCIO": str(bad)})


def test_a_missing_or_folder_config_is_one_line(tmp_path):
    with pytest.raises(ColorConfigError, match="nowhere.ocio: OCIO config no such file"):
        ColorManager.from_environment({"OCIO": str(tmp_path / "nowhere.ocio")})
    with pytest.raises(ColorConfigError, match="is a folder"):
        ColorManager.from_environment({"OCIO": str(tmp_path)})
