"""landmark_mask: shape, range, what is inside, and the Masker protocol."""
import numpy as np
import pytest

from facegraft.core.align.geometry import FaceCrop
from facegraft.core.align.mean_face import MEAN_FACE_68
from facegraft.core.masks.landmark import LandmarkMasker, Masker, face_outline, landmark_mask


def crop_landmarks(size: int) -> np.ndarray:
    crop = FaceCrop.from_landmarks(MEAN_FACE_68 * 100 + 200, size=size, face_type="whole")
    return crop.to_crop(MEAN_FACE_68 * 100 + 200)


@pytest.mark.parametrize("size", [64, 256, 513])
def test_mask_shape_range_and_content(size):
    pts = crop_landmarks(size)
    mask = landmark_mask(pts, size=size)
    assert mask.shape == (size, size) and mask.dtype == np.float32
    assert mask.min() == 0.0 and mask.max() == 1.0
    nose = pts[30].astype(int)
    assert mask[nose[1], nose[0]] == 1.0
    assert mask[0, 0] == 0.0 and mask[-1, -1] == 0.0
    # the forehead above the brows is inside; the area scales with size squared
    brow = pts[19]
    above = (brow - 0.15 * (pts[8] - pts[27])).astype(int)
    assert mask[above[1], above[0]] == 1.0
    assert mask.sum() / size ** 2 == pytest.approx(landmark_mask(crop_landmarks(128), size=128).sum() / 128 ** 2, rel=0.03)


def test_outline_and_errors():
    assert face_outline(crop_landmarks(128)).shape == (27, 2)
    with pytest.raises(ValueError):
        landmark_mask(np.zeros((5, 2)), size=64)
    with pytest.raises(ValueError):
        landmark_mask(np.full((68, 2), np.nan), size=64)


def test_landmark_masker_is_a_masker():
    masker = LandmarkMasker()
    assert isinstance(masker, Masker)
    crop = np.zeros((96, 96, 3), np.float32)
    np.testing.assert_array_equal(masker(crop, crop_landmarks(96)), landmark_mask(crop_landmarks(96), size=96))
