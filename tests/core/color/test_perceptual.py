"""OKLab through OCIO: the same light in any working space gives the same OKLab."""
import numpy as np
import pytest

from facegraft.core.color import ColorManager
from facegraft.core.color.perceptual import AP0_TO_REC709, to_oklab
from facegraft.core.errors import ColorConfigError


@pytest.fixture(scope="module")
def color():
    return ColorManager()


def test_same_light_same_oklab_in_every_space(color):
    rng = np.random.default_rng(0)
    acescg = rng.uniform(0.0, 1.5, (8, 8, 3)).astype(np.float32)  # scene-linear, above 1 allowed
    reference = to_oklab(acescg, "ACEScg", color)
    for space in ("ACES2065-1", "Linear Rec.709 (sRGB)"):
        same = to_oklab(color.convert(acescg, "ACEScg", space), space, color)
        assert np.allclose(same, reference, atol=2e-4), space
    in_range = np.clip(acescg, 0, 0.9)  # sRGB-encoded: an integer file's range
    encoded = color.convert(in_range, "ACEScg", "sRGB Encoded Rec.709 (sRGB)")
    assert np.allclose(to_oklab(encoded, "sRGB Encoded Rec.709 (sRGB)", color),
                       to_oklab(in_range, "ACEScg", color), atol=2e-3)


def test_known_values_and_matrix(color):
    white = to_oklab(np.ones((1, 1, 3), np.float32), "Linear Rec.709 (sRGB)", color)[0, 0]
    assert white[0] == pytest.approx(1.0, abs=1e-3) and abs(white[1]) < 1e-3 and abs(white[2]) < 1e-3
    # the fixed matrix is OCIO's own ACES2065-1 -> linear Rec.709 conversion
    ocio = np.stack([color.convert(np.eye(3, dtype=np.float32)[i].reshape(1, 1, 3), "ACES2065-1",
                                   "Linear Rec.709 (sRGB)")[0, 0] for i in range(3)], axis=1)
    assert np.allclose(ocio, AP0_TO_REC709, atol=1e-5)
    negative = to_oklab(np.array([[[-0.1, 2.0, 0.5]]], np.float32), "ACEScg", color)
    assert np.all(np.isfinite(negative))


def test_config_without_interchange_role(color, tmp_path):
    import PyOpenColorIO as ocio

    config = ocio.Config.CreateFromStream(color.config.serialize())
    config.setRole("aces_interchange", None)
    path = tmp_path / "no_role.ocio"
    path.write_text(config.serialize())
    with pytest.raises(ColorConfigError, match="aces_interchange"):
        to_oklab(np.ones((1, 1, 3), np.float32), "ACEScg", ColorManager(path))
